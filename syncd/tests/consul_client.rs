//! The Consul KV client and prefix watch against the project's Consul KV double (whose
//! fidelity real Traefik and py-consul prove in the sync-tests crate): every operation,
//! refusals with their texts, blocking watch behaviour through outages and index resets,
//! and HTTPS with a CA file.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sync_tests::consul_double::{
    Acl, AclToken, ConsulDouble, DoubleOptions, KeyPolicy, KeyPrefixRule, KvPair, TlsIdentity,
};
use syncd::consul::{
    ConsulClient, ConsulConfig, ConsulError, KvList, PrefixWatch, Token, TxnOp, WatchOptions,
};
use tokio::sync::watch;

fn client_for(double: &ConsulDouble, wait: Duration) -> Result<ConsulClient> {
    let mut config = ConsulConfig::new(&double.url());
    config.wait = wait;
    config.timeout = Duration::from_secs(5);
    Ok(ConsulClient::new(&config)?)
}

fn fast_watch() -> WatchOptions {
    WatchOptions {
        min_interval: Duration::from_millis(50),
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_millis(500),
    }
}

/// Waits until the watch publishes content satisfying `pred`.
async fn wait_for(
    rx: &mut watch::Receiver<Option<std::sync::Arc<KvList>>>,
    within: Duration,
    pred: impl Fn(&KvList) -> bool,
) -> Result<std::sync::Arc<KvList>> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(list) = rx.borrow_and_update().clone()
            && pred(&list)
        {
            return Ok(list);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, rx.changed())
            .await
            .context("the watch did not publish the expected content in time")??;
    }
}

fn value_of(list: &KvList, key: &str) -> Option<String> {
    list.pairs
        .iter()
        .find(|e| e.key == key)
        .map(|e| String::from_utf8_lossy(&e.value).into_owned())
}

#[tokio::test]
async fn kv_operations() -> Result<()> {
    let double = ConsulDouble::start(vec![
        KvPair::new("traefik/http/routers/a/rule", "Host(`a.test`)"),
        KvPair::new("traefik/http/routers/a/service", "a"),
        KvPair::new("other/x", "1"),
    ])
    .await?;
    let client = client_for(&double, Duration::from_secs(2))?;

    let list = client.list("traefik/", None).await?;
    assert_eq!(list.index, 3);
    assert_eq!(list.pairs.len(), 2);
    assert_eq!(list.pairs[0].key, "traefik/http/routers/a/rule");
    assert_eq!(list.pairs[0].value, b"Host(`a.test`)");
    assert_eq!(list.to_kv_pairs()[1].value, b"a");
    // What the client reads is what the core's Consul KV decoder takes.
    let provider = sync_core::decode::consul_kv::decode_provider(&list.to_kv_pairs(), "traefik");
    let routers = &provider
        .config
        .http
        .as_ref()
        .context("no http section")?
        .routers;
    assert_eq!(
        routers.get("a").map(|r| r.rule.as_str()),
        Some("Host(`a.test`)"),
        "{routers:?}"
    );

    // A missing prefix is an empty list that still carries the index (to block on).
    let empty = client.list("nothing/", None).await?;
    assert_eq!((empty.pairs.len(), empty.index), (0, 3));
    assert_eq!(client.get("traefik/nope").await?, None);

    // put, flags, get, keys with separator.
    assert!(client.put("traefik/x y", b"v1", None).await?);
    let entry = client
        .get("traefik/x y")
        .await?
        .context("traefik/x y missing")?;
    assert_eq!((entry.value.as_slice(), entry.flags), (&b"v1"[..], 0));
    assert_eq!(entry.create_index, entry.modify_index);
    assert!(client.put_with_flags("traefik/f", b"", 42, None).await?);
    let flagged = client
        .get("traefik/f")
        .await?
        .context("traefik/f missing")?;
    assert_eq!((flagged.flags, flagged.value.len()), (42, 0));
    assert_eq!(
        client.keys("traefik/", Some("/")).await?,
        ["traefik/f", "traefik/http/", "traefik/x y"]
    );

    // Check-and-set: 0 = only if absent; otherwise the ModifyIndex must match.
    assert!(!client.put("traefik/x y", b"v2", Some(0)).await?);
    assert!(
        !client
            .put("traefik/x y", b"v2", Some(entry.modify_index + 100))
            .await?
    );
    assert!(
        client
            .put("traefik/x y", b"v2", Some(entry.modify_index))
            .await?
    );
    let updated = client.get("traefik/x y").await?.context("missing")?;
    assert_eq!(updated.value, b"v2");
    assert_eq!(updated.create_index, entry.create_index);
    assert!(updated.modify_index > entry.modify_index);
    assert!(client.put("traefik/new", b"n", Some(0)).await?);

    // Deletes: cas mismatch refused, cas match, recurse.
    assert!(
        !client
            .delete("traefik/x y", false, Some(entry.modify_index))
            .await?
    );
    assert!(
        client
            .delete("traefik/x y", false, Some(updated.modify_index))
            .await?
    );
    assert_eq!(client.get("traefik/x y").await?, None);
    assert!(matches!(
        client.delete("traefik/", true, Some(1)).await,
        Err(ConsulError::Config(_))
    ));
    assert!(client.delete("traefik/http/", true, None).await?);
    let left: Vec<String> = client
        .list("traefik/", None)
        .await?
        .pairs
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(left, ["traefik/f", "traefik/new"]);
    assert_eq!(double.pairs().len(), 3);

    // The consistency mode is sent on reads, not on writes.
    let mut config = ConsulConfig::new(&double.url());
    config.consistency = syncd::consul::Consistency::Stale;
    let stale = ConsulClient::new(&config)?;
    stale.list("traefik/", None).await?;
    stale.put("traefik/s", b"1", None).await?;
    let requests = double.requests();
    let n = requests.len();
    assert_eq!(requests[n - 2], "GET /v1/kv/traefik/?stale&recurse");
    assert_eq!(requests[n - 1], "PUT /v1/kv/traefik/s");
    Ok(())
}

