//! The watch → gate → publish loop.
//!
//! Any filesystem event batch (debounced) and every periodic tick trigger a
//! full rescan of the inbox; the event contents are never trusted, which makes
//! the loop immune to editors' rename dances and ConfigMap `..data` swaps.
//! A scan whose newest file is younger than the settle time, or during which a
//! file changed, is retried a little later, so a file still being written is
//! not judged. A revision already judged is not judged again, but a valid one
//! is re-published if someone changed the output file behind our back.

use crate::gate::{self, Verdict};
use crate::inbox::{self, Limits, Snapshot};
use crate::metrics::Metrics;
use crate::publish::{self, Publisher};
use crate::render::{self, OUTPUT_FILE_NAME};
use crate::status::{self, Gate, State, StatusDoc};
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};
use sync_core::finding::Severity;
use sync_core::report::Report;
use sync_core::static_config::StaticConfig;
use tracing::{debug, error, info, warn};

/// Everything the loop needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The users' directory.
    pub inbox: PathBuf,
    /// Traefik's `providers.file.directory`.
    pub output: PathBuf,
    /// Traefik's static configuration, parsed.
    pub static_config: Option<StaticConfig>,
    /// Where to mirror `/status` (outside Traefik's directory).
    pub status_file: Option<PathBuf>,
    /// Warnings block publication too.
    pub strict: bool,
    /// Inbox caps.
    pub limits: Limits,
    /// Quiet time before a batch of events is delivered.
    pub debounce: Duration,
    /// Minimum age of the newest file before it is judged.
    pub settle: Duration,
    /// Rescan even without events this often.
    pub rescan_interval: Duration,
    /// Ask syncd about references to other providers before publishing.
    pub syncd: Option<crate::syncd_check::SyncdCheck>,
}

/// What the loop shares with the HTTP server.
pub struct Shared {
    /// The status document.
    pub status: RwLock<StatusDoc>,
    /// Metrics.
    pub metrics: Metrics,
    /// When the loop last finished a cycle.
    pub last_cycle: Mutex<Instant>,
    /// The periodic rescan interval (health is judged against it).
    pub rescan_interval: Duration,
}

impl Shared {
    /// Whether the loop has cycled recently enough.
    pub fn healthy(&self) -> bool {
        let last = self
            .last_cycle
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|e| *e.into_inner());
        last.elapsed() < self.rescan_interval * 3 + Duration::from_secs(10)
    }
}

/// Why the loop wakes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Something changed in the inbox.
    Changed,
    /// Shut down.
    Stop,
}

/// Watch `inbox` recursively; each debounced batch sends [`Trigger::Changed`].
/// `lost` is set when the inbox directory itself is removed (its watch dies with it).
pub fn watch(
    settings: &Settings,
    tx: Sender<Trigger>,
    lost: Arc<AtomicBool>,
) -> Result<Debouncer<RecommendedWatcher, RecommendedCache>, notify_debouncer_full::notify::Error> {
    let mut roots = vec![settings.inbox.clone()];
    roots.extend(std::path::absolute(&settings.inbox).ok());
    roots.extend(std::fs::canonicalize(&settings.inbox).ok());
    let mut debouncer = new_debouncer(settings.debounce, None, move |res: DebounceEventResult| {
        match res {
            Ok(events) => {
                // Our own reads produce open/close-without-write events: not a change.
                let changes: Vec<_> = events
                    .iter()
                    .filter(|e| !matches!(e.event.kind, EventKind::Access(_)))
                    .collect();
                if changes.is_empty() {
                    return;
                }
                if changes.iter().any(|e| {
                    matches!(e.event.kind, EventKind::Remove(_))
                        && e.event.paths.iter().any(|p| roots.contains(p))
                }) {
                    lost.store(true, Ordering::SeqCst);
                }
                debug!(events = changes.len(), "inbox changed");
            }
            Err(errors) => {
                for e in errors {
                    warn!(error = %e, "watch error; rescanning the whole inbox");
                }
                lost.store(true, Ordering::SeqCst);
            }
        }
        let _ = tx.send(Trigger::Changed);
    })?;
    debouncer.watch(&settings.inbox, RecursiveMode::Recursive)?;
    Ok(debouncer)
}

