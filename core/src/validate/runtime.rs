//! Runtime state of every merged object, as Traefik's `pkg/config/runtime` keeps it:
//! a status that only gets worse and the list of distinct error texts.

use crate::report::Status;
use crate::source::SourceRef;

/// Status and errors of one object (`RouterInfo.AddError` and friends).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ObjState {
    pub status: Status,
    pub errors: Vec<String>,
}

impl Default for ObjState {
    fn default() -> Self {
        Self {
            status: Status::Enabled,
            errors: Vec::new(),
        }
    }
}

impl ObjState {
    /// Record `err` once; `critical` disables, otherwise warning unless already disabled.
    pub fn add_error(&mut self, err: impl Into<String>, critical: bool) {
        let err = err.into();
        if self.errors.contains(&err) {
            return;
        }
        self.errors.push(err);
        if critical {
            self.status = Status::Disabled;
        } else if self.status != Status::Disabled {
            self.status = Status::Warning;
        }
    }
}

/// One merged object: qualified name, provider, configuration and state.
#[derive(Debug, Clone)]
pub(crate) struct Rt<T> {
    /// The provider that defined it.
    pub provider: String,
    pub cfg: T,
    pub state: ObjState,
    pub source: Option<SourceRef>,
    /// Routers using it (`PopulateUsedBy`).
    pub used_by: Vec<String>,
}

/// Router-only runtime data.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouterExtra {
    /// Priority as Traefik computed it (0 when the router was never reached).
    pub priority: i64,
    /// Child routers (multi-layer routing).
    pub child_refs: Vec<String>,
    /// Entry points as written, before defaults.
    pub written_entry_points: Vec<String>,
    /// TLS options after conflict resolution (`ResolvedOptions`).
    pub resolved_tls: String,
}

/// `provider.AddInContext`: the provider part of a qualified name (after the
/// first `@`), or `None` for an unqualified name.
pub(crate) fn provider_of(qualified: &str) -> Option<&str> {
    qualified.split('@').nth(1)
}

/// `provider.GetQualifiedName`: a name without `@` gets `@<ctx provider>`,
/// anything else is used verbatim.
pub(crate) fn qualify(ctx_provider: Option<&str>, name: &str) -> String {
    if !name.contains('@')
        && let Some(p) = ctx_provider
    {
        return format!("{name}@{p}");
    }
    name.to_string()
}

/// Go's `%q`.
pub(crate) fn q(s: &str) -> String {
    crate::decode::goconv::go_quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_error_never_improves() {
        let mut s = ObjState::default();
        s.add_error("a", true);
        s.add_error("b", false);
        s.add_error("a", false);
        assert_eq!(s.status, Status::Disabled);
        assert_eq!(s.errors, vec!["a", "b"]);
    }

    #[test]
    fn qualification_follows_traefik() {
        assert_eq!(qualify(Some("file"), "svc"), "svc@file");
        assert_eq!(qualify(Some("file"), "svc@consul"), "svc@consul");
        assert_eq!(provider_of("at@name@file"), Some("name"));
        assert_eq!(qualify(provider_of("at@name@file"), "svc"), "svc@name");
    }
}
