//! Leader-only Consul writes: two `syncd run --consul` replicas sharing one
//! Lease (Kubernetes API double) and one Consul KV double. Only the leader
//! promotes staging to live and writes the status key; after a SIGKILL the
//! other replica takes the Lease and promotes the next staging edit.
//!
//! Each replica sends its own ACL token (the double records the token of
//! every request, ACLs off), so every write is attributed to a replica.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use sync_tests::consul_double::{ConsulDouble, KvPair};
use sync_tests::kube_double::KubeDouble;
use sync_tests::syncd::{Syncd, wait_for};

const WAIT: Duration = Duration::from_secs(20);
const STAGING: &str = "traefik-staging/";
const LIVE_RULE: &str = "traefik/http/routers/app/rule";
const STATUS_KEY: &str = "traefik-staging-status";

fn staging(rule: &str) -> Vec<KvPair> {
    [
        ("http/routers/app/rule", rule),
        ("http/routers/app/service", "app"),
        ("http/routers/app/entryPoints/0", "web"),
        (
            "http/services/app/loadBalancer/servers/0/url",
            "http://10.0.0.7:80",
        ),
    ]
    .into_iter()
    .map(|(k, v)| KvPair {
        key: format!("{STAGING}{k}"),
        value: v.as_bytes().to_vec(),
        flags: 0,
    })
    .collect()
}

fn value(consul: &ConsulDouble, key: &str) -> Option<String> {
    consul
        .pairs()
        .into_iter()
        .find(|p| p.key == key)
        .map(|p| String::from_utf8_lossy(&p.value).into_owned())
}

/// Writes (PUT, DELETE, any txn) a replica's token made, from `since` on.
fn writes_by(consul: &ConsulDouble, token: &str, since: usize) -> Vec<String> {
    consul
        .requests_with_tokens()
        .into_iter()
        .skip(since)
        .filter(|(line, t)| {
            t.as_deref() == Some(token) && (line.starts_with("PUT ") || line.starts_with("DELETE "))
        })
        .map(|(line, _)| line)
        .collect()
}

/// The gate's `/v1/consul` document, if it has judged something.
async fn gate(s: &Syncd) -> Result<Option<Value>> {
    let (status, _, body) = s.get("/v1/consul").await?;
    if status == 404 {
        return Ok(None);
    }
    if status != 200 {
        bail!("/v1/consul answered {status}: {body}");
    }
    Ok(Some(serde_json::from_str(&body)?))
}

