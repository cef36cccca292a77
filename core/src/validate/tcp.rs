//! TCP routers, services and middlewares (`pkg/server/router/tcp/manager.go`,
//! `pkg/server/service/tcp`, `pkg/server/middleware/tcp`).

use super::merge::{EntryPoints, Merged};
use super::middleware_config;
use super::runtime::{Rt, provider_of, q, qualify};
use super::{rules_bridge, tls};
use crate::model::{TcpMiddleware, TcpService};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const MULTI_SERVICE: &str = "cannot create service: multi-types service not supported, consider declaring two different pieces of service instead";

/// Text used when a TCP service refers to itself: Traefik has no recursion
/// guard there and would overflow its stack. Not a Traefik text.
pub(crate) const TCP_RECURSION: &str = "recursion detected in TCP weighted services";

struct TcpBuild<'a> {
    services: &'a mut BTreeMap<String, Rt<TcpService>>,
    middlewares: &'a mut BTreeMap<String, Rt<TcpMiddleware>>,
    transports: &'a BTreeSet<String>,
}

impl TcpBuild<'_> {
    /// `Manager.BuildTCP`.
    fn build_service(
        &mut self,
        ctx: Option<&str>,
        raw: &str,
        stack: &[String],
    ) -> Result<(), String> {
        let name = qualify(ctx, raw);
        let Some(svc) = self.services.get(&name) else {
            return Err(format!("the service {} does not exist", q(&name)));
        };
        let cfg = svc.cfg.clone();
        if cfg.load_balancer.is_some() && cfg.weighted.is_some() {
            if let Some(s) = self.services.get_mut(&name) {
                s.state.add_error(MULTI_SERVICE, true);
            }
            return Err(MULTI_SERVICE.into());
        }
        let own = provider_of(&name);
        if let Some(lb) = &cfg.load_balancer {
            let transport = if lb.servers_transport.is_empty() {
                "default@internal".to_string()
            } else {
                qualify(own, &lb.servers_transport)
            };
            let known = transport == "default@internal" || self.transports.contains(&transport);
            let any_valid = lb.servers.iter().any(|s| split_host_port_ok(&s.address));
            if any_valid && !known {
                return Err(format!(
                    "no transport configuration found for {}",
                    q(&transport)
                ));
            }
            return Ok(());
        }
        if let Some(w) = &cfg.weighted {
            if stack.contains(&name) {
                return Err(TCP_RECURSION.into());
            }
            let mut stack = stack.to_vec();
            stack.push(name.clone());
            for child in &w.services {
                // Seen on Traefik 3.7.15: the child's error is also recorded on the parent.
                if let Err(e) = self.build_service(own, &child.name, &stack) {
                    if let Some(s) = self.services.get_mut(&name) {
                        s.state.add_error(e.clone(), true);
                    }
                    return Err(e);
                }
            }
            return Ok(());
        }
        let err = format!("the service {} does not have any type defined", q(&name));
        if let Some(s) = self.services.get_mut(&name) {
            s.state.add_error(err.clone(), true);
        }
        Err(err)
    }

    /// `Builder.BuildChain(...).Then(next)`: last middleware first.
    fn build_chain(&mut self, ctx: Option<&str>, names: &[String]) -> Result<(), String> {
        for raw in names.iter().rev() {
            let name = qualify(ctx, raw);
            let Some(mw) = self.middlewares.get_mut(&name) else {
                return Err(format!("middleware {} does not exist", q(&name)));
            };
            let err = if mw.cfg.type_names().is_empty() {
                Some(format!(
                    "invalid middleware {} configuration: invalid middleware type or middleware does not exist",
                    q(&name)
                ))
            } else {
                middleware_config::check_tcp(&mw.cfg).err()
            };
            if let Some(e) = err {
                mw.state.add_error(e.clone(), true);
                return Err(e);
            }
        }
        Ok(())
    }

    /// `buildTCPHandler`.
    fn handler(&mut self, name: &str, service: &str, middlewares: &[String]) -> Result<(), String> {
        if service.is_empty() {
            return Err("the service is missing on the router".into());
        }
        let ctx = provider_of(name);
        self.build_service(ctx, service, &[])?;
        self.build_chain(ctx, middlewares)
    }
}

/// `net.SplitHostPort` succeeds (a port separator outside brackets).
pub(crate) fn split_host_port_ok(addr: &str) -> bool {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest
            .split_once(']')
            .is_some_and(|(_, tail)| tail.starts_with(':') && !tail[1..].contains(':'));
    }
    addr.matches(':').count() == 1
}

