//! Findings: everything the validator has to say, including what Traefik never reports.

use crate::source::SourceRef;
use serde::Serialize;

/// How bad a finding is. `error` makes `syncctl validate` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Traefik will disable something, reject a provider, or behave unpredictably.
    Error,
    /// Probably a mistake; Traefik runs but not as intended.
    Warning,
    /// Worth knowing.
    Info,
}

/// One finding of the report (`findings[]` in the JSON contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Stable kebab-case code (`missing-service`, `provider-rejected`, ...).
    pub code: &'static str,
    /// `name@provider` of the object concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Where, as precisely as the input allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Finding {
    /// A finding with no object or source yet.
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            object: None,
            source: None,
            message: message.into(),
            help: None,
        }
    }

    /// Name the object concerned.
    pub fn object(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    /// Say where.
    pub fn source(mut self, source: Option<SourceRef>) -> Self {
        self.source = source;
        self
    }

    /// Say what to do.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
