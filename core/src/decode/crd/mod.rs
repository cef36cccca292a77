//! Traefik's Kubernetes CRD provider (`kubernetescrd`) over manifest files.
//!
//! [`decode_manifests`] reads multi-document YAML manifests (also `kind: List`)
//! the way `kubectl apply -f` would send them, validates the ten
//! `traefik.io/v1alpha1` kinds against Traefik 3.7's CRD schemas (what the API
//! server does), and converts them into one provider configuration exactly as
//! `pkg/provider/kubernetes/crd` (`loadConfigurationFromCRD`) does: same object
//! names, same defaults, same objects skipped — every skip becomes a finding
//! with the object's kind, namespace, name, file, line and column.
//!
//! Decisions where manifests are not a cluster (all documented in findings):
//! - the CRD provider never rejects itself as a whole: each object and each
//!   route stands alone, as in Traefik (only an invalid `labelSelector` stops
//!   the provider: Traefik cannot create its client);
//! - core objects Traefik reads — `v1` Service, Secret, ConfigMap, Node and
//!   `discovery.k8s.io/v1` EndpointSlice — are used when present;
//! - a **missing Service** is what Traefik does with it: the HTTP route is
//!   skipped (`kubernetes service not found: ns/name`), a TCP/UDP route keeps
//!   its router but not its service — reported `k8s-service-not-found`;
//! - **EndpointSlices** are rarely in manifests: with [`CrdOptions::assume_endpoints`]
//!   (the default of [`decode_manifests`]) a Service without any EndpointSlice in
//!   the input is assumed to have ready endpoints, and its load balancer is
//!   produced without servers (no `no servers found` error);
//! - **Secrets/ConfigMaps** are rarely in manifests: with
//!   [`CrdOptions::assume_secrets`] a missing one is a warning and the data
//!   that would come from it stays empty instead of dropping the object.
//!
//! [`CrdOptions::cluster`] turns both assumptions off, for a complete snapshot
//! of a cluster (the in-cluster daemon).

mod backend;
mod cluster;
mod http;
pub mod manifest;
mod middleware;
pub mod naming;
pub mod schema;
pub mod selector;
mod sha1;
mod spec;
mod tcp;
mod tls;
mod traefik_service;
mod transport;
mod udp;

#[cfg(test)]
mod tests;

pub use super::file_provider::SourceFile;

use crate::finding::{Finding, Severity};
use crate::model::{
    CertAndStores, Configuration, HttpConfiguration, TcpConfiguration, TlsConfiguration,
    TlsOptions, TlsStore, UdpConfiguration,
};
use crate::objects::{ObjectKind, Origins};
use crate::provider::{ProviderConfig, ProviderStatus, names};
use crate::static_config::CrdProviderOptions;
use cluster::Cluster;
use indexmap::IndexMap;
use manifest::{Object, Seg};
use naming::RefError;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The ten kinds of `traefik.io/v1alpha1`.
pub const TRAEFIK_KINDS: [&str; 10] = [
    "IngressRoute",
    "IngressRouteTCP",
    "IngressRouteUDP",
    "Middleware",
    "MiddlewareTCP",
    "TraefikService",
    "TLSOption",
    "TLSStore",
    "ServersTransport",
    "ServersTransportTCP",
];

