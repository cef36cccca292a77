//! The merged-view loop: a small explicit state machine fed by the sources.
//!
//! Sources send [`Update`]s on one channel. The loop is either `Idle` or
//! `Pending` (a change arrived, a recompute is due at a deadline); changes that
//! arrive while pending join the same recompute, so a burst (a re-list of 500
//! objects, a `kubectl apply -f dir/`) costs one validation. The deadline is set
//! by the first change and not pushed back by later ones: a steady trickle of
//! changes still gets a fresh report every `debounce`.
//!
//! Only the changed source is decoded again: the files source sends its
//! decoded provider, and [`crate::view::CrdObjects`] caches its decode until
//! the object set changes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sync_core::provider::ProviderConfig;
use sync_core::static_config::StaticConfig;
use tokio::sync::{mpsc, watch};

use super::metrics::Metrics;
use crate::view::{CrdChange, CrdObjects, Snapshot, SourceHealth, ViewInputs};

/// Source names used in [`SourceHealth::name`].
pub mod source {
    /// The Kubernetes API (CRDs, Services, Secrets).
    pub const KUBERNETES: &str = "kubernetes";
    /// The file provider's directory.
    pub const FILES: &str = "files";
    /// Consul KV (live prefix).
    pub const CONSUL: &str = "consul";
}

/// A message from a source to the view loop.
#[derive(Debug)]
pub enum Update {
    /// One Kubernetes object created, updated or deleted.
    Crd(CrdChange),
    /// A watcher's complete (re-)list of one kind, in one namespace or all.
    CrdRelist {
        /// The kind listed.
        kind: String,
        /// The namespace listed (`None`: all namespaces).
        namespace: Option<String>,
        /// Every object of that kind there.
        objects: Vec<Value>,
    },
    /// The file provider, decoded from a fresh read of the directory.
    Files {
        /// The decoded provider.
        provider: Box<ProviderConfig>,
        /// Files read.
        files: usize,
    },
    /// The Consul KV provider (live prefix), decoded. For the Consul source
    /// the integrator wires in.
    Consul {
        /// The decoded provider.
        provider: Box<ProviderConfig>,
        /// Keys read.
        keys: usize,
    },
    /// A source's health changed.
    Health {
        /// Source name ([`source`]).
        source: String,
        /// Whether its last read succeeded.
        healthy: bool,
        /// Whether its first complete read finished.
        synced: bool,
        /// What is wrong or what is watched.
        detail: String,
    },
}

/// Where the loop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Nothing changed since the last snapshot.
    Idle,
    /// A change arrived; the next snapshot is due at this instant.
    Pending(Instant),
}

/// The state the loop owns: inputs, sources' health, and the debounce phase.
pub struct ViewState {
    inputs: ViewInputs,
    health: BTreeMap<String, SourceHealth>,
    phase: Phase,
    debounce: Duration,
    generation: u64,
}

