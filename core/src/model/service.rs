//! HTTP services (`dynamic.Service` and the load-balancer types in
//! `pkg/config/dynamic/http_config.go`).

use super::duration::GoDuration;
use super::{allow_empty, is_false, is_zero};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// An HTTP service; exactly one of the type fields must be set (`dynamic.Service`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    /// Middlewares applied in front of the service (not a service type).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    /// Load balancer over servers (URLs).
    #[serde(rename = "loadBalancer", skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<ServersLoadBalancer>,
    /// Highest-random-weight (rendezvous hashing) over child services.
    #[serde(
        rename = "highestRandomWeight",
        skip_serializing_if = "Option::is_none"
    )]
    pub highest_random_weight: Option<HighestRandomWeight>,
    /// Weighted round robin over child services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weighted: Option<WeightedRoundRobin>,
    /// Sends traffic to a main service and copies of it to mirrors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirroring: Option<Mirroring>,
    /// Main service with a fallback when it is unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<Failover>,
}

impl Service {
    /// The service types that are set, by JSON name, in Go field order
    /// (Traefik rejects more than one: "multi-types service not supported";
    /// none: "the service %q does not have any type defined").
    pub fn type_names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.load_balancer.is_some() {
            names.push("loadBalancer");
        }
        if self.highest_random_weight.is_some() {
            names.push("highestRandomWeight");
        }
        if self.weighted.is_some() {
            names.push("weighted");
        }
        if self.mirroring.is_some() {
            names.push("mirroring");
        }
        if self.failover.is_some() {
            names.push("failover");
        }
        names
    }

    /// Names of the child services this service refers to (weighted, HRW,
    /// mirroring main + mirrors, failover main + fallback), as written.
    pub fn children(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        if let Some(w) = &self.weighted {
            out.extend(w.services.iter().map(|s| s.name.as_str()));
        }
        if let Some(h) = &self.highest_random_weight {
            out.extend(h.services.iter().map(|s| s.name.as_str()));
        }
        if let Some(m) = &self.mirroring {
            out.push(m.service.as_str());
            out.extend(m.mirrors.iter().map(|s| s.name.as_str()));
        }
        if let Some(f) = &self.failover {
            out.push(f.service.as_str());
            if !f.fallback.is_empty() {
                out.push(f.fallback.as_str());
            }
        }
        out
    }
}

/// Load balancer over servers (`dynamic.ServersLoadBalancer`).
///
/// Not modelled: `NginxUpstreamHashBy` (`file:"-"`, ingress-nginx only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServersLoadBalancer {
    /// Sticky sessions; `sticky: {}` (allowEmpty) enables them with defaults.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub sticky: Option<Sticky>,
    /// Backend servers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// Balancing strategy: `wrr` (default), `p2c`, `hrw` or `leasttime`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub strategy: String,
    /// Active health checks of the servers.
    #[serde(rename = "healthCheck", skip_serializing_if = "Option::is_none")]
    pub health_check: Option<ServerHealthCheck>,
    /// Passive health checks (failed requests mark a server down).
    #[serde(rename = "passiveHealthCheck", skip_serializing_if = "Option::is_none")]
    pub passive_health_check: Option<PassiveServerHealthCheck>,
    /// Forwards the client Host header (default true). Go has no `omitempty`
    /// here (a nil value serializes as `null`); it is skipped when unset.
    #[serde(rename = "passHostHeader", skip_serializing_if = "Option::is_none")]
    pub pass_host_header: Option<bool>,
    /// Response flushing settings.
    #[serde(rename = "responseForwarding", skip_serializing_if = "Option::is_none")]
    pub response_forwarding: Option<ResponseForwarding>,
    /// Servers transport name (`http.serversTransports`).
    #[serde(rename = "serversTransport", skip_serializing_if = "String::is_empty")]
    pub servers_transport: String,
}

/// How the response body is flushed to the client (`dynamic.ResponseForwarding`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseForwarding {
    /// Flush interval (default 100ms; negative flushes after every write).
    #[serde(rename = "flushInterval", skip_serializing_if = "GoDuration::is_zero")]
    pub flush_interval: GoDuration,
}

/// A backend server of a load balancer (`dynamic.Server`).
///
/// Not modelled (`file:"-"`): `Fenced`, `Scheme`, `Port` (label providers only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Server {
    /// Server URL, e.g. `http://10.0.0.1:8080`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Weight for weighted strategies (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Keeps the URL path of the server URL in forwarded requests.
    #[serde(rename = "preservePath", skip_serializing_if = "is_false")]
    pub preserve_path: bool,
}

/// Active health check of the servers of a load balancer (`dynamic.ServerHealthCheck`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerHealthCheck {
    /// Scheme override for the check.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scheme: String,
    /// `http` (default) or `grpc`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mode: String,
    /// Request path of the check.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Request method of the check.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub method: String,
    /// Expected status code (any 2xx/3xx when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub status: i64,
    /// Port override for the check.
    #[serde(skip_serializing_if = "is_zero")]
    pub port: i64,
    /// Interval between checks of healthy servers (default 30s).
    #[serde(skip_serializing_if = "GoDuration::is_zero")]
    pub interval: GoDuration,
    /// Interval between checks of unhealthy servers (default: `interval`).
    #[serde(rename = "unhealthyInterval", skip_serializing_if = "Option::is_none")]
    pub unhealthy_interval: Option<GoDuration>,
    /// Timeout of one check (default 5s).
    #[serde(skip_serializing_if = "GoDuration::is_zero")]
    pub timeout: GoDuration,
    /// Host header of the check.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// Follows redirects (default true).
    #[serde(rename = "followRedirects", skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Extra request headers of the check.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
}

