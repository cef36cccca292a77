//! The cross-provider check: before publishing, ask syncd (`POST /v1/validate`)
//! what the whole view — Kubernetes CRDs and Consul KV too — would say with
//! this inbox as the file provider.
//!
//! The local gate already proves the inbox is valid on its own; only syncd
//! knows the other providers, so only it can tell that a router here uses
//! `auth@kubernetescrd` which does not exist. Errors about the file provider's
//! objects that the local gate did not see block publication.

use crate::inbox::Snapshot;
use std::time::Duration;
use sync_core::finding::{Finding, Severity};
use sync_core::provider::names;
use sync_core::report::Report;
use sync_core::source::SourceRef;

/// How to reach syncd.
#[derive(Debug, Clone)]
pub struct SyncdCheck {
    url: String,
    required: bool,
    timeout: Duration,
}

impl SyncdCheck {
    /// Check against syncd at `url` (`http://syncd.traefik.svc:8080`). With
    /// `required`, an unreachable syncd blocks publication; otherwise the local
    /// verdict stands and a note says the cross-provider check was skipped.
    pub fn new(url: &str, required: bool, timeout: Duration) -> Self {
        Self {
            url: url.trim_end_matches('/').to_string(),
            required,
            timeout,
        }
    }

    /// What syncd says about the inbox: local errors it does not confirm
    /// (references to objects of other providers, which exist there), and
    /// errors only it can see.
    pub fn check(&self, snapshot: &Snapshot, local: &Report) -> CrossVerdict {
        match self.remote_report(snapshot) {
            Ok(remote) => CrossVerdict {
                resolved: resolved_locally_only(&remote, local),
                extra: cross_provider_errors(&remote, local),
            },
            Err(e) => CrossVerdict {
                resolved: Default::default(),
                extra: self.unreachable(e),
            },
        }
    }

    fn unreachable(&self, e: String) -> Vec<Finding> {
        let severity = if self.required {
            Severity::Error
        } else {
            Severity::Info
        };
        vec![
            Finding::new(
                severity,
                "syncd-unreachable",
                format!(
                    "the cross-provider check with syncd at {} failed: {e}",
                    self.url
                ),
            )
            .help(if self.required {
                "nothing is published until syncd answers (--syncd-required); check --syncd-url"
            } else {
                "judged on the local verdict alone; references to other providers were not checked"
            }),
        ]
    }

    fn remote_report(&self, snapshot: &Snapshot) -> Result<serde_json::Value, String> {
        let files: Vec<serde_json::Value> = snapshot
            .files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "path": f.path,
                    "content": String::from_utf8_lossy(&f.content),
                })
            })
            .collect();
        let body = serde_json::json!({ "provider": names::FILE, "files": files });
        let url = format!("{}/v1/validate", self.url);
        let timeout = self.timeout;
        // The daemon loop is a plain thread; one small runtime per check keeps
        // it that way (a check happens once per inbox revision).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(timeout)
                .build()
                .map_err(|e| e.to_string())?;
            let resp = client
                .post(&url)
                .json(&body)
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let status = resp.status();
            let text = resp.text().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("{url} answered {status}: {}", text.trim()));
            }
            serde_json::from_str(&text).map_err(|e| format!("{url}: not a report: {e}"))
        })
    }
}

/// syncd's answer, as the gate uses it.
#[derive(Debug, Default)]
pub struct CrossVerdict {
    /// Messages of local errors about `@file` objects that syncd, seeing every
    /// provider, does not report: a reference to `x@consul` that exists there.
    pub resolved: std::collections::HashSet<String>,
    /// Findings only syncd can produce (errors block).
    pub extra: Vec<Finding>,
}

/// The error findings of syncd's report.
fn remote_errors(remote: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    remote
        .get("findings")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
        .filter(|f| f.get("severity").and_then(|s| s.as_str()) == Some("error"))
}

fn error_messages(remote: &serde_json::Value) -> std::collections::HashSet<&str> {
    remote_errors(remote)
        .filter_map(|f| f.get("message")?.as_str())
        .collect()
}

