//! The Kubernetes source: one kube-rs watcher per kind (and per namespace when
//! the static configuration restricts `providers.kubernetesCRD.namespaces`)
//! over the ten `traefik.io/v1alpha1` kinds, core v1 Services, and Secrets as
//! metadata only.
//!
//! * Secrets: only names matter to the validator (a TLS option or store
//!   references a Secret by name), so they are watched with
//!   `metadata_watcher` and their data never leaves the API server.
//! * EndpointSlices are not watched: they change on every pod restart, and
//!   syncd validates configuration, not endpoints; the decoder assumes a
//!   Service has ready endpoints (`CrdOptions::assume_endpoints`).
//! * A kind whose CRD is not installed (404 on list) is reported in the
//!   source's health and retried with backoff; the other kinds go on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use kube::core::PartialObjectMeta;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde_json::Value;
use sync_core::decode::crd::TRAEFIK_KINDS;
use tokio::sync::mpsc;

use super::view_loop::{Update, source};
use crate::view::{CrdChange, ObjectRef};

/// One watched resource type.
#[derive(Debug, Clone)]
pub struct WatchedKind {
    /// The API resource (group, version, kind, plural).
    pub resource: ApiResource,
    /// Watch metadata only (Secrets).
    pub metadata_only: bool,
    /// Apply the CRD provider's label selector (the `traefik.io` kinds only,
    /// like Traefik).
    pub labelled: bool,
}

/// The resource types syncd watches: ten `traefik.io/v1alpha1` kinds,
/// Services, Secrets (metadata only).
pub fn watched_kinds() -> Vec<WatchedKind> {
    let mut out: Vec<WatchedKind> = TRAEFIK_KINDS
        .iter()
        .map(|kind| WatchedKind {
            resource: ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk("traefik.io", "v1alpha1", kind),
                &format!("{}s", kind.to_ascii_lowercase()),
            ),
            metadata_only: false,
            labelled: true,
        })
        .collect();
    out.push(WatchedKind {
        resource: ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("", "v1", "Service"),
            "services",
        ),
        metadata_only: false,
        labelled: false,
    });
    out.push(WatchedKind {
        resource: ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("", "v1", "Secret"),
            "secrets",
        ),
        metadata_only: true,
        labelled: false,
    });
    out
}

/// Settings of the Kubernetes source.
#[derive(Debug, Clone, Default)]
pub struct KubeSourceConfig {
    /// Namespaces to watch (empty: all), from `providers.kubernetesCRD.namespaces`.
    pub namespaces: Vec<String>,
    /// Label selector for the `traefik.io` kinds, from `providers.kubernetesCRD.labelSelector`.
    pub label_selector: String,
}

/// The state of one watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ScopeState {
    Listing,
    Synced,
    /// The kind is not served (CRD not installed).
    Missing,
    Failed(String),
}

#[derive(Debug, Default)]
struct Health {
    scopes: BTreeMap<String, (ScopeState, bool)>,
}

impl Health {
    fn update(&self) -> Update {
        let mut missing = Vec::new();
        let mut failed = Vec::new();
        let mut synced = true;
        for (scope, (state, ever)) in &self.scopes {
            match state {
                ScopeState::Missing => missing.push(scope.clone()),
                ScopeState::Failed(e) => failed.push(format!("{scope}: {e}")),
                ScopeState::Listing | ScopeState::Synced => {}
            }
            synced &= *ever;
        }
        let mut detail = format!("{} watches", self.scopes.len());
        if !missing.is_empty() {
            detail.push_str(&format!(
                "; not served by the API server (CRD not installed?): {}",
                missing.join(", ")
            ));
        }
        if !failed.is_empty() {
            detail.push_str(&format!("; failing: {}", failed.join("; ")));
        }
        Update::Health {
            source: source::KUBERNETES.into(),
            healthy: failed.is_empty(),
            synced,
            detail,
        }
    }
}

/// An object as the decoder reads it: JSON with `apiVersion` and `kind` (list
/// items come without them).
fn to_json(ar: &ApiResource, mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.insert("apiVersion".into(), Value::String(ar.api_version.clone()));
        obj.insert("kind".into(), Value::String(ar.kind.clone()));
    }
    v
}

/// A watcher event with the object as JSON.
enum Ev {
    Init,
    InitApply(Value),
    InitDone,
    Apply(Value),
    Delete(Value),
}

fn convert<K: serde::Serialize>(ar: &ApiResource, ev: watcher::Event<K>) -> Ev {
    let j = |k: K| to_json(ar, serde_json::to_value(k).unwrap_or(Value::Null));
    match ev {
        watcher::Event::Init => Ev::Init,
        watcher::Event::InitApply(k) => Ev::InitApply(j(k)),
        watcher::Event::InitDone => Ev::InitDone,
        watcher::Event::Apply(k) => Ev::Apply(j(k)),
        watcher::Event::Delete(k) => Ev::Delete(j(k)),
    }
}

fn is_not_found(e: &watcher::Error) -> bool {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s)) => s.code == 404,
        _ => false,
    }
}

