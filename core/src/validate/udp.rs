//! UDP routers and services (`pkg/server/router/udp`, `pkg/server/service/udp`).

use super::merge::{EntryPoints, Merged};
use super::runtime::{Rt, provider_of, q, qualify};
use crate::model::UdpService;
use std::collections::{BTreeMap, HashMap};

const MULTI_SERVICE: &str = "cannot create service: multi-types service not supported, consider declaring two different pieces of service instead";

/// Text used when a UDP service refers to itself (Traefik would overflow its stack).
pub(crate) const UDP_RECURSION: &str = "recursion detected in UDP weighted services";

fn build_service(
    services: &mut BTreeMap<String, Rt<UdpService>>,
    ctx: Option<&str>,
    raw: &str,
    stack: &[String],
) -> Result<(), String> {
    let name = qualify(ctx, raw);
    let Some(svc) = services.get(&name) else {
        return Err(format!("the UDP service {} does not exist", q(&name)));
    };
    let cfg = svc.cfg.clone();
    if cfg.load_balancer.is_some() && cfg.weighted.is_some() {
        if let Some(s) = services.get_mut(&name) {
            s.state.add_error(MULTI_SERVICE, true);
        }
        return Err(MULTI_SERVICE.into());
    }
    if cfg.load_balancer.is_some() {
        return Ok(());
    }
    if let Some(w) = &cfg.weighted {
        if stack.contains(&name) {
            return Err(UDP_RECURSION.into());
        }
        let mut stack = stack.to_vec();
        stack.push(name.clone());
        for child in &w.services {
            // Seen on Traefik 3.7.15: the child's error is also recorded on the parent.
            if let Err(e) = build_service(services, provider_of(&name), &child.name, &stack) {
                if let Some(s) = services.get_mut(&name) {
                    s.state.add_error(e.clone(), true);
                }
                return Err(e);
            }
        }
        return Ok(());
    }
    let err = format!(
        "the UDP service {} does not have any type defined",
        q(&name)
    );
    if let Some(s) = services.get_mut(&name) {
        s.state.add_error(err.clone(), true);
    }
    Err(err)
}

/// Run the UDP part of `CreateRouters`. Returns, per entry point, the routers
/// on it in Traefik's order (the first one that builds is the one used).
pub(crate) fn build(m: &mut Merged, eps: &EntryPoints) -> BTreeMap<String, Vec<String>> {
    let mut by_ep: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (r, _)) in m.udp_routers.iter_mut() {
        if !eps.known {
            by_ep.entry(String::new()).or_default().push(name.clone());
            continue;
        }
        let list = if r.cfg.entry_points.is_empty() {
            eps.udp.clone()
        } else {
            r.cfg.entry_points.clone()
        };
        let mut count = 0;
        for ep in list {
            if !eps.udp.contains(&ep) {
                r.state
                    .add_error(format!("entryPoint {} doesn't exist", q(&ep)), false);
                continue;
            }
            count += 1;
            let l = by_ep.entry(ep).or_default();
            if !l.contains(name) {
                l.push(name.clone());
            }
        }
        if count == 0 {
            r.state
                .add_error("no valid entryPoint for this router", true);
        }
    }
    for names in by_ep.values_mut() {
        names.sort_by(|a, b| b.cmp(a));
        for name in names.iter() {
            let Some((r, _)) = m.udp_routers.get_mut(name) else {
                continue;
            };
            if r.cfg.service.is_empty() {
                r.state
                    .add_error("the service is missing on the udp router", true);
                continue;
            }
            let svc = r.cfg.service.clone();
            if let Err(e) = build_service(&mut m.udp_services, provider_of(name), &svc, &[]) {
                r.state.add_error(e, true);
            }
        }
    }
    let mut used: HashMap<String, Vec<String>> = HashMap::new();
    for (name, (r, _)) in &m.udp_routers {
        used.entry(qualify(provider_of(name), &r.cfg.service))
            .or_default()
            .push(name.clone());
    }
    for (name, s) in m.udp_services.iter_mut() {
        if let Some(mut u) = used.remove(name) {
            u.sort();
            s.used_by = u;
        }
    }
    by_ep
}
