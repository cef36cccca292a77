//! haproxy-sync against a real HAProxy 2.6 on 127.0.0.1, nodes from `--nodes-file`.

mod haproxy_support;

use std::time::{Duration, Instant};

use haproxy_support::*;

const FMAINT: u32 = 0x01;
const FDRAIN: u32 = 0x08;
const SEC: Duration = Duration::from_secs(1);

fn workers(n: usize) -> Vec<TestNode> {
    (0..n)
        .map(|i| TestNode::worker(&format!("w{i}"), &ip(i)))
        .collect()
}

#[test]
fn render_writes_a_config_haproxy_accepts() -> TestResult {
    let mut nodes = workers(2);
    nodes.push(TestNode::control_plane("cp0", "127.0.0.50"));
    let bed = Bed::new(0, &nodes);
    let text = std::fs::read_to_string(&bed.cfg)?;
    assert!(text.contains(&format!("server w0 127.0.0.10:{} check", bed.node_port)));
    assert!(text.contains(&format!("server cp0 127.0.0.50:{} check", bed.api_port)));
    // kubeadm's exclude label keeps the control plane out of the ingress backend only.
    assert!(!text.contains(&format!("server cp0 127.0.0.50:{}", bed.node_port)));
    let check = std::process::Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(&bed.cfg)
        .output()?;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    Ok(())
}

#[test]
fn node_changes_reach_the_runtime_within_one_second() -> TestResult {
    let bed = Bed::new(4, &workers(2));
    let hp = bed.start_haproxy();
    let sock = bed.sock();
    let _d = bed.start_daemon(&[]);
    assert!(wait_until(5 * SEC, || servers(&sock, "web").len() == 2));
    let pid_before = show(&sock, "show info");

    // Add a node.
    let mut nodes = workers(3);
    let t = Instant::now();
    write_nodes(&bed.nodes_file, &nodes);
    assert!(
        wait_until(SEC, || servers(&sock, "web")
            .get("w2")
            .is_some_and(|s| s.1 == 0)),
        "add: {:?}",
        servers(&sock, "web")
    );
    let add = t.elapsed();

    // Change a node's address.
    nodes[2].ip = ip(3);
    let t = Instant::now();
    write_nodes(&bed.nodes_file, &nodes);
    let want = bed.addr(3);
    assert!(
        wait_until(SEC, || servers(&sock, "web")
            .get("w2")
            .is_some_and(|s| s.0 == want)),
        "addr: {:?}",
        servers(&sock, "web")
    );
    let addr = t.elapsed();

    // NotReady drains (default policy); cordoned stays ready.
    nodes[1].ready = false;
    nodes[0].cordoned = true;
    let t = Instant::now();
    write_nodes(&bed.nodes_file, &nodes);
    assert!(wait_until(SEC, || servers(&sock, "web")
        .get("w1")
        .is_some_and(|s| s.1 & FDRAIN != 0)));
    let drain = t.elapsed();
    assert_eq!(servers(&sock, "web").get("w0").map(|s| s.1), Some(0));

    // Deleted node leaves (drain, then del once it has no sessions).
    nodes[1].ready = true;
    nodes[2].deleting = true;
    let t = Instant::now();
    write_nodes(&bed.nodes_file, &nodes);
    assert!(
        wait_until(SEC, || !servers(&sock, "web").contains_key("w2")),
        "del: {:?}",
        servers(&sock, "web")
    );
    let del = t.elapsed();
    assert_eq!(servers(&sock, "web").get("w1").map(|s| s.1), Some(0));
    eprintln!("latency: add {add:?}, addr {addr:?}, drain {drain:?}, remove {del:?}");

    // Persisted: the config has the same membership, and HAProxy was never reloaded.
    assert!(wait_until(2 * SEC, || {
        let cfg = std::fs::read_to_string(&bed.cfg).unwrap_or_default();
        cfg.contains("server w0 ") && cfg.contains("server w1 ") && !cfg.contains("server w2 ")
    }));
    assert_eq!(
        pid_before.lines().find(|l| l.starts_with("Pid:")),
        show(&sock, "show info")
            .lines()
            .find(|l| l.starts_with("Pid:"))
    );
    drop(hp);
    Ok(())
}