/// The CRD provider's options plus what manifests cannot tell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CrdOptions {
    /// `allowCrossNamespace` (default false).
    pub allow_cross_namespace: bool,
    /// `allowExternalNameServices` (default false).
    pub allow_external_name_services: bool,
    /// `allowEmptyServices` (default false).
    pub allow_empty_services: bool,
    /// `namespaces` watched (empty = all).
    pub namespaces: Vec<String>,
    /// `labelSelector` (applies to the `traefik.io` objects).
    pub label_selector: String,
    /// `ingressClass`.
    pub ingress_class: String,
    /// `crossProviderNamespaces` (None = all allowed, `[]` = none).
    pub cross_provider_namespaces: Option<Vec<String>>,
    /// `nativeLBByDefault`.
    pub native_lb_by_default: bool,
    /// `disableClusterScopeResources`.
    pub disable_cluster_scope_resources: bool,
    /// A Service without any EndpointSlice (or a NodePort without Nodes) in the
    /// input is assumed to be backed by ready endpoints (servers left empty).
    pub assume_endpoints: bool,
    /// A Secret or ConfigMap missing from the input is assumed to exist (warning).
    pub assume_secrets: bool,
    /// Secrets in the input carry metadata only (syncd never reads Secret
    /// data): a Secret that exists is taken as holding the keys its user
    /// expects, without a finding; a missing one is still an error.
    pub secret_data_unknown: bool,
    /// Take the `traefik.io` objects as they are, like a fake client without an
    /// API server (no CRD schema validation, pruning or refusal). For
    /// reproducing Traefik's own unit tests; never what a cluster does.
    pub skip_schema_validation: bool,
}

impl CrdOptions {
    /// For manifests from a repository: endpoints and secrets assumed.
    pub fn offline(p: &CrdProviderOptions) -> Self {
        Self {
            assume_endpoints: true,
            assume_secrets: true,
            ..Self::cluster(p)
        }
    }

    /// For a complete snapshot of a cluster: nothing assumed.
    pub fn cluster(p: &CrdProviderOptions) -> Self {
        Self {
            allow_cross_namespace: p.allow_cross_namespace,
            allow_external_name_services: p.allow_external_name_services,
            allow_empty_services: p.allow_empty_services,
            namespaces: p.namespaces.clone(),
            label_selector: p.label_selector.clone(),
            ingress_class: p.ingress_class.clone(),
            cross_provider_namespaces: p.cross_provider_namespaces.clone(),
            native_lb_by_default: false,
            disable_cluster_scope_resources: false,
            assume_endpoints: false,
            assume_secrets: false,
            secret_data_unknown: false,
            skip_schema_validation: false,
        }
    }

    fn watches(&self, ns: &str) -> bool {
        self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == ns)
    }
}

/// Decode manifests as Traefik's `kubernetescrd` provider would see them once
/// applied (endpoints and secrets absent from the input are assumed, see the
/// module documentation).
pub fn decode_manifests(files: &[SourceFile], opts: &CrdProviderOptions) -> ProviderConfig {
    decode_manifests_with(files, &CrdOptions::offline(opts))
}

/// [`decode_manifests`] with every option spelled out.
pub fn decode_manifests_with(files: &[SourceFile], opts: &CrdOptions) -> ProviderConfig {
    let mut provider = ProviderConfig::empty(names::KUBERNETES_CRD);
    let selector = match selector::Selector::parse(&opts.label_selector) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("invalid label selector: {:?}", opts.label_selector);
            provider.findings.push(
                Finding::new(
                    Severity::Error,
                    "provider-rejected",
                    format!("{msg} ({e}); Traefik cannot start the kubernetescrd provider"),
                )
                .source(Some(crate::source::SourceRef::provider(
                    names::KUBERNETES_CRD,
                )))
                .help("fix providers.kubernetesCRD.labelSelector in the static configuration"),
            );
            provider.status = ProviderStatus::Rejected { errors: vec![msg] };
            return provider;
        }
    };
    let mut findings = Vec::new();
    let objects = dedupe(manifest::read_objects(files, &mut findings), &mut findings);
    let mut cluster = Cluster::default();
    let mut traefik: Vec<(&Object, serde_json::Value)> = Vec::new();
    for obj in &objects {
        classify(
            obj,
            opts,
            &selector,
            &mut cluster,
            &mut traefik,
            &mut findings,
        );
    }
    let mut ctx = Ctx::new(opts, &cluster);
    ctx.findings = findings;
    let mut input = Input::default();
    for (obj, json) in &traefik {
        input.add(&mut ctx, obj, json);
    }
    ctx.run(&input);
    provider.findings = std::mem::take(&mut ctx.findings);
    provider.origins = std::mem::take(&mut ctx.origins);
    provider.config = ctx.into_configuration();
    provider
}

