//! The merged view syncd keeps: the latest decoded configuration of each
//! source Traefik reads (Kubernetes CRDs, the files directory, Consul KV), and
//! the report the core computes from them.
//!
//! Sans-IO: watchers feed changes in, the HTTP layer, the admission webhook and
//! the Consul gate read the result. A change to one source re-decodes only
//! that source; the merge and validation run over the whole view (Traefik's
//! statuses depend on every provider at once).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use sync_core::decode::crd::{CrdOptions, decode_manifests_with};
use sync_core::decode::file_provider::SourceFile;
use sync_core::provider::{ProviderConfig, names};
use sync_core::report::Report;
use sync_core::static_config::StaticConfig;

/// Identity of one Kubernetes object (the CRD provider's input).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// `kind` (`IngressRoute`, `Middleware`, `Service`, `Secret`, ...).
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// The identity of a Kubernetes object given as JSON, if it has kind and name.
    pub fn of(obj: &serde_json::Value) -> Option<Self> {
        let kind = obj.get("kind")?.as_str()?.to_string();
        let meta = obj.get("metadata")?;
        let name = meta.get("name")?.as_str()?.to_string();
        let namespace = meta
            .get("namespace")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string();
        Some(Self {
            kind,
            namespace,
            name,
        })
    }

    /// `kind namespace/name`, as shown to users.
    pub fn display(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// A change to the CRD source (from a watch event or an admission request).
#[derive(Debug, Clone)]
pub enum CrdChange {
    /// Created or updated: the whole object as JSON.
    Apply(serde_json::Value),
    /// Deleted.
    Delete(ObjectRef),
}

/// The Kubernetes objects the CRD provider reads, keyed by identity.
///
/// Each object is kept as the JSON text the decoder reads, so a change
/// re-serialises one object, not the whole set. The decoded provider is cached
/// until the set changes: a recompute caused by another source (a file, a
/// Consul key) does not decode the CRDs again.
#[derive(Debug, Clone, Default)]
pub struct CrdObjects {
    objects: BTreeMap<ObjectRef, Arc<SourceFile>>,
    /// The last decode and the options it used (cloning shares the decode, an
    /// `Arc`; any change to the set drops it).
    decoded: OnceLock<(CrdOptions, Arc<ProviderConfig>)>,
}

impl CrdObjects {
    /// Apply one change. Objects without kind or name are ignored (the API
    /// server never sends them).
    /// Returns whether the set changed (an identical re-apply, e.g. a re-list
    /// or a status-only update that kept the spec, does not).
    pub fn apply(&mut self, change: &CrdChange) -> bool {
        let changed = match change {
            CrdChange::Apply(obj) => match ObjectRef::of(obj) {
                Some(key) => {
                    let content = serde_json::to_vec(obj).unwrap_or_default();
                    if self.objects.get(&key).is_some_and(|f| f.content == content) {
                        false
                    } else {
                        let path = format!("kubernetes:{}", key.display());
                        self.objects
                            .insert(key, Arc::new(SourceFile { path, content }));
                        true
                    }
                }
                None => false,
            },
            CrdChange::Delete(key) => self.objects.remove(key).is_some(),
        };
        if changed {
            self.decoded = OnceLock::new();
        }
        changed
    }

    /// Replace everything (a watcher's initial list or re-list).
    pub fn replace_all(&mut self, objects: impl IntoIterator<Item = serde_json::Value>) {
        self.objects.clear();
        self.decoded = OnceLock::new();
        for obj in objects {
            self.apply(&CrdChange::Apply(obj));
        }
    }

    /// Replace the objects of one kind (in one namespace, or in all when
    /// `namespace` is `None`) with `objects`: one watcher's (re-)list. Returns
    /// whether the set changed.
    pub fn replace_kind(
        &mut self,
        kind: &str,
        namespace: Option<&str>,
        objects: impl IntoIterator<Item = serde_json::Value>,
    ) -> bool {
        let mut fresh: BTreeMap<ObjectRef, serde_json::Value> = BTreeMap::new();
        for obj in objects {
            if let Some(key) = ObjectRef::of(&obj) {
                fresh.insert(key, obj);
            }
        }
        let stale: Vec<ObjectRef> = self
            .objects
            .keys()
            .filter(|k| {
                k.kind == kind
                    && namespace.is_none_or(|ns| k.namespace == ns)
                    && !fresh.contains_key(*k)
            })
            .cloned()
            .collect();
        let mut changed = false;
        for key in stale {
            changed |= self.apply(&CrdChange::Delete(key));
        }
        for obj in fresh.into_values() {
            changed |= self.apply(&CrdChange::Apply(obj));
        }
        changed
    }

    /// The `metadata.uid` of an object, if present (for Event object references).
    pub fn uid(&self, key: &ObjectRef) -> Option<String> {
        let file = self.objects.get(key)?;
        let obj: serde_json::Value = serde_json::from_slice(&file.content).ok()?;
        Some(obj.get("metadata")?.get("uid")?.as_str()?.to_string())
    }

    /// The `apiVersion` of an object, if present (for Event object references).
    pub fn api_version(&self, key: &ObjectRef) -> Option<String> {
        let file = self.objects.get(key)?;
        let obj: serde_json::Value = serde_json::from_slice(&file.content).ok()?;
        Some(obj.get("apiVersion")?.as_str()?.to_string())
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there is no object.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Whether an object with this identity is present.
    pub fn contains(&self, key: &ObjectRef) -> bool {
        self.objects.contains_key(key)
    }

    /// One object's JSON text, by identity.
    pub fn get(&self, key: &ObjectRef) -> Option<&Arc<SourceFile>> {
        self.objects.get(key)
    }

    /// Every object with its identity, as the JSON text the decoder reads.
    pub fn files(&self) -> impl Iterator<Item = (&ObjectRef, &Arc<SourceFile>)> {
        self.objects.iter()
    }

    /// Decode as Traefik's `kubernetescrd` provider would (cached until the
    /// set or the options change).
    pub fn decode(&self, opts: &CrdOptions) -> ProviderConfig {
        (*self.decode_shared(opts)).clone()
    }

    /// [`Self::decode`] without copying the cached result.
    pub fn decode_shared(&self, opts: &CrdOptions) -> Arc<ProviderConfig> {
        if let Some((o, p)) = self.decoded.get()
            && o == opts
        {
            return p.clone();
        }
        let files: Vec<SourceFile> = self.objects.values().map(|f| (**f).clone()).collect();
        let decoded = Arc::new(decode_manifests_with(&files, opts));
        // A racing initialiser or a cache for other options stays; both are correct.
        let _ = self.decoded.set((opts.clone(), decoded.clone()));
        decoded
    }

    /// Whether a decode for `opts` is cached (the next decode is free).
    pub fn is_decoded(&self, opts: &CrdOptions) -> bool {
        self.decoded.get().is_some_and(|(o, _)| o == opts)
    }
}

/// Every source's latest state; `None` for a source that is not watched.
#[derive(Debug, Clone, Default)]
pub struct ViewInputs {
    /// Traefik's static configuration (`--static`), for entry points,
    /// precedence and the CRD provider options.
    pub static_cfg: Option<StaticConfig>,
    /// The CRD provider's objects, when the Kubernetes source is on.
    pub crd: Option<CrdObjects>,
    /// The file provider, decoded, when the files source is on.
    pub files: Option<ProviderConfig>,
    /// The Consul KV provider (live prefix), decoded, when the Consul source is on.
    pub consul: Option<ProviderConfig>,
}

impl ViewInputs {
    /// The CRD decoder options for a complete cluster snapshot, from the static
    /// configuration's `providers.kubernetesCRD` — with endpoints assumed:
    /// syncd does not watch EndpointSlices (they change with every pod
    /// restart, and syncd validates configuration, not endpoints), so a
    /// Service is taken as backed by ready endpoints. Secrets are watched as
    /// metadata only: an existing Secret is taken as holding the expected keys.
    pub fn crd_options(&self) -> CrdOptions {
        let p = self
            .static_cfg
            .as_ref()
            .map(|s| s.crd.clone())
            .unwrap_or_default();
        CrdOptions {
            assume_endpoints: true,
            secret_data_unknown: true,
            ..CrdOptions::cluster(&p)
        }
    }

    /// The decoded providers, in the order file, consul, kubernetescrd.
    pub fn providers(&self) -> Vec<ProviderConfig> {
        let mut out = Vec::new();
        out.extend(self.files.clone());
        out.extend(self.consul.clone());
        if let Some(crd) = &self.crd {
            out.push((*crd.decode_shared(&self.crd_options())).clone());
        }
        out
    }

    /// The report of the whole view.
    pub fn report(&self) -> Report {
        sync_core::validate::validate(self.static_cfg.as_ref(), &self.providers())
    }

    /// The report this view would have with `provider` replacing the one of
    /// the same name (what `POST /v1/validate` and the gates ask).
    pub fn report_with(&self, provider: ProviderConfig) -> Report {
        let mut providers: Vec<ProviderConfig> = self
            .providers()
            .into_iter()
            .filter(|p| p.name != provider.name)
            .collect();
        providers.push(provider);
        sync_core::validate::validate(self.static_cfg.as_ref(), &providers)
    }

    /// The report this view would have after one CRD change (the admission
    /// webhook's question). A view without the Kubernetes source starts from
    /// an empty object set.
    pub fn report_with_crd_change(&self, change: &CrdChange) -> Report {
        let mut crd = self.crd.clone().unwrap_or_default();
        crd.apply(change);
        let decoded = crd.decode(&self.crd_options());
        debug_assert_eq!(decoded.name, names::KUBERNETES_CRD);
        self.report_with(decoded)
    }
}

/// The health of one watched source, for `/readyz`, the status page and metrics.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceHealth {
    /// `kubernetes`, `files`, `consul` or `consul-staging`.
    pub name: String,
    /// Whether the last attempt to read it succeeded (its data is current).
    pub healthy: bool,
    /// Whether its first complete read finished (`/readyz` waits for every
    /// enabled source).
    pub synced: bool,
    /// What is wrong, or a short description of what is watched.
    pub detail: String,
    /// When its content last changed (Unix seconds), if it ever did.
    pub last_change_unix: Option<u64>,
    /// Objects (CRD objects, files, keys) currently read from it.
    pub objects: usize,
}

/// One computed state of the merged view, shared read-only by the HTTP
/// server, the status page, the admission webhook and the Consul gate.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The inputs the report was computed from.
    pub inputs: ViewInputs,
    /// The report of `inputs`.
    pub report: Arc<Report>,
    /// Each watched source's health.
    pub sources: Vec<SourceHealth>,
    /// Increases by one on every recomputation.
    pub generation: u64,
    /// When the report was computed (Unix seconds).
    pub computed_at_unix: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn route(name: &str, middleware: &str) -> serde_json::Value {
        json!({
            "apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"entryPoints": ["web"], "routes": [{
                "match": "Host(`a.example`)", "kind": "Rule",
                "middlewares": [{"name": middleware}],
                "services": [{"name": "whoami", "port": 80}]}]}
        })
    }

    fn service() -> serde_json::Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "whoami", "namespace": "default"},
               "spec": {"ports": [{"port": 80}], "clusterIP": "10.0.0.1"}})
    }

    #[test]
    fn a_crd_change_is_seen_by_the_report() {
        let mut view = ViewInputs {
            crd: Some(CrdObjects::default()),
            ..ViewInputs::default()
        };
        let crd = view.crd.as_mut().unwrap();
        crd.apply(&CrdChange::Apply(service()));
        crd.apply(&CrdChange::Apply(route("r", "missing")));
        let report = view.report();
        assert!(report.has_errors(), "{:?}", report.findings);
        let key = ObjectRef::of(&route("r", "missing")).unwrap();
        let after = view.report_with_crd_change(&CrdChange::Delete(key));
        assert!(!after.has_errors(), "{:?}", after.findings);
    }

    #[test]
    fn secrets_are_names_only_and_a_missing_one_is_still_an_error() {
        let tls_route = |secret: &str| {
            json!({
                "apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
                "metadata": {"name": "tls", "namespace": "default"},
                "spec": {"entryPoints": ["web"], "routes": [{
                    "match": "Host(`t.example`)", "kind": "Rule",
                    "services": [{"name": "whoami", "port": 80}]}],
                    "tls": {"secretName": secret}}
            })
        };
        let mut view = ViewInputs {
            crd: Some(CrdObjects::default()),
            ..ViewInputs::default()
        };
        let crd = view.crd.as_mut().unwrap();
        crd.apply(&CrdChange::Apply(service()));
        // Metadata only, as the watcher delivers it.
        crd.apply(&CrdChange::Apply(
            json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "cert", "namespace": "default"}}),
        ));
        crd.apply(&CrdChange::Apply(tls_route("cert")));
        let report = view.report();
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.severity == sync_core::finding::Severity::Info),
            "{:?}",
            report.findings
        );
        let crd = view.crd.as_mut().unwrap();
        crd.apply(&CrdChange::Apply(tls_route("absent")));
        let report = view.report();
        assert!(
            report.findings.iter().any(|f| f.message.contains("absent")),
            "{:?}",
            report.findings
        );
    }

    #[test]
    fn the_decode_is_cached_until_the_set_changes() {
        let mut crd = CrdObjects::default();
        let opts = ViewInputs::default().crd_options();
        assert!(crd.apply(&CrdChange::Apply(service())));
        let first = crd.decode_shared(&opts);
        assert!(Arc::ptr_eq(&first, &crd.decode_shared(&opts)));
        assert!(
            !crd.apply(&CrdChange::Apply(service())),
            "identical: no change"
        );
        assert!(crd.is_decoded(&opts));
        assert!(crd.apply(&CrdChange::Apply(route("r", "m"))));
        assert!(!crd.is_decoded(&opts));
        // A re-list of one kind leaves the other kinds alone.
        assert!(crd.replace_kind("IngressRoute", Some("default"), Vec::new()));
        assert_eq!(crd.len(), 1);
        assert!(crd.contains(&ObjectRef::of(&service()).unwrap()));
    }
}