#[test]
fn hundred_changes_under_load_fail_no_request() -> TestResult {
    let n = 6;
    let bed = Bed::new(n, &workers(4));
    let _hp = bed.start_haproxy();
    let sock = bed.sock();
    let _d = bed.start_daemon(&[]);
    assert!(wait_until(5 * SEC, || servers(&sock, "web").len() == 4));
    let load = LoadLoop::start(&bed.fe, 4, Duration::from_secs(120));
    let mut nodes = workers(n);
    let mut present = [true, true, true, true, false, false];
    let mut changes = 0;
    let t = Instant::now();
    let mut step = 0usize;
    while changes < 100 {
        step += 1;
        let i = (step * 7) % n;
        let kind = step % 4;
        match kind {
            // add or remove a node (never fewer than 3 present)
            0 | 1 => {
                if present[i] && present.iter().filter(|p| **p).count() <= 3 {
                    continue;
                }
                present[i] = !present[i];
            }
            // NotReady toggle (drain / undrain)
            2 => {
                if !present[i] {
                    continue;
                }
                nodes[i].ready = !nodes[i].ready;
            }
            // move a node to a spare address and back
            _ => {
                if !present[i] {
                    continue;
                }
                nodes[i].ip = if nodes[i].ip == ip(i) {
                    ip((i + 1) % n)
                } else {
                    ip(i)
                };
            }
        }
        changes += 1;
        let list: Vec<TestNode> = nodes
            .iter()
            .zip(present)
            .filter(|(_, p)| *p)
            .map(|(n, _)| n.clone())
            .collect();
        write_nodes(&bed.nodes_file, &list);
        let expected: Vec<(String, String, bool)> = list
            .iter()
            .map(|n| {
                (
                    n.name.clone(),
                    format!("{}:{}", n.ip, bed.node_port),
                    n.ready,
                )
            })
            .collect();
        let applied = wait_until(3 * SEC, || {
            let s = servers(&sock, "web");
            s.len() == expected.len()
                && expected.iter().all(|(name, addr, ready)| {
                    s.get(name).is_some_and(|(a, bits)| {
                        a == addr && ((bits & FDRAIN != 0) != *ready) && bits & FMAINT == 0
                    })
                })
        });
        assert!(
            applied,
            "change {changes} not applied: want {expected:?}, have {:?}",
            servers(&sock, "web")
        );
    }
    let elapsed = t.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    let (ok, failed) = load.finish();
    eprintln!("100 changes in {elapsed:?}; requests ok {ok}, failed {failed}");
    assert!(ok > 500, "too few requests went through: {ok}");
    assert_eq!(failed, 0, "requests failed during membership changes");
    Ok(())
}

#[test]
fn restart_restores_state_from_the_persisted_config() -> TestResult {
    let bed = Bed::new(3, &workers(1));
    let sock = bed.sock();
    {
        let _hp = bed.start_haproxy();
        let d = bed.start_daemon(&[]);
        let mut nodes = workers(3);
        nodes[2].ready = false;
        write_nodes(&bed.nodes_file, &nodes);
        assert!(wait_until(2 * SEC, || servers(&sock, "web").len() == 3));
        assert!(wait_until(2 * SEC, || std::fs::read_to_string(&bed.cfg)
            .unwrap_or_default()
            .contains("server w2 ")));
        drop(d);
    }
    // HAProxy restarted without the daemon: membership comes from the persisted file.
    let hp = bed.start_haproxy();
    let s = servers(&sock, "web");
    assert_eq!(
        s.keys().cloned().collect::<Vec<_>>(),
        vec!["w0", "w1", "w2"]
    );
    // Drain is runtime state: the daemon re-applies it from the socket's state at start-up.
    let _d = bed.start_daemon(&[]);
    assert!(wait_until(2 * SEC, || servers(&sock, "web")
        .get("w2")
        .is_some_and(|s| s.1 & FDRAIN != 0)));
    // And after a restart while the daemon runs.
    drop(hp);
    let _hp = bed.start_haproxy();
    assert!(wait_until(3 * SEC, || servers(&sock, "web")
        .get("w2")
        .is_some_and(|s| s.1 & FDRAIN != 0)));
    Ok(())
}

