//! The gate's I/O: two blocking watches (staging and live), the state
//! machine, and the writes (promotion transactions, status and ownership
//! keys). Also the Consul source of the merged view: the live watch feeds it.
//!
//! Only the leader writes, and it checks leadership again before every
//! transaction, so a replica that loses the Lease stops between two batches.

use super::machine::{Action, Input, Machine, Mode};
use super::ownership::Ownership;
use super::verdict::{PromotedSummary, StatusDoc, StatusItem, evaluate, rfc3339};
use crate::consul::{ConsulClient, ConsulError, KvEntry, KvList, TxnOp};
use crate::daemon::view_loop::Update;
use crate::view::Snapshot;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use sync_core::decode::consul_kv::{KvPair, decode_provider};
use sync_core::promote::{KvOp, LiveEntry, PlanInput, plan};
use tokio::sync::{mpsc, watch};

/// What the gate is told.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// The prefix operators edit (`traefik-staging/`).
    pub staging_prefix: String,
    /// The prefix Traefik reads (`traefik/`).
    pub live_prefix: String,
    /// Where the verdict of the last staging revision is written (JSON).
    pub status_key: String,
    /// Where the record of what the gate wrote is kept.
    pub state_key: String,
    /// Promote, or only audit live.
    pub mode: Mode,
    /// Quiescence: silence needed after the last edit.
    pub quiet_min: Duration,
    /// Quiescence: longest wait after the first edit of a burst.
    pub quiet_max: Duration,
    /// Overwrite live keys edited behind the gate's back (off: report them).
    pub overwrite_conflicts: bool,
}

/// What the gate reports to the rest of the daemon.
#[derive(Debug, Clone, Default)]
pub struct GateReport {
    /// The last status document (also written to the status key by the leader).
    pub last: Option<StatusDoc>,
    /// Promotions applied since start.
    pub promotions: u64,
    /// Revisions rejected since start.
    pub rejections: u64,
}

/// Strip a prefix, keeping relative keys (`http/routers/a/rule`).
fn relative<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    key.strip_prefix(prefix).filter(|k| !k.is_empty())
}

