//! `haproxy-sync`: HAProxy backends follow the Kubernetes nodes, through the runtime API,
//! without reloads. See `manifests/haproxy-sync/README.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use k8s_openapi::api::core::v1::Node;
use kube::api::ListParams;
use syncd::cli::{LogFormat, parse_duration};
use syncd::haproxy::backends::{BackendKind, BackendsConfig};
use syncd::haproxy::daemon::{DaemonConfig, Syncer};
use syncd::haproxy::file_source::{NodeSet, read_nodes_file, run_file_source, watch_file};
use syncd::haproxy::kube_source::{KubeSourceConfig, endpoints, run_kube_source};
use syncd::haproxy::membership::desired_all;
use syncd::haproxy::metrics::{Metrics, router};
use syncd::haproxy::nodes::{NodeInfo, from_k8s};
use syncd::haproxy::persist::{check_config, write_checked};
use syncd::haproxy::plan::PlanSettings;
use syncd::haproxy::render::render;
use syncd::haproxy::runtime::{RuntimeClient, SocketSpec};
use tokio::sync::watch;

#[derive(Parser, Debug)]
#[command(
    name = "haproxy-sync",
    version,
    about = "Keep HAProxy backends equal to the Kubernetes nodes"
)]
struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "HAPROXY_SYNC_LOG_FORMAT",
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
    Run(RunArgs),
    /// Write the initial haproxy.cfg from the backend definitions and the nodes.
    Render(RenderArgs),
}

#[derive(Args, Debug, Clone)]
struct SourceArgs {
    /// Backend definitions (YAML).
    #[arg(long, env = "HAPROXY_SYNC_BACKENDS")]
    backends: PathBuf,
    /// Nodes from a file (JSON of `kubectl get nodes -o json`), watched for changes,
    /// instead of the Kubernetes API.
    #[arg(long, env = "HAPROXY_SYNC_NODES_FILE")]
    nodes_file: Option<PathBuf>,
    /// Kubeconfig for the Kubernetes API (default: $KUBECONFIG, ~/.kube/config, in-cluster).
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// Additional API server URLs to try (repeatable), besides the kubeconfig's server and
    /// the control-plane nodes already known.
    #[arg(
        long = "api-endpoint",
        env = "HAPROXY_SYNC_API_ENDPOINTS",
        value_delimiter = ','
    )]
    api_endpoints: Vec<String>,
    /// API server port on control-plane nodes.
    #[arg(long, env = "HAPROXY_SYNC_API_PORT", default_value_t = 6443)]
    api_port: u16,
    /// haproxy binary (for `haproxy -c`).
    #[arg(long, env = "HAPROXY_SYNC_HAPROXY_BIN", default_value = "haproxy")]
    haproxy_bin: String,
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// haproxy.cfg that haproxy-sync owns and keeps in step.
    #[arg(
        long,
        env = "HAPROXY_SYNC_HAPROXY_CFG",
        default_value = "/etc/haproxy/haproxy.cfg"
    )]
    haproxy_cfg: PathBuf,
    /// Admin socket: unix:/path, /path, tcp:host:port or host:port (needs `level admin`).
    #[arg(
        long,
        env = "HAPROXY_SYNC_SOCKET",
        default_value = "/run/haproxy/admin.sock"
    )]
    socket: SocketSpec,
    /// Shell command that reloads HAProxy, only for structural changes.
    #[arg(long, env = "HAPROXY_SYNC_RELOAD_CMD")]
    reload_cmd: Option<String>,
    /// Minimum time between two reloads.
    #[arg(long, env = "HAPROXY_SYNC_MIN_RELOAD_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    min_reload_interval: Duration,
    /// Full reconcile interval (also catches HAProxy restarts).
    #[arg(long, env = "HAPROXY_SYNC_RESYNC_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    resync_interval: Duration,
    /// How long a leaving server may keep sessions in drain before they are cut.
    #[arg(long, env = "HAPROXY_SYNC_DRAIN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    drain_timeout: Duration,
    /// Refuse to remove more than this share of a backend's servers in one step.
    #[arg(long, env = "HAPROXY_SYNC_MAX_REMOVAL_PERCENT", default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=100))]
    max_removal_percent: u32,
    /// Apply removals above --max-removal-percent (a backend is still never emptied).
    #[arg(long, env = "HAPROXY_SYNC_FORCE")]
    force: bool,
    /// Do not write haproxy.cfg (runtime API only).
    #[arg(long, env = "HAPROXY_SYNC_NO_PERSIST")]
    no_persist: bool,
    /// Address for /metrics and /healthz.
    #[arg(
        long,
        env = "HAPROXY_SYNC_METRICS_ADDR",
        default_value = "127.0.0.1:9105"
    )]
    metrics_addr: SocketAddr,
}

