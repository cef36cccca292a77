//! Whether a staging revision may be promoted, and the status document the
//! Consul UI shows for it.
//!
//! A revision is blocked by any error in the Consul configuration itself
//! (decoding, routers, services, middlewares of `@consul`), and by any error
//! elsewhere that it would newly cause (a file router using a middleware
//! the revision removes). Errors other providers already had are not the
//! revision's fault and do not block it: the file-provider gate and the
//! admission webhook own those.

use crate::view::ViewInputs;
use serde::Serialize;
use std::collections::HashSet;
use sync_core::decode::consul_kv::{KvPair, decode_provider};
use sync_core::finding::{Finding, Severity};
use sync_core::provider::{ProviderConfig, names};
use sync_core::report::Report;

/// The verdict on one staging revision.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The staging prefix's `X-Consul-Index` this verdict is about.
    pub revision: u64,
    /// The staging configuration, decoded as Traefik would read it from live.
    pub staging: ProviderConfig,
    /// The report of the whole view with staging in place of live.
    pub report: Report,
    /// What blocks promotion (empty: promotable).
    pub blocking: Vec<Finding>,
    /// Warnings and notes about the revision (they do not block).
    pub warnings: Vec<Finding>,
}

impl Evaluation {
    /// Whether the revision may be promoted.
    pub fn accepted(&self) -> bool {
        self.blocking.is_empty()
    }
}

/// Decode `staging` (keys under `staging_root`) the way Traefik decodes its
/// root key, and judge it against the rest of `view`, whose own report is
/// `before` (the snapshot's: computed once per view, not once per judgement).
///
/// The decoder sees the keys with their staging names, so every finding names
/// the key the operator edits.
pub fn evaluate(
    view: &ViewInputs,
    before: &Report,
    staging: &[KvPair],
    staging_root: &str,
    revision: u64,
) -> Evaluation {
    let provider = decode_provider(staging, staging_root);
    let after = view.report_with(provider.clone());
    let known: HashSet<(&str, Option<&str>)> = before
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.code, f.object.as_deref()))
        .collect();
    let mut blocking = Vec::new();
    let mut warnings = Vec::new();
    for f in &after.findings {
        let ours = is_consul(f);
        match f.severity {
            Severity::Error if ours || !known.contains(&(f.code, f.object.as_deref())) => {
                blocking.push(f.clone())
            }
            Severity::Warning | Severity::Info if ours => warnings.push(f.clone()),
            _ => {}
        }
    }
    Evaluation {
        revision,
        staging: provider,
        report: after,
        blocking,
        warnings,
    }
}

fn is_consul(f: &Finding) -> bool {
    let suffix = format!("@{}", names::CONSUL);
    f.object.as_deref().is_some_and(|o| o.ends_with(&suffix))
        || f.source
            .as_ref()
            .is_some_and(|s| s.provider == names::CONSUL)
}

/// What the gate last did, as written to the status key (JSON) and served on
/// the status endpoint. Field names are camelCase like Consul's own JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDoc {
    /// `promoted`, `unchanged`, `rejected`, `conflict`, `audit` or `error`.
    pub verdict: String,
    /// One line for a person.
    pub summary: String,
    /// The staging revision (`X-Consul-Index`) judged.
    pub staging_index: u64,
    /// When it was judged (RFC 3339, UTC).
    pub checked_at: String,
    /// Each problem with the key it is about and what to do.
    pub errors: Vec<StatusItem>,
    /// Non-blocking findings.
    pub warnings: Vec<StatusItem>,
    /// Keys set and deleted in live by the last promotion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoted: Option<PromotedSummary>,
}

/// One finding in the status document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusItem {
    /// The Consul key concerned, if the finding has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `name@provider` concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Stable code.
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl StatusItem {
    /// One line for a terminal: `key: message (help)`.
    pub fn line(&self) -> String {
        let mut s = String::new();
        if let Some(k) = self.key.as_ref().or(self.object.as_ref()) {
            s.push_str(k);
            s.push_str(": ");
        }
        s.push_str(&self.message);
        if let Some(h) = &self.help {
            s.push_str(" (");
            s.push_str(h);
            s.push(')');
        }
        s
    }
}

