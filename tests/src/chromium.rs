//! Headless Chromium (Debian `chromium`, installed by `scripts/setup.d/40-chromium.sh`):
//! load a page — a file or a live URL such as syncd's status page — and read
//! the DOM Chromium built, or take a screenshot.
//!
//! Each run gets its own profile directory (parallel tests would otherwise
//! fight over the profile lock) and is killed if it outlives its timeout.

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a single Chromium run may take.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// The Chromium binary: `$CHROMIUM`, else `chromium` or `chromium-browser` on
/// the PATH. A missing browser is an error, never a skipped test.
pub fn binary() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    bail!(
        "chromium not found on PATH: run scripts/setup-test-env.sh (scripts/setup.d/40-chromium.sh installs it)"
    )
}

/// Run Chromium headless on `url` with `extra` flags; its stdout.
fn run(url: &str, extra: &[String]) -> anyhow::Result<String> {
    let bin = binary()?;
    let profile = tempfile::tempdir().context("profile directory")?;
    let out_file = profile.path().join("stdout");
    let stdout = std::fs::File::create(&out_file).context("stdout file")?;
    let mut child = Command::new(&bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().context("waiting for chromium")? {
            break st;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!("chromium did not finish within {TIMEOUT:?} on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = std::fs::read_to_string(&out_file).context("reading chromium's output")?;
    if !status.success() {
        bail!("chromium exited with {status} on {url}");
    }
    Ok(out)
}

/// The serialised DOM after loading `url` (`--dump-dom`).
pub fn dump_dom(url: &str) -> anyhow::Result<String> {
    let dom = run(url, &["--dump-dom".to_string()])?;
    if dom.trim().is_empty() {
        bail!("chromium printed no DOM for {url}");
    }
    Ok(dom)
}

/// A PNG screenshot of `url` at `width`×`height` into `out`.
pub fn screenshot(url: &str, out: &Path, width: u32, height: u32) -> anyhow::Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(out);
    run(
        url,
        &[
            format!("--screenshot={}", out.display()),
            format!("--window-size={width},{height}"),
        ],
    )?;
    let meta =
        std::fs::metadata(out).with_context(|| format!("no screenshot at {}", out.display()))?;
    if meta.len() < 1000 {
        bail!("screenshot {} is only {} bytes", out.display(), meta.len());
    }
    Ok(())
}

/// `file://` URL of a local file.
pub fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Where tests keep artifacts for people to look at: `<repo>/target/test-artifacts/`.
pub fn artifacts_dir() -> PathBuf {
    crate::repo_root().join("target").join("test-artifacts")
}
