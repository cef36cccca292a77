//! The admission verdict without re-validating the whole view.
//!
//! Full re-validation of 10,000 routers takes about half a second; the API
//! server waits for the webhook. The verdict only depends on what differs
//! between the view before and after the change, so both are validated on a
//! slice of the view:
//!
//! * `T`: the objects the changed Kubernetes object produces, before (from the
//!   snapshot's CRD decode, by provenance) and after (decoding the new object
//!   alone with the Kubernetes objects it names: Services, their
//!   EndpointSlices, Secrets, ConfigMaps);
//! * everything that mentions something in the slice, transitively (routers of
//!   any provider using a middleware, chains, weighted services, child routers);
//! * routers that may overlap or share TLS settings with those routers (same
//!   host literal), routers without a host literal, all TCP and UDP routers, all
//!   TLS options, stores and models (few, and they interact across routers);
//! * everything the above references, transitively.
//!
//! "Mentions" is any string inside an object's configuration, qualified with
//! the object's provider: a superset of the real references, so the slice is
//! never too small. Findings and statuses of objects outside the slice are the
//! same before and after the change, so they cancel in the comparison. The
//! equality with the full verdict is tested on the corpus and the examples.
//!
//! The index (names, mentions, hosts, the CRD decode) is built once per
//! snapshot and cached.

mod index;
mod walk;

use index::MAX_DIRECT_USERS;
pub use index::{Index, index_for};
pub use walk::host_literals;

use super::decision::{Operation, Verdict, decide};
use crate::view::{CrdChange, ObjectRef, Snapshot};
use std::collections::HashSet;
use sync_core::model::Configuration;
use sync_core::objects::Origins;
use sync_core::provider::{ProviderConfig, names};
use sync_core::report::Report;
use walk::{always_kept, def, defined, each_object, merge_into, router_mentions, slice_config};

/// Findings about one Kubernetes object.
fn findings_of(p: &ProviderConfig, key: &ObjectRef) -> Vec<sync_core::finding::Finding> {
    p.findings
        .iter()
        .filter(|f| {
            f.source.as_ref().is_some_and(|s| {
                s.kind.as_deref() == Some(key.kind.as_str())
                    && s.name.as_deref() == Some(key.name.as_str())
                    && s.namespace.as_deref().unwrap_or_default() == key.namespace
            })
        })
        .cloned()
        .collect()
}

