//! Fidelity of the Consul KV double, proven with a second independent real client: PyPI
//! `py-consul` (installed into `.venv` by `scripts/setup.d/30-py-consul.sh`) runs
//! `tests/python/consul_double_fidelity.py` against two doubles (one without ACLs, one with)
//! and asserts every answer; this test checks its exit code and shows its output.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use sync_tests::consul_double::{
    Acl, AclToken, ConsulDouble, DoubleOptions, KeyPolicy, KeyPrefixRule, KvPair,
};

fn venv_python() -> Result<PathBuf> {
    let python = sync_tests::repo_root().join(".venv/bin/python");
    if !python.exists() {
        bail!(
            "{} is missing: run `bash scripts/setup-test-env.sh` (installs py-consul)",
            python.display()
        );
    }
    Ok(python)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn py_consul_agrees_with_the_double() -> Result<()> {
    let python = venv_python()?;
    let plain = ConsulDouble::start(vec![]).await?;
    let acl = Acl {
        tokens: vec![AclToken::new(
            "py-secret",
            "9f3c-accessor",
            vec![
                KeyPrefixRule::new("traefik/", KeyPolicy::Read),
                KeyPrefixRule::new("traefik-staging/", KeyPolicy::Write),
            ],
        )],
        anonymous: vec![],
    };
    let guarded = ConsulDouble::start_with(
        vec![
            KvPair::new("traefik/a", "1"),
            KvPair::new("secret/x", "hidden"),
        ],
        DoubleOptions {
            acl: Some(acl),
            ..DoubleOptions::default()
        },
    )
    .await?;
    let script = sync_tests::repo_root().join("tests/python/consul_double_fidelity.py");
    let child = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(plain.addr().to_string())
        .arg(guarded.addr().to_string())
        .arg("py-secret")
        .env("NO_PROXY", "*")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), child)
        .await
        .context("py-consul script did not finish in 120 s")?
        .with_context(|| format!("running {}", python.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    if stderr.contains("No module named 'consul'") {
        bail!("py-consul is not installed in .venv: run `bash scripts/setup-test-env.sh`");
    }
    assert!(
        output.status.success(),
        "py-consul script failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
    // The script really talked to both doubles (and with the token on the guarded one).
    assert!(
        plain
            .requests()
            .iter()
            .any(|r| r.starts_with("PUT /v1/txn"))
    );
    assert!(
        plain
            .requests()
            .iter()
            .any(|r| r.contains("index=") && r.contains("wait="))
    );
    assert!(guarded.request_count() >= 6, "{:?}", guarded.requests());
    assert_eq!(
        guarded
            .pairs()
            .iter()
            .find(|p| p.key == "traefik/a")
            .map(|p| p.value.clone()),
        Some(b"1".to_vec())
    );
    Ok(())
}
