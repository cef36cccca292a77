//! The status page of a LIVE `syncd run` (files directory + Kubernetes API
//! double) opened in headless Chromium: the DOM Chromium builds shows the
//! routers with their providers and statuses, the finding, and the source
//! health rows; a screenshot is kept under `target/test-artifacts/`.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sync_tests::chromium;
use sync_tests::kube_double::KubeDouble;
use sync_tests::syncd::{Syncd, wait_for};

const WAIT: Duration = Duration::from_secs(20);

const STATIC: &str = "entryPoints:\n  web:\n    address: ':80'\nproviders:\n  kubernetesCRD: {}\n  file:\n    directory: /dynamic\n";

const FILES: &str = "http:\n  routers:\n    good:\n      rule: Host(`good.example`)\n      entryPoints: [web]\n      service: svc\n    broken:\n      rule: Host(`broken.example`)\n      entryPoints: [web]\n      middlewares: [nowhere]\n      service: svc\n  services:\n    svc:\n      loadBalancer:\n        servers:\n          - url: http://10.0.0.2:80\n";

/// Text as Chromium serialises it in element content (quotes stay raw).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn dom_router_row(name: &str, status: &str) -> String {
    format!(
        "<tr class=\"router\" data-status=\"{status}\"><td><code>{}</code>",
        escape(name)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_status_page_renders_routers_findings_and_sources_in_chromium() -> Result<()> {
    let double = KubeDouble::start().await?;
    double.apply(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "whoami", "namespace": "apps"},
        "spec": {"ports": [{"port": 80}], "clusterIP": "10.0.0.1"}}))?;
    double.apply(
        json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"entryPoints": ["web"], "routes": [{"match": "Host(`crd.example`)",
            "kind": "Rule", "services": [{"name": "whoami", "port": 80}]}]}}),
    )?;
    let tmp = tempfile::tempdir()?;
    let kubeconfig = tmp.path().join("kubeconfig");
    double.write_kubeconfig(&kubeconfig)?;
    let files = tmp.path().join("dynamic");
    std::fs::create_dir(&files)?;
    std::fs::write(files.join("routers.yml"), FILES)?;
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
            "20ms",
            "--lease-namespace",
            "apps",
        ],
        &[("KUBECONFIG", &kc), ("POD_NAME", "page")],
        tmp.path(),
        "page",
    )
    .await?;
    wait_for(WAIT, "/readyz 200", || async {
        Ok((syncd.get("/readyz").await?.0 == 200).then_some(()))
    })
    .await
    .with_context(|| syncd.log_text())?;
    let report = wait_for(WAIT, "the three routers", || async {
        let r = syncd.report().await?;
        let n = r["http"]["routers"].as_object().map_or(0, |m| m.len());
        Ok((n == 3).then_some(r))
    })
    .await?;
    let routers = report["http"]["routers"]
        .as_object()
        .context("routers")?
        .clone();
    let crd = routers
        .keys()
        .find(|k| k.starts_with("apps-web-") && k.ends_with("@kubernetescrd"))
        .context("the IngressRoute's router")?
        .clone();
    assert_eq!(routers["good@file"]["status"], "enabled");
    assert_eq!(routers["broken@file"]["status"], "disabled");
    assert_eq!(routers[&crd]["status"], "enabled");
    let finding = report["findings"]
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|f| f["severity"] == "error" && f["object"] == "broken@file")
        })
        .context("the missing middleware's finding")?
        .clone();
    let message = finding["message"].as_str().context("message")?.to_string();
    assert!(message.contains("nowhere"), "{finding}");

    let url = format!("{}/", syncd.url);
    let dom = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || chromium::dump_dom(&url)).await??
    };
    // Chromium parsed the page served by the daemon.
    assert!(
        dom.contains("<h1>Traefik configuration status</h1>"),
        "{dom}"
    );
    assert!(dom.contains("1 error(s)"), "{dom}");
    for (name, status) in [
        ("good@file", "enabled"),
        ("broken@file", "disabled"),
        (crd.as_str(), "enabled"),
    ] {
        assert!(
            dom.contains(&dom_router_row(name, status)),
            "router {name} ({status}) missing from the page:\n{dom}"
        );
    }
    // The router's error under its status, and the finding in the table.
    assert!(
        dom.contains("<div class=\"err\">middleware \"nowhere@file\" does not exist</div>"),
        "{dom}"
    );
    assert!(
        dom.contains(&escape(&message)),
        "finding {message:?} missing"
    );
    assert_eq!(
        dom.matches("<tr class=\"finding\">").count(),
        report["findings"].as_array().map_or(0, Vec::len)
    );
    // Source health rows for both watched sources, healthy.
    let sources: Value = serde_json::from_str(&syncd.get("/readyz").await?.2)?;
    let names: Vec<String> = sources["sources"]
        .as_array()
        .context("sources")?
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect();
    assert!(names.contains(&"kubernetes".to_string()), "{sources}");
    assert!(names.contains(&"files".to_string()), "{sources}");
    for name in &names {
        assert!(
            dom.contains(&format!(
                "<tr><td>{name}</td><td><span class=\"badge ok\">healthy</span>"
            )),
            "source row {name} missing or unhealthy:\n{dom}"
        );
    }
    assert!(!dom.contains("<script"));

    let shot = chromium::artifacts_dir().join("syncd-live-status-page.png");
    {
        let shot = shot.clone();
        tokio::task::spawn_blocking(move || chromium::screenshot(&url, &shot, 1400, 1600))
            .await??;
    }
    println!("live status page screenshot: {}", shot.display());
    eprintln!("live status page screenshot: {}", shot.display());
    Ok(())
}
