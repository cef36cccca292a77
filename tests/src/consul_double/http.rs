//! The HTTP side of the double: `/v1/kv/<key>` (GET, PUT, DELETE) and `/v1/txn` (PUT), with
//! Consul's query parameters, headers, status codes and texts.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::acl::{Access, Acl, AclDenied, Authorizer};
use super::store::{Store, TxnOutcome, decode_txn, entry_json, run_txn};

/// Consul's limits that the double enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// `limits.kv_max_value_size` (also the `/v1/txn` body limit, as in Consul's defaults).
    pub(crate) max_value: usize,
    /// Operations per transaction.
    pub(crate) max_txn_ops: usize,
}

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    /// `(index, epoch)`: blocking queries wake when the index passes theirs, or when the
    /// epoch moves (a snapshot restore, after which the index may be lower).
    pub(crate) index_tx: watch::Sender<(u64, u64)>,
    /// Every request as `METHOD /path?query`, with the token it carried (so a
    /// test can tell clients apart by giving each its own token).
    pub(crate) requests: Mutex<Vec<(String, Option<String>)>>,
    pub(crate) acl: Option<Acl>,
    pub(crate) limits: Limits,
    /// While `Some(status)`, every request is answered with that status (fault injection);
    /// blocking queries in flight return at once.
    pub(crate) failing: watch::Sender<Option<u16>>,
}

impl Shared {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn record(&self, line: String, headers: &HeaderMap, uri: &Uri) {
        let params = Params::parse(uri.query());
        let token = token(headers, &params).map(str::to_string);
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((line, token));
    }

    /// Applies a change under the lock; bumps and publishes the index if it changed anything.
    pub(crate) fn change(&self, f: impl FnOnce(&mut Store, u64) -> bool) -> bool {
        let mut store = self.store();
        let next = store.index + 1;
        let changed = f(&mut store, next);
        if changed {
            store.index = next;
            self.publish(&store, false);
        }
        changed
    }

    /// Wakes blocking queries with the store's index (and a new epoch if `restored`).
    pub(crate) fn publish(&self, store: &Store, restored: bool) {
        self.index_tx.send_modify(|(index, epoch)| {
            *index = store.index;
            if restored {
                *epoch += 1;
            }
        });
    }
}

/// Query parameters as Consul reads them (flags like `recurse` may have no value).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: Option<&str>) -> Params {
        let pairs = query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(v)),
                None => (percent_decode(p), String::new()),
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

    /// A `u64` parameter; `Err` is Consul's text for a malformed one (answered with 500).
    fn u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| format!("strconv.ParseUint: parsing {text:?}: invalid syntax")),
        }
    }
}

/// Parses a Consul `wait` value (Go durations `15000ms`, `15s`, `1m`, `1m30s`; a bare
/// number = seconds), capped at Consul's 10 minutes.
pub(crate) fn parse_wait(text: &str) -> Option<Duration> {
    if text.is_empty() {
        return None;
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_WAIT));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let (number, tail) = rest.split_at(digits);
        let n: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += Duration::from_secs_f64(n * scale);
        rest = tail;
    }
    Some(total.min(MAX_WAIT))
}

const MAX_WAIT: Duration = Duration::from_secs(600);
const DEFAULT_WAIT: Duration = Duration::from_secs(300);

pub(crate) fn percent_decode(text: &str) -> String {
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

/// Percent-decoding for the path (no `+` → space).
fn percent_decode_path(text: &str) -> String {
    percent_decode(&text.replace('+', "%2B"))
}

fn text_response(status: u16, text: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn with_meta(mut response: Response, index: Option<u64>) -> Response {
    let headers = response.headers_mut();
    if let Some(index) = index
        && let Ok(value) = HeaderValue::from_str(&index.to_string())
    {
        headers.insert("X-Consul-Index", value);
    }
    headers.insert("X-Consul-KnownLeader", HeaderValue::from_static("true"));
    headers.insert("X-Consul-LastContact", HeaderValue::from_static("0"));
    response
}

fn json_response(value: &impl serde::Serialize) -> Response {
    axum::Json(value).into_response()
}

/// A random jitter of up to `wait/16`, as Consul adds to blocking waits.
fn jitter(wait: Duration) -> Duration {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    let fraction = (hasher.finish() % 1000) as f64 / 1000.0;
    wait.div_f64(16.0).mul_f64(fraction)
}

/// The secret a request carries: `X-Consul-Token`, `Authorization: Bearer`, or `?token=`.
fn token<'a>(headers: &'a HeaderMap, params: &'a Params) -> Option<&'a str> {
    headers
        .get("X-Consul-Token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
        })
        .or_else(|| params.get("token"))
        .filter(|t| !t.is_empty())
}

fn forbidden(denied: AclDenied) -> Response {
    text_response(403, denied.text())
}

/// `Ok(None)` = ACLs off; `Ok(Some(authz))`; `Err` = unknown token.
fn authorize<'a>(
    shared: &'a Shared,
    headers: &'a HeaderMap,
    params: &'a Params,
) -> Result<Option<Authorizer<'a>>, AclDenied> {
    match &shared.acl {
        None => Ok(None),
        Some(acl) => acl.resolve(token(headers, params)).map(Some),
    }
}

