//! The `syncd` daemon: sources → merged view → HTTP API, metrics, Events,
//! leader election.
//!
//! ```text
//!  kube watchers ─┐  Update   ┌──────────┐ watch<Arc<Snapshot>> ┌─> HTTP (/v1/report, /v1/validate, /readyz, /metrics)
//!  files (notify)─┼──mpsc───> │ view loop│ ────────────────────>├─> Events (leader only)
//!  (consul)      ─┘           └──────────┘                      └─> (webhook, Consul gate, status page: integrator)
//!  Lease ──> is_leader: watch<bool>
//! ```
//!
//! [`start`] wires everything and returns a [`Running`] daemon whose parts the
//! integrator uses: `updates` to feed another source (Consul), `snapshots` and
//! `is_leader` to act on the view, [`http::router`] with [`Running::app`].

pub mod events;
pub mod files_source;
pub mod http;
pub mod kube_source;
pub mod leader;
pub mod metrics;
pub mod view_loop;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use sync_core::static_config::StaticConfig;
use tokio::sync::{mpsc, watch};

use crate::view::Snapshot;
use http::AppState;
use leader::LeaseConfig;
use metrics::Metrics;
use view_loop::{Update, ViewState, source};

/// Everything `syncd run` was told.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// Traefik's static configuration.
    pub static_cfg: Option<StaticConfig>,
    /// The file provider's directory.
    pub files: Option<PathBuf>,
    /// Periodic rescan of the files directory (safety net for missed events).
    pub rescan: Duration,
    /// Debounce between a change and the recompute.
    pub debounce: Duration,
    /// Leader election (only with the Kubernetes source).
    pub lease: Option<LeaseConfig>,
    /// More sources the caller feeds through [`Running::updates`] (e.g.
    /// [`view_loop::source::CONSUL`]); `/readyz` waits for them too.
    pub extra_sources: Vec<&'static str>,
}

/// The running daemon's handles.
pub struct Running {
    /// Send [`Update`]s for another source (the Consul source).
    pub updates: mpsc::Sender<Update>,
    /// The latest snapshot.
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// Whether this replica leads (always true without the Kubernetes source:
    /// a single replica has nobody to agree with).
    pub is_leader: watch::Receiver<bool>,
    /// The HTTP handlers' state.
    pub app: AppState,
    /// Set to true to stop: the election releases the lease.
    pub shutdown: watch::Sender<bool>,
    /// The election task, to await after `shutdown` (lease released).
    pub election: Option<tokio::task::JoinHandle<()>>,
}

/// Start the sources, the view loop, the election and the Event publisher.
/// `kube` is the client for the Kubernetes source (None: not watched).
pub fn start(cfg: DaemonConfig, kube: Option<Client>, metrics: Arc<Metrics>) -> Running {
    let mut enabled: Vec<&str> = Vec::new();
    if kube.is_some() {
        enabled.push(source::KUBERNETES);
    }
    if cfg.files.is_some() {
        enabled.push(source::FILES);
    }
    enabled.extend(cfg.extra_sources.iter().copied());
    let state = ViewState::new(cfg.static_cfg.clone(), &enabled, cfg.debounce);
    let (tx, rx) = mpsc::channel::<Update>(1024);
    let (snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    tokio::spawn(view_loop::run_view_loop(
        state,
        rx,
        snap_tx,
        metrics.clone(),
    ));
    if let Some(dir) = cfg.files.clone() {
        tokio::spawn(files_source::run_files_source(dir, cfg.rescan, tx.clone()));
    }
    let (leader_tx, leader_rx) = watch::channel(kube.is_none());
    let mut election = None;
    if let Some(client) = kube {
        let crd = cfg
            .static_cfg
            .as_ref()
            .map(|s| s.crd.clone())
            .unwrap_or_default();
        let n = kube_source::spawn_kube_source(
            client.clone(),
            &kube_source::KubeSourceConfig {
                namespaces: crd.namespaces.clone(),
                label_selector: crd.label_selector.clone(),
            },
            tx.clone(),
        );
        tracing::info!(watchers = n, "watching the Kubernetes API");
        let identity = cfg
            .lease
            .as_ref()
            .map(|l| l.identity.clone())
            .unwrap_or_else(|| "syncd".into());
        if let Some(lease) = cfg.lease.clone() {
            election = Some(tokio::spawn(leader::run_election(
                client.clone(),
                lease,
                leader_tx.clone(),
                shutdown_rx,
            )));
        }
        tokio::spawn(events::run_events(
            client,
            identity,
            snap_rx.clone(),
            leader_rx.clone(),
            metrics.clone(),
        ));
    }
    // is_leader into the metrics.
    {
        let mut rx = leader_rx.clone();
        let m = metrics.clone();
        // The sender lives as long as this task: the gauge follows it to the end.
        let _keep = leader_tx;
        tokio::spawn(async move {
            let _keep = _keep;
            loop {
                m.is_leader.set(i64::from(*rx.borrow_and_update()));
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
    }
    let app = AppState {
        snapshot: snap_rx.clone(),
        is_leader: leader_rx.clone(),
        metrics,
        gate: None,
    };
    Running {
        updates: tx,
        snapshots: snap_rx,
        is_leader: leader_rx,
        app,
        shutdown: shutdown_tx,
        election,
    }
}
