//! The examples under manifests/haproxy-sync stay valid: the rendered haproxy.cfg is what
//! `haproxy-sync render` produces and `haproxy -c` accepts it; keepalived accepts its file.

mod haproxy_support;

use std::path::PathBuf;
use std::process::Command;

use haproxy_support::{TestResult, require_haproxy};

fn manifests() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/haproxy-sync")
}

#[test]
fn example_config_is_what_render_writes_and_haproxy_accepts() -> TestResult {
    require_haproxy();
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("haproxy.cfg");
    let o = haproxy_support::render(
        &manifests().join("backends.yaml"),
        &manifests().join("nodes.example.json"),
        &out,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rendered = std::fs::read_to_string(&out)?;
    let committed = std::fs::read_to_string(manifests().join("haproxy.cfg"))?;
    assert_eq!(
        rendered, committed,
        "manifests/haproxy-sync/haproxy.cfg is stale: re-run render"
    );
    // The rules, visible in the example: control planes only in the API backend, the
    // NotReady worker drained, the cordoned worker kept.
    assert!(rendered.contains("server cp-1 192.0.2.11:6443 "));
    assert!(!rendered.contains("server cp-1 192.0.2.11:80 "));
    assert!(
        rendered
            .contains("server worker-2 192.0.2.22:80 check port 10256 inter 2s fall 3 rise 2\n")
    );
    assert!(rendered.contains("server worker-3 192.0.2.23:443 check port 10256 inter 2s fall 3 rise 2 send-proxy-v2  # haproxy-sync: drain"));
    let check = Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(manifests().join("haproxy.cfg"))
        .output()?;
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    Ok(())
}

#[test]
fn render_rejects_bad_input_clearly() -> TestResult {
    require_haproxy();
    let dir = tempfile::tempdir()?;
    let nodes = dir.path().join("nodes.json");
    std::fs::write(&nodes, "{\"items\": [{\"metadata\": {\"name\": \"a\"}}, ")?;
    let out = dir.path().join("haproxy.cfg");
    let o = haproxy_support::render(&manifests().join("backends.yaml"), &nodes, &out);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nodes file") && err.contains("kubectl get nodes -o json"),
        "{err}"
    );
    assert!(!out.exists());
    // A worker without an address.
    std::fs::write(
        &nodes,
        r#"{"items": [{"metadata": {"name": "w1"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}]}"#,
    )?;
    let o = haproxy_support::render(&manifests().join("backends.yaml"), &nodes, &out);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("node w1 has no InternalIP address"));
    // A definition HAProxy rejects: haproxy -c fails, nothing written.
    let bad = dir.path().join("backends.yaml");
    std::fs::write(
        &bad,
        "backends:\n  - name: web\n    selector: {role: any}\n    port: 80\n    serverOptions: \"check inter banana\"\n",
    )?;
    std::fs::write(
        &nodes,
        r#"{"items": [{"metadata": {"name": "w1"}, "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}}]}"#,
    )?;
    let o = haproxy_support::render(&bad, &nodes, &out);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rejected the rendered configuration"));
    assert!(!out.exists());
    Ok(())
}

#[test]
fn keepalived_accepts_the_example() -> TestResult {
    let v = Command::new("keepalived").arg("-v").output();
    assert!(
        v.is_ok(),
        "this test needs keepalived (apt-get install -y keepalived, or scripts/setup.d/10-haproxy.sh)"
    );
    // keepalived -t checks that the interface exists: use this machine's first non-loopback one.
    let iface = std::fs::read_dir("/sys/class/net")?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lo")
        .min()
        .ok_or("no non-loopback network interface for keepalived -t")?;
    let text = std::fs::read_to_string(manifests().join("keepalived.conf"))?;
    let dir = tempfile::tempdir()?;
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(&conf, text.replace("eth0", &iface))?;
    let o = Command::new("keepalived")
        .arg("-t")
        .arg("-f")
        .arg(&conf)
        .output()?;
    assert!(
        o.status.success(),
        "keepalived -t: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // And it does reject a broken file.
    std::fs::write(
        &conf,
        text.replace("eth0", &iface)
            .replace("virtual_router_id 51", "virtual_router_id 999"),
    )?;
    let o = Command::new("keepalived")
        .arg("-t")
        .arg("-f")
        .arg(&conf)
        .output()?;
    assert!(!o.status.success());
    Ok(())
}
