//! Backend definitions (`backends.yaml`): which nodes go into which HAProxy backend, on
//! which port and address, with which server options, plus the static part of
//! `haproxy.cfg` (global, defaults, frontends) that `render` writes around them.
//!
//! ```yaml
//! base: |              # verbatim head of haproxy.cfg (global, defaults, frontends)
//!   global
//!     stats socket /run/haproxy/admin.sock mode 600 level admin
//! backends:
//!   - name: k8s-api
//!     selector: {role: control-plane}
//!     port: 6443
//!     serverOptions: "check check-ssl verify none inter 2s fall 3 rise 2"
//!   - name: ingress-https
//!     selector: {role: worker, labels: {ingress: "true"}}
//!     port: 443
//!     addressType: InternalIP
//!     serverOptions: "check send-proxy-v2"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

/// Which node role a selector picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeRole {
    ControlPlane,
    Worker,
    Any,
}

/// Node selector: a role and/or labels that must all match (`""` value = label present).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    #[serde(default)]
    pub role: Option<NodeRole>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// What a backend is for; decides whether the exclude-from-external-load-balancers label
/// applies (ingress only: kubeadm puts it on every control-plane node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    ApiServer,
    Ingress,
}

/// Node address type used for the server address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum AddressType {
    #[default]
    InternalIP,
    ExternalIP,
}

impl AddressType {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::InternalIP => "InternalIP",
            AddressType::ExternalIP => "ExternalIP",
        }
    }
}

/// What happens to a node in a given condition (NotReady, cordoned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionPolicy {
    /// Stay a normal member; HAProxy's checks decide liveness.
    Keep,
    /// Stay in the backend in `drain` state (no new connections).
    Drain,
    /// Leave the backend.
    Remove,
}

/// Balance algorithms that allow `add server` at run time (dynamic algorithms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Balance {
    #[default]
    Roundrobin,
    Leastconn,
    First,
    Random,
}

impl fmt::Display for Balance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Balance::Roundrobin => "roundrobin",
            Balance::Leastconn => "leastconn",
            Balance::First => "first",
            Balance::Random => "random",
        })
    }
}

/// Proxy mode of the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    #[default]
    Tcp,
    Http,
}

/// One backend definition.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackendDef {
    pub name: String,
    pub selector: Selector,
    pub port: u16,
    /// Defaults to `api-server` for a control-plane selector, `ingress` otherwise.
    #[serde(default)]
    pub kind: Option<BackendKind>,
    #[serde(default)]
    pub address_type: AddressType,
    /// HAProxy server keywords written on every server line and passed to `add server`.
    #[serde(default)]
    pub server_options: String,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub balance: Balance,
    /// Extra lines inside the backend section (e.g. `option httpchk GET /healthz`).
    #[serde(default)]
    pub extra: Vec<String>,
    /// NotReady nodes: `drain` by default.
    #[serde(default = "default_not_ready")]
    pub not_ready: ConditionPolicy,
    /// Cordoned nodes: `keep` by default (cordon is not a removal signal).
    #[serde(default = "default_cordoned")]
    pub cordoned: ConditionPolicy,
}

fn default_not_ready() -> ConditionPolicy {
    ConditionPolicy::Drain
}
fn default_cordoned() -> ConditionPolicy {
    ConditionPolicy::Keep
}

impl BackendDef {
    /// The effective backend kind.
    pub fn effective_kind(&self) -> BackendKind {
        match (self.kind, self.selector.role) {
            (Some(k), _) => k,
            (None, Some(NodeRole::ControlPlane)) => BackendKind::ApiServer,
            (None, _) => BackendKind::Ingress,
        }
    }

    /// Whether servers get health checks (`check` keyword), so `enable health` is needed
    /// after `add server`.
    pub fn has_check(&self) -> bool {
        self.server_options.split_whitespace().any(|w| w == "check")
    }

    /// Whether servers get agent checks.
    pub fn has_agent_check(&self) -> bool {
        self.server_options
            .split_whitespace()
            .any(|w| w == "agent-check")
    }
}

/// The whole `backends.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackendsConfig {
    /// Verbatim head of haproxy.cfg (global, defaults, frontends, static backends).
    #[serde(default)]
    pub base: String,
    pub backends: Vec<BackendDef>,
}

/// Errors in `backends.yaml`.
#[derive(Debug, thiserror::Error)]
pub enum BackendsError {
    #[error("backends file: {0}")]
    Yaml(String),
    #[error("backend #{index}: {message}")]
    Invalid { index: usize, message: String },
}

