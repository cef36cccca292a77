//! Witness requests: concrete requests that match given rules, and containment proofs.
//!
//! A rule is put in disjunctive normal form over its matchers (negation already pushed to
//! the leaves by the parser). For a conjunction of literals, [`solve`] builds a request
//! field by field (method, host, path, each header, each query key, client IP): candidate
//! values come from the literals themselves (exact values, prefixes and extensions of them,
//! fresh labels under wildcard hosts, strings generated from regexps), and the first
//! candidate satisfying every literal on that field is kept. The assembled request is then
//! checked with the real matchers, so a witness is never false.
//!
//! When no candidate works, the conjunction is *unsatisfiable* if no literal of the field is
//! a regexp (the candidates cover every case for literal shapes: Host/Path/PathPrefix/
//! Method/Header/Query/ClientIP), else *unknown* ("cannot decide").
//!
//! [`term_implies`] proves by construction that every request matching a conjunction
//! matches a literal (used for shadowing); it answers `false` when it cannot prove it.

use crate::rules::http::{RequestView, domain_match};
use crate::rules::net::{IpEntry, canonical_header_key, checker_contains};
use crate::rules::{Expr, GoRegex, HttpMatcher, HttpRequest};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A literal: a matcher and whether it is negated.
pub type Lit<'a> = (&'a HttpMatcher, bool);

/// Most conjunctions a rule may expand to before the analysis gives up.
pub const MAX_TERMS: usize = 256;

/// The rule as a disjunction of conjunctions, or `None` when it expands past `cap` terms.
pub fn dnf(e: &Expr<HttpMatcher>, cap: usize) -> Option<Vec<Vec<Lit<'_>>>> {
    match e {
        Expr::Matcher { matcher, negated } => Some(vec![vec![(matcher, *negated)]]),
        Expr::Or(v) => {
            let mut out = Vec::new();
            for c in v {
                out.extend(dnf(c, cap)?);
                if out.len() > cap {
                    return None;
                }
            }
            Some(out)
        }
        Expr::And(v) => {
            let mut acc: Vec<Vec<Lit<'_>>> = vec![Vec::new()];
            for c in v {
                let d = dnf(c, cap)?;
                if acc.len() * d.len() > cap {
                    return None;
                }
                let mut next = Vec::with_capacity(acc.len() * d.len());
                for a in &acc {
                    for t in &d {
                        let mut n = a.clone();
                        n.extend(t.iter().copied());
                        next.push(n);
                    }
                }
                acc = next;
            }
            Some(acc)
        }
    }
}

/// A request that matches (both) rules, checked with the matchers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Witness {
    /// Method.
    pub method: String,
    /// Host header.
    pub host: String,
    /// Path as sent (percent-encoded).
    pub path: String,
    /// Raw query (without `?`), possibly empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// Header lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// Client IP.
    #[serde(rename = "clientIP")]
    pub client_ip: String,
}

impl Witness {
    /// From a request.
    pub fn from_request(r: &HttpRequest) -> Witness {
        Witness {
            method: r.method.clone(),
            host: r.host.clone(),
            path: r.path.clone(),
            query: r.query.clone(),
            headers: r.headers.clone(),
            client_ip: r.client_ip.map(|i| i.to_string()).unwrap_or_default(),
        }
    }

    /// The URL (`scheme://host/path?query`).
    pub fn url(&self, scheme: &str) -> String {
        let mut s = format!("{scheme}://{}{}", self.host, self.path);
        if !self.query.is_empty() {
            s.push('?');
            s.push_str(&self.query);
        }
        s
    }

    /// The request as a `requests.txt` line: `METHOD URL [Header: value]...`.
    pub fn line(&self, scheme: &str) -> String {
        let mut s = format!("{} {}", self.method, self.url(scheme));
        for (k, v) in &self.headers {
            s.push_str(&format!(" {k}: {v}"));
        }
        s
    }
}

impl fmt::Display for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url("http"))?;
        for (k, v) in &self.headers {
            write!(f, " -H '{k}: {v}'")?;
        }
        if !self.client_ip.is_empty() {
            write!(f, " from {}", self.client_ip)?;
        }
        Ok(())
    }
}

