//! Traefik's Consul KV provider: keys under the root key → configuration.
//!
//! Input is what `consul kv export` writes: `[{"key","flags","value"}]`, values
//! base64-encoded. Semantics reproduced from Traefik 3.7 (`pkg/config/kv`):
//! - Consul returns every key starting with the root key (case-sensitive); of
//!   those, only keys starting with `<root>/http`, `/tcp`, `/udp`, `/tls`
//!   **ignoring case, as a plain string prefix** are decoded (so `traefik/httpx/…`
//!   is decoded too, and rejects everything);
//! - key segments are matched ignoring case, so two names that differ only by
//!   case become one object (the spelling that sorts first is kept);
//! - a key ending in `/<digits>` is a list element; elements are joined in
//!   lexicographic key order (`/10` before `/2`) with `,` and split on `,` again;
//! - any decode error rejects the whole KV configuration.

use super::de::{DecodeError, from_node};
use super::file_provider::origins_with;
use super::node::{At, Node};
use crate::finding::{Finding, Severity};
use crate::model::Configuration;
use crate::provider::{ProviderConfig, ProviderStatus, names};
use crate::source::SourceRef;
use base64::Engine;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Default root key of Traefik's KV providers.
pub const DEFAULT_ROOT_KEY: &str = "traefik";

/// One key/value pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvPair {
    /// Full key.
    pub key: String,
    /// Raw value bytes.
    pub value: Vec<u8>,
}

#[derive(Deserialize)]
struct ExportEntry {
    key: String,
    #[serde(default)]
    value: Option<String>,
}

/// Errors reading a `consul kv export` document (the input itself is unusable).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Not the JSON `consul kv export` writes.
    #[error("not a `consul kv export` JSON array: {0}")]
    Json(#[from] serde_json::Error),
    /// A value is not base64.
    #[error("key {key:?}: value is not valid base64: {source}")]
    Base64 {
        /// The key.
        key: String,
        /// Why.
        source: base64::DecodeError,
    },
}

/// Parse the JSON written by `consul kv export`.
pub fn parse_export(json: &[u8]) -> Result<Vec<KvPair>, ExportError> {
    let entries: Vec<ExportEntry> = serde_json::from_slice(json)?;
    entries
        .into_iter()
        .map(|e| {
            let value = match e.value.as_deref() {
                None | Some("") => Vec::new(),
                Some(v) => base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map_err(|source| ExportError::Base64 {
                        key: e.key.clone(),
                        source,
                    })?,
            };
            Ok(KvPair { key: e.key, value })
        })
        .collect()
}

/// Decode the pairs under `root_key` as Traefik's Consul provider would.
pub fn decode_provider(pairs: &[KvPair], root_key: &str) -> ProviderConfig {
    let mut provider = ProviderConfig::empty(names::CONSUL);
    let root_key = root_key.trim_matches('/');
    let listed: Vec<&KvPair> = pairs
        .iter()
        .filter(|p| p.key.starts_with(root_key) && p.key != root_key)
        .collect();
    let filters: Vec<String> = ["HTTP", "TCP", "UDP", "TLS"]
        .iter()
        .map(|f| format!("{root_key}/{f}"))
        .collect();
    let (kept, ignored): (Vec<&KvPair>, Vec<&KvPair>) = listed.into_iter().partition(|p| {
        filters.iter().any(|f| {
            p.key.len() >= f.len()
                && p.key.is_char_boundary(f.len())
                && p.key[..f.len()].eq_ignore_ascii_case(f)
        })
    });
    for p in ignored.iter().filter(|p| !p.key.ends_with('/')) {
        provider.findings.push(
            Finding::new(
                Severity::Info,
                "kv-key-ignored",
                format!("Traefik ignores this key: only keys under {root_key}/http, /tcp, /udp and /tls are read"),
            )
            .source(Some(SourceRef::consul_key(&p.key))),
        );
    }
    let values = utf8_values(&kept, &mut provider.findings);
    let (flat, lists) = group_lists(&values);
    list_traps(&lists, &mut provider.findings);
    let root = build_tree(&flat, root_key, &mut provider.findings);
    let Some(root) = root else {
        return provider;
    };
    match from_node::<Configuration>(&root) {
        Ok(config) => {
            provider.origins = origins_with(&root, |n| match &n.at {
                At::Key(k) => SourceRef::consul_key(k),
                _ => SourceRef::provider(names::CONSUL),
            });
            provider.config = config;
        }
        Err(e) => reject(&mut provider, e, root_key),
    }
    provider
}

