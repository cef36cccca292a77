//! Provenance: where a configuration object or a finding comes from.

use serde::Serialize;

/// A position inside a source file (1-based line and column; 0 means unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Pos {
    /// A known position.
    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }

    /// Whether the position is known.
    pub fn is_known(&self) -> bool {
        self.line > 0
    }
}

/// Where something comes from, as precisely as the input allows: a file path with
/// line and column, a Consul key, or a Kubernetes object.
///
/// Serialized as the `source` object of the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SourceRef {
    /// Traefik provider name: `file`, `consul`, `kubernetescrd`.
    pub provider: String,
    /// File path (file provider, CRD manifests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based line in `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column in `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Consul KV key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Kubernetes kind (`IngressRoute`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Kubernetes namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Kubernetes object name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl SourceRef {
    /// A source that only names its provider.
    pub fn provider(provider: &str) -> Self {
        Self {
            provider: provider.to_string(),
            ..Self::default()
        }
    }

    /// A position in a file.
    pub fn file(provider: &str, path: &str, pos: Pos) -> Self {
        Self {
            provider: provider.to_string(),
            path: Some(path.to_string()),
            line: pos.is_known().then_some(pos.line),
            column: pos.is_known().then_some(pos.column),
            ..Self::default()
        }
    }

    /// A Consul key.
    pub fn consul_key(key: &str) -> Self {
        Self {
            provider: "consul".to_string(),
            key: Some(key.to_string()),
            ..Self::default()
        }
    }

    /// `path:line:col`, `key`, or `Kind namespace/name`, for text output.
    pub fn display(&self) -> String {
        if let Some(path) = &self.path {
            let mut s = path.clone();
            if let Some(line) = self.line {
                s.push_str(&format!(":{line}"));
                if let Some(col) = self.column {
                    s.push_str(&format!(":{col}"));
                }
            }
            if let (Some(kind), Some(name)) = (&self.kind, &self.name) {
                let ns = self.namespace.as_deref().unwrap_or("default");
                s.push_str(&format!(" ({kind} {ns}/{name})"));
            }
            return s;
        }
        if let Some(key) = &self.key {
            return format!("consul key {key}");
        }
        if let (Some(kind), Some(name)) = (&self.kind, &self.name) {
            let ns = self.namespace.as_deref().unwrap_or("default");
            return format!("{kind} {ns}/{name}");
        }
        format!("provider {}", self.provider)
    }
}
