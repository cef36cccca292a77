//! syncd's Prometheus metrics (names prefixed `traefik_sync_`).

use std::sync::atomic::{AtomicI64, AtomicU64};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sync_core::finding::Severity;
use sync_core::report::Report;

use crate::view::Snapshot;

/// Labels of `traefik_sync_routers`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouterLabels {
    /// `http`, `tcp` or `udp`.
    pub protocol: String,
    /// `enabled`, `warning` or `disabled`.
    pub status: String,
}

/// Labels of `traefik_sync_findings`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SeverityLabel {
    /// `error`, `warning` or `info`.
    pub severity: String,
}

/// Labels of the per-source gauges.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    /// `kubernetes`, `files`, `consul`, ...
    pub source: String,
}

/// All metrics of `syncd`; the integrator registers more on [`Metrics::registry_mut`]
/// before the server starts.
pub struct Metrics {
    registry: Registry,
    /// Time of one recomputation (decode of the changed sources + merge + validation).
    pub recompute_seconds: Histogram,
    /// Routers of the current report by protocol and status.
    pub routers: Family<RouterLabels, Gauge>,
    /// Findings of the current report by severity.
    pub findings: Family<SeverityLabel, Gauge>,
    /// 1 when a source's last read succeeded.
    pub source_healthy: Family<SourceLabel, Gauge>,
    /// Unix time of a source's last content change.
    pub source_last_change: Family<SourceLabel, Gauge<f64, AtomicU64>>,
    /// The view's generation.
    pub generation: Gauge,
    /// 1 while this replica holds the lease.
    pub is_leader: Gauge<i64, AtomicI64>,
    /// Kubernetes Events published.
    pub events_published: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every syncd metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("traefik_sync");
        let recompute_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        let routers = Family::<RouterLabels, Gauge>::default();
        let findings = Family::<SeverityLabel, Gauge>::default();
        let source_healthy = Family::<SourceLabel, Gauge>::default();
        let source_last_change = Family::<SourceLabel, Gauge<f64, AtomicU64>>::default();
        let generation = Gauge::default();
        let is_leader = Gauge::<i64, AtomicI64>::default();
        let events_published = Gauge::default();
        registry.register(
            "recompute_duration_seconds",
            "Time to recompute the merged view after a change",
            recompute_seconds.clone(),
        );
        registry.register(
            "routers",
            "Routers of the merged view by protocol and status",
            routers.clone(),
        );
        registry.register(
            "findings",
            "Findings of the merged view by severity",
            findings.clone(),
        );
        registry.register(
            "source_healthy",
            "1 when the source's last read succeeded",
            source_healthy.clone(),
        );
        registry.register(
            "source_last_change_timestamp_seconds",
            "Unix time of the source's last content change",
            source_last_change.clone(),
        );
        registry.register(
            "view_generation",
            "Generation of the merged view",
            generation.clone(),
        );
        registry.register(
            "is_leader",
            "1 while this replica holds the leader lease",
            is_leader.clone(),
        );
        registry.register(
            "events_published",
            "Kubernetes Events published by this replica",
            events_published.clone(),
        );
        Self {
            registry,
            recompute_seconds,
            routers,
            findings,
            source_healthy,
            source_last_change,
            generation,
            is_leader,
            events_published,
        }
    }

    /// The registry, to register more metrics (before the server starts).
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Update the gauges from a new snapshot.
    pub fn observe(&self, snap: &Snapshot) {
        self.generation.set(snap.generation as i64);
        observe_report(self, &snap.report);
        for s in &snap.sources {
            let label = SourceLabel {
                source: s.name.clone(),
            };
            self.source_healthy
                .get_or_create(&label)
                .set(i64::from(s.healthy));
            if let Some(t) = s.last_change_unix {
                self.source_last_change.get_or_create(&label).set(t as f64);
            }
        }
    }

    /// The text exposition (OpenMetrics).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

fn observe_report(m: &Metrics, report: &Report) {
    // Every combination is set, so a status that disappears goes to 0 instead of
    // keeping its last value.
    let statuses = ["enabled", "warning", "disabled"];
    let mut counts = std::collections::BTreeMap::new();
    for (protocol, routers) in [
        ("http", &report.http.routers),
        ("tcp", &report.tcp.routers),
        ("udp", &report.udp.routers),
    ] {
        for s in statuses {
            counts.insert((protocol, s.to_string()), 0i64);
        }
        for r in routers.values() {
            let status = serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            *counts.entry((protocol, status)).or_default() += 1;
        }
    }
    for ((protocol, status), n) in counts {
        m.routers
            .get_or_create(&RouterLabels {
                protocol: protocol.to_string(),
                status,
            })
            .set(n);
    }
    let mut by_sev = [0i64; 3];
    for f in &report.findings {
        by_sev[match f.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
    }
    for (name, n) in ["error", "warning", "info"].into_iter().zip(by_sev) {
        m.findings
            .get_or_create(&SeverityLabel {
                severity: name.to_string(),
            })
            .set(n);
    }
}
