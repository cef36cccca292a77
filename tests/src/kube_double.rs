//! A Kubernetes API server double: plain HTTP on 127.0.0.1, for the
//! process-level tests of `syncd` (no real API server is installable here).
//!
//! Served (namespaced paths `/api/v1/namespaces/{ns}/{plural}[/{name}]`,
//! `/apis/{group}/{version}/namespaces/{ns}/{plural}[/{name}]`, and the
//! all-namespaces collections `/api/v1/{plural}`, `/apis/{g}/{v}/{plural}`):
//! * list: `{"kind": "<Kind>List", "metadata": {"resourceVersion"}, "items"}`
//!   with `labelSelector`; core-group items come without `apiVersion`/`kind`
//!   like a real API server's typed lists;
//! * watch (`?watch=1&resourceVersion=N&allowWatchBookmarks=true&timeoutSeconds=T`):
//!   JSON lines `{"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object"}`;
//!   changes after N are replayed, then live ones follow; N older than the
//!   compaction point ([`KubeDouble::compact`]) gives an `ERROR` event with a
//!   410 `Status` (the API server's "too old resource version");
//! * metadata-only requests (`Accept: ...;as=PartialObjectMetadataList` /
//!   `PartialObjectMetadata`): objects reduced to their metadata (Secret data
//!   never sent);
//! * get, create (POST; 409 AlreadyExists), replace (PUT; 409 Conflict on a
//!   stale `metadata.resourceVersion`), merge patch (PATCH), delete;
//! * resources: the ten `traefik.io/v1alpha1` kinds, Services, Secrets,
//!   `coordination.k8s.io/v1` Leases, `events.k8s.io/v1` and core `v1` Events;
//!   a resource made missing with [`KubeDouble::remove_resource`] answers 404
//!   (a CRD not installed).
//!
//! kube-rs needs no discovery for typed and `ApiResource`-addressed calls, so
//! none is served. Tests change state directly ([`KubeDouble::apply`],
//! [`KubeDouble::delete`]) and read it back ([`KubeDouble::objects`]).
//! Fidelity is proven with kube-rs itself in `tests/tests/kube_double.rs`.

#[path = "kube_double/store.rs"]
pub mod store;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};

use store::{ApiError, Change, Resource, Selector, Store};

