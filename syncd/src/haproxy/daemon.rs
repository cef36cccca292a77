//! The thin daemon loop: node set + runtime state → plan → runtime API → persisted config.
//! Runs a round on every node-set change, every `resync` interval (which also reconciles
//! after an HAProxy restart) and quickly again while drains are in progress.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::backends::BackendsConfig;
use super::file_source::NodeSet;
use super::membership::{Decision, desired_all};
use super::metrics::{BackendLabel, HoldLabel, Metrics};
use super::persist::{run_reload, write_checked};
use super::plan::{Finding, PlanSettings, Removals, plan};
use super::render::render;
use super::runtime::{ProcessInfo, RuntimeClient};

/// Daemon settings.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    pub backends: BackendsConfig,
    pub haproxy_cfg: PathBuf,
    pub haproxy_bin: String,
    pub client: RuntimeClient,
    /// Shell command for structural changes (`systemctl reload haproxy`); None = never reload.
    pub reload_cmd: Option<String>,
    pub min_reload_interval: Duration,
    pub resync: Duration,
    pub settings: PlanSettings,
    /// Persist membership into `haproxy_cfg`.
    pub persist: bool,
}

/// Outcome of one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundOutcome {
    pub applied: usize,
    pub waiting: bool,
}

/// Writes rendered configurations (latest wins): staged file, `haproxy -c`, rename; reloads
/// HAProxy for structural changes, at most once per `min_reload_interval`.
struct Persister {
    haproxy_bin: String,
    path: PathBuf,
    reload_cmd: Option<String>,
    min_reload_interval: Duration,
    metrics: Arc<Metrics>,
}

impl Persister {
    async fn run(self, mut rx: watch::Receiver<Option<String>>) {
        let mut reload_pending = false;
        let mut last_reload: Option<Instant> = None;
        loop {
            let due = match (reload_pending, last_reload) {
                (true, Some(t)) => Some(t + self.min_reload_interval),
                (true, None) => Some(Instant::now()),
                _ => None,
            };
            tokio::select! {
                r = rx.changed() => if r.is_err() { return },
                _ = async {
                    match due {
                        Some(d) => tokio::time::sleep_until(d.into()).await,
                        None => std::future::pending().await,
                    }
                } => {},
            }
            let text = rx.borrow_and_update().clone();
            if let Some(text) = text {
                match write_checked(&self.haproxy_bin, &self.path, &text).await {
                    Ok(w) => {
                        if w.changed {
                            tracing::info!(path = %self.path.display(), structural = w.structural, "persisted haproxy.cfg");
                        }
                        reload_pending |= w.structural;
                        if let Ok(mut e) = self.metrics.persist_error.lock() {
                            *e = None;
                        }
                    }
                    Err(e) => {
                        self.metrics.fail("persist", e.to_string());
                        tracing::error!(error = %e, "could not persist haproxy.cfg; the running HAProxy is unchanged");
                        if let Ok(mut pe) = self.metrics.persist_error.lock() {
                            *pe = Some(e.to_string());
                        }
                    }
                }
            }
            if !reload_pending {
                continue;
            }
            let Some(cmd) = &self.reload_cmd else {
                tracing::warn!(
                    "structural change written to haproxy.cfg but no --reload-cmd is set"
                );
                reload_pending = false;
                continue;
            };
            if last_reload.is_some_and(|t| t.elapsed() < self.min_reload_interval) {
                continue;
            }
            last_reload = Some(Instant::now());
            match run_reload(cmd, Duration::from_secs(30)).await {
                Ok(()) => {
                    tracing::info!(command = %cmd, "reloaded HAProxy for a structural change");
                    self.metrics.reloads.inc();
                    reload_pending = false;
                }
                Err(e) => {
                    self.metrics.fail("reload", e.to_string());
                    tracing::error!(error = %e, "reload failed; will retry");
                }
            }
        }
    }
}

/// Loop state.
pub struct Syncer {
    cfg: DaemonConfig,
    metrics: Arc<Metrics>,
    started: Instant,
    removals: Removals,
    decisions: BTreeMap<(String, String), Decision>,
    last_process: Option<ProcessInfo>,
    last_findings: Vec<Finding>,
    persist_tx: watch::Sender<Option<String>>,
    persister: Option<tokio::task::JoinHandle<()>>,
    backends_rx: Option<watch::Receiver<BackendsConfig>>,
}

impl Syncer {
    /// Create the loop state and start the persister task (needs a tokio runtime).
    pub fn new(cfg: DaemonConfig, metrics: Arc<Metrics>) -> Self {
        let (persist_tx, persist_rx) = watch::channel(None);
        let persister = cfg.persist.then(|| {
            tokio::spawn(
                Persister {
                    haproxy_bin: cfg.haproxy_bin.clone(),
                    path: cfg.haproxy_cfg.clone(),
                    reload_cmd: cfg.reload_cmd.clone(),
                    min_reload_interval: cfg.min_reload_interval,
                    metrics: metrics.clone(),
                }
                .run(persist_rx),
            )
        });
        Syncer {
            cfg,
            metrics,
            started: Instant::now(),
            removals: Removals::new(),
            decisions: BTreeMap::new(),
            last_process: None,
            last_findings: Vec::new(),
            persist_tx,
            persister,
            backends_rx: None,
        }
    }

    /// Follow changes of the backend definitions (e.g. from a watched `backends.yaml`).
    /// Changes other than server lists are structural: written, checked, reloaded.
    pub fn with_backend_updates(mut self, rx: watch::Receiver<BackendsConfig>) -> Self {
        self.backends_rx = Some(rx);
        self
    }

