//! The Kubernetes node source with kube-rs's tower-test mock pattern: the watcher's list
//! and watch requests are answered by the test, node sets come out of the channel.

use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use kube::Client;
use kube::client::Body;
use kube::runtime::reflector::store::Writer;
use serde_json::json;
use syncd::haproxy::file_source::NodeSet;
use syncd::haproxy::kube_source::{WatchEnd, watch_nodes};
use syncd::haproxy::metrics::Metrics;
use tokio::sync::watch;
use tower_test::mock::{Handle, SendResponse};

type Mock = Handle<Request<Body>, Response<Body>>;
type TestResult = Result<(), Box<dyn std::error::Error>>;

fn node(name: &str, ip: &str, ready: bool) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "resourceVersion": "1", "labels": {"kubernetes.io/hostname": name}},
        "status": {"addresses": [{"type": "InternalIP", "address": ip}],
                   "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}
    })
}

async fn next(handle: &mut Mock) -> Result<(Request<Body>, SendResponse<Response<Body>>), String> {
    match tokio::time::timeout(Duration::from_secs(5), handle.next_request()).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err("client gone".into()),
        Err(_) => Err("no request within 5 s".into()),
    }
}

fn ok(body: Vec<u8>) -> Result<Response<Body>, http::Error> {
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::from(body))
}

async fn wait_nodes(rx: &mut watch::Receiver<NodeSet>, want: &[&str]) -> Result<(), String> {
    let f = async {
        loop {
            let names: Option<Vec<String>> = rx
                .borrow_and_update()
                .as_ref()
                .map(|n| n.iter().map(|n| n.name.clone()).collect());
            if names
                .as_deref()
                .map(|n| n.iter().map(String::as_str).collect::<Vec<_>>())
                == Some(want.to_vec())
            {
                return;
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), f)
        .await
        .map_err(|_| format!("node set never became {want:?}: {:?}", rx.borrow()))
}

#[tokio::test]
async fn list_then_watch_events_publish_node_sets() -> TestResult {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(svc, "default");
    let (tx, mut rx) = watch::channel::<NodeSet>(None);
    let metrics = Arc::new(Metrics::new());
    let m = metrics.clone();
    let task = tokio::spawn(async move {
        let mut writer = Writer::default();
        watch_nodes(client, &mut writer, &tx, &m, 3).await
    });

    // 1. The initial list.
    let (req, send) = next(&mut handle).await?;
    assert_eq!(req.method(), http::Method::GET);
    assert_eq!(req.uri().path(), "/api/v1/nodes");
    assert!(!req.uri().query().unwrap_or("").contains("watch=true"));
    let list = json!({"apiVersion": "v1", "kind": "NodeList", "metadata": {"resourceVersion": "10"},
                      "items": [node("w1", "10.0.0.1", true), node("w2", "10.0.0.2", true)]});
    send.send_response(ok(serde_json::to_vec(&list)?)?);
    wait_nodes(&mut rx, &["w1", "w2"]).await?;

    // 2. The watch from resourceVersion 10: one node added, one deleted, one modified.
    let (req, send) = next(&mut handle).await?;
    let q = req.uri().query().unwrap_or("").to_string();
    assert!(
        q.contains("watch=true") && q.contains("resourceVersion=10"),
        "{q}"
    );
    let mut body = Vec::new();
    for (ty, obj) in [
        ("ADDED", node("w3", "10.0.0.3", true)),
        ("DELETED", node("w1", "10.0.0.1", true)),
        ("MODIFIED", node("w2", "10.0.0.2", false)),
    ] {
        body.extend(serde_json::to_vec(&json!({"type": ty, "object": obj}))?);
        body.push(b'\n');
    }
    send.send_response(ok(body)?);
    wait_nodes(&mut rx, &["w2", "w3"]).await?;
    let w2_ready = rx
        .borrow()
        .as_ref()
        .and_then(|n| n.iter().find(|n| n.name == "w2").map(|n| n.ready));
    assert_eq!(w2_ready, Some(Some(false)));
    assert!(
        metrics
            .encode()
            .contains("traefik_sync_haproxy_node_source_up 1")
    );

    // 3. The API goes away: errors, the last node set stays, then the endpoint is given up.
    for _ in 0..3 {
        let (_req, send) = next(&mut handle).await?;
        let status = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                            "message": "etcdserver: leader changed", "reason": "InternalError", "code": 500});
        send.send_response(
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from(serde_json::to_vec(&status)?))?,
        );
    }
    let end = tokio::time::timeout(Duration::from_secs(10), task).await??;
    assert!(matches!(end, WatchEnd::Errors(_)), "{end:?}");
    let names: Vec<String> = rx
        .borrow()
        .as_ref()
        .map(|n| n.iter().map(|n| n.name.clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        names,
        vec!["w2", "w3"],
        "node source down must keep the last node set"
    );
    assert!(
        metrics
            .encode()
            .contains("traefik_sync_haproxy_node_source_up 0")
    );
    Ok(())
}

#[tokio::test]
async fn unreachable_api_publishes_nothing() -> TestResult {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(svc, "default");
    let (tx, rx) = watch::channel::<NodeSet>(None);
    let metrics = Metrics::new();
    let task = tokio::spawn(async move {
        let mut writer = Writer::default();
        watch_nodes(client, &mut writer, &tx, &metrics, 2).await
    });
    let mut requests = 0;
    while !task.is_finished() && requests < 10 {
        let Ok(Some((_req, send))) =
            tokio::time::timeout(Duration::from_secs(2), handle.next_request()).await
        else {
            continue;
        };
        requests += 1;
        send.send_error(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
    }
    assert_eq!(
        requests, 2,
        "the endpoint is given up after 2 consecutive errors"
    );
    let end = tokio::time::timeout(Duration::from_secs(10), task).await??;
    assert!(matches!(end, WatchEnd::Errors(_)));
    assert!(
        rx.borrow().is_none(),
        "no node set may be published without a successful list"
    );
    Ok(())
}
