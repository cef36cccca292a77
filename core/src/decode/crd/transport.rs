//! ServersTransport and ServersTransportTCP → `http.serversTransports`,
//! `tcp.serversTransports` (end of `loadConfigurationFromCRD`).

use super::Ctx;
use super::http::duration;
use super::manifest::{Object, Seg};
use super::naming::{make_id, normalize};
use super::spec::{RootCa, ServersTransportSpec, ServersTransportTcpSpec};
use crate::finding::Severity;
use crate::model::{
    Certificate, ForwardingTimeouts, GoDuration, MILLISECOND, SECOND, ServersTransport,
    TcpServersTransport, TlsClientConfig,
};
use crate::objects::ObjectKind;

/// `tls.MinVersion` / `tls.MaxVersion` keys with their protocol numbers.
const TLS_VERSIONS: [(&str, u16); 4] = [
    ("VersionTLS10", 0x0301),
    ("VersionTLS11", 0x0302),
    ("VersionTLS12", 0x0303),
    ("VersionTLS13", 0x0304),
];

/// Names `tls.CipherSuites` (Traefik's map) knows.
const KNOWN_CIPHERS: [&str; 25] = [
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];

fn version(v: &str) -> Option<u16> {
    TLS_VERSIONS
        .iter()
        .find(|(n, _)| *n == v)
        .map(|(_, id)| *id)
}

fn spec_path(keys: &[&str]) -> Vec<Seg> {
    std::iter::once("spec")
        .chain(keys.iter().copied())
        .map(|k| Seg::Key(k.into()))
        .collect()
}

