//! Staging → live promotion planner for a Consul KV gate (sans-IO).
//!
//! Users edit a *staging* prefix (same layout as Traefik's root key); once the
//! staging configuration validates, the gate copies the difference to the *live*
//! prefix Traefik reads. This module plans that copy:
//!
//! * the diff (keys to set, keys to delete), relative to both prefixes;
//! * **conflicts**: live keys changed behind the gate's back since it last wrote
//!   them (ModifyIndex or value differs, key gone, or a key the gate does not own
//!   that staging would overwrite). A plan with conflicts has no batches unless the
//!   caller asks to overwrite them ([`PlanInput::overwrite_conflicts`]);
//! * **batches**: Consul transactions, each within the op limit, every op guarded
//!   by check-and-set against the ModifyIndex the gate observed. When everything
//!   fits in one transaction it is one batch. Otherwise the order keeps every
//!   state Traefik can read in between valid: objects are written whole (all keys
//!   of one router, service, ... in one batch when it fits), dependencies
//!   (TLS options, servers transports, then services, then middlewares, then
//!   routers) are created or changed before what uses them, and removals run in
//!   the reverse order (routers first).
//!
//! Keys the gate does not own are never deleted, only reported
//! ([`PromotionPlan::foreign`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

#[cfg(test)]
mod tests;

/// A live key as Consul returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEntry {
    /// Value bytes.
    pub value: Vec<u8>,
    /// Consul's `ModifyIndex` of the key.
    pub modify_index: u64,
}

/// One Consul transaction operation, for the integrator to map onto its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvOp {
    /// Set `key` (relative to the live prefix) to `value`.
    ///
    /// `cas`: `Some(index)` — only if the key's ModifyIndex is still `index`
    /// (Consul txn verb `cas`); `Some(0)` — only if the key does not exist
    /// (Consul's own convention for `cas` with index 0); `None` — unconditionally
    /// (only produced when overwriting a conflict was asked for).
    Set {
        /// Relative key.
        key: String,
        /// New value.
        value: Vec<u8>,
        /// Check-and-set index.
        cas: Option<u64>,
    },
    /// Delete `key`; `cas: Some(index)` — only if its ModifyIndex is still
    /// `index` (Consul txn verb `delete-cas`), `None` — unconditionally.
    Delete {
        /// Relative key.
        key: String,
        /// Check-and-set index.
        cas: Option<u64>,
    },
}

impl KvOp {
    /// The relative key the op touches.
    pub fn key(&self) -> &str {
        match self {
            KvOp::Set { key, .. } | KvOp::Delete { key, .. } => key,
        }
    }

    /// The same op on the full key under `prefix` (`traefik` → `traefik/http/...`).
    pub fn under(&self, prefix: &str) -> KvOp {
        let full = |key: &str| format!("{}/{key}", prefix.trim_end_matches('/'));
        match self {
            KvOp::Set { key, value, cas } => KvOp::Set {
                key: full(key),
                value: value.clone(),
                cas: *cas,
            },
            KvOp::Delete { key, cas } => KvOp::Delete {
                key: full(key),
                cas: *cas,
            },
        }
    }
}

/// Keys under `prefix` made relative to it (`traefik-staging/http/x` → `http/x`);
/// keys outside the prefix, and the prefix's own folder key, are left out.
///
/// The prefix is matched as a whole path segment: `traefik` does not take
/// `traefik-staging/...` (Consul's own listing would, by plain string prefix).
pub fn relative<V>(
    prefix: &str,
    pairs: impl IntoIterator<Item = (String, V)>,
) -> BTreeMap<String, V> {
    let folder = format!("{}/", prefix.trim_end_matches('/'));
    pairs
        .into_iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(&folder)?;
            (!rest.is_empty()).then(|| (rest.to_string(), v))
        })
        .collect()
}

/// Why a live key is a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictKind {
    /// The gate wrote it, someone changed it since (ModifyIndex or value differs).
    EditedLive {
        /// What the gate last wrote.
        promoted: Vec<u8>,
        /// What live holds now.
        live: Vec<u8>,
    },
    /// The gate wrote it, someone deleted it since.
    DeletedLive {
        /// What the gate last wrote.
        promoted: Vec<u8>,
    },
    /// The gate does not own the key and staging would change its value.
    NotOwned {
        /// What live holds now.
        live: Vec<u8>,
    },
}

