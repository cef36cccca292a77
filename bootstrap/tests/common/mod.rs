//! Test harness: builds the project's Go launcher for VMware's vSphere simulator, starts
//! simulator instances (one per "ESXi host") on 127.0.0.1, runs the `bootstrap` binary, and
//! inspects the result through govmomi (the launcher's `inspect`), not through our client.
//!
//! Peers are required: a missing `go`, govmomi sources, `cloud-init`, `haproxy` or `keepalived`
//! fails the tests with the setup command to run (scripts/setup.d/20-bootstrap.sh).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub const SETUP_HINT: &str = "run `sudo scripts/setup.d/20-bootstrap.sh` (installs golang-go, \
golang-github-vmware-govmomi-dev, cloud-init, haproxy, keepalived)";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crate has a parent folder")
        .to_path_buf()
}

/// Fails loudly when a peer program is missing.
pub fn require_tool(name: &str) -> PathBuf {
    for dir in std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
    {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("required peer `{name}` is not installed: {SETUP_HINT}");
}

/// Builds bootstrap/vcsim (GOPATH mode against Debian's govmomi sources; no module downloads).
pub fn launcher() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let go = require_tool("go");
        let gocode = Path::new("/usr/share/gocode/src/github.com/vmware/govmomi/simulator");
        assert!(
            gocode.is_dir(),
            "govmomi sources not found at {}: {SETUP_HINT}",
            gocode.display()
        );
        let target = workspace_root().join("target").join("vcsim-launcher");
        std::fs::create_dir_all(&target).expect("create target/vcsim-launcher");
        let out = target.join(format!("vcsim-{}", std::process::id()));
        let status = Command::new("nice")
            .args(["-n", "15"])
            .arg(&go)
            .args(["build", "-o"])
            .arg(&out)
            .arg(".")
            .current_dir(workspace_root().join("bootstrap/vcsim"))
            .env("GO111MODULE", "off")
            .env(
                "GOPATH",
                format!("{}:/usr/share/gocode", target.join("gopath").display()),
            )
            .env("GOCACHE", target.join("gocache"))
            .env("GOFLAGS", "")
            .env("GOPROXY", "off")
            .status()
            .expect("run go build");
        assert!(status.success(), "building the vcsim launcher failed");
        // Built under a per-process name, then renamed (atomic): parallel test processes
        // (nextest) never see a half-written binary, and running ones keep their inode.
        let stable = target.join("vcsim");
        std::fs::rename(&out, &stable).expect("install the vcsim launcher");
        stable
    })
}

/// A running simulator ("one ESXi host"); killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
    pub cert: Option<PathBuf>,
}

