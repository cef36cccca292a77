//! syncd's Consul staging → live gate end to end: the `syncd` binary gates
//! the Consul double's staging prefix into the live prefix that a real
//! Traefik 3.7 reads. Each test starts its own double, Traefik and syncd
//! (all on 127.0.0.1, stopped on drop) and prints what it measured.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sync_tests::backend::Backend;
use sync_tests::consul_double::{
    Acl, AclToken, ConsulDouble, DoubleOptions, KeyPolicy, KeyPrefixRule, KvPair,
};
use sync_tests::syncd::{Syncd, wait_for};
use sync_tests::traefik::{RouteRequest, Traefik, TraefikSpec};

const WAIT: Duration = Duration::from_secs(20);
const STAGING: &str = "traefik-staging/";
const STATUS_KEY: &str = "traefik-staging-status";

/// The keys of one router `name` (rule on `name.gate.test`, entry point
/// `web`) with its service pointing at `url`.
fn router_keys(prefix: &str, name: &str, url: &str) -> Vec<(String, String)> {
    vec![
        (
            format!("{prefix}http/routers/{name}/rule"),
            format!("Host(`{name}.gate.test`)"),
        ),
        (
            format!("{prefix}http/routers/{name}/entryPoints/0"),
            "web".into(),
        ),
        (format!("{prefix}http/routers/{name}/service"), name.into()),
        (
            format!("{prefix}http/services/{name}/loadBalancer/servers/0/url"),
            url.into(),
        ),
    ]
}

fn put_all(double: &ConsulDouble, keys: &[(String, String)]) {
    for (k, v) in keys {
        double.put(k, v);
    }
}

fn live_keys(double: &ConsulDouble) -> BTreeMap<String, String> {
    double
        .pairs()
        .into_iter()
        .filter(|p| p.key.starts_with("traefik/"))
        .map(|p| (p.key, String::from_utf8_lossy(&p.value).into_owned()))
        .collect()
}

fn status_doc(double: &ConsulDouble) -> Option<Value> {
    double
        .pairs()
        .into_iter()
        .find(|p| p.key == STATUS_KEY)
        .and_then(|p| serde_json::from_slice(&p.value).ok())
}