/// Passive health check of the servers (`dynamic.PassiveServerHealthCheck`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PassiveServerHealthCheck {
    /// Window for failed attempts, also how long a server stays down (default 10s).
    #[serde(rename = "failureWindow", skip_serializing_if = "GoDuration::is_zero")]
    pub failure_window: GoDuration,
    /// Failed attempts within the window that mark the server down (default 1).
    #[serde(rename = "maxFailedAttempts", skip_serializing_if = "is_zero")]
    pub max_failed_attempts: i64,
}

/// Health-check propagation switch of a parent service; has no fields (`dynamic.HealthCheck`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthCheck {}

/// Sticky sessions (`dynamic.Sticky`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Sticky {
    /// Cookie-based stickiness; `cookie: {}` (allowEmpty) uses defaults.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub cookie: Option<Cookie>,
}

/// The sticky-session cookie (`dynamic.Cookie`).
///
/// Not modelled: `Expires` (`file:"-"`, ingress-nginx only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Cookie {
    /// Cookie name (derived from the service name when empty).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Sets the `Secure` attribute.
    #[serde(skip_serializing_if = "is_false")]
    pub secure: bool,
    /// Sets the `HttpOnly` attribute (Go field `HTTPOnly`).
    #[serde(rename = "httpOnly", skip_serializing_if = "is_false")]
    pub http_only: bool,
    /// `SameSite` attribute: `none`, `lax` or `strict`.
    #[serde(rename = "sameSite", skip_serializing_if = "String::is_empty")]
    pub same_site: String,
    /// `Max-Age` in seconds (negative expires now, 0 never).
    #[serde(rename = "maxAge", skip_serializing_if = "is_zero")]
    pub max_age: i64,
    /// `Path` attribute (default `/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `Domain` attribute.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
}

/// Weighted round robin over child services (`dynamic.WeightedRoundRobin`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WeightedRoundRobin {
    /// Child services with weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<WrrService>,
    /// Sticky sessions across the children (not allowEmpty here, unlike the load balancer's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sticky: Option<Sticky>,
    /// Health-check propagation from the children; `healthCheck: {}` (allowEmpty) enables it.
    #[serde(
        rename = "healthCheck",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check: Option<HealthCheck>,
}

/// A weighted child of a `weighted` service (`dynamic.WRRService`).
///
/// Not modelled (`file:"-"`): `Headers`, `Status`, `GRPCStatus` (Knative / Gateway API).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WrrService {
    /// Child service name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Weight (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

/// Highest-random-weight balancing over child services (`dynamic.HighestRandomWeight`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HighestRandomWeight {
    /// Child services with weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<HrwService>,
    /// Health-check propagation from the children; allowEmpty.
    #[serde(
        rename = "healthCheck",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check: Option<HealthCheck>,
}

/// A weighted child of a `highestRandomWeight` service (`dynamic.HRWService`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HrwService {
    /// Child service name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Weight (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

/// Mirroring: a main service plus mirrors receiving a percentage of copies (`dynamic.Mirroring`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Mirroring {
    /// Main service answering the client.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// Whether request bodies are mirrored (default true).
    #[serde(rename = "mirrorBody", skip_serializing_if = "Option::is_none")]
    pub mirror_body: Option<bool>,
    /// Maximum mirrored body size in bytes (default -1, unlimited).
    #[serde(rename = "maxBodySize", skip_serializing_if = "Option::is_none")]
    pub max_body_size: Option<i64>,
    /// Mirror services with percentages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mirrors: Vec<MirrorService>,
    /// Health-check propagation from the main service; allowEmpty.
    #[serde(
        rename = "healthCheck",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check: Option<HealthCheck>,
}

/// A mirror of a `mirroring` service (`dynamic.MirrorService`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MirrorService {
    /// Mirror service name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Percentage of requests mirrored (0–100).
    #[serde(skip_serializing_if = "is_zero")]
    pub percent: i64,
}

/// Failover: a main service and a fallback used while it is down (`dynamic.Failover`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Failover {
    /// Main service (needs a health check).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// Fallback service.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fallback: String,
    /// Health-check propagation; allowEmpty in the file provider (not in KV).
    #[serde(
        rename = "healthCheck",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check: Option<HealthCheck>,
    /// Retries on the fallback for these response statuses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FailoverError>,
}

/// Statuses of the main service that trigger the fallback (`dynamic.FailoverError`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FailoverError {
    /// Maximum buffered request body in bytes (default -1, unlimited).
    #[serde(
        rename = "maxRequestBodyBytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_request_body_bytes: Option<i64>,
    /// Status codes or ranges, e.g. `500-599`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<String>,
}