impl Sim {
    pub fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(launcher())
            .arg("serve")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the vcsim launcher");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the launcher's first line");
        let v: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("the simulator did not start: {line:?} {err}");
            }
        };
        let cert = v["cert"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(PathBuf::from);
        Sim {
            url: v["url"].as_str().expect("url").to_string(),
            cert,
            child,
        }
    }

    /// Every VM, read through govmomi.
    pub fn inspect(&self) -> Vec<serde_json::Value> {
        let out = Command::new(launcher())
            .args(["inspect", "-url", &self.url])
            .output()
            .expect("run vcsim inspect");
        assert!(
            out.status.success(),
            "inspect failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("inspect JSON")
    }

    pub fn vm(&self, name: &str) -> Option<serde_json::Value> {
        self.inspect().into_iter().find(|v| v["name"] == name)
    }

    /// Creates a VM that bootstrap does not own.
    pub fn create_foreign(&self, name: &str) {
        let out = Command::new(launcher())
            .args(["create", "-url", &self.url, "-name", name])
            .output()
            .expect("run vcsim create");
        assert!(
            out.status.success(),
            "create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn power_off(&self, name: &str) {
        let out = Command::new(launcher())
            .args(["poweroff", "-url", &self.url, "-name", name])
            .output()
            .expect("run vcsim poweroff");
        assert!(
            out.status.success(),
            "poweroff failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // Closing stdin ends the launcher, which then removes its temporary datastore folder;
        // kill it only if it has not exited within 5 s.
        drop(self.child.stdin.take());
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a host is written into the test cluster.yaml.
pub enum Trust<'a> {
    Plain,
    CaFile(&'a Path),
    Thumbprint(String),
}

pub struct Lab {
    pub dir: tempfile::TempDir,
    pub spec: PathBuf,
}

pub fn image(dir: &Path) -> PathBuf {
    let p = dir.join("focal-server-cloudimg-amd64.vmdk");
    std::fs::write(
        &p,
        bootstrap::vsphere::image::synthetic_stream_vmdk(2 << 30, 256 * 1024),
    )
    .expect("write image");
    p
}

/// Writes a cluster.yaml for the lab (examples/cluster.yaml shape) pointing at `hosts`.
pub fn lab(hosts: &[(&Sim, Trust<'_>)], edit: impl Fn(String) -> String) -> Lab {
    let dir = tempfile::tempdir().expect("tempdir");
    image(dir.path());
    let mut host_yaml = String::new();
    for (i, (sim, trust)) in hosts.iter().enumerate() {
        let name = ["esxi-a", "esxi-b", "esxi-c"][i];
        host_yaml.push_str(&format!(
            "  - name: {name}\n    url: {}\n    datastore: LocalDS_0\n    port_group: VM Network\n    username: root\n    password_env: BOOTSTRAP_TEST_PW\n",
            sim.url
        ));
        match trust {
            Trust::Plain => {}
            Trust::CaFile(p) => host_yaml.push_str(&format!("    ca_file: {}\n", p.display())),
            Trust::Thumbprint(t) => {
                host_yaml.push_str(&format!("    thumbprint_sha256: \"{t}\"\n"))
            }
        }
    }
    let text = format!(
        "name: lab\nos:\n  release: focal\n  image: focal-server-cloudimg-amd64.vmdk\nkubernetes:\n  version: 1.35.0\n\
network:\n  cidr: 192.168.10.0/24\n  gateway: 192.168.10.1\n  dns: [192.168.10.1]\n  vip: 192.168.10.10\n  first_ip: 192.168.10.11\n\
hosts:\n{host_yaml}\
nodes:\n  load_balancers: {{count: 2, cpus: 1, memory_mb: 1024, disk_gb: 10}}\n  control_planes: {{count: 3, cpus: 2, memory_mb: 4096, disk_gb: 40}}\n  workers: {{count: 2, cpus: 4, memory_mb: 8192, disk_gb: 60}}\n\
ssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKeyTestKeyTestKeyTestKeyTestKey test@lab\n"
    );
    let spec = dir.path().join("cluster.yaml");
    let mut f = std::fs::File::create(&spec).expect("create cluster.yaml");
    f.write_all(edit(text).as_bytes())
        .expect("write cluster.yaml");
    Lab { dir, spec }
}

pub const TEST_PASSWORD: &str = "s3cr3t-Esxi-Pa55";

/// Runs the bootstrap binary with the test password in the environment.
pub fn bootstrap(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootstrap"));
    // Only what the test says: no BOOTSTRAP_* settings leak in from the caller's environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("BOOTSTRAP_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(args)
        .env("BOOTSTRAP_TEST_PW", TEST_PASSWORD)
        .env("BOOTSTRAP_LOG", "info")
        .output()
        .expect("run bootstrap");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains(TEST_PASSWORD) && !stderr.contains(TEST_PASSWORD),
        "the ESXi password leaked into the output"
    );
    out
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Decodes a gzip+base64 guestinfo value.
pub fn decode_guestinfo(v: &str) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v)
        .expect("guestinfo is base64");
    let mut s = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut s)
        .expect("guestinfo is gzip");
    s
}

/// The VMs named lab-* on a simulator, by name.
pub fn lab_vms(sim: &Sim) -> std::collections::BTreeMap<String, serde_json::Value> {
    sim.inspect()
        .into_iter()
        .filter(|v| v["name"].as_str().is_some_and(|n| n.starts_with("lab-")))
        .map(|v| (v["name"].as_str().unwrap_or_default().to_string(), v))
        .collect()
}
