//! The `tls` section of the dynamic configuration (Traefik `pkg/tls`,
//! `dynamic.TLSConfiguration`) and the shared `pkg/types` TLS helpers.

use super::{is_default, is_false, is_zero};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A file path or inline PEM content (Traefik `types.FileOrContent`): Traefik
/// reads the file when the path exists, otherwise uses the string itself.
pub type FileOrContent = String;

/// Top-level `tls` section: certificates, named TLS options and stores (`dynamic.TLSConfiguration`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsConfiguration {
    /// Certificates Traefik loads, each added to the listed stores (default store when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertAndStores>,
    /// Named TLS options that routers select with `tls.options`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub options: IndexMap<String, TlsOptions>,
    /// Named certificate stores; Traefik only supports the one called `default`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub stores: IndexMap<String, TlsStore>,
}

/// A certificate/key pair; each can be a file path or the PEM content itself (`tls.Certificate`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Certificate {
    /// Certificate chain (path or PEM).
    #[serde(rename = "certFile", skip_serializing_if = "String::is_empty")]
    pub cert_file: FileOrContent,
    /// Private key (path or PEM); never logged by Traefik.
    #[serde(rename = "keyFile", skip_serializing_if = "String::is_empty")]
    pub key_file: FileOrContent,
}

/// A certificate plus the stores it goes into (`tls.CertAndStores`).
///
/// Go embeds `Certificate` anonymously (paerser matches its fields at this level),
/// so its two fields are repeated here instead of a `#[serde(flatten)]`, which
/// would hide the field list from the decoder.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CertAndStores {
    /// Certificate chain (path or PEM), from the embedded `Certificate`.
    #[serde(rename = "certFile", skip_serializing_if = "String::is_empty")]
    pub cert_file: FileOrContent,
    /// Private key (path or PEM), from the embedded `Certificate`.
    #[serde(rename = "keyFile", skip_serializing_if = "String::is_empty")]
    pub key_file: FileOrContent,
    /// Stores the certificate is added to; Traefik uses `default` when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
}

impl CertAndStores {
    /// The embedded certificate/key pair.
    pub fn certificate(&self) -> Certificate {
        Certificate {
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        }
    }
}

/// Named TLS options: versions, ciphers, curves, client auth, SNI strictness (`tls.Options`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsOptions {
    /// Minimum TLS version (`VersionTLS10` … `VersionTLS13`).
    #[serde(rename = "minVersion", skip_serializing_if = "String::is_empty")]
    pub min_version: String,
    /// Maximum TLS version (`VersionTLS10` … `VersionTLS13`).
    #[serde(rename = "maxVersion", skip_serializing_if = "String::is_empty")]
    pub max_version: String,
    /// Cipher suites by Go name; unknown names fail the option.
    #[serde(rename = "cipherSuites", skip_serializing_if = "Vec::is_empty")]
    pub cipher_suites: Vec<String>,
    /// Elliptic curves by Go or RFC name.
    #[serde(rename = "curvePreferences", skip_serializing_if = "Vec::is_empty")]
    pub curve_preferences: Vec<String>,
    /// Client certificate authentication (mTLS); a plain struct in Go, not a pointer.
    #[serde(rename = "clientAuth", skip_serializing_if = "is_default")]
    pub client_auth: ClientAuth,
    /// Rejects handshakes whose SNI matches no certificate.
    #[serde(rename = "sniStrict", skip_serializing_if = "is_false")]
    pub sni_strict: bool,
    /// ALPN protocols offered (default `h2`, `http/1.1`, `acme-tls/1`).
    #[serde(rename = "alpnProtocols", skip_serializing_if = "Vec::is_empty")]
    pub alpn_protocols: Vec<String>,
    /// Disables TLS session tickets (resumption).
    #[serde(rename = "disableSessionTickets", skip_serializing_if = "is_false")]
    pub disable_session_tickets: bool,
    /// Deprecated and ignored by Go's TLS stack; still accepted.
    #[serde(
        rename = "preferServerCipherSuites",
        skip_serializing_if = "Option::is_none"
    )]
    pub prefer_server_cipher_suites: Option<bool>,
}

/// Client-certificate authentication of a TLS option (`tls.ClientAuth`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientAuth {
    /// CA certificates (paths or PEM) used to verify client certificates.
    #[serde(rename = "caFiles", skip_serializing_if = "Vec::is_empty")]
    pub ca_files: Vec<FileOrContent>,
    /// `NoClientCert`, `RequestClientCert`, `RequireAnyClientCert`,
    /// `VerifyClientCertIfGiven` or `RequireAndVerifyClientCert`.
    #[serde(rename = "clientAuthType", skip_serializing_if = "String::is_empty")]
    pub client_auth_type: String,
}

/// A certificate store: its default certificate, given or generated (`tls.Store`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsStore {
    /// Certificate served when no other matches the SNI.
    #[serde(rename = "defaultCertificate", skip_serializing_if = "Option::is_none")]
    pub default_certificate: Option<Certificate>,
    /// Default certificate obtained from a certificate resolver instead.
    #[serde(
        rename = "defaultGeneratedCert",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_generated_cert: Option<GeneratedCert>,
}

/// Default certificate issued by a resolver (`tls.GeneratedCert`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratedCert {
    /// Certificate resolver (static configuration) that issues the certificate.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resolver: String,
    /// Domain the certificate is issued for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<Domain>,
}

/// A main domain with SANs, as routers request them from resolvers (`types.Domain`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Domain {
    /// Main subject name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub main: String,
    /// Subject alternative names (Go field `SANs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
}

/// Client TLS settings with a CA, certificate and key (paths or PEM) (`types.ClientTLS`, used by `rateLimit.redis.tls`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TypesClientTls {
    /// CA certificate (path or PEM) to verify the server.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ca: String,
    /// Client certificate (path or PEM).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cert: String,
    /// Client key (path or PEM); both `cert` and `key` or neither.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Skips server certificate verification.
    #[serde(rename = "insecureSkipVerify", skip_serializing_if = "is_false")]
    pub insecure_skip_verify: bool,
}

/// Allowed SPIFFE identities of the backend servers (`dynamic.Spiffe`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Spiffe {
    /// Allowed SPIFFE IDs (take precedence over `trustDomain`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    /// Allowed SPIFFE trust domain.
    #[serde(rename = "trustDomain", skip_serializing_if = "String::is_empty")]
    pub trust_domain: String,
}

/// PROXY protocol sent to TCP backends (`dynamic.ProxyProtocol`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxyProtocol {
    /// PROXY protocol version, 1 or 2 (Traefik's default is 2).
    #[serde(skip_serializing_if = "is_zero")]
    pub version: i64,
}
