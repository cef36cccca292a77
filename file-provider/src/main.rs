//! `file-provider`: only valid configuration reaches Traefik, atomically.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use file_provider::daemon::{Daemon, Settings, Trigger};
use file_provider::gate;
use file_provider::inbox::{self, Limits};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use sync_core::static_config::StaticConfig;
use tracing::{error, info};

/// Stand between the directory users edit (the inbox) and the directory Traefik's
/// file provider reads: validate the whole inbox the way Traefik would, and publish
/// it as ONE file, atomically, only when it is valid.
///
/// Traefik drops its whole file provider when a single file is broken, and it reads
/// half-written files and editor leftovers. Point Traefik's
/// `providers.file.directory` at --output (and nothing else at it), let users edit
/// --inbox, and run `file-provider run`. A broken inbox is logged with
/// file:line:column and the fix, and Traefik keeps serving the last good
/// configuration, also across restarts.
///
/// Examples:
///
///   file-provider run --inbox /etc/traefik/inbox --output /etc/traefik/dynamic \
///       --static /etc/traefik/traefik.yml --status-file /run/file-provider/status.json
///
///   file-provider check --inbox ./inbox --static traefik.yml   # CI / pre-commit: exit 0, 1 or 2
#[derive(Parser, Debug)]
#[command(name = "file-provider", version, verbatim_doc_comment)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "FILE_PROVIDER_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Watch the inbox and publish every valid revision into Traefik's directory.
    ///
    /// Every batch of filesystem events (and a periodic tick) triggers a full
    /// rescan; the result is published as `<output>/dynamic.yml` with
    /// write-temp, fsync, rename. Serves /status, /metrics and /healthz.
    Run(RunArgs),
    /// Validate the inbox once and exit: 0 valid, 1 configuration errors
    /// (or warnings with --strict), 2 usage or I/O error.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
struct CommonArgs {
    /// Directory users edit. Walked recursively with Traefik's rules (.yml, .yaml,
    /// .toml; lexical order). May be a Kubernetes ConfigMap mount (`..data` swaps
    /// are handled, `..*` entries skipped). Symlinks must stay inside it.
    #[arg(long, env = "FILE_PROVIDER_INBOX", value_name = "DIR")]
    inbox: PathBuf,
    /// Traefik's static configuration (YAML or TOML): entry points, default rule
    /// syntax, ... Without it, references to entry points cannot be checked.
    #[arg(long = "static", env = "FILE_PROVIDER_STATIC", value_name = "FILE")]
    static_file: Option<PathBuf>,
    /// Refuse to publish when there are warnings too (e.g. duplicate names across files).
    #[arg(long, env = "FILE_PROVIDER_STRICT")]
    strict: bool,
    /// Largest accepted file, in bytes.
    #[arg(long, env = "FILE_PROVIDER_MAX_FILE_BYTES", default_value_t = 1024 * 1024)]
    max_file_bytes: u64,
    /// Most configuration files in the inbox.
    #[arg(long, env = "FILE_PROVIDER_MAX_FILES", default_value_t = 1000)]
    max_files: usize,
    /// Largest total size of the inbox's configuration files, in bytes.
    #[arg(long, env = "FILE_PROVIDER_MAX_TOTAL_BYTES", default_value_t = 64 * 1024 * 1024)]
    max_total_bytes: u64,
    /// syncd's HTTP API (`http://syncd.traefik.svc:8080`): before publishing, ask it
    /// whether the inbox's references to other providers (`x@kubernetescrd`,
    /// `y@consul`) resolve, and whether the inbox breaks routers elsewhere.
    #[arg(long, env = "FILE_PROVIDER_SYNCD_URL", value_name = "URL")]
    syncd_url: Option<String>,
    /// With --syncd-url: publish nothing while syncd does not answer (default:
    /// publish on the local verdict and note that the cross-check was skipped).
    #[arg(long, env = "FILE_PROVIDER_SYNCD_REQUIRED", requires = "syncd_url")]
    syncd_required: bool,
    /// With --syncd-url: how long to wait for syncd's answer (ms).
    #[arg(long, env = "FILE_PROVIDER_SYNCD_TIMEOUT_MS", default_value_t = 5000)]
    syncd_timeout_ms: u64,
}

impl CommonArgs {
    fn syncd(&self) -> Option<file_provider::syncd_check::SyncdCheck> {
        self.syncd_url.as_deref().map(|url| {
            file_provider::syncd_check::SyncdCheck::new(
                url,
                self.syncd_required,
                Duration::from_millis(self.syncd_timeout_ms),
            )
        })
    }

    fn limits(&self) -> Limits {
        Limits {
            max_file_bytes: self.max_file_bytes,
            max_files: self.max_files,
            max_total_bytes: self.max_total_bytes,
        }
    }

