use super::*;
use crate::decode::consul_kv::decode_provider;
use crate::encode::test_support::{comparable, corpus_configs};
use crate::encode::to_json;

fn roundtrip(config: &Configuration) -> (Configuration, KvEncoded) {
    let encoded = encode(config, "traefik").expect("encodes");
    let back = decode_provider(&encoded.pairs, "traefik");
    assert!(
        !back.is_rejected(),
        "Traefik would reject the encoded KV: {:?}\npairs: {:#?}",
        back.status,
        encoded
            .pairs
            .iter()
            .map(|p| format!("{}={}", p.key, String::from_utf8_lossy(&p.value)))
            .collect::<Vec<_>>()
    );
    (back.config, encoded)
}

#[test]
fn corpus_roundtrips_through_kv() {
    let configs = corpus_configs();
    assert!(configs.len() > 60, "corpus too small: {}", configs.len());
    let mut lossless = 0;
    for (label, provider) in &configs {
        let (back, encoded) = roundtrip(&provider.config);
        if encoded.losses.is_empty() {
            assert_eq!(
                back, provider.config,
                "{label}: KV round trip changed the configuration"
            );
            lossless += 1;
        } else {
            let want = comparable(&to_json(&provider.config).expect("json"), &encoded.losses);
            let got = comparable(&to_json(&back).expect("json"), &encoded.losses);
            assert_eq!(
                got, want,
                "{label}: KV round trip changed more than it reported: {:?}",
                encoded.losses
            );
        }
    }
    assert!(
        lossless * 2 > configs.len(),
        "only {lossless} of {} lossless",
        configs.len()
    );
}

#[test]
fn layout_matches_traefik_kv_test() {
    use crate::model::{HttpConfiguration, Router};
    let mut http = HttpConfiguration::default();
    let router = Router {
        entry_points: vec!["web".into(), "websecure".into()],
        rule: "Host(`a.lan`)".into(),
        service: "svc".into(),
        priority: 12,
        tls: Some(Default::default()),
        ..Default::default()
    };
    http.routers.insert("Router0".into(), router);
    let cfg = Configuration {
        http: Some(http),
        ..Default::default()
    };
    let encoded = encode(&cfg, "/traefik/").expect("encodes");
    let keys: Vec<(String, String)> = encoded
        .pairs
        .iter()
        .map(|p| {
            (
                p.key.clone(),
                String::from_utf8_lossy(&p.value).into_owned(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("traefik/http/routers/Router0/entryPoints/0", "web"),
        ("traefik/http/routers/Router0/entryPoints/1", "websecure"),
        ("traefik/http/routers/Router0/priority", "12"),
        ("traefik/http/routers/Router0/rule", "Host(`a.lan`)"),
        ("traefik/http/routers/Router0/service", "svc"),
        ("traefik/http/routers/Router0/tls", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(keys, want);
    assert!(encoded.losses.is_empty());
    assert_eq!(roundtrip(&cfg).0, cfg);
}

#[test]
fn long_lists_keep_their_order_and_commas_are_reported() {
    use crate::model::{HttpConfiguration, Router};
    let mut http = HttpConfiguration::default();
    http.routers.insert(
        "r".into(),
        Router {
            entry_points: (0..12).map(|i| format!("ep{i}")).collect(),
            middlewares: vec!["a,b".into()],
            rule: "Path(`/`)".into(),
            ..Default::default()
        },
    );
    let cfg = Configuration {
        http: Some(http),
        ..Default::default()
    };
    let (back, encoded) = roundtrip(&cfg);
    let eps = &back.http.as_ref().expect("http").routers["r"].entry_points;
    assert_eq!(
        eps,
        &cfg.http.as_ref().expect("http").routers["r"].entry_points
    );
    assert!(
        encoded
            .pairs
            .iter()
            .any(|p| p.key.ends_with("entryPoints/00"))
    );
    assert_eq!(encoded.losses.len(), 1);
    assert_eq!(encoded.losses[0].code, "kv-comma-split");
    assert_eq!(encoded.losses[0].dotted(), "http.routers.r.middlewares.0");
    assert_eq!(
        encoded.losses[0].object(),
        Some((crate::objects::ObjectKind::HttpRouter, "r"))
    );
}

#[test]
fn empty_sections_and_case_collisions_are_reported() {
    let mut cfg = Configuration::default();
    let mut http = crate::model::HttpConfiguration::default();
    http.routers.insert("Web".into(), Default::default());
    http.routers.insert("web".into(), Default::default());
    cfg.http = Some(http);
    let encoded = encode(&cfg, "traefik").expect("encodes");
    let codes: Vec<&str> = encoded.losses.iter().map(|l| l.code).collect();
    assert!(codes.contains(&"kv-case-merged"), "{codes:?}");
    assert!(codes.contains(&"kv-empty-section"), "{codes:?}");
}

#[test]
fn export_is_what_consul_kv_export_writes() {
    let pairs = vec![KvPair {
        key: "traefik/http/routers/r/rule".into(),
        value: b"Host(`x`)".to_vec(),
    }];
    let text = export_json(&pairs);
    let back = crate::decode::consul_kv::parse_export(text.as_bytes()).expect("parses");
    assert_eq!(back, pairs);
}

mod properties {
    use super::*;
    use crate::model::{HttpConfiguration, Middleware, Router, StripPrefix};
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        // Printable text with the characters that matter to KV: commas, spaces,
        // slashes, backticks, braces, quotes, non-ASCII.
        proptest::string::string_regex("[ -~é✓]{0,24}").expect("regex")
    }

    fn name() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[aAbB0-9_./@-]{1,3}").expect("regex")
    }

    prop_compose! {
        fn router()(rule in text(), eps in prop::collection::vec(text(), 0..13),
                    mws in prop::collection::vec(name(), 0..4), priority in -5i64..5,
                    tls in any::<bool>(), service in name()) -> Router {
            Router {
                rule,
                entry_points: eps,
                middlewares: mws,
                priority,
                tls: tls.then(Default::default),
                service,
                ..Default::default()
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Either the KV form reads back as the same configuration, or what differs was reported.
        #[test]
        fn kv_is_lossless_or_says_what_it_lost(
            routers in prop::collection::vec((name(), router()), 0..5),
            prefixes in prop::collection::vec((name(), prop::collection::vec(text(), 0..3)), 0..3),
        ) {
            let mut http = HttpConfiguration::default();
            for (n, r) in routers {
                http.routers.insert(n, r);
            }
            for (n, p) in prefixes {
                http.middlewares.insert(n, Middleware {
                    strip_prefix: Some(Box::new(StripPrefix { prefixes: p, ..Default::default() })),
                    ..Default::default()
                });
            }
            let cfg = Configuration { http: Some(http), ..Default::default() };
            let encoded = encode(&cfg, "traefik").expect("encodes");
            let back = decode_provider(&encoded.pairs, "traefik");
            prop_assert!(!back.is_rejected() || !encoded.losses.is_empty(), "rejected without a reported loss: {:?}", back.status);
            if encoded.losses.is_empty() {
                prop_assert_eq!(&back.config, &cfg);
            } else if !back.is_rejected() {
                let want = comparable(&to_json(&cfg).expect("json"), &encoded.losses);
                let got = comparable(&to_json(&back.config).expect("json"), &encoded.losses);
                prop_assert_eq!(got, want, "losses: {:?}", encoded.losses);
            }
        }
    }
}