fn root_of(prefix: &str) -> &str {
    prefix.trim_end_matches('/')
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn pairs(entries: &[KvEntry]) -> Vec<KvPair> {
    entries.iter().map(KvEntry::to_kv_pair).collect()
}

/// The gate's working state between runs (also driven once by
/// `syncctl consul promote`).
pub struct Gate {
    client: ConsulClient,
    cfg: GateConfig,
    staging: Option<(u64, Vec<KvEntry>)>,
    /// The live prefix as the watch last read it (audit mode judges it).
    live: Option<Arc<KvList>>,
    ownership: Option<Ownership>,
    report: watch::Sender<GateReport>,
    leader: watch::Receiver<bool>,
    // Operations per transaction: Consul 1.14+ allows 128, older servers 64;
    // lowered on the first "too many operations" answer.
    max_ops: usize,
}

/// Consul's per-transaction limit before 1.14.
const OLD_MAX_TXN_OPS: usize = 64;

impl Gate {
    /// A gate writing through `client`; `leader` is checked before every transaction.
    pub fn new(
        client: ConsulClient,
        cfg: GateConfig,
        leader: watch::Receiver<bool>,
        report: watch::Sender<GateReport>,
    ) -> Self {
        Self {
            client,
            cfg,
            staging: None,
            live: None,
            ownership: None,
            report,
            leader,
            max_ops: ConsulClient::MAX_TXN_OPS,
        }
    }

    /// Read the staging prefix now (instead of from a watch).
    pub async fn read_staging(&mut self) -> Result<(), ConsulError> {
        let list = self.client.list(&self.cfg.staging_prefix, None).await?;
        self.staging = Some((list.index, list.pairs));
        Ok(())
    }

    /// Judge staging and plan the promotion without writing anything.
    pub async fn dry_run(
        &mut self,
        snapshot: &Snapshot,
    ) -> Result<
        (
            super::verdict::Evaluation,
            Option<sync_core::promote::PromotionPlan>,
        ),
        ConsulError,
    > {
        let (index, entries) = self.staging.clone().unwrap_or_default();
        let eval = self.evaluate_staging(snapshot, index, &entries);
        if !eval.accepted() {
            return Ok((eval, None));
        }
        let input = self.plan_input(self.relative_staging(&entries)).await?;
        Ok((eval, Some(plan(&input))))
    }

    fn evaluate_staging(
        &self,
        snapshot: &Snapshot,
        index: u64,
        entries: &[KvEntry],
    ) -> super::verdict::Evaluation {
        evaluate(
            &snapshot.inputs,
            &snapshot.report,
            &pairs(entries),
            root_of(&self.cfg.staging_prefix),
            index,
        )
    }

    fn relative_staging(&self, entries: &[KvEntry]) -> BTreeMap<String, Vec<u8>> {
        entries
            .iter()
            .filter_map(|e| {
                Some((
                    relative(&e.key, &self.cfg.staging_prefix)?.to_string(),
                    e.value.clone(),
                ))
            })
            .collect()
    }

    async fn plan_input(
        &mut self,
        staging: BTreeMap<String, Vec<u8>>,
    ) -> Result<PlanInput, ConsulError> {
        let owned = self.ownership().await?;
        let live = self.client.list(&self.cfg.live_prefix, None).await?;
        let live: BTreeMap<String, LiveEntry> = live
            .pairs
            .iter()
            .filter_map(|e| {
                Some((
                    relative(&e.key, &self.cfg.live_prefix)?.to_string(),
                    LiveEntry {
                        value: e.value.clone(),
                        modify_index: e.modify_index,
                    },
                ))
            })
            .collect();
        Ok(PlanInput {
            staging,
            live,
            owned: owned.entries.keys().cloned().collect(),
            previous: owned.entries,
            max_ops: self.max_ops,
            overwrite_conflicts: self.cfg.overwrite_conflicts,
        })
    }

    /// Judge the current staging revision, promote it when accepted and
    /// `promote`, write the status key when `write_status`; returns the status.
    pub async fn run_once(
        &mut self,
        snapshot: &Snapshot,
        promote: bool,
        write_status: bool,
    ) -> Option<StatusDoc> {
        let doc = match self.cfg.mode {
            Mode::Audit => self.audit(snapshot).await,
            Mode::Promote => self.judge(snapshot, promote).await,
        };
        let doc = doc?;
        if self.repeats_last(&doc) {
            return Some(doc);
        }
        tracing::info!(verdict = %doc.verdict, staging_index = doc.staging_index, "{}", doc.summary);
        for e in &doc.errors {
            tracing::warn!(key = ?e.key, object = ?e.object, code = %e.code, "{}", e.message);
        }
        if write_status {
            let body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
            if let Err(e) = self.client.put(&self.cfg.status_key, &body, None).await {
                tracing::warn!(key = %self.cfg.status_key, "could not write the gate's status key: {e}");
            }
        }
        self.report.send_modify(|r| {
            match doc.verdict.as_str() {
                "promoted" => r.promotions += 1,
                "rejected" => r.rejections += 1,
                _ => {}
            }
            r.last = Some(doc.clone());
        });
        Some(doc)
    }

    /// A re-run that found nothing new (typically the view changing because
    /// of the gate's own promotion) must not replace the status a person is
    /// reading, e.g. `promoted` by `unchanged`.
    fn repeats_last(&self, doc: &StatusDoc) -> bool {
        let report = self.report.borrow();
        let Some(last) = &report.last else {
            return false;
        };
        let same_revision = last.staging_index == doc.staging_index;
        let quiet_rerun =
            doc.verdict == "unchanged" && matches!(last.verdict.as_str(), "promoted" | "unchanged");
        let same_verdict = last.verdict == doc.verdict
            && last.errors == doc.errors
            && last.warnings == doc.warnings;
        same_revision && (quiet_rerun || same_verdict)
    }

    async fn audit(&mut self, snapshot: &Snapshot) -> Option<StatusDoc> {
        // The live watch already holds the content (and reports outages).
        let live = self.live.clone()?;
        let eval = evaluate(
            &snapshot.inputs,
            &snapshot.report,
            &pairs(&live.pairs),
            root_of(&self.cfg.live_prefix),
            live.index,
        );
        let verdict = if eval.accepted() { "audit" } else { "rejected" };
        Some(doc_from(
            verdict,
            &eval,
            format!(
                "audit of {}: {} error(s), {} warning(s); nothing is promoted in audit mode",
                self.cfg.live_prefix,
                eval.blocking.len(),
                eval.warnings.len()
            ),
        ))
    }

    async fn judge(&mut self, snapshot: &Snapshot, promote: bool) -> Option<StatusDoc> {
        let (index, entries) = self.staging.clone()?;
        let eval = self.evaluate_staging(snapshot, index, &entries);
        if !eval.accepted() {
            let summary = format!(
                "staging revision {index} NOT promoted: {} error(s); live is unchanged and Traefik keeps serving it",
                eval.blocking.len()
            );
            return Some(doc_from("rejected", &eval, summary));
        }
        if !promote {
            return Some(doc_from(
                "accepted",
                &eval,
                format!("staging revision {index} is valid (this replica does not promote)"),
            ));
        }
        let staging = self.relative_staging(&entries);
        let empty = traefik_skips_as_empty(&staging);
        let mut outcome = self.promote(staging.clone()).await;
        if let Err(PromoteError::Consul(ConsulError::TooManyTxnOps { .. })) = &outcome
            && self.max_ops > OLD_MAX_TXN_OPS
        {
            // A pre-1.14 server: plan again in smaller transactions. Batches
            // already applied equal staging, so the new plan skips them.
            tracing::warn!(
                "Consul refused {} operations in one transaction: using {OLD_MAX_TXN_OPS} from now on",
                self.max_ops
            );
            self.max_ops = OLD_MAX_TXN_OPS;
            outcome = self.promote(staging).await;
        }
        match outcome {
            Ok((summary, promoted)) => {
                let mut doc = doc_from(
                    if promoted.is_some() {
                        "promoted"
                    } else {
                        "unchanged"
                    },
                    &eval,
                    summary,
                );
                doc.promoted = promoted;
                if empty {
                    doc.warnings.push(empty_warning(&self.cfg.live_prefix));
                }
                Some(doc)
            }
            Err(PromoteError::Conflict(text, items)) => {
                let mut doc = doc_from("conflict", &eval, text);
                doc.errors.extend(items);
                Some(doc)
            }
            Err(PromoteError::Consul(e)) => Some(error_doc(index, &e)),
            Err(PromoteError::LostLeadership) => None,
        }
    }

    async fn ownership(&mut self) -> Result<Ownership, ConsulError> {
        if let Some(o) = &self.ownership {
            return Ok(o.clone());
        }
        let stored = self.client.get(&self.cfg.state_key).await?;
        let o = match stored {
            None => Ownership::default(),
            Some(e) => match Ownership::parse(&e.value, &self.cfg.live_prefix) {
                Ok(o) => o,
                Err(err) => return Err(ConsulError::Config(err.to_string())),
            },
        };
        self.ownership = Some(o.clone());
        Ok(o)
    }

    async fn promote(
        &mut self,
        staging: BTreeMap<String, Vec<u8>>,
    ) -> Result<(String, Option<PromotedSummary>), PromoteError> {
        let owned = self.ownership().await.map_err(PromoteError::Consul)?;
        let input = self
            .plan_input(staging)
            .await
            .map_err(PromoteError::Consul)?;
        let p = plan(&input);
        if p.is_blocked() {
            // Each conflicting key also goes into `errors`, so the status
            // document names the live keys like it names staging typos.
            let items = p
                .conflicts
                .iter()
                .map(|c| conflict_item(&self.cfg.live_prefix, c))
                .collect();
            return Err(PromoteError::Conflict(
                format!(
                    "NOT promoted: live was edited behind the gate's back; copy those edits into staging (or delete them from live), then save staging again.\n{}",
                    p.summary()
                ),
                items,
            ));
        }
        if p.is_noop() {
            self.record(&owned, &p.owned_after, &input.live, &BTreeMap::new())
                .await?;
            return Ok(("live already equals staging".to_string(), None));
        }
        let mut written: BTreeMap<String, u64> = BTreeMap::new();
        for batch in &p.batches {
            if !self.leader_now() {
                tracing::warn!(
                    "leadership lost during a promotion: stopping before the next transaction"
                );
                return Err(PromoteError::LostLeadership);
            }
            let ops: Vec<TxnOp> = batch.iter().map(|op| self.txn_op(op)).collect();
            let results = self.client.txn(&ops).await.map_err(|e| match e {
                // Consul reports a token lacking key:write as a rolled-back
                // transaction (409), not a 403: that is a configuration error
                // to fix in the token's policy, not a race to retry.
                ConsulError::TxnRolledBack { errors } if errors.iter().any(|(_, why)| why.starts_with("Permission denied")) => {
                    PromoteError::Consul(ConsulError::PermissionDenied {
                        method: "PUT".to_string(),
                        path: "/v1/txn".to_string(),
                        body: errors.iter().map(|(i, why)| format!("operation {i}: {why}")).collect::<Vec<_>>().join("; "),
                    })
                }
                ConsulError::TxnRolledBack { .. } => PromoteError::Conflict(
                    format!("NOT promoted: live changed while promoting ({e}); the gate tries again at the next change"),
                    Vec::new(),
                ),
                other => PromoteError::Consul(other),
            })?;
            for r in results {
                if let Some(rel) = relative(&r.key, &self.cfg.live_prefix) {
                    written.insert(rel.to_string(), r.modify_index);
                }
            }
        }
        self.record(
            &owned,
            &p.owned_after,
            &input.live,
            &p.sets
                .iter()
                .map(|(k, v)| (k.clone(), (v.clone(), written.get(k).copied().unwrap_or(0))))
                .collect(),
        )
        .await?;
        let summary = PromotedSummary {
            set: p.sets.len(),
            deleted: p.deletes.len(),
            transactions: p.batches.len(),
        };
        Ok((
            format!(
                "promoted: {}",
                p.summary().lines().next().unwrap_or_default()
            ),
            Some(summary),
        ))
    }

    /// Persist what the gate owns now: written keys with their new index,
    /// untouched owned keys with what live holds.
    async fn record(
        &mut self,
        before: &Ownership,
        owned_after: &std::collections::BTreeSet<String>,
        live: &BTreeMap<String, LiveEntry>,
        written: &BTreeMap<String, (Vec<u8>, u64)>,
    ) -> Result<(), PromoteError> {
        let mut next = Ownership::default();
        for key in owned_after {
            let entry = match written.get(key) {
                Some((value, index)) => LiveEntry {
                    value: value.clone(),
                    modify_index: *index,
                },
                None => match live.get(key).or_else(|| before.entries.get(key)) {
                    Some(e) => e.clone(),
                    None => continue,
                },
            };
            next.entries.insert(key.clone(), entry);
        }
        if Some(&next) != self.ownership.as_ref() {
            let body = next.to_json(&self.cfg.live_prefix);
            self.client
                .put(&self.cfg.state_key, &body, None)
                .await
                .map_err(PromoteError::Consul)?;
        }
        self.ownership = Some(next);
        Ok(())
    }

    fn txn_op(&self, op: &KvOp) -> TxnOp {
        let full = |k: &str| format!("{}{}", self.cfg.live_prefix, k);
        match op {
            KvOp::Set {
                key,
                value,
                cas: Some(index),
            } => TxnOp::Cas {
                key: full(key),
                value: value.clone(),
                index: *index,
            },
            KvOp::Set {
                key,
                value,
                cas: None,
            } => TxnOp::Set {
                key: full(key),
                value: value.clone(),
            },
            KvOp::Delete {
                key,
                cas: Some(index),
            } => TxnOp::DeleteCas {
                key: full(key),
                index: *index,
            },
            KvOp::Delete { key, cas: None } => TxnOp::Delete { key: full(key) },
        }
    }

    fn leader_now(&self) -> bool {
        *self.leader.borrow()
    }
}

enum PromoteError {
    Conflict(String, Vec<StatusItem>),
    Consul(ConsulError),
    LostLeadership,
}

/// Whether Traefik would read these keys as an empty configuration, which it
/// skips, keeping the previous one (pkg/server/configurationwatcher.go,
/// isEmptyConfiguration): no router, service, middleware or TLS section.
fn traefik_skips_as_empty(keys: &BTreeMap<String, Vec<u8>>) -> bool {
    const SECTIONS: [&str; 11] = [
        "http/routers/",
        "http/services/",
        "http/middlewares/",
        "tcp/routers/",
        "tcp/services/",
        "tcp/middlewares/",
        "udp/routers/",
        "udp/services/",
        "tls/certificates/",
        "tls/stores/",
        "tls/options/",
    ];
    !keys.keys().any(|k| {
        let k = k.to_ascii_lowercase();
        SECTIONS.iter().any(|s| k.starts_with(s))
    })
}

fn empty_warning(live_prefix: &str) -> StatusItem {
    StatusItem {
        key: Some(live_prefix.to_string()),
        object: None,
        code: "consul-empty-configuration".to_string(),
        message: "live now holds no router, service, middleware or TLS configuration: Traefik skips an empty provider configuration and keeps serving the previous Consul routers".to_string(),
        help: Some("to stop serving Consul routes, keep at least one object in staging (or disable the consul provider)".to_string()),
    }
}

fn conflict_item(live_prefix: &str, c: &sync_core::promote::Conflict) -> StatusItem {
    use sync_core::promote::ConflictKind;
    let show = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    let message = match &c.kind {
        ConflictKind::EditedLive { promoted, live } => format!(
            "edited in live since the gate wrote it (gate wrote {:?}, live holds {:?})",
            show(promoted),
            show(live)
        ),
        ConflictKind::DeletedLive { promoted } => {
            format!(
                "deleted from live since the gate wrote it (gate wrote {:?})",
                show(promoted)
            )
        }
        ConflictKind::NotOwned { live } => {
            format!(
                "exists in live but was not written by the gate (live holds {:?})",
                show(live)
            )
        }
    };
    StatusItem {
        key: Some(format!("{live_prefix}{}", c.key)),
        object: None,
        code: "consul-live-conflict".to_string(),
        message,
        help: Some(
            "copy the live edit into staging (or undo it in live), or run syncd with --consul-overwrite-conflicts to overwrite it".to_string(),
        ),
    }
}

fn doc_from(verdict: &str, eval: &super::verdict::Evaluation, summary: String) -> StatusDoc {
    StatusDoc {
        verdict: verdict.to_string(),
        summary,
        staging_index: eval.revision,
        checked_at: rfc3339(now_unix()),
        errors: eval.blocking.iter().map(StatusItem::from).collect(),
        warnings: eval.warnings.iter().map(StatusItem::from).collect(),
        promoted: None,
    }
}

fn error_doc(index: u64, e: &ConsulError) -> StatusDoc {
    StatusDoc {
        verdict: "error".to_string(),
        summary: format!("the gate could not talk to Consul: {e}"),
        staging_index: index,
        checked_at: rfc3339(now_unix()),
        errors: Vec::new(),
        warnings: Vec::new(),
        promoted: None,
    }
}

/// Run the gate until `shutdown` turns true.
///
/// `staging` and `live` carry the watched prefixes' content (see
/// [`crate::consul::PrefixWatch`]); the live content is also decoded and
/// sent to the view loop as its Consul source.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    client: ConsulClient,
    cfg: GateConfig,
    mut staging: watch::Receiver<Option<Arc<KvList>>>,
    mut live: watch::Receiver<Option<Arc<KvList>>>,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    mut leader: watch::Receiver<bool>,
    report: watch::Sender<GateReport>,
    updates: mpsc::Sender<Update>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut machine = Machine::new(cfg.mode, cfg.quiet_min, cfg.quiet_max);
    let live_root = root_of(&cfg.live_prefix).to_string();
    let mut gate = Gate::new(client, cfg, leader.clone(), report);
    let mut retry = Retry::default();
    let mut staging_open = true;
    let mut pending = machine.step(Input::Leader(*leader.borrow()), Instant::now());
    loop {
        if let Some(Action::Run {
            promote,
            write_status,
        }) = pending.take()
        {
            let snap = snapshots.borrow().clone();
            let doc = gate.run_once(&snap, promote, write_status).await;
            retry.after(doc.as_ref().map(|d| d.verdict.as_str()));
            pending = machine.step(Input::Done, Instant::now());
            continue;
        }
        let wake = match (machine.wake_at(), retry.at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep_until = wake
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        let input = tokio::select! {
            _ = shutdown.changed() => {
                if *shutdown.borrow() { return; }
                continue;
            }
            // In audit mode nobody sends on `staging`: its closed channel
            // must not end the loop.
            r = staging.changed(), if staging_open => {
                if r.is_err() { staging_open = false; continue; }
                let s = staging.borrow_and_update().clone();
                gate.staging = s.map(|s| (s.index, s.pairs.clone()));
                Input::SourceChanged
            }
            r = live.changed() => {
                if r.is_err() { return; }
                let l = live.borrow_and_update().clone();
                gate.live = l.clone();
                if let Some(l) = l {
                    let provider = decode_provider(&pairs(&l.pairs), &live_root);
                    let update = Update::Consul { provider: Box::new(provider), keys: l.pairs.len() };
                    if updates.send(update).await.is_err() { return; }
                }
                if gate.cfg.mode == Mode::Audit { Input::SourceChanged } else { Input::LiveChanged }
            }
            r = snapshots.changed() => {
                if r.is_err() { return; }
                snapshots.borrow_and_update();
                // Only other providers' changes matter; the gate's own live
                // writes come back through the live watch.
                Input::ViewChanged
            }
            r = leader.changed() => {
                if r.is_err() { return; }
                let l = *leader.borrow_and_update();
                if !l { gate.ownership = None; }
                Input::Leader(l)
            }
            _ = tokio::time::sleep_until(sleep_until) => {
                if retry.at.is_some_and(|t| Instant::now() >= t) {
                    retry.at = None;
                    Input::SourceChanged
                } else {
                    Input::Tick
                }
            }
        };
        pending = machine.step(input, Instant::now());
    }
}

/// A run that failed on Consul itself (outage, 5xx) is retried with capped
/// exponential backoff: the staging content did not change, so no watch
/// event would ever trigger it again, and the edit would be lost.
#[derive(Debug, Default)]
struct Retry {
    at: Option<Instant>,
    delay: Duration,
}

impl Retry {
    const FIRST: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(30);

    fn after(&mut self, verdict: Option<&str>) {
        if verdict == Some("error") {
            self.delay = if self.delay.is_zero() {
                Self::FIRST
            } else {
                (self.delay * 2).min(Self::MAX)
            };
            self.at = Some(Instant::now() + self.delay);
            tracing::info!(
                retry_in_ms = self.delay.as_millis() as u64,
                "Consul gate: retrying after an error"
            );
        } else {
            self.at = None;
            self.delay = Duration::ZERO;
        }
    }
}