fn reject(provider: &mut ProviderConfig, e: DecodeError, root_key: &str) {
    let key = match &e.at {
        At::Key(k) => Some(k.clone()),
        _ => None,
    };
    let help = match &key {
        Some(k) if e.message.starts_with("field not found") => format!(
            "check the spelling of {k:?} against Traefik's KV reference; one unknown key makes Traefik drop every route under {root_key}/"
        ),
        _ => format!("fix the value; one bad key makes Traefik drop every route under {root_key}/"),
    };
    provider.findings.push(
        Finding::new(
            Severity::Error,
            "provider-rejected",
            format!(
                "the whole Consul KV configuration is rejected by Traefik: {}",
                e.message
            ),
        )
        .source(
            key.as_deref()
                .map(SourceRef::consul_key)
                .or_else(|| Some(SourceRef::provider(names::CONSUL))),
        )
        .help(help),
    );
    let text = match key {
        Some(k) => format!("{k}: {}", e.message),
        None => e.message,
    };
    provider.status = ProviderStatus::Rejected { errors: vec![text] };
    provider.config = Configuration::default();
}

fn utf8_values(pairs: &[&KvPair], findings: &mut Vec<Finding>) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|p| {
            let value = match String::from_utf8(p.value.clone()) {
                Ok(v) => v,
                Err(_) => {
                    findings.push(
                        Finding::new(
                            Severity::Warning,
                            "kv-value-not-utf8",
                            "the value is not valid UTF-8 text (binary data?); it is read with invalid bytes replaced",
                        )
                        .source(Some(SourceRef::consul_key(&p.key)))
                        .help("store plain text: Traefik reads every value as a string"),
                    );
                    String::from_utf8_lossy(&p.value).into_owned()
                }
            };
            (p.key.clone(), value)
        })
        .collect()
}

/// A list assembled from `<key>/<digits>` elements.
struct ListGroup {
    key: String,
    elements: Vec<(String, String)>,
}

/// Traefik's `filterPairs`: list elements joined in key order; plain keys kept.
fn group_lists(values: &[(String, String)]) -> (Vec<(String, String)>, Vec<ListGroup>) {
    let mut sorted: Vec<&(String, String)> = values.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut simple: BTreeMap<String, String> = BTreeMap::new();
    let mut lists: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (key, value) in sorted {
        match list_parent(key) {
            Some(parent) => lists
                .entry(parent.to_string())
                .or_default()
                .push((key.clone(), value.clone())),
            None => {
                simple.insert(key.clone(), value.clone());
            }
        }
    }
    let mut groups = Vec::new();
    for (key, elements) in lists {
        simple.remove(&key);
        let joined = elements
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(",");
        simple.insert(key.clone(), joined);
        groups.push(ListGroup { key, elements });
    }
    (simple.into_iter().collect(), groups)
}

