//! syncd's HTTP API (axum).
//!
//! | method, path | answer |
//! |---|---|
//! | `GET /v1/report` | the merged view's report (the JSON contract of `syncctl validate --format json`); header `X-Syncd-Generation` |
//! | `POST /v1/validate` | the report the whole view would have with ONE provider replaced by the candidate in the body (below); 400 with `{"error": ...}` for a bad body; bodies over [`MAX_BODY`] get 413 |
//! | `GET /healthz` | 200 `ok` while the process runs |
//! | `GET /readyz` | 200 once every enabled source finished its first read, else 503; both with `{"ready": bool, "generation": n, "sources": [...]}` |
//! | `GET /metrics` | Prometheus/OpenMetrics text, names `traefik_sync_*` |
//! | `GET /` | a placeholder page (the status page replaces it) |
//!
//! `POST /v1/validate` bodies, one provider each:
//!
//! ```json
//! {"provider": "file", "files": [{"path": "a.yml", "content": "http: ..."}]}
//! {"provider": "kubernetescrd", "objects": [{"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute", ...}]}
//! {"provider": "consul", "pairs": [{"key": "traefik/http/routers/r/rule", "value": "<base64, as `consul kv export`>"}]}
//! ```
//!
//! For `kubernetescrd` the objects replace the whole CRD set (Services and
//! Secrets included): send the complete candidate set, not a diff.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use sync_core::decode::file_provider::SourceFile;
use sync_core::provider::ProviderConfig;
use sync_core::report::Report;
use tokio::sync::watch;

use super::metrics::Metrics;
use crate::view::{CrdChange, CrdObjects, Snapshot};

/// Largest accepted `POST /v1/validate` body (16 MiB).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// Response header carrying the view's generation.
pub const GENERATION_HEADER: &str = "x-syncd-generation";

/// What the HTTP handlers share (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The latest snapshot of the merged view.
    pub snapshot: watch::Receiver<Arc<Snapshot>>,
    /// Whether this replica is the leader.
    pub is_leader: watch::Receiver<bool>,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// The Consul gate's reports, when the gate runs (shown on the page).
    pub gate: Option<watch::Receiver<crate::consul_gate::driver::GateReport>>,
}

/// The whole API as one router (the integrator merges more routes into it).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/v1/report", get(report))
        .route("/v1/validate", post(validate))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

fn json_response(status: StatusCode, generation: u64, body: Vec<u8>) -> Response {
    let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    resp.headers_mut().insert(
        HeaderName::from_static(GENERATION_HEADER),
        HeaderValue::from(generation),
    );
    resp
}

fn report_response(generation: u64, report: &Report) -> Response {
    match serde_json::to_vec_pretty(report) {
        Ok(body) => json_response(StatusCode::OK, generation, body),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("report: {e}")),
    }
}

fn error(status: StatusCode, message: String) -> Response {
    let body = serde_json::to_vec(&json!({"error": message})).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn index(State(s): State<AppState>) -> Html<String> {
    let snap = s.snapshot.borrow().clone();
    let gate = s.gate.as_ref().and_then(|g| g.borrow().last.clone());
    Html(crate::status_page::render_with_gate(&snap, gate.as_ref()))
}

async fn report(State(s): State<AppState>) -> Response {
    let snap = s.snapshot.borrow().clone();
    report_response(snap.generation, &snap.report)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Whether every enabled source finished its first read (and a snapshot
/// reflecting that was computed).
pub fn is_ready(snap: &Snapshot) -> bool {
    snap.generation > 0 && snap.sources.iter().all(|s| s.synced)
}

async fn readyz(State(s): State<AppState>) -> Response {
    let snap = s.snapshot.borrow().clone();
    let ready = is_ready(&snap);
    let body = json!({
        "ready": ready,
        "generation": snap.generation,
        "leader": *s.is_leader.borrow(),
        "sources": snap.sources,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(
        status,
        snap.generation,
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    )
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

/// A `POST /v1/validate` body.
#[derive(Debug, Deserialize)]
#[serde(tag = "provider", deny_unknown_fields)]
pub enum Candidate {
    /// The file provider's files.
    #[serde(rename = "file")]
    File {
        /// Files, each with its path (for locations) and text.
        files: Vec<CandidateFile>,
    },
    /// The complete set of Kubernetes objects.
    #[serde(rename = "kubernetescrd")]
    KubernetesCrd {
        /// Objects as JSON (as `kubectl get -o json` items).
        objects: Vec<Value>,
    },
    /// Consul KV pairs in `consul kv export` format.
    #[serde(rename = "consul")]
    Consul {
        /// `[{"key": .., "value": "<base64>"}]`.
        pairs: Value,
    },
}

/// One file of a file-provider candidate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateFile {
    /// Path shown in findings.
    pub path: String,
    /// File text.
    pub content: String,
}

/// Decode a candidate into the provider it stands for, in the context of `snap`.
pub fn decode_candidate(snap: &Snapshot, c: Candidate) -> Result<ProviderConfig, String> {
    match c {
        Candidate::File { files } => {
            let files: Vec<SourceFile> = files
                .into_iter()
                .map(|f| SourceFile {
                    path: f.path,
                    content: f.content.into_bytes(),
                })
                .collect();
            Ok(sync_core::decode::file_provider::decode_provider(&files))
        }
        Candidate::KubernetesCrd { objects } => {
            let mut crd = CrdObjects::default();
            for (i, obj) in objects.into_iter().enumerate() {
                if crate::view::ObjectRef::of(&obj).is_none() {
                    return Err(format!(
                        "objects[{i}]: an object needs `kind` and `metadata.name`"
                    ));
                }
                crd.apply(&CrdChange::Apply(obj));
            }
            Ok(crd.decode(&snap.inputs.crd_options()))
        }
        Candidate::Consul { pairs } => {
            let text = serde_json::to_vec(&pairs).map_err(|e| format!("pairs: {e}"))?;
            let pairs = sync_core::decode::consul_kv::parse_export(&text)
                .map_err(|e| format!("pairs: {e}"))?;
            let root = snap
                .inputs
                .static_cfg
                .as_ref()
                .and_then(|s| s.consul_root_key.clone())
                .unwrap_or_else(|| "traefik".into());
            Ok(sync_core::decode::consul_kv::decode_provider(&pairs, &root))
        }
    }
}

async fn validate(State(s): State<AppState>, body: Bytes) -> Response {
    let candidate: Candidate = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "request body: {e} (expected {{\"provider\": \"file\"|\"kubernetescrd\"|\"consul\", ...}})"
                ),
            );
        }
    };
    let snap = s.snapshot.borrow().clone();
    let done = tokio::task::spawn_blocking(move || {
        let provider = decode_candidate(&snap, candidate)?;
        Ok::<_, String>((snap.generation, snap.inputs.report_with(provider)))
    })
    .await;
    match done {
        Ok(Ok((generation, report))) => report_response(generation, &report),
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
