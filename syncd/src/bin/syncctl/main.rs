//! `syncctl`: validate Traefik v3 dynamic configuration offline, the way Traefik
//! itself would read it, and tell what Traefik never tells.

mod consul_cmd;
mod convert_cmd;
mod inputs;
mod route_cmd;
mod text_report;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Offline validator for Traefik v3 dynamic configuration (file provider, Consul KV,
/// Kubernetes CRDs), with Traefik 3.7's own semantics.
#[derive(Parser)]
#[command(name = "syncctl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate configuration and print a report.
    ///
    /// Decodes each provider exactly as Traefik 3.7 does (one bad file rejects the
    /// whole file provider, one bad Consul key the whole KV configuration), merges
    /// them as `name@provider`, and reports every router, service and middleware
    /// with the status and error text Traefik's API would show, plus findings
    /// Traefik never reports (unused broken objects, nondeterministic ties, KV traps...).
    ///
    /// Exit code: 0 no errors, 1 configuration errors found, 2 usage or I/O error.
    ///
    /// Example: syncctl validate --static traefik.yml --files dynamic/ --consul-export kv.json
    Validate(ValidateArgs),
    /// Route lookups: which router Traefik picks for a request.
    #[command(subcommand)]
    Route(route_cmd::RouteCommand),
    /// The routing table per entry point, in Traefik's evaluation order, with each
    /// router's provider and source location.
    ///
    /// Example: syncctl routes --static traefik.yml --files dynamic/ --format json
    Routes(route_cmd::RoutesArgs),
    /// Convert configuration between providers: file-provider YAML/TOML, Consul KV
    /// (`consul kv export` JSON) and Traefik CRD manifests.
    ///
    /// Reads the input the way Traefik does, writes the other format, and lists on
    /// standard error everything the target cannot express (empty sections in KV,
    /// commas Traefik's KV decoder would split, URL servers in CRDs, secrets...).
    ///
    /// Exit code: 0 lossless, 1 some things not converted (output still written),
    /// 2 usage, input or I/O error.
    ///
    /// Example: syncctl convert --from file --to consul-export dynamic/ -o kv.json
    Convert(convert_cmd::ConvertArgs),
    /// Export, import, diff and promote Traefik's Consul KV configuration
    /// (staging → live, validated like syncd's gate does).
    #[command(subcommand)]
    Consul(consul_cmd::ConsulCommand),
}

/// Where the configuration comes from (shared by every command that reads it).
#[derive(Args, Clone)]
pub struct Sources {
    /// Traefik's static configuration (YAML or TOML): entry points, providers.precedence,
    /// CRD provider options, certificate resolvers. Without it, entry-point checks are skipped.
    #[arg(long = "static", value_name = "FILE", env = "SYNCCTL_STATIC")]
    pub static_file: Option<PathBuf>,
    /// File-provider input: a file, or a directory read recursively like Traefik's
    /// `providers.file.directory` (.yml/.yaml/.toml only, lexical order). Repeatable.
    #[arg(
        long = "files",
        value_name = "PATH",
        env = "SYNCCTL_FILES",
        value_delimiter = ','
    )]
    pub files: Vec<PathBuf>,
    /// Kubernetes manifests with Traefik CRD objects (traefik.io/v1alpha1) and Services:
    /// a file or a directory. Repeatable.
    #[arg(
        long = "crds",
        value_name = "PATH",
        env = "SYNCCTL_CRDS",
        value_delimiter = ','
    )]
    pub crds: Vec<PathBuf>,
    /// Consul KV content as written by `consul kv export` (JSON).
    #[arg(
        long = "consul-export",
        value_name = "FILE",
        env = "SYNCCTL_CONSUL_EXPORT"
    )]
    pub consul_export: Option<PathBuf>,
    /// Consul root key Traefik reads (default: providers.consul.rootKey from --static, else `traefik`).
    #[arg(
        long = "consul-root-key",
        value_name = "KEY",
        env = "SYNCCTL_CONSUL_ROOT_KEY"
    )]
    pub consul_root_key: Option<String>,
}

#[derive(Args)]
struct ValidateArgs {
    #[command(flatten)]
    sources: Sources,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text, env = "SYNCCTL_FORMAT")]
    format: Format,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto, env = "SYNCCTL_COLOR")]
    color: Color,
    /// Also list every enabled object in the text report.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    /// A report for people, grouped by source.
    Text,
    /// The JSON report (mirrors Traefik's API names and statuses).
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Color {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("syncctl: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate(args),
        Command::Route(route_cmd::RouteCommand::Test(args)) => route_cmd::route_test(args),
        Command::Routes(args) => route_cmd::routes(args),
        Command::Convert(args) => convert_cmd::convert(args),
        Command::Consul(cmd) => consul_cmd::run(cmd),
    }
}

fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let loaded = inputs::load(&args.sources)?;
    let report = sync_core::validate::validate(loaded.static_cfg.as_ref(), &loaded.providers);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            let text = text_report::render(&report, &loaded, color, args.verbose);
            print!("{text}");
        }
    }
    Ok(if report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
