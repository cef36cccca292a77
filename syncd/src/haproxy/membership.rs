//! Membership rules: which nodes belong in a backend and in which state, each decision with
//! its reason (reference §6: `stableNodeSetPredicates` plus opt-in NotReady/cordon policies).

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::backends::{BackendDef, BackendKind, ConditionPolicy, NodeRole, valid_haproxy_name};
use super::nodes::{LABEL_EXCLUDE_LB, NodeInfo, TAINT_TO_BE_DELETED};

/// Administrative state haproxy-sync wants for a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WantState {
    Ready,
    Drain,
}

/// A server that should be in a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredServer {
    pub name: String,
    pub addr: IpAddr,
    pub port: u16,
    pub state: WantState,
}

/// Why a node is in or out of a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub node: String,
    pub member: Option<WantState>,
    pub reason: String,
}

/// Desired servers (sorted by name) plus every decision taken for selected nodes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DesiredBackend {
    pub servers: Vec<DesiredServer>,
    pub decisions: Vec<Decision>,
}

/// Errors that stop a plan (nothing is applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MembershipError {
    #[error("backend {backend}: node {node} has no {address_type} address")]
    NoAddress {
        backend: String,
        node: String,
        address_type: &'static str,
    },
    #[error("backend {backend}: node {node} has an invalid {address_type} address {address:?}")]
    BadAddress {
        backend: String,
        node: String,
        address_type: &'static str,
        address: String,
    },
    #[error("backend {backend}: node name {node:?} is not a valid HAProxy server name")]
    BadName { backend: String, node: String },
}

/// Does the node match the backend's selector?
pub fn selects(def: &BackendDef, node: &NodeInfo) -> bool {
    let role_ok = match def.selector.role {
        None | Some(NodeRole::Any) => true,
        Some(NodeRole::ControlPlane) => node.is_control_plane(),
        Some(NodeRole::Worker) => !node.is_control_plane(),
    };
    role_ok
        && def.selector.labels.iter().all(|(k, v)| {
            node.labels
                .get(k)
                .is_some_and(|have| v.is_empty() || have == v)
        })
}

/// The exclude label as Kubernetes' service controller parses it: present and not
/// `false` → excluded (invalid values exclude too).
fn excluded_by_label(node: &NodeInfo) -> Option<&str> {
    let value = node.labels.get(LABEL_EXCLUDE_LB)?;
    match value.to_ascii_lowercase().as_str() {
        "false" | "0" | "f" => None,
        _ => Some(value.as_str()),
    }
}

fn apply_policy(
    policy: ConditionPolicy,
    current: WantState,
    what: &str,
) -> (Option<WantState>, String) {
    match policy {
        ConditionPolicy::Keep => (Some(current), format!("{what}; policy keep")),
        ConditionPolicy::Drain => (Some(WantState::Drain), format!("{what}; policy drain")),
        ConditionPolicy::Remove => (None, format!("{what}; policy remove")),
    }
}

/// Decide one node's membership in one backend (the node is already selected).
pub fn decide(def: &BackendDef, node: &NodeInfo) -> Decision {
    let out = |member, reason: String| Decision {
        node: node.name.clone(),
        member,
        reason,
    };
    if node.deleting {
        return out(None, "node has a deletion timestamp".into());
    }
    if node.taint_keys.iter().any(|k| k == TAINT_TO_BE_DELETED) {
        return out(None, format!("node has the {TAINT_TO_BE_DELETED} taint"));
    }
    if def.effective_kind() == BackendKind::Ingress
        && let Some(v) = excluded_by_label(node)
    {
        return out(
            None,
            format!("ingress backend and {LABEL_EXCLUDE_LB}={v:?}"),
        );
    }
    let mut state = WantState::Ready;
    let mut reasons = Vec::new();
    if node.ready != Some(true) {
        let what = match node.ready {
            Some(false) => "node is NotReady",
            _ => "node has no Ready condition",
        };
        let (m, r) = apply_policy(def.not_ready, state, what);
        match m {
            Some(s) => {
                state = s;
                reasons.push(r);
            }
            None => return out(None, r),
        }
    }
    if node.unschedulable {
        let (m, r) = apply_policy(def.cordoned, state, "node is cordoned");
        match m {
            Some(s) => {
                state = state.max(s);
                reasons.push(r);
            }
            None => return out(None, r),
        }
    }
    if reasons.is_empty() {
        reasons.push("node is Ready".into());
    }
    out(Some(state), reasons.join(", "))
}

/// Compute the desired servers of one backend from the node set.
pub fn desired_backend(
    def: &BackendDef,
    nodes: &[NodeInfo],
) -> Result<DesiredBackend, MembershipError> {
    let mut result = DesiredBackend::default();
    let address_type = def.address_type.as_str();
    for node in nodes.iter().filter(|n| selects(def, n)) {
        let decision = decide(def, node);
        if let Some(state) = decision.member {
            if !valid_haproxy_name(&node.name) {
                return Err(MembershipError::BadName {
                    backend: def.name.clone(),
                    node: node.name.clone(),
                });
            }
            let raw = node
                .address(address_type)
                .ok_or_else(|| MembershipError::NoAddress {
                    backend: def.name.clone(),
                    node: node.name.clone(),
                    address_type,
                })?;
            let addr: IpAddr = raw.parse().map_err(|_| MembershipError::BadAddress {
                backend: def.name.clone(),
                node: node.name.clone(),
                address_type,
                address: raw.to_string(),
            })?;
            result.servers.push(DesiredServer {
                name: node.name.clone(),
                addr,
                port: def.port,
                state,
            });
        }
        result.decisions.push(decision);
    }
    result.servers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(result)
}