/// The outcome of [`solve`].
#[derive(Clone, Debug, PartialEq)]
pub enum Solved {
    /// A request satisfying every literal.
    Sat(HttpRequest),
    /// No request satisfies the literals (proved for the literal shapes).
    Unsat,
    /// Could not decide (regexp or v2 template without a usable sample, multi-field v2 matcher).
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Method,
    Host,
    Path,
    Header(String),
    Query(String),
    ClientIp,
    Multi,
}

fn field_of(m: &HttpMatcher) -> Field {
    use HttpMatcher::*;
    match m {
        ClientIp { .. } | V2ClientIp { .. } => Field::ClientIp,
        Method { .. } | V2Method { .. } => Field::Method,
        Host { .. } | HostRegexp { .. } | V2Host { .. } | V2HostRegexp { .. } => Field::Host,
        Path { .. }
        | PathPrefix { .. }
        | PathRegexp { .. }
        | V2Path { .. }
        | V2PathPrefix { .. } => Field::Path,
        Header { name, .. } | HeaderRegexp { name, .. } => Field::Header(name.clone()),
        Query { key, .. } | QueryRegexp { key, .. } => Field::Query(key.clone()),
        V2Headers { pairs } if pairs.len() == 1 => Field::Header(canonical_header_key(&pairs[0].0)),
        V2HeadersRegexp { pairs } if pairs.len() == 1 => {
            Field::Header(canonical_header_key(&pairs[0].0))
        }
        V2Headers { .. } | V2HeadersRegexp { .. } | V2Query { .. } => Field::Multi,
    }
}

/// Whether the matcher is a regexp (or a v2 template, which is one).
pub fn is_regexy(m: &HttpMatcher) -> bool {
    use HttpMatcher::*;
    matches!(
        m,
        HostRegexp { .. }
            | PathRegexp { .. }
            | HeaderRegexp { .. }
            | QueryRegexp { .. }
            | V2HostRegexp { .. }
            | V2Path { .. }
            | V2PathPrefix { .. }
            | V2HeadersRegexp { .. }
            | V2Query { .. }
    )
}

fn eval(l: &Lit<'_>, req: &HttpRequest) -> bool {
    l.0.matches(&RequestView::new(req)) != l.1
}

