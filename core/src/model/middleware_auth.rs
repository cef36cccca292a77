//! Authentication, client-certificate and header middlewares
//! (`dynamic.BasicAuth`, `DigestAuth`, `ForwardAuth`, `PassTLSClientCert`, `Headers`).

use super::is_false;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Basic authentication (`dynamic.BasicAuth`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BasicAuth {
    /// Users as `name:hashed-password` (htpasswd format).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// File with more users, one per line.
    #[serde(rename = "usersFile", skip_serializing_if = "String::is_empty")]
    pub users_file: String,
    /// Realm (default `traefik`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub realm: String,
    /// Removes the Authorization header before forwarding.
    #[serde(rename = "removeHeader", skip_serializing_if = "is_false")]
    pub remove_header: bool,
    /// Header that receives the authenticated user name.
    #[serde(rename = "headerField", skip_serializing_if = "String::is_empty")]
    pub header_field: String,
    /// The users come from a Kubernetes Secret whose data was not read (syncd
    /// watches Secrets as names only; `syncctl` assumes Secrets missing from
    /// the manifests): `users` is empty but Traefik would have some. Not part
    /// of Traefik's configuration, never serialised.
    #[serde(skip)]
    pub users_assumed: bool,
}

/// Digest authentication (`dynamic.DigestAuth`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DigestAuth {
    /// Users as `name:realm:encoded-password`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// File with more users, one per line.
    #[serde(rename = "usersFile", skip_serializing_if = "String::is_empty")]
    pub users_file: String,
    /// Removes the Authorization header before forwarding.
    #[serde(rename = "removeHeader", skip_serializing_if = "is_false")]
    pub remove_header: bool,
    /// Realm (default `traefik`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub realm: String,
    /// Header that receives the authenticated user name.
    #[serde(rename = "headerField", skip_serializing_if = "String::is_empty")]
    pub header_field: String,
}

/// Delegates authentication to an external server (`dynamic.ForwardAuth`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ForwardAuth {
    /// Authentication server URL.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub address: String,
    /// TLS towards the authentication server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<ClientTls>,
    /// Deprecated: trusts all incoming `X-Forwarded-*` headers.
    #[serde(rename = "trustForwardHeader", skip_serializing_if = "Option::is_none")]
    pub trust_forward_header: Option<bool>,
    /// Headers copied from the auth response to the forwarded request.
    #[serde(rename = "authResponseHeaders", skip_serializing_if = "Vec::is_empty")]
    pub auth_response_headers: Vec<String>,
    /// Regex of auth response headers copied to the forwarded request.
    #[serde(
        rename = "authResponseHeadersRegex",
        skip_serializing_if = "String::is_empty"
    )]
    pub auth_response_headers_regex: String,
    /// Request headers sent to the auth server (all when empty).
    #[serde(rename = "authRequestHeaders", skip_serializing_if = "Vec::is_empty")]
    pub auth_request_headers: Vec<String>,
    /// Maximum auth response body size in bytes.
    #[serde(
        rename = "maxResponseBodySize",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_response_body_size: Option<i64>,
    /// Cookies copied from the auth response to the client response.
    #[serde(
        rename = "addAuthCookiesToResponse",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub add_auth_cookies_to_response: Vec<String>,
    /// Header that receives the authenticated user name.
    #[serde(rename = "headerField", skip_serializing_if = "String::is_empty")]
    pub header_field: String,
    /// Sends the request body to the auth server.
    #[serde(rename = "forwardBody", skip_serializing_if = "is_false")]
    pub forward_body: bool,
    /// Maximum forwarded body size in bytes (default -1, unlimited).
    #[serde(rename = "maxBodySize", skip_serializing_if = "Option::is_none")]
    pub max_body_size: Option<i64>,
    /// Keeps the auth server's Location header as is.
    #[serde(rename = "preserveLocationHeader", skip_serializing_if = "is_false")]
    pub preserve_location_header: bool,
    /// Keeps the original request method towards the auth server.
    #[serde(rename = "preserveRequestMethod", skip_serializing_if = "is_false")]
    pub preserve_request_method: bool,
    /// Redirect target when the auth server answers 401 (Go field `AuthSigninURL`).
    #[serde(rename = "authSigninURL", skip_serializing_if = "String::is_empty")]
    pub auth_signin_url: String,
}

/// Client TLS towards a forward-auth server (`dynamic.ClientTLS`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientTls {
    /// CA certificate (path or PEM).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca: String,
    /// Client certificate (path or PEM).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cert: String,
    /// Client key (path or PEM).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Skips server certificate verification.
    #[serde(rename = "insecureSkipVerify", skip_serializing_if = "is_false")]
    pub insecure_skip_verify: bool,
    /// Deprecated: makes the CA optional.
    #[serde(rename = "caOptional", skip_serializing_if = "Option::is_none")]
    pub ca_optional: Option<bool>,
}

