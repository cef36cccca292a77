//! A minimal Consul KV HTTP API double, on 127.0.0.1 with a free port.
//!
//! Consul cannot be installed from the registries this project reaches, so real Traefik's
//! Consul provider reads from this double instead; `tests/consul_double.rs` proves that it
//! does (a router defined here is served by real Traefik and follows changes).
//!
//! What Traefik's Consul provider (`pkg/provider/kv/kv.go` over `kvtools/consul`, which uses
//! `hashicorp/consul/api`) calls, in order:
//! 1. `GET /v1/kv/traefik/qmslkjdf...?consistent=&wait=3000ms` — a connection probe
//!    (`Exists` on a key that never exists: 404 means "connected").
//! 2. `GET /v1/kv/traefik?consistent=&recurse=&wait=3000ms` — the initial `List`.
//! 3. `GET /v1/kv/traefik?recurse=&wait=15000ms` then
//!    `GET /v1/kv/traefik?index=<X-Consul-Index>&recurse=&wait=15000ms` — `WatchTree`, a
//!    blocking query loop; each change triggers a new `List` (2.) and a full re-decode.
//!
//! Served here:
//! * `GET /v1/kv/<key>` — one entry (`[{...}]`), 404 if absent; `?raw` returns the bare value.
//! * `GET /v1/kv/<prefix>?recurse` — every entry whose key starts with the prefix
//!   (case-sensitive, like Consul), sorted by key; 404 when none.
//! * `GET /v1/kv/<prefix>?keys[&separator=/]` — key names.
//! * Every GET answers `X-Consul-Index` (also on 404), `X-Consul-KnownLeader: true` and
//!   `X-Consul-LastContact: 0` (the Go client refuses a response without LastContact).
//! * Blocking queries: `?index=N[&wait=15000ms|15s|1m]` with N >= the current index wait
//!   until the index moves past N or the wait elapses (Consul's default 5 min, max 10 min).
//! * `PUT /v1/kv/<key>[?flags=F][&cas=I]` (body = value) and `DELETE /v1/kv/<key>[?recurse][&cas=I]`
//!   answer `true`/`false` and bump the index; tests can also change state directly with
//!   [`ConsulDouble::put`] / [`ConsulDouble::delete`].
//!
//! The index is one global counter (Consul allows an index to move for unrelated changes).
//! Entries are returned with `LockIndex`, `Key`, `Flags`, `Value` (base64, `null` when
//! empty), `CreateIndex`, `ModifyIndex`; `Session` is omitted. Every request is recorded
//! ([`ConsulDouble::requests`]); anything else answers 404 and is recorded too.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{oneshot, watch};

/// One entry of a `consul kv export` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportEntry {
    pub key: String,
    #[serde(default)]
    pub flags: u64,
    /// Base64 of the value (`consul kv export` writes `""` for an empty value).
    #[serde(default)]
    pub value: String,
}

/// A decoded KV pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvPair {
    pub key: String,
    pub value: Vec<u8>,
    pub flags: u64,
}

impl KvPair {
    /// A pair with a UTF-8 value and no flags.
    pub fn new(key: &str, value: &str) -> KvPair {
        KvPair {
            key: key.into(),
            value: value.as_bytes().to_vec(),
            flags: 0,
        }
    }
}

/// Parses the JSON written by `consul kv export` (`[{"key","flags","value"(base64)}]`).
pub fn parse_export(text: &str) -> Result<Vec<KvPair>> {
    let entries: Vec<ExportEntry> =
        serde_json::from_str(text).context("not a consul kv export document")?;
    entries
        .into_iter()
        .map(|e| {
            let value = BASE64
                .decode(e.value.as_bytes())
                .with_context(|| format!("value of {:?} is not base64", e.key))?;
            Ok(KvPair {
                key: e.key,
                value,
                flags: e.flags,
            })
        })
        .collect()
}

/// Reads a `consul kv export` file.
pub fn read_export(path: &Path) -> Result<Vec<KvPair>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_export(&text).with_context(|| format!("in {}", path.display()))
}

