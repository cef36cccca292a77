//! Routing tests. Scenarios marked "Traefik 3.7.15" were run against the real binary
//! (file provider, one `customResponseHeaders` middleware per router naming it, requests
//! with curl on 127.0.0.1); the same scenarios live in `tests/corpus/routing/` for replay.

use super::overlap::{Kind, analyze};
use super::witness::{self, Solved};
use super::*;
use crate::decode::file_provider::{SourceFile, decode_provider};
use crate::rules::{HttpRequest, RuleSyntax, TcpConnection, parse_http_rule};
use proptest::prelude::*;

const STATIC: &str =
    "entryPoints:\n  web:\n    address: ':80'\n  websecure:\n    address: ':443'\n";

fn provider(name: &str, yaml: &str) -> ProviderConfig {
    let mut p = decode_provider(&[SourceFile {
        path: format!("{name}.yml"),
        content: yaml.as_bytes().to_vec(),
    }]);
    assert!(!p.is_rejected(), "{:?}", p.status);
    p.name = name.to_string();
    p
}

fn table_of(static_yaml: &str, providers: &[ProviderConfig]) -> RoutingTable {
    let s = StaticConfig::parse("static.yml", static_yaml).unwrap();
    let report = crate::validate::validate(Some(&s), providers);
    RoutingTable::build(Some(&s), providers, &report)
}

/// HTTP routers `name: rule [priority]` on `web`, all pointing at `noop@internal`.
fn http_yaml(routers: &[(&str, &str, i64)]) -> String {
    let mut y = String::from("http:\n  routers:\n");
    for (name, rule, prio) in routers {
        y.push_str(&format!(
            "    {name}:\n      rule: '{}'\n      service: noop@internal\n      entryPoints: [web]\n",
            rule.replace('\'', "''")
        ));
        if *prio != 0 {
            y.push_str(&format!("      priority: {prio}\n"));
        }
    }
    y
}

fn get(host: &str, path: &str) -> HttpRequest {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    HttpRequest {
        method: "GET".into(),
        host: host.into(),
        path: path.into(),
        query: query.into(),
        headers: vec![],
        client_ip: Some("127.0.0.1".parse().unwrap()),
    }
}

fn winner(t: &RoutingTable, ep: &str, req: &HttpRequest, tls: bool) -> Option<String> {
    route_http(t, ep, req, tls).unwrap().router
}

// Traefik 3.7.15 (corpus `priority-length`): /api/users → r-long, /api → r-mid, / → r-host.
#[test]
fn rule_length_orders_routes() {
    let p = provider(
        "file",
        &http_yaml(&[
            ("r-host", "Host(`a.test`)", 0),
            ("r-mid", "Host(`a.test`) && PathPrefix(`/api`)", 0),
            ("r-long", "Host(`a.test`) && PathPrefix(`/api/users`)", 0),
        ]),
    );
    let t = table_of(STATIC, &[p]);
    let web = t.entry_point("web").unwrap();
    let names: Vec<&str> = web.http.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["r-long@file", "r-mid@file", "r-host@file"]);
    assert_eq!(
        winner(&t, "web", &get("a.test", "/api/users/1"), false).as_deref(),
        Some("r-long@file")
    );
    assert_eq!(
        winner(&t, "web", &get("A.TEST:80", "/api"), false).as_deref(),
        Some("r-mid@file")
    );
    assert_eq!(
        winner(&t, "web", &get("a.test", "/"), false).as_deref(),
        Some("r-host@file")
    );
    let d = route_http(&t, "web", &get("b.test", "/"), false).unwrap();
    assert_eq!(d.router, None);
    assert_eq!(d.status, Some(404));
    let d = route_http(&t, "web", &get("a.test", "/api/users"), false).unwrap();
    assert_eq!(d.candidates.len(), 3);
    assert!(
        matches!(&d.candidates[1].outcome, Outcome::Lost { reason, .. } if reason.contains("lower priority"))
    );
}

