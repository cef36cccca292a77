//! syncd's admission webhook end to end: the `syncd` binary against the
//! Kubernetes API double and a real files directory, the webhook served over
//! HTTPS with a certificate made by `syncd webhook-cert`, and a rustls client
//! that trusts only the generated `ca.crt` and connects by the Service's DNS
//! name, POSTing AdmissionReview v1 bodies shaped like kube-apiserver's.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sync_tests::kube_double::KubeDouble;
use sync_tests::syncd::{Syncd, free_port, syncd_binary, wait_for};

const WAIT: Duration = Duration::from_secs(20);
/// The Service the certificate is made for (`syncd webhook-cert --service
/// syncd --namespace traefik`): the name the API server dials.
const HOST: &str = "syncd.traefik.svc";

const STATIC: &str = "entryPoints:\n  web:\n    address: ':80'\nproviders:\n  kubernetesCRD: {}\n  file:\n    directory: /dynamic\n";

/// A file router using a Middleware of the CRD provider: Traefik names it
/// `<namespace>-<name>@kubernetescrd` (`makeID` in its kubernetescrd provider).
const FILE_ROUTER: &str = "http:\n  routers:\n    from-file:\n      rule: Host(`file.example`)\n      middlewares:\n        - default-auth@kubernetescrd\n      service: svc\n  services:\n    svc:\n      loadBalancer:\n        servers:\n          - url: http://10.0.0.2:80\n";

const LAN_ONLY: &str = "http:\n  middlewares:\n    lan-only:\n      ipAllowList:\n        sourceRange:\n          - 192.168.0.0/16\n";

fn service() -> Value {
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "whoami", "namespace": "default"},
           "spec": {"ports": [{"port": 80}], "clusterIP": "10.0.0.1"}})
}

/// Basic auth from a Secret: syncd sees Secrets as names only (metadata
/// watch), so the users are unknown and must be assumed present.
fn middleware() -> Value {
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware",
           "metadata": {"name": "auth", "namespace": "default"},
           "spec": {"basicAuth": {"secret": "users"}}})
}

fn users_secret() -> Value {
    // user:password (htpasswd, apr1).
    json!({"apiVersion": "v1", "kind": "Secret",
           "metadata": {"name": "users", "namespace": "default"},
           "data": {"users": "dXNlcjokYXByMSRIOWZBdzNhSiR3WjJjR1VjRkQ1czVrN3ZMTE9WVGEwCg=="}})
}

fn ingress_route(middleware: &str) -> Value {
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
           "metadata": {"name": "status", "namespace": "default"},
           "spec": {"entryPoints": ["web"], "routes": [{
               "match": "Host(`status.example`)", "kind": "Rule",
               "middlewares": [{"name": middleware}],
               "services": [{"name": "whoami", "port": 80}]}]}})
}

/// An AdmissionReview v1 request as kube-apiserver sends it.
fn review(uid: &str, operation: &str, object: Option<&Value>, old: Option<&Value>) -> Value {
    let some = object.or(old).cloned().unwrap_or(Value::Null);
    let kind = some["kind"].as_str().unwrap_or_default().to_string();
    let (group, version) = match some["apiVersion"].as_str().unwrap_or("v1").split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (
            String::new(),
            some["apiVersion"].as_str().unwrap_or("v1").to_string(),
        ),
    };
    let plural = format!("{}s", kind.to_lowercase());
    json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": plural},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": plural},
            "name": some["metadata"]["name"],
            "namespace": some["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]},
            "object": object.cloned().unwrap_or(Value::Null),
            "oldObject": old.cloned().unwrap_or(Value::Null),
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1",
                        "kind": if operation == "DELETE" { "DeleteOptions" } else { "CreateOptions" }}
        }
    })
}