/// Writes pairs in `consul kv export` format (pretty, one entry per element, sorted by key).
pub fn to_export(pairs: &[KvPair]) -> String {
    let mut entries: Vec<ExportEntry> = pairs
        .iter()
        .map(|p| ExportEntry {
            key: p.key.clone(),
            flags: p.flags,
            value: BASE64.encode(&p.value),
        })
        .collect();
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    let mut text = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

#[derive(Debug, Clone)]
struct Stored {
    value: Vec<u8>,
    flags: u64,
    create_index: u64,
    modify_index: u64,
}

#[derive(Debug)]
struct Store {
    index: u64,
    entries: BTreeMap<String, Stored>,
}

#[derive(Debug)]
struct Shared {
    store: Mutex<Store>,
    index_tx: watch::Sender<u64>,
    requests: Mutex<Vec<String>>,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, line: String) {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }

    /// Applies a change under the lock; bumps and publishes the index if it changed anything.
    fn change(&self, f: impl FnOnce(&mut Store, u64) -> bool) -> bool {
        let mut store = self.store();
        let next = store.index + 1;
        let changed = f(&mut store, next);
        if changed {
            store.index = next;
            self.index_tx.send_replace(next);
        }
        changed
    }
}

/// A running Consul KV double. Stops when dropped.
#[derive(Debug)]
pub struct ConsulDouble {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for ConsulDouble {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl ConsulDouble {
    /// Starts the double on 127.0.0.1 with a free port, loaded with `pairs`
    /// (must be called inside a Tokio runtime).
    pub async fn start(pairs: Vec<KvPair>) -> Result<ConsulDouble> {
        let mut entries = BTreeMap::new();
        let mut index = 0;
        for pair in pairs {
            index += 1;
            entries.insert(
                pair.key,
                Stored {
                    value: pair.value,
                    flags: pair.flags,
                    create_index: index,
                    modify_index: index,
                },
            );
        }
        let index = index.max(1);
        let (index_tx, _) = watch::channel(index);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store { index, entries }),
            index_tx,
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/kv/{*key}", axum::routing::any(kv))
            .fallback(unknown)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the Consul double")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(ConsulDouble {
            addr,
            shared,
            shutdown: Some(tx),
        })
    }

    /// Starts the double loaded from a `consul kv export` file.
    pub async fn from_export_file(path: &Path) -> Result<ConsulDouble> {
        ConsulDouble::start(read_export(path)?).await
    }

    /// The address to give Traefik (`providers.consul.endpoints`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The current `X-Consul-Index`.
    pub fn index(&self) -> u64 {
        self.shared.store().index
    }

    /// Sets a key (like `consul kv put`), bumping the index.
    pub fn put(&self, key: &str, value: &str) {
        let key = key.trim_start_matches('/').to_owned();
        let value = value.as_bytes().to_vec();
        self.shared.change(|store, next| {
            let create_index = store.entries.get(&key).map_or(next, |e| e.create_index);
            store.entries.insert(
                key,
                Stored {
                    value,
                    flags: 0,
                    create_index,
                    modify_index: next,
                },
            );
            true
        });
    }

    /// Deletes a key (like `consul kv delete`); returns whether it existed.
    pub fn delete(&self, key: &str) -> bool {
        let key = key.trim_start_matches('/');
        self.shared
            .change(|store, _| store.entries.remove(key).is_some())
    }

    /// Deletes every key under a prefix (like `consul kv delete -recurse`); returns how many.
    pub fn delete_tree(&self, prefix: &str) -> usize {
        let prefix = prefix.trim_start_matches('/');
        let mut removed = 0;
        self.shared.change(|store, _| {
            let before = store.entries.len();
            store.entries.retain(|k, _| !k.starts_with(prefix));
            removed = before - store.entries.len();
            removed > 0
        });
        removed
    }

    /// Every stored pair, sorted by key.
    pub fn pairs(&self) -> Vec<KvPair> {
        self.shared
            .store()
            .entries
            .iter()
            .map(|(k, e)| KvPair {
                key: k.clone(),
                value: e.value.clone(),
                flags: e.flags,
            })
            .collect()
    }

    /// Every request received so far, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Query parameters as Consul reads them (flags like `recurse` may have no value).
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(query: Option<&str>) -> Params {
        let pairs = query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (p.to_owned(), String::new()),
            })
            .collect();
        Params(pairs)
    }

    fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a Consul `wait` value (`15000ms`, `15s`, `1m`, bare number = seconds).
