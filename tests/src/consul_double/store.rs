//! The KV state and Consul's write semantics (single operations and `/v1/txn`).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use super::acl::{Access, AclDenied, Authorizer};

/// One stored entry.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) value: Vec<u8>,
    pub(crate) flags: u64,
    pub(crate) create_index: u64,
    pub(crate) modify_index: u64,
}

/// The whole KV store: entries and the one index that every write moves.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) index: u64,
    pub(crate) entries: BTreeMap<String, Stored>,
}

/// An entry as the HTTP API shows it (`Value` base64, `null` when empty or blanked).
pub(crate) fn entry_json(key: &str, e: &Stored, with_value: bool) -> Value {
    let value = if e.value.is_empty() || !with_value {
        Value::Null
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

impl Store {
    /// Sets `key` at index `idx` (keeps `CreateIndex` of an existing key).
    pub(crate) fn set(&mut self, key: &str, value: Vec<u8>, flags: u64, idx: u64) {
        let create_index = self.entries.get(key).map_or(idx, |e| e.create_index);
        self.entries.insert(
            key.to_owned(),
            Stored {
                value,
                flags,
                create_index,
                modify_index: idx,
            },
        );
    }

    /// Consul's check-and-set: 0 = only if absent, else only if `ModifyIndex` matches.
    pub(crate) fn cas_allows(&self, key: &str, cas: u64) -> bool {
        match (self.entries.get(key), cas) {
            (None, 0) => true,
            (Some(_), 0) | (None, _) => false,
            (Some(e), i) => e.modify_index == i,
        }
    }

    /// Consul's delete-cas: a missing key counts as deleted; else `ModifyIndex` must match.
    pub(crate) fn delete_cas(&mut self, key: &str, cas: u64) -> bool {
        match self.entries.get(key) {
            None => true,
            Some(e) if e.modify_index == cas => {
                self.entries.remove(key);
                true
            }
            Some(_) => false,
        }
    }

    /// Removes every key starting with `prefix`; returns how many.
    pub(crate) fn delete_tree(&mut self, prefix: &str) -> usize {
        let before = self.entries.len();
        self.entries.retain(|k, _| !k.starts_with(prefix));
        before - self.entries.len()
    }
}

/// One decoded `/v1/txn` KV operation.
#[derive(Debug, Clone)]
pub(crate) struct TxnKvOp {
    pub(crate) verb: String,
    pub(crate) key: String,
    pub(crate) value: Vec<u8>,
    pub(crate) flags: u64,
    pub(crate) index: u64,
}

/// Why a request body is refused before anything runs (status, Consul's text).
pub(crate) type Refusal = (u16, String);

/// Finds a JSON object member the way Go's `encoding/json` does (case-insensitive).
fn member<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Decodes a `/v1/txn` body with Consul's limits and texts (`agent/txn_endpoint.go`).
pub(crate) fn decode_txn(
    body: &[u8],
    max_ops: usize,
    max_value: usize,
) -> Result<Vec<TxnKvOp>, Refusal> {
    if body.len() > max_value {
        return Err((
            413,
            format!("Request body too large, max size: {max_value} bytes"),
        ));
    }
    let parsed: Value =
        serde_json::from_slice(body).map_err(|e| (400, format!("Failed to parse body: {e}")))?;
    let Some(items) = parsed.as_array() else {
        return Err((
            400,
            "Failed to parse body: json: cannot unmarshal object into Go value of type api.TxnOps"
                .into(),
        ));
    };
    if items.len() > max_ops {
        return Err((
            413,
            format!(
                "Transaction contains too many operations ({} > {max_ops})",
                items.len()
            ),
        ));
    }
    let mut ops = Vec::with_capacity(items.len());
    for item in items {
        let Some(kv) = member(item, "KV") else {
            return Err((
                400,
                "the Consul KV double serves only KV operations in /v1/txn".into(),
            ));
        };
        let text = |name: &str| member(kv, name).and_then(Value::as_str).unwrap_or("");
        let number = |name: &str| member(kv, name).and_then(Value::as_u64).unwrap_or(0);
        let value = match member(kv, "Value") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => BASE64.decode(s.as_bytes()).map_err(|e| {
                (
                    400,
                    format!("Failed to parse body: failed to decode value: {e}"),
                )
            })?,
            Some(other) => {
                return Err((
                    400,
                    format!("Failed to parse body: unexpected value type: {other}"),
                ));
            }
        };
        let key = text("Key").to_owned();
        if value.len() > max_value {
            return Err((
                413,
                format!(
                    "Value for key {key:?} is too large ({} > {max_value} bytes)",
                    value.len()
                ),
            ));
        }
        ops.push(TxnKvOp {
            verb: text("Verb").to_owned(),
            key,
            value,
            flags: number("Flags"),
            index: number("Index"),
        });
    }
    Ok(ops)
}

fn is_write(verb: &str) -> bool {
    matches!(
        verb,
        "set" | "cas" | "delete" | "delete-cas" | "delete-tree" | "lock" | "unlock"
    )
}

/// The outcome of a transaction: results (200) or errors with op indexes (409).
pub(crate) enum TxnOutcome {
    Committed { results: Vec<Value>, wrote: bool },
    RolledBack { errors: Vec<Value> },
}

/// Runs a transaction on a copy of the store and commits it only when every operation
/// succeeded; like Consul, every operation runs and every error is reported.
pub(crate) fn run_txn(
    store: &mut Store,
    ops: &[TxnKvOp],
    authz: Option<&Authorizer>,
) -> TxnOutcome {
    let idx = store.index + 1;
    let mut work = store.clone();
    let mut results = Vec::new();
    let mut errors = Vec::new();
    let mut wrote = false;
    for (i, op) in ops.iter().enumerate() {
        if let Some(authz) = authz
            && let Err(denied) = check_op(authz, op)
        {
            errors.push(json!({"OpIndex": i, "What": denied.text()}));
            continue;
        }
        match apply(&mut work, op, idx, authz) {
            Ok(mut r) => results.append(&mut r),
            Err(what) => errors.push(json!({"OpIndex": i, "What": what})),
        }
        wrote |= is_write(&op.verb);
    }
    if !errors.is_empty() {
        return TxnOutcome::RolledBack { errors };
    }
    if wrote {
        work.index = idx;
        *store = work;
    }
    TxnOutcome::Committed { results, wrote }
}

fn check_op(authz: &Authorizer, op: &TxnKvOp) -> Result<(), AclDenied> {
    match op.verb.as_str() {
        // get-tree filters its results instead.
        "get-tree" => Ok(()),
        "delete-tree" if !authz.allows_prefix_write(&op.key) => {
            Err(authz.denied(&op.key, Access::Write))
        }
        verb if is_write(verb) => authz.check(&op.key, Access::Write),
        _ => authz.check(&op.key, Access::Read),
    }
}

/// One operation, Consul's texts (`agent/consul/state/txn.go`, `kvs.go`).
fn apply(
    work: &mut Store,
    op: &TxnKvOp,
    idx: u64,
    authz: Option<&Authorizer>,
) -> Result<Vec<Value>, String> {
    let key = op.key.as_str();
    let blank = |work: &Store| {
        work.entries
            .get(key)
            .map(|e| vec![json!({"KV": entry_json(key, e, false)})])
            .unwrap_or_default()
    };
    match op.verb.as_str() {
        "set" => {
            work.set(key, op.value.clone(), op.flags, idx);
            Ok(blank(work))
        }
        "cas" => {
            if !work.cas_allows(key, op.index) {
                return Err(format!("failed to set key {key:?}, index is stale"));
            }
            work.set(key, op.value.clone(), op.flags, idx);
            Ok(blank(work))
        }
        "delete" => {
            work.entries.remove(key);
            Ok(Vec::new())
        }
        "delete-cas" => {
            if work.delete_cas(key, op.index) {
                Ok(Vec::new())
            } else {
                Err(format!("failed to delete key {key:?}, index is stale"))
            }
        }
        "delete-tree" => {
            work.delete_tree(key);
            Ok(Vec::new())
        }
        "get" => match work.entries.get(key) {
            Some(e) => Ok(vec![json!({"KV": entry_json(key, e, true)})]),
            None => Err(format!("key {key:?} doesn't exist")),
        },
        "get-or-empty" => Ok(work
            .entries
            .get(key)
            .map(|e| vec![json!({"KV": entry_json(key, e, true)})])
            .unwrap_or_default()),
        "get-tree" => Ok(work
            .entries
            .iter()
            .filter(|(k, _)| k.starts_with(key))
            .filter(|(k, _)| authz.is_none_or(|a| a.allows(k, Access::Read)))
            .map(|(k, e)| json!({"KV": entry_json(k, e, true)}))
            .collect()),
        "check-index" => match work.entries.get(key) {
            None => Err(format!("failed to check index, key {key:?} doesn't exist")),
            Some(e) if e.modify_index != op.index => Err(format!(
                "failed index check for key {key:?}, current modify index {} != {}",
                e.modify_index, op.index
            )),
            Some(_) => Ok(blank(work)),
        },
        "check-not-exists" => match work.entries.get(key) {
            Some(_) => Err(format!("key {key:?} exists")),
            None => Ok(Vec::new()),
        },
        "lock" | "unlock" | "check-session" => Err("missing session".into()),
        other => Err(format!("unknown KV verb {other:?}")),
    }
}
