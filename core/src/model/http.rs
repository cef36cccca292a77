//! The `http` section: routers, models and the section itself
//! (`dynamic.HTTPConfiguration`, `dynamic.Router`, `dynamic.Model`).

use super::middleware::Middleware;
use super::servers_transport::ServersTransport;
use super::service::Service;
use super::tls::Domain;
use super::{allow_empty, is_zero};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The `http` section (`dynamic.HTTPConfiguration`; its embedded `ext.HTTP` is empty).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfiguration {
    /// HTTP routers by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub routers: IndexMap<String, Router>,
    /// HTTP services by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub services: IndexMap<String, Service>,
    /// HTTP middlewares by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub middlewares: IndexMap<String, Middleware>,
    /// Router models (defaults applied per entry point; normally set by the static configuration).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub models: IndexMap<String, Model>,
    /// Transports (TLS, timeouts) that load balancers select with `serversTransport`.
    #[serde(
        rename = "serversTransports",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub servers_transports: IndexMap<String, ServersTransport>,
}

/// An HTTP router: rule, entry points, middlewares and target service (`dynamic.Router`).
///
/// Not modelled (tagged `file:"-"`, the file provider ignores them): `DefaultRule`,
/// `DeniedEncodedPathCharacters`. The embedded `ext.Router` is empty.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Router {
    /// Entry points the router listens on; all entry points (with `asDefault`) when empty.
    #[serde(rename = "entryPoints", skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// Middlewares applied in order, by name (qualified `name@provider` or local).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    /// Target service name (qualified `name@provider` or local).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// Matching rule, e.g. ``Host(`example.com`) && PathPrefix(`/api`)``.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rule: String,
    /// Parent routers (multi-layer routing): this router only sees their traffic.
    #[serde(rename = "parentRefs", skip_serializing_if = "Vec::is_empty")]
    pub parent_refs: Vec<String>,
    /// Deprecated rule syntax selector: `v3` (default) or `v2`.
    #[serde(rename = "ruleSyntax", skip_serializing_if = "String::is_empty")]
    pub rule_syntax: String,
    /// Priority; 0 means "length of the rule".
    #[serde(skip_serializing_if = "is_zero")]
    pub priority: i64,
    /// TLS termination; `tls: {}` (allowEmpty) enables it with defaults.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<RouterTlsConfig>,
    /// Per-router access logs, metrics and tracing switches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observability: Option<RouterObservabilityConfig>,
}

/// TLS settings of an HTTP router (`dynamic.RouterTLSConfig`).
///
/// Not modelled: `ResolvedOptions` (`file:"-"`, computed by Traefik).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RouterTlsConfig {
    /// TLS options name (`tls.options`), `default` when empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub options: String,
    /// Certificate resolver (static configuration) that issues certificates.
    #[serde(rename = "certResolver", skip_serializing_if = "String::is_empty")]
    pub cert_resolver: String,
    /// Domains requested from the resolver; derived from the rule when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
}

/// Per-router observability switches (`dynamic.RouterObservabilityConfig`).
///
/// Not modelled: `Metadata` (`file:"-"`, set by the Kubernetes Ingress provider).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RouterObservabilityConfig {
    /// Enables access logs for this router.
    #[serde(rename = "accessLogs", skip_serializing_if = "Option::is_none")]
    pub access_logs: Option<bool>,
    /// Enables metrics for this router.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<bool>,
    /// Enables tracing for this router.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing: Option<bool>,
    /// Tracing verbosity: `minimal` (default) or `detailed`.
    #[serde(rename = "traceVerbosity", skip_serializing_if = "String::is_empty")]
    pub trace_verbosity: String,
}

/// Default router values attached to an entry point (`dynamic.Model`).
///
/// Not modelled (`file:"-"`): `DeniedEncodedPathCharacters`, `DefaultRuleSyntax`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Model {
    /// Middlewares prepended to the routers of the entry point.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    /// Default TLS settings; allowEmpty like a router's `tls`.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<RouterTlsConfig>,
    /// Default observability switches (a plain struct in Go, not a pointer).
    #[serde(skip_serializing_if = "super::is_default")]
    pub observability: RouterObservabilityConfig,
}

impl Router {
    /// Whether the router terminates TLS (`tls` present, even empty).
    pub fn has_tls(&self) -> bool {
        self.tls.is_some()
    }
}