async fn is_leader(s: &Syncd) -> Result<Option<bool>> {
    Ok(s.metric("traefik_sync_is_leader").await?.map(|v| v == 1.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_promotes_and_the_survivor_takes_over_after_sigkill() -> Result<()> {
    let kube = KubeDouble::start().await?;
    let consul = ConsulDouble::start(staging("Host(`one.example`)")).await?;
    let tmp = tempfile::tempdir()?;
    let kubeconfig = tmp.path().join("kubeconfig");
    kube.write_kubeconfig(&kubeconfig)?;
    let kc = kubeconfig.to_string_lossy().into_owned();
    let addr = consul.url();
    let start = |name: &'static str| {
        let token_file = tmp.path().join(format!("token-{name}"));
        let kc = kc.clone();
        let addr = addr.clone();
        let dir = tmp.path().to_path_buf();
        async move {
            std::fs::write(&token_file, format!("token-{name}\n"))?;
            Syncd::start(
                &[
                    "--consul",
                    "--consul-addr",
                    &addr,
                    "--consul-token-file",
                    &token_file.to_string_lossy(),
                    "--consul-quiescence",
                    "100ms",
                    "--consul-wait",
                    "5s",
                    "--lease-duration",
                    "2s",
                    "--lease-namespace",
                    "kube-system",
                    "--debounce",
                    "20ms",
                ],
                &[("KUBECONFIG", &kc), ("POD_NAME", name)],
                &dir,
                name,
            )
            .await
        }
    };
    let a = start("replica-a").await?;
    let b = start("replica-b").await?;

    let (la, lb) = wait_for(WAIT, "one leader", || async {
        Ok(match (is_leader(&a).await?, is_leader(&b).await?) {
            (Some(x), Some(y)) if x || y => Some((x, y)),
            _ => None,
        })
    })
    .await
    .with_context(|| format!("{}\n{}", a.log_text(), b.log_text()))?;
    assert!(la != lb, "exactly one leader: a={la} b={lb}");
    let (leader, follower, leader_token, follower_token) = if la {
        (a, b, "token-replica-a", "token-replica-b")
    } else {
        (b, a, "token-replica-b", "token-replica-a")
    };

    // The leader promotes the staging revision to live and writes the status key.
    wait_for(WAIT, "the staging rule in live", || async {
        Ok((value(&consul, LIVE_RULE).as_deref() == Some("Host(`one.example`)")).then_some(()))
    })
    .await
    .with_context(|| leader.log_text())?;
    let doc = wait_for(WAIT, "the leader's verdict", || async {
        Ok(gate(&leader)
            .await?
            .filter(|d| d["status"]["verdict"] == "promoted"))
    })
    .await?;
    assert_eq!(doc["promotions"], 1, "{doc}");
    let status: Value =
        serde_json::from_str(&value(&consul, STATUS_KEY).context("no status key written")?)?;
    assert_eq!(status["verdict"], "promoted", "{status}");
    // The follower judges the same revision but does not promote it.
    let fdoc = wait_for(WAIT, "the follower's verdict", || async {
        Ok(gate(&follower)
            .await?
            .filter(|d| d["status"]["verdict"] == "accepted"))
    })
    .await
    .with_context(|| follower.log_text())?;
    assert_eq!(fdoc["promotions"], 0, "{fdoc}");

    // Stable for a few renewals: still one promotion, one transaction, and not
    // a single write from the follower.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(is_leader(&leader).await?, Some(true));
    assert_eq!(is_leader(&follower).await?, Some(false));
    assert_eq!(
        gate(&leader).await?.context("leader gate")?["promotions"],
        1
    );
    let leader_writes = writes_by(&consul, leader_token, 0);
    let txns = leader_writes
        .iter()
        .filter(|l| l.starts_with("PUT /v1/txn"))
        .count();
    assert_eq!(txns, 1, "one promotion transaction: {leader_writes:#?}");
    assert!(
        leader_writes
            .iter()
            .any(|l| l.starts_with(&format!("PUT /v1/kv/{STATUS_KEY}"))),
        "{leader_writes:#?}"
    );
    let follower_writes = writes_by(&consul, follower_token, 0);
    assert!(
        follower_writes.is_empty(),
        "the follower wrote to Consul: {follower_writes:#?}"
    );
    // Both replicas did talk to the double (the tokens do reach it).
    assert!(
        consul
            .requests_with_tokens()
            .iter()
            .any(|(_, t)| t.as_deref() == Some(follower_token)),
        "no request carried the follower's token"
    );

    // SIGKILL the leader (no Lease release): the follower takes over.
    let mut leader = leader;
    leader.kill();
    wait_for(Duration::from_secs(8), "the follower leads", || async {
        Ok((is_leader(&follower).await? == Some(true)).then_some(()))
    })
    .await
    .with_context(|| follower.log_text())?;
    let since = consul.requests_with_tokens().len();

    // The next staging edit is promoted by the new leader.
    consul.put(
        &format!("{STAGING}http/routers/app/rule"),
        "Host(`two.example`)",
    );
    wait_for(WAIT, "the edit in live", || async {
        Ok((value(&consul, LIVE_RULE).as_deref() == Some("Host(`two.example`)")).then_some(()))
    })
    .await
    .with_context(|| follower.log_text())?;
    let doc = wait_for(WAIT, "the new leader's verdict", || async {
        Ok(gate(&follower)
            .await?
            .filter(|d| d["status"]["verdict"] == "promoted"))
    })
    .await?;
    assert_eq!(doc["promotions"], 1, "{doc}");
    let new_writes = writes_by(&consul, follower_token, since);
    assert!(
        new_writes.iter().any(|l| l.starts_with("PUT /v1/txn")),
        "the new leader's promotion is its own: {new_writes:#?}"
    );
    let status: Value =
        serde_json::from_str(&value(&consul, STATUS_KEY).context("no status key")?)?;
    assert_eq!(status["verdict"], "promoted", "{status}");
    assert_eq!(
        writes_by(&consul, leader_token, since),
        Vec::<String>::new(),
        "the killed leader still wrote"
    );
    Ok(())
}
