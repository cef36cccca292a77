//! Which router answers a request or a connection (pure functions over a [`RoutingTable`]).
//!
//! Connection level first (`pkg/server/router/tcp/router.go` `ServeTCP`):
//! * plain connection: the first matching non-TLS TCP router takes it (matched with an
//!   empty SNI and no ALPN), otherwise it goes to the HTTP routers;
//! * TLS connection: an HTTPS router whose `Host` names the SNI wins first; then a TCP TLS
//!   router that matches and is not `HostSNI(`*`)`; then the HTTPS routers if one of them has
//!   no `Host`; then a matching catch-all TCP TLS router; else HTTPS (404).
//!
//! Then the HTTP muxer (`pkg/muxer/http/mux.go`): the first router in muxer order whose
//! rule matches; none → 404. Equal `(priority, providerPriority)` among the first matching
//! routers is nondeterministic in Traefik and reported as such (no winner).

use super::{EntryPointTable, HttpRoute, Route, RoutingTable, TcpRoute};
use crate::rules::http::domain_match;
use crate::rules::net::{canonical_host, parse_ip, routing_path};
use crate::rules::{HttpRequest, TcpConnection};
use crate::source::SourceRef;
use serde::Serialize;
use std::fmt;

/// Which layer handles the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// A TCP router took the connection before HTTP routing.
    Tcp,
    /// HTTP routing (plain or HTTPS).
    Http,
}

/// How a matching router fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "lowercase")]
pub enum Outcome {
    /// It answers.
    Winner,
    /// It ties with other matching routers: Traefik's choice among them is undefined.
    Tied,
    /// It matched but another router comes first.
    Lost {
        /// The router (or tied routers, comma-separated) that comes first.
        to: String,
        /// Why.
        reason: String,
    },
}

/// A router that matched the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// `name@provider`.
    pub router: String,
    /// Provider.
    pub provider: String,
    /// `tcp` or `http`.
    pub layer: Layer,
    /// Effective priority.
    pub priority: i64,
    /// Whether the priority is explicit (else the rule length, or -1 for `HostSNI(`*`)`).
    #[serde(rename = "explicitPriority")]
    pub explicit_priority: bool,
    /// Traefik's `providerPriority` (-1 when not ranked by `providers.precedence`).
    #[serde(rename = "providerRank")]
    pub provider_rank: i64,
    /// The rule.
    pub rule: String,
    /// Result.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Where the router is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

/// The answer of [`route_http`] / [`route_tcp`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The winning router, `None` for no router (404 for HTTP) or a nondeterministic tie.
    pub router: Option<String>,
    /// The entry point.
    pub entrypoint: String,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// Which layer handles it (`http` also when no router matches).
    pub layer: Layer,
    /// HTTP status Traefik answers itself: 404 when no router matches, 400 for an invalid
    /// percent-encoding in the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Every router that matched, in evaluation order (TCP first).
    pub candidates: Vec<Candidate>,
    /// Routers tied for the first place (Traefik picks one at random); empty otherwise.
    pub nondeterministic: Vec<String>,
    /// How the connection was dispatched (SNI, TCP-before-HTTP, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Why a lookup could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// The entry point does not exist.
    UnknownEntryPoint {
        /// Asked for.
        name: String,
        /// Known entry points.
        known: Vec<String>,
    },
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::UnknownEntryPoint { name, known } => write!(
                f,
                "unknown entry point {name:?}; entry points: {}",
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for RouteError {}

fn table<'a>(t: &'a RoutingTable, ep: &str) -> Result<&'a EntryPointTable, RouteError> {
    t.entry_points
        .get(ep)
        .ok_or_else(|| RouteError::UnknownEntryPoint {
            name: ep.to_string(),
            known: t.entry_points.keys().cloned().collect(),
        })
}

/// The SNI a client such as curl sends for a request's host: the host without port,
/// nothing for IP literals.
pub fn sni_for_host(host: &str) -> String {
    let h = canonical_host(host);
    if parse_ip(&h).is_some() {
        String::new()
    } else {
        h
    }
}

