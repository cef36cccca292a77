//! Manifest files → Kubernetes objects with positions.
//!
//! What `kubectl apply -f` would send: every YAML document of every file,
//! `kind: List` (and `*List`) documents expanded into their `items`, the
//! namespace defaulted to `default`. A file that does not parse is refused as a
//! whole (kubectl reads the whole stream before applying anything); the other
//! files are unaffected.

use crate::decode::raw::{Raw, RawAt, RawEntry};
use crate::decode::yaml::parse_documents;
use crate::finding::{Finding, Severity};
use crate::provider::names;
use crate::source::{Pos, SourceRef};
use std::collections::BTreeMap;

use super::SourceFile;

/// Largest manifest file accepted (the API server's own request limit is 3 MiB
/// per object; a file may hold many objects).
pub const MAX_MANIFEST_BYTES: usize = 32 * 1024 * 1024;

/// One Kubernetes object of the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// `apiVersion`, e.g. `traefik.io/v1alpha1`.
    pub api_version: String,
    /// `kind`, e.g. `IngressRoute`.
    pub kind: String,
    /// `metadata.name` (or `metadata.generateName` when there is no name).
    pub name: String,
    /// Whether the name is only a `generateName` prefix.
    pub generated_name: bool,
    /// `metadata.namespace`, `default` when absent.
    pub namespace: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
    /// The whole object as written.
    pub raw: RawAt,
    /// File it comes from.
    pub path: String,
    /// Where `metadata.name` is (or the document start).
    pub name_pos: Pos,
}

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_string())
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// `[Seg]` → `spec.routes[0].match`.
pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Build a path from mixed keys and indexes: `segs!["spec", "routes", 0]`.
#[macro_export]
#[doc(hidden)]
macro_rules! crd_segs {
    ($($s:expr),* $(,)?) => {
        vec![$($crate::decode::crd::manifest::Seg::from($s)),*]
    };
}

impl Object {
    /// Where the object is: its `metadata.name`.
    pub fn source(&self) -> SourceRef {
        self.source_pos(self.name_pos)
    }

    /// The object, at `pos` in its file.
    pub fn source_pos(&self, pos: Pos) -> SourceRef {
        let mut s = SourceRef::file(names::KUBERNETES_CRD, &self.path, pos);
        s.kind = Some(self.kind.clone());
        s.namespace = Some(self.namespace.clone());
        s.name = Some(self.name.clone());
        s
    }

    /// The object, at the field `path` (falls back to the nearest existing parent).
    pub fn source_at(&self, path: &[Seg]) -> SourceRef {
        self.source_pos(self.pos_of(path))
    }

    /// Position of the field `path` (key position for mapping entries), or of
    /// its nearest existing parent.
    pub fn pos_of(&self, path: &[Seg]) -> Pos {
        let mut pos = self.raw.pos;
        let mut cur = &self.raw;
        for seg in path {
            match (seg, &cur.raw) {
                (Seg::Key(k), Raw::Map(entries)) => match entries.iter().find(|e| &e.key == k) {
                    Some(e) => {
                        pos = e.key_pos;
                        cur = &e.value;
                    }
                    None => return pos,
                },
                (Seg::Index(i), Raw::Seq(items)) => match items.get(*i) {
                    Some(item) => {
                        pos = item.pos;
                        cur = item;
                    }
                    None => return pos,
                },
                _ => return pos,
            }
        }
        pos
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The API group of `apiVersion` (empty for core objects).
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }
}

/// `Raw` → JSON, the way kubectl turns YAML into the JSON it sends.
pub fn to_json(raw: &Raw) -> serde_json::Value {
    use serde_json::Value;
    match raw {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(*b),
        Raw::Int(i) => Value::from(*i),
        Raw::Uint(u) => Value::from(*u),
        Raw::Float(f) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(f.to_string())),
        Raw::Str(s) | Raw::Time(s) => Value::String(s.clone()),
        Raw::Seq(items) => Value::Array(items.iter().map(|i| to_json(&i.raw)).collect()),
        Raw::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.value.raw)))
                .collect(),
        ),
    }
}

/// A mapping entry by key.
pub fn entry<'a>(entries: &'a [RawEntry], key: &str) -> Option<&'a RawEntry> {
    entries.iter().find(|e| e.key == key)
}

fn str_of(raw: &Raw) -> Option<String> {
    match raw {
        Raw::Str(s) => Some(s.clone()),
        Raw::Int(i) => Some(i.to_string()),
        Raw::Uint(u) => Some(u.to_string()),
        Raw::Bool(b) => Some(b.to_string()),
        Raw::Float(f) => Some(f.to_string()),
        Raw::Time(t) => Some(t.clone()),
        _ => None,
    }
}

fn string_map(raw: Option<&RawEntry>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(RawEntry {
        value: RawAt {
            raw: Raw::Map(entries),
            ..
        },
        ..
    }) = raw
    {
        for e in entries {
            if let Some(v) = str_of(&e.value.raw) {
                out.insert(e.key.clone(), v);
            }
        }
    }
    out
}

