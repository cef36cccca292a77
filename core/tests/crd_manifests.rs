//! The CRD decoder on manifests: the reference examples, findings and their locations.

use sync_core::decode::crd::{CrdOptions, SourceFile, decode_manifests, decode_manifests_with};
use sync_core::finding::{Finding, Severity};
use sync_core::provider::ProviderConfig;
use sync_core::static_config::CrdProviderOptions;

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_string(),
        content: text.as_bytes().to_vec(),
    }
}

fn decode(text: &str) -> ProviderConfig {
    decode_manifests(&[file("m.yaml", text)], &CrdProviderOptions::default())
}

fn codes(p: &ProviderConfig) -> Vec<(&'static str, String)> {
    p.findings
        .iter()
        .map(|f| (f.code, f.message.clone()))
        .collect()
}

fn find<'a>(p: &'a ProviderConfig, code: &str) -> &'a Finding {
    p.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} finding in {:?}", codes(p)))
}

const EXAMPLE_SERVICES: &str = "
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: s1, namespace: default}, spec: {ports: [{name: http, port: 80}]}}
- {apiVersion: v1, kind: Service, metadata: {name: s2, namespace: default}, spec: {ports: [{name: http, port: 80}, {name: https, port: 433}]}}
- {apiVersion: v1, kind: Service, metadata: {name: s3, namespace: default}, spec: {ports: [{name: http, port: 80}, {name: https, port: 8443}]}}
- {apiVersion: v1, kind: Service, metadata: {name: whoamitcp, namespace: default}, spec: {ports: [{name: tcp, port: 8080}]}}
- {apiVersion: v1, kind: Service, metadata: {name: whoamiudp, namespace: default}, spec: {ports: [{name: udp, port: 8080}]}}
";

/// `crd-examples.yaml` (Traefik's reference examples) with the Services it
/// refers to: the only errors are the genuine ones — its ServersTransportTCP
/// puts `tls` fields directly under `spec`, which the CRD schema refuses.
#[test]
fn reference_examples_decode() {
    let text = include_str!("../../../shared/traefik-reference/crd-examples.yaml");
    let p = decode_manifests(
        &[
            file("crd-examples.yaml", text),
            file("services.yaml", EXAMPLE_SERVICES),
        ],
        &CrdProviderOptions::default(),
    );
    let errors: Vec<String> = p
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {}", f.code, f.message))
        .collect();
    let unknown = [
        "spec.serverName",
        "spec.insecureSkipVerify",
        "spec.rootCAsSecrets",
        "spec.certificatesSecrets",
        "spec.peerCertURI",
    ];
    assert_eq!(errors.len(), unknown.len(), "{errors:#?}");
    for (e, field) in errors.iter().zip(unknown) {
        assert!(
            e.starts_with("crd-unknown-field") && e.contains(&format!("unknown field \"{field}\"")),
            "{e}"
        );
    }
    let f = find(&p, "crd-unknown-field");
    let src = f.source.as_ref().expect("source");
    assert_eq!(
        (
            src.path.as_deref(),
            src.line,
            src.column,
            src.kind.as_deref(),
            src.name.as_deref()
        ),
        (
            Some("crd-examples.yaml"),
            Some(234),
            Some(3),
            Some("ServersTransportTCP"),
            Some("mytransporttcp")
        )
    );
    let http = p.config.http.as_ref().expect("http");
    // Two routes share `PathPrefix(`/misc`)`: one router, and a warning.
    assert_eq!(http.routers.len(), 4, "{:?}", http.routers.keys());
    assert!(
        find(&p, "crd-duplicate-route")
            .message
            .contains("routes[1] and routes[2]")
    );
    for r in http.routers.values() {
        assert_eq!(r.entry_points, ["web", "websecure"]);
        assert_eq!(
            r.tls.as_ref().map(|t| t.options.as_str()),
            Some("default-my-tls-option")
        );
    }
    assert!(http.services.contains_key("default-wrr1"));
    assert!(http.services.contains_key("default-mirror2"));
    assert!(http.services.contains_key("default-s3-80"));
    assert!(http.middlewares.is_empty());
    let tcp = p.config.tcp.as_ref().expect("tcp");
    assert!(
        tcp.routers
            .contains_key("default-ingressroutetcp.crd-fb79b2863353e1f830f6"),
        "{:?}",
        tcp.routers.keys()
    );
    assert!(
        tcp.servers_transports
            .contains_key("default-mytransporttcp")
    );
    let udp = p.config.udp.as_ref().expect("udp");
    assert!(udp.routers.contains_key("default-ingressrouteudp.crd-0"));
    let tls = p.config.tls.as_ref().expect("tls");
    assert!(tls.options.contains_key("default-tlsoption"));
}

