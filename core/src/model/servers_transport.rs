//! HTTP servers transports (`dynamic.ServersTransport`, `dynamic.ForwardingTimeouts`).

use super::duration::GoDuration;
use super::tls::{Certificate, FileOrContent, Spiffe};
use super::{allow_empty, is_false, is_zero};
use serde::{Deserialize, Serialize};

/// How Traefik connects to HTTP backends: TLS, HTTP/2, timeouts (`dynamic.ServersTransport`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServersTransport {
    /// SNI / server name used to verify the backend certificate.
    #[serde(rename = "serverName", skip_serializing_if = "String::is_empty")]
    pub server_name: String,
    /// Disables backend certificate verification.
    #[serde(rename = "insecureSkipVerify", skip_serializing_if = "is_false")]
    pub insecure_skip_verify: bool,
    /// CA certificates (paths or PEM) to verify backends (Go field `RootCAs`).
    #[serde(rename = "rootCAs", skip_serializing_if = "Vec::is_empty")]
    pub root_cas: Vec<FileOrContent>,
    /// Client certificates for mTLS to backends.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<Certificate>,
    /// Cipher suites offered to backends.
    #[serde(rename = "cipherSuites", skip_serializing_if = "Vec::is_empty")]
    pub cipher_suites: Vec<String>,
    /// Minimum TLS version towards backends.
    #[serde(rename = "minVersion", skip_serializing_if = "String::is_empty")]
    pub min_version: String,
    /// Maximum TLS version towards backends.
    #[serde(rename = "maxVersion", skip_serializing_if = "String::is_empty")]
    pub max_version: String,
    /// Idle keep-alive connections per host (0: Go default, negative: no reuse).
    #[serde(rename = "maxIdleConnsPerHost", skip_serializing_if = "is_zero")]
    pub max_idle_conns_per_host: i64,
    /// Forwarding timeouts.
    #[serde(rename = "forwardingTimeouts", skip_serializing_if = "Option::is_none")]
    pub forwarding_timeouts: Option<ForwardingTimeouts>,
    /// Disables HTTP/2 towards backends (Go field `DisableHTTP2`).
    #[serde(rename = "disableHTTP2", skip_serializing_if = "is_false")]
    pub disable_http2: bool,
    /// URI SAN the backend certificate must carry.
    #[serde(rename = "peerCertURI", skip_serializing_if = "String::is_empty")]
    pub peer_cert_uri: String,
    /// SPIFFE verification of backends; `spiffe: {}` (allowEmpty) enables it.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub spiffe: Option<Spiffe>,
}

/// Timeouts for requests forwarded to backends (`dynamic.ForwardingTimeouts`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ForwardingTimeouts {
    /// Connection establishment timeout (default 30s, 0 none).
    #[serde(rename = "dialTimeout", skip_serializing_if = "GoDuration::is_zero")]
    pub dial_timeout: GoDuration,
    /// Wait for response headers after the request was written (0 none).
    #[serde(
        rename = "responseHeaderTimeout",
        skip_serializing_if = "GoDuration::is_zero"
    )]
    pub response_header_timeout: GoDuration,
    /// Idle keep-alive connection lifetime (default 90s).
    #[serde(
        rename = "idleConnTimeout",
        skip_serializing_if = "GoDuration::is_zero"
    )]
    pub idle_conn_timeout: GoDuration,
    /// HTTP/2 ping health check after this much silence (0 none).
    #[serde(
        rename = "readIdleTimeout",
        skip_serializing_if = "GoDuration::is_zero"
    )]
    pub read_idle_timeout: GoDuration,
    /// HTTP/2 connection closed when a ping gets no answer in this time (default 15s).
    #[serde(rename = "pingTimeout", skip_serializing_if = "GoDuration::is_zero")]
    pub ping_timeout: GoDuration,
    /// Read timeout (ingress-nginx). Tagged `json:"-"` but not `file:"-"`, so the
    /// file provider accepts it under its Go field name `ReadTimeout`.
    #[serde(rename = "readTimeout", skip_serializing_if = "GoDuration::is_zero")]
    pub read_timeout: GoDuration,
    /// Write timeout (ingress-nginx). Tagged `json:"-"` but not `file:"-"`, so the
    /// file provider accepts it under its Go field name `WriteTimeout`.
    #[serde(rename = "writeTimeout", skip_serializing_if = "GoDuration::is_zero")]
    pub write_timeout: GoDuration,
}
