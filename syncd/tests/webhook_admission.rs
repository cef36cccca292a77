//! The admission webhook against AdmissionReview v1 bodies shaped as the API
//! server sends them, on a view with all three providers.

use serde_json::{Value, json};
use std::sync::Arc;
use sync_core::decode::consul_kv::{KvPair, decode_provider as decode_kv};
use sync_core::decode::file_provider::{SourceFile, decode_provider as decode_files};
use sync_core::static_config::StaticConfig;
use syncd::view::{CrdChange, CrdObjects, Snapshot, ViewInputs};
use syncd::webhook::admission::review;

const STATIC: &str = "entryPoints:\n  web:\n    address: \":80\"\nproviders:\n  file:\n    directory: /d\n  consul:\n    rootKey: traefik\n  kubernetesCRD: {}\n";

const FILES_BASE: &str = "http:\n  services:\n    svc:\n      loadBalancer:\n        servers:\n          - url: http://10.0.0.9:80\n";

fn files(with_lan_only: bool) -> sync_core::provider::ProviderConfig {
    let mut text = FILES_BASE.to_string();
    if with_lan_only {
        text.push_str("  middlewares:\n    lan-only:\n      ipAllowList:\n        sourceRange: [\"10.0.0.0/8\"]\n");
    }
    decode_files(&[SourceFile {
        path: "dyn/base.yml".into(),
        content: text.into_bytes(),
    }])
}

/// A Consul router using the CRD middleware `default/auth` (`default-auth@kubernetescrd`).
fn consul() -> sync_core::provider::ProviderConfig {
    let kv = |k: &str, v: &str| KvPair {
        key: format!("traefik/{k}"),
        value: v.as_bytes().to_vec(),
    };
    decode_kv(
        &[
            kv("http/routers/kv-app/rule", "Host(`kv.example`)"),
            kv("http/routers/kv-app/entryPoints/0", "web"),
            kv("http/routers/kv-app/service", "svc@file"),
            kv(
                "http/routers/kv-app/middlewares/0",
                "default-auth@kubernetescrd",
            ),
        ],
        "traefik",
    )
}

fn k8s_service() -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "whoami", "namespace": "default"},
           "spec": {"ports": [{"name": "http", "port": 80}], "clusterIP": "10.96.0.10"}})
}

fn k8s_slice() -> Value {
    json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
           "metadata": {"name": "whoami-abcde", "namespace": "default",
                        "labels": {"kubernetes.io/service-name": "whoami"}},
           "addressType": "IPv4",
           "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
           "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": true}}]})
}

fn auth_middleware() -> Value {
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
           "metadata": {"name": "auth", "namespace": "default", "uid": "m-1"},
           "spec": {"basicAuth": {"secret": "users"}}})
}

fn users_secret() -> Value {
    json!({"apiVersion": "v1", "kind": "Secret",
           "metadata": {"name": "users", "namespace": "default"},
           "data": {"users": "dXNlcjokYXByMSRIOWZBdzNhSiR3WjJjR1VjRkQ1czVrN3ZMTE9WVGEwCg=="}})
}

fn ingress_route(name: &str, middleware: &str, tls: Option<Value>) -> Value {
    let mut spec = json!({"entryPoints": ["web"], "routes": [{
        "match": format!("Host(`{name}.example`)"), "kind": "Rule",
        "middlewares": [{"name": middleware}],
        "services": [{"name": "whoami", "port": 80}]}]});
    if let Some(tls) = tls {
        spec["tls"] = tls;
    }
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
           "metadata": {"name": name, "namespace": "default"}, "spec": spec})
}

