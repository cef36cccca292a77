//! IngressRoute and TraefikService → HTTP routers and services
//! (`kubernetes_http.go`: `loadIngressRouteConfiguration`, `configBuilder`).

use super::backend::{join_host_port, native_address, service_port, service_protocol};
use super::manifest::{Object, Seg};
use super::naming::{
    RefError, is_cross_provider_namespace_allowed, is_namespace_allowed, make_id, make_service_key,
    normalize, resolve_reference, servers_transport_key, split_provider,
};
use super::spec::{IngressRouteSpec, IntOrString, LoadBalancerSpec, ObjectRef};
use super::{Ctx, ingress_class_of};
use crate::finding::Severity;
use crate::model::{
    Cookie, GoDuration, MILLISECOND, PassiveServerHealthCheck, ResponseForwarding, Router,
    RouterObservabilityConfig, RouterTlsConfig, SECOND, Server, ServerHealthCheck,
    ServersLoadBalancer, Service, Sticky, WeightedRoundRobin, WrrService,
};
use crate::objects::ObjectKind;

/// `dynamic.Cookie.SetDefaults` + the fields Traefik copies.
pub(crate) fn sticky_with_defaults(sticky: &Option<Sticky>) -> Option<Sticky> {
    let cookie = sticky.as_ref()?.cookie.as_ref()?;
    Some(Sticky {
        cookie: Some(Cookie {
            path: Some(cookie.path.clone().unwrap_or_else(|| "/".to_string())),
            ..cookie.clone()
        }),
    })
}

pub(crate) fn duration(v: &IntOrString) -> Result<GoDuration, String> {
    GoDuration::parse(&v.to_string()).map_err(|e| e.message)
}

