//! `syncctl convert`: one provider's configuration into another provider's format.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use sync_core::decode::consul_kv::{self, DEFAULT_ROOT_KEY};
use sync_core::decode::file_provider::{self, SourceFile};
use sync_core::encode::file::FileFormat;
use sync_core::encode::{self, Loss, losses_to_findings};
use sync_core::finding::{Finding, Severity};
use sync_core::provider::ProviderConfig;

/// Which provider's format.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Provider {
    /// File-provider YAML or TOML (a file or a directory read like Traefik's `directory`).
    File,
    /// A `consul kv export` JSON document (what `consul kv import` reads).
    ConsulExport,
    /// Kubernetes manifests with Traefik CRD objects (traefik.io/v1alpha1).
    Crd,
}

/// File-provider output syntax.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum FileSyntax {
    /// YAML.
    Yaml,
    /// TOML.
    Toml,
}

/// Arguments of `syncctl convert`.
#[derive(Args)]
#[command(after_long_help = EXAMPLES)]
pub struct ConvertArgs {
    /// Format of the INPUTs.
    #[arg(
        long,
        value_enum,
        value_name = "PROVIDER",
        env = "SYNCCTL_CONVERT_FROM"
    )]
    from: Provider,
    /// Format to write.
    #[arg(long, value_enum, value_name = "PROVIDER", env = "SYNCCTL_CONVERT_TO")]
    to: Provider,
    /// Syntax of file-provider output (default: from the -o extension, else yaml).
    #[arg(long, value_enum, env = "SYNCCTL_CONVERT_FORMAT")]
    format: Option<FileSyntax>,
    /// Consul root key of a consul-export input (and of the output unless --to-root-key).
    #[arg(long, value_name = "KEY", default_value = DEFAULT_ROOT_KEY, env = "SYNCCTL_CONVERT_ROOT_KEY")]
    root_key: String,
    /// Consul root key of a consul-export output (e.g. `traefik-staging` for the gate's staging prefix).
    #[arg(long, value_name = "KEY", env = "SYNCCTL_CONVERT_TO_ROOT_KEY")]
    to_root_key: Option<String>,
    /// Kubernetes namespace of the CRD objects written.
    #[arg(
        long,
        value_name = "NS",
        default_value = "default",
        env = "SYNCCTL_CONVERT_NAMESPACE"
    )]
    namespace: String,
    /// Where to write (default: standard output).
    #[arg(short, long, value_name = "FILE", env = "SYNCCTL_CONVERT_OUTPUT")]
    output: Option<PathBuf>,
    /// Input files or directories (one `consul kv export` file for --from consul-export).
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
}

const EXAMPLES: &str = "\
Exit code: 0 everything converted, 1 some things could not be converted (listed on
standard error with their file:line or Consul key; the output is still written),
2 usage, input decoding or I/O error.

Examples:
  # File-provider directory -> Consul KV, ready for `consul kv import @kv.json`
  syncctl convert --from file --to consul-export dynamic/ -o kv.json

  # ... into the promotion gate's staging prefix instead of the live one
  syncctl convert --from file --to consul-export --to-root-key traefik-staging dynamic/ -o staging.json

  # What Traefik reads from Consul, as one file-provider TOML file
  consul kv export traefik/ > kv.json
  syncctl convert --from consul-export --to file --format toml kv.json -o dynamic.toml

  # File provider -> CRDs in namespace apps. Routers whose servers are not
  # Kubernetes Services (http://<svc>.<ns>.svc:<port>) are reported, not invented.
  syncctl convert --from file --to crd --namespace apps dynamic/ -o traefik-crds.yaml

  # CRDs -> file provider (object names become Traefik's: <ns>-<name>...)
  syncctl convert --from crd --to file manifests/";

/// Run `syncctl convert`.
pub fn convert(args: ConvertArgs) -> Result<ExitCode> {
    let provider = read_input(&args)?;
    if let sync_core::provider::ProviderStatus::Rejected { errors } = &provider.status {
        for e in errors {
            eprintln!("syncctl: input: {e}");
        }
        bail!(
            "Traefik rejects this {} input as a whole; fix it before converting",
            provider.name
        );
    }
    let mut problems: Vec<Finding> = provider
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect();
    let (text, losses) = render(&args, &provider)?;
    problems.extend(losses_to_findings(
        &losses,
        &provider.origins,
        &provider.name,
    ));
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    for f in &problems {
        let at = f
            .source
            .as_ref()
            .map(|s| s.display())
            .filter(|s| !s.is_empty())
            .map(|s| format!("{s}: "))
            .unwrap_or_default();
        eprintln!("syncctl: not converted: {at}{} [{}]", f.message, f.code);
    }
    if problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "syncctl: {} thing(s) could not be converted; the rest was written",
            problems.len()
        );
        Ok(ExitCode::from(1))
    }
}

fn read_input(args: &ConvertArgs) -> Result<ProviderConfig> {
    match args.from {
        Provider::File => {
            let mut files: Vec<SourceFile> = Vec::new();
            for path in &args.inputs {
                files.extend(sync_core::load::file_provider_files(path)?);
            }
            if files.is_empty() {
                bail!("no .yml, .yaml or .toml file in the input");
            }
            Ok(file_provider::decode_provider(&files))
        }
        Provider::ConsulExport => {
            let [path] = args.inputs.as_slice() else {
                bail!("--from consul-export takes exactly one `consul kv export` file");
            };
            let json =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let pairs =
                consul_kv::parse_export(&json).with_context(|| format!("{}", path.display()))?;
            Ok(consul_kv::decode_provider(&pairs, &args.root_key))
        }
        Provider::Crd => {
            let mut files: Vec<SourceFile> = Vec::new();
            for path in &args.inputs {
                files.extend(sync_core::load::manifest_files(path)?);
            }
            let opts = sync_core::static_config::CrdProviderOptions::default();
            Ok(sync_core::decode::crd::decode_manifests(&files, &opts))
        }
    }
}

fn render(args: &ConvertArgs, provider: &ProviderConfig) -> Result<(String, Vec<Loss>)> {
    let config = &provider.config;
    Ok(match args.to {
        Provider::File => {
            let format = match (args.format, args.output.as_deref().and_then(extension)) {
                (Some(FileSyntax::Toml), _) => FileFormat::Toml,
                (Some(FileSyntax::Yaml), _) => FileFormat::Yaml,
                (None, Some(ext)) if ext == "toml" => FileFormat::Toml,
                _ => FileFormat::Yaml,
            };
            let out = encode::file::encode(config, format)?;
            (out.text, out.losses)
        }
        Provider::ConsulExport => {
            let root = args.to_root_key.as_deref().unwrap_or(&args.root_key);
            let out = encode::kv::encode(config, root)?;
            (encode::kv::export_json(&out.pairs), out.losses)
        }
        Provider::Crd => {
            let out = encode::crd::encode(config, &args.namespace)?;
            (out.to_yaml()?, out.losses)
        }
    })
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}
