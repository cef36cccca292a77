//! `syncd run` as a process against the Kubernetes API double and a real
//! files directory (real inotify): the report follows CRD and file changes,
//! readiness, the what-if API, Events, and leader election between two
//! replicas.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sync_tests::kube_double::KubeDouble;
use sync_tests::syncd::{Syncd, wait_for};

const WAIT: Duration = Duration::from_secs(15);

fn service() -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "whoami", "namespace": "apps"},
           "spec": {"ports": [{"port": 80}], "clusterIP": "10.0.0.1"}})
}

fn route(name: &str, host: &str, middleware: Option<&str>) -> Value {
    let mut r = json!({"match": format!("Host(`{host}`)"), "kind": "Rule",
                       "services": [{"name": "whoami", "port": 80}]});
    if let Some(m) = middleware {
        r["middlewares"] = json!([{"name": m}]);
    }
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
           "metadata": {"name": name, "namespace": "apps"},
           "spec": {"entryPoints": ["web"], "routes": [r]}})
}

const STATIC: &str = "entryPoints:\n  web:\n    address: ':80'\nproviders:\n  kubernetesCRD: {}\n  file:\n    directory: /dynamic\n";

const FILE_OK: &str = "http:\n  routers:\n    from-file:\n      rule: Host(`file.example`)\n      service: svc\n  services:\n    svc:\n      loadBalancer:\n        servers:\n          - url: http://10.0.0.2:80\n";

