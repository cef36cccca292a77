//! Running the `syncd` daemon binary in tests: start it on a free 127.0.0.1
//! port, wait until it serves, read its API and metrics, stop it on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Locates `syncd`: `$SYNCD_BIN`, else `<repo>/target/debug/syncd`. Fails loudly
/// when it has not been built.
pub fn syncd_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("SYNCD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let path = crate::repo_root()
        .join("target")
        .join("debug")
        .join("syncd");
    if !path.is_file() {
        bail!(
            "{} does not exist: build it first: cargo build -p syncd --bin syncd",
            path.display()
        );
    }
    Ok(path)
}

/// A free TCP port on 127.0.0.1 (bound then released; the race with another
/// process taking it in between is accepted in tests).
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// A running `syncd run`; killed (and reaped) when dropped.
pub struct Syncd {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: PathBuf,
}

impl Drop for Syncd {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Syncd {
    /// Start `syncd run <args> --listen 127.0.0.1:PORT` with `env` (the
    /// process's `SYNCD_*`, `POD_*` and `KUBECONFIG` variables are cleared
    /// first), logging into `log_dir`, and wait until `/healthz` answers.
    pub async fn start(
        args: &[&str],
        env: &[(&str, &str)],
        log_dir: &Path,
        label: &str,
    ) -> Result<Syncd> {
        let bin = syncd_binary()?;
        let port = free_port()?;
        let log = log_dir.join(format!("syncd-{label}.log"));
        let file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut cmd = Command::new(&bin);
        cmd.arg("run")
            .args(args)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"));
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("SYNCD_") || k.starts_with("POD_") || k == "KUBECONFIG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("RUST_LOG", "info,syncd=debug");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::null()).stderr(file);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut s = Syncd {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(c) = s.child.as_mut()
                && let Some(status) = c.try_wait()?
            {
                bail!(
                    "syncd exited with {status} before serving\n{}",
                    s.log_text()
                );
            }
            if let Ok(r) = crate::http_client_builder()
                .build()?
                .get(format!("{}/healthz", s.url))
                .send()
                .await
                && r.status().is_success()
            {
                return Ok(s);
            }
            if Instant::now() > deadline {
                bail!("syncd did not serve /healthz within 20 s\n{}", s.log_text());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its log so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kill it now (SIGKILL: no lease release).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stop it with SIGTERM and wait (graceful: the lease is released).
    pub fn terminate(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            let pid = i32::try_from(c.id()).context("pid")?;
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(15);
            while c.try_wait()?.is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    bail!("syncd did not stop within 15 s of SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// GET a path: status, `X-Syncd-Generation`, body.
    pub async fn get(&self, path: &str) -> Result<(u16, Option<u64>, String)> {
        let r = crate::http_client_builder()
            .build()?
            .get(format!("{}{path}", self.url))
            .send()
            .await?;
        let status = r.status().as_u16();
        let generation = r
            .headers()
            .get("x-syncd-generation")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok((status, generation, r.text().await?))
    }

    /// POST a JSON body: status and body.
    pub async fn post(&self, path: &str, body: &str) -> Result<(u16, String)> {
        let r = crate::http_client_builder()
            .build()?
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        Ok((r.status().as_u16(), r.text().await?))
    }

    /// `/v1/report` as JSON.
    pub async fn report(&self) -> Result<Value> {
        let (status, _, body) = self.get("/v1/report").await?;
        if status != 200 {
            bail!("/v1/report answered {status}: {body}");
        }
        serde_json::from_str(&body).context("/v1/report is not JSON")
    }

    /// The value of a metric line (`name` or `name{labels}` exactly as exposed).
    pub async fn metric(&self, series: &str) -> Result<Option<f64>> {
        let (_, _, body) = self.get("/metrics").await?;
        Ok(body.lines().find_map(|l| {
            let (k, v) = l.rsplit_once(' ')?;
            (k == series).then(|| v.parse().ok()).flatten()
        }))
    }
}

/// Poll `check` until it returns `Some` or `timeout` passes; the error names `what`.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_err = None;
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_err = Some(e),
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting for {what} (last error: {last_err:?})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