// Traefik 3.7.15 (corpus `explicit-negative-priority`): explicit priorities beat length;
// a negative priority goes after every default one.
#[test]
fn explicit_and_negative_priorities() {
    let p = provider(
        "file",
        &http_yaml(&[
            ("catch", "PathPrefix(`/`)", -5),
            ("short", "Path(`/x`)", 500),
            ("long", "Host(`a.test`) && Path(`/x`)", 0),
        ]),
    );
    let t = table_of(STATIC, &[p]);
    assert_eq!(
        winner(&t, "web", &get("a.test", "/x"), false).as_deref(),
        Some("short@file")
    );
    assert_eq!(
        winner(&t, "web", &get("a.test", "/y"), false).as_deref(),
        Some("catch@file")
    );
}

#[test]
fn same_provider_tie_is_nondeterministic() {
    // Same length (19 bytes each) and same provider: undefined order in Traefik.
    let p = provider(
        "file",
        &http_yaml(&[
            ("a", "PathPrefix(`/aaaa`)", 0),
            ("b", "PathPrefix(`/aa`)  ", 0),
        ]),
    );
    let t = table_of(STATIC, &[p]);
    let d = route_http(&t, "web", &get("x", "/aaaa"), false).unwrap();
    assert_eq!(d.router, None);
    assert_eq!(
        d.nondeterministic,
        vec!["a@file".to_string(), "b@file".to_string()]
    );
    // Only one of them matches: deterministic.
    assert_eq!(
        winner(&t, "web", &get("x", "/aab"), false).as_deref(),
        Some("b@file")
    );
    let o = analyze(&t);
    assert!(o.iter().any(|o| o.kind == Kind::Nondeterministic));
}

#[test]
fn cross_provider_tie_and_precedence() {
    let f = provider("file", &http_yaml(&[("r", "Host(`a.test`)", 0)]));
    let c = provider("consul", &http_yaml(&[("r", "Host(`a.test`)", 0)]));
    let k = provider("kubernetescrd", &http_yaml(&[("r", "Host(`a.test`)", 0)]));
    let req = get("a.test", "/");
    // Traefik 3.7.15: without precedence the winner flipped between reloads.
    let t = table_of(STATIC, &[f.clone(), c.clone()]);
    let d = route_http(&t, "web", &req, false).unwrap();
    assert_eq!(d.router, None);
    assert_eq!(d.nondeterministic.len(), 2);
    // Traefik 3.7.15: precedence [consul, file] → consul always won.
    let s = format!("{STATIC}providers:\n  precedence: [consul, file]\n");
    let t = table_of(&s, &[f.clone(), c.clone(), k.clone()]);
    assert_eq!(winner(&t, "web", &req, false).as_deref(), Some("r@consul"));
    let d = route_http(&t, "web", &req, false).unwrap();
    assert!(
        matches!(&d.candidates[1].outcome, Outcome::Lost { reason, .. } if reason.contains("precedence"))
    );
    // The unlisted provider ranks lowest.
    assert_eq!(d.candidates.last().unwrap().router, "r@kubernetescrd");
    let s = format!("{STATIC}providers:\n  precedence: [file, consul]\n");
    let t = table_of(&s, &[f, c]);
    assert_eq!(winner(&t, "web", &req, false).as_deref(), Some("r@file"));
}

#[test]
fn provider_rank_matches_traefik() {
    let p = vec!["file".to_string(), "consul".to_string()];
    assert_eq!(provider_rank("a@file", Some(&p)), 1);
    assert_eq!(provider_rank("a@consul", Some(&p)), 0);
    assert_eq!(provider_rank("a@kubernetescrd", Some(&p)), -1);
    assert_eq!(provider_rank("a@b@file", Some(&p)), -1);
    assert_eq!(provider_rank("a@file", None), -1);
}