#[test]
fn node_source_down_removes_nothing() -> TestResult {
    let bed = Bed::new(2, &workers(2));
    let _hp = bed.start_haproxy();
    let sock = bed.sock();
    let d = bed.start_daemon(&[]);
    assert!(wait_until(3 * SEC, || d.http_get("/healthz").0 == 200));
    let before = servers(&sock, "web");
    write_atomic(&bed.nodes_file, "{\"items\": [ this is not json");
    assert!(wait_until(2 * SEC, || d
        .logs()
        .contains("node source unusable")));
    std::fs::remove_file(&bed.nodes_file)?;
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(servers(&sock, "web"), before);
    let (_, metrics) = d.http_get("/metrics");
    assert!(
        metrics.contains("traefik_sync_haproxy_node_source_up 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("traefik_sync_haproxy_failures_total{stage=\"node-source\"}"),
        "{metrics}"
    );
    // Back: changes flow again.
    write_nodes(&bed.nodes_file, &workers(1));
    assert!(wait_until(2 * SEC, || servers(&sock, "web").len() == 1));
    Ok(())
}

#[test]
fn empty_node_list_keeps_the_backend_and_reports() -> TestResult {
    let bed = Bed::new(2, &workers(2));
    let _hp = bed.start_haproxy();
    let sock = bed.sock();
    let d = bed.start_daemon(&["--force"]);
    assert!(wait_until(3 * SEC, || d.http_get("/healthz").0 == 200));
    write_nodes(&bed.nodes_file, &[]);
    assert!(
        wait_until(2 * SEC, || d
            .logs()
            .contains("keeping the 2 current server(s)")),
        "{}",
        d.logs()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(servers(&sock, "web").len(), 2);
    let (status, body) = d.http_get("/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("selects no server"), "{body}");
    let cfg = std::fs::read_to_string(&bed.cfg)?;
    assert!(cfg.contains("server w0 ") && cfg.contains("server w1 "));
    let (_, metrics) = d.http_get("/metrics");
    assert!(metrics.contains("reason=\"empty-backend\""), "{metrics}");
    Ok(())
}

#[test]
fn removal_limit_holds() -> TestResult {
    let bed = Bed::new(4, &workers(4));
    let _hp = bed.start_haproxy();
    let sock = bed.sock();
    let d = bed.start_daemon(&[]);
    assert!(wait_until(3 * SEC, || servers(&sock, "web").len() == 4));
    write_nodes(&bed.nodes_file, &workers(1));
    assert!(
        wait_until(2 * SEC, || d.logs().contains("refusing to remove 3 of 4")),
        "{}",
        d.logs()
    );
    std::thread::sleep(Duration::from_millis(300));
    let s = servers(&sock, "web");
    assert_eq!(s.len(), 4);
    assert!(
        s.values().all(|(_, bits)| *bits == 0),
        "held removals must not stay drained: {s:?}"
    );
    // Within the limit it proceeds.
    write_nodes(&bed.nodes_file, &workers(2));
    assert!(wait_until(2 * SEC, || servers(&sock, "web").len() == 2));
    Ok(())
}

#[test]
fn bad_node_data_leaves_haproxy_untouched() -> TestResult {
    let bed = Bed::new(2, &workers(2));
    let _hp = bed.start_haproxy();
    let sock = bed.sock();
    let d = bed.start_daemon(&[]);
    assert!(wait_until(3 * SEC, || d.http_get("/healthz").0 == 200));
    let mut nodes = workers(2);
    nodes.push(TestNode::worker("w9", ""));
    nodes[0].ready = false;
    write_nodes(&bed.nodes_file, &nodes);
    assert!(
        wait_until(2 * SEC, || d
            .logs()
            .contains("node w9 has no InternalIP address")),
        "{}",
        d.logs()
    );
    let s = servers(&sock, "web");
    assert_eq!(s.len(), 2);
    assert_eq!(
        s.get("w0").map(|s| s.1),
        Some(0),
        "nothing applied, not even the drain"
    );
    assert_eq!(d.http_get("/healthz").0, 503);
    Ok(())
}

#[test]
fn bad_backends_file_and_sockets_give_clear_errors() -> TestResult {
    let bed = Bed::new(0, &workers(1));
    // Malformed definitions: exit 1 with the location.
    std::fs::write(
        &bed.backends_file,
        "backends:\n  - name: web\n    selector: {role: worker}\n    port: eighty\n",
    )?;
    let mut d = bed.start_daemon(&[]);
    assert!(wait_until(5 * SEC, || d.exited().is_some()));
    assert_eq!(d.exited().and_then(|s| s.code()), Some(1));
    assert!(d.logs().contains("line 4"), "{}", d.logs());

    // A socket without `level admin`.
    let dir = bed.dir.path();
    let cfg = dir.join("user.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n    stats socket {} mode 600 level user\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nbackend web\n    server w0 127.0.0.10:1\n",
            dir.join("admin.sock").display()
        ),
    )?;
    let _hp = Haproxy::start(dir, &cfg);
    let y = backends_yaml(dir, free_port("127.0.0.1"), 1, 2, false);
    std::fs::write(&bed.backends_file, y)?;
    let mut d = bed.start_daemon(&["--no-persist"]);
    assert!(wait_until(5 * SEC, || d.exited().is_some()), "{}", d.logs());
    assert!(d.logs().contains("permission denied"), "{}", d.logs());
    assert_eq!(servers(&bed.sock(), "web").len(), 1);

    // An unreachable socket: clear error, keeps trying, unhealthy.
    let missing = dir.join("missing.sock").display().to_string();
    let (b, n) = (
        bed.backends_file.display().to_string(),
        bed.nodes_file.display().to_string(),
    );
    let c = dir.join("never.cfg").display().to_string();
    let d = Daemon::start(
        dir,
        &[
            "--backends",
            &b,
            "--nodes-file",
            &n,
            "--haproxy-cfg",
            &c,
            "--socket",
            &missing,
            "--resync-interval",
            "1s",
        ],
    );
    assert!(
        wait_until(3 * SEC, || d.logs().contains("missing.sock")
            && d.logs().contains("No such file")),
        "{}",
        d.logs()
    );
    assert_eq!(d.http_get("/healthz").0, 503);
    assert!(!dir.join("never.cfg").exists());
    Ok(())
}

#[test]
fn structural_change_is_written_checked_and_reloaded() -> TestResult {
    let bed = Bed::new(2, &workers(2));
    let hp = bed.start_haproxy();
    let sock = bed.sock();
    // The definitions gain a backend: only a reload can create it.
    let fe = bed
        .fe
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    std::fs::write(
        &bed.backends_file,
        backends_yaml(bed.dir.path(), fe, bed.node_port, bed.api_port, true),
    )?;
    let reload = format!("kill -USR2 {}", hp.master_pid());
    let d = bed.start_daemon(&["--reload-cmd", &reload, "--min-reload-interval", "1s"]);
    assert!(
        wait_until(10 * SEC, || servers(&sock, "web-b").len() == 2),
        "{}",
        d.logs()
    );
    assert!(d.logs().contains("reloaded HAProxy"));
    let (_, metrics) = d.http_get("/metrics");
    assert!(
        metrics.contains("traefik_sync_haproxy_reloads_total 1"),
        "{metrics}"
    );
    // Server-list changes after that: no further reload.
    write_nodes(&bed.nodes_file, &workers(1));
    assert!(wait_until(3 * SEC, || servers(&sock, "web-b").len() == 1
        && servers(&sock, "web").len() == 1));
    std::thread::sleep(Duration::from_millis(300));
    let (_, metrics) = d.http_get("/metrics");
    assert!(
        metrics.contains("traefik_sync_haproxy_reloads_total 1"),
        "{metrics}"
    );

    // Live edits of backends.yaml: a broken one is ignored...
    std::fs::write(&bed.backends_file, "backends: [\n")?;
    assert!(
        wait_until(3 * SEC, || d
            .logs()
            .contains("ignoring the edited backend definitions")),
        "{}",
        d.logs()
    );
    assert_eq!(servers(&sock, "web-b").len(), 1);
    // ...a good one that drops web-b is structural: written, checked, reloaded (rate-limited).
    write_atomic(
        &bed.backends_file,
        &backends_yaml(bed.dir.path(), fe, bed.node_port, bed.api_port, false),
    );
    assert!(
        wait_until(10 * SEC, || !show(&sock, "show backend").contains("web-b")),
        "{}",
        d.logs()
    );
    assert!(!std::fs::read_to_string(&bed.cfg)?.contains("web-b"));
    assert_eq!(servers(&sock, "web").len(), 1);
    let (_, metrics) = d.http_get("/metrics");
    assert!(
        metrics.contains("traefik_sync_haproxy_reloads_total 2"),
        "{metrics}"
    );
    Ok(())
}
