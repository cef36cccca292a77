//! HTTP routers: the router tree (`ParseRouterTree`), entry points
//! (`GetRoutersByEntryPoints`), handler building and rule checks
//! (`pkg/server/router/router.go`), and the TLS checks the TCP router manager
//! makes on HTTPS routers.

use super::http_build::HttpBuild;
use super::merge::{EntryPoints, HttpRouterRt, Merged};
use super::rules_bridge;
use super::runtime::{provider_of, q, qualify};
use super::tls;
use std::collections::{BTreeMap, HashMap, HashSet};

type Routers = BTreeMap<String, HttpRouterRt>;

/// Run the whole HTTP part of `CreateRouters` on the merged configuration.
pub(crate) fn build(m: &mut Merged, eps: &EntryPoints, default_syntax: &str, api: bool) {
    parse_router_tree(&mut m.http_routers);
    let mut b = HttpBuild::new(
        &mut m.http_services,
        &mut m.http_middlewares,
        &m.http_transports,
        api,
    );
    b.plugins = eps.plugins.clone();
    let mut mgr = Manager {
        routers: &mut m.http_routers,
        tls_options: &m.tls_options,
        default_syntax,
        built: HashSet::new(),
    };
    for tls in [false, true] {
        let by_ep = routers_by_entry_points(mgr.routers, eps, tls);
        for names in by_ep.values() {
            for name in names {
                mgr.entry_point_route(&mut b, name);
            }
        }
    }
    // The TCP router manager asks again for the HTTPS routers and checks their TLS.
    let by_ep = routers_by_entry_points(&mut m.http_routers, eps, true);
    for names in by_ep.values() {
        for name in names {
            https_checks(&mut m.http_routers, name);
        }
    }
    populate_used_by(m);
}

/// `ParseRouterTree`: child refs, reachability, dead ends, cycles.
fn parse_router_tree(routers: &mut Routers) {
    let names: Vec<String> = routers.keys().cloned().collect();
    let mut roots = Vec::new();
    for name in &names {
        let parents = routers[name].0.cfg.parent_refs.clone();
        if parents.is_empty() {
            roots.push(name.clone());
            continue;
        }
        for parent in &parents {
            if let Some(p) = routers.get_mut(parent) {
                if !p.1.child_refs.contains(name) {
                    p.1.child_refs.push(name.clone());
                }
            } else if let Some(r) = routers.get_mut(name) {
                r.0.state
                    .add_error(format!("parent router {} does not exist", q(parent)), true);
            }
        }
        let Some(r) = routers.get_mut(name) else {
            continue;
        };
        if r.0.cfg.tls.is_some() {
            r.0.state
                .add_error("non-root router cannot have TLS configuration", true);
        } else if r.0.cfg.observability.is_some() {
            r.0.state.add_error(
                "non-root router cannot have Observability configuration",
                true,
            );
        } else if !r.0.cfg.entry_points.is_empty() {
            r.0.state.add_error(
                "non-root router cannot have Entrypoints configuration",
                true,
            );
        }
    }
    let mut visited = HashSet::new();
    let mut current = HashSet::new();
    for root in &roots {
        if !visited.contains(root) {
            traverse(routers, root, &mut visited, &mut current, &[]);
        }
    }
    for name in &names {
        let Some(r) = routers.get_mut(name) else {
            continue;
        };
        if !visited.contains(name) {
            r.0.state.add_error("router is not reachable", true);
        } else if r.0.cfg.service.is_empty() && r.1.child_refs.is_empty() {
            r.0.state
                .add_error("router has no service and no child routers", true);
        } else if !r.0.cfg.service.is_empty() && !r.1.child_refs.is_empty() {
            r.0.state.add_error(
                "router has both a service and is referenced as a parent by other routers",
                true,
            );
        }
    }
}