/// Route an HTTP request arriving on `entrypoint` (over TLS when `tls`). The connection is
/// dispatched with the SNI a client derives from the host, ALPN `h2, http/1.1` for TLS.
pub fn route_http(
    t: &RoutingTable,
    entrypoint: &str,
    req: &HttpRequest,
    tls: bool,
) -> Result<Decision, RouteError> {
    let conn = TcpConnection {
        sni: if tls {
            sni_for_host(&req.host)
        } else {
            String::new()
        },
        alpn: if tls {
            vec!["h2".into(), "http/1.1".into()]
        } else {
            Vec::new()
        },
        client_ip: req.client_ip,
        tls,
    };
    route_http_conn(t, entrypoint, req, &conn)
}

/// [`route_http`] with explicit connection data (SNI, ALPN, TLS).
pub fn route_http_conn(
    t: &RoutingTable,
    entrypoint: &str,
    req: &HttpRequest,
    conn: &TcpConnection,
) -> Result<Decision, RouteError> {
    let ep = table(t, entrypoint)?;
    let mut d = dispatch(ep, conn);
    if d.layer == Layer::Tcp {
        // The HTTP routers never see the request; list the ones that would have matched.
        let taken_by = d
            .router
            .clone()
            .unwrap_or_else(|| d.nondeterministic.join(", "));
        for r in matching_http(ep, req, conn.tls) {
            d.candidates.push(candidate(
                r,
                Layer::Http,
                r.rule.rule(),
                Outcome::Lost {
                    to: taken_by.clone(),
                    reason: "the connection was taken by a TCP router (TCP routers are evaluated before HTTP routers)".into(),
                },
            ));
        }
        return Ok(d);
    }
    if routing_path(&req.path).is_none() {
        d.status = Some(400);
        d.notes
            .push("invalid percent-encoding in the path: Traefik answers 400".into());
        return Ok(d);
    }
    let matched = matching_http(ep, req, conn.tls);
    let (cands, winner, tied) = rank(&matched, Layer::Http, |r| r.rule.rule());
    d.candidates.extend(cands);
    d.router = winner;
    d.nondeterministic = tied;
    if d.router.is_none() && d.nondeterministic.is_empty() {
        d.status = Some(404);
    }
    Ok(d)
}

/// Route a TCP connection: the TCP router that takes it, or `layer: http` when it goes on
/// to the HTTP routers.
pub fn route_tcp(
    t: &RoutingTable,
    entrypoint: &str,
    conn: &TcpConnection,
) -> Result<Decision, RouteError> {
    let ep = table(t, entrypoint)?;
    Ok(dispatch(ep, conn))
}

fn matching_http<'a>(ep: &'a EntryPointTable, req: &HttpRequest, tls: bool) -> Vec<&'a HttpRoute> {
    let (routes, index) = if tls {
        (&ep.https, &ep.https_index)
    } else {
        (&ep.http, &ep.http_index)
    };
    let host = canonical_host(&req.host);
    index
        .lookup(&host)
        .into_iter()
        .map(|i| &routes[i as usize])
        .filter(|r| r.rule.matches(req))
        .collect()
}

fn sni_matches(domain: &str, server_name: &str) -> bool {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    !server_name.is_empty() && domain_match(server_name, d)
}

