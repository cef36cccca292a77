//! IngressRouteUDP → UDP routers and services (`kubernetes_udp.go`).

use super::Ctx;
use super::http::path_with;
use super::manifest::{Object, Seg};
use super::naming::{RefError, is_namespace_allowed, make_id};
use super::spec::{IngressRouteUdpSpec, ServiceUdp};
use super::tcp::L4Backend;
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
                            let what = format!("{}:{}", service.name, service.port);
                            self.l4_service_refused(obj, &spath, &service_name, e, &what);
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
        let addresses = self.l4_server_addresses(obj, path, ns, &L4Backend::of_udp(svc))?;
        Ok(addresses
            .into_iter()
            .map(|address| UdpServer { address })
            .collect())
    }
}
