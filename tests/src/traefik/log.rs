//! Reading Traefik's JSON debug log while it runs, and the provider events in it.
//!
//! First half of the readiness signal (the second is the REST sentinel, see
//! [`crate::traefik`]): with `log.level: DEBUG` and `log.format: json`, every provider
//! configuration that reaches Traefik's configuration watcher is logged once as
//! `{"providerName": "file", "config": {...}, "message": "Configuration received"}`
//! (`pkg/server/configurationwatcher.go`), or as `Skipping empty configuration` / `Skipping
//! nil configuration`. A provider that fails instead logs, with its `providerName`:
//! * file: `Error while building configuration (for the first time)` (`pkg/provider/file/file.go`)
//! * consul (and every KV provider): `Cannot build the configuration` at start-up, then
//!   `Provider error, retrying in ...` from the watch loop (`pkg/provider/kv/kv.go`)
//! * any provider that cannot start: `Cannot start the provider *file.Provider` (no providerName).
//!
//! `KV connection error, retrying in ...` means Traefik cannot reach the Consul (double):
//! a harness problem, reported as such.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What a provider did with its first configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderOutcome {
    /// The configuration reached the watcher; `config` is the logged dynamic configuration.
    Applied { config: Value },
    /// The provider produced an empty configuration (nothing to apply).
    Empty,
    /// The provider rejected its whole configuration.
    Rejected { message: String, error: String },
    /// Traefik could not reach the provider's backend (harness problem).
    Unreachable { error: String },
}

impl ProviderOutcome {
    /// `ok` or `rejected`, as in the `providers` part of the validation report.
    pub fn status(&self) -> &'static str {
        match self {
            ProviderOutcome::Applied { .. } | ProviderOutcome::Empty => "ok",
            ProviderOutcome::Rejected { .. } | ProviderOutcome::Unreachable { .. } => "rejected",
        }
    }

    /// The error text of a rejected provider.
    pub fn error(&self) -> Option<&str> {
        match self {
            ProviderOutcome::Rejected { error, .. } | ProviderOutcome::Unreachable { error } => {
                Some(error)
            }
            _ => None,
        }
    }
}

/// Incremental reader of a JSON-lines log file that is still being written.
#[derive(Debug)]
pub struct LogTail {
    path: PathBuf,
    offset: u64,
    partial: String,
    /// Every complete line read so far that was valid JSON.
    pub lines: Vec<Value>,
}

impl LogTail {
    /// A reader starting at the beginning of `path` (which may not exist yet).
    pub fn new(path: &Path) -> LogTail {
        LogTail {
            path: path.to_owned(),
            offset: 0,
            partial: String::new(),
            lines: Vec::new(),
        }
    }

    /// Reads what was appended since the last call; returns the new JSON lines.
    pub fn poll(&mut self) -> Vec<Value> {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut bytes = Vec::new();
        if file.read_to_end(&mut bytes).is_err() {
            return Vec::new();
        }
        self.offset += bytes.len() as u64;
        self.partial.push_str(&String::from_utf8_lossy(&bytes));
        let mut fresh = Vec::new();
        while let Some(pos) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=pos).collect();
            if let Ok(value) = serde_json::from_str::<Value>(line.trim()) {
                fresh.push(value);
            }
        }
        self.lines.extend(fresh.iter().cloned());
        fresh
    }
}