/// Desired servers of every backend, keyed by backend name.
pub fn desired_all(
    defs: &[BackendDef],
    nodes: &[NodeInfo],
) -> Result<BTreeMap<String, DesiredBackend>, MembershipError> {
    defs.iter()
        .map(|d| Ok((d.name.clone(), desired_backend(d, nodes)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::backends::BackendsConfig;
    use crate::haproxy::nodes::LABEL_CONTROL_PLANE;

    fn node(name: &str, ip: &str) -> NodeInfo {
        NodeInfo {
            name: name.into(),
            addresses: vec![("InternalIP".into(), ip.into())],
            labels: BTreeMap::new(),
            ready: Some(true),
            unschedulable: false,
            deleting: false,
            taint_keys: vec![],
        }
    }

    fn cp(name: &str, ip: &str) -> NodeInfo {
        let mut n = node(name, ip);
        n.labels.insert(LABEL_CONTROL_PLANE.into(), String::new());
        n.labels.insert(LABEL_EXCLUDE_LB.into(), String::new());
        n
    }

    fn defs(extra: &str) -> Vec<BackendDef> {
        let text = format!(
            "backends:\n  - name: api\n    selector: {{role: control-plane}}\n    port: 6443\n  - name: web\n    selector: {{role: any}}\n    port: 80\n{extra}"
        );
        match BackendsConfig::parse(&text) {
            Ok(c) => c.backends,
            Err(e) => panic!("{e}"),
        }
    }

    fn names(b: &DesiredBackend) -> Vec<(&str, WantState)> {
        b.servers
            .iter()
            .map(|s| (s.name.as_str(), s.state))
            .collect()
    }

    #[test]
    fn exclude_label_applies_to_ingress_only() -> Result<(), MembershipError> {
        let d = defs("");
        let nodes = vec![cp("cp1", "10.0.0.1"), node("w1", "10.0.0.2")];
        let all = desired_all(&d, &nodes)?;
        assert_eq!(names(&all["api"]), vec![("cp1", WantState::Ready)]);
        assert_eq!(names(&all["web"]), vec![("w1", WantState::Ready)]);
        let why = &all["web"].decisions[0];
        assert!(why.member.is_none() && why.reason.contains("ingress backend"));
        // "false" keeps the node in.
        let mut n = cp("cp2", "10.0.0.3");
        n.labels.insert(LABEL_EXCLUDE_LB.into(), "false".into());
        let all = desired_all(&d, &[n])?;
        assert_eq!(all["web"].servers.len(), 1);
        Ok(())
    }

    #[test]
    fn deletion_taint_notready_cordon() -> Result<(), MembershipError> {
        let d = defs("");
        let mut deleting = node("a", "10.0.0.1");
        deleting.deleting = true;
        let mut tainted = node("b", "10.0.0.2");
        tainted.taint_keys.push(TAINT_TO_BE_DELETED.into());
        let mut not_ready = node("c", "10.0.0.3");
        not_ready.ready = Some(false);
        let mut cordoned = node("d", "10.0.0.4");
        cordoned.unschedulable = true;
        let mut unknown = node("e", "10.0.0.5");
        unknown.ready = None;
        let all = desired_all(&d, &[deleting, tainted, not_ready, cordoned, unknown])?;
        assert_eq!(
            names(&all["web"]),
            vec![
                ("c", WantState::Drain),
                ("d", WantState::Ready),
                ("e", WantState::Drain)
            ]
        );
        let reasons: Vec<_> = all["web"]
            .decisions
            .iter()
            .map(|d| d.reason.as_str())
            .collect();
        assert!(reasons[0].contains("deletion timestamp"));
        assert!(reasons[1].contains("ToBeDeleted"));
        assert!(reasons[2].contains("NotReady"));
        assert!(reasons[3].contains("cordoned"));
        Ok(())
    }

    #[test]
    fn configurable_policies() -> Result<(), MembershipError> {
        let d = defs("    notReady: remove\n    cordoned: drain\n");
        let mut not_ready = node("c", "10.0.0.3");
        not_ready.ready = Some(false);
        let mut cordoned = node("d", "10.0.0.4");
        cordoned.unschedulable = true;
        let all = desired_all(&d, &[not_ready, cordoned])?;
        assert_eq!(names(&all["web"]), vec![("d", WantState::Drain)]);
        Ok(())
    }

    #[test]
    fn missing_or_bad_address_is_an_error() {
        let d = defs("");
        let mut n = node("w1", "10.0.0.1");
        n.addresses.clear();
        assert!(matches!(
            desired_all(&d, &[n]),
            Err(MembershipError::NoAddress { .. })
        ));
        let n = node("w1", "not-an-ip");
        assert!(matches!(
            desired_all(&d, &[n]),
            Err(MembershipError::BadAddress { .. })
        ));
        // A node that is out anyway needs no address.
        let mut n = node("w1", "10.0.0.1");
        n.addresses.clear();
        n.deleting = true;
        assert!(desired_all(&d, &[n]).is_ok());
    }

    #[test]
    fn label_selector() -> Result<(), MembershipError> {
        let text = "backends:\n  - name: edge\n    selector: {labels: {edge: \"true\", zone: \"\"}}\n    port: 30443\n";
        let d = match BackendsConfig::parse(text) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let mut a = node("a", "10.0.0.1");
        a.labels.insert("edge".into(), "true".into());
        a.labels.insert("zone".into(), "x".into());
        let mut b = node("b", "10.0.0.2");
        b.labels.insert("edge".into(), "false".into());
        b.labels.insert("zone".into(), "x".into());
        let all = desired_all(&d.backends, &[a, b])?;
        assert_eq!(names(&all["edge"]), vec![("a", WantState::Ready)]);
        assert_eq!(all["edge"].servers[0].port, 30443);
        Ok(())
    }
}