/// A live key changed behind the gate's back that the plan would overwrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Relative key.
    pub key: String,
    /// What happened.
    pub kind: ConflictKind,
}

/// What happens to one object (`http/routers/<name>`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChange {
    /// `section/kind/name` (names lower-cased: Traefik merges them ignoring case).
    pub object: String,
    /// `created` (no key in live), `removed` (no key left in staging) or `changed`.
    pub action: &'static str,
    /// Keys set.
    pub sets: usize,
    /// Keys deleted.
    pub deletes: usize,
}

/// What the planner needs.
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// Staging pairs, keys relative to the staging prefix (`http/routers/r/rule`).
    pub staging: BTreeMap<String, Vec<u8>>,
    /// Live pairs, keys relative to the live prefix, with their ModifyIndex.
    pub live: BTreeMap<String, LiveEntry>,
    /// Live keys the gate owns (wrote earlier).
    pub owned: BTreeSet<String>,
    /// What the gate last wrote, with the ModifyIndex Consul gave each write.
    pub previous: BTreeMap<String, LiveEntry>,
    /// Consul's limit of operations per transaction (64 by default).
    pub max_ops: usize,
    /// Plan batches even when there are conflicts (their ops lose the CAS guard).
    pub overwrite_conflicts: bool,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PromotionPlan {
    /// Keys to set (new or changed) with their staging value.
    pub sets: BTreeMap<String, Vec<u8>>,
    /// Owned keys to delete.
    pub deletes: BTreeSet<String>,
    /// Live keys edited behind the gate's back that the diff touches.
    pub conflicts: Vec<Conflict>,
    /// Live keys absent from staging that the gate does not own: left alone.
    pub foreign: BTreeSet<String>,
    /// Keys of [`Self::sets`] that do not exist in live yet.
    pub created: BTreeSet<String>,
    /// Objects whose keys had to be spread over several batches (larger than the limit).
    pub split_objects: Vec<String>,
    /// One line per object the diff touches: `created`, `changed` or `removed`.
    pub changes: Vec<ObjectChange>,
    /// Transactions, in order; empty when nothing changes or conflicts block.
    pub batches: Vec<Vec<KvOp>>,
    /// Keys the gate owns once every batch is applied.
    pub owned_after: BTreeSet<String>,
}

impl PromotionPlan {
    /// Whether conflicts stop the promotion (no batches were planned).
    pub fn is_blocked(&self) -> bool {
        !self.conflicts.is_empty() && self.batches.is_empty()
    }

    /// Whether live already equals staging.
    pub fn is_noop(&self) -> bool {
        self.sets.is_empty() && self.deletes.is_empty()
    }

    /// A human-readable summary, one line per fact.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let creates = self.created.len();
        let _ = writeln!(
            s,
            "{} key(s) to set ({} changed), {} to delete, in {} transaction(s)",
            self.sets.len(),
            self.sets.len() - creates.min(self.sets.len()),
            self.deletes.len(),
            self.batches.len()
        );
        for c in &self.changes {
            let _ = writeln!(
                s,
                "{} {} ({} set, {} deleted)",
                c.action, c.object, c.sets, c.deletes
            );
        }
        for c in &self.conflicts {
            let what = match &c.kind {
                ConflictKind::EditedLive { .. } => "edited in live since the gate wrote it",
                ConflictKind::DeletedLive { .. } => "deleted from live since the gate wrote it",
                ConflictKind::NotOwned { .. } => "exists in live but was not written by the gate",
            };
            let _ = writeln!(s, "conflict: {}: {what}", c.key);
        }
        if self.is_blocked() {
            let _ = writeln!(
                s,
                "blocked: {} conflict(s); nothing is written until they are resolved",
                self.conflicts.len()
            );
        }
        for k in &self.foreign {
            let _ = writeln!(s, "not owned, left in live: {k}");
        }
        for o in &self.split_objects {
            let _ = writeln!(
                s,
                "split over several transactions (larger than the limit): {o}"
            );
        }
        s
    }
}

