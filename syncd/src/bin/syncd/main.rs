//! `syncd`: the in-cluster daemon that keeps Traefik's merged configuration
//! (Kubernetes CRDs, the file provider's directory, Consul KV) exactly as
//! Traefik sees it, validates it, and serves the result. See
//! `syncd::daemon` for the pieces and `syncd::daemon::http` for the API.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use syncd::cli::{LogFormat, parse_duration};
use syncd::consul::{ConsulArgs, ConsulClient};
use syncd::consul_gate::args::GateArgs;
use syncd::consul_gate::driver::GateConfig;
use syncd::consul_gate::machine::Mode;
use syncd::consul_gate::service::{self as gate_service, GateMetrics, STAGING_SOURCE};
use syncd::daemon::leader::LeaseConfig;
use syncd::daemon::metrics::Metrics;
use syncd::daemon::view_loop::source;
use syncd::daemon::{DaemonConfig, http, start};
use syncd::view::Snapshot;
use syncd::webhook::cert::WebhookCertArgs;
use syncd::webhook::tls::{ReloadingCert, serve_https};
use tokio::sync::watch;

#[derive(Parser, Debug)]
#[command(
    name = "syncd",
    version,
    about = "Watch Traefik's sources, keep the merged configuration as Traefik sees it, validate it, serve the report",
    long_about = "syncd watches the sources Traefik reads — Kubernetes CRDs (traefik.io/v1alpha1), \
the file provider's directory and (once wired) Consul KV — merges them like Traefik does and validates \
the result. It serves the report (GET /v1/report, the same JSON as `syncctl validate --format json`), \
answers what-if questions (POST /v1/validate), exposes /healthz, /readyz and /metrics, and — as the \
leader of its replicas (a coordination.k8s.io Lease) — records Kubernetes Events on CRD objects with findings.

Example (in a cluster, as a Deployment):
  syncd run --static /etc/traefik/traefik.yml --files /etc/traefik/dynamic --lease-namespace traefik

Example (on a workstation, files only):
  syncd run --no-kube --files ./dynamic --listen 127.0.0.1:8080"
)]
struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "SYNCD_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the daemon.
    Run(Box<RunArgs>),
    /// Create a CA and the webhook's serving certificate (tls.crt, tls.key,
    /// ca.crt) and print the caBundle; optionally rewrite the caBundle of a
    /// ValidatingWebhookConfiguration manifest.
    ///
    /// Example: syncd webhook-cert --out-dir ./tls --webhook-config manifests/syncd/webhook.yaml
    WebhookCert(WebhookCertArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Traefik's static configuration (YAML or TOML): entry points, providers.precedence,
    /// providers.kubernetesCRD options (namespaces, labelSelector, ingressClass, ...).
    #[arg(long = "static", env = "SYNCD_STATIC", value_name = "FILE")]
    static_file: Option<PathBuf>,
    /// Watch the Kubernetes API (kubeconfig from $KUBECONFIG / ~/.kube/config, else in-cluster).
    #[arg(
        long,
        env = "SYNCD_KUBE",
        overrides_with = "no_kube",
        default_value_t = true
    )]
    kube: bool,
    /// Do not watch Kubernetes (no CRDs, no leader election, no Events).
    #[arg(long, env = "SYNCD_NO_KUBE", overrides_with = "kube")]
    no_kube: bool,
    /// The file provider's directory (Traefik's providers.file.directory), watched with
    /// inotify plus a periodic rescan.
    #[arg(long, env = "SYNCD_FILES", value_name = "DIR")]
    files: Option<PathBuf>,
    /// Interval of the files directory rescan (safety net for missed inotify events).
    #[arg(long, env = "SYNCD_RESCAN", default_value = "30s", value_parser = parse_duration)]
    rescan: Duration,
    /// Address of the HTTP API.
    #[arg(long, env = "SYNCD_LISTEN", default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Time between a change and the recompute (changes within it share one recompute).
    #[arg(long, env = "SYNCD_DEBOUNCE", default_value = "200ms", value_parser = parse_duration)]
    debounce: Duration,
    /// Namespace of the leader-election Lease (defaults to the pod's namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// Name of the leader-election Lease.
    #[arg(long, env = "SYNCD_LEASE_NAME", default_value = "syncd")]
    lease_name: String,
    /// Lease duration: a dead leader is replaced after at most this long; the leader
    /// renews every third of it.
    #[arg(long, env = "SYNCD_LEASE_DURATION", default_value = "15s", value_parser = parse_duration)]
    lease_duration: Duration,
    /// This replica's identity in the Lease (default: $POD_NAME, else the host name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Serve the validating admission webhook (POST /v1/admission, HTTPS) on this
    /// address. Needs --webhook-cert-dir.
    #[arg(long, env = "SYNCD_WEBHOOK_LISTEN", requires = "webhook_cert_dir")]
    webhook_listen: Option<SocketAddr>,
    /// Directory holding tls.crt and tls.key for the webhook (a mounted Secret;
    /// re-read when it changes, the last good pair is kept).
    #[arg(long, env = "SYNCD_WEBHOOK_CERT_DIR", value_name = "DIR")]
    webhook_cert_dir: Option<PathBuf>,
    /// Consul KV: the live prefix as a source, the staging → live gate.
    #[command(flatten, next_help_heading = "Consul KV source and gate")]
    gate: GateArgs,
    /// Connection to Consul.
    #[command(flatten, next_help_heading = "Consul connection")]
    consul: ConsulArgs,
}

fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates
    // within it on success (or truncates, which we tolerate).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).into_owned();
    (!name.is_empty()).then_some(name)
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}

/// Build the admission index of every new snapshot in the background, so
/// that no admission request pays for it (0.3–0.5 s at 10,000 routers).
fn warm_admission_index(mut snapshots: watch::Receiver<Arc<Snapshot>>) {
    tokio::spawn(async move {
        while snapshots.changed().await.is_ok() {
            let snap = snapshots.borrow_and_update().clone();
            let _ = tokio::task::spawn_blocking(move || {
                syncd::webhook::incremental::index_for(&snap);
            })
            .await;
        }
    });
}

async fn run(a: RunArgs) -> Result<()> {
    let static_cfg = match &a.static_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading --static {}", path.display()))?;
            let cfg =
                sync_core::static_config::StaticConfig::parse(&path.display().to_string(), &text)
                    .map_err(|e| anyhow::anyhow!("--static {}: {e}", path.display()))?;
            Some(cfg)
        }
        None => None,
    };
    let use_kube = a.kube && !a.no_kube;
    if !use_kube && a.files.is_none() && !a.gate.enabled {
        bail!("nothing to watch: give --files DIR or --consul, or leave the Kubernetes source on");
    }
    let consul = if a.gate.enabled {
        let cfg = a.consul.to_config().context("Consul settings")?;
        Some(ConsulClient::new(&cfg).context("Consul client")?)
    } else {
        None
    };
    let root_key = static_cfg.as_ref().and_then(|s| s.consul_root_key.clone());
    let client = if use_kube {
        Some(kube::Client::try_default().await.context(
            "connecting to Kubernetes (kubeconfig or in-cluster); use --no-kube to run without it",
        )?)
    } else {
        None
    };
    let identity = a
        .identity
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(hostname)
        .unwrap_or_else(|| "syncd".into());
    let lease = use_kube.then(|| LeaseConfig {
        namespace: a.lease_namespace.clone(),
        name: a.lease_name.clone(),
        identity: identity.clone(),
        duration: a.lease_duration,
    });
    let mut metrics = Metrics::new();
    let gate_metrics = GateMetrics::register(metrics.registry_mut());
    let metrics = Arc::new(metrics);
    let mut extra_sources = Vec::new();
    if consul.is_some() {
        extra_sources.push(source::CONSUL);
        if a.gate.consul_mode == Mode::Promote {
            extra_sources.push(STAGING_SOURCE);
        }
    }
    let running = start(
        DaemonConfig {
            static_cfg,
            files: a.files.clone(),
            rescan: a.rescan,
            debounce: a.debounce,
            lease,
            extra_sources,
        },
        client,
        metrics,
    );
    let webhook_cert = match &a.webhook_cert_dir {
        Some(dir) if a.webhook_listen.is_some() => Some(Arc::new(
            ReloadingCert::from_dir(dir)
                .with_context(|| format!("webhook certificate in {}", dir.display()))?,
        )),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| format!("listening on {}", a.listen))?;
    if let (Some(addr), Some(cert)) = (a.webhook_listen, webhook_cert) {
        let webhook_listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on --webhook-listen {addr}"))?;
        let snaps = running.snapshots.clone();
        let router = syncd::webhook::http::router(move || snaps.borrow().clone());
        let mut stop = running.shutdown.subscribe();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = serve_https(webhook_listener, cert, router, shutdown).await {
                tracing::error!("admission webhook server stopped: {e}");
            }
        });
        tracing::info!(listen = %addr, "admission webhook serving (HTTPS)");
    }
    tracing::info!(listen = %a.listen, identity = %identity, "syncd serving");
    warm_admission_index(running.snapshots.clone());
    let mut app_state = running.app.clone();
    let mut gate_router = None;
    let mut _gate = None;
    if let Some(client) = consul {
        let cfg = GateConfig {
            staging_prefix: a.gate.consul_staging_prefix.clone(),
            live_prefix: a.gate.live_prefix(root_key.as_deref()),
            status_key: a.gate.consul_status_key.clone(),
            state_key: a.gate.consul_state_key.clone(),
            mode: a.gate.consul_mode,
            quiet_min: a.gate.consul_quiescence,
            quiet_max: a.gate.consul_quiescence_max,
            overwrite_conflicts: a.gate.consul_overwrite_conflicts,
        };
        tracing::info!(live = %cfg.live_prefix, staging = %cfg.staging_prefix, mode = ?cfg.mode, "Consul gate starting");
        let handles = gate_service::spawn(
            client,
            cfg,
            running.updates.clone(),
            running.snapshots.clone(),
            running.is_leader.clone(),
            running.shutdown.subscribe(),
            gate_metrics,
        );
        app_state.gate = Some(handles.report.clone());
        gate_router = Some(gate_service::router(handles.report.clone()));
        _gate = Some(handles);
    }
    let mut app = http::router(app_state);
    if let Some(r) = gate_router {
        app = app.merge(r);
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("HTTP server")?;
    tracing::info!("shutting down");
    running.shutdown.send_replace(true);
    if let Some(e) = running.election {
        let _ = tokio::time::timeout(Duration::from_secs(10), e).await;
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    syncd::cli::run_main("syncd", cli.log_format, async {
        match cli.command {
            Cmd::Run(a) => run(*a).await,
            Cmd::WebhookCert(a) => syncd::webhook::cert::run(&a),
        }
    })
}
