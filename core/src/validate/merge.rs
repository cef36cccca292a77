//! `mergeConfiguration`: every accepted provider's objects keyed `name@provider`,
//! default entry points applied, TLS options and stores merged.

use super::runtime::{ObjState, RouterExtra, Rt};
use crate::model::{
    Middleware, Router, RouterTlsConfig, Service, TcpMiddleware, TcpRouter, TcpService, TlsOptions,
    UdpRouter, UdpService,
};
use crate::objects::ObjectKind;
use crate::provider::ProviderConfig;
use crate::static_config::StaticConfig;
use std::collections::{BTreeMap, BTreeSet};

/// Entry points as Traefik's router factory sees them.
#[derive(Debug, Clone, Default)]
pub(crate) struct EntryPoints {
    /// Whether a static configuration was given (otherwise every check is skipped).
    pub known: bool,
    /// TCP (and HTTP) entry points.
    pub tcp: Vec<String>,
    /// UDP entry points.
    pub udp: Vec<String>,
    /// Defaults for HTTP and TCP routers without `entryPoints`.
    pub defaults: Vec<String>,
    /// HTTP models (`<ep>@internal`) by entry point name.
    pub models: BTreeMap<String, EpModel>,
    /// `DefaultRuleSyntax` of the models (empty when `core` is not set).
    pub model_rule_syntax: String,
    /// Declared plugin names (`None` without a static configuration: any is accepted).
    pub plugins: Option<Vec<String>>,
}

/// An entry point's HTTP model (`dynamic.Model` from `entryPointModels`).
#[derive(Debug, Clone, Default)]
pub(crate) struct EpModel {
    pub middlewares: Vec<String>,
    pub tls: Option<RouterTlsConfig>,
}

impl EntryPoints {
    /// From the static configuration, with `SetEffectiveConfiguration`'s additions:
    /// `http` (`:80`) when none is defined, `traefik` (`:8080`) when the API is on.
    pub fn from_static(static_cfg: Option<&StaticConfig>) -> Self {
        let Some(s) = static_cfg else {
            return Self::default();
        };
        let mut eps: BTreeMap<String, (bool, bool)> = s
            .entry_points
            .iter()
            .map(|(n, ep)| (n.clone(), (ep.protocol() == "udp", ep.as_default)))
            .collect();
        if eps.is_empty() {
            eps.insert("http".into(), (false, false));
        }
        if s.api && !eps.contains_key("traefik") {
            eps.insert("traefik".into(), (false, false));
        }
        // `entryPointModels` runs over every entry point (including the added ones).
        let set = s.default_rule_syntax_set;
        let models = eps
            .keys()
            .filter_map(|n| match s.entry_points.get(n) {
                Some(ep) if ep.is_model(set) => Some((
                    n.clone(),
                    EpModel {
                        middlewares: ep.http_middlewares.clone(),
                        tls: ep.http_tls.clone(),
                    },
                )),
                None if set => Some((n.clone(), EpModel::default())),
                _ => None,
            })
            .collect();
        let any_default = eps.values().any(|(_, d)| *d);
        Self {
            known: true,
            tcp: eps
                .iter()
                .filter(|(_, (u, _))| !u)
                .map(|(n, _)| n.clone())
                .collect(),
            udp: eps
                .iter()
                .filter(|(_, (u, _))| *u)
                .map(|(n, _)| n.clone())
                .collect(),
            defaults: eps
                .iter()
                .filter(|(n, (u, d))| (!any_default || *d) && !u && n.as_str() != "traefik")
                .map(|(n, _)| n.clone())
                .collect(),
            models,
            plugins: Some(s.plugins.clone()),
            model_rule_syntax: if set {
                s.default_rule_syntax.clone()
            } else {
                String::new()
            },
        }
    }
}

/// `applyModel` on HTTP routers: root routers take the models' default rule
/// syntax; a root router on several entry points gets an `<ep>-<name>` copy per
/// model entry point (with the model's middlewares prepended and its TLS when the
/// router has none) and keeps its name for the other entry points; child routers'
/// parent references follow the copies.
pub(crate) fn apply_model(m: &mut Merged, eps: &EntryPoints) {
    if eps.models.is_empty() {
        return;
    }
    let mut rts: BTreeMap<String, HttpRouterRt> = BTreeMap::new();
    let mut copies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (r, x)) in std::mem::take(&mut m.http_routers) {
        if !r.cfg.parent_refs.is_empty() {
            rts.insert(name, (r, x));
            continue;
        }
        let mut router = r;
        if router.cfg.rule_syntax.is_empty() {
            router.cfg.rule_syntax = eps.model_rule_syntax.clone();
        }
        let list = std::mem::take(&mut router.cfg.entry_points);
        for ep in &list {
            if let Some(model) = eps.models.get(ep) {
                let mut cp = router.clone();
                cp.cfg.entry_points = vec![ep.clone()];
                if cp.cfg.tls.is_none() {
                    cp.cfg.tls = model.tls.clone();
                }
                cp.cfg.middlewares = model
                    .middlewares
                    .iter()
                    .chain(&router.cfg.middlewares)
                    .cloned()
                    .collect();
                let rt_name = if list.len() > 1 {
                    let n = format!("{ep}-{name}");
                    copies.entry(name.clone()).or_default().push(n.clone());
                    n
                } else {
                    name.clone()
                };
                rts.insert(rt_name, (cp, x.clone()));
            } else {
                router.cfg.entry_points.push(ep.clone());
                rts.insert(name.clone(), (router.clone(), x.clone()));
            }
        }
    }
    let names: BTreeSet<String> = rts.keys().cloned().collect();
    for (r, _) in rts.values_mut() {
        if r.cfg.parent_refs.is_empty() {
            continue;
        }
        let mut refs = Vec::new();
        for pr in &r.cfg.parent_refs {
            if names.contains(pr) {
                refs.push(pr.clone());
            }
            if let Some(c) = copies.get(pr) {
                refs.extend(c.iter().cloned());
            }
        }
        r.cfg.parent_refs = refs;
    }
    m.http_routers = rts;
}