/// Later objects with the same identity replace earlier ones (`kubectl apply`).
fn dedupe(objects: Vec<Object>, findings: &mut Vec<Finding>) -> Vec<Object> {
    let mut index: HashMap<(String, String, String, String), usize> = HashMap::new();
    let mut out: Vec<Option<Object>> = Vec::new();
    for obj in objects {
        let key = (
            obj.group().to_string(),
            obj.kind.clone(),
            obj.namespace.clone(),
            obj.name.clone(),
        );
        if obj.generated_name {
            out.push(Some(obj));
            continue;
        }
        if let Some(&i) = index.get(&key)
            && let Some(prev) = out[i].take()
        {
            findings.push(
                    Finding::new(
                        Severity::Warning,
                        "duplicate-object",
                        format!(
                            "{} {} is defined again here; applied in this order, this definition replaces the one at {}",
                            obj.kind,
                            obj.key(),
                            prev.source().display()
                        ),
                    )
                    .source(Some(obj.source()))
                    .help("keep one definition of each object"),
                );
        }
        index.insert(key, out.len());
        out.push(Some(obj));
    }
    out.into_iter().flatten().collect()
}

fn classify<'o>(
    obj: &'o Object,
    opts: &CrdOptions,
    selector: &selector::Selector,
    cluster: &mut Cluster,
    traefik: &mut Vec<(&'o Object, serde_json::Value)>,
    findings: &mut Vec<Finding>,
) {
    let group = obj.group();
    if group == "traefik.io" {
        if obj.api_version != "traefik.io/v1alpha1" || !TRAEFIK_KINDS.contains(&obj.kind.as_str()) {
            findings.push(
                Finding::new(
                    Severity::Error,
                    "crd-unknown-kind",
                    format!(
                        "no matches for kind {:?} in version {:?}: Traefik 3.7 defines only {} in traefik.io/v1alpha1",
                        obj.kind,
                        obj.api_version,
                        TRAEFIK_KINDS.join(", ")
                    ),
                )
                .source(Some(obj.source())),
            );
            return;
        }
        if obj.generated_name {
            findings.push(
                Finding::new(
                    Severity::Warning,
                    "crd-generated-name",
                    format!(
                        "{} has only metadata.generateName {:?}: the real name is random, so names derived from it here are not final (and `kubectl apply` refuses generateName)",
                        obj.kind, obj.name
                    ),
                )
                .source(Some(obj.source())),
            );
        }
        let Some((issues, pruned)) = (if opts.skip_schema_validation {
            Some((Vec::new(), obj.raw.clone()))
        } else {
            schema::validate(&obj.kind, &obj.raw)
        }) else {
            return;
        };
        let mut refused = false;
        for issue in &issues {
            let (severity, code, message, help) = match issue.kind {
                schema::IssueKind::UnknownField => (
                    Severity::Error,
                    "crd-unknown-field",
                    format!(
                        "{}: kubectl (strict field validation) refuses the object; applied without validation, the API server drops the field and Traefik never sees it",
                        issue.message
                    ),
                    "remove the field or fix its spelling (field names are case-sensitive)",
                ),
                schema::IssueKind::NullPruned => (
                    Severity::Warning,
                    "crd-null-pruned",
                    issue.message.clone(),
                    "give the field a value (`{}` for an empty object, e.g. `tls: {}`), or delete it",
                ),
                schema::IssueKind::Invalid => {
                    refused = true;
                    (
                        Severity::Error,
                        "crd-schema-invalid",
                        format!(
                            "{} {:?} is invalid: {}; the API server refuses the object, Traefik never sees it",
                            obj.kind, obj.name, issue.message
                        ),
                        "fix the value to match the CRD schema",
                    )
                }
            };
            findings.push(
                Finding::new(severity, code, message)
                    .source(Some(obj.source_pos(issue.pos)))
                    .help(help),
            );
        }
        if refused {
            return;
        }
        if !opts.watches(&obj.namespace) {
            findings.push(
                Finding::new(
                    Severity::Info,
                    "crd-object-not-watched",
                    format!(
                        "{} {}: namespace {:?} is not in providers.kubernetesCRD.namespaces; Traefik does not see it",
                        obj.kind,
                        obj.key(),
                        obj.namespace
                    ),
                )
                .source(Some(obj.source())),
            );
            return;
        }
        if !selector.matches(&obj.labels) {
            findings.push(
                Finding::new(
                    Severity::Info,
                    "crd-object-not-watched",
                    format!(
                        "{} {}: its labels do not match labelSelector {:?}; Traefik does not see it",
                        obj.kind,
                        obj.key(),
                        opts.label_selector
                    ),
                )
                .source(Some(obj.source())),
            );
            return;
        }
        traefik.push((obj, strip_nulls(manifest::to_json(&pruned.raw))));
        return;
    }
    if group == "traefik.containo.us" {
        findings.push(
            Finding::new(
                Severity::Error,
                "crd-unknown-kind",
                format!(
                    "{} uses apiVersion {:?}, removed in Traefik v3: Traefik 3.7 ignores it",
                    obj.kind, obj.api_version
                ),
            )
            .source(Some(obj.source()))
            .help("use apiVersion traefik.io/v1alpha1"),
        );
        return;
    }
    match cluster.add(obj) {
        Ok(true) => {}
        Ok(false) => findings.push(
            Finding::new(
                Severity::Info,
                "k8s-object-ignored",
                format!(
                    "{} {} ({}) is not read by Traefik's kubernetescrd provider; ignored",
                    obj.kind,
                    obj.key(),
                    obj.api_version
                ),
            )
            .source(Some(obj.source())),
        ),
        Err(e) => findings.push(
            Finding::new(Severity::Error, "k8s-object-invalid", e).source(Some(obj.source())),
        ),
    }
}

