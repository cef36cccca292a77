//! TCP matchers (v3: `pkg/muxer/tcp/matcher.go`, v2: `matcher_v2.go`): build-time checks
//! with Traefik's error texts, and matching against a [`TcpConnection`].

use super::expr::text;
use super::go::quote::quote_bytes;
use super::go_regex::GoRegex;
use super::http::domain_match;
use super::mux_template::prepare_sni_pattern;
use super::net::{IpEntry, checker_contains, new_checker};
use std::net::IpAddr;

/// TCP matcher names (v3 and v2 register the same four).
pub const TCP_MATCHERS: &[&str] = &["ALPN", "ClientIP", "HostSNI", "HostSNIRegexp"];

/// The ALPN protocol reserved for ACME TLS-ALPN-01 challenges.
pub const ACME_TLS_1: &str = "acme-tls/1";

/// A built TCP matcher. Variants prefixed `V2` exist only under `ruleSyntax: v2`.
#[derive(Clone, Debug, PartialEq)]
pub enum TcpMatcher {
    /// `ALPN(proto)`.
    Alpn { protocol: String },
    /// `ClientIP(ip-or-cidr)`.
    ClientIp {
        source: String,
        entries: Vec<IpEntry>,
    },
    /// `HostSNI(h)`: `*` matches every connection (even without SNI); a trailing `.` is
    /// dropped; `*.x` = one label; case-insensitive.
    HostSni { host: String },
    /// `HostSNIRegexp(re)` on the (lower-cased) server name.
    HostSniRegexp { regex: GoRegex },
    /// v2 `ALPN(a, b, ...)`.
    V2Alpn { protocols: Vec<String> },
    /// v2 `ClientIP(a, b, ...)`.
    V2ClientIp {
        sources: Vec<String>,
        entries: Vec<IpEntry>,
    },
    /// v2 `HostSNI(a, b, ...)`, lower-cased.
    V2HostSni { hosts: Vec<String> },
    /// v2 `HostSNIRegexp(tpl, ...)` (gorilla host templates, case-insensitive).
    V2HostSniRegexp { regexes: Vec<GoRegex> },
}

impl TcpMatcher {
    /// The declared matcher name.
    pub fn name(&self) -> &'static str {
        match self {
            TcpMatcher::Alpn { .. } | TcpMatcher::V2Alpn { .. } => "ALPN",
            TcpMatcher::ClientIp { .. } | TcpMatcher::V2ClientIp { .. } => "ClientIP",
            TcpMatcher::HostSni { .. } | TcpMatcher::V2HostSni { .. } => "HostSNI",
            TcpMatcher::HostSniRegexp { .. } | TcpMatcher::V2HostSniRegexp { .. } => {
                "HostSNIRegexp"
            }
        }
    }
}

/// `^(\*\.)?[[:word:]\.\-\:]+$` (v3) / `^[[:word:]\.\-\:]+$` (v2).
fn host_or_ip(v: &[u8], allow_wildcard: bool) -> bool {
    let body = if allow_wildcard {
        v.strip_prefix(b"*.").unwrap_or(v)
    } else {
        v
    };
    !body.is_empty()
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b':'))
}

fn compile(v: &[u8]) -> Result<GoRegex, String> {
    match std::str::from_utf8(v) {
        Ok(s) => GoRegex::compile(s).map_err(|e| e.to_string()),
        Err(e) => Err(format!(
            "error parsing regexp: invalid UTF-8: `{}`",
            String::from_utf8_lossy(&v[e.valid_up_to()..])
        )),
    }
}

/// Builds a v3 TCP matcher.
pub(crate) fn build_v3(name: &'static str, values: &[Vec<u8>]) -> Result<TcpMatcher, String> {
    if values.len() != 1 {
        return Err(format!(
            "unexpected number of parameters; got {}, expected 1",
            values.len()
        ));
    }
    let v = &values[0];
    match name {
        "ALPN" => {
            if v == ACME_TLS_1.as_bytes() {
                return Err(format!(
                    "invalid protocol value for ALPN matcher, {} is not allowed",
                    quote_bytes(v)
                ));
            }
            Ok(TcpMatcher::Alpn { protocol: text(v) })
        }
        "ClientIP" => {
            let entries = new_checker(&[text(v)])
                .map_err(|e| format!("initializing IP checker for ClientIP matcher: {e}"))?;
            Ok(TcpMatcher::ClientIp {
                source: text(v),
                entries,
            })
        }
        "HostSNI" => {
            if v == b"*" {
                return Ok(TcpMatcher::HostSni { host: "*".into() });
            }
            if !host_or_ip(v, true) {
                return Err(format!(
                    "invalid value for HostSNI matcher, {} is not a valid hostname",
                    quote_bytes(v)
                ));
            }
            let h = text(v);
            Ok(TcpMatcher::HostSni {
                host: h.strip_suffix('.').unwrap_or(&h).to_string(),
            })
        }
        "HostSNIRegexp" => {
            if !v.is_ascii() {
                return Err(format!(
                    "invalid value for HostSNIRegexp matcher, {} is not a valid hostname",
                    quote_bytes(v)
                ));
            }
            let regex = compile(v).map_err(|e| format!("compiling HostSNIRegexp matcher: {e}"))?;
            Ok(TcpMatcher::HostSniRegexp { regex })
        }
        other => Err(format!("unsupported function: {other}")),
    }
}

