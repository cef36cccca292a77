//! The KV operations over Consul's HTTP API (reqwest, rustls with the ring provider).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::args::{Consistency, ConsulConfig, Token};
use super::error::ConsulError;

/// One KV entry as Consul stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    /// Full key.
    pub key: String,
    /// Raw value.
    pub value: Vec<u8>,
    /// Consul's opaque flags.
    pub flags: u64,
    /// Index of the write that created the key.
    pub create_index: u64,
    /// Index of the last write (what `cas` and `check-index` compare).
    pub modify_index: u64,
}

impl KvEntry {
    /// The pair the core's Consul KV decoder reads.
    pub fn to_kv_pair(&self) -> sync_core::decode::consul_kv::KvPair {
        sync_core::decode::consul_kv::KvPair {
            key: self.key.clone(),
            value: self.value.clone(),
        }
    }
}

/// A recursive read: the entries under a prefix (sorted by key) and `X-Consul-Index`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KvList {
    /// Entries, sorted by key.
    pub pairs: Vec<KvEntry>,
    /// `X-Consul-Index` of the answer (for the next blocking query).
    pub index: u64,
}

impl KvList {
    /// The pairs as the core's decoder (`sync_core::decode::consul_kv::decode_provider`) reads them.
    pub fn to_kv_pairs(&self) -> Vec<sync_core::decode::consul_kv::KvPair> {
        self.pairs.iter().map(KvEntry::to_kv_pair).collect()
    }
}

/// One KV operation of a transaction (`/v1/txn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnOp {
    /// Set a key.
    Set {
        /// Key.
        key: String,
        /// Value.
        value: Vec<u8>,
    },
    /// Set a key only if its `ModifyIndex` is `index` (0 = only if absent).
    Cas {
        /// Key.
        key: String,
        /// Value.
        value: Vec<u8>,
        /// Expected `ModifyIndex`.
        index: u64,
    },
    /// Delete a key (no error if absent).
    Delete {
        /// Key.
        key: String,
    },
    /// Delete a key only if its `ModifyIndex` is `index`.
    DeleteCas {
        /// Key.
        key: String,
        /// Expected `ModifyIndex`.
        index: u64,
    },
    /// Delete every key under a prefix.
    DeleteTree {
        /// Prefix.
        prefix: String,
    },
    /// Fail the transaction unless the key's `ModifyIndex` is `index`.
    CheckIndex {
        /// Key.
        key: String,
        /// Expected `ModifyIndex`.
        index: u64,
    },
    /// Fail the transaction if the key exists.
    CheckNotExists {
        /// Key.
        key: String,
    },
    /// Read a key (fails the transaction if absent).
    Get {
        /// Key.
        key: String,
    },
    /// Read every key under a prefix.
    GetTree {
        /// Prefix.
        prefix: String,
    },
}

impl TxnOp {
    fn to_json(&self) -> Value {
        let (verb, key, value, index) = match self {
            TxnOp::Set { key, value } => ("set", key, Some(value), 0),
            TxnOp::Cas { key, value, index } => ("cas", key, Some(value), *index),
            TxnOp::Delete { key } => ("delete", key, None, 0),
            TxnOp::DeleteCas { key, index } => ("delete-cas", key, None, *index),
            TxnOp::DeleteTree { prefix } => ("delete-tree", prefix, None, 0),
            TxnOp::CheckIndex { key, index } => ("check-index", key, None, *index),
            TxnOp::CheckNotExists { key } => ("check-not-exists", key, None, 0),
            TxnOp::Get { key } => ("get", key, None, 0),
            TxnOp::GetTree { prefix } => ("get-tree", prefix, None, 0),
        };
        let mut kv = json!({"Verb": verb, "Key": key});
        if let Some(value) = value {
            kv["Value"] = json!(BASE64.encode(value));
        }
        if index != 0 {
            kv["Index"] = json!(index);
        }
        json!({ "KV": kv })
    }