const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: whoami\n  namespace: default\nspec:\n  ports:\n  - name: web\n    port: 80\n";

fn route(extra_spec: &str, route_extra: &str) -> String {
    format!(
        "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: r\n  namespace: default\nspec:\n  entryPoints: [web]\n{extra_spec}  routes:\n  - match: Host(`a.example`)\n    services:\n    - name: whoami\n      port: 80\n{route_extra}"
    )
}

const ROUTER: &str = "default-r-6f4450db918ac69a4bf5";

#[test]
fn router_and_service_names() {
    let p = decode(&format!("{}---\n{SVC}", route("", "")));
    let http = p.config.http.as_ref().expect("http");
    let (name, router) = http.routers.iter().next().expect("router");
    assert!(
        name.starts_with("default-r-") && name.len() == "default-r-".len() + 20,
        "{name}"
    );
    assert_eq!(router.service, *name);
    assert!(http.services[name.as_str()].load_balancer.is_some());
    // endpoints are not in the input: assumed, reported as info
    assert_eq!(find(&p, "k8s-endpoints-assumed").severity, Severity::Info);
    assert!(
        p.origins
            .get(sync_core::objects::ObjectKind::HttpRouter, name)
            .is_some()
    );
}

#[test]
fn malformed_yaml_is_a_finding_and_other_files_still_decode() {
    let files = [
        file(
            "bad.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: x\n  oops: [\n",
        ),
        file("good.yaml", &format!("{}---\n{SVC}", route("", ""))),
        file("binary.yaml", "\u{0}\u{1}\u{2}garbage: [[[\n"),
    ];
    let mut files = files.to_vec();
    files.push(SourceFile {
        path: "latin1.yaml".into(),
        content: vec![b'a', b':', b' ', 0xff, b'\n'],
    });
    let p = decode_manifests(&files, &CrdProviderOptions::default());
    assert!(!p.is_rejected());
    let bad: Vec<&Finding> = p
        .findings
        .iter()
        .filter(|f| f.code == "crd-manifest-invalid")
        .collect();
    assert_eq!(bad.len(), 3, "{:?}", codes(&p));
    let src = bad[0].source.as_ref().expect("source");
    assert_eq!(src.path.as_deref(), Some("bad.yaml"));
    assert!(src.line.is_some_and(|l| l >= 3), "{src:?}");
    assert_eq!(p.config.http.as_ref().map(|h| h.routers.len()), Some(1));
}

#[test]
fn other_kinds_are_ignored_with_info() {
    let p = decode(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: traefik.containo.us/v1alpha1\nkind: IngressRoute\nmetadata: {name: old}\nspec: {routes: []}\n---\napiVersion: traefik.io/v1alpha1\nkind: IngressRouteHTTP\nmetadata: {name: typo}\n",
    );
    assert_eq!(find(&p, "k8s-object-ignored").severity, Severity::Info);
    let unknown: Vec<_> = p
        .findings
        .iter()
        .filter(|f| f.code == "crd-unknown-kind")
        .collect();
    assert_eq!(unknown.len(), 2, "{:?}", codes(&p));
    assert!(unknown[0].message.contains("removed in Traefik v3"));
}

#[test]
fn list_documents_are_expanded() {
    let p = decode(&format!(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: traefik.io/v1alpha1\n  kind: Middleware\n  metadata: {{name: strip, namespace: apps}}\n  spec: {{stripPrefix: {{prefixes: [/a]}}}}\n---\n{SVC}"
    ));
    let http = p.config.http.as_ref().expect("http");
    assert!(http.middlewares.contains_key("apps-strip"));
}

