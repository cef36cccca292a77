//! Benchmark (not a test): the cost of one change in syncd's merged view at
//! 1,000 and 10,000 routers — one IngressRoute changed (the CRD set decoded
//! again, then merge + validation) and one file-provider change (CRD decode
//! cached, merge + validation only). Prints a table and one JSON line.
//!
//! `cargo run -p syncd --example view_bench [-- N...]` (dev profile unless
//! `--release` is given; the figures say which).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sync_core::decode::file_provider::{SourceFile, decode_provider};
use syncd::daemon::view_loop::{Update, ViewState, source};
use syncd::view::CrdChange;

fn route(i: usize, host: &str) -> Value {
    let mut r = json!({"match": format!("Host(`{host}`) && PathPrefix(`/r{i}`)"), "kind": "Rule",
                       "services": [{"name": format!("svc{}", i % 50), "port": 80}]});
    if i.is_multiple_of(10) {
        r["middlewares"] = json!([{"name": "strip"}]);
    }
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
           "metadata": {"name": format!("r{i}"), "namespace": format!("ns{}", i % 20),
                        "uid": format!("uid-{i}")},
           "spec": {"entryPoints": ["web"], "routes": [r]}})
}

fn support(namespaces: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for n in 0..namespaces {
        let ns = format!("ns{n}");
        for s in 0..50 {
            out.push(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc{s}"), "namespace": ns},
                "spec": {"ports": [{"port": 80}], "clusterIP": "10.0.0.1"}}));
        }
        out.push(
            json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
            "metadata": {"name": "strip", "namespace": ns},
            "spec": {"stripPrefix": {"prefixes": ["/x"]}}}),
        );
    }
    out
}

fn files(n: usize, tag: &str) -> Vec<SourceFile> {
    let mut text = String::from("http:\n  routers:\n");
    for i in 0..n {
        text.push_str(&format!(
            "    f{i}:\n      rule: Host(`f{i}.{tag}.example`)\n      service: fsvc\n"
        ));
    }
    text.push_str("  services:\n    fsvc:\n      loadBalancer:\n        servers:\n          - url: http://10.0.0.9:80\n");
    vec![SourceFile {
        path: "dynamic.yml".into(),
        content: text.into_bytes(),
    }]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Row {
    routers: usize,
    initial_ms: f64,
    crd_decode_ms: f64,
    crd_validate_ms: f64,
    crd_apply_ms: f64,
    file_decode_ms: f64,
    file_validate_ms: f64,
}

fn run(n: usize) -> Row {
    let files_routers = n / 10;
    let crd_routers = n - files_routers;
    let mut state = ViewState::new(None, &[source::KUBERNETES, source::FILES], Duration::ZERO);
    let now = Instant::now();
    for obj in support(20) {
        state.apply(Update::Crd(CrdChange::Apply(obj)), now);
    }
    for i in 0..crd_routers {
        state.apply(
            Update::Crd(CrdChange::Apply(route(i, &format!("h{i}.example")))),
            now,
        );
    }
    state.apply(
        Update::Files {
            provider: Box::new(decode_provider(&files(files_routers, "a"))),
            files: 1,
        },
        now,
    );
    let t = Instant::now();
    let (snap, _) = state.recompute();
    let initial = t.elapsed();
    let routers = snap.report.http.routers.len();

    // One IngressRoute changed.
    let t = Instant::now();
    state.apply(
        Update::Crd(CrdChange::Apply(route(7, "changed.example"))),
        now,
    );
    let apply = t.elapsed();
    let (_, crd_cost) = state.recompute();

    // One file changed (decode of the file provider happens in the files
    // source task; measured here too).
    let t = Instant::now();
    let provider = decode_provider(&files(files_routers, "b"));
    let file_decode = t.elapsed();
    state.apply(
        Update::Files {
            provider: Box::new(provider),
            files: 1,
        },
        now,
    );
    let (_, file_cost) = state.recompute();
    Row {
        routers,
        initial_ms: ms(initial),
        crd_decode_ms: ms(crd_cost.decode),
        crd_validate_ms: ms(crd_cost.validate),
        crd_apply_ms: ms(apply),
        file_decode_ms: ms(file_decode + file_cost.decode),
        file_validate_ms: ms(file_cost.validate),
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    println!("syncd view: cost of one change ({profile} profile; times in ms)");
    println!(
        "{:>8} {:>10} | {:>9} {:>11} {:>11} {:>9} | {:>11} {:>11} {:>9}",
        "routers",
        "initial",
        "crd apply",
        "crd decode",
        "crd valid.",
        "crd total",
        "file decode",
        "file valid.",
        "file tot."
    );
    let mut json_rows = Vec::new();
    for n in sizes {
        let r = run(n);
        println!(
            "{:>8} {:>10.1} | {:>9.3} {:>11.1} {:>11.1} {:>9.1} | {:>11.1} {:>11.1} {:>9.1}",
            r.routers,
            r.initial_ms,
            r.crd_apply_ms,
            r.crd_decode_ms,
            r.crd_validate_ms,
            r.crd_apply_ms + r.crd_decode_ms + r.crd_validate_ms,
            r.file_decode_ms,
            r.file_validate_ms,
            r.file_decode_ms + r.file_validate_ms
        );
        json_rows.push(json!({"routers": r.routers, "initial_ms": r.initial_ms,
            "crd_change": {"apply_ms": r.crd_apply_ms, "decode_ms": r.crd_decode_ms, "validate_ms": r.crd_validate_ms},
            "file_change": {"decode_ms": r.file_decode_ms, "validate_ms": r.file_validate_ms}}));
    }
    println!(
        "{}",
        json!({"bench": "syncd-view", "profile": profile, "rows": json_rows})
    );
}