/// `^(.+)/\d+$` → the part before the index.
fn list_parent(key: &str) -> Option<&str> {
    let (parent, last) = key.rsplit_once('/')?;
    (!parent.is_empty() && !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
        .then_some(parent)
}

fn list_traps(lists: &[ListGroup], findings: &mut Vec<Finding>) {
    for group in lists {
        let indexes: Vec<u64> = group
            .elements
            .iter()
            .filter_map(|(k, _)| k.rsplit('/').next()?.parse().ok())
            .collect();
        if indexes.windows(2).any(|w| w[0] > w[1]) {
            let order: Vec<String> = group
                .elements
                .iter()
                .map(|(k, v)| format!("{}={v}", k.rsplit('/').next().unwrap_or("")))
                .collect();
            findings.push(
                Finding::new(
                    Severity::Warning,
                    "kv-list-order",
                    format!(
                        "Traefik reads list elements in text order of their keys, not numeric order: {}",
                        order.join(", ")
                    ),
                )
                .source(Some(SourceRef::consul_key(&group.key)))
                .help("number list elements with the same width (00, 01, ..., 10) so that text and numeric order agree"),
            );
        }
        for (key, value) in &group.elements {
            if value.contains(',') {
                findings.push(
                    Finding::new(
                        Severity::Warning,
                        "kv-comma-split",
                        format!(
                            "this list element contains commas, so Traefik splits it into {} elements",
                            value.split(',').count()
                        ),
                    )
                    .source(Some(SourceRef::consul_key(key)))
                    .help("put each value in its own numbered key"),
                );
            }
        }
    }
}

/// Traefik's `DecodeToNode`: keys → tree, segments merged ignoring case.
fn build_tree(
    pairs: &[(String, String)],
    root_key: &str,
    findings: &mut Vec<Finding>,
) -> Option<Node> {
    if pairs.is_empty() {
        return None;
    }
    let mut root = Node::inner(root_key, At::Key(root_key.to_string()));
    // Lower-cased key prefix → child index path from the root: segment lookups stay
    // constant-time however many siblings a node has.
    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
    for (key, value) in pairs {
        let rest = key.get(root_key.len() + 1..).unwrap_or("");
        let mut path: Vec<usize> = Vec::new();
        let mut prefix = root_key.to_string();
        for segment in rest.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(segment);
            let name = if segment.bytes().all(|b| b.is_ascii_digit()) {
                format!("[{segment}]")
            } else {
                segment.to_string()
            };
            let lower = prefix.to_ascii_lowercase();
            match index.get(&lower) {
                Some(found) => {
                    let parent = node_at_ref(&root, &path);
                    let existing = &node_at_ref(&root, found).name;
                    if *existing != name && is_object_level(parent) {
                        findings.push(case_merged(&name, existing, key));
                    }
                    path = found.clone();
                }
                None => {
                    let parent = node_at(&mut root, &path);
                    parent
                        .children
                        .push(Node::inner(&name, At::Key(prefix.clone())));
                    path.push(parent.children.len() - 1);
                    index.insert(lower, path.clone());
                }
            }
        }
        node_at(&mut root, &path).value = value.clone();
    }
    Some(root)
}

fn node_at<'n>(root: &'n mut Node, path: &[usize]) -> &'n mut Node {
    path.iter().fold(root, |node, &i| &mut node.children[i])
}

fn node_at_ref<'n>(root: &'n Node, path: &[usize]) -> &'n Node {
    path.iter().fold(root, |node, &i| &node.children[i])
}

fn case_merged(name: &str, existing: &str, key: &str) -> Finding {
    Finding::new(
        Severity::Warning,
        "kv-case-merged",
        format!(
            "{name:?} and {existing:?} differ only by case; Traefik merges them into one object named {existing:?}"
        ),
    )
    .source(Some(SourceRef::consul_key(key)))
    .help("use one spelling for the name")
}

/// Whether the children of `node` are object names (routers, services, ...).
fn is_object_level(node: &Node) -> bool {
    [
        "routers",
        "services",
        "middlewares",
        "serversTransports",
        "options",
        "stores",
        "models",
    ]
    .iter()
    .any(|n| node.name.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parent_matches_traefik() {
        assert_eq!(
            list_parent("traefik/http/routers/r/entryPoints/0"),
            Some("traefik/http/routers/r/entryPoints")
        );
        assert_eq!(list_parent("traefik/http/routers/r/rule"), None);
    }

    #[test]
    fn lists_join_in_text_order() {
        let values: Vec<(String, String)> = (0..12)
            .map(|i| (format!("traefik/x/m/{i}"), format!("m{i}")))
            .collect();
        let (flat, groups) = group_lists(&values);
        assert_eq!(groups.len(), 1);
        assert!(flat[0].1.starts_with("m0,m1,m10,m11,m2"));
    }
}
