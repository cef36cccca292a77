//! The Traefik harness itself: routing through an entry point, readiness with a rejected
//! provider, and the guarantee that Traefik is killed even when a test panics.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use sync_tests::backend::Backend;
use sync_tests::traefik::{RouteRequest, Traefik, TraefikSpec};

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::create_dir_all(path.parent().expect("a parent"))?;
    std::fs::write(path, text)?;
    Ok(())
}

fn alive(pid: u32) -> bool {
    // A killed and reaped child has no /proc entry (a zombie would show state Z).
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

#[tokio::test]
async fn routes_requests_through_an_entry_point() -> Result<()> {
    let app = Backend::start("bookstack").await?;
    let wiki = Backend::start("wiki").await?;
    let work = tempfile::tempdir()?;
    let files = work.path().join("files");
    write(
        &files.join("apps.yml"),
        &format!(
            r#"http:
  routers:
    books:
      rule: "Host(`books.home.test`)"
      entryPoints: [web]
      service: books
    books-api:
      rule: "Host(`books.home.test`) && PathPrefix(`/api`)"
      entryPoints: [web]
      service: wiki
  services:
    books:
      loadBalancer:
        servers:
          - url: "{}"
    wiki:
      loadBalancer:
        servers:
          - url: "{}"
"#,
            app.url(),
            wiki.url()
        ),
    )?;
    let traefik =
        Traefik::start(&TraefikSpec::new(work.path().join("run")).with_file_directory(&files))
            .await?;
    assert_eq!(traefik.providers()["file"].status(), "ok");

    let page = traefik
        .request("web", &RouteRequest::get("books.home.test", "/shelves"))
        .await?;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("X-Backend"), Some("bookstack"));
    let api = traefik
        .request(
            "web",
            &RouteRequest::get("books.home.test", "/api/docs").header("Accept", "application/json"),
        )
        .await?;
    assert_eq!(
        api.header("x-backend"),
        Some("wiki"),
        "the longer rule wins"
    );
    let unknown = traefik
        .request("web", &RouteRequest::get("nope.home.test", "/"))
        .await?;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.header("x-backend"), None);
    Ok(())
}

#[tokio::test]
async fn a_rejected_provider_is_reported_without_waiting_for_a_timeout() -> Result<()> {
    let work = tempfile::tempdir()?;
    let files = work.path().join("files");
    write(
        &files.join("broken.yml"),
        "http:\n  routers:\n    x: {rule: \"Host(`x`)\"\n",
    )?;
    let started = std::time::Instant::now();
    let traefik =
        Traefik::start(&TraefikSpec::new(work.path().join("run")).with_file_directory(&files))
            .await?;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    let outcome = &traefik.providers()["file"];
    assert_eq!(outcome.status(), "rejected");
    assert!(
        outcome.error().unwrap_or("").contains("broken.yml"),
        "{outcome:?}"
    );
    assert!(traefik.view().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_missing_directory_does_not_hang_start_up() -> Result<()> {
    let work = tempfile::tempdir()?;
    let traefik = Traefik::start(
        &TraefikSpec::new(work.path().join("run")).with_file_directory(work.path().join("absent")),
    )
    .await?;
    assert!(traefik.view().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn traefik_is_killed_when_the_test_panics() -> Result<()> {
    let work = tempfile::tempdir()?;
    let files = work.path().join("files");
    write(&files.join("empty.yml"), "")?;
    let spec = TraefikSpec::new(work.path().join("run")).with_file_directory(&files);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let traefik = Traefik::start(&spec).await.expect("Traefik starts");
        let _ = tx.send(traefik.pid().expect("running"));
        panic!("a failing assertion while Traefik runs");
    });
    let pid = rx.await?;
    assert!(task.await.is_err(), "the task panicked");
    assert!(
        !alive(pid),
        "Traefik (pid {pid}) still running after the panic"
    );
    Ok(())
}
