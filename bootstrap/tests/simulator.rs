//! `bootstrap` against two instances of VMware's vSphere simulator (govmomi `simulator.ESX()`,
//! i.e. two standalone ESXi hosts) on 127.0.0.1, checked through govmomi.
//!
//! What the simulator cannot do, and so is not covered here: it boots no guest (no cloud-init,
//! no kubeadm), it discards NFC upload bodies (the base disk's bytes are sent but not stored),
//! and it reports guest IPs only through its test hook (the launcher's `-guest-ip` plays
//! VMware Tools by reporting the address planned in guestinfo.metadata).

mod common;

use std::time::Instant;

use common::{Sim, Trust, bootstrap, decode_guestinfo, lab, lab_vms, text};

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

#[test]
fn an_ova_image_is_imported_once_per_host_with_the_exact_vmdk_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("nfc.log");
    let log_arg = log.to_str().expect("utf-8").to_string();
    // 1 MiB/s for a 3 MiB disk: long enough for progress lines and lease keep-alives.
    let a = Sim::start(&["-nfc-log", &log_arg, "-nfc-rate", "1024"]);
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
        stderr.contains("uploading base disk: ") && stderr.contains("of 3 MiB"),
        "progress is reported: {stderr}"
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
fn guestinfo_in_the_vms_is_read_by_cloud_inits_own_vmware_datasource() {
    // Debian's cloud-init lives in the system interpreter.
    let python = std::path::Path::new("/usr/bin/python3");
    assert!(
        python.is_file(),
        "/usr/bin/python3 missing: {}",
        common::SETUP_HINT
    );
    let cloud_init = common::require_tool("cloud-init");
    let a = Sim::start(&[]);
    let lab = lab(&[(&a, Trust::Plain)], |s| s);
    let spec = lab.spec.to_str().expect("utf-8 path");
    let out = bootstrap(&["up", "-f", spec, "--wait", "none"]);
    assert!(out.status.success(), "{:?}", text(&out));
    let probe = common::workspace_root().join("bootstrap/tests/tools/vmware_datasource.py");
    for (name, _, ip, ..) in PLANNED {
        let vm = a.vm(name).unwrap_or_else(|| panic!("{name} missing"));
        let ec = &vm["extra_config"];
        let mut cmd = std::process::Command::new(python);
        cmd.arg(&probe).env("VMX_GUESTINFO", "1");
        for (key, var) in [
            ("guestinfo.metadata", "VMX_GUESTINFO_METADATA"),
            (
                "guestinfo.metadata.encoding",
                "VMX_GUESTINFO_METADATA_ENCODING",
            ),
            ("guestinfo.userdata", "VMX_GUESTINFO_USERDATA"),
            (
                "guestinfo.userdata.encoding",
                "VMX_GUESTINFO_USERDATA_ENCODING",
            ),
        ] {
            cmd.env(
                var,
                ec[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: no {key}")),
            );
        }
        let o = cmd.output().expect("run the datasource probe");
        assert!(
            o.status.success(),
            "{name}: cloud-init could not read the guestinfo: {:?}",
            text(&o)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("probe JSON");
        assert_eq!(v["metadata"]["instance-id"], name);
        assert_eq!(v["metadata"]["local-hostname"], name);
        assert_eq!(v["metadata"]["redact"], serde_json::json!(["userdata"]));
        let netplan = v["netplan"].as_str().expect("netplan");
        let mac = vm["nics"][0]["mac"].as_str().expect("mac");
        assert!(netplan.contains(&format!("{ip}/24")), "{name}: {netplan}");
        assert!(
            netplan.contains(&format!("macaddress: {mac}")),
            "{name}: {netplan}"
        );
        assert!(
            netplan.contains("set-name: ens192") && netplan.contains("via: 192.168.10.1"),
            "{name}: {netplan}"
        );
        // The user-data cloud-init decoded from the VM passes its schema check.
        let ud = lab.dir.path().join(format!("{name}.user-data"));
        std::fs::write(&ud, v["userdata"].as_str().expect("userdata")).expect("write");
        let o = std::process::Command::new(&cloud_init)
            .args(["schema", "--config-file"])
            .arg(&ud)
            .output()
            .expect("cloud-init schema");
        assert!(o.status.success(), "{name}: {:?}", text(&o));
    }
}