/// Waits until the status key's document satisfies `pred`.
async fn wait_status(
    double: &ConsulDouble,
    syncd: &Syncd,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Result<Value> {
    wait_for(WAIT, what, || async {
        Ok(status_doc(double).filter(|d| pred(d)))
    })
    .await
    .with_context(|| {
        format!(
            "last status: {:?}\n{}",
            status_doc(double),
            syncd.log_text()
        )
    })
}

/// Traefik's routers (`name@provider` → object) from `/api/rawdata`.
async fn routers(traefik: &Traefik) -> Result<serde_json::Map<String, Value>> {
    Ok(traefik.rawdata().await?["routers"]
        .as_object()
        .cloned()
        .unwrap_or_default())
}

/// Waits until Traefik's API shows `router` with status enabled and `check`.
async fn wait_router(
    traefik: &Traefik,
    router: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Result<Value> {
    wait_for(WAIT, what, || async {
        Ok(routers(traefik)
            .await?
            .get(router)
            .filter(|r| r["status"] == "enabled" && check(r))
            .cloned())
    })
    .await
    .with_context(|| traefik.diagnostics())
}

struct Setup {
    double: ConsulDouble,
    traefik: Traefik,
    work: tempfile::TempDir,
}

/// A double with `live` keys, and Traefik reading its live prefix with a
/// 100 ms providers throttle.
async fn setup(options: DoubleOptions, live: &[(String, String)]) -> Result<Setup> {
    let pairs = live.iter().map(|(k, v)| KvPair::new(k, v)).collect();
    let double = ConsulDouble::start_with(pairs, options).await?;
    let work = tempfile::tempdir()?;
    let spec = TraefikSpec::new(work.path().join("traefik"))
        .with_consul(double.addr())
        .with_overlay(json!({"providers": {"providersThrottleDuration": "100ms"}}));
    let traefik = Traefik::start(&spec).await?;
    Ok(Setup {
        double,
        traefik,
        work,
    })
}

impl Setup {
    async fn syncd(&self, extra: &[&str], env: &[(&str, &str)], label: &str) -> Result<Syncd> {
        let static_path = self.traefik.static_path().to_string_lossy().into_owned();
        let addr = self.double.url();
        let mut args = vec![
            "--no-kube",
            "--consul",
            "--consul-addr",
            &addr,
            "--static",
            &static_path,
        ];
        args.extend_from_slice(extra);
        Syncd::start(&args, env, self.work.path(), label).await
    }
}

fn errors_text(doc: &Value) -> String {
    doc["errors"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_staged_change_is_promoted_and_served() -> Result<()> {
    let backend = Backend::start("photos").await?;
    let s = setup(DoubleOptions::default(), &[]).await?;
    let syncd = s.syncd(&[], &[], "valid").await?;
    let started = Instant::now();
    put_all(&s.double, &router_keys(STAGING, "photos", &backend.url()));
    let doc = wait_status(&s.double, &syncd, "verdict promoted", |d| {
        d["verdict"] == "promoted"
    })
    .await?;
    let promoted_after = started.elapsed();
    assert!(doc["errors"].as_array().is_some_and(Vec::is_empty), "{doc}");
    assert_eq!(doc["promoted"]["set"], 4, "{doc}");
    let live = live_keys(&s.double);
    assert_eq!(
        live.get("traefik/http/routers/photos/rule")
            .map(String::as_str),
        Some("Host(`photos.gate.test`)"),
        "{live:?}"
    );
    wait_router(&s.traefik, "photos@consul", "photos@consul enabled", |_| {
        true
    })
    .await?;
    let served_after = started.elapsed();
    let response = s
        .traefik
        .request("web", &RouteRequest::get("photos.gate.test", "/"))
        .await?;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.header("x-backend"), Some("photos"));
    // syncd serves the same status document.
    let (code, _, body) = syncd.get("/v1/consul").await?;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("promoted"), "{body}");
    // The ownership record lists what the gate wrote.
    let owned = s
        .double
        .pairs()
        .into_iter()
        .find(|p| p.key == "traefik-syncd/owned")
        .context("no ownership record")?;
    assert!(
        String::from_utf8_lossy(&owned.value).contains("http/routers/photos/rule"),
        "{owned:?}"
    );
    println!("staged -> promoted in {promoted_after:?}, -> served by Traefik in {served_after:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staged_typo_is_not_promoted_and_the_fix_is() -> Result<()> {
    let backend = Backend::start("photos").await?;
    let s = setup(DoubleOptions::default(), &[]).await?;
    let syncd = s.syncd(&[], &[], "typo").await?;
    put_all(&s.double, &router_keys(STAGING, "photos", &backend.url()));
    wait_status(&s.double, &syncd, "first promotion", |d| {
        d["verdict"] == "promoted"
    })
    .await?;
    wait_router(&s.traefik, "photos@consul", "photos served", |_| true).await?;

    // 1. An unknown field.
    let typo = "traefik-staging/http/routers/wiki/servce";
    let mut wiki = router_keys(STAGING, "wiki", &backend.url());
    wiki.retain(|(k, _)| !k.ends_with("/routers/wiki/service"));
    put_all(&s.double, &wiki);
    s.double.put(typo, "wiki");
    let doc = wait_status(&s.double, &syncd, "verdict rejected (typo)", |d| {
        d["verdict"] == "rejected"
    })
    .await?;
    let item = doc["errors"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["key"] == typo))
        .with_context(|| format!("no error names {typo}: {doc}"))?;
    assert!(
        item["help"].as_str().is_some_and(|h| !h.is_empty()),
        "{item}"
    );
    println!("typo rejected: {}", item);
    // The status page shows the same verdict to a person.
    let (status, _, page) = syncd.get("/").await?;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"consul-gate\"") && page.contains(typo),
        "the status page does not show the gate's verdict"
    );
    assert!(
        !live_keys(&s.double).keys().any(|k| k.contains("wiki")),
        "a rejected revision reached live"
    );

    // 2. A router referencing a middleware that does not exist.
    s.double.delete(typo);
    s.double
        .put("traefik-staging/http/routers/wiki/service", "wiki");
    s.double
        .put("traefik-staging/http/routers/wiki/middlewares/0", "nowhere");
    let doc = wait_status(
        &s.double,
        &syncd,
        "verdict rejected (missing middleware)",
        |d| d["verdict"] == "rejected" && errors_text(d).contains("nowhere"),
    )
    .await?;
    assert!(
        errors_text(&doc).contains("traefik-staging/http/routers/wiki"),
        "{doc}"
    );
    println!("missing middleware rejected: {}", errors_text(&doc));
    assert!(!live_keys(&s.double).keys().any(|k| k.contains("wiki")));
    // Traefik still serves the previous routers only.
    let rs = routers(&s.traefik).await?;
    assert_eq!(rs["photos@consul"]["status"], "enabled", "{rs:?}");
    assert!(!rs.contains_key("wiki@consul"), "{rs:?}");
    let response = s
        .traefik
        .request("web", &RouteRequest::get("photos.gate.test", "/"))
        .await?;
    assert_eq!(response.status, 200);

    // 3. Fixed: promoted and served.
    s.double
        .delete("traefik-staging/http/routers/wiki/middlewares/0");
    wait_status(&s.double, &syncd, "fix promoted", |d| {
        d["verdict"] == "promoted"
    })
    .await?;
    wait_router(&s.traefik, "wiki@consul", "wiki served", |_| true).await?;
    Ok(())
}