/// The Traefik objects of the input, typed, per kind in input order.
#[derive(Default)]
pub(crate) struct Input<'a> {
    pub ingress_routes: Vec<(&'a Object, spec::IngressRouteSpec)>,
    pub ingress_routes_tcp: Vec<(&'a Object, spec::IngressRouteTcpSpec)>,
    pub ingress_routes_udp: Vec<(&'a Object, spec::IngressRouteUdpSpec)>,
    pub middlewares: Vec<(&'a Object, spec::MiddlewareSpec)>,
    pub middlewares_tcp: Vec<(&'a Object, spec::MiddlewareTcpSpec)>,
    pub traefik_services: Vec<(&'a Object, spec::TraefikServiceSpec)>,
    pub tls_options: Vec<(&'a Object, spec::TlsOptionSpec)>,
    pub tls_stores: Vec<(&'a Object, spec::TlsStoreSpec)>,
    pub servers_transports: Vec<(&'a Object, spec::ServersTransportSpec)>,
    pub servers_transports_tcp: Vec<(&'a Object, spec::ServersTransportTcpSpec)>,
}

impl<'a> Input<'a> {
    fn add(&mut self, ctx: &mut Ctx, obj: &'a Object, json: &serde_json::Value) {
        fn typed<T: DeserializeOwned + Default>(
            ctx: &mut Ctx,
            obj: &Object,
            json: &serde_json::Value,
        ) -> Option<T> {
            let spec = &json["spec"];
            if spec.is_null() {
                return Some(T::default());
            }
            match serde_json::from_value(spec.clone()) {
                Ok(v) => Some(v),
                Err(e) => {
                    ctx.report(
                        Severity::Error,
                        "crd-schema-invalid",
                        obj,
                        &[Seg::Key("spec".into())],
                        None,
                        format!("{} {:?} cannot be decoded: {e}", obj.kind, obj.name),
                    );
                    None
                }
            }
        }
        match obj.kind.as_str() {
            "IngressRoute" => self
                .ingress_routes
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "IngressRouteTCP" => self
                .ingress_routes_tcp
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "IngressRouteUDP" => self
                .ingress_routes_udp
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "Middleware" => self
                .middlewares
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "MiddlewareTCP" => self
                .middlewares_tcp
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "TraefikService" => self
                .traefik_services
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "TLSOption" => self
                .tls_options
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "TLSStore" => self
                .tls_stores
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "ServersTransport" => self
                .servers_transports
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            "ServersTransportTCP" => self
                .servers_transports_tcp
                .extend(typed(ctx, obj, json).map(|s| (obj, s))),
            _ => {}
        }
    }
}

/// A Secret lookup.
pub(crate) enum Lookup<T> {
    /// In the input.
    Found(T),
    /// Not in the input, assumed to exist (a warning was reported).
    Assumed,
    /// Not in the input, and not assumed.
    Missing,
}

/// One run of the provider over the input.
pub(crate) struct Ctx<'c> {
    pub opts: &'c CrdOptions,
    pub cluster: &'c Cluster,
    pub findings: Vec<Finding>,
    pub origins: Origins,
    pub http: HttpConfiguration,
    pub tcp: TcpConfiguration,
    pub udp: UdpConfiguration,
    pub tls_options: IndexMap<String, TlsOptions>,
    pub tls_stores: IndexMap<String, TlsStore>,
    /// `tlsConfigs`: certificates by `namespace/secret`.
    pub tls_configs: BTreeMap<String, CertAndStores>,
    assumed: BTreeSet<String>,
    /// Names produced so far, by kind, with the object that produced them.
    produced: HashMap<(ObjectKind, String), String>,
}

impl<'c> Ctx<'c> {
    fn new(opts: &'c CrdOptions, cluster: &'c Cluster) -> Self {
        Self {
            opts,
            cluster,
            findings: Vec::new(),
            origins: Origins::default(),
            http: HttpConfiguration::default(),
            tcp: TcpConfiguration::default(),
            udp: UdpConfiguration::default(),
            tls_options: IndexMap::new(),
            tls_stores: IndexMap::new(),
            tls_configs: BTreeMap::new(),
            assumed: BTreeSet::new(),
            produced: HashMap::new(),
        }
    }

    /// `loadConfigurationFromCRD`, in Traefik's order.
    fn run(&mut self, input: &Input) {
        self.load_tls_stores(&input.tls_stores);
        self.load_ingress_routes(&input.ingress_routes);
        self.load_ingress_routes_tcp(&input.ingress_routes_tcp);
        self.load_ingress_routes_udp(&input.ingress_routes_udp);
        self.load_tls_options(&input.tls_options);
        self.load_middlewares(&input.middlewares);
        self.load_middlewares_tcp(&input.middlewares_tcp);
        self.load_traefik_services(&input.traefik_services);
        self.load_servers_transports(&input.servers_transports);
        self.load_servers_transports_tcp(&input.servers_transports_tcp);
    }

    fn into_configuration(self) -> Configuration {
        let mut config = Configuration::default();
        let http = self.http;
        if !(http.routers.is_empty()
            && http.services.is_empty()
            && http.middlewares.is_empty()
            && http.servers_transports.is_empty())
        {
            config.http = Some(http);
        }
        let tcp = self.tcp;
        if !(tcp.routers.is_empty()
            && tcp.services.is_empty()
            && tcp.middlewares.is_empty()
            && tcp.servers_transports.is_empty())
        {
            config.tcp = Some(tcp);
        }
        if !(self.udp.routers.is_empty() && self.udp.services.is_empty()) {
            config.udp = Some(self.udp);
        }
        let certificates: Vec<CertAndStores> = self.tls_configs.into_values().collect();
        if !(certificates.is_empty() && self.tls_options.is_empty() && self.tls_stores.is_empty()) {
            config.tls = Some(TlsConfiguration {
                certificates,
                options: self.tls_options,
                stores: self.tls_stores,
            });
        }
        config
    }

    /// Push a finding about `obj` at `path`.
    pub fn report(
        &mut self,
        severity: Severity,
        code: &'static str,
        obj: &Object,
        path: &[Seg],
        object: Option<&str>,
        message: String,
    ) -> &mut Finding {
        let mut f = Finding::new(severity, code, message).source(Some(obj.source_at(path)));
        if let Some(o) = object {
            f = f.object(format!("{o}@{}", names::KUBERNETES_CRD));
        }
        self.findings.push(f);
        self.findings.last_mut().expect("just pushed")
    }

    /// A reference refused by Traefik: `cross-namespace-refused` or `what_code`.
    pub fn refused(
        &mut self,
        obj: &Object,
        path: &[Seg],
        object: Option<&str>,
        err: &RefError,
        what_code: &'static str,
        consequence: &str,
    ) {
        let (code, help) = if err.cross_namespace {
            (
                "cross-namespace-refused",
                "move the referenced object into the same namespace, or enable providers.kubernetesCRD.allowCrossNamespace",
            )
        } else if err.message.contains("kubernetes service not found") {
            (
                "k8s-service-not-found",
                "create the Service (or include its manifest in the input), or fix the name, namespace and kind",
            )
        } else {
            (what_code, "fix the reference")
        };
        self.report(
            Severity::Error,
            code,
            obj,
            path,
            object,
            format!("{}: {consequence}", err.message),
        )
        .help = Some(help.to_string());
    }

    /// Record where a produced object comes from, and report a name collision.
    pub fn produced(&mut self, kind: ObjectKind, name: &str, obj: &Object, path: &[Seg]) {
        let here = obj.source_at(path);
        let who = format!("{} {}", obj.kind, obj.key());
        if let Some(prev) = self.produced.get(&(kind, name.to_string()))
            && *prev != who
        {
            let prev = prev.clone();
            self.report(
                Severity::Warning,
                "crd-name-collision",
                obj,
                path,
                Some(name),
                format!(
                    "{} {name:?} is produced both by {prev} and by {who}: Traefik keeps only one of them (whichever it lists last)",
                    kind.words()
                ),
            );
        }
        self.produced.insert((kind, name.to_string()), who);
        self.origins.insert(kind, name, here);
    }

    /// Look a Secret up, assuming it when allowed.
    pub fn secret(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        name: &str,
    ) -> Lookup<&'c cluster::Secret> {
        if let Some(s) = self.cluster.secret(ns, name) {
            if self.opts.secret_data_unknown {
                // Exists, content unknown: what `Assumed` means to every user.
                return Lookup::Assumed;
            }
            return Lookup::Found(s);
        }
        if self.opts.assume_secrets {
            self.assume(obj, path, "Secret", ns, name);
            return Lookup::Assumed;
        }
        Lookup::Missing
    }

    /// Look a ConfigMap up, assuming it when allowed.
    pub fn config_map(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        name: &str,
    ) -> Lookup<&'c BTreeMap<String, String>> {
        if let Some(s) = self.cluster.config_map(ns, name) {
            return Lookup::Found(s);
        }
        if self.opts.assume_secrets {
            self.assume(obj, path, "ConfigMap", ns, name);
            return Lookup::Assumed;
        }
        Lookup::Missing
    }

    fn assume(&mut self, obj: &Object, path: &[Seg], kind: &str, ns: &str, name: &str) {
        let key = format!("{kind} {ns}/{name} {}", obj.key());
        if !self.assumed.insert(key) {
            return;
        }
        self.report(
            Severity::Warning,
            "k8s-secret-not-in-input",
            obj,
            path,
            None,
            format!(
                "{kind} {ns}/{name} is not in the validated manifests; assumed to exist with the expected keys (Traefik drops what uses it if it does not)"
            ),
        )
        .help = Some(format!("make sure {kind} {ns}/{name} exists in the cluster, or include it in the input"));
    }
}

/// `getIngressClassName`: `spec.ingressClassName`, else the deprecated
/// `kubernetes.io/ingress.class` annotation (second value: the annotation was used).
pub(crate) fn ingress_class_of(obj: &Object, spec: &Option<String>) -> (String, bool) {
    if let Some(c) = spec {
        return (c.clone(), false);
    }
    match obj.annotations.get("kubernetes.io/ingress.class") {
        Some(a) if !a.is_empty() => (a.clone(), true),
        _ => (String::new(), false),
    }
}

/// Go's `encoding/json` leaves a field alone when its value is `null`.
fn strip_nulls(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}
