//! Configuration → Consul KV pairs, in the layout Traefik's KV provider reads.
//!
//! Layout (Traefik's `pkg/config/kv`, paerser's node decoder, and the pairs of
//! `pkg/provider/kv/kv_test.go`): one key per scalar, path segments are the JSON
//! names (`<root>/http/routers/<name>/entryPoints/0`), booleans and numbers as Go
//! prints them, durations as Go's `Duration.String()`. Lists are `/<index>` keys;
//! Traefik joins them in *text* order of the keys and splits the result on
//! commas, so indexes are zero-padded to one width (`/00` … `/11`) to keep text
//! and numeric order equal. An empty `allowEmpty` section (`tls: {}`) is a key
//! with an empty value, exactly what Traefik reads as "on, with defaults".
//!
//! What has no KV form is reported as a [`Loss`]: empty sections, maps and lists
//! (no key to hold them), list elements containing commas (Traefik splits them)
//! or surrounding spaces (trimmed), names differing only by case (merged), names
//! containing `/` or made of digits only, plugin options that are not strings.

use super::{EncodeError, Loss, is_allow_empty, to_json};
use crate::decode::consul_kv::KvPair;
use crate::model::Configuration;
use base64::Engine;
use serde_json::Value;
use std::collections::HashSet;

/// Pairs produced by [`encode`], with what could not be expressed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KvEncoded {
    /// Key/value pairs under the root key, sorted by key.
    pub pairs: Vec<KvPair>,
    /// What the pairs do not carry (or Traefik would read back differently).
    pub losses: Vec<Loss>,
}

/// Encode `config` as pairs under `root_key` (`traefik` by default in Traefik).
pub fn encode(config: &Configuration, root_key: &str) -> Result<KvEncoded, EncodeError> {
    let root = root_key.trim_matches('/');
    if root.is_empty() {
        return Err(EncodeError::Serialize(
            "the root key is empty; Traefik's KV providers need one (default `traefik`)".into(),
        ));
    }
    let value = to_json(config)?;
    let mut out = Walker {
        root,
        pairs: Vec::new(),
        losses: Vec::new(),
    };
    out.walk(&value, &mut Vec::new());
    out.pairs.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(KvEncoded {
        pairs: out.pairs,
        losses: out.losses,
    })
}

/// The pairs as `consul kv export` writes them (`consul kv import` reads this back).
pub fn export_json(pairs: &[KvPair]) -> String {
    let entries: Vec<Value> = pairs
        .iter()
        .map(|p| {
            serde_json::json!({
                "key": p.key,
                "flags": 0,
                "value": base64::engine::general_purpose::STANDARD.encode(&p.value),
            })
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&Value::Array(entries)).unwrap_or_else(|_| String::from("[]"));
    text.push('\n');
    text
}

struct Walker<'r> {
    root: &'r str,
    pairs: Vec<KvPair>,
    losses: Vec<Loss>,
}

