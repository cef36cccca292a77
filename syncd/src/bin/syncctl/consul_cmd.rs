//! `syncctl consul`: export, import, diff and promote Traefik's Consul KV
//! configuration, with the same decoder, validation and planner as syncd's gate.

use crate::inputs;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use sync_core::decode::consul_kv;
use syncd::consul::{ConsulArgs, ConsulClient, TxnOp};
use syncd::consul_gate::driver::{Gate, GateConfig, GateReport};
use syncd::consul_gate::machine::Mode;
use syncd::view::{Snapshot, ViewInputs};
use tokio::sync::watch;

/// Work with the Consul KV keys Traefik reads.
///
/// The connection comes from the usual Consul variables: CONSUL_HTTP_ADDR,
/// CONSUL_HTTP_TOKEN or CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT.
#[derive(Subcommand)]
pub enum ConsulCommand {
    /// Write every key under a prefix as `consul kv export` JSON.
    ///
    /// Example: syncctl consul export --prefix traefik/ -o live.json
    Export(ExportArgs),
    /// Write the keys of a `consul kv export` file (or a file-provider
    /// YAML/TOML file, converted) under a prefix.
    ///
    /// Example: syncctl consul import live.json --from-prefix traefik/ --prefix traefik-staging/
    Import(ImportArgs),
    /// Show what differs between staging (or a file) and live.
    ///
    /// Exit status: 0 identical, 1 different, 2 error.
    /// Example: syncctl consul diff   |   syncctl consul diff --file routes.yml
    Diff(DiffArgs),
    /// Validate staging and promote it to live, as syncd's gate does.
    ///
    /// With --dry-run nothing is written: the verdict and the planned
    /// transactions are printed. Exit status: 0 promoted (or would be),
    /// 1 rejected or blocked by conflicts, 2 error.
    /// Example: syncctl consul promote --dry-run --files /etc/traefik/dynamic
    Promote(PromoteArgs),
}

/// Prefixes shared by the subcommands.
#[derive(Args, Clone)]
pub struct Prefixes {
    /// The prefix Traefik reads (its `providers.consul.rootKey` plus `/`).
    #[arg(long, default_value = "traefik/", env = "SYNCCTL_CONSUL_LIVE_PREFIX")]
    live_prefix: String,
    /// The prefix operators edit.
    #[arg(
        long,
        default_value = "traefik-staging/",
        env = "SYNCCTL_CONSUL_STAGING_PREFIX"
    )]
    staging_prefix: String,
}

/// `syncctl consul export`.
#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    consul: ConsulArgs,
    /// Prefix to export.
    #[arg(long, default_value = "traefik/")]
    prefix: String,
    /// Output file (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `syncctl consul import`.
#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    consul: ConsulArgs,
    /// A `consul kv export` JSON file, or a file-provider .yml/.yaml/.toml file.
    input: PathBuf,
    /// Prefix the keys have in the input (replaced by --prefix). For a
    /// file-provider input it is implied.
    #[arg(long, default_value = "traefik/")]
    from_prefix: String,
    /// Prefix to write under. Writing straight to live bypasses the gate:
    /// it needs --to-live.
    #[arg(long, default_value = "traefik-staging/")]
    prefix: String,
    /// Allow --prefix to be the live prefix.
    #[arg(long)]
    to_live: bool,
    /// Delete keys under --prefix that the input does not have.
    #[arg(long)]
    prune: bool,
    /// Print what would be written; write nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    prefixes: Prefixes,
}

/// `syncctl consul diff`.
#[derive(Args)]
pub struct DiffArgs {
    #[command(flatten)]
    consul: ConsulArgs,
    #[command(flatten)]
    prefixes: Prefixes,
    /// Compare this file with live instead of staging: a `consul kv export`
    /// JSON (keys under the live prefix) or a file-provider YAML/TOML file.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
}

