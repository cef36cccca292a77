//! Encoders: a [`Configuration`] back into each provider's input format.
//!
//! The inverse of [`crate::decode`]: Consul KV pairs under a root key ([`kv`]),
//! file-provider YAML or TOML ([`file`]) and Traefik CRD manifests ([`crd`]).
//! Every encoder is sans-IO and deterministic. What a target format cannot
//! express is never dropped silently: it comes back as a [`Loss`] naming the
//! place in the configuration, which [`losses_to_findings`] turns into report
//! findings with the source position the decoder recorded.

pub mod crd;
pub mod file;
pub mod kv;

use crate::finding::{Finding, Severity};
use crate::objects::{ObjectKind, Origins};
use crate::source::SourceRef;
use std::fmt;

/// Something the target format cannot express (or would read back differently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// Path in the configuration, by JSON names: `["http","routers","r","tls"]`.
    pub path: Vec<String>,
    /// Stable kebab-case code (`kv-empty-section`, `crd-url-servers`, ...).
    pub code: &'static str,
    /// What is lost and why.
    pub message: String,
}

impl Loss {
    /// A loss at `path`.
    pub fn new(path: &[String], code: &'static str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_vec(),
            code,
            message: message.into(),
        }
    }

    /// The object the path lies in: kind and name (`http.routers.r.rule` → router `r`).
    pub fn object(&self) -> Option<(ObjectKind, &str)> {
        let (section, key, name) = (self.path.first()?, self.path.get(1)?, self.path.get(2)?);
        ObjectKind::ALL
            .into_iter()
            .find(|k| k.path() == (section.as_str(), key.as_str()))
            .map(|k| (k, name.as_str()))
    }

    /// The path joined with dots, for messages.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.dotted(), self.message)
    }
}

/// Errors of an encoder itself (not of the configuration).
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The configuration could not be serialized (a model invariant broke).
    #[error("cannot serialize the configuration: {0}")]
    Serialize(String),
}

/// Turn losses into `warning` findings, with the source recorded in `origins`
/// for the object concerned (`provider` names the input's provider).
pub fn losses_to_findings(losses: &[Loss], origins: &Origins, provider: &str) -> Vec<Finding> {
    losses
        .iter()
        .map(|loss| {
            let (object, source) = match loss.object() {
                Some((kind, name)) => (
                    Some(format!("{name}@{provider}")),
                    origins.get(kind, name).cloned(),
                ),
                None => (None, Some(SourceRef::provider(provider))),
            };
            let mut finding = Finding::new(
                Severity::Warning,
                loss.code,
                format!("{}: {}", loss.dotted(), loss.message),
            )
            .source(source);
            if let Some(object) = object {
                finding = finding.object(object);
            }
            finding
        })
        .collect()
}

/// `allowEmpty` sections of Traefik's dynamic configuration (`*` = any name):
/// given empty they switch the feature on with defaults, so they get an empty key.
const ALLOW_EMPTY: &[&str] = &[
    "http/routers/*/tls",
    "http/models/*/tls",
    "http/middlewares/*/compress",
    "http/middlewares/*/contentType",
    "http/middlewares/*/ipWhiteList/ipStrategy",
    "http/middlewares/*/ipAllowList/ipStrategy",
    "http/serversTransports/*/spiffe",
    "http/services/*/loadBalancer/sticky",
    "http/services/*/loadBalancer/sticky/cookie",
    "http/services/*/weighted/sticky/cookie",
    "http/services/*/weighted/healthCheck",
    "http/services/*/highestRandomWeight/healthCheck",
    "http/services/*/mirroring/healthCheck",
    "http/services/*/failover/healthCheck",
    "tcp/routers/*/tls",
    "tcp/services/*/weighted/healthCheck",
    "tcp/services/*/loadBalancer/proxyProtocol",
    "tcp/services/*/loadBalancer/healthCheck",
    "tcp/serversTransports/*/proxyProtocol",
    "tcp/serversTransports/*/tls",
    "tcp/serversTransports/*/tls/spiffe",
];

pub(crate) fn is_allow_empty(path: &[String]) -> bool {
    ALLOW_EMPTY.iter().any(|pattern| {
        let segments: Vec<&str> = pattern.split('/').collect();
        segments.len() == path.len()
            && segments
                .iter()
                .zip(path)
                .all(|(s, p)| *s == "*" || s.eq_ignore_ascii_case(p))
    })
}

/// The configuration as a JSON value with Traefik's JSON names, only set fields.
pub(crate) fn to_json(
    config: &crate::model::Configuration,
) -> Result<serde_json::Value, EncodeError> {
    serde_json::to_value(config).map_err(|e| EncodeError::Serialize(e.to_string()))
}

#[cfg(test)]
pub(crate) mod test_support;
