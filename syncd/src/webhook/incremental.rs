//! The admission verdict without re-validating the whole view.
//!
//! Full re-validation of 10,000 routers takes about half a second; the API
//! server waits for the webhook. The verdict only depends on what differs
//! between the view before and after the change, so both are validated on a
//! slice of the view:
//!
//! * `T`: the objects the changed Kubernetes object produces, before (from the
//!   snapshot's CRD decode, by provenance) and after (decoding the new object
//!   alone with the Kubernetes objects it names: Services, their
//!   EndpointSlices, Secrets, ConfigMaps);
//! * everything that mentions something in the slice, transitively (routers of
//!   any provider using a middleware, chains, weighted services, child routers);
//! * routers that may overlap or share TLS settings with those routers (same
//!   host literal), routers without a host literal, all TCP and UDP routers, all
//!   TLS options, stores and models (few, and they interact across routers);
//! * everything the above references, transitively.
//!
//! "Mentions" is any string inside an object's configuration, qualified with
//! the object's provider: a superset of the real references, so the slice is
//! never too small. Findings and statuses of objects outside the slice are the
//! same before and after the change, so they cancel in the comparison. The
//! equality with the full verdict is tested on the corpus and the examples.
//!
//! The index (names, mentions, hosts, the CRD decode) is built once per
//! snapshot and cached.

use super::decision::{Operation, Verdict, decide};
use crate::view::{CrdChange, ObjectRef, Snapshot};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use sync_core::decode::crd::decode_manifests_with;
use sync_core::decode::file_provider::SourceFile;
use sync_core::model::Configuration;
use sync_core::objects::{ObjectKind, Origins};
use sync_core::provider::{ProviderConfig, names};
use sync_core::report::Report;

/// Names, mentions and hosts of one snapshot's view.
#[derive(Debug, Default)]
pub struct Index {
    /// The snapshot this index belongs to: generation and report address.
    key: (u64, usize),
    /// The CRD provider of the view, decoded.
    crd: Option<ProviderConfig>,
    /// Qualified names each Kubernetes object produced.
    produced: HashMap<ObjectRef, Vec<String>>,
    /// Qualified name → qualified names it mentions.
    down: HashMap<String, HashSet<String>>,
    /// Qualified name → qualified names of objects mentioning it.
    up: HashMap<String, HashSet<String>>,
    /// Host literal → HTTP routers whose rule has it.
    hosts: HashMap<String, Vec<String>>,
    /// Routers (and what the static configuration names) always in a slice.
    always: Vec<String>,
    /// For each object, one router whose references reach it (its use
    /// decides some of its findings).
    anchor: HashMap<String, String>,
    /// Qualified name → the Kubernetes objects producing it.
    producers: HashMap<String, Vec<ObjectRef>>,
    /// Qualified names of all routers.
    is_router: HashSet<String>,
    /// Kubernetes objects other than `traefik.io` ones, by name.
    core_by_name: HashMap<String, Vec<Arc<SourceFile>>>,
    /// EndpointSlices by the name of their Service.
    slices_by_service: HashMap<String, Vec<Arc<SourceFile>>>,
    /// Objects every decode needs (Nodes).
    core_always: Vec<Arc<SourceFile>>,
}

/// Direct router users of an object kept in a slice beside its anchor.
const MAX_DIRECT_USERS: usize = 8;

fn qualify(name: &str, provider: &str) -> String {
    if name.contains('@') {
        name.to_string()
    } else {
        format!("{name}@{provider}")
    }
}

