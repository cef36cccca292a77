//! Recorded cases: each `validate_data/<case>.yml` was loaded by real Traefik 3.7.15
//! (file provider, entry points `traefik`, `web`, `websecure`, `dns`/udp, API on) and
//! its API (`/api/{http,tcp,udp}/{routers,services,middlewares}`, internal objects
//! left out) was written to `<case>.traefik.txt`. The validator must print the same.
//!
//! Traefik's API sorts by name in Go string order, as the report's BTreeMaps do.

mod validate_common;
use validate_common::*;

fn check(case: &str) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/validate_data");
    let yaml = std::fs::read_to_string(format!("{dir}/{case}.yml")).expect("case yaml");
    let expected =
        std::fs::read_to_string(format!("{dir}/{case}.traefik.txt")).expect("recorded output");
    let r = validate(&yaml);
    assert_eq!(r.providers["file"].status, "ok", "{:?}", r.providers);
    let got = dump(&r);
    if got != expected {
        let diff: Vec<String> = expected
            .lines()
            .zip(got.lines().chain(std::iter::repeat("<missing>")))
            .filter(|(a, b)| a != b)
            .take(5)
            .map(|(a, b)| format!("traefik: {a}\nours:    {b}"))
            .collect();
        panic!(
            "case {case} differs from Traefik:\n{}\n--- full ours ---\n{got}",
            diff.join("\n")
        );
    }
}

#[test]
fn c1_references_and_entry_points() {
    check("c1");
}

#[test]
fn c2_recursion_parents_health_tls_conflicts_middleware_configs() {
    check("c2");
}

#[test]
fn c3_tcp_and_udp() {
    check("c3");
}

#[test]
fn c4_at_sign_cross_refs_children_internal_services() {
    check("c4");
}

/// Go regexp error texts through `redirectRegex` (Go quirks: duplicate group
/// names, `\Q`, `a{,5}` and `(?<n>)` are accepted).
#[test]
fn c5_go_regexp_errors_in_middlewares() {
    check("c5");
}

/// A broken `tls.options.default` breaks every TLS router (HTTP and TCP); HTTPS
/// routers also get the TCP manager's `invalid rule` error; rule build errors.
#[test]
fn c6_broken_default_tls_options_and_rule_errors() {
    check("c6");
}