/// Folds log lines into the first outcome of every provider seen.
pub fn record_provider_events(lines: &[Value], outcomes: &mut BTreeMap<String, ProviderOutcome>) {
    for line in lines {
        let message = line.get("message").and_then(Value::as_str).unwrap_or("");
        let error = line
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let provider = match line.get("providerName").and_then(Value::as_str) {
            Some(name) => name.to_owned(),
            None => match message.strip_prefix("Cannot start the provider *") {
                Some(rest) => rest.split('.').next().unwrap_or(rest).to_ascii_lowercase(),
                None => continue,
            },
        };
        let outcome = match message {
            "Configuration received" => ProviderOutcome::Applied {
                config: line.get("config").cloned().unwrap_or(Value::Null),
            },
            "Skipping empty configuration" | "Skipping nil configuration" => ProviderOutcome::Empty,
            m if m.starts_with("Error while building configuration")
                || m == "Cannot build the configuration"
                || m.starts_with("Provider error, retrying")
                || m.starts_with("Cannot start the provider")
                || m.starts_with("Cannot retrieve data") =>
            {
                ProviderOutcome::Rejected {
                    message: m.to_owned(),
                    error,
                }
            }
            m if m.starts_with("KV connection error") => ProviderOutcome::Unreachable { error },
            _ => continue,
        };
        outcomes.entry(provider).or_insert(outcome);
    }
}

/// The names (`name@provider`) of every object of an applied configuration, per
/// `protocol.kind` (`http.routers`, ...): what the API must list once it is applied.
pub fn expected_names(provider: &str, config: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for (protocol, kind) in crate::view::KINDS {
        if let Some(Value::Object(objects)) = config.get(protocol).and_then(|p| p.get(kind)) {
            for name in objects.keys() {
                names.push(format!("{protocol}.{kind} {name}@{provider}"));
            }
        }
    }
    names
}

/// Whether an expected `protocol.kind name@provider` is listed in the API names.
///
/// HTTP routers can be listed under another name: with entry-point models (static
/// `core.defaultRuleSyntax`, or `entryPoints.<ep>.http.{middlewares,tls}`) a router on several
/// entry points is split into `<ep>-<name>` copies, and a router whose TLS options conflict
/// with another router's on the same host is replaced by `<ep>-conflicted-<name>` copies.
/// Such a copy counts as the router being listed (the API shows whole applied
/// configurations, so any copy proves the configuration was applied).
pub fn is_listed(expected: &str, listed: &[String]) -> bool {
    if listed.iter().any(|n| n == expected) {
        return true;
    }
    let Some(name) = expected.strip_prefix("http.routers ") else {
        return false;
    };
    let suffix = format!("-{name}");
    listed
        .iter()
        .any(|n| n.starts_with("http.routers ") && n.ends_with(&suffix))
}

/// The last `n` lines of a text file, for error messages.
pub fn tail_lines(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_outcome_per_provider_wins() {
        let lines = vec![
            json!({"providerName": "file", "config": {"http": {"routers": {"a": {}}}}, "message": "Configuration received"}),
            json!({"providerName": "consul", "error": "field not found, node: rulez", "message": "Cannot build the configuration"}),
            json!({"providerName": "consul", "error": "x", "message": "Provider error, retrying in 1s"}),
            json!({"message": "Cannot start the provider *nomad.Provider", "error": "boom"}),
            json!({"providerName": "internal", "message": "Skipping empty configuration"}),
        ];
        let mut outcomes = BTreeMap::new();
        record_provider_events(&lines, &mut outcomes);
        assert_eq!(outcomes["file"].status(), "ok");
        assert_eq!(
            outcomes["consul"].error(),
            Some("field not found, node: rulez")
        );
        assert_eq!(outcomes["nomad"].status(), "rejected");
        assert_eq!(outcomes["internal"], ProviderOutcome::Empty);
        let names = expected_names(
            "file",
            &json!({"http": {"routers": {"a": {}}}, "udp": {"services": {"u": {}}}}),
        );
        assert_eq!(names, ["http.routers a@file", "udp.services u@file"]);
        let listed = vec!["http.routers websecure-conflicted-a@file".to_owned()];
        assert!(is_listed("http.routers a@file", &listed));
        assert!(!is_listed("http.routers b@file", &listed));
        assert!(is_listed(
            "http.routers a@file",
            &["http.routers web-a@file".to_owned()]
        ));
        assert!(!is_listed(
            "http.services a@file",
            &["http.services web-a@file".to_owned()]
        ));
    }
}
