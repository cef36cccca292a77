//! Findings Traefik never reports (and the per-object status findings).

mod validate_common;
use sync_core::finding::Severity;
use sync_core::provider::ProviderStatus;
use sync_core::report::{Report, Status};
use validate_common::*;

const ROUTE: &str = "http:\n  routers:\n    r:\n      rule: Host(`a.example.com`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://127.0.0.1:9'}]\n";

fn with_code<'a>(r: &'a Report, code: &str) -> Vec<&'a sync_core::finding::Finding> {
    r.findings.iter().filter(|f| f.code == code).collect()
}

#[test]
fn disabled_router_becomes_an_error_finding_with_its_source() {
    let r = validate("http:\n  routers:\n    r:\n      rule: Host(`a`)\n      service: nope\n");
    let f = with_code(&r, "router-disabled");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].object.as_deref(), Some("r@file"));
    assert!(
        f[0].message
            .contains("the service \"nope@file\" does not exist")
    );
    let src = f[0].source.as_ref().expect("source");
    assert_eq!((src.path.as_deref(), src.line), (Some("dyn.yml"), Some(3)));
    assert!(f[0].help.is_some());
    assert!(r.has_errors());
}

#[test]
fn without_static_config_entry_points_are_not_guessed() {
    let yaml = "http:\n  routers:\n    r:\n      rule: Host(`a`)\n      service: s\n      entryPoints: [nosuch]\n    d:\n      rule: Host(`b`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://127.0.0.1:9'}]\n";
    let r = sync_core::validate::validate(None, &[file(yaml)]);
    assert_eq!(router(&r, "r@file"), (Status::Enabled, vec![]));
    assert_eq!(r.http.routers["r@file"].entry_points, s(&["nosuch"]));
    assert!(r.http.routers["d@file"].entry_points.is_empty());
    let info = with_code(&r, "entrypoints-unchecked");
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].severity, Severity::Info);
}

#[test]
fn broken_objects_no_router_uses_are_reported() {
    // Traefik 3.7.15 showed bad2@file and rpr@file as enabled (recorded case c4).
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/validate_data/c4.yml"
    ))
    .unwrap();
    let r = validate(&yaml);
    assert_eq!(middleware(&r, "bad2@file").0, Status::Enabled);
    let f = with_code(&r, "broken-unused-middleware");
    let msg = |name: &str| {
        f.iter()
            .find(|x| x.object.as_deref() == Some(name))
            .map(|x| x.message.clone())
            .unwrap_or_default()
    };
    assert!(
        msg("bad2@file").ends_with("error parsing regexp: missing closing ]: `[a-`"),
        "{}",
        msg("bad2@file")
    );
    assert!(
        msg("rpr@file").ends_with(
            "error compiling regular expression (x: error parsing regexp: missing closing ): `(x`"
        ),
        "{}",
        msg("rpr@file")
    );
    assert!(msg("good@file").is_empty());
    assert!(
        with_code(&r, "broken-unused-service")
            .iter()
            .all(|x| x.object.as_deref() != Some("okhc@file"))
    );
}

#[test]
fn equal_routes_from_two_providers_need_precedence() {
    let providers = [file(ROUTE), as_provider("consul", ROUTE)];
    let r = sync_core::validate::validate(Some(&static_cfg()), &providers);
    let f = with_code(&r, "ambiguous-route");
    assert_eq!(f.len(), 4, "two routers on two entry points: {f:#?}");
    assert!(f.iter().all(|x| x.severity == Severity::Error));
    assert!(f[0].message.contains("r@consul, r@file"));

    let ordered = static_with("providers:\n  precedence: [file, consul]\n");
    let r = sync_core::validate::validate(Some(&ordered), &providers);
    assert!(
        with_code(&r, "ambiguous-route")
            .iter()
            .all(|x| x.severity == Severity::Info)
    );
}

