//! Differential corpus: `testdata/traefik_rules.json` holds rules together with the status,
//! error texts and priority that real Traefik 3.7.15 reported for them in its API
//! (`/api/http/routers`, `/api/tcp/routers`). The file was produced by
//! `testdata/probe_traefik.py` from `testdata/cases.py` against the real binary; every
//! expectation in it was observed, none was written by hand.

use super::*;
use serde_json::Value;

const CORPUS: &str = include_str!("testdata/traefik_rules.json");

fn our_errors(case: &Value) -> (Vec<String>, i64) {
    let rule = case["rule"].as_str().unwrap_or_default();
    let syntax = RuleSyntax::from_router_field(case["syntax"].as_str().unwrap_or_default());
    let tls = case["tls"].as_bool().unwrap_or(false);
    let configured = case["priority"].as_i64().unwrap_or(0);
    let mut errors = Vec::new();
    if case["kind"] == "http" {
        let priority = effective_priority(configured, http_default_priority(rule));
        if let Some(e) = priority_error(priority, "r@file") {
            return (vec![e], priority);
        }
        if let Err(e) = parse_http_rule(rule, syntax) {
            errors.push(e.to_string());
        }
        if tls && let Err(e) = http_tls_domains(rule) {
            errors.push(e);
        }
        (errors, priority)
    } else {
        let priority = effective_priority(configured, tcp_default_priority(rule));
        let tls = tls.then_some(TcpRouterTls { passthrough: false });
        let errs = tcp_router_rule_errors(rule, syntax, tls);
        // Stage-1 errors (no rule, invalid rule, HostSNI without TLS) come before the
        // priority check; everything else after it.
        let stage1 = errs.first().is_some_and(|e| {
            matches!(
                e.kind,
                RuleErrorKind::NoRule | RuleErrorKind::HostSniWithoutTls
            ) || e.message().starts_with("invalid rule: ")
        });
        if stage1 {
            return (vec![errs[0].to_string()], priority);
        }
        if let Some(e) = priority_error(priority, "t@file") {
            return (vec![e], priority);
        }
        (errs.into_iter().map(|e| e.to_string()).collect(), priority)
    }
}