impl Ctx<'_> {
    fn root_cas(
        &mut self,
        obj: &Object,
        base: &[&str],
        secrets: &[String],
        root_cas: &[RootCa],
    ) -> Vec<String> {
        let mut out = Vec::new();
        if !secrets.is_empty() {
            self.report(
                Severity::Warning,
                "crd-deprecated",
                obj,
                &spec_path(&[base, &["rootCAsSecrets"]].concat()),
                None,
                "RootCAsSecrets option is deprecated, please use the RootCA option instead."
                    .to_string(),
            );
        }
        for (i, s) in secrets.iter().enumerate() {
            let mut path = spec_path(&[base, &["rootCAsSecrets"]].concat());
            path.push(Seg::Index(i));
            match self.ca_secret(obj, &path, &obj.namespace, s) {
                Ok(ca) => out.push(ca),
                Err(e) => {
                    self.report(
                        Severity::Error,
                        "crd-tls-secret-invalid",
                        obj,
                        &path,
                        None,
                        format!("Error while loading CA Secret: {e}; Traefik leaves this CA out"),
                    );
                }
            }
        }
        for (i, ca) in root_cas.iter().enumerate() {
            let mut path = spec_path(&[base, &["rootCAs"]].concat());
            path.push(Seg::Index(i));
            let res = match (&ca.secret, &ca.config_map) {
                (Some(_), Some(_)) => {
                    Err("Error while loading CA: both Secret and ConfigMap are defined".to_string())
                }
                (Some(s), None) => self
                    .ca_secret(obj, &path, &obj.namespace, s)
                    .map_err(|e| format!("Error while loading CA Secret: {e}")),
                (None, cm) => self
                    .ca_config_map(
                        obj,
                        &path,
                        &obj.namespace,
                        cm.as_deref().unwrap_or_default(),
                    )
                    .map_err(|e| format!("Error while loading CA ConfigMap: {e}")),
            };
            match res {
                Ok(ca) => out.push(ca),
                Err(e) => {
                    self.report(
                        Severity::Error,
                        "crd-tls-secret-invalid",
                        obj,
                        &path,
                        None,
                        format!("{e}; Traefik leaves this CA out"),
                    );
                }
            }
        }
        out
    }

    fn client_certs(
        &mut self,
        obj: &Object,
        base: &[&str],
        secrets: &[String],
    ) -> Vec<Certificate> {
        let mut out = Vec::new();
        for (i, s) in secrets.iter().enumerate() {
            let mut path = spec_path(&[base, &["certificatesSecrets"]].concat());
            path.push(Seg::Index(i));
            match self.tls_secret(obj, &path, &obj.namespace, s) {
                Ok((cert, key)) => out.push(Certificate {
                    cert_file: cert,
                    key_file: key,
                }),
                Err(e) => {
                    self.report(Severity::Error, "crd-tls-secret-invalid", obj, &path, None,
                        format!("Error while loading certificates {s}: {e}; Traefik leaves this certificate out"));
                }
            }
        }
        out
    }

    pub(crate) fn load_servers_transports(
        &mut self,
        transports: &[(&Object, ServersTransportSpec)],
    ) {
        for (obj, spec) in transports {
            let root_cas = self.root_cas(obj, &[], &spec.root_cas_secrets, &spec.root_cas);
            let certificates = self.client_certs(obj, &[], &spec.certificates_secrets);
            let mut cipher_suites = Vec::new();
            if let Some(list) = &spec.cipher_suites {
                for c in list {
                    if KNOWN_CIPHERS.contains(&c.as_str()) {
                        cipher_suites.push(c.clone());
                    } else {
                        self.report(Severity::Error, "crd-invalid-value", obj, &spec_path(&["cipherSuites"]), None,
                            format!("cipher suite not supported: {c}, falling back to default CipherSuite."));
                        cipher_suites.clear();
                        break;
                    }
                }
            }
            let mut min_version = String::new();
            let mut min_id = 0;
            if !spec.min_version.is_empty() {
                match version(&spec.min_version) {
                    Some(id) => {
                        min_version = spec.min_version.clone();
                        min_id = id;
                    }
                    None => {
                        self.report(
                            Severity::Error,
                            "crd-invalid-value",
                            obj,
                            &spec_path(&["minVersion"]),
                            None,
                            format!("invalid TLS minimum version: {}", spec.min_version),
                        );
                    }
                }
            }
            let mut max_version = String::new();
            let mut max_id = 0;
            if !spec.max_version.is_empty() {
                match version(&spec.max_version) {
                    Some(id) => {
                        max_version = spec.max_version.clone();
                        max_id = id;
                    }
                    None => {
                        self.report(
                            Severity::Error,
                            "crd-invalid-value",
                            obj,
                            &spec_path(&["maxVersion"]),
                            None,
                            format!("invalid TLS maximum version: {}", spec.max_version),
                        );
                    }
                }
            }
            if !spec.min_version.is_empty() && !spec.max_version.is_empty() && min_id >= max_id {
                self.report(Severity::Error, "crd-invalid-value", obj, &spec_path(&["minVersion"]), None,
                    format!("CipherSuite MinVersion, {}, above or equal to the MaxVersion, {}. Falling back to default MaxVersion and MinVersion", spec.min_version, spec.max_version));
                min_version = "VersionTLS12".to_string();
                max_version.clear();
            }
            let mut ft = ForwardingTimeouts {
                dial_timeout: super::http::nanos(30 * SECOND),
                idle_conn_timeout: super::http::nanos(90 * SECOND),
                ping_timeout: super::http::nanos(15 * SECOND),
                ..ForwardingTimeouts::default()
            };
            if let Some(t) = &spec.forwarding_timeouts {
                let fields: [(&str, &Option<super::spec::IntOrString>, &mut GoDuration); 5] = [
                    ("dialTimeout", &t.dial_timeout, &mut ft.dial_timeout),
                    (
                        "responseHeaderTimeout",
                        &t.response_header_timeout,
                        &mut ft.response_header_timeout,
                    ),
                    (
                        "idleConnTimeout",
                        &t.idle_conn_timeout,
                        &mut ft.idle_conn_timeout,
                    ),
                    (
                        "readIdleTimeout",
                        &t.read_idle_timeout,
                        &mut ft.read_idle_timeout,
                    ),
                    ("pingTimeout", &t.ping_timeout, &mut ft.ping_timeout),
                ];
                let mut errors = Vec::new();
                for (name, v, target) in fields {
                    if let Some(v) = v {
                        match duration(v) {
                            Ok(d) => *target = d,
                            Err(e) => errors.push((name, e)),
                        }
                    }
                }
                for (name, e) in errors {
                    self.report(
                        Severity::Error,
                        "crd-invalid-value",
                        obj,
                        &spec_path(&["forwardingTimeouts", name]),
                        None,
                        format!("Error while reading {}: {e}", capitalize(name)),
                    );
                }
            }
            let id = normalize(&make_id(&obj.namespace, &obj.name));
            if !spec.peer_cert_sans.is_empty() {
                self.not_modelled(obj, &spec_path(&["peerCertSANs"]), &id);
            }
            self.produced(ObjectKind::HttpServersTransport, &id, obj, &[]);
            self.http.servers_transports.insert(
                id,
                ServersTransport {
                    server_name: spec.server_name.clone(),
                    insecure_skip_verify: spec.insecure_skip_verify,
                    root_cas,
                    certificates,
                    cipher_suites,
                    min_version,
                    max_version,
                    disable_http2: spec.disable_http2,
                    max_idle_conns_per_host: spec.max_idle_conns_per_host,
                    forwarding_timeouts: Some(ft),
                    peer_cert_uri: spec.peer_cert_uri.clone(),
                    spiffe: spec.spiffe.clone(),
                },
            );
        }
    }

    pub(crate) fn load_servers_transports_tcp(
        &mut self,
        transports: &[(&Object, ServersTransportTcpSpec)],
    ) {
        for (obj, spec) in transports {
            let mut t = TcpServersTransport {
                dial_timeout: super::http::nanos(30 * SECOND),
                dial_keep_alive: super::http::nanos(15 * SECOND),
                termination_delay: super::http::nanos(100 * MILLISECOND),
                ..TcpServersTransport::default()
            };
            let fields: [(&str, &Option<super::spec::IntOrString>, &mut GoDuration); 3] = [
                ("dialTimeout", &spec.dial_timeout, &mut t.dial_timeout),
                (
                    "dialKeepAlive",
                    &spec.dial_keep_alive,
                    &mut t.dial_keep_alive,
                ),
                (
                    "terminationDelay",
                    &spec.termination_delay,
                    &mut t.termination_delay,
                ),
            ];
            let mut errors = Vec::new();
            for (name, v, target) in fields {
                if let Some(v) = v {
                    match duration(v) {
                        Ok(d) => *target = d,
                        Err(e) => errors.push((name, e)),
                    }
                }
            }
            for (name, e) in errors {
                self.report(
                    Severity::Error,
                    "crd-invalid-value",
                    obj,
                    &spec_path(&[name]),
                    None,
                    format!("Error while reading {}: {e}", capitalize(name)),
                );
            }
            if let Some(pp) = &spec.proxy_protocol {
                t.proxy_protocol = Some(pp.clone());
            }
            if let Some(tls) = &spec.tls {
                let root_cas = self.root_cas(obj, &["tls"], &tls.root_cas_secrets, &tls.root_cas);
                let certificates = self.client_certs(obj, &["tls"], &tls.certificates_secrets);
                t.tls = Some(TlsClientConfig {
                    server_name: tls.server_name.clone(),
                    insecure_skip_verify: tls.insecure_skip_verify,
                    root_cas,
                    certificates,
                    peer_cert_uri: tls.peer_cert_uri.clone(),
                    spiffe: tls.spiffe.clone(),
                });
            }
            let id = normalize(&make_id(&obj.namespace, &obj.name));
            if spec
                .tls
                .as_ref()
                .is_some_and(|t| !t.peer_cert_sans.is_empty())
            {
                self.not_modelled(obj, &spec_path(&["tls", "peerCertSANs"]), &id);
            }
            self.produced(ObjectKind::TcpServersTransport, &id, obj, &[]);
            self.tcp.servers_transports.insert(id, t);
        }
    }
}

impl Ctx<'_> {
    fn not_modelled(&mut self, obj: &Object, path: &[Seg], id: &str) {
        self.report(Severity::Info, "crd-field-not-modelled", obj, path, Some(id),
            "peerCertSANs is passed to Traefik but not represented in this validator's model; it is not checked".to_string());
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
