//! Admission latency against a large view.
//!
//! `cargo bench -p syncd --bench admission [-- DIR [N_REQUESTS]]`: DIR is the
//! output of `bench/gen_config.py` (generated into `target/bench-admission`
//! with 10,000 routers when not given). Prints p50/p99/max of `review()` over
//! a mix of CREATE/UPDATE/DELETE requests, and the time of one full
//! re-validation of the view for comparison.

#[path = "../tests/support/view_dir.rs"]
mod view_dir;

use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use syncd::view::Snapshot;
use syncd::webhook::admission::review;

fn body(op: &str, object: Option<&Value>, old: Option<&Value>) -> Vec<u8> {
    let some = object.or(old).cloned().unwrap_or_default();
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u", "operation": op,
            "kind": {"group": "traefik.io", "version": "v1alpha1", "kind": some["kind"]},
            "namespace": some["metadata"]["namespace"], "name": some["metadata"]["name"],
            "object": object, "oldObject": old, "dryRun": false}
    }))
    .unwrap_or_default()
}

fn route(name: &str, host: &str, middleware: &str, service: &str) -> Value {
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {"entryPoints": ["websecure"], "routes": [{"match": format!("Host(`{host}`)"), "kind": "Rule",
            "middlewares": [{"name": middleware}], "services": [{"name": service, "port": 80}]}]}})
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = match args.first().filter(|a| !a.is_empty()) {
        // cargo runs benches in the package directory: a relative DIR is
        // taken from the workspace root when it is not found there.
        Some(d) if PathBuf::from(d).exists() => PathBuf::from(d),
        Some(d) => root.join(d),
        None => {
            let d = root.join("target/bench-admission");
            if !d.join("static.yml").exists() {
                let st = std::process::Command::new("python3")
                    .arg(root.join("bench/gen_config.py"))
                    .arg(&d)
                    .arg("10000")
                    .status()
                    .expect("python3 runs bench/gen_config.py");
                assert!(st.success());
            }
            d
        }
    };
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);

    let t = Instant::now();
    let inputs = view_dir::load(&dir);
    let load = t.elapsed();
    let t = Instant::now();
    let report = inputs.report();
    let full = t.elapsed();
    let routers = report.http.routers.len() + report.tcp.routers.len() + report.udp.routers.len();
    let snapshot = Snapshot {
        inputs,
        report: Arc::new(report),
        generation: 1,
        ..Snapshot::default()
    };
    let t = Instant::now();
    let _ = syncd::webhook::incremental::index_for(&snapshot);
    let index = t.elapsed();
    let crd_routes = 1000usize; // gen_config.py puts 10 % of the routers in CRDs

    let mut bodies = Vec::with_capacity(n);
    for i in 0..n {
        let j = i % crd_routes;
        bodies.push(match i % 4 {
            0 => body("CREATE", Some(&route(&format!("new{i}"), &format!("new{i}.lab.example"), &format!("strip{j}"), &format!("web{j}"))), None),
            1 => {
                let old = route(&format!("route{j}"), &format!("crd{j}.lab.example"), &format!("strip{j}"), &format!("web{j}"));
                let new = route(&format!("route{j}"), &format!("moved{j}.lab.example"), &format!("strip{j}"), &format!("web{j}"));
                body("UPDATE", Some(&new), Some(&old))
            }
            2 => body("DELETE", None, Some(&json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
                "metadata": {"name": format!("strip{j}"), "namespace": "apps"}, "spec": {"stripPrefix": {"prefixes": [format!("/s{j}")]}}}))),
            _ => body("CREATE", Some(&route(&format!("x{i}"), &format!("x{i}.lab.example"), &format!("hdr{j}@file"), &format!("web{j}"))), None),
        });
    }
    let mut times = Vec::with_capacity(n);
    let mut denied = 0;
    for b in &bodies {
        let t = Instant::now();
        let out = review(&snapshot, b);
        times.push(t.elapsed());
        if out["response"]["allowed"] == false {
            denied += 1;
        }
    }
    times.sort();
    println!(
        "view: {} ({routers} routers), loaded in {load:.2?}",
        dir.display()
    );
    println!("full re-validation: {full:.2?}; admission index (once per snapshot): {index:.2?}");
    println!(
        "admission reviews: {n} ({denied} denied): p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1]
    );
}
