//! IngressRouteUDP → UDP routers and services (`kubernetes_udp.go`).

use super::Ctx;
use super::backend::{join_host_port, native_address, service_port};
use super::http::path_with;
use super::manifest::{Object, Seg};
use super::naming::{RefError, is_namespace_allowed, make_id};
use super::spec::{IngressRouteUdpSpec, ServiceUdp};
use crate::finding::Severity;
use crate::model::{
    UdpRouter, UdpServer, UdpServersLoadBalancer, UdpService, UdpWeightedRoundRobin, UdpWrrService,
};
use crate::objects::ObjectKind;

impl Ctx<'_> {
    pub(crate) fn load_ingress_routes_udp(&mut self, routes: &[(&Object, IngressRouteUdpSpec)]) {
        for (obj, spec) in routes {
            if !self.should_process(obj, &spec.ingress_class_name) {
                continue;
            }
            for (i, route) in spec.routes.iter().enumerate() {
                let path = vec![
                    Seg::Key("spec".into()),
                    Seg::Key("routes".into()),
                    Seg::Index(i),
                ];
                let service_name = make_id(&obj.namespace, &format!("{}-{i}", obj.name));
                let n = route.services.len();
                for (j, service) in route.services.iter().enumerate() {
                    let spath = path_with(&path, &["services"], Some(j));
                    let lb = match self.udp_load_balancer(obj, &spath, service) {
                        Ok(lb) => lb,
                        Err(e) => {
                            let code = if e.message == "service not found" {
                                "k8s-service-not-found"
                            } else {
                                "crd-service-skipped"
                            };
                            self.refused(
                                obj,
                                &spath,
                                Some(&service_name),
                                &e.wrap(format!(
                                    "Cannot create service {}:{}",
                                    service.name, service.port
                                )),
                                code,
                                "Traefik leaves this service out; the router keeps pointing at it",
                            );
                            continue;
                        }
                    };
                    if n == 1 {
                        self.produced(ObjectKind::UdpService, &service_name, obj, &spath);
                        self.udp.services.insert(service_name.clone(), lb);
                        break;
                    }
                    let key = format!("{service_name}-{}-{}", service.name, service.port);
                    self.produced(ObjectKind::UdpService, &key, obj, &spath);
                    self.udp.services.insert(key.clone(), lb);
                    let entry = self
                        .udp
                        .services
                        .entry(service_name.clone())
                        .or_insert_with(|| UdpService {
                            weighted: Some(UdpWeightedRoundRobin::default()),
                            ..UdpService::default()
                        });
                    if entry.weighted.is_none() {
                        entry.weighted = Some(UdpWeightedRoundRobin::default());
                    }
                    if let Some(w) = entry.weighted.as_mut() {
                        w.services.push(UdpWrrService {
                            name: key,
                            weight: Some(service.weight.unwrap_or(1)),
                        });
                    }
                    self.produced(
                        ObjectKind::UdpService,
                        &service_name,
                        obj,
                        &path_with(&path, &["services"], None),
                    );
                }
                self.produced(ObjectKind::UdpRouter, &service_name, obj, &path);
                self.udp.routers.insert(
                    service_name.clone(),
                    UdpRouter {
                        entry_points: spec.entry_points.clone(),
                        service: service_name,
                    },
                );
            }
        }
    }

    /// `createLoadBalancerServerUDP`.
    fn udp_load_balancer(
        &mut self,
        obj: &Object,
        path: &[Seg],
        service: &ServiceUdp,
    ) -> Result<UdpService, RefError> {
        let parent = obj.namespace.as_str();
        let mut ns = parent;
        if !service.namespace.is_empty() {
            if !is_namespace_allowed(self.opts.allow_cross_namespace, parent, &service.namespace) {
                return Err(RefError::cross_namespace(format!(
                    "udp service {}/{} is not in the parent resource namespace {parent}",
                    service.namespace, service.name
                )));
            }
            ns = service.namespace.as_str();
        }
        let servers = self
            .udp_servers(obj, path, ns, service)
            .map_err(RefError::other)?;
        Ok(UdpService {
            load_balancer: Some(UdpServersLoadBalancer { servers }),
            ..UdpService::default()
        })
    }

    /// `loadUDPServers`.
    fn udp_servers(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        svc: &ServiceUdp,
    ) -> Result<Vec<UdpServer>, String> {
        if !self.opts.watches(ns) {
            return Err(format!(
                "failed to get service {ns}/{}: namespace is not within watched namespaces",
                svc.name
            ));
        }
        let Some(service) = self.cluster.service(ns, &svc.name) else {
            return Err("service not found".to_string());
        };
        let external = service.spec.type_ == "ExternalName";
        if external && !self.opts.allow_external_name_services {
            return Err(format!(
                "externalName services not allowed: {ns}/{}",
                svc.name
            ));
        }
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
        let server = |address: String| UdpServer { address };
        let mut servers = Vec::new();
        if service.spec.type_ == "NodePort" && svc.node_port_lb {
            if self.opts.disable_cluster_scope_resources {
                return Err("nodes lookup is disabled".to_string());
            }
            if self.cluster.nodes.is_empty() {
                if self.opts.assume_endpoints {
                    self.assumed_endpoints(obj, path, ns, &svc.name, "Node");
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
            match self.cluster.slices(ns, &svc.name) {
                None if self.opts.assume_endpoints => {
                    self.assumed_endpoints(obj, path, ns, &svc.name, "EndpointSlice");
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
