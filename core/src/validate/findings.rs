//! Findings: every object Traefik shows as disabled or in warning, and what
//! Traefik never reports (broken objects no router uses, nondeterministic route
//! winners, default TLS options/stores defined twice, `@` in names, references
//! into rejected providers, unknown certificate resolvers, ignored UDP routers).

use super::http_build::HttpBuild;
use super::merge::{EntryPoints, Merged};
use super::runtime::{provider_of, q, qualify};
use super::{rules_bridge, tcp};
use crate::finding::{Finding, Severity};
use crate::objects::ObjectKind;
use crate::provider::ProviderConfig;
use crate::report::{Report, Status};
use crate::source::SourceRef;
use crate::static_config::StaticConfig;
use std::collections::BTreeMap;

/// One object's name, status, errors and source, for status findings.
type StatusRow<'r> = (&'r String, Status, &'r Vec<String>, &'r Option<SourceRef>);
/// A router in an overlap group: name, provider, source.
type Member = (String, String, Option<SourceRef>);

pub(crate) struct Ctx<'a> {
    pub static_cfg: Option<&'a StaticConfig>,
    pub providers: &'a [ProviderConfig],
    pub merged: &'a Merged,
    pub eps: &'a EntryPoints,
    pub conflicted: &'a [String],
    pub udp_by_ep: &'a BTreeMap<String, Vec<String>>,
    pub api: bool,
}

fn status_code(kind: ObjectKind, status: Status) -> Option<&'static str> {
    use ObjectKind as K;
    use Status as S;
    Some(match (kind, status) {
        (_, S::Enabled) => return None,
        (K::HttpRouter, S::Disabled) => "router-disabled",
        (K::HttpRouter, S::Warning) => "router-warning",
        (K::HttpService, S::Disabled) => "service-disabled",
        (K::HttpService, S::Warning) => "service-warning",
        (K::HttpMiddleware, S::Disabled) => "middleware-disabled",
        (K::HttpMiddleware, S::Warning) => "middleware-warning",
        (K::TcpRouter, S::Disabled) => "tcp-router-disabled",
        (K::TcpRouter, S::Warning) => "tcp-router-warning",
        (K::TcpService, S::Disabled) => "tcp-service-disabled",
        (K::TcpService, S::Warning) => "tcp-service-warning",
        (K::TcpMiddleware, S::Disabled) => "tcp-middleware-disabled",
        (K::TcpMiddleware, S::Warning) => "tcp-middleware-warning",
        (K::UdpRouter, S::Disabled) => "udp-router-disabled",
        (K::UdpRouter, S::Warning) => "udp-router-warning",
        (K::UdpService, S::Disabled) => "udp-service-disabled",
        (_, S::Disabled) => "object-disabled",
        (_, S::Warning) => "object-warning",
    })
}

fn help_for(err: &str) -> &'static str {
    if err.contains("does not exist") {
        "define the referenced object, or fix the name (a reference without @provider is looked up in the referrer's own provider)"
    } else if err.contains("entryPoint") {
        "use entry points defined in the static configuration"
    } else if err.contains("parsing rule") || err.contains("invalid rule") {
        "fix the rule syntax (Traefik v3 rule language)"
    } else if err.contains("multi-types") {
        "split the object into one object per type"
    } else if err.contains("TLS option") || err.contains("TLSOptions") {
        "define the TLS options, or use the same options for every router serving this host on the entry point"
    } else {
        "fix the object's configuration so that Traefik can build it"
    }
}