/// Evaluate a conjunction on a request.
pub fn eval_term(term: &[Lit<'_>], req: &HttpRequest) -> bool {
    let v = RequestView::new(req);
    term.iter().all(|(m, neg)| m.matches(&v) != *neg)
}

fn base_request() -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        host: "witness.example".into(),
        path: "/".into(),
        query: String::new(),
        headers: Vec::new(),
        client_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

/// Find a request satisfying every literal of `term`.
pub fn solve(term: &[Lit<'_>]) -> Solved {
    let mut by_field: BTreeMap<Field, Vec<Lit<'_>>> = BTreeMap::new();
    for l in term {
        by_field.entry(field_of(l.0)).or_default().push(*l);
    }
    let mut req = base_request();
    let mut multi: Vec<Lit<'_>> = Vec::new();
    for (field, lits) in &by_field {
        if *field == Field::Multi {
            multi.extend(lits.iter().copied());
            continue;
        }
        let regexy = lits.iter().any(|l| is_regexy(l.0));
        let mut found = false;
        for cand in candidates(field, lits) {
            let mut probe = base_request();
            cand.apply(&mut probe);
            if lits.iter().all(|l| eval(l, &probe)) {
                cand.apply(&mut req);
                found = true;
                break;
            }
        }
        if !found {
            return if regexy {
                Solved::Unknown(format!(
                    "no request found for the {} constraints ({})",
                    field_name(field),
                    lits.iter()
                        .map(describe_lit)
                        .collect::<Vec<_>>()
                        .join(" && ")
                ))
            } else {
                Solved::Unsat
            };
        }
    }
    if eval_term(term, &req) {
        Solved::Sat(req)
    } else if multi.is_empty() {
        Solved::Unknown("assembled request does not match".into())
    } else {
        Solved::Unknown("v2 matcher over several headers or query keys".into())
    }
}

fn field_name(f: &Field) -> String {
    match f {
        Field::Method => "method".into(),
        Field::Host => "host".into(),
        Field::Path => "path".into(),
        Field::Header(h) => format!("header {h}"),
        Field::Query(k) => format!("query {k}"),
        Field::ClientIp => "client IP".into(),
        Field::Multi => "multi".into(),
    }
}

/// A short description of a literal (`!PathPrefix(/a)`).
pub fn describe_lit(l: &Lit<'_>) -> String {
    use HttpMatcher::*;
    let body = match l.0 {
        Host { host } => format!("Host({host})"),
        HostRegexp { regex } => format!("HostRegexp({})", regex.as_str()),
        Path { path } => format!("Path({path})"),
        PathPrefix { prefix } => format!("PathPrefix({prefix})"),
        PathRegexp { regex } => format!("PathRegexp({})", regex.as_str()),
        Method { method } => format!("Method({method})"),
        Header { name, value } => format!("Header({name}, {value})"),
        HeaderRegexp { name, regex } => format!("HeaderRegexp({name}, {})", regex.as_str()),
        Query { key, value } => format!("Query({key}, {value})"),
        QueryRegexp { key, regex } => format!("QueryRegexp({key}, {})", regex.as_str()),
        ClientIp { source, .. } => format!("ClientIP({source})"),
        other => format!("{}(...)", other.name()),
    };
    if l.1 { format!("!{body}") } else { body }
}

enum Cand {
    Method(String),
    Host(String),
    Path(String),
    Header(String, Vec<String>),
    Query(String, Vec<String>),
    Ip(IpAddr),
}

impl Cand {
    fn apply(&self, r: &mut HttpRequest) {
        match self {
            Cand::Method(m) => r.method = m.clone(),
            Cand::Host(h) => r.host = h.clone(),
            Cand::Path(p) => r.path = encode_path(p),
            Cand::Header(n, vals) => {
                r.headers.retain(|(k, _)| canonical_header_key(k) != *n);
                for v in vals {
                    r.headers.push((n.clone(), v.clone()));
                }
            }
            Cand::Query(k, vals) => {
                let mut parts: Vec<String> = if r.query.is_empty() {
                    Vec::new()
                } else {
                    r.query.split('&').map(str::to_string).collect()
                };
                let ek = encode_query(k);
                parts.retain(|p| p.split('=').next() != Some(ek.as_str()));
                for v in vals {
                    parts.push(format!("{ek}={}", encode_query(v)));
                }
                r.query = parts.join("&");
            }
            Cand::Ip(ip) => r.client_ip = Some(*ip),
        }
    }
}

/// Percent-encode a routing path for the wire (reserved characters and `%XX` kept).
pub fn encode_path(p: &str) -> String {
    let b = p.as_bytes();
    let mut out = String::with_capacity(p.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let keep = c.is_ascii_alphanumeric()
            || b"-._~!$&'()*+,;=:@/".contains(&c)
            || (c == b'%'
                && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if keep {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
        i += 1;
    }
    out
}

/// Percent-encode a query key or value.
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
const EXT: &[&str] = &["", "w", "/w", "x/", "-", "_", "0", "~", "/", "z", "."];

fn candidates(field: &Field, lits: &[Lit<'_>]) -> Vec<Cand> {
    use HttpMatcher::*;
    let pos = || lits.iter().filter(|l| !l.1).map(|l| l.0);
    let all = || lits.iter().map(|l| l.0);
    match field {
        Field::Method => {
            let mut out: Vec<String> = Vec::new();
            for m in pos() {
                match m {
                    Method { method } => out.push(method.clone()),
                    V2Method { methods } => out.extend(methods.iter().cloned()),
                    _ => {}
                }
            }
            out.extend(METHODS.iter().map(|s| s.to_string()));
            out.push("WITNESS".into());
            out.into_iter().map(Cand::Method).collect()
        }
        Field::Host => {
            let mut out: Vec<String> = Vec::new();
            let mut neg_first_labels: Vec<String> = Vec::new();
            for m in all() {
                if let Host { host } = m
                    && let Some((l, _)) = host.split_once('.')
                {
                    neg_first_labels.push(l.to_string());
                }
            }
            for m in pos() {
                match m {
                    Host { host } if host == "*" => {}
                    Host { host } => {
                        if let Some(suffix) = host.strip_prefix("*.") {
                            let suffix = suffix.strip_suffix('.').unwrap_or(suffix);
                            for label in ["w", "w1", "x", "wz9"] {
                                if !neg_first_labels.iter().any(|n| n == label) {
                                    out.push(format!("{label}.{suffix}"));
                                }
                            }
                            // Exact hosts of other literals under this wildcard.
                            for m2 in all() {
                                if let Host { host: h2 } = m2
                                    && !h2.starts_with('*')
                                    && domain_match(h2, host)
                                {
                                    out.push(h2.clone());
                                }
                            }
                        } else {
                            out.push(host.clone());
                            if let Some(s) = host.strip_suffix('.') {
                                out.push(s.to_string());
                            }
                        }
                    }
                    V2Host { hosts } => out.extend(hosts.iter().cloned()),
                    HostRegexp { regex } => out.extend(samples(regex)),
                    V2HostRegexp { templates } => {
                        for t in templates {
                            out.extend(samples(&t.regex));
                        }
                    }
                    _ => {}
                }
            }
            out.push("witness.example".into());
            out.push("w.witness.example".into());
            out.into_iter()
                .filter(|h| !h.is_empty() && h.is_ascii() && !h.contains(char::is_whitespace))
                .map(|h| Cand::Host(h.to_ascii_lowercase()))
                .collect()
        }
        Field::Path => {
            let mut out: Vec<String> = Vec::new();
            let has_neg = lits.iter().any(|l| l.1);
            let mut prefixes: Vec<&str> = Vec::new();
            for m in pos() {
                match m {
                    Path { path } => out.push(path.clone()),
                    PathPrefix { prefix } => prefixes.push(prefix),
                    PathRegexp { regex } => out.extend(samples(regex)),
                    V2Path { templates } | V2PathPrefix { templates } => {
                        for t in templates {
                            out.extend(samples(&t.regex));
                        }
                    }
                    _ => {}
                }
            }
            prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for p in &prefixes {
                for e in EXT {
                    out.push(format!("{p}{e}"));
                }
                if has_neg {
                    for c in ('a'..='z').chain('0'..='9') {
                        out.push(format!("{p}{c}"));
                    }
                }
            }
            out.push("/".into());
            out.push("/witness".into());
            let mut fixed = Vec::with_capacity(out.len());
            for p in out {
                if p.starts_with('/') {
                    fixed.push(p);
                } else {
                    fixed.push(format!("/{p}"));
                    fixed.push(p);
                }
            }
            fixed.into_iter().map(Cand::Path).collect()
        }
        Field::Header(name) | Field::Query(name) => {
            let is_header = matches!(field, Field::Header(_));
            let mut exact: Vec<String> = Vec::new();
            let mut regex_samples: Vec<Vec<String>> = Vec::new();
            for m in pos() {
                match m {
                    Header { value, .. } | Query { value, .. } => exact.push(value.clone()),
                    V2Headers { pairs } => exact.push(pairs[0].1.clone()),
                    HeaderRegexp { regex, .. } | QueryRegexp { regex, .. } => {
                        regex_samples.push(samples(regex))
                    }
                    V2HeadersRegexp { pairs } => regex_samples.push(samples(&pairs[0].1)),
                    _ => {}
                }
            }
            let negs: Vec<Lit<'_>> = lits.iter().filter(|l| l.1).copied().collect();
            let ok_alone = |v: &str| {
                let mut probe = base_request();
                let c = if is_header {
                    Cand::Header(name.clone(), vec![v.to_string()])
                } else {
                    Cand::Query(name.clone(), vec![v.to_string()])
                };
                c.apply(&mut probe);
                negs.iter().all(|l| eval(l, &probe))
            };
            let mut lines = exact.clone();
            let mut alt = exact;
            for s in &regex_samples {
                if let Some(v) = s.iter().find(|v| ok_alone(v)) {
                    lines.push(v.clone());
                } else if let Some(v) = s.first() {
                    lines.push(v.clone());
                }
                if let Some(v) = s.get(1) {
                    alt.push(v.clone());
                }
            }
            let mk = |vals: Vec<String>| {
                if is_header {
                    Cand::Header(name.clone(), vals)
                } else {
                    Cand::Query(name.clone(), vals)
                }
            };
            let mut out = vec![mk(lines)];
            if !regex_samples.is_empty() {
                out.push(mk(alt));
            }
            out.push(mk(Vec::new()));
            out
        }
        Field::ClientIp => {
            let mut out: Vec<IpAddr> = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
            for m in pos() {
                let entries = match m {
                    ClientIp { entries, .. } | V2ClientIp { entries, .. } => entries,
                    _ => continue,
                };
                for e in entries {
                    match *e {
                        IpEntry::Addr(a) => out.push(a),
                        IpEntry::Net(n, bits) => out.extend(net_samples(n, bits)),
                    }
                }
            }
            out.push(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)));
            out.push(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 77)));
            out.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
            out.push(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10,
            )));
            out.into_iter().map(Cand::Ip).collect()
        }
        Field::Multi => Vec::new(),
    }
}

