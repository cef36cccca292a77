//! The Consul KV double: its HTTP semantics, and proof of fidelity — real Traefik's Consul
//! provider reads a router from it, routes a request with it, and follows a change made
//! through the double's PUT endpoint (blocking query woken by the index bump).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sync_tests::backend::Backend;
use sync_tests::consul_double::{ConsulDouble, KvPair};
use sync_tests::traefik::{RouteRequest, Traefik, TraefikSpec};

fn client() -> reqwest::Client {
    sync_tests::http_client_builder()
        .build()
        .expect("HTTP client")
}

async fn get(url: &str) -> Result<(u16, Option<u64>, String)> {
    let response = client().get(url).send().await?;
    let status = response.status().as_u16();
    let index = response
        .headers()
        .get("X-Consul-Index")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    Ok((status, index, response.text().await?))
}

#[tokio::test]
async fn kv_api_semantics() -> Result<()> {
    let double = ConsulDouble::start(vec![
        KvPair::new("traefik/http/routers/a/rule", "Host(`a.home.test`)"),
        KvPair::new("traefik/http/routers/a/tls", ""),
        KvPair::new("traefik-other/x", "1"),
    ])
    .await?;
    let base = format!("http://{}/v1/kv", double.addr());

    // Recursive list: prefix match (also "traefik-other"), sorted, base64 values, null for empty.
    let (status, index, body) = get(&format!("{base}/traefik?recurse")).await?;
    assert_eq!(status, 200);
    assert_eq!(index, Some(3));
    let entries: serde_json::Value = serde_json::from_str(&body)?;
    let keys: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "traefik-other/x",
            "traefik/http/routers/a/rule",
            "traefik/http/routers/a/tls"
        ]
    );
    assert_eq!(entries[1]["Value"], "SG9zdChgYS5ob21lLnRlc3RgKQ==");
    assert!(entries[2]["Value"].is_null());
    assert!(entries[1].get("Session").is_none());
    assert_eq!(entries[1]["ModifyIndex"], 1);

    // Single key, raw, missing key (404 with an index), keys with separator.
    let (status, _, body) = get(&format!("{base}/traefik/http/routers/a/rule")).await?;
    assert_eq!(status, 200);
    assert!(body.starts_with('[') && body.contains("\"Key\":\"traefik/http/routers/a/rule\""));
    let (_, _, raw) = get(&format!("{base}/traefik/http/routers/a/rule?raw")).await?;
    assert_eq!(raw, "Host(`a.home.test`)");
    let (status, index, _) = get(&format!("{base}/traefik/nope?recurse")).await?;
    assert_eq!((status, index), (404, Some(3)));
    let (_, _, keys) = get(&format!("{base}/traefik/?keys&separator=/")).await?;
    assert_eq!(keys, r#"["traefik/http/"]"#);

    // Case-sensitive prefix, like Consul.
    let (status, _, _) = get(&format!("{base}/TRAEFIK?recurse")).await?;
    assert_eq!(status, 404);

    // Blocking query: times out with the same index, or returns as soon as the index moves.
    let started = Instant::now();
    let (status, index, _) = get(&format!("{base}/traefik?recurse&index=3&wait=300ms")).await?;
    assert_eq!((status, index), (200, Some(3)));
    assert!(started.elapsed() >= Duration::from_millis(290));

    let waiter = tokio::spawn({
        let url = format!("{base}/traefik?recurse&index=3&wait=15000ms");
        async move { get(&url).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let put = client()
        .put(format!("{base}/traefik/http/routers/a/priority"))
        .body("42")
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(put, "true");
    let (status, index, body) = waiter.await??;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!((status, index), (200, Some(4)));
    assert!(body.contains("traefik/http/routers/a/priority"));

    // CAS and DELETE.
    let cas = client()
        .put(format!("{base}/traefik/x?cas=0"))
        .body("1")
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(cas, "true");
    let cas = client()
        .put(format!("{base}/traefik/x?cas=0"))
        .body("2")
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(cas, "false");
    let deleted = client()
        .delete(format!("{base}/traefik/http?recurse"))
        .send()
        .await?
        .text()
        .await?;
    assert_eq!(deleted, "true");
    let (_, index, body) = get(&format!("{base}/traefik/?recurse")).await?;
    assert_eq!(index, Some(6));
    assert!(body.contains("traefik/x") && !body.contains("routers"));

    // Programmatic changes bump the index too.
    double.put("traefik/y", "1");
    assert_eq!(double.index(), 7);
    assert!(double.delete("traefik/y"));
    assert_eq!(double.index(), 8);
    assert!(!double.delete("traefik/y"));
    assert_eq!(double.index(), 8);
    Ok(())
}

async fn routed_backend(traefik: &Traefik, host: &str) -> Result<Option<String>> {
    let response = traefik
        .request("web", &RouteRequest::get(host, "/"))
        .await?;
    Ok(response.header("x-backend").map(str::to_owned))
}

#[tokio::test]
async fn real_traefik_reads_and_follows_the_double() -> Result<()> {
    let lan = Backend::start("photos").await?;
    let other = Backend::start("wiki").await?;
    let double = ConsulDouble::start(vec![
        KvPair::new(
            "traefik/http/routers/photos/rule",
            "Host(`photos.home.test`)",
        ),
        KvPair::new("traefik/http/routers/photos/entryPoints/0", "web"),
        KvPair::new("traefik/http/routers/photos/service", "photos"),
        KvPair::new(
            "traefik/http/services/photos/loadBalancer/servers/0/url",
            &lan.url(),
        ),
    ])
    .await?;
    let work = tempfile::tempdir()?;
    let spec = TraefikSpec::new(work.path()).with_consul(double.addr());
    let mut traefik = Traefik::start(&spec).await?;

    let view = traefik.view().await?;
    let router = view
        .http
        .routers
        .get("photos@consul")
        .context("router photos@consul missing")?;
    assert_eq!(router.status, "enabled", "{view:?}");
    assert_eq!(
        routed_backend(&traefik, "photos.home.test")
            .await?
            .as_deref(),
        Some("photos")
    );
    assert_eq!(routed_backend(&traefik, "wiki.home.test").await?, None);

    // A change through the KV HTTP API (as `consul kv put` would do) reaches Traefik via its
    // blocking watch.
    let lines = traefik.log_line_count();
    let base = format!("http://{}/v1/kv/traefik/http", double.addr());
    for (key, value) in [
        ("routers/wiki/rule", "Host(`wiki.home.test`)".to_owned()),
        ("routers/wiki/service", "wiki".to_owned()),
        ("services/wiki/loadBalancer/servers/0/url", other.url()),
    ] {
        let ok = client()
            .put(format!("{base}/{key}"))
            .body(value)
            .send()
            .await?
            .text()
            .await?;
        assert_eq!(ok, "true");
    }
    traefik
        .wait_for_reload("consul", lines, Duration::from_secs(20))
        .await?;
    assert_eq!(
        routed_backend(&traefik, "wiki.home.test").await?.as_deref(),
        Some("wiki")
    );
    assert_eq!(
        routed_backend(&traefik, "photos.home.test")
            .await?
            .as_deref(),
        Some("photos")
    );

    // Traefik's access pattern: connection probe, recursive list, blocking watch on the index.
    let requests = double.requests();
    let joined = requests.join("\n");
    assert!(
        requests.iter().any(|r| r.starts_with(
            "GET /v1/kv/traefik/qmslkjdfmqlskdjfmqlksjazcueznbvbwzlkajzebvkwjdcqmlsfj"
        )),
        "{joined}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("GET /v1/kv/traefik?") && r.contains("recurse")),
        "{joined}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.contains("recurse") && r.contains("index=") && r.contains("wait=")),
        "{joined}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.starts_with("GET /v1/kv/") || r.starts_with("PUT /v1/kv/")),
        "{joined}"
    );
    drop(traefik);
    Ok(())
}

#[tokio::test]
async fn real_traefik_follows_a_transaction() -> Result<()> {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let photos = Backend::start("photos").await?;
    let wiki = Backend::start("wiki").await?;
    let double = ConsulDouble::start(vec![
        KvPair::new(
            "traefik/http/routers/photos/rule",
            "Host(`photos.home.test`)",
        ),
        KvPair::new("traefik/http/routers/photos/service", "photos"),
        KvPair::new(
            "traefik/http/services/photos/loadBalancer/servers/0/url",
            &photos.url(),
        ),
    ])
    .await?;
    let work = tempfile::tempdir()?;
    let spec = TraefikSpec::new(work.path()).with_consul(double.addr());
    let mut traefik = Traefik::start(&spec).await?;
    assert_eq!(
        routed_backend(&traefik, "photos.home.test")
            .await?
            .as_deref(),
        Some("photos")
    );

    // One transaction swaps the whole configuration: photos removed, wiki added.
    let lines = traefik.log_line_count();
    let ops = serde_json::json!([
        {"KV": {"Verb": "check-not-exists", "Key": "traefik/http/routers/wiki/rule"}},
        {"KV": {"Verb": "delete-tree", "Key": "traefik/http/routers/photos/"}},
        {"KV": {"Verb": "delete-tree", "Key": "traefik/http/services/photos/"}},
        {"KV": {"Verb": "set", "Key": "traefik/http/routers/wiki/rule", "Value": b64("Host(`wiki.home.test`)")}},
        {"KV": {"Verb": "set", "Key": "traefik/http/routers/wiki/service", "Value": b64("wiki")}},
        {"KV": {"Verb": "set", "Key": "traefik/http/services/wiki/loadBalancer/servers/0/url", "Value": b64(&wiki.url())}},
    ]);
    let response = client()
        .put(format!("http://{}/v1/txn", double.addr()))
        .json(&ops)
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    traefik
        .wait_for_reload("consul", lines, Duration::from_secs(20))
        .await?;
    assert_eq!(
        routed_backend(&traefik, "wiki.home.test").await?.as_deref(),
        Some("wiki")
    );
    assert_eq!(routed_backend(&traefik, "photos.home.test").await?, None);

    // A rolled-back transaction changes nothing Traefik sees.
    // (Operations see the transaction's own earlier writes: the check comes first.)
    let ops = serde_json::json!([
        {"KV": {"Verb": "check-not-exists", "Key": "traefik/http/routers/wiki/rule"}},
        {"KV": {"Verb": "delete-tree", "Key": "traefik/http/"}},
    ]);
    let response = client()
        .put(format!("http://{}/v1/txn", double.addr()))
        .json(&ops)
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 409);
    let body: serde_json::Value = response.json().await?;
    assert_eq!(body["Errors"][0]["OpIndex"], 0);
    assert_eq!(
        body["Errors"][0]["What"],
        "key \"traefik/http/routers/wiki/rule\" exists"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let view = traefik.view().await?;
    assert_eq!(
        view.http
            .routers
            .get("wiki@consul")
            .map(|r| r.status.as_str()),
        Some("enabled"),
        "{view:?}"
    );
    assert!(!view.http.routers.contains_key("photos@consul"), "{view:?}");
    drop(traefik);
    Ok(())
}

#[tokio::test]
async fn faults_tokens_and_limits() -> Result<()> {
    use sync_tests::consul_double::{
        Acl, AclToken, DoubleOptions, KV_MAX_VALUE_SIZE, KeyPolicy, KeyPrefixRule,
    };
    let acl = Acl {
        tokens: vec![AclToken::new(
            "w",
            "acc-w",
            vec![KeyPrefixRule::new("", KeyPolicy::Write)],
        )],
        anonymous: vec![KeyPrefixRule::new("pub/", KeyPolicy::Read)],
    };
    let mut double = ConsulDouble::start_with(
        vec![KvPair::new("pub/a", "1"), KvPair::new("priv/b", "2")],
        DoubleOptions {
            acl: Some(acl),
            ..DoubleOptions::default()
        },
    )
    .await?;
    let base = format!("http://{}/v1/kv", double.addr());

    // Tokens: header, Bearer, ?token=; anonymous sees only what its rules allow.
    for request in [
        client()
            .get(format!("{base}/priv/b?raw"))
            .header("X-Consul-Token", "w"),
        client()
            .get(format!("{base}/priv/b?raw"))
            .header("Authorization", "Bearer w"),
        client().get(format!("{base}/priv/b?raw&token=w")),
    ] {
        let response = request.send().await?;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.text().await?, "2");
    }
    let response = client().get(format!("{base}/?recurse")).send().await?;
    assert_eq!(
        response
            .headers()
            .get("X-Consul-Results-Filtered-By-ACLs")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let body = response.text().await?;
    assert!(body.contains("pub/a") && !body.contains("priv/b"), "{body}");

    // Limits and malformed requests, with Consul's texts.
    let big = vec![b'x'; KV_MAX_VALUE_SIZE + 1];
    let response = client()
        .put(format!("{base}/priv/big?token=w"))
        .body(big)
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        response.text().await?,
        "Request body(524289 bytes) too large, max size: 524288 bytes. See \
         https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size."
    );
    let response = client()
        .delete(format!("{base}/priv/?recurse&cas=3&token=w"))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.text().await?.starts_with("Conflicting flags"));
    let (status, _, body) = get(&format!("{base}/pub/a?index=x")).await?;
    assert_eq!(
        (status, body.as_str()),
        (500, "strconv.ParseUint: parsing \"x\": invalid syntax")
    );

    // Failing on purpose: every request answers the status; then normal again.
    double.set_failing(Some(503));
    let (status, _, body) = get(&format!("{base}/pub/a")).await?;
    assert_eq!((status, body.as_str()), (503, "No cluster leader"));
    double.set_failing(None);
    assert_eq!(get(&format!("{base}/pub/a")).await?.0, 200);

    // Pause: a blocking query in flight answers at once, the port refuses connections;
    // resume: the same port, the same data.
    let index = double.index();
    let waiter = tokio::spawn({
        let url = format!("{base}/pub/a?index={index}&wait=30s");
        async move { get(&url).await }
    });
    // Pause only once the blocking query is being served.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !double
        .requests()
        .iter()
        .any(|r| r.contains(&format!("index={index}&wait=30s")))
    {
        assert!(
            Instant::now() < deadline,
            "the blocking query never arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    double.pause().await?;
    let (status, _, _) = waiter.await??;
    assert_eq!(status, 500);
    assert!(started.elapsed() < Duration::from_secs(5));
    let refused = client().get(format!("{base}/pub/a")).send().await;
    assert!(
        refused.is_err_and(|e| e.is_connect()),
        "the port should be closed"
    );
    double.put("pub/c", "while-down");
    double.resume().await?;
    let (status, _, body) = get(&format!("{base}/pub/c?raw")).await?;
    assert_eq!((status, body.as_str()), (200, "while-down"));
    assert!(double.request_count() >= 9);
    Ok(())
}
