//! Rendered artifacts checked by the real tools: `cloud-init schema`, `haproxy -c`,
//! `keepalived -t` (in a network namespace that has the planned interface), `openssl` for the
//! discovery hash. Plus CLI behaviour that needs no simulator: plan output, bad input, help.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{bootstrap, require_tool, text};

fn example_with_image(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::workspace_root().join("examples/cluster.yaml"))
        .expect("examples/cluster.yaml");
    common::image(dir);
    let text = text.replace(
        "images/focal-server-cloudimg-amd64.ova",
        "focal-server-cloudimg-amd64.vmdk",
    );
    // The files the example refers to (contents do not matter offline).
    for (rel, body) in [
        ("secrets/esxi-a.password", "not-a-real-password\n"),
        (
            "certs/esxi-a.pem",
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        ),
        (
            "certs/esxi-b.pem",
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        ),
    ] {
        bootstrap::pki::write_file(&dir.join(rel), body.as_bytes(), true).expect("write fixture");
    }
    let p = dir.join("cluster.yaml");
    std::fs::write(&p, text).expect("write spec");
    p
}

fn render(dir: &Path) -> std::path::PathBuf {
    let spec = example_with_image(dir);
    let out = dir.join("out");
    let o = bootstrap(&[
        "render",
        "-f",
        spec.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "render failed: {:?}", text(&o));
    out
}

fn node_dirs(out: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(out.join("nodes"))
        .expect("nodes folder")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    assert_eq!(v.len(), 7);
    v
}

#[test]
fn user_data_passes_cloud_init_schema() {
    let cloud_init = require_tool("cloud-init");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(dir.path());
    for node in node_dirs(&out) {
        let ud = node.join("user-data");
        let o = Command::new(&cloud_init)
            .args(["schema", "--config-file"])
            .arg(&ud)
            .output()
            .expect("run cloud-init schema");
        let (so, se) = text(&o);
        assert!(
            o.status.success(),
            "{}: cloud-init schema failed:\n{so}\n{se}",
            ud.display()
        );
        assert!(so.contains("Valid cloud-config"), "{so}");
    }
    // The validator really validates: a broken document fails.
    let bad = dir.path().join("bad-user-data");
    std::fs::write(&bad, "#cloud-config\nwrite_files: 5\n").expect("write");
    let o = Command::new(&cloud_init)
        .args(["schema", "--config-file"])
        .arg(&bad)
        .output()
        .expect("run");
    assert!(
        !o.status.success(),
        "cloud-init schema accepted a broken document"
    );
}

#[test]
fn haproxy_cfg_passes_haproxy_c() {
    let haproxy = require_tool("haproxy");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(dir.path());
    let mut checked = 0;
    for node in node_dirs(&out) {
        let cfg = node.join("haproxy.cfg");
        if !cfg.exists() {
            continue;
        }
        let o = Command::new(&haproxy)
            .arg("-c")
            .arg("-f")
            .arg(&cfg)
            .output()
            .expect("run haproxy -c");
        let (so, se) = text(&o);
        assert!(
            o.status.success(),
            "{}: haproxy -c failed:\n{so}\n{se}",
            cfg.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "both LB VMs have a haproxy.cfg");
    let bad = dir.path().join("bad.cfg");
    std::fs::write(
        &bad,
        "frontend x\n    bind *:6443\n    default_backend nowhere\n",
    )
    .expect("write");
    let o = Command::new(&haproxy)
        .arg("-c")
        .arg("-f")
        .arg(&bad)
        .output()
        .expect("run");
    assert!(!o.status.success(), "haproxy -c accepted a broken config");
}

/// A network namespace with a veth named like the planned interface, removed on drop.
struct Netns(String);

impl Netns {
    fn new(interface: &str) -> Netns {
        let ip = require_tool("ip");
        let name = format!("bootstrap-test-{}", std::process::id());
        let run = |args: &[&str]| {
            let o = Command::new(&ip).args(args).output().expect("run ip");
            assert!(
                o.status.success(),
                "ip {args:?} failed: {:?} (keepalived -t needs root for a network namespace)",
                text(&o)
            );
        };
        run(&["netns", "add", &name]);
        let ns = Netns(name.clone());
        run(&[
            "-n", &name, "link", "add", interface, "type", "veth", "peer", "name", "peer0",
        ]);
        ns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
fn keepalived_conf_passes_keepalived_t() {
    let keepalived = require_tool("keepalived");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(dir.path());
    let ns = Netns::new("ens192");
    let check = |conf: &Path| {
        Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .arg(&keepalived)
            .arg("-t")
            .arg("-f")
            .arg(conf)
            .output()
            .expect("run keepalived -t")
    };
    let mut checked = 0;
    for node in node_dirs(&out) {
        let conf = node.join("keepalived.conf");
        if !conf.exists() {
            continue;
        }
        let o = check(&conf);
        let (so, se) = text(&o);
        assert!(
            o.status.success(),
            "{}: keepalived -t failed:\n{so}\n{se}",
            conf.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
    // keepalived -t rejects a config whose interface does not exist.
    let conf = std::fs::read_to_string(out.join("nodes/lab-lb-1/keepalived.conf")).expect("read");
    let bad = dir.path().join("bad.conf");
    std::fs::write(&bad, conf.replace("ens192", "ens999")).expect("write");
    assert!(
        !check(&bad).status.success(),
        "keepalived -t accepted a missing interface"
    );
}

#[test]
fn discovery_hash_matches_openssl_and_secrets_are_0600() {
    let openssl = require_tool("openssl");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(dir.path());
    // openssl x509 -pubkey -in ca.crt | openssl pkey -pubin -outform der | sha256sum
    let pubkey = Command::new(&openssl)
        .args(["x509", "-pubkey", "-noout", "-in"])
        .arg(out.join("pki/ca.crt"))
        .output()
        .expect("openssl x509");
    assert!(pubkey.status.success());
    let mut der = Command::new(&openssl)
        .args(["pkey", "-pubin", "-outform", "der"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl pkey");
    use std::io::Write;
    der.stdin
        .take()
        .expect("stdin")
        .write_all(&pubkey.stdout)
        .expect("write");
    let der = der.wait_with_output().expect("der");
    use sha2::Digest;
    let want = format!(
        "sha256:{}",
        bootstrap::pki::hex(&sha2::Sha256::digest(&der.stdout))
    );
    let got = std::fs::read_to_string(out.join("pki/discovery-hash")).expect("hash");
    assert_eq!(got.trim(), want);
    for node in ["lab-cp-2", "lab-worker-1"] {
        let k = std::fs::read_to_string(out.join(format!("nodes/{node}/kubeadm.yaml")))
            .expect("kubeadm");
        assert!(k.contains(&want), "{node} join config carries the hash");
    }
    // kubeadm must accept the CA key: it is a PKCS#8 EC key openssl can read.
    let o = Command::new(&openssl)
        .args(["pkey", "-noout", "-in"])
        .arg(out.join("pki/ca.key"))
        .output()
        .expect("pkey");
    assert!(o.status.success(), "{:?}", text(&o));
    let o = Command::new(&openssl)
        .args(["verify", "-CAfile"])
        .arg(out.join("pki/ca.crt"))
        .arg(out.join("pki/ca.crt"))
        .output()
        .expect("verify");
    assert!(o.status.success(), "{:?}", text(&o));
    for rel in [
        "pki/ca.key",
        "pki/etcd/ca.key",
        "pki/sa.key",
        "admin.kubeconfig",
        "nodes/lab-cp-1/user-data",
        "nodes/lab-worker-2/kubeadm.yaml",
    ] {
        let mode = std::fs::metadata(out.join(rel))
            .expect(rel)
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{rel}");
    }
    let state = dir.path().join("lab.state");
    for rel in ["pki/ca.key", "bootstrap-token", "admin.kubeconfig"] {
        let mode = std::fs::metadata(state.join(rel))
            .expect(rel)
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "state/{rel}");
    }
}

#[test]
fn plan_prints_the_table_without_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = example_with_image(dir.path());
    let spec = spec.to_str().expect("utf-8");
    // After render, the state holds secrets; plan must still not show them.
    let out = dir.path().join("out");
    assert!(
        bootstrap(&["render", "-f", spec, "--out", out.to_str().expect("utf-8")])
            .status
            .success()
    );
    let o = bootstrap(&["plan", "-f", spec]);
    let (so, se) = text(&o);
    assert!(o.status.success(), "{so}\n{se}");
    let token =
        std::fs::read_to_string(dir.path().join("lab.state/bootstrap-token")).expect("token");
    let secret = token.trim().split_once('.').expect("token shape").1;
    assert!(
        !so.contains(secret) && !se.contains(secret),
        "token secret in plan output"
    );
    assert!(!so.contains("PRIVATE KEY"));
    assert!(
        so.contains("lab-cp-3      control-plane  esxi-a  192.168.10.15  00:50:56:"),
        "{so}"
    );
    assert!(so.contains("etcd loses quorum"), "{so}");
    assert!(so.contains("discovery hash sha256:"), "{so}");
}

#[test]
fn invalid_spec_lists_every_problem_at_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = example_with_image(dir.path());
    let text_spec = std::fs::read_to_string(&spec).expect("read")
        .replace("vip: 192.168.10.10", "vip: 10.0.0.10")
        .replace("control_planes: {count: 3", "control_planes: {count: 2")
        .replace("workers:        {count: 2, cpus: 4, memory_mb: 8192, disk_gb: 60}",
                 "workers:        {count: 2, cpus: 4, memory_mb: 8192, disk_gb: 60, ips: [192.168.10.11, 192.168.10.11]}")
        .replace("image: focal-server-cloudimg-amd64.vmdk", "image: missing.ova");
    std::fs::write(&spec, text_spec).expect("write");
    let o = bootstrap(&["plan", "-f", spec.to_str().expect("utf-8")]);
    let (so, se) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{so}\n{se}");
    assert!(
        so.is_empty(),
        "nothing is planned from an invalid spec: {so}"
    );
    for want in [
        "network.vip 10.0.0.10: outside the subnet 192.168.10.0/24",
        "nodes.control_planes.count 2: an HA control plane needs at least 3 nodes",
        "lab-worker-2: address 192.168.10.11 overlaps lab-worker-1",
        "missing.ova: file not found",
        "(4 problem(s))",
    ] {
        assert!(se.contains(want), "missing {want:?} in:\n{se}");
    }
    // A missing image is a file problem, reported by plan after the table.
    let spec2 = example_with_image(dir.path());
    let t = std::fs::read_to_string(&spec2).expect("read").replace(
        "image: focal-server-cloudimg-amd64.vmdk",
        "image: missing.ova",
    );
    std::fs::write(&spec2, t).expect("write");
    let o = bootstrap(&["plan", "-f", spec2.to_str().expect("utf-8")]);
    let (_, se) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(se.contains("missing.ova: file not found"), "{se}");
}

#[test]
fn help_teaches() {
    let o = bootstrap(&["--help"]);
    let (so, _) = text(&o);
    assert!(o.status.success());
    for want in [
        "plan",
        "render",
        "up",
        "status",
        "down",
        "Typical session",
        "BOOTSTRAP_ESXI_PASSWORD",
        "free vSphere Hypervisor",
    ] {
        assert!(so.contains(want), "--help lacks {want:?}:\n{so}");
    }
    let o = bootstrap(&["up", "--help"]);
    let (so, _) = text(&o);
    assert!(
        so.contains("--wait") && so.contains("nodes") && so.contains("[env: BOOTSTRAP_CLUSTER="),
        "{so}"
    );
    let o = bootstrap(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn node_script_passes_bash_n_and_shellcheck() {
    let shellcheck = require_tool("shellcheck");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(dir.path());
    let mut checked = 0;
    for node in node_dirs(&out) {
        let ud = std::fs::read_to_string(node.join("user-data")).expect("user-data");
        let v: serde_json::Value = serde_saphyr::from_str(&ud).expect("user-data is YAML");
        let Some(script) = v["write_files"]
            .as_array()
            .expect("write_files")
            .iter()
            .find(|f| f["path"] == "/usr/local/sbin/bootstrap-node.sh")
        else {
            continue;
        };
        let path = node.join("bootstrap-node.sh");
        std::fs::write(&path, script["content"].as_str().expect("content")).expect("write");
        let o = Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .expect("bash -n");
        assert!(o.status.success(), "{}: {:?}", path.display(), text(&o));
        let o = Command::new(&shellcheck)
            .arg(&path)
            .output()
            .expect("shellcheck");
        assert!(o.status.success(), "{}: {}", path.display(), text(&o).0);
        checked += 1;
    }
    assert_eq!(checked, 5, "every Kubernetes node has the script");
}