fn status_findings(out: &mut Vec<Finding>, report: &Report) {
    let sections: [(ObjectKind, Vec<StatusRow>); 8] = [
        (
            ObjectKind::HttpRouter,
            report
                .http
                .routers
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
        (
            ObjectKind::HttpService,
            report
                .http
                .services
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
        (
            ObjectKind::HttpMiddleware,
            report
                .http
                .middlewares
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
        (
            ObjectKind::TcpRouter,
            report
                .tcp
                .routers
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
        (
            ObjectKind::TcpService,
            report
                .tcp
                .services
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
        (
            ObjectKind::TcpMiddleware,
            report
                .tcp
                .middlewares
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
        (
            ObjectKind::UdpRouter,
            report
                .udp
                .routers
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
        (
            ObjectKind::UdpService,
            report
                .udp
                .services
                .iter()
                .map(|(n, r)| (n, r.status, &r.errors, &r.source))
                .collect(),
        ),
    ];
    for (kind, objs) in sections {
        for (name, status, errors, source) in objs {
            let Some(code) = status_code(kind, status) else {
                continue;
            };
            let sev = if status == Status::Disabled {
                Severity::Error
            } else {
                Severity::Warning
            };
            for err in errors {
                out.push(
                    Finding::new(sev, code, format!("{} {name}: {err}", kind.words()))
                        .object(name.clone())
                        .source(source.clone())
                        .help(help_for(err)),
                );
            }
        }
    }
}

/// Build every object Traefik shows as enabled on its own, to find those that
/// would fail as soon as a router used them.
fn broken_unused(out: &mut Vec<Finding>, m: &Merged, api: bool, plugins: Option<Vec<String>>) {
    let mut services = m.http_services.clone();
    let mut middlewares = m.http_middlewares.clone();
    let mut b = HttpBuild::new(&mut services, &mut middlewares, &m.http_transports, api);
    b.plugins = plugins;
    for (name, s) in &m.http_services {
        if s.state.status != Status::Enabled {
            continue;
        }
        if let Err(e) = b.build_service(None, name, &[]) {
            out.push(
                Finding::new(
                    Severity::Warning,
                    "broken-unused-service",
                    format!("HTTP service {name} shows as enabled only because no working router uses it; using it fails with: {e}"),
                )
                .object(name.clone())
                .source(s.source.clone())
                .help("fix or remove this service: Traefik builds services lazily and never reports this error until a router references it"),
            );
        }
    }
    for (name, s) in &m.http_middlewares {
        if s.state.status != Status::Enabled {
            continue;
        }
        if let Err(e) = b.build_chain(None, std::slice::from_ref(name), &[]) {
            out.push(
                Finding::new(
                    Severity::Warning,
                    "broken-unused-middleware",
                    format!("HTTP middleware {name} shows as enabled only because no working router uses it; using it fails with: {e}"),
                )
                .object(name.clone())
                .source(s.source.clone())
                .help("fix or remove this middleware: Traefik only validates middlewares when a router uses them"),
            );
        }
    }
    for (kind, name, e) in tcp::shadow(m) {
        let (code, words, src) = match kind {
            ObjectKind::TcpService => (
                "broken-unused-tcp-service",
                "TCP service",
                m.tcp_services.get(&name).and_then(|s| s.source.clone()),
            ),
            _ => (
                "broken-unused-tcp-middleware",
                "TCP middleware",
                m.tcp_middlewares.get(&name).and_then(|s| s.source.clone()),
            ),
        };
        let sev = if e == tcp::TCP_RECURSION {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.push(
            Finding::new(
                sev,
                code,
                format!("{words} {name} shows as enabled but using it fails with: {e}"),
            )
            .object(name)
            .source(src)
            .help("fix or remove it: Traefik only builds it when a router uses it"),
        );
    }
}

/// Equal priority + identical rule on one entry point (and TLS-ness).
fn overlaps(out: &mut Vec<Finding>, ctx: &Ctx) {
    let precedence = ctx.static_cfg.and_then(|s| s.providers_precedence.as_ref());
    type Key = (String, bool, i64, String);
    let mut groups: BTreeMap<Key, Vec<Member>> = BTreeMap::new();
    for (name, (r, x)) in &ctx.merged.http_routers {
        if r.state.status == Status::Disabled || !r.cfg.parent_refs.is_empty() {
            continue;
        }
        let prio = if r.cfg.priority != 0 {
            r.cfg.priority
        } else if x.priority != 0 {
            x.priority
        } else {
            rules_bridge::http_priority(&r.cfg.rule)
        };
        let eps = if ctx.eps.known {
            r.cfg.entry_points.clone()
        } else if x.written_entry_points.is_empty() {
            vec!["(default entry points)".into()]
        } else {
            x.written_entry_points.clone()
        };
        for ep in eps {
            groups
                .entry((
                    format!("http {ep}"),
                    r.cfg.tls.is_some(),
                    prio,
                    r.cfg.rule.trim().to_string(),
                ))
                .or_default()
                .push((name.clone(), r.provider.clone(), r.source.clone()));
        }
    }
    for (name, (r, x)) in &ctx.merged.tcp_routers {
        if r.state.status == Status::Disabled {
            continue;
        }
        let prio = if r.cfg.priority != 0 {
            r.cfg.priority
        } else if x.priority != 0 {
            x.priority
        } else {
            rules_bridge::tcp_priority(&r.cfg.rule)
        };
        let eps = if ctx.eps.known {
            r.cfg.entry_points.clone()
        } else if x.written_entry_points.is_empty() {
            vec!["(default entry points)".into()]
        } else {
            x.written_entry_points.clone()
        };
        for ep in eps {
            groups
                .entry((
                    format!("tcp {ep}"),
                    r.cfg.tls.is_some(),
                    prio,
                    r.cfg.rule.trim().to_string(),
                ))
                .or_default()
                .push((name.clone(), r.provider.clone(), r.source.clone()));
        }
    }
    for ((ep, _, prio, rule), members) in groups {
        if members.len() < 2 {
            continue;
        }
        let names: Vec<&str> = members.iter().map(|m| m.0.as_str()).collect();
        let mut providers: Vec<&str> = members.iter().map(|m| m.1.as_str()).collect();
        providers.sort();
        providers.dedup();
        let (proto, ep) = ep.split_once(' ').unwrap_or(("http", &ep));
        if providers.len() > 1 {
            let ordered =
                precedence.is_some_and(|p| providers.iter().all(|x| p.iter().any(|y| y == x)));
            let (sev, msg) = if ordered {
                (
                    Severity::Info,
                    format!(
                        "{proto} routers {} have the same rule {rule} and priority {prio} on entry point {ep}; providers.precedence decides which one wins",
                        names.join(", ")
                    ),
                )
            } else {
                (
                    Severity::Error,
                    format!(
                        "{proto} routers {} from providers {} have the same rule {rule} and priority {prio} on entry point {ep}: without providers.precedence the winner is random and can change at every configuration reload",
                        names.join(", "),
                        providers.join(", ")
                    ),
                )
            };
            for (n, _, src) in &members {
                out.push(
                    Finding::new(sev, "ambiguous-route", msg.clone())
                        .object(n.clone())
                        .source(src.clone())
                        .help("remove one of the routes, give them different priorities, or set providers.precedence in the static configuration"),
                );
            }
        }
        let mut by_provider: BTreeMap<&str, Vec<&Member>> = BTreeMap::new();
        for m in &members {
            by_provider.entry(m.1.as_str()).or_default().push(m);
        }
        for (p, same) in by_provider {
            if same.len() < 2 {
                continue;
            }
            let names: Vec<&str> = same.iter().map(|m| m.0.as_str()).collect();
            for (n, _, src) in same {
                out.push(
                    Finding::new(
                        Severity::Error,
                        "duplicate-route",
                        format!(
                            "{proto} routers {} of the {p} provider have the same rule {rule} and priority {prio} on entry point {ep}: Traefik picks one at random",
                            names.join(", ")
                        ),
                    )
                    .object(n.clone())
                    .source(src.clone())
                    .help("remove the duplicate or give the routers different priorities"),
                );
            }
        }
    }
}

fn tls_defaults(out: &mut Vec<Finding>, ctx: &Ctx) {
    let m = ctx.merged;
    for (list, kind, what, code, consequence) in [
        (
            &m.default_tls_option_providers,
            ObjectKind::TlsOption,
            "tls.options.default",
            "tls-default-options-conflict",
            "Traefik deletes it, so every TLS router fails with \"unknown TLS options: default\"",
        ),
        (
            &m.default_tls_store_providers,
            ObjectKind::TlsStore,
            "the default TLS store",
            "tls-default-store-conflict",
            "Traefik deletes it and serves its generated default certificate",
        ),
    ] {
        if list.len() < 2 {
            continue;
        }
        for p in list {
            let src = ctx
                .providers
                .iter()
                .find(|x| &x.name == p)
                .and_then(|x| x.origins.get(kind, "default").cloned());
            out.push(
                Finding::new(
                    Severity::Error,
                    code,
                    format!(
                        "{what} is defined by several providers ({}): {consequence}",
                        list.join(", ")
                    ),
                )
                .object(format!("default@{p}"))
                .source(src.or_else(|| Some(SourceRef::provider(p))))
                .help("define it in exactly one provider"),
            );
        }
    }
    for name in ctx.conflicted {
        if let Some((r, _)) = m.http_routers.get(name) {
            out.push(
                Finding::new(
                    Severity::Warning,
                    "tls-options-conflict",
                    format!("router {name} was created by Traefik because router {} serves a host with TLS options that conflict with another router on the same entry point; default TLS options apply", name.split_once("-conflicted-").map_or(name.as_str(), |x| x.1)),
                )
                .object(name.clone())
                .source(r.source.clone())
                .help("use the same TLS options for every router serving a host on an entry point, and only set TLS options on routers with a Host rule"),
            );
        }
    }
}

fn at_sign(out: &mut Vec<Finding>, ctx: &Ctx) {
    for p in ctx.providers.iter().filter(|p| !p.is_rejected()) {
        let c = &p.config;
        let mut names: Vec<(ObjectKind, &String)> = Vec::new();
        if let Some(h) = &c.http {
            names.extend(h.routers.keys().map(|n| (ObjectKind::HttpRouter, n)));
            names.extend(h.services.keys().map(|n| (ObjectKind::HttpService, n)));
            names.extend(
                h.middlewares
                    .keys()
                    .map(|n| (ObjectKind::HttpMiddleware, n)),
            );
            names.extend(
                h.servers_transports
                    .keys()
                    .map(|n| (ObjectKind::HttpServersTransport, n)),
            );
        }
        if let Some(t) = &c.tcp {
            names.extend(t.routers.keys().map(|n| (ObjectKind::TcpRouter, n)));
            names.extend(t.services.keys().map(|n| (ObjectKind::TcpService, n)));
            names.extend(t.middlewares.keys().map(|n| (ObjectKind::TcpMiddleware, n)));
        }
        if let Some(u) = &c.udp {
            names.extend(u.routers.keys().map(|n| (ObjectKind::UdpRouter, n)));
            names.extend(u.services.keys().map(|n| (ObjectKind::UdpService, n)));
        }
        if let Some(t) = &c.tls {
            names.extend(t.options.keys().map(|n| (ObjectKind::TlsOption, n)));
        }
        for (kind, n) in names.into_iter().filter(|(_, n)| n.contains('@')) {
            let qn = format!("{n}@{}", p.name);
            out.push(
                Finding::new(
                    Severity::Error,
                    "at-sign-in-name",
                    format!("{} name {} contains '@': Traefik names it {}, and references from it resolve in provider {}", kind.words(), q(n), qn, q(provider_of(&qn).unwrap_or(""))),
                )
                .object(qn.clone())
                .source(p.origins.get(kind, n).cloned())
                .help("remove '@' from the name; '@' separates a name from its provider"),
            );
        }
    }
}

fn rejected_refs(out: &mut Vec<Finding>, ctx: &Ctx) {
    let rejected: BTreeMap<&str, &ProviderConfig> = ctx
        .providers
        .iter()
        .filter(|p| p.is_rejected())
        .map(|p| (p.name.as_str(), p))
        .collect();
    if rejected.is_empty() {
        return;
    }
    let m = ctx.merged;
    let mut refs: Vec<(String, Option<SourceRef>, ObjectKind, String)> = Vec::new();
    for (name, (r, _)) in &m.http_routers {
        let p = provider_of(name);
        if !r.cfg.service.is_empty() {
            refs.push((
                name.clone(),
                r.source.clone(),
                ObjectKind::HttpService,
                qualify(p, &r.cfg.service),
            ));
        }
        for mw in &r.cfg.middlewares {
            refs.push((
                name.clone(),
                r.source.clone(),
                ObjectKind::HttpMiddleware,
                qualify(p, mw),
            ));
        }
        if let Some(t) = &r.cfg.tls
            && !t.options.is_empty()
            && t.options != "default"
        {
            refs.push((
                name.clone(),
                r.source.clone(),
                ObjectKind::TlsOption,
                qualify(p, &t.options),
            ));
        }
    }
    for (name, s) in &m.http_services {
        for c in s.cfg.children() {
            refs.push((
                name.clone(),
                s.source.clone(),
                ObjectKind::HttpService,
                qualify(provider_of(name), c),
            ));
        }
        for mw in &s.cfg.middlewares {
            refs.push((
                name.clone(),
                s.source.clone(),
                ObjectKind::HttpMiddleware,
                qualify(provider_of(name), mw),
            ));
        }
    }
    for (name, mw) in &m.http_middlewares {
        for c in mw.cfg.chain_members() {
            refs.push((
                name.clone(),
                mw.source.clone(),
                ObjectKind::HttpMiddleware,
                qualify(provider_of(name), c),
            ));
        }
        for s in mw.cfg.referenced_services() {
            refs.push((
                name.clone(),
                mw.source.clone(),
                ObjectKind::HttpService,
                qualify(provider_of(name), s),
            ));
        }
    }
    for (name, (r, _)) in &m.tcp_routers {
        if !r.cfg.service.is_empty() {
            refs.push((
                name.clone(),
                r.source.clone(),
                ObjectKind::TcpService,
                qualify(provider_of(name), &r.cfg.service),
            ));
        }
    }
    for (name, (r, _)) in &m.udp_routers {
        if !r.cfg.service.is_empty() {
            refs.push((
                name.clone(),
                r.source.clone(),
                ObjectKind::UdpService,
                qualify(provider_of(name), &r.cfg.service),
            ));
        }
    }
    for (from, src, kind, target) in refs {
        let Some((local, pvd)) = target.rsplit_once('@') else {
            continue;
        };
        let Some(p) = rejected.get(pvd) else { continue };
        let exists = p.origins.get(kind, local).is_some();
        let what = if exists {
            format!(
                "{target} exists in the {pvd} provider but that provider is rejected, so Traefik does not know it"
            )
        } else {
            format!(
                "{target} belongs to the {pvd} provider, which is rejected, so Traefik does not know it"
            )
        };
        out.push(
            Finding::new(
                Severity::Error,
                "reference-to-rejected-provider",
                format!("{from} refers to {} {what}", kind.words()),
            )
            .object(from)
            .source(src)
            .help(format!(
                "fix the errors that make Traefik reject the {pvd} provider"
            )),
        );
    }
}

fn cert_resolvers(out: &mut Vec<Finding>, ctx: &Ctx) {
    let Some(s) = ctx.static_cfg else { return };
    let m = ctx.merged;
    let mut check = |name: &String, resolver: &str, src: &Option<SourceRef>| {
        if !resolver.is_empty() && !s.cert_resolvers.iter().any(|r| r == resolver) {
            out.push(
                Finding::new(Severity::Warning, "unknown-cert-resolver", format!("router {name} uses certificate resolver {} which is not among the static certificatesResolvers: no certificate will be obtained", q(resolver)))
                    .object(name.clone())
                    .source(src.clone())
                    .help("declare the resolver under certificatesResolvers in the static configuration, or fix its name"),
            );
        }
    };
    for (name, (r, _)) in &m.http_routers {
        if let Some(t) = &r.cfg.tls {
            check(name, &t.cert_resolver, &r.source);
        }
    }
    for (name, (r, _)) in &m.tcp_routers {
        if let Some(t) = &r.cfg.tls {
            check(name, &t.cert_resolver, &r.source);
        }
    }
}

fn udp_shadowed(out: &mut Vec<Finding>, ctx: &Ctx) {
    for (ep, names) in ctx.udp_by_ep {
        let working: Vec<&String> = names
            .iter()
            .filter(|n| {
                ctx.merged
                    .udp_routers
                    .get(*n)
                    .is_some_and(|(r, _)| r.state.status != Status::Disabled)
            })
            .collect();
        if working.len() < 2 {
            continue;
        }
        for n in &working[1..] {
            let src = ctx
                .merged
                .udp_routers
                .get(*n)
                .and_then(|(r, _)| r.source.clone());
            out.push(
                Finding::new(Severity::Warning, "udp-router-ignored", format!("UDP router {n} is ignored: entry point {ep} takes only one UDP router and {} wins (highest name)", working[0]))
                    .object((*n).clone())
                    .source(src)
                    .help("use one UDP router per UDP entry point"),
            );
        }
    }
}

/// Every extra finding.
pub(crate) fn collect(ctx: &Ctx, report: &Report) -> Vec<Finding> {
    let mut out = Vec::new();
    status_findings(&mut out, report);
    broken_unused(&mut out, ctx.merged, ctx.api, ctx.eps.plugins.clone());
    overlaps(&mut out, ctx);
    tls_defaults(&mut out, ctx);
    at_sign(&mut out, ctx);
    rejected_refs(&mut out, ctx);
    cert_resolvers(&mut out, ctx);
    udp_shadowed(&mut out, ctx);
    out
}
