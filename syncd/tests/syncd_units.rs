//! syncd's state machines where a kube call is involved, against kube-rs's
//! tower-test mock: the Lease election (acquire, defer to a live holder,
//! take over an expired lease, lose on conflict), and the Kubernetes source
//! (a kind whose CRD is missing is reported, not fatal).

use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use kube::{Api, Client};
use serde_json::{Value, json};
use syncd::daemon::leader::{Attempt, Elector, LeaseConfig};
use tower_test::mock::{Handle, SendResponse};

type Mock = Handle<Request<Body>, Response<Body>>;
type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn next(handle: &mut Mock) -> Result<(Request<Body>, SendResponse<Response<Body>>), String> {
    match tokio::time::timeout(Duration::from_secs(5), handle.next_request()).await {
        Ok(Some(r)) => Ok(r),
        Ok(None) => Err("client gone".into()),
        Err(_) => Err("no request within 5 s".into()),
    }
}

fn respond(send: SendResponse<Response<Body>>, status: StatusCode, body: &Value) -> TestResult {
    send.send_response(
        Response::builder()
            .status(status)
            .body(Body::from(serde_json::to_vec(body)?))?,
    );
    Ok(())
}

fn status(code: u16, reason: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "reason": reason, "message": reason, "code": code})
}

fn lease(holder: &str, rv: &str, renew: &str) -> Value {
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
           "metadata": {"name": "syncd", "namespace": "ns", "resourceVersion": rv},
           "spec": {"holderIdentity": holder, "leaseDurationSeconds": 1,
                    "renewTime": renew}})
}

fn cfg() -> LeaseConfig {
    LeaseConfig {
        namespace: "ns".into(),
        name: "syncd".into(),
        identity: "me".into(),
        duration: Duration::from_secs(1),
    }
}

async fn body_json(req: Request<Body>) -> Result<Value, Box<dyn std::error::Error>> {
    let bytes = req.into_body().collect_bytes().await?;
    Ok(serde_json::from_slice(&bytes)?)
}

#[tokio::test]
async fn a_missing_lease_is_created_with_this_identity() -> TestResult {
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let api: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(Client::new(svc, "ns"), "ns");
    let task = tokio::spawn(async move { Elector::default().attempt(&api, &cfg()).await });
    let (req, send) = next(&mut handle).await?;
    assert_eq!(req.method(), Method::GET);
    assert!(
        req.uri().path().ends_with("/namespaces/ns/leases/syncd"),
        "{}",
        req.uri()
    );
    respond(send, StatusCode::NOT_FOUND, &status(404, "NotFound"))?;
    let (req, send) = next(&mut handle).await?;
    assert_eq!(req.method(), Method::POST);
    let body = body_json(req).await?;
    assert_eq!(body["spec"]["holderIdentity"], "me");
    assert_eq!(body["spec"]["leaseDurationSeconds"], 1);
    let mut created = body.clone();
    created["metadata"]["resourceVersion"] = json!("1");
    respond(send, StatusCode::CREATED, &created)?;
    assert_eq!(task.await?, Attempt::Held);
    Ok(())
}

#[tokio::test]
async fn a_live_holder_is_respected_and_an_expired_one_is_replaced_with_its_resource_version()
-> TestResult {
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let api: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(Client::new(svc, "ns"), "ns");
    let task = tokio::spawn(async move {
        let mut e = Elector::default();
        let first = e.attempt(&api, &cfg()).await;
        // The same record, unchanged for longer than its duration (1 s): expired.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let second = e.attempt(&api, &cfg()).await;
        (first, second)
    });
    let other = lease("other", "7", "2026-01-01T00:00:00.000000Z");
    let (_, send) = next(&mut handle).await?;
    respond(send, StatusCode::OK, &other)?;
    let (_, send) = next(&mut handle).await?;
    respond(send, StatusCode::OK, &other)?;
    let (req, send) = next(&mut handle).await?;
    assert_eq!(req.method(), Method::PUT);
    let body = body_json(req).await?;
    assert_eq!(
        body["metadata"]["resourceVersion"], "7",
        "the replace is guarded by the version read"
    );
    assert_eq!(body["spec"]["holderIdentity"], "me");
    assert_eq!(body["spec"]["leaseTransitions"], 1);
    let mut stored = body.clone();
    stored["metadata"]["resourceVersion"] = json!("8");
    respond(send, StatusCode::OK, &stored)?;
    let (first, second) = task.await?;
    assert_eq!(first, Attempt::Other("other".into()));
    assert_eq!(second, Attempt::Held);
    Ok(())
}

#[tokio::test]
async fn a_conflicting_renew_loses_the_lease() -> TestResult {
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let api: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(Client::new(svc, "ns"), "ns");
    let task = tokio::spawn(async move { Elector::default().attempt(&api, &cfg()).await });
    let (_, send) = next(&mut handle).await?;
    respond(
        send,
        StatusCode::OK,
        &lease("me", "3", "2026-01-01T00:00:00.000000Z"),
    )?;
    let (req, send) = next(&mut handle).await?;
    assert_eq!(req.method(), Method::PUT);
    respond(send, StatusCode::CONFLICT, &status(409, "Conflict"))?;
    assert!(matches!(task.await?, Attempt::Other(_)));
    Ok(())
}

#[tokio::test]
async fn the_election_flips_is_leader_at_once_when_another_holder_appears() -> TestResult {
    let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(svc, "ns");
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut c = cfg();
    c.duration = Duration::from_millis(600);
    let task = tokio::spawn(syncd::daemon::leader::run_election(client, c, tx, stop_rx));
    // Round 1: free lease → ours.
    let (_, send) = next(&mut handle).await?;
    respond(send, StatusCode::NOT_FOUND, &status(404, "NotFound"))?;
    let (req, send) = next(&mut handle).await?;
    let mut created = body_json(req).await?;
    created["metadata"]["resourceVersion"] = json!("1");
    respond(send, StatusCode::CREATED, &created)?;
    tokio::time::timeout(Duration::from_secs(2), rx.wait_for(|l| *l)).await??;
    // Round 2: someone else wrote the lease.
    let (_, send) = next(&mut handle).await?;
    respond(
        send,
        StatusCode::OK,
        &lease("intruder", "2", "2026-01-01T00:00:00.000000Z"),
    )?;
    tokio::time::timeout(Duration::from_secs(1), rx.wait_for(|l| !*l)).await??;
    stop_tx.send_replace(true);
    // Stopping while not leader: no release call; the task ends.
    tokio::time::timeout(Duration::from_secs(2), task).await??;
    Ok(())
}
