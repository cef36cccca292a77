//! Fuzz target for the rule language: every entry point must return (never panic, never
//! overflow the stack) on arbitrary input, and matching a parsed rule must not panic.
//!
//! Run: `cargo fuzz run rule_parser -s none -- -max_total_time=600` (stable toolchain).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::rules::{
    GoRegex, HttpRequest, RuleSyntax, TcpConnection, TcpRouterTls, http_tls_domains,
    parse_http_rule, parse_tcp_rule, tcp_default_priority, tcp_router_rule_errors,
};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for syntax in [RuleSyntax::V3, RuleSyntax::V2] {
        if let Ok(rule) = parse_http_rule(s, syntax) {
            let req = HttpRequest {
                method: "GET".into(),
                host: "a.example.com:8080".into(),
                path: "/api/x%20y".into(),
                query: "q=1&r".into(),
                headers: vec![("x-foo".into(), "bar".into())],
                client_ip: "10.0.0.1".parse().ok(),
            };
            let _ = rule.matches(&req);
            let _ = rule.expr().matchers();
        }
        if let Ok(rule) = parse_tcp_rule(s, syntax) {
            let conn = TcpConnection {
                sni: "a.example.com".into(),
                alpn: vec!["h2".into()],
                client_ip: "10.0.0.1".parse().ok(),
                tls: true,
            };
            let _ = rule.matches(&conn);
        }
        let _ = tcp_router_rule_errors(s, syntax, Some(TcpRouterTls { passthrough: false }));
    }
    let _ = http_tls_domains(s);
    let _ = tcp_default_priority(s);
    if let Ok(re) = GoRegex::compile(s)
        && s.len() < 64
    {
        let _ = re.is_match("a.example.com/api");
    }
});
