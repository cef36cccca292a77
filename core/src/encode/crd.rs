//! Configuration → Traefik CRD manifests (`traefik.io/v1alpha1`).
//!
//! CRDs do not hold a whole dynamic configuration: routes point at Kubernetes
//! Services and the CRD provider builds each load balancer from the Service's
//! endpoints. So only what maps is written, and the rest is reported:
//!
//! * HTTP routers → `IngressRoute` (one per router, one route); TCP routers →
//!   `IngressRouteTCP`; HTTP and TCP middlewares → `Middleware` / `MiddlewareTCP`;
//!   TLS options → `TLSOption`; HTTP servers transports → `ServersTransport`;
//!   weighted services → `TraefikService`;
//! * a load balancer becomes a Kubernetes Service reference only when its single
//!   server names one by its cluster DNS name (`http://whoami.apps.svc:80`,
//!   `whoami.apps.svc.cluster.local:8080` for TCP); any other server address has
//!   no CRD form (the CRD provider never takes URLs) and the router is not
//!   converted;
//! * references to other providers (`auth@file`, `api@internal`) are kept as is;
//! * secrets (basic/digest auth users, TLS files, client CAs, certificates) live
//!   in Kubernetes Secrets, which this converter does not invent: reported.
//!
//! Every manifest produced is then read back with the project's own CRD decoder
//! (schemas and Traefik's conversion rules); whatever it refuses is reported and
//! left out, so the output only holds objects Traefik accepts.

use super::{EncodeError, Loss, to_json};
use crate::decode::crd::decode_manifests;
use crate::decode::file_provider::SourceFile;
use crate::finding::Severity;
use crate::model::Configuration;
use crate::static_config::CrdProviderOptions;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

const API_VERSION: &str = "traefik.io/v1alpha1";

/// Manifests produced by [`encode`] and what could not be converted.
#[derive(Debug, Clone, PartialEq)]
pub struct CrdEncoded {
    /// The objects, in output order.
    pub objects: Vec<Value>,
    /// What has no CRD form (or was refused when read back).
    pub losses: Vec<Loss>,
}

impl CrdEncoded {
    /// The objects as one multi-document YAML stream.
    pub fn to_yaml(&self) -> Result<String, EncodeError> {
        let mut out = String::new();
        for object in &self.objects {
            out.push_str("---\n");
            out.push_str(
                &serde_saphyr::to_string(object)
                    .map_err(|e| EncodeError::Serialize(e.to_string()))?,
            );
        }
        Ok(out)
    }
}

/// Convert `config` into CRD objects in `namespace`.
pub fn encode(config: &Configuration, namespace: &str) -> Result<CrdEncoded, EncodeError> {
    let value = to_json(config)?;
    let mut enc = Encoder {
        ns: namespace.to_string(),
        config: &value,
        objects: Vec::new(),
        losses: Vec::new(),
        traefik_services: BTreeMap::new(),
        services: Default::default(),
        used: Default::default(),
    };
    enc.services = [
        enc.section("http", "services"),
        enc.section("tcp", "services"),
    ];
    enc.run();
    let mut objects = enc.objects;
    objects.extend(enc.traefik_services.into_values());
    let mut losses = enc.losses;
    let objects = read_back(objects, &mut losses)?;
    Ok(CrdEncoded { objects, losses })
}

/// A Kubernetes object name: lower case RFC 1123 (`[a-z0-9-.]`, alphanumeric ends).
pub fn k8s_name(name: &str) -> String {
    let lowered: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = lowered.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut out: String = trimmed.chars().take(253).collect();
    if out.is_empty() {
        out.push_str("unnamed");
    }
    out
}

fn seg(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

fn object(kind: &str, name: &str, ns: &str, spec: Value) -> Value {
    json!({
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    })
}

struct Encoder<'c> {
    ns: String,
    config: &'c Value,
    objects: Vec<Value>,
    losses: Vec<Loss>,
    traefik_services: BTreeMap<String, Value>,
    /// `http.services` and `tcp.services`, looked up once per router.
    services: [Map<String, Value>; 2],
    /// Services some router refers to (converted or not), by protocol index.
    used: [std::collections::BTreeSet<String>; 2],
}

