//! HTTP middlewares (`dynamic.Middleware`) and the path/redirect/content
//! middleware types of `pkg/config/dynamic/middlewares.go`.

use super::allow_empty;
use super::is_false;
use super::middleware_auth::{BasicAuth, DigestAuth, ForwardAuth, Headers, PassTlsClientCert};
use super::middleware_traffic::{
    Buffering, CircuitBreaker, Compress, InFlightReq, IpAllowList, IpWhiteList, RateLimit, Retry,
};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Configuration of one plugin instance (`dynamic.PluginConf`, a `map[string]any`).
pub type PluginConf = IndexMap<String, serde_json::Value>;

/// An HTTP middleware; exactly one type field must be set (`dynamic.Middleware`).
///
/// Not modelled (tagged `file:"-"`, only set by other providers): the Gateway API
/// filters `RequestHeaderModifier`, `ResponseHeaderModifier`, `RequestRedirect`,
/// `URLRewrite` and the ingress-nginx ones `AuthTLSPassCertificateToUpstream`,
/// `Snippet`, `RewriteTarget`, `UpstreamVHost`, `AppRoot`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Middleware {
    /// Adds a path prefix.
    #[serde(rename = "addPrefix", skip_serializing_if = "Option::is_none")]
    pub add_prefix: Option<Box<AddPrefix>>,
    /// Strips path prefixes.
    #[serde(rename = "stripPrefix", skip_serializing_if = "Option::is_none")]
    pub strip_prefix: Option<Box<StripPrefix>>,
    /// Strips path prefixes matching regexes.
    #[serde(rename = "stripPrefixRegex", skip_serializing_if = "Option::is_none")]
    pub strip_prefix_regex: Option<Box<StripPrefixRegex>>,
    /// Replaces the path.
    #[serde(rename = "replacePath", skip_serializing_if = "Option::is_none")]
    pub replace_path: Option<Box<ReplacePath>>,
    /// Replaces the path with a regex.
    #[serde(rename = "replacePathRegex", skip_serializing_if = "Option::is_none")]
    pub replace_path_regex: Option<Box<ReplacePathRegex>>,
    /// Chains other middlewares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<Box<Chain>>,
    /// Deprecated client-IP allow list (use `ipAllowList`); still accepted.
    #[serde(rename = "ipWhiteList", skip_serializing_if = "Option::is_none")]
    pub ip_white_list: Option<Box<IpWhiteList>>,
    /// Client-IP allow list.
    #[serde(rename = "ipAllowList", skip_serializing_if = "Option::is_none")]
    pub ip_allow_list: Option<Box<IpAllowList>>,
    /// Request/response headers, CORS and security headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Box<Headers>>,
    /// Which encoded characters are allowed in the request path.
    #[serde(rename = "encodedCharacters", skip_serializing_if = "Option::is_none")]
    pub encoded_characters: Option<Box<EncodedCharacters>>,
    /// Custom error pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Box<ErrorPage>>,
    /// Rate limiting.
    #[serde(rename = "rateLimit", skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<Box<RateLimit>>,
    /// Regex redirect.
    #[serde(rename = "redirectRegex", skip_serializing_if = "Option::is_none")]
    pub redirect_regex: Option<Box<RedirectRegex>>,
    /// Scheme redirect.
    #[serde(rename = "redirectScheme", skip_serializing_if = "Option::is_none")]
    pub redirect_scheme: Option<Box<RedirectScheme>>,
    /// Basic authentication.
    #[serde(rename = "basicAuth", skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<Box<BasicAuth>>,
    /// Digest authentication.
    #[serde(rename = "digestAuth", skip_serializing_if = "Option::is_none")]
    pub digest_auth: Option<Box<DigestAuth>>,
    /// Delegated authentication.
    #[serde(rename = "forwardAuth", skip_serializing_if = "Option::is_none")]
    pub forward_auth: Option<Box<ForwardAuth>>,
    /// Concurrent request limit.
    #[serde(rename = "inFlightReq", skip_serializing_if = "Option::is_none")]
    pub in_flight_req: Option<Box<InFlightReq>>,
    /// Request/response buffering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffering: Option<Box<Buffering>>,
    /// Circuit breaker.
    #[serde(rename = "circuitBreaker", skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<Box<CircuitBreaker>>,
    /// Response compression; `compress: {}` (allowEmpty) uses defaults.
    #[serde(
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub compress: Option<Box<Compress>>,
    /// Client certificate forwarded in headers.
    #[serde(rename = "passTLSClientCert", skip_serializing_if = "Option::is_none")]
    pub pass_tls_client_cert: Option<Box<PassTlsClientCert>>,
    /// Retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<Box<Retry>>,
    /// Content-Type auto-detection; `contentType: {}` (allowEmpty) enables it.
    #[serde(
        rename = "contentType",
        default,
        deserialize_with = "allow_empty",
        skip_serializing_if = "Option::is_none"
    )]
    pub content_type: Option<Box<ContentType>>,
    /// gRPC-Web to gRPC conversion.
    #[serde(rename = "grpcWeb", skip_serializing_if = "Option::is_none")]
    pub grpc_web: Option<Box<GrpcWeb>>,
    /// Plugin middleware: one entry, plugin name → plugin configuration.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub plugin: IndexMap<String, PluginConf>,
}

