//! Helpers for the haproxy-sync tests: real HAProxy (Debian 2.6) on loopback, small HTTP
//! backends on 127.0.0.x, a nodes file, the daemon as a child process, a load loop.
//! Every process started here is stopped on drop.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The haproxy-sync binary: Cargo's path in tests, `$HAPROXY_SYNC_BIN` elsewhere (bench).
pub fn bin() -> String {
    match option_env!("CARGO_BIN_EXE_haproxy-sync") {
        Some(p) => p.to_string(),
        None => std::env::var("HAPROXY_SYNC_BIN").unwrap_or_else(|_| "haproxy-sync".into()),
    }
}

/// Fail loudly when HAProxy is not installed.
pub fn require_haproxy() {
    match Command::new("haproxy").arg("-v").output() {
        Ok(o) if o.status.success() => {}
        other => panic!(
            "these tests need HAProxy 2.6+ (Debian: apt-get install -y haproxy, or scripts/setup.d/10-haproxy.sh): {other:?}"
        ),
    }
}

/// A free TCP port on `ip`.
pub fn free_port(ip: &str) -> u16 {
    match TcpListener::bind((ip, 0)).and_then(|l| l.local_addr()) {
        Ok(a) => a.port(),
        Err(e) => panic!("no free port on {ip}: {e}"),
    }
}

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A tiny HTTP/1.0 server answering 200 with its name.
pub struct HttpBackend {
    pub addr: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    pub hits: Arc<AtomicU64>,
}