    fn value_len(&self) -> usize {
        match self {
            TxnOp::Set { value, .. } | TxnOp::Cas { value, .. } => value.len(),
            _ => 0,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireEntry {
    key: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    flags: u64,
    #[serde(default)]
    create_index: u64,
    #[serde(default)]
    modify_index: u64,
}

impl WireEntry {
    fn decode(self, what: &str) -> Result<KvEntry, ConsulError> {
        let value = match self.value {
            None => Vec::new(),
            Some(text) => BASE64
                .decode(text.as_bytes())
                .map_err(|e| ConsulError::Decode {
                    what: what.to_owned(),
                    detail: format!("value of {:?} is not base64: {e}", self.key),
                })?,
        };
        Ok(KvEntry {
            key: self.key,
            value,
            flags: self.flags,
            create_index: self.create_index,
            modify_index: self.modify_index,
        })
    }
}

/// The ACL token, re-read from its file when the file changes, so a rotated
/// Secret takes effect without a restart. A file that cannot be read (half
/// written, briefly missing during a `..data` swap) keeps the last token.
#[derive(Debug, Clone)]
struct TokenSource {
    file: Option<std::path::PathBuf>,
    state: std::sync::Arc<std::sync::Mutex<(Option<Token>, Option<std::time::SystemTime>)>>,
}

impl TokenSource {
    fn new(token: Option<Token>, file: Option<std::path::PathBuf>) -> Self {
        let mtime = file.as_ref().and_then(|f| modified(f));
        Self {
            file,
            state: std::sync::Arc::new(std::sync::Mutex::new((token, mtime))),
        }
    }

    fn current(&self) -> Option<Token> {
        let mut state = match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        if let Some(file) = &self.file {
            let mtime = modified(file);
            if mtime.is_some() && mtime != state.1 {
                match Token::from_file(file) {
                    Ok(token) => {
                        tracing::info!(file = %file.display(), "Consul token file changed; using the new token");
                        *state = (token, mtime);
                    }
                    Err(e) => tracing::warn!("{e}; keeping the previous token"),
                }
            }
        }
        state.0.clone()
    }
}

fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A Consul KV client. Cheap to clone (one connection pool).
#[derive(Debug, Clone)]
pub struct ConsulClient {
    http: reqwest::Client,
    base: String,
    token: TokenSource,
    consistency: Consistency,
    wait: Duration,
    timeout: Duration,
}

/// Characters kept as they are in a key's URL path (RFC 3986 unreserved, and `/`).
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Every cause of an error, joined (reqwest's top-level text hides the useful part).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl ConsulClient {
    /// Consul's limit of operations per transaction (128 since Consul 1.14; 64 before).
    pub const MAX_TXN_OPS: usize = 128;

    /// Builds a client (installs the ring rustls provider if none is installed yet).
    pub fn new(config: &ConsulConfig) -> Result<ConsulClient, ConsulError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let addr = config.addr.trim().trim_end_matches('/');
        let base = if addr.starts_with("http://") || addr.starts_with("https://") {
            addr.to_owned()
        } else if addr.contains("://") {
            return Err(ConsulError::Config(format!(
                "address {addr:?}: only http:// and https:// are supported"
            )));
        } else {
            format!("http://{addr}")
        };
        if base.ends_with("://") {
            return Err(ConsulError::Config(format!("address {addr:?} has no host")));
        }
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(config.timeout);
        if let Some(path) = &config.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                ConsulError::Config(format!("reading the CA file {}: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                ConsulError::Config(format!("CA file {}: {}", path.display(), chain(&e)))
            })?;
            if certs.is_empty() {
                return Err(ConsulError::Config(format!(
                    "CA file {} holds no PEM certificate",
                    path.display()
                )));
            }
            builder = builder.tls_certs_only(certs);
        }
        let http = builder
            .build()
            .map_err(|e| ConsulError::Config(format!("building the HTTP client: {}", chain(&e))))?;
        Ok(ConsulClient {
            http,
            base,
            token: TokenSource::new(config.token.clone(), config.token_file.clone()),
            consistency: config.consistency,
            wait: config.wait,
            timeout: config.timeout,
        })
    }

    /// The base address (`http(s)://host:port`).
    pub fn addr(&self) -> &str {
        &self.base
    }

    /// The configured blocking wait.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    fn request(&self, method: Method, path: &str, query: &[(&str, String)]) -> RequestBuilder {
        let mut url = format!("{}{path}", self.base);
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            if !value.is_empty() {
                url.push('=');
                url.push_str(&encode_key(value).replace('/', "%2F"));
            }
        }
        let mut builder = self.http.request(method, url).timeout(self.timeout);
        if let Some(token) = self.token.current() {
            builder = builder.header("X-Consul-Token", token.secret());
        }
        builder
    }

    fn read_query(&self) -> Vec<(&'static str, String)> {
        match self.consistency {
            Consistency::Default => Vec::new(),
            Consistency::Consistent => vec![("consistent", String::new())],
            Consistency::Stale => vec![("stale", String::new())],
        }
    }

    async fn send(
        &self,
        builder: RequestBuilder,
        method: &Method,
        path: &str,
    ) -> Result<Response, ConsulError> {
        let response = builder.send().await.map_err(|e| ConsulError::Unreachable {
            addr: self.base.clone(),
            detail: chain(&e),
        })?;
        let status = response.status();
        if status.is_success() || status == StatusCode::NOT_FOUND || status == StatusCode::CONFLICT
        {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default().trim().to_owned();
        Err(match status {
            StatusCode::FORBIDDEN => ConsulError::PermissionDenied {
                method: method.to_string(),
                path: path.to_owned(),
                body,
            },
            _ => ConsulError::Http {
                status: status.as_u16(),
                method: method.to_string(),
                path: path.to_owned(),
                body,
            },
        })
    }

    fn index_of(response: &Response, what: &str) -> Result<u64, ConsulError> {
        response
            .headers()
            .get("X-Consul-Index")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ConsulError::Decode {
                what: what.to_owned(),
                detail: "no valid X-Consul-Index header".into(),
            })
    }

    async fn entries(response: Response, what: &str) -> Result<Vec<KvEntry>, ConsulError> {
        let wire: Vec<WireEntry> = response.json().await.map_err(|e| ConsulError::Decode {
            what: what.to_owned(),
            detail: chain(&e),
        })?;
        wire.into_iter().map(|w| w.decode(what)).collect()
    }

    /// Every entry under `prefix` (`?recurse`). With `index`, a blocking query: returns when
    /// the index moves past it or after the configured wait. A missing prefix is an empty
    /// list (with the index, so that a watch can block on it).
    pub async fn list(&self, prefix: &str, index: Option<u64>) -> Result<KvList, ConsulError> {
        self.list_with_wait(prefix, index, self.wait).await
    }

    /// [`ConsulClient::list`] with an explicit blocking wait (Consul caps it at 10 minutes).
    pub async fn list_with_wait(
        &self,
        prefix: &str,
        index: Option<u64>,
        wait: Duration,
    ) -> Result<KvList, ConsulError> {
        let path = format!("/v1/kv/{}", encode_key(prefix));
        let mut query = self.read_query();
        query.push(("recurse", String::new()));
        let mut builder;
        match index {
            Some(index) if index > 0 => {
                query.push(("index", index.to_string()));
                query.push(("wait", format!("{}ms", wait.as_millis().max(1))));
                builder = self.request(Method::GET, &path, &query);
                // Consul may hold the answer for wait + wait/16.
                builder = builder.timeout(wait + wait / 16 + self.timeout);
            }
            _ => builder = self.request(Method::GET, &path, &query),
        }
        let what = format!("GET {path}?recurse");
        let response = self.send(builder, &Method::GET, &path).await?;
        let index = Self::index_of(&response, &what)?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(KvList {
                pairs: Vec::new(),
                index,
            });
        }
        let mut pairs = Self::entries(response, &what).await?;
        pairs.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(KvList { pairs, index })
    }

    /// One key, or `None` if absent.
    pub async fn get(&self, key: &str) -> Result<Option<KvEntry>, ConsulError> {
        let path = format!("/v1/kv/{}", encode_key(key));
        let builder = self.request(Method::GET, &path, &self.read_query());
        let what = format!("GET {path}");
        let response = self.send(builder, &Method::GET, &path).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Self::entries(response, &what).await?.into_iter().next())
    }

    /// Key names under `prefix` (`?keys`), folded at `separator` when given.
    pub async fn keys(
        &self,
        prefix: &str,
        separator: Option<&str>,
    ) -> Result<Vec<String>, ConsulError> {
        let path = format!("/v1/kv/{}", encode_key(prefix));
        let mut query = self.read_query();
        query.push(("keys", String::new()));
        if let Some(separator) = separator {
            query.push(("separator", separator.to_owned()));
        }
        let builder = self.request(Method::GET, &path, &query);
        let response = self.send(builder, &Method::GET, &path).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        response.json().await.map_err(|e| ConsulError::Decode {
            what: format!("GET {path}?keys"),
            detail: chain(&e),
        })
    }

    /// Sets a key; with `cas`, only if its `ModifyIndex` is that (0 = only if absent).
    /// Returns whether the write happened (always `true` without `cas`).
    pub async fn put(
        &self,
        key: &str,
        value: &[u8],
        cas: Option<u64>,
    ) -> Result<bool, ConsulError> {
        self.put_with_flags(key, value, 0, cas).await
    }

    /// [`ConsulClient::put`] with Consul's opaque `flags`.
    pub async fn put_with_flags(
        &self,
        key: &str,
        value: &[u8],
        flags: u64,
        cas: Option<u64>,
    ) -> Result<bool, ConsulError> {
        let path = format!("/v1/kv/{}", encode_key(key));
        let mut query = Vec::new();
        if flags != 0 {
            query.push(("flags", flags.to_string()));
        }
        if let Some(cas) = cas {
            query.push(("cas", cas.to_string()));
        }
        let builder = self
            .request(Method::PUT, &path, &query)
            .body(value.to_vec());
        match self.send(builder, &Method::PUT, &path).await {
            Ok(response) => self.boolean(response, &path).await,
            Err(ConsulError::Http {
                status: 413, body, ..
            }) => Err(ConsulError::ValueTooLarge {
                key: key.to_owned(),
                size: value.len(),
                body,
            }),
            Err(e) => Err(e),
        }
    }

    async fn boolean(&self, response: Response, path: &str) -> Result<bool, ConsulError> {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        match (status.is_success(), text.trim()) {
            (true, "true") => Ok(true),
            (true, "false") => Ok(false),
            _ => Err(ConsulError::Decode {
                what: path.to_owned(),
                detail: format!("status {status}, body {text:?} (expected true or false)"),
            }),
        }
    }

    /// Deletes a key, or every key under it with `recurse`; with `cas`, only if its
    /// `ModifyIndex` is that. Returns whether it happened (always `true` without `cas`).
    pub async fn delete(
        &self,
        key: &str,
        recurse: bool,
        cas: Option<u64>,
    ) -> Result<bool, ConsulError> {
        if recurse && cas.is_some() {
            return Err(ConsulError::Config(
                "a recursive delete cannot be conditional (Consul refuses recurse with cas)".into(),
            ));
        }
        let path = format!("/v1/kv/{}", encode_key(key));
        let mut query = Vec::new();
        if recurse {
            query.push(("recurse", String::new()));
        }
        if let Some(cas) = cas {
            query.push(("cas", cas.to_string()));
        }
        let builder = self.request(Method::DELETE, &path, &query);
        let response = self.send(builder, &Method::DELETE, &path).await?;
        self.boolean(response, &path).await
    }

    /// Runs operations atomically (one Raft index). Returns the result entries (values for
    /// `get`/`get-tree`, metadata only for writes). A rollback is
    /// [`ConsulError::TxnRolledBack`] with each failing operation's index and reason.
    pub async fn txn(&self, ops: &[TxnOp]) -> Result<Vec<KvEntry>, ConsulError> {
        if ops.len() > Self::MAX_TXN_OPS {
            return Err(ConsulError::TooManyTxnOps {
                ops: ops.len(),
                max: Self::MAX_TXN_OPS,
            });
        }
        let body = Value::Array(ops.iter().map(TxnOp::to_json).collect());
        let path = "/v1/txn";
        let query = if ops.iter().all(|op| {
            matches!(
                op,
                TxnOp::Get { .. }
                    | TxnOp::GetTree { .. }
                    | TxnOp::CheckIndex { .. }
                    | TxnOp::CheckNotExists { .. }
            )
        }) {
            self.read_query()
        } else {
            Vec::new()
        };
        let builder = self.request(Method::PUT, path, &query).json(&body);
        let response = match self.send(builder, &Method::PUT, path).await {
            Ok(response) => response,
            Err(ConsulError::Http {
                status: 413, body, ..
            }) => {
                if body.contains("too many operations") {
                    return Err(ConsulError::TooManyTxnOps {
                        ops: ops.len(),
                        max: Self::MAX_TXN_OPS,
                    });
                }
                let largest = ops.iter().max_by_key(|op| op.value_len());
                let key = match largest {
                    Some(TxnOp::Set { key, .. } | TxnOp::Cas { key, .. }) => key.clone(),
                    _ => path.to_owned(),
                };
                return Err(ConsulError::ValueTooLarge {
                    key,
                    size: largest.map_or(0, TxnOp::value_len),
                    body,
                });
            }
            Err(e) => return Err(e),
        };
        let status = response.status();
        let what = "PUT /v1/txn".to_owned();
        if status == StatusCode::NOT_FOUND {
            return Err(ConsulError::Http {
                status: 404,
                method: "PUT".into(),
                path: path.into(),
                body: response.text().await.unwrap_or_default(),
            });
        }
        let reply: Value = response.json().await.map_err(|e| ConsulError::Decode {
            what: what.clone(),
            detail: chain(&e),
        })?;
        if status == StatusCode::CONFLICT {
            let errors = reply
                .get("Errors")
                .and_then(Value::as_array)
                .map(|errors| {
                    errors
                        .iter()
                        .map(|e| {
                            let index = e.get("OpIndex").and_then(Value::as_u64).unwrap_or(0);
                            let what = e.get("What").and_then(Value::as_str).unwrap_or("");
                            (
                                usize::try_from(index).unwrap_or(usize::MAX),
                                what.to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            return Err(ConsulError::TxnRolledBack { errors });
        }
        let results = match reply.get("Results") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(results) => results.as_array().ok_or_else(|| ConsulError::Decode {
                what: what.clone(),
                detail: "Results is not an array".into(),
            })?,
        };
        results
            .iter()
            .filter_map(|r| r.get("KV"))
            .map(|kv| {
                let wire: WireEntry =
                    serde_json::from_value(kv.clone()).map_err(|e| ConsulError::Decode {
                        what: what.clone(),
                        detail: e.to_string(),
                    })?;
                wire.decode(&what)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_path_encoded() {
        assert_eq!(encode_key("traefik/http/a b?"), "traefik/http/a%20b%3F");
        assert_eq!(encode_key("a%/é"), "a%25/%C3%A9");
    }

    #[test]
    fn txn_json_shapes() {
        let op = TxnOp::Cas {
            key: "k".into(),
            value: b"v".to_vec(),
            index: 7,
        };
        assert_eq!(
            op.to_json(),
            json!({"KV": {"Verb": "cas", "Key": "k", "Value": "dg==", "Index": 7}})
        );
        assert_eq!(
            TxnOp::DeleteTree {
                prefix: "p/".into()
            }
            .to_json(),
            json!({"KV": {"Verb": "delete-tree", "Key": "p/"}})
        );
    }

    #[test]
    fn bad_addresses_are_config_errors() {
        let err = ConsulClient::new(&ConsulConfig::new("ftp://x")).unwrap_err();
        assert!(matches!(err, ConsulError::Config(_)), "{err}");
        assert!(ConsulClient::new(&ConsulConfig::new("127.0.0.1:8500")).is_ok());
        let mut config = ConsulConfig::new("https://127.0.0.1:1");
        config.ca_file = Some("/nonexistent/ca.pem".into());
        let err = ConsulClient::new(&config).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
