//! Helpers for the validate tests: providers from YAML, a static config like the probe's.
#![allow(dead_code)]

use sync_core::decode::file_provider::{SourceFile, decode_provider};
use sync_core::provider::ProviderConfig;
use sync_core::report::{Report, Status};
use sync_core::static_config::StaticConfig;

/// The static configuration the expectations were recorded with (entry points
/// `traefik`, `web`, `websecure`, `dns` (udp), API on).
pub const STATIC: &str = "entryPoints:\n  traefik:\n    address: ':8080'\n  web:\n    address: ':80'\n  websecure:\n    address: ':443'\n  dns:\n    address: ':53/udp'\napi:\n  insecure: true\n";

pub fn static_cfg() -> StaticConfig {
    StaticConfig::parse("static.yml", STATIC).expect("static config")
}

pub fn static_with(extra: &str) -> StaticConfig {
    StaticConfig::parse("static.yml", &format!("{STATIC}{extra}")).expect("static config")
}

/// A file provider made of one YAML file.
pub fn file(yaml: &str) -> ProviderConfig {
    decode_provider(&[SourceFile {
        path: "dyn.yml".into(),
        content: yaml.as_bytes().to_vec(),
    }])
}

/// The same YAML decoded, renamed to another provider (e.g. `consul`).
pub fn as_provider(name: &str, yaml: &str) -> ProviderConfig {
    let mut p = file(yaml);
    p.name = name.to_string();
    p
}

pub fn validate(yaml: &str) -> Report {
    sync_core::validate::validate(Some(&static_cfg()), &[file(yaml)])
}

/// `(status, errors)` of an HTTP router.
pub fn router(r: &Report, name: &str) -> (Status, Vec<String>) {
    let x = r.http.routers.get(name).unwrap_or_else(|| {
        panic!(
            "no router {name}: {:?}",
            r.http.routers.keys().collect::<Vec<_>>()
        )
    });
    (x.status, x.errors.clone())
}

pub fn service(r: &Report, name: &str) -> (Status, Vec<String>) {
    let x = r
        .http
        .services
        .get(name)
        .unwrap_or_else(|| panic!("no service {name}"));
    (x.status, x.errors.clone())
}

pub fn middleware(r: &Report, name: &str) -> (Status, Vec<String>) {
    let x = r
        .http
        .middlewares
        .get(name)
        .unwrap_or_else(|| panic!("no middleware {name}"));
    (x.status, x.errors.clone())
}

pub fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

pub fn codes(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code).collect()
}

fn pylist(v: &[String]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("'{x}'")).collect();
    format!("[{}]", items.join(", "))
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Enabled => "enabled",
        Status::Warning => "warning",
        Status::Disabled => "disabled",
    }
}

/// The report in the line format of the probe script that recorded Traefik's API
/// (`<kind> <name> <status> [prio=] [eps=] [usedBy=]`, then `    ! <error>` lines).
pub fn dump(r: &Report) -> String {
    let mut out = String::new();
    let mut router = |kind: &str, name: &str, x: &sync_core::report::RouterReport| {
        let mut extra = String::new();
        if x.priority != 0 {
            extra.push_str(&format!(" prio={}", x.priority));
        }
        if !x.entry_points.is_empty() {
            extra.push_str(&format!(" eps={}", pylist(&x.entry_points)));
        }
        out.push_str(&format!("{kind} {name} {}{extra}\n", status_word(x.status)));
        for e in &x.errors {
            out.push_str(&format!("    ! {e}\n"));
        }
    };
    for (n, x) in &r.http.routers {
        router("http/routers", n, x);
    }
    let lines = |kind: &str,
                 objs: &std::collections::BTreeMap<String, sync_core::report::ObjectReport>,
                 out: &mut String| {
        for (n, x) in objs {
            let extra = if x.used_by.is_empty() {
                String::new()
            } else {
                format!(" usedBy={}", pylist(&x.used_by))
            };
            out.push_str(&format!("{kind} {n} {}{extra}\n", status_word(x.status)));
            for e in &x.errors {
                out.push_str(&format!("    ! {e}\n"));
            }
        }
    };
    lines("http/services", &r.http.services, &mut out);
    lines("http/middlewares", &r.http.middlewares, &mut out);
    let mut tcp = String::new();
    for (n, x) in &r.tcp.routers {
        let mut extra = String::new();
        if x.priority != 0 {
            extra.push_str(&format!(" prio={}", x.priority));
        }
        if !x.entry_points.is_empty() {
            extra.push_str(&format!(" eps={}", pylist(&x.entry_points)));
        }
        tcp.push_str(&format!(
            "tcp/routers {n} {}{extra}\n",
            status_word(x.status)
        ));
        for e in &x.errors {
            tcp.push_str(&format!("    ! {e}\n"));
        }
    }
    out.push_str(&tcp);
    lines("tcp/services", &r.tcp.services, &mut out);
    lines("tcp/middlewares", &r.tcp.middlewares, &mut out);
    for (n, x) in &r.udp.routers {
        let extra = if x.entry_points.is_empty() {
            String::new()
        } else {
            format!(" eps={}", pylist(&x.entry_points))
        };
        out.push_str(&format!(
            "udp/routers {n} {}{extra}\n",
            status_word(x.status)
        ));
        for e in &x.errors {
            out.push_str(&format!("    ! {e}\n"));
        }
    }
    lines("udp/services", &r.udp.services, &mut out);
    out
}
