//! The only place where validation touches the rule language ([`crate::rules`]).
//!
//! It adapts the rule engine's results to the shapes the runtime builders need
//! (error texts exactly as Traefik attaches them to routers).

use crate::rules::{self, RuleSyntax};

/// Traefik's `maxUserPriority` (`math.MaxInt - 1000` on 64-bit).
pub const MAX_USER_PRIORITY: i64 = rules::MAX_USER_PRIORITY;

/// The error an HTTP router gets from `muxer.AddRoute` for this rule, if any.
/// `syntax` is the router's effective `ruleSyntax` (`v2`, `v3`, or empty = v3).
pub fn http_rule_error(rule: &str, syntax: &str) -> Option<String> {
    rules::parse_http_rule(rule, RuleSyntax::from_router_field(syntax))
        .err()
        .map(|e| e.to_string())
}

/// The error a TCP router gets from `muxer.AddRoute` for this rule, if any.
pub fn tcp_rule_error(rule: &str, syntax: &str) -> Option<String> {
    rules::parse_tcp_rule(rule, RuleSyntax::from_router_field(syntax))
        .err()
        .map(|e| e.to_string())
}

/// Default priority of an HTTP router (`GetRulePriority`): the rule's byte length.
pub fn http_priority(rule: &str) -> i64 {
    rules::http_default_priority(rule)
}

/// Default priority of a TCP router: byte length, -1 for ``HostSNI(`*`)`` alone.
pub fn tcp_priority(rule: &str) -> i64 {
    rules::tcp_default_priority(rule)
}

/// `httpmuxer.ParseDomains`: the lower-cased `Host` values of a rule, or the
/// error text (`error while parsing rule <rule>: <parser error>`).
pub fn http_domains(rule: &str) -> Result<Vec<String>, String> {
    rules::http_tls_domains(rule).map_err(|e| {
        let prefix = format!("invalid rule {rule}, error: ");
        e.strip_prefix(&prefix).map(str::to_string).unwrap_or(e)
    })
}

/// `tcpmuxer.ParseHostSNI`: the `HostSNI` values of a rule, or the parser error.
pub fn tcp_host_sni(rule: &str) -> Result<Vec<String>, String> {
    rules::tcp_parse_stage(rule).map_err(|e| e.detail)
}

/// Whether Go's `regexp.Compile` rejects `re`, and with which text
/// (`error parsing regexp: <code>: `<expr>``).
pub fn go_regexp_error(re: &str) -> Option<String> {
    rules::GoRegex::compile(re).err().map(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_regexp_texts() {
        assert_eq!(
            go_regexp_error("(").as_deref(),
            Some("error parsing regexp: missing closing ): `(`")
        );
        assert!(go_regexp_error("^/api/(.*)").is_none());
    }
}
