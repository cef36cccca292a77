//! `bootstrap` against two instances of VMware's vSphere simulator (govmomi `simulator.ESX()`,
//! i.e. two standalone ESXi hosts) on 127.0.0.1, checked through govmomi.
//!
//! What the simulator cannot do, and so is not covered here: it boots no guest (no cloud-init,
//! no kubeadm), it discards NFC upload bodies (the base disk's bytes are sent but not stored),
//! and it reports guest IPs only through its test hook (the launcher's `-guest-ip` plays
//! VMware Tools by reporting the address planned in guestinfo.metadata).

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::{Sim, Trust, bootstrap, decode_guestinfo, lab, text};

const PLANNED: [(&str, usize, &str, i64, i64, i64); 7] = [
    // name, host index, ip, cpus, memory MiB, disk GiB
    ("lab-lb-1", 0, "192.168.10.11", 1, 1024, 10),
    ("lab-lb-2", 1, "192.168.10.12", 1, 1024, 10),
    ("lab-cp-1", 0, "192.168.10.13", 2, 4096, 40),
    ("lab-cp-2", 1, "192.168.10.14", 2, 4096, 40),
    ("lab-cp-3", 0, "192.168.10.15", 2, 4096, 40),
    ("lab-worker-1", 0, "192.168.10.16", 4, 8192, 60),
    ("lab-worker-2", 1, "192.168.10.17", 4, 8192, 60),
];

fn lab_vms(sim: &Sim) -> BTreeMap<String, serde_json::Value> {
    sim.inspect()
        .into_iter()
        .filter(|v| v["name"].as_str().is_some_and(|n| n.starts_with("lab-")))
        .map(|v| (v["name"].as_str().unwrap_or_default().to_string(), v))
        .collect()
}

