//! Benchmark helper for `bench/routing.py`: route lookups per second and overlap analysis time.
//! Usage: route_bench STATIC FILES_DIR REQUESTS_FILE [SECONDS]
//! REQUESTS_FILE: one `host path` per line. Prints one JSON object.

use std::time::Instant;
use sync_core::routing::{RoutingTable, overlap, route_http};
use sync_core::rules::HttpRequest;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 {
        eprintln!("usage: route_bench STATIC FILES_DIR REQUESTS_FILE [SECONDS]");
        std::process::exit(2);
    }
    let secs: f64 = a.get(4).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let st_text = std::fs::read_to_string(&a[1]).expect("static");
    let st = sync_core::static_config::StaticConfig::parse(&a[1], &st_text).expect("static parse");
    let files = sync_core::load::file_provider_files(std::path::Path::new(&a[2])).expect("files");
    let p = sync_core::decode::file_provider::decode_provider(&files);
    let t0 = Instant::now();
    let report = sync_core::validate::validate(Some(&st), std::slice::from_ref(&p));
    let validate_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let table = RoutingTable::build(Some(&st), std::slice::from_ref(&p), &report);
    let build_s = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let ov = overlap::analyze(&table);
    let overlap_s = t2.elapsed().as_secs_f64();
    let reqs: Vec<HttpRequest> = std::fs::read_to_string(&a[3])
        .expect("requests")
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(h, p)| HttpRequest {
            method: "GET".into(),
            host: h.into(),
            path: p.into(),
            client_ip: Some("127.0.0.1".parse().unwrap()),
            ..Default::default()
        })
        .collect();
    let start = Instant::now();
    let mut n = 0u64;
    let mut routed = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        for r in &reqs {
            if route_http(&table, "web", r, false)
                .unwrap()
                .router
                .is_some()
            {
                routed += 1;
            }
            n += 1;
        }
    }
    let el = start.elapsed().as_secs_f64();
    let routers: usize = table.entry_points.values().map(|e| e.http.len()).sum();
    println!(
        "{{\"routers\": {routers}, \"lookups\": {n}, \"routed\": {routed}, \"lookups_per_s\": {:.0}, \"validate_s\": {validate_s:.3}, \"table_build_s\": {build_s:.3}, \"overlap_s\": {overlap_s:.3}, \"overlap_results\": {}}}",
        n as f64 / el,
        ov.len()
    );
}