impl From<&Finding> for StatusItem {
    fn from(f: &Finding) -> Self {
        let place = f.source.as_ref().and_then(|s| {
            s.key
                .clone()
                .or_else(|| {
                    s.path
                        .as_ref()
                        .map(|p| format!("{p}:{}", s.line.unwrap_or(0)))
                })
                .or_else(|| {
                    s.kind.as_ref().map(|k| {
                        format!(
                            "{k} {}/{}",
                            s.namespace.clone().unwrap_or_default(),
                            s.name.clone().unwrap_or_default()
                        )
                    })
                })
        });
        Self {
            key: place,
            object: f.object.clone(),
            code: f.code.to_string(),
            message: f.message.clone(),
            help: f.help.clone(),
        }
    }
}

/// Counts of what a promotion wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotedSummary {
    /// Keys created or changed in live.
    pub set: usize,
    /// Keys deleted from live.
    pub deleted: usize,
    /// Transactions used.
    pub transactions: usize,
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-11-25T20:13:20Z`).
pub fn rfc3339(unix: u64) -> String {
    crate::status_page::utc(unix)
        .trim_end_matches(" UTC")
        .replacen(' ', "T", 1)
        + "Z"
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::decode::file_provider::{SourceFile, decode_provider as decode_files};

    fn kv(pairs: &[(&str, &str)]) -> Vec<KvPair> {
        pairs
            .iter()
            .map(|(k, v)| KvPair {
                key: k.to_string(),
                value: v.as_bytes().to_vec(),
            })
            .collect()
    }

    fn files(yaml: &str) -> ProviderConfig {
        decode_files(&[SourceFile {
            path: "mw.yml".into(),
            content: yaml.as_bytes().to_vec(),
        }])
    }

    #[test]
    fn a_typo_blocks_and_names_the_staging_key() {
        let view = ViewInputs::default();
        let staging = kv(&[
            ("traefik-staging/http/routers/a/rule", "Host(`a`)"),
            ("traefik-staging/http/routers/a/servce", "s"),
        ]);
        let e = evaluate(&view, &view.report(), &staging, "traefik-staging", 7);
        assert!(!e.accepted());
        let item = StatusItem::from(&e.blocking[0]);
        assert_eq!(
            item.key.as_deref(),
            Some("traefik-staging/http/routers/a/servce"),
            "{item:?}"
        );
    }

    #[test]
    fn a_router_using_a_file_middleware_is_accepted_only_when_it_exists() {
        let staging = kv(&[
            ("traefik-staging/http/routers/a/rule", "Host(`a`)"),
            ("traefik-staging/http/routers/a/service", "s"),
            ("traefik-staging/http/routers/a/middlewares/0", "auth@file"),
            (
                "traefik-staging/http/services/s/loadBalancer/servers/0/url",
                "http://127.0.0.1:1",
            ),
        ]);
        let mut view = ViewInputs {
            files: Some(files("http:\n  routers: {}\n")),
            ..ViewInputs::default()
        };
        assert!(!evaluate(&view, &view.report(), &staging, "traefik-staging", 1).accepted());
        view.files = Some(files(
            "http:\n  middlewares:\n    auth:\n      basicAuth:\n        users: [\"u:$apr1$x$y\"]\n",
        ));
        let e = evaluate(&view, &view.report(), &staging, "traefik-staging", 2);
        assert!(e.accepted(), "{:?}", e.blocking);
    }

    #[test]
    fn errors_other_providers_already_had_do_not_block() {
        let view = ViewInputs {
            files: Some(files(
                "http:\n  routers:\n    broken:\n      rule: Host(`b`)\n      service: nowhere\n",
            )),
            ..ViewInputs::default()
        };
        assert!(view.report().has_errors());
        let staging = kv(&[
            ("traefik-staging/http/routers/a/rule", "Host(`a`)"),
            ("traefik-staging/http/routers/a/service", "s"),
            (
                "traefik-staging/http/services/s/loadBalancer/servers/0/url",
                "http://127.0.0.1:1",
            ),
        ]);
        let e = evaluate(&view, &view.report(), &staging, "traefik-staging", 3);
        assert!(e.accepted(), "{:?}", e.blocking);
    }

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_724_000), "2026-11-26T20:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