fn stream_for(
    client: Client,
    kind: &WatchedKind,
    namespace: Option<&str>,
    label_selector: &str,
) -> std::pin::Pin<Box<dyn Stream<Item = Result<Ev, watcher::Error>> + Send>> {
    let ar = kind.resource.clone();
    let mut cfg = watcher::Config::default();
    if kind.labelled && !label_selector.is_empty() {
        cfg = cfg.labels(label_selector);
    }
    if kind.metadata_only {
        // `Api<PartialObjectMeta<_>>` asks for metadata only: Secret data never
        // leaves the API server.
        let api: Api<PartialObjectMeta<DynamicObject>> = match namespace {
            Some(ns) => Api::namespaced_with(client, ns, &ar),
            None => Api::all_with(client, &ar),
        };
        Box::pin(
            watcher(api, cfg)
                .default_backoff()
                .map(move |r| r.map(|ev| convert(&ar, ev))),
        )
    } else {
        let api: Api<DynamicObject> = match namespace {
            Some(ns) => Api::namespaced_with(client, ns, &ar),
            None => Api::all_with(client, &ar),
        };
        Box::pin(
            watcher(api, cfg)
                .default_backoff()
                .map(move |r| r.map(|ev| convert(&ar, ev))),
        )
    }
}

async fn set_state(
    health: &Mutex<Health>,
    scope: &str,
    state: ScopeState,
    tx: &mpsc::Sender<Update>,
) -> bool {
    let update = {
        let Ok(mut h) = health.lock() else {
            return true;
        };
        let entry = h
            .scopes
            .entry(scope.to_string())
            .or_insert((ScopeState::Listing, false));
        if entry.0 == state {
            return true;
        }
        entry.1 |= matches!(state, ScopeState::Synced | ScopeState::Missing);
        entry.0 = state;
        h.update()
    };
    tx.send(update).await.is_ok()
}

async fn run_one(
    client: Client,
    kind: WatchedKind,
    namespace: Option<String>,
    label_selector: String,
    tx: mpsc::Sender<Update>,
    health: Arc<Mutex<Health>>,
) {
    let scope = match &namespace {
        Some(ns) => format!("{} in {ns}", kind.resource.kind),
        None => kind.resource.kind.clone(),
    };
    let mut stream = stream_for(client, &kind, namespace.as_deref(), &label_selector);
    let mut buffer: Vec<Value> = Vec::new();
    while let Some(item) = stream.next().await {
        let update = match item {
            Ok(Ev::Init) => {
                buffer.clear();
                None
            }
            Ok(Ev::InitApply(v)) => {
                buffer.push(v);
                None
            }
            Ok(Ev::InitDone) => {
                let objects = std::mem::take(&mut buffer);
                tracing::info!(scope = %scope, objects = objects.len(), "listed");
                if tx
                    .send(Update::CrdRelist {
                        kind: kind.resource.kind.clone(),
                        namespace: namespace.clone(),
                        objects,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                Some(ScopeState::Synced)
            }
            // An event after an error proves the watch works again.
            Ok(Ev::Apply(v)) => {
                if tx.send(Update::Crd(CrdChange::Apply(v))).await.is_err() {
                    return;
                }
                Some(ScopeState::Synced)
            }
            Ok(Ev::Delete(v)) => {
                if let Some(key) = ObjectRef::of(&v)
                    && tx.send(Update::Crd(CrdChange::Delete(key))).await.is_err()
                {
                    return;
                }
                Some(ScopeState::Synced)
            }
            Err(e) if is_not_found(&e) => {
                // Nothing of this kind exists for the view: an empty list.
                if tx
                    .send(Update::CrdRelist {
                        kind: kind.resource.kind.clone(),
                        namespace: namespace.clone(),
                        objects: Vec::new(),
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                Some(ScopeState::Missing)
            }
            Err(e) => {
                tracing::warn!(scope = %scope, error = %e, "watch error; retrying with backoff");
                Some(ScopeState::Failed(e.to_string()))
            }
        };
        if let Some(state) = update
            && !set_state(&health, &scope, state, &tx).await
        {
            return;
        }
    }
}

/// Start one watcher task per kind and namespace; they run until the view loop
/// is gone. Returns the number of watchers.
pub fn spawn_kube_source(
    client: Client,
    cfg: &KubeSourceConfig,
    tx: mpsc::Sender<Update>,
) -> usize {
    let health = Arc::new(Mutex::new(Health::default()));
    let namespaces: Vec<Option<String>> = if cfg.namespaces.is_empty() {
        vec![None]
    } else {
        cfg.namespaces.iter().cloned().map(Some).collect()
    };
    let mut n = 0;
    for kind in watched_kinds() {
        for ns in &namespaces {
            let scope = match ns {
                Some(ns) => format!("{} in {ns}", kind.resource.kind),
                None => kind.resource.kind.clone(),
            };
            if let Ok(mut h) = health.lock() {
                h.scopes.insert(scope, (ScopeState::Listing, false));
            }
            tokio::spawn(run_one(
                client.clone(),
                kind.clone(),
                ns.clone(),
                cfg.label_selector.clone(),
                tx.clone(),
                health.clone(),
            ));
            n += 1;
        }
    }
    n
}