/// Forwards client-certificate data in headers (`dynamic.PassTLSClientCert`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PassTlsClientCert {
    /// Sets `X-Forwarded-Tls-Client-Cert` with the PEM (Go field `PEM`).
    #[serde(skip_serializing_if = "is_false")]
    pub pem: bool,
    /// Fields put in `X-Forwarded-Tls-Client-Cert-Info`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<TlsClientCertificateInfo>,
}

/// Selected client-certificate fields (`dynamic.TLSClientCertificateInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsClientCertificateInfo {
    /// Adds `NotAfter`.
    #[serde(rename = "notAfter", skip_serializing_if = "is_false")]
    pub not_after: bool,
    /// Adds `NotBefore`.
    #[serde(rename = "notBefore", skip_serializing_if = "is_false")]
    pub not_before: bool,
    /// Adds the SANs.
    #[serde(skip_serializing_if = "is_false")]
    pub sans: bool,
    /// Adds the serial number.
    #[serde(rename = "serialNumber", skip_serializing_if = "is_false")]
    pub serial_number: bool,
    /// Subject fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<TlsClientCertificateSubjectDnInfo>,
    /// Issuer fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<TlsClientCertificateIssuerDnInfo>,
}

/// Issuer DN fields to forward (`dynamic.TLSClientCertificateIssuerDNInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsClientCertificateIssuerDnInfo {
    /// `C`.
    #[serde(skip_serializing_if = "is_false")]
    pub country: bool,
    /// `ST`.
    #[serde(skip_serializing_if = "is_false")]
    pub province: bool,
    /// `L`.
    #[serde(skip_serializing_if = "is_false")]
    pub locality: bool,
    /// `O`.
    #[serde(skip_serializing_if = "is_false")]
    pub organization: bool,
    /// `CN`.
    #[serde(rename = "commonName", skip_serializing_if = "is_false")]
    pub common_name: bool,
    /// `SerialNumber`.
    #[serde(rename = "serialNumber", skip_serializing_if = "is_false")]
    pub serial_number: bool,
    /// `DC`.
    #[serde(rename = "domainComponent", skip_serializing_if = "is_false")]
    pub domain_component: bool,
}

/// Subject DN fields to forward (`dynamic.TLSClientCertificateSubjectDNInfo`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsClientCertificateSubjectDnInfo {
    /// `C`.
    #[serde(skip_serializing_if = "is_false")]
    pub country: bool,
    /// `ST`.
    #[serde(skip_serializing_if = "is_false")]
    pub province: bool,
    /// `L`.
    #[serde(skip_serializing_if = "is_false")]
    pub locality: bool,
    /// `O`.
    #[serde(skip_serializing_if = "is_false")]
    pub organization: bool,
    /// `OU`.
    #[serde(rename = "organizationalUnit", skip_serializing_if = "is_false")]
    pub organizational_unit: bool,
    /// `CN`.
    #[serde(rename = "commonName", skip_serializing_if = "is_false")]
    pub common_name: bool,
    /// `SerialNumber`.
    #[serde(rename = "serialNumber", skip_serializing_if = "is_false")]
    pub serial_number: bool,
    /// `DC`.
    #[serde(rename = "domainComponent", skip_serializing_if = "is_false")]
    pub domain_component: bool,
}

