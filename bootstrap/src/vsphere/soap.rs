//! vim25 SOAP transport: envelope, session cookie, faults.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::Url;

use super::xml::{self, Element, escape};

pub const ENVELOPE_OPEN: &str = r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>"#;
pub const ENVELOPE_CLOSE: &str = "</soapenv:Body></soapenv:Envelope>";
const SESSION_COOKIE: &str = "vmware_soap_session";

/// A managed object reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MoRef {
    pub ty: String,
    pub value: String,
}

impl MoRef {
    pub fn new(ty: &str, value: &str) -> MoRef {
        MoRef {
            ty: ty.into(),
            value: value.into(),
        }
    }
    /// From an element like `<obj type="VirtualMachine">vm-1</obj>`.
    pub fn from_element(e: &Element) -> Option<MoRef> {
        Some(MoRef {
            ty: e.attr("type")?.to_string(),
            value: e.text.trim().to_string(),
        })
    }
    /// `<name type="T">v</name>`
    pub fn xml(&self, name: &str) -> String {
        format!(
            "<{name} type=\"{}\">{}</{name}>",
            escape(&self.ty),
            escape(&self.value)
        )
    }
}

impl std::fmt::Display for MoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.ty, self.value)
    }
}

pub const RESTRICTED_EXPLANATION: &str = "the host runs the free vSphere Hypervisor licence, \
which makes the vSphere API read-only: reads work, but creating, changing or powering VMs is \
refused. Assign an evaluation or paid licence to the host (ESXi Host Client: Manage > \
Licensing), then run bootstrap again. bootstrap does not work around the restriction.";

#[derive(Debug, thiserror::Error)]
pub enum VimError {
    #[error("{host}: {method}: no answer from {url}: {message}")]
    Http {
        host: String,
        method: String,
        url: String,
        message: String,
    },
    #[error(
        "{host}: {method} refused with RestrictedVersion ({message}): {RESTRICTED_EXPLANATION}"
    )]
    Restricted {
        host: String,
        method: String,
        message: String,
    },
    #[error("{host}: {method} failed: {fault}: {message}")]
    Fault {
        host: String,
        method: String,
        fault: String,
        message: String,
    },
    #[error("{host}: {what} failed in task {task}: {fault}: {message}")]
    Task {
        host: String,
        what: String,
        task: String,
        fault: String,
        message: String,
    },
    #[error("{host}: {method}: unexpected response: {message}")]
    Protocol {
        host: String,
        method: String,
        message: String,
    },
    #[error("{host}: {message}")]
    Other { host: String, message: String },
}

impl VimError {
    /// The vim25 fault type, for faults and failed tasks.
    pub fn fault_type(&self) -> Option<&str> {
        match self {
            VimError::Fault { fault, .. } | VimError::Task { fault, .. } => Some(fault),
            VimError::Restricted { .. } => Some("RestrictedVersion"),
            _ => None,
        }
    }
}

/// TLS settings for one host.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub ca_pem: Option<Vec<u8>>,
    /// SHA-256 of the expected end-entity certificate (DER).
    pub pin_sha256: Option<Vec<u8>>,
    pub insecure: bool,
}

