//! The specs of the `traefik.io/v1alpha1` kinds, as far as Traefik reads them
//! (`pkg/provider/kubernetes/crd/traefikio/v1alpha1/*.go`), hand-written.
//!
//! Where the Go types embed `dynamic.*` types the model's types are used
//! directly (their serde names are Traefik's JSON names). Objects reach these
//! structs after schema validation, so serde errors are rare.

use crate::model;
use serde::Deserialize;
use std::fmt;

/// `intstr.IntOrString`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum IntOrString {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
}

impl Default for IntOrString {
    fn default() -> Self {
        IntOrString::Int(0)
    }
}

impl IntOrString {
    /// The zero value (`0` or `""`).
    pub fn is_zero(&self) -> bool {
        match self {
            IntOrString::Int(i) => *i == 0,
            IntOrString::Str(s) => s.is_empty(),
        }
    }
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::Str(s) => write!(f, "{s}"),
        }
    }
}

/// `ObjectReference` / `MiddlewareRef` / `TLSOptionRef` / `IngressRouteRef`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ObjectRef {
    /// Name.
    pub name: String,
    /// Namespace (empty: the referrer's).
    pub namespace: String,
}

/// `IngressRouteSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressRouteSpec {
    pub ingress_class_name: Option<String>,
    pub entry_points: Vec<String>,
    pub routes: Vec<Route>,
    pub tls: Option<Tls>,
    pub parent_refs: Vec<ObjectRef>,
}

/// `Route`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Route {
    #[serde(rename = "match")]
    pub rule: String,
    pub kind: String,
    pub priority: i64,
    pub syntax: String,
    pub services: Vec<LoadBalancerSpec>,
    pub middlewares: Vec<ObjectRef>,
    pub observability: Option<RouterObservability>,
}

/// `RouterObservabilityConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RouterObservability {
    pub access_logs: Option<bool>,
    pub metrics: Option<bool>,
    pub tracing: Option<bool>,
    pub trace_verbosity: String,
}

/// `TLS` of an IngressRoute.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Tls {
    pub secret_name: String,
    pub options: Option<ObjectRef>,
    pub store: Option<ObjectRef>,
    pub cert_resolver: String,
    pub domains: Vec<model::Domain>,
}

/// `LoadBalancerSpec` (= `Service` of a route).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LoadBalancerSpec {
    pub name: String,
    pub kind: String,
    pub namespace: String,
    pub middlewares: Vec<ObjectRef>,
    pub sticky: Option<model::Sticky>,
    pub port: IntOrString,
    pub scheme: String,
    pub strategy: String,
    pub pass_host_header: Option<bool>,
    pub response_forwarding: Option<ResponseForwarding>,
    pub servers_transport: String,
    pub weight: Option<i64>,
    #[serde(rename = "nativeLB")]
    pub native_lb: Option<bool>,
    #[serde(rename = "nodePortLB")]
    pub node_port_lb: bool,
    pub health_check: Option<ServerHealthCheck>,
    pub passive_health_check: Option<PassiveHealthCheck>,
}

/// `ResponseForwarding`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResponseForwarding {
    pub flush_interval: String,
}

/// `ServerHealthCheck` of a `LoadBalancerSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServerHealthCheck {
    pub scheme: String,
    pub mode: String,
    pub path: String,
    pub method: String,
    pub status: i64,
    pub port: i64,
    pub interval: Option<IntOrString>,
    pub unhealthy_interval: Option<IntOrString>,
    pub timeout: Option<IntOrString>,
    pub hostname: String,
    pub follow_redirects: Option<bool>,
    pub headers: indexmap::IndexMap<String, String>,
}

/// `PassiveServerHealthCheck`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PassiveHealthCheck {
    pub failure_window: Option<IntOrString>,
    pub max_failed_attempts: Option<i64>,
}

/// `IngressRouteTCPSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressRouteTcpSpec {
    pub ingress_class_name: Option<String>,
    pub entry_points: Vec<String>,
    pub routes: Vec<RouteTcp>,
    pub tls: Option<TlsTcp>,
}

/// `RouteTCP`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RouteTcp {
    #[serde(rename = "match")]
    pub rule: String,
    pub priority: i64,
    pub syntax: String,
    pub services: Vec<ServiceTcp>,
    pub middlewares: Vec<ObjectRef>,
}

/// `TLSTCP`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TlsTcp {
    pub secret_name: String,
    pub passthrough: bool,
    pub options: Option<ObjectRef>,
    pub store: Option<ObjectRef>,
    pub cert_resolver: String,
    pub domains: Vec<model::Domain>,
}

/// `ServiceTCP`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceTcp {
    pub name: String,
    pub namespace: String,
    pub port: IntOrString,
    pub weight: Option<i64>,
    pub termination_delay: Option<i64>,
    pub proxy_protocol: Option<model::ProxyProtocol>,
    pub servers_transport: String,
    pub tls: bool,
    #[serde(rename = "nativeLB")]
    pub native_lb: Option<bool>,
    #[serde(rename = "nodePortLB")]
    pub node_port_lb: bool,
}

