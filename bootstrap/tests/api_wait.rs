//! `up --wait nodes` against the simulators plus a Kubernetes API double
//! (`tests/doubles/kube_api.py`; no API server can be installed on the test machine): the
//! `/readyz` and node waits, their timeouts and messages, `status --api`, and the guestinfo
//! scrub once the nodes are Ready.

mod common;

use common::{Sim, Trust, bootstrap, lab, lab_vms, text};

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