#[test]
fn corpus_matches_real_traefik() {
    let cases: Vec<Value> = serde_json::from_str(CORPUS).expect("corpus is JSON");
    assert!(cases.len() >= 150);
    let mut failures = Vec::new();
    for case in &cases {
        let (errors, priority) = our_errors(case);
        let want: Vec<String> = case["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        let want_priority = case["computed_priority"].as_i64().unwrap_or(0);
        if errors != want || priority != want_priority {
            failures.push(format!(
                "{} {:?} (syntax {:?}, tls {:?})\n   want {want:?} prio {want_priority}\n   got  {errors:?} prio {priority}",
                case["kind"], case["rule"].as_str().unwrap_or(""), case["syntax"], case["tls"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Traefik:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `testdata/traefik_matching.json`: rules × requests and which of them real Traefik 3.7.15
/// routed (each rule alone on its own entrypoint, HTTP 418 from `noop@internal` = matched),
/// produced by `testdata/probe_matching.py` from `testdata/matching_cases.py`.
#[test]
fn matching_agrees_with_real_traefik() {
    let data: Value = serde_json::from_str(include_str!("testdata/traefik_matching.json"))
        .expect("matching corpus is JSON");
    let requests: Vec<HttpRequest> = data["requests"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|q| HttpRequest {
                    method: q["method"].as_str().unwrap_or("").into(),
                    host: q["host"].as_str().unwrap_or("").into(),
                    path: q["path"].as_str().unwrap_or("").into(),
                    query: q["query"].as_str().unwrap_or("").into(),
                    headers: q["headers"]
                        .as_array()
                        .map(|h| {
                            h.iter()
                                .map(|kv| {
                                    (
                                        kv[0].as_str().unwrap_or("").into(),
                                        kv[1].as_str().unwrap_or("").into(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    client_ip: "127.0.0.1".parse().ok(),
                })
                .collect()
        })
        .unwrap_or_default();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (i, r) in data["rules"].as_array().into_iter().flatten().enumerate() {
        let text = r["rule"].as_str().unwrap_or("");
        let syntax = RuleSyntax::from_router_field(r["syntax"].as_str().unwrap_or(""));
        let rule = parse_http_rule(text, syntax).ok();
        for (j, req) in requests.iter().enumerate() {
            let want = data["matches"][i][j].as_bool().unwrap_or(false);
            checked += 1;
            // A rejected rule is a disabled router: it matches nothing.
            if rule.as_ref().is_some_and(|r| r.matches(req)) != want {
                failures.push(format!(
                    "{text} ({syntax:?}) on {req:?}: Traefik says {want}"
                ));
            }
        }
    }
    assert!(checked >= 1000);
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

mod props {
    use super::super::*;
    use proptest::prelude::*;

    fn leaf() -> impl Strategy<Value = String> {
        let host = "[a-zA-Z0-9]{1,8}(\\.[a-z]{1,5}){0,2}";
        let path = "/[a-z0-9/_.-]{0,10}";
        prop_oneof![
            host.prop_map(|h| format!("Host(`{h}`)")),
            host.prop_map(|h| format!("host(`*.{h}`)")),
            path.prop_map(|p| format!("Path(`{p}`)")),
            path.prop_map(|p| format!("PathPrefix(\"{p}\")")),
            "[a-z]{1,5}".prop_map(|m| format!("Method(`{m}`)")),
            ("[a-zA-Z-]{1,8}", "[a-z ]{1,6}").prop_map(|(k, v)| format!("Header(`{k}`, `{v}`)")),
            ("[a-z]{1,4}", "[a-z]{0,4}").prop_map(|(k, v)| if v.is_empty() {
                format!("Query(`{k}`)")
            } else {
                format!("QUERY(`{k}`, `{v}`)")
            }),
            "[a-z.^$*+?]{1,8}".prop_map(|r| format!("PathRegexp(`{r}`)")),
            (0u8..=255, 0u8..=32).prop_map(|(a, m)| format!("ClientIP(`10.{a}.0.0/{m}`)")),
        ]
    }

    fn rule() -> impl Strategy<Value = String> {
        leaf().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} || {b}")),
                inner.clone().prop_map(|a| format!("!({a})")),
                inner.prop_map(|a| format!("( {a} )")),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// No input makes any entry point panic.
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse_http_rule(&s, RuleSyntax::V3);
            let _ = parse_http_rule(&s, RuleSyntax::V2);
            let _ = parse_tcp_rule(&s, RuleSyntax::V3);
            let _ = tcp_router_rule_errors(&s, RuleSyntax::V2, None);
            let _ = http_tls_domains(&s);
            let _ = tcp_default_priority(&s);
            let _ = GoRegex::compile(&s);
        }

        /// Go-ish token soup (the characters the rule language cares about) never panics.
        #[test]
        fn token_soup_never_panics(s in "[HostPath()`\"'!&|,\\\\ \\n/*{}\\[\\]0-9a-z.:;=+-]{0,60}") {
            let _ = parse_http_rule(&s, RuleSyntax::V3);
            let _ = parse_tcp_rule(&s, RuleSyntax::V3);
            let _ = GoRegex::compile(&s);
        }

        /// Printing a parsed rule and parsing it again gives the same expression.
        #[test]
        fn print_reparse_stable(r in rule()) {
            if let Ok(parsed) = parse_http_rule(&r, RuleSyntax::V3) {
                let text = parsed.to_v3_text().expect("v3 matchers print");
                let again = parse_http_rule(&text, RuleSyntax::V3).expect("printed rule parses");
                prop_assert_eq!(parsed.expr(), again.expr(), "printed: {}", text);
            }
        }

        /// A quoted literal matches exactly the texts containing it (Go QuoteMeta semantics).
        #[test]
        fn quoted_literal_regex(lit in "[ -~]{1,8}", hay in "[ -~]{0,16}") {
            let re = GoRegex::compile(&mux_template::quote_meta(&lit)).expect("quoted literal compiles");
            prop_assert_eq!(re.is_match(&hay), hay.contains(&lit));
            if !lit.contains("\\E") {
                let q = GoRegex::compile(&format!("\\Q{lit}\\E")).expect("\\Q..\\E compiles");
                prop_assert_eq!(q.is_match(&hay), hay.contains(&lit));
            }
        }

        /// ASCII Perl classes behave as Go defines them, on any input.
        #[test]
        fn perl_classes_are_ascii(c in any::<char>()) {
            let s = c.to_string();
            prop_assert_eq!(GoRegex::compile(r"^\d$").unwrap().is_match(&s), c.is_ascii_digit());
            prop_assert_eq!(GoRegex::compile(r"^\w$").unwrap().is_match(&s), c.is_ascii_alphanumeric() || c == '_');
            prop_assert_eq!(GoRegex::compile(r"^\s$").unwrap().is_match(&s), matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' '));
            prop_assert_eq!(GoRegex::compile(r"^[[:alpha:]]$").unwrap().is_match(&s), c.is_ascii_alphabetic());
            // Inside a class, `[`, `&&` and `~~` are literal in Go (and `&--` is the range
            // `&`..`-`, not a set difference).
            prop_assert_eq!(GoRegex::compile(r"^[a[&&~~\-]$").unwrap().is_match(&s), "a[&~-".contains(c));
            prop_assert_eq!(GoRegex::compile(r"^[&--]$").unwrap().is_match(&s), ('&'..='-').contains(&c));
            prop_assert_eq!(GoRegex::compile(r"(?i)^k$").unwrap().is_match(&s), matches!(c, 'k' | 'K' | '\u{212A}'));
        }

        /// Host matching: case-insensitive, port ignored, trailing dots on either side.
        #[test]
        fn host_semantics(h in "[a-z]{1,6}(\\.[a-z]{1,4}){0,2}", req in "[a-zA-Z]{1,6}(\\.[a-zA-Z]{1,4}){0,2}\\.?(:[0-9]{1,4})?") {
            let rule = parse_http_rule(&format!("Host(`{h}`)"), RuleSyntax::V3).unwrap();
            let r = HttpRequest { host: req.clone(), path: "/".into(), ..Default::default() };
            let bare = req.split(':').next().unwrap_or("").to_ascii_lowercase();
            let bare = bare.strip_suffix('.').unwrap_or(&bare).to_string();
            prop_assert_eq!(rule.matches(&r), bare == h);
            let wild = parse_http_rule(&format!("Host(`*.{h}`)"), RuleSyntax::V3).unwrap();
            let one_label = bare.split_once('.').is_some_and(|(_, rest)| rest == h);
            prop_assert_eq!(wild.matches(&r), one_label);
        }
    }
}
