//! IngressRouteTCP → TCP routers and services (`kubernetes_tcp.go`).

use super::Ctx;
use super::backend::{join_host_port, native_address, service_port};
use super::http::path_with;
use super::manifest::{Object, Seg};
use super::naming::{
    RefError, is_namespace_allowed, make_id, make_service_key, resolve_reference,
    servers_transport_key,
};
use super::spec::IntOrString;
use super::spec::{IngressRouteTcpSpec, ServiceTcp};
use crate::finding::Severity;
use crate::model::{
    ProxyProtocol, RouterTcpTlsConfig, TcpRouter, TcpServer, TcpServersLoadBalancer, TcpService,
    TcpWeightedRoundRobin, TcpWrrService,
};
use crate::objects::ObjectKind;

impl Ctx<'_> {
    pub(crate) fn load_ingress_routes_tcp(&mut self, routes: &[(&Object, IngressRouteTcpSpec)]) {
        for (obj, spec) in routes {
            if !self.should_process(obj, &spec.ingress_class_name) {
                continue;
            }
            if let Some(tls) = spec.tls.as_ref().filter(|t| !t.passthrough) {
                self.tls_from_route(obj, Some(tls.secret_name.as_str()));
            }
            for (i, route) in spec.routes.iter().enumerate() {
                let path = vec![
                    Seg::Key("spec".into()),
                    Seg::Key("routes".into()),
                    Seg::Index(i),
                ];
                if route.rule.is_empty() {
                    self.report(
                        Severity::Error,
                        "crd-route-skipped",
                        obj,
                        &path,
                        None,
                        format!(
                            "Empty match rule: Traefik skips this route of {} {}",
                            obj.kind,
                            obj.key()
                        ),
                    );
                    continue;
                }
                let key = make_service_key(&route.rule, &obj.name);
                let service_name = make_id(&obj.namespace, &key);
                let Some(mds) =
                    self.route_middlewares(obj, &path, &route.middlewares, &service_name)
                else {
                    continue;
                };
                let n = route.services.len();
                for (j, service) in route.services.iter().enumerate() {
                    let spath = path_with(&path, &["services"], Some(j));
                    let lb = match self.tcp_load_balancer(obj, &spath, service) {
                        Ok(lb) => lb,
                        Err(e) => {
                            let what = format!("{}:{}", service.name, service.port);
                            self.l4_service_refused(obj, &spath, &service_name, e, &what);
                            continue;
                        }
                    };
                    if n == 1 {
                        self.produced(ObjectKind::TcpService, &service_name, obj, &spath);
                        self.tcp.services.insert(service_name.clone(), lb);
                        break;
                    }
                    let key = format!("{service_name}-{}-{}", service.name, service.port);
                    self.produced(ObjectKind::TcpService, &key, obj, &spath);
                    self.tcp.services.insert(key.clone(), lb);
                    let entry = self
                        .tcp
                        .services
                        .entry(service_name.clone())
                        .or_insert_with(|| TcpService {
                            weighted: Some(TcpWeightedRoundRobin::default()),
                            ..TcpService::default()
                        });
                    if entry.weighted.is_none() {
                        entry.weighted = Some(TcpWeightedRoundRobin::default());
                    }
                    if let Some(w) = entry.weighted.as_mut() {
                        w.services.push(TcpWrrService {
                            name: key,
                            weight: Some(service.weight.unwrap_or(1)),
                        });
                    }
                    self.produced(
                        ObjectKind::TcpService,
                        &service_name,
                        obj,
                        &path_with(&path, &["services"], None),
                    );
                }
                let mut router = TcpRouter {
                    entry_points: spec.entry_points.clone(),
                    middlewares: mds,
                    rule: route.rule.clone(),
                    priority: route.priority,
                    rule_syntax: route.syntax.clone(),
                    service: service_name.clone(),
                    ..TcpRouter::default()
                };
                if !route.syntax.is_empty() {
                    self.report(Severity::Warning, "crd-deprecated", obj, &path_with(&path, &["syntax"], None), Some(&service_name),
                        "routes[].syntax is deprecated (rule syntax v2 will be removed); write the rule in v3 syntax".to_string());
                }
                if let Some(tls) = &spec.tls {
                    let mut rtls = RouterTcpTlsConfig {
                        passthrough: tls.passthrough,
                        cert_resolver: tls.cert_resolver.clone(),
                        domains: tls.domains.clone(),
                        ..RouterTcpTlsConfig::default()
                    };
                    if let Some(opt) = tls.options.as_ref().filter(|o| !o.name.is_empty()) {
                        let at = vec![
                            Seg::Key("spec".into()),
                            Seg::Key("tls".into()),
                            Seg::Key("options".into()),
                        ];
                        match resolve_reference(
                            &obj.namespace,
                            &opt.namespace,
                            &opt.name,
                            self.opts,
                        ) {
                            Ok(r) => {
                                if let Some(ns) = &r.ignored_namespace {
                                    self.ignored_namespace(obj, &at, ns);
                                }
                                rtls.options = r.name;
                            }
                            Err(e) => {
                                self.refused(
                                    obj,
                                    &at,
                                    Some(&service_name),
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
                self.produced(
                    ObjectKind::TcpRouter,
                    &service_name,
                    obj,
                    &path_with(&path, &["match"], None),
                );
                self.tcp.routers.insert(service_name, router);
            }
        }
    }

    /// `createLoadBalancerServerTCP`.
    fn tcp_load_balancer(
        &mut self,
        obj: &Object,
        path: &[Seg],
        service: &ServiceTcp,
    ) -> Result<TcpService, RefError> {
        let parent = obj.namespace.as_str();
        let ns = if service.namespace.is_empty() {
            parent
        } else {
            service.namespace.as_str()
        };
        if !is_namespace_allowed(self.opts.allow_cross_namespace, parent, ns) {
            return Err(RefError::cross_namespace(format!(
                "tcp service {ns}/{} is not in the parent resource namespace {parent}",
                service.name
            )));
        }
        let servers = self
            .tcp_servers(obj, path, ns, service)
            .map_err(RefError::other)?;
        let mut lb = TcpServersLoadBalancer {
            servers,
            ..TcpServersLoadBalancer::default()
        };
        if let Some(pp) = &service.proxy_protocol {
            lb.proxy_protocol = Some(ProxyProtocol {
                version: if pp.version != 0 { pp.version } else { 2 },
            });
        }
        if service.servers_transport.is_empty() && service.termination_delay.is_some() {
            lb.termination_delay = service.termination_delay;
        }
        if !service.servers_transport.is_empty() {
            lb.servers_transport =
                servers_transport_key(parent, &service.servers_transport, self.opts)?;
        }
        Ok(TcpService {
            load_balancer: Some(lb),
            ..TcpService::default()
        })
    }

    /// `loadTCPServers`.
    fn tcp_servers(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        svc: &ServiceTcp,
    ) -> Result<Vec<TcpServer>, String> {
        let addresses = self.l4_server_addresses(obj, path, ns, &L4Backend::of_tcp(svc))?;
        Ok(addresses
            .into_iter()
            .map(|address| TcpServer {
                address,
                tls: svc.tls,
                ..TcpServer::default()
            })
            .collect())
    }

    /// A TCP or UDP route's service Traefik leaves out (the router keeps pointing at it).
    pub(super) fn l4_service_refused(
        &mut self,
        obj: &Object,
        path: &[Seg],
        router: &str,
        e: RefError,
        service: &str,
    ) {
        let code = if e.message == "service not found" {
            "k8s-service-not-found"
        } else {
            "crd-service-skipped"
        };
        self.refused(
            obj,
            path,
            Some(router),
            &e.wrap(format!("Cannot create service {service}")),
            code,
            "Traefik leaves this service out; the router keeps pointing at it",
        );
    }

    /// `loadTCPServers` / `loadUDPServers` minus the server type: the addresses Traefik
    /// would balance over for a Kubernetes Service referenced by a TCP or UDP route.
    pub(super) fn l4_server_addresses(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        svc: &L4Backend<'_>,
    ) -> Result<Vec<String>, String> {
        if !self.opts.watches(ns) {
            return Err(format!(
                "failed to get service {ns}/{}: namespace is not within watched namespaces",
                svc.name
            ));
        }
        let Some(service) = self.cluster.service(ns, svc.name) else {
            return Err("service not found".to_string());
        };
        let external = service.spec.type_ == "ExternalName";
        if external && !self.opts.allow_external_name_services {
            return Err(format!(
                "externalName services not allowed: {ns}/{}",
                svc.name
            ));
        }
        let (port, warning) = service_port(service, svc.port)?;
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
        let server = |address: String| address;
        let mut servers = Vec::new();
        if service.spec.type_ == "NodePort" && svc.node_port_lb {
            if self.opts.disable_cluster_scope_resources {
                return Err("nodes lookup is disabled".to_string());
            }
            if self.cluster.nodes.is_empty() {
                if self.opts.assume_endpoints {
                    self.assumed_endpoints(obj, path, ns, svc.name, "Node");
                    return Ok(servers);
                }
                return Err(format!(
                    "nodes not found for NodePort service {}/{}",
                    svc.namespace, svc.name
                ));
            }
            for node in &self.cluster.nodes {
                for addr in node.iter().filter(|a| a.type_ == "InternalIP") {
                    servers.push(server(join_host_port(&addr.address, port.node_port)));
                }
            }
            if servers.is_empty() {
                return Err(format!(
                    "no servers were generated for service {}/{}",
                    svc.namespace, svc.name
                ));
            }
            return Ok(servers);
        }
        if external {
            servers.push(server(join_host_port(
                &service.spec.external_name,
                port.port,
            )));
        } else {
            if svc.native_lb.unwrap_or(self.opts.native_lb_by_default) {
                let address = native_address(service, &port)
                    .map_err(|e| format!("getting native Kubernetes Service address: {e}"))?;
                return Ok(vec![server(address)]);
            }
            match self.cluster.slices(ns, svc.name) {
                None if self.opts.assume_endpoints => {
                    self.assumed_endpoints(obj, path, ns, svc.name, "EndpointSlice");
                    return Ok(servers);
                }
                None => {}
                Some(slices) => {
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
                        for ep in &slice.endpoints {
                            if ep.conditions.ready != Some(true) {
                                continue;
                            }
                            for address in &ep.addresses {
                                if seen.insert(address.clone()) {
                                    servers.push(server(join_host_port(address, p)));
                                }
                            }
                        }
                    }
                }
            }
        }
        if servers.is_empty() && !self.opts.allow_empty_services {
            return Err(format!("no servers found for {ns}/{}", svc.name));
        }
        Ok(servers)
    }
}

/// The fields of a TCP or UDP route's service reference that server lookup needs.
pub(super) struct L4Backend<'a> {
    /// Service name.
    pub name: &'a str,
    /// Namespace as written on the reference.
    pub namespace: &'a str,
    /// Port (number or name).
    pub port: &'a IntOrString,
    /// `nativeLB`.
    pub native_lb: Option<bool>,
    /// `nodePortLB`.
    pub node_port_lb: bool,
}

impl<'a> L4Backend<'a> {
    fn of_tcp(svc: &'a ServiceTcp) -> Self {
        Self {
            name: &svc.name,
            namespace: &svc.namespace,
            port: &svc.port,
            native_lb: svc.native_lb,
            node_port_lb: svc.node_port_lb,
        }
    }

    pub(super) fn of_udp(svc: &'a super::spec::ServiceUdp) -> Self {
        Self {
            name: &svc.name,
            namespace: &svc.namespace,
            port: &svc.port,
            native_lb: svc.native_lb,
            node_port_lb: svc.node_port_lb,
        }
    }
}