impl Middleware {
    /// The middleware types that are set, by JSON name, in Go field order.
    ///
    /// More than one is Traefik's "cannot create middleware: multi-types middleware
    /// not supported, consider declaring two different pieces of middleware
    /// instead"; none is "invalid middleware type or middleware does not exist".
    /// `plugin` counts when the map is not empty.
    pub fn type_names(&self) -> Vec<&'static str> {
        let set: [(bool, &'static str); 26] = [
            (self.add_prefix.is_some(), "addPrefix"),
            (self.strip_prefix.is_some(), "stripPrefix"),
            (self.strip_prefix_regex.is_some(), "stripPrefixRegex"),
            (self.replace_path.is_some(), "replacePath"),
            (self.replace_path_regex.is_some(), "replacePathRegex"),
            (self.chain.is_some(), "chain"),
            (self.ip_white_list.is_some(), "ipWhiteList"),
            (self.ip_allow_list.is_some(), "ipAllowList"),
            (self.headers.is_some(), "headers"),
            (self.encoded_characters.is_some(), "encodedCharacters"),
            (self.errors.is_some(), "errors"),
            (self.rate_limit.is_some(), "rateLimit"),
            (self.redirect_regex.is_some(), "redirectRegex"),
            (self.redirect_scheme.is_some(), "redirectScheme"),
            (self.basic_auth.is_some(), "basicAuth"),
            (self.digest_auth.is_some(), "digestAuth"),
            (self.forward_auth.is_some(), "forwardAuth"),
            (self.in_flight_req.is_some(), "inFlightReq"),
            (self.buffering.is_some(), "buffering"),
            (self.circuit_breaker.is_some(), "circuitBreaker"),
            (self.compress.is_some(), "compress"),
            (self.pass_tls_client_cert.is_some(), "passTLSClientCert"),
            (self.retry.is_some(), "retry"),
            (self.content_type.is_some(), "contentType"),
            (self.grpc_web.is_some(), "grpcWeb"),
            (!self.plugin.is_empty(), "plugin"),
        ];
        set.into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect()
    }

    /// Members of a `chain` middleware, as written (empty for other types).
    pub fn chain_members(&self) -> &[String] {
        self.chain
            .as_ref()
            .map_or(&[], |c| c.middlewares.as_slice())
    }

    /// Services this middleware refers to by name (`errors.service`).
    pub fn referenced_services(&self) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|e| !e.service.is_empty())
            .map(|e| e.service.as_str())
            .collect()
    }
}

/// Adds a prefix to the request path (`dynamic.AddPrefix`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AddPrefix {
    /// Prefix to add; should start with `/`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefix: String,
}

/// Chains other middlewares under one name (`dynamic.Chain`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Chain {
    /// Middleware names, applied in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
}

/// Enables Content-Type auto-detection (`dynamic.ContentType`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentType {
    /// Deprecated; the middleware's presence is what enables detection.
    #[serde(rename = "autoDetect", skip_serializing_if = "Option::is_none")]
    pub auto_detect: Option<bool>,
}