/// The verdict for one change, on slices of the view.
pub fn judge_change(
    snapshot: &Snapshot,
    op: Operation,
    key: &ObjectRef,
    change: &CrdChange,
) -> Verdict {
    let ix = index_for(snapshot);
    let empty = ProviderConfig::empty(names::KUBERNETES_CRD);
    let crd_before = ix.crd.as_ref().unwrap_or(&empty);
    let old_names: Vec<String> = ix.produced.get(key).cloned().unwrap_or_default();
    // Objects that produce a name the new object also produces: decoded with
    // it, since the decoder reports name collisions between producers.
    let mut group: Vec<ObjectRef> = Vec::new();
    let new_decoded = match change {
        CrdChange::Apply(obj) => {
            let alone = ix.decode_alone(obj, &[], snapshot);
            let mut g: Vec<ObjectRef> = defined(&alone.config, names::KUBERNETES_CRD)
                .iter()
                .flat_map(|n| ix.producers.get(n).into_iter().flatten())
                .filter(|o| *o != key)
                .cloned()
                .collect();
            g.sort();
            g.dedup();
            if g.is_empty() {
                Some(alone)
            } else {
                let p = ix.decode_alone(obj, &g, snapshot);
                group = g;
                Some(p)
            }
        }
        CrdChange::Delete(_) => None,
    };
    let new_names: Vec<String> = new_decoded
        .as_ref()
        .map(|p| {
            // Only what the changed object itself produced (the Services etc.
            // decoded beside it produce nothing in Traefik's model).
            defined(&p.config, names::KUBERNETES_CRD)
        })
        .unwrap_or_default();

    // The slice: T, upward closure, same-host and always-kept routers, then
    // the downward closure of all of it.
    let mut keep: HashSet<String> = HashSet::new();
    let mut stack: Vec<String> = old_names.iter().chain(new_names.iter()).cloned().collect();
    while let Some(n) = stack.pop() {
        if keep.insert(n.clone()) {
            stack.extend(ix.up.get(&n).into_iter().flatten().cloned());
        }
    }
    let mut host_keys: Vec<String> = Vec::new();
    let mut wide = false;
    let mut collect_hosts = |cfg: &Configuration, provider: &str, keep: &HashSet<String>| {
        let suffix = format!("@{provider}");
        if let Some(h) = &cfg.http {
            for n in keep.iter().filter_map(|n| n.strip_suffix(suffix.as_str())) {
                if let Some(r) = h.routers.get(n) {
                    match host_literals(&r.rule) {
                        Some(hs) => host_keys.extend(hs),
                        None => wide = true,
                    }
                }
            }
        }
    };
    let others: Vec<&ProviderConfig> = snapshot
        .inputs
        .files
        .iter()
        .chain(snapshot.inputs.consul.iter())
        .collect();
    for p in others.iter().copied().chain(std::iter::once(crd_before)) {
        collect_hosts(&p.config, &p.name, &keep);
    }
    if let Some(p) = &new_decoded {
        collect_hosts(&p.config, names::KUBERNETES_CRD, &keep);
    }
    if wide {
        // A router that may match any host overlaps every router: the slice
        // would be the whole view.
        return full(snapshot, op, key, change);
    }
    let mut seeds: Vec<String> = keep.iter().cloned().collect();
    for h in &host_keys {
        seeds.extend(ix.hosts.get(h).into_iter().flatten().cloned());
    }
    seeds.extend(ix.always.iter().cloned());
    // New objects' own mentions (they are not in the index).
    if let Some(p) = &new_decoded {
        each_object(
            &p.config,
            |_, _, m, _| seeds.extend(m),
            names::KUBERNETES_CRD,
        );
        router_mentions(&p.config, names::KUBERNETES_CRD, |_, m| seeds.extend(m));
        always_kept(&p.config, names::KUBERNETES_CRD, &mut seeds);
    }
    keep.extend(seeds);
    // Downward closure; whether an object is used at all changes its
    // findings, so each object also keeps one of its users (and that one's
    // references), up to a router.
    let mut stack: Vec<String> = keep.iter().cloned().collect();
    while let Some(n) = stack.pop() {
        for m in ix.down.get(&n).into_iter().flatten() {
            if keep.insert(m.clone()) {
                stack.push(m.clone());
            }
        }
        if let Some(r) = ix.anchor.get(&n)
            && keep.insert(r.clone())
        {
            stack.push(r.clone());
        }
        // Names are not kind-qualified (a service and a middleware may share
        // one): a few direct router users are all kept, not only the anchor.
        if let Some(users) = ix.up.get(&n) {
            let direct: Vec<&String> = users.iter().filter(|u| ix.is_router.contains(*u)).collect();
            if direct.len() <= MAX_DIRECT_USERS {
                for u in direct {
                    if keep.insert(u.clone()) {
                        stack.push(u.clone());
                    }
                }
            }
        }
    }

    let slice = |p: &ProviderConfig| ProviderConfig {
        name: p.name.clone(),
        status: p.status.clone(),
        config: slice_config(&p.config, &p.name, &keep),
        origins: Origins::default(),
        findings: Vec::new(),
    };
    let mut before: Vec<ProviderConfig> = others.iter().map(|p| slice(p)).collect();
    let mut after = before.clone();
    let mut crd_b = slice(crd_before);
    crd_b.findings = findings_of(crd_before, key);
    for g in &group {
        crd_b.findings.extend(findings_of(crd_before, g));
    }
    // After: the CRD slice without the old object's objects, with the new ones.
    let old_set: HashSet<&String> = old_names.iter().collect();
    let mut crd_a_cfg = slice_config(
        &crd_before.config,
        names::KUBERNETES_CRD,
        &keep
            .iter()
            .filter(|n| !old_set.contains(n))
            .cloned()
            .collect(),
    );
    // TLS settings are kept whole by `slice_config`: take the old object's out.
    if let Some(tls) = crd_a_cfg.tls.as_mut() {
        let gone = |n: &String| old_set.contains(&def(n, names::KUBERNETES_CRD));
        tls.options.retain(|n, _| !gone(n));
        tls.stores.retain(|n, _| !gone(n));
    }
    let mut crd_a_findings = Vec::new();
    if let Some(p) = &new_decoded {
        merge_into(
            &mut crd_a_cfg,
            slice_config(&p.config, names::KUBERNETES_CRD, &keep),
        );
        crd_a_findings = findings_of(p, key);
        for g in &group {
            crd_a_findings.extend(findings_of(p, g));
        }
    }
    let crd_a = ProviderConfig {
        name: names::KUBERNETES_CRD.to_string(),
        status: crd_before.status.clone(),
        config: crd_a_cfg,
        origins: Origins::default(),
        findings: crd_a_findings,
    };
    if ix.crd.is_some() {
        before.push(crd_b);
    }
    after.push(crd_a);
    let r_before: Report =
        sync_core::validate::validate(snapshot.inputs.static_cfg.as_ref(), &before);
    let r_after: Report =
        sync_core::validate::validate(snapshot.inputs.static_cfg.as_ref(), &after);
    decide(op, key, &r_before, &r_after)
}

/// The verdict by full re-validation.
fn full(snapshot: &Snapshot, op: Operation, key: &ObjectRef, change: &CrdChange) -> Verdict {
    let after = snapshot.inputs.report_with_crd_change(change);
    decide(op, key, &snapshot.report, &after)
}
