//! The Traefik rule language (v3, and v2 through `ruleSyntax`), reproduced sans-IO.
//!
//! Traefik parses a router's `rule` with vulcand/predicate, which runs Go's
//! `go/parser.ParseExpr` over the text and walks the AST ([`predicate`]); each matcher call
//! is then *built* (arity and value checks, regexp compilation) by the HTTP or TCP muxer.
//! This module reproduces each stage, including the exact error texts Traefik puts in a
//! router's `error` list (see [`RuleError`]), the default priority, and the matching
//! semantics of every matcher.
//!
//! ```
//! use sync_core::rules::{HttpRequest, RuleSyntax, parse_http_rule};
//! let rule = parse_http_rule("Host(`example.com`) && PathPrefix(`/api`)", RuleSyntax::V3).unwrap();
//! let req = HttpRequest { method: "GET".into(), host: "Example.com:443".into(),
//!                         path: "/api/x".into(), ..Default::default() };
//! assert!(rule.matches(&req));
//! let err = parse_http_rule("Host(`a`", RuleSyntax::V3).unwrap_err();
//! assert_eq!(err.to_string(),
//!     "error while parsing rule Host(`a`: parsing rule Host(`a`: 1:9: missing ',' before newline in argument list");
//! ```
//!
//! Router-level order of checks (what the validator must reproduce around these functions):
//! * HTTP (`pkg/server/router/router.go`): priority (0 → [`http_default_priority`]) →
//!   [`priority_error`] → handler build (service, middlewares, TLS options) → rule
//!   ([`parse_http_rule`]). HTTPS routers are additionally parsed by the TLS manager
//!   ([`http_tls_domains`]).
//! * TCP (`pkg/server/router/tcp/manager.go`): priority (0 → [`tcp_default_priority`]) →
//!   `the service is missing on the router` → [`tcp_router_rule_errors`] stage 1 (no rule,
//!   invalid rule, HostSNI without TLS) → [`priority_error`] → service build → rule build.

pub mod expr;
pub mod go;
pub mod go_regex;
pub mod http;
pub mod mux_template;
pub mod net;
pub mod predicate;
pub mod print;
pub mod tcp;

pub use expr::Expr;
pub use go_regex::{GoRegex, GoRegexError};
pub use http::{HTTP_V2_MATCHERS, HTTP_V3_MATCHERS, HttpMatcher, HttpRequest};
pub use tcp::{TCP_MATCHERS, TcpConnection, TcpMatcher};

use go::quote::quote;
use predicate::Parsed;
use std::fmt;

/// Which rule syntax a router uses (`ruleSyntax`, IngressRoute `syntax`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RuleSyntax {
    /// Traefik v2 matchers (gorilla/mux templates, variadic matchers).
    V2,
    /// Traefik v3 matchers (the default).
    #[default]
    V3,
}

impl RuleSyntax {
    /// Traefik's lookup of a router's `ruleSyntax` value: exactly `v2` selects v2; anything
    /// else (`""`, `default`, `v3`, `V2`, typos) silently means v3.
    pub fn from_router_field(value: &str) -> Self {
        if value == "v2" {
            RuleSyntax::V2
        } else {
            RuleSyntax::V3
        }
    }
}

/// Which check rejected a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleErrorKind {
    /// Go syntax error or predicate error (unknown matcher, non-string argument, ...).
    Parse,
    /// The rule is a valid expression but not a matcher expression (`"abc"`, `42`).
    NotARule,
    /// A matcher rejected its arguments (count, value, regexp).
    Matcher,
    /// TCP router without a rule.
    NoRule,
    /// TCP router with a `HostSNI` other than `*` and no TLS.
    HostSniWithoutTls,
    /// TCP TLS router with a non-ASCII `HostSNI` domain.
    NonAsciiDomain,
}

/// A rejected rule. `Display` is exactly the text Traefik shows in the router's `error`
/// list in its API (`/api/http/routers`, `/api/tcp/routers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// Which check failed.
    pub kind: RuleErrorKind,
    /// The inner error (what predicate, Go's parser or the matcher said).
    pub detail: String,
    message: String,
}

impl RuleError {
    fn new(kind: RuleErrorKind, detail: String, message: String) -> Self {
        RuleError {
            kind,
            detail,
            message,
        }
    }

