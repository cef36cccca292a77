//! HTTP matchers (v3: `pkg/muxer/http/matcher.go`, v2: `matcher_v2.go`): build-time checks
//! with Traefik's error texts, and matching against an [`HttpRequest`].

use super::expr::text;
use super::go::quote::{quote, quote_bytes};
use super::go_regex::GoRegex;
use super::mux_template::{MuxTemplate, TemplateKind, new_route_regexp};
use super::net::{
    IpEntry, canonical_header_key, canonical_host, checker_contains, mux_host, new_checker,
    parse_query, routing_path,
};
use std::net::IpAddr;

/// HTTP matcher names of the v3 syntax (`httpFuncs`).
pub const HTTP_V3_MATCHERS: &[&str] = &[
    "ClientIP",
    "Method",
    "Host",
    "HostRegexp",
    "Path",
    "PathRegexp",
    "PathPrefix",
    "Header",
    "HeaderRegexp",
    "Query",
    "QueryRegexp",
];

/// HTTP matcher names of the v2 syntax (`httpFuncsV2`).
pub const HTTP_V2_MATCHERS: &[&str] = &[
    "Host",
    "HostHeader",
    "HostRegexp",
    "ClientIP",
    "Path",
    "PathPrefix",
    "Method",
    "Headers",
    "HeadersRegexp",
    "Query",
];

/// A built HTTP matcher. Variants prefixed `V2` exist only under `ruleSyntax: v2`.
#[derive(Clone, Debug, PartialEq)]
pub enum HttpMatcher {
    /// `ClientIP(ip-or-cidr)`.
    ClientIp {
        source: String,
        entries: Vec<IpEntry>,
    },
    /// `Method(m)`; `method` is upper-cased.
    Method { method: String },
    /// `Host(h)`: `*` matches every request; otherwise lower-cased, `*.x` = one label.
    Host { host: String },
    /// `HostRegexp(re)` on the canonical host.
    HostRegexp { regex: GoRegex },
    /// `Path(p)`: exact match on the routing path.
    Path { path: String },
    /// `PathPrefix(p)`: plain string prefix of the routing path.
    PathPrefix { prefix: String },
    /// `PathRegexp(re)` on the routing path.
    PathRegexp { regex: GoRegex },
    /// `Header(name, value)`; `name` canonicalised.
    Header { name: String, value: String },
    /// `HeaderRegexp(name, re)`.
    HeaderRegexp { name: String, regex: GoRegex },
    /// `Query(key)` / `Query(key, value)` (one argument: value is empty).
    Query { key: String, value: String },
    /// `QueryRegexp(key, re)` (the one-argument form is built as `Query`).
    QueryRegexp { key: String, regex: GoRegex },
    /// v2 `Host(a, b, ...)` / `HostHeader(...)`: lower-cased exact hosts.
    V2Host { hosts: Vec<String> },
    /// v2 `HostRegexp(tpl, ...)`: gorilla host templates.
    V2HostRegexp { templates: Vec<MuxTemplate> },
    /// v2 `ClientIP(a, b, ...)`.
    V2ClientIp {
        sources: Vec<String>,
        entries: Vec<IpEntry>,
    },
    /// v2 `Path(tpl, ...)`.
    V2Path { templates: Vec<MuxTemplate> },
    /// v2 `PathPrefix(tpl, ...)`.
    V2PathPrefix { templates: Vec<MuxTemplate> },
    /// v2 `Method(a, b, ...)`, upper-cased.
    V2Method { methods: Vec<String> },
    /// v2 `Headers(k, v, ...)`: every pair must match (later duplicates of a key win).
    V2Headers { pairs: Vec<(String, String)> },
    /// v2 `HeadersRegexp(k, re, ...)`.
    V2HeadersRegexp { pairs: Vec<(String, GoRegex)> },
    /// v2 `Query("k=v", ...)`: gorilla query templates.
    V2Query { templates: Vec<MuxTemplate> },
}

impl HttpMatcher {
    /// The declared matcher name (`PathPrefix`, `Headers`, ...).
    pub fn name(&self) -> &'static str {
        use HttpMatcher::*;
        match self {
            ClientIp { .. } | V2ClientIp { .. } => "ClientIP",
            Method { .. } | V2Method { .. } => "Method",
            Host { .. } | V2Host { .. } => "Host",
            HostRegexp { .. } | V2HostRegexp { .. } => "HostRegexp",
            Path { .. } | V2Path { .. } => "Path",
            PathPrefix { .. } | V2PathPrefix { .. } => "PathPrefix",
            PathRegexp { .. } => "PathRegexp",
            Header { .. } => "Header",
            HeaderRegexp { .. } => "HeaderRegexp",
            Query { .. } | V2Query { .. } => "Query",
            QueryRegexp { .. } => "QueryRegexp",
            V2Headers { .. } => "Headers",
            V2HeadersRegexp { .. } => "HeadersRegexp",
        }
    }
}