/// 43 routers (each with a middleware and its own service): 301 keys.
fn big_change(prefix: &str, url: &str) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for i in 0..43 {
        let name = format!("r{i:02}");
        keys.extend(router_keys(prefix, &name, url));
        keys.push((
            format!("{prefix}http/routers/{name}/middlewares/0"),
            format!("m{i:02}"),
        ));
        keys.push((
            format!("{prefix}http/routers/{name}/priority"),
            format!("{}", 100 + i),
        ));
        keys.push((
            format!("{prefix}http/middlewares/m{i:02}/headers/customRequestHeaders/X-Gate"),
            name.clone(),
        ));
    }
    keys
}

/// Polls Traefik's routers as fast as it answers until `stop`; counts polls
/// and records every router seen with an error or not enabled.
fn watch_for_dangling(
    api: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Result<(usize, Vec<String>)>> {
    tokio::spawn(async move {
        let client = sync_tests::http_client_builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let mut polls = 0;
        let mut bad = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            for kind in ["routers", "services", "middlewares"] {
                let body: Value = client
                    .get(format!("http://{api}/api/http/{kind}?per_page=1000"))
                    .send()
                    .await?
                    .json()
                    .await?;
                for o in body.as_array().into_iter().flatten() {
                    if o["provider"] == "consul"
                        && (o["status"] != "enabled" || o.get("error").is_some())
                    {
                        bad.push(o.to_string());
                    }
                }
            }
            polls += 1;
        }
        Ok((polls, bad))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_key_change_never_shows_a_dangling_reference() -> Result<()> {
    let backend = Backend::start("bulk").await?;
    // Consul before 1.14 allows 64 operations per transaction: the gate
    // starts with 128, is refused, and plans again in batches of 64.
    let s = setup(
        DoubleOptions {
            max_txn_ops: 64,
            ..DoubleOptions::default()
        },
        &[],
    )
    .await?;
    let syncd = s.syncd(&[], &[], "bulk").await?;
    let keys = big_change(STAGING, &backend.url());
    assert!(keys.len() >= 300);

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_for_dangling(s.traefik.api_addr(), stop.clone());
    let txns_before = txn_count(&s.double);
    let started = Instant::now();
    put_all(&s.double, &keys);
    let doc = wait_status(&s.double, &syncd, "300 keys promoted", |d| {
        d["verdict"] == "promoted"
    })
    .await?;
    let promoted_after = started.elapsed();
    wait_for(WAIT, "43 routers enabled in Traefik", || async {
        let rs = routers(&s.traefik).await?;
        let n = rs
            .iter()
            .filter(|(k, r)| k.ends_with("@consul") && r["status"] == "enabled")
            .count();
        Ok((n == 43).then_some(()))
    })
    .await
    .with_context(|| s.traefik.diagnostics())?;
    let served_after = started.elapsed();
    let transactions = doc["promoted"]["transactions"].as_u64().unwrap_or(0);
    let txns = txn_count(&s.double) - txns_before;
    assert!(
        transactions >= 5,
        "301 keys in {transactions} transactions: {doc}"
    );
    assert!(
        txns as u64 >= transactions,
        "double saw {txns} txn requests: {doc}"
    );
    assert_eq!(
        doc["promoted"]["set"].as_u64(),
        Some(keys.len() as u64),
        "{doc}"
    );
    // Let Traefik apply once more behind the last transaction.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let (polls, bad) = watcher.await??;
    assert!(polls > 3, "the watcher polled only {polls} times");
    assert!(bad.is_empty(), "Traefik saw dangling references: {bad:#?}");
    println!(
        "301 keys: promoted in {promoted_after:?} with {transactions} transactions, all routers served in {served_after:?}; {polls} polls of Traefik, none dangling"
    );

    // Removing them all from staging: routers go first.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = watch_for_dangling(s.traefik.api_addr(), stop.clone());
    let started = Instant::now();
    // Traefik skips an empty provider configuration and keeps serving the
    // last one (pkg/server/configurationwatcher.go, isEmptyConfiguration), so
    // one router stays: removing everything would never reach Traefik.
    put_all(&s.double, &router_keys(STAGING, "keep", &backend.url()));
    for (k, _) in &keys {
        assert!(s.double.delete(k), "{k} was not in staging");
    }
    let doc = wait_status(&s.double, &syncd, "removal promoted", |d| {
        d["verdict"] == "promoted" && d["promoted"]["deleted"].as_u64() == Some(keys.len() as u64)
    })
    .await?;
    wait_for(WAIT, "big routers gone from Traefik", || async {
        let rs = routers(&s.traefik).await?;
        let left = rs.keys().filter(|k| k.ends_with("@consul")).count();
        Ok((left == 1 && rs.contains_key("keep@consul")).then_some(()))
    })
    .await
    .with_context(|| s.traefik.diagnostics())?;
    let gone_after = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let (polls, bad) = watcher.await??;
    assert!(bad.is_empty(), "Traefik saw dangling references: {bad:#?}");
    assert_eq!(live_keys(&s.double).len(), 4, "{:?}", live_keys(&s.double));
    println!("removal: {doc} ; gone from Traefik in {gone_after:?}; {polls} polls, none dangling");

    // Emptying staging entirely is promoted, with a warning that Traefik
    // will not apply it (it skips empty provider configurations).
    for (k, _) in router_keys(STAGING, "keep", &backend.url()) {
        s.double.delete(&k);
    }
    let empty = wait_status(&s.double, &syncd, "empty staging promoted", |d| {
        d["verdict"] == "promoted" && d["promoted"]["deleted"] == 4
    })
    .await?;
    assert_eq!(
        empty["warnings"][0]["code"], "consul-empty-configuration",
        "{empty}"
    );
    assert!(live_keys(&s.double).is_empty());
    Ok(())
}

fn txn_count(double: &ConsulDouble) -> usize {
    double
        .requests()
        .iter()
        .filter(|r| r.starts_with("PUT /v1/txn"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_key_edited_behind_the_gate_is_a_conflict() -> Result<()> {
    let backend = Backend::start("photos").await?;
    let s = setup(DoubleOptions::default(), &[]).await?;
    let syncd = s.syncd(&[], &[], "conflict").await?;
    put_all(&s.double, &router_keys(STAGING, "photos", &backend.url()));
    wait_status(&s.double, &syncd, "promoted", |d| {
        d["verdict"] == "promoted"
    })
    .await?;

    let manual = "Host(`manual.gate.test`)";
    s.double.put("traefik/http/routers/photos/rule", manual);
    s.double.put(
        "traefik-staging/http/routers/photos/rule",
        "Host(`new.gate.test`)",
    );
    let doc = wait_status(&s.double, &syncd, "verdict conflict", |d| {
        d["verdict"] == "conflict"
    })
    .await?;
    assert!(
        errors_text(&doc).contains("traefik/http/routers/photos/rule"),
        "{doc}"
    );
    println!("conflict: {}", errors_text(&doc));
    assert_eq!(
        live_keys(&s.double)
            .get("traefik/http/routers/photos/rule")
            .map(String::as_str),
        Some(manual)
    );
    wait_router(
        &s.traefik,
        "photos@consul",
        "Traefik serves the manual edit",
        |r| r["rule"] == manual,
    )
    .await?;
    let response = s
        .traefik
        .request("web", &RouteRequest::get("manual.gate.test", "/"))
        .await?;
    assert_eq!(response.status, 200);
    // Still not overwritten a moment later.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        live_keys(&s.double)
            .get("traefik/http/routers/photos/rule")
            .map(String::as_str),
        Some(manual)
    );
    Ok(())
}

fn consul_source_healthy(readyz: &str) -> Option<bool> {
    let v: Value = serde_json::from_str(readyz).ok()?;
    v["sources"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == "consul")
        .and_then(|s| s["healthy"].as_bool())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consul_down_for_a_while_loses_nothing() -> Result<()> {
    let backend = Backend::start("photos").await?;
    let mut s = setup(DoubleOptions::default(), &[]).await?;
    let syncd = s.syncd(&[], &[], "down").await?;
    put_all(&s.double, &router_keys(STAGING, "photos", &backend.url()));
    wait_status(&s.double, &syncd, "promoted", |d| {
        d["verdict"] == "promoted"
    })
    .await?;

    s.double.pause().await?;
    let paused = Instant::now();
    let readyz = wait_for(WAIT, "consul unhealthy in /readyz", || async {
        let (_, _, body) = syncd.get("/readyz").await?;
        Ok((consul_source_healthy(&body) == Some(false)).then_some(body))
    })
    .await
    .with_context(|| syncd.log_text())?;
    println!("unhealthy after {:?}: {readyz}", paused.elapsed());
    // An edit landing on the servers while syncd cannot reach them.
    put_all(&s.double, &router_keys(STAGING, "wiki", &backend.url()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    s.double.resume().await?;
    let resumed = Instant::now();
    s.double
        .put("traefik-staging/http/routers/photos/priority", "42");
    wait_status(&s.double, &syncd, "promoted after resume", |_| {
        live_keys(&s.double).contains_key("traefik/http/routers/photos/priority")
    })
    .await?;
    let live = live_keys(&s.double);
    assert!(
        live.contains_key("traefik/http/routers/wiki/rule"),
        "{live:?}"
    );
    let promoted_after = resumed.elapsed();
    wait_for(WAIT, "consul healthy again", || async {
        let (_, _, body) = syncd.get("/readyz").await?;
        Ok((consul_source_healthy(&body) == Some(true)).then_some(()))
    })
    .await?;
    wait_router(
        &s.traefik,
        "wiki@consul",
        "wiki served after resume",
        |_| true,
    )
    .await?;
    let served_after = resumed.elapsed();
    println!("after resume: promoted in {promoted_after:?}, served in {served_after:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_write_on_live_is_a_clear_error() -> Result<()> {
    let acl = Acl {
        tokens: vec![AclToken::new(
            "gate-secret",
            "gate-accessor",
            vec![
                KeyPrefixRule::new("traefik-staging", KeyPolicy::Write),
                KeyPrefixRule::new("traefik-syncd/", KeyPolicy::Write),
                KeyPrefixRule::new("traefik/", KeyPolicy::Read),
            ],
        )],
        anonymous: vec![KeyPrefixRule::new("traefik/", KeyPolicy::Read)],
    };
    let s = setup(
        DoubleOptions {
            acl: Some(acl),
            ..DoubleOptions::default()
        },
        &[],
    )
    .await?;
    let syncd = s
        .syncd(&[], &[("CONSUL_HTTP_TOKEN", "gate-secret")], "acl")
        .await?;
    put_all(
        &s.double,
        &router_keys(STAGING, "photos", "http://127.0.0.1:9"),
    );
    let doc = wait_status(&s.double, &syncd, "verdict error", |d| {
        d["verdict"] == "error"
    })
    .await?;
    let text = doc.to_string().to_lowercase();
    assert!(text.contains("permission"), "{doc}");
    println!("permission error: {}", doc["summary"]);
    assert!(
        live_keys(&s.double).is_empty(),
        "{:?}",
        live_keys(&s.double)
    );
    let (code, _, _) = syncd.get("/healthz").await?;
    assert_eq!(code, 200, "syncd stopped serving");
    let rs = routers(&s.traefik).await?;
    assert!(!rs.contains_key("photos@consul"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_mode_reports_a_broken_live_prefix_and_writes_nothing() -> Result<()> {
    let mut live = router_keys("traefik/", "photos", "http://127.0.0.1:9");
    live.push((
        "traefik/http/routers/photos/middlewares/0".into(),
        "nowhere".into(),
    ));
    let s = setup(DoubleOptions::default(), &live).await?;
    let before = live_keys(&s.double);
    let syncd = s.syncd(&["--consul-mode", "audit"], &[], "audit").await?;
    put_all(
        &s.double,
        &router_keys(STAGING, "wiki", "http://127.0.0.1:9"),
    );
    let doc = wait_status(&s.double, &syncd, "verdict rejected", |d| {
        d["verdict"] == "rejected"
    })
    .await?;
    assert!(errors_text(&doc).contains("nowhere"), "{doc}");
    assert!(
        errors_text(&doc).contains("traefik/http/routers/photos"),
        "{doc}"
    );
    println!("audit: {}", errors_text(&doc));
    // Traefik agrees the live router is broken.
    let rs = routers(&s.traefik).await?;
    assert_ne!(rs["photos@consul"]["status"], "enabled", "{rs:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(live_keys(&s.double), before, "audit mode wrote to live");
    assert!(
        !s.double
            .requests()
            .iter()
            .any(|r| r.starts_with("PUT /v1/txn") && r.contains("traefik/")),
        "{:?}",
        s.double.requests()
    );
    Ok(())
}

fn syncctl(consul: &str, args: &[&str]) -> Result<(i32, String, String)> {
    let bin = sync_tests::syncctl::syncctl_binary()?;
    let out = std::process::Command::new(&bin)
        .arg("consul")
        .args(args)
        .env("CONSUL_HTTP_ADDR", consul)
        .env_remove("CONSUL_HTTP_TOKEN")
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

async fn syncctl_async(consul: String, args: Vec<String>) -> Result<(i32, String, String)> {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        syncctl(&consul, &args)
    })
    .await?
}

macro_rules! ctl {
    ($s:expr, $($a:expr),*) => {
        syncctl_async($s.double.url(), vec![$($a.to_string()),*])
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncctl_consul_export_import_diff_promote() -> Result<()> {
    let backend = Backend::start("photos").await?;
    let live = router_keys("traefik/", "photos", &backend.url());
    let s = setup(DoubleOptions::default(), &live).await?;
    wait_router(&s.traefik, "photos@consul", "photos served", |_| true).await?;
    let export = s.work.path().join("live.json");
    let export_s = export.to_string_lossy().into_owned();

    // export
    let (code, _, err) = ctl!(s, "export", "--prefix", "traefik/", "-o", &export_s).await?;
    assert_eq!(code, 0, "{err}");
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&export)?)?;
    let keys: Vec<&str> = exported
        .as_array()
        .context("export is not an array")?
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    assert_eq!(keys.len(), 4, "{exported}");
    assert!(
        keys.contains(&"traefik/http/routers/photos/rule"),
        "{keys:?}"
    );

    // import into live is refused without --to-live
    let (code, _, err) = ctl!(s, "import", &export_s, "--prefix", "traefik/").await?;
    assert_ne!(code, 0);
    assert!(err.contains("--to-live"), "{err}");

    // import into staging; then diff says identical
    let (code, _, err) = ctl!(s, "import", &export_s).await?;
    assert_eq!(code, 0, "{err}");
    assert!(
        s.double
            .pairs()
            .iter()
            .any(|p| p.key == "traefik-staging/http/routers/photos/rule")
    );
    let (code, out, err) = ctl!(s, "diff").await?;
    assert_eq!(code, 0, "{out}{err}");

    // a staged change: diff exits 1 and names it
    put_all(&s.double, &router_keys(STAGING, "wiki", &backend.url()));
    let (code, out, err) = ctl!(s, "diff").await?;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("traefik-staging/http/routers/wiki/rule")
            || out.contains("http/routers/wiki/rule"),
        "{out}"
    );

    // promote --dry-run prints the plan and writes nothing
    let index = s.double.index();
    let (code, out, err) = ctl!(s, "promote", "--dry-run").await?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("transaction 1"), "{out}");
    assert!(out.contains("dry run"), "{out}");
    assert!(
        out.contains(
            "set    traefik/http/routers/wiki/rule = \"Host(`wiki.gate.test`)\" (only if absent)"
        ),
        "{out}"
    );
    assert_eq!(s.double.index(), index, "dry run wrote something");
    assert!(!live_keys(&s.double).contains_key("traefik/http/routers/wiki/rule"));
    println!("dry run:\n{out}");

    // promote for real
    let (code, out, err) = ctl!(s, "promote").await?;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("promoted"), "{out}");
    assert!(live_keys(&s.double).contains_key("traefik/http/routers/wiki/rule"));
    wait_router(&s.traefik, "wiki@consul", "wiki served", |_| true).await?;
    let (code, out, _) = ctl!(s, "diff").await?;
    assert_eq!(code, 0, "{out}");
    Ok(())
}
