//! `syncctl route test` and `syncctl routes`: which router Traefik picks, and the routing
//! table per entry point in evaluation order.

use crate::Sources;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use std::process::ExitCode;
use sync_core::routing::{Decision, Layer, Outcome, Route, RoutingTable, route_http};
use sync_core::rules::HttpRequest;
use sync_core::source::SourceRef;

/// Output format of the routing commands.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RouteFormat {
    /// For people.
    Text,
    /// JSON.
    Json,
}

/// `syncctl route ...`
#[derive(Subcommand)]
pub enum RouteCommand {
    /// Which router Traefik 3.7 picks for a request, and why the other matching routers lost.
    ///
    /// Prints `{"router": "<name>@<provider>" | null, ...}` with `--format json` (null: no
    /// router, Traefik answers 404, or a nondeterministic tie listed in `nondeterministic`).
    /// Exit code: 0 routed, 1 no router or nondeterministic, 2 usage or I/O error.
    ///
    /// Example: syncctl route test --static traefik.yml --files dynamic/ -H 'X-Env: beta' https://app.example.com/api
    Test(RouteTestArgs),
}

/// Arguments of `syncctl route test`.
#[derive(Args)]
pub struct RouteTestArgs {
    #[command(flatten)]
    sources: Sources,
    /// Entry point receiving the request (default: the one whose address port is the URL's).
    #[arg(long, value_name = "NAME", env = "SYNCCTL_ENTRYPOINT")]
    entrypoint: Option<String>,
    /// Request method.
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        default_value = "GET"
    )]
    method: String,
    /// Request header `Name: value` (repeatable; `Host:` overrides the URL's host).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// Client IP address (what ClientIP matchers see).
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    client_ip: String,
    /// TLS server name to send (default: the URL's host unless it is an IP literal).
    #[arg(long, value_name = "NAME")]
    sni: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RouteFormat::Text, env = "SYNCCTL_FORMAT")]
    format: RouteFormat,
    /// The request URL (`http://` or `https://`).
    url: String,
}

/// Arguments of `syncctl routes`.
#[derive(Args)]
pub struct RoutesArgs {
    #[command(flatten)]
    sources: Sources,
    /// Only this entry point.
    #[arg(long, value_name = "NAME")]
    entrypoint: Option<String>,
    /// Also list the overlap and shadow analysis: pairs of routers that can match the same
    /// request, each with a witness request and the router that answers it.
    #[arg(long)]
    overlaps: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RouteFormat::Text, env = "SYNCCTL_FORMAT")]
    format: RouteFormat,
}

fn build_table(sources: &Sources) -> Result<RoutingTable> {
    let loaded = crate::inputs::load(sources)?;
    let report = sync_core::validate::validate(loaded.static_cfg.as_ref(), &loaded.providers);
    Ok(RoutingTable::build(
        loaded.static_cfg.as_ref(),
        &loaded.providers,
        &report,
    ))
}

struct ParsedUrl {
    tls: bool,
    host: String,
    port: u16,
    path: String,
    query: String,
}

fn parse_url(url: &str) -> Result<ParsedUrl> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| anyhow!("URL {url:?} has no scheme (use http:// or https://)"))?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        other => bail!("unsupported URL scheme {other:?} (use http or https)"),
    };
    let rest = rest.split('#').next().unwrap_or(rest);
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(split);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.is_empty() {
        bail!("URL {url:?} has no host");
    }
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => {
            let p: u16 = authority[i + 1..]
                .parse()
                .with_context(|| format!("invalid port in URL {url:?}"))?;
            (authority.to_string(), p)
        }
        _ => (authority.to_string(), if tls { 443 } else { 80 }),
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = if path.is_empty() { "/" } else { path };
    Ok(ParsedUrl {
        tls,
        host,
        port,
        path: path.to_string(),
        query: query.to_string(),
    })
}

