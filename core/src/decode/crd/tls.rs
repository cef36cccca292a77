//! TLSOption, TLSStore and route certificates → `tls`
//! (`buildTLSOptions`, `buildTLSStores`, `buildCertificates`, `getTLSHTTP`/`getTLSTCP`).

use super::manifest::{Object, Seg};
use super::middleware::certificate_blocks;
use super::naming::make_id;
use super::spec::{TlsOptionSpec, TlsStoreSpec};
use super::{Ctx, Lookup};
use crate::finding::Severity;
use crate::model::{CertAndStores, Certificate, ClientAuth, GeneratedCert, TlsOptions, TlsStore};
use crate::objects::ObjectKind;

/// Go's `tls.CipherSuites()` names (Go 1.26, the toolchain of Traefik 3.7):
/// Traefik's default `cipherSuites` of a TLSOption that sets none.
pub const GO_DEFAULT_CIPHER_SUITES: [&str; 13] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// `tls.DefaultTLSOptions.ALPNProtocols`.
pub const DEFAULT_ALPN: [&str; 3] = ["h2", "http/1.1", "acme-tls/1"];

impl Ctx<'_> {
    /// `getTLS` for `spec.tls.secretName` of a route (errors are logged, the route stays).
    pub(crate) fn tls_from_route(&mut self, obj: &Object, secret_name: Option<&str>) {
        let Some(secret_name) = secret_name.filter(|s| !s.is_empty()) else {
            return;
        };
        let key = format!("{}/{secret_name}", obj.namespace);
        if self.tls_configs.contains_key(&key) {
            return;
        }
        let path = [
            Seg::Key("spec".into()),
            Seg::Key("tls".into()),
            Seg::Key("secretName".into()),
        ];
        match self.certificate(obj, &path, &obj.namespace.clone(), secret_name) {
            Ok(Some(c)) => {
                self.tls_configs.insert(key, c);
            }
            Ok(None) => {}
            Err(e) => {
                self.report(
                    Severity::Error,
                    "crd-tls-secret-invalid",
                    obj,
                    &path,
                    None,
                    format!(
                        "Error configuring TLS: {e}; the route is kept, without this certificate"
                    ),
                );
            }
        }
    }

    /// `getTLS`: `Ok(None)` when the Secret is assumed.
    fn certificate(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        name: &str,
    ) -> Result<Option<CertAndStores>, String> {
        match self.secret(obj, path, ns, name) {
            Lookup::Missing => Err(format!("secret {ns}/{name} does not exist")),
            Lookup::Assumed => Ok(None),
            Lookup::Found(secret) => {
                let (cert, key) = certificate_blocks(secret, ns, name)?;
                Ok(Some(CertAndStores {
                    cert_file: cert,
                    key_file: key,
                    stores: Vec::new(),
                }))
            }
        }
    }

    pub(crate) fn load_tls_options(&mut self, options: &[(&Object, TlsOptionSpec)]) {
        let mut ns_default: Vec<&Object> = Vec::new();
        for (obj, spec) in options {
            let mut cas = Vec::new();
            for (i, secret_name) in spec.client_auth.secret_names.iter().enumerate() {
                let path = [
                    Seg::Key("spec".into()),
                    Seg::Key("clientAuth".into()),
                    Seg::Key("secretNames".into()),
                    Seg::Index(i),
                ];
                match self.secret(obj, &path, &obj.namespace, secret_name) {
                    Lookup::Assumed => {}
                    Lookup::Missing => {
                        self.report(Severity::Error, "crd-tls-secret-invalid", obj, &path, None,
                            format!("Secret {}/{secret_name} does not exist: Traefik leaves this client CA out", obj.namespace));
                    }
                    Lookup::Found(secret) => match secret
                        .data
                        .get("tls.ca")
                        .or_else(|| secret.data.get("ca.crt"))
                    {
                        Some(v) => cas.push(String::from_utf8_lossy(v).into_owned()),
                        None => {
                            self.report(Severity::Error, "crd-tls-secret-invalid", obj, &path, None,
                                format!("Failed to extract CA from secret {ns}/{secret_name}: secret {ns}/{secret_name} contains neither tls.ca nor ca.crt; Traefik leaves this client CA out", ns = obj.namespace));
                        }
                    },
                }
            }
            let mut id = make_id(&obj.namespace, &obj.name);
            if obj.name == "default" {
                id = "default".to_string();
                ns_default.push(obj);
            }
            let option = TlsOptions {
                min_version: spec.min_version.clone(),
                max_version: spec.max_version.clone(),
                cipher_suites: spec.cipher_suites.clone().unwrap_or_else(|| {
                    GO_DEFAULT_CIPHER_SUITES
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                }),
                curve_preferences: spec.curve_preferences.clone(),
                client_auth: ClientAuth {
                    ca_files: cas,
                    client_auth_type: spec.client_auth.client_auth_type.clone(),
                },
                sni_strict: spec.sni_strict,
                alpn_protocols: spec
                    .alpn_protocols
                    .clone()
                    .unwrap_or_else(|| DEFAULT_ALPN.iter().map(|s| s.to_string()).collect()),
                disable_session_tickets: spec.disable_session_tickets,
                ..TlsOptions::default()
            };
            if spec.prefer_server_cipher_suites.is_some() {
                self.report(
                    Severity::Warning,
                    "crd-deprecated",
                    obj,
                    &[
                        Seg::Key("spec".into()),
                        Seg::Key("preferServerCipherSuites".into()),
                    ],
                    None,
                    "preferServerCipherSuites is deprecated and ignored by Traefik's CRD provider"
                        .to_string(),
                );
            }
            self.produced(ObjectKind::TlsOption, &id, obj, &[]);
            self.tls_options.insert(id, option);
        }
        if ns_default.len() > 1 {
            self.tls_options.shift_remove("default");
            let list: Vec<String> = ns_default.iter().map(|o| o.namespace.clone()).collect();
            for obj in ns_default {
                self.report(Severity::Error, "tls-default-conflict", obj, &[], Some("default"),
                    format!("Default TLS Options defined in multiple namespaces: [{}]; Traefik deletes the default TLS options", list.join(" ")));
            }
        }
    }

    pub(crate) fn load_tls_stores(&mut self, stores: &[(&Object, TlsStoreSpec)]) {
        let mut ns_default: Vec<&Object> = Vec::new();
        for (obj, spec) in stores {
            let mut id = make_id(&obj.namespace, &obj.name);
            if obj.name == "default" {
                id = "default".to_string();
                ns_default.push(obj);
            }
            let mut store = TlsStore::default();
            if let Some(dc) = &spec.default_certificate {
                let path = [
                    Seg::Key("spec".into()),
                    Seg::Key("defaultCertificate".into()),
                ];
                match self.secret(obj, &path, &obj.namespace, &dc.secret_name) {
                    Lookup::Assumed => {
                        store.default_certificate = Some(Certificate::default());
                    }
                    Lookup::Missing => {
                        self.report(
                            Severity::Error,
                            "crd-object-dropped",
                            obj,
                            &path,
                            Some(&id),
                            format!(
                                "Secret {}/{} does not exist: Traefik drops this TLSStore",
                                obj.namespace, dc.secret_name
                            ),
                        );
                        continue;
                    }
                    Lookup::Found(secret) => {
                        match certificate_blocks(secret, &obj.namespace, &dc.secret_name) {
                            Ok((cert, key)) => {
                                store.default_certificate = Some(Certificate {
                                    cert_file: cert,
                                    key_file: key,
                                })
                            }
                            Err(e) => {
                                self.report(Severity::Error, "crd-object-dropped", obj, &path, Some(&id),
                                format!("Could not get certificate blocks: {e}: Traefik drops this TLSStore"));
                                continue;
                            }
                        }
                    }
                }
            }
            if let Some(g) = &spec.default_generated_cert {
                store.default_generated_cert = Some(GeneratedCert {
                    resolver: g.resolver.clone(),
                    domain: g.domain.clone(),
                });
            }
            for (i, c) in spec.certificates.iter().enumerate() {
                let key = format!("{}/{}", obj.namespace, c.secret_name);
                if self.tls_configs.contains_key(&key) {
                    continue;
                }
                let path = [
                    Seg::Key("spec".into()),
                    Seg::Key("certificates".into()),
                    Seg::Index(i),
                ];
                match self.certificate(obj, &path, &obj.namespace.clone(), &c.secret_name) {
                    Ok(Some(mut cert)) => {
                        cert.stores = vec![id.clone()];
                        self.tls_configs.insert(key, cert);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.report(
                            Severity::Error,
                            "crd-tls-secret-invalid",
                            obj,
                            &path,
                            None,
                            format!(
                                "Unable to read certificate secret {}/{}, skipping: {e}",
                                obj.namespace, c.secret_name
                            ),
                        );
                    }
                }
            }
            self.produced(ObjectKind::TlsStore, &id, obj, &[]);
            self.tls_stores.insert(id, store);
        }
        if ns_default.len() > 1 {
            self.tls_stores.shift_remove("default");
            let list: Vec<String> = ns_default.iter().map(|o| o.namespace.clone()).collect();
            for obj in ns_default {
                self.report(Severity::Error, "tls-default-conflict", obj, &[], Some("default"),
                    format!("Default TLS Stores defined in multiple namespaces: [{}]; Traefik deletes the default TLS store", list.join(" ")));
            }
        }
    }
}