pub(crate) type HttpRouterRt = (Rt<Router>, RouterExtra);
pub(crate) type TcpRouterRt = (Rt<TcpRouter>, RouterExtra);

/// TLS options after the merge; `None` is Traefik's built-in default.
pub(crate) type TlsOptionsMap = BTreeMap<String, Option<TlsOptions>>;

/// The merged dynamic configuration with runtime state.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    pub http_routers: BTreeMap<String, HttpRouterRt>,
    pub http_services: BTreeMap<String, Rt<Service>>,
    pub http_middlewares: BTreeMap<String, Rt<Middleware>>,
    pub http_transports: BTreeSet<String>,
    pub tcp_routers: BTreeMap<String, TcpRouterRt>,
    pub tcp_services: BTreeMap<String, Rt<TcpService>>,
    pub tcp_middlewares: BTreeMap<String, Rt<TcpMiddleware>>,
    pub tcp_transports: BTreeSet<String>,
    pub udp_routers: BTreeMap<String, (Rt<UdpRouter>, RouterExtra)>,
    pub udp_services: BTreeMap<String, Rt<UdpService>>,
    pub tls_options: TlsOptionsMap,
    /// Providers defining `tls.options.default`.
    pub default_tls_option_providers: Vec<String>,
    /// Providers defining the `default` TLS store.
    pub default_tls_store_providers: Vec<String>,
}

fn rt<T: Clone>(p: &ProviderConfig, kind: ObjectKind, name: &str, cfg: &T) -> Rt<T> {
    Rt {
        provider: p.name.clone(),
        cfg: cfg.clone(),
        state: ObjState::default(),
        source: p.origins.get(kind, name).cloned(),
        used_by: Vec::new(),
    }
}

fn extra(written: &[String]) -> RouterExtra {
    RouterExtra {
        written_entry_points: written.to_vec(),
        ..RouterExtra::default()
    }
}

/// Merge the accepted providers (rejected ones contribute nothing).
pub(crate) fn merge(providers: &[ProviderConfig], eps: &EntryPoints) -> Merged {
    let mut m = Merged::default();
    for p in providers.iter().filter(|p| !p.is_rejected()) {
        let pvd = p.name.as_str();
        let qn = |n: &str| format!("{n}@{pvd}");
        if let Some(h) = &p.config.http {
            for (name, r) in &h.routers {
                let mut x = rt(p, ObjectKind::HttpRouter, name, r);
                let written = r.entry_points.clone();
                if r.entry_points.is_empty() && r.parent_refs.is_empty() && eps.known {
                    x.cfg.entry_points = eps.defaults.clone();
                }
                x.cfg.parent_refs = r
                    .parent_refs
                    .iter()
                    .map(|pr| if pr.contains('@') { pr.clone() } else { qn(pr) })
                    .collect();
                m.http_routers.insert(qn(name), (x, extra(&written)));
            }
            for (name, s) in &h.services {
                m.http_services
                    .insert(qn(name), rt(p, ObjectKind::HttpService, name, s));
            }
            for (name, mw) in &h.middlewares {
                m.http_middlewares
                    .insert(qn(name), rt(p, ObjectKind::HttpMiddleware, name, mw));
            }
            for name in h.servers_transports.keys() {
                m.http_transports.insert(qn(name));
            }
        }
        if let Some(t) = &p.config.tcp {
            for (name, r) in &t.routers {
                let mut x = rt(p, ObjectKind::TcpRouter, name, r);
                let written = r.entry_points.clone();
                if r.entry_points.is_empty() && eps.known {
                    x.cfg.entry_points = eps.defaults.clone();
                }
                m.tcp_routers.insert(qn(name), (x, extra(&written)));
            }
            for (name, s) in &t.services {
                m.tcp_services
                    .insert(qn(name), rt(p, ObjectKind::TcpService, name, s));
            }
            for (name, mw) in &t.middlewares {
                m.tcp_middlewares
                    .insert(qn(name), rt(p, ObjectKind::TcpMiddleware, name, mw));
            }
            for name in t.servers_transports.keys() {
                m.tcp_transports.insert(qn(name));
            }
        }
        if let Some(u) = &p.config.udp {
            for (name, r) in &u.routers {
                let x = rt(p, ObjectKind::UdpRouter, name, r);
                let written = r.entry_points.clone();
                m.udp_routers.insert(qn(name), (x, extra(&written)));
            }
            for (name, s) in &u.services {
                m.udp_services
                    .insert(qn(name), rt(p, ObjectKind::UdpService, name, s));
            }
        }
        if let Some(tls) = &p.config.tls {
            for name in tls.stores.keys() {
                if name == "default" {
                    m.default_tls_store_providers.push(pvd.to_string());
                }
            }
            for (name, opt) in &tls.options {
                if name == "default" {
                    m.default_tls_option_providers.push(pvd.to_string());
                    m.tls_options.insert("default".into(), Some(opt.clone()));
                } else {
                    m.tls_options.insert(qn(name), Some(opt.clone()));
                }
            }
        }
    }
    match m.default_tls_option_providers.len() {
        0 => {
            m.tls_options.insert("default".into(), None);
        }
        1 => {}
        _ => {
            m.tls_options.remove("default");
        }
    }
    m
}
