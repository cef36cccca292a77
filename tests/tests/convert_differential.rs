//! `syncctl convert --from file --to consul-export`, proven with real Traefik: for corpus
//! scenarios that convert without loss, Traefik's API view of the original file-provider
//! directory equals its view of the converted pairs served by the Consul double (names
//! and error texts with `@file` read as `@consul`), objects, statuses, errors, rules and
//! priorities alike.
//!
//! Needs real Traefik (`scripts/setup-test-env.sh`, or `TRAEFIK_BIN`) and the built
//! `syncctl` (`cargo build -p syncd`). Runs leave their files under
//! `target/difftests/convert/<category>/<name>/` (`converted-kv.json`, both views).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use sync_tests::compare::compare;
use sync_tests::scenario::{self, Prepared, Scenario};
use sync_tests::view::{ObjectState, View};
use tokio::sync::Semaphore;

/// File scenarios whose whole configuration has a KV form and that name no other
/// provider (a `x@file` reference, also in the static configuration's entry-point
/// middlewares as in `reference/entrypoint-models`, would change meaning once the
/// objects live in Consul).
const SCENARIOS: &[&str] = &[
    "decode/bare-http",
    "decode/extensions",
    "decode/multiple-documents",
    "decode/numeric-strings",
    "decode/subdirectories",
    "decode/template-dict-range",
    "decode/templates",
    "decode/toml-valid",
    "decode/utf8-bom-and-crlf",
    "decode/yaml-anchors",
    "reference/cert-resolvers",
    "reference/default-entrypoints-all",
    "reference/default-entrypoints-asdefault",
    "reference/duplicate-names-across-files",
    "reference/homelab-extras",
    "reference/internal-services",
    "reference/loadbalancer-options",
    "reference/middleware-chains",
    "reference/middleware-option-errors",
    "reference/mirroring-failover",
    "reference/missing-refs",
    "reference/priorities",
    "reference/routers-without-service",
    "reference/rule-syntax-field",
    "reference/several-missing-middlewares",
    "reference/tcp-services-middlewares",
    "reference/tcp-udp-extras",
    "reference/tls-conflicts",
    "reference/udp-no-udp-entrypoint",
    "reference/unknown-entrypoints",
];

fn as_consul(view: &View) -> View {
    let rename = |map: &BTreeMap<String, ObjectState>| -> BTreeMap<String, ObjectState> {
        map.iter()
            .map(|(name, state)| {
                let mut state = state.clone();
                for e in &mut state.errors {
                    *e = e.replace("@file", "@consul");
                }
                (name.replace("@file", "@consul"), state)
            })
            .collect()
    };
    let mut out = view.clone();
    for protocol in ["http", "tcp", "udp"] {
        for kind in ["routers", "services", "middlewares"] {
            let renamed = rename(view.kind(protocol, kind));
            *out.kind_mut(protocol, kind) = renamed;
        }
    }
    out
}

async fn run_one(id: &str, syncctl: &Path, out_root: &Path) -> Result<usize> {
    let scenario = Scenario::from_path(&sync_tests::corpus_root().join(id))?;
    let from_files = scenario::prepare(&scenario, out_root)?;
    let files = from_files
        .files_dir
        .clone()
        .with_context(|| format!("{id} has no files/ directory"))?;
    if from_files.consul {
        bail!("{id} already uses Consul; pick a file-only scenario");
    }
    let kv = from_files.work_dir.join("converted-kv.json");
    let output = Command::new(syncctl)
        .args(["convert", "--from", "file", "--to", "consul-export"])
        .arg(&files)
        .arg("-o")
        .arg(&kv)
        .output()
        .context("running syncctl convert")?;
    if output.status.code() != Some(0) {
        bail!(
            "syncctl convert exited {:?} (expected a lossless conversion): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let file_side = scenario::run_traefik(&from_files).await?;
    let kv_dir = from_files.work_dir.join("from-kv");
    std::fs::create_dir_all(&kv_dir)?;
    let from_kv = Prepared {
        work_dir: kv_dir,
        overlay: from_files.overlay.clone(),
        files_dir: None,
        consul_export: Some(kv.clone()),
        consul: true,
    };
    let kv_side = scenario::run_traefik(&from_kv).await?;
    let want = as_consul(&file_side.view);
    std::fs::write(
        from_files.work_dir.join("views.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "files": &file_side.view, "consul": &kv_side.view
        }))?,
    )?;
    if file_side
        .provider_statuses()
        .get("file")
        .map(String::as_str)
        != Some("ok")
    {
        bail!(
            "Traefik did not accept the original files: {:?}",
            file_side.providers
        );
    }
    if kv_side
        .provider_statuses()
        .get("consul")
        .map(String::as_str)
        != Some("ok")
    {
        bail!(
            "Traefik did not accept the converted KV: {:?}",
            kv_side.providers
        );
    }
    let comparison = compare(&want, &kv_side.view);
    if !comparison.agrees() {
        bail!(
            "Traefik reads the converted KV differently from the files:\n{}",
            comparison.render("from KV")
        );
    }
    if want.is_empty() {
        bail!("Traefik shows no object at all for {id}");
    }
    Ok(want.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converted_kv_reads_like_the_original_files_in_real_traefik() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let syncctl = match sync_tests::syncctl::syncctl_binary() {
        Ok(path) => path,
        Err(err) => panic!("{err:#}"),
    };
    let out_root = sync_tests::output_root().join("convert");
    let semaphore = Arc::new(Semaphore::new(2));
    let started = std::time::Instant::now();
    let mut handles = Vec::new();
    for id in SCENARIOS {
        let (semaphore, syncctl, out_root) = (semaphore.clone(), syncctl.clone(), out_root.clone());
        handles.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("semaphore closed");
            (id, run_one(id, &syncctl, &out_root).await)
        }));
    }
    let mut failures = String::new();
    let mut objects = 0;
    for handle in handles {
        let (id, result) = handle.await.expect("scenario task panicked");
        match result {
            Ok(n) => objects += n,
            Err(e) => failures.push_str(&format!("{id}: {e:#}\n")),
        }
    }
    assert!(failures.is_empty(), "{failures}");
    println!(
        "{} scenarios, {objects} objects equal through file -> KV in {:.1?}",
        SCENARIOS.len(),
        started.elapsed()
    );
}