/// A request while the double is failing on purpose.
fn failing_response(shared: &Shared) -> Option<Response> {
    (*shared.failing.borrow()).map(|status| text_response(status, "No cluster leader".into()))
}

pub(crate) async fn kv(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.record(format!("{method} {uri}"), &headers, &uri);
    if let Some(response) = failing_response(&shared) {
        return response;
    }
    let raw_key = uri.path().strip_prefix("/v1/kv/").unwrap_or("");
    let key = percent_decode_path(raw_key);
    let params = Params::parse(uri.query());
    let authz = match authorize(&shared, &headers, &params) {
        Ok(authz) => authz,
        Err(denied) => return forbidden(denied),
    };
    match method {
        Method::GET => get(&shared, &key, &params, authz.as_ref()).await,
        Method::PUT => put(&shared, &key, &params, body, authz.as_ref()),
        Method::DELETE => delete(&shared, &key, &params, authz.as_ref()),
        _ => text_response(405, format!("method {method} not allowed")),
    }
}

/// Waits while the index has not moved past `wanted` (a blocking query).
async fn block(shared: &Shared, wanted: u64, wait: Duration) {
    let mut rx = shared.index_tx.subscribe();
    let mut failing = shared.failing.subscribe();
    let epoch = rx.borrow().1;
    let _ = tokio::time::timeout(wait + jitter(wait), async {
        loop {
            let (index, now) = *rx.borrow_and_update();
            if index > wanted || now != epoch || failing.borrow_and_update().is_some() {
                return;
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return },
                changed = failing.changed() => if changed.is_err() { return },
            }
        }
    })
    .await;
}

async fn get(
    shared: &Shared,
    key: &str,
    params: &Params,
    authz: Option<&Authorizer<'_>>,
) -> Response {
    if !params.has("recurse") && !params.has("keys") && key.is_empty() {
        return text_response(400, "Missing key name".into());
    }
    let wanted = match params.u64("index") {
        Ok(wanted) => wanted.filter(|i| *i > 0),
        Err(text) => return text_response(500, text),
    };
    if let Some(wanted) = wanted {
        let wait = params
            .get("wait")
            .and_then(parse_wait)
            .unwrap_or(DEFAULT_WAIT);
        block(shared, wanted, wait).await;
        if let Some(response) = failing_response(shared) {
            return response;
        }
    }
    let readable = |k: &str| authz.is_none_or(|a| a.allows(k, Access::Read));
    let store = shared.store();
    let index = Some(store.index.max(1));
    if params.has("keys") {
        let separator = params
            .get("separator")
            .or_else(|| params.get("seperator"))
            .filter(|s| !s.is_empty());
        let mut keys: Vec<String> = Vec::new();
        let mut filtered = false;
        for k in store.entries.keys().filter(|k| k.starts_with(key)) {
            if !readable(k) {
                filtered = true;
                continue;
            }
            let shown = match separator {
                Some(sep) => match k[key.len()..].find(sep) {
                    Some(pos) => k[..key.len() + pos + sep.len()].to_owned(),
                    None => k.clone(),
                },
                None => k.clone(),
            };
            if keys.last() != Some(&shown) {
                keys.push(shown);
            }
        }
        let response = if keys.is_empty() && !key.is_empty() {
            StatusCode::NOT_FOUND.into_response()
        } else {
            json_response(&keys)
        };
        return filtered_header(with_meta(response, index), filtered);
    }
    if params.has("recurse") {
        let mut filtered = false;
        let entries: Vec<Value> = store
            .entries
            .iter()
            .filter(|(k, _)| k.starts_with(key))
            .filter(|(k, _)| {
                let ok = readable(k);
                filtered |= !ok;
                ok
            })
            .map(|(k, e)| entry_json(k, e, true))
            .collect();
        let response = if entries.is_empty() {
            StatusCode::NOT_FOUND.into_response()
        } else {
            json_response(&entries)
        };
        return filtered_header(with_meta(response, index), filtered);
    }
    if let Some(authz) = authz
        && let Err(denied) = authz.check(key, Access::Read)
    {
        return forbidden(denied);
    }
    match store.entries.get(key) {
        None => with_meta(StatusCode::NOT_FOUND.into_response(), index),
        Some(e) if params.has("raw") => with_meta(
            (
                [
                    (header::CONTENT_TYPE, "text/plain"),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                    (header::CONTENT_SECURITY_POLICY, "sandbox"),
                ],
                Body::from(e.value.clone()),
            )
                .into_response(),
            index,
        ),
        Some(e) => with_meta(json_response(&vec![entry_json(key, e, true)]), index),
    }
}

