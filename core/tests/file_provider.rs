//! File-provider decoding with Traefik's semantics.

use sync_core::decode::file_provider::{SourceFile, decode_file, decode_provider};
use sync_core::provider::ProviderStatus;

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_string(),
        content: text.as_bytes().to_vec(),
    }
}

fn reference(name: &str) -> SourceFile {
    let path = format!(
        "{}/../../shared/traefik-reference/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let content = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    SourceFile { path, content }
}

#[test]
fn reference_yaml_decodes_completely() {
    let decoded = decode_file(&reference("dynamic-all-options.yaml")).unwrap();
    let config = decoded.config.unwrap();
    let http = config.http.as_ref().unwrap();
    assert!(http.routers.len() >= 2);
    assert!(http.middlewares.len() > 20, "{}", http.middlewares.len());
    assert!(config.tcp.is_some() && config.udp.is_some() && config.tls.is_some());
}

#[test]
fn reference_toml_decodes_like_yaml() {
    let yaml = decode_file(&reference("dynamic-all-options.yaml"))
        .unwrap()
        .config
        .unwrap();
    let toml = decode_file(&reference("dynamic-all-options.toml"))
        .unwrap()
        .config
        .unwrap();
    let y = serde_json::to_value(&yaml).unwrap();
    let t = serde_json::to_value(&toml).unwrap();
    assert_eq!(y, t);
}

#[test]
fn keys_are_case_insensitive_names_are_not() {
    let d = decode_file(&file(
        "a.yml",
        "HTTP:\n  Routers:\n    CaseRouter:\n      RULE: Host(`a`)\n      ENTRYPOINTS: web\n    caserouter:\n      rule: Host(`b`)\n      priority: \"12\"\n",
    ))
    .unwrap();
    let http = d.config.unwrap().http.unwrap();
    assert_eq!(http.routers.len(), 2);
    assert_eq!(http.routers["CaseRouter"].entry_points, vec!["web"]);
    assert_eq!(http.routers["caserouter"].priority, 12);
}

#[test]
fn unknown_field_rejects_the_provider_with_its_place() {
    let p = decode_provider(&[
        file(
            "a.yml",
            "http:\n  routers:\n    good:\n      rule: Host(`a`)\n      service: s\n",
        ),
        file(
            "b.yml",
            "http:\n  routers:\n    bad:\n      rulez: Host(`a`)\n",
        ),
    ]);
    let ProviderStatus::Rejected { errors } = &p.status else {
        panic!("not rejected: {:?}", p.status)
    };
    assert_eq!(
        errors,
        &vec!["b.yml:4:7: field not found, node: rulez".to_string()]
    );
    assert!(p.config.http.is_none());
}

#[test]
fn empty_sections_reject_bare_http_does_not() {
    let p = decode_provider(&[file("a.yml", "http:\n  middlewares: {}\n")]);
    assert!(p.is_rejected());
    let p = decode_provider(&[file("a.yml", "http:\n")]);
    assert!(!p.is_rejected());
    let p = decode_provider(&[file("a.yml", "http: {}\n")]);
    assert!(p.is_rejected());
    // An empty *named* object is not a standalone element: Traefik shows it enabled.
    let p = decode_provider(&[file("a.yml", "http:\n  middlewares:\n    empty: {}\n")]);
    assert!(!p.is_rejected(), "{:?}", p.status);
}

#[test]
fn duplicate_yaml_key_rejects() {
    let p = decode_provider(&[file(
        "a.yml",
        "http:\n  routers:\n    r1:\n      rule: Host(`a`)\n    r1:\n      rule: Host(`b`)\n",
    )]);
    assert!(p.is_rejected());
}

#[test]
fn first_file_wins_on_duplicates() {
    let p = decode_provider(&[
        file(
            "a.yml",
            "http:\n  routers:\n    r:\n      rule: Host(`a`)\n",
        ),
        file("b.toml", "[http.routers.r]\nrule = \"Host(`b`)\"\n"),
    ]);
    assert!(!p.is_rejected());
    assert_eq!(p.config.http.unwrap().routers["r"].rule, "Host(`a`)");
    assert!(p.findings.iter().any(|f| f.code == "duplicate-skipped"));
}

#[test]
fn scalar_list_and_allow_empty() {
    let d = decode_file(&file(
        "a.yml",
        "http:\n  routers:\n    r:\n      rule: Host(`a`)\n      entryPoints: web,websecure\n      tls: {}\n    s:\n      rule: Host(`b`)\n      tls: false\n",
    ))
    .unwrap();
    let http = d.config.unwrap().http.unwrap();
    assert_eq!(http.routers["r"].entry_points, vec!["web", "websecure"]);
    assert!(http.routers["r"].tls.is_some());
    assert!(http.routers["s"].tls.is_none());
}

#[test]
fn bad_integer_rejects_with_go_text() {
    let err = decode_file(&file(
        "a.yml",
        "http:\n  routers:\n    r:\n      priority: abc\n",
    ))
    .unwrap_err();
    assert_eq!(
        err.message,
        r#"strconv.ParseInt: parsing "abc": invalid syntax"#
    );
    assert_eq!((err.pos.line, err.pos.column), (4, 7));
}

#[test]
fn garbage_never_panics() {
    for text in [
        "\u{0}\u{1}",
        "{{{",
        ": : :",
        "- - -",
        "a: [",
        "http: [1, 2]",
        "http:\n  routers: 5\n",
    ] {
        let _ = decode_provider(&[file("x.yml", text)]);
        let _ = decode_provider(&[file("x.toml", text)]);
    }
    let invalid_utf8 = SourceFile {
        path: "x.yml".into(),
        content: vec![0xff, 0xfe, b'a'],
    };
    assert!(decode_provider(&[invalid_utf8]).is_rejected());
}

/// Each expectation below was observed on real Traefik 3.7.15 (file provider, fresh start).
#[test]
fn yaml_v3_and_paerser_quirks_match_traefik() {
    let router = |text: &str| {
        let p = decode_provider(&[file("a.yml", text)]);
        assert!(!p.is_rejected(), "{:?}", p.status);
        p.config.http.unwrap().routers
    };
    // A YAML list where a string is expected: paerser's raw list encoding becomes the rule.
    let r = router("http:\n  routers:\n    r:\n      rule: [a, b]\n      service: x\n");
    assert_eq!(r["r"].rule, "\u{2551}24\u{2551}a\u{2551}b");
    // Two spellings of one field: the later in byte order of keys wins ("rule" > "Rule").
    let r = router("http:\n  routers:\n    r:\n      rule: Host(`a`)\n      Rule: Host(`b`)\n");
    assert_eq!(r["r"].rule, "Host(`a`)");
    // Null objects are dropped; only the first YAML document counts.
    let r = router("http:\n  routers:\n    r:\n    q:\n      rule: Host(`a`)\n---\nhttp:\n  routers:\n    z:\n      rule: Host(`b`)\n");
    assert_eq!(r.keys().collect::<Vec<_>>(), vec!["q"]);
    // Hex and exponent numbers are converted before parsing.
    let r = router("http:\n  routers:\n    r:\n      priority: 0x10\n    s:\n      priority: 1e3\n");
    assert_eq!((r["r"].priority, r["s"].priority), (16, 1000));
    // Unknown top-level keys are ignored.
    let r = router("foo: bar\nhttp:\n  routers:\n    r:\n      rule: Host(`a`)\n");
    assert_eq!(r.len(), 1);
    // Rejections: a fractional priority, an unquoted date.
    for text in [
        "http:\n  routers:\n    r:\n      priority: 1.5\n",
        "http:\n  routers:\n    r:\n      rule: 2001-12-14\n",
    ] {
        assert!(decode_provider(&[file("a.yml", text)]).is_rejected(), "{text}");
    }
}
