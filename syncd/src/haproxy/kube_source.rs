//! Kubernetes node source: a kube-rs watcher on Nodes feeding a reflector store, published
//! as node sets.
//!
//! The API server is reached through several endpoints, in turn: the configured URL
//! (kubeconfig or in-cluster), explicit `--api-endpoint`s, and the control-plane addresses
//! already known (from the node set and from HAProxy's API backend). So the daemon never
//! depends only on the virtual IP that its own HAProxy serves. For endpoints other than the
//! configured one, TLS still verifies the configured host name (kubeadm puts the
//! control-plane endpoint into every API server certificate).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::runtime::reflector::store::Writer;
use kube::runtime::watcher;
use kube::{Api, Client, Config};
use tokio::sync::watch;

use super::file_source::NodeSet;
use super::metrics::Metrics;
use super::nodes::{NodeInfo, from_k8s};

/// Settings of the Kubernetes source.
#[derive(Clone)]
pub struct KubeSourceConfig {
    /// Configuration from kubeconfig or in-cluster; its `cluster_url` is tried first.
    pub base: Config,
    /// Additional API server URLs (`https://10.0.0.11:6443`).
    pub extra_endpoints: Vec<String>,
    /// Port of the API servers on control-plane nodes.
    pub api_port: u16,
    /// Consecutive errors on one endpoint before moving to the next.
    pub errors_before_switch: u32,
}

/// The endpoints to try, in order, without duplicates: configured URL, explicit ones, then
/// `<scheme>://<InternalIP>:<api_port>` of known control-plane nodes and `known_cp`
/// addresses (scheme of the configured URL, normally `https`).
pub fn endpoints(cfg: &KubeSourceConfig, nodes: &[NodeInfo], known_cp: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |u: String| {
        let u = u.trim_end_matches('/').to_string();
        if !out.contains(&u) {
            out.push(u);
        }
    };
    push(cfg.base.cluster_url.to_string());
    let scheme = cfg
        .base
        .cluster_url
        .scheme_str()
        .unwrap_or("https")
        .to_string();
    for e in &cfg.extra_endpoints {
        push(e.clone());
    }
    let host = |a: &str| {
        if a.contains(':') && !a.starts_with('[') {
            format!("[{a}]")
        } else {
            a.to_string()
        }
    };
    for n in nodes.iter().filter(|n| n.is_control_plane() && !n.deleting) {
        if let Some(a) = n.address("InternalIP") {
            push(format!("{scheme}://{}:{}", host(a), cfg.api_port));
        }
    }
    for a in known_cp {
        push(format!("{scheme}://{}:{}", host(a), cfg.api_port));
    }
    out
}

/// The client configuration for one endpoint.
pub fn config_for(base: &Config, endpoint: &str) -> Result<Config, String> {
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|e| format!("endpoint {endpoint:?}: {e}"))?;
    let mut cfg = base.clone();
    let same = base.cluster_url.to_string().trim_end_matches('/') == endpoint.trim_end_matches('/');
    if !same && cfg.tls_server_name.is_none() {
        cfg.tls_server_name = base
            .cluster_url
            .host()
            .map(|h| h.trim_matches(['[', ']']).to_string());
    }
    cfg.cluster_url = uri;
    Ok(cfg)
}

fn publish(writer: &Writer<Node>, tx: &watch::Sender<NodeSet>) {
    let mut nodes: Vec<NodeInfo> = writer
        .as_reader()
        .state()
        .iter()
        .filter_map(|n| from_k8s(n))
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    if tx.borrow().as_deref() != Some(&nodes) {
        tracing::info!(nodes = nodes.len(), "node set changed (Kubernetes API)");
        tx.send_replace(Some(Arc::new(nodes)));
    }
}

/// Why [`watch_nodes`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEnd {
    /// Too many consecutive errors on this endpoint.
    Errors(String),
    /// The watch stream ended or nobody listens any more.
    Closed,
}

