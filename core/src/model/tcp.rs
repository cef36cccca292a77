//! The `tcp` section (`pkg/config/dynamic/tcp_config.go`, `tcp_middlewares.go`).

use super::duration::GoDuration;
use super::service::HealthCheck;
use super::tls::{Certificate, Domain, FileOrContent, ProxyProtocol, Spiffe};
use super::{allow_empty, is_false, is_zero};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The `tcp` section (`dynamic.TCPConfiguration`).
///
/// Not modelled: `Models` (`file:"-"`, set from the static configuration).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpConfiguration {
    /// TCP routers by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub routers: IndexMap<String, TcpRouter>,
    /// TCP services by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub services: IndexMap<String, TcpService>,
    /// TCP middlewares by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub middlewares: IndexMap<String, TcpMiddleware>,
    /// TCP servers transports by name.
    #[serde(
        rename = "serversTransports",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub servers_transports: IndexMap<String, TcpServersTransport>,
}

/// A TCP router: `HostSNI`/`ClientIP`/`ALPN` rule, entry points, service (`dynamic.TCPRouter`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpRouter {
    /// Entry points the router listens on.
    #[serde(rename = "entryPoints", skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// TCP middlewares applied in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    /// Target TCP service.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// Matching rule, e.g. ``HostSNI(`*`)``.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rule: String,
    /// Deprecated rule syntax selector: `v3` (default) or `v2`.
    #[serde(rename = "ruleSyntax", skip_serializing_if = "String::is_empty")]
    pub rule_syntax: String,
    /// Priority; 0 means "length of the rule".
    #[serde(skip_serializing_if = "is_zero")]
    pub priority: i64,
    /// TLS termination or passthrough; `tls: {}` (allowEmpty) enables termination.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<RouterTcpTlsConfig>,
}

/// TLS settings of a TCP router (`dynamic.RouterTCPTLSConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RouterTcpTlsConfig {
    /// Forwards TLS untouched to the backend. Go serializes it always (no `omitempty`).
    pub passthrough: bool,
    /// TLS options name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub options: String,
    /// Certificate resolver.
    #[serde(rename = "certResolver", skip_serializing_if = "String::is_empty")]
    pub cert_resolver: String,
    /// Domains requested from the resolver.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
}

/// A TCP service; exactly one type must be set (`dynamic.TCPService`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpService {
    /// Load balancer over TCP servers.
    #[serde(rename = "loadBalancer", skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<TcpServersLoadBalancer>,
    /// Weighted round robin over TCP services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted: Option<TcpWeightedRoundRobin>,
}

impl TcpService {
    /// The service types that are set, by JSON name, in Go field order.
    pub fn type_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.load_balancer.is_some() {
            names.push("loadBalancer");
        }
        if self.weighted.is_some() {
            names.push("weighted");
        }
        names
    }

    /// Names of the child services of a `weighted` service, as written.
    pub fn children(&self) -> Vec<&str> {
        self.weighted
            .iter()
            .flat_map(|w| w.services.iter().map(|s| s.name.as_str()))
            .collect()
    }
}

/// Weighted round robin over TCP services (`dynamic.TCPWeightedRoundRobin`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpWeightedRoundRobin {
    /// Child services with weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<TcpWrrService>,
    /// Health-check propagation; allowEmpty.
    #[serde(
        rename = "healthCheck",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check: Option<HealthCheck>,
}

/// A weighted child of a TCP `weighted` service (`dynamic.TCPWRRService`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpWrrService {
    /// Child service name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Weight (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

/// Load balancer over TCP servers (`dynamic.TCPServersLoadBalancer`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpServersLoadBalancer {
    /// Backend servers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<TcpServer>,
    /// TCP servers transport name.
    #[serde(rename = "serversTransport", skip_serializing_if = "String::is_empty")]
    pub servers_transport: String,
    /// Deprecated (use the servers transport): PROXY protocol; allowEmpty.
    #[serde(
        rename = "proxyProtocol",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub proxy_protocol: Option<ProxyProtocol>,
    /// Deprecated (use the servers transport): half-close delay in milliseconds.
    #[serde(rename = "terminationDelay", skip_serializing_if = "Option::is_none")]
    pub termination_delay: Option<i64>,
    /// Active health check of the servers; allowEmpty.
    #[serde(
        rename = "healthCheck",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check: Option<TcpServerHealthCheck>,
}

/// A TCP backend server (`dynamic.TCPServer`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpServer {
    /// `host:port`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// Port used by label providers. Tagged `json:"-"` but not `file:"-"`, so the
    /// file provider accepts it under its Go field name `Port`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub port: String,
    /// Connects to the server with TLS.
    #[serde(skip_serializing_if = "is_false")]
    pub tls: bool,
}