#[test]
fn tls_split() {
    let y = "http:\n  routers:\n    plain:\n      rule: Host(`a.test`)\n      service: noop@internal\n    secure:\n      rule: Host(`a.test`) && Path(`/s`)\n      service: noop@internal\n      tls: {}\n";
    let t = table_of(STATIC, &[provider("file", y)]);
    // Default entry points: web and websecure, both routers on both.
    for ep in ["web", "websecure"] {
        let e = t.entry_point(ep).unwrap();
        assert_eq!(e.http.len(), 1);
        assert_eq!(e.https.len(), 1);
        assert_eq!(e.https_sni, vec!["a.test".to_string()]);
    }
    assert_eq!(
        winner(&t, "web", &get("a.test", "/s"), false).as_deref(),
        Some("plain@file")
    );
    assert_eq!(
        winner(&t, "websecure", &get("a.test", "/s"), true).as_deref(),
        Some("secure@file")
    );
    let d = route_http(&t, "websecure", &get("a.test", "/x"), true).unwrap();
    assert_eq!(d.status, Some(404));
}

// Traefik 3.7.15 (corpus `tcp-catchall-steals`): plain HTTP got an empty reply.
#[test]
fn tcp_catch_all_takes_plain_connections() {
    let y = "http:\n  routers:\n    h:\n      rule: Host(`a.test`)\n      service: noop@internal\n      entryPoints: [web]\ntcp:\n  routers:\n    t:\n      rule: HostSNI(`*`)\n      service: ts\n      entryPoints: [web]\n  services:\n    ts:\n      loadBalancer:\n        servers:\n          - address: 127.0.0.1:9\n";
    let t = table_of(STATIC, &[provider("file", y)]);
    let d = route_http(&t, "web", &get("a.test", "/"), false).unwrap();
    assert_eq!(d.layer, Layer::Tcp);
    assert_eq!(d.router.as_deref(), Some("t@file"));
    assert!(
        d.candidates
            .iter()
            .any(|c| c.router == "h@file" && matches!(c.outcome, Outcome::Lost { .. }))
    );
    let o = analyze(&t);
    assert!(
        o.iter()
            .any(|o| o.kind == Kind::Shadowed && o.second == "h@file" && o.first == "t@file")
    );
}

#[test]
fn tls_sni_dispatch() {
    let y = "http:\n  routers:\n    h:\n      rule: Host(`web.test`)\n      service: noop@internal\n      entryPoints: [websecure]\n      tls: {}\ntcp:\n  routers:\n    db:\n      rule: HostSNI(`db.test`)\n      service: ts\n      entryPoints: [websecure]\n      tls:\n        passthrough: true\n    all:\n      rule: HostSNI(`*`)\n      service: ts\n      entryPoints: [websecure]\n      tls: {}\n  services:\n    ts:\n      loadBalancer:\n        servers:\n          - address: 127.0.0.1:9\n";
    let t = table_of(STATIC, &[provider("file", y)]);
    let conn = |sni: &str| TcpConnection {
        sni: sni.into(),
        tls: true,
        ..Default::default()
    };
    assert_eq!(
        route_tcp(&t, "websecure", &conn("db.test"))
            .unwrap()
            .router
            .as_deref(),
        Some("db@file")
    );
    let d = route_tcp(&t, "websecure", &conn("web.test")).unwrap();
    assert_eq!(d.layer, Layer::Http);
    // No HTTPS router without Host: the catch-all TCP TLS router takes other SNIs.
    assert_eq!(
        route_tcp(&t, "websecure", &conn("other.test"))
            .unwrap()
            .router
            .as_deref(),
        Some("all@file")
    );
    assert_eq!(
        winner(&t, "websecure", &get("web.test", "/"), true).as_deref(),
        Some("h@file")
    );
    let d = route_http(&t, "websecure", &get("db.test", "/"), true).unwrap();
    assert_eq!(
        (d.layer, d.router.as_deref()),
        (Layer::Tcp, Some("db@file"))
    );
}

#[test]
fn shadowed_route_has_witness() {
    let p = provider(
        "file",
        &http_yaml(&[
            ("broad", "Host(`a.test`) && PathPrefix(`/api`)", 100),
            (
                "narrow",
                "Host(`a.test`) && PathPrefix(`/api/v1`) && Method(`GET`)",
                50,
            ),
            ("other", "Host(`a.test`) && PathPrefix(`/web`)", 10),
        ]),
    );
    let t = table_of(STATIC, &[p]);
    let o = analyze(&t);
    let s = o.iter().find(|o| o.kind == Kind::Shadowed).expect("shadow");
    assert_eq!(
        (s.first.as_str(), s.second.as_str()),
        ("broad@file", "narrow@file")
    );
    assert_eq!(s.answered_by.as_deref(), Some("broad@file"));
    assert!(
        !o.iter()
            .any(|o| o.second == "other@file" || o.first == "other@file")
    );
}