#[test]
fn equal_routes_inside_one_provider() {
    let yaml = "http:\n  routers:\n    a:\n      rule: Host(`x`)\n      service: s\n      entryPoints: [web]\n    b:\n      rule: Host(`x`)\n      service: s\n      entryPoints: [web]\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://127.0.0.1:9'}]\n";
    let r = validate(yaml);
    let f = with_code(&r, "duplicate-route");
    assert_eq!(f.len(), 2);
    assert!(f[0].message.contains("a@file, b@file"));
}

#[test]
fn default_tls_options_in_two_providers_break_tls_routers() {
    let tls_route = "http:\n  routers:\n    r:\n      rule: Host(`a`)\n      service: s\n      tls: {}\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://127.0.0.1:9'}]\ntls:\n  options:\n    default:\n      minVersion: VersionTLS12\n";
    let other = "tls:\n  options:\n    default:\n      minVersion: VersionTLS13\n";
    let r = sync_core::validate::validate(
        Some(&static_cfg()),
        &[file(tls_route), as_provider("consul", other)],
    );
    assert_eq!(
        router(&r, "r@file"),
        (
            Status::Disabled,
            s(&["building router handler: unknown TLS options: default"])
        )
    );
    let f = with_code(&r, "tls-default-options-conflict");
    assert_eq!(f.len(), 2);
    assert!(f[0].message.contains("file, consul"));
}

#[test]
fn references_into_a_rejected_provider_say_so() {
    let mut rejected = file(ROUTE);
    rejected.status = ProviderStatus::Rejected {
        errors: vec!["dyn.yml:1:1: boom".into()],
    };
    rejected.config = Default::default();
    let consul = as_provider(
        "consul",
        "http:\n  routers:\n    c:\n      rule: Host(`c`)\n      service: s@file\n",
    );
    let r = sync_core::validate::validate(Some(&static_cfg()), &[rejected, consul]);
    assert_eq!(r.providers["file"].status, "rejected");
    assert_eq!(r.providers["file"].errors, s(&["dyn.yml:1:1: boom"]));
    assert!(r.http.routers.keys().all(|k| !k.ends_with("@file")));
    assert_eq!(
        router(&r, "c@consul"),
        (
            Status::Disabled,
            s(&["the service \"s@file\" does not exist"])
        )
    );
    let f = with_code(&r, "reference-to-rejected-provider");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message
            .contains("s@file exists in the file provider but that provider is rejected"),
        "{}",
        f[0].message
    );
}

#[test]
fn at_sign_in_names() {
    let r = validate("http:\n  routers:\n    at@name:\n      rule: Host(`a`)\n      service: ok\n");
    assert_eq!(
        router(&r, "at@name@file"),
        (
            Status::Disabled,
            s(&["the service \"ok@name\" does not exist"])
        )
    );
    let f = with_code(&r, "at-sign-in-name");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].object.as_deref(), Some("at@name@file"));
}

#[test]
fn unknown_certificate_resolver() {
    let yaml = "http:\n  routers:\n    r:\n      rule: Host(`a`)\n      service: s\n      tls: {certResolver: le}\n    k:\n      rule: Host(`b`)\n      service: s\n      tls: {certResolver: known}\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://127.0.0.1:9'}]\n";
    let st = static_with("certificatesResolvers:\n  known:\n    acme:\n      storage: acme.json\n");
    let r = sync_core::validate::validate(Some(&st), &[file(yaml)]);
    let f = with_code(&r, "unknown-cert-resolver");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].object.as_deref(), Some("r@file"));
}

#[test]
fn second_udp_router_on_an_entry_point_is_ignored() {
    // Recorded case c3: u-ok@file and u-z@file are both "enabled" on dns.
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/validate_data/c3.yml"
    ))
    .unwrap();
    let r = validate(&yaml);
    let f = with_code(&r, "udp-router-ignored");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].object.as_deref(), Some("u-ok@file"));
}

#[test]
fn decode_findings_are_copied() {
    let mut p = file(ROUTE);
    p.findings.push(sync_core::finding::Finding::new(
        Severity::Warning,
        "skipped-duplicate",
        "x",
    ));
    let r = sync_core::validate::validate(Some(&static_cfg()), &[p]);
    assert_eq!(with_code(&r, "skipped-duplicate").len(), 1);
}
