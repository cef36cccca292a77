//! Router selection as Traefik 3.7 does it, per entry point.
//!
//! [`RoutingTable::build`] turns the merged, validated configuration (the providers and the
//! [`Report`] of [`crate::validate::validate`]) into one [`EntryPointTable`] per entry point
//! holding only the routers Traefik actually serves (status `enabled` or `warning`, root
//! routers), split the way Traefik splits them:
//!
//! * HTTP routers without TLS (`GetRoutersByEntryPoints(ctx, eps, false)`) and with TLS
//!   (`..., true`), each list in the order of Traefik's HTTP muxer
//!   (`pkg/muxer/http/mux.go` `routes.Less`: priority descending, then `providerPriority`:
//!   the provider's index in the *reversed* `providers.precedence`, so the first listed
//!   provider wins and unlisted providers rank lowest, -1);
//! * TCP routers without TLS (`muxerTCP`) and with TLS, terminated or passthrough
//!   (`muxerTCPTLS`), in the TCP muxer's identical order;
//! * the SNI names of the HTTPS routers (`muxerHTTPS`, built from their `Host` values by
//!   `ParseDomains`), which decide whether a TLS connection goes to HTTPS or to a TCP TLS
//!   router (`pkg/server/router/tcp/router.go` `ServeTCP`).
//!
//! Routers that compare equal under `routes.Less` are put in an order Traefik does not
//! define (Go's `sort.Sort` over routers collected from a map): [`select`] reports such a
//! tie as nondeterministic instead of picking one.
//!
//! Not modelled: child routers (`parentRefs`; the parent is reported as the winner),
//! entry-point level `http.tls` / redirections / default rules from the static
//! configuration, HTTP/3, the 421 domain-fronting check, ACME TLS-ALPN challenges.

pub mod overlap;
pub mod select;
pub mod witness;

#[cfg(test)]
mod tests;

pub use select::{
    Candidate, Decision, Layer, Outcome, RouteError, route_http, route_http_conn, route_tcp,
};
pub use witness::Witness;

use crate::model::Configuration;
use crate::provider::ProviderConfig;
use crate::report::{Report, RouterReport, Status};
use crate::rules::{
    Expr, HttpMatcher, HttpRule, RuleSyntax, TcpRule, effective_priority, http_default_priority,
    http_tls_domains, parse_http_rule, parse_tcp_rule, tcp_default_priority,
};
use crate::source::SourceRef;
use crate::static_config::StaticConfig;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How a router handles TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// No `tls` section: plain connections only.
    None,
    /// TLS terminated by Traefik.
    Terminate,
    /// TCP TLS passthrough.
    Passthrough,
}

/// One router in a routing table.
#[derive(Clone, Debug)]
pub struct Route<R> {
    /// `name@provider`.
    pub name: String,
    /// Provider name.
    pub provider: String,
    /// Effective priority (configured, or the default computed from the rule).
    pub priority: i64,
    /// Whether the priority was set explicitly.
    pub explicit_priority: bool,
    /// Traefik's `providerPriority` (index in the reversed `providers.precedence`, -1 when
    /// the provider is not listed or the name does not split into exactly `name@provider`).
    pub provider_rank: i64,
    /// The parsed rule.
    pub rule: R,
    /// TLS handling.
    pub tls: TlsMode,
    /// Runtime status (`enabled` or `warning`).
    pub status: Status,
    /// Where the router is defined.
    pub source: Option<SourceRef>,
    /// Whether the router has child routers (`parentRefs` pointing at it).
    pub has_children: bool,
}

impl<R> Route<R> {
    /// The muxer's sort key: routers with equal keys are in undefined relative order.
    pub fn key(&self) -> (i64, i64) {
        (self.priority, self.provider_rank)
    }
}

/// An HTTP router of a table.
pub type HttpRoute = Route<HttpRule>;
/// A TCP router of a table.
pub type TcpRoute = Route<TcpRule>;

/// The routers of one entry point, in evaluation order.
#[derive(Clone, Debug, Default)]
pub struct EntryPointTable {
    /// Entry point name.
    pub name: String,
    /// `address` from the static configuration, if known.
    pub address: Option<String>,
    /// HTTP routers without TLS (plain HTTP requests).
    pub http: Vec<HttpRoute>,
    /// HTTP routers with TLS (HTTPS requests).
    pub https: Vec<HttpRoute>,
    /// TCP routers without TLS (evaluated before HTTP for plain connections).
    pub tcp: Vec<TcpRoute>,
    /// TCP routers with TLS (terminated or passthrough).
    pub tcp_tls: Vec<TcpRoute>,
    /// SNI names of the HTTPS routers (lower-cased `Host` values; `*` for HTTPS routers
    /// without a `Host`), as Traefik's `muxerHTTPS` holds them.
    pub https_sni: Vec<String>,
    /// Lookup index over `http`.
    pub(crate) http_index: HostIndex,
    /// Lookup index over `https`.
    pub(crate) https_index: HostIndex,
}