/// The inbox watch, re-established when the inbox directory is replaced or appears.
struct Watch {
    tx: Sender<Trigger>,
    lost: Arc<AtomicBool>,
    debouncer: Option<Debouncer<RecommendedWatcher, RecommendedCache>>,
    /// (device, inode) of the watched directory.
    watched: Option<(u64, u64)>,
    last_error: Option<String>,
}

impl Watch {
    fn ensure(&mut self, settings: &Settings) {
        use std::os::unix::fs::MetadataExt;
        let id = std::fs::metadata(&settings.inbox)
            .ok()
            .map(|m| (m.dev(), m.ino()));
        // (device, inode) alone is not enough: `rm -rf inbox && mkdir inbox` may reuse the inode.
        let lost = self.lost.swap(false, Ordering::SeqCst);
        if !lost && id.is_some() && id == self.watched && self.debouncer.is_some() {
            return;
        }
        // Dropping the old debouncer stops its thread.
        self.debouncer = None;
        self.watched = None;
        match watch(settings, self.tx.clone(), self.lost.clone()) {
            Ok(d) => {
                if self.last_error.take().is_some() || id.is_some() {
                    debug!(inbox = %settings.inbox.display(), "watching the inbox");
                }
                self.debouncer = Some(d);
                self.watched = id;
            }
            Err(e) => {
                let msg = e.to_string();
                if self.last_error.as_deref() != Some(msg.as_str()) {
                    warn!(inbox = %settings.inbox.display(), error = %msg, "cannot watch the inbox; relying on the periodic rescan until it can");
                }
                self.last_error = Some(msg);
            }
        }
    }
}

/// The loop's state.
pub struct Daemon {
    settings: Settings,
    shared: Arc<Shared>,
    publisher: Publisher,
    judged: Option<String>,
    accepted: Option<Vec<u8>>,
    last_inbox_error: Option<String>,
}

impl Daemon {
    /// Prepare the output directory and read what is published already.
    pub fn new(settings: Settings) -> Result<Self, publish::PublishError> {
        let publisher = Publisher::new(&settings.output, OUTPUT_FILE_NAME)?;
        let live_revision = publisher.current().as_deref().and_then(render::revision_of);
        if publisher.dir_world_writable() {
            warn!(output = %settings.output.display(), "output directory is writable by everyone; anyone could bypass the gate");
        }
        let foreign = publisher.foreign_files();
        if !foreign.is_empty() {
            warn!(output = %settings.output.display(), files = ?foreign, "Traefik's directory holds configuration files file-provider did not write; Traefik merges them with ours and they bypass the gate");
        }
        let status = StatusDoc {
            report: Report::default(),
            gate: Gate {
                state: State::Starting,
                inbox: settings.inbox.display().to_string(),
                output: publisher.target().display().to_string(),
                strict: settings.strict,
                inbox_revision: None,
                live_revision,
                live_since: None,
                last_scan: None,
                files: 0,
                errors: 0,
                warnings: 0,
                gate_millis: 0.0,
                foreign_output_files: foreign,
                message: "starting".into(),
            },
        };
        let shared = Arc::new(Shared {
            status: RwLock::new(status),
            metrics: Metrics::new(),
            last_cycle: Mutex::new(Instant::now()),
            rescan_interval: settings.rescan_interval,
        });
        Ok(Self {
            settings,
            shared,
            publisher,
            judged: None,
            accepted: None,
            last_inbox_error: None,
        })
    }