/// Plan the promotion of `input.staging` onto `input.live`.
pub fn plan(input: &PlanInput) -> PromotionPlan {
    let mut plan = PromotionPlan::default();
    for (key, value) in &input.staging {
        match input.live.get(key) {
            Some(l) if l.value == *value => {}
            Some(_) => {
                plan.sets.insert(key.clone(), value.clone());
            }
            None => {
                plan.sets.insert(key.clone(), value.clone());
                plan.created.insert(key.clone());
            }
        }
    }
    for key in input.live.keys() {
        if input.staging.contains_key(key) {
            continue;
        }
        if input.owned.contains(key) {
            plan.deletes.insert(key.clone());
        } else {
            plan.foreign.insert(key.clone());
        }
    }
    let touched = plan.sets.keys().chain(plan.deletes.iter());
    for key in touched {
        if let Some(c) = conflict(input, key) {
            plan.conflicts.push(c);
        }
    }
    plan.owned_after = input.staging.keys().cloned().collect();
    plan.changes = changes(input, &plan);
    if plan.is_noop() || (!plan.conflicts.is_empty() && !input.overwrite_conflicts) {
        return plan;
    }
    let conflicted: BTreeSet<&str> = plan.conflicts.iter().map(|c| c.key.as_str()).collect();
    let ops = |key: &str, set: Option<&Vec<u8>>| -> KvOp {
        let cas = if conflicted.contains(key) {
            None
        } else {
            Some(input.live.get(key).map_or(0, |l| l.modify_index))
        };
        match set {
            Some(value) => KvOp::Set {
                key: key.to_string(),
                value: value.clone(),
                cas,
            },
            None => KvOp::Delete {
                key: key.to_string(),
                cas,
            },
        }
    };

    // Group every op by the object it belongs to.
    let mut groups: BTreeMap<ObjectId, Vec<KvOp>> = BTreeMap::new();
    for (key, value) in &plan.sets {
        groups
            .entry(ObjectId::of(key))
            .or_default()
            .push(ops(key, Some(value)));
    }
    for key in &plan.deletes {
        groups
            .entry(ObjectId::of(key))
            .or_default()
            .push(ops(key, None));
    }
    let max = input.max_ops.max(1);
    let total: usize = groups.values().map(Vec::len).sum();
    if total <= max {
        plan.batches = vec![groups.into_values().flatten().collect()];
        return plan;
    }

    // Upserts (an object that still exists in staging) in dependency order,
    // then removals of whole objects in the reverse order.
    let staged_ids: BTreeSet<ObjectId> = input.staging.keys().map(|k| ObjectId::of(k)).collect();
    let composite: BTreeSet<ObjectId> = input
        .staging
        .keys()
        .chain(input.live.keys())
        .filter(|k| refers_to_own_kind(k))
        .map(|k| ObjectId::of(k))
        .collect();
    let mut upserts: Vec<(u8, u8, ObjectId, Vec<KvOp>)> = Vec::new();
    let mut removals: Vec<(u8, u8, ObjectId, Vec<KvOp>)> = Vec::new();
    for (id, mut group) in groups {
        let staged = staged_ids.contains(&id);
        // Services and middlewares that reference others of their own kind
        // (weighted, mirroring, failover; chains) come after the ones that do
        // not, so their targets exist first (and go first on removal).
        let subrank = u8::from(composite.contains(&id));
        // Sets before deletes inside an object: a split object gains its new
        // keys before losing the old ones.
        group.sort_by_key(|op| matches!(op, KvOp::Delete { .. }));
        if staged {
            upserts.push((id.rank(), subrank, id, group));
        } else {
            removals.push((id.rank(), subrank, id, group));
        }
    }
    upserts.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    removals.sort_by(|a, b| (b.0, b.1, &b.2).cmp(&(a.0, a.1, &a.2)));

    let mut batches: Vec<Vec<KvOp>> = Vec::new();
    let mut current: Vec<KvOp> = Vec::new();
    for (_, _, id, group) in upserts.into_iter().chain(removals) {
        if group.len() > max {
            plan.split_objects.push(id.display());
            if !current.is_empty() {
                batches.push(std::mem::take(&mut current));
            }
            for chunk in group.chunks(max) {
                batches.push(chunk.to_vec());
            }
            continue;
        }
        if current.len() + group.len() > max {
            batches.push(std::mem::take(&mut current));
        }
        current.extend(group);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    plan.batches = batches;
    plan
}

fn changes(input: &PlanInput, plan: &PromotionPlan) -> Vec<ObjectChange> {
    let mut counts: BTreeMap<ObjectId, (usize, usize)> = BTreeMap::new();
    for k in plan.sets.keys() {
        counts.entry(ObjectId::of(k)).or_default().0 += 1;
    }
    for k in &plan.deletes {
        counts.entry(ObjectId::of(k)).or_default().1 += 1;
    }
    let live_ids: BTreeSet<ObjectId> = input.live.keys().map(|k| ObjectId::of(k)).collect();
    let staged_ids: BTreeSet<ObjectId> = input.staging.keys().map(|k| ObjectId::of(k)).collect();
    counts
        .into_iter()
        .map(|(id, (sets, deletes))| ObjectChange {
            object: id.display(),
            action: if !live_ids.contains(&id) {
                "created"
            } else if !staged_ids.contains(&id) {
                "removed"
            } else {
                "changed"
            },
            sets,
            deletes,
        })
        .collect()
}

fn conflict(input: &PlanInput, key: &str) -> Option<Conflict> {
    let live = input.live.get(key);
    match (input.previous.get(key), live) {
        (Some(prev), Some(live)) => {
            (prev.modify_index != live.modify_index || prev.value != live.value).then(|| Conflict {
                key: key.to_string(),
                kind: ConflictKind::EditedLive {
                    promoted: prev.value.clone(),
                    live: live.value.clone(),
                },
            })
        }
        (Some(prev), None) => Some(Conflict {
            key: key.to_string(),
            kind: ConflictKind::DeletedLive {
                promoted: prev.value.clone(),
            },
        }),
        (None, Some(live)) if !input.owned.contains(key) => Some(Conflict {
            key: key.to_string(),
            kind: ConflictKind::NotOwned {
                live: live.value.clone(),
            },
        }),
        _ => None,
    }
}

/// The object a relative key belongs to: `http/routers/<name>` (case folded,
/// as Traefik merges names ignoring case), or the key itself outside objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ObjectId {
    section: String,
    kind: String,
    name: String,
}