/// Builds a v2 TCP matcher.
pub(crate) fn build_v2(name: &'static str, values: &[Vec<u8>]) -> Result<TcpMatcher, String> {
    let strs: Vec<String> = values.iter().map(|v| text(v)).collect();
    match name {
        "ALPN" => {
            if let Some(v) = values
                .iter()
                .find(|v| v.as_slice() == ACME_TLS_1.as_bytes())
            {
                return Err(format!(
                    "invalid protocol value for \"ALPN\" matcher, {} is not allowed",
                    quote_bytes(v)
                ));
            }
            Ok(TcpMatcher::V2Alpn { protocols: strs })
        }
        "ClientIP" => {
            let entries = new_checker(&strs).map_err(|e| {
                format!("could not initialize IP Checker for \"ClientIP\" matcher: {e}")
            })?;
            Ok(TcpMatcher::V2ClientIp {
                sources: strs,
                entries,
            })
        }
        "HostSNI" => {
            let mut hosts = Vec::new();
            for (v, s) in values.iter().zip(&strs) {
                if v == b"*" {
                    hosts.push("*".to_string());
                    continue;
                }
                if !host_or_ip(v, false) {
                    return Err(format!(
                        "invalid value for \"HostSNI\" matcher, {} is not a valid hostname or IP",
                        quote_bytes(v)
                    ));
                }
                hosts.push(s.to_ascii_lowercase());
            }
            Ok(TcpMatcher::V2HostSni { hosts })
        }
        "HostSNIRegexp" => {
            let mut regexes = Vec::new();
            for (v, s) in values.iter().zip(&strs) {
                let pattern = prepare_sni_pattern(s).map_err(|e| {
                    format!(
                        "invalid pattern value for \"HostSNIRegexp\" matcher, {} is not a valid pattern: {e}",
                        quote_bytes(v)
                    )
                })?;
                regexes.push(GoRegex::compile(&pattern).map_err(|e| e.to_string())?);
            }
            Ok(TcpMatcher::V2HostSniRegexp { regexes })
        }
        other => Err(format!("unsupported function: {other}")),
    }
}

/// What the TCP matchers look at in a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpConnection {
    /// The TLS server name (SNI) as sent; empty for plain TCP or TLS without SNI.
    pub sni: String,
    /// ALPN protocols offered by the client.
    pub alpn: Vec<String>,
    /// The connection's remote IP.
    pub client_ip: Option<IpAddr>,
    /// Whether the connection is TLS (informational: routers with TLS only see TLS).
    pub tls: bool,
}

impl TcpMatcher {
    pub(crate) fn matches(&self, c: &TcpConnection, server_name: &str) -> bool {
        match self {
            TcpMatcher::Alpn { protocol } => c.alpn.iter().any(|p| p == protocol),
            TcpMatcher::ClientIp { entries, .. } => {
                c.client_ip.is_some_and(|ip| checker_contains(entries, ip))
            }
            TcpMatcher::HostSni { host } => {
                if host == "*" {
                    return true;
                }
                !server_name.is_empty() && domain_match(server_name, host)
            }
            TcpMatcher::HostSniRegexp { regex } => regex.is_match(server_name),
            TcpMatcher::V2Alpn { protocols } => c.alpn.iter().any(|p| protocols.contains(p)),
            TcpMatcher::V2ClientIp { entries, .. } => {
                c.client_ip.is_some_and(|ip| checker_contains(entries, ip))
            }
            TcpMatcher::V2HostSni { hosts } => {
                if hosts.first().is_some_and(|h| h == "*") {
                    return true;
                }
                if server_name.is_empty() {
                    return false;
                }
                hosts.iter().any(|h| {
                    h == "*" || h == server_name || h.strip_suffix('.') == Some(server_name)
                })
            }
            TcpMatcher::V2HostSniRegexp { regexes } => {
                regexes.iter().any(|r| r.is_match(server_name))
            }
        }
    }
}
