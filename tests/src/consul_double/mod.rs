//! A Consul KV HTTP API double, on 127.0.0.1 with a free port (plain HTTP or TLS).
//!
//! Consul cannot be installed from the registries this project reaches, so real Traefik's
//! Consul provider reads from this double instead. Its fidelity is proven by two independent
//! real clients: real Traefik (`tests/consul_double.rs`: a router defined here is served and
//! follows changes, also changes made through `/v1/txn`) and PyPI `py-consul`
//! (`tests/python/consul_double_fidelity.py`, driven by `tests/consul_double_pyconsul.rs`).
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
//! Served here, with Consul's status codes and texts (`agent/kvs_endpoint.go`,
//! `agent/txn_endpoint.go`, `agent/consul/state/txn.go`, `kvs.go`, `acl/errors.go`):
//! * `GET /v1/kv/<key>` — one entry (`[{...}]`), 404 if absent; `?raw` returns the bare value
//!   (`text/plain`). `?recurse` — every entry whose key starts with the prefix (case-sensitive),
//!   sorted by key, 404 when none. `?keys[&separator=/]` — key names (folded at the
//!   separator); `?consistent`, `?stale`, `?dc` are accepted.
//! * Every GET answers `X-Consul-Index` (also on 404), `X-Consul-KnownLeader: true` and
//!   `X-Consul-LastContact: 0` (the Go client refuses a response without LastContact).
//! * Blocking queries: `?index=N[&wait=15000ms|15s|1m|1m30s]` wait until the index moves past
//!   N, a snapshot restore happens ([`ConsulDouble::restore_snapshot`], the index may then be
//!   lower, as after a real restore) or the wait elapses (default 5 min, cap 10 min, plus a
//!   random jitter of up to wait/16, as Consul).
//! * `PUT /v1/kv/<key>[?flags=F][&cas=I]` (body = value) answers `true`/`false` (cas 0 = only
//!   if absent); values over `kv_max_value_size` (512 KiB by default) → 413 with Consul's text.
//!   `DELETE /v1/kv/<key>[?recurse|?cas=I]` answers `true`/`false`.
//! * `PUT /v1/txn` — KV verbs `set`, `cas`, `get`, `get-or-empty`, `get-tree`, `delete`,
//!   `delete-cas`, `delete-tree`, `check-index`, `check-not-exists` (session verbs fail with
//!   `missing session`), base64 values, all-or-nothing on one new index: 200
//!   `{"Results":[{"KV":{...}}],"Errors":null}` or 409 `{"Results":null,"Errors":[{"OpIndex",
//!   "What"}]}` with every failing operation; more than [`MAX_TXN_OPS`] operations → 413
//!   `Transaction contains too many operations (N > 128)`.
//! * ACLs ([`Acl`], optional): default deny, `key_prefix` rules per token, token from
//!   `X-Consul-Token`, `Authorization: Bearer` or `?token=`; unknown token → 403
//!   `ACL not found`; refusals → 403 `Permission denied: ...`; recursive reads and key lists
//!   leave out unreadable keys (and say so with `X-Consul-Results-Filtered-By-ACLs: true`);
//!   transactions report refusals per operation (409).
//! * Fault injection: [`ConsulDouble::pause`] closes the port (connection refused; blocking
//!   queries in flight answer 500 at once) and [`ConsulDouble::resume`] serves again on the
//!   same port with the same data; [`ConsulDouble::set_failing`] answers every request with
//!   a status instead. Every request is recorded ([`ConsulDouble::requests`]).
//!
//! The index is one global counter (Consul allows an index to move for unrelated changes).
//! Entries are returned with `LockIndex`, `Key`, `Flags`, `Value` (base64, `null` when
//! empty), `CreateIndex`, `ModifyIndex`; `Session` is omitted. Anything else answers 404 and
//! is recorded too.