#[tokio::test]
async fn transactions() -> Result<()> {
    let double = ConsulDouble::start(vec![
        KvPair::new("staging/a", "1"),
        KvPair::new("staging/b", "2"),
        KvPair::new("live/old", "x"),
    ])
    .await?;
    let client = client_for(&double, Duration::from_secs(2))?;
    let a_index = double.modify_index("staging/a").context("staging/a")?;

    // All applied on one index; results carry metadata for writes, values for reads.
    let before = double.index();
    let results = client
        .txn(&[
            TxnOp::CheckIndex {
                key: "staging/a".into(),
                index: a_index,
            },
            TxnOp::CheckNotExists {
                key: "live/a".into(),
            },
            TxnOp::DeleteTree {
                prefix: "live/".into(),
            },
            TxnOp::Set {
                key: "live/a".into(),
                value: b"1".to_vec(),
            },
            TxnOp::Cas {
                key: "live/b".into(),
                value: b"2".to_vec(),
                index: 0,
            },
            TxnOp::Get {
                key: "staging/b".into(),
            },
        ])
        .await?;
    assert_eq!(double.index(), before + 1);
    let keys: Vec<&str> = results.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["staging/a", "live/a", "live/b", "staging/b"]);
    assert!(
        results[1].value.is_empty(),
        "writes come back without their value"
    );
    assert_eq!(results[1].modify_index, before + 1);
    assert_eq!(results[3].value, b"2");
    let live = client.list("live/", None).await?;
    assert_eq!(value_of(&live, "live/a").as_deref(), Some("1"));
    assert_eq!(value_of(&live, "live/old"), None);

    // A failing check rolls everything back and names each failing operation.
    let before = double.index();
    let err = client
        .txn(&[
            TxnOp::Set {
                key: "live/c".into(),
                value: b"3".to_vec(),
            },
            TxnOp::CheckIndex {
                key: "staging/a".into(),
                index: a_index + 50,
            },
            TxnOp::DeleteCas {
                key: "live/a".into(),
                index: 1,
            },
            TxnOp::CheckNotExists {
                key: "live/b".into(),
            },
        ])
        .await
        .unwrap_err();
    let ConsulError::TxnRolledBack { errors } = &err else {
        panic!("expected a rollback, got {err}");
    };
    assert_eq!(
        errors,
        &[
            (
                1,
                format!(
                    "failed index check for key \"staging/a\", current modify index {a_index} != {}",
                    a_index + 50
                )
            ),
            (
                2,
                "failed to delete key \"live/a\", index is stale".to_owned()
            ),
            (3, "key \"live/b\" exists".to_owned()),
        ]
    );
    assert!(err.to_string().contains("nothing was applied"), "{err}");
    assert_eq!(double.index(), before);
    assert_eq!(client.get("live/c").await?, None);

    // Read-only transactions; get-tree.
    let tree = client
        .txn(&[TxnOp::GetTree {
            prefix: "staging/".into(),
        }])
        .await?;
    assert_eq!(tree.len(), 2);

    // Too many operations: refused before sending.
    let many: Vec<TxnOp> = (0..=ConsulClient::MAX_TXN_OPS)
        .map(|i| TxnOp::Set {
            key: format!("k/{i}"),
            value: Vec::new(),
        })
        .collect();
    let err = client.txn(&many).await.unwrap_err();
    assert!(
        matches!(err, ConsulError::TooManyTxnOps { ops: 129, max: 128 }),
        "{err}"
    );
    // ... and the server's 413 is understood too (an older Consul with 64).
    let old = ConsulDouble::start_with(
        vec![],
        DoubleOptions {
            max_txn_ops: 64,
            ..DoubleOptions::default()
        },
    )
    .await?;
    let old_client = client_for(&old, Duration::from_secs(2))?;
    let err = old_client.txn(&many[..65]).await.unwrap_err();
    assert!(
        matches!(err, ConsulError::TooManyTxnOps { ops: 65, .. }),
        "{err}"
    );
    assert_eq!(old.request_count(), 1);
    Ok(())
}

