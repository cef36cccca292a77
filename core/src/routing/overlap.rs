//! Overlap and shadow analysis between the HTTP routers of an entry point.
//!
//! For every pair of routers on the same entry point and TLS mode that can share a host
//! (host-keyed buckets keep this near-linear for host-based configurations), the rules are
//! expanded into conjunctions and [`witness::solve`] looks for one request matching both.
//! Every reported pair carries that request, checked with [`HttpRule::matches`] for both
//! routers, and the router Traefik would actually answer it with ([`route_http_conn`]).
//!
//! * `nondeterministic-route` (error): two routers with equal priority and equal provider
//!   rank match the same request — Traefik's order between them is undefined (pairs with
//!   the very same rule are left to the validator's `ambiguous-route` / `duplicate-route`).
//! * `route-shadowed` (warning): every conjunction of a router is contained, by
//!   construction ([`witness::term_contained`]), in a router that comes strictly first;
//!   or a non-TLS `HostSNI(`*`)` TCP router takes every plain connection of the entry point.
//! * `route-overlap` (warning when the winner is only chosen by rule length and is not
//!   provably more specific, info otherwise).
//! * `route-overlap-undecided` (info): a regexp the analysis cannot produce a string for
//!   kept it from deciding; nothing is guessed.

use super::witness::{self, Lit, MAX_TERMS, Solved, Witness};
use super::{EntryPointTable, HostKey, HttpRoute, RoutingTable, host_keys};
use crate::finding::{Finding, Severity};
use crate::provider::ProviderConfig;
use crate::report::Report;
use crate::rules::{HttpRequest, HttpRule, TcpConnection};
use crate::static_config::StaticConfig;
use serde::Serialize;
use std::collections::HashMap;

/// What the analysis found about a pair of routers (or one router).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Both match the witness; the first wins.
    Overlap,
    /// Equal priority and provider rank, both match the witness: undefined winner.
    Nondeterministic,
    /// The second can never win.
    Shadowed,
    /// Could not decide (regexp).
    Undecided,
}

/// One result of the analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overlap {
    /// Kind.
    pub kind: Kind,
    /// Entry point.
    pub entrypoint: String,
    /// HTTPS routers (`true`) or plain HTTP routers.
    pub tls: bool,
    /// The router evaluated first (the winner, one of the tied routers, the shadowing router;
    /// for a TCP router taking all plain connections, its name).
    pub first: String,
    /// The other router (the loser / the shadowed one).
    pub second: String,
    /// A request matching both routers (confirmed by the matchers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness: Option<Witness>,
    /// Who answers the witness on this entry point (`None`: nondeterministic).
    #[serde(rename = "answeredBy", skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<String>,
    /// Explanation.
    pub detail: String,
}

struct Prepared<'a> {
    /// Satisfiable conjunctions with a request each; `None` when the DNF is too large.
    terms: Option<Vec<(Vec<Lit<'a>>, HttpRequest)>>,
    /// Some conjunction could not be decided.
    undecided: bool,
    keys: Option<Vec<HostKey>>,
}

fn prepare(r: &HttpRoute) -> Prepared<'_> {
    let mut undecided = false;
    let terms = witness::dnf(r.rule.expr(), MAX_TERMS).map(|d| {
        d.into_iter()
            .filter_map(|t| match witness::solve(&t) {
                Solved::Sat(req) => Some((t, req)),
                Solved::Unsat => None,
                Solved::Unknown(_) => {
                    undecided = true;
                    None
                }
            })
            .collect()
    });
    Prepared {
        terms,
        undecided,
        keys: host_keys(r.rule.expr()),
    }
}

fn suffix(h: &str) -> Option<&str> {
    h.split_once('.').map(|x| x.1)
}

struct Buckets {
    exact: HashMap<String, Vec<u32>>,
    wild: HashMap<String, Vec<u32>>,
    exact_by_suffix: HashMap<String, Vec<u32>>,
    any: Vec<u32>,
}

