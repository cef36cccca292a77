//! Starting the Consul source and gate inside `syncd run`: the two prefix
//! watches, their health as view sources, the gate task, its metrics and its
//! HTTP endpoint (`GET /v1/consul`).

use super::driver::{self, GateConfig, GateReport};
use super::machine::Mode;
use crate::consul::{ConsulClient, PrefixWatch, WatchHealth, WatchOptions};
use crate::daemon::view_loop::{Update, source};
use crate::view::Snapshot;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Health source name of the staging watch (the live one is [`source::CONSUL`]).
pub const STAGING_SOURCE: &str = "consul-staging";

/// Labels of the gate's run counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabel {
    /// `promoted`, `unchanged`, `rejected`, `conflict`, `audit`, `accepted`, `error`.
    pub verdict: String,
}

/// The gate's metrics.
#[derive(Clone, Default)]
pub struct GateMetrics {
    runs: Family<VerdictLabel, Counter>,
}

impl GateMetrics {
    /// Register `traefik_sync_consul_gate_runs_total{verdict}`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "traefik_sync_consul_gate_runs",
            "Judgements of the Consul staging prefix (or of live in audit mode), by verdict",
            m.runs.clone(),
        );
        m
    }
}

/// What a running gate hands back.
pub struct GateHandles {
    /// The last status document and counters.
    pub report: watch::Receiver<GateReport>,
    /// Kept alive for the daemon's lifetime (dropping stops the watches).
    pub watches: Vec<PrefixWatch>,
}

/// Start the watches and the gate. The live prefix feeds the view as the
/// `consul` source; in promote mode the staging prefix is watched too.
pub fn spawn(
    client: ConsulClient,
    cfg: GateConfig,
    updates: mpsc::Sender<Update>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    leader: watch::Receiver<bool>,
    shutdown: watch::Receiver<bool>,
    metrics: GateMetrics,
) -> GateHandles {
    let live = PrefixWatch::spawn(client.clone(), &cfg.live_prefix, WatchOptions::default());
    forward_health(
        live.subscribe_health(),
        source::CONSUL,
        &cfg.live_prefix,
        updates.clone(),
    );
    let mut watches = vec![];
    let staging_rx = if cfg.mode == Mode::Promote {
        let staging =
            PrefixWatch::spawn(client.clone(), &cfg.staging_prefix, WatchOptions::default());
        forward_health(
            staging.subscribe_health(),
            STAGING_SOURCE,
            &cfg.staging_prefix,
            updates.clone(),
        );
        let rx = staging.subscribe();
        watches.push(staging);
        rx
    } else {
        watch::channel(None).1
    };
    let live_rx = live.subscribe();
    watches.push(live);
    let (report_tx, report_rx) = watch::channel(GateReport::default());
    count_verdicts(report_rx.clone(), metrics);
    tokio::spawn(driver::run(
        client, cfg, staging_rx, live_rx, snapshots, leader, report_tx, updates, shutdown,
    ));
    GateHandles {
        report: report_rx,
        watches,
    }
}

fn forward_health(
    mut health: watch::Receiver<WatchHealth>,
    name: &'static str,
    prefix: &str,
    updates: mpsc::Sender<Update>,
) {
    let prefix = prefix.to_string();
    tokio::spawn(async move {
        loop {
            let h = health.borrow_and_update().clone();
            let detail = match (&h.last_error, h.healthy) {
                (Some(e), false) => format!("{prefix}: {e}"),
                _ => format!("watching {prefix} (index {})", h.index),
            };
            let update = Update::Health {
                source: name.to_string(),
                healthy: h.healthy,
                synced: h.last_success.is_some(),
                detail,
            };
            if updates.send(update).await.is_err() || health.changed().await.is_err() {
                return;
            }
        }
    });
}

fn count_verdicts(mut report: watch::Receiver<GateReport>, metrics: GateMetrics) {
    tokio::spawn(async move {
        let mut seen: Option<(String, u64, String)> = None;
        while report.changed().await.is_ok() {
            let r = report.borrow_and_update().clone();
            let Some(doc) = r.last else { continue };
            let key = (
                doc.verdict.clone(),
                doc.staging_index,
                doc.checked_at.clone(),
            );
            if seen.as_ref() != Some(&key) {
                metrics
                    .runs
                    .get_or_create(&VerdictLabel {
                        verdict: doc.verdict.clone(),
                    })
                    .inc();
                seen = Some(key);
            }
        }
    });
}

/// `GET /v1/consul`: the gate's last status document (the same JSON as the
/// status key), 404 before the first judgement.
pub fn router(report: watch::Receiver<GateReport>) -> Router {
    Router::new()
        .route("/v1/consul", get(status))
        .with_state(report)
}

async fn status(State(report): State<watch::Receiver<GateReport>>) -> Response {
    let r = report.borrow().clone();
    match r.last {
        Some(doc) => axum::Json(serde_json::json!({
            "status": doc,
            "promotions": r.promotions,
            "rejections": r.rejections,
        }))
        .into_response(),
        None => (
            http::StatusCode::NOT_FOUND,
            "the Consul gate has not judged a revision yet (is the staging prefix empty?)\n",
        )
            .into_response(),
    }
}