#[derive(Args, Debug)]
struct RenderArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Output file (`-` for stdout). Written atomically after `haproxy -c`.
    #[arg(long, short, env = "HAPROXY_SYNC_HAPROXY_CFG", default_value = "-")]
    output: PathBuf,
    /// Skip `haproxy -c` when writing to stdout.
    #[arg(long)]
    no_check: bool,
}

async fn load_backends(path: &Path) -> Result<BackendsConfig> {
    let text = tokio::fs::read_to_string(path)
        .await
        .with_context(|| format!("reading backend definitions {}", path.display()))?;
    BackendsConfig::parse(&text).with_context(|| format!("backend definitions {}", path.display()))
}

async fn kube_config(src: &SourceArgs) -> Result<kube::Config> {
    match &src.kubeconfig {
        Some(p) => {
            let kc = kube::config::Kubeconfig::read_from(p)
                .with_context(|| format!("reading kubeconfig {}", p.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .with_context(|| format!("kubeconfig {}", p.display()))
        }
        None => kube::Config::infer()
            .await
            .context("no kubeconfig and not in a cluster"),
    }
}

/// One-shot node list for `render`, trying every known endpoint.
async fn list_nodes_once(src: &SourceArgs) -> Result<Vec<NodeInfo>> {
    let base = kube_config(src).await?;
    let cfg = KubeSourceConfig {
        base,
        extra_endpoints: src.api_endpoints.clone(),
        api_port: src.api_port,
        errors_before_switch: 1,
    };
    let mut last = None;
    for ep in endpoints(&cfg, &[], &[]) {
        let attempt = async {
            let c = syncd::haproxy::kube_source::config_for(&cfg.base, &ep)
                .map_err(anyhow::Error::msg)?;
            let client = kube::Client::try_from(c)?;
            let list = kube::Api::<Node>::all(client)
                .list(&ListParams::default())
                .await?;
            anyhow::Ok(list.items.iter().filter_map(from_k8s).collect::<Vec<_>>())
        };
        match attempt.await {
            Ok(n) => return Ok(n),
            Err(e) => {
                tracing::warn!(endpoint = %ep, error = %e, "listing nodes failed");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("no API endpoint")))
}

async fn render_cmd(args: RenderArgs) -> Result<()> {
    let defs = load_backends(&args.source.backends).await?;
    let nodes = match &args.source.nodes_file {
        Some(p) => read_nodes_file(p).await?,
        None => list_nodes_once(&args.source).await?,
    };
    let desired = desired_all(&defs.backends, &nodes)?;
    for (backend, d) in &desired {
        for dec in &d.decisions {
            tracing::info!(backend = %backend, node = %dec.node, member = ?dec.member, reason = %dec.reason, "decision");
        }
        if d.servers.is_empty() {
            tracing::warn!(backend = %backend, "no node selected: the backend is rendered without servers");
        }
    }
    let members = desired.into_iter().map(|(k, v)| (k, v.servers)).collect();
    let text = render(&defs, &members);
    if args.output.as_os_str() == "-" {
        if !args.no_check {
            let tmp = tempfile_path();
            tokio::fs::write(&tmp, &text)
                .await
                .with_context(|| format!("writing {}", tmp.display()))?;
            let checked = check_config(&args.source.haproxy_bin, &tmp).await;
            let _ = tokio::fs::remove_file(&tmp).await;
            checked?;
        }
        print!("{text}");
    } else {
        write_checked(&args.source.haproxy_bin, &args.output, &text).await?;
        tracing::info!(path = %args.output.display(), "wrote haproxy.cfg");
    }
    Ok(())
}

fn tempfile_path() -> PathBuf {
    std::env::temp_dir().join(format!("haproxy-sync-render-{}.cfg", std::process::id()))
}

async fn run_cmd(args: RunArgs) -> Result<()> {
    let defs = load_backends(&args.source.backends).await?;
    let metrics = Arc::new(Metrics::new());
    let client = RuntimeClient::new(args.socket.clone());
    // Check the socket is usable up front: a clear error instead of a silent loop.
    // An admin-level command on a backend that cannot exist: "No such backend." with
    // `level admin`, "Permission denied." without.
    match client
        .send("set server haproxy-sync/probe state ready")
        .await
    {
        Ok(r) if r.contains("Permission denied") => {
            bail!(
                "admin socket {}: permission denied (needs `level admin`)",
                args.socket
            )
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "admin socket not usable yet; will keep trying"),
    }

    let (tx, rx) = watch::channel::<NodeSet>(None);
    let source = match &args.source.nodes_file {
        Some(p) => {
            let (p, m) = (p.clone(), metrics.clone());
            tokio::spawn(async move {
                if let Err(e) = run_file_source(p, tx, m, Duration::from_secs(30)).await {
                    tracing::error!(error = %e, "nodes file source stopped");
                }
            })
        }
        None => {
            let base = kube_config(&args.source).await?;
            // Control-plane addresses HAProxy already balances: a way to the API that does
            // not depend on the VIP this HAProxy serves.
            let mut known_cp = Vec::new();
            if let Ok(st) = client.read_state().await {
                for def in defs
                    .backends
                    .iter()
                    .filter(|d| d.effective_kind() == BackendKind::ApiServer)
                {
                    if let Some(b) = st.backends.get(&def.name) {
                        known_cp.extend(b.values().filter_map(|s| s.addr.map(|a| a.to_string())));
                    }
                }
            }
            let cfg = KubeSourceConfig {
                base,
                extra_endpoints: args.source.api_endpoints.clone(),
                api_port: args.source.api_port,
                errors_before_switch: 3,
            };
            tokio::spawn(run_kube_source(cfg, known_cp, tx, metrics.clone()))
        }
    };

    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .with_context(|| format!("binding metrics address {}", args.metrics_addr))?;
    let app = router(metrics.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });

    // Follow edits of backends.yaml; a bad edit keeps the last good definitions.
    let (defs_tx, defs_rx) = watch::channel(defs.clone());
    let defs_path = args.source.backends.clone();
    let defs_metrics = metrics.clone();
    let defs_watch = tokio::spawn(async move {
        let (_guard, mut events) = match watch_file(&defs_path) {
            Ok(w) => w,
            Err(e) => {
                tracing::error!(error = %e, "cannot watch the backend definitions; edits need a restart");
                return;
            }
        };
        while events.recv().await.is_some() {
            match load_backends(&defs_path).await {
                Ok(d) if *defs_tx.borrow() != d => {
                    defs_tx.send_replace(d);
                }
                Ok(_) => {}
                Err(e) => {
                    defs_metrics.fail("backends", format!("{e:#}"));
                    tracing::error!(error = %format!("{e:#}"), "ignoring the edited backend definitions; keeping the last good ones");
                }
            }
        }
    });
    let cfg = DaemonConfig {
        backends: defs,
        haproxy_cfg: args.haproxy_cfg,
        haproxy_bin: args.source.haproxy_bin,
        client,
        reload_cmd: args.reload_cmd,
        min_reload_interval: args.min_reload_interval,
        resync: args.resync_interval,
        settings: PlanSettings {
            max_removal_percent: args.max_removal_percent,
            force: args.force,
            drain_timeout: args.drain_timeout,
        },
        persist: !args.no_persist,
    };
    tracing::info!(socket = %cfg.client.socket, cfg = %cfg.haproxy_cfg.display(), "haproxy-sync started");
    let shutdown = async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending::<()>().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
        tracing::info!("shutting down");
    };
    Syncer::new(cfg, metrics)
        .with_backend_updates(defs_rx)
        .run(rx, shutdown)
        .await;
    source.abort();
    defs_watch.abort();
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    syncd::cli::run_main("haproxy-sync", cli.log_format, async {
        match cli.command {
            Cmd::Run(a) => run_cmd(a).await,
            Cmd::Render(a) => render_cmd(a).await,
        }
    })
}
