//! The incremental admission verdict equals the full re-validation verdict,
//! on every scenario of the corpus and the homelab example, for generated
//! changes: every Traefik object deleted, updated (harmlessly and
//! destructively), and new objects referencing what each provider defines or
//! misses, overlapping existing hosts, or carrying warnings.

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::view_dir;
use syncd::view::{CrdChange, Snapshot, ViewInputs};
use syncd::webhook::admission::{KINDS, judge, judge_full, parse_request};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenarios() -> Vec<PathBuf> {
    let mut out = vec![repo().join("examples/homelab")];
    for cat in ["reference", "decode", "consul", "routing"] {
        let Ok(rd) = std::fs::read_dir(repo().join("tests/corpus").join(cat)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        out.extend(dirs);
    }
    out
}

const DEFAULT_STATIC: &str = "entryPoints:\n  web:\n    address: \":80\"\n  websecure:\n    address: \":443\"\nproviders:\n  file: {}\n  consul: {}\n  kubernetesCRD: {}\n";

/// Objects of every other `traefik.io` kind, wired together and to the
/// homelab's `apps/whoami` Service, so that changes to each kind are judged.
fn extras() -> Vec<Value> {
    let t = |kind: &str, name: &str, spec: Value| {
        json!({"apiVersion": "traefik.io/v1alpha1", "kind": kind,
               "metadata": {"name": name, "namespace": "apps"}, "spec": spec})
    };
    vec![
        t("TLSOption", "modern", json!({"minVersion": "VersionTLS13"})),
        t(
            "TLSStore",
            "default",
            json!({"defaultCertificate": {"secretName": "wildcard"}}),
        ),
        t(
            "ServersTransport",
            "insecure",
            json!({"insecureSkipVerify": true}),
        ),
        t(
            "ServersTransportTCP",
            "tcp-timeouts",
            json!({"dialTimeout": "5s"}),
        ),
        t(
            "TraefikService",
            "split",
            json!({"weighted": {"services": [
            {"name": "whoami", "port": 80, "weight": 3, "serversTransport": "insecure"},
            {"name": "whoami", "port": 80, "weight": 1}]}}),
        ),
        t(
            "IngressRoute",
            "shop",
            json!({"entryPoints": ["websecure"], "routes": [{
            "match": "Host(`shop.lab.example`)", "kind": "Rule",
            "services": [{"name": "split", "kind": "TraefikService"}]}],
            "tls": {"options": {"name": "modern"}}}),
        ),
        t(
            "MiddlewareTCP",
            "lan",
            json!({"ipAllowList": {"sourceRange": ["10.0.0.0/8"]}}),
        ),
        t(
            "IngressRouteTCP",
            "db",
            json!({"entryPoints": ["websecure"], "routes": [{
            "match": "HostSNI(`db.lab.example`)", "middlewares": [{"name": "lan"}],
            "services": [{"name": "whoami", "port": 80, "serversTransport": "tcp-timeouts"}]}],
            "tls": {"passthrough": true}}),
        ),
        t(
            "IngressRouteUDP",
            "dns",
            json!({"entryPoints": ["websecure"], "routes": [{
            "services": [{"name": "whoami", "port": 80}]}]}),
        ),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
               "metadata": {"name": "wildcard", "namespace": "apps"},
               "data": {"tls.crt": "bm90IGEgY2VydA==", "tls.key": "bm90IGEga2V5"}}),
    ]
}

/// The scenario's view, with the homelab's Kubernetes objects when it has
/// none, and [`extras`] in every second scenario.
fn view_of(dir: &Path) -> ViewInputs {
    let mut v = view_of_plain(dir);
    let n = dir.to_string_lossy().len();
    if n.is_multiple_of(2)
        && let Some(c) = v.crd.as_mut()
    {
        for o in extras() {
            c.apply(&CrdChange::Apply(o));
        }
    }
    v
}

fn view_of_plain(dir: &Path) -> ViewInputs {
    let mut v = view_dir::load(dir);
    if v.static_cfg.is_none() {
        v.static_cfg = Some(
            sync_core::static_config::StaticConfig::parse("static.yml", DEFAULT_STATIC).unwrap(),
        );
    }
    if v.crd.is_none() {
        v.crd = view_dir::load(&repo().join("examples/homelab")).crd;
    }
    v
}

fn body(op: &str, object: Option<&Value>, old: Option<&Value>) -> Vec<u8> {
    let some = object.or(old).cloned().unwrap_or_default();
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u-1", "operation": op,
            "kind": {"group": "traefik.io", "version": "v1alpha1", "kind": some["kind"]},
            "resource": {"group": "traefik.io", "version": "v1alpha1", "resource": "x"},
            "namespace": some["metadata"]["namespace"], "name": some["metadata"]["name"],
            "object": object, "oldObject": old, "dryRun": false}
    }))
    .unwrap()
}

fn route(name: &str, rule: &str, middlewares: &[&str], tls: Option<Value>) -> Value {
    let mws: Vec<Value> = middlewares.iter().map(|m| json!({"name": m})).collect();
    let mut spec = json!({"routes": [{"match": rule, "kind": "Rule", "middlewares": mws,
        "services": [{"name": "whoami", "port": 80}]}]});
    if let Some(t) = tls {
        spec["tls"] = t;
    }
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
        "metadata": {"name": name, "namespace": "apps"}, "spec": spec})
}