fn snapshot(with_lan_only: bool) -> Snapshot {
    let mut crd = CrdObjects::default();
    for obj in [
        k8s_service(),
        k8s_slice(),
        auth_middleware(),
        users_secret(),
    ] {
        crd.apply(&CrdChange::Apply(obj));
    }
    let inputs = ViewInputs {
        static_cfg: Some(StaticConfig::parse("static.yml", STATIC).unwrap()),
        crd: Some(crd),
        files: Some(files(with_lan_only)),
        consul: Some(consul()),
    };
    let report = inputs.report();
    Snapshot {
        inputs,
        report: Arc::new(report),
        sources: vec![],
        generation: 1,
        computed_at_unix: 0,
    }
}

/// An AdmissionReview v1 request as kube-apiserver sends it.
fn admission_review(
    operation: &str,
    object: Option<&Value>,
    old: Option<&Value>,
    dry_run: bool,
) -> Vec<u8> {
    let some = object.or(old).cloned().unwrap_or(json!({}));
    let kind = some["kind"].as_str().unwrap_or("IngressRoute").to_string();
    let plural = format!("{}s", kind.to_lowercase());
    let group = if some["apiVersion"]
        .as_str()
        .unwrap_or("")
        .starts_with("traefik.io")
    {
        "traefik.io"
    } else {
        ""
    };
    serde_json::to_vec(&json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": group, "version": "v1alpha1", "kind": kind},
            "resource": {"group": group, "version": "v1alpha1", "resource": plural},
            "requestKind": {"group": group, "version": "v1alpha1", "kind": kind},
            "requestResource": {"group": group, "version": "v1alpha1", "resource": plural},
            "name": some["metadata"]["name"],
            "namespace": some["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": "admin", "groups": ["system:authenticated"]},
            "object": object.cloned().unwrap_or(Value::Null),
            "oldObject": old.cloned().unwrap_or(Value::Null),
            "dryRun": dry_run,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": if operation == "DELETE" { "DeleteOptions" } else { "CreateOptions" }}
        }
    }))
    .unwrap()
}

fn response(v: &Value) -> &Value {
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    &v["response"]
}

#[test]
fn the_base_view_is_clean() {
    let s = snapshot(false);
    assert!(!s.report.has_errors(), "{:#?}", s.report.findings);
    assert_eq!(
        s.report.http.routers["kv-app@consul"].status,
        sync_core::report::Status::Enabled
    );
}

#[test]
fn an_ingress_route_using_a_missing_file_middleware_is_denied_naming_it() {
    let s = snapshot(false);
    let obj = ingress_route("status", "lan-only@file", None);
    for dry_run in [false, true] {
        let out = review(&s, &admission_review("CREATE", Some(&obj), None, dry_run));
        let r = response(&out);
        assert_eq!(r["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(r["allowed"], false, "{out:#}");
        let msg = r["status"]["message"].as_str().unwrap();
        eprintln!("denial: {msg}");
        assert!(msg.contains("lan-only@file"), "{msg}");
        assert!(msg.contains("IngressRoute default/status"), "{msg}");
        assert!(msg.contains("@kubernetescrd"), "names the router: {msg}");
        assert!(
            msg.contains("fix: create middleware \"lan-only@file\" first, or remove the reference from router(s) default-status-"),
            "{msg}"
        );
        assert_eq!(r["status"]["code"], 403);
    }
}

#[test]
fn the_same_ingress_route_is_allowed_once_the_files_provider_has_the_middleware() {
    let s = snapshot(true);
    let obj = ingress_route("status", "lan-only@file", None);
    let out = review(&s, &admission_review("CREATE", Some(&obj), None, false));
    let r = response(&out);
    assert_eq!(r["allowed"], true, "{out:#}");
    assert!(r.get("warnings").is_none(), "{out:#}");
}

#[test]
fn deleting_a_middleware_a_consul_router_uses_is_denied() {
    let s = snapshot(false);
    let out = review(
        &s,
        &admission_review("DELETE", None, Some(&auth_middleware()), false),
    );
    let r = response(&out);
    assert_eq!(r["allowed"], false, "{out:#}");
    let msg = r["status"]["message"].as_str().unwrap();
    eprintln!("denial: {msg}");
    assert!(msg.contains("kv-app@consul"), "{msg}");
    assert!(msg.contains("Middleware default/auth"), "{msg}");
    assert!(msg.contains("remove the reference"), "{msg}");
}

#[test]
fn deleting_an_unused_middleware_is_allowed() {
    let s = snapshot(false);
    let unused = json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
        "metadata": {"name": "unused", "namespace": "default"}, "spec": {"stripPrefix": {"prefixes": ["/x"]}}});
    let mut s2 = s.clone();
    if let Some(crd) = s2.inputs.crd.as_mut() {
        crd.apply(&CrdChange::Apply(unused.clone()));
    }
    s2.report = Arc::new(s2.inputs.report());
    let out = review(&s2, &admission_review("DELETE", None, Some(&unused), false));
    assert_eq!(response(&out)["allowed"], true, "{out:#}");
}

#[test]
fn a_new_warning_is_allowed_with_short_warnings() {
    let s = snapshot(true);
    let obj = ingress_route(
        "shop",
        "lan-only@file",
        Some(json!({"certResolver": "not-declared"})),
    );
    let out = review(&s, &admission_review("CREATE", Some(&obj), None, false));
    let r = response(&out);
    assert_eq!(r["allowed"], true, "{out:#}");
    let warnings = r["warnings"].as_array().expect("warnings");
    assert!(!warnings.is_empty());
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("unknown-cert-resolver")),
        "{warnings:?}"
    );
    eprintln!("warnings: {warnings:?}");
    for w in warnings {
        assert!(w.as_str().unwrap().chars().count() < 120, "{w}");
    }
}