/// Active health check of TCP servers (`dynamic.TCPServerHealthCheck`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpServerHealthCheck {
    /// Port override.
    #[serde(skip_serializing_if = "is_zero")]
    pub port: i64,
    /// Payload sent.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub send: String,
    /// Expected reply.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub expect: String,
    /// Interval for healthy servers (default 30s).
    #[serde(skip_serializing_if = "GoDuration::is_zero")]
    pub interval: GoDuration,
    /// Interval for unhealthy servers.
    #[serde(rename = "unhealthyInterval", skip_serializing_if = "Option::is_none")]
    pub unhealthy_interval: Option<GoDuration>,
    /// Timeout of one check (default 5s).
    #[serde(skip_serializing_if = "GoDuration::is_zero")]
    pub timeout: GoDuration,
}

/// How Traefik connects to TCP backends (`dynamic.TCPServersTransport`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpServersTransport {
    /// Keep-alive probe interval (default 15s, negative disables).
    #[serde(rename = "dialKeepAlive", skip_serializing_if = "GoDuration::is_zero")]
    pub dial_keep_alive: GoDuration,
    /// Connection timeout (default 30s).
    #[serde(rename = "dialTimeout", skip_serializing_if = "GoDuration::is_zero")]
    pub dial_timeout: GoDuration,
    /// PROXY protocol; allowEmpty.
    #[serde(
        rename = "proxyProtocol",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub proxy_protocol: Option<ProxyProtocol>,
    /// Half-close delay (default 100ms).
    #[serde(
        rename = "terminationDelay",
        skip_serializing_if = "GoDuration::is_zero"
    )]
    pub termination_delay: GoDuration,
    /// TLS towards backends; `tls: {}` (allowEmpty) enables it.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<TlsClientConfig>,
}

/// TLS towards TCP backends (`dynamic.TLSClientConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsClientConfig {
    /// SNI / server name.
    #[serde(rename = "serverName", skip_serializing_if = "String::is_empty")]
    pub server_name: String,
    /// Disables certificate verification.
    #[serde(rename = "insecureSkipVerify", skip_serializing_if = "is_false")]
    pub insecure_skip_verify: bool,
    /// CA certificates (Go field `RootCAs`).
    #[serde(rename = "rootCAs", skip_serializing_if = "Vec::is_empty")]
    pub root_cas: Vec<FileOrContent>,
    /// Client certificates for mTLS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Certificate>,
    /// URI SAN the backend certificate must carry (Go field `PeerCertURI`).
    #[serde(rename = "peerCertURI", skip_serializing_if = "String::is_empty")]
    pub peer_cert_uri: String,
    /// SPIFFE verification; allowEmpty.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub spiffe: Option<Spiffe>,
}

/// A TCP middleware; exactly one type must be set (`dynamic.TCPMiddleware`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpMiddleware {
    /// Limits simultaneous connections per IP.
    #[serde(rename = "inFlightConn", skip_serializing_if = "Option::is_none")]
    pub in_flight_conn: Option<TcpInFlightConn>,
    /// Deprecated client-IP allow list (use `ipAllowList`).
    #[serde(rename = "ipWhiteList", skip_serializing_if = "Option::is_none")]
    pub ip_white_list: Option<TcpIpWhiteList>,
    /// Client-IP allow list.
    #[serde(rename = "ipAllowList", skip_serializing_if = "Option::is_none")]
    pub ip_allow_list: Option<TcpIpAllowList>,
}

impl TcpMiddleware {
    /// The middleware types that are set, by JSON name, in Go field order.
    pub fn type_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.in_flight_conn.is_some() {
            names.push("inFlightConn");
        }
        if self.ip_white_list.is_some() {
            names.push("ipWhiteList");
        }
        if self.ip_allow_list.is_some() {
            names.push("ipAllowList");
        }
        names
    }
}

/// Limits simultaneous connections per IP (`dynamic.TCPInFlightConn`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpInFlightConn {
    /// Maximum simultaneous connections.
    #[serde(skip_serializing_if = "is_zero")]
    pub amount: i64,
}

/// Deprecated TCP client-IP allow list (`dynamic.TCPIPWhiteList`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpIpWhiteList {
    /// Allowed IPs or CIDR ranges.
    #[serde(rename = "sourceRange", skip_serializing_if = "Vec::is_empty")]
    pub source_range: Vec<String>,
}

/// TCP client-IP allow list (`dynamic.TCPIPAllowList`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TcpIpAllowList {
    /// Allowed IPs or CIDR ranges.
    #[serde(rename = "sourceRange", skip_serializing_if = "Vec::is_empty")]
    pub source_range: Vec<String>,
}