fn traverse(
    routers: &mut Routers,
    name: &str,
    visited: &mut HashSet<String>,
    current: &mut HashSet<String>,
    path: &[String],
) {
    if current.contains(name) {
        if let Some(start) = path.iter().position(|p| p == name)
            && let Some(guilty) = path.last()
        {
            let mut cycle: Vec<String> = path[start..].to_vec();
            cycle.push(name.to_string());
            if let Some(g) = routers.get_mut(guilty) {
                g.0.state.add_error(
                    format!(
                        "cyclic reference detected in router tree: {}",
                        cycle.join(" -> ")
                    ),
                    false,
                );
                if let Some(i) = g.1.child_refs.iter().position(|c| c == name) {
                    g.1.child_refs.remove(i);
                }
            }
        }
        return;
    }
    if visited.contains(name) {
        return;
    }
    visited.insert(name.to_string());
    let Some(r) = routers.get(name) else { return };
    let mut children = r.1.child_refs.clone();
    children.sort();
    current.insert(name.to_string());
    let mut path = path.to_vec();
    path.push(name.to_string());
    for child in children {
        traverse(routers, &child, visited, current, &path);
    }
    current.remove(name);
}

/// `GetRoutersByEntryPoints`: entry-point errors, routers grouped by entry point.
/// Without a static configuration every router is kept on a pseudo entry point.
fn routers_by_entry_points(
    routers: &mut Routers,
    eps: &EntryPoints,
    tls: bool,
) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (r, _)) in routers.iter_mut() {
        if r.cfg.tls.is_some() != tls {
            continue;
        }
        if !eps.known {
            if r.cfg.parent_refs.is_empty() {
                out.entry(String::new()).or_default().push(name.clone());
            }
            continue;
        }
        let mut count = 0;
        let router_eps = r.cfg.entry_points.clone();
        for (i, ep) in router_eps.iter().enumerate() {
            if !eps.tcp.contains(ep) {
                r.state
                    .add_error(format!("entryPoint {} doesn't exist", q(ep)), false);
                continue;
            }
            count += 1;
            // Each router is visited once: a duplicate can only be the same entry point
            // listed twice on this router (searching `out`'s list would be quadratic).
            if !router_eps[..i].contains(ep) {
                out.entry(ep.clone()).or_default().push(name.clone());
            }
        }
        if count == 0 && r.cfg.parent_refs.is_empty() {
            r.state
                .add_error("no valid entryPoint for this router", true);
        }
    }
    out
}

struct Manager<'a> {
    routers: &'a mut Routers,
    tls_options: &'a tls::TlsOptionsMapRef,
    default_syntax: &'a str,
    /// Routers whose handler was built (`routerHandlers`).
    built: HashSet<String>,
}