/// Parse every file into objects; malformed files and documents become findings.
pub fn read_objects(files: &[SourceFile], findings: &mut Vec<Finding>) -> Vec<Object> {
    let mut objects = Vec::new();
    for file in files {
        let file_src = |pos: Pos| SourceRef::file(names::KUBERNETES_CRD, &file.path, pos);
        if file.content.len() > MAX_MANIFEST_BYTES {
            findings.push(Finding::new(
                Severity::Error,
                "crd-manifest-invalid",
                format!(
                    "file is {} bytes, over the {MAX_MANIFEST_BYTES} byte limit this validator accepts; its objects are left out",
                    file.content.len()
                ),
            ).source(Some(file_src(Pos::default()))));
            continue;
        }
        let text = match std::str::from_utf8(&file.content) {
            Ok(t) => t,
            Err(e) => {
                let before = &file.content[..e.valid_up_to()];
                let line = before.iter().filter(|b| **b == b'\n').count() + 1;
                let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
                findings.push(
                    Finding::new(
                        Severity::Error,
                        "crd-manifest-invalid",
                        "invalid UTF-8; kubectl refuses the file, none of its objects are applied",
                    )
                    .source(Some(file_src(Pos::new(line as u32, col as u32)))),
                );
                continue;
            }
        };
        let docs = match parse_documents(text) {
            Ok(d) => d,
            Err(e) => {
                let pos = match e.at {
                    crate::decode::node::At::Pos(p) => p,
                    _ => Pos::default(),
                };
                findings.push(
                    Finding::new(
                        Severity::Error,
                        "crd-manifest-invalid",
                        format!(
                            "{}; kubectl refuses the whole file, none of its objects are applied",
                            e.message
                        ),
                    )
                    .source(Some(file_src(pos)))
                    .help("fix the YAML syntax of this file"),
                );
                continue;
            }
        };
        for doc in docs {
            collect(doc, &file.path, &mut objects, findings, 0);
        }
    }
    objects
}

fn collect(
    doc: RawAt,
    path: &str,
    objects: &mut Vec<Object>,
    findings: &mut Vec<Finding>,
    depth: usize,
) {
    let file_src = |pos: Pos| SourceRef::file(names::KUBERNETES_CRD, path, pos);
    let entries = match &doc.raw {
        Raw::Null => return,
        Raw::Map(entries) => entries,
        _ => {
            findings.push(
                Finding::new(
                    Severity::Error,
                    "crd-manifest-invalid",
                    "this YAML document is not a Kubernetes object (a mapping with apiVersion, kind and metadata); kubectl refuses the file",
                )
                .source(Some(file_src(doc.pos))),
            );
            return;
        }
    };
    let api_version = entry(entries, "apiVersion").and_then(|e| str_of(&e.value.raw));
    let kind = entry(entries, "kind").and_then(|e| str_of(&e.value.raw));
    let (Some(api_version), Some(kind)) = (api_version, kind) else {
        let missing = if entry(entries, "apiVersion").is_none() {
            "apiVersion"
        } else {
            "kind"
        };
        findings.push(
            Finding::new(
                Severity::Error,
                "crd-manifest-invalid",
                format!(
                    "Object '{}' is missing in this document; kubectl refuses the file",
                    if missing == "kind" {
                        "Kind"
                    } else {
                        "apiVersion"
                    }
                ),
            )
            .source(Some(file_src(doc.pos))),
        );
        return;
    };
    if kind.ends_with("List")
        && let Some(items) = entry(entries, "items")
    {
        if depth > 4 {
            return;
        }
        if let Raw::Seq(items) = &items.value.raw {
            for item in items {
                collect(item.clone(), path, objects, findings, depth + 1);
            }
        }
        return;
    }
    let meta = entry(entries, "metadata");
    let meta_entries: &[RawEntry] = match meta.map(|m| &m.value.raw) {
        Some(Raw::Map(m)) => m,
        _ => &[],
    };
    let name_entry = entry(meta_entries, "name");
    let gen_entry = entry(meta_entries, "generateName");
    let name = name_entry
        .and_then(|e| str_of(&e.value.raw))
        .unwrap_or_default();
    let generate_name = gen_entry
        .and_then(|e| str_of(&e.value.raw))
        .unwrap_or_default();
    let name_pos = name_entry
        .or(gen_entry)
        .map(|e| e.key_pos)
        .or(meta.map(|m| m.key_pos))
        .unwrap_or(doc.pos);
    if name.is_empty() && generate_name.is_empty() {
        findings.push(
            Finding::new(
                Severity::Error,
                "crd-manifest-invalid",
                format!("{kind} without metadata.name: the API server refuses it (resource name may not be empty)"),
            )
            .source(Some(file_src(name_pos))),
        );
        return;
    }
    let namespace = entry(meta_entries, "namespace")
        .and_then(|e| str_of(&e.value.raw))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_string());
    let generated_name = name.is_empty();
    let object = Object {
        api_version,
        kind,
        name: if generated_name { generate_name } else { name },
        generated_name,
        namespace,
        labels: string_map(entry(meta_entries, "labels")),
        annotations: string_map(entry(meta_entries, "annotations")),
        raw: doc.clone(),
        path: path.to_string(),
        name_pos,
    };
    objects.push(object);
}