impl HttpBackend {
    pub fn start(ip: &str, port: u16, name: &str) -> Self {
        let listener = match TcpListener::bind((ip, port)) {
            Ok(l) => l,
            Err(e) => panic!("bind {ip}:{port}: {e}"),
        };
        let _ = listener.set_nonblocking(true);
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(AtomicU64::new(0));
        let (s, h, body) = (stop.clone(), hits.clone(), name.to_string());
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut c, _)) => {
                        h.fetch_add(1, Ordering::Relaxed);
                        let body = body.clone();
                        std::thread::spawn(move || {
                            let _ = c.set_nonblocking(false);
                            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                            let mut buf = [0u8; 1024];
                            let mut req = Vec::new();
                            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                                match c.read(&mut buf) {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => req.extend_from_slice(&buf[..n]),
                                }
                            }
                            let resp = format!(
                                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = c.write_all(resp.as_bytes());
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        HttpBackend {
            addr: format!("{ip}:{port}"),
            stop,
            handle: Some(handle),
            hits,
        }
    }
}

impl Drop for HttpBackend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// One GET through `addr`; true on a 200 answer.
pub fn get_ok(addr: &str) -> bool {
    let Ok(mut c) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
    if c.write_all(b"GET / HTTP/1.0\r\nHost: t\r\n\r\n").is_err() {
        return false;
    }
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    out.starts_with(b"HTTP/1.0 200") || out.starts_with(b"HTTP/1.1 200")
}

/// Concurrent request loop; bounded by `max_duration`.
pub struct LoadLoop {
    stop: Arc<AtomicBool>,
    pub ok: Arc<AtomicU64>,
    pub failed: Arc<AtomicU64>,
    handles: Vec<JoinHandle<()>>,
}

impl LoadLoop {
    pub fn start(addr: &str, threads: usize, max_duration: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let end = Instant::now() + max_duration;
        let handles = (0..threads)
            .map(|_| {
                let (s, o, f, a) = (stop.clone(), ok.clone(), failed.clone(), addr.to_string());
                std::thread::spawn(move || {
                    while !s.load(Ordering::Relaxed) && Instant::now() < end {
                        if get_ok(&a) {
                            o.fetch_add(1, Ordering::Relaxed);
                        } else {
                            f.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        LoadLoop {
            stop,
            ok,
            failed,
            handles,
        }
    }

    /// Stop and return (ok, failed).
    pub fn finish(mut self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
        (
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

impl Drop for LoadLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn stop_child(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// HAProxy in master-worker mode, in the foreground, as a child.
pub struct Haproxy {
    child: Child,
    pub cfg: PathBuf,
    pub sock: PathBuf,
    pub master_sock: PathBuf,
    pub log: PathBuf,
}

impl Haproxy {
    pub fn start(dir: &Path, cfg: &Path) -> Self {
        let log = dir.join("haproxy.log");
        let out = match std::fs::File::create(&log) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let err = match out.try_clone() {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let master_sock = dir.join("master.sock");
        let child = Command::new("haproxy")
            .arg("-W")
            .arg("-S")
            .arg(&master_sock)
            .arg("-f")
            .arg(cfg)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => panic!("starting haproxy: {e}"),
        };
        let h = Haproxy {
            child,
            cfg: cfg.to_path_buf(),
            sock: dir.join("admin.sock"),
            master_sock,
            log,
        };
        if !wait_until(Duration::from_secs(10), || {
            show(&h.sock, "show info").contains("Pid:")
        }) {
            panic!(
                "haproxy did not come up: {}",
                std::fs::read_to_string(&h.log).unwrap_or_default()
            );
        }
        h
    }

    pub fn master_pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

/// Send one runtime API command.
pub fn show(sock: &Path, cmd: &str) -> String {
    let Ok(mut s) = UnixStream::connect(sock) else {
        return String::new();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(format!("{cmd}\n").as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// `show servers state <backend>` → name → (addr:port, admin bits).
pub fn servers(sock: &Path, backend: &str) -> BTreeMap<String, (String, u32)> {
    show(sock, &format!("show servers state {backend}"))
        .lines()
        .filter(|l| !l.starts_with('#') && l.split_whitespace().count() > 18)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((
                f[3].to_string(),
                (format!("{}:{}", f[4], f[18]), f[6].parse().ok()?),
            ))
        })
        .collect()
}

/// A node for the nodes file.
#[derive(Clone, Debug)]
pub struct TestNode {
    pub name: String,
    pub ip: String,
    pub ready: bool,
    pub cordoned: bool,
    pub control_plane: bool,
    pub deleting: bool,
    pub labels: Vec<(String, String)>,
}

impl TestNode {
    pub fn worker(name: &str, ip: &str) -> Self {
        TestNode {
            name: name.into(),
            ip: ip.into(),
            ready: true,
            cordoned: false,
            control_plane: false,
            deleting: false,
            labels: vec![],
        }
    }
    pub fn control_plane(name: &str, ip: &str) -> Self {
        TestNode {
            control_plane: true,
            ..Self::worker(name, ip)
        }
    }
    pub fn json(&self) -> serde_json::Value {
        let mut labels = serde_json::Map::new();
        labels.insert("kubernetes.io/hostname".into(), self.name.clone().into());
        if self.control_plane {
            labels.insert("node-role.kubernetes.io/control-plane".into(), "".into());
            labels.insert(
                "node.kubernetes.io/exclude-from-external-load-balancers".into(),
                "".into(),
            );
        }
        for (k, v) in &self.labels {
            labels.insert(k.clone(), v.clone().into());
        }
        let mut meta = serde_json::json!({"name": self.name, "labels": labels});
        if self.deleting {
            meta["deletionTimestamp"] = "2026-01-01T00:00:00Z".into();
        }
        let addresses = if self.ip.is_empty() {
            serde_json::json!([{"type": "Hostname", "address": self.name}])
        } else {
            serde_json::json!([{"type": "InternalIP", "address": self.ip}, {"type": "Hostname", "address": self.name}])
        };
        serde_json::json!({
            "apiVersion": "v1", "kind": "Node", "metadata": meta,
            "spec": {"unschedulable": self.cordoned},
            "status": {"addresses": addresses,
                       "conditions": [{"type": "Ready", "status": if self.ready {"True"} else {"False"}}]}
        })
    }
}

pub fn node_list_json(nodes: &[TestNode]) -> String {
    serde_json::json!({
        "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
        "items": nodes.iter().map(TestNode::json).collect::<Vec<_>>()
    })
    .to_string()
}

/// Replace the nodes file atomically (write + rename, like kubectl > tmp && mv).
pub fn write_nodes(path: &Path, nodes: &[TestNode]) {
    write_atomic(path, &node_list_json(nodes));
}

pub fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path)) {
        panic!("writing {}: {e}", path.display());
    }
}

/// Base config for tests: stats socket in `dir`, one TCP frontend per backend.
pub fn backends_yaml(
    dir: &Path,
    fe_port: u16,
    node_port: u16,
    api_port: u16,
    extra_backend: bool,
) -> String {
    let mut y = format!(
        r#"base: |
  global
    stats socket {sock} mode 600 level admin
    stats timeout 10s
  defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    retries 3
    option redispatch
  frontend web
    bind 127.0.0.1:{fe_port}
    default_backend web
backends:
  - name: web
    selector: {{role: worker}}
    port: {node_port}
    serverOptions: "check inter 500ms fall 2 rise 1"
  - name: k8s-api
    selector: {{role: control-plane}}
    port: {api_port}
    serverOptions: "check inter 2s"
"#,
        sock = dir.join("admin.sock").display()
    );
    if extra_backend {
        y.push_str(&format!(
            "  - name: web-b\n    selector: {{role: worker}}\n    port: {node_port}\n    serverOptions: check inter 1s\n"
        ));
    }
    y
}

/// The daemon as a child process with stderr in a file.
pub struct Daemon {
    child: Child,
    pub log: PathBuf,
    pub metrics: String,
}

impl Daemon {
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let log = dir.join(format!(
            "haproxy-sync-{}.log",
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let err = match std::fs::File::create(&log) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let metrics = format!("127.0.0.1:{}", free_port("127.0.0.1"));
        let child = Command::new(bin())
            .arg("run")
            .args(["--metrics-addr", &metrics])
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn();
        match child {
            Ok(child) => Daemon {
                child,
                log,
                metrics,
            },
            Err(e) => panic!("starting haproxy-sync: {e}"),
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// GET a path on the metrics address: (status, body).
    pub fn http_get(&self, path: &str) -> (u16, String) {
        let Ok(mut c) = TcpStream::connect(&self.metrics) else {
            return (0, String::new());
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = c.write_all(format!("GET {path} HTTP/1.0\r\nHost: m\r\n\r\n").as_bytes());
        let mut out = String::new();
        let _ = c.read_to_string(&mut out);
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status, body)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

/// Run `haproxy-sync render`.
pub fn render(backends: &Path, nodes: &Path, output: &Path) -> std::process::Output {
    match Command::new(bin())
        .arg("render")
        .arg("--backends")
        .arg(backends)
        .arg("--nodes-file")
        .arg(nodes)
        .arg("--output")
        .arg(output)
        .output()
    {
        Ok(o) => o,
        Err(e) => panic!("running render: {e}"),
    }
}

/// A whole test bed: temp dir, backends on 127.0.0.{10..}, haproxy from `render`.
pub struct Bed {
    pub dir: tempfile::TempDir,
    pub fe: String,
    pub node_port: u16,
    pub api_port: u16,
    pub backends_file: PathBuf,
    pub nodes_file: PathBuf,
    pub cfg: PathBuf,
    pub http: Vec<HttpBackend>,
}

pub fn ip(i: usize) -> String {
    format!("127.0.0.{}", 10 + i)
}

impl Bed {
    /// `n_http` HTTP backends on 127.0.0.10.. at one shared node port.
    pub fn new(n_http: usize, initial: &[TestNode]) -> Self {
        require_haproxy();
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let fe_port = free_port("127.0.0.1");
        let node_port = free_port(&ip(0));
        let api_port = free_port("127.0.0.1");
        let http = (0..n_http)
            .map(|i| HttpBackend::start(&ip(i), node_port, &format!("node-{i}")))
            .collect();
        let backends_file = dir.path().join("backends.yaml");
        if let Err(e) = std::fs::write(
            &backends_file,
            backends_yaml(dir.path(), fe_port, node_port, api_port, false),
        ) {
            panic!("{e}");
        }
        let nodes_file = dir.path().join("nodes.json");
        write_nodes(&nodes_file, initial);
        let cfg = dir.path().join("haproxy.cfg");
        let out = render(&backends_file, &nodes_file, &cfg);
        assert!(
            out.status.success(),
            "render failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Bed {
            fe: format!("127.0.0.1:{fe_port}"),
            node_port,
            api_port,
            backends_file,
            nodes_file,
            cfg,
            http,
            dir,
        }
    }

    pub fn sock(&self) -> PathBuf {
        self.dir.path().join("admin.sock")
    }

    pub fn start_haproxy(&self) -> Haproxy {
        Haproxy::start(self.dir.path(), &self.cfg)
    }

    /// Daemon on the nodes file with the given extra flags.
    pub fn start_daemon(&self, extra: &[&str]) -> Daemon {
        let (b, n, c, s) = (
            self.backends_file.display().to_string(),
            self.nodes_file.display().to_string(),
            self.cfg.display().to_string(),
            self.sock().display().to_string(),
        );
        let mut args = vec![
            "--backends",
            &b,
            "--nodes-file",
            &n,
            "--haproxy-cfg",
            &c,
            "--socket",
            &s,
            "--resync-interval",
            "1s",
        ];
        args.extend_from_slice(extra);
        Daemon::start(self.dir.path(), &args)
    }

    /// Daemon on the Kubernetes API described by `kubeconfig`.
    pub fn start_daemon_kube(&self, kubeconfig: &Path, extra: &[&str]) -> Daemon {
        let (b, k, c, s) = (
            self.backends_file.display().to_string(),
            kubeconfig.display().to_string(),
            self.cfg.display().to_string(),
            self.sock().display().to_string(),
        );
        let mut args = vec![
            "--backends",
            &b,
            "--kubeconfig",
            &k,
            "--haproxy-cfg",
            &c,
            "--socket",
            &s,
            "--resync-interval",
            "1s",
        ];
        args.extend_from_slice(extra);
        Daemon::start(self.dir.path(), &args)
    }

    /// A kubeconfig whose server is `server`.
    pub fn kubeconfig(&self, server: &str) -> PathBuf {
        let p = self.dir.path().join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: {server}\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: t\ncurrent-context: t\nusers:\n- name: t\n  user: {{}}\n"
        );
        write_atomic(&p, &text);
        p
    }

    pub fn addr(&self, i: usize) -> String {
        format!("{}:{}", ip(i), self.node_port)
    }
}