    /// The state shared with the HTTP server.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Watch the inbox (sending batches to `tx`) and run until [`Trigger::Stop`]
    /// arrives on `rx`. The watch is re-established whenever the inbox directory
    /// is replaced (or appears, when it was missing).
    pub fn run(mut self, tx: Sender<Trigger>, rx: &Receiver<Trigger>) {
        let mut watch = Watch {
            tx,
            lost: Arc::new(AtomicBool::new(false)),
            debouncer: None,
            watched: None,
            last_error: None,
        };
        watch.ensure(&self.settings);
        self.cycle();
        loop {
            // Without a working watch (inbox missing or just replaced), poll every second.
            let timeout = if watch.debouncer.is_some() {
                self.settings.rescan_interval
            } else {
                self.settings.rescan_interval.min(Duration::from_secs(1))
            };
            match rx.recv_timeout(timeout) {
                Ok(Trigger::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Trigger::Changed) => {
                    // Coalesce whatever queued up meanwhile: one rescan covers it all.
                    let mut stop = false;
                    while let Ok(t) = rx.try_recv() {
                        stop |= t == Trigger::Stop;
                    }
                    if stop {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => debug!("periodic rescan"),
            }
            watch.ensure(&self.settings);
            self.cycle();
        }
        info!("stopped");
    }

    /// Scan until the inbox is quiet (bounded), judge it, publish or keep the last good.
    pub fn cycle(&mut self) {
        let snapshot = match self.settled_scan() {
            Ok(s) => s,
            Err(e) => {
                let msg = e.to_string();
                if self.last_inbox_error.as_deref() != Some(msg.as_str()) {
                    error!(error = %msg, "cannot read the inbox; Traefik keeps serving the last publication");
                }
                self.last_inbox_error = Some(msg.clone());
                self.judged = None;
                self.shared.metrics.inbox_valid.set(0);
                self.update_status(|g| {
                    g.state = State::InboxUnreadable;
                    g.message = format!("{msg}; the last publication stays live");
                });
                self.finish_cycle();
                return;
            }
        };
        self.last_inbox_error = None;
        self.shared.metrics.scans.inc();
        if self.judged.as_deref() == Some(snapshot.revision.as_str()) {
            if let Some(bytes) = self.accepted.clone() {
                // Same inbox; make sure nobody replaced our file meanwhile.
                match self.publisher.publish(&bytes) {
                    Ok(true) => {
                        warn!(revision = %snapshot.revision, "the published file had been changed outside file-provider; restored it")
                    }
                    Ok(false) => {}
                    Err(e) => error!(error = %e, "cannot restore the published file"),
                }
                self.shared.metrics.last_success.set(status::unix_now());
            }
            self.update_status(|g| g.last_scan = Some(status::now_rfc3339()));
            self.finish_cycle();
            return;
        }
        let static_config = self.settings.static_config.clone();
        let verdict = gate::evaluate_with(
            &snapshot,
            static_config.as_ref(),
            self.settings.strict,
            self.settings.syncd.as_ref(),
        );
        self.judged = Some(snapshot.revision.clone());
        self.apply(&snapshot, verdict);
        self.finish_cycle();
    }

    fn settled_scan(&self) -> Result<Snapshot, inbox::InboxError> {
        let mut attempts = 0;
        loop {
            let snapshot = inbox::scan(&self.settings.inbox, &self.settings.limits)?;
            let young = snapshot.newest_mtime.is_some_and(|m| {
                SystemTime::now()
                    .duration_since(m)
                    .map(|age| age < self.settings.settle)
                    .unwrap_or(true)
            });
            attempts += 1;
            // Bounded: a clock skew or a file touched in a loop must not stall us.
            if !(young || snapshot.unstable) || attempts >= 20 {
                return Ok(snapshot);
            }
            debug!(attempts, "inbox is still being written; waiting");
            std::thread::sleep(self.settings.settle);
        }
    }

    fn apply(&mut self, snapshot: &Snapshot, verdict: Verdict) {
        let m = &self.shared.metrics;
        m.gate_duration.observe(verdict.elapsed.as_secs_f64());
        m.inbox_errors.set(verdict.errors as i64);
        m.inbox_warnings.set(verdict.warnings as i64);
        m.inbox_files.set(snapshot.files.len() as i64);
        let gate_millis = verdict.elapsed.as_secs_f64() * 1000.0;
        let inbox = self.settings.inbox.display().to_string();
        let (state, message, live) = match &verdict.rendered {
            Some(bytes) => match self.publisher.publish(bytes) {
                Ok(changed) => {
                    if changed {
                        m.publications.inc();
                        info!(%inbox, revision = %verdict.revision, files = verdict.files, warnings = verdict.warnings, gate_ms = format!("{gate_millis:.1}"), "published");
                    } else {
                        info!(%inbox, revision = %verdict.revision, "inbox valid; Traefik already serves it");
                    }
                    for f in &verdict.report.findings {
                        match f.severity {
                            Severity::Info => info!(%inbox, "{}", gate::describe(f)),
                            _ => warn!(%inbox, "{}", gate::describe(f)),
                        }
                    }
                    m.inbox_valid.set(1);
                    m.last_success.set(status::unix_now());
                    self.accepted = Some(bytes.clone());
                    (
                        State::Published,
                        format!("revision {} is live", verdict.revision),
                        Some(changed),
                    )
                }
                Err(e) => {
                    m.publish_failures.inc();
                    m.inbox_valid.set(0);
                    error!(error = %e, "cannot write Traefik's file; the previous publication stays live");
                    // Try again on the next cycle.
                    self.judged = None;
                    (
                        State::PublishFailed,
                        format!("writing the output failed: {e}"),
                        None,
                    )
                }
            },
            None => {
                m.rejections.inc();
                m.inbox_valid.set(0);
                self.accepted = None;
                for f in verdict.blocking(self.settings.strict) {
                    error!(%inbox, "{}", gate::describe(f));
                }
                let live = self
                    .shared
                    .status
                    .read()
                    .map(|s| s.gate.live_revision.clone())
                    .unwrap_or_default();
                let live = live.unwrap_or_else(|| "nothing".to_string());
                warn!(%inbox, revision = %verdict.revision, errors = verdict.errors, warnings = verdict.warnings, strict = self.settings.strict,
                    "inbox rejected; Traefik keeps serving {live}");
                (
                    State::Rejected,
                    format!(
                        "revision {} rejected ({} errors, {} warnings{}); Traefik keeps serving {live}",
                        verdict.revision,
                        verdict.errors,
                        verdict.warnings,
                        if self.settings.strict { ", strict" } else { "" }
                    ),
                    None,
                )
            }
        };
        let foreign = self.publisher.foreign_files();
        let report = verdict.report.clone();
        if let Ok(mut s) = self.shared.status.write() {
            s.report = report;
            let g = &mut s.gate;
            g.state = state;
            g.message = message;
            g.inbox_revision = Some(verdict.revision.clone());
            g.last_scan = Some(status::now_rfc3339());
            g.files = verdict.files;
            g.errors = verdict.errors;
            g.warnings = verdict.warnings;
            g.gate_millis = gate_millis;
            g.foreign_output_files = foreign;
            if let Some(changed) = live {
                if changed || g.live_revision.as_deref() != Some(verdict.revision.as_str()) {
                    g.live_since = Some(status::now_rfc3339());
                }
                g.live_revision = Some(verdict.revision.clone());
            }
        }
        self.write_status_file();
    }

    fn update_status(&self, f: impl FnOnce(&mut Gate)) {
        if let Ok(mut s) = self.shared.status.write() {
            f(&mut s.gate);
        }
        self.write_status_file();
    }

    fn write_status_file(&self) {
        let Some(path) = &self.settings.status_file else {
            return;
        };
        let doc = match self.shared.status.read() {
            Ok(s) => serde_json::to_vec_pretty(&*s),
            Err(_) => return,
        };
        match doc {
            Ok(mut bytes) => {
                bytes.push(b'\n');
                if let Err(e) = publish::write_atomic(path, &bytes) {
                    warn!(error = %e, "cannot write the status file");
                }
            }
            Err(e) => warn!(error = %e, "cannot serialize the status"),
        }
    }

    fn finish_cycle(&self) {
        if let Ok(mut t) = self.shared.last_cycle.lock() {
            *t = Instant::now();
        }
    }
}
