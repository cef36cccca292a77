//! Traffic-shaping middlewares: IP lists, rate and in-flight limits, buffering,
//! circuit breaker, retry, compression (`pkg/config/dynamic/middlewares.go`).

use super::duration::GoDuration;
use super::tls::TypesClientTls;
use super::{allow_empty, is_false, is_zero};
use serde::{Deserialize, Serialize};

/// How Traefik determines the client IP (`dynamic.IPStrategy`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IpStrategy {
    /// Takes the `X-Forwarded-For` entry at this depth from the right.
    #[serde(skip_serializing_if = "is_zero")]
    pub depth: i64,
    /// Takes the first `X-Forwarded-For` entry not in these IPs (Go field `ExcludedIPs`).
    #[serde(rename = "excludedIPs", skip_serializing_if = "Vec::is_empty")]
    pub excluded_ips: Vec<String>,
    /// Groups IPv6 clients by this prefix length (Go field `IPv6Subnet`).
    #[serde(rename = "ipv6Subnet", skip_serializing_if = "Option::is_none")]
    pub ipv6_subnet: Option<i64>,
}

/// Deprecated client-IP allow list (`dynamic.IPWhiteList`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IpWhiteList {
    /// Allowed IPs or CIDR ranges.
    #[serde(rename = "sourceRange", skip_serializing_if = "Vec::is_empty")]
    pub source_range: Vec<String>,
    /// Client-IP strategy; `ipStrategy: {}` (allowEmpty) uses defaults.
    #[serde(
        rename = "ipStrategy",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip_strategy: Option<IpStrategy>,
}

/// Client-IP allow list (`dynamic.IPAllowList`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IpAllowList {
    /// Allowed IPs or CIDR ranges.
    #[serde(rename = "sourceRange", skip_serializing_if = "Vec::is_empty")]
    pub source_range: Vec<String>,
    /// Client-IP strategy; `ipStrategy: {}` (allowEmpty) uses defaults.
    #[serde(
        rename = "ipStrategy",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub ip_strategy: Option<IpStrategy>,
    /// Status for rejected requests (default 403). Go tags this `int` allowEmpty
    /// too, which paerser only honours on struct and map fields: no effect.
    #[serde(rename = "rejectStatusCode", skip_serializing_if = "is_zero")]
    pub reject_status_code: i64,
}

/// Limits concurrent requests per source (`dynamic.InFlightReq`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InFlightReq {
    /// Maximum simultaneous requests (429 beyond).
    #[serde(skip_serializing_if = "is_zero")]
    pub amount: i64,
    /// How requests are grouped into sources.
    #[serde(rename = "sourceCriterion", skip_serializing_if = "Option::is_none")]
    pub source_criterion: Option<SourceCriterion>,
}

/// How requests are grouped into one source; fields are exclusive (`dynamic.SourceCriterion`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceCriterion {
    /// By client IP.
    #[serde(rename = "ipStrategy", skip_serializing_if = "Option::is_none")]
    pub ip_strategy: Option<IpStrategy>,
    /// By the value of this request header.
    #[serde(rename = "requestHeaderName", skip_serializing_if = "String::is_empty")]
    pub request_header_name: String,
    /// By request host.
    #[serde(rename = "requestHost", skip_serializing_if = "is_false")]
    pub request_host: bool,
}

/// Token-bucket rate limiting (`dynamic.RateLimit`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimit {
    /// Requests per `period` (0: no limit).
    #[serde(skip_serializing_if = "is_zero")]
    pub average: i64,
    /// Period of `average` (default 1s).
    #[serde(skip_serializing_if = "GoDuration::is_zero")]
    pub period: GoDuration,
    /// Bucket size (default 1).
    #[serde(skip_serializing_if = "is_zero")]
    pub burst: i64,
    /// How requests are grouped into sources.
    #[serde(rename = "sourceCriterion", skip_serializing_if = "Option::is_none")]
    pub source_criterion: Option<SourceCriterion>,
    /// Redis bucket store (in memory when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<Redis>,
}

/// Redis store of a rate limiter (`dynamic.Redis`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Redis {
    /// `host:port` addresses (default `localhost:6379`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// TLS towards Redis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TypesClientTls>,
    /// User name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// Password.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// Database index (Go field `DB`).
    #[serde(skip_serializing_if = "is_zero")]
    pub db: i64,
    /// Initial connection pool size.
    #[serde(rename = "poolSize", skip_serializing_if = "is_zero")]
    pub pool_size: i64,
    /// Minimum idle connections.
    #[serde(rename = "minIdleConns", skip_serializing_if = "is_zero")]
    pub min_idle_conns: i64,
    /// Maximum connections (0: no limit).
    #[serde(rename = "maxActiveConns", skip_serializing_if = "is_zero")]
    pub max_active_conns: i64,
    /// Socket read timeout (default 3s).
    #[serde(rename = "readTimeout", skip_serializing_if = "Option::is_none")]
    pub read_timeout: Option<GoDuration>,
    /// Socket write timeout (default 3s).
    #[serde(rename = "writeTimeout", skip_serializing_if = "Option::is_none")]
    pub write_timeout: Option<GoDuration>,
    /// Connection timeout (default 5s).
    #[serde(rename = "dialTimeout", skip_serializing_if = "Option::is_none")]
    pub dial_timeout: Option<GoDuration>,
}

