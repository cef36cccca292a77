//! haproxy-sync with the Kubernetes source against a process-level test double of the API's
//! list and watch for Nodes (no API server can be installed here), and a real HAProxy.

mod haproxy_support;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use haproxy_support::*;
use serde_json::json;
use tokio::sync::broadcast;

const SEC: Duration = Duration::from_secs(1);
const FDRAIN: u32 = 0x08;

#[derive(Default)]
struct Store {
    rv: u64,
    nodes: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone)]
struct Shared {
    store: Arc<Mutex<Store>>,
    events: broadcast::Sender<String>,
}

async fn nodes(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("watch").is_some_and(|v| v == "true" || v == "1") {
        let rx = s.events.subscribe();
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(line) => return Some((Ok::<_, Infallible>(Bytes::from(line)), rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        return Response::new(Body::from_stream(stream));
    }
    let (rv, items) = match s.store.lock() {
        Ok(st) => (st.rv, st.nodes.values().cloned().collect::<Vec<_>>()),
        Err(_) => (0, vec![]),
    };
    let list = json!({"apiVersion": "v1", "kind": "NodeList",
                      "metadata": {"resourceVersion": rv.to_string()}, "items": items});
    Response::new(Body::from(list.to_string()))
}

/// List + watch for Nodes on `addr`, on its own runtime; `stop` drops every connection.
struct ApiDouble {
    rt: Option<tokio::runtime::Runtime>,
    shared: Shared,
    url: String,
}

impl ApiDouble {
    fn start(ip: &str, port: u16, initial: &[TestNode]) -> Self {
        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("{e}"),
        };
        let (events, _) = broadcast::channel(1024);
        let shared = Shared {
            store: Arc::default(),
            events,
        };
        for n in initial {
            Self::put(&shared, n, "ADDED");
        }
        let listener = match rt.block_on(tokio::net::TcpListener::bind((ip, port))) {
            Ok(l) => l,
            Err(e) => panic!("bind {ip}:{port}: {e}"),
        };
        let app = Router::new()
            .route("/api/v1/nodes", get(nodes))
            .with_state(shared.clone());
        rt.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ApiDouble {
            rt: Some(rt),
            shared,
            url: format!("http://{ip}:{port}"),
        }
    }

    fn put(shared: &Shared, n: &TestNode, kind: &str) {
        let Ok(mut st) = shared.store.lock() else {
            return;
        };
        st.rv += 1;
        let mut obj = n.json();
        obj["metadata"]["resourceVersion"] = st.rv.to_string().into();
        let kind = if kind == "ADDED" && st.nodes.contains_key(&n.name) {
            "MODIFIED"
        } else {
            kind
        };
        st.nodes.insert(n.name.clone(), obj.clone());
        let _ = shared
            .events
            .send(format!("{}\n", json!({"type": kind, "object": obj})));
    }

    fn apply(&self, n: &TestNode) {
        Self::put(&self.shared, n, "ADDED");
    }

    fn delete(&self, name: &str) {
        let Ok(mut st) = self.shared.store.lock() else {
            return;
        };
        st.rv += 1;
        if let Some(mut obj) = st.nodes.remove(name) {
            obj["metadata"]["resourceVersion"] = st.rv.to_string().into();
            let _ = self
                .shared
                .events
                .send(format!("{}\n", json!({"type": "DELETED", "object": obj})));
        }
    }

    fn stop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for ApiDouble {
    fn drop(&mut self) {
        self.stop();
    }
}

fn workers(n: usize) -> Vec<TestNode> {
    (0..n)
        .map(|i| TestNode::worker(&format!("w{i}"), &ip(i)))
        .collect()
}

#[test]
fn kube_changes_reach_the_runtime_within_one_second() -> TestResult {
    let bed = Bed::new(3, &workers(2));
    let _hp = bed.start_haproxy();
    let sock = bed.sock();
    let mut api = ApiDouble::start("127.0.0.1", free_port("127.0.0.1"), &workers(2));
    // The kubeconfig points at a VIP that is down; the explicit endpoint works.
    let vip = format!("http://127.0.0.1:{}", free_port("127.0.0.1"));
    let kc = bed.kubeconfig(&vip);
    let d = bed.start_daemon_kube(&kc, &["--api-endpoint", &api.url]);
    assert!(
        wait_until(15 * SEC, || d.http_get("/healthz").0 == 200),
        "{}",
        d.logs()
    );

    let mut nodes = workers(3);
    let t = Instant::now();
    api.apply(&nodes[2]);
    assert!(
        wait_until(SEC, || servers(&sock, "web")
            .get("w2")
            .is_some_and(|s| s.1 == 0)),
        "{}",
        d.logs()
    );
    let add = t.elapsed();

    nodes[1].ready = false;
    let t = Instant::now();
    api.apply(&nodes[1]);
    assert!(wait_until(SEC, || servers(&sock, "web")
        .get("w1")
        .is_some_and(|s| s.1 & FDRAIN != 0)));
    let drain = t.elapsed();

    let t = Instant::now();
    api.delete("w2");
    assert!(wait_until(SEC, || !servers(&sock, "web").contains_key("w2")));
    let del = t.elapsed();
    eprintln!("kube latency: add {add:?}, drain {drain:?}, remove {del:?}");

    // The API goes away: nothing is removed.
    let before = servers(&sock, "web");
    api.stop();
    assert!(
        wait_until(5 * SEC, || d.logs().contains("Kubernetes watch error")),
        "{}",
        d.logs()
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(servers(&sock, "web"), before);
    let (_, metrics) = d.http_get("/metrics");
    assert!(
        metrics.contains("traefik_sync_haproxy_node_source_up 0"),
        "{metrics}"
    );
    Ok(())
}

#[test]
fn kube_source_reaches_the_api_through_known_control_planes() -> TestResult {
    let mut nodes = workers(2);
    nodes.push(TestNode::control_plane("cp0", "127.0.0.50"));
    let bed = Bed::new(3, &nodes);
    let _hp = bed.start_haproxy();
    let sock = bed.sock();
    assert_eq!(servers(&sock, "k8s-api").len(), 1);
    // The API server double listens where HAProxy's API backend already points.
    let api = ApiDouble::start("127.0.0.50", bed.api_port, &nodes);
    let vip = format!("http://127.0.0.1:{}", free_port("127.0.0.1"));
    let kc = bed.kubeconfig(&vip);
    let d = bed.start_daemon_kube(&kc, &["--api-port", &bed.api_port.to_string()]);
    assert!(
        wait_until(15 * SEC, || d.http_get("/healthz").0 == 200),
        "{}",
        d.logs()
    );
    assert!(
        d.logs()
            .contains(&format!("endpoint=http://127.0.0.50:{}", bed.api_port)),
        "{}",
        d.logs()
    );
    nodes.push(TestNode::worker("w2", &ip(2)));
    api.apply(&nodes[3]);
    assert!(
        wait_until(SEC, || servers(&sock, "web").contains_key("w2")),
        "{}",
        d.logs()
    );
    assert_eq!(servers(&sock, "k8s-api").len(), 1);
    Ok(())
}