/// `syncctl consul promote`.
#[derive(Args)]
pub struct PromoteArgs {
    #[command(flatten)]
    consul: ConsulArgs,
    #[command(flatten)]
    prefixes: Prefixes,
    /// Where the gate keeps what it owns in live (shared with syncd).
    #[arg(
        long,
        default_value = "traefik-syncd/owned",
        env = "SYNCCTL_CONSUL_STATE_KEY"
    )]
    state_key: String,
    /// Where the verdict is written (shared with syncd).
    #[arg(
        long,
        default_value = "traefik-staging-status",
        env = "SYNCCTL_CONSUL_STATUS_KEY"
    )]
    status_key: String,
    /// Plan only; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Overwrite live keys edited behind the gate's back.
    #[arg(long)]
    overwrite_conflicts: bool,
    /// The other providers, so cross-provider references are checked.
    #[command(flatten)]
    sources: crate::Sources,
}

/// Run a `syncctl consul` subcommand.
pub fn run(cmd: ConsulCommand) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        match cmd {
            ConsulCommand::Export(a) => export(a).await,
            ConsulCommand::Import(a) => import(a).await,
            ConsulCommand::Diff(a) => diff(a).await,
            ConsulCommand::Promote(a) => promote(a).await,
        }
    })
}

fn client(args: &ConsulArgs) -> Result<ConsulClient> {
    let cfg = args.to_config().context("configuring the Consul client")?;
    ConsulClient::new(&cfg).context("configuring the Consul client")
}

async fn export(a: ExportArgs) -> Result<ExitCode> {
    let c = client(&a.consul)?;
    let list = c
        .list(&a.prefix, None)
        .await
        .with_context(|| format!("reading {}", a.prefix))?;
    let pairs = list.to_kv_pairs();
    let json = sync_core::encode::kv::export_json(&pairs);
    match &a.output {
        Some(path) => {
            std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?
        }
        None => println!("{json}"),
    }
    eprintln!(
        "exported {} key(s) under {} (index {})",
        pairs.len(),
        a.prefix,
        list.index
    );
    Ok(ExitCode::SUCCESS)
}

/// Read a `consul kv export` JSON or a file-provider file as keys relative to a prefix.
fn read_relative(path: &PathBuf, from_prefix: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.display().to_string();
    let is_config = [".yml", ".yaml", ".toml"]
        .iter()
        .any(|e| name.to_ascii_lowercase().ends_with(e));
    let (pairs, prefix) = if is_config {
        let file = sync_core::decode::file_provider::SourceFile {
            path: name.clone(),
            content: bytes,
        };
        let provider = sync_core::decode::file_provider::decode_provider(&[file]);
        if let sync_core::provider::ProviderStatus::Rejected { errors } = &provider.status {
            bail!(
                "{name} is rejected as Traefik would reject it: {}",
                errors.join("; ")
            );
        }
        let encoded = sync_core::encode::kv::encode(&provider.config, "traefik")?;
        for loss in &encoded.losses {
            eprintln!("warning: not expressible in Consul KV: {loss}");
        }
        (encoded.pairs, "traefik/".to_string())
    } else {
        let pairs = consul_kv::parse_export(&bytes).with_context(|| name.clone())?;
        (pairs, from_prefix.to_string())
    };
    let mut out = BTreeMap::new();
    for p in pairs {
        match p.key.strip_prefix(&prefix) {
            Some(rel) if !rel.is_empty() => {
                out.insert(rel.to_string(), p.value);
            }
            _ => eprintln!("warning: {}: not under {prefix}, skipped", p.key),
        }
    }
    Ok(out)
}

async fn read_prefix(c: &ConsulClient, prefix: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let list = c
        .list(prefix, None)
        .await
        .with_context(|| format!("reading {prefix}"))?;
    Ok(list
        .pairs
        .into_iter()
        .filter_map(|e| Some((e.key.strip_prefix(prefix)?.to_string(), e.value)))
        .filter(|(k, _)| !k.is_empty())
        .collect())
}