/// Time split of one recomputation.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecomputeCost {
    /// Decoding the CRD set (zero when cached).
    pub decode: Duration,
    /// Merge and validation of every provider.
    pub validate: Duration,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl ViewState {
    /// A view over the enabled sources (`enabled` names from [`source`]); each
    /// starts unhealthy and not synced.
    pub fn new(static_cfg: Option<StaticConfig>, enabled: &[&str], debounce: Duration) -> Self {
        let mut inputs = ViewInputs {
            static_cfg,
            ..ViewInputs::default()
        };
        let mut health = BTreeMap::new();
        for name in enabled {
            match *name {
                source::KUBERNETES => inputs.crd = Some(CrdObjects::default()),
                source::FILES => inputs.files = Some(ProviderConfig::empty("file")),
                source::CONSUL => inputs.consul = Some(ProviderConfig::empty("consul")),
                _ => {}
            }
            health.insert(
                name.to_string(),
                SourceHealth {
                    name: name.to_string(),
                    healthy: false,
                    synced: false,
                    detail: "starting".into(),
                    last_change_unix: None,
                    objects: 0,
                },
            );
        }
        Self {
            inputs,
            health,
            phase: Phase::Idle,
            debounce,
            generation: 0,
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The inputs.
    pub fn inputs(&self) -> &ViewInputs {
        &self.inputs
    }

    fn touched(&mut self, source: &str, objects: usize) {
        if let Some(h) = self.health.get_mut(source) {
            h.last_change_unix = Some(now_unix());
            h.objects = objects;
        }
    }

    /// Apply one update; a change (or a health change) moves `Idle` to `Pending`.
    /// Returns whether anything changed.
    pub fn apply(&mut self, update: Update, now: Instant) -> bool {
        let changed = match update {
            Update::Crd(change) => {
                let crd = self.inputs.crd.get_or_insert_with(CrdObjects::default);
                let changed = crd.apply(&change);
                let n = crd.len();
                if changed {
                    self.touched(source::KUBERNETES, n);
                }
                changed
            }
            Update::CrdRelist {
                kind,
                namespace,
                objects,
            } => {
                let crd = self.inputs.crd.get_or_insert_with(CrdObjects::default);
                let changed = crd.replace_kind(&kind, namespace.as_deref(), objects);
                let n = crd.len();
                if changed {
                    self.touched(source::KUBERNETES, n);
                }
                changed
            }
            Update::Files { provider, files } => {
                self.inputs.files = Some(*provider);
                self.touched(source::FILES, files);
                true
            }
            Update::Consul { provider, keys } => {
                self.inputs.consul = Some(*provider);
                self.touched(source::CONSUL, keys);
                true
            }
            Update::Health {
                source,
                healthy,
                synced,
                detail,
            } => {
                let h = self
                    .health
                    .entry(source.clone())
                    .or_insert_with(|| SourceHealth {
                        name: source,
                        healthy: false,
                        synced: false,
                        detail: String::new(),
                        last_change_unix: None,
                        objects: 0,
                    });
                let changed = h.healthy != healthy || h.synced != synced || h.detail != detail;
                h.healthy = healthy;
                h.synced = synced;
                h.detail = detail;
                changed
            }
        };
        if changed && self.phase == Phase::Idle {
            self.phase = Phase::Pending(now + self.debounce);
        }
        changed
    }

    /// Compute the next snapshot and go back to `Idle`.
    pub fn recompute(&mut self) -> (Snapshot, RecomputeCost) {
        let opts = self.inputs.crd_options();
        let t0 = Instant::now();
        if let Some(crd) = &self.inputs.crd {
            crd.decode_shared(&opts);
        }
        let decode = t0.elapsed();
        let t1 = Instant::now();
        let report = self.inputs.report();
        let validate = t1.elapsed();
        self.generation += 1;
        self.phase = Phase::Idle;
        let snap = Snapshot {
            inputs: self.inputs.clone(),
            report: Arc::new(report),
            sources: self.health.values().cloned().collect(),
            generation: self.generation,
            computed_at_unix: now_unix(),
        };
        (snap, RecomputeCost { decode, validate })
    }
}

/// Run the loop until every sender is gone: apply updates, recompute when due,
/// publish each snapshot on `tx` and into `metrics`.
pub async fn run_view_loop(
    mut state: ViewState,
    mut rx: mpsc::Receiver<Update>,
    tx: watch::Sender<Arc<Snapshot>>,
    metrics: Arc<Metrics>,
) {
    loop {
        let deadline = match state.phase() {
            Phase::Idle => None,
            Phase::Pending(d) => Some(d),
        };
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(update) => { state.apply(update, Instant::now()); }
                None => return,
            },
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d.into()).await,
                    None => std::future::pending().await,
                }
            } => {
                // Validation of a large view takes a while: keep the other tasks moving.
                let (snap, cost) = tokio::task::block_in_place(|| state.recompute());
                let total = cost.decode + cost.validate;
                metrics.recompute_seconds.observe(total.as_secs_f64());
                metrics.observe(&snap);
                tracing::info!(
                    generation = snap.generation,
                    decode_ms = cost.decode.as_millis() as u64,
                    validate_ms = cost.validate.as_millis() as u64,
                    errors = snap.report.has_errors(),
                    "view recomputed"
                );
                tx.send_replace(Arc::new(snap));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn route(name: &str, host: &str) -> Value {
        json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
               "metadata": {"name": name, "namespace": "default"},
               "spec": {"routes": [{"match": format!("Host(`{host}`)"), "kind": "Rule",
                                    "services": [{"name": "whoami", "port": 80}]}]}})
    }

    fn service() -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "whoami", "namespace": "default"},
               "spec": {"ports": [{"port": 80}], "clusterIP": "10.0.0.1"}})
    }

    fn health(synced: bool) -> Update {
        Update::Health {
            source: source::KUBERNETES.into(),
            healthy: true,
            synced,
            detail: "ok".into(),
        }
    }

    #[test]
    fn changes_move_idle_to_pending_and_a_recompute_back_to_idle() {
        let mut s = ViewState::new(None, &[source::KUBERNETES], Duration::from_millis(100));
        let t0 = Instant::now();
        assert_eq!(s.phase(), Phase::Idle);
        assert!(s.apply(Update::Crd(CrdChange::Apply(service())), t0));
        assert_eq!(s.phase(), Phase::Pending(t0 + Duration::from_millis(100)));
        // A later change joins the same recompute: the deadline does not move.
        assert!(s.apply(
            Update::Crd(CrdChange::Apply(route("a", "a.example"))),
            t0 + Duration::from_millis(50)
        ));
        assert_eq!(s.phase(), Phase::Pending(t0 + Duration::from_millis(100)));
        let (snap, _) = s.recompute();
        assert_eq!(s.phase(), Phase::Idle);
        assert_eq!(snap.generation, 1);
        assert_eq!(snap.report.http.routers.len(), 1, "{:?}", snap.report.http);
        // The same object again (a re-list): nothing changed, no recompute.
        assert!(!s.apply(Update::Crd(CrdChange::Apply(route("a", "a.example"))), t0));
        assert_eq!(s.phase(), Phase::Idle);
        // Health: only a real change counts.
        assert!(s.apply(health(true), t0));
        s.recompute();
        assert!(!s.apply(health(true), t0));
        assert_eq!(s.phase(), Phase::Idle);
    }

    #[test]
    fn a_relist_replaces_one_kind_and_readiness_follows_health() {
        let mut s = ViewState::new(None, &[source::KUBERNETES], Duration::ZERO);
        let now = Instant::now();
        s.apply(Update::Crd(CrdChange::Apply(service())), now);
        s.apply(Update::Crd(CrdChange::Apply(route("a", "a.example"))), now);
        let (snap, _) = s.recompute();
        assert!(!snap.sources[0].synced);
        s.apply(
            Update::CrdRelist {
                kind: "IngressRoute".into(),
                namespace: None,
                objects: vec![route("b", "b.example")],
            },
            now,
        );
        s.apply(health(true), now);
        let (snap, _) = s.recompute();
        let crd = snap.inputs.crd.as_ref().map(|c| c.len());
        assert_eq!(crd, Some(2), "Service kept, IngressRoute a replaced by b");
        assert!(snap.sources[0].synced && snap.sources[0].healthy);
        assert!(snap.sources[0].last_change_unix.is_some());
    }

    #[test]
    fn another_source_changing_does_not_decode_the_crds_again() {
        let mut s = ViewState::new(None, &[source::KUBERNETES, source::FILES], Duration::ZERO);
        let now = Instant::now();
        s.apply(Update::Crd(CrdChange::Apply(route("a", "a.example"))), now);
        s.recompute();
        let opts = s.inputs().crd_options();
        assert!(s.inputs().crd.as_ref().is_some_and(|c| c.is_decoded(&opts)));
        s.apply(
            Update::Files {
                provider: Box::new(ProviderConfig::empty("file")),
                files: 0,
            },
            now,
        );
        assert!(
            s.inputs().crd.as_ref().is_some_and(|c| c.is_decoded(&opts)),
            "a file change keeps the CRD decode"
        );
        s.apply(Update::Crd(CrdChange::Apply(route("b", "b.example"))), now);
        assert!(!s.inputs().crd.as_ref().is_some_and(|c| c.is_decoded(&opts)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_changes_costs_one_recompute() {
        let state = ViewState::new(None, &[source::KUBERNETES], Duration::from_millis(100));
        let (tx, rx) = mpsc::channel(1024);
        let (snap_tx, mut snap_rx) = watch::channel(Arc::new(Snapshot::default()));
        let task = tokio::spawn(run_view_loop(state, rx, snap_tx, Arc::new(Metrics::new())));
        for i in 0..100 {
            let sent = tx
                .send(Update::Crd(CrdChange::Apply(route(
                    &format!("r{i}"),
                    &format!("h{i}.example"),
                ))))
                .await;
            assert!(sent.is_ok());
        }
        let changed = tokio::time::timeout(Duration::from_secs(5), snap_rx.changed()).await;
        assert!(matches!(changed, Ok(Ok(()))));
        let snap = snap_rx.borrow_and_update().clone();
        assert_eq!(snap.generation, 1);
        assert_eq!(snap.inputs.crd.as_ref().map(CrdObjects::len), Some(100));
        drop(tx);
        let ended = tokio::time::timeout(Duration::from_secs(5), task).await;
        assert!(ended.is_ok(), "the loop ends when every source is gone");
    }
}
