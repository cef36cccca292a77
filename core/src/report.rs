//! The report of `syncctl validate` (JSON contract in ARCHITECTURE.md).
//!
//! Objects, statuses and error texts are what Traefik's own API
//! (`/api/http/routers`, ...) shows after a fresh start with the same input.

use crate::finding::{Finding, Severity};
use crate::source::SourceRef;
use serde::Serialize;
use std::collections::BTreeMap;

/// Runtime status of an object, as in Traefik's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Works.
    Enabled,
    /// Works, with a problem (e.g. one of several entry points missing).
    Warning,
    /// Does not work.
    Disabled,
}

/// A router as Traefik's API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouterReport {
    /// `enabled`, `warning` or `disabled`.
    pub status: Status,
    /// Traefik's error texts, in the order Traefik records them.
    pub errors: Vec<String>,
    /// The rule as written.
    pub rule: String,
    /// Effective priority (rule length when not set).
    pub priority: i64,
    /// Entry points after defaults were applied.
    #[serde(rename = "entryPoints")]
    pub entry_points: Vec<String>,
    /// Qualified service name, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Qualified middleware names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    /// Provider name.
    pub provider: String,
    /// Where it was defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

/// A service, middleware or other object as Traefik's API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectReport {
    /// `enabled`, `warning` or `disabled`.
    pub status: Status,
    /// Traefik's error texts.
    pub errors: Vec<String>,
    /// Provider name.
    pub provider: String,
    /// Qualified names of the routers (or parents) using it.
    #[serde(rename = "usedBy", skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<String>,
    /// Where it was defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

/// The `http` section.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HttpReport {
    /// Routers by `name@provider`.
    pub routers: BTreeMap<String, RouterReport>,
    /// Services by `name@provider`.
    pub services: BTreeMap<String, ObjectReport>,
    /// Middlewares by `name@provider`.
    pub middlewares: BTreeMap<String, ObjectReport>,
}

/// The `tcp` section.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TcpReport {
    /// Routers by `name@provider`.
    pub routers: BTreeMap<String, RouterReport>,
    /// Services by `name@provider`.
    pub services: BTreeMap<String, ObjectReport>,
    /// Middlewares by `name@provider`.
    pub middlewares: BTreeMap<String, ObjectReport>,
}

/// The `udp` section.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct UdpReport {
    /// Routers by `name@provider`.
    pub routers: BTreeMap<String, RouterReport>,
    /// Services by `name@provider`.
    pub services: BTreeMap<String, ObjectReport>,
}

/// A provider's overall verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderReport {
    /// `ok` or `rejected`.
    pub status: &'static str,
    /// Why it was rejected.
    pub errors: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Report {
    /// HTTP objects.
    pub http: HttpReport,
    /// TCP objects.
    pub tcp: TcpReport,
    /// UDP objects.
    pub udp: UdpReport,
    /// Per provider verdicts.
    pub providers: BTreeMap<String, ProviderReport>,
    /// Everything found, errors first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any finding is an error (`syncctl validate` exits 1).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Sort findings (errors first, then by place) and drop exact duplicates.
    pub fn normalize_findings(&mut self) {
        self.findings.sort_by(|a, b| {
            (
                a.severity,
                a.source.as_ref().map(SourceRef::display),
                &a.code,
                &a.message,
            )
                .cmp(&(
                    b.severity,
                    b.source.as_ref().map(SourceRef::display),
                    &b.code,
                    &b.message,
                ))
        });
        self.findings.dedup();
    }
}