fn filtered_header(mut response: Response, filtered: bool) -> Response {
    if filtered {
        response.headers_mut().insert(
            "X-Consul-Results-Filtered-By-ACLs",
            HeaderValue::from_static("true"),
        );
    }
    response
}

fn conflicting(params: &Params, a: &str, b: &str) -> Option<Response> {
    (params.has(a) && params.has(b)).then(|| {
        let query: Vec<String> = params.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        text_response(400, format!("Conflicting flags: {}\n", query.join("&")))
    })
}

fn put(
    shared: &Shared,
    key: &str,
    params: &Params,
    body: Bytes,
    authz: Option<&Authorizer<'_>>,
) -> Response {
    if key.is_empty() {
        return text_response(400, "Missing key name".into());
    }
    if key.starts_with('/') {
        return text_response(400, "key must not begin with a '/'".into());
    }
    if let Some(response) =
        conflicting(params, "cas", "acquire").or_else(|| conflicting(params, "cas", "release"))
    {
        return response;
    }
    let (flags, cas) = match (params.u64("flags"), params.u64("cas")) {
        (Ok(f), Ok(c)) => (f.unwrap_or(0), c),
        (Err(text), _) | (_, Err(text)) => return text_response(500, text),
    };
    let max = shared.limits.max_value;
    if body.len() > max {
        return text_response(
            413,
            format!(
                "Request body({} bytes) too large, max size: {max} bytes. See \
                 https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.",
                body.len()
            ),
        );
    }
    if params.has("acquire") || params.has("release") {
        return text_response(500, "missing session".into());
    }
    if let Some(authz) = authz
        && let Err(denied) = authz.check(key, Access::Write)
    {
        return forbidden(denied);
    }
    let ok = shared.change(|store, next| {
        if let Some(cas) = cas
            && !store.cas_allows(key, cas)
        {
            return false;
        }
        store.set(key, body.to_vec(), flags, next);
        true
    });
    json_response(&(ok || cas.is_none()))
}

fn delete(shared: &Shared, key: &str, params: &Params, authz: Option<&Authorizer<'_>>) -> Response {
    if let Some(response) = conflicting(params, "recurse", "cas") {
        return response;
    }
    let recurse = params.has("recurse");
    if key.is_empty() && !recurse {
        return text_response(400, "Missing key name".into());
    }
    let cas = match params.u64("cas") {
        Ok(cas) => cas,
        Err(text) => return text_response(500, text),
    };
    if let Some(authz) = authz {
        let allowed = if recurse {
            authz.allows_prefix_write(key)
        } else {
            authz.allows(key, Access::Write)
        };
        if !allowed {
            return forbidden(authz.denied(key, Access::Write));
        }
    }
    let mut ok = true;
    shared.change(|store, _| {
        if recurse {
            return store.delete_tree(key) > 0;
        }
        if let Some(cas) = cas {
            let existed = store.entries.contains_key(key);
            ok = store.delete_cas(key, cas);
            return ok && existed;
        }
        store.entries.remove(key).is_some()
    });
    json_response(&ok)
}

pub(crate) async fn txn(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.record(format!("{method} {uri}"), &headers, &uri);
    if let Some(response) = failing_response(&shared) {
        return response;
    }
    if method != Method::PUT {
        return text_response(405, format!("method {method} not allowed"));
    }
    let params = Params::parse(uri.query());
    let authz = match authorize(&shared, &headers, &params) {
        Ok(authz) => authz,
        Err(denied) => return forbidden(denied),
    };
    let ops = match decode_txn(&body, shared.limits.max_txn_ops, shared.limits.max_value) {
        Ok(ops) => ops,
        Err((status, text)) => return text_response(status, text),
    };
    let mut store = shared.store();
    match run_txn(&mut store, &ops, authz.as_ref()) {
        TxnOutcome::Committed { results, wrote } => {
            if wrote {
                shared.publish(&store, false);
            }
            let results = if results.is_empty() {
                Value::Null
            } else {
                Value::Array(results)
            };
            with_meta(
                json_response(&json!({"Results": results, "Errors": null})),
                None,
            )
        }
        TxnOutcome::RolledBack { errors } => {
            let mut response = json_response(&json!({"Results": null, "Errors": errors}));
            *response.status_mut() = StatusCode::CONFLICT;
            with_meta(response, None)
        }
    }
}

pub(crate) async fn unknown(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    shared.record(format!("{method} {uri}"), &headers, &uri);
    (StatusCode::NOT_FOUND, "not served by the Consul KV double").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_values() {
        assert_eq!(parse_wait("15000ms"), Some(Duration::from_millis(15000)));
        assert_eq!(parse_wait("3s"), Some(Duration::from_secs(3)));
        assert_eq!(parse_wait("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_wait("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_wait("20m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_wait("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_wait("x"), None);
        assert_eq!(parse_wait("5x"), None);
        assert_eq!(percent_decode("a%2Fb"), "a/b");
    }
}