#[test]
fn cross_namespace_middleware_is_refused_and_the_route_skipped() {
    let text = format!(
        "{}---\n{SVC}",
        route(
            "",
            "    middlewares:\n    - name: auth\n      namespace: security\n"
        )
    );
    let p = decode(&text);
    assert!(p.config.http.as_ref().is_none_or(|h| h.routers.is_empty()));
    let f = find(&p, "cross-namespace-refused");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message.contains("allowCrossNamespace is disabled"),
        "{}",
        f.message
    );
    let src = f.source.as_ref().expect("source");
    assert_eq!(
        (
            src.line,
            src.kind.as_deref(),
            src.namespace.as_deref(),
            src.name.as_deref()
        ),
        (Some(14), Some("IngressRoute"), Some("default"), Some("r"))
    );
    assert_eq!(
        f.object.as_deref(),
        Some(format!("{ROUTER}@kubernetescrd").as_str())
    );

    // allowed with allowCrossNamespace
    let opts = CrdProviderOptions {
        allow_cross_namespace: true,
        ..CrdProviderOptions::default()
    };
    let p = decode_manifests(&[file("m.yaml", &text)], &opts);
    let r = p
        .config
        .http
        .as_ref()
        .and_then(|h| h.routers.get(ROUTER))
        .expect("router");
    assert_eq!(r.middlewares, ["security-auth"]);

    // `ns-name@kubernetescrd` is refused too
    let text = format!(
        "{}---\n{SVC}",
        route(
            "",
            "    middlewares:\n    - name: security-auth@kubernetescrd\n"
        )
    );
    let p = decode(&text);
    assert!(
        find(&p, "cross-namespace-refused")
            .message
            .contains("@kubernetescrd references are disallowed")
    );
    // other providers are fine, namespace ignored with a warning
    let text = format!(
        "{}---\n{SVC}",
        route(
            "",
            "    middlewares:\n    - name: auth@file\n      namespace: x\n"
        )
    );
    let p = decode(&text);
    assert_eq!(
        p.config.http.as_ref().expect("http").routers[ROUTER].middlewares,
        ["auth@file"]
    );
    assert_eq!(
        find(&p, "crd-namespace-ignored").severity,
        Severity::Warning
    );
}

#[test]
fn missing_service_skips_the_http_route_but_not_the_tcp_router() {
    let p = decode(&route("", ""));
    assert!(p.config.http.is_none());
    let f = find(&p, "k8s-service-not-found");
    assert!(
        f.message
            .contains("kubernetes service not found: default/whoami")
    );
    let p = decode(
        "apiVersion: traefik.io/v1alpha1\nkind: IngressRouteTCP\nmetadata: {name: t, namespace: default}\nspec:\n  routes:\n  - match: HostSNI(`*`)\n    services:\n    - {name: db, port: 5432}\n",
    );
    let tcp = p.config.tcp.as_ref().expect("tcp");
    assert_eq!(tcp.routers.len(), 1);
    assert!(tcp.services.is_empty());
    assert!(
        find(&p, "k8s-service-not-found")
            .message
            .contains("service not found")
    );
}

#[test]
fn default_tls_options_in_two_namespaces_are_deleted() {
    let p = decode(
        "apiVersion: traefik.io/v1alpha1\nkind: TLSOption\nmetadata: {name: default, namespace: a}\nspec: {minVersion: VersionTLS12}\n---\napiVersion: traefik.io/v1alpha1\nkind: TLSOption\nmetadata: {name: default, namespace: b}\nspec: {minVersion: VersionTLS13}\n---\napiVersion: traefik.io/v1alpha1\nkind: TLSOption\nmetadata: {name: strict, namespace: a}\nspec: {sniStrict: true}\n",
    );
    let tls = p.config.tls.as_ref().expect("tls");
    assert!(!tls.options.contains_key("default"));
    assert!(tls.options.contains_key("a-strict"));
    assert_eq!(
        p.findings
            .iter()
            .filter(|f| f.code == "tls-default-conflict")
            .count(),
        2
    );
    let p = decode(
        "apiVersion: traefik.io/v1alpha1\nkind: TLSOption\nmetadata: {name: default, namespace: a}\nspec: {minVersion: VersionTLS12}\n",
    );
    assert!(
        p.config
            .tls
            .as_ref()
            .expect("tls")
            .options
            .contains_key("default")
    );
}

