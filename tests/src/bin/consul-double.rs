//! Serves a `consul kv export` document through the project's Consul KV test double on
//! 127.0.0.1 (a free port) until killed: for benchmarks and manual experiments with real
//! Traefik. Prints `listening on 127.0.0.1:PORT` once ready.
//!
//! Usage: consul-double --export FILE

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use sync_tests::consul_double::ConsulDouble;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = match (args.next().as_deref(), args.next()) {
        (Some("--export"), Some(p)) => PathBuf::from(p),
        _ => bail!("usage: consul-double --export FILE (a `consul kv export` JSON document)"),
    };
    let double = ConsulDouble::from_export_file(&path)
        .await
        .with_context(|| format!("loading {}", path.display()))?;
    println!("listening on {}", double.addr());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
