//! `syncctl route test` must name the router real Traefik 3.7.15 picks, for every request
//! of the routing corpus (`tests/corpus/routing/`: scenarios with `files/`, `static.yml` and
//! `requests.txt`). The replay itself is `tests/corpus/routing/replay.py`: it starts Traefik
//! on 127.0.0.1 per scenario (each router tags its responses with `X-Router`), sends every
//! request, asks `syncctl route test` the same question and compares; Traefik is stopped
//! after each scenario. Every witness request of the overlap analysis (`syncctl routes
//! --overlaps`) is sent to Traefik too and must land on the router the analysis claims.

use std::process::Command;
use sync_tests::{syncctl::syncctl_binary, traefik::traefik_binary};

#[test]
fn route_test_names_the_router_traefik_picks() {
    let traefik = traefik_binary().expect("real Traefik (run scripts/setup-test-env.sh)");
    let syncctl = syncctl_binary().expect("syncctl (cargo build -p syncd --bin syncctl)");
    let script = sync_tests::corpus_root().join("routing/replay.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--traefik")
        .arg(&traefik)
        .arg("--syncctl")
        .arg(&syncctl)
        .output()
        .expect("running python3 replay.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    let total = stdout
        .lines()
        .find_map(|l| l.strip_prefix("TOTAL "))
        .expect("replay printed no TOTAL line");
    // "N scenarios: A/B requests agree"
    let (scenarios, rest) = total.split_once(" scenarios: ").expect("TOTAL format");
    let (agree, requests) = rest
        .split_once(" requests agree")
        .and_then(|(r, _)| r.split_once('/'))
        .expect("TOTAL format");
    let scenarios: usize = scenarios.parse().expect("scenario count");
    let requests: usize = requests.parse().expect("request count");
    assert!(
        scenarios >= 20,
        "routing corpus shrank to {scenarios} scenarios"
    );
    assert!(
        requests >= 250,
        "routing corpus shrank to {requests} requests"
    );
    assert_eq!(agree, requests.to_string(), "disagreements above");
    // "WITNESSES A/B land on ..."
    let (w_agree, w_total) = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WITNESSES "))
        .and_then(|l| l.split_once(' '))
        .and_then(|(ratio, _)| ratio.split_once('/'))
        .expect("replay printed no WITNESSES line");
    let w_total: usize = w_total.parse().expect("witness count");
    assert!(
        w_total >= 10,
        "only {w_total} overlap witnesses were replayed"
    );
    assert_eq!(w_agree, w_total.to_string(), "witness mismatches above");
    assert!(output.status.success(), "replay.py failed");
}
