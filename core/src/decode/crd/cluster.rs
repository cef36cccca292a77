//! The core Kubernetes objects Traefik's CRD provider reads besides its own
//! kinds: `v1` Service, Secret, ConfigMap, Node and `discovery.k8s.io/v1`
//! EndpointSlice, as found in the input.

use super::manifest::Object;
use base64::Engine;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// `corev1.ServicePort`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePort {
    pub name: String,
    pub port: i64,
    pub node_port: i64,
    pub protocol: String,
}

/// `corev1.ServiceSpec` (what Traefik reads).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub type_: String,
    pub ports: Vec<ServicePort>,
    pub external_name: String,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: String,
}

/// A `v1 Service`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Service {
    pub namespace: String,
    pub name: String,
    pub spec: ServiceSpec,
}

/// `discoveryv1.EndpointPort`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EndpointPort {
    pub name: Option<String>,
    pub port: Option<i64>,
}

/// `discoveryv1.EndpointConditions`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EndpointConditions {
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
}

/// `discoveryv1.Endpoint`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Endpoint {
    pub addresses: Vec<String>,
    pub conditions: EndpointConditions,
}

/// A `discovery.k8s.io/v1 EndpointSlice`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct EndpointSlice {
    pub ports: Vec<EndpointPort>,
    pub endpoints: Vec<Endpoint>,
}

/// A `v1 Secret` (data decoded; `stringData` merged over `data` like the API server does).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Secret {
    pub namespace: String,
    pub name: String,
    pub type_: String,
    pub labels: BTreeMap<String, String>,
    pub data: BTreeMap<String, Vec<u8>>,
}

/// Node address.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NodeAddress {
    #[serde(rename = "type")]
    pub type_: String,
    pub address: String,
}

/// Everything of the cluster the input tells.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pub services: HashMap<(String, String), Service>,
    pub endpoint_slices: HashMap<(String, String), Vec<EndpointSlice>>,
    pub secrets: HashMap<(String, String), Secret>,
    pub config_maps: HashMap<(String, String), BTreeMap<String, String>>,
    /// Internal IPs by node, in input order.
    pub nodes: Vec<Vec<NodeAddress>>,
}

/// Error text for a core object that cannot be read.
pub type CoreError = String;

impl Cluster {
    /// Take a core object into the store; `Ok(false)` if it is not one Traefik reads.
    pub fn add(&mut self, obj: &Object) -> Result<bool, CoreError> {
        let json = super::manifest::to_json(&obj.raw.raw);
        let key = (obj.namespace.clone(), obj.name.clone());
        match (obj.api_version.as_str(), obj.kind.as_str()) {
            ("v1", "Service") => {
                let spec: ServiceSpec = serde_json::from_value(json["spec"].clone())
                    .map_err(|e| format!("cannot read Service spec: {e}"))?;
                self.services.insert(
                    key,
                    Service {
                        namespace: obj.namespace.clone(),
                        name: obj.name.clone(),
                        spec,
                    },
                );
            }
            ("discovery.k8s.io/v1", "EndpointSlice") => {
                let slice: EndpointSlice = serde_json::from_value(json.clone())
                    .map_err(|e| format!("cannot read EndpointSlice: {e}"))?;
                let Some(service) = obj.labels.get("kubernetes.io/service-name") else {
                    return Ok(true);
                };
                self.endpoint_slices
                    .entry((obj.namespace.clone(), service.clone()))
                    .or_default()
                    .push(slice);
            }
            ("v1", "Secret") => {
                let mut data = BTreeMap::new();
                if let Some(map) = json["data"].as_object() {
                    for (k, v) in map {
                        // Go's base64 decoder skips `\r` and `\n`.
                        let text: String = v
                            .as_str()
                            .unwrap_or_default()
                            .chars()
                            .filter(|c| *c != '\r' && *c != '\n')
                            .collect();
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(text)
                            .map_err(|e| format!("Secret data {k:?} is not valid base64: {e}"))?;
                        data.insert(k.clone(), bytes);
                    }
                }
                if let Some(map) = json["stringData"].as_object() {
                    for (k, v) in map {
                        let s = match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        data.insert(k.clone(), s.into_bytes());
                    }
                }
                self.secrets.insert(
                    key,
                    Secret {
                        namespace: obj.namespace.clone(),
                        name: obj.name.clone(),
                        type_: json["type"].as_str().unwrap_or("Opaque").to_string(),
                        labels: obj.labels.clone(),
                        data,
                    },
                );
            }
            ("v1", "ConfigMap") => {
                let mut data = BTreeMap::new();
                if let Some(map) = json["data"].as_object() {
                    for (k, v) in map {
                        data.insert(k.clone(), v.as_str().unwrap_or_default().to_string());
                    }
                }
                self.config_maps.insert(key, data);
            }
            ("v1", "Node") => {
                let addrs: Vec<NodeAddress> =
                    serde_json::from_value(json["status"]["addresses"].clone()).unwrap_or_default();
                self.nodes.push(addrs);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A Service.
    pub fn service(&self, ns: &str, name: &str) -> Option<&Service> {
        self.services.get(&(ns.to_string(), name.to_string()))
    }

    /// The EndpointSlices of a Service, `None` when the input has none for it.
    pub fn slices(&self, ns: &str, service: &str) -> Option<&[EndpointSlice]> {
        self.endpoint_slices
            .get(&(ns.to_string(), service.to_string()))
            .map(Vec::as_slice)
    }

    /// A Secret (Traefik's secret informer skips `owner=helm` Secrets).
    pub fn secret(&self, ns: &str, name: &str) -> Option<&Secret> {
        self.secrets
            .get(&(ns.to_string(), name.to_string()))
            .filter(|s| s.labels.get("owner").map(String::as_str) != Some("helm"))
    }

    /// A ConfigMap's data.
    pub fn config_map(&self, ns: &str, name: &str) -> Option<&BTreeMap<String, String>> {
        self.config_maps.get(&(ns.to_string(), name.to_string()))
    }
}