    fn log_decisions(&mut self, backend: &str, decisions: &[Decision]) {
        for d in decisions {
            let key = (backend.to_string(), d.node.clone());
            if self.decisions.get(&key) != Some(d) {
                match d.member {
                    Some(state) => {
                        tracing::info!(backend, node = %d.node, ?state, reason = %d.reason, "member")
                    }
                    None => {
                        tracing::info!(backend, node = %d.node, reason = %d.reason, "not a member")
                    }
                }
                self.decisions.insert(key, d.clone());
            }
        }
    }

    /// One reconcile round. Errors leave HAProxy as it is (or partially applied when a
    /// command failed midway; the next round starts again from the socket's state).
    pub async fn round(&mut self, nodes: &NodeSet) -> RoundOutcome {
        let mut outcome = RoundOutcome::default();
        // Restart detection (informational; every round reads the runtime state anyway).
        match self.cfg.client.process_info().await {
            Ok(p) => {
                if let Some(prev) = &self.last_process
                    && (prev.pid != p.pid || p.uptime_sec < prev.uptime_sec)
                {
                    tracing::warn!(old_pid = %prev.pid, new_pid = %p.pid, "HAProxy restarted or reloaded; reconciling from its runtime state");
                }
                self.last_process = Some(p);
            }
            Err(e) => {
                self.metrics.fail("runtime", e.to_string());
                tracing::error!(error = %e, "runtime API unreachable; nothing changed");
                return outcome;
            }
        }
        let runtime = match self.cfg.client.read_state().await {
            Ok(r) => r,
            Err(e) => {
                self.metrics.fail("runtime", e.to_string());
                tracing::error!(error = %e, "cannot read HAProxy state; nothing changed");
                return outcome;
            }
        };
        for def in &self.cfg.backends.backends {
            let n = runtime
                .backends
                .get(&def.name)
                .map(|b| b.len())
                .unwrap_or(0);
            self.metrics
                .backend_servers
                .get_or_create(&BackendLabel {
                    backend: def.name.clone(),
                })
                .set(n as i64);
        }
        let Some(nodes) = nodes else {
            tracing::warn!("no node data yet; keeping HAProxy as it is");
            return outcome;
        };
        let desired = match desired_all(&self.cfg.backends.backends, nodes) {
            Ok(d) => d,
            Err(e) => {
                self.metrics.fail("plan", e.to_string());
                tracing::error!(error = %e, "bad node data; HAProxy left untouched");
                return outcome;
            }
        };
        for (backend, d) in &desired {
            self.log_decisions(backend, &d.decisions);
        }
        let now = self.started.elapsed();
        let p = plan(
            &self.cfg.backends.backends,
            &desired,
            &runtime,
            &mut self.removals,
            now,
            self.cfg.settings,
        );
        for f in &p.findings {
            let (backend, reason) = match f {
                Finding::EmptyBackendKept { backend, .. } => (backend, "empty-backend"),
                Finding::RemovalLimit { backend, .. } => (backend, "removal-limit"),
                Finding::MissingBackend { backend } => (backend, "missing-backend"),
            };
            if !self.last_findings.contains(f) || reason != "missing-backend" {
                tracing::error!(backend = %backend, reason, "{f}");
            }
            self.metrics
                .safety_holds
                .get_or_create(&HoldLabel {
                    backend: backend.clone(),
                    reason: reason.into(),
                })
                .inc();
        }
        self.last_findings = p.findings.clone();
        for c in &p.changes {
            tracing::info!(backend = %c.backend, server = %c.server, change = %c.what, "applying");
        }
        for cmd in &p.commands {
            if let Err(e) = self.cfg.client.apply(cmd).await {
                self.metrics.fail("runtime", e.to_string());
                tracing::error!(error = %e, "runtime API command failed; will retry from the socket's state");
                return outcome;
            }
            outcome.applied += 1;
        }
        for c in &p.changes {
            self.metrics
                .changes_applied
                .get_or_create(&BackendLabel {
                    backend: c.backend.clone(),
                })
                .inc();
        }
        outcome.waiting = p.waiting;
        if self.cfg.persist {
            // Off the critical path: the persister writes, checks and reloads in its own task.
            self.persist_tx
                .send_replace(Some(render(&self.cfg.backends, &p.target)));
        }
        self.metrics.success();
        if let Some(f) = p.findings.first()
            && let Ok(mut e) = self.metrics.last_error.lock()
        {
            // A successful round (what could be done was done), but reported.
            *e = Some(format!("safety: {f}"));
        }
        outcome
    }

    /// Run until `shutdown` resolves.
    pub async fn run(
        mut self,
        mut nodes: watch::Receiver<NodeSet>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        loop {
            let snapshot = nodes.borrow_and_update().clone();
            let out = self.round(&snapshot).await;
            let wait = if out.waiting {
                Duration::from_millis(10)
            } else {
                self.cfg.resync
            };
            let mut defs_rx = self.backends_rx.take();
            let defs_changed = async {
                match defs_rx.as_mut() {
                    Some(rx) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = defs_changed => {
                    if changed && let Some(rx) = defs_rx.as_mut() {
                        let defs = rx.borrow_and_update().clone();
                        tracing::info!(backends = defs.backends.len(), "backend definitions changed");
                        self.cfg.backends = defs;
                    } else {
                        defs_rx = None;
                    }
                },
                r = nodes.changed() => if r.is_err() {
                    tracing::warn!("node source stopped; keeping the last node set");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {},
                        _ = &mut shutdown => break,
                    }
                },
                _ = tokio::time::sleep(wait) => {},
                _ = &mut shutdown => break,
            }
            self.backends_rx = defs_rx;
        }
        // Let the persister finish the last write.
        let Syncer {
            persist_tx,
            persister,
            ..
        } = self;
        drop(persist_tx);
        if let Some(h) = persister {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }
}
