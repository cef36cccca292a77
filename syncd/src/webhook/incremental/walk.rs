//! Walking Traefik's configuration model for the slices: qualified names,
//! the names an object mentions, host literals of rules, and cutting a
//! configuration down to a set of names.

use crate::view::ObjectRef;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use sync_core::model::Configuration;
use sync_core::objects::{ObjectKind, Origins};

pub(super) fn qualify(name: &str, provider: &str) -> String {
    if name.contains('@') {
        name.to_string()
    } else {
        format!("{name}@{provider}")
    }
}

/// The qualified name of an object a provider defines (names may contain
/// `@` themselves: the provider is always appended).
pub(super) fn def(name: &str, provider: &str) -> String {
    format!("{name}@{provider}")
}

pub(super) fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

pub(super) fn mentions<T: Serialize>(obj: &T, provider: &str) -> HashSet<String> {
    let mut raw = Vec::new();
    if let Ok(v) = serde_json::to_value(obj) {
        strings(&v, &mut raw);
    }
    let mut out = HashSet::new();
    for s in raw {
        // `a@b` may be a qualified reference or a local name with `@`: both.
        if s.contains('@') {
            out.insert(def(&s, provider));
        }
        out.insert(qualify(&s, provider));
    }
    out
}

/// Host literals of a rule: every back-quoted or double-quoted literal when
/// the rule has a `Host` matcher; `None` when it has none (or a regexp host),
/// so that it may match any host.
pub fn host_literals(rule: &str) -> Option<Vec<String>> {
    let lower = rule.to_ascii_lowercase();
    if !lower.contains("host(") && !lower.contains("hostsni(") || lower.contains("hostregexp") {
        return None;
    }
    let mut out = Vec::new();
    let mut cur: Option<(char, String)> = None;
    for c in rule.chars() {
        match &mut cur {
            Some((q, s)) if c == *q => {
                out.push(s.to_ascii_lowercase());
                cur = None;
            }
            Some((_, s)) => s.push(c),
            None if c == '`' || c == '"' => cur = Some((c, String::new())),
            None => {}
        }
    }
    Some(out)
}

/// Visit every object of a configuration with its kind and name.
pub(super) fn each_object(
    cfg: &Configuration,
    mut f: impl FnMut(ObjectKind, &str, HashSet<String>, Option<&str>),
    provider: &str,
) {
    if let Some(h) = &cfg.http {
        for (n, r) in &h.routers {
            f(
                ObjectKind::HttpRouter,
                n,
                mentions(r, provider),
                Some(&r.rule),
            );
        }
        for (n, o) in &h.services {
            f(ObjectKind::HttpService, n, mentions(o, provider), None);
        }
        for (n, o) in &h.middlewares {
            f(ObjectKind::HttpMiddleware, n, mentions(o, provider), None);
        }
        for (n, o) in &h.servers_transports {
            f(
                ObjectKind::HttpServersTransport,
                n,
                mentions(o, provider),
                None,
            );
        }
    }
    if let Some(t) = &cfg.tcp {
        for (n, o) in &t.services {
            f(ObjectKind::TcpService, n, mentions(o, provider), None);
        }
        for (n, o) in &t.middlewares {
            f(ObjectKind::TcpMiddleware, n, mentions(o, provider), None);
        }
        for (n, o) in &t.servers_transports {
            f(
                ObjectKind::TcpServersTransport,
                n,
                mentions(o, provider),
                None,
            );
        }
    }
    if let Some(u) = &cfg.udp {
        for (n, o) in &u.services {
            f(ObjectKind::UdpService, n, mentions(o, provider), None);
        }
    }
}

/// The routers (and TLS/model objects) kept in every slice.
pub(super) fn always_kept(cfg: &Configuration, provider: &str, out: &mut Vec<String>) {
    if let Some(t) = &cfg.tcp {
        out.extend(t.routers.keys().map(|n| def(n, provider)));
    }
    if let Some(u) = &cfg.udp {
        out.extend(u.routers.keys().map(|n| def(n, provider)));
    }
}

/// Mentions of TCP/UDP routers (they are always kept, their references too).
pub(super) fn router_mentions(
    cfg: &Configuration,
    provider: &str,
    mut f: impl FnMut(String, HashSet<String>),
) {
    if let Some(t) = &cfg.tcp {
        for (n, r) in &t.routers {
            f(def(n, provider), mentions(r, provider));
        }
    }
    if let Some(u) = &cfg.udp {
        for (n, r) in &u.routers {
            f(def(n, provider), mentions(r, provider));
        }
    }
}