#[test]
fn up_creates_the_lab_on_two_hosts_then_is_a_no_op_resumes_and_down_cleans_up() {
    let a = Sim::start(&["-guest-ip"]);
    let b = Sim::start(&["-tls", "-guest-ip"]);
    let cert = b
        .cert
        .clone()
        .expect("TLS simulator writes its certificate");
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::CaFile(&cert))], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");

    // First up: 7 VMs + one base image per host.
    let t = Instant::now();
    let out = bootstrap(&["up", "-f", spec, "--wait", "vms"]);
    let first_up = t.elapsed();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "up failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("VMs: 7 created, 0 resumed, 0 unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("esxi-a: base image imported, created 4"),
        "{stdout}"
    );
    assert!(
        stdout.contains("esxi-b: base image imported, created 3"),
        "{stdout}"
    );
    assert!(stdout.contains("guest IPs: all 7 VMs"), "{stdout}");
    assert!(stderr.contains("uploaded base disk"), "{stderr}");
    eprintln!(
        "TIMING: first `up --wait vms` for the 7-VM lab on two simulators: {:.2}s wall; bootstrap says: {}",
        first_up.as_secs_f64(),
        stdout
            .lines()
            .filter(|l| l.starts_with("VMs:") || l.starts_with("guest IPs:"))
            .collect::<Vec<_>>()
            .join("; ")
    );

    // Independent check through govmomi.
    let sims = [&a, &b];
    let (va, vb) = (lab_vms(&a), lab_vms(&b));
    assert_eq!(va.len(), 5, "esxi-a: 4 nodes + base image: {:?}", va.keys());
    assert_eq!(vb.len(), 4, "esxi-b: 3 nodes + base image: {:?}", vb.keys());
    let state = lab.dir.path().join("lab.state");
    let token = std::fs::read_to_string(state.join("bootstrap-token")).expect("token stored");
    let mut macs = std::collections::BTreeSet::new();
    for (name, host, ip, cpus, mem, disk_gb) in PLANNED {
        let vm = sims[host]
            .vm(name)
            .unwrap_or_else(|| panic!("{name} missing on host {host}"));
        assert!(sims[1 - host].vm(name).is_none(), "{name} on both hosts");
        assert_eq!(vm["num_cpu"], cpus, "{name} cpus");
        assert_eq!(vm["memory_mb"], mem, "{name} memory");
        assert_eq!(vm["guest_id"], "ubuntu64Guest");
        assert_eq!(vm["power_state"], "poweredOn", "{name}");
        assert_eq!(vm["guest_ip"], ip, "{name} guest IP");
        let disks = vm["disks"].as_array().expect("disks");
        assert_eq!(disks.len(), 1, "{name} disks");
        assert_eq!(disks[0]["capacity_kb"], disk_gb << 20, "{name} disk size");
        assert_eq!(disks[0]["file"], format!("[LocalDS_0] {name}/{name}.vmdk"));
        let nics = vm["nics"].as_array().expect("nics");
        assert_eq!(nics.len(), 1, "{name} nics");
        assert_eq!(nics[0]["type"], "VirtualVmxnet3");
        assert_eq!(nics[0]["address_type"], "manual");
        assert_eq!(nics[0]["network"], "VM Network");
        let mac = nics[0]["mac"].as_str().expect("mac").to_string();
        let bytes: Vec<u8> = mac
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).expect("hex"))
            .collect();
        assert_eq!(
            &bytes[..3],
            &[0x00, 0x50, 0x56],
            "{name} MAC {mac} not VMware's"
        );
        assert!(
            bytes[3] <= 0x3f,
            "{name} MAC {mac} outside the manual range"
        );
        assert!(macs.insert(mac.clone()), "duplicate MAC {mac}");
        let ec = &vm["extra_config"];
        assert_eq!(ec["guestinfo.metadata.encoding"], "gzip+base64");
        assert_eq!(ec["guestinfo.userdata.encoding"], "gzip+base64");
        let md = decode_guestinfo(ec["guestinfo.metadata"].as_str().expect("metadata"));
        assert!(md.contains(&format!("{ip}/24")), "{name} metadata: {md}");
        assert!(
            md.contains(&mac),
            "{name} metadata matches the NIC's MAC: {md}"
        );
        assert!(md.contains(&format!("local-hostname: {name}")), "{md}");
        let ud = decode_guestinfo(ec["guestinfo.userdata"].as_str().expect("userdata"));
        assert!(ud.starts_with("#cloud-config\n"), "{name}");
        if !name.contains("-lb-") {
            assert!(
                ud.contains(token.trim()),
                "{name} user-data carries the join token"
            );
        } else {
            assert!(
                ud.contains("haproxy") && ud.contains("keepalived"),
                "{name}"
            );
        }
        let ann = vm["annotation"].as_str().expect("annotation");
        assert!(
            ann.contains("cluster=lab") && ann.contains(&format!("node={name}")),
            "{ann}"
        );
    }
    for v in [&va, &vb] {
        let base = &v["lab-base-focal"];
        assert_eq!(base["power_state"], "poweredOff");
        assert!(
            base["annotation"]
                .as_str()
                .unwrap_or("")
                .contains("role=image")
        );
        assert!(
            base["annotation"]
                .as_str()
                .unwrap_or("")
                .contains("state=complete")
        );
    }

    // Second up: nothing changes.
    let out = bootstrap(&["up", "-f", spec, "--wait", "vms"]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "second up failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("VMs: 0 created, 0 resumed, 7 unchanged"),
        "{stdout}"
    );
    assert!(stdout.contains("base image present"), "{stdout}");
    assert_eq!(
        lab_vms(&a).keys().collect::<Vec<_>>(),
        va.keys().collect::<Vec<_>>()
    );
    for (name, vm) in lab_vms(&a) {
        assert_eq!(
            vm["extra_config"], va[&name]["extra_config"],
            "{name} changed on a no-op up"
        );
    }

    // A changed size is reported, not applied.
    let bigger = lab.dir.path().join("bigger.yaml");
    let t = std::fs::read_to_string(&lab.spec).expect("read spec");
    std::fs::write(
        &bigger,
        t.replace("workers: {count: 2, cpus: 4", "workers: {count: 2, cpus: 8"),
    )
    .expect("write");
    let out = bootstrap(&[
        "up",
        "-f",
        bigger.to_str().expect("utf-8"),
        "--wait",
        "none",
    ]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("VMs: 0 created, 0 resumed, 7 unchanged"),
        "{stdout}"
    );
    assert!(
        stderr.contains("has 4 CPU / 8192 MiB but the plan says 8 / 8192"),
        "{stderr}"
    );

    // Resume: a VM left powered off (interrupted run) is powered on, nothing else changes.
    b.power_off("lab-cp-2");
    let out = bootstrap(&["up", "-f", spec, "--wait", "vms"]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "resuming up failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("VMs: 0 created, 1 resumed, 6 unchanged"),
        "{stdout}"
    );
    assert!(stdout.contains("resumed 1 [lab-cp-2]"), "{stdout}");
    assert_eq!(b.vm("lab-cp-2").expect("cp-2")["power_state"], "poweredOn");

    // status
    let out = bootstrap(&["status", "-f", spec]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "status failed:\n{stdout}\n{stderr}");
    for (name, _, ip, ..) in PLANNED {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} not in status:\n{stdout}"));
        assert!(
            line.contains("poweredOn") && line.matches(ip).count() == 2,
            "{line}"
        );
    }
    assert_eq!(stdout.matches("lab-base-focal").count(), 2, "{stdout}");

    // down: dry run first, then for real; the simulator's own VMs stay.
    let out = bootstrap(&["down", "-f", spec]);
    let (stdout, _) = text(&out);
    assert!(out.status.success());
    assert_eq!(stdout.matches("would remove").count(), 9, "{stdout}");
    assert_eq!(lab_vms(&a).len(), 5, "dry run removed something");
    let out = bootstrap(&["down", "-f", spec, "--yes"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "down failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.matches("removed ").count(), 9, "{stdout}");
    assert!(
        lab_vms(&a).is_empty() && lab_vms(&b).is_empty(),
        "down left VMs behind"
    );
    for sim in sims {
        let others: Vec<String> = sim
            .inspect()
            .iter()
            .filter_map(|v| v["name"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            others,
            vec!["ha-host_VM0".to_string(), "ha-host_VM1".to_string()],
            "down touched VMs it does not own"
        );
    }
    let out = bootstrap(&["down", "-f", spec, "--yes"]);
    assert!(text(&out).0.contains("nothing owned by cluster lab"));
}

#[test]
fn a_failed_task_is_reported_and_the_next_up_continues() {
    let a = Sim::start(&["-guest-ip"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let fault = dir.path().join("fault");
    let fault_arg = fault.to_str().expect("utf-8").to_string();
    let b = Sim::start(&["-guest-ip", "-fault-file", &fault_arg]);
    std::fs::write(&fault, "lab-cp-2\n").expect("write fault file");
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");

    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "up should fail:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("esxi-b: CreateVM_Task for lab-cp-2 failed in task"),
        "{stderr}"
    );
    assert!(
        stderr.contains(": FileNotFound: "),
        "the task's fault type is named: {stderr}"
    );
    assert!(
        stderr.contains("run `bootstrap up` again to resume"),
        "{stderr}"
    );
    // esxi-a finished; esxi-b stopped after lab-lb-2.
    assert_eq!(lab_vms(&a).len(), 5);
    let vb = lab_vms(&b);
    assert!(
        vb.contains_key("lab-lb-2")
            && !vb.contains_key("lab-cp-2")
            && !vb.contains_key("lab-worker-2"),
        "{:?}",
        vb.keys()
    );

    std::fs::remove_file(&fault).expect("remove fault file");
    let out = bootstrap(&["up", "-f", spec, "--wait", "vms"]);
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "resumed up failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("VMs: 2 created, 0 resumed, 5 unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("esxi-b: base image present, created 2 [lab-cp-2 lab-worker-2]"),
        "{stdout}"
    );
    assert!(
        stderr.contains("removing files left by an earlier failed CreateVM_Task"),
        "{stderr}"
    );
    assert_eq!(lab_vms(&b).len(), 4);
}

#[test]
fn a_free_licence_stops_everything_at_preflight_with_an_explanation() {
    let a = Sim::start(&[]);
    let b = Sim::start(&["-licence", "free"]);
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");

    let out = bootstrap(&["plan", "-f", spec, "--check-hosts"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("esxi-b: licence pre-flight refused with RestrictedVersion"),
        "{stderr}"
    );
    assert!(
        stderr.contains("free vSphere Hypervisor licence"),
        "{stderr}"
    );
    assert!(stderr.contains("read-only"), "{stderr}");

    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("pre-flight failed") && stderr.contains("nothing was created"),
        "{stderr}"
    );
    assert!(
        lab_vms(&a).is_empty(),
        "a VM was created on the healthy host"
    );
    assert!(lab_vms(&b).is_empty());
}

#[test]
fn a_restricted_write_fault_is_explained() {
    // The licence looks fine but writes are refused (as hostd does on a free licence).
    let a = Sim::start(&["-restrict-writes"]);
    let lab = lab(&[(&a, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("esxi-a: ImportVApp refused with RestrictedVersion (Current license or ESXi version prohibits execution of the requested operation.)"), "{stderr}");
    assert!(
        stderr.contains("Assign an evaluation or paid licence"),
        "{stderr}"
    );
}

#[test]
fn unknown_datastore_and_port_group_are_all_listed_before_anything_is_created() {
    let a = Sim::start(&[]);
    let b = Sim::start(&[]);
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::Plain)], |s| {
        s.replacen("datastore: LocalDS_0", "datastore: datastore9", 1)
            .replacen("port_group: VM Network", "port_group: VLAN 42", 2)
    });
    let spec = lab.spec.to_str().expect("utf-8 path");
    for args in [
        vec!["plan", "-f", spec, "--check-hosts"],
        vec!["up", "-f", spec, "--wait", "none"],
    ] {
        let out = bootstrap(&args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("esxi-a: datastore \"datastore9\" not found (the host has: LocalDS_0)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("esxi-a: port group \"VLAN 42\" not found (the host has: VM Network)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("esxi-b: port group \"VLAN 42\" not found"),
            "{stderr}"
        );
        assert!(stderr.contains("(3 problem(s))"), "{stderr}");
    }
    assert!(lab_vms(&a).is_empty() && lab_vms(&b).is_empty());
}

#[test]
fn a_foreign_vm_with_a_planned_name_blocks_up_and_is_never_removed() {
    let a = Sim::start(&[]);
    a.create_foreign("lab-cp-1");
    let lab = lab(&[(&a, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "esxi-a: a VM named lab-cp-1 exists and is not owned by bootstrap cluster lab"
        ),
        "{stderr}"
    );
    assert_eq!(
        lab_vms(&a).keys().collect::<Vec<_>>(),
        vec!["lab-cp-1"],
        "something was created"
    );
    let out = bootstrap(&["down", "-f", spec, "--yes"]);
    assert!(out.status.success());
    assert!(
        a.vm("lab-cp-1").is_some(),
        "down removed a VM it does not own"
    );
}

#[test]
fn tls_pinning_by_fingerprint() {
    let b = Sim::start(&["-tls"]);
    let cert = std::fs::read_to_string(b.cert.clone().expect("cert")).expect("read cert");
    let der = {
        use base64::Engine;
        let body: String = cert.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("PEM body")
    };
    use sha2::Digest;
    let fp: Vec<String> = sha2::Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let good = fp.join(":");
    let lab_ok = lab(&[(&b, Trust::Thumbprint(good.clone()))], |s| s);
    let out = bootstrap(&[
        "plan",
        "-f",
        lab_ok.spec.to_str().expect("utf-8"),
        "--check-hosts",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));

    let wrong = "00".repeat(32);
    let lab_bad = lab(&[(&b, Trust::Thumbprint(wrong))], |s| s);
    let out = bootstrap(&[
        "plan",
        "-f",
        lab_bad.spec.to_str().expect("utf-8"),
        "--check-hosts",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("certificate fingerprint mismatch"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&fp.concat().to_lowercase()),
        "the error shows the presented fingerprint: {stderr}"
    );

    // Without any trust setting, a self-signed host is refused.
    let lab_none = lab(&[(&b, Trust::Plain)], |s| s);
    let out = bootstrap(&[
        "plan",
        "-f",
        lab_none.spec.to_str().expect("utf-8"),
        "--check-hosts",
    ]);
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));
}

/// A Kubernetes API double (tests/doubles/kube_api.py): no API server can be installed here.
struct KubeApi {
    child: std::process::Child,
    port: u16,
}

impl KubeApi {
    fn start(state: &std::path::Path, work: &std::path::Path, nodes: &[&str]) -> KubeApi {
        let openssl = common::require_tool("openssl");
        let python = common::require_tool("python3");
        let (key, csr, crt) = (
            work.join("api.key"),
            work.join("api.csr"),
            work.join("api.crt"),
        );
        let ok = |o: std::process::Output| assert!(o.status.success(), "{:?}", text(&o));
        ok(std::process::Command::new(&openssl)
            .args([
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-subj",
                "/CN=kube-apiserver",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&csr)
            .output()
            .expect("openssl req"));
        let ext = work.join("san.ext");
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write ext");
        ok(std::process::Command::new(&openssl)
            .args(["x509", "-req", "-days", "1", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(state.join("pki/ca.crt"))
            .arg("-CAkey")
            .arg(state.join("pki/ca.key"))
            .arg("-CAcreateserial")
            .arg("-CAserial")
            .arg(work.join("ca.srl"))
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(&crt)
            .output()
            .expect("openssl x509"));
        let mut child = std::process::Command::new(python)
            .arg(common::workspace_root().join("bootstrap/tests/doubles/kube_api.py"))
            .arg(&crt)
            .arg(&key)
            .arg(state.join("pki/ca.crt"))
            .arg(nodes.join(","))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the API double");
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read port");
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("API double did not start: {line:?}"));
        KubeApi { child, port }
    }
}

impl Drop for KubeApi {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn up_waits_for_the_api_and_the_nodes_then_scrubs_the_user_data() {
    let a = Sim::start(&["-guest-ip"]);
    let b = Sim::start(&["-guest-ip"]);
    let lab = lab(&[(&a, Trust::Plain), (&b, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");
    let out_dir = lab.dir.path().join("render");
    assert!(
        bootstrap(&[
            "render",
            "-f",
            spec,
            "--out",
            out_dir.to_str().expect("utf-8")
        ])
        .status
        .success()
    );
    let state = lab.dir.path().join("lab.state");
    let nodes = [
        "lab-cp-1",
        "lab-cp-2",
        "lab-cp-3",
        "lab-worker-1",
        "lab-worker-2",
    ];

    // First: the API never answers -> a clear timeout naming what to check.
    let out = bootstrap(&[
        "up",
        "-f",
        spec,
        "--wait",
        "api",
        "--api-endpoint",
        "127.0.0.1:9",
        "--api-timeout",
        "2s",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("guest IPs: all 7 VMs"), "{stdout}");
    assert!(
        stderr.contains("the API did not answer ready at https://127.0.0.1:9/readyz within 2s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("lab-lb-1, lab-lb-2") && stderr.contains("lab-cp-1"),
        "{stderr}"
    );

    // One node never becomes Ready -> named.
    let partial = KubeApi::start(&state, lab.dir.path(), &nodes[..4]);
    let ep = format!("127.0.0.1:{}", partial.port);
    let out = bootstrap(&[
        "up",
        "-f",
        spec,
        "--api-endpoint",
        &ep,
        "--nodes-timeout",
        "1s",
    ]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("VMs: 0 created, 0 resumed, 7 unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("API ready at https://{ep}")),
        "{stdout}"
    );
    assert!(
        stderr.contains("nodes not Ready within 1s: lab-worker-2"),
        "{stderr}"
    );
    drop(partial);

    // All Ready -> user-data scrubbed from guestinfo (metadata stays).
    let api = KubeApi::start(&state, lab.dir.path(), &nodes);
    let ep = format!("127.0.0.1:{}", api.port);
    let out = bootstrap(&["up", "-f", spec, "--api-endpoint", &ep]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("nodes: all Ready"), "{stdout}");
    assert!(
        stdout.contains("scrubbed user-data from the guestinfo of 7 VMs"),
        "{stdout}"
    );
    let token = std::fs::read_to_string(state.join("bootstrap-token")).expect("token");
    assert!(
        !stdout.contains(token.trim()) && !stderr.contains(token.trim()),
        "token in the output"
    );
    for sim in [&a, &b] {
        for (name, vm) in lab_vms(sim) {
            if name == "lab-base-focal" {
                continue;
            }
            let ec = &vm["extra_config"];
            assert!(
                ec.get("guestinfo.userdata").is_none_or(|v| v == ""),
                "{name} still has user-data"
            );
            assert!(
                ec["guestinfo.metadata"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{name} lost its metadata"
            );
        }
    }
    let out = bootstrap(&["status", "-f", spec, "--api", "--api-endpoint", &ep]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains("API: ready") && stdout.contains("nodes: all Ready"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("lab-worker-2") && l.ends_with("  Ready")),
        "{stdout}"
    );
}

#[test]
fn an_ova_image_is_imported_once_per_host_with_the_exact_vmdk_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("nfc.log");
    let log_arg = log.to_str().expect("utf-8").to_string();
    let a = Sim::start(&["-nfc-log", &log_arg]);
    let lab = lab(&[(&a, Trust::Plain)], |s| {
        s.replace(
            "image: focal-server-cloudimg-amd64.vmdk",
            "image: focal-server-cloudimg-amd64.ova",
        )
    });
    // An OVA as Ubuntu ships it: descriptor, manifest and the stream-optimised disk.
    let vmdk = bootstrap::vsphere::image::synthetic_stream_vmdk(10 << 30, 3 << 20);
    let ova = lab.dir.path().join("focal-server-cloudimg-amd64.ova");
    {
        let mut b = tar::Builder::new(std::fs::File::create(&ova).expect("create ova"));
        for (name, data) in [
            ("ubuntu-focal-20.04-cloudimg.ovf", b"<Envelope/>".to_vec()),
            (
                "ubuntu-focal-20.04-cloudimg.mf",
                b"SHA256(x)= 00\n".to_vec(),
            ),
            ("ubuntu-focal-20.04-cloudimg.vmdk", vmdk.clone()),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, &data[..]).expect("append");
        }
        b.finish().expect("finish ova");
    }
    let spec = lab.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("base image imported, created 7"),
        "{stdout}"
    );
    assert!(
        stderr.contains("uploading base disk") || stderr.contains("uploaded base disk: 3 MiB"),
        "{stderr}"
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .expect("nfc log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 1, "one upload per host: {lines:?}");
    use sha2::Digest;
    assert_eq!(lines[0]["size"], vmdk.len() as u64);
    assert_eq!(
        lines[0]["sha256"],
        bootstrap::pki::hex(&sha2::Sha256::digest(&vmdk))
    );
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(
        lines[0]["content_type"],
        "application/x-vnd.vmware-streamVmdk"
    );
    let base = a.vm("lab-base-focal").expect("base image VM");
    assert_eq!(
        base["disks"][0]["capacity_kb"],
        10 << 20,
        "capacity from the VMDK header"
    );
    // Every VM's disk is at least the planned size even though the image is 10 GiB.
    assert_eq!(
        a.vm("lab-lb-1").expect("lb-1")["disks"][0]["capacity_kb"],
        10 << 20
    );
    assert_eq!(
        a.vm("lab-worker-1").expect("w-1")["disks"][0]["capacity_kb"],
        60 << 20
    );
}

#[test]
fn unreachable_host_and_missing_password_are_listed_at_preflight() {
    let b = Sim::start(&[]);
    // Port 1 (tcpmux): nothing listens there on the test machine.
    let url = "http://127.0.0.1:1/sdk".to_string();
    let first = lab(&[(&b, Trust::Plain), (&b, Trust::Plain)], |s| {
        s.replacen(&b.url, &url, 1).replacen(
            "password_env: BOOTSTRAP_TEST_PW",
            "password_env: BOOTSTRAP_TEST_UNSET_PW",
            1,
        )
    });
    let spec = first.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("esxi-a: no password: set the environment variable BOOTSTRAP_TEST_UNSET_PW or give password_file"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was created"), "{stderr}");
    assert!(lab_vms(&b).is_empty());

    let second = lab(&[(&b, Trust::Plain), (&b, Trust::Plain)], |s| {
        s.replacen(&b.url, &url, 1)
    });
    let out = bootstrap(&[
        "plan",
        "-f",
        second.spec.to_str().expect("utf-8"),
        "--check-hosts",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(&format!(
            "esxi-a: RetrieveServiceContent: no answer from {url}"
        )),
        "{stderr}"
    );
    assert!(
        stderr.to_lowercase().contains("connection refused"),
        "the cause is shown: {stderr}"
    );
}
