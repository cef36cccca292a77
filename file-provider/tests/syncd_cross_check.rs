//! `--syncd-url`: the inbox's references to other providers are checked by a
//! real syncd process (here with Consul KV from the project's double as the
//! other provider) before anything is published.

mod common;

use common::{bin, write};
use std::process::Command;
use std::time::Duration;
use sync_tests::consul_double::{ConsulDouble, KvPair};
use sync_tests::syncd::{Syncd, wait_for};

fn check(inbox: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let out = Command::new(bin())
        .arg("check")
        .arg("--inbox")
        .arg(inbox)
        .args(extra)
        .output()
        .expect("run file-provider check");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn router_using(middleware: &str) -> String {
    format!(
        "http:\n  routers:\n    app:\n      rule: Host(`app.lab.test`)\n      service: app\n      middlewares: [\"{middleware}\"]\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_to_other_providers_are_checked_by_syncd() {
    let consul = ConsulDouble::start(vec![KvPair::new(
        "traefik/http/middlewares/auth/headers/customRequestHeaders/X-Auth",
        "1",
    )])
    .await
    .expect("consul double");
    let d = tempfile::tempdir().expect("tempdir");
    let addr = format!("http://{}", consul.addr());
    let syncd = Syncd::start(
        &["--no-kube", "--consul", "--consul-addr", &addr],
        &[],
        d.path(),
        "cross-check",
    )
    .await
    .expect("syncd");
    wait_for(Duration::from_secs(20), "syncd ready", || async {
        let (status, _, _) = syncd.get("/readyz").await?;
        Ok((status == 200).then_some(()))
    })
    .await
    .expect("ready");
    let url = syncd.url.clone();
    let inbox = d.path().join("inbox");

    write(&inbox.join("app.yml"), &router_using("auth@consul"));
    let (code, out) = tokio::task::block_in_place(|| check(&inbox, &[]));
    assert_eq!(
        code, 1,
        "alone, file-provider cannot see Consul and refuses:\n{out}"
    );
    let (code, out) = tokio::task::block_in_place(|| check(&inbox, &["--syncd-url", &url]));
    assert_eq!(code, 0, "syncd sees auth@consul exists:\n{out}");

    write(&inbox.join("app.yml"), &router_using("nope@consul"));
    let (code, out) = tokio::task::block_in_place(|| check(&inbox, &["--syncd-url", &url]));
    assert_eq!(code, 1, "syncd knows nope@consul is missing:\n{out}");
    assert!(
        out.contains("nope@consul") && out.contains("would NOT publish"),
        "{out}"
    );
    assert!(
        out.contains("app.yml:"),
        "the finding names the file: {out}"
    );

    drop(syncd);
    let (code, out) = tokio::task::block_in_place(|| {
        check(
            &inbox,
            &[
                "--syncd-url",
                &url,
                "--syncd-required",
                "--syncd-timeout-ms",
                "2000",
            ],
        )
    });
    assert_eq!(code, 1, "required and unreachable blocks:\n{out}");
    assert!(out.contains("syncd-unreachable"), "{out}");
    write(&inbox.join("app.yml"), &common::route("app", 1));
    let (code, out) = tokio::task::block_in_place(|| check(&inbox, &["--syncd-url", &url]));
    assert_eq!(
        code, 0,
        "not required: a locally valid inbox passes:\n{out}"
    );
    assert!(
        out.contains("syncd-unreachable"),
        "the skipped check is noted: {out}"
    );
}