/// Keep only the objects whose qualified name is in `keep` (TLS settings and
/// models are kept whole).
pub(super) fn slice_config(
    cfg: &Configuration,
    provider: &str,
    keep: &HashSet<String>,
) -> Configuration {
    // The slice is small and the view large: look the kept names up rather
    // than scanning the maps, then restore the maps' order (Traefik's
    // results can depend on it).
    let suffix = format!("@{provider}");
    let local: Vec<&str> = keep
        .iter()
        .filter_map(|n| n.strip_suffix(suffix.as_str()))
        .collect();
    macro_rules! filt {
        ($map:expr) => {{
            let mut found: Vec<_> = local.iter().filter_map(|n| $map.get_full(*n)).collect();
            found.sort_by_key(|(i, _, _)| *i);
            found
                .into_iter()
                .map(|(_, n, v)| (n.clone(), v.clone()))
                .collect()
        }};
    }
    let mut out = Configuration {
        tls: cfg.tls.clone(),
        ..Configuration::default()
    };
    if let Some(h) = &cfg.http {
        let mut s = sync_core::model::HttpConfiguration {
            models: h.models.clone(),
            ..Default::default()
        };
        s.routers = filt!(h.routers);
        s.services = filt!(h.services);
        s.middlewares = filt!(h.middlewares);
        s.servers_transports = filt!(h.servers_transports);
        out.http = Some(s);
    }
    if let Some(t) = &cfg.tcp {
        out.tcp = Some(sync_core::model::TcpConfiguration {
            routers: filt!(t.routers),
            services: filt!(t.services),
            middlewares: filt!(t.middlewares),
            servers_transports: filt!(t.servers_transports),
        });
    }
    if let Some(u) = &cfg.udp {
        out.udp = Some(sync_core::model::UdpConfiguration {
            routers: filt!(u.routers),
            services: filt!(u.services),
        });
    }
    out
}

/// The qualified names of a configuration's routers.
pub(super) fn defined_routers(cfg: &Configuration, provider: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(h) = &cfg.http {
        out.extend(h.routers.keys().map(|n| def(n, provider)));
    }
    if let Some(t) = &cfg.tcp {
        out.extend(t.routers.keys().map(|n| def(n, provider)));
    }
    if let Some(u) = &cfg.udp {
        out.extend(u.routers.keys().map(|n| def(n, provider)));
    }
    out
}

/// Every qualified name a configuration defines.
pub(super) fn defined(cfg: &Configuration, provider: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |n: &String| out.push(def(n, provider));
    if let Some(h) = &cfg.http {
        h.routers.keys().for_each(&mut add);
        h.services.keys().for_each(&mut add);
        h.middlewares.keys().for_each(&mut add);
        h.servers_transports.keys().for_each(&mut add);
    }
    if let Some(t) = &cfg.tcp {
        t.routers.keys().for_each(&mut add);
        t.services.keys().for_each(&mut add);
        t.middlewares.keys().for_each(&mut add);
        t.servers_transports.keys().for_each(&mut add);
    }
    if let Some(u) = &cfg.udp {
        u.routers.keys().for_each(&mut add);
        u.services.keys().for_each(&mut add);
    }
    if let Some(t) = &cfg.tls {
        t.options.keys().for_each(&mut add);
        t.stores.keys().for_each(&mut add);
    }
    out
}

/// The Kubernetes object a decoded object came from.
pub(super) fn origin_of(origins: &Origins, kind: ObjectKind, name: &str) -> Option<ObjectRef> {
    let s = origins.get(kind, name)?;
    Some(ObjectRef {
        kind: s.kind.clone()?,
        namespace: s.namespace.clone().unwrap_or_default(),
        name: s.name.clone()?,
    })
}

/// Add `extra`'s objects to `cfg` (names do not collide: they come from
/// different Kubernetes objects).
pub(super) fn merge_into(cfg: &mut Configuration, extra: Configuration) {
    if let Some(h) = extra.http {
        let t = cfg.http.get_or_insert_with(Default::default);
        t.routers.extend(h.routers);
        t.services.extend(h.services);
        t.middlewares.extend(h.middlewares);
        t.servers_transports.extend(h.servers_transports);
    }
    if let Some(x) = extra.tcp {
        let t = cfg.tcp.get_or_insert_with(Default::default);
        t.routers.extend(x.routers);
        t.services.extend(x.services);
        t.middlewares.extend(x.middlewares);
        t.servers_transports.extend(x.servers_transports);
    }
    if let Some(x) = extra.udp {
        let t = cfg.udp.get_or_insert_with(Default::default);
        t.routers.extend(x.routers);
        t.services.extend(x.services);
    }
    if let Some(x) = extra.tls {
        let t = cfg.tls.get_or_insert_with(Default::default);
        t.options.extend(x.options);
        t.stores.extend(x.stores);
        t.certificates.extend(x.certificates);
    }
}