/// The routing tables of every entry point.
#[derive(Clone, Debug, Default)]
pub struct RoutingTable {
    /// Tables by entry point name.
    pub entry_points: BTreeMap<String, EntryPointTable>,
    /// `providers.precedence`, when set.
    pub precedence: Option<Vec<String>>,
    /// Whether entry points come from a static configuration (otherwise they are the
    /// names routers mention; routers without entry points are put on all of them).
    pub static_known: bool,
}

/// Traefik's `providerPriority` for a router name.
pub fn provider_rank(router_name: &str, precedence: Option<&[String]>) -> i64 {
    let parts: Vec<&str> = router_name.split('@').collect();
    let provider = if parts.len() == 2 { parts[1] } else { "" };
    let Some(prec) = precedence else { return -1 };
    // NewMuxer reverses the list; slices.Index then gives a higher index to earlier names.
    match prec.iter().position(|p| p == provider) {
        Some(i) => (prec.len() - 1 - i) as i64,
        None => -1,
    }
}

fn find_config<'a>(providers: &'a [ProviderConfig], provider: &str) -> Option<&'a Configuration> {
    providers
        .iter()
        .find(|p| p.name == provider && !p.is_rejected())
        .map(|p| &p.config)
}

fn local_name<'a>(qualified: &'a str, provider: &str) -> &'a str {
    qualified
        .strip_suffix(provider)
        .and_then(|s| s.strip_suffix('@'))
        .unwrap_or(qualified)
}

/// The syntax a router's rule is parsed with: its `ruleSyntax`, else the static
/// `core.defaultRuleSyntax`, else v3.
fn rule_syntax(field: Option<&str>, static_cfg: Option<&StaticConfig>) -> RuleSyntax {
    match field {
        Some("") | None => static_cfg
            .map(|s| RuleSyntax::from_router_field(&s.default_rule_syntax))
            .unwrap_or_default(),
        Some(f) => RuleSyntax::from_router_field(f),
    }
}

fn served(r: &RouterReport) -> bool {
    matches!(r.status, Status::Enabled | Status::Warning)
}

