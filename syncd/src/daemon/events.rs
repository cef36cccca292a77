//! Kubernetes Events on the CRD objects that have findings.
//!
//! Only the leader publishes (two replicas would publish everything twice).
//! A finding is published once: the publisher remembers what it published
//! and publishes again only what is new, so a recompute caused by an
//! unrelated change publishes nothing. A finding that disappears and comes back
//! later is published again. On becoming leader the memory starts empty: the
//! new leader publishes the current findings once.

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::api::core::v1::ObjectReference;
use kube::Client;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use sync_core::finding::{Finding, Severity};
use sync_core::provider::names;
use tokio::sync::watch;

use super::metrics::Metrics;
use crate::view::{ObjectRef, Snapshot};

/// Event reasons.
pub mod reason {
    /// A finding of severity error.
    pub const ERROR: &str = "ConfigError";
    /// A finding of severity warning.
    pub const WARNING: &str = "ConfigWarning";
}

/// One Event to publish: the object, its reason and its message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planned {
    /// The object (a CRD object of the view).
    pub object: ObjectRef,
    /// `ConfigError` or `ConfigWarning`.
    pub reason: &'static str,
    /// The finding's code.
    pub code: String,
    /// The finding's message.
    pub message: String,
}

fn planned(f: &Finding) -> Option<Planned> {
    let reason = match f.severity {
        Severity::Error => reason::ERROR,
        Severity::Warning => reason::WARNING,
        Severity::Info => return None,
    };
    let src = f.source.as_ref()?;
    if src.provider != names::KUBERNETES_CRD {
        return None;
    }
    Some(Planned {
        object: ObjectRef {
            kind: src.kind.clone()?,
            namespace: src.namespace.clone().unwrap_or_else(|| "default".into()),
            name: src.name.clone()?,
        },
        reason,
        code: f.code.to_string(),
        message: f.message.clone(),
    })
}

/// The Events a snapshot calls for (errors and warnings on Kubernetes objects
/// present in the view).
pub fn plan(snap: &Snapshot) -> BTreeSet<Planned> {
    let Some(crd) = &snap.inputs.crd else {
        return BTreeSet::new();
    };
    snap.report
        .findings
        .iter()
        .filter_map(planned)
        .filter(|p| crd.contains(&p.object))
        .collect()
}

/// What to publish now, given what was already published; `published` becomes
/// the current set (forgetting findings that went away).
pub fn diff(published: &mut BTreeSet<Planned>, current: BTreeSet<Planned>) -> Vec<Planned> {
    let new: Vec<Planned> = current.difference(published).cloned().collect();
    *published = current;
    new
}

fn reference(snap: &Snapshot, p: &Planned) -> ObjectReference {
    let crd = snap.inputs.crd.as_ref();
    ObjectReference {
        api_version: crd.and_then(|c| c.api_version(&p.object)),
        kind: Some(p.object.kind.clone()),
        name: Some(p.object.name.clone()),
        namespace: Some(p.object.namespace.clone()),
        uid: crd.and_then(|c| c.uid(&p.object)),
        ..ObjectReference::default()
    }
}

/// Publish Events for new findings while leader, until the snapshot channel closes.
pub async fn run_events(
    client: Client,
    identity: String,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    mut is_leader: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
) {
    let recorder = Recorder::new(
        client,
        Reporter {
            controller: "syncd".into(),
            instance: Some(identity),
        },
    );
    let mut published: BTreeSet<Planned> = BTreeSet::new();
    loop {
        tokio::select! {
            r = snapshots.changed() => if r.is_err() { return },
            r = is_leader.changed() => if r.is_err() { return },
        }
        if !*is_leader.borrow_and_update() {
            published.clear();
            continue;
        }
        let snap = snapshots.borrow_and_update().clone();
        let mut current = plan(&snap);
        let new = diff(&mut published, current.clone());
        for p in new {
            let ev = Event {
                type_: EventType::Warning,
                reason: p.reason.into(),
                note: Some(p.message.chars().take(1024).collect()),
                action: "Validate".into(),
                secondary: None,
            };
            match recorder.publish(&ev, &reference(&snap, &p)).await {
                Ok(()) => {
                    metrics.events_published.inc();
                }
                Err(e) => {
                    tracing::warn!(object = %p.object.display(), error = %e, "could not publish an Event; will retry");
                    current.remove(&p);
                }
            }
        }
        // Failed ones are left out of `published`, so the next round retries them.
        published.retain(|p| current.contains(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str, msg: &str) -> Planned {
        Planned {
            object: ObjectRef {
                kind: "IngressRoute".into(),
                namespace: "default".into(),
                name: name.into(),
            },
            reason: reason::ERROR,
            code: "x".into(),
            message: msg.into(),
        }
    }

    #[test]
    fn unchanged_findings_are_published_once() {
        let mut published = BTreeSet::new();
        let first = diff(&mut published, BTreeSet::from([p("a", "m1")]));
        assert_eq!(first, vec![p("a", "m1")]);
        let again = diff(&mut published, BTreeSet::from([p("a", "m1")]));
        assert!(again.is_empty());
        let more = diff(&mut published, BTreeSet::from([p("a", "m1"), p("b", "m2")]));
        assert_eq!(more, vec![p("b", "m2")]);
        // Gone, then back: published again.
        assert!(diff(&mut published, BTreeSet::new()).is_empty());
        assert_eq!(
            diff(&mut published, BTreeSet::from([p("a", "m1")])),
            vec![p("a", "m1")]
        );
    }
}