    /// The router-level text (same as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

/// A parsed HTTP rule.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRule {
    rule: String,
    syntax: RuleSyntax,
    expr: Expr<HttpMatcher>,
}

impl HttpRule {
    /// The rule text.
    pub fn rule(&self) -> &str {
        &self.rule
    }
    /// The syntax it was parsed with.
    pub fn syntax(&self) -> RuleSyntax {
        self.syntax
    }
    /// The matcher expression (for overlap analysis and witness generation).
    pub fn expr(&self) -> &Expr<HttpMatcher> {
        &self.expr
    }
    /// The rule printed back in v3 syntax (`None` if it uses v2-only matchers).
    pub fn to_v3_text(&self) -> Option<String> {
        print::print_expr(&self.expr, &|m: &HttpMatcher| m.to_rule_text())
    }
    /// Whether Traefik's HTTP muxer would route `req` to this rule.
    pub fn matches(&self, req: &HttpRequest) -> bool {
        let view = http::RequestView::new(req);
        self.expr.eval(&mut |m| m.matches(&view))
    }
}

/// A parsed TCP rule.
#[derive(Clone, Debug, PartialEq)]
pub struct TcpRule {
    rule: String,
    syntax: RuleSyntax,
    expr: Expr<TcpMatcher>,
    domains: Vec<String>,
}

impl TcpRule {
    /// The rule text.
    pub fn rule(&self) -> &str {
        &self.rule
    }
    /// The syntax it was parsed with.
    pub fn syntax(&self) -> RuleSyntax {
        self.syntax
    }
    /// The matcher expression.
    pub fn expr(&self) -> &Expr<TcpMatcher> {
        &self.expr
    }
    /// `HostSNI` values, lower-cased, left to right, negated ones left out (`ParseHostSNI`).
    pub fn host_sni_domains(&self) -> &[String] {
        &self.domains
    }
    /// Traefik's `catchAll`: the rule is exactly one `HostSNI(`*`)` (any spelling; a `!` in
    /// front does not change this, as in Traefik).
    pub fn is_catch_all(&self) -> bool {
        tcp_default_priority(&self.rule) == -1
    }
    /// The rule printed back in v3 syntax (`None` if it uses v2-only matchers).
    pub fn to_v3_text(&self) -> Option<String> {
        print::print_expr(&self.expr, &|m: &TcpMatcher| m.to_rule_text())
    }
    /// Whether Traefik's TCP muxer would route `conn` to this rule.
    pub fn matches(&self, conn: &TcpConnection) -> bool {
        let server_name = conn.sni.trim().to_lowercase();
        self.expr.eval(&mut |m| m.matches(conn, &server_name))
    }
}

fn matcher_list(syntax: RuleSyntax) -> &'static [&'static str] {
    match syntax {
        RuleSyntax::V2 => HTTP_V2_MATCHERS,
        RuleSyntax::V3 => HTTP_V3_MATCHERS,
    }
}

/// Parses and builds an HTTP rule exactly as `Muxer.AddRoute` does.
///
/// Errors: `error while parsing rule R: parsing rule R: <parse error>`,
/// `error while parsing rule R: obtaining build tree`,
/// `error while parsing rule R: adding rule R: <matcher error>`.
pub fn parse_http_rule(rule: &str, syntax: RuleSyntax) -> Result<HttpRule, RuleError> {
    let tree = match predicate::parse(rule, matcher_list(syntax)) {
        Err(e) => {
            let msg = format!("error while parsing rule {rule}: parsing rule {rule}: {e}");
            return Err(RuleError::new(RuleErrorKind::Parse, e, msg));
        }
        Ok(Parsed::NotATree) => {
            return Err(RuleError::new(
                RuleErrorKind::NotARule,
                "obtaining build tree".into(),
                format!("error while parsing rule {rule}: obtaining build tree"),
            ));
        }
        Ok(Parsed::Tree(t)) => t,
    };
    let built = match syntax {
        RuleSyntax::V3 => expr::build(&tree, true, &mut http::build_v3),
        RuleSyntax::V2 => expr::build(&tree, true, &mut http::build_v2),
    };
    match built {
        Ok(expr) => Ok(HttpRule {
            rule: rule.to_string(),
            syntax,
            expr,
        }),
        Err(e) => {
            let msg = format!("error while parsing rule {rule}: adding rule {rule}: {e}");
            Err(RuleError::new(RuleErrorKind::Matcher, e, msg))
        }
    }
}

