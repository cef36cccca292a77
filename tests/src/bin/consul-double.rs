//! Serves a `consul kv export` document through the project's Consul KV test double on
//! 127.0.0.1 (a free port) until killed: for benchmarks and manual experiments with real
//! Traefik and Consul clients. Prints `listening on 127.0.0.1:PORT` once ready.
//!
//! Usage: consul-double --export FILE [--acl-file FILE]
//!
//! `--acl-file` turns ACLs on (default deny) with the tokens of a JSON document:
//! `{"tokens":[{"secret":"...","accessor":"...","rules":[{"prefix":"traefik-staging/",
//! "policy":"write"}]}],"anonymous":[{"prefix":"traefik/","policy":"read"}]}`.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use sync_tests::consul_double::{Acl, ConsulDouble, DoubleOptions, read_export};

const USAGE: &str = "usage: consul-double --export FILE [--acl-file FILE] \
                     (FILE: a `consul kv export` JSON document; ACL FILE: {\"tokens\":[{\"secret\",\"accessor\",\"rules\":[{\"prefix\",\"policy\":\"read|write|deny\"}]}],\"anonymous\":[rules]})";

#[tokio::main]
async fn main() -> Result<()> {
    let mut export = None;
    let mut acl_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().map(PathBuf::from);
        match (flag.as_str(), value) {
            ("--export", Some(path)) => export = Some(path),
            ("--acl-file", Some(path)) => acl_file = Some(path),
            _ => bail!("{USAGE}"),
        }
    }
    let Some(export) = export else {
        bail!("{USAGE}");
    };
    let pairs = read_export(&export).with_context(|| format!("loading {}", export.display()))?;
    let acl = match &acl_file {
        Some(path) => Some(Acl::from_file(path)?),
        None => None,
    };
    let double = ConsulDouble::start_with(
        pairs,
        DoubleOptions {
            acl,
            ..DoubleOptions::default()
        },
    )
    .await?;
    println!("listening on {}", double.addr());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