fn crd_router<'a>(report: &'a Value, prefix: &str) -> Option<(&'a String, &'a Value)> {
    report["http"]["routers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.starts_with(prefix) && k.ends_with("@kubernetescrd"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncd_follows_crds_and_files_serves_validate_and_records_events() -> Result<()> {
    let double = KubeDouble::start().await?;
    // A CRD that is not installed: reported, not fatal.
    double.remove_resource("traefik.io", "tlsstores");
    double.apply(service())?;
    double.apply(route("r1", "one.example", None))?;
    let tmp = tempfile::tempdir()?;
    let kubeconfig = tmp.path().join("kubeconfig");
    double.write_kubeconfig(&kubeconfig)?;
    let files = tmp.path().join("dynamic");
    std::fs::create_dir(&files)?;
    std::fs::write(files.join("a.yml"), FILE_OK)?;
    let static_file = tmp.path().join("traefik.yml");
    std::fs::write(&static_file, STATIC)?;
    let kc = kubeconfig.to_string_lossy().into_owned();
    let syncd = Syncd::start(
        &[
            "--static",
            &static_file.to_string_lossy(),
            "--files",
            &files.to_string_lossy(),
            "--debounce",
            "50ms",
            "--lease-duration",
            "3s",
            "--lease-namespace",
            "apps",
        ],
        &[("KUBECONFIG", &kc), ("POD_NAME", "syncd-a")],
        tmp.path(),
        "a",
    )
    .await?;

    // Ready once both sources listed; the missing kind is in the detail.
    let ready = wait_for(WAIT, "/readyz 200", || async {
        let (status, _, body) = syncd.get("/readyz").await?;
        Ok((status == 200).then_some(body))
    })
    .await
    .with_context(|| syncd.log_text())?;
    let ready: Value = serde_json::from_str(&ready)?;
    let kube = ready["sources"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "kubernetes"))
        .context("no kubernetes source in /readyz")?;
    assert!(
        kube["detail"].as_str().unwrap_or("").contains("TLSStore"),
        "{kube}"
    );

    // The CRD router and the file router are in the report.
    let report = syncd.report().await?;
    let (name, r1) = crd_router(&report, "apps-r1-").context("r1 missing")?;
    assert_eq!(r1["status"], "enabled", "{name}: {r1}");
    assert_eq!(
        report["http"]["routers"]["from-file@file"]["status"], "enabled",
        "{report}"
    );
    let (_, generation, _) = syncd.get("/v1/report").await?;
    assert!(
        generation.is_some_and(|g| g > 0),
        "X-Syncd-Generation missing"
    );

    // Changed: a missing middleware disables the router, and the leader records an Event.
    double.apply(route("r1", "one.example", Some("missing")))?;
    wait_for(WAIT, "r1 disabled", || async {
        let report = syncd.report().await?;
        Ok(crd_router(&report, "apps-r1-")
            .filter(|(_, r)| r["status"] == "disabled")
            .map(|_| ()))
    })
    .await?;
    let uid = double
        .objects("traefik.io", "ingressroutes")
        .iter()
        .find(|o| o["metadata"]["name"] == "r1")
        .and_then(|o| o["metadata"]["uid"].as_str().map(str::to_string))
        .context("r1 uid")?;
    let event = wait_for(WAIT, "an Event on r1", || async {
        Ok(double
            .objects("events.k8s.io", "events")
            .into_iter()
            .find(|e| e["regarding"]["name"] == "r1" && e["reason"] == "ConfigError"))
    })
    .await
    .with_context(|| syncd.log_text())?;
    assert_eq!(event["regarding"]["uid"], uid.as_str(), "{event}");
    assert_eq!(event["regarding"]["kind"], "IngressRoute");
    assert_eq!(event["reportingController"], "syncd");
    assert!(
        event["note"].as_str().unwrap_or("").contains("missing"),
        "{event}"
    );
    // Not re-emitted on unrelated recomputes.
    let events_before = double.objects("events.k8s.io", "events");
    double.apply(route("r2", "two.example", None))?;
    wait_for(WAIT, "r2 in the report", || async {
        Ok(crd_router(&syncd.report().await?, "apps-r2-").map(|_| ()))
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        double.objects("events.k8s.io", "events"),
        events_before,
        "an unchanged finding was re-emitted"
    );

    // Deleted: gone from the report.
    double.delete("traefik.io/v1alpha1", "IngressRoute", "apps", "r1")?;
    wait_for(WAIT, "r1 gone", || async {
        Ok(crd_router(&syncd.report().await?, "apps-r1-")
            .is_none()
            .then_some(()))
    })
    .await?;

    // A file dropped in the directory shows up; a broken one rejects the provider.
    std::fs::write(
        files.join("b.yml"),
        FILE_OK
            .replace("from-file", "second")
            .replace("file.example", "second.example"),
    )?;
    wait_for(WAIT, "second@file", || async {
        let report = syncd.report().await?;
        Ok((report["http"]["routers"]["second@file"]["status"] == "enabled").then_some(()))
    })
    .await?;
    std::fs::write(
        files.join("c.yml"),
        "http:\n  routers:\n    bad: [unclosed\n",
    )?;
    let rejected = wait_for(WAIT, "file provider rejected", || async {
        let report = syncd.report().await?;
        Ok((report["providers"]["file"]["status"] == "rejected").then_some(report))
    })
    .await?;
    assert!(
        rejected["http"]["routers"].get("second@file").is_none(),
        "a rejected provider contributes nothing"
    );
    std::fs::remove_file(files.join("c.yml"))?;
    wait_for(WAIT, "file provider back", || async {
        let report = syncd.report().await?;
        Ok((report["providers"]["file"]["status"] == "ok").then_some(()))
    })
    .await?;

    // What-if: the view with the file provider replaced.
    let candidate = json!({"provider": "file", "files": [{"path": "x.yml", "content":
        "http:\n  routers:\n    cand:\n      rule: Host(`c.example`)\n      service: nowhere\n"}]});
    let (status, body) = syncd.post("/v1/validate", &candidate.to_string()).await?;
    assert_eq!(status, 200, "{body}");
    let what_if: Value = serde_json::from_str(&body)?;
    assert_eq!(
        what_if["http"]["routers"]["cand@file"]["status"], "disabled",
        "{what_if}"
    );
    assert!(what_if["http"]["routers"].get("second@file").is_none());
    assert!(
        crd_router(&what_if, "apps-r2-").is_some(),
        "the other providers stay"
    );
    // The live report is unchanged.
    assert!(
        syncd.report().await?["http"]["routers"]
            .get("cand@file")
            .is_none()
    );
    let (status, body) = syncd
        .post("/v1/validate", "{\"provider\": \"nope\"}")
        .await?;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("provider"), "{body}");
    let (status, _) = syncd.post("/v1/validate", "not json").await?;
    assert_eq!(status, 400);

    // Metrics.
    assert_eq!(syncd.metric("traefik_sync_is_leader").await?, Some(1.0));
    assert!(
        syncd
            .metric("traefik_sync_view_generation")
            .await?
            .is_some_and(|g| g > 1.0)
    );
    assert_eq!(
        syncd
            .metric("traefik_sync_source_healthy{source=\"files\"}")
            .await?,
        Some(1.0)
    );
    let (_, _, metrics) = syncd.get("/metrics").await?;
    assert!(
        metrics.contains("traefik_sync_recompute_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(
        metrics.contains("traefik_sync_routers{protocol=\"http\",status=\"enabled\"}"),
        "{metrics}"
    );
    Ok(())
}

async fn leader_of(a: &Syncd, b: &Syncd) -> Result<Option<(bool, bool)>> {
    let la = a.metric("traefik_sync_is_leader").await?;
    let lb = b.metric("traefik_sync_is_leader").await?;
    Ok(match (la, lb) {
        (Some(x), Some(y)) => Some((x == 1.0, y == 1.0)),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_elect_one_leader_and_the_other_takes_over() -> Result<()> {
    let double = KubeDouble::start().await?;
    let tmp = tempfile::tempdir()?;
    let kubeconfig = tmp.path().join("kubeconfig");
    double.write_kubeconfig(&kubeconfig)?;
    let kc = kubeconfig.to_string_lossy().into_owned();
    let args = [
        "--lease-duration",
        "2s",
        "--lease-namespace",
        "kube-system",
        "--debounce",
        "50ms",
    ];
    let a = Syncd::start(
        &args,
        &[("KUBECONFIG", &kc), ("POD_NAME", "replica-a")],
        tmp.path(),
        "a",
    )
    .await?;
    let b = Syncd::start(
        &args,
        &[("KUBECONFIG", &kc), ("POD_NAME", "replica-b")],
        tmp.path(),
        "b",
    )
    .await?;
    let (la, lb) = wait_for(WAIT, "a leader", || async {
        Ok(leader_of(&a, &b).await?.filter(|(x, y)| *x || *y))
    })
    .await?;
    assert!(la != lb, "exactly one leader, got a={la} b={lb}");
    // Stays exactly one over a few renewals.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (x, y) = leader_of(&a, &b).await?.context("metrics")?;
        assert!(x != y, "exactly one leader, got a={x} b={y}");
    }
    let lease = double
        .objects("coordination.k8s.io", "leases")
        .into_iter()
        .find(|l| l["metadata"]["name"] == "syncd")
        .context("no Lease")?;
    let holder = if la { "replica-a" } else { "replica-b" };
    assert_eq!(lease["spec"]["holderIdentity"], holder, "{lease}");

    // Kill the leader without letting it release: the other takes over within
    // the lease duration (plus one retry period and the polling).
    let (mut leader, follower) = if la { (a, b) } else { (b, a) };
    leader.kill();
    let started = std::time::Instant::now();
    wait_for(Duration::from_secs(5), "the follower leads", || async {
        Ok((follower.metric("traefik_sync_is_leader").await? == Some(1.0)).then_some(()))
    })
    .await
    .with_context(|| follower.log_text())?;
    let took = started.elapsed();
    eprintln!("leader takeover after SIGKILL: {took:?} (lease 2 s)");
    assert!(
        took <= Duration::from_millis(3500),
        "takeover took {took:?} for a 2 s lease"
    );
    drop(leader);

    // A graceful stop releases the lease: a new replica leads at once.
    let mut follower = follower;
    follower.terminate()?;
    let lease = double
        .objects("coordination.k8s.io", "leases")
        .into_iter()
        .find(|l| l["metadata"]["name"] == "syncd")
        .context("no Lease")?;
    if lease["spec"]["holderIdentity"]
        .as_str()
        .is_some_and(|h| !h.is_empty())
    {
        bail!("the lease was not released on SIGTERM: {lease}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_kubernetes_syncd_watches_files_alone_and_refuses_bad_input_clearly() -> Result<()>
{
    let tmp = tempfile::tempdir()?;
    let files = tmp.path().join("dynamic");
    std::fs::create_dir(&files)?;
    std::fs::write(files.join("a.yml"), FILE_OK)?;
    let dir = files.to_string_lossy().into_owned();
    let syncd = Syncd::start(
        &["--no-kube", "--files", &dir, "--debounce", "20ms"],
        &[],
        tmp.path(),
        "files",
    )
    .await?;
    wait_for(WAIT, "/readyz 200", || async {
        Ok((syncd.get("/readyz").await?.0 == 200).then_some(()))
    })
    .await?;
    assert_eq!(
        syncd.report().await?["http"]["routers"]["from-file@file"]["status"],
        "enabled"
    );
    // A single replica without a Lease acts as the leader.
    assert_eq!(syncd.metric("traefik_sync_is_leader").await?, Some(1.0));
    // Bodies over the limit are refused before parsing.
    let big = format!(
        "{{\"provider\":\"file\",\"files\":[{{\"path\":\"a.yml\",\"content\":\"{}\"}}]}}",
        "x".repeat(17 * 1024 * 1024)
    );
    let (status, _) = syncd.post("/v1/validate", &big).await?;
    assert_eq!(status, 413);
    drop(syncd);

    // A broken static configuration: exit 1 with a message naming the file.
    let bad = tmp.path().join("bad.yml");
    std::fs::write(&bad, "entryPoints: [\n")?;
    let out = std::process::Command::new(sync_tests::syncd::syncd_binary()?)
        .args([
            "run",
            "--no-kube",
            "--files",
            &dir,
            "--listen",
            "127.0.0.1:0",
            "--static",
        ])
        .arg(&bad)
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yml"), "{stderr}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncd_watches_only_the_configured_namespaces_and_labels() -> Result<()> {
    let double = KubeDouble::start().await?;
    let labelled = |name: &str, ns: &str, team: &str| {
        let mut r = route(name, &format!("{name}.example"), None);
        r["metadata"]["namespace"] = json!(ns);
        r["metadata"]["labels"] = json!({"team": team});
        r
    };
    double.apply(service())?;
    double.apply(labelled("in", "apps", "edge"))?;
    double.apply(labelled("wronglabel", "apps", "other"))?;
    double.apply(labelled("elsewhere", "other", "edge"))?;
    let tmp = tempfile::tempdir()?;
    let kubeconfig = tmp.path().join("kubeconfig");
    double.write_kubeconfig(&kubeconfig)?;
    let static_file = tmp.path().join("traefik.yml");
    std::fs::write(
        &static_file,
        "entryPoints:\n  web:\n    address: ':80'\nproviders:\n  kubernetesCRD:\n    namespaces: [apps]\n    labelSelector: team=edge\n",
    )?;
    let kc = kubeconfig.to_string_lossy().into_owned();
    let syncd = Syncd::start(
        &[
            "--static",
            &static_file.to_string_lossy(),
            "--debounce",
            "20ms",
            "--lease-namespace",
            "apps",
        ],
        &[("KUBECONFIG", &kc), ("POD_NAME", "ns-test")],
        tmp.path(),
        "namespaces",
    )
    .await?;
    wait_for(WAIT, "/readyz 200", || async {
        Ok((syncd.get("/readyz").await?.0 == 200).then_some(()))
    })
    .await
    .with_context(|| syncd.log_text())?;
    // The watchers themselves filter (not only the decoder): syncd holds the
    // Service and one IngressRoute.
    let (_, _, ready) = syncd.get("/readyz").await?;
    let ready: Value = serde_json::from_str(&ready)?;
    let kube = ready["sources"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == "kubernetes"))
        .context("no kubernetes source")?;
    assert_eq!(kube["objects"], 2, "{kube}");
    let report = syncd.report().await?;
    assert!(crd_router(&report, "apps-in-").is_some(), "{report}");
    assert!(
        crd_router(&report, "apps-wronglabel-").is_none(),
        "label selector ignored: {report}"
    );
    assert!(
        crd_router(&report, "other-elsewhere-").is_none(),
        "namespace filter ignored: {report}"
    );
    // A label change moves an object into the selection.
    double.apply(labelled("wronglabel", "apps", "edge"))?;
    wait_for(WAIT, "relabelled route", || async {
        Ok(crd_router(&syncd.report().await?, "apps-wronglabel-").map(|_| ()))
    })
    .await?;
    Ok(())
}