fn parse_wait(text: &str) -> Option<Duration> {
    let text = percent_decode(text);
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(pos) => text.split_at(pos),
        None => (text.as_str(), "s"),
    };
    let n: u64 = number.parse().ok()?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return None,
    };
    Some(duration.min(Duration::from_secs(600)))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn with_index(mut response: Response, index: u64) -> Response {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&index.to_string()) {
        headers.insert("X-Consul-Index", value);
    }
    headers.insert("X-Consul-KnownLeader", HeaderValue::from_static("true"));
    headers.insert("X-Consul-LastContact", HeaderValue::from_static("0"));
    response
}

fn entry_json(key: &str, e: &Stored) -> serde_json::Value {
    let value = if e.value.is_empty() {
        serde_json::Value::Null
    } else {
        json!(BASE64.encode(&e.value))
    };
    json!({
        "LockIndex": 0,
        "Key": key,
        "Flags": e.flags,
        "Value": value,
        "CreateIndex": e.create_index,
        "ModifyIndex": e.modify_index,
    })
}

async fn kv(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, body: Bytes) -> Response {
    shared.record(format!("{method} {uri}"));
    let raw_key = uri.path().strip_prefix("/v1/kv/").unwrap_or("");
    let key = percent_decode_path(raw_key);
    let params = Params::parse(uri.query());
    match method {
        Method::GET => get(&shared, &key, &params).await,
        Method::PUT => put(&shared, key, &params, body),
        Method::DELETE => delete(&shared, &key, &params),
        _ => (StatusCode::METHOD_NOT_ALLOWED, "method not allowed").into_response(),
    }
}

/// Percent-decoding for the path (no `+` → space).
fn percent_decode_path(text: &str) -> String {
    percent_decode(&text.replace('+', "%2B"))
}