impl ObjectId {
    fn of(key: &str) -> Self {
        let mut parts = key.split('/').filter(|s| !s.is_empty());
        let section = parts.next().unwrap_or("").to_ascii_lowercase();
        let kind = parts.next().unwrap_or("").to_ascii_lowercase();
        let name = if section == "tls" && kind == "certificates" {
            // Certificates are a list: one element is the object.
            parts.next().unwrap_or("").to_string()
        } else {
            parts.next().unwrap_or("").to_ascii_lowercase()
        };
        Self {
            section,
            kind,
            name,
        }
    }

    /// Dependencies first: what routers and services point at, then services,
    /// middlewares, and routers last.
    fn rank(&self) -> u8 {
        match (self.section.as_str(), self.kind.as_str()) {
            ("tls", _) => 0,
            (_, "serverstransports") => 1,
            (_, "services") => 2,
            (_, "middlewares") => 3,
            (_, "models") => 4,
            (_, "routers") => 5,
            _ => 6,
        }
    }

    fn display(&self) -> String {
        [&self.section, &self.kind, &self.name]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Whether the key is part of a service or middleware type that names others of its kind.
fn refers_to_own_kind(key: &str) -> bool {
    let mut parts = key.split('/').filter(|s| !s.is_empty());
    let kind = parts.nth(1).unwrap_or("").to_ascii_lowercase();
    let field = parts.nth(1).unwrap_or("").to_ascii_lowercase();
    matches!(kind.as_str(), "services" | "middlewares")
        && matches!(
            field.as_str(),
            "weighted" | "mirroring" | "failover" | "highestrandomweight" | "chain"
        )
}