/// Buffers requests and responses with size limits (`dynamic.Buffering`).
///
/// Not modelled (`file:"-"`): `DisableRequestBuffer`, `DisableResponseBuffer`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Buffering {
    /// Maximum request body (413 beyond; 0: no limit).
    #[serde(rename = "maxRequestBodyBytes", skip_serializing_if = "is_zero")]
    pub max_request_body_bytes: i64,
    /// Request body kept in memory before spilling to disk.
    #[serde(rename = "memRequestBodyBytes", skip_serializing_if = "is_zero")]
    pub mem_request_body_bytes: i64,
    /// Maximum response body (500 beyond; 0: no limit).
    #[serde(rename = "maxResponseBodyBytes", skip_serializing_if = "is_zero")]
    pub max_response_body_bytes: i64,
    /// Response body kept in memory before spilling to disk.
    #[serde(rename = "memResponseBodyBytes", skip_serializing_if = "is_zero")]
    pub mem_response_body_bytes: i64,
    /// Retry condition expression.
    #[serde(rename = "retryExpression", skip_serializing_if = "String::is_empty")]
    pub retry_expression: String,
}

/// Circuit breaker (`dynamic.CircuitBreaker`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CircuitBreaker {
    /// Trip expression, e.g. `NetworkErrorRatio() > 0.5`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub expression: String,
    /// Interval between checks in standby (default 100ms).
    #[serde(rename = "checkPeriod", skip_serializing_if = "GoDuration::is_zero")]
    pub check_period: GoDuration,
    /// Time in the tripped state (default 10s).
    #[serde(
        rename = "fallbackDuration",
        skip_serializing_if = "GoDuration::is_zero"
    )]
    pub fallback_duration: GoDuration,
    /// Time in the recovering state (default 10s).
    #[serde(
        rename = "recoveryDuration",
        skip_serializing_if = "GoDuration::is_zero"
    )]
    pub recovery_duration: GoDuration,
    /// Status returned while open (default 503).
    #[serde(rename = "responseCode", skip_serializing_if = "is_zero")]
    pub response_code: i64,
}

/// Retries failed requests (`dynamic.Retry`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Retry {
    /// Number of attempts.
    #[serde(skip_serializing_if = "is_zero")]
    pub attempts: i64,
    /// Overall retry time budget.
    #[serde(skip_serializing_if = "GoDuration::is_zero")]
    pub timeout: GoDuration,
    /// First exponential back-off interval.
    #[serde(
        rename = "initialInterval",
        skip_serializing_if = "GoDuration::is_zero"
    )]
    pub initial_interval: GoDuration,
    /// Maximum buffered request body in bytes (default 2 MiB).
    #[serde(
        rename = "maxRequestBodyBytes",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_request_body_bytes: Option<i64>,
    /// Status codes or ranges to retry on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<String>,
    /// Does not retry on network errors.
    #[serde(
        rename = "disableRetryOnNetworkError",
        skip_serializing_if = "is_false"
    )]
    pub disable_retry_on_network_error: bool,
    /// Also retries POST, LOCK, PATCH.
    #[serde(rename = "retryNonIdempotentMethod", skip_serializing_if = "is_false")]
    pub retry_non_idempotent_method: bool,
}

/// Response compression (`dynamic.Compress`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Compress {
    /// Content types never compressed.
    #[serde(rename = "excludedContentTypes", skip_serializing_if = "Vec::is_empty")]
    pub excluded_content_types: Vec<String>,
    /// Content types compressed (all others skipped).
    #[serde(rename = "includedContentTypes", skip_serializing_if = "Vec::is_empty")]
    pub included_content_types: Vec<String>,
    /// Minimum body size to compress (default 1024).
    #[serde(rename = "minResponseBodyBytes", skip_serializing_if = "is_zero")]
    pub min_response_body_bytes: i64,
    /// Encodings offered (default `gzip`, `br`, `zstd`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encodings: Vec<String>,
    /// Encoding used when the client accepts any.
    #[serde(rename = "defaultEncoding", skip_serializing_if = "String::is_empty")]
    pub default_encoding: String,
}