#[test]
fn overlap_findings_in_validate() {
    let p = provider(
        "file",
        &http_yaml(&[
            ("api", "Host(`a.test`) && PathPrefix(`/api`)", 0),
            ("site", "Host(`a.test`)", 0),
            ("m", "Method(`POST`) && PathPrefix(`/api/upload/file`)", 0),
        ]),
    );
    let s = StaticConfig::parse("static.yml", STATIC).unwrap();
    let report = crate::validate::validate(Some(&s), &[p]);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"route-overlap"), "{codes:?}");
    let f = report
        .findings
        .iter()
        .find(|f| f.code == "route-overlap" && f.message.contains("only because"))
        .expect("length-only overlap");
    assert_eq!(f.severity, crate::finding::Severity::Warning);
}

#[test]
fn wildcard_hosts_and_index() {
    let p = provider(
        "file",
        &http_yaml(&[
            ("wild", "Host(`*.a.test`)", 0),
            ("exact", "Host(`xx.a.test`)", 0),
            ("dot", "Host(`y.a.test.`)", 0),
        ]),
    );
    let t = table_of(STATIC, &[p]);
    assert_eq!(
        winner(&t, "web", &get("xx.a.test", "/"), false).as_deref(),
        Some("exact@file")
    );
    assert_eq!(
        winner(&t, "web", &get("z.a.test", "/"), false).as_deref(),
        Some("wild@file")
    );
    assert_eq!(
        winner(&t, "web", &get("y.a.test", "/"), false).as_deref(),
        Some("dot@file")
    );
    assert_eq!(
        winner(&t, "web", &get("y.a.test.", "/"), false).as_deref(),
        Some("dot@file")
    );
    assert_eq!(winner(&t, "web", &get("a.test", "/"), false), None);
    assert_eq!(winner(&t, "web", &get("q.x.a.test", "/"), false), None);
}

#[test]
fn regexp_witnesses() {
    let a = parse_http_rule(
        "HostRegexp(`^api[0-9]+\\.test$`) && PathRegexp(`^/v[12]/`)",
        RuleSyntax::V3,
    )
    .unwrap();
    let b = parse_http_rule("PathPrefix(`/v2`)", RuleSyntax::V3).unwrap();
    let da = witness::dnf(a.expr(), 16).unwrap();
    let db = witness::dnf(b.expr(), 16).unwrap();
    let mut t = da[0].clone();
    t.extend(db[0].iter().copied());
    match witness::solve(&t) {
        Solved::Sat(r) => assert!(a.matches(&r) && b.matches(&r), "{r:?}"),
        other => panic!("{other:?}"),
    }
    let c = parse_http_rule("Path(`/a`) && !Path(`/a`)", RuleSyntax::V3).unwrap();
    let dc = witness::dnf(c.expr(), 16).unwrap();
    assert_eq!(witness::solve(&dc[0]), Solved::Unsat);
}

// ---------------------------------------------------------------------------------------
// Property: no false witnesses, and the host index never hides a route.

fn atom() -> impl Strategy<Value = String> {
    let hosts = prop::sample::select(vec!["a.test", "b.test", "*.a.test", "x.a.test", "a.test."]);
    let paths = prop::sample::select(vec!["/", "/a", "/a/b", "/ab", "/b", "/a b"]);
    prop_oneof![
        hosts.prop_map(|h| format!("Host(`{h}`)")),
        paths.clone().prop_map(|p| format!("Path(`{p}`)")),
        paths.prop_map(|p| format!("PathPrefix(`{p}`)")),
        prop::sample::select(vec!["GET", "POST"]).prop_map(|m| format!("Method(`{m}`)")),
        prop::sample::select(vec!["1", "2"]).prop_map(|v| format!("Header(`X-V`, `{v}`)")),
        prop::sample::select(vec!["1", "2", ""]).prop_map(|v| if v.is_empty() {
            "Query(`q`)".to_string()
        } else {
            format!("Query(`q`, `{v}`)")
        }),
        prop::sample::select(vec!["127.0.0.1", "10.0.0.0/8", "192.0.2.0/24"])
            .prop_map(|c| format!("ClientIP(`{c}`)")),
        prop::sample::select(vec!["^/a", "b$", "^[a-z]+\\.test$", "^/a/[0-9]+"]).prop_map(|r| {
            if r.contains("test") {
                format!("HostRegexp(`{r}`)")
            } else {
                format!("PathRegexp(`{r}`)")
            }
        }),
    ]
}

