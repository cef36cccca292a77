//! Merge and validate: what Traefik 3.7 shows in its API after a fresh start with
//! the given providers (objects, statuses, error texts in Traefik's order), plus
//! the findings Traefik never reports.
//!
//! The order of work follows Traefik's `configurationwatcher` and `RouterFactory`:
//! merge (`mergeConfiguration`), TLS options conflicts (`resolveHTTPTLSOptions`),
//! HTTP router tree, HTTP handlers (non-TLS then TLS), TCP (including the HTTPS
//! TLS checks), UDP, then `PopulateUsedBy`. Where Traefik iterates a Go map, names
//! are taken in sorted order; where its result depends on that order (random
//! children shuffles, equal-priority routes) a finding says so.

mod cb_expression;
mod findings;
mod go_url;
mod http_build;
mod http_router;
mod merge;
mod middleware_config;
pub mod rules_bridge;
mod runtime;
mod tcp;
mod tls;
mod udp;

use crate::finding::{Finding, Severity};
use crate::provider::{ProviderConfig, ProviderStatus};
use crate::report::{ObjectReport, ProviderReport, Report, RouterReport};
use crate::static_config::StaticConfig;
use runtime::{RouterExtra, Rt, qualify};

/// Validate the providers' configurations against an optional static configuration.
///
/// Without a static configuration, entry points (and default entry points) are
/// unknown: those checks are skipped (one `info` finding says so) and routers keep
/// their entry points as written.
pub fn validate(static_cfg: Option<&StaticConfig>, providers: &[ProviderConfig]) -> Report {
    let eps = merge::EntryPoints::from_static(static_cfg);
    let default_syntax = static_cfg
        .map(|s| s.default_rule_syntax.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "v3".to_string());
    let api = static_cfg.is_none_or(|s| s.api);

    let mut m = merge::merge(providers, &eps);
    merge::apply_model(&mut m, &eps);
    // With models, `applyModel` already gave root routers the default syntax; the
    // muxer falls back to v3 for routers without one (child routers).
    let http_syntax = if eps.models.is_empty() {
        default_syntax.as_str()
    } else {
        "v3"
    };
    let conflicted = tls::resolve_http_tls(&mut m.http_routers, &eps);
    http_router::build(&mut m, &eps, http_syntax, api);
    tcp::build(&mut m, &eps, &default_syntax);
    let udp_by_ep = udp::build(&mut m, &eps);

    let mut report = Report::default();
    for p in providers {
        let (status, errors) = match &p.status {
            ProviderStatus::Ok => ("ok", Vec::new()),
            ProviderStatus::Rejected { errors } => ("rejected", errors.clone()),
        };
        report
            .providers
            .insert(p.name.clone(), ProviderReport { status, errors });
        report.findings.extend(p.findings.iter().cloned());
    }
    for (name, (r, x)) in &m.http_routers {
        let service = (!r.cfg.service.is_empty())
            .then(|| qualify(runtime::provider_of(name), &r.cfg.service));
        report.http.routers.insert(
            name.clone(),
            router_report(
                r,
                x,
                &r.cfg.rule,
                r.cfg.priority,
                &r.cfg.entry_points,
                service,
                &r.cfg.middlewares,
                eps.known,
            ),
        );
    }
    for (name, (r, x)) in &m.tcp_routers {
        let service = (!r.cfg.service.is_empty())
            .then(|| qualify(runtime::provider_of(name), &r.cfg.service));
        report.tcp.routers.insert(
            name.clone(),
            router_report(
                r,
                x,
                &r.cfg.rule,
                r.cfg.priority,
                &r.cfg.entry_points,
                service,
                &r.cfg.middlewares,
                eps.known,
            ),
        );
    }
    for (name, (r, x)) in &m.udp_routers {
        let service = (!r.cfg.service.is_empty())
            .then(|| qualify(runtime::provider_of(name), &r.cfg.service));
        report.udp.routers.insert(
            name.clone(),
            router_report(r, x, "", 0, &r.cfg.entry_points, service, &[], eps.known),
        );
    }
    for (name, s) in &m.http_services {
        report.http.services.insert(name.clone(), object_report(s));
    }
    for (name, s) in &m.http_middlewares {
        report
            .http
            .middlewares
            .insert(name.clone(), object_report(s));
    }
    for (name, s) in &m.tcp_services {
        report.tcp.services.insert(name.clone(), object_report(s));
    }
    for (name, s) in &m.tcp_middlewares {
        report
            .tcp
            .middlewares
            .insert(name.clone(), object_report(s));
    }
    for (name, s) in &m.udp_services {
        report.udp.services.insert(name.clone(), object_report(s));
    }

    let ctx = findings::Ctx {
        static_cfg,
        providers,
        merged: &m,
        eps: &eps,
        conflicted: &conflicted,
        udp_by_ep: &udp_by_ep,
        api,
    };
    report.findings.extend(findings::collect(&ctx, &report));
    if static_cfg.is_none() {
        report.findings.push(
            Finding::new(
                Severity::Info,
                "entrypoints-unchecked",
                "no static configuration given: entry points, default entry points, certificate resolvers and providers.precedence are unknown, so those checks were skipped",
            )
            .help("pass Traefik's static configuration (--static) to check entry points and route overlaps exactly"),
        );
    }
    // Route overlap / shadow / nondeterminism analysis (owned by core/src/routing).
    report.findings.extend(crate::routing::overlap::findings(
        static_cfg, providers, &report,
    ));
    report.normalize_findings();
    report
}

#[allow(clippy::too_many_arguments)]
fn router_report<T>(
    r: &Rt<T>,
    x: &RouterExtra,
    rule: &str,
    configured_priority: i64,
    entry_points: &[String],
    service: Option<String>,
    middlewares: &[String],
    eps_known: bool,
) -> RouterReport {
    RouterReport {
        status: r.state.status,
        errors: r.state.errors.clone(),
        rule: rule.to_string(),
        priority: if configured_priority != 0 {
            configured_priority
        } else {
            x.priority
        },
        entry_points: if eps_known {
            entry_points.to_vec()
        } else {
            x.written_entry_points.clone()
        },
        service,
        middlewares: middlewares.to_vec(),
        provider: r.provider.clone(),
        source: r.source.clone(),
    }
}

fn object_report<T>(s: &Rt<T>) -> ObjectReport {
    ObjectReport {
        status: s.state.status,
        errors: s.state.errors.clone(),
        provider: s.provider.clone(),
        used_by: s.used_by.clone(),
        source: s.source.clone(),
    }
}