/// A client that trusts only `ca.crt` and reaches `HOST` at `addr`.
fn webhook_client(ca_pem: &[u8], addr: SocketAddr, pooled: bool) -> Result<reqwest::Client> {
    let mut b = sync_tests::http_client_builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).context("ca.crt")?)
        .resolve(HOST, addr)
        .timeout(Duration::from_secs(10));
    if !pooled {
        b = b.pool_max_idle_per_host(0);
    }
    Ok(b.build()?)
}

async fn post(client: &reqwest::Client, port: u16, body: &Value) -> Result<Value> {
    let r = client
        .post(format!("https://{HOST}:{port}/v1/admission"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = r.status();
    let text = r.text().await?;
    if status != 200 {
        bail!("/v1/admission answered {status}: {text}");
    }
    let v: Value = serde_json::from_str(&text).context("the answer is not JSON")?;
    if v["apiVersion"] != "admission.k8s.io/v1" || v["kind"] != "AdmissionReview" {
        bail!("not an AdmissionReview v1: {v}");
    }
    Ok(v["response"].clone())
}

fn make_cert(dir: &Path) -> Result<()> {
    let out = std::process::Command::new(syncd_binary()?)
        .args([
            "webhook-cert",
            "--service",
            "syncd",
            "--namespace",
            "traefik",
            "--days",
            "2",
        ])
        .arg("--out-dir")
        .arg(dir)
        .output()
        .context("running syncd webhook-cert")?;
    if !out.status.success() {
        bail!(
            "syncd webhook-cert failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for f in ["ca.crt", "tls.crt", "tls.key"] {
        if !dir.join(f).is_file() {
            bail!("syncd webhook-cert did not write {f}");
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_denies_broken_references_over_https_and_follows_the_files() -> Result<()> {
    let double = KubeDouble::start().await?;
    double.apply(service())?;
    double.apply(users_secret())?;
    double.apply(middleware())?;
    let tmp = tempfile::tempdir()?;
    let kubeconfig = tmp.path().join("kubeconfig");
    double.write_kubeconfig(&kubeconfig)?;
    let files = tmp.path().join("dynamic");
    std::fs::create_dir(&files)?;
    std::fs::write(files.join("router.yml"), FILE_ROUTER)?;
    let static_file = tmp.path().join("traefik.yml");
    std::fs::write(&static_file, STATIC)?;
    let tls = tmp.path().join("tls");
    make_cert(&tls)?;
    let ca = std::fs::read(tls.join("ca.crt"))?;
    let port = free_port()?;
    let kc = kubeconfig.to_string_lossy().into_owned();
    let syncd = Syncd::start(
        &[
            "--static",
            &static_file.to_string_lossy(),
            "--files",
            &files.to_string_lossy(),
            "--debounce",
            "20ms",
            "--lease-namespace",
            "default",
            "--webhook-listen",
            &format!("127.0.0.1:{port}"),
            "--webhook-cert-dir",
            &tls.to_string_lossy(),
        ],
        &[("KUBECONFIG", &kc), ("POD_NAME", "webhook-e2e")],
        tmp.path(),
        "webhook",
    )
    .await?;
    wait_for(WAIT, "/readyz 200", || async {
        Ok((syncd.get("/readyz").await?.0 == 200).then_some(()))
    })
    .await
    .with_context(|| syncd.log_text())?;
    // The file router resolves the CRD Middleware by its Traefik name.
    let report = syncd.report().await?;
    assert_eq!(
        report["http"]["routers"]["from-file@file"]["status"], "enabled",
        "{report}"
    );
    assert!(
        report["http"]["middlewares"]
            .get("default-auth@kubernetescrd")
            .is_some(),
        "{report}"
    );

    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let client = webhook_client(&ca, addr, true)?;
    // The webhook listener may come up a little after /healthz.
    let ir = ingress_route("lan-only@file");
    let create = review("e2e-create-1", "CREATE", Some(&ir), None);
    let denied = wait_for(WAIT, "the webhook answers over HTTPS", || async {
        Ok(Some(post(&client, port, &create).await?))
    })
    .await
    .with_context(|| syncd.log_text())?;

    // (a) A reference to a file Middleware that does not exist: denied, with
    // the name and the fix; the uid is echoed.
    assert_eq!(denied["uid"], "e2e-create-1", "{denied}");
    assert_eq!(denied["allowed"], false, "{denied}");
    assert_eq!(denied["status"]["code"], 403, "{denied}");
    let msg = denied["status"]["message"].as_str().unwrap_or_default();
    eprintln!("denial (a): {msg}");
    assert!(msg.contains("lan-only@file"), "{msg}");
    assert!(msg.contains("IngressRoute default/status"), "{msg}");
    assert!(
        msg.contains("fix: create middleware \"lan-only@file\" first"),
        "{msg}"
    );

    // (b) The file defining it lands in the directory: once the report has
    // it, the same review is allowed.
    std::fs::write(files.join("lan.yml"), LAN_ONLY)?;
    wait_for(WAIT, "lan-only@file in /v1/report", || async {
        let r = syncd.report().await?;
        Ok(r["http"]["middlewares"].get("lan-only@file").map(|_| ()))
    })
    .await
    .with_context(|| syncd.log_text())?;
    let allowed = post(&client, port, &create).await?;
    assert_eq!(allowed["uid"], "e2e-create-1", "{allowed}");
    assert_eq!(allowed["allowed"], true, "{allowed}");
    assert!(allowed.get("status").is_none(), "{allowed}");
    eprintln!("allowed (b), warnings: {}", allowed["warnings"]);

    // (c) Deleting the CRD Middleware the file router uses: denied, naming it.
    let stored = double
        .objects("traefik.io", "middlewares")
        .into_iter()
        .find(|m| m["metadata"]["name"] == "auth")
        .context("the Middleware is in the double")?;
    let delete = review("e2e-delete-1", "DELETE", None, Some(&stored));
    let denied = post(&client, port, &delete).await?;
    assert_eq!(denied["uid"], "e2e-delete-1", "{denied}");
    assert_eq!(denied["allowed"], false, "{denied}");
    let msg = denied["status"]["message"].as_str().unwrap_or_default();
    eprintln!("denial (c): {msg}");
    assert!(msg.contains("from-file@file"), "{msg}");
    assert!(msg.contains("default-auth@kubernetescrd"), "{msg}");
    assert!(msg.contains("fix: remove the reference"), "{msg}");

    // (d) Not a Traefik kind: allowed without a look.
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "anything", "namespace": "default"},
                    "data": {"k": "v"}});
    let other = post(
        &client,
        port,
        &review("e2e-configmap", "CREATE", Some(&cm), None),
    )
    .await?;
    assert_eq!(other["uid"], "e2e-configmap", "{other}");
    assert_eq!(other["allowed"], true, "{other}");

    // A client that does not trust the generated CA is refused the handshake.
    let stranger = sync_tests::http_client_builder()
        .resolve(HOST, addr)
        .build()?;
    assert!(
        post(&stranger, port, &create).await.is_err(),
        "a client without ca.crt completed the handshake"
    );

    // Latency as the API server sees it (not asserted: a shared 2-core box).
    for (label, pooled, n) in [("kept-alive", true, 200), ("new TLS connection", false, 50)] {
        let c = webhook_client(&ca, addr, pooled)?;
        let bodies = [&create, &delete];
        let mut took = Vec::with_capacity(n);
        for i in 0..n {
            let started = Instant::now();
            let r = post(&c, port, bodies[i % 2]).await?;
            took.push(started.elapsed());
            assert!(r["allowed"].is_boolean(), "{r}");
        }
        took.sort();
        eprintln!(
            "admission latency over HTTPS, {label}, {n} requests: p50 {:?}, p99 {:?}, max {:?}",
            percentile(&took, 0.50),
            percentile(&took, 0.99),
            took[took.len() - 1]
        );
    }
    Ok(())
}