fn resolved_locally_only(
    remote: &serde_json::Value,
    local: &Report,
) -> std::collections::HashSet<String> {
    let confirmed = error_messages(remote);
    let suffix = format!("@{}", names::FILE);
    local
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter(|f| f.object.as_deref().is_some_and(|o| o.ends_with(&suffix)))
        .filter(|f| !confirmed.contains(f.message.as_str()))
        .map(|f| f.message.clone())
        .collect()
}

/// Errors of syncd's report about `@file` objects (or file sources) that the
/// local report does not have.
fn cross_provider_errors(remote: &serde_json::Value, local: &Report) -> Vec<Finding> {
    let known: std::collections::HashSet<&str> =
        local.findings.iter().map(|f| f.message.as_str()).collect();
    let suffix = format!("@{}", names::FILE);
    remote_errors(remote)
        .filter(|f| {
            let object = f.get("object").and_then(|o| o.as_str()).unwrap_or("");
            let provider = f.pointer("/source/provider").and_then(|p| p.as_str());
            object.ends_with(&suffix) || provider == Some(names::FILE)
        })
        .filter_map(|f| {
            let message = f.get("message")?.as_str()?;
            if known.contains(message) {
                return None;
            }
            let code = f.get("code").and_then(|c| c.as_str()).unwrap_or("?");
            let mut finding = Finding::new(
                Severity::Error,
                "cross-provider",
                format!("{message} (seen by syncd with the other providers: {code})"),
            );
            if let Some(o) = f.get("object").and_then(|o| o.as_str()) {
                finding = finding.object(o);
            }
            let source = f.get("source");
            let path = source.and_then(|s| s.get("path")).and_then(|p| p.as_str());
            if let Some(path) = path {
                let line = source.and_then(|s| s.get("line")).and_then(|l| l.as_u64());
                let column = source.and_then(|s| s.get("column")).and_then(|c| c.as_u64());
                let pos = sync_core::source::Pos::new(
                    line.unwrap_or(0) as u32,
                    column.unwrap_or(0) as u32,
                );
                finding = finding.source(Some(SourceRef::file(names::FILE, path, pos)));
            }
            Some(finding.help(
                "define the referenced object in its provider first (or fix the reference), then save again",
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_errors_about_file_objects_count() {
        let remote = serde_json::json!({"findings": [
            {"severity": "error", "code": "missing-middleware", "object": "r@file",
             "source": {"provider": "file", "path": "a.yml", "line": 3, "column": 5},
             "message": "middleware \"auth@kubernetescrd\" does not exist"},
            {"severity": "error", "code": "x", "object": "k@kubernetescrd", "message": "not ours"},
            {"severity": "warning", "code": "y", "object": "r@file", "message": "only a warning"},
            {"severity": "error", "code": "z", "object": "s@file", "message": "already known"}
        ]});
        let mut local = Report::default();
        local
            .findings
            .push(Finding::new(Severity::Error, "z", "already known"));
        let found = cross_provider_errors(&remote, &local);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].object.as_deref(), Some("r@file"));
        assert!(found[0].message.contains("auth@kubernetescrd"));
        assert_eq!(found[0].source.as_ref().and_then(|s| s.line), Some(3));
    }

    #[test]
    fn an_unreachable_syncd_blocks_only_when_required() {
        let snapshot = Snapshot {
            files: Vec::new(),
            refusals: Vec::new(),
            revision: "r".into(),
            newest_mtime: None,
            total_bytes: 0,
            unstable: false,
        };
        let lax = SyncdCheck::new("http://127.0.0.1:9", false, Duration::from_secs(2));
        let found = lax.check(&snapshot, &Report::default()).extra;
        assert_eq!(found[0].severity, Severity::Info);
        let strict = SyncdCheck::new("http://127.0.0.1:9", true, Duration::from_secs(2));
        let found = strict.check(&snapshot, &Report::default()).extra;
        assert_eq!(found[0].severity, Severity::Error);
        assert!(
            found[0].message.contains("127.0.0.1:9"),
            "{}",
            found[0].message
        );
    }
}