/// `IngressRouteUDPSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressRouteUdpSpec {
    pub ingress_class_name: Option<String>,
    pub entry_points: Vec<String>,
    pub routes: Vec<RouteUdp>,
}

/// `RouteUDP`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RouteUdp {
    pub services: Vec<ServiceUdp>,
}

/// `ServiceUDP`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceUdp {
    pub name: String,
    pub namespace: String,
    pub port: IntOrString,
    pub weight: Option<i64>,
    #[serde(rename = "nativeLB")]
    pub native_lb: Option<bool>,
    #[serde(rename = "nodePortLB")]
    pub node_port_lb: bool,
}

/// `MiddlewareSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MiddlewareSpec {
    pub add_prefix: Option<model::AddPrefix>,
    pub strip_prefix: Option<model::StripPrefix>,
    pub strip_prefix_regex: Option<model::StripPrefixRegex>,
    pub replace_path: Option<model::ReplacePath>,
    pub replace_path_regex: Option<model::ReplacePathRegex>,
    pub chain: Option<Chain>,
    #[serde(rename = "ipWhiteList")]
    pub ip_white_list: Option<model::IpWhiteList>,
    #[serde(rename = "ipAllowList")]
    pub ip_allow_list: Option<model::IpAllowList>,
    pub headers: Option<model::Headers>,
    pub encoded_characters: Option<model::EncodedCharacters>,
    pub errors: Option<ErrorPage>,
    pub rate_limit: Option<RateLimit>,
    pub redirect_regex: Option<model::RedirectRegex>,
    pub redirect_scheme: Option<model::RedirectScheme>,
    pub basic_auth: Option<BasicAuth>,
    pub digest_auth: Option<BasicAuth>,
    pub forward_auth: Option<ForwardAuth>,
    pub in_flight_req: Option<model::InFlightReq>,
    pub buffering: Option<model::Buffering>,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub compress: Option<Compress>,
    #[serde(rename = "passTLSClientCert")]
    pub pass_tls_client_cert: Option<model::PassTlsClientCert>,
    pub retry: Option<Retry>,
    pub content_type: Option<model::ContentType>,
    pub grpc_web: Option<model::GrpcWeb>,
    pub plugin: Option<indexmap::IndexMap<String, serde_json::Value>>,
}

/// `Chain`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Chain {
    pub middlewares: Vec<ObjectRef>,
}

/// `ErrorPage`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ErrorPage {
    pub status: Vec<String>,
    pub status_rewrites: indexmap::IndexMap<String, i64>,
    pub service: LoadBalancerSpec,
    pub query: String,
    pub error_request_headers: Vec<String>,
}

/// `BasicAuth` / `DigestAuth`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BasicAuth {
    pub secret: String,
    pub realm: String,
    pub remove_header: bool,
    pub header_field: String,
}

/// `ForwardAuth`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ForwardAuth {
    pub address: String,
    pub trust_forward_header: Option<bool>,
    pub auth_response_headers: Vec<String>,
    pub auth_response_headers_regex: String,
    pub auth_request_headers: Vec<String>,
    pub tls: Option<ClientTls>,
    pub max_response_body_size: Option<i64>,
    pub add_auth_cookies_to_response: Vec<String>,
    pub header_field: String,
    pub forward_body: bool,
    pub max_body_size: Option<i64>,
    pub preserve_location_header: bool,
    pub preserve_request_method: bool,
    #[serde(rename = "authSigninURL")]
    pub auth_signin_url: String,
}

/// `ClientTLS` / `ClientTLSWithCAOptional`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClientTls {
    pub ca_secret: String,
    pub cert_secret: String,
    pub insecure_skip_verify: bool,
    pub ca_optional: Option<bool>,
}

/// `RateLimit`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RateLimit {
    pub average: Option<i64>,
    pub period: Option<IntOrString>,
    pub burst: Option<i64>,
    pub source_criterion: Option<model::SourceCriterion>,
    pub redis: Option<Redis>,
}

/// `Redis`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Redis {
    pub endpoints: Vec<String>,
    pub tls: Option<ClientTls>,
    pub secret: String,
    pub db: i64,
    pub pool_size: i64,
    pub min_idle_conns: i64,
    pub max_active_conns: i64,
    pub read_timeout: Option<IntOrString>,
    pub write_timeout: Option<IntOrString>,
    pub dial_timeout: Option<IntOrString>,
}

/// `CircuitBreaker`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CircuitBreaker {
    pub expression: String,
    pub check_period: Option<IntOrString>,
    pub fallback_duration: Option<IntOrString>,
    pub recovery_duration: Option<IntOrString>,
    pub response_code: i64,
}

/// `Compress`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Compress {
    pub excluded_content_types: Option<Vec<String>>,
    pub included_content_types: Option<Vec<String>>,
    pub min_response_body_bytes: Option<i64>,
    pub encodings: Option<Vec<String>>,
    pub default_encoding: Option<String>,
}

/// `Retry`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Retry {
    pub attempts: i64,
    pub timeout: IntOrString,
    pub initial_interval: IntOrString,
    pub max_request_body_bytes: Option<i64>,
    pub status: Vec<String>,
    pub disable_retry_on_network_error: bool,
    pub retry_non_idempotent_method: bool,
}

