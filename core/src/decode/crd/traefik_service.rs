//! TraefikService → weighted, mirroring, highest-random-weight and failover
//! services (`buildTraefikService` and friends in `kubernetes_http.go`).

use super::Ctx;
use super::http::{path_with, spec_path};
use super::manifest::{Object, Seg};
use super::naming::{RefError, make_id, normalize};
use super::spec::TraefikServiceSpec;
use crate::model::{
    Failover, FailoverError, HighestRandomWeight, HrwService, MirrorService, Mirroring, Service,
};
use crate::objects::ObjectKind;

impl Ctx<'_> {
    pub(crate) fn load_traefik_services(&mut self, services: &[(&Object, TraefikServiceSpec)]) {
        for (obj, spec) in services {
            let id = normalize(&make_id(&obj.namespace, &obj.name));
            if let Err(e) = self.build_traefik_service(obj, spec, &id) {
                self.refused(
                    obj,
                    &[Seg::Key("spec".into())],
                    Some(&id),
                    &e,
                    "crd-object-dropped",
                    "Traefik drops this TraefikService (\"Error while building TraefikService\")",
                );
            }
        }
    }

    fn build_traefik_service(
        &mut self,
        obj: &Object,
        spec: &TraefikServiceSpec,
        id: &str,
    ) -> Result<(), RefError> {
        let ns = obj.namespace.clone();
        if let Some(w) = &spec.weighted {
            return self.build_services_lb(
                obj,
                &spec_path(&["weighted", "services"]),
                &ns,
                &w.services,
                &w.sticky,
                id,
            );
        }
        if let Some(m) = &spec.mirroring {
            let (main, k8s) =
                self.name_and_service(obj, &spec_path(&["mirroring"]), &ns, &m.service)?;
            if let Some(k8s) = k8s {
                self.produced(
                    ObjectKind::HttpService,
                    &main,
                    obj,
                    &spec_path(&["mirroring"]),
                );
                self.http.services.insert(main.clone(), k8s);
            }
            let mut mirrors = Vec::new();
            for (i, mirror) in m.mirrors.iter().enumerate() {
                let p = path_with(&spec_path(&["mirroring", "mirrors"]), &[], Some(i));
                let (name, k8s) = self.name_and_service(obj, &p, &ns, &mirror.service)?;
                if let Some(k8s) = k8s {
                    self.produced(ObjectKind::HttpService, &name, obj, &p);
                    self.http.services.insert(name.clone(), k8s);
                }
                mirrors.push(MirrorService {
                    name,
                    percent: mirror.percent,
                });
            }
            self.produced(ObjectKind::HttpService, id, obj, &spec_path(&["mirroring"]));
            self.http.services.insert(
                id.to_string(),
                Service {
                    mirroring: Some(Mirroring {
                        service: main,
                        mirrors,
                        mirror_body: m.mirror_body,
                        max_body_size: m.max_body_size,
                        ..Mirroring::default()
                    }),
                    ..Service::default()
                },
            );
            return Ok(());
        }
        if let Some(h) = &spec.highest_random_weight {
            let mut out = Vec::new();
            for (i, s) in h.services.iter().enumerate() {
                let p = path_with(
                    &spec_path(&["highestRandomWeight", "services"]),
                    &[],
                    Some(i),
                );
                let (name, k8s) = self.name_and_service(obj, &p, &ns, s)?;
                if let Some(k8s) = k8s {
                    self.produced(ObjectKind::HttpService, &name, obj, &p);
                    self.http.services.insert(name.clone(), k8s);
                }
                out.push(HrwService {
                    name,
                    weight: Some(s.weight.unwrap_or(1)),
                });
            }
            self.produced(
                ObjectKind::HttpService,
                id,
                obj,
                &spec_path(&["highestRandomWeight"]),
            );
            self.http.services.insert(
                id.to_string(),
                Service {
                    highest_random_weight: Some(HighestRandomWeight {
                        services: out,
                        ..HighestRandomWeight::default()
                    }),
                    ..Service::default()
                },
            );
            return Ok(());
        }
        if let Some(f) = &spec.failover {
            let (main, main_svc) = self
                .name_and_service(obj, &spec_path(&["failover", "service"]), &ns, &f.service)
                .map_err(|e| e.wrap("getting service"))?;
            let (fallback, fallback_svc) = self
                .name_and_service(obj, &spec_path(&["failover", "fallback"]), &ns, &f.fallback)
                .map_err(|e| e.wrap("getting fallback service"))?;
            self.produced(ObjectKind::HttpService, id, obj, &spec_path(&["failover"]));
            self.http.services.insert(
                id.to_string(),
                Service {
                    failover: Some(Failover {
                        service: main.clone(),
                        fallback: fallback.clone(),
                        errors: Some(FailoverError {
                            status: f.errors.status.clone(),
                            max_request_body_bytes: f.errors.max_request_body_bytes,
                        }),
                        ..Failover::default()
                    }),
                    ..Service::default()
                },
            );
            if let Some(s) = main_svc {
                self.produced(
                    ObjectKind::HttpService,
                    &main,
                    obj,
                    &spec_path(&["failover", "service"]),
                );
                self.http.services.insert(main, s);
            }
            if let Some(s) = fallback_svc {
                self.produced(
                    ObjectKind::HttpService,
                    &fallback,
                    obj,
                    &spec_path(&["failover", "fallback"]),
                );
                self.http.services.insert(fallback, s);
            }
            return Ok(());
        }
        Err(RefError::other("unspecified service type"))
    }
}