impl RoutingTable {
    /// Build the tables from the providers and the validation report.
    pub fn build(
        static_cfg: Option<&StaticConfig>,
        providers: &[ProviderConfig],
        report: &Report,
    ) -> RoutingTable {
        let precedence = static_cfg.and_then(|s| s.providers_precedence.clone());
        let prec = precedence.as_deref();
        let mut table = RoutingTable {
            precedence: precedence.clone(),
            static_known: static_cfg.is_some(),
            ..Default::default()
        };
        // Entry points.
        let mut default_eps: Vec<String> = Vec::new();
        match static_cfg {
            Some(s) => {
                for (name, ep) in &s.entry_points {
                    if ep.protocol() == "udp" {
                        continue;
                    }
                    table.entry_points.insert(
                        name.clone(),
                        EntryPointTable {
                            name: name.clone(),
                            address: Some(ep.address.clone()),
                            ..Default::default()
                        },
                    );
                }
            }
            None => {
                let mentioned = report
                    .http
                    .routers
                    .values()
                    .chain(report.tcp.routers.values())
                    .flat_map(|r| r.entry_points.iter().cloned());
                for ep in mentioned {
                    table
                        .entry_points
                        .entry(ep.clone())
                        .or_insert_with(|| EntryPointTable {
                            name: ep,
                            ..Default::default()
                        });
                }
                if table.entry_points.is_empty() {
                    table.entry_points.insert(
                        "(default)".into(),
                        EntryPointTable {
                            name: "(default)".into(),
                            ..Default::default()
                        },
                    );
                }
                default_eps = table.entry_points.keys().cloned().collect();
            }
        }
        let eps_of = |r: &RouterReport| -> Vec<String> {
            if r.entry_points.is_empty() && !table.static_known {
                default_eps.clone()
            } else {
                r.entry_points.clone()
            }
        };
        // Which routers have children.
        let mut parents: HashMap<String, bool> = HashMap::new();
        for p in providers.iter().filter(|p| !p.is_rejected()) {
            if let Some(h) = &p.config.http {
                for r in h.routers.values() {
                    for parent in &r.parent_refs {
                        let q = if parent.contains('@') {
                            parent.clone()
                        } else {
                            format!("{parent}@{}", p.name)
                        };
                        parents.insert(q, true);
                    }
                }
            }
        }
        let mut https_sni: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut new_http: Vec<(Vec<String>, HttpRoute)> = Vec::new();
        for (name, r) in &report.http.routers {
            let cfg = find_config(providers, &r.provider)
                .and_then(|c| c.http.as_ref())
                .and_then(|h| h.routers.get(local_name(name, &r.provider)));
            let tls = cfg.map(|c| c.tls.is_some()).unwrap_or(false);
            let eps = eps_of(r);
            if tls {
                // muxerHTTPS is fed from every TLS router of the entry point whose rule
                // parses, whatever its status.
                if let Ok(domains) = http_tls_domains(&r.rule) {
                    for ep in &eps {
                        let list = https_sni.entry(ep.clone()).or_default();
                        if domains.is_empty() {
                            list.push("*".into());
                        } else {
                            list.extend(domains.iter().cloned());
                        }
                    }
                }
            }
            if !served(r) {
                continue;
            }
            if cfg.is_some_and(|c| !c.parent_refs.is_empty()) {
                continue;
            }
            let syntax = rule_syntax(cfg.map(|c| c.rule_syntax.as_str()), static_cfg);
            let Ok(rule) = parse_http_rule(&r.rule, syntax) else {
                continue;
            };
            let configured = cfg.map(|c| c.priority).unwrap_or(0);
            new_http.push((
                eps,
                Route {
                    name: name.clone(),
                    provider: r.provider.clone(),
                    priority: effective_priority(configured, http_default_priority(&r.rule)),
                    explicit_priority: configured != 0,
                    provider_rank: provider_rank(name, prec),
                    rule,
                    tls: if tls {
                        TlsMode::Terminate
                    } else {
                        TlsMode::None
                    },
                    status: r.status,
                    source: r.source.clone(),
                    has_children: parents.contains_key(name),
                },
            ));
        }
        let mut new_tcp: Vec<(Vec<String>, TcpRoute)> = Vec::new();
        for (name, r) in &report.tcp.routers {
            if !served(r) {
                continue;
            }
            let cfg = find_config(providers, &r.provider)
                .and_then(|c| c.tcp.as_ref())
                .and_then(|h| h.routers.get(local_name(name, &r.provider)));
            let tls = match cfg.and_then(|c| c.tls.as_ref()) {
                None => TlsMode::None,
                Some(t) if t.passthrough => TlsMode::Passthrough,
                Some(_) => TlsMode::Terminate,
            };
            let syntax = rule_syntax(cfg.map(|c| c.rule_syntax.as_str()), static_cfg);
            let Ok(rule) = parse_tcp_rule(&r.rule, syntax) else {
                continue;
            };
            let configured = cfg.map(|c| c.priority).unwrap_or(0);
            new_tcp.push((
                eps_of(r),
                Route {
                    name: name.clone(),
                    provider: r.provider.clone(),
                    priority: effective_priority(configured, tcp_default_priority(&r.rule)),
                    explicit_priority: configured != 0,
                    provider_rank: provider_rank(name, prec),
                    rule,
                    tls,
                    status: r.status,
                    source: r.source.clone(),
                    has_children: false,
                },
            ));
        }
        for (eps, route) in new_http {
            for ep in eps {
                if let Some(t) = table.entry_points.get_mut(&ep) {
                    if route.tls == TlsMode::None {
                        t.http.push(route.clone());
                    } else {
                        t.https.push(route.clone());
                    }
                }
            }
        }
        for (eps, route) in new_tcp {
            for ep in eps {
                if let Some(t) = table.entry_points.get_mut(&ep) {
                    if route.tls == TlsMode::None {
                        t.tcp.push(route.clone());
                    } else {
                        t.tcp_tls.push(route.clone());
                    }
                }
            }
        }
        for (ep, t) in table.entry_points.iter_mut() {
            t.https_sni = https_sni.remove(ep).unwrap_or_default();
            t.https_sni.sort();
            t.https_sni.dedup();
            t.finish();
        }
        table
    }

    /// The table of an entry point.
    pub fn entry_point(&self, name: &str) -> Option<&EntryPointTable> {
        self.entry_points.get(name)
    }
}

/// Muxer order: priority descending, provider rank descending; the name only makes the
/// (undefined) order of equal keys reproducible for display.
pub fn sort_routes<R>(routes: &mut [Route<R>]) {
    routes.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(b.provider_rank.cmp(&a.provider_rank))
            .then_with(|| a.name.cmp(&b.name))
    });
}