/// A Kubernetes Service named by a server's cluster DNS name: (name, namespace, port, scheme).
fn k8s_service(address: &str, tcp: bool) -> Option<(String, String, i64, Option<String>)> {
    let (scheme, rest) = match address.split_once("://") {
        Some((s, r)) => (Some(s.to_ascii_lowercase()), r),
        None if tcp => (None, address),
        None => return None,
    };
    let host_port = rest.split('/').next()?;
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<i64>().ok()?),
        None => (
            host_port,
            match scheme.as_deref() {
                Some("https") => 443,
                Some("http") | Some("h2c") => 80,
                _ => return None,
            },
        ),
    };
    let labels: Vec<&str> = host.split('.').collect();
    let cluster_suffix = labels.len() == 3 && labels[2] == "svc"
        || labels.len() == 5 && labels[2..] == ["svc", "cluster", "local"];
    if !cluster_suffix || labels[0].is_empty() || labels[1].is_empty() {
        return None;
    }
    let scheme = scheme.filter(|s| s != "http");
    Some((labels[0].to_string(), labels[1].to_string(), port, scheme))
}

impl Encoder<'_> {
    fn lose(&mut self, path: &[String], code: &'static str, message: impl Into<String>) {
        self.losses.push(Loss::new(path, code, message));
    }

    fn section(&self, a: &str, b: &str) -> Map<String, Value> {
        self.config
            .get(a)
            .and_then(|s| s.get(b))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    fn run(&mut self) {
        for (name, opt) in self.section("tls", "options") {
            self.tls_option(&name, opt);
        }
        for (name, st) in self.section("http", "serversTransports") {
            self.servers_transport(&name, st);
        }
        for (name, mw) in self.section("http", "middlewares") {
            self.middleware(&name, mw, false);
        }
        for (name, mw) in self.section("tcp", "middlewares") {
            self.middleware(&name, mw, true);
        }
        for (name, router) in self.section("http", "routers") {
            self.router(&name, &router, false);
        }
        for (name, router) in self.section("tcp", "routers") {
            self.router(&name, &router, true);
        }
        let unsupported: [(&str, &str, &str); 8] = [
            ("http", "models", "HTTP models have no CRD form"),
            (
                "tcp",
                "serversTransports",
                "TCP servers transports are not converted",
            ),
            (
                "udp",
                "routers",
                "UDP routers are not converted (IngressRouteUDP needs Kubernetes Services)",
            ),
            ("udp", "services", "UDP services are not converted"),
            (
                "tls",
                "stores",
                "TLS stores need Kubernetes Secrets for their certificates (TLSStore)",
            ),
            (
                "tls",
                "certificates",
                "certificates live in Kubernetes Secrets; create them and reference them from IngressRoute tls.secretName",
            ),
            ("http", "services", ""),
            ("tcp", "services", ""),
        ];
        for (a, b, why) in unsupported {
            let Some(items) = self.config.get(a).and_then(|s| s.get(b)) else {
                continue;
            };
            if b == "services" {
                // Services are converted through the routers that use them.
                let used = &self.used[usize::from(a == "tcp")];
                let unused: Vec<String> = items
                    .as_object()
                    .into_iter()
                    .flat_map(|m| m.keys())
                    .filter(|name| !used.contains(*name))
                    .cloned()
                    .collect();
                for name in unused {
                    self.lose(
                        &seg(&[a, b, &name]),
                        "crd-unused-service",
                        "no router uses this service; CRDs only hold services through the routes that use them",
                    );
                }
                continue;
            }
            match items {
                Value::Object(m) => {
                    for name in m.keys() {
                        self.lose(&seg(&[a, b, name]), "crd-not-converted", why);
                    }
                }
                Value::Array(list) => {
                    for i in 0..list.len() {
                        self.lose(&seg(&[a, b, &i.to_string()]), "crd-not-converted", why);
                    }
                }
                _ => {}
            }
        }
    }

    fn tls_option(&mut self, name: &str, opt: Value) {
        let mut spec = opt;
        if let Some(ca) = spec
            .get_mut("clientAuth")
            .and_then(Value::as_object_mut)
            .and_then(|c| c.shift_remove("caFiles"))
            && !ca.is_null()
        {
            self.lose(
                &seg(&["tls", "options", name, "clientAuth", "caFiles"]),
                "crd-secret-needed",
                "client CA files become TLSOption clientAuth.secretNames (Kubernetes Secrets); left out",
            );
        }
        let obj = object("TLSOption", &k8s_name(name), &self.ns, spec);
        self.objects.push(obj);
    }

    fn servers_transport(&mut self, name: &str, st: Value) {
        let mut spec = st;
        if let Some(map) = spec.as_object_mut() {
            for field in ["rootCAs", "certificates"] {
                if map.shift_remove(field).is_some() {
                    self.lose(
                        &seg(&["http", "serversTransports", name, field]),
                        "crd-secret-needed",
                        "certificates become ServersTransport rootCAsSecrets/certificatesSecrets (Kubernetes Secrets); left out",
                    );
                }
            }
        }
        let obj = object("ServersTransport", &k8s_name(name), &self.ns, spec);
        self.objects.push(obj);
    }

    fn middleware(&mut self, name: &str, mw: Value, tcp: bool) {
        let section = if tcp { "tcp" } else { "http" };
        let path = seg(&[section, "middlewares", name]);
        let Value::Object(mut spec) = mw else { return };
        let refuse = |this: &mut Self, field: &str, why: &str| {
            let mut p = path.clone();
            p.push(field.to_string());
            this.lose(&p, "crd-secret-needed", why);
        };
        for (field, why) in [
            (
                "basicAuth",
                "basic auth users come from a Kubernetes Secret in CRDs (basicAuth.secret); the middleware is not converted",
            ),
            (
                "digestAuth",
                "digest auth users come from a Kubernetes Secret in CRDs (digestAuth.secret); the middleware is not converted",
            ),
        ] {
            if spec.contains_key(field) {
                refuse(self, field, why);
                return;
            }
        }
        if let Some(fa) = spec.get_mut("forwardAuth").and_then(Value::as_object_mut)
            && fa.shift_remove("tls").is_some()
        {
            refuse(
                self,
                "forwardAuth",
                "forwardAuth.tls files become caSecret/certSecret (Kubernetes Secrets); left out",
            );
        }
        if spec.get("errors").is_some() {
            let mut p = path.clone();
            p.push("errors".into());
            self.lose(
                &p,
                "crd-service-ref",
                "errors.service must be a Kubernetes Service reference in CRDs; the middleware is not converted",
            );
            return;
        }
        if let Some(chain) = spec.get_mut("chain").and_then(Value::as_object_mut)
            && let Some(Value::Array(members)) = chain.get("middlewares").cloned()
        {
            let refs: Vec<Value> = members
                .iter()
                .filter_map(Value::as_str)
                .map(|m| json!({"name": ref_name(m)}))
                .collect();
            chain.insert("middlewares".into(), Value::Array(refs));
        }
        let kind = if tcp { "MiddlewareTCP" } else { "Middleware" };
        let obj = object(kind, &k8s_name(name), &self.ns, Value::Object(spec));
        self.objects.push(obj);
    }

    /// A service reference for a route, or why there is none.
    fn service_ref(&mut self, name: &str, tcp: bool, depth: usize) -> Result<Value, String> {
        if name.contains('@') {
            return Ok(json!({"name": name, "kind": "TraefikService"}));
        }
        self.used[usize::from(tcp)].insert(name.to_string());
        let Some(svc) = self.services[usize::from(tcp)].get(name).cloned() else {
            return Err(format!(
                "service {name:?} is not defined in this configuration"
            ));
        };
        if let Some(lb) = svc.get("loadBalancer") {
            return self.load_balancer_ref(name, lb, tcp);
        }
        if let Some(w) = svc.get("weighted")
            && depth < 8
        {
            let mut children = Vec::new();
            for child in w
                .get("services")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let child_name = child.get("name").and_then(Value::as_str).unwrap_or("");
                let mut r = self.service_ref(child_name, tcp, depth + 1)?;
                if let (Some(obj), Some(weight)) = (r.as_object_mut(), child.get("weight")) {
                    obj.insert("weight".into(), weight.clone());
                }
                children.push(r);
            }
            if tcp {
                // A TCP weighted service is expressed as the route's service list.
                return Ok(Value::Array(children));
            }
            let mut spec = Map::new();
            let mut weighted = Map::new();
            weighted.insert("services".into(), Value::Array(children));
            if let Some(sticky) = w.get("sticky") {
                weighted.insert("sticky".into(), sticky.clone());
            }
            spec.insert("weighted".into(), Value::Object(weighted));
            let k = k8s_name(name);
            let obj = object("TraefikService", &k, &self.ns, Value::Object(spec));
            self.traefik_services.insert(k.clone(), obj);
            return Ok(json!({"name": k, "kind": "TraefikService"}));
        }
        Err(format!(
            "service {name:?} is not a load balancer or weighted service; mirroring, failover and highestRandomWeight are not converted"
        ))
    }

    fn load_balancer_ref(&mut self, name: &str, lb: &Value, tcp: bool) -> Result<Value, String> {
        let servers = lb
            .get("servers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let [server] = servers.as_slice() else {
            return Err(format!(
                "service {name:?} has {} servers; a CRD route names one Kubernetes Service and the provider takes its endpoints",
                servers.len()
            ));
        };
        let field = if tcp { "address" } else { "url" };
        let address = server.get(field).and_then(Value::as_str).unwrap_or("");
        let Some((svc, svc_ns, port, scheme)) = k8s_service(address, tcp) else {
            return Err(format!(
                "service {name:?} sends to {address:?}, not a Kubernetes Service DNS name (<name>.<namespace>.svc); CRD routes can only name Kubernetes Services"
            ));
        };
        let mut r = Map::new();
        r.insert("name".into(), Value::String(svc));
        if svc_ns != self.ns {
            r.insert("namespace".into(), Value::String(svc_ns));
        }
        r.insert("port".into(), json!(port));
        if let Some(s) = scheme {
            r.insert("scheme".into(), Value::String(s));
        }
        let copied: &[&str] = if tcp {
            &["proxyProtocol", "terminationDelay"]
        } else {
            &[
                "passHostHeader",
                "sticky",
                "strategy",
                "responseForwarding",
                "healthCheck",
            ]
        };
        for (k, v) in lb.as_object().into_iter().flatten() {
            if copied.contains(&k.as_str()) {
                r.insert(k.clone(), v.clone());
            } else if k == "serversTransport" {
                let st = v.as_str().unwrap_or("");
                r.insert("serversTransport".into(), Value::String(ref_name(st)));
            } else if k != "servers" {
                return Err(format!(
                    "service {name:?}: load balancer option {k:?} has no CRD form"
                ));
            }
        }
        Ok(Value::Object(r))
    }

    fn router(&mut self, name: &str, router: &Value, tcp: bool) {
        let section = if tcp { "tcp" } else { "http" };
        let path = seg(&[section, "routers", name]);
        let service = router.get("service").and_then(Value::as_str).unwrap_or("");
        let services = match self.service_ref(service, tcp, 0) {
            Ok(Value::Array(list)) => list,
            Ok(one) => vec![one],
            Err(why) => {
                let mut p = path.clone();
                p.push("service".into());
                self.lose(
                    &p,
                    "crd-service-ref",
                    format!("router not converted: {why}"),
                );
                return;
            }
        };
        let mut route = Map::new();
        if let Some(rule) = router.get("rule") {
            route.insert("match".into(), rule.clone());
        }
        if !tcp {
            route.insert("kind".into(), json!("Rule"));
        }
        if let Some(p) = router.get("priority") {
            route.insert("priority".into(), p.clone());
        }
        if let Some(s) = router.get("ruleSyntax") {
            route.insert("syntax".into(), s.clone());
        }
        let middlewares: Vec<Value> = router
            .get("middlewares")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|m| json!({"name": ref_name(m)}))
            .collect();
        if !middlewares.is_empty() {
            route.insert("middlewares".into(), Value::Array(middlewares));
        }
        route.insert("services".into(), Value::Array(services));
        let mut spec = Map::new();
        if let Some(eps) = router.get("entryPoints") {
            spec.insert("entryPoints".into(), eps.clone());
        }
        spec.insert("routes".into(), Value::Array(vec![Value::Object(route)]));
        if let Some(Value::Object(tls)) = router.get("tls") {
            let mut t = Map::new();
            for (k, v) in tls {
                match k.as_str() {
                    "options" => {
                        let o = v.as_str().unwrap_or("");
                        t.insert("options".into(), json!({"name": ref_name(o)}));
                    }
                    "certResolver" | "domains" | "passthrough" => {
                        t.insert(k.clone(), v.clone());
                    }
                    other => {
                        let mut p = path.clone();
                        p.extend(["tls".to_string(), other.to_string()]);
                        self.lose(
                            &p,
                            "crd-not-converted",
                            "this router TLS option has no CRD form",
                        );
                    }
                }
            }
            spec.insert("tls".into(), Value::Object(t));
        }
        for field in ["observability", "parentRefs"] {
            if router.get(field).is_some() {
                let mut p = path.clone();
                p.push(field.into());
                self.lose(
                    &p,
                    "crd-not-converted",
                    "this router option has no IngressRoute form",
                );
            }
        }
        let kind = if tcp {
            "IngressRouteTCP"
        } else {
            "IngressRoute"
        };
        let obj = object(kind, &k8s_name(name), &self.ns, Value::Object(spec));
        self.objects.push(obj);
    }
}