fn go_upper(s: &str) -> String {
    // Go's strings.ToUpper maps rune by rune (no `ß` → `SS` expansion).
    s.chars()
        .map(|c| {
            let mut u = c.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x,
                _ => c,
            }
        })
        .collect()
}

fn is_ascii(v: &[u8]) -> bool {
    v.iter().all(|b| *b < 0x80)
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

fn expect_n(values: &[Vec<u8>], n: &[usize]) -> Result<(), String> {
    if n.contains(&values.len()) {
        return Ok(());
    }
    let list: Vec<String> = n.iter().map(|x| x.to_string()).collect();
    Err(format!(
        "unexpected number of parameters; got {}, expected one of [{}]",
        values.len(),
        list.join(" ")
    ))
}

/// Builds a v3 HTTP matcher (error text as `httpFuncs[name](tree, values...)` returns it).
pub(crate) fn build_v3(name: &'static str, values: &[Vec<u8>]) -> Result<HttpMatcher, String> {
    let v0 = || text(&values[0]);
    match name {
        "ClientIP" => {
            expect_n(values, &[1])?;
            let entries = new_checker(&[v0()])
                .map_err(|e| format!("initializing IP checker for ClientIP matcher: {e}"))?;
            Ok(HttpMatcher::ClientIp {
                source: v0(),
                entries,
            })
        }
        "Method" => {
            expect_n(values, &[1])?;
            Ok(HttpMatcher::Method {
                method: go_upper(&v0()),
            })
        }
        "Host" => {
            expect_n(values, &[1])?;
            if values[0] != b"*" && !is_ascii(&values[0]) {
                return Err(format!(
                    "invalid value {} for Host matcher, non-ASCII characters are not allowed",
                    quote_bytes(&values[0])
                ));
            }
            let host = if values[0] == b"*" {
                "*".into()
            } else {
                v0().to_ascii_lowercase()
            };
            Ok(HttpMatcher::Host { host })
        }
        "HostRegexp" => {
            expect_n(values, &[1])?;
            if !is_ascii(&values[0]) {
                return Err(format!(
                    "invalid value {} for HostRegexp matcher, non-ASCII characters are not allowed",
                    quote_bytes(&values[0])
                ));
            }
            let regex =
                compile(&values[0]).map_err(|e| format!("compiling HostRegexp matcher: {e}"))?;
            Ok(HttpMatcher::HostRegexp { regex })
        }
        "Path" | "PathPrefix" => {
            expect_n(values, &[1])?;
            if !values[0].starts_with(b"/") {
                return Err(format!(
                    "path {} does not start with a '/'",
                    quote_bytes(&values[0])
                ));
            }
            Ok(if name == "Path" {
                HttpMatcher::Path { path: v0() }
            } else {
                HttpMatcher::PathPrefix { prefix: v0() }
            })
        }
        "PathRegexp" => {
            expect_n(values, &[1])?;
            // Traefik's message says "PathPrefix" here (sic).
            let regex =
                compile(&values[0]).map_err(|e| format!("compiling PathPrefix matcher: {e}"))?;
            Ok(HttpMatcher::PathRegexp { regex })
        }
        "Header" => {
            expect_n(values, &[2])?;
            Ok(HttpMatcher::Header {
                name: canonical_header_key(&v0()),
                value: text(&values[1]),
            })
        }
        "HeaderRegexp" => {
            expect_n(values, &[2])?;
            let name = canonical_header_key(&v0());
            let regex =
                compile(&values[1]).map_err(|e| format!("compiling HeaderRegexp matcher: {e}"))?;
            Ok(HttpMatcher::HeaderRegexp { name, regex })
        }
        "Query" | "QueryRegexp" => {
            expect_n(values, &[1, 2])?;
            if name == "Query" || values.len() == 1 {
                return Ok(HttpMatcher::Query {
                    key: v0(),
                    value: values.get(1).map(|v| text(v)).unwrap_or_default(),
                });
            }
            let regex =
                compile(&values[1]).map_err(|e| format!("compiling QueryRegexp matcher: {e}"))?;
            Ok(HttpMatcher::QueryRegexp { key: v0(), regex })
        }
        other => Err(format!("unsupported function: {other}")),
    }
}

fn mux_pairs_error(list: &[String]) -> String {
    format!(
        "mux: number of parameters must be multiple of 2, got [{}]",
        list.join(" ")
    )
}

/// Builds a v2 HTTP matcher (gorilla/mux based).
pub(crate) fn build_v2(name: &'static str, values: &[Vec<u8>]) -> Result<HttpMatcher, String> {
    let strs: Vec<String> = values.iter().map(|v| text(v)).collect();
    match name {
        "Host" | "HostHeader" => {
            let mut hosts = Vec::new();
            for v in values {
                if !is_ascii(v) {
                    return Err(format!(
                        "invalid value {} for \"Host\" matcher, non-ASCII characters are not allowed",
                        quote_bytes(v)
                    ));
                }
                hosts.push(text(v).to_ascii_lowercase());
            }
            Ok(HttpMatcher::V2Host { hosts })
        }
        "HostRegexp" => {
            let mut templates = Vec::new();
            for v in values {
                if !is_ascii(v) {
                    return Err(format!(
                        "invalid value {} for HostRegexp matcher, non-ASCII characters are not allowed",
                        quote_bytes(v)
                    ));
                }
                templates.push(new_route_regexp(&text(v), TemplateKind::Host)?);
            }
            Ok(HttpMatcher::V2HostRegexp { templates })
        }
        "ClientIP" => {
            let entries = new_checker(&strs).map_err(|e| {
                format!("could not initialize IP Checker for \"ClientIP\" matcher: {e}")
            })?;
            Ok(HttpMatcher::V2ClientIp {
                sources: strs,
                entries,
            })
        }
        "Path" | "PathPrefix" => {
            let kind = if name == "Path" {
                TemplateKind::Path
            } else {
                TemplateKind::PathPrefix
            };
            let mut templates = Vec::new();
            for s in &strs {
                if !s.is_empty() && !s.starts_with('/') {
                    return Err(format!(
                        "mux: path must start with a slash, got {}",
                        quote(s)
                    ));
                }
                templates.push(new_route_regexp(s, kind)?);
            }
            Ok(if name == "Path" {
                HttpMatcher::V2Path { templates }
            } else {
                HttpMatcher::V2PathPrefix { templates }
            })
        }
        "Method" => Ok(HttpMatcher::V2Method {
            methods: strs.iter().map(|m| go_upper(m)).collect(),
        }),
        "Headers" => {
            if !strs.len().is_multiple_of(2) {
                return Err(mux_pairs_error(&strs));
            }
            let mut pairs: Vec<(String, String)> = Vec::new();
            for kv in strs.chunks(2) {
                match pairs.iter_mut().find(|(k, _)| *k == kv[0]) {
                    Some(p) => p.1 = kv[1].clone(),
                    None => pairs.push((kv[0].clone(), kv[1].clone())),
                }
            }
            Ok(HttpMatcher::V2Headers { pairs })
        }
        "HeadersRegexp" => {
            if !strs.len().is_multiple_of(2) {
                return Err(mux_pairs_error(&strs));
            }
            let mut pairs: Vec<(String, GoRegex)> = Vec::new();
            for (i, kv) in strs.chunks(2).enumerate() {
                let re = compile(&values[i * 2 + 1])?;
                match pairs.iter_mut().find(|(k, _)| *k == kv[0]) {
                    Some(p) => p.1 = re,
                    None => pairs.push((kv[0].clone(), re)),
                }
            }
            Ok(HttpMatcher::V2HeadersRegexp { pairs })
        }
        "Query" => {
            let mut parts: Vec<String> = Vec::new();
            for s in &strs {
                match s.split_once('=') {
                    Some((k, v)) => {
                        parts.push(k.to_string());
                        parts.push(v.to_string());
                    }
                    None => parts.push(s.clone()),
                }
            }
            if !parts.len().is_multiple_of(2) {
                return Err(mux_pairs_error(&parts));
            }
            let mut templates: Vec<MuxTemplate> = Vec::new();
            for kv in parts.chunks(2) {
                let t = new_route_regexp(&format!("{}={}", kv[0], kv[1]), TemplateKind::Query)?;
                for q in &templates {
                    if let Some(v) = t.vars.iter().find(|v| q.vars.contains(v)) {
                        return Err(format!("mux: duplicated route variable {}", quote(v)));
                    }
                }
                templates.push(t);
            }
            Ok(HttpMatcher::V2Query { templates })
        }
        other => Err(format!("unsupported function: {other}")),
    }
}

/// What the HTTP matchers look at in a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpRequest {
    /// The request method as sent (case-sensitive, e.g. `GET`).
    pub method: String,
    /// `req.Host`: the `Host` header (HTTP/1.1) or `:authority` (HTTP/2), with port if any.
    pub host: String,
    /// The request-target path as sent on the wire, percent-encoded, without the query.
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// Header fields in arrival order (names in any case; each field line is one value).
    /// A `Host` field here is ignored: Go moves it to `req.Host`.
    pub headers: Vec<(String, String)>,
    /// The connection's remote IP (`req.RemoteAddr` without port).
    pub client_ip: Option<IpAddr>,
}