#[tokio::test]
async fn refusals_are_clear() -> Result<()> {
    let acl = Acl {
        tokens: vec![AclToken::new(
            "staging-secret",
            "b1a1-accessor",
            vec![
                KeyPrefixRule::new("traefik", KeyPolicy::Read),
                KeyPrefixRule::new("traefik-staging/", KeyPolicy::Write),
            ],
        )],
        anonymous: vec![],
    };
    let double = ConsulDouble::start_with(
        vec![
            KvPair::new("traefik/http/routers/a/rule", "Host(`a`)"),
            KvPair::new("secret/x", "hidden"),
        ],
        DoubleOptions {
            acl: Some(acl),
            ..DoubleOptions::default()
        },
    )
    .await?;
    let dir = tempfile::tempdir()?;
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "staging-secret\n")?;
    let mut config = ConsulConfig::new(&double.url());
    config.token = Token::from_file(&token_file)?;
    let client = ConsulClient::new(&config)?;

    // Reads under the readable prefix work; writes there are refused with Consul's text.
    assert_eq!(client.list("traefik/", None).await?.pairs.len(), 1);
    let err = client
        .put("traefik/http/routers/a/rule", b"x", None)
        .await
        .unwrap_err();
    assert!(matches!(err, ConsulError::PermissionDenied { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("token with AccessorID 'b1a1-accessor' lacks permission 'key:write' on \"traefik/http/routers/a/rule\""),
        "{text}"
    );
    assert!(text.contains("--consul-token-file"), "{text}");
    assert!(
        !text.contains("staging-secret"),
        "the token never shows: {text}"
    );
    assert!(client.put("traefik-staging/a", b"x", None).await?);
    // A recursive read leaves out what the token cannot read.
    assert!(
        client
            .list("", None)
            .await?
            .pairs
            .iter()
            .all(|e| !e.key.starts_with("secret/"))
    );
    let err = client
        .txn(&[TxnOp::Set {
            key: "traefik/x".into(),
            value: b"1".to_vec(),
        }])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ConsulError::TxnRolledBack { errors } if errors[0].0 == 0 && errors[0].1.starts_with("Permission denied")),
        "{err}"
    );

    // Unknown token, and no token at all.
    let mut config = ConsulConfig::new(&double.url());
    config.token = Token::new("wrong");
    let err = ConsulClient::new(&config)?
        .get("traefik/x")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ACL not found"), "{err}");
    let err = ConsulClient::new(&ConsulConfig::new(&double.url()))?
        .get("traefik/http/routers/a/rule")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("anonymous token lacks permission 'key:read'"),
        "{err}"
    );

    // Value too large (kv_max_value_size, 512 KiB).
    let big = vec![b'x'; 512 * 1024 + 1];
    let err = client
        .put("traefik-staging/big", &big, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConsulError::ValueTooLarge { size: 524_289, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("max size: 524288 bytes"), "{err}");
    assert!(client.put("traefik-staging/big", &big[1..], None).await?);

    // The token travels in the X-Consul-Token header only, never in a URL.
    assert!(
        double
            .requests()
            .iter()
            .all(|r| !r.contains("staging-secret") && !r.contains("token=")),
        "{:?}",
        double.requests()
    );

    // Nobody listening: Unreachable, naming the address.
    let port = double.addr().port();
    drop(double);
    let err = client.get("traefik/x").await.unwrap_err();
    assert!(matches!(err, ConsulError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains(&port.to_string()), "{err}");
    assert!(err.is_transient());
    Ok(())
}

#[tokio::test]
async fn a_rotated_token_file_is_used_without_a_restart() -> Result<()> {
    let acl = Acl {
        tokens: vec![AclToken::new(
            "new-secret",
            "n3w-accessor",
            vec![KeyPrefixRule::new("traefik/", KeyPolicy::Read)],
        )],
        anonymous: vec![],
    };
    let double = ConsulDouble::start_with(
        vec![KvPair::new("traefik/http/routers/a/rule", "Host(`a`)")],
        DoubleOptions {
            acl: Some(acl),
            ..DoubleOptions::default()
        },
    )
    .await?;
    let dir = tempfile::tempdir()?;
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "old-secret\n")?;
    let args = syncd::consul::ConsulArgs {
        consul_addr: double.url(),
        consul_token_file: Some(token_file.clone()),
        consul_ca_file: None,
        consul_consistency: syncd::consul::Consistency::Default,
        consul_wait: Duration::from_secs(1),
        consul_timeout: Duration::from_secs(5),
    };
    let client = ConsulClient::new(&args.to_config()?)?;
    let err = client.list("traefik/", None).await.unwrap_err();
    assert!(err.to_string().contains("ACL not found"), "{err}");

    // Kubelet-style rotation: a new file renamed over the old one.
    let staged = dir.path().join("token.new");
    std::fs::write(&staged, "new-secret\n")?;
    let later = std::time::SystemTime::now() + Duration::from_secs(2);
    std::fs::File::options()
        .write(true)
        .open(&staged)?
        .set_modified(later)?;
    std::fs::rename(&staged, &token_file)?;
    assert_eq!(client.list("traefik/", None).await?.pairs.len(), 1);

    // A token file that disappears keeps the last good token.
    std::fs::remove_file(&token_file)?;
    assert_eq!(client.list("traefik/", None).await?.pairs.len(), 1);
    Ok(())
}