async fn get(shared: &Shared, key: &str, params: &Params) -> Response {
    // Blocking query: wait while the index has not moved past the one asked for.
    if let Some(wanted) = params
        .get("index")
        .and_then(|i| i.parse::<u64>().ok())
        .filter(|i| *i > 0)
    {
        let wait = params
            .get("wait")
            .and_then(parse_wait)
            .unwrap_or(Duration::from_secs(300));
        let mut rx = shared.index_tx.subscribe();
        let _ = tokio::time::timeout(wait, async {
            loop {
                if *rx.borrow_and_update() > wanted {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
    }
    let store = shared.store();
    let index = store.index;
    if params.has("keys") {
        let separator = params
            .get("separator")
            .map(percent_decode)
            .filter(|s| !s.is_empty());
        let mut keys: Vec<String> = Vec::new();
        for k in store.entries.keys().filter(|k| k.starts_with(key)) {
            let shown = match &separator {
                Some(sep) => match k[key.len()..].find(sep.as_str()) {
                    Some(pos) => k[..key.len() + pos + sep.len()].to_owned(),
                    None => k.clone(),
                },
                None => k.clone(),
            };
            if keys.last() != Some(&shown) {
                keys.push(shown);
            }
        }
        if keys.is_empty() {
            return with_index(StatusCode::NOT_FOUND.into_response(), index);
        }
        return with_index(axum::Json(keys).into_response(), index);
    }
    if params.has("recurse") {
        let entries: Vec<serde_json::Value> = store
            .entries
            .iter()
            .filter(|(k, _)| k.starts_with(key))
            .map(|(k, e)| entry_json(k, e))
            .collect();
        if entries.is_empty() {
            return with_index(StatusCode::NOT_FOUND.into_response(), index);
        }
        return with_index(axum::Json(entries).into_response(), index);
    }
    match store.entries.get(key) {
        None => with_index(StatusCode::NOT_FOUND.into_response(), index),
        Some(e) if params.has("raw") => with_index(
            (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                Body::from(e.value.clone()),
            )
                .into_response(),
            index,
        ),
        Some(e) => with_index(axum::Json(vec![entry_json(key, e)]).into_response(), index),
    }
}

fn put(shared: &Shared, key: String, params: &Params, body: Bytes) -> Response {
    if key.is_empty() {
        return (StatusCode::BAD_REQUEST, "Missing key name").into_response();
    }
    let flags = params
        .get("flags")
        .and_then(|f| f.parse().ok())
        .unwrap_or(0);
    let cas = params.get("cas").and_then(|c| c.parse::<u64>().ok());
    let ok = shared.change(|store, next| {
        let existing = store.entries.get(&key);
        let allowed = match cas {
            None => true,
            Some(0) => existing.is_none(),
            Some(i) => existing.is_some_and(|e| e.modify_index == i),
        };
        if allowed {
            let create_index = existing.map_or(next, |e| e.create_index);
            store.entries.insert(
                key,
                Stored {
                    value: body.to_vec(),
                    flags,
                    create_index,
                    modify_index: next,
                },
            );
        }
        allowed
    });
    axum::Json(ok).into_response()
}

fn delete(shared: &Shared, key: &str, params: &Params) -> Response {
    let cas = params.get("cas").and_then(|c| c.parse::<u64>().ok());
    let mut ok = true;
    shared.change(|store, _| {
        if params.has("recurse") {
            let before = store.entries.len();
            store.entries.retain(|k, _| !k.starts_with(key));
            return store.entries.len() != before;
        }
        if let Some(i) = cas
            && store.entries.get(key).is_some_and(|e| e.modify_index != i)
        {
            ok = false;
            return false;
        }
        store.entries.remove(key).is_some()
    });
    axum::Json(ok).into_response()
}

async fn unknown(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    shared.record(format!("{method} {uri}"));
    (StatusCode::NOT_FOUND, "not served by the Consul KV double").into_response()
}

/// Builds a `consul kv export` document from `key<TAB>value` lines (`#` comments and
/// blank lines skipped; `\n` and `\t` escapes in values; a line without TAB is a key with
/// an empty value). Used to author scenario `consul.json` files.
pub fn export_from_lines(text: &str) -> Result<String> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('\t').unwrap_or((line, ""));
        if key.is_empty() {
            bail!("line {}: empty key", n + 1);
        }
        let value = value.replace("\\n", "\n").replace("\\t", "\t");
        pairs.push(KvPair::new(key, &value));
    }
    Ok(to_export(&pairs))
}

/// The reverse of [`export_from_lines`]: one `key<TAB>value` line per pair (non-UTF-8
/// values shown as `<N bytes>`).
pub fn lines_from_pairs(pairs: &[KvPair]) -> String {
    let mut out = String::new();
    for pair in pairs {
        let value = match std::str::from_utf8(&pair.value) {
            Ok(v) => v.replace('\n', "\\n").replace('\t', "\\t"),
            Err(_) => format!("<{} bytes>", pair.value.len()),
        };
        out.push_str(&pair.key);
        out.push('\t');
        out.push_str(&value);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_round_trip_and_lines() {
        let text = export_from_lines(
            "# c\ntraefik/http/routers/a/rule\tHost(`a`)\ntraefik/http/routers/a/tls\n",
        )
        .unwrap();
        let pairs = parse_export(&text).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].value, b"Host(`a`)");
        assert!(pairs[1].value.is_empty());
        assert_eq!(
            lines_from_pairs(&pairs),
            "traefik/http/routers/a/rule\tHost(`a`)\ntraefik/http/routers/a/tls\t\n"
        );
    }

    #[test]
    fn wait_values() {
        assert_eq!(parse_wait("15000ms"), Some(Duration::from_millis(15000)));
        assert_eq!(parse_wait("3s"), Some(Duration::from_secs(3)));
        assert_eq!(parse_wait("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_wait("20m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_wait("x"), None);
        assert_eq!(percent_decode("a%2Fb"), "a/b");
    }
}