fn net_samples(n: IpAddr, bits: u8) -> Vec<IpAddr> {
    match n {
        IpAddr::V4(v) => {
            let base = u32::from(v);
            let host_bits = 32u32.saturating_sub(bits as u32);
            let mask = if host_bits >= 32 {
                0
            } else {
                u32::MAX << host_bits
            };
            let net = base & mask;
            let last = net | !mask;
            vec![
                IpAddr::V4(Ipv4Addr::from(net.wrapping_add(1).min(last))),
                IpAddr::V4(Ipv4Addr::from(net)),
                IpAddr::V4(Ipv4Addr::from(last)),
            ]
        }
        IpAddr::V6(v) => {
            let base = u128::from(v);
            let host_bits = 128u32.saturating_sub(bits as u32);
            let mask = if host_bits >= 128 {
                0
            } else {
                u128::MAX << host_bits
            };
            let net = base & mask;
            let last = net | !mask;
            vec![
                IpAddr::V6(Ipv6Addr::from(net.wrapping_add(1).min(last))),
                IpAddr::V6(Ipv6Addr::from(net)),
                IpAddr::V6(Ipv6Addr::from(last)),
            ]
        }
    }
}

// ---------------------------------------------------------------------------------------
// Strings matching a regexp.

/// Up to a few strings the regexp matches (each checked with the regexp).
pub fn samples(re: &GoRegex) -> Vec<String> {
    let Ok(hir) = regex_syntax::ParserBuilder::new()
        .build()
        .parse(re.rust_pattern())
    else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for seed in 0..6u32 {
        let mut s = String::new();
        if generate(&hir, seed, 0, &mut s) && re.is_match(&s) && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn pick_char(ranges: &[(char, char)]) -> Option<char> {
    for pref in [('a', 'z'), ('0', '9'), ('A', 'Z')] {
        for &(lo, hi) in ranges {
            if hi >= pref.0 && lo <= pref.1 {
                return Some(lo.max(pref.0));
            }
        }
    }
    for &(lo, hi) in ranges {
        for c in [lo, hi] {
            if c.is_ascii_graphic() {
                return Some(c);
            }
        }
    }
    ranges.first().map(|r| r.0)
}

fn generate(h: &regex_syntax::hir::Hir, seed: u32, depth: u32, out: &mut String) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    if depth > 200 || out.len() > 4096 {
        return false;
    }
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(l) => match std::str::from_utf8(&l.0) {
            Ok(s) => {
                out.push_str(s);
                true
            }
            Err(_) => false,
        },
        HirKind::Class(Class::Unicode(c)) => {
            let ranges: Vec<(char, char)> =
                c.ranges().iter().map(|r| (r.start(), r.end())).collect();
            match pick_char(&ranges) {
                Some(ch) => {
                    out.push(ch);
                    true
                }
                None => false,
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            let ranges: Vec<(char, char)> = c
                .ranges()
                .iter()
                .filter(|r| r.start() < 0x80)
                .map(|r| (r.start() as char, (r.end().min(0x7f)) as char))
                .collect();
            match pick_char(&ranges) {
                Some(ch) => {
                    out.push(ch);
                    true
                }
                None => false,
            }
        }
        HirKind::Repetition(r) => {
            let mut n = r.min;
            if seed % 2 == 1 || (n == 0 && seed % 3 == 2) {
                n += 1;
            }
            if let Some(max) = r.max {
                n = n.min(max);
            }
            for i in 0..n.min(64) {
                if !generate(&r.sub, seed.wrapping_add(i), depth + 1, out) {
                    return false;
                }
            }
            true
        }
        HirKind::Capture(c) => generate(&c.sub, seed, depth + 1, out),
        HirKind::Concat(v) => v.iter().all(|x| generate(x, seed, depth + 1, out)),
        HirKind::Alternation(v) => {
            let i = (seed as usize + depth as usize) % v.len();
            generate(&v[i], seed, depth + 1, out)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Containment proofs.

fn host_match(req: &str, expr: &str) -> bool {
    if expr == "*" {
        return true;
    }
    if req.is_empty() {
        return false;
    }
    domain_match(req, expr)
        || expr.strip_suffix('.').is_some_and(|h| domain_match(req, h))
        || req.strip_suffix('.').is_some_and(|h| domain_match(h, expr))
}

/// The canonical hosts an exact `Host(h)` matches.
fn exact_host_variants(h: &str) -> Vec<String> {
    let s = h.strip_suffix('.').unwrap_or(h);
    vec![h.to_string(), s.to_string(), format!("{s}.")]
}

fn wildcard_suffix(h: &str) -> Option<&str> {
    h.strip_prefix("*.")
        .map(|s| s.strip_suffix('.').unwrap_or(s))
}

/// Every request `Host(h2)` matches is matched by `Host(h)`.
fn host_subset(h2: &str, h: &str) -> bool {
    if h == "*" {
        return true;
    }
    if h2 == "*" {
        return false;
    }
    match wildcard_suffix(h2) {
        Some(s2) => wildcard_suffix(h).is_some_and(|s| s == s2),
        None if h2.starts_with('*') => false,
        None => exact_host_variants(h2).iter().all(|v| host_match(v, h)),
    }
}

/// No request matches both `Host(h2)` and `Host(h)`.
fn host_disjoint(h2: &str, h: &str) -> bool {
    if h == "*" || h2 == "*" {
        return false;
    }
    match (wildcard_suffix(h2), wildcard_suffix(h)) {
        (Some(a), Some(b)) => a != b,
        (None, None) if !h.starts_with('*') && !h2.starts_with('*') => {
            exact_host_variants(h2).iter().all(|v| !host_match(v, h))
        }
        (Some(_), None) if !h.starts_with('*') => {
            exact_host_variants(h).iter().all(|v| !host_match(v, h2))
        }
        (None, Some(_)) if !h2.starts_with('*') => {
            exact_host_variants(h2).iter().all(|v| !host_match(v, h))
        }
        _ => false,
    }
}

fn ip_entry_subset(e2: &IpEntry, entries: &[IpEntry]) -> bool {
    match *e2 {
        IpEntry::Addr(a) => checker_contains(entries, a),
        IpEntry::Net(n2, b2) => entries.iter().any(|e| match *e {
            IpEntry::Net(n, b) => {
                b <= b2
                    && n.is_ipv4() == n2.is_ipv4()
                    && checker_contains(&[IpEntry::Net(n, b)], n2)
            }
            IpEntry::Addr(_) => false,
        }),
    }
}

fn ip_entry_disjoint(e2: &IpEntry, entries: &[IpEntry]) -> bool {
    entries.iter().all(|e| match (e2.clone(), e.clone()) {
        (IpEntry::Addr(a), _) => !checker_contains(std::slice::from_ref(e), a),
        (IpEntry::Net(n2, b2), IpEntry::Addr(a)) => !checker_contains(&[IpEntry::Net(n2, b2)], a),
        (IpEntry::Net(n2, b2), IpEntry::Net(n, b)) => {
            if n.is_ipv4() != n2.is_ipv4() {
                return false;
            }
            if b <= b2 {
                !checker_contains(&[IpEntry::Net(n, b)], n2)
            } else {
                !checker_contains(&[IpEntry::Net(n2, b2)], n)
            }
        }
    })
}

/// Proof that every request matching all of `term` matches the literal `l`; `false` when
/// no proof was found (which includes "not contained").
pub fn term_implies(term: &[Lit<'_>], l: Lit<'_>) -> bool {
    use HttpMatcher::*;
    if term.iter().any(|t| t.1 == l.1 && t.0 == l.0) {
        return true;
    }
    let pos = || term.iter().filter(|t| !t.1).map(|t| t.0);
    let (m, neg) = l;
    if !neg {
        match m {
            Method { method } => pos().any(|t| match t {
                Method { method: m2 } => m2 == method,
                V2Method { methods } => methods.iter().all(|x| x == method),
                _ => false,
            }),
            Host { host } => {
                host == "*"
                    || pos().any(|t| match t {
                        Host { host: h2 } => host_subset(h2, host),
                        V2Host { hosts } => hosts.iter().all(|h2| host_subset(h2, host)),
                        _ => false,
                    })
            }
            HostRegexp { regex } => {
                regex.is_match("")
                    || pos().any(|t| match t {
                        Host { host: h2 } if !h2.starts_with('*') => {
                            exact_host_variants(h2).iter().all(|v| regex.is_match(v))
                        }
                        _ => false,
                    })
            }
            Path { path } => pos().any(|t| matches!(t, Path { path: p2 } if p2 == path)),
            PathPrefix { prefix } => pos().any(|t| match t {
                Path { path: p2 } => p2.starts_with(prefix.as_str()),
                PathPrefix { prefix: p2 } => p2.starts_with(prefix.as_str()),
                _ => false,
            }),
            PathRegexp { regex } => {
                pos().any(|t| matches!(t, Path { path: p2 } if regex.is_match(p2)))
            }
            HeaderRegexp { name, regex } => pos().any(
                |t| matches!(t, Header { name: n2, value } if n2 == name && regex.is_match(value)),
            ),
            QueryRegexp { key, regex } => pos().any(
                |t| matches!(t, Query { key: k2, value } if k2 == key && regex.is_match(value)),
            ),
            ClientIp { entries, .. } => pos().any(|t| match t {
                ClientIp { entries: e2, .. } => e2.iter().all(|e| ip_entry_subset(e, entries)),
                _ => false,
            }),
            _ => false,
        }
    } else {
        match m {
            Method { method } => pos().any(|t| match t {
                Method { method: m2 } => m2 != method,
                V2Method { methods } => methods.iter().all(|x| x != method),
                _ => false,
            }),
            Host { host } => pos().any(|t| match t {
                Host { host: h2 } => host_disjoint(h2, host),
                V2Host { hosts } => hosts.iter().all(|h2| host_disjoint(h2, host)),
                _ => false,
            }),
            Path { path } => pos().any(|t| match t {
                Path { path: p2 } => p2 != path,
                PathPrefix { prefix } => !path.starts_with(prefix.as_str()),
                _ => false,
            }),
            PathPrefix { prefix } => term.iter().any(|t| match (t.0, t.1) {
                (Path { path: p2 }, false) => !p2.starts_with(prefix.as_str()),
                (PathPrefix { prefix: p2 }, false) => {
                    !p2.starts_with(prefix.as_str()) && !prefix.starts_with(p2.as_str())
                }
                (PathPrefix { prefix: p2 }, true) => prefix.starts_with(p2.as_str()),
                _ => false,
            }),
            ClientIp { entries, .. } => pos().any(|t| match t {
                ClientIp { entries: e2, .. } => e2.iter().all(|e| ip_entry_disjoint(e, entries)),
                _ => false,
            }),
            _ => false,
        }
    }
}

/// Proof that every request matching `tb` matches all of `ta`.
pub fn term_contained(tb: &[Lit<'_>], ta: &[Lit<'_>]) -> bool {
    ta.iter().all(|l| term_implies(tb, *l))
}

/// Whether the term has a regexp literal (then a failed proof means "cannot decide").
pub fn term_has_regex(t: &[Lit<'_>]) -> bool {
    t.iter().any(|l| is_regexy(l.0))
}