#[tokio::test]
async fn watch_follows_changes_outages_and_index_resets() -> Result<()> {
    let mut double = ConsulDouble::start(vec![KvPair::new("traefik/a", "1")]).await?;
    let client = client_for(&double, Duration::from_secs(3))?;
    let watch = PrefixWatch::spawn(client, "traefik/", fast_watch());
    let mut rx = watch.subscribe();
    let first = wait_for(&mut rx, Duration::from_secs(5), |l| l.pairs.len() == 1).await?;
    assert_eq!(value_of(&first, "traefik/a").as_deref(), Some("1"));
    assert!(watch.health().healthy);

    // A change is seen within the wait (the blocking query wakes), not after it.
    let started = Instant::now();
    double.put("traefik/a", "2");
    // (The watch's first read does not block; the next ones do, with a wait.)
    wait_for(&mut rx, Duration::from_secs(2), |l| {
        value_of(l, "traefik/a").as_deref() == Some("2")
    })
    .await?;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    let requests = double.requests();
    assert_eq!(requests[0], "GET /v1/kv/traefik/?recurse", "{requests:?}");
    assert!(
        requests[1].starts_with("GET /v1/kv/traefik/?recurse&index=1&wait=")
            && requests[1].ends_with("ms"),
        "{requests:?}"
    );

    // Only content changes are published: a write elsewhere moves the index, not the content.
    rx.borrow_and_update();
    let requests = double.request_count();
    double.put("elsewhere/x", "1");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!rx.has_changed()?, "an index-only change was published");
    assert!(
        double.request_count() > requests,
        "the watch should have re-queried"
    );
    // An idempotent write (same value) moves the key's ModifyIndex: no wake-up, but the
    // stored list has the new index (what a check-and-set needs).
    let before = double.modify_index("traefik/a").context("traefik/a")?;
    double.put("traefik/a", "2");
    let after = double.modify_index("traefik/a").context("traefik/a")?;
    assert!(after > before);
    let deadline = Instant::now() + Duration::from_secs(3);
    while watch.current().and_then(|l| {
        l.pairs
            .iter()
            .find(|e| e.key == "traefik/a")
            .map(|e| e.modify_index)
    }) != Some(after)
    {
        assert!(
            Instant::now() < deadline,
            "the stored list never got the new index"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!rx.has_changed()?, "an idempotent write woke the receivers");
    // ... and it does not spin: no more than a few queries while nothing changes.
    let requests = double.request_count();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        double.request_count() - requests <= 2,
        "{} queries",
        double.request_count() - requests
    );

    // An outage: unhealthy, last content kept; a change made meanwhile is seen after it.
    double.pause().await?;
    double.put("traefik/b", "while-down");
    let mut health = watch.subscribe_health();
    tokio::time::timeout(Duration::from_secs(5), health.wait_for(|h| !h.healthy)).await??;
    let down = watch.health();
    assert!(
        down.last_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot reach Consul") || e.contains("500")),
        "{down:?}"
    );
    assert!(
        watch
            .current()
            .is_some_and(|l| value_of(&l, "traefik/b").is_none())
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        watch.health().consecutive_failures >= 2,
        "{:?}",
        watch.health()
    );
    double.resume().await?;
    wait_for(&mut rx, Duration::from_secs(5), |l| {
        value_of(l, "traefik/b").as_deref() == Some("while-down")
    })
    .await?;
    tokio::time::timeout(Duration::from_secs(5), health.wait_for(|h| h.healthy)).await??;
    assert!(watch.health().last_success.is_some());

    // A snapshot restore moves the index backwards: the watch resets and reads the new content.
    let high = double.index();
    assert!(high > 3);
    double.restore_snapshot(vec![KvPair::new("traefik/restored", "yes")], 2);
    let restored = wait_for(&mut rx, Duration::from_secs(5), |l| {
        value_of(l, "traefik/restored").is_some()
    })
    .await?;
    assert_eq!(restored.pairs.len(), 1);
    assert!(restored.index < high);
    // ... and blocks again on the new, lower index (a later change is still seen quickly).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(watch.health().index <= 2, "{:?}", watch.health());
    double.put("traefik/after", "1");
    wait_for(&mut rx, Duration::from_secs(2), |l| {
        value_of(l, "traefik/after").is_some()
    })
    .await?;
    Ok(())
}

