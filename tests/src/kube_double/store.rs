//! The double's object store: resources, objects, the change log watches
//! replay from, and the resourceVersion counter.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

/// A resource type the double can serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// API group (`""` for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Plural (URL segment).
    pub plural: String,
    /// Kind.
    pub kind: String,
    /// Namespaced (every resource here is).
    pub namespaced: bool,
}

impl Resource {
    fn new(group: &str, version: &str, plural: &str, kind: &str) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            kind: kind.into(),
            namespaced: true,
        }
    }

    /// `group/version` or `version` for core.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `(group, plural)`, the store key.
    pub fn key(&self) -> ResKey {
        (self.group.clone(), self.plural.clone())
    }
}

/// `(group, plural)`.
pub type ResKey = (String, String);

/// Every resource the double knows: the ten `traefik.io/v1alpha1` kinds,
/// Services, Secrets, Leases, Events (`events.k8s.io/v1` and core `v1`).
pub fn known_resources() -> Vec<Resource> {
    let mut out: Vec<Resource> = [
        "IngressRoute",
        "IngressRouteTCP",
        "IngressRouteUDP",
        "Middleware",
        "MiddlewareTCP",
        "TraefikService",
        "TLSOption",
        "TLSStore",
        "ServersTransport",
        "ServersTransportTCP",
    ]
    .iter()
    .map(|k| {
        Resource::new(
            "traefik.io",
            "v1alpha1",
            &format!("{}s", k.to_ascii_lowercase()),
            k,
        )
    })
    .collect();
    out.push(Resource::new("", "v1", "services", "Service"));
    out.push(Resource::new("", "v1", "secrets", "Secret"));
    out.push(Resource::new("", "v1", "events", "Event"));
    out.push(Resource::new(
        "coordination.k8s.io",
        "v1",
        "leases",
        "Lease",
    ));
    out.push(Resource::new("events.k8s.io", "v1", "events", "Event"));
    out
}

/// One change, as a watch sends it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The resourceVersion after the change.
    pub rv: u64,
    /// Resource.
    pub res: ResKey,
    /// Namespace.
    pub namespace: String,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub kind: &'static str,
    /// The object after the change (before, for DELETED).
    pub object: Value,
    /// The object before a MODIFIED change (a watch with a label selector
    /// turns a change into or out of the selection into ADDED / DELETED).
    pub previous: Option<Value>,
}

/// A failed request: HTTP status, reason and message (a `Status` body).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `NotFound`, `Conflict`, `AlreadyExists`, `BadRequest`, `Gone`.
    pub reason: &'static str,
    /// Message.
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
        }
    }

    /// The `Status` object the API server answers.
    pub fn status(&self) -> Value {
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message, "reason": self.reason, "code": self.code})
    }
}

/// The state.
#[derive(Debug)]
pub struct Store {
    pub(crate) rv: u64,
    pub(crate) resources: Vec<Resource>,
    /// Resources answered with 404 (a CRD not installed).
    pub(crate) missing: BTreeSet<ResKey>,
    pub(crate) objects: BTreeMap<ResKey, BTreeMap<(String, String), Value>>,
    pub(crate) log: Vec<Arc<Change>>,
    /// Watches from a resourceVersion below this get 410 Gone.
    pub(crate) oldest_rv: u64,
    uid: u64,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            rv: 1,
            resources: known_resources(),
            missing: BTreeSet::new(),
            objects: BTreeMap::new(),
            log: Vec::new(),
            oldest_rv: 0,
            uid: 0,
        }
    }
}

fn meta_mut(obj: &mut Value) -> Option<&mut Map<String, Value>> {
    let o = obj.as_object_mut()?;
    if !o.get("metadata").is_some_and(Value::is_object) {
        o.insert("metadata".into(), json!({}));
    }
    o.get_mut("metadata")?.as_object_mut()
}

fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(field)?.as_str()
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Some(t) = target.as_object_mut() {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

impl Store {
    /// The resource for a URL's group, version and plural.
    pub fn resource(&self, group: &str, plural: &str) -> Result<Resource, ApiError> {
        let key = (group.to_string(), plural.to_string());
        if self.missing.contains(&key) {
            return Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ));
        }
        self.resources
            .iter()
            .find(|r| r.group == group && r.plural == plural)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                )
            })
    }

    /// The resource of an object's `apiVersion` and `kind`.
    pub fn resource_of(&self, obj: &Value) -> Result<Resource, ApiError> {
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        self.resources
            .iter()
            .find(|r| r.api_version() == api_version && r.kind == kind)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "BadRequest",
                    format!("unknown type {api_version} {kind}"),
                )
            })
    }

    fn record(
        &mut self,
        res: &Resource,
        ns: &str,
        kind: &'static str,
        object: Value,
        previous: Option<Value>,
    ) {
        self.log.push(Arc::new(Change {
            rv: self.rv,
            res: res.key(),
            namespace: ns.to_string(),
            kind,
            object,
            previous,
        }));
    }

    fn stamp(&mut self, res: &Resource, ns: &str, obj: &mut Value) {
        self.rv += 1;
        let rv = self.rv.to_string();
        if let Some(o) = obj.as_object_mut() {
            o.insert("apiVersion".into(), Value::String(res.api_version()));
            o.insert("kind".into(), Value::String(res.kind.clone()));
        }
        if let Some(m) = meta_mut(obj) {
            m.insert("resourceVersion".into(), Value::String(rv));
            m.insert("namespace".into(), Value::String(ns.to_string()));
        }
    }

    /// All objects of a resource in a namespace (None: all).
    pub fn list(&self, res: &Resource, ns: Option<&str>) -> Vec<Value> {
        self.objects
            .get(&res.key())
            .map(|m| {
                m.iter()
                    .filter(|((n, _), _)| ns.is_none_or(|ns| ns == n))
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One object.
    pub fn get(&self, res: &Resource, ns: &str, name: &str) -> Result<Value, ApiError> {
        self.objects
            .get(&res.key())
            .and_then(|m| m.get(&(ns.to_string(), name.to_string())))
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NotFound",
                    format!("{}.{} {name:?} not found", res.plural, res.group),
                )
            })
    }

    /// Create (409 AlreadyExists if present).
    pub fn create(&mut self, res: &Resource, ns: &str, mut obj: Value) -> Result<Value, ApiError> {
        let name = match meta_str(&obj, "name") {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => match meta_str(&obj, "generateName") {
                Some(prefix) => format!("{prefix}{:x}", self.rv + 1),
                None => {
                    return Err(ApiError::new(
                        400,
                        "BadRequest",
                        "metadata.name: Required value",
                    ));
                }
            },
        };
        let key = (ns.to_string(), name.clone());
        if self
            .objects
            .get(&res.key())
            .is_some_and(|m| m.contains_key(&key))
        {
            return Err(ApiError::new(
                409,
                "AlreadyExists",
                format!("{}.{} {name:?} already exists", res.plural, res.group),
            ));
        }
        self.uid += 1;
        let uid = format!("00000000-0000-4000-8000-{:012x}", self.uid);
        if let Some(m) = meta_mut(&mut obj) {
            m.insert("name".into(), Value::String(name));
            m.insert("uid".into(), Value::String(uid));
            m.insert(
                "creationTimestamp".into(),
                Value::String("2026-01-01T00:00:00Z".into()),
            );
            m.insert("generation".into(), json!(1));
        }
        self.stamp(res, ns, &mut obj);
        self.objects
            .entry(res.key())
            .or_default()
            .insert(key, obj.clone());
        self.record(res, ns, "ADDED", obj.clone(), None);
        Ok(obj)
    }

    /// Replace; a `metadata.resourceVersion` in the body must equal the
    /// current one (409 Conflict otherwise, the API server's optimistic
    /// concurrency).
    pub fn replace(
        &mut self,
        res: &Resource,
        ns: &str,
        name: &str,
        mut obj: Value,
    ) -> Result<Value, ApiError> {
        let current = self.get(res, ns, name)?;
        if let Some(rv) = meta_str(&obj, "resourceVersion")
            && !rv.is_empty()
            && Some(rv) != meta_str(&current, "resourceVersion")
        {
            return Err(ApiError::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {}.{} {name:?}: the object has been modified; please apply your changes to the latest version and try again",
                    res.plural, res.group
                ),
            ));
        }
        if let Some(m) = meta_mut(&mut obj) {
            m.insert("name".into(), Value::String(name.to_string()));
            for field in ["uid", "creationTimestamp"] {
                if let Some(v) = current.get("metadata").and_then(|cm| cm.get(field)) {
                    m.insert(field.into(), v.clone());
                }
            }
        }
        self.stamp(res, ns, &mut obj);
        self.objects
            .entry(res.key())
            .or_default()
            .insert((ns.to_string(), name.to_string()), obj.clone());
        self.record(res, ns, "MODIFIED", obj.clone(), Some(current));
        Ok(obj)
    }

    /// Merge patch.
    pub fn patch(
        &mut self,
        res: &Resource,
        ns: &str,
        name: &str,
        patch: &Value,
    ) -> Result<Value, ApiError> {
        let mut current = self.get(res, ns, name)?;
        merge_patch(&mut current, patch);
        if let Some(m) = meta_mut(&mut current) {
            m.remove("resourceVersion");
        }
        self.replace(res, ns, name, current)
    }

    /// Delete.
    pub fn delete(&mut self, res: &Resource, ns: &str, name: &str) -> Result<Value, ApiError> {
        let obj = self
            .objects
            .get_mut(&res.key())
            .and_then(|m| m.remove(&(ns.to_string(), name.to_string())))
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "NotFound",
                    format!("{}.{} {name:?} not found", res.plural, res.group),
                )
            })?;
        self.rv += 1;
        let mut obj = obj;
        if let Some(m) = meta_mut(&mut obj) {
            m.insert("resourceVersion".into(), Value::String(self.rv.to_string()));
        }
        self.record(res, ns, "DELETED", obj.clone(), None);
        Ok(obj)
    }
}