/// Converts gRPC-Web requests to gRPC (`dynamic.GrpcWeb`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GrpcWeb {
    /// Allowed origins (`*` for any).
    #[serde(rename = "allowOrigins", skip_serializing_if = "Vec::is_empty")]
    pub allow_origins: Vec<String>,
}

/// Which encoded characters the request path may contain (`dynamic.EncodedCharacters`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EncodedCharacters {
    /// Allows `%2F`.
    #[serde(rename = "allowEncodedSlash", skip_serializing_if = "is_false")]
    pub allow_encoded_slash: bool,
    /// Allows `%5C`.
    #[serde(rename = "allowEncodedBackSlash", skip_serializing_if = "is_false")]
    pub allow_encoded_back_slash: bool,
    /// Allows `%00`.
    #[serde(rename = "allowEncodedNullCharacter", skip_serializing_if = "is_false")]
    pub allow_encoded_null_character: bool,
    /// Allows `%3B`.
    #[serde(rename = "allowEncodedSemicolon", skip_serializing_if = "is_false")]
    pub allow_encoded_semicolon: bool,
    /// Allows `%25`.
    #[serde(rename = "allowEncodedPercent", skip_serializing_if = "is_false")]
    pub allow_encoded_percent: bool,
    /// Allows `%3F`.
    #[serde(rename = "allowEncodedQuestionMark", skip_serializing_if = "is_false")]
    pub allow_encoded_question_mark: bool,
    /// Allows `%23`.
    #[serde(rename = "allowEncodedHash", skip_serializing_if = "is_false")]
    pub allow_encoded_hash: bool,
}

/// Custom error pages served by another service (`dynamic.ErrorPage`).
///
/// Not modelled: `NginxHeaders` (`file:"-"`, ingress-nginx only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorPage {
    /// Statuses or ranges that trigger the page, e.g. `500-599`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<String>,
    /// Status rewrites, e.g. `"418": 404` or `"410-418": 404`.
    #[serde(rename = "statusRewrites", skip_serializing_if = "IndexMap::is_empty")]
    pub status_rewrites: IndexMap<String, i64>,
    /// Service serving the error page.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub service: String,
    /// Page URL; `{status}`, `{originalStatus}` and `{url}` are substituted.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// Request headers forwarded to the error service (all when unset).
    #[serde(rename = "errorRequestHeaders", skip_serializing_if = "Vec::is_empty")]
    pub error_request_headers: Vec<String>,
}

/// Regex redirect (`dynamic.RedirectRegex`).
///
/// Not modelled: `StatusCode` (`file:"-"`, ingress-nginx only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RedirectRegex {
    /// Regex matched against the request URL.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub regex: String,
    /// Target URL with `${n}` captures.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub replacement: String,
    /// 308 (permanent) instead of 307.
    #[serde(skip_serializing_if = "is_false")]
    pub permanent: bool,
}

/// Scheme redirect (`dynamic.RedirectScheme`).
///
/// Not modelled: `ForcePermanentRedirect` (`file:"-"`, ingress-nginx only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RedirectScheme {
    /// Target scheme.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scheme: String,
    /// Target port.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub port: String,
    /// Permanent redirect (301/308).
    #[serde(skip_serializing_if = "is_false")]
    pub permanent: bool,
}

/// Replaces the request path (`dynamic.ReplacePath`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplacePath {
    /// New path.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

/// Replaces the request path with a regex (`dynamic.ReplacePathRegex`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplacePathRegex {
    /// Regex matched against the path.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub regex: String,
    /// Replacement with `${n}` captures.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub replacement: String,
}

/// Strips path prefixes (`dynamic.StripPrefix`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StripPrefix {
    /// Prefixes to strip.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
    /// Deprecated: keeps `/` when the stripped path is empty.
    #[serde(rename = "forceSlash", skip_serializing_if = "Option::is_none")]
    pub force_slash: Option<bool>,
}

/// Strips path prefixes matching regexes (`dynamic.StripPrefixRegex`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StripPrefixRegex {
    /// Prefix regexes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regex: Vec<String>,
}