#[test]
fn errors_that_existed_before_do_not_block_an_unrelated_fix() {
    // A view with a broken IngressRoute: an unrelated update still goes through.
    let mut s = snapshot(false);
    let broken = ingress_route("status", "lan-only@file", None);
    if let Some(crd) = s.inputs.crd.as_mut() {
        crd.apply(&CrdChange::Apply(broken));
    }
    s.report = Arc::new(s.inputs.report());
    assert!(s.report.has_errors());
    let mut m = auth_middleware();
    m["spec"]["basicAuth"]["realm"] = json!("lab");
    let out = review(
        &s,
        &admission_review("UPDATE", Some(&m), Some(&auth_middleware()), false),
    );
    assert_eq!(response(&out)["allowed"], true, "{out:#}");
}

#[test]
fn kinds_we_do_not_handle_are_allowed_and_garbage_for_ours_is_denied() {
    let s = snapshot(false);
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}});
    let out = review(&s, &admission_review("CREATE", Some(&cm), None, false));
    assert_eq!(response(&out)["allowed"], true, "{out:#}");

    let mut body: Value = serde_json::from_slice(&admission_review(
        "CREATE",
        Some(&auth_middleware()),
        None,
        false,
    ))
    .unwrap();
    body["request"]["object"] = json!("not an object");
    let out = review(&s, &serde_json::to_vec(&body).unwrap());
    let r = response(&out);
    assert_eq!(r["allowed"], false);
    assert_eq!(r["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("not a JSON object")
    );

    let out = review(&s, b"{not json");
    assert_eq!(response(&out)["allowed"], false);
    assert!(
        response(&out)["status"]["message"]
            .as_str()
            .unwrap()
            .contains("not JSON")
    );
}

#[test]
fn a_middleware_failing_the_crd_schema_is_denied() {
    let s = snapshot(false);
    let bad = json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
        "metadata": {"name": "bad", "namespace": "default"},
        "spec": {"stripPrefix": {"prefixes": "not-a-list"}}});
    let out = review(&s, &admission_review("CREATE", Some(&bad), None, false));
    let r = response(&out);
    assert_eq!(r["allowed"], false, "{out:#}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("Middleware default/bad"),
        "{out:#}"
    );
}