/// A reference to another object: same-namespace CRD name, or kept as is across providers.
fn ref_name(name: &str) -> String {
    if name.contains('@') {
        name.to_string()
    } else {
        k8s_name(name)
    }
}

/// Read the objects back with the CRD decoder (one pass over all of them); drop,
/// and report, every object it refuses. Dropping one can only remove references,
/// so a few passes settle.
fn read_back(mut objects: Vec<Value>, losses: &mut Vec<Loss>) -> Result<Vec<Value>, EncodeError> {
    let opts = CrdProviderOptions::default();
    for _ in 0..4 {
        let mut text = String::new();
        for obj in &objects {
            text.push_str("---\n");
            text.push_str(
                &serde_saphyr::to_string(obj).map_err(|e| EncodeError::Serialize(e.to_string()))?,
            );
        }
        let decoded = decode_manifests(
            &[SourceFile {
                path: "converted.yaml".into(),
                content: text.into_bytes(),
            }],
            &opts,
        );
        let mut refused: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for f in &decoded.findings {
            if f.severity != Severity::Error || f.code.starts_with("k8s-") {
                continue;
            }
            if let Some((Some(kind), Some(name))) =
                f.source.as_ref().map(|s| (s.kind.clone(), s.name.clone()))
            {
                refused
                    .entry((kind, name))
                    .or_default()
                    .push(f.message.clone());
            }
        }
        if refused.is_empty() {
            break;
        }
        objects.retain(|obj| {
            let kind = obj["kind"].as_str().unwrap_or("").to_string();
            let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
            match refused.remove(&(kind.clone(), name.clone())) {
                Some(errors) => {
                    losses.push(Loss::new(
                        &[format!("{kind}/{name}")],
                        "crd-refused",
                        format!(
                            "Traefik's CRD provider would refuse the converted object: {}",
                            errors.join("; ")
                        ),
                    ));
                    false
                }
                None => true,
            }
        });
    }
    Ok(objects)
}

#[cfg(test)]
mod tests;