/// Watch Nodes through one client, applying events to `writer` and publishing complete
/// node sets to `tx`. The last good set stays published while the API is unreachable.
pub async fn watch_nodes(
    client: Client,
    writer: &mut Writer<Node>,
    tx: &watch::Sender<NodeSet>,
    metrics: &Metrics,
    errors_before_switch: u32,
) -> WatchEnd {
    let api: Api<Node> = Api::all(client);
    let stream = watcher(api, watcher::Config::default());
    futures::pin_mut!(stream);
    let mut errors = 0u32;
    loop {
        let next = tokio::select! {
            n = stream.next() => n,
            _ = tx.closed() => return WatchEnd::Closed,
        };
        match next {
            None => return WatchEnd::Closed,
            Some(Ok(ev)) => {
                // `Init` comes before the list request: it proves nothing about the API.
                if !matches!(ev, watcher::Event::Init) {
                    errors = 0;
                    metrics.node_source_up.set(1);
                }
                writer.apply_watcher_event(&ev);
                match ev {
                    watcher::Event::InitDone
                    | watcher::Event::Apply(_)
                    | watcher::Event::Delete(_) => publish(writer, tx),
                    watcher::Event::Init | watcher::Event::InitApply(_) => {}
                }
            }
            Some(Err(e)) => {
                errors += 1;
                metrics.node_source_up.set(0);
                metrics.fail("node-source", e.to_string());
                tracing::warn!(error = %e, errors, "Kubernetes watch error; keeping the last node set");
                if errors >= errors_before_switch {
                    return WatchEnd::Errors(e.to_string());
                }
                let backoff = Duration::from_millis(200u64 << errors.min(5));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {},
                    _ = tx.closed() => return WatchEnd::Closed,
                }
            }
        }
    }
}

/// Run the Kubernetes source until nobody listens, rotating over [`endpoints`].
pub async fn run_kube_source(
    cfg: KubeSourceConfig,
    known_cp: Vec<String>,
    tx: watch::Sender<NodeSet>,
    metrics: Arc<Metrics>,
) {
    let mut writer: Writer<Node> = Writer::default();
    let mut index = 0usize;
    loop {
        let nodes = tx.borrow().clone().unwrap_or_default();
        let list = endpoints(&cfg, &nodes, &known_cp);
        let endpoint = list[index % list.len()].clone();
        index += 1;
        let client = config_for(&cfg.base, &endpoint)
            .and_then(|c| Client::try_from(c).map_err(|e| e.to_string()));
        match client {
            Ok(client) => {
                tracing::info!(endpoint = %endpoint, "watching Nodes");
                match watch_nodes(client, &mut writer, &tx, &metrics, cfg.errors_before_switch)
                    .await
                {
                    WatchEnd::Closed if tx.is_closed() => return,
                    WatchEnd::Closed => {}
                    WatchEnd::Errors(e) => {
                        tracing::warn!(endpoint = %endpoint, error = %e, "switching API endpoint")
                    }
                }
            }
            Err(e) => {
                metrics.fail("node-source", e.clone());
                tracing::error!(endpoint = %endpoint, error = %e, "cannot build a client for this endpoint");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {},
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::nodes::LABEL_CONTROL_PLANE;
    use std::collections::BTreeMap;

    fn cfg() -> KubeSourceConfig {
        let mut base = Config::new("https://vip.example:6443".parse().unwrap_or_default());
        base.tls_server_name = None;
        KubeSourceConfig {
            base,
            extra_endpoints: vec!["https://10.0.0.9:6443/".into()],
            api_port: 6443,
            errors_before_switch: 2,
        }
    }

    #[test]
    fn endpoints_include_known_control_planes() {
        let cp = NodeInfo {
            name: "cp1".into(),
            addresses: vec![("InternalIP".into(), "10.0.0.1".into())],
            labels: BTreeMap::from([(LABEL_CONTROL_PLANE.to_string(), String::new())]),
            ready: Some(true),
            unschedulable: false,
            deleting: false,
            taint_keys: vec![],
        };
        let mut w = cp.clone();
        w.name = "w1".into();
        w.labels.clear();
        w.addresses = vec![("InternalIP".into(), "10.0.0.5".into())];
        let list = endpoints(
            &cfg(),
            &[cp, w],
            &["10.0.0.2".into(), "fd00::3".into(), "10.0.0.1".into()],
        );
        assert_eq!(
            list,
            vec![
                "https://vip.example:6443",
                "https://10.0.0.9:6443",
                "https://10.0.0.1:6443",
                "https://10.0.0.2:6443",
                "https://[fd00::3]:6443"
            ]
        );
    }

    #[test]
    fn other_endpoints_verify_the_configured_name() -> Result<(), String> {
        let c = cfg();
        let direct = config_for(&c.base, "https://10.0.0.1:6443")?;
        assert_eq!(direct.cluster_url.to_string(), "https://10.0.0.1:6443/");
        assert_eq!(direct.tls_server_name.as_deref(), Some("vip.example"));
        let same = config_for(&c.base, "https://vip.example:6443")?;
        assert_eq!(same.tls_server_name, None);
        assert!(config_for(&c.base, "not a url").is_err());
        Ok(())
    }
}
