//! The node model `haproxy-sync` plans from, and its two decoders: a Kubernetes `Node`
//! object and the JSON of `kubectl get nodes -o json` (a `NodeList`).
//!
//! Only the fields the membership rules read are kept, so the planner stays a pure
//! function over small data.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Node;
use serde::{Deserialize, Serialize};

/// Label kubeadm puts on every control-plane node.
pub const LABEL_CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";
/// Pre-1.24 control-plane role label, still honoured.
pub const LABEL_MASTER: &str = "node-role.kubernetes.io/master";
/// Label that excludes a node from external load balancers (ingress backends only).
pub const LABEL_EXCLUDE_LB: &str = "node.kubernetes.io/exclude-from-external-load-balancers";
/// Taint the cluster autoscaler sets on nodes it is about to delete.
pub const TAINT_TO_BE_DELETED: &str = "ToBeDeletedByClusterAutoscaler";

/// What `haproxy-sync` knows about one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub name: String,
    /// `(type, address)` pairs in the order of `status.addresses`.
    pub addresses: Vec<(String, String)>,
    pub labels: BTreeMap<String, String>,
    /// The `Ready` condition: `Some(true)` only for status `True`; `None` if absent.
    pub ready: Option<bool>,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// Keys of `spec.taints`.
    pub taint_keys: Vec<String>,
}

impl NodeInfo {
    /// True when the node carries a control-plane role label.
    pub fn is_control_plane(&self) -> bool {
        self.labels.contains_key(LABEL_CONTROL_PLANE) || self.labels.contains_key(LABEL_MASTER)
    }

    /// First address of the given type (`InternalIP`, `ExternalIP`, ...).
    pub fn address(&self, kind: &str) -> Option<&str> {
        self.addresses
            .iter()
            .find(|(t, _)| t == kind)
            .map(|(_, a)| a.as_str())
    }
}

/// Errors decoding a node list.
#[derive(Debug, thiserror::Error)]
pub enum NodesError {
    #[error("nodes file is not the JSON of `kubectl get nodes -o json`: {0}")]
    Json(#[from] serde_json::Error),
    #[error("node #{index} has no metadata.name")]
    MissingName { index: usize },
    #[error("node name {0:?} appears twice")]
    Duplicate(String),
}

/// Convert a Kubernetes `Node` (from the API or a file) into a [`NodeInfo`].
/// Returns `None` when the object has no name.
pub fn from_k8s(node: &Node) -> Option<NodeInfo> {
    let name = node.metadata.name.clone()?;
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let deleting = node.metadata.deletion_timestamp.is_some();
    let (unschedulable, taint_keys) = match &node.spec {
        Some(spec) => (
            spec.unschedulable.unwrap_or(false),
            spec.taints
                .as_ref()
                .map(|t| t.iter().map(|t| t.key.clone()).collect())
                .unwrap_or_default(),
        ),
        None => (false, Vec::new()),
    };
    let (addresses, ready) = match &node.status {
        Some(status) => {
            let addresses = status
                .addresses
                .as_ref()
                .map(|a| {
                    a.iter()
                        .map(|a| (a.type_.clone(), a.address.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let ready = status.conditions.as_ref().and_then(|c| {
                c.iter()
                    .find(|c| c.type_ == "Ready")
                    .map(|c| c.status == "True")
            });
            (addresses, ready)
        }
        None => (Vec::new(), None),
    };
    Some(NodeInfo {
        name,
        addresses,
        labels,
        ready,
        unschedulable,
        deleting,
        taint_keys,
    })
}

/// Decode the JSON of `kubectl get nodes -o json` (a `v1/List` or `NodeList`).
pub fn parse_node_list_json(text: &str) -> Result<Vec<NodeInfo>, NodesError> {
    #[derive(Deserialize)]
    struct AnyList {
        items: Vec<Node>,
    }
    let list: AnyList = serde_json::from_str(text)?;
    let mut out: Vec<NodeInfo> = Vec::with_capacity(list.items.len());
    for (index, node) in list.items.iter().enumerate() {
        let info = from_k8s(node).ok_or(NodesError::MissingName { index })?;
        if out.iter().any(|n| n.name == info.name) {
            return Err(NodesError::Duplicate(info.name));
        }
        out.push(info);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{
      "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
      "items": [
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "w1", "labels": {"kubernetes.io/hostname": "w1"}},
         "spec": {"unschedulable": true, "taints": [{"key": "ToBeDeletedByClusterAutoscaler", "effect": "NoSchedule"}]},
         "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.5"}, {"type": "Hostname", "address": "w1"}],
                    "conditions": [{"type": "Ready", "status": "False"}]}},
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "cp1", "deletionTimestamp": "2026-01-01T00:00:00Z",
                      "labels": {"node-role.kubernetes.io/control-plane": ""}},
         "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
      ]}"#;

    #[test]
    fn decodes_kubectl_json() -> Result<(), NodesError> {
        let nodes = parse_node_list_json(LIST)?;
        assert_eq!(nodes.len(), 2);
        let cp = &nodes[0];
        assert_eq!(cp.name, "cp1");
        assert!(cp.is_control_plane() && cp.deleting && cp.ready == Some(true));
        assert!(cp.addresses.is_empty());
        let w = &nodes[1];
        assert_eq!(w.address("InternalIP"), Some("10.0.0.5"));
        assert_eq!(w.ready, Some(false));
        assert!(w.unschedulable);
        assert_eq!(w.taint_keys, vec![TAINT_TO_BE_DELETED.to_string()]);
        Ok(())
    }

    #[test]
    fn rejects_malformed_and_duplicates() {
        assert!(matches!(
            parse_node_list_json("{\"items\": 3}"),
            Err(NodesError::Json(_))
        ));
        assert!(matches!(
            parse_node_list_json("not json"),
            Err(NodesError::Json(_))
        ));
        let dup = r#"{"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"a"}}]}"#;
        assert!(matches!(
            parse_node_list_json(dup),
            Err(NodesError::Duplicate(_))
        ));
        let noname = r#"{"items":[{"metadata":{}}]}"#;
        assert!(matches!(
            parse_node_list_json(noname),
            Err(NodesError::MissingName { index: 0 })
        ));
    }
}