/// Derived request facts, computed once per evaluation.
pub(crate) struct RequestView<'a> {
    req: &'a HttpRequest,
    canonical_host: String,
    routing_path: Option<String>,
    query: Vec<(String, String)>,
}

impl<'a> RequestView<'a> {
    pub(crate) fn new(req: &'a HttpRequest) -> Self {
        RequestView {
            req,
            canonical_host: canonical_host(&req.host),
            routing_path: routing_path(&req.path),
            query: parse_query(&req.query),
        }
    }

    fn header_values(&self, canonical: &str) -> impl Iterator<Item = &str> {
        self.req
            .headers
            .iter()
            .filter(move |(k, _)| {
                let ck = canonical_header_key(k);
                ck == canonical && ck != "Host"
            })
            .map(|(_, v)| v.as_str())
    }

    fn has_header(&self, canonical: &str) -> bool {
        self.header_values(canonical).next().is_some()
    }

    fn query_values(&self, key: &str) -> impl Iterator<Item = &str> {
        self.query
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `muxer.DomainMatchHostExpression`.
pub(crate) fn domain_match(domain: &str, expr: &str) -> bool {
    if expr.starts_with('*') {
        let mut labels: Vec<&str> = domain.split('.').collect();
        labels[0] = "*";
        return expr.eq_ignore_ascii_case(&labels.join("."));
    }
    domain.eq_ignore_ascii_case(expr)
}

fn host_v3_match(req_host: &str, expr: &str) -> bool {
    if expr == "*" {
        return true;
    }
    if req_host.is_empty() {
        return false;
    }
    if domain_match(req_host, expr) {
        return true;
    }
    if let Some(h) = expr.strip_suffix('.')
        && domain_match(req_host, h)
    {
        return true;
    }
    if let Some(h) = req_host.strip_suffix('.')
        && domain_match(h, expr)
    {
        return true;
    }
    false
}

impl HttpMatcher {
    pub(crate) fn matches(&self, v: &RequestView<'_>) -> bool {
        use HttpMatcher::*;
        match self {
            ClientIp { entries, .. } | V2ClientIp { entries, .. } => v
                .req
                .client_ip
                .is_some_and(|ip| checker_contains(entries, ip)),
            Method { method } => v.req.method == *method,
            Host { host } => host_v3_match(&v.canonical_host, host),
            // With no CNAME flattening Traefik also tests the regexp against "" — a pattern
            // that matches the empty string matches every request.
            HostRegexp { regex } => regex.is_match(&v.canonical_host) || regex.is_match(""),
            Path { path } => v.routing_path.as_deref() == Some(path.as_str()),
            PathPrefix { prefix } => v
                .routing_path
                .as_deref()
                .is_some_and(|p| p.starts_with(prefix.as_str())),
            PathRegexp { regex } => v.routing_path.as_deref().is_some_and(|p| regex.is_match(p)),
            Header { name, value } => v.header_values(name).any(|x| x == value),
            HeaderRegexp { name, regex } => v.header_values(name).any(|x| regex.is_match(x)),
            Query { key, value } => v.query_values(key).any(|x| x == value),
            QueryRegexp { key, regex } => v.query_values(key).any(|x| regex.is_match(x)),
            V2Host { hosts } => {
                let h = &v.canonical_host;
                if h.is_empty() {
                    return false;
                }
                hosts.iter().any(|host| {
                    h == host
                        || host.strip_suffix('.') == Some(h.as_str())
                        || h.strip_suffix('.') == Some(host.as_str())
                })
            }
            V2HostRegexp { templates } => {
                let h = mux_host(&v.req.host);
                templates.iter().any(|t| t.regex.is_match(h))
            }
            V2Path { templates } | V2PathPrefix { templates } => v
                .routing_path
                .as_deref()
                .is_some_and(|p| templates.iter().any(|t| t.regex.is_match(p))),
            V2Method { methods } => methods.contains(&v.req.method),
            V2Headers { pairs } => pairs.iter().all(|(k, val)| {
                let ck = canonical_header_key(k);
                v.has_header(&ck) && v.header_values(&ck).any(|x| x == val)
            }),
            V2HeadersRegexp { pairs } => pairs.iter().all(|(k, re)| {
                let ck = canonical_header_key(k);
                v.has_header(&ck) && v.header_values(&ck).any(|x| re.is_match(x))
            }),
            V2Query { templates } => templates.iter().all(|t| {
                let key = t.template.split_once('=').map_or("", |(k, _)| k);
                let q = match v.query_values(key).next() {
                    Some(val) => format!("{key}={val}"),
                    None => String::new(),
                };
                t.regex.is_match(&q)
            }),
        }
    }
}