impl Buckets {
    fn new(prep: &[Prepared<'_>]) -> Buckets {
        let mut b = Buckets {
            exact: HashMap::new(),
            wild: HashMap::new(),
            exact_by_suffix: HashMap::new(),
            any: Vec::new(),
        };
        for (i, p) in prep.iter().enumerate() {
            let i = i as u32;
            match &p.keys {
                None => b.any.push(i),
                Some(keys) => {
                    for k in keys {
                        match k {
                            HostKey::Exact(h) => {
                                b.exact.entry(h.clone()).or_default().push(i);
                                if let Some(s) = suffix(h) {
                                    b.exact_by_suffix.entry(s.to_string()).or_default().push(i);
                                }
                            }
                            HostKey::Wildcard(s) => b.wild.entry(s.clone()).or_default().push(i),
                        }
                    }
                }
            }
        }
        b
    }

    /// Routers before `i` that can share a host with it.
    fn partners(&self, i: usize, keys: &Option<Vec<HostKey>>) -> Vec<u32> {
        let Some(keys) = keys else {
            return (0..i as u32).collect();
        };
        let mut out: Vec<u32> = self
            .any
            .iter()
            .copied()
            .filter(|&j| (j as usize) < i)
            .collect();
        let mut add = |v: Option<&Vec<u32>>| {
            if let Some(v) = v {
                out.extend(v.iter().copied().filter(|&j| (j as usize) < i));
            }
        };
        for k in keys {
            match k {
                HostKey::Exact(h) => {
                    add(self.exact.get(h));
                    if let Some(s) = suffix(h) {
                        add(self.wild.get(s));
                    }
                }
                HostKey::Wildcard(s) => {
                    add(self.wild.get(s));
                    add(self.exact_by_suffix.get(s));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn both_match(a: &HttpRule, b: &HttpRule, req: &HttpRequest) -> bool {
    a.matches(req) && b.matches(req)
}

/// Every conjunction of `b` is contained in one of `a`'s.
fn contained(b: &Prepared<'_>, a: &Prepared<'_>) -> bool {
    match (&b.terms, &a.terms) {
        (Some(tb), Some(ta)) => {
            !tb.is_empty()
                && tb
                    .iter()
                    .all(|(t, _)| ta.iter().any(|(u, _)| witness::term_contained(t, u)))
        }
        _ => false,
    }
}

fn answered_by(
    table: &RoutingTable,
    ep: &EntryPointTable,
    req: &HttpRequest,
    tls: bool,
) -> Option<String> {
    let conn = TcpConnection {
        sni: if tls {
            super::select::sni_for_host(&req.host)
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
    super::route_http_conn(table, &ep.name, req, &conn)
        .ok()
        .and_then(|d| d.router)
}

/// Analyse every entry point of the table (plain and TLS HTTP routers).
pub fn analyze(table: &RoutingTable) -> Vec<Overlap> {
    let mut out = Vec::new();
    for ep in table.entry_points.values() {
        for tls in [false, true] {
            out.extend(analyze_list(table, ep, tls));
        }
    }
    out
}

/// Analyse the plain (`tls == false`) or TLS HTTP routers of one entry point.
pub fn analyze_list(table: &RoutingTable, ep: &EntryPointTable, tls: bool) -> Vec<Overlap> {
    let routes = ep.http_routes(tls);
    let mut out = Vec::new();
    if routes.is_empty() {
        return out;
    }
    let prep: Vec<Prepared<'_>> = routes.iter().map(prepare).collect();
    // A non-TLS HostSNI(`*`) TCP router takes every plain connection.
    if !tls && let Some(tcp) = ep.tcp.iter().find(|t| t.rule.is_catch_all()) {
        for (r, p) in routes.iter().zip(&prep) {
            let Some((_, req)) = p.terms.as_ref().and_then(|t| t.first()) else {
                continue;
            };
            if !r.rule.matches(req) {
                continue;
            }
            out.push(Overlap {
                kind: Kind::Shadowed,
                entrypoint: ep.name.clone(),
                tls,
                first: tcp.name.clone(),
                second: r.name.clone(),
                witness: Some(Witness::from_request(req)),
                answered_by: Some(tcp.name.clone()),
                detail: format!(
                    "TCP router {} (rule {}) takes every plain connection on entry point {} before HTTP routing",
                    tcp.name,
                    tcp.rule.rule(),
                    ep.name
                ),
            });
        }
        return out;
    }
    let buckets = Buckets::new(&prep);
    for i in 0..routes.len() {
        let b = &routes[i];
        let pb = &prep[i];
        let Some(tb) = &pb.terms else { continue };
        if tb.is_empty() {
            continue;
        }
        let partners = buckets.partners(i, &pb.keys);
        // Shadowing: each conjunction of b inside a conjunction of a strictly earlier router.
        let mut cover: Vec<Option<(usize, HttpRequest)>> = Vec::with_capacity(tb.len());
        for (t, req) in tb {
            let mut found = None;
            for &j in &partners {
                let j = j as usize;
                let a = &routes[j];
                if a.key() == b.key() {
                    continue;
                }
                let Some(ta) = &prep[j].terms else { continue };
                if let Some((u, _)) = ta.iter().find(|(u, _)| witness::term_contained(t, u)) {
                    let w = if both_match(&a.rule, &b.rule, req) {
                        Some(req.clone())
                    } else {
                        let mut all = t.clone();
                        all.extend(u.iter().copied());
                        match witness::solve(&all) {
                            Solved::Sat(w) if both_match(&a.rule, &b.rule, &w) => Some(w),
                            _ => None,
                        }
                    };
                    if let Some(w) = w {
                        found = Some((j, w));
                        break;
                    }
                }
            }
            if found.is_none() {
                break;
            }
            cover.push(found);
        }
        let shadowed = !pb.undecided && cover.len() == tb.len();
        if shadowed && let Some(Some((j, w))) = cover.first() {
            let a = &routes[*j];
            let others: Vec<&str> = cover
                .iter()
                .flatten()
                .map(|(k, _)| routes[*k].name.as_str())
                .collect();
            let mut others = others;
            others.sort();
            others.dedup();
            out.push(Overlap {
                kind: Kind::Shadowed,
                entrypoint: ep.name.clone(),
                tls,
                first: a.name.clone(),
                second: b.name.clone(),
                answered_by: answered_by(table, ep, w, tls),
                witness: Some(Witness::from_request(w)),
                detail: format!(
                    "everything {} matches is also matched by {} which {} evaluated first",
                    b.name,
                    others.join(", "),
                    if others.len() > 1 { "are" } else { "is" }
                ),
            });
        }
        for &j in &partners {
            let j = j as usize;
            let a = &routes[j];
            let pa = &prep[j];
            let tied = a.key() == b.key();
            if shadowed && !tied {
                continue;
            }
            let Some(ta) = &pa.terms else { continue };
            let mut witness_req = None;
            let mut undecided = None;
            'pairs: for (u, ra) in ta {
                for (t, rb) in tb {
                    for r in [ra, rb] {
                        if both_match(&a.rule, &b.rule, r) {
                            witness_req = Some(r.clone());
                            break 'pairs;
                        }
                    }
                    let mut all = u.clone();
                    all.extend(t.iter().copied());
                    match witness::solve(&all) {
                        Solved::Sat(w) if both_match(&a.rule, &b.rule, &w) => {
                            witness_req = Some(w);
                            break 'pairs;
                        }
                        Solved::Unknown(why) => undecided = Some(why),
                        _ => {}
                    }
                }
            }
            match witness_req {
                Some(w) => {
                    if tied && a.rule.rule().trim() == b.rule.rule().trim() {
                        // Reported by the validator (ambiguous-route / duplicate-route).
                        continue;
                    }
                    let kind = if tied {
                        Kind::Nondeterministic
                    } else {
                        Kind::Overlap
                    };
                    let detail = if tied {
                        tie_detail(table, a, b)
                    } else {
                        win_detail(a, b, contained(pa, pb))
                    };
                    out.push(Overlap {
                        kind,
                        entrypoint: ep.name.clone(),
                        tls,
                        first: a.name.clone(),
                        second: b.name.clone(),
                        answered_by: answered_by(table, ep, &w, tls),
                        witness: Some(Witness::from_request(&w)),
                        detail,
                    });
                }
                None => {
                    if let Some(why) = undecided {
                        out.push(Overlap {
                            kind: Kind::Undecided,
                            entrypoint: ep.name.clone(),
                            tls,
                            first: a.name.clone(),
                            second: b.name.clone(),
                            witness: None,
                            answered_by: None,
                            detail: format!("cannot decide whether they overlap: {why}"),
                        });
                    }
                }
            }
        }
    }
    out
}

fn tie_detail(table: &RoutingTable, a: &HttpRoute, b: &HttpRoute) -> String {
    if a.provider == b.provider {
        return format!(
            "same priority {} and same provider {}: Traefik's order between them is undefined (Go sort over a map)",
            a.priority, a.provider
        );
    }
    match &table.precedence {
        None => format!(
            "same priority {} from providers {} and {} and no providers.precedence: the winner is random and can change at every configuration reload",
            a.priority, a.provider, b.provider
        ),
        Some(p) => format!(
            "same priority {} from providers {} and {}, neither ranked by providers.precedence [{}]: the winner is random",
            a.priority,
            a.provider,
            b.provider,
            p.join(", ")
        ),
    }
}

fn win_detail(a: &HttpRoute, b: &HttpRoute, b_contains_a: bool) -> String {
    if a.priority > b.priority {
        let how = if a.explicit_priority || b.explicit_priority {
            "higher priority"
        } else if b_contains_a {
            "higher priority (rule length); it is the more specific rule"
        } else {
            "higher priority only because its rule text is longer"
        };
        format!("{} wins: {how} ({} > {})", a.name, a.priority, b.priority)
    } else {
        format!(
            "{} wins: same priority {}, providers.precedence ranks {} before {}",
            a.name, a.priority, a.provider, b.provider
        )
    }
}

fn finding_for(table: &RoutingTable, o: &Overlap) -> Finding {
    let ep = table.entry_points.get(&o.entrypoint);
    let find = |name: &str| {
        ep.and_then(|e| {
            e.http_routes(o.tls)
                .iter()
                .chain(e.http_routes(!o.tls))
                .find(|r| r.name == name)
        })
    };
    let b = find(&o.second);
    let a = find(&o.first);
    let scheme = if o.tls { "https" } else { "http" };
    let wit = o
        .witness
        .as_ref()
        .map(|w| {
            let mut s = format!("{} {}", w.method, w.url(scheme));
            for (k, v) in &w.headers {
                s.push_str(&format!(" -H '{k}: {v}'"));
            }
            if w.client_ip != "127.0.0.1" && !w.client_ip.is_empty() {
                s.push_str(&format!(" from client IP {}", w.client_ip));
            }
            s
        })
        .unwrap_or_default();
    let answered = match &o.answered_by {
        Some(r) => format!("; Traefik answers it with {r}"),
        None if o.kind == Kind::Nondeterministic => "; Traefik answers it with either".into(),
        None => String::new(),
    };
    let prio = |r: Option<&HttpRoute>| r.map(|r| r.priority.to_string()).unwrap_or_default();
    let (sev, code, msg, help) = match o.kind {
        Kind::Nondeterministic => (
            Severity::Error,
            "nondeterministic-route",
            format!(
                "routers {} and {} on entry point {} both match {wit}: {}",
                o.first, o.second, o.entrypoint, o.detail
            ),
            "give the routers different priorities, or set providers.precedence in the static configuration",
        ),
        Kind::Shadowed => (
            Severity::Warning,
            "route-shadowed",
            format!(
                "router {} can never win on entry point {}: {}; e.g. {wit}{answered}",
                o.second, o.entrypoint, o.detail
            ),
            "remove the router, or give it a priority above the routers that take its requests",
        ),
        Kind::Overlap => {
            let length_only = !a.is_some_and(|a| a.explicit_priority)
                && !b.is_some_and(|b| b.explicit_priority)
                && o.detail.contains("only because");
            (
                if length_only {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                "route-overlap",
                format!(
                    "routers {} (priority {}) and {} (priority {}) on entry point {} both match {wit}: {}{answered}",
                    o.first,
                    prio(a),
                    o.second,
                    prio(b),
                    o.entrypoint,
                    o.detail
                ),
                "if this is not intended, make the rules disjoint or set explicit priorities",
            )
        }
        Kind::Undecided => (
            Severity::Info,
            "route-overlap-undecided",
            format!(
                "routers {} and {} on entry point {}: {}",
                o.first, o.second, o.entrypoint, o.detail
            ),
            "check with `syncctl route test` on the requests you care about",
        ),
    };
    Finding::new(sev, code, msg)
        .object(o.second.clone())
        .source(b.and_then(|r| r.source.clone()))
        .help(help)
}

/// Route-overlap findings (`route-overlap`, `route-shadowed`, `nondeterministic-route`,
/// `route-overlap-undecided`) for `validate`.
pub fn findings(
    static_cfg: Option<&StaticConfig>,
    providers: &[ProviderConfig],
    report: &Report,
) -> Vec<Finding> {
    let table = RoutingTable::build(static_cfg, providers, report);
    analyze(&table)
        .iter()
        .map(|o| finding_for(&table, o))
        .collect()
}
