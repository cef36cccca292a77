//! Validation against Traefik's CRD schemas, the way the API server does it.
//!
//! The ten `traefik.io` CRDs of Traefik 3.7 (`schemas/`, copied unchanged from
//! `docs/content/reference/dynamic-configuration/`) are embedded. Structural
//! schema semantics reproduced: `null` values are pruned before validation;
//! unknown fields are reported (kubectl's default strict field validation
//! refuses them; with `--validate=false` the API server prunes them — the
//! object is kept here, without the field); `type`, `x-kubernetes-int-or-string`,
//! `enum`, `required`, `minimum`/`maximum`, `pattern`, `minItems`/`maxItems`
//! and the three CEL rules of these CRDs are enforced — a violation makes the
//! API server refuse the object, so it is dropped. `default` values are not
//! applied (the only one, `observability.traceVerbosity: minimal`, equals
//! Traefik's runtime default).

use super::manifest::{Seg, path_string};
use crate::decode::raw::{Raw, RawAt, RawEntry};
use crate::source::Pos;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

const SCHEMA_FILES: [&str; 10] = [
    include_str!("schemas/traefik.io_ingressroutes.yaml"),
    include_str!("schemas/traefik.io_ingressroutetcps.yaml"),
    include_str!("schemas/traefik.io_ingressrouteudps.yaml"),
    include_str!("schemas/traefik.io_middlewares.yaml"),
    include_str!("schemas/traefik.io_middlewaretcps.yaml"),
    include_str!("schemas/traefik.io_serverstransports.yaml"),
    include_str!("schemas/traefik.io_serverstransporttcps.yaml"),
    include_str!("schemas/traefik.io_tlsoptions.yaml"),
    include_str!("schemas/traefik.io_tlsstores.yaml"),
    include_str!("schemas/traefik.io_traefikservices.yaml"),
];

/// `ObjectMeta` fields a manifest may carry.
const OBJECT_META_FIELDS: [&str; 16] = [
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "finalizers",
    "managedFields",
    "selfLink",
    "clusterName",
];

/// `openAPIV3Schema` of each kind (by kind name).
fn schemas() -> &'static HashMap<String, Value> {
    static SCHEMAS: OnceLock<HashMap<String, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut map = HashMap::new();
        for text in SCHEMA_FILES {
            let Ok(docs) = crate::decode::yaml::parse_documents(text) else {
                continue;
            };
            for doc in docs {
                let crd = super::manifest::to_json(&doc.raw);
                let kind = crd["spec"]["names"]["kind"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
                if !kind.is_empty() && schema.is_object() {
                    map.insert(kind, schema);
                }
            }
        }
        map
    })
}

/// Whether the schema of `kind` is known.
pub fn has_schema(kind: &str) -> bool {
    schemas().contains_key(kind)
}

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    /// A field the schema does not know (pruned).
    UnknownField,
    /// A `null` value (pruned by the API server).
    NullPruned,
    /// A violation that makes the API server refuse the object.
    Invalid,
}

/// One schema problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Kind of problem.
    pub kind: IssueKind,
    /// Field path (`spec.routes[0].match`).
    pub path: String,
    /// Where.
    pub pos: Pos,
    /// The API server's wording.
    pub message: String,
}

/// Validate an object of a Traefik kind; returns the issues and the object as
/// the API server would store it (unknown fields and nulls pruned).
pub fn validate(kind: &str, object: &RawAt) -> Option<(Vec<Issue>, RawAt)> {
    let schema = schemas().get(kind)?;
    let mut v = Validator { issues: Vec::new() };
    let mut path = Vec::new();
    let pruned = v
        .walk(schema, object, object.pos, &mut path, true)
        .unwrap_or(RawAt {
            raw: Raw::Map(Vec::new()),
            pos: object.pos,
        });
    Some((v.issues, pruned))
}

struct Validator {
    issues: Vec<Issue>,
}