mod acl;
mod export;
mod http;
mod store;
mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub use acl::{Acl, AclToken, KeyPolicy, KeyPrefixRule};
pub use export::{
    ExportEntry, KvPair, export_from_lines, lines_from_pairs, parse_export, read_export, to_export,
};
pub use tls::TlsIdentity;

use http::{Limits, Shared};
use store::{Store, Stored};

/// Consul's `limits.kv_max_value_size` default (Raft's suggested max data size).
pub const KV_MAX_VALUE_SIZE: usize = 512 * 1024;
/// Operations per `/v1/txn` (64 before Consul 1.14, 128 since).
pub const MAX_TXN_OPS: usize = 128;

/// How to start a double: ACLs, TLS, limits.
#[derive(Debug, Clone)]
pub struct DoubleOptions {
    /// ACL tokens and rules; `None` = ACLs off (everything allowed, like a dev agent).
    pub acl: Option<Acl>,
    /// Serve HTTPS with this certificate instead of HTTP.
    pub tls: Option<TlsIdentity>,
    /// `kv_max_value_size`.
    pub max_value_size: usize,
    /// Operations per transaction.
    pub max_txn_ops: usize,
}

impl Default for DoubleOptions {
    fn default() -> Self {
        DoubleOptions {
            acl: None,
            tls: None,
            max_value_size: KV_MAX_VALUE_SIZE,
            max_txn_ops: MAX_TXN_OPS,
        }
    }
}

/// The running server task and how to stop it.
#[derive(Debug)]
struct Serving {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// A running Consul KV double. Stops when dropped.
#[derive(Debug)]
pub struct ConsulDouble {
    addr: SocketAddr,
    shared: Arc<Shared>,
    tls: Option<TlsIdentity>,
    serving: Option<Serving>,
}

impl Drop for ConsulDouble {
    fn drop(&mut self) {
        if let Some(serving) = self.serving.take() {
            let _ = serving.shutdown.send(());
            serving.task.abort();
        }
    }
}

fn load(pairs: Vec<KvPair>, first_index: u64) -> (BTreeMap<String, Stored>, u64) {
    let mut entries = BTreeMap::new();
    let mut index = first_index.saturating_sub(1);
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
    (entries, index.max(1))
}

impl ConsulDouble {
    /// Starts the double on 127.0.0.1 with a free port, loaded with `pairs`
    /// (must be called inside a Tokio runtime).
    pub async fn start(pairs: Vec<KvPair>) -> Result<ConsulDouble> {
        ConsulDouble::start_with(pairs, DoubleOptions::default()).await
    }

