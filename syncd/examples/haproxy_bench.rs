//! Benchmark (not a test): node change → HAProxy runtime state applied, haproxy-sync's
//! runtime API path next to the classic path (render + `haproxy -c` + reload), with an HTTP
//! load loop through HAProxy counting failed requests. Run with
//! `scripts/bench-haproxy-sync.sh` (needs haproxy; loopback only; bounded in time).
//!
//! Prints a table and one JSON line.

#[path = "../tests/haproxy_support/mod.rs"]
mod haproxy_support;

use std::process::Command;
use std::time::{Duration, Instant};

use haproxy_support::*;

const NODES: usize = 8;

/// The change sequence both paths apply: remove / add back / move address / move back.
fn scenario(changes: usize) -> Vec<Vec<TestNode>> {
    let mut nodes: Vec<TestNode> = (0..NODES)
        .map(|i| TestNode::worker(&format!("w{i}"), &ip(i)))
        .collect();
    let mut present = vec![true; NODES];
    let mut out = Vec::with_capacity(changes);
    for step in 0..changes {
        let i = (step / 2) % NODES;
        match (step / (2 * NODES)) % 2 {
            0 => present[i] = !present[i],
            _ => {
                nodes[i].ip = if nodes[i].ip == ip(i) {
                    ip((i + 1) % NODES)
                } else {
                    ip(i)
                }
            }
        }
        out.push(
            nodes
                .iter()
                .zip(&present)
                .filter(|(_, p)| **p)
                .map(|(n, _)| n.clone())
                .collect(),
        );
    }
    out
}

fn applied(sock: &std::path::Path, want: &[TestNode], port: u16) -> bool {
    let s = servers(sock, "web");
    s.len() == want.len()
        && want.iter().all(|n| {
            s.get(&n.name)
                .is_some_and(|(a, bits)| *a == format!("{}:{port}", n.ip) && *bits == 0)
        })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

struct Outcome {
    name: &'static str,
    latencies: Vec<Duration>,
    ok: u64,
    failed: u64,
    timeouts: usize,
}

fn run_path(name: &'static str, changes: usize, classic: bool) -> Outcome {
    let steps = scenario(changes);
    let initial: Vec<TestNode> = (0..NODES)
        .map(|i| TestNode::worker(&format!("w{i}"), &ip(i)))
        .collect();
    let bed = Bed::new(NODES, &initial);
    let hp = bed.start_haproxy();
    let sock = bed.sock();
    let daemon = if classic {
        None
    } else {
        Some(bed.start_daemon(&["--force"]))
    };
    if !wait_until(Duration::from_secs(10), || {
        applied(&sock, &initial, bed.node_port)
    }) {
        panic!("{name}: initial state not reached");
    }
    let load = LoadLoop::start(&bed.fe, 4, Duration::from_secs(600));
    std::thread::sleep(Duration::from_millis(300));
    let mut latencies = Vec::with_capacity(changes);
    let mut timeouts = 0;
    for want in &steps {
        let t = Instant::now();
        write_nodes(&bed.nodes_file, want);
        if classic {
            let o = render(&bed.backends_file, &bed.nodes_file, &bed.cfg);
            if !o.status.success() {
                panic!("render: {}", String::from_utf8_lossy(&o.stderr));
            }
            let _ = Command::new("kill")
                .arg("-USR2")
                .arg(hp.master_pid().to_string())
                .status();
        }
        if wait_until(Duration::from_secs(10), || {
            applied(&sock, want, bed.node_port)
        }) {
            latencies.push(t.elapsed());
        } else {
            timeouts += 1;
        }
        // Pace the changes a little so the reload path is not just coalesced signals.
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let (ok, failed) = load.finish();
    drop(daemon);
    drop(hp);
    latencies.sort();
    Outcome {
        name,
        latencies,
        ok,
        failed,
        timeouts,
    }
}

fn main() {
    let changes: usize = std::env::var("BENCH_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let results = [
        run_path("haproxy-sync (runtime API)", changes, false),
        run_path("classic (render + haproxy -c + reload)", changes, true),
    ];
    println!(
        "{:<42} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9}",
        "path", "changes", "p50", "p99", "max", "requests", "failed", "timeouts"
    );
    let mut json = Vec::new();
    for r in &results {
        let (p50, p99, max) = (
            percentile(&r.latencies, 0.5),
            percentile(&r.latencies, 0.99),
            r.latencies.last().copied().unwrap_or_default(),
        );
        println!(
            "{:<42} {:>8} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>10} {:>9} {:>9}",
            r.name,
            r.latencies.len() + r.timeouts,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            r.ok + r.failed,
            r.failed,
            r.timeouts
        );
        json.push(serde_json::json!({
            "path": r.name, "changes": r.latencies.len() + r.timeouts,
            "p50_ms": p50.as_secs_f64() * 1e3, "p99_ms": p99.as_secs_f64() * 1e3,
            "max_ms": max.as_secs_f64() * 1e3, "requests": r.ok + r.failed,
            "failed_requests": r.failed, "timeouts": r.timeouts
        }));
    }
    println!("{}", serde_json::Value::Array(json));
}