fn type_name(raw: &Raw) -> &'static str {
    match raw {
        Raw::Null => "null",
        Raw::Bool(_) => "boolean",
        Raw::Int(_) | Raw::Uint(_) => "integer",
        Raw::Float(_) => "number",
        Raw::Str(_) | Raw::Time(_) => "string",
        Raw::Seq(_) => "array",
        Raw::Map(_) => "object",
    }
}

fn show(raw: &Raw) -> String {
    match raw {
        Raw::Str(s) | Raw::Time(s) => format!("{s:?}"),
        Raw::Int(i) => i.to_string(),
        Raw::Uint(u) => u.to_string(),
        Raw::Float(f) => f.to_string(),
        Raw::Bool(b) => b.to_string(),
        other => format!("\"{}\"", type_name(other)),
    }
}

fn as_f64(raw: &Raw) -> Option<f64> {
    match raw {
        Raw::Int(i) => Some(*i as f64),
        Raw::Uint(u) => Some(*u as f64),
        Raw::Float(f) => Some(*f),
        _ => None,
    }
}

fn json_eq(raw: &Raw, v: &Value) -> bool {
    match (raw, v) {
        (Raw::Str(s), Value::String(t)) => s == t,
        (Raw::Bool(a), Value::Bool(b)) => a == b,
        (Raw::Int(_) | Raw::Uint(_) | Raw::Float(_), Value::Number(n)) => as_f64(raw) == n.as_f64(),
        _ => false,
    }
}

impl Validator {
    fn push(&mut self, kind: IssueKind, path: &[Seg], pos: Pos, message: String) {
        self.issues.push(Issue {
            kind,
            path: path_string(path),
            pos,
            message,
        });
    }

    fn invalid(&mut self, path: &[Seg], pos: Pos, value: &Raw, what: String) {
        let p = path_string(path);
        self.push(
            IssueKind::Invalid,
            path,
            pos,
            format!("{p}: Invalid value: {}: {p} in body {what}", show(value)),
        );
    }