#[test]
fn null_tls_is_pruned_and_tls_braces_turn_tls_on() {
    let p = decode(&format!("{}---\n{SVC}", route("  tls:\n", "")));
    assert!(
        p.config.http.as_ref().expect("http").routers[ROUTER]
            .tls
            .is_none()
    );
    assert_eq!(find(&p, "crd-null-pruned").severity, Severity::Warning);
    let p = decode(&format!("{}---\n{SVC}", route("  tls: {}\n", "")));
    assert!(
        p.config.http.as_ref().expect("http").routers[ROUTER]
            .tls
            .is_some()
    );
}

#[test]
fn unknown_fields_and_schema_errors() {
    // unknown field: reported, object kept without it
    let p = decode(&format!("{}---\n{SVC}", route("  entrypoint: [x]\n", "")));
    let f = find(&p, "crd-unknown-field");
    assert_eq!(f.source.as_ref().and_then(|s| s.line), Some(8));
    assert!(
        p.config
            .http
            .as_ref()
            .is_some_and(|h| h.routers.contains_key(ROUTER))
    );
    // wrong type: the API server refuses the object
    let p = decode(&format!("{}---\n{SVC}", route("", "    priority: high\n")));
    assert!(
        find(&p, "crd-schema-invalid")
            .message
            .contains("must be of type integer")
    );
    assert!(p.config.http.is_none());
}

#[test]
fn tcp_router_with_middlewares_is_not_normalized() {
    let p = decode(
        "apiVersion: traefik.io/v1alpha1\nkind: IngressRouteTCP\nmetadata: {name: db.route, namespace: default}\nspec:\n  entryPoints: [pg]\n  routes:\n  - match: HostSNI(`*`)\n    middlewares: [{name: allow}]\n    services:\n    - {name: db, port: 5432}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: default}\nspec: {ports: [{port: 5432}]}\n---\napiVersion: traefik.io/v1alpha1\nkind: MiddlewareTCP\nmetadata: {name: allow, namespace: default}\nspec: {ipAllowList: {sourceRange: [10.0.0.0/8]}}\n",
    );
    let tcp = p.config.tcp.as_ref().expect("tcp");
    let (name, r) = tcp.routers.iter().next().expect("router");
    assert!(name.starts_with("default-db.route-"), "{name}");
    assert_eq!(r.middlewares, ["default-allow"]);
    assert!(tcp.middlewares.contains_key("default-allow"));
    assert!(tcp.services.contains_key(name.as_str()));
}

#[test]
fn udp_routers_are_named_by_index() {
    let p = decode(
        "apiVersion: traefik.io/v1alpha1\nkind: IngressRouteUDP\nmetadata: {name: dns, namespace: net}\nspec:\n  routes:\n  - services: [{name: coredns, port: 53}]\n  - services: [{name: coredns, port: 53}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: coredns, namespace: net}\nspec: {ports: [{port: 53, protocol: UDP}]}\n",
    );
    let udp = p.config.udp.as_ref().expect("udp");
    assert!(udp.routers.contains_key("net-dns-0") && udp.routers.contains_key("net-dns-1"));
}

#[test]
fn parent_refs_and_deprecated_syntax() {
    let parent = "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: {name: parent, namespace: default}\nspec:\n  routes:\n  - match: Host(`a.example`)\n";
    let child = format!(
        "{}  parentRefs: [{{name: parent}}]\n",
        route("", "    syntax: v2\n")
    );
    let p = decode(&format!("{parent}---\n{child}---\n{SVC}"));
    let http = p.config.http.as_ref().expect("http");
    let parent_router = http
        .routers
        .keys()
        .find(|k| k.starts_with("default-parent-"))
        .expect("parent")
        .clone();
    let child_router = &http.routers[ROUTER];
    assert_eq!(child_router.parent_refs, [parent_router]);
    assert_eq!(child_router.rule_syntax, "v2");
    assert!(find(&p, "crd-deprecated").message.contains("syntax"));
    // a missing parent drops the whole IngressRoute
    let p = decode(&format!("{child}---\n{SVC}"));
    assert!(p.config.http.is_none());
    assert!(
        find(&p, "crd-parent-ref-invalid")
            .message
            .contains("parent IngressRoute default/parent does not exist")
    );
}

