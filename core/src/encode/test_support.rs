//! Shared by the encoders' tests: the differential corpus and lossy comparison.

use super::Loss;
use crate::decode::consul_kv;
use crate::decode::file_provider;
use crate::load;
use crate::provider::ProviderConfig;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The repository root (core/..).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every accepted configuration of the corpus and examples/homelab: (label, provider config).
pub(crate) fn corpus_configs() -> Vec<(String, ProviderConfig)> {
    let root = repo_root();
    let mut dirs: Vec<PathBuf> = vec![root.join("examples/homelab")];
    for category in ["consul", "decode", "reference"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("tests/corpus").join(category))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.sort();
        dirs.extend(found.into_iter().filter(|p| p.is_dir()));
    }
    let mut out = Vec::new();
    for dir in dirs {
        let label = dir
            .strip_prefix(&root)
            .unwrap_or(&dir)
            .display()
            .to_string();
        let files = dir.join("files");
        if files.is_dir() {
            let sources = load::file_provider_files(&files).unwrap_or_default();
            let p = file_provider::decode_provider(&sources);
            if !p.is_rejected() {
                out.push((format!("{label}/files"), p));
            }
        }
        let export = dir.join("consul.json");
        if let Ok(bytes) = std::fs::read(&export)
            && let Ok(pairs) = consul_kv::parse_export(&bytes)
        {
            let root_key = if label.contains("custom-root-key") {
                custom_root(&pairs)
            } else {
                consul_kv::DEFAULT_ROOT_KEY.to_string()
            };
            let p = consul_kv::decode_provider(&pairs, &root_key);
            if !p.is_rejected() {
                out.push((format!("{label}/consul.json"), p));
            }
        }
    }
    out
}

fn custom_root(pairs: &[consul_kv::KvPair]) -> String {
    pairs
        .first()
        .and_then(|p| p.key.split('/').next())
        .unwrap_or("traefik")
        .to_string()
}

/// The configuration as JSON with every lost path (the whole field for list
/// elements) removed, and empty sections pruned: what a lossy encoding must keep.
pub(crate) fn comparable(value: &Value, losses: &[Loss]) -> Value {
    let mut v = value.clone();
    for loss in losses {
        let mut path: Vec<&str> = loss.path.iter().map(String::as_str).collect();
        while path
            .last()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
        {
            path.pop();
        }
        remove_ci(&mut v, &path);
    }
    prune(&mut v);
    v
}

fn remove_ci(value: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Value::Object(map) = value else { return };
    let keys: Vec<String> = map
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(first))
        .cloned()
        .collect();
    for k in keys {
        if rest.is_empty() {
            if k == *first {
                map.shift_remove(&k);
            }
        } else if let Some(child) = map.get_mut(&k) {
            remove_ci(child, rest);
        }
    }
}

fn prune(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !prune(v));
            map.is_empty()
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                prune(item);
            }
            items.is_empty()
        }
        _ => false,
    }
}