fn rule() -> impl Strategy<Value = String> {
    let lit = (any::<bool>(), atom()).prop_map(|(n, a)| if n { format!("!{a}") } else { a });
    lit.prop_recursive(3, 8, 3, |inner| {
        (inner.clone(), prop::sample::select(vec!["&&", "||"]), inner)
            .prop_map(|(a, op, b)| format!("({a} {op} {b})"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn witnesses_match_both_rules(ra in rule(), rb in rule()) {
        let a = parse_http_rule(&ra, RuleSyntax::V3).unwrap();
        let b = parse_http_rule(&rb, RuleSyntax::V3).unwrap();
        let (Some(da), Some(db)) = (witness::dnf(a.expr(), 64), witness::dnf(b.expr(), 64)) else {
            return Ok(());
        };
        for ta in &da {
            if let Solved::Sat(r) = witness::solve(ta) {
                prop_assert!(a.matches(&r), "{ra} {r:?}");
            }
            for tb in &db {
                let mut t = ta.clone();
                t.extend(tb.iter().copied());
                if let Solved::Sat(r) = witness::solve(&t) {
                    prop_assert!(a.matches(&r) && b.matches(&r), "{ra} / {rb}: {r:?}");
                }
                // Containment proofs are sound: a request of tb solved must match ta.
                if witness::term_contained(tb, ta) && let Solved::Sat(r) = witness::solve(tb) {
                    prop_assert!(witness::eval_term(ta, &r), "{rb} in {ra}: {r:?}");
                }
            }
        }
    }

    #[test]
    fn analysis_witnesses_are_true(rules in prop::collection::vec((rule(), -2i64..3), 2..6)) {
        let named: Vec<(String, String, i64)> = rules
            .iter()
            .enumerate()
            .map(|(i, (r, p))| (format!("r{i}"), r.clone(), *p * 10))
            .collect();
        let refs: Vec<(&str, &str, i64)> = named.iter().map(|(n, r, p)| (n.as_str(), r.as_str(), *p)).collect();
        let t = table_of(STATIC, &[provider("file", &http_yaml(&refs))]);
        let web = t.entry_point("web").unwrap();
        for o in analyze(&t) {
            let Some(w) = &o.witness else { continue };
            let req = HttpRequest {
                method: w.method.clone(), host: w.host.clone(), path: w.path.clone(),
                query: w.query.clone(), headers: w.headers.clone(),
                client_ip: w.client_ip.parse().ok(),
            };
            let find = |n: &str| web.http.iter().find(|r| r.name == n).unwrap();
            prop_assert!(find(&o.first).rule.matches(&req) && find(&o.second).rule.matches(&req), "{o:?}");
            let d = route_http(&t, "web", &req, false).unwrap();
            prop_assert_eq!(d.router.clone(), o.answered_by.clone());
            if o.kind == Kind::Shadowed {
                prop_assert!(d.router.as_deref() != Some(o.second.as_str()) );
            }
        }
        // The host index agrees with a linear scan.
        for host in ["a.test", "x.a.test", "b.test", "a.test.", "q.test"] {
            for path in ["/", "/a", "/a/b", "/ab"] {
                let req = get(host, path);
                let linear: Vec<&str> = web.http.iter().filter(|r| r.rule.matches(&req)).map(|r| r.name.as_str()).collect();
                let d = route_http(&t, "web", &req, false).unwrap();
                let got: Vec<&str> = d.candidates.iter().map(|c| c.router.as_str()).collect();
                prop_assert_eq!(linear, got);
            }
        }
    }
}
