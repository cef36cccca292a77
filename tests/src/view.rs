//! The normalised view both sides of the differential test are reduced to.
//!
//! The shape is the object part of `syncctl validate --format json` (see ARCHITECTURE.md):
//!
//! ```json
//! {"http": {"routers": {"name@provider": {"status": "disabled", "errors": ["..."], "rule": "...", "priority": 14}},
//!           "services": {"...": {"status": "enabled", "errors": []}}, "middlewares": {}},
//!  "tcp": {"routers": {}, "services": {}, "middlewares": {}},
//!  "udp": {"routers": {}, "services": {}}}
//! ```
//!
//! Real Traefik's API (`/api/http/routers`, ...) is turned into this shape by
//! [`crate::traefik`]; `syncctl`'s report is read with [`View::from_report`], which keeps
//! only these keys. [`View::canonical`] makes the two comparable (sorted errors, empty rule
//! = no rule, absent router priority = 0).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One runtime object as Traefik's API shows it (only the compared fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectState {
    /// `enabled`, `warning` or `disabled`.
    #[serde(default)]
    pub status: String,
    /// Error texts (Traefik's API field `error`); compared sorted.
    #[serde(default, alias = "error")]
    pub errors: Vec<String>,
    /// The rule, for HTTP and TCP routers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The effective priority (computed from the rule when not set), HTTP and TCP routers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

/// Objects of one protocol section, keyed by `name@provider`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    #[serde(default)]
    pub routers: BTreeMap<String, ObjectState>,
    #[serde(default)]
    pub services: BTreeMap<String, ObjectState>,
    #[serde(default)]
    pub middlewares: BTreeMap<String, ObjectState>,
}

/// The compared part of a validation report / of Traefik's runtime API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    #[serde(default)]
    pub http: Section,
    #[serde(default)]
    pub tcp: Section,
    #[serde(default)]
    pub udp: Section,
}

/// The kinds of objects compared, in report order: `(protocol, kind)`.
pub const KINDS: [(&str, &str); 8] = [
    ("http", "routers"),
    ("http", "services"),
    ("http", "middlewares"),
    ("tcp", "routers"),
    ("tcp", "services"),
    ("tcp", "middlewares"),
    ("udp", "routers"),
    ("udp", "services"),
];

impl View {
    /// Reads the object part of a `syncctl validate --format json` report, ignoring every
    /// other key (`providers`, `findings`, `source`, ...).
    pub fn from_report(report: &serde_json::Value) -> Result<View, serde_json::Error> {
        let mut view = View::default();
        for (protocol, kind) in KINDS {
            let Some(objects) = report.get(protocol).and_then(|p| p.get(kind)) else {
                continue;
            };
            let objects: BTreeMap<String, ObjectState> = serde_json::from_value(objects.clone())?;
            *view.kind_mut(protocol, kind) = objects;
        }
        Ok(view.canonical())
    }

    /// The objects of one kind, e.g. `kind("http", "routers")`.
    pub fn kind(&self, protocol: &str, kind: &str) -> &BTreeMap<String, ObjectState> {
        let section = match protocol {
            "http" => &self.http,
            "tcp" => &self.tcp,
            _ => &self.udp,
        };
        match kind {
            "routers" => &section.routers,
            "services" => &section.services,
            _ => &section.middlewares,
        }
    }

    /// Mutable access to the objects of one kind.
    pub fn kind_mut(&mut self, protocol: &str, kind: &str) -> &mut BTreeMap<String, ObjectState> {
        let section = match protocol {
            "http" => &mut self.http,
            "tcp" => &mut self.tcp,
            _ => &mut self.udp,
        };
        match kind {
            "routers" => &mut section.routers,
            "services" => &mut section.services,
            _ => &mut section.middlewares,
        }
    }

    /// Number of objects of every kind.
    pub fn len(&self) -> usize {
        KINDS.iter().map(|(p, k)| self.kind(p, k).len()).sum()
    }

    /// True when no object at all is present.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The comparable form: errors sorted, `""` rules dropped, HTTP/TCP router priority
    /// defaulted to 0 (Traefik's API omits a zero priority), rule/priority dropped where
    /// Traefik has none (services, middlewares, UDP routers).
    pub fn canonical(mut self) -> View {
        for (protocol, kind) in KINDS {
            let has_rule = kind == "routers" && protocol != "udp";
            for state in self.kind_mut(protocol, kind).values_mut() {
                state.errors.sort();
                if has_rule {
                    if state.rule.as_deref() == Some("") {
                        state.rule = None;
                    }
                    state.priority = Some(state.priority.unwrap_or(0));
                } else {
                    state.rule = None;
                    state.priority = None;
                }
            }
        }
        self
    }

    /// Counts of objects per status (`enabled`, `warning`, `disabled`, ...).
    pub fn status_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (protocol, kind) in KINDS {
            for state in self.kind(protocol, kind).values() {
                *counts.entry(state.status.clone()).or_insert(0) += 1;
            }
        }
        counts
    }
}