/// The qualified name of an object a provider defines (names may contain
/// `@` themselves: the provider is always appended).
fn def(name: &str, provider: &str) -> String {
    format!("{name}@{provider}")
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn mentions<T: Serialize>(obj: &T, provider: &str) -> HashSet<String> {
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
fn each_object(
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
fn always_kept(cfg: &Configuration, provider: &str, out: &mut Vec<String>) {
    if let Some(t) = &cfg.tcp {
        out.extend(t.routers.keys().map(|n| def(n, provider)));
    }
    if let Some(u) = &cfg.udp {
        out.extend(u.routers.keys().map(|n| def(n, provider)));
    }
}

/// Mentions of TCP/UDP routers (they are always kept, their references too).
fn router_mentions(
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
fn slice_config(cfg: &Configuration, provider: &str, keep: &HashSet<String>) -> Configuration {
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
fn defined_routers(cfg: &Configuration, provider: &str) -> Vec<String> {
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
fn defined(cfg: &Configuration, provider: &str) -> Vec<String> {
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
fn origin_of(origins: &Origins, kind: ObjectKind, name: &str) -> Option<ObjectRef> {
    let s = origins.get(kind, name)?;
    Some(ObjectRef {
        kind: s.kind.clone()?,
        namespace: s.namespace.clone().unwrap_or_default(),
        name: s.name.clone()?,
    })
}

impl Index {
    /// Build the index of a snapshot's view.
    pub fn build(snapshot: &Snapshot) -> Self {
        let inputs = &snapshot.inputs;
        let mut ix = Index {
            key: key_of(snapshot),
            ..Index::default()
        };
        if let Some(crd) = &inputs.crd {
            ix.crd = Some(crd.decode(&inputs.crd_options()));
            for (key, file) in crd.files() {
                let f = Arc::clone(file);
                if key.kind == "Node" {
                    ix.core_always.push(f);
                } else if key.kind == "EndpointSlice" {
                    let svc = serde_json::from_slice::<Value>(&f.content)
                        .ok()
                        .and_then(|v| {
                            v["metadata"]["labels"]["kubernetes.io/service-name"]
                                .as_str()
                                .map(str::to_string)
                        });
                    if let Some(svc) = svc {
                        ix.slices_by_service.entry(svc).or_default().push(f);
                    }
                } else if !super::admission::KINDS.contains(&key.kind.as_str()) {
                    ix.core_by_name.entry(key.name.clone()).or_default().push(f);
                }
            }
        }
        // Borrowed from the snapshot (the index must not double the view's memory).
        let crd = ix.crd.take();
        let providers: Vec<&ProviderConfig> = inputs
            .files
            .iter()
            .chain(inputs.consul.iter())
            .chain(crd.iter())
            .collect();
        let mut routers = Vec::new();
        for p in &providers {
            ix.add_config(&p.config, &p.name);
            routers.extend(defined_routers(&p.config, &p.name));
            if p.name == names::KUBERNETES_CRD {
                ix.add_produced(&p.config, &p.origins);
            }
        }
        let provider_names: Vec<String> = providers.iter().map(|p| p.name.clone()).collect();
        ix.crd = crd;
        // Entry-point middlewares and TLS apply to routers without being named by them.
        if let Some(st) = &inputs.static_cfg {
            for ep in st.entry_points.values() {
                let mut m = mentions(&ep.http_middlewares, "internal");
                if let Some(tls) = &ep.http_tls {
                    m.extend(mentions(tls, "internal"));
                }
                for n in m {
                    let base = n
                        .rsplit_once('@')
                        .map(|(b, _)| b.to_string())
                        .unwrap_or_default();
                    for p in &provider_names {
                        ix.always.push(def(&base, p));
                    }
                    ix.always.push(n);
                }
            }
        }
        for (o, ns) in &ix.produced {
            for n in ns {
                ix.producers.entry(n.clone()).or_default().push(o.clone());
            }
        }
        routers.sort();
        ix.is_router = routers.iter().cloned().collect();
        for r in routers {
            let mut stack = vec![r.clone()];
            while let Some(n) = stack.pop() {
                for m in ix.down.get(&n).into_iter().flatten() {
                    if !ix.anchor.contains_key(m) {
                        ix.anchor.insert(m.clone(), r.clone());
                        stack.push(m.clone());
                    }
                }
            }
        }
        ix
    }

    fn add_config(&mut self, cfg: &Configuration, provider: &str) {
        let mut entries: Vec<(String, HashSet<String>, Option<String>, bool)> = Vec::new();
        each_object(
            cfg,
            |kind, n, m, rule| {
                entries.push((
                    def(n, provider),
                    m,
                    rule.map(str::to_string),
                    kind == ObjectKind::HttpRouter,
                ))
            },
            provider,
        );
        router_mentions(cfg, provider, |n, m| entries.push((n, m, None, false)));
        always_kept(cfg, provider, &mut self.always);
        for (name, m, rule, is_http_router) in entries {
            if is_http_router {
                match rule.as_deref().and_then(host_literals) {
                    Some(hosts) => {
                        for h in hosts {
                            self.hosts.entry(h).or_default().push(name.clone());
                        }
                    }
                    None => self.always.push(name.clone()),
                }
            }
            for target in &m {
                self.up
                    .entry(target.clone())
                    .or_default()
                    .insert(name.clone());
            }
            self.down.entry(name).or_default().extend(m);
        }
    }

    fn add_produced(&mut self, cfg: &Configuration, origins: &Origins) {
        let mut add = |kind: ObjectKind, n: &String| {
            if let Some(o) = origin_of(origins, kind, n) {
                self.produced
                    .entry(o)
                    .or_default()
                    .push(def(n, names::KUBERNETES_CRD));
            }
        };
        if let Some(h) = &cfg.http {
            h.routers
                .keys()
                .for_each(|n| add(ObjectKind::HttpRouter, n));
            h.services
                .keys()
                .for_each(|n| add(ObjectKind::HttpService, n));
            h.middlewares
                .keys()
                .for_each(|n| add(ObjectKind::HttpMiddleware, n));
            h.servers_transports
                .keys()
                .for_each(|n| add(ObjectKind::HttpServersTransport, n));
        }
        if let Some(t) = &cfg.tcp {
            t.routers.keys().for_each(|n| add(ObjectKind::TcpRouter, n));
            t.services
                .keys()
                .for_each(|n| add(ObjectKind::TcpService, n));
            t.middlewares
                .keys()
                .for_each(|n| add(ObjectKind::TcpMiddleware, n));
            t.servers_transports
                .keys()
                .for_each(|n| add(ObjectKind::TcpServersTransport, n));
        }
        if let Some(u) = &cfg.udp {
            u.routers.keys().for_each(|n| add(ObjectKind::UdpRouter, n));
            u.services
                .keys()
                .for_each(|n| add(ObjectKind::UdpService, n));
        }
        if let Some(t) = &cfg.tls {
            t.options.keys().for_each(|n| add(ObjectKind::TlsOption, n));
            t.stores.keys().for_each(|n| add(ObjectKind::TlsStore, n));
        }
    }

    /// Decode one new object with the Kubernetes objects it names.
    fn decode_alone(
        &self,
        obj: &Value,
        group: &[ObjectRef],
        snapshot: &Snapshot,
    ) -> ProviderConfig {
        let mut raw = Vec::new();
        strings(obj, &mut raw);
        // The group's objects: their text, and the Kubernetes objects they name.
        let mut traefik: Vec<(ObjectRef, SourceFile)> = Vec::new();
        if let Some(crd) = &snapshot.inputs.crd {
            for g in group {
                if let Some(f) = crd.get(g) {
                    if let Ok(v) = serde_json::from_slice::<Value>(&f.content) {
                        strings(&v, &mut raw);
                    }
                    traefik.push((g.clone(), (**f).clone()));
                }
            }
        }
        let mut files: Vec<SourceFile> = Vec::new();
        let mut seen = HashSet::new();
        let mut push = |f: &Arc<SourceFile>, files: &mut Vec<SourceFile>| {
            if seen.insert(f.path.clone()) {
                files.push((**f).clone());
            }
        };
        for f in &self.core_always {
            push(f, &mut files);
        }
        for s in &raw {
            for f in self.core_by_name.get(s).into_iter().flatten() {
                push(f, &mut files);
            }
            for f in self.slices_by_service.get(s).into_iter().flatten() {
                push(f, &mut files);
            }
        }
        if let Some(key) = ObjectRef::of(obj) {
            let file = SourceFile {
                path: format!("kubernetes:{}", key.display()),
                content: serde_json::to_vec(obj).unwrap_or_default(),
            };
            traefik.retain(|(k, _)| *k != key);
            traefik.push((key, file));
        }
        // In the view's order (by identity): which of two producers of one
        // name gets the collision finding depends on it.
        traefik.sort_by(|a, b| a.0.cmp(&b.0));
        files.extend(traefik.into_iter().map(|(_, f)| f));
        decode_manifests_with(&files, &snapshot.inputs.crd_options())
    }
}

fn key_of(snapshot: &Snapshot) -> (u64, usize) {
    (snapshot.generation, Arc::as_ptr(&snapshot.report) as usize)
}

/// The index of a snapshot, built on first use and kept for the snapshot's
/// lifetime (one entry: the daemon serves one snapshot at a time).
pub fn index_for(snapshot: &Snapshot) -> Arc<Index> {
    static CACHE: Mutex<Option<Arc<Index>>> = Mutex::new(None);
    let key = key_of(snapshot);
    let mut guard = match CACHE.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some(ix) = guard.as_ref()
        && ix.key == key
    {
        return Arc::clone(ix);
    }
    let ix = Arc::new(Index::build(snapshot));
    *guard = Some(Arc::clone(&ix));
    ix
}

/// Findings about one Kubernetes object.
fn findings_of(p: &ProviderConfig, key: &ObjectRef) -> Vec<sync_core::finding::Finding> {
    p.findings
        .iter()
        .filter(|f| {
            f.source.as_ref().is_some_and(|s| {
                s.kind.as_deref() == Some(key.kind.as_str())
                    && s.name.as_deref() == Some(key.name.as_str())
                    && s.namespace.as_deref().unwrap_or_default() == key.namespace
            })
        })
        .cloned()
        .collect()
}

/// The verdict for one change, on slices of the view.
pub fn judge_change(
    snapshot: &Snapshot,
    op: Operation,
    key: &ObjectRef,
    change: &CrdChange,
) -> Verdict {
    let ix = index_for(snapshot);
    let empty = ProviderConfig::empty(names::KUBERNETES_CRD);
    let crd_before = ix.crd.as_ref().unwrap_or(&empty);
    let old_names: Vec<String> = ix.produced.get(key).cloned().unwrap_or_default();
    // Objects that produce a name the new object also produces: decoded with
    // it, since the decoder reports name collisions between producers.
    let mut group: Vec<ObjectRef> = Vec::new();
    let new_decoded = match change {
        CrdChange::Apply(obj) => {
            let alone = ix.decode_alone(obj, &[], snapshot);
            let mut g: Vec<ObjectRef> = defined(&alone.config, names::KUBERNETES_CRD)
                .iter()
                .flat_map(|n| ix.producers.get(n).into_iter().flatten())
                .filter(|o| *o != key)
                .cloned()
                .collect();
            g.sort();
            g.dedup();
            if g.is_empty() {
                Some(alone)
            } else {
                let p = ix.decode_alone(obj, &g, snapshot);
                group = g;
                Some(p)
            }
        }
        CrdChange::Delete(_) => None,
    };
    let new_names: Vec<String> = new_decoded
        .as_ref()
        .map(|p| {
            // Only what the changed object itself produced (the Services etc.
            // decoded beside it produce nothing in Traefik's model).
            defined(&p.config, names::KUBERNETES_CRD)
        })
        .unwrap_or_default();

    // The slice: T, upward closure, same-host and always-kept routers, then
    // the downward closure of all of it.
    let mut keep: HashSet<String> = HashSet::new();
    let mut stack: Vec<String> = old_names.iter().chain(new_names.iter()).cloned().collect();
    while let Some(n) = stack.pop() {
        if keep.insert(n.clone()) {
            stack.extend(ix.up.get(&n).into_iter().flatten().cloned());
        }
    }
    let mut host_keys: Vec<String> = Vec::new();
    let mut wide = false;
    let mut collect_hosts = |cfg: &Configuration, provider: &str, keep: &HashSet<String>| {
        let suffix = format!("@{provider}");
        if let Some(h) = &cfg.http {
            for n in keep.iter().filter_map(|n| n.strip_suffix(suffix.as_str())) {
                if let Some(r) = h.routers.get(n) {
                    match host_literals(&r.rule) {
                        Some(hs) => host_keys.extend(hs),
                        None => wide = true,
                    }
                }
            }
        }
    };
    let others: Vec<&ProviderConfig> = snapshot
        .inputs
        .files
        .iter()
        .chain(snapshot.inputs.consul.iter())
        .collect();
    for p in others.iter().copied().chain(std::iter::once(crd_before)) {
        collect_hosts(&p.config, &p.name, &keep);
    }
    if let Some(p) = &new_decoded {
        collect_hosts(&p.config, names::KUBERNETES_CRD, &keep);
    }
    if wide {
        // A router that may match any host overlaps every router: the slice
        // would be the whole view.
        return full(snapshot, op, key, change);
    }
    let mut seeds: Vec<String> = keep.iter().cloned().collect();
    for h in &host_keys {
        seeds.extend(ix.hosts.get(h).into_iter().flatten().cloned());
    }
    seeds.extend(ix.always.iter().cloned());
    // New objects' own mentions (they are not in the index).
    if let Some(p) = &new_decoded {
        each_object(
            &p.config,
            |_, _, m, _| seeds.extend(m),
            names::KUBERNETES_CRD,
        );
        router_mentions(&p.config, names::KUBERNETES_CRD, |_, m| seeds.extend(m));
        always_kept(&p.config, names::KUBERNETES_CRD, &mut seeds);
    }
    keep.extend(seeds);
    // Downward closure; whether an object is used at all changes its
    // findings, so each object also keeps one of its users (and that one's
    // references), up to a router.
    let mut stack: Vec<String> = keep.iter().cloned().collect();
    while let Some(n) = stack.pop() {
        for m in ix.down.get(&n).into_iter().flatten() {
            if keep.insert(m.clone()) {
                stack.push(m.clone());
            }
        }
        if let Some(r) = ix.anchor.get(&n)
            && keep.insert(r.clone())
        {
            stack.push(r.clone());
        }
        // Names are not kind-qualified (a service and a middleware may share
        // one): a few direct router users are all kept, not only the anchor.
        if let Some(users) = ix.up.get(&n) {
            let direct: Vec<&String> = users.iter().filter(|u| ix.is_router.contains(*u)).collect();
            if direct.len() <= MAX_DIRECT_USERS {
                for u in direct {
                    if keep.insert(u.clone()) {
                        stack.push(u.clone());
                    }
                }
            }
        }
    }

    let slice = |p: &ProviderConfig| ProviderConfig {
        name: p.name.clone(),
        status: p.status.clone(),
        config: slice_config(&p.config, &p.name, &keep),
        origins: Origins::default(),
        findings: Vec::new(),
    };
    let mut before: Vec<ProviderConfig> = others.iter().map(|p| slice(p)).collect();
    let mut after = before.clone();
    let mut crd_b = slice(crd_before);
    crd_b.findings = findings_of(crd_before, key);
    for g in &group {
        crd_b.findings.extend(findings_of(crd_before, g));
    }
    // After: the CRD slice without the old object's objects, with the new ones.
    let old_set: HashSet<&String> = old_names.iter().collect();
    let mut crd_a_cfg = slice_config(
        &crd_before.config,
        names::KUBERNETES_CRD,
        &keep
            .iter()
            .filter(|n| !old_set.contains(n))
            .cloned()
            .collect(),
    );
    // TLS settings are kept whole by `slice_config`: take the old object's out.
    if let Some(tls) = crd_a_cfg.tls.as_mut() {
        let gone = |n: &String| old_set.contains(&def(n, names::KUBERNETES_CRD));
        tls.options.retain(|n, _| !gone(n));
        tls.stores.retain(|n, _| !gone(n));
    }
    let mut crd_a_findings = Vec::new();
    if let Some(p) = &new_decoded {
        merge_into(
            &mut crd_a_cfg,
            slice_config(&p.config, names::KUBERNETES_CRD, &keep),
        );
        crd_a_findings = findings_of(p, key);
        for g in &group {
            crd_a_findings.extend(findings_of(p, g));
        }
    }
    let crd_a = ProviderConfig {
        name: names::KUBERNETES_CRD.to_string(),
        status: crd_before.status.clone(),
        config: crd_a_cfg,
        origins: Origins::default(),
        findings: crd_a_findings,
    };
    if ix.crd.is_some() {
        before.push(crd_b);
    }
    after.push(crd_a);
    let r_before: Report =
        sync_core::validate::validate(snapshot.inputs.static_cfg.as_ref(), &before);
    let r_after: Report =
        sync_core::validate::validate(snapshot.inputs.static_cfg.as_ref(), &after);
    decide(op, key, &r_before, &r_after)
}

/// The verdict by full re-validation.
fn full(snapshot: &Snapshot, op: Operation, key: &ObjectRef, change: &CrdChange) -> Verdict {
    let after = snapshot.inputs.report_with_crd_change(change);
    decide(op, key, &snapshot.report, &after)
}

/// Add `extra`'s objects to `cfg` (names do not collide: they come from
/// different Kubernetes objects).
fn merge_into(cfg: &mut Configuration, extra: Configuration) {
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