    fn static_config(&self) -> Result<Option<StaticConfig>> {
        let Some(path) = &self.static_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the static configuration {}", path.display()))?;
        let shown = path.display().to_string();
        StaticConfig::parse(&shown, &text)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{shown}: {}", e.message))
    }
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Traefik's `providers.file.directory`. file-provider writes `dynamic.yml`
    /// there (mode 0640); nothing else should write into it.
    #[arg(long, env = "FILE_PROVIDER_OUTPUT", value_name = "DIR")]
    output: PathBuf,
    /// Mirror of /status written atomically after every scan. Must be outside --output.
    #[arg(long, env = "FILE_PROVIDER_STATUS_FILE", value_name = "FILE")]
    status_file: Option<PathBuf>,
    /// Address of the /status, /metrics, /healthz server; `off` disables it.
    #[arg(long, env = "FILE_PROVIDER_LISTEN", default_value = "127.0.0.1:9180")]
    listen: String,
    /// Quiet time (ms) that ends a batch of filesystem events.
    #[arg(long, env = "FILE_PROVIDER_DEBOUNCE_MS", default_value_t = 100)]
    debounce_ms: u64,
    /// A scan is retried while its newest file is younger than this (ms) or a file
    /// changed while being read: half-written files are never judged.
    #[arg(long, env = "FILE_PROVIDER_SETTLE_MS", default_value_t = 100)]
    settle_ms: u64,
    /// Full rescan even without events, every N seconds (covers missed events,
    /// network filesystems).
    #[arg(long, env = "FILE_PROVIDER_RESCAN_SECONDS", default_value_t = 30)]
    rescan_seconds: u64,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, env = "FILE_PROVIDER_FORMAT")]
    format: Format,
    /// Also write the file that would be published (`-` for stdout) when the inbox is valid.
    #[arg(long, env = "FILE_PROVIDER_RENDER_TO", value_name = "FILE")]
    render_to: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    let result = match cli.command {
        Command::Run(args) => run(args).map(|()| ExitCode::SUCCESS),
        Command::Check(args) => check(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            error!("{e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let static_config = args.common.static_config()?;
    let started = std::time::Instant::now();
    let snapshot = inbox::scan(&args.common.inbox, &args.common.limits())?;
    let scan_ms = started.elapsed().as_secs_f64() * 1000.0;
    let syncd = args.common.syncd();
    let verdict = gate::evaluate_with(
        &snapshot,
        static_config.as_ref(),
        args.common.strict,
        syncd.as_ref(),
    );
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &verdict.report)?;
            writeln!(out)?;
        }
        Format::Text => {
            for f in &verdict.report.findings {
                writeln!(out, "{}", gate::describe(f))?;
            }
            writeln!(
                out,
                "{}: {} file(s), revision {}, {} error(s), {} warning(s){} -> {} (scan {scan_ms:.1} ms, gate {:.1} ms)",
                args.common.inbox.display(),
                verdict.files,
                verdict.revision,
                verdict.errors,
                verdict.warnings,
                if args.common.strict { " (strict)" } else { "" },
                if verdict.accepted() {
                    "would publish"
                } else {
                    "would NOT publish"
                },
                verdict.elapsed.as_secs_f64() * 1000.0
            )?;
        }
    }
    if let (Some(target), Some(bytes)) = (&args.render_to, &verdict.rendered) {
        if target.as_os_str() == "-" {
            out.write_all(bytes)?;
        } else {
            std::fs::write(target, bytes)
                .with_context(|| format!("writing {}", target.display()))?;
        }
    }
    Ok(if verdict.accepted() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Refuse layouts where Traefik could read around the gate.
fn check_layout(inbox: &Path, output: &Path, status_file: Option<&Path>) -> Result<()> {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (i, o) = (canon(inbox), canon(output));
    if i.starts_with(&o) {
        bail!(
            "--inbox {} is inside --output {}: Traefik would read the unchecked files",
            inbox.display(),
            output.display()
        );
    }
    if o.starts_with(&i) {
        bail!(
            "--output {} is inside --inbox {}: the published file would be read back as input",
            output.display(),
            inbox.display()
        );
    }
    if let Some(s) = status_file {
        let parent = s
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if canon(parent).starts_with(&o) {
            bail!(
                "--status-file {} is inside --output: keep it outside Traefik's directory",
                s.display()
            );
        }
    }
    Ok(())
}

fn run(args: RunArgs) -> Result<()> {
    let static_config = args.common.static_config()?;
    check_layout(
        &args.common.inbox,
        &args.output,
        args.status_file.as_deref(),
    )?;
    let listen: Option<SocketAddr> = match args.listen.as_str() {
        "off" => None,
        s => Some(
            s.parse()
                .with_context(|| format!("--listen {s}: expected HOST:PORT or off"))?,
        ),
    };
    let settings = Settings {
        inbox: args.common.inbox.clone(),
        output: args.output.clone(),
        static_config,
        status_file: args.status_file.clone(),
        strict: args.common.strict,
        limits: args.common.limits(),
        debounce: Duration::from_millis(args.debounce_ms),
        settle: Duration::from_millis(args.settle_ms),
        rescan_interval: Duration::from_secs(args.rescan_seconds.max(1)),
        syncd: args.common.syncd(),
    };
    let daemon = Daemon::new(settings.clone()).context("preparing the output directory")?;
    let shared = daemon.shared();
    let (tx, rx) = std::sync::mpsc::channel::<Trigger>();
    let watch_tx = tx.clone();
    info!(inbox = %settings.inbox.display(), output = %settings.output.display(), strict = settings.strict, "file-provider started");
    let worker = std::thread::Builder::new()
        .name("gate".into())
        .spawn(move || daemon.run(watch_tx, &rx))
        .context("starting the gate thread")?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served: Result<()> = runtime.block_on(async move {
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
            Ok::<(), std::io::Error>(())
        };
        match listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("listening on {addr}"))?;
                info!(%addr, "serving /status, /metrics, /healthz");
                axum::serve(listener, file_provider::server::router(shared))
                    .with_graceful_shutdown(async move {
                        let _ = shutdown.await;
                    })
                    .await
                    .context("HTTP server")?;
            }
            None => shutdown.await.context("waiting for a signal")?,
        }
        Ok(())
    });
    info!("shutting down");
    let _ = tx.send(Trigger::Stop);
    let _ = worker.join();
    served
}