fn tls_identity() -> Result<(TlsIdentity, String)> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test consul CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate()?;
    let leaf_params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;
    Ok((
        TlsIdentity {
            cert_chain_der: vec![leaf.der().to_vec()],
            key_der: leaf_key.serialize_der(),
        },
        ca_cert.pem(),
    ))
}

#[tokio::test]
async fn https_with_a_ca_file() -> Result<()> {
    let (identity, ca_pem) = tls_identity()?;
    let double = ConsulDouble::start_with(
        vec![KvPair::new("traefik/a", "tls")],
        DoubleOptions {
            tls: Some(identity),
            ..DoubleOptions::default()
        },
    )
    .await?;
    assert!(double.url().starts_with("https://127.0.0.1:"));
    let dir = tempfile::tempdir()?;
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem)?;
    let mut config = ConsulConfig::new(&double.url());
    config.ca_file = Some(ca_file);
    let client = ConsulClient::new(&config)?;
    let entry = client
        .get("traefik/a")
        .await?
        .context("traefik/a missing")?;
    assert_eq!(entry.value, b"tls");
    assert!(client.put("traefik/b", b"2", None).await?);

    // Without the CA the certificate is not trusted (only the given CA file is).
    let (_, other_ca) = tls_identity()?;
    let other = dir.path().join("other.pem");
    std::fs::write(&other, other_ca)?;
    let mut config = ConsulConfig::new(&double.url());
    config.ca_file = Some(other);
    let err = ConsulClient::new(&config)?
        .get("traefik/a")
        .await
        .unwrap_err();
    assert!(matches!(err, ConsulError::Unreachable { .. }), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    // A CA file that is not PEM is a settings error naming the file.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate")?;
    let mut config = ConsulConfig::new(&double.url());
    config.ca_file = Some(junk);
    let err = ConsulClient::new(&config).unwrap_err();
    assert!(
        matches!(err, ConsulError::Config(_)) && err.to_string().contains("junk.pem"),
        "{err}"
    );
    Ok(())
}
