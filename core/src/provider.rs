//! One provider's decoded configuration, as Traefik's aggregator receives it.

use crate::finding::Finding;
use crate::model::Configuration;
use crate::objects::Origins;
use serde::Serialize;

/// Traefik's provider names used by the suite.
pub mod names {
    /// The file provider.
    pub const FILE: &str = "file";
    /// The Consul KV provider.
    pub const CONSUL: &str = "consul";
    /// The Kubernetes CRD provider.
    pub const KUBERNETES_CRD: &str = "kubernetescrd";
}

/// Whether Traefik would accept the provider's configuration at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ProviderStatus {
    /// Decoded; its objects take part in the merge.
    Ok,
    /// Rejected as a whole (Traefik logs the error and keeps nothing from it at start-up).
    Rejected {
        /// Why, with the place in the errors' text.
        errors: Vec<String>,
    },
}

/// A provider's configuration with provenance and decode findings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    /// Provider name (`file`, `consul`, `kubernetescrd`).
    pub name: String,
    /// Accepted or rejected.
    pub status: ProviderStatus,
    /// The configuration (empty when rejected).
    pub config: Configuration,
    /// Where each object was defined.
    pub origins: Origins,
    /// What decoding found (skipped duplicates, KV traps, ...).
    pub findings: Vec<Finding>,
}

impl ProviderConfig {
    /// An accepted, empty provider.
    pub fn empty(name: &str) -> Self {
        Self {
            name: name.to_string(),
            status: ProviderStatus::Ok,
            config: Configuration::default(),
            origins: Origins::default(),
            findings: Vec::new(),
        }
    }

    /// Whether Traefik would reject it.
    pub fn is_rejected(&self) -> bool {
        matches!(self.status, ProviderStatus::Rejected { .. })
    }
}
