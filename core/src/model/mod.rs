//! Traefik v3 dynamic-configuration model.
//!
//! The structs mirror Traefik's Go types (`pkg/config/dynamic`, `pkg/tls`) field
//! for field. They derive plain serde traits; Traefik's decoding quirks (keys
//! matched case-insensitively against the Go field names, scalars accepted as
//! one-item lists, numbers given as strings, `allowEmpty` sections) live in the
//! deserializer of [`crate::decode`], not here.
//!
//! Source of truth: Traefik tag `v3.7.9`. Serde names are Traefik's JSON tag
//! names; in 3.7 every JSON name equals its Go field name up to letter case
//! (e.g. `browserXssFilter` / `BrowserXSSFilter`, `sans` / `SANs`), so no
//! `alias` is needed. Fields the file provider ignores (`file:"-"`) are left out;
//! [`FILE_IGNORED_FIELDS`] lists them so the decoder can accept and drop them
//! the way paerser does. Go `int`s are `i64`, `ptypes.Duration` is
//! [`GoDuration`], `map[string]T` is an [`IndexMap`] in input order.

mod allow_empty;
mod duration;
mod http;
mod ignored;
mod middleware;
mod middleware_auth;
mod middleware_traffic;
mod servers_transport;
mod service;
mod tcp;
mod tls;
mod udp;

#[cfg(test)]
mod completeness_test;
#[cfg(test)]
mod tests;

pub use allow_empty::{ALLOW_EMPTY_MARKER, allow_empty};
pub use duration::{
    DurationError, GoDuration, GoDurationOf, HOUR, MICROSECOND, MILLISECOND, MINUTE, NANOSECOND,
    SECOND, StdDuration, format_go_duration, parse_go_duration,
};
pub use http::{HttpConfiguration, Model, Router, RouterObservabilityConfig, RouterTlsConfig};
pub use ignored::{FILE_IGNORED_FIELDS, file_ignored_fields, is_file_ignored};
pub use middleware::{
    AddPrefix, Chain, ContentType, EncodedCharacters, ErrorPage, GrpcWeb, Middleware, PluginConf,
    RedirectRegex, RedirectScheme, ReplacePath, ReplacePathRegex, StripPrefix, StripPrefixRegex,
};
pub use middleware_auth::{
    BasicAuth, ClientTls, DigestAuth, ForwardAuth, Headers, PassTlsClientCert,
    TlsClientCertificateInfo, TlsClientCertificateIssuerDnInfo, TlsClientCertificateSubjectDnInfo,
};
pub use middleware_traffic::{
    Buffering, CircuitBreaker, Compress, InFlightReq, IpAllowList, IpStrategy, IpWhiteList,
    RateLimit, Redis, Retry, SourceCriterion,
};
pub use servers_transport::{ForwardingTimeouts, ServersTransport};
pub use service::{
    Cookie, Failover, FailoverError, HealthCheck, HighestRandomWeight, HrwService, MirrorService,
    Mirroring, PassiveServerHealthCheck, ResponseForwarding, Server, ServerHealthCheck,
    ServersLoadBalancer, Service, Sticky, WeightedRoundRobin, WrrService,
};
pub use tcp::{
    RouterTcpTlsConfig, TcpConfiguration, TcpInFlightConn, TcpIpAllowList, TcpIpWhiteList,
    TcpMiddleware, TcpRouter, TcpServer, TcpServerHealthCheck, TcpServersLoadBalancer,
    TcpServersTransport, TcpService, TcpWeightedRoundRobin, TcpWrrService, TlsClientConfig,
};
pub use tls::{
    CertAndStores, Certificate, ClientAuth, Domain, FileOrContent, GeneratedCert, ProxyProtocol,
    Spiffe, TlsConfiguration, TlsOptions, TlsStore, TypesClientTls,
};
pub use udp::{
    UdpConfiguration, UdpRouter, UdpServer, UdpServersLoadBalancer, UdpService,
    UdpWeightedRoundRobin, UdpWrrService,
};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Root of the dynamic configuration of one provider (`dynamic.Configuration`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Configuration {
    /// HTTP routers, services, middlewares, models and servers transports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpConfiguration>,
    /// TCP routers, services, middlewares and servers transports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpConfiguration>,
    /// UDP routers and services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp: Option<UdpConfiguration>,
    /// Certificates, TLS options and certificate stores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfiguration>,
}

impl Configuration {
    /// Whether the configuration defines nothing at all.
    pub fn is_empty(&self) -> bool {
        self.http.as_ref().is_none_or(|h| {
            h.routers.is_empty()
                && h.services.is_empty()
                && h.middlewares.is_empty()
                && h.models.is_empty()
                && h.servers_transports.is_empty()
        }) && self.tcp.as_ref().is_none_or(|t| {
            t.routers.is_empty()
                && t.services.is_empty()
                && t.middlewares.is_empty()
                && t.servers_transports.is_empty()
        }) && self
            .udp
            .as_ref()
            .is_none_or(|u| u.routers.is_empty() && u.services.is_empty())
            && self.tls.as_ref().is_none_or(|t| {
                t.certificates.is_empty() && t.options.is_empty() && t.stores.is_empty()
            })
    }

    /// HTTP routers (empty when there is no `http` section).
    pub fn http_routers(&self) -> impl Iterator<Item = (&String, &Router)> {
        self.http.iter().flat_map(|h| h.routers.iter())
    }

    /// HTTP services (empty when there is no `http` section).
    pub fn http_services(&self) -> impl Iterator<Item = (&String, &Service)> {
        self.http.iter().flat_map(|h| h.services.iter())
    }

    /// HTTP middlewares (empty when there is no `http` section).
    pub fn http_middlewares(&self) -> impl Iterator<Item = (&String, &Middleware)> {
        self.http.iter().flat_map(|h| h.middlewares.iter())
    }

    /// TLS options by name (empty when there is no `tls` section).
    pub fn tls_options(&self) -> Option<&IndexMap<String, TlsOptions>> {
        self.tls.as_ref().map(|t| &t.options)
    }
}

/// `skip_serializing_if` helper: Go's `omitempty` for `bool`.
pub(crate) fn is_false(v: &bool) -> bool {
    !*v
}

/// `skip_serializing_if` helper: Go's `omitempty` for integers.
pub(crate) fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// `skip_serializing_if` helper for non-pointer Go structs left at their zero value.
pub(crate) fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