/// `MiddlewareTCPSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MiddlewareTcpSpec {
    pub in_flight_conn: Option<model::TcpInFlightConn>,
    #[serde(rename = "ipWhiteList")]
    pub ip_white_list: Option<model::TcpIpWhiteList>,
    #[serde(rename = "ipAllowList")]
    pub ip_allow_list: Option<model::TcpIpAllowList>,
}

/// `TraefikServiceSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TraefikServiceSpec {
    pub weighted: Option<Weighted>,
    pub mirroring: Option<Mirroring>,
    pub highest_random_weight: Option<Weighted>,
    pub failover: Option<Failover>,
}

/// `WeightedRoundRobin` / `HighestRandomWeight`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Weighted {
    pub services: Vec<LoadBalancerSpec>,
    pub sticky: Option<model::Sticky>,
}

/// `Mirroring`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Mirroring {
    #[serde(flatten)]
    pub service: LoadBalancerSpec,
    pub mirror_body: Option<bool>,
    pub max_body_size: Option<i64>,
    pub mirrors: Vec<MirrorService>,
}

/// `MirrorService`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MirrorService {
    #[serde(flatten)]
    pub service: LoadBalancerSpec,
    pub percent: i64,
}

/// `Failover`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Failover {
    pub service: LoadBalancerSpec,
    pub fallback: LoadBalancerSpec,
    pub errors: FailoverErrors,
}

/// `FailoverError`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FailoverErrors {
    pub status: Vec<String>,
    pub max_request_body_bytes: Option<i64>,
}

/// `TLSOptionSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TlsOptionSpec {
    pub min_version: String,
    pub max_version: String,
    pub cipher_suites: Option<Vec<String>>,
    pub curve_preferences: Vec<String>,
    pub client_auth: TlsClientAuth,
    pub sni_strict: bool,
    pub alpn_protocols: Option<Vec<String>>,
    pub disable_session_tickets: bool,
    pub prefer_server_cipher_suites: Option<bool>,
}

/// `ClientAuth` of a TLSOption.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TlsClientAuth {
    pub secret_names: Vec<String>,
    pub client_auth_type: String,
}

/// `TLSStoreSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TlsStoreSpec {
    pub default_certificate: Option<SecretRef>,
    pub default_generated_cert: Option<model::GeneratedCert>,
    pub certificates: Vec<SecretRef>,
}

/// `Certificate` (a Secret name).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SecretRef {
    pub secret_name: String,
}

/// `ServersTransportSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServersTransportSpec {
    pub server_name: String,
    pub insecure_skip_verify: bool,
    #[serde(rename = "rootCAs")]
    pub root_cas: Vec<RootCa>,
    #[serde(rename = "rootCAsSecrets")]
    pub root_cas_secrets: Vec<String>,
    pub certificates_secrets: Vec<String>,
    pub cipher_suites: Option<Vec<String>>,
    pub min_version: String,
    pub max_version: String,
    pub max_idle_conns_per_host: i64,
    pub forwarding_timeouts: Option<ForwardingTimeouts>,
    #[serde(rename = "disableHTTP2")]
    pub disable_http2: bool,
    #[serde(rename = "peerCertURI")]
    pub peer_cert_uri: String,
    /// `[]tls.SAN` (`{type, value}`); not in the suite's model.
    #[serde(rename = "peerCertSANs")]
    pub peer_cert_sans: Vec<serde_json::Value>,
    pub spiffe: Option<model::Spiffe>,
}

/// `RootCA`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RootCa {
    pub secret: Option<String>,
    pub config_map: Option<String>,
}

/// `ForwardingTimeouts` of a ServersTransport.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ForwardingTimeouts {
    pub dial_timeout: Option<IntOrString>,
    pub response_header_timeout: Option<IntOrString>,
    pub idle_conn_timeout: Option<IntOrString>,
    pub read_idle_timeout: Option<IntOrString>,
    pub ping_timeout: Option<IntOrString>,
}

/// `ServersTransportTCPSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServersTransportTcpSpec {
    pub dial_timeout: Option<IntOrString>,
    pub dial_keep_alive: Option<IntOrString>,
    pub proxy_protocol: Option<model::ProxyProtocol>,
    pub termination_delay: Option<IntOrString>,
    pub tls: Option<TcpTlsClientConfig>,
}

/// `TLSClientConfig` of a ServersTransportTCP.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TcpTlsClientConfig {
    pub server_name: String,
    pub insecure_skip_verify: bool,
    #[serde(rename = "rootCAs")]
    pub root_cas: Vec<RootCa>,
    #[serde(rename = "rootCAsSecrets")]
    pub root_cas_secrets: Vec<String>,
    pub certificates_secrets: Vec<String>,
    #[serde(rename = "peerCertURI")]
    pub peer_cert_uri: String,
    /// `[]tls.SAN` (`{type, value}`); not in the suite's model.
    #[serde(rename = "peerCertSANs")]
    pub peer_cert_sans: Vec<serde_json::Value>,
    pub spiffe: Option<model::Spiffe>,
}