fn dispatch(ep: &EntryPointTable, conn: &TcpConnection) -> Decision {
    let mut d = Decision {
        router: None,
        entrypoint: ep.name.clone(),
        tls: conn.tls,
        layer: Layer::Http,
        status: None,
        candidates: Vec::new(),
        nondeterministic: Vec::new(),
        notes: Vec::new(),
    };
    let matching = |list: &'_ [TcpRoute]| -> Vec<usize> {
        list.iter()
            .enumerate()
            .filter(|(_, r)| r.rule.matches(conn))
            .map(|(i, _)| i)
            .collect()
    };
    if !conn.tls {
        let m = matching(&ep.tcp);
        if !m.is_empty() {
            take_tcp(&mut d, &ep.tcp, &m);
            d.notes
                .push("plain connection taken by a non-TLS TCP router before HTTP routing".into());
        }
        return d;
    }
    let server_name = conn.sni.trim().to_lowercase();
    if let Some(dom) = ep
        .https_sni
        .iter()
        .find(|s| *s != "*" && sni_matches(s, &server_name))
    {
        d.notes.push(format!(
            "TLS connection with SNI {server_name:?} goes to the HTTPS routers (an HTTPS router has Host {dom:?})"
        ));
        return d;
    }
    let m = matching(&ep.tcp_tls);
    if let Some(&first) = m.first()
        && !ep.tcp_tls[first].rule.is_catch_all()
    {
        take_tcp(&mut d, &ep.tcp_tls, &m);
        d.notes.push(format!(
            "TLS connection with SNI {server_name:?} taken by a TCP TLS router"
        ));
        return d;
    }
    if ep.https_sni.iter().any(|s| s == "*") {
        d.notes.push(
            "TLS connection goes to the HTTPS routers (an HTTPS router without Host catches every SNI)"
                .into(),
        );
        return d;
    }
    if !m.is_empty() {
        take_tcp(&mut d, &ep.tcp_tls, &m);
        d.notes
            .push("TLS connection taken by a catch-all TCP TLS router".into());
        return d;
    }
    if conn.tls {
        d.notes
            .push("TLS connection goes to the HTTPS routers (default TLS handler)".into());
    }
    d
}

fn take_tcp(d: &mut Decision, list: &[TcpRoute], matched: &[usize]) {
    let routes: Vec<&TcpRoute> = matched.iter().map(|&i| &list[i]).collect();
    let (cands, winner, tied) = rank(&routes, Layer::Tcp, |r| r.rule.rule());
    d.layer = Layer::Tcp;
    d.candidates = cands;
    d.router = winner;
    d.nondeterministic = tied;
}

fn candidate<R>(r: &Route<R>, layer: Layer, rule: &str, outcome: Outcome) -> Candidate {
    Candidate {
        router: r.name.clone(),
        provider: r.provider.clone(),
        layer,
        priority: r.priority,
        explicit_priority: r.explicit_priority,
        provider_rank: r.provider_rank,
        rule: rule.to_string(),
        outcome,
        source: r.source.clone(),
    }
}

/// Outcomes for routers that matched, in muxer order: (candidates, winner, tied set).
fn rank<R>(
    matched: &[&Route<R>],
    layer: Layer,
    rule: impl Fn(&Route<R>) -> &str,
) -> (Vec<Candidate>, Option<String>, Vec<String>) {
    let Some(first) = matched.first() else {
        return (Vec::new(), None, Vec::new());
    };
    let key = first.key();
    let tied: Vec<String> = matched
        .iter()
        .take_while(|r| r.key() == key)
        .map(|r| r.name.clone())
        .collect();
    let nondeterministic = tied.len() > 1;
    let winner_name = if nondeterministic {
        tied.join(", ")
    } else {
        first.name.clone()
    };
    let mut out = Vec::with_capacity(matched.len());
    for r in matched {
        let outcome = if r.key() == key {
            if nondeterministic {
                Outcome::Tied
            } else {
                Outcome::Winner
            }
        } else if r.priority < first.priority {
            Outcome::Lost {
                to: winner_name.clone(),
                reason: format!(
                    "lower priority: {} < {}{}",
                    r.priority,
                    first.priority,
                    if first.explicit_priority {
                        ""
                    } else {
                        " (rule length)"
                    }
                ),
            }
        } else {
            Outcome::Lost {
                to: winner_name.clone(),
                reason: format!(
                    "same priority {}; providers.precedence ranks provider {} before {}",
                    r.priority, first.provider, r.provider
                ),
            }
        };
        out.push(candidate(r, layer, rule(r), outcome));
    }
    if nondeterministic {
        (out, None, tied)
    } else {
        (out, Some(first.name.clone()), Vec::new())
    }
}