impl EntryPointTable {
    /// Sort every list and build the lookup indexes (call after changing the lists).
    pub fn finish(&mut self) {
        sort_routes(&mut self.http);
        sort_routes(&mut self.https);
        sort_routes(&mut self.tcp);
        sort_routes(&mut self.tcp_tls);
        self.http_index = HostIndex::build(&self.http);
        self.https_index = HostIndex::build(&self.https);
    }

    /// HTTP routers for plain (`tls == false`) or TLS requests.
    pub fn http_routes(&self, tls: bool) -> &[HttpRoute] {
        if tls { &self.https } else { &self.http }
    }

    /// The port of the address (`:80` → 80, `127.0.0.1:8080/tcp` → 8080).
    pub fn port(&self) -> Option<u16> {
        let a = self.address.as_deref()?;
        let a = a.split('/').next().unwrap_or(a);
        a.rsplit_once(':')?.1.parse().ok()
    }
}

/// What a rule requires of the request's host: a finite set of keys, or nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HostKey {
    /// The canonical host (trailing dot stripped) equals this.
    Exact(String),
    /// The canonical host minus its first label equals this (`Host(`*.x`)`).
    Wildcard(String),
}

fn strip_dot(s: &str) -> &str {
    s.strip_suffix('.').unwrap_or(s)
}

/// The host keys a rule requires (`None` = any host may match). Every request the rule
/// matches has a canonical host `h` such that `h` or `h` without one trailing dot equals
/// an `Exact` key, or whose remainder after the first label (same two variants) equals a
/// `Wildcard` key.
pub(crate) fn host_keys(expr: &Expr<HttpMatcher>) -> Option<Vec<HostKey>> {
    match expr {
        Expr::Matcher {
            matcher,
            negated: false,
        } => match matcher {
            HttpMatcher::Host { host } if host != "*" => {
                let mut out = Vec::new();
                let variants = [host.as_str(), strip_dot(host)];
                for v in variants {
                    let k = match v.strip_prefix("*.") {
                        Some(rest) => HostKey::Wildcard(rest.to_string()),
                        None if v.starts_with('*') => return None,
                        None => HostKey::Exact(v.to_string()),
                    };
                    if !out.contains(&k) {
                        out.push(k);
                    }
                }
                Some(out)
            }
            HttpMatcher::V2Host { hosts } => {
                let mut out = Vec::new();
                for h in hosts {
                    for v in [h.as_str(), strip_dot(h)] {
                        let k = HostKey::Exact(v.to_string());
                        if !out.contains(&k) {
                            out.push(k);
                        }
                    }
                }
                Some(out)
            }
            _ => None,
        },
        Expr::Matcher { .. } => None,
        Expr::And(v) => v.iter().filter_map(host_keys).min_by_key(|k| k.len()),
        Expr::Or(v) => {
            let mut out = Vec::new();
            for e in v {
                for k in host_keys(e)? {
                    if !out.contains(&k) {
                        out.push(k);
                    }
                }
            }
            Some(out)
        }
    }
}

/// The lookup keys of a request host: the canonical host with and without a trailing dot.
pub(crate) fn request_host_keys(canonical: &str) -> Vec<HostKey> {
    let mut out = Vec::with_capacity(4);
    for h in [canonical, strip_dot(canonical)] {
        let k = HostKey::Exact(h.to_string());
        if !out.contains(&k) {
            out.push(k);
        }
        if let Some((_, rest)) = h.split_once('.') {
            let k = HostKey::Wildcard(rest.to_string());
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

/// Index of routes by required host; `any` holds routes with no host requirement.
#[derive(Clone, Debug, Default)]
pub(crate) struct HostIndex {
    pub(crate) by_key: HashMap<HostKey, Vec<u32>>,
    pub(crate) any: Vec<u32>,
}

impl HostIndex {
    fn build(routes: &[HttpRoute]) -> HostIndex {
        let mut idx = HostIndex::default();
        for (i, r) in routes.iter().enumerate() {
            match host_keys(r.rule.expr()) {
                None => idx.any.push(i as u32),
                Some(keys) => {
                    for k in keys {
                        let v = idx.by_key.entry(k).or_default();
                        if v.last() != Some(&(i as u32)) {
                            v.push(i as u32);
                        }
                    }
                }
            }
        }
        idx
    }

    /// Indices of the routes that can match a request with this canonical host, ascending.
    pub(crate) fn lookup(&self, canonical_host: &str) -> Vec<u32> {
        let mut out: Vec<u32> = self.any.clone();
        for k in request_host_keys(canonical_host) {
            if let Some(v) = self.by_key.get(&k) {
                out.extend_from_slice(v);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