/// The TLS manager's `ParseDomains` for HTTPS routers (parsed with the union of v2 and v3
/// matcher names, no build checks): the lower-cased `Host` values, or the error Traefik adds
/// to the router (`invalid rule R, error: error while parsing rule R: <parse error>`).
pub fn http_tls_domains(rule: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<&'static str> = HTTP_V3_MATCHERS.to_vec();
    names.extend(
        HTTP_V2_MATCHERS
            .iter()
            .filter(|n| !HTTP_V3_MATCHERS.contains(n)),
    );
    match predicate::parse(rule, &names) {
        Err(e) => Err(format!(
            "invalid rule {rule}, error: error while parsing rule {rule}: {e}"
        )),
        Ok(Parsed::NotATree) => Err(format!(
            "invalid rule {rule}, error: error while parsing rule {rule}"
        )),
        Ok(Parsed::Tree(t)) => Ok(leaf_values(&t, "Host")),
    }
}

fn leaf_values(t: &predicate::Tree, matcher_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![t.root];
    while let Some(i) = stack.pop() {
        match &t.nodes[i] {
            predicate::TNode::And(l, r) | predicate::TNode::Or(l, r) => {
                stack.push(*r);
                stack.push(*l);
            }
            predicate::TNode::Leaf {
                matcher,
                values,
                not,
            } => {
                // Traefik 3.7.15 ignores negated matchers here (observed: a plain-TCP router
                // with `!HostSNI(`a`)` is enabled, `!!HostSNI(`a`)` is not).
                if *matcher == matcher_name && !*not {
                    out.extend(values.iter().map(|v| expr::text(v).to_lowercase()));
                }
            }
        }
    }
    out
}

/// Parses and builds a TCP rule as the TCP router manager does, without the router's TLS
/// context: `router has no rule` for an empty rule, then `ParseHostSNI`
/// (`invalid rule: "R" , <error>`), then `AddRoute` (`error while adding rule R: <error>`).
/// Use [`tcp_router_rule_errors`] for the TLS-dependent checks.
pub fn parse_tcp_rule(rule: &str, syntax: RuleSyntax) -> Result<TcpRule, RuleError> {
    let domains = tcp_parse_stage(rule)?;
    tcp_build_stage(rule, syntax, domains)
}

/// `tcpmuxer.ParseHostSNI` as the TCP router manager calls it first: `router has no rule`,
/// a parse error (`invalid rule: "R" , <error>`; the inner error is in `detail`), or the
/// lower-cased `HostSNI` values left to right.
pub fn tcp_parse_stage(rule: &str) -> Result<Vec<String>, RuleError> {
    if rule.is_empty() {
        return Err(RuleError::new(
            RuleErrorKind::NoRule,
            "router has no rule".into(),
            "router has no rule".into(),
        ));
    }
    match predicate::parse(rule, TCP_MATCHERS) {
        Err(e) => {
            let msg = format!("invalid rule: {} , {e}", quote(rule));
            Err(RuleError::new(RuleErrorKind::Parse, e, msg))
        }
        Ok(Parsed::NotATree) => {
            let inner = format!("error while parsing rule {rule}");
            let msg = format!("invalid rule: {} , {inner}", quote(rule));
            Err(RuleError::new(RuleErrorKind::NotARule, inner, msg))
        }
        Ok(Parsed::Tree(t)) => Ok(leaf_values(&t, "HostSNI")),
    }
}