    /// Validate `value` at `path`; `None` when it is pruned.
    fn walk(
        &mut self,
        schema: &Value,
        value: &RawAt,
        pos: Pos,
        path: &mut Vec<Seg>,
        root: bool,
    ) -> Option<RawAt> {
        if value.raw == Raw::Null {
            if schema["nullable"].as_bool() == Some(true) {
                return Some(value.clone());
            }
            self.push(
                IssueKind::NullPruned,
                path,
                pos,
                format!(
                    "{}: the value is null; the API server removes the field as if it were not written",
                    path_string(path)
                ),
            );
            return None;
        }
        let int_or_string = schema["x-kubernetes-int-or-string"].as_bool() == Some(true);
        let ty = schema["type"].as_str().unwrap_or("");
        let ok = if int_or_string {
            matches!(
                value.raw,
                Raw::Int(_) | Raw::Uint(_) | Raw::Str(_) | Raw::Time(_)
            )
        } else {
            match ty {
                "" => true,
                "number" => matches!(value.raw, Raw::Int(_) | Raw::Uint(_) | Raw::Float(_)),
                t => type_name(&value.raw) == t,
            }
        };
        if !ok {
            let p = path_string(path);
            let expected = if int_or_string {
                "integer or string"
            } else {
                ty
            };
            self.push(
                IssueKind::Invalid,
                path,
                pos,
                format!(
                    "{p}: Invalid value: \"{got}\": {p} in body must be of type {expected}: \"{got}\"",
                    got = type_name(&value.raw)
                ),
            );
            return Some(value.clone());
        }
        if let Some(options) = schema["enum"].as_array()
            && !options.iter().any(|o| json_eq(&value.raw, o))
        {
            let list: Vec<String> = options.iter().map(|o| o.to_string()).collect();
            self.push(
                IssueKind::Invalid,
                path,
                pos,
                format!(
                    "{}: Unsupported value: {}: supported values: {}",
                    path_string(path),
                    show(&value.raw),
                    list.join(", ")
                ),
            );
        }
        if let Some(n) = as_f64(&value.raw) {
            if let Some(min) = schema["minimum"].as_f64()
                && n < min
            {
                self.invalid(
                    path,
                    pos,
                    &value.raw,
                    format!("should be greater than or equal to {min}"),
                );
            }
            if let Some(max) = schema["maximum"].as_f64()
                && n > max
            {
                self.invalid(
                    path,
                    pos,
                    &value.raw,
                    format!("should be less than or equal to {max}"),
                );
            }
        }
        if let (Raw::Str(s), Some(pattern)) = (&value.raw, schema["pattern"].as_str())
            && let Ok(re) = regex::Regex::new(pattern)
            && !re.is_match(s)
        {
            self.invalid(path, pos, &value.raw, format!("should match '{pattern}'"));
        }
        if let Some(rules) = schema["x-kubernetes-validations"].as_array() {
            for rule in rules {
                if let Some(false) = cel(rule["rule"].as_str().unwrap_or(""), &value.raw) {
                    let p = path_string(path);
                    let msg = rule["message"].as_str().unwrap_or("failed rule");
                    self.push(
                        IssueKind::Invalid,
                        path,
                        pos,
                        format!("{p}: Invalid value: \"{}\": {msg}", type_name(&value.raw)),
                    );
                }
            }
        }
        match &value.raw {
            Raw::Map(entries) => Some(RawAt {
                raw: Raw::Map(self.object(schema, entries, path, pos, root)),
                pos: value.pos,
            }),
            Raw::Seq(items) => {
                if let Some(max) = schema["maxItems"].as_u64()
                    && items.len() as u64 > max
                {
                    self.invalid(
                        path,
                        pos,
                        &value.raw,
                        format!("must have at most {max} items"),
                    );
                }
                if let Some(min) = schema["minItems"].as_u64()
                    && (items.len() as u64) < min
                {
                    self.invalid(
                        path,
                        pos,
                        &value.raw,
                        format!("should have at least {min} items"),
                    );
                }
                let item_schema = &schema["items"];
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    if let Some(v) = self.walk(item_schema, item, item.pos, path, false) {
                        out.push(v);
                    }
                    path.pop();
                }
                Some(RawAt {
                    raw: Raw::Seq(out),
                    pos: value.pos,
                })
            }
            _ => Some(value.clone()),
        }
    }

    fn object(
        &mut self,
        schema: &Value,
        entries: &[RawEntry],
        path: &mut Vec<Seg>,
        pos: Pos,
        root: bool,
    ) -> Vec<RawEntry> {
        let preserve = schema["x-kubernetes-preserve-unknown-fields"].as_bool() == Some(true);
        let props = schema["properties"].as_object();
        let additional = &schema["additionalProperties"];
        let mut out = Vec::new();
        for e in entries {
            path.push(Seg::Key(e.key.clone()));
            if root && e.key == "metadata" {
                self.metadata(e, path);
                out.push(e.clone());
            } else if let Some(sub) = props.and_then(|p| p.get(&e.key)) {
                if let Some(v) = self.walk(sub, &e.value, e.key_pos, path, false) {
                    out.push(RawEntry {
                        key: e.key.clone(),
                        key_pos: e.key_pos,
                        value: v,
                    });
                }
            } else if additional.is_object() {
                if let Some(v) = self.walk(additional, &e.value, e.key_pos, path, false) {
                    out.push(RawEntry {
                        key: e.key.clone(),
                        key_pos: e.key_pos,
                        value: v,
                    });
                }
            } else if preserve || additional.as_bool() == Some(true) {
                out.push(e.clone());
            } else {
                self.unknown(path, e.key_pos);
            }
            path.pop();
        }
        if let Some(required) = schema["required"].as_array() {
            for r in required.iter().filter_map(Value::as_str) {
                if !out.iter().any(|e| e.key == r) {
                    path.push(Seg::Key(r.to_string()));
                    self.push(
                        IssueKind::Invalid,
                        path,
                        pos,
                        format!("{}: Required value", path_string(path)),
                    );
                    path.pop();
                }
            }
        }
        out
    }

    fn unknown(&mut self, path: &[Seg], pos: Pos) {
        self.push(
            IssueKind::UnknownField,
            path,
            pos,
            format!(
                "strict decoding error: unknown field \"{}\"",
                path_string(path)
            ),
        );
    }

    fn metadata(&mut self, e: &RawEntry, path: &mut Vec<Seg>) {
        let Raw::Map(entries) = &e.value.raw else {
            if e.value.raw != Raw::Null {
                self.push(
                    IssueKind::Invalid,
                    path,
                    e.key_pos,
                    "metadata: Invalid value: must be an object".to_string(),
                );
            }
            return;
        };
        for m in entries {
            if !OBJECT_META_FIELDS.contains(&m.key.as_str()) {
                path.push(Seg::Key(m.key.clone()));
                self.unknown(path, m.key_pos);
                path.pop();
            }
        }
    }
}

