//! Printing a parsed rule back as rule text (v3 syntax), e.g. for reports and witnesses.
//! Re-parsing the printed text yields the same expression (property-tested).

use super::expr::Expr;
use super::go::quote::quote;
use super::http::HttpMatcher;
use super::tcp::TcpMatcher;

fn lit(v: &str) -> String {
    if v.contains('`') || v.contains('\r') {
        quote(v)
    } else {
        format!("`{v}`")
    }
}

fn call(name: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| lit(a)).collect();
    format!("{name}({})", args.join(", "))
}

impl HttpMatcher {
    /// The matcher as v3 rule text (`None` for v2-only matchers).
    pub fn to_rule_text(&self) -> Option<String> {
        use HttpMatcher::*;
        Some(match self {
            ClientIp { source, .. } => call("ClientIP", &[source]),
            Method { method } => call("Method", &[method]),
            Host { host } => call("Host", &[host]),
            HostRegexp { regex } => call("HostRegexp", &[regex.as_str()]),
            Path { path } => call("Path", &[path]),
            PathPrefix { prefix } => call("PathPrefix", &[prefix]),
            PathRegexp { regex } => call("PathRegexp", &[regex.as_str()]),
            Header { name, value } => call("Header", &[name, value]),
            HeaderRegexp { name, regex } => call("HeaderRegexp", &[name, regex.as_str()]),
            Query { key, value } if value.is_empty() => call("Query", &[key]),
            Query { key, value } => call("Query", &[key, value]),
            QueryRegexp { key, regex } => call("QueryRegexp", &[key, regex.as_str()]),
            _ => return None,
        })
    }
}

impl TcpMatcher {
    /// The matcher as v3 rule text (`None` for v2-only matchers).
    pub fn to_rule_text(&self) -> Option<String> {
        Some(match self {
            TcpMatcher::Alpn { protocol } => call("ALPN", &[protocol]),
            TcpMatcher::ClientIp { source, .. } => call("ClientIP", &[source]),
            TcpMatcher::HostSni { host } => call("HostSNI", &[host]),
            TcpMatcher::HostSniRegexp { regex } => call("HostSNIRegexp", &[regex.as_str()]),
            _ => return None,
        })
    }
}

/// Prints an expression with `leaf` printing each matcher (`None` aborts).
pub fn print_expr<M>(e: &Expr<M>, leaf: &dyn Fn(&M) -> Option<String>) -> Option<String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match e {
        Expr::Matcher { matcher, negated } => {
            let t = leaf(matcher)?;
            Some(if *negated { format!("!{t}") } else { t })
        }
        Expr::And(v) | Expr::Or(v) => {
            let is_and = matches!(e, Expr::And(_));
            let mut parts = Vec::with_capacity(v.len());
            for c in v {
                let t = print_expr(c, leaf)?;
                let nested = matches!(c, Expr::And(_) | Expr::Or(_));
                parts.push(if nested { format!("({t})") } else { t });
            }
            Some(parts.join(if is_and { " && " } else { " || " }))
        }
    })
}
