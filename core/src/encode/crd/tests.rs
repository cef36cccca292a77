use super::*;
use crate::decode::file_provider::{SourceFile, decode_provider};
use crate::encode::test_support::corpus_configs;

fn file_config(yaml: &str) -> Configuration {
    let p = decode_provider(&[SourceFile {
        path: "in.yml".into(),
        content: yaml.as_bytes().to_vec(),
    }]);
    assert!(!p.is_rejected(), "{:?}", p.status);
    p.config
}

fn decode_yaml(text: &str) -> crate::provider::ProviderConfig {
    decode_manifests(
        &[SourceFile {
            path: "out.yaml".into(),
            content: text.as_bytes().to_vec(),
        }],
        &CrdProviderOptions::default(),
    )
}

#[test]
fn routers_to_kubernetes_services_convert_and_urls_are_reported() {
    let cfg = file_config(
        r#"
http:
  routers:
    whoami:
      rule: Host(`whoami.lab`)
      entryPoints: [websecure]
      middlewares: [strip, auth@file]
      service: whoami
      tls:
        options: modern
    legacy:
      rule: Host(`nas.lab`)
      service: nas
    split:
      rule: Host(`split.lab`)
      service: canary
  services:
    whoami:
      loadBalancer:
        servers: [{url: "http://whoami.apps.svc.cluster.local:8080"}]
    nas:
      loadBalancer:
        servers: [{url: "http://192.168.1.20:5000"}]
    canary:
      weighted:
        services: [{name: whoami, weight: 3}, {name: other@file, weight: 1}]
  middlewares:
    strip:
      stripPrefix: {prefixes: [/api]}
    users:
      basicAuth: {users: ["a:$apr1$x"]}
tls:
  options:
    modern: {minVersion: VersionTLS13}
"#,
    );
    let out = encode(&cfg, "apps").expect("encodes");
    let kinds: Vec<&str> = out
        .objects
        .iter()
        .filter_map(|o| o["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "TLSOption",
            "Middleware",
            "IngressRoute",
            "IngressRoute",
            "TraefikService"
        ]
    );
    let codes: Vec<(String, &str)> = out.losses.iter().map(|l| (l.dotted(), l.code)).collect();
    assert!(
        codes.contains(&("http.routers.legacy.service".into(), "crd-service-ref")),
        "{codes:?}"
    );
    assert!(
        codes.contains(&(
            "http.middlewares.users.basicAuth".into(),
            "crd-secret-needed"
        )),
        "{codes:?}"
    );
    // `nas` is covered by its router's loss, not reported twice.
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert!(!codes.iter().any(|(_, c)| *c == "crd-refused"), "{codes:?}");

    // The Service the routes name exists in the cluster.
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: whoami, namespace: apps}\nspec:\n  ports: [{name: http, port: 8080}]\n";
    let back = decode_yaml(&format!("{service}{}", out.to_yaml().expect("yaml")));
    let routers: Vec<(&String, &crate::model::Router)> = back.config.http_routers().collect();
    assert_eq!(routers.len(), 2, "{:?}", back.findings);
    let whoami = routers
        .iter()
        .find(|(_, r)| r.rule == "Host(`whoami.lab`)")
        .expect("whoami route");
    assert_eq!(whoami.1.middlewares, ["apps-strip", "auth@file"]);
    assert_eq!(
        whoami.1.tls.as_ref().map(|t| t.options.as_str()),
        Some("apps-modern")
    );
    assert_eq!(whoami.1.entry_points, ["websecure"]);
    let opts = back.config.tls_options().expect("tls options");
    assert_eq!(opts["apps-modern"].min_version, "VersionTLS13");
}

#[test]
fn corpus_converts_to_objects_traefik_accepts() {
    let mut objects = 0;
    for (label, provider) in corpus_configs() {
        let out = encode(&provider.config, "default").expect("encodes");
        let refused: Vec<&Loss> = out
            .losses
            .iter()
            .filter(|l| l.code == "crd-refused")
            .collect();
        assert!(refused.is_empty(), "{label}: {refused:?}");
        let text = out.to_yaml().expect("yaml");
        let back = decode_yaml(&text);
        let errors: Vec<_> = back
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error && !f.code.starts_with("k8s-"))
            .collect();
        assert!(errors.is_empty(), "{label}: {errors:?}\n{text}");
        objects += out.objects.len();
    }
    assert!(objects > 50, "only {objects} objects converted");
}

#[test]
fn kubernetes_service_names_are_recognised() {
    assert_eq!(
        k8s_service("http://whoami.apps.svc:80", false),
        Some(("whoami".into(), "apps".into(), 80, None))
    );
    assert_eq!(
        k8s_service("https://api.kube.svc.cluster.local", false),
        Some(("api".into(), "kube".into(), 443, Some("https".into())))
    );
    assert_eq!(
        k8s_service("db.data.svc:5432", true),
        Some(("db".into(), "data".into(), 5432, None))
    );
    assert_eq!(k8s_service("http://127.0.0.1:80", false), None);
    assert_eq!(k8s_service("http://whoami.lab:80", false), None);
    assert_eq!(k8s_name("My_Router@x"), "my-router-x");
}