impl Ctx<'_> {
    pub(crate) fn load_ingress_routes(&mut self, routes: &[(&Object, IngressRouteSpec)]) {
        for (obj, spec) in routes {
            if !self.should_process(obj, &spec.ingress_class_name) {
                continue;
            }
            self.tls_from_route(obj, spec.tls.as_ref().map(|t| t.secret_name.as_str()));
            let ingress_name = obj.name.clone();
            let parents = match self.resolve_parent_router_names(obj, spec, routes) {
                Ok(p) => p,
                Err(e) => {
                    self.refused(
                        obj,
                        &[Seg::Key("spec".into()), Seg::Key("parentRefs".into())],
                        None,
                        &e,
                        "crd-parent-ref-invalid",
                        "Traefik skips the whole IngressRoute (\"Error resolving parent routers\")",
                    );
                    continue;
                }
            };
            let mut seen_rules: std::collections::HashMap<String, usize> =
                std::collections::HashMap::new();
            for (i, route) in spec.routes.iter().enumerate() {
                let path = vec![
                    Seg::Key("spec".into()),
                    Seg::Key("routes".into()),
                    Seg::Index(i),
                ];
                if !route.kind.is_empty() && route.kind != "Rule" {
                    self.skip_route(
                        obj,
                        &path,
                        None,
                        format!(
                            "Unsupported match kind: {}. Only \"Rule\" is supported for now.",
                            route.kind
                        ),
                    );
                    continue;
                }
                if route.rule.is_empty() {
                    self.skip_route(obj, &path, None, "Empty match rule".to_string());
                    continue;
                }
                let service_key = make_service_key(&route.rule, &ingress_name);
                let normalized = normalize(&make_id(&obj.namespace, &service_key));
                let Some(middlewares) =
                    self.route_middlewares(obj, &path, &route.middlewares, &normalized)
                else {
                    continue;
                };
                let mut service_name = normalized.clone();
                let svc_path = path_with(&path, &["services"], None);
                match route.services.len() {
                    0 => service_name.clear(),
                    1 => match self.name_and_service(
                        obj,
                        &path_with(&path, &["services"], Some(0)),
                        &obj.namespace,
                        &route.services[0],
                    ) {
                        Ok((full, Some(lb))) => {
                            self.produced(ObjectKind::HttpService, &service_name, obj, &svc_path);
                            self.http.services.insert(service_name.clone(), lb);
                            let _ = full;
                        }
                        Ok((full, None)) => service_name = full,
                        Err(e) => {
                            self.route_service_error(obj, &svc_path, &normalized, &e);
                            continue;
                        }
                    },
                    _ => {
                        if let Err(e) = self.build_services_lb(
                            obj,
                            &svc_path,
                            &obj.namespace,
                            &route.services,
                            &None,
                            &service_name,
                        ) {
                            self.route_service_error(obj, &svc_path, &normalized, &e);
                            continue;
                        }
                    }
                }
                let mut router = Router {
                    middlewares,
                    priority: route.priority,
                    rule_syntax: route.syntax.clone(),
                    entry_points: spec.entry_points.clone(),
                    rule: route.rule.clone(),
                    service: service_name,
                    parent_refs: parents.clone(),
                    ..Router::default()
                };
                if !route.syntax.is_empty() {
                    self.report(Severity::Warning, "crd-deprecated", obj, &path_with(&path, &["syntax"], None), Some(&normalized),
                        "routes[].syntax is deprecated (rule syntax v2 will be removed); write the rule in v3 syntax".to_string());
                }
                if let Some(o) = &route.observability {
                    router.observability = Some(RouterObservabilityConfig {
                        access_logs: o.access_logs,
                        metrics: o.metrics,
                        tracing: o.tracing,
                        trace_verbosity: o.trace_verbosity.clone(),
                    });
                }
                if let Some(tls) = &spec.tls {
                    let mut rtls = RouterTlsConfig {
                        cert_resolver: tls.cert_resolver.clone(),
                        domains: tls.domains.clone(),
                        ..RouterTlsConfig::default()
                    };
                    if let Some(opt) = tls.options.as_ref().filter(|o| !o.name.is_empty()) {
                        match resolve_reference(
                            &obj.namespace,
                            &opt.namespace,
                            &opt.name,
                            self.opts,
                        ) {
                            Ok(r) => {
                                if let Some(ns) = &r.ignored_namespace {
                                    self.ignored_namespace(obj, &tls_options_path(), ns);
                                }
                                rtls.options = r.name;
                            }
                            Err(e) => {
                                self.refused(
                                    obj,
                                    &tls_options_path(),
                                    Some(&normalized),
                                    &e.wrap(format!(
                                        "Invalid reference to TLSOption {:?}",
                                        opt.name
                                    )),
                                    "crd-reference-refused",
                                    "Traefik skips this route",
                                );
                                continue;
                            }
                        }
                    }
                    router.tls = Some(rtls);
                }
                if let Some(prev) = seen_rules.insert(normalized.clone(), i) {
                    self.report(
                        Severity::Warning,
                        "crd-duplicate-route",
                        obj,
                        &path_with(&path, &["match"], None),
                        Some(&normalized),
                        format!(
                            "routes[{prev}] and routes[{i}] have the same match, so they make the same router {normalized:?}: Traefik keeps only routes[{i}]"
                        ),
                    );
                }
                self.produced(
                    ObjectKind::HttpRouter,
                    &normalized,
                    obj,
                    &path_with(&path, &["match"], None),
                );
                self.http.routers.insert(normalized, router);
            }
        }
    }

    /// Whether the route's ingress class is this provider's (`shouldProcessIngress`).
    pub(crate) fn should_process(&mut self, obj: &Object, spec_class: &Option<String>) -> bool {
        let (class, deprecated) = ingress_class_of(obj, spec_class);
        if deprecated {
            self.report(Severity::Warning, "crd-deprecated", obj, &[Seg::Key("metadata".into()), Seg::Key("annotations".into())], None,
                "'kubernetes.io/ingress.class' is a deprecated annotation, please use spec.ingressClassName instead.".to_string());
        }
        let wanted = &self.opts.ingress_class;
        let ok = *wanted == class || (wanted.is_empty() && class == "traefik");
        if !ok {
            self.report(Severity::Info, "crd-object-not-watched", obj, &[Seg::Key("spec".into()), Seg::Key("ingressClassName".into())], None,
                format!("{} {}: ingress class {class:?} is not the provider's ingressClass {wanted:?}; Traefik ignores it", obj.kind, obj.key()));
        }
        ok
    }

    fn resolve_parent_router_names(
        &self,
        obj: &Object,
        spec: &IngressRouteSpec,
        all: &[(&Object, IngressRouteSpec)],
    ) -> Result<Vec<String>, RefError> {
        let mut names = Vec::new();
        for parent in &spec.parent_refs {
            let ns = if parent.namespace.is_empty() {
                obj.namespace.as_str()
            } else {
                parent.namespace.as_str()
            };
            if !is_namespace_allowed(self.opts.allow_cross_namespace, &obj.namespace, ns) {
                return Err(RefError::cross_namespace(format!(
                    "cross-namespace reference to parent IngressRoute {ns}/{} not allowed",
                    parent.name
                )));
            }
            let Some((pobj, pspec)) = all
                .iter()
                .find(|(o, _)| o.name == parent.name && o.namespace == ns)
            else {
                return Err(RefError::other(format!(
                    "parent IngressRoute {ns}/{} does not exist",
                    parent.name
                )));
            };
            for route in &pspec.routes {
                let key = make_service_key(&route.rule, &pobj.name);
                names.push(normalize(&make_id(&pobj.namespace, &key)));
            }
        }
        Ok(names)
    }

    fn skip_route(&mut self, obj: &Object, path: &[Seg], router: Option<&str>, message: String) {
        self.report(
            Severity::Error,
            "crd-route-skipped",
            obj,
            path,
            router,
            format!(
                "{message}: Traefik skips this route of {} {}",
                obj.kind,
                obj.key()
            ),
        );
    }

    fn route_service_error(&mut self, obj: &Object, path: &[Seg], router: &str, e: &RefError) {
        let code = if e.message.starts_with("kubernetes service not found") {
            "k8s-service-not-found"
        } else {
            "crd-route-skipped"
        };
        self.refused(
            obj,
            path,
            Some(router),
            e,
            code,
            "Traefik skips this route (no router, no service)",
        );
    }

    /// `makeMiddlewareKeys` for a route (HTTP or TCP): the qualified middleware names,
    /// or `None` once a refused reference has been reported (Traefik skips the route).
    pub(crate) fn route_middlewares(
        &mut self,
        obj: &Object,
        path: &[Seg],
        refs: &[ObjectRef],
        router: &str,
    ) -> Option<Vec<String>> {
        let mut names = Vec::new();
        for (j, mw) in refs.iter().enumerate() {
            let at = path_with(path, &["middlewares"], Some(j));
            match resolve_reference(&obj.namespace, &mw.namespace, &mw.name, self.opts) {
                Ok(r) => {
                    if let Some(ns) = &r.ignored_namespace {
                        self.ignored_namespace(obj, &at, ns);
                    }
                    names.push(r.name);
                }
                Err(e) => {
                    let e = e.wrap(format!("invalid reference to middleware {}", mw.name));
                    self.refused(
                        obj,
                        &at,
                        Some(router),
                        &e.wrap("Failed to create middleware keys"),
                        "crd-reference-refused",
                        "Traefik skips this route",
                    );
                    return None;
                }
            }
        }
        Some(names)
    }

    pub(crate) fn ignored_namespace(&mut self, obj: &Object, path: &[Seg], ns: &str) {
        self.report(
            Severity::Warning,
            "crd-namespace-ignored",
            obj,
            path,
            None,
            format!(
                "Namespace {ns:?} is ignored in cross-provider context (the name contains '@')"
            ),
        );
    }

    /// `nameAndService`.
    pub(crate) fn name_and_service(
        &mut self,
        obj: &Object,
        path: &[Seg],
        parent_ns: &str,
        service: &LoadBalancerSpec,
    ) -> Result<(String, Option<Service>), RefError> {
        let mut service = service.clone();
        let cross_provider = service.name.contains('@');
        if !cross_provider {
            if service.namespace.is_empty() {
                service.namespace = parent_ns.to_string();
            }
            if !is_namespace_allowed(
                self.opts.allow_cross_namespace,
                parent_ns,
                &service.namespace,
            ) {
                return Err(RefError::cross_namespace(format!(
                    "service {}/{} not in the parent resource namespace {parent_ns}",
                    service.namespace, service.name
                )));
            }
        }
        if cross_provider
            && !is_cross_provider_namespace_allowed(&self.opts.cross_provider_namespaces, parent_ns)
        {
            return Err(RefError::other(format!(
                "service {:?} reference is not allowed: namespace {parent_ns:?} is not in crossProviderNamespaces",
                service.name
            )));
        }
        match service.kind.as_str() {
            "" | "Service" => {
                let lb = self.build_servers_lb(obj, path, &service)?;
                let full = self.full_service_name(obj, path, &service, &service.port);
                Ok((full, Some(lb)))
            }
            "TraefikService" => Ok((
                self.full_service_name(obj, path, &service, &IntOrString::Int(0)),
                None,
            )),
            other => Err(RefError::other(format!("unsupported service kind {other}"))),
        }
    }

    /// `fullServiceName`.
    fn full_service_name(
        &mut self,
        obj: &Object,
        path: &[Seg],
        service: &LoadBalancerSpec,
        port: &IntOrString,
    ) -> String {
        if !port.is_zero() {
            return normalize(&format!("{}-{}-{}", service.namespace, service.name, port));
        }
        if !service.name.contains('@') {
            return normalize(&format!("{}-{}", service.namespace, service.name));
        }
        let (name, provider) = split_provider(&service.name);
        if provider == "kubernetescrd" {
            return normalize(&format!("{}-{}", service.namespace, name));
        }
        if !service.namespace.is_empty() {
            let ns = service.namespace.clone();
            self.report(
                Severity::Warning,
                "crd-namespace-ignored",
                obj,
                path,
                None,
                format!("namespace {ns:?} is ignored in cross-provider context"),
            );
        }
        format!("{}@{provider}", normalize(name))
    }

    /// `buildServersLB`.
    fn build_servers_lb(
        &mut self,
        obj: &Object,
        path: &[Seg],
        svc: &LoadBalancerSpec,
    ) -> Result<Service, RefError> {
        let mut lb = ServersLoadBalancer {
            strategy: "wrr".to_string(),
            pass_host_header: Some(true),
            response_forwarding: Some(ResponseForwarding {
                flush_interval: nanos(100 * MILLISECOND),
            }),
            ..ServersLoadBalancer::default()
        };
        match svc.strategy.as_str() {
            "" => {}
            "wrr" | "p2c" | "hrw" | "leasttime" => lb.strategy = svc.strategy.clone(),
            "RoundRobin" => {
                self.report(
                    Severity::Warning,
                    "crd-deprecated",
                    obj,
                    path,
                    None,
                    "RoundRobin strategy value is deprecated, please use wrr value instead"
                        .to_string(),
                );
            }
            other => {
                return Err(RefError::other(format!(
                    "load-balancer strategy {other} is not supported"
                )));
            }
        }
        lb.servers = self.load_servers(obj, path, svc).map_err(RefError::other)?;
        if let Some(hc) = &svc.health_check {
            let mut out = ServerHealthCheck {
                scheme: hc.scheme.clone(),
                path: hc.path.clone(),
                method: hc.method.clone(),
                status: hc.status,
                port: hc.port,
                hostname: hc.hostname.clone(),
                headers: hc.headers.clone(),
                follow_redirects: Some(true),
                mode: "http".to_string(),
                interval: nanos(30 * SECOND),
                timeout: nanos(5 * SECOND),
                ..ServerHealthCheck::default()
            };
            if hc.follow_redirects.is_some() {
                out.follow_redirects = hc.follow_redirects;
            }
            if hc.mode != "http" {
                out.mode = hc.mode.clone();
            }
            if let Some(i) = &hc.interval {
                out.interval = duration(i).map_err(RefError::other)?;
            }
            out.unhealthy_interval = Some(match &hc.unhealthy_interval {
                None => out.interval,
                Some(u) => duration(u).map_err(RefError::other)?,
            });
            if let Some(t) = &hc.timeout {
                out.timeout = duration(t).map_err(RefError::other)?;
            }
            lb.health_check = Some(out);
        }
        if let Some(p) = &svc.passive_health_check {
            let mut out = PassiveServerHealthCheck {
                failure_window: nanos(10 * SECOND),
                max_failed_attempts: 1,
            };
            if let Some(m) = p.max_failed_attempts {
                out.max_failed_attempts = m;
            }
            if let Some(w) = &p.failure_window {
                out.failure_window = duration(w).map_err(RefError::other)?;
            }
            lb.passive_health_check = Some(out);
        }
        lb.pass_host_header = Some(svc.pass_host_header.unwrap_or(true));
        if let Some(rf) = svc
            .response_forwarding
            .as_ref()
            .filter(|r| !r.flush_interval.is_empty())
        {
            let d = GoDuration::parse(&rf.flush_interval).map_err(|e| {
                RefError::other(format!("unable to parse flushInterval: {}", e.message))
            })?;
            lb.response_forwarding = Some(ResponseForwarding { flush_interval: d });
        }
        lb.sticky = sticky_with_defaults(&svc.sticky);
        lb.servers_transport =
            servers_transport_key(&svc.namespace, &svc.servers_transport, self.opts)?;
        let mut service = Service {
            load_balancer: Some(lb),
            ..Service::default()
        };
        if !svc.middlewares.is_empty() {
            let mut mds = Vec::new();
            for mw in &svc.middlewares {
                let r = resolve_reference(&svc.namespace, &mw.namespace, &mw.name, self.opts)
                    .map_err(|e| {
                        e.wrap(format!("invalid reference to middleware {}", mw.name))
                            .wrap("could not create middleware keys")
                    })?;
                mds.push(r.name);
            }
            service.middlewares = mds;
        }
        Ok(service)
    }

    /// `loadServers`.
    fn load_servers(
        &mut self,
        obj: &Object,
        path: &[Seg],
        svc: &LoadBalancerSpec,
    ) -> Result<Vec<Server>, String> {
        if !self.opts.watches(&svc.namespace) {
            return Err(format!(
                "failed to get service {}/{}: namespace is not within watched namespaces",
                svc.namespace, svc.name
            ));
        }
        let Some(service) = self.cluster.service(&svc.namespace, &svc.name) else {
            return Err(format!(
                "kubernetes service not found: {}/{}",
                svc.namespace, svc.name
            ));
        };
        let (port, warning) = service_port(service, &svc.port)?;
        if let Some(w) = warning {
            self.report(
                Severity::Warning,
                "k8s-service-port-mismatch",
                obj,
                path,
                None,
                w,
            );
        }
        let external = service.spec.type_ == "ExternalName";
        if !external && svc.health_check.is_some() {
            return Err(format!(
                "healthCheck allowed only for ExternalName services: {}/{}",
                svc.namespace, svc.name
            ));
        }
        if external {
            if !self.opts.allow_external_name_services {
                return Err(format!(
                    "externalName services not allowed: {}/{}",
                    svc.namespace, svc.name
                ));
            }
            let protocol = service_protocol(&svc.scheme, &port.name, port.port)?;
            let host_port = join_host_port(&service.spec.external_name, port.port);
            return Ok(vec![Server {
                url: format!("{protocol}://{host_port}"),
                ..Server::default()
            }]);
        }
        if svc.native_lb.unwrap_or(self.opts.native_lb_by_default) {
            let address = native_address(service, &port)
                .map_err(|e| format!("getting native Kubernetes Service address: {e}"))?;
            let protocol = service_protocol(&svc.scheme, &port.name, port.port)?;
            return Ok(vec![Server {
                url: format!("{protocol}://{address}"),
                ..Server::default()
            }]);
        }
        let mut servers = Vec::new();
        if service.spec.type_ == "NodePort" && svc.node_port_lb {
            if self.opts.disable_cluster_scope_resources {
                return Err("nodes lookup is disabled".to_string());
            }
            if self.cluster.nodes.is_empty() {
                if self.opts.assume_endpoints {
                    self.assumed_endpoints(obj, path, &svc.namespace, &svc.name, "Node");
                    return Ok(servers);
                }
                return Err(format!(
                    "nodes not found for NodePort service {}/{}",
                    svc.namespace, svc.name
                ));
            }
            let protocol = service_protocol(&svc.scheme, &port.name, port.port)?;
            for node in &self.cluster.nodes {
                for addr in node.iter().filter(|a| a.type_ == "InternalIP") {
                    servers.push(Server {
                        url: format!(
                            "{protocol}://{}",
                            join_host_port(&addr.address, port.node_port)
                        ),
                        ..Server::default()
                    });
                }
            }
            if servers.is_empty() {
                return Err(format!(
                    "no servers were generated for service {} in namespace",
                    svc.name
                ));
            }
            return Ok(servers);
        }
        let Some(slices) = self.cluster.slices(&svc.namespace, &svc.name) else {
            if self.opts.assume_endpoints {
                self.assumed_endpoints(obj, path, &svc.namespace, &svc.name, "EndpointSlice");
                return Ok(servers);
            }
            if self.opts.allow_empty_services {
                return Ok(servers);
            }
            return Err(format!(
                "no servers found for {}/{}",
                svc.namespace, svc.name
            ));
        };
        let mut seen = std::collections::HashSet::new();
        for slice in slices {
            let Some(p) = slice
                .ports
                .iter()
                .find(|p| p.name.as_deref() == Some(port.name.as_str()))
            else {
                continue;
            };
            let p = p.port.unwrap_or(0);
            if p == 0 {
                continue;
            }
            let protocol = service_protocol(&svc.scheme, &port.name, port.port)?;
            for ep in &slice.endpoints {
                if !ep.conditions.serving.unwrap_or(true) {
                    continue;
                }
                for address in &ep.addresses {
                    if !seen.insert(address.clone()) {
                        continue;
                    }
                    servers.push(Server {
                        url: format!("{protocol}://{}", join_host_port(address, p)),
                        ..Server::default()
                    });
                }
            }
        }
        if servers.is_empty() && !self.opts.allow_empty_services {
            return Err(format!(
                "no servers found for {}/{}",
                svc.namespace, svc.name
            ));
        }
        Ok(servers)
    }

    pub(crate) fn assumed_endpoints(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        name: &str,
        what: &str,
    ) {
        self.report(
            Severity::Info,
            "k8s-endpoints-assumed",
            obj,
            path,
            None,
            format!("no {what} for Service {ns}/{name} in the input: assumed to have ready endpoints; its servers are not listed"),
        );
    }

    /// `buildServicesLB`: a weighted service `id` over `services`.
    pub(crate) fn build_services_lb(
        &mut self,
        obj: &Object,
        path: &[Seg],
        namespace: &str,
        services: &[LoadBalancerSpec],
        sticky: &Option<Sticky>,
        id: &str,
    ) -> Result<(), RefError> {
        let mut wrr = Vec::new();
        for (i, service) in services.iter().enumerate() {
            let p = path_with(path, &[], Some(i));
            let (full, k8s) = self.name_and_service(obj, &p, namespace, service)?;
            if let Some(k8s) = k8s {
                self.produced(ObjectKind::HttpService, &full, obj, &p);
                self.http.services.insert(full.clone(), k8s);
            }
            wrr.push(WrrService {
                name: full,
                weight: Some(service.weight.unwrap_or(1)),
            });
        }
        self.produced(ObjectKind::HttpService, id, obj, path);
        self.http.services.insert(
            id.to_string(),
            Service {
                weighted: Some(WeightedRoundRobin {
                    services: wrr,
                    sticky: sticky_with_defaults(sticky),
                    ..WeightedRoundRobin::default()
                }),
                ..Service::default()
            },
        );
        Ok(())
    }
}

pub(crate) fn spec_path(keys: &[&str]) -> Vec<Seg> {
    std::iter::once(Seg::Key("spec".into()))
        .chain(keys.iter().map(|k| Seg::Key((*k).into())))
        .collect()
}

fn tls_options_path() -> Vec<Seg> {
    spec_path(&["tls", "options"])
}

/// `base` + keys + optional index.
pub(crate) fn path_with(base: &[Seg], keys: &[&str], index: Option<usize>) -> Vec<Seg> {
    let mut p = base.to_vec();
    p.extend(keys.iter().map(|k| Seg::Key((*k).into())));
    if let Some(i) = index {
        p.push(Seg::Index(i));
    }
    p
}

/// A [`GoDuration`] of `n` nanoseconds.
pub(crate) fn nanos(n: i64) -> GoDuration {
    crate::model::GoDurationOf(n)
}