async fn import(a: ImportArgs) -> Result<ExitCode> {
    if a.prefix == a.prefixes.live_prefix && !a.to_live {
        bail!(
            "{} is the live prefix Traefik reads: importing there bypasses validation. Import into {} and let the gate promote, or add --to-live",
            a.prefix,
            a.prefixes.staging_prefix
        );
    }
    let wanted = read_relative(&a.input, &a.from_prefix)?;
    let c = client(&a.consul)?;
    let current = read_prefix(&c, &a.prefix).await?;
    let mut ops = Vec::new();
    for (k, v) in &wanted {
        if current.get(k) != Some(v) {
            ops.push(TxnOp::Set {
                key: format!("{}{k}", a.prefix),
                value: v.clone(),
            });
        }
    }
    if a.prune {
        for k in current.keys().filter(|k| !wanted.contains_key(*k)) {
            ops.push(TxnOp::Delete {
                key: format!("{}{k}", a.prefix),
            });
        }
    }
    for op in &ops {
        match op {
            TxnOp::Set { key, .. } => println!("set    {key}"),
            TxnOp::Delete { key } => println!("delete {key}"),
            _ => {}
        }
    }
    if a.dry_run || ops.is_empty() {
        eprintln!(
            "{} change(s){}",
            ops.len(),
            if a.dry_run {
                " (dry run: nothing written)"
            } else {
                ""
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let chunks: Vec<&[TxnOp]> = ops.chunks(ConsulClient::MAX_TXN_OPS).collect();
    if chunks.len() > 1 {
        eprintln!(
            "note: {} operations need {} transactions (Consul allows {} per transaction); a reader may see the import half-done",
            ops.len(),
            chunks.len(),
            ConsulClient::MAX_TXN_OPS
        );
    }
    for chunk in chunks {
        c.txn(chunk).await.context("writing the keys")?;
    }
    eprintln!("imported: {} change(s) under {}", ops.len(), a.prefix);
    Ok(ExitCode::SUCCESS)
}

async fn diff(a: DiffArgs) -> Result<ExitCode> {
    let c = client(&a.consul)?;
    let (left_name, left) = match &a.file {
        Some(path) => (
            path.display().to_string(),
            read_relative(path, &a.prefixes.live_prefix)?,
        ),
        None => (
            a.prefixes.staging_prefix.clone(),
            read_prefix(&c, &a.prefixes.staging_prefix).await?,
        ),
    };
    let right = read_prefix(&c, &a.prefixes.live_prefix).await?;
    let lines = diff_lines(&left, &right);
    println!("--- {} (live)\n+++ {left_name}", a.prefixes.live_prefix);
    for l in &lines {
        println!("{l}");
    }
    eprintln!("{} difference(s)", lines.len());
    Ok(if lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A planned operation for a person: full live key, value as text, CAS guard.
fn op_line(live_prefix: &str, op: &sync_core::promote::KvOp) -> String {
    use sync_core::promote::KvOp;
    let guard = |cas: &Option<u64>| match cas {
        Some(0) => " (only if absent)".to_string(),
        Some(i) => format!(" (only if ModifyIndex is still {i})"),
        None => " (unconditional)".to_string(),
    };
    match op {
        KvOp::Set { key, value, cas } => format!(
            "set    {live_prefix}{key} = {:?}{}",
            String::from_utf8_lossy(value),
            guard(cas)
        ),
        KvOp::Delete { key, cas } => format!("delete {live_prefix}{key}{}", guard(cas)),
    }
}

/// One line per differing key: `+` only in `new`, `-` only in `old`, `~` changed.
pub fn diff_lines(new: &BTreeMap<String, Vec<u8>>, old: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let show = |v: &[u8]| format!("{:?}", String::from_utf8_lossy(v));
    let mut out = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            None => out.push(format!("+ {k} = {}", show(v))),
            Some(o) if o != v => out.push(format!("~ {k}: {} -> {}", show(o), show(v))),
            _ => {}
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            out.push(format!("- {k} = {}", show(v)));
        }
    }
    out
}

async fn promote(a: PromoteArgs) -> Result<ExitCode> {
    let mut inputs = ViewInputs::default();
    if !a.sources.crds.is_empty() || a.sources.consul_export.is_some() {
        bail!(
            "consul promote reads live from Consul and checks references against --files and --static only; drop --crds/--consul-export (syncd's gate sees the cluster's CRDs)"
        );
    }
    let loaded = inputs::load_optional(&a.sources)?;
    inputs.static_cfg = loaded.static_cfg;
    inputs.files = loaded.providers.into_iter().find(|p| p.name == "file");
    let c = client(&a.consul)?;
    let live = c
        .list(&a.prefixes.live_prefix, None)
        .await
        .context("reading live")?;
    let live_pairs = live.to_kv_pairs();
    inputs.consul = Some(consul_kv::decode_provider(
        &live_pairs,
        a.prefixes.live_prefix.trim_end_matches('/'),
    ));
    let snapshot = Snapshot {
        report: Arc::new(inputs.report()),
        inputs,
        ..Snapshot::default()
    };
    let cfg = GateConfig {
        staging_prefix: a.prefixes.staging_prefix.clone(),
        live_prefix: a.prefixes.live_prefix.clone(),
        status_key: a.status_key.clone(),
        state_key: a.state_key.clone(),
        mode: Mode::Promote,
        quiet_min: Duration::ZERO,
        quiet_max: Duration::ZERO,
        overwrite_conflicts: a.overwrite_conflicts,
    };
    let (_leader_tx, leader_rx) = watch::channel(true);
    let (report_tx, _report_rx) = watch::channel(GateReport::default());
    let mut gate = Gate::new(c, cfg, leader_rx, report_tx);
    gate.read_staging().await.context("reading staging")?;
    if a.dry_run {
        let (eval, plan) = gate.dry_run(&snapshot).await?;
        for f in &eval.blocking {
            println!(
                "error: {}",
                syncd::consul_gate::verdict::StatusItem::from(f).line()
            );
        }
        for f in &eval.warnings {
            println!(
                "warning: {}",
                syncd::consul_gate::verdict::StatusItem::from(f).line()
            );
        }
        let Some(plan) = plan else {
            println!(
                "staging revision {} would NOT be promoted: {} error(s)",
                eval.revision,
                eval.blocking.len()
            );
            return Ok(ExitCode::from(1));
        };
        print!("{}", plan.summary());
        for (i, batch) in plan.batches.iter().enumerate() {
            println!("transaction {}: {} operation(s)", i + 1, batch.len());
            for op in batch {
                println!("  {}", op_line(&a.prefixes.live_prefix, op));
            }
        }
        println!("(dry run: nothing written)");
        return Ok(if plan.is_blocked() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let doc = gate.run_once(&snapshot, true, true).await;
    let Some(doc) = doc else {
        bail!("staging is empty or unreadable")
    };
    println!("{}: {}", doc.verdict, doc.summary);
    for e in &doc.errors {
        println!("error: {}", e.line());
    }
    Ok(match doc.verdict.as_str() {
        "promoted" | "unchanged" => ExitCode::SUCCESS,
        "error" => ExitCode::from(2),
        _ => ExitCode::from(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_name_each_kind_of_change() {
        let new: BTreeMap<String, Vec<u8>> = [
            ("a".to_string(), b"1".to_vec()),
            ("b".to_string(), b"2".to_vec()),
        ]
        .into();
        let old: BTreeMap<String, Vec<u8>> = [
            ("b".to_string(), b"3".to_vec()),
            ("c".to_string(), b"4".to_vec()),
        ]
        .into();
        assert_eq!(
            diff_lines(&new, &old),
            ["+ a = \"1\"", "~ b: \"3\" -> \"2\"", "- c = \"4\""]
        );
    }
}