impl Walker<'_> {
    fn key(&self, path: &[String]) -> String {
        let mut key = self.root.to_string();
        for segment in path {
            key.push('/');
            key.push_str(segment);
        }
        key
    }

    fn put(&mut self, path: &[String], value: String) {
        let key = self.key(path);
        self.pairs.push(KvPair {
            key,
            value: value.into_bytes(),
        });
    }

    fn lose(&mut self, path: &[String], code: &'static str, message: impl Into<String>) {
        self.losses.push(Loss::new(path, code, message));
    }

    fn walk(&mut self, value: &Value, path: &mut Vec<String>) {
        match value {
            Value::Null => {}
            Value::Object(map) if map.is_empty() => {
                if is_allow_empty(path) {
                    self.put(path, String::new());
                } else if !path.is_empty() {
                    self.lose(
                        path,
                        "kv-empty-section",
                        "an empty section or map has no key in Consul KV; Traefik reads it as absent",
                    );
                }
            }
            Value::Object(map) => {
                let mut seen: HashSet<String> = HashSet::new();
                for (name, child) in map {
                    path.push(name.clone());
                    if let Some(why) = bad_segment(name, &mut seen) {
                        let (code, message) = why;
                        self.lose(path, code, message);
                    } else if path.first().is_some_and(|s| s == "http")
                        && path.len() >= 4
                        && path[1] == "middlewares"
                        && path[3] == "plugin"
                    {
                        self.walk_plugin(child, path);
                    } else {
                        self.walk(child, path);
                    }
                    path.pop();
                }
            }
            Value::Array(items) => self.walk_list(items, path),
            scalar => {
                let text = scalar_text(scalar);
                self.put(path, text);
            }
        }
    }

    fn walk_list(&mut self, items: &[Value], path: &mut Vec<String>) {
        if items.is_empty() {
            self.lose(
                path,
                "kv-empty-list",
                "an empty list has no key in Consul KV; Traefik reads it as absent",
            );
            return;
        }
        let width = (items.len() - 1).to_string().len();
        let scalars = items
            .iter()
            .all(|v| !matches!(v, Value::Object(_) | Value::Array(_)));
        let objects = items.iter().all(Value::is_object);
        if !scalars && !objects {
            self.lose(
                path,
                "kv-mixed-list",
                "a list mixing values and sections (or holding lists) has no KV form",
            );
            return;
        }
        if scalars && items.len() == 1 && scalar_text(&items[0]).is_empty() {
            self.lose(
                path,
                "kv-empty-list",
                "a list holding one empty string reads back as an empty list in Consul KV",
            );
            return;
        }
        for (i, item) in items.iter().enumerate() {
            path.push(format!("{i:0width$}"));
            if scalars {
                let text = scalar_text(item);
                if text.contains(',') {
                    let n = text.split(',').count();
                    self.lose(
                        path,
                        "kv-comma-split",
                        format!(
                            "list element {text:?} contains commas: Traefik's KV decoder splits it into {n} elements"
                        ),
                    );
                } else if text.trim() != text {
                    self.lose(
                        path,
                        "kv-list-whitespace",
                        format!("list element {text:?}: Traefik trims the spaces around KV list elements"),
                    );
                }
                self.put(path, text);
            } else if item.as_object().is_some_and(|m| m.is_empty()) {
                self.lose(
                    path,
                    "kv-empty-list-element",
                    "an empty list element has no KV form (its key would read as a value)",
                );
            } else {
                self.walk(item, path);
            }
            path.pop();
        }
    }

    /// Plugin options are free-form; KV holds text only, so typed values come back as strings.
    fn walk_plugin(&mut self, value: &Value, path: &mut Vec<String>) {
        match value {
            Value::Bool(_) | Value::Number(_) => self.lose(
                path,
                "kv-plugin-type",
                format!(
                    "plugin option {value}: Consul KV holds text, the plugin receives the string {:?}",
                    scalar_text(value)
                ),
            ),
            Value::Array(_) => self.lose(
                path,
                "kv-plugin-type",
                "plugin option list: Traefik joins KV list elements into one comma-separated string for plugins",
            ),
            _ => {}
        }
        if let Value::Object(map) = value {
            let mut seen: HashSet<String> = HashSet::new();
            for (name, child) in map {
                path.push(name.clone());
                match bad_segment(name, &mut seen) {
                    Some((code, message)) => self.lose(path, code, message),
                    None => self.walk_plugin(child, path),
                }
                path.pop();
            }
        } else {
            self.walk(value, path);
        }
    }
}

/// Why a map key cannot be one KV path segment, if it cannot.
fn bad_segment(name: &str, seen: &mut HashSet<String>) -> Option<(&'static str, String)> {
    if name.is_empty() {
        return Some((
            "kv-bad-name",
            "an empty name cannot be a KV path segment".into(),
        ));
    }
    if name.contains('/') {
        return Some((
            "kv-bad-name",
            format!("{name:?} contains '/', the KV path separator"),
        ));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Some((
            "kv-bad-name",
            format!("{name:?} is made of digits only: Traefik reads such a key as a list index"),
        ));
    }
    if !seen.insert(name.to_ascii_lowercase()) {
        return Some((
            "kv-case-merged",
            format!(
                "{name:?} differs from another name only by letter case: Traefik's KV decoder merges them, so it is left out"
            ),
        ));
    }
    None
}

/// A scalar as Go prints it into a KV value.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests;
