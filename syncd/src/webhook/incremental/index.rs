//! The per-snapshot index of names, mentions and hosts.

use super::walk::{
    always_kept, def, defined_routers, each_object, host_literals, mentions, origin_of,
    router_mentions, strings,
};
use crate::view::{ObjectRef, Snapshot};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use sync_core::decode::crd::decode_manifests_with;
use sync_core::decode::file_provider::SourceFile;
use sync_core::model::Configuration;
use sync_core::objects::{ObjectKind, Origins};
use sync_core::provider::{ProviderConfig, names};

/// Names, mentions and hosts of one snapshot's view.
#[derive(Debug, Default)]
pub struct Index {
    /// The snapshot this index belongs to: generation and report address.
    pub(super) key: (u64, usize),
    /// The CRD provider of the view, decoded.
    pub(super) crd: Option<ProviderConfig>,
    /// Qualified names each Kubernetes object produced.
    pub(super) produced: HashMap<ObjectRef, Vec<String>>,
    /// Qualified name → qualified names it mentions.
    pub(super) down: HashMap<String, HashSet<String>>,
    /// Qualified name → qualified names of objects mentioning it.
    pub(super) up: HashMap<String, HashSet<String>>,
    /// Host literal → HTTP routers whose rule has it.
    pub(super) hosts: HashMap<String, Vec<String>>,
    /// Routers (and what the static configuration names) always in a slice.
    pub(super) always: Vec<String>,
    /// For each object, one router whose references reach it (its use
    /// decides some of its findings).
    pub(super) anchor: HashMap<String, String>,
    /// Qualified name → the Kubernetes objects producing it.
    pub(super) producers: HashMap<String, Vec<ObjectRef>>,
    /// Qualified names of all routers.
    pub(super) is_router: HashSet<String>,
    /// Kubernetes objects other than `traefik.io` ones, by name.
    pub(super) core_by_name: HashMap<String, Vec<Arc<SourceFile>>>,
    /// EndpointSlices by the name of their Service.
    pub(super) slices_by_service: HashMap<String, Vec<Arc<SourceFile>>>,
    /// Objects every decode needs (Nodes).
    pub(super) core_always: Vec<Arc<SourceFile>>,
}

/// Direct router users of an object kept in a slice beside its anchor.
pub(super) const MAX_DIRECT_USERS: usize = 8;

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
                } else if !crate::webhook::admission::KINDS.contains(&key.kind.as_str()) {
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
    pub(super) fn decode_alone(
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

pub(super) fn key_of(snapshot: &Snapshot) -> (u64, usize) {
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
