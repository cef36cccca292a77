//! `bootstrap`: one cluster.yaml → VMs on standalone ESXi hosts → a kubeadm HA cluster.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};

use bootstrap::ops::{self, Context};
use bootstrap::pki::ClusterSecrets;
use bootstrap::spec::ClusterSpec;
use bootstrap::{cloudinit, plan, render};

const AFTER_HELP: &str = "\
Typical session:
  bootstrap plan   -f cluster.yaml                 # check the spec, print VMs/IPs/MACs/placement
  bootstrap plan   -f cluster.yaml --check-hosts   # also check datastores/port groups/licences live
  bootstrap render -f cluster.yaml --out build/    # write every artifact (secrets mode 0600)
  bootstrap up     -f cluster.yaml                 # create what is missing, power on, wait
  bootstrap status -f cluster.yaml
  bootstrap down   -f cluster.yaml --yes

Secrets: ESXi passwords come from each host's password_file or password_env
(default BOOTSTRAP_ESXI_PASSWORD), never from the command line. The PKI, the bootstrap token and
an admin kubeconfig are kept in the state folder (default <cluster.yaml folder>/<name>.state/).

The vSphere API must be writable: a host with the free vSphere Hypervisor licence is refused at
pre-flight. Exit codes: 0 ok, 1 failure (every problem is listed), 2 usage error.";

#[derive(Parser)]
#[command(name = "bootstrap", version, about = "Stand up a kubeadm HA cluster behind HAProxy on standalone ESXi hosts from one cluster.yaml", after_help = AFTER_HELP)]
struct Cli {
    /// Log format on stderr.
    #[arg(
        long,
        value_enum,
        default_value = "text",
        env = "BOOTSTRAP_LOG_FORMAT",
        global = true
    )]
    log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax), e.g. `debug` or `info,bootstrap=debug`.
    #[arg(long, default_value = "info", env = "BOOTSTRAP_LOG", global = true)]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(clap::Args)]
struct SpecArgs {
    /// The cluster spec (see examples/cluster.yaml).
    #[arg(
        short = 'f',
        long = "file",
        env = "BOOTSTRAP_CLUSTER",
        default_value = "cluster.yaml"
    )]
    file: PathBuf,
    /// Folder holding the PKI, token and admin kubeconfig (mode 0700, keys 0600).
    #[arg(long, env = "BOOTSTRAP_STATE_DIR")]
    state: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
enum WaitFor {
    /// Return once every VM exists and is powered on.
    None,
    /// Also wait until every VM reports a guest IP (VMware Tools).
    Vms,
    /// Also wait until the API answers /readyz through the virtual IP.
    Api,
    /// Also wait until every Kubernetes node is Ready, then scrub secrets from guestinfo.
    Nodes,
}

#[derive(Subcommand)]
enum Command {
    /// Validate cluster.yaml and print the plan: VMs, hosts, IPs, MACs, sizes, warnings.
    Plan {
        #[command(flatten)]
        spec: SpecArgs,
        /// Also log in to every host (read-only) and check licences, datastores, port groups and
        /// VM name conflicts.
        #[arg(long, env = "BOOTSTRAP_CHECK_HOSTS")]
        check_hosts: bool,
    },
    /// Write every artifact (PKI, per-node meta-data/user-data, kubeadm, haproxy, keepalived,
    /// admin kubeconfig) to a folder.
    Render {
        #[command(flatten)]
        spec: SpecArgs,
        /// Output folder (created).
        #[arg(long, short = 'o', env = "BOOTSTRAP_RENDER_OUT")]
        out: PathBuf,
    },
    /// Create what is missing and power it on; safe to re-run (resumes, changes nothing when done).
    Up {
        #[command(flatten)]
        spec: SpecArgs,
        /// How far to wait after the VMs are powered on.
        #[arg(long, value_enum, default_value = "nodes", env = "BOOTSTRAP_WAIT")]
        wait: WaitFor,
        /// Timeout for guest IPs, e.g. 15m.
        #[arg(long, default_value = "15m", value_parser = parse_duration, env = "BOOTSTRAP_IP_TIMEOUT")]
        ip_timeout: Duration,
        /// Timeout for the API's /readyz (includes package installs and a reboot on 20.04).
        #[arg(long, default_value = "30m", value_parser = parse_duration, env = "BOOTSTRAP_API_TIMEOUT")]
        api_timeout: Duration,
        /// Timeout for all nodes Ready.
        #[arg(long, default_value = "30m", value_parser = parse_duration, env = "BOOTSTRAP_NODES_TIMEOUT")]
        nodes_timeout: Duration,
        /// Reach the API at HOST:PORT instead of VIP:6443 (e.g. through a tunnel).
        #[arg(long, env = "BOOTSTRAP_API_ENDPOINT")]
        api_endpoint: Option<String>,
        /// Keep the user-data in guestinfo after the nodes are Ready (default: scrub it).
        #[arg(long, env = "BOOTSTRAP_KEEP_GUESTINFO")]
        keep_guestinfo: bool,
    },
    /// Show each planned VM (host, power, guest IP) and, with --api, the nodes' readiness.
    Status {
        #[command(flatten)]
        spec: SpecArgs,
        /// Also ask the API (through the VIP) whether the API and nodes are ready.
        #[arg(long, env = "BOOTSTRAP_STATUS_API")]
        api: bool,
        #[arg(long, env = "BOOTSTRAP_API_ENDPOINT")]
        api_endpoint: Option<String>,
    },
    /// Power off and delete the VMs this cluster owns (owner marker); nothing else is touched.
    Down {
        #[command(flatten)]
        spec: SpecArgs,
        /// Really delete (without it, only list what would be deleted).
        #[arg(long, env = "BOOTSTRAP_DOWN_YES")]
        yes: bool,
        /// Keep the imported base image VM so the next `up` skips the upload.
        #[arg(long, env = "BOOTSTRAP_KEEP_IMAGE")]
        keep_image: bool,
    },
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a number with s, m or h, e.g. 90s, 15m, 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?}: unit must be s, m or h")),
    };
    Ok(Duration::from_secs(secs))
}

fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => b.init(),
        LogFormat::Json => b.json().init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One rustls crypto provider in the whole build: ring.
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!("bootstrap: a rustls crypto provider was already installed");
    }
    init_logging(cli.log_format, &cli.log);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bootstrap: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bootstrap: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(spec: &SpecArgs) -> anyhow::Result<(ClusterSpec, plan::Plan, PathBuf)> {
    let s = ClusterSpec::load(&spec.file)?;
    let plan = plan::build(&s).map_err(|mut problems| {
        problems.extend(only_file_problems(&s));
        anyhow!(
            "{} is invalid ({} problem(s)):\n{}",
            spec.file.display(),
            problems.len(),
            problems
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    let state = spec.state.clone().unwrap_or_else(|| {
        spec.file
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!("{}.state", s.name))
    });
    Ok((s, plan, state))
}

fn context(spec: ClusterSpec, plan: plan::Plan, state: &Path) -> anyhow::Result<Context> {
    let (secrets, created) = ClusterSecrets::load_or_create(state)
        .with_context(|| format!("state folder {}", state.display()))?;
    if created {
        tracing::info!(state = %state.display(), "generated the cluster PKI and bootstrap token");
    }
    let nodes = cloudinit::render_all(&spec, &plan, &secrets)?;
    bootstrap::pki::write_file(
        &state.join("admin.kubeconfig"),
        render::admin_kubeconfig(&spec, &plan, &secrets).as_bytes(),
        true,
    )?;
    Ok(Context {
        spec,
        plan,
        secrets,
        nodes,
    })
}

/// The spec's problems that need files (image, password files, CA files).
fn only_file_problems(spec: &ClusterSpec) -> Vec<String> {
    let offline = spec.problems(false);
    spec.problems(true)
        .into_iter()
        .filter(|p| !offline.contains(p))
        .collect()
}

fn file_problems(spec: &ClusterSpec) -> anyhow::Result<()> {
    let p = only_file_problems(spec);
    if !p.is_empty() {
        bail!(
            "missing files ({}):\n{}",
            p.len(),
            p.iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(())
}

async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Plan { spec, check_hosts } => {
            let (s, plan, state) = load(&spec)?;
            let secrets = ClusterSecrets::load_existing(&state)?;
            print!("{}", render::plan_table(&s, &plan, secrets.as_ref()));
            let mut problems = only_file_problems(&s);
            if check_hosts {
                problems.extend(ops::check_hosts(&s, &plan).await?);
            }
            if !problems.is_empty() {
                bail!(
                    "the plan cannot be applied ({} problem(s)):\n{}",
                    problems.len(),
                    problems
                        .iter()
                        .map(|p| format!("  - {p}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                );
            }
            if check_hosts {
                println!(
                    "\nHosts checked: licences, datastores, port groups and VM names are fine."
                );
            }
            Ok(())
        }
        Command::Render { spec, out } => {
            let (s, plan, state) = load(&spec)?;
            let ctx = context(s, plan, &state)?;
            let files =
                render::render_folder(&out, &ctx.spec, &ctx.plan, &ctx.secrets, &ctx.nodes)?;
            println!("wrote {} files to {}", files.len(), out.display());
            Ok(())
        }
        Command::Up {
            spec,
            wait,
            ip_timeout,
            api_timeout,
            nodes_timeout,
            api_endpoint,
            keep_guestinfo,
        } => {
            let started = Instant::now();
            let (s, plan, state) = load(&spec)?;
            file_problems(&s)?;
            for w in &plan.warnings {
                tracing::warn!("{w}");
            }
            let ctx = context(s, plan, &state)?;
            let reports = ops::up(&ctx).await?;
            let (mut c, mut r, mut u) = (0, 0, 0);
            for rep in &reports {
                println!(
                    "{}: base image {}, created {} [{}], resumed {} [{}], unchanged {}",
                    rep.host,
                    if rep.imported { "imported" } else { "present" },
                    rep.created.len(),
                    rep.created.join(" "),
                    rep.resumed.len(),
                    rep.resumed.join(" "),
                    rep.unchanged.len()
                );
                c += rep.created.len();
                r += rep.resumed.len();
                u += rep.unchanged.len();
            }
            println!(
                "VMs: {c} created, {r} resumed, {u} unchanged ({:.1}s)",
                started.elapsed().as_secs_f64()
            );
            let endpoint = api_endpoint.unwrap_or_else(|| ctx.plan.api_endpoint());
            if wait >= WaitFor::Vms {
                ops::wait::guest_ips(&ctx, ip_timeout).await?;
                println!(
                    "guest IPs: all {} VMs ({:.1}s)",
                    ctx.plan.vms.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            if wait >= WaitFor::Api {
                ops::wait::api_ready(&ctx, &endpoint, api_timeout).await?;
                println!(
                    "API ready at https://{endpoint} ({:.1}s)",
                    started.elapsed().as_secs_f64()
                );
            }
            if wait >= WaitFor::Nodes {
                ops::wait::nodes_ready(&ctx, &endpoint, nodes_timeout).await?;
                println!("nodes: all Ready ({:.1}s)", started.elapsed().as_secs_f64());
                if !keep_guestinfo {
                    let n = ops::scrub_guestinfo(&ctx).await?;
                    println!("scrubbed user-data from the guestinfo of {n} VMs");
                }
                println!("kubeconfig: {}", state.join("admin.kubeconfig").display());
            }
            Ok(())
        }
        Command::Status {
            spec,
            api,
            api_endpoint,
        } => {
            let (s, plan, state) = load(&spec)?;
            let (rows, problems) = ops::status(&s, &plan).await?;
            let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
            println!(
                "{:<w$}  {:<13}  {:<10}  {:<15}  {:<11}  GUEST IP",
                "NAME", "ROLE", "HOST", "PLANNED IP", "POWER"
            );
            for r in &rows {
                println!(
                    "{:<w$}  {:<13}  {:<10}  {:<15}  {:<11}  {}",
                    r.name, r.role, r.host, r.planned_ip, r.power, r.guest_ip
                );
            }
            for p in &problems {
                println!("! {p}");
            }
            if api {
                let ctx = context(s, plan, &state)?;
                let endpoint = api_endpoint.unwrap_or_else(|| ctx.plan.api_endpoint());
                match ops::wait::api_ready(&ctx, &endpoint, Duration::ZERO).await {
                    Ok(()) => {
                        println!("API: ready at https://{endpoint}");
                        match ops::wait::node_states(&ctx, &endpoint).await {
                            Ok(states) => {
                                println!("\nNODE{:w$}  STATE", "", w = w - 4);
                                for (name, state) in &states {
                                    println!("{name:<w$}  {state}");
                                }
                                if states.iter().all(|(_, s)| s == "Ready") {
                                    println!("nodes: all Ready");
                                }
                            }
                            Err(e) => println!("nodes: {e:#}"),
                        }
                    }
                    Err(e) => println!("API: {e:#}"),
                }
            }
            if !problems.is_empty() {
                bail!("{} host(s) could not be read", problems.len());
            }
            Ok(())
        }
        Command::Down {
            spec,
            yes,
            keep_image,
        } => {
            let (s, plan, _) = load(&spec)?;
            let removed = ops::down(&s, &plan, yes, keep_image).await?;
            if removed.is_empty() {
                println!("nothing owned by cluster {} on the hosts", plan.cluster);
            }
            for r in &removed {
                println!("{} {r}", if yes { "removed" } else { "would remove" });
            }
            if !yes && !removed.is_empty() {
                println!(
                    "(dry run: add --yes to delete these {} VM(s))",
                    removed.len()
                );
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