/// The generated requests for one view.
fn requests(v: &ViewInputs) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let objects: Vec<Value> = v
        .crd
        .as_ref()
        .map(|c| {
            c.files()
                .filter(|(k, _)| KINDS.contains(&k.kind.as_str()))
                .filter_map(|(_, f)| serde_json::from_slice(&f.content).ok())
                .collect()
        })
        .unwrap_or_default();
    for o in &objects {
        out.push(body("DELETE", None, Some(o)));
        // Harmless and destructive updates.
        let mut harmless = o.clone();
        harmless["metadata"]["labels"] = json!({"touched": "yes"});
        out.push(body("UPDATE", Some(&harmless), Some(o)));
        let mut broken = o.clone();
        match o["kind"].as_str() {
            Some("IngressRoute") => {
                broken["spec"]["routes"][0]["middlewares"] = json!([{"name": "nowhere@file"}]);
            }
            Some("Middleware") => broken["spec"] = json!({"stripPrefix": {"prefixes": "x"}}),
            _ => broken["spec"] = json!({"unknownField": 1}),
        }
        out.push(body("UPDATE", Some(&broken), Some(o)));
    }
    // New routes referencing what each provider defines, and what is missing.
    let providers = v.providers();
    let mut refs: Vec<String> = vec![
        "missing@file".into(),
        "missing@consul".into(),
        "strip-api".into(),
    ];
    let mut rules: Vec<String> = Vec::new();
    for p in &providers {
        if let Some(h) = &p.config.http {
            refs.extend(h.middlewares.keys().map(|n| format!("{n}@{}", p.name)));
            for r in h.routers.values() {
                if !r.rule.is_empty() {
                    rules.push(r.rule.clone());
                }
                // Create what other providers miss from the CRD provider.
                for m in &r.middlewares {
                    if let Some(base) = m.strip_suffix("@kubernetescrd")
                        && let Some((ns, name)) = base.split_once('-')
                    {
                        out.push(body(
                            "CREATE",
                            Some(
                                &json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
                            "metadata": {"name": name, "namespace": ns},
                            "spec": {"headers": {"customRequestHeaders": {"X-Admitted": "1"}}}}),
                            ),
                            None,
                        ));
                    }
                }
            }
        }
    }
    refs.truncate(40);
    rules.truncate(40);
    for (i, r) in refs.iter().enumerate() {
        let o = route(
            &format!("gen-ref-{i}"),
            &format!("Host(`gen{i}.lab.example`)"),
            &[r.as_str()],
            None,
        );
        out.push(body("CREATE", Some(&o), None));
    }
    for (i, rule) in rules.iter().enumerate() {
        let o = route(&format!("gen-same-{i}"), rule, &[], None);
        out.push(body("CREATE", Some(&o), None));
    }
    let o = route(
        "gen-warn",
        "Host(`warn.lab.example`)",
        &[],
        Some(json!({"certResolver": "not-declared"})),
    );
    out.push(body("CREATE", Some(&o), None));
    let o = route("gen-catchall", "PathPrefix(`/`)", &[], None);
    out.push(body("CREATE", Some(&o), None));
    // Every kind created (allowed or not, depending on what the view has).
    for o in extras().iter().filter(|o| o["apiVersion"] != "v1") {
        let mut o = o.clone();
        o["metadata"]["name"] = json!(format!(
            "new-{}",
            o["metadata"]["name"].as_str().unwrap_or("")
        ));
        out.push(body("CREATE", Some(&o), None));
    }
    out
}

#[test]
fn incremental_and_full_verdicts_are_equal_on_the_corpus() {
    let mut total = 0;
    let mut denied = 0;
    let mut warned = 0;
    let mut mismatches = Vec::new();
    for (gen_no, dir) in scenarios().into_iter().enumerate() {
        let inputs = view_of(&dir);
        let report = inputs.report();
        let snapshot = Snapshot {
            inputs,
            report: Arc::new(report),
            generation: gen_no as u64 + 1,
            ..Snapshot::default()
        };
        for b in requests(&snapshot.inputs) {
            let req = parse_request(&b).unwrap();
            let fast = judge(&snapshot, &req);
            let full = judge_full(&snapshot, &req);
            total += 1;
            denied += usize::from(!full.allowed);
            warned += usize::from(!full.warnings.is_empty());
            if fast != full {
                mismatches.push(format!(
                    "{}: {} {} {}/{}\n  fast: {fast:?}\n  full: {full:?}",
                    dir.display(),
                    req.operation,
                    req.kind,
                    req.namespace,
                    req.name
                ));
            }
        }
    }
    eprintln!(
        "{total} requests, {denied} denied, {warned} with warnings, {} mismatches",
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(total > 1000, "{total}");
    assert!(
        denied > 100 && warned > 10 && total - denied > 100,
        "{total} {denied} {warned}"
    );
}

#[test]
fn a_crd_change_seen_by_the_snapshot_rebuilds_the_index() {
    // Same generation number, different report: the cache must not be reused.
    let dir = repo().join("examples/homelab");
    let mut inputs = view_of(&dir);
    let a = Snapshot {
        report: Arc::new(inputs.report()),
        inputs: inputs.clone(),
        generation: 7,
        ..Snapshot::default()
    };
    let mw = json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
        "metadata": {"name": "late", "namespace": "apps"}, "spec": {"stripPrefix": {"prefixes": ["/l"]}}});
    let r = route("uses-late", "Host(`late.lab.example`)", &["late"], None);
    let req = parse_request(&body("CREATE", Some(&r), None)).unwrap();
    assert!(!judge(&a, &req).allowed);
    if let Some(c) = inputs.crd.as_mut() {
        c.apply(&CrdChange::Apply(mw));
    }
    let b = Snapshot {
        report: Arc::new(inputs.report()),
        inputs,
        generation: 7,
        ..Snapshot::default()
    };
    assert!(judge(&b, &req).allowed, "{:?}", judge(&b, &req));
}