/// A parsed label selector (equality-based: `k=v`, `k==v`, `k!=v`, `k`, `!k`,
/// and set-based `k in (a,b)`, `k notin (a,b)`).
#[derive(Debug, Clone, Default)]
pub struct Selector {
    terms: Vec<Term>,
}

#[derive(Debug, Clone)]
enum Term {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

impl Selector {
    /// Parse; `Err` names the bad term.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for t in split_top(s) {
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            let set = |rest: &str| -> Result<Vec<String>, String> {
                let rest = rest.trim();
                let inner = rest
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| format!("bad set in selector term {t:?}"))?;
                Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
            };
            if let Some((k, v)) = t.split_once("!=") {
                terms.push(Term::Ne(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = t.split_once("==") {
                terms.push(Term::Eq(k.trim().into(), v.trim().into()));
            } else if let Some((k, v)) = t.split_once('=') {
                terms.push(Term::Eq(k.trim().into(), v.trim().into()));
            } else if let Some((k, rest)) = t.split_once(" notin ") {
                terms.push(Term::NotIn(k.trim().into(), set(rest)?));
            } else if let Some((k, rest)) = t.split_once(" in ") {
                terms.push(Term::In(k.trim().into(), set(rest)?));
            } else if let Some(k) = t.strip_prefix('!') {
                terms.push(Term::NotExists(k.trim().into()));
            } else if t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                terms.push(Term::Exists(t.into()));
            } else {
                return Err(format!("unable to parse requirement: {t:?}"));
            }
        }
        Ok(Self { terms })
    }

    /// Whether an object's labels match.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = obj.get("metadata").and_then(|m| m.get("labels"));
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.terms.iter().all(|t| match t {
            Term::Eq(k, v) => get(k) == Some(v.as_str()),
            Term::Ne(k, v) => get(k) != Some(v.as_str()),
            Term::Exists(k) => get(k).is_some(),
            Term::NotExists(k) => get(k).is_none(),
            Term::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Term::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
        })
    }
}