/// Characters HAProxy accepts in proxy and server names.
pub fn valid_haproxy_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

const FORBIDDEN_OPTIONS: &[&str] = &["disabled", "enabled", "backup", "track", "id"];

impl BackendsConfig {
    /// Parse and validate `backends.yaml`.
    pub fn parse(text: &str) -> Result<Self, BackendsError> {
        let cfg: BackendsConfig =
            serde_saphyr::from_str(text).map_err(|e| BackendsError::Yaml(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), BackendsError> {
        let mut seen = BTreeSet::new();
        for (index, b) in self.backends.iter().enumerate() {
            let bad = |message: String| BackendsError::Invalid { index, message };
            if !valid_haproxy_name(&b.name) {
                return Err(bad(format!("invalid backend name {:?}", b.name)));
            }
            if !seen.insert(b.name.as_str()) {
                return Err(bad(format!("backend {:?} is defined twice", b.name)));
            }
            if b.port == 0 {
                return Err(bad(format!("backend {:?}: port must be 1..65535", b.name)));
            }
            if b.selector.role.is_none() && b.selector.labels.is_empty() {
                return Err(bad(format!(
                    "backend {:?}: selector needs a role or labels",
                    b.name
                )));
            }
            for word in b.server_options.split_whitespace() {
                if FORBIDDEN_OPTIONS.contains(&word) {
                    return Err(bad(format!(
                        "backend {:?}: server option {word:?} is managed by haproxy-sync or not allowed on dynamic servers",
                        b.name
                    )));
                }
            }
            if b.server_options.contains('\n') || b.extra.iter().any(|l| l.contains('\n')) {
                return Err(bad(format!(
                    "backend {:?}: serverOptions and extra lines must be single lines",
                    b.name
                )));
            }
            if b.extra
                .iter()
                .any(|l| l.trim_start().starts_with("server ") || l.trim() == "server")
            {
                return Err(bad(format!(
                    "backend {:?}: extra lines may not declare servers",
                    b.name
                )));
            }
        }
        Ok(())
    }

    pub fn backend(&self, name: &str) -> Option<&BackendDef> {
        self.backends.iter().find(|b| b.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
base: |
  global
    log stdout format raw local0
backends:
  - name: k8s-api
    selector: {role: control-plane}
    port: 6443
    serverOptions: "check check-ssl verify none inter 2s"
  - name: ingress
    selector:
      role: worker
      labels: {edge: "true"}
    port: 443
    notReady: remove
    cordoned: drain
    extra: ["option tcp-check"]
"#;

    #[test]
    fn parses_and_defaults() -> Result<(), BackendsError> {
        let cfg = BackendsConfig::parse(OK)?;
        assert_eq!(cfg.backends.len(), 2);
        let api = &cfg.backends[0];
        assert_eq!(api.effective_kind(), BackendKind::ApiServer);
        assert_eq!(api.address_type, AddressType::InternalIP);
        assert_eq!(api.not_ready, ConditionPolicy::Drain);
        assert_eq!(api.cordoned, ConditionPolicy::Keep);
        assert!(api.has_check());
        let ing = &cfg.backends[1];
        assert_eq!(ing.effective_kind(), BackendKind::Ingress);
        assert_eq!(ing.not_ready, ConditionPolicy::Remove);
        assert!(!ing.has_check());
        assert!(cfg.base.starts_with("global"));
        Ok(())
    }

    #[test]
    fn rejects_bad_definitions() {
        for (text, needle) in [
            (
                "backends:\n  - name: a b\n    selector: {role: worker}\n    port: 80\n",
                "invalid backend name",
            ),
            (
                "backends:\n  - name: a\n    selector: {}\n    port: 80\n",
                "selector needs",
            ),
            (
                "backends:\n  - name: a\n    selector: {role: worker}\n    port: 80\n  - name: a\n    selector: {role: worker}\n    port: 81\n",
                "twice",
            ),
            (
                "backends:\n  - name: a\n    selector: {role: worker}\n    port: 80\n    serverOptions: backup\n",
                "backup",
            ),
            (
                "backends:\n  - name: a\n    selector: {role: worker}\n    port: 0\n",
                "port",
            ),
            (
                "backends:\n  - name: a\n    selector: {role: worker}\n    port: 80\n    prot: 1\n",
                "unknown field",
            ),
            (
                "backends:\n  - name: a\n    selector: {role: chef}\n    port: 80\n",
                "chef",
            ),
            ("backends: [\n", "backends file"),
        ] {
            match BackendsConfig::parse(text) {
                Ok(_) => panic!("accepted: {text}"),
                Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle}"),
            }
        }
    }
}