    /// Starts the double with options (ACLs, TLS, limits).
    pub async fn start_with(pairs: Vec<KvPair>, options: DoubleOptions) -> Result<ConsulDouble> {
        let (entries, index) = load(pairs, 1);
        let (index_tx, _) = watch::channel((index, 0));
        let (failing, _) = watch::channel(None);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store { index, entries }),
            index_tx,
            requests: Mutex::new(Vec::new()),
            acl: options.acl,
            limits: Limits {
                max_value: options.max_value_size,
                max_txn_ops: options.max_txn_ops,
            },
            failing,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the Consul double")?;
        let addr = listener.local_addr()?;
        let mut double = ConsulDouble {
            addr,
            shared,
            tls: options.tls,
            serving: None,
        };
        double.serve(listener)?;
        Ok(double)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) -> Result<()> {
        let app = Router::new()
            .route("/v1/kv/{*key}", axum::routing::any(http::kv))
            .route("/v1/kv/", axum::routing::any(http::kv))
            .route("/v1/txn", axum::routing::any(http::txn))
            .fallback(http::unknown)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(self.shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = rx.await;
        };
        let task = match &self.tls {
            None => tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await;
            }),
            Some(identity) => {
                let listener = tls::TlsListener::new(listener, identity)?;
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(shutdown)
                        .await;
                })
            }
        };
        self.serving = Some(Serving { shutdown: tx, task });
        Ok(())
    }

    /// Starts the double loaded from a `consul kv export` file.
    pub async fn from_export_file(path: &Path) -> Result<ConsulDouble> {
        ConsulDouble::start(read_export(path)?).await
    }

    /// The address to give Traefik (`providers.consul.endpoints`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` or `https://ADDR` (for clients such as `CONSUL_HTTP_ADDR`).
    pub fn url(&self) -> String {
        match self.tls {
            None => format!("http://{}", self.addr),
            Some(_) => format!("https://{}", self.addr),
        }
    }

    /// The current `X-Consul-Index`.
    pub fn index(&self) -> u64 {
        self.shared.store().index
    }

    /// Sets a key (like `consul kv put`), bumping the index.
    pub fn put(&self, key: &str, value: &str) {
        self.put_bytes(key, value.as_bytes(), 0);
    }

    /// Sets a key with any value and flags, bumping the index.
    pub fn put_bytes(&self, key: &str, value: &[u8], flags: u64) {
        let key = key.trim_start_matches('/');
        self.shared.change(|store, next| {
            store.set(key, value.to_vec(), flags, next);
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
            removed = store.delete_tree(prefix);
            removed > 0
        });
        removed
    }

    /// Replaces the whole store as a snapshot restore does: the entries become `pairs`
    /// and the index becomes `index` (which may be lower than before: the case Consul tells
    /// clients to handle by resetting their index to 0). Blocking queries wake.
    pub fn restore_snapshot(&self, pairs: Vec<KvPair>, index: u64) {
        let count = pairs.len() as u64;
        let (entries, last) = load(pairs, index.saturating_sub(count).max(1));
        let mut store = self.shared.store();
        store.entries = entries;
        store.index = last.max(index).max(1);
        self.shared.publish(&store, true);
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

    /// The `ModifyIndex` of a key, if present.
    pub fn modify_index(&self, key: &str) -> Option<u64> {
        self.shared.store().entries.get(key).map(|e| e.modify_index)
    }

    /// Every request received so far, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(line, _)| line.clone())
            .collect()
    }

    /// Every request received so far with the ACL token it carried
    /// (`X-Consul-Token`, `Authorization: Bearer` or `?token=`), whether or not
    /// ACLs are enabled: clients given different tokens can be told apart.
    pub fn requests_with_tokens(&self) -> Vec<(String, Option<String>)> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Answers every request with `status` (and Consul's `No cluster leader` text) while
    /// `Some`; blocking queries in flight return at once. `None` serves normally again.
    pub fn set_failing(&self, status: Option<u16>) {
        self.shared.failing.send_replace(status);
    }

    /// Makes the double unreachable: blocking queries in flight answer 500, connections are
    /// closed and the port stops listening (clients get "connection refused"). The data is
    /// kept for [`ConsulDouble::resume`].
    pub async fn pause(&mut self) -> Result<()> {
        let Some(serving) = self.serving.take() else {
            return Ok(());
        };
        self.shared.failing.send_replace(Some(500));
        let _ = serving.shutdown.send(());
        let abort = serving.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(5), serving.task)
            .await
            .is_err()
        {
            abort.abort();
        }
        Ok(())
    }

    /// Serves again on the same port with the same data after [`ConsulDouble::pause`].
    pub async fn resume(&mut self) -> Result<()> {
        if self.serving.is_some() {
            return Ok(());
        }
        let mut last_error = None;
        // The port was just closed; rebinding it can race with the kernel for a moment.
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(listener) => {
                    self.shared.failing.send_replace(None);
                    return self.serve(listener);
                }
                Err(e) => {
                    last_error = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        match last_error {
            Some(e) => {
                Err(e).with_context(|| format!("rebinding the Consul double on {}", self.addr))
            }
            None => bail!("rebinding the Consul double on {}", self.addr),
        }
    }
}