#[test]
fn duplicates_and_filters() {
    let mw = |prefix: &str| {
        format!(
            "apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: add\n  namespace: default\n  labels: {{team: a}}\nspec: {{addPrefix: {{prefix: {prefix}}}}}\n"
        )
    };
    let p = decode(&format!("{}---\n{}", mw("/one"), mw("/two")));
    assert_eq!(find(&p, "duplicate-object").severity, Severity::Warning);
    let m = &p.config.http.as_ref().expect("http").middlewares["default-add"];
    assert_eq!(
        m.add_prefix.as_ref().map(|a| a.prefix.as_str()),
        Some("/two")
    );

    let opts = CrdProviderOptions {
        label_selector: "team=b".into(),
        ..CrdProviderOptions::default()
    };
    let p = decode_manifests(&[file("m.yaml", &mw("/x"))], &opts);
    assert!(p.config.http.is_none());
    assert!(
        find(&p, "crd-object-not-watched")
            .message
            .contains("labelSelector")
    );

    let opts = CrdProviderOptions {
        namespaces: vec!["prod".into()],
        ..CrdProviderOptions::default()
    };
    let p = decode_manifests(&[file("m.yaml", &mw("/x"))], &opts);
    assert!(p.config.http.is_none());

    let opts = CrdProviderOptions {
        label_selector: "team in (a".into(),
        ..CrdProviderOptions::default()
    };
    let p = decode_manifests(&[file("m.yaml", &mw("/x"))], &opts);
    assert!(p.is_rejected());
}

#[test]
fn secrets_strict_in_cluster_mode_assumed_offline() {
    let mw = "apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata: {name: auth, namespace: default}\nspec: {basicAuth: {secret: users}}\n";
    let p = decode(mw);
    assert!(
        p.config
            .http
            .as_ref()
            .is_some_and(|h| h.middlewares.contains_key("default-auth"))
    );
    assert_eq!(
        find(&p, "k8s-secret-not-in-input").severity,
        Severity::Warning
    );
    let p = decode_manifests_with(
        &[file("m.yaml", mw)],
        &CrdOptions::cluster(&CrdProviderOptions::default()),
    );
    assert!(p.config.http.is_none());
    assert!(
        find(&p, "crd-object-dropped")
            .message
            .contains("secret 'default/users' not found")
    );
    // with the Secret: users from it (one per line), basic-auth type hashed with {SHA}
    let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: users, namespace: default}\ntype: kubernetes.io/basic-auth\nstringData: {username: bob, password: secret}\n";
    let p = decode_manifests_with(
        &[file("m.yaml", &format!("{mw}---\n{secret}"))],
        &CrdOptions::cluster(&CrdProviderOptions::default()),
    );
    let users = &p.config.http.as_ref().expect("http").middlewares["default-auth"]
        .basic_auth
        .as_ref()
        .expect("basicAuth")
        .users;
    assert_eq!(users, &["bob:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ="]);
}

#[test]
fn traefik_service_cross_provider_and_kinds() {
    let p = decode(
        "apiVersion: traefik.io/v1alpha1\nkind: TraefikService\nmetadata: {name: wrr, namespace: default}\nspec:\n  weighted:\n    services:\n    - {name: api@file, kind: TraefikService, weight: 3}\n    - {name: other, kind: TraefikService}\n",
    );
    let svc = &p.config.http.as_ref().expect("http").services["default-wrr"];
    let w = svc.weighted.as_ref().expect("weighted");
    assert_eq!(
        w.services
            .iter()
            .map(|s| (s.name.as_str(), s.weight))
            .collect::<Vec<_>>(),
        [("api@file", Some(3)), ("default-other", Some(1))]
    );
}
