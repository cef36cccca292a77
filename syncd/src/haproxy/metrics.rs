//! Prometheus metrics and the `/metrics` + `/healthz` HTTP endpoints.

use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BackendLabel {
    pub backend: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    pub stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HoldLabel {
    pub backend: String,
    pub reason: String,
}

/// All metrics of `haproxy-sync` (names prefixed `traefik_sync_haproxy_`).
pub struct Metrics {
    registry: Registry,
    pub backend_servers: Family<BackendLabel, Gauge>,
    pub changes_applied: Family<BackendLabel, Counter>,
    pub failures: Family<StageLabel, Counter>,
    pub safety_holds: Family<HoldLabel, Counter>,
    pub reloads: Counter,
    pub last_success: Gauge<f64, AtomicU64>,
    pub node_source_up: Gauge<i64, AtomicI64>,
    /// Last error text for `/healthz` (None when the last round succeeded).
    pub last_error: Mutex<Option<String>>,
    /// Last persistence error (None once a write succeeded).
    pub persist_error: Mutex<Option<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("traefik_sync_haproxy");
        let backend_servers = Family::<BackendLabel, Gauge>::default();
        let changes_applied = Family::<BackendLabel, Counter>::default();
        let failures = Family::<StageLabel, Counter>::default();
        let safety_holds = Family::<HoldLabel, Counter>::default();
        let reloads = Counter::default();
        let last_success = Gauge::<f64, AtomicU64>::default();
        let node_source_up = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "backend_servers",
            "Servers in each managed backend after the last sync",
            backend_servers.clone(),
        );
        registry.register(
            "changes_applied",
            "Membership changes applied through the runtime API",
            changes_applied.clone(),
        );
        registry.register(
            "failures",
            "Failed sync stages (node-source, plan, runtime, persist, reload)",
            failures.clone(),
        );
        registry.register(
            "safety_holds",
            "Plans held back by a safety rule (empty backend, removal limit)",
            safety_holds.clone(),
        );
        registry.register(
            "reloads",
            "HAProxy reloads for structural changes",
            reloads.clone(),
        );
        registry.register(
            "last_success_timestamp_seconds",
            "Unix time of the last successful sync",
            last_success.clone(),
        );
        registry.register(
            "node_source_up",
            "1 when the node source delivered data on its last attempt",
            node_source_up.clone(),
        );
        Metrics {
            registry,
            backend_servers,
            changes_applied,
            failures,
            safety_holds,
            reloads,
            last_success,
            node_source_up,
            last_error: Mutex::new(None),
            persist_error: Mutex::new(None),
        }
    }

    pub fn fail(&self, stage: &str, error: String) {
        self.failures
            .get_or_create(&StageLabel {
                stage: stage.to_string(),
            })
            .inc();
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some(format!("{stage}: {error}"));
        }
    }

    pub fn success(&self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        self.last_success.set(now);
        if let Ok(mut e) = self.last_error.lock() {
            *e = None;
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

async fn metrics(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
}

async fn healthz(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    let err = m
        .last_error
        .lock()
        .ok()
        .and_then(|e| e.clone())
        .or_else(|| {
            m.persist_error
                .lock()
                .ok()
                .and_then(|e| e.clone())
                .map(|e| format!("persist: {e}"))
        });
    match err {
        None if m.last_success.get() > 0.0 => (StatusCode::OK, "ok\n".to_string()),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "no successful sync yet\n".to_string(),
        ),
        Some(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")),
    }
}

/// Router serving `/metrics` and `/healthz`.
pub fn router(m: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(m)
}