fn pick_entrypoint(table: &RoutingTable, asked: Option<&str>, port: u16) -> Result<String> {
    let list = || {
        table
            .entry_points
            .values()
            .map(|e| match &e.address {
                Some(a) => format!("{} ({a})", e.name),
                None => e.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = asked {
        if table.entry_points.contains_key(name) {
            return Ok(name.to_string());
        }
        bail!("unknown entry point {name:?}; entry points: {}", list());
    }
    let by_port: Vec<&str> = table
        .entry_points
        .values()
        .filter(|e| e.port() == Some(port))
        .map(|e| e.name.as_str())
        .collect();
    match by_port.as_slice() {
        [one] => Ok(one.to_string()),
        [] if table.entry_points.len() == 1 && !table.static_known => Ok(table
            .entry_points
            .keys()
            .next()
            .cloned()
            .unwrap_or_default()),
        [] => bail!(
            "no entry point listens on port {port}; pass --entrypoint NAME (entry points: {})",
            list()
        ),
        many => bail!(
            "several entry points listen on port {port} ({}); pass --entrypoint NAME",
            many.join(", ")
        ),
    }
}

/// `syncctl route test`.
pub fn route_test(args: RouteTestArgs) -> Result<ExitCode> {
    let url = parse_url(&args.url)?;
    let mut req = HttpRequest {
        method: args.method.clone(),
        host: if (url.tls && url.port == 443) || (!url.tls && url.port == 80) {
            url.host
                .rsplit_once(':')
                .filter(|(_, p)| p.parse::<u16>().is_ok() && !url.host.ends_with(']'))
                .map(|(h, _)| h.to_string())
                .unwrap_or(url.host.clone())
        } else {
            url.host.clone()
        },
        path: url.path.clone(),
        query: url.query.clone(),
        headers: Vec::new(),
        client_ip: Some(
            args.client_ip
                .parse()
                .map_err(|_| anyhow!("--client-ip {:?} is not an IP address", args.client_ip))?,
        ),
    };
    for h in &args.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| anyhow!("header {h:?} is not `Name: value`"))?;
        let (k, v) = (k.trim(), v.trim());
        if k.eq_ignore_ascii_case("host") {
            req.host = v.to_string();
        } else {
            req.headers.push((k.to_string(), v.to_string()));
        }
    }
    let table = build_table(&args.sources)?;
    let ep = pick_entrypoint(&table, args.entrypoint.as_deref(), url.port)?;
    let decision = match &args.sni {
        Some(sni) => {
            let conn = sync_core::rules::TcpConnection {
                sni: sni.clone(),
                alpn: if url.tls {
                    vec!["h2".into(), "http/1.1".into()]
                } else {
                    Vec::new()
                },
                client_ip: req.client_ip,
                tls: url.tls,
            };
            sync_core::routing::route_http_conn(&table, &ep, &req, &conn)
        }
        None => route_http(&table, &ep, &req, url.tls),
    }
    .map_err(|e| anyhow!("{e}"))?;
    match args.format {
        RouteFormat::Json => println!("{}", serde_json::to_string_pretty(&decision)?),
        RouteFormat::Text => print!("{}", render_decision(&req, &decision)),
    }
    Ok(if decision.router.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn src(s: &Option<SourceRef>) -> String {
    s.as_ref().map(SourceRef::display).unwrap_or_default()
}

fn render_decision(req: &HttpRequest, d: &Decision) -> String {
    let mut o = String::new();
    let scheme = if d.tls { "https" } else { "http" };
    let q = if req.query.is_empty() {
        String::new()
    } else {
        format!("?{}", req.query)
    };
    o.push_str(&format!(
        "{} {scheme}://{}{}{q} on entry point {}\n",
        req.method, req.host, req.path, d.entrypoint
    ));
    match (&d.router, d.nondeterministic.is_empty()) {
        (Some(r), _) => {
            let layer = if d.layer == Layer::Tcp {
                " (TCP router)"
            } else {
                ""
            };
            o.push_str(&format!("=> {r}{layer}\n"));
        }
        (None, false) => o.push_str(&format!(
            "=> NONDETERMINISTIC: Traefik picks any of {} (equal priority and provider rank)\n",
            d.nondeterministic.join(", ")
        )),
        (None, true) => o.push_str(&format!(
            "=> no router: Traefik answers {}\n",
            d.status.unwrap_or(404)
        )),
    }
    for n in &d.notes {
        o.push_str(&format!("   note: {n}\n"));
    }
    if d.candidates.is_empty() {
        o.push_str("no router matches this request\n");
        return o;
    }
    o.push_str("matching routers in evaluation order:\n");
    for (i, c) in d.candidates.iter().enumerate() {
        let prio = if c.explicit_priority {
            format!("priority {}", c.priority)
        } else {
            format!("priority {} (default)", c.priority)
        };
        let verdict = match &c.outcome {
            Outcome::Winner => "WINNER".to_string(),
            Outcome::Tied => "TIED (nondeterministic)".to_string(),
            Outcome::Lost { to, reason } => format!("lost to {to}: {reason}"),
        };
        let layer = if c.layer == Layer::Tcp { "tcp " } else { "" };
        o.push_str(&format!(
            "  {}. {layer}{}  [{prio}]  {verdict}\n     rule: {}\n",
            i + 1,
            c.router,
            c.rule
        ));
        let s = src(&c.source);
        if !s.is_empty() {
            o.push_str(&format!("     at {s}\n"));
        }
    }
    o
}

#[derive(Serialize)]
struct RouteRow {
    router: String,
    provider: String,
    priority: i64,
    #[serde(rename = "explicitPriority")]
    explicit_priority: bool,
    #[serde(rename = "providerRank")]
    provider_rank: i64,
    rule: String,
    #[serde(rename = "tiedWithPrevious")]
    tied_with_previous: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<SourceRef>,
}

#[derive(Serialize)]
struct EpRows {
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    tcp: Vec<RouteRow>,
    http: Vec<RouteRow>,
    #[serde(rename = "tcpTLS")]
    tcp_tls: Vec<RouteRow>,
    https: Vec<RouteRow>,
    #[serde(rename = "httpsSNI")]
    https_sni: Vec<String>,
}

fn rows<R>(list: &[Route<R>], rule: impl Fn(&R) -> &str) -> Vec<RouteRow> {
    list.iter()
        .enumerate()
        .map(|(i, r)| RouteRow {
            router: r.name.clone(),
            provider: r.provider.clone(),
            priority: r.priority,
            explicit_priority: r.explicit_priority,
            provider_rank: r.provider_rank,
            rule: rule(&r.rule).to_string(),
            tied_with_previous: i > 0 && list[i - 1].key() == r.key(),
            source: r.source.clone(),
        })
        .collect()
}

/// `syncctl routes`.
pub fn routes(args: RoutesArgs) -> Result<ExitCode> {
    let table = build_table(&args.sources)?;
    if let Some(ep) = &args.entrypoint
        && !table.entry_points.contains_key(ep)
    {
        bail!(
            "unknown entry point {ep:?}; entry points: {}",
            table
                .entry_points
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut out: std::collections::BTreeMap<String, EpRows> = Default::default();
    for (name, e) in &table.entry_points {
        if args.entrypoint.as_ref().is_some_and(|x| x != name) {
            continue;
        }
        out.insert(
            name.clone(),
            EpRows {
                address: e.address.clone(),
                tcp: rows(&e.tcp, |r| r.rule()),
                http: rows(&e.http, |r| r.rule()),
                tcp_tls: rows(&e.tcp_tls, |r| r.rule()),
                https: rows(&e.https, |r| r.rule()),
                https_sni: e.https_sni.clone(),
            },
        );
    }
    let overlaps: Vec<_> = if args.overlaps {
        sync_core::routing::overlap::analyze(&table)
            .into_iter()
            .filter(|o| args.entrypoint.as_ref().is_none_or(|x| *x == o.entrypoint))
            .collect()
    } else {
        Vec::new()
    };
    match args.format {
        RouteFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "precedence": table.precedence,
                "entryPoints": out,
                "overlaps": overlaps,
            }))?
        ),
        RouteFormat::Text => {
            let mut o = String::new();
            if !table.static_known {
                o.push_str("note: no --static given: entry points are the ones routers name; routers without entryPoints are listed on all of them\n");
            }
            match &table.precedence {
                Some(p) => o.push_str(&format!("providers.precedence: {}\n", p.join(", "))),
                None => o.push_str("providers.precedence: not set (equal priorities across providers are random)\n"),
            }
            for (name, e) in &out {
                o.push_str(&format!(
                    "\nentry point {name}{}\n",
                    e.address
                        .as_ref()
                        .map(|a| format!(" ({a})"))
                        .unwrap_or_default()
                ));
                for (title, list) in [
                    (
                        "TCP routers, plain connections (evaluated before HTTP)",
                        &e.tcp,
                    ),
                    ("HTTP routers", &e.http),
                    ("TCP routers, TLS connections", &e.tcp_tls),
                    ("HTTPS routers", &e.https),
                ] {
                    if list.is_empty() {
                        continue;
                    }
                    o.push_str(&format!("  {title}:\n"));
                    for (i, r) in list.iter().enumerate() {
                        let tie = if r.tied_with_previous {
                            "  = TIED with previous (order undefined)"
                        } else {
                            ""
                        };
                        let p = if r.explicit_priority {
                            r.priority.to_string()
                        } else {
                            format!("{} (default)", r.priority)
                        };
                        o.push_str(&format!(
                            "    {:>3}. {}  priority {p}{tie}\n         rule: {}\n",
                            i + 1,
                            r.router,
                            r.rule
                        ));
                        let s = src(&r.source);
                        if !s.is_empty() {
                            o.push_str(&format!("         at {s}\n"));
                        }
                    }
                }
            }
            if args.overlaps {
                o.push_str(&format!("\noverlaps ({})\n", overlaps.len()));
                for ov in &overlaps {
                    let witness = ov
                        .witness
                        .as_ref()
                        .map(|w| format!(" e.g. {} {}{}", w.method, w.host, w.path))
                        .unwrap_or_default();
                    o.push_str(&format!(
                        "  [{}] {} / {} vs {}: {}{witness}\n",
                        ov.entrypoint,
                        if ov.tls { "https" } else { "http" },
                        ov.first,
                        ov.second,
                        ov.detail
                    ));
                }
            }
            print!("{o}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
