//! `consul kv export` documents: parsing, writing, and a line format for authoring scenarios.

use std::path::Path;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

/// One entry of a `consul kv export` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportEntry {
    /// Full key.
    pub key: String,
    /// Consul's opaque flags.
    #[serde(default)]
    pub flags: u64,
    /// Base64 of the value (`consul kv export` writes `""` for an empty value).
    #[serde(default)]
    pub value: String,
}

/// A decoded KV pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvPair {
    /// Full key.
    pub key: String,
    /// Raw value.
    pub value: Vec<u8>,
    /// Consul's opaque flags.
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
}