/// Run the TCP part of `CreateRouters`.
pub(crate) fn build(m: &mut Merged, eps: &EntryPoints, default_syntax: &str) {
    let mut by_ep: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (r, _)) in m.tcp_routers.iter_mut() {
        if !eps.known {
            by_ep.entry(String::new()).or_default().push(name.clone());
            continue;
        }
        let mut count = 0;
        for ep in r.cfg.entry_points.clone() {
            if !eps.tcp.contains(&ep) {
                r.state
                    .add_error(format!("entryPoint {} doesn't exist", q(&ep)), false);
                continue;
            }
            count += 1;
            let list = by_ep.entry(ep).or_default();
            if !list.contains(name) {
                list.push(name.clone());
            }
        }
        if count == 0 {
            r.state
                .add_error("no valid entryPoint for this router", true);
        }
    }
    let mut b = TcpBuild {
        services: &mut m.tcp_services,
        middlewares: &mut m.tcp_middlewares,
        transports: &m.tcp_transports,
    };
    for names in by_ep.values() {
        for name in names {
            add_handler(
                &mut m.tcp_routers,
                &mut b,
                &m.tls_options,
                name,
                default_syntax,
            );
        }
    }
    let mut used: HashMap<String, Vec<String>> = HashMap::new();
    for (name, (r, _)) in m.tcp_routers.iter_mut() {
        let p = provider_of(name);
        r.cfg.middlewares = r.cfg.middlewares.iter().map(|x| qualify(p, x)).collect();
        used.entry(qualify(p, &r.cfg.service))
            .or_default()
            .push(name.clone());
    }
    for (name, s) in m.tcp_services.iter_mut() {
        if let Some(mut u) = used.remove(name) {
            u.sort();
            s.used_by = u;
        }
    }
}

fn add_handler(
    routers: &mut BTreeMap<String, super::merge::TcpRouterRt>,
    b: &mut TcpBuild,
    tls_options: &tls::TlsOptionsMapRef,
    name: &str,
    default_syntax: &str,
) {
    let Some((r, x)) = routers.get_mut(name) else {
        return;
    };
    if x.priority == 0 {
        x.priority = if r.cfg.priority != 0 {
            r.cfg.priority
        } else {
            rules_bridge::tcp_priority(&r.cfg.rule)
        };
    }
    let cfg = r.cfg.clone();
    let syntax = if cfg.rule_syntax.is_empty() {
        default_syntax
    } else {
        cfg.rule_syntax.as_str()
    };
    let st = &mut r.state;
    if cfg.service.is_empty() {
        st.add_error("the service is missing on the router", true);
        return;
    }
    if cfg.rule.is_empty() {
        st.add_error("router has no rule", true);
        return;
    }
    let domains = match rules_bridge::tcp_host_sni(&cfg.rule) {
        Ok(d) => d,
        Err(e) => {
            st.add_error(format!("invalid rule: {} , {e}", q(&cfg.rule)), true);
            return;
        }
    };
    if !domains.is_empty() && cfg.tls.is_none() && domains[0] != "*" {
        st.add_error(
            format!(
                "invalid rule: {} , has HostSNI matcher, but no TLS on router",
                q(&cfg.rule)
            ),
            true,
        );
        return;
    }
    if x.priority > rules_bridge::MAX_USER_PRIORITY && !name.ends_with("@internal") {
        st.add_error(
            format!(
                "the router priority {} exceeds the max user-defined priority {}",
                x.priority,
                rules_bridge::MAX_USER_PRIORITY
            ),
            true,
        );
        return;
    }
    let passthrough = cfg.tls.as_ref().is_none_or(|t| t.passthrough);
    if passthrough {
        if let Err(e) = b.handler(name, &cfg.service, &cfg.middlewares) {
            st.add_error(e, true);
            return;
        }
        if let Some(e) = rules_bridge::tcp_rule_error(&cfg.rule, syntax) {
            st.add_error(e, true);
        }
        return;
    }
    for d in &domains {
        if !d.is_ascii() {
            st.add_error(
                format!(
                    "invalid domain name value {}, non-ASCII characters are not allowed",
                    q(d)
                ),
                true,
            );
        }
    }
    let opt = tls::option_name(name, cfg.tls.as_ref().map_or("", |t| t.options.as_str()));
    if let Err(e) = tls::get(tls_options, &opt) {
        st.add_error(e, true);
        if let Some(e) = rules_bridge::tcp_rule_error(&cfg.rule, syntax) {
            st.add_error(e, true);
        }
        return;
    }
    if let Err(e) = b.handler(name, &cfg.service, &cfg.middlewares) {
        st.add_error(e, true);
        return;
    }
    if let Some(e) = rules_bridge::tcp_rule_error(&cfg.rule, syntax) {
        st.add_error(e, true);
    }
}

/// Build every enabled TCP service and middleware on a copy of the state:
/// `(kind, name, error)` for those that would fail when a router used them.
pub(crate) fn shadow(m: &Merged) -> Vec<(crate::objects::ObjectKind, String, String)> {
    let mut services = m.tcp_services.clone();
    let mut middlewares = m.tcp_middlewares.clone();
    let mut b = TcpBuild {
        services: &mut services,
        middlewares: &mut middlewares,
        transports: &m.tcp_transports,
    };
    let mut out = Vec::new();
    for (name, s) in &m.tcp_services {
        if s.state.status != crate::report::Status::Enabled {
            continue;
        }
        if let Err(e) = b.build_service(None, name, &[]) {
            out.push((crate::objects::ObjectKind::TcpService, name.clone(), e));
        }
    }
    for (name, s) in &m.tcp_middlewares {
        if s.state.status != crate::report::Status::Enabled {
            continue;
        }
        if let Err(e) = b.build_chain(None, std::slice::from_ref(name)) {
            out.push((crate::objects::ObjectKind::TcpMiddleware, name.clone(), e));
        }
    }
    out
}