fn tcp_build_stage(
    rule: &str,
    syntax: RuleSyntax,
    domains: Vec<String>,
) -> Result<TcpRule, RuleError> {
    let tree = match predicate::parse(rule, TCP_MATCHERS) {
        Ok(Parsed::Tree(t)) => t,
        Ok(Parsed::NotATree) => {
            let inner = format!("error while parsing rule {rule}");
            return Err(RuleError::new(
                RuleErrorKind::NotARule,
                inner.clone(),
                inner,
            ));
        }
        Err(e) => {
            let msg = format!("error while parsing rule {rule}: {e}");
            return Err(RuleError::new(RuleErrorKind::Parse, e, msg));
        }
    };
    let built = match syntax {
        RuleSyntax::V3 => expr::build(&tree, false, &mut tcp::build_v3),
        RuleSyntax::V2 => expr::build(&tree, false, &mut tcp::build_v2),
    };
    match built {
        Ok(expr) => Ok(TcpRule {
            rule: rule.to_string(),
            syntax,
            expr,
            domains,
        }),
        Err(e) => {
            let msg = format!("error while adding rule {rule}: {e}");
            Err(RuleError::new(RuleErrorKind::Matcher, e, msg))
        }
    }
}

/// TLS settings of a TCP router that matter for rule checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpRouterTls {
    /// `tls.passthrough`.
    pub passthrough: bool,
}

/// The rule-related errors Traefik's TCP router manager attaches to a router, in its order:
/// `router has no rule`; `invalid rule: "R" , <parse error>`;
/// `invalid rule: "R" , has HostSNI matcher, but no TLS on router` (first `HostSNI` value
/// not `*` and no TLS); for TLS routers without passthrough one
/// `invalid domain name value "d", non-ASCII characters are not allowed` per such domain;
/// then the build error `error while adding rule R: ...`. The first three stop processing
/// (a single error); the priority check ([`priority_error`]) and service/TLS-option errors
/// sit between stage three and the rest in Traefik (see the module docs).
pub fn tcp_router_rule_errors(
    rule: &str,
    syntax: RuleSyntax,
    tls: Option<TcpRouterTls>,
) -> Vec<RuleError> {
    let domains = match tcp_parse_stage(rule) {
        Ok(d) => d,
        Err(e) => return vec![e],
    };
    if tls.is_none() && domains.first().is_some_and(|d| d != "*") {
        let msg = format!(
            "invalid rule: {} , has HostSNI matcher, but no TLS on router",
            quote(rule)
        );
        return vec![RuleError::new(
            RuleErrorKind::HostSniWithoutTls,
            "has HostSNI matcher, but no TLS on router".into(),
            msg,
        )];
    }
    let mut errors = Vec::new();
    if let Some(t) = tls
        && !t.passthrough
    {
        for d in &domains {
            if !d.is_ascii() {
                let msg = format!(
                    "invalid domain name value {}, non-ASCII characters are not allowed",
                    quote(d)
                );
                errors.push(RuleError::new(
                    RuleErrorKind::NonAsciiDomain,
                    msg.clone(),
                    msg,
                ));
            }
        }
    }
    if let Err(e) = tcp_build_stage(rule, syntax, domains) {
        errors.push(e);
    }
    errors
}

/// Go's `math.MaxInt - 1000` on 64-bit: the highest priority a user router may have.
pub const MAX_USER_PRIORITY: i64 = i64::MAX - 1000;

/// HTTP default priority (`priority: 0`): the rule's length in bytes.
pub fn http_default_priority(rule: &str) -> i64 {
    rule.len() as i64
}

/// TCP default priority: -1 when the rule is exactly one `HostSNI` matcher (any accepted
/// spelling, even negated) whose single value is `*`; otherwise the length in bytes.
pub fn tcp_default_priority(rule: &str) -> i64 {
    if let Ok(Parsed::Tree(t)) = predicate::parse(rule, &["HostSNI"])
        && let predicate::TNode::Leaf {
            matcher, values, ..
        } = &t.nodes[t.root]
        && values.len() == 1
        && values[0] == b"*"
        && matcher.eq_ignore_ascii_case("HostSNI")
    {
        return -1;
    }
    rule.len() as i64
}

/// The priority Traefik uses: the configured one, or the default when it is 0.
pub fn effective_priority(configured: i64, default: i64) -> i64 {
    if configured == 0 { default } else { configured }
}

/// `the router priority N exceeds the max user-defined priority M` for a priority above
/// [`MAX_USER_PRIORITY`] on a router whose name does not end in `@internal`.
pub fn priority_error(priority: i64, router_name: &str) -> Option<String> {
    if priority > MAX_USER_PRIORITY && !router_name.ends_with("@internal") {
        Some(format!(
            "the router priority {priority} exceeds the max user-defined priority {MAX_USER_PRIORITY}"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