/// Custom, CORS and security headers (`dynamic.Headers`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Headers {
    /// Headers set on the request (empty value removes).
    #[serde(
        rename = "customRequestHeaders",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub custom_request_headers: IndexMap<String, String>,
    /// Headers set on the response (empty value removes).
    #[serde(
        rename = "customResponseHeaders",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub custom_response_headers: IndexMap<String, String>,
    /// `Access-Control-Allow-Credentials`.
    #[serde(
        rename = "accessControlAllowCredentials",
        skip_serializing_if = "is_false"
    )]
    pub access_control_allow_credentials: bool,
    /// `Access-Control-Allow-Headers`.
    #[serde(
        rename = "accessControlAllowHeaders",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub access_control_allow_headers: Vec<String>,
    /// `Access-Control-Allow-Methods`.
    #[serde(
        rename = "accessControlAllowMethods",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub access_control_allow_methods: Vec<String>,
    /// Allowed origins (`*` for any).
    #[serde(
        rename = "accessControlAllowOriginList",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub access_control_allow_origin_list: Vec<String>,
    /// Allowed origins as Go regexes.
    #[serde(
        rename = "accessControlAllowOriginListRegex",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub access_control_allow_origin_list_regex: Vec<String>,
    /// `Access-Control-Expose-Headers`.
    #[serde(
        rename = "accessControlExposeHeaders",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub access_control_expose_headers: Vec<String>,
    /// `Access-Control-Max-Age` in seconds.
    #[serde(
        rename = "accessControlMaxAge",
        skip_serializing_if = "Option::is_none"
    )]
    pub access_control_max_age: Option<i64>,
    /// Adds/updates `Vary` when an origin list is set.
    #[serde(rename = "addVaryHeader", skip_serializing_if = "is_false")]
    pub add_vary_header: bool,
    /// Allowed host names.
    #[serde(rename = "allowedHosts", skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,
    /// Headers that may carry the proxied host name.
    #[serde(rename = "hostsProxyHeaders", skip_serializing_if = "Vec::is_empty")]
    pub hosts_proxy_headers: Vec<String>,
    /// Header/value pairs that mark a request as HTTPS (Go field `SSLProxyHeaders`).
    #[serde(rename = "sslProxyHeaders", skip_serializing_if = "IndexMap::is_empty")]
    pub ssl_proxy_headers: IndexMap<String, String>,
    /// `Strict-Transport-Security` max-age (Go field `STSSeconds`).
    #[serde(rename = "stsSeconds", skip_serializing_if = "Option::is_none")]
    pub sts_seconds: Option<i64>,
    /// Adds `includeSubDomains` to STS (Go field `STSIncludeSubdomains`).
    #[serde(rename = "stsIncludeSubdomains", skip_serializing_if = "is_false")]
    pub sts_include_subdomains: bool,
    /// Adds `preload` to STS (Go field `STSPreload`).
    #[serde(rename = "stsPreload", skip_serializing_if = "is_false")]
    pub sts_preload: bool,
    /// Sends STS even over HTTP (Go field `ForceSTSHeader`).
    #[serde(rename = "forceSTSHeader", skip_serializing_if = "is_false")]
    pub force_sts_header: bool,
    /// `X-Frame-Options: DENY`.
    #[serde(rename = "frameDeny", skip_serializing_if = "is_false")]
    pub frame_deny: bool,
    /// Custom `X-Frame-Options` value.
    #[serde(
        rename = "customFrameOptionsValue",
        skip_serializing_if = "String::is_empty"
    )]
    pub custom_frame_options_value: String,
    /// `X-Content-Type-Options: nosniff`.
    #[serde(rename = "contentTypeNosniff", skip_serializing_if = "is_false")]
    pub content_type_nosniff: bool,
    /// `X-XSS-Protection: 1; mode=block` (Go field `BrowserXSSFilter`).
    #[serde(rename = "browserXssFilter", skip_serializing_if = "is_false")]
    pub browser_xss_filter: bool,
    /// Custom `X-XSS-Protection` value (Go field `CustomBrowserXSSValue`).
    #[serde(
        rename = "customBrowserXSSValue",
        skip_serializing_if = "String::is_empty"
    )]
    pub custom_browser_xss_value: String,
    /// `Content-Security-Policy`.
    #[serde(
        rename = "contentSecurityPolicy",
        skip_serializing_if = "String::is_empty"
    )]
    pub content_security_policy: String,
    /// `Content-Security-Policy-Report-Only`.
    #[serde(
        rename = "contentSecurityPolicyReportOnly",
        skip_serializing_if = "String::is_empty"
    )]
    pub content_security_policy_report_only: String,
    /// HPKP public key.
    #[serde(rename = "publicKey", skip_serializing_if = "String::is_empty")]
    pub public_key: String,
    /// `Referrer-Policy`.
    #[serde(rename = "referrerPolicy", skip_serializing_if = "String::is_empty")]
    pub referrer_policy: String,
    /// `Permissions-Policy`.
    #[serde(rename = "permissionsPolicy", skip_serializing_if = "String::is_empty")]
    pub permissions_policy: String,
    /// Relaxes host/SSL/STS options for development.
    #[serde(rename = "isDevelopment", skip_serializing_if = "is_false")]
    pub is_development: bool,
    /// Deprecated `Feature-Policy` (use `permissionsPolicy`).
    #[serde(rename = "featurePolicy", skip_serializing_if = "Option::is_none")]
    pub feature_policy: Option<String>,
    /// Deprecated HTTPS redirect (Go field `SSLRedirect`).
    #[serde(rename = "sslRedirect", skip_serializing_if = "Option::is_none")]
    pub ssl_redirect: Option<bool>,
    /// Deprecated temporary HTTPS redirect (Go field `SSLTemporaryRedirect`).
    #[serde(
        rename = "sslTemporaryRedirect",
        skip_serializing_if = "Option::is_none"
    )]
    pub ssl_temporary_redirect: Option<bool>,
    /// Deprecated HTTPS redirect host (Go field `SSLHost`).
    #[serde(rename = "sslHost", skip_serializing_if = "Option::is_none")]
    pub ssl_host: Option<String>,
    /// Deprecated forced HTTPS redirect host (Go field `SSLForceHost`).
    #[serde(rename = "sslForceHost", skip_serializing_if = "Option::is_none")]
    pub ssl_force_host: Option<bool>,
}
