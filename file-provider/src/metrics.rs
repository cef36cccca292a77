//! Prometheus metrics (`prometheus-client`), all named `traefik_sync_file_provider_*`.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The sidecar's metrics.
pub struct Metrics {
    registry: Registry,
    /// Publications written (a new `dynamic.yml`).
    pub publications: Counter,
    /// Inbox revisions rejected by the gate (each distinct revision once).
    pub rejections: Counter,
    /// Inbox scans.
    pub scans: Counter,
    /// Failed writes into the output directory.
    pub publish_failures: Counter,
    /// Unix time of the last scan whose inbox was valid and published (or already live).
    pub last_success: Gauge<f64, AtomicU64>,
    /// Error findings in the current inbox.
    pub inbox_errors: Gauge,
    /// Warning findings in the current inbox.
    pub inbox_warnings: Gauge,
    /// Configuration files in the current inbox.
    pub inbox_files: Gauge,
    /// 1 when the current inbox is what Traefik serves, 0 when it was rejected.
    pub inbox_valid: Gauge,
    /// Time the gate takes (decode, validate, render, verify).
    pub gate_duration: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Register every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("traefik_sync_file_provider");
        let m = Self {
            publications: Counter::default(),
            rejections: Counter::default(),
            scans: Counter::default(),
            publish_failures: Counter::default(),
            last_success: Gauge::default(),
            inbox_errors: Gauge::default(),
            inbox_warnings: Gauge::default(),
            inbox_files: Gauge::default(),
            inbox_valid: Gauge::default(),
            gate_duration: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            registry: Registry::default(),
        };
        registry.register(
            "publications",
            "New configurations written into Traefik's directory",
            m.publications.clone(),
        );
        registry.register(
            "rejections",
            "Inbox revisions the gate refused to publish",
            m.rejections.clone(),
        );
        registry.register("scans", "Inbox scans", m.scans.clone());
        registry.register(
            "publish_failures",
            "Failed writes into Traefik's directory",
            m.publish_failures.clone(),
        );
        registry.register(
            "last_success_timestamp_seconds",
            "Unix time when the inbox was last found valid and live",
            m.last_success.clone(),
        );
        registry.register(
            "inbox_errors",
            "Error findings in the current inbox",
            m.inbox_errors.clone(),
        );
        registry.register(
            "inbox_warnings",
            "Warning findings in the current inbox",
            m.inbox_warnings.clone(),
        );
        registry.register(
            "inbox_files",
            "Configuration files in the current inbox",
            m.inbox_files.clone(),
        );
        registry.register(
            "inbox_valid",
            "1 when the current inbox is published, 0 when it is rejected",
            m.inbox_valid.clone(),
        );
        registry.register(
            "gate_duration_seconds",
            "Time to decode, validate, render and verify one inbox revision",
            m.gate_duration.clone(),
        );
        Self { registry, ..m }
    }

    /// OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_prefixed() {
        let m = super::Metrics::new();
        m.publications.inc();
        let text = m.encode();
        assert!(
            text.contains("traefik_sync_file_provider_publications_total 1"),
            "{text}"
        );
        assert!(text.contains("traefik_sync_file_provider_gate_duration_seconds_bucket"));
    }
}