/// The CEL rules these CRDs use; `None` for a rule this validator does not know.
fn cel(rule: &str, value: &Raw) -> Option<bool> {
    let has = |k: &str| match value {
        Raw::Map(entries) => entries
            .iter()
            .any(|e| e.key == k && e.value.raw != Raw::Null),
        _ => false,
    };
    match rule {
        "self.startsWith('/')" => match value {
            Raw::Str(s) => Some(s.starts_with('/')),
            _ => None,
        },
        "!has(self.secret) || !has(self.configMap)" => Some(!has("secret") || !has("configMap")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: &str, text: &str) -> Vec<Issue> {
        let doc = crate::decode::yaml::parse_documents(text)
            .unwrap()
            .remove(0);
        validate(kind, &doc).unwrap().0
    }

    #[test]
    fn all_ten_schemas_load() {
        for k in [
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
        ] {
            assert!(has_schema(k), "{k}");
        }
    }

    #[test]
    fn unknown_fields_and_types() {
        let issues = check(
            "IngressRoute",
            "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: a\nspec:\n  entrypoints: [web]\n  routes:\n  - match: Host(`a`)\n    kind: Foo\n    priority: x\n",
        );
        let msgs: Vec<_> = issues.iter().map(|i| (i.kind, i.message.clone())).collect();
        assert!(
            msgs.contains(&(
                IssueKind::UnknownField,
                "strict decoding error: unknown field \"spec.entrypoints\"".into()
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|(k, m)| *k == IssueKind::Invalid
                && m.starts_with("spec.routes[0].kind: Unsupported value: \"Foo\"")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|(k, m)| *k == IssueKind::Invalid && m.contains("must be of type integer")),
            "{msgs:?}"
        );
    }

    #[test]
    fn required_and_cel() {
        let issues = check(
            "Middleware",
            "apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: a\nspec:\n  addPrefix:\n    prefix: foo\n",
        );
        assert!(
            issues
                .iter()
                .any(|i| i.message.contains("must start with a '/'")),
            "{issues:?}"
        );
        let issues = check(
            "IngressRoute",
            "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: a\nspec:\n  routes:\n  - kind: Rule\n",
        );
        assert!(
            issues
                .iter()
                .any(|i| i.message == "spec.routes[0].match: Required value"),
            "{issues:?}"
        );
    }

    #[test]
    fn plugin_config_is_preserved() {
        let issues = check(
            "Middleware",
            "apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: a\nspec:\n  plugin:\n    demo:\n      anything: [1, 2]\n      nested: {a: b}\n",
        );
        assert!(issues.is_empty(), "{issues:?}");
    }
}
