//! TLS options: `tls.Manager.Get` errors (`pkg/tls/tlsmanager.go`) and the
//! per-entry-point TLS options conflict resolution of the aggregator
//! (`resolveHTTPTLSOptions`), which renames conflicting routers
//! `<ep>-conflicted-<name>`.

use super::merge::{EntryPoints, HttpRouterRt};
use super::rules_bridge;
use super::runtime::{ObjState, provider_of, q, qualify};
use crate::model::TlsOptions;
use std::collections::{BTreeMap, BTreeSet};

pub(crate) use super::merge::TlsOptionsMap as TlsOptionsMapRef;

const CIPHER_SUITES: &[&str] = &[
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
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_FALLBACK_SCSV",
];

const CURVES: &[&str] = &[
    "secp256r1",
    "CurveP256",
    "secp384r1",
    "CurveP384",
    "secp521r1",
    "CurveP521",
    "x25519",
    "X25519",
    "x25519mlkem768",
    "X25519MLKEM768",
    "secp256r1mlkem768",
    "SecP256r1MLKEM768",
    "secp384r1mlkem1024",
    "SecP384r1MLKEM1024",
];

/// `buildTLSConfig`: the errors a TLS option produces when a router uses it.
/// (CA files are not read: their content errors are not reproduced.)
pub(crate) fn build_tls_config(o: &TlsOptions) -> Result<(), String> {
    let has_cas = !o.client_auth.ca_files.is_empty();
    let t = o.client_auth.client_auth_type.as_str();
    if !t.is_empty() {
        if !has_cas && (t == "VerifyClientCertIfGiven" || t == "RequireAndVerifyClientCert") {
            return Err(format!("invalid clientAuthType: {t}, CAFiles is required"));
        }
        if !matches!(
            t,
            "NoClientCert"
                | "RequestClientCert"
                | "RequireAnyClientCert"
                | "VerifyClientCertIfGiven"
                | "RequireAndVerifyClientCert"
        ) {
            return Err(format!("unknown client auth type {}", q(t)));
        }
    }
    for c in &o.cipher_suites {
        if !CIPHER_SUITES.contains(&c.as_str()) {
            return Err(format!("invalid CipherSuite: {c}"));
        }
    }
    for c in &o.curve_preferences {
        if !CURVES.contains(&c.as_str()) {
            return Err(format!("invalid CurveID in curvePreferences: {c}"));
        }
    }
    Ok(())
}

/// `tls.Manager.Get(default store, name)`.
pub(crate) fn get(options: &TlsOptionsMapRef, name: &str) -> Result<(), String> {
    match options.get(name) {
        None => Err(format!("unknown TLS options: {name}")),
        Some(None) => Ok(()),
        Some(Some(o)) => build_tls_config(o).map_err(|e| format!("building TLS config: {e}")),
    }
}

/// The TLS options name a router resolves to (`default` or qualified).
pub(crate) fn option_name(router: &str, options: &str) -> String {
    if options.is_empty() || options == "default" {
        "default".to_string()
    } else {
        qualify(provider_of(router), options)
    }
}

/// `resolveHTTPTLSOptions`. Returns the names of the `-conflicted-` copies made.
pub(crate) fn resolve_http_tls(
    routers: &mut BTreeMap<String, HttpRouterRt>,
    eps: &EntryPoints,
) -> Vec<String> {
    // Per entry point: router names with TLS.
    let mut by_ep: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (r, x)) in routers.iter_mut() {
        let Some(t) = &r.cfg.tls else { continue };
        x.resolved_tls = option_name(name, &t.options);
        let list: Vec<String> = if eps.known || !r.cfg.entry_points.is_empty() {
            r.cfg.entry_points.clone()
        } else {
            vec![String::new()]
        };
        for ep in list {
            by_ep.entry(ep).or_default().push(name.clone());
        }
    }
    let mut conflicting: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (ep, names) in &by_ep {
        let mut by_host: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        let set = conflicting.entry(ep.clone()).or_default();
        for name in names {
            let (r, x) = &routers[name];
            let Ok(domains) = rules_bridge::http_domains(&r.cfg.rule) else {
                continue;
            };
            if domains.is_empty() && x.resolved_tls != "default" {
                set.insert(name.clone());
                continue;
            }
            for d in domains {
                by_host
                    .entry(d)
                    .or_default()
                    .entry(x.resolved_tls.clone())
                    .or_default()
                    .push(name.clone());
            }
        }
        for groups in by_host.values() {
            if groups.len() > 1 {
                set.extend(groups.values().flatten().cloned());
            }
        }
    }
    let mut copies = Vec::new();
    let names: Vec<String> = routers.keys().cloned().collect();
    for name in names {
        let Some((r, x)) = routers.get_mut(&name) else {
            continue;
        };
        if r.cfg.tls.is_none() {
            continue;
        }
        if !eps.known && r.cfg.entry_points.is_empty() {
            // Entry points unknown: no copy can be named; keep the router and
            // apply the default options as Traefik's copy would.
            if conflicting.get("").is_some_and(|s| s.contains(&name)) {
                x.resolved_tls = "default".into();
            }
            continue;
        }
        let mut keep = Vec::new();
        let mut made = Vec::new();
        for ep in r.cfg.entry_points.clone() {
            if conflicting.get(&ep).is_some_and(|s| s.contains(&name)) {
                let mut rt = r.clone();
                rt.cfg.entry_points = vec![ep.clone()];
                rt.state = ObjState::default();
                let mut xx = x.clone();
                xx.resolved_tls = "default".into();
                xx.written_entry_points = vec![ep.clone()];
                made.push((format!("{ep}-conflicted-{name}"), (rt, xx)));
            } else {
                keep.push(ep);
            }
        }
        r.cfg.entry_points = keep;
        if r.cfg.entry_points.is_empty() {
            routers.remove(&name);
        }
        for (n, v) in made {
            copies.push(n.clone());
            routers.insert(n, v);
        }
    }
    copies
}