struct Shared {
    store: Mutex<Store>,
    changes: broadcast::Sender<Arc<Change>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Store> {
        // A panicked handler must not take the double down for the other tests.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running double; stops when dropped.
pub struct KubeDouble {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for KubeDouble {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Where a request points.
#[derive(Debug)]
struct Target {
    group: String,
    plural: String,
    namespace: Option<String>,
    name: Option<String>,
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match segs.as_slice() {
        ["api", "v1", rest @ ..] => (String::new(), rest),
        ["apis", g, _v, rest @ ..] => (g.to_string(), rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (plural, name) = match rest {
        [plural] => (plural.to_string(), None),
        [plural, name] => (plural.to_string(), Some(name.to_string())),
        _ => return None,
    };
    Some(Target {
        group,
        plural,
        namespace,
        name,
    })
}

fn query(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn status_response(e: &ApiError) -> Response {
    let code = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        e.status().to_string(),
    )
        .into_response()
}

fn json_response(code: StatusCode, v: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

fn metadata_only(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadata"))
}

fn to_meta(obj: &Value) -> Value {
    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
           "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(t) = parse_path(uri.path()) else {
        return status_response(&ApiError::new(
            404,
            "NotFound",
            format!("no route for {}", uri.path()),
        ));
    };
    let q = query(&uri);
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let res = match shared.lock().resource(&t.group, &t.plural) {
        Ok(r) => r,
        Err(e) => return status_response(&e),
    };
    let meta_only = metadata_only(&headers);
    let selector = match Selector::parse(&param("labelSelector").unwrap_or_default()) {
        Ok(s) => s,
        Err(e) => return status_response(&ApiError::new(400, "BadRequest", e)),
    };
    let body_json = || -> Result<Value, ApiError> {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(400, "BadRequest", format!("body: {e}")))
    };
    let present = |obj: Value| if meta_only { to_meta(&obj) } else { obj };
    let ns = t.namespace.clone().unwrap_or_default();
    let result: Result<(StatusCode, Value), ApiError> = match (&method, &t.name) {
        (&Method::GET, None) if matches!(param("watch").as_deref(), Some("1" | "true")) => {
            return watch(
                shared.clone(),
                res,
                t.namespace.clone(),
                selector,
                &q,
                meta_only,
            );
        }
        (&Method::GET, None) => {
            let store = shared.lock();
            let items: Vec<Value> = store
                .list(&res, t.namespace.as_deref())
                .into_iter()
                .filter(|o| selector.matches(o))
                .map(|mut o| {
                    if res.group.is_empty()
                        && let Some(m) = o.as_object_mut()
                    {
                        m.remove("apiVersion");
                        m.remove("kind");
                    }
                    present(o)
                })
                .collect();
            let kind = if meta_only {
                "PartialObjectMetadataList".to_string()
            } else {
                format!("{}List", res.kind)
            };
            let api_version = if meta_only {
                "meta.k8s.io/v1".to_string()
            } else {
                res.api_version()
            };
            Ok((
                StatusCode::OK,
                json!({"apiVersion": api_version, "kind": kind,
                       "metadata": {"resourceVersion": store.rv.to_string()}, "items": items}),
            ))
        }
        (&Method::GET, Some(name)) => shared
            .lock()
            .get(&res, &ns, name)
            .map(|o| (StatusCode::OK, present(o))),
        (&Method::POST, None) => body_json().and_then(|b| {
            let r = shared.lock().create(&res, &ns, b);
            r.map(|o| (StatusCode::CREATED, o))
        }),
        (&Method::PUT, Some(name)) => body_json().and_then(|b| {
            let r = shared.lock().replace(&res, &ns, name, b);
            r.map(|o| (StatusCode::OK, o))
        }),
        (&Method::PATCH, Some(name)) => body_json().and_then(|b| {
            let r = shared.lock().patch(&res, &ns, name, &b);
            r.map(|o| (StatusCode::OK, o))
        }),
        (&Method::DELETE, Some(name)) => shared
            .lock()
            .delete(&res, &ns, name)
            .map(|o| (StatusCode::OK, o)),
        _ => Err(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{method} {}", uri.path()),
        )),
    };
    // Publish what the write logged (watchers read the log in order).
    publish_new(&shared);
    match result {
        Ok((code, v)) => json_response(code, &v),
        Err(e) => status_response(&e),
    }
}

/// Broadcast log entries not yet broadcast.
fn publish_new(shared: &Shared) {
    let store = shared.lock();
    // Every write appends to the log under the lock; the broadcast carries the
    // entries to live watches (a lagging watch re-reads the log).
    if let Some(last) = store.log.last() {
        let _ = shared.changes.send(last.clone());
    }
}

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = json!({"type": kind, "object": object}).to_string();
    line.push('\n');
    Bytes::from(line)
}

fn watch(
    shared: Arc<Shared>,
    res: Resource,
    namespace: Option<String>,
    selector: Selector,
    q: &[(String, String)],
    meta_only: bool,
) -> Response {
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let from: u64 = param("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bookmarks = matches!(param("allowWatchBookmarks").as_deref(), Some("true" | "1"));
    let timeout = param("timeoutSeconds")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(1800));
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let matches = {
        let res = res.key();
        let ns = namespace.clone();
        move |c: &Change| -> Option<&'static str> {
            if c.res != res || ns.as_ref().is_some_and(|n| *n != c.namespace) {
                return None;
            }
            // Like the API server: a change into the selection is ADDED, out of it DELETED.
            let now = selector.matches(&c.object);
            let before = c.previous.as_ref().map(|p| selector.matches(p));
            match (c.kind, before, now) {
                ("MODIFIED", Some(false), true) => Some("ADDED"),
                ("MODIFIED", Some(true), false) => Some("DELETED"),
                (_, _, true) => Some(c.kind),
                _ => None,
            }
        }
    };
    let present = move |obj: &Value| if meta_only { to_meta(obj) } else { obj.clone() };
    // Subscribe under the lock, so nothing falls between replay and live.
    let (replay, mut live, gone, rv_now) = {
        let store = shared.lock();
        let live = shared.changes.subscribe();
        if from != 0 && from < store.oldest_rv {
            (Vec::new(), live, true, store.rv)
        } else if from == 0 {
            // No resourceVersion: the current state as ADDED events.
            let mut v: Vec<Arc<Change>> = store
                .list(&res, namespace.as_deref())
                .into_iter()
                .map(|o| {
                    Arc::new(Change {
                        rv: 0,
                        res: res.key(),
                        namespace: o
                            .get("metadata")
                            .and_then(|m| m.get("namespace"))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        kind: "ADDED",
                        object: o,
                        previous: None,
                    })
                })
                .collect();
            v.retain(|c| matches(c).is_some());
            (v, live, false, store.rv)
        } else {
            let v: Vec<Arc<Change>> = store
                .log
                .iter()
                .filter(|c| c.rv > from && matches(c).is_some())
                .cloned()
                .collect();
            (v, live, false, store.rv)
        }
    };
    let api_version = res.api_version();
    let kind = res.kind.clone();
    tokio::spawn(async move {
        if gone {
            let status = ApiError::new(
                410,
                "Expired",
                format!("too old resource version: {from} ({rv_now})"),
            )
            .status();
            let _ = tx.send(Ok(event_line("ERROR", &status))).await;
            return;
        }
        for c in replay {
            let Some(kind) = matches(&c) else { continue };
            if tx
                .send(Ok(event_line(kind, &present(&c.object))))
                .await
                .is_err()
            {
                return;
            }
        }
        // The replay covered every change up to `rv_now`.
        let mut last = rv_now;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tick.tick(), if bookmarks => {
                    let rv = shared.lock().rv;
                    let obj = json!({"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": rv.to_string()}});
                    if tx.send(Ok(event_line("BOOKMARK", &obj))).await.is_err() {
                        return;
                    }
                }
                c = live.recv() => {
                    let changes: Vec<Arc<Change>> = match c {
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                            // Read the log: a broadcast only says "something changed".
                            shared.lock().log.iter().filter(|c| c.rv > last).cloned().collect()
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    };
                    for c in changes {
                        last = last.max(c.rv);
                        if let Some(kind) = matches(&c)
                            && tx.send(Ok(event_line(kind, &present(&c.object)))).await.is_err()
                        {
                            return;
                        }
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

impl KubeDouble {
    /// Start on 127.0.0.1 with a free port (inside a Tokio runtime).
    pub async fn start() -> Result<KubeDouble> {
        let (changes, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            changes,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the Kubernetes API double")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(KubeDouble {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Write a kubeconfig pointing at the double (for processes: `KUBECONFIG`).
    pub fn write_kubeconfig(&self, path: &Path) -> Result<()> {
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: double\n  cluster:\n    server: {}\n\
             users:\n- name: test\n  user: {{}}\ncontexts:\n- name: double\n  context:\n    cluster: double\n    user: test\n    namespace: default\n\
             current-context: double\n",
            self.url()
        );
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// Create or replace an object (by `apiVersion`, `kind`, `metadata.namespace`
    /// (default `default`) and `metadata.name`). Returns it as stored.
    pub fn apply(&self, obj: Value) -> Result<Value> {
        let out = {
            let mut store = self.shared.lock();
            let res = store.resource_of(&obj).map_err(|e| anyhow!(e.message))?;
            let ns = obj
                .get("metadata")
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_string();
            let name = obj
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let exists = store.get(&res, &ns, &name).is_ok();
            let mut obj = obj;
            if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("resourceVersion");
            }
            if exists {
                store.replace(&res, &ns, &name, obj)
            } else {
                store.create(&res, &ns, obj)
            }
            .map_err(|e| anyhow!(e.message))?
        };
        publish_new(&self.shared);
        Ok(out)
    }

    /// Delete an object.
    pub fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Result<()> {
        {
            let mut store = self.shared.lock();
            let res = store
                .resource_of(&json!({"apiVersion": api_version, "kind": kind}))
                .map_err(|e| anyhow!(e.message))?;
            store
                .delete(&res, namespace, name)
                .map_err(|e| anyhow!(e.message))?;
        }
        publish_new(&self.shared);
        Ok(())
    }

    /// Every object of a resource (`group` `""` for core), all namespaces.
    pub fn objects(&self, group: &str, plural: &str) -> Vec<Value> {
        let store = self.shared.lock();
        match store
            .resources
            .iter()
            .find(|r| r.group == group && r.plural == plural)
        {
            Some(res) => store.list(res, None),
            None => Vec::new(),
        }
    }

    /// Make a resource answer 404 (its CRD is not installed).
    pub fn remove_resource(&self, group: &str, plural: &str) {
        self.shared
            .lock()
            .missing
            .insert((group.into(), plural.into()));
    }

    /// Forget the change log: watches from any earlier resourceVersion get 410.
    pub fn compact(&self) {
        let mut store = self.shared.lock();
        store.oldest_rv = store.rv + 1;
        store.log.clear();
    }

    /// The current resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().rv
    }
}
