//! The status page of the homelab example, rendered by real headless Chromium:
//! the DOM it builds holds the routers, their statuses and the findings; the
//! screenshot is kept under `target/test-artifacts/`.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use support::view_dir;
use sync_core::finding::Severity;
use sync_core::report::Status;
use sync_tests::chromium;
use syncd::status_page::render;
use syncd::view::{Snapshot, SourceHealth};

/// Text as Chromium serialises it in element content (quotes stay raw).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn the_homelab_status_page_renders_in_chromium() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/homelab");
    let inputs = view_dir::load(&dir);
    let report = inputs.report();
    assert!(
        report.has_errors(),
        "the homelab example has deliberate mistakes"
    );
    let snapshot = Snapshot {
        inputs,
        report: Arc::new(report),
        sources: vec![
            SourceHealth {
                name: "kubernetes".into(),
                healthy: true,
                synced: true,
                detail: "watching 10 traefik.io kinds".into(),
                last_change_unix: Some(1_764_000_000),
                objects: 6,
            },
            SourceHealth {
                name: "consul".into(),
                healthy: false,
                synced: true,
                detail: "connection refused <127.0.0.1:8500>".into(),
                last_change_unix: None,
                objects: 0,
            },
        ],
        generation: 42,
        computed_at_unix: 1_764_000_100,
    };
    let html = render(&snapshot);
    let out_dir = chromium::artifacts_dir();
    std::fs::create_dir_all(&out_dir).unwrap();
    let page = out_dir.join("status-page-homelab.html");
    std::fs::write(&page, &html).unwrap();

    let dom = chromium::dump_dom(&chromium::file_url(&page)).expect("chromium renders the page");
    // Chromium re-serialises the document: what it shows comes from parsing.
    assert!(dom.contains("generation 42"), "{dom}");
    assert!(dom.contains("connection refused &lt;127.0.0.1:8500&gt;"));
    let r = &snapshot.report;
    assert!(!r.http.routers.is_empty());
    for (name, router) in &r.http.routers {
        assert!(dom.contains(&escape(name)), "router {name} missing");
        let status = match router.status {
            Status::Enabled => "enabled",
            Status::Warning => "warning",
            Status::Disabled => "disabled",
        };
        assert!(
            dom.contains(&format!(
                "<tr class=\"router\" data-status=\"{status}\"><td><code>{}</code>",
                escape(name)
            )),
            "router {name} with status {status} missing"
        );
    }
    assert!(
        r.http
            .routers
            .values()
            .any(|x| x.status == Status::Disabled)
    );
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    assert!(dom.contains(&format!("{errors} error(s)")));
    for f in &r.findings {
        assert!(
            dom.contains(&escape(&f.message)),
            "finding missing: {}",
            f.message
        );
    }
    assert_eq!(
        dom.matches("<tr class=\"finding\">").count(),
        r.findings.len()
    );
    assert!(!dom.contains("<script"));

    let shot = out_dir.join("status-page-homelab.png");
    chromium::screenshot(&chromium::file_url(&page), &shot, 1400, 2400).expect("screenshot");
    println!("status page screenshot: {}", shot.display());
    eprintln!("status page screenshot: {}", shot.display());
}
