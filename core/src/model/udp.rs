//! The `udp` section (`pkg/config/dynamic/udp_config.go`).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The `udp` section (`dynamic.UDPConfiguration`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UdpConfiguration {
    /// UDP routers by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub routers: IndexMap<String, UdpRouter>,
    /// UDP services by name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub services: IndexMap<String, UdpService>,
}

/// A UDP router: entry points to a service, no rule (`dynamic.UDPRouter`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UdpRouter {
    /// Entry points the router listens on.
    #[serde(rename = "entryPoints", skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// Target UDP service.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
}

/// A UDP service; exactly one type must be set (`dynamic.UDPService`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UdpService {
    /// Load balancer over UDP servers.
    #[serde(rename = "loadBalancer", skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<UdpServersLoadBalancer>,
    /// Weighted round robin over UDP services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted: Option<UdpWeightedRoundRobin>,
}

impl UdpService {
    /// The service types that are set, by JSON name, in Go field order.
    pub fn type_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.load_balancer.is_some() {
            names.push("loadBalancer");
        }
        if self.weighted.is_some() {
            names.push("weighted");
        }
        names
    }

    /// Names of the child services of a `weighted` service, as written.
    pub fn children(&self) -> Vec<&str> {
        self.weighted
            .iter()
            .flat_map(|w| w.services.iter().map(|s| s.name.as_str()))
            .collect()
    }
}

/// Weighted round robin over UDP services (`dynamic.UDPWeightedRoundRobin`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UdpWeightedRoundRobin {
    /// Child services with weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<UdpWrrService>,
}

/// A weighted child of a UDP `weighted` service (`dynamic.UDPWRRService`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UdpWrrService {
    /// Child service name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Weight (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

/// Load balancer over UDP servers (`dynamic.UDPServersLoadBalancer`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UdpServersLoadBalancer {
    /// Backend servers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<UdpServer>,
}

/// A UDP backend server (`dynamic.UDPServer`).
///
/// Not modelled: `Port` (`file:"-"`, label providers only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UdpServer {
    /// `host:port`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub address: String,
}