impl Manager<'_> {
    fn syntax(&self, name: &str) -> String {
        let s = &self.routers[name].0.cfg.rule_syntax;
        if s.is_empty() {
            self.default_syntax.to_string()
        } else {
            s.clone()
        }
    }

    fn set_priority(&mut self, name: &str) -> i64 {
        let Some(r) = self.routers.get_mut(name) else {
            return 0;
        };
        if r.1.priority == 0 {
            r.1.priority = if r.0.cfg.priority != 0 {
                r.0.cfg.priority
            } else {
                rules_bridge::http_priority(&r.0.cfg.rule)
            };
        }
        r.1.priority
    }

    fn add_error(&mut self, name: &str, err: String, critical: bool) {
        if let Some(r) = self.routers.get_mut(name) {
            r.0.state.add_error(err, critical);
        }
    }

    /// One router on one entry point of `buildEntryPointHandler`.
    fn entry_point_route(&mut self, b: &mut HttpBuild, name: &str) {
        let priority = self.set_priority(name);
        if priority > rules_bridge::MAX_USER_PRIORITY && !name.ends_with("@internal") {
            let err = format!(
                "the router priority {priority} exceeds the max user-defined priority {}",
                rules_bridge::MAX_USER_PRIORITY
            );
            self.add_error(name, err, true);
            return;
        }
        if !self.routers[name].0.cfg.parent_refs.is_empty() {
            return;
        }
        if let Err(e) = self.build_router_handler(b, name) {
            self.add_error(name, e, true);
            return;
        }
        let rule = self.routers[name].0.cfg.rule.clone();
        if let Some(e) = rules_bridge::http_rule_error(&rule, &self.syntax(name)) {
            self.add_error(name, e, true);
        }
    }

    fn build_router_handler(&mut self, b: &mut HttpBuild, name: &str) -> Result<(), String> {
        if self.built.contains(name) {
            return Ok(());
        }
        let ctx = provider_of(name).map(str::to_string);
        let ctx = ctx.as_deref();
        let (cfg, children) = {
            let r = &self.routers[name];
            (r.0.cfg.clone(), r.1.child_refs.clone())
        };
        if let Some(t) = &cfg.tls {
            let opt = if t.options.is_empty() || t.options == "default" {
                "default".to_string()
            } else {
                qualify(ctx, &t.options)
            };
            tls::get(self.tls_options, &opt)
                .map_err(|e| format!("building router handler: {e}"))?;
        }
        if let Some(r) = self.routers.get_mut(name) {
            r.0.cfg.middlewares = cfg.middlewares.iter().map(|m| qualify(ctx, m)).collect();
        }
        if !children.is_empty() {
            self.build_children(b, &children)
                .map_err(|e| format!("building child routers muxer: {e}"))?;
        } else if !cfg.service.is_empty() {
            b.build_service(ctx, &cfg.service, &[])?;
        } else {
            return Err("router must have either a service or child routers".into());
        }
        b.build_chain(ctx, &cfg.middlewares, &[])?;
        self.built.insert(name.to_string());
        Ok(())
    }

    fn build_children(&mut self, b: &mut HttpBuild, children: &[String]) -> Result<(), String> {
        let mut count = 0;
        for child in children {
            let Some(c) = self.routers.get(child) else {
                return Err(format!("child router {} does not exist", q(child)));
            };
            if !c.0.state.errors.is_empty() {
                continue;
            }
            self.set_priority(child);
            if let Err(e) = self.build_router_handler(b, child) {
                self.add_error(child, e, true);
                continue;
            }
            let rule = self.routers[child].0.cfg.rule.clone();
            if let Some(e) = rules_bridge::http_rule_error(&rule, &self.syntax(child)) {
                self.add_error(child, e, true);
                continue;
            }
            count += 1;
        }
        if count == 0 {
            return Err(format!(
                "no child routers could be added to muxer ({} skipped)",
                children.len()
            ));
        }
        Ok(())
    }
}

/// The TCP router manager's checks on an HTTPS router (per entry point).
fn https_checks(routers: &mut Routers, name: &str) {
    let Some((r, x)) = routers.get_mut(name) else {
        return;
    };
    let Some(t) = &r.cfg.tls else { return };
    let opt = if t.options.is_empty() || t.options == "default" {
        "default".to_string()
    } else {
        qualify(provider_of(name), &t.options)
    };
    let domains = match rules_bridge::http_domains(&r.cfg.rule) {
        Ok(d) => d,
        Err(e) => {
            let err = format!("invalid rule {}, error: {e}", r.cfg.rule);
            r.state.add_error(err, true);
            return;
        }
    };
    if domains.is_empty() && opt != "default" {
        let err = format!(
            "no domain found in rule {}, the TLS option {opt} cannot be applied",
            r.cfg.rule
        );
        r.state.add_error(err, false);
    }
    if !domains.is_empty() && x.resolved_tls != opt {
        r.state.add_error(
            "router's TLSOptions configuration is conflicting with other routers on the same entrypoint and host, default TLS options will be used instead",
            false,
        );
    }
}

/// `PopulateUsedBy` for HTTP services and middlewares.
fn populate_used_by(m: &mut Merged) {
    let mut svc: HashMap<String, Vec<String>> = HashMap::new();
    let mut mws: HashMap<String, Vec<String>> = HashMap::new();
    for (name, (r, _)) in &m.http_routers {
        let p = provider_of(name);
        for mw in &r.cfg.middlewares {
            mws.entry(qualify(p, mw)).or_default().push(name.clone());
        }
        svc.entry(qualify(p, &r.cfg.service))
            .or_default()
            .push(name.clone());
    }
    for (name, s) in m.http_services.iter_mut() {
        if let Some(u) = svc.remove(name) {
            s.used_by = u;
            s.used_by.sort();
        }
    }
    for (name, s) in m.http_middlewares.iter_mut() {
        if let Some(u) = mws.remove(name) {
            s.used_by = u;
            s.used_by.sort();
        }
    }
}