/// Accepts exactly one certificate, by SHA-256 fingerprint; signatures are still verified.
#[derive(Debug)]
struct PinnedCert {
    sha256: Vec<u8>,
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedCert {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use sha2::Digest;
        let got = sha2::Sha256::digest(end_entity.as_ref());
        if got.as_slice() == self.sha256.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint mismatch: the host presents SHA-256 {}",
                crate::pki::hex(&got)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

pub struct SoapClient {
    pub host: String,
    pub url: Url,
    http: reqwest::Client,
    cookie: Mutex<Option<String>>,
    api_version: Mutex<String>,
}

impl SoapClient {
    /// `url` may omit `/sdk`.
    pub fn new(host: &str, url: &str, tls: &TlsSettings) -> Result<SoapClient, VimError> {
        let other = |message: String| VimError::Other {
            host: host.into(),
            message,
        };
        let mut url = Url::parse(url).map_err(|e| other(format!("bad url {url:?}: {e}")))?;
        if url.path() == "/" || url.path().is_empty() {
            url.set_path("/sdk");
        }
        let mut b = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .pool_idle_timeout(Duration::from_secs(30));
        if let Some(pem) = &tls.ca_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| other(format!("ca_file is not a PEM certificate: {e}")))?;
            b = b.tls_certs_only([cert]);
        }
        if let Some(pin) = &tls.pin_sha256 {
            let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
            let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| other(format!("TLS setup: {e}")))?
                .dangerous()
                .with_custom_certificate_verifier(std::sync::Arc::new(PinnedCert {
                    sha256: pin.clone(),
                    provider,
                }))
                .with_no_client_auth();
            cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
            b = b.tls_backend_preconfigured(cfg);
        }
        if tls.insecure {
            b = b.tls_danger_accept_invalid_certs(true);
        }
        let http = b
            .build()
            .map_err(|e| other(format!("cannot build the HTTP client: {e}")))?;
        Ok(SoapClient {
            host: host.into(),
            url,
            http,
            cookie: Mutex::new(None),
            api_version: Mutex::new("6.5".into()),
        })
    }

    pub fn set_api_version(&self, v: &str) {
        if let Ok(mut g) = self.api_version.lock() {
            *g = v.to_string();
        }
    }

    pub fn cookie_header(&self) -> Option<String> {
        self.cookie.lock().ok().and_then(|g| g.clone())
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Calls `method` on `this` with the already-serialised parameters; returns the response
    /// element (`<methodResponse>`).
    pub async fn call(
        &self,
        method: &str,
        this: &MoRef,
        params: &str,
    ) -> Result<Element, VimError> {
        let body = format!(
            "{ENVELOPE_OPEN}<{method} xmlns=\"urn:vim25\">{}{params}</{method}>{ENVELOPE_CLOSE}",
            this.xml("_this")
        );
        let action = format!(
            "\"urn:vim25/{}\"",
            self.api_version
                .lock()
                .map(|g| g.clone())
                .unwrap_or_default()
        );
        let mut req = self
            .http
            .post(self.url.clone())
            .timeout(Duration::from_secs(300))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", action)
            .body(body);
        if let Some(c) = self.cookie_header() {
            req = req.header("Cookie", c);
        }
        let resp = req.send().await.map_err(|e| {
            let mut message = error_chain(&e);
            if message.contains("CaUsedAsEndEntity") {
                message.push_str(
                    " (the host presents a self-signed CA certificate as its own; pin it with \
                     thumbprint_sha256 instead of ca_file)",
                );
            }
            VimError::Http {
                host: self.host.clone(),
                method: method.into(),
                url: self.url.to_string(),
                message,
            }
        })?;
        for v in resp.headers().get_all("set-cookie") {
            if let Ok(s) = v.to_str()
                && let Some(pair) = s.split(';').next()
                && pair.trim_start().starts_with(SESSION_COOKIE)
                && let Ok(mut g) = self.cookie.lock()
            {
                *g = Some(pair.trim().to_string());
            }
        }
        let status = resp.status();
        let text = resp.text().await.map_err(|e| VimError::Http {
            host: self.host.clone(),
            method: method.into(),
            url: self.url.to_string(),
            message: error_chain(&e),
        })?;
        let protocol = |message: String| VimError::Protocol {
            host: self.host.clone(),
            method: method.into(),
            message,
        };
        if text.trim().is_empty() {
            return Err(protocol(format!("HTTP {status} with an empty body")));
        }
        let root = xml::parse(&text).map_err(|e| protocol(format!("HTTP {status}: {e}")))?;
        let body = root
            .child("Body")
            .ok_or_else(|| protocol(format!("HTTP {status}: no SOAP Body")))?;
        if let Some(f) = body.child("Fault") {
            return Err(fault_error(&self.host, method, f));
        }
        if !status.is_success() {
            return Err(protocol(format!("HTTP {status}")));
        }
        body.children
            .first()
            .cloned()
            .ok_or_else(|| protocol("empty SOAP Body".into()))
    }
}

/// An error and its sources, "a: b: c" (reqwest hides "connection refused" in the chain).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Maps a `<Fault>` element to an error; the fault type comes from the detail's xsi:type (or
/// its element name without the `Fault` suffix).
pub fn fault_error(host: &str, method: &str, f: &Element) -> VimError {
    let message = f.child_text("faultstring").unwrap_or("").to_string();
    let fault = f
        .child("detail")
        .and_then(|d| d.children.first())
        .map(|d| {
            d.xsi_type
                .clone()
                .unwrap_or_else(|| d.name.trim_end_matches("Fault").to_string())
        })
        .or_else(|| f.child_text("faultcode").map(str::to_string))
        .unwrap_or_else(|| "UnknownFault".into());
    if fault == "RestrictedVersion" {
        return VimError::Restricted {
            host: host.into(),
            method: method.into(),
            message,
        };
    }
    VimError::Fault {
        host: host.into(),
        method: method.into(),
        fault,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restricted_version_fault_is_explained() {
        let doc = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Current license or ESXi version prohibits execution of the requested operation.</faultstring><detail><RestrictedVersionFault xmlns="urn:vim25" xsi:type="RestrictedVersion"></RestrictedVersionFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#;
        let root = xml::parse(doc).unwrap();
        let f = root.find("Fault").unwrap();
        let e = fault_error("esxi-a", "CreateVM_Task", f);
        let msg = e.to_string();
        assert!(
            msg.contains("esxi-a: CreateVM_Task refused with RestrictedVersion"),
            "{msg}"
        );
        assert!(msg.contains("free vSphere Hypervisor licence"), "{msg}");
    }

    #[test]
    fn other_faults_keep_type_and_message() {
        let doc = r#"<Envelope><Body><Fault><faultcode>ServerFaultCode</faultcode><faultstring>The object has already been deleted</faultstring><detail><ManagedObjectNotFoundFault xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="ManagedObjectNotFound"/></detail></Fault></Body></Envelope>"#;
        let root = xml::parse(doc).unwrap();
        let e = fault_error("h", "Destroy_Task", root.find("Fault").unwrap());
        assert_eq!(e.fault_type(), Some("ManagedObjectNotFound"));
        assert_eq!(
            e.to_string(),
            "h: Destroy_Task failed: ManagedObjectNotFound: The object has already been deleted"
        );
    }
}
