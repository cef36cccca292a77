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

/// Replays a probe output file named by `RULES_DIFF_FILE` (same format as the corpus) and
/// prints every disagreement; used for ad-hoc differential runs on generated rules:
/// `RULES_DIFF_FILE=/tmp/out.json cargo test -p sync-core --lib diff_file -- --ignored`.
#[test]
#[ignore]
fn diff_file() {
    let Ok(path) = std::env::var("RULES_DIFF_FILE") else {
        return;
    };
    let data = std::fs::read_to_string(path).expect("readable diff file");
    let cases: Vec<Value> = serde_json::from_str(&data).expect("JSON");
    let mut bad = 0;
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
            bad += 1;
            println!(
                "DIFF {} {:?}\n  want {want:?} {want_priority}\n  got  {errors:?} {priority}",
                case["kind"],
                case["rule"].as_str().unwrap_or("")
            );
        }
    }
    println!("{bad} of {} differ", cases.len());
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
