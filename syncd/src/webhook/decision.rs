//! The admission verdict: what one CRD change does to the view.
//!
//! The rule: a change is refused when it newly disables routers (of any
//! provider) or adds error findings; it is allowed, with warnings, when it
//! only adds warnings. Problems that existed before and are not worsened do not
//! block, so an unrelated fix always goes through.

use crate::view::ObjectRef;
use std::collections::BTreeMap;
use sync_core::finding::{Finding, Severity};
use sync_core::report::{Report, RouterReport, Status};

/// Kubernetes truncates each admission warning past 120 characters.
pub const MAX_WARNING_CHARS: usize = 119;
/// Warnings returned at most (the rest is summarised in one line).
pub const MAX_WARNINGS: usize = 10;
/// Routers or findings named at most in a denial message.
const MAX_LISTED: usize = 10;

/// What the request does to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

/// The outcome of one admission request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the API server may persist the change.
    pub allowed: bool,
    /// Why not (when refused).
    pub message: Option<String>,
    /// Non-fatal findings the change introduces, each under 120 characters.
    pub warnings: Vec<String>,
}

impl Verdict {
    /// An allowed change without warnings.
    pub fn allow() -> Self {
        Self {
            allowed: true,
            message: None,
            warnings: Vec::new(),
        }
    }

    /// A refused change.
    pub fn deny(message: impl Into<String>) -> Self {
        Self {
            allowed: false,
            message: Some(message.into()),
            warnings: Vec::new(),
        }
    }
}

/// A router that works before the change and is disabled after it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Broken {
    name: String,
    errors: Vec<String>,
}

/// Findings are compared without their source position: a change elsewhere in
/// an object moves lines, not problems.
fn finding_key(f: &Finding) -> (Severity, &'static str, Option<&str>, &str) {
    (f.severity, f.code, f.object.as_deref(), f.message.as_str())
}

/// Findings of `after` that `before` does not have (as a multiset).
fn new_findings<'a>(before: &Report, after: &'a Report, severity: Severity) -> Vec<&'a Finding> {
    let mut seen: BTreeMap<_, usize> = BTreeMap::new();
    for f in before.findings.iter().filter(|f| f.severity == severity) {
        *seen.entry(finding_key(f)).or_default() += 1;
    }
    let mut out = Vec::new();
    for f in after.findings.iter().filter(|f| f.severity == severity) {
        match seen.get_mut(&finding_key(f)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(f),
        }
    }
    out
}

fn newly_disabled(
    before: &BTreeMap<String, RouterReport>,
    after: &BTreeMap<String, RouterReport>,
    out: &mut Vec<Broken>,
) {
    for (name, r) in after {
        if r.status != Status::Disabled {
            continue;
        }
        // A router that was already disabled is not made worse unless its
        // errors changed (e.g. a second missing reference).
        let worse = match before.get(name) {
            None => true,
            Some(b) if b.status != Status::Disabled => true,
            Some(b) => r.errors.iter().any(|e| !b.errors.contains(e)),
        };
        if worse {
            out.push(Broken {
                name: name.clone(),
                errors: r.errors.clone(),
            });
        }
    }
}

fn broken_routers(before: &Report, after: &Report) -> Vec<Broken> {
    let mut out = Vec::new();
    newly_disabled(&before.http.routers, &after.http.routers, &mut out);
    newly_disabled(&before.tcp.routers, &after.tcp.routers, &mut out);
    newly_disabled(&before.udp.routers, &after.udp.routers, &mut out);
    out
}

/// Cut `text` to at most `max` characters, marking the cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn warning_text(f: &Finding) -> String {
    let text = match &f.object {
        Some(o) => format!("{}: {}: {}", f.code, o, f.message),
        None => format!("{}: {}", f.code, f.message),
    };
    clip(&text, MAX_WARNING_CHARS)
}

/// `middleware "x@file"` for every `... "x@file" does not exist` error
/// (Traefik's wording for missing services, middlewares and parents).
fn missing_refs(broken: &[Broken]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in broken.iter().flat_map(|b| b.errors.iter()) {
        let Some(end) = e.find("\" does not exist") else {
            continue;
        };
        let Some(start) = e[..end].rfind('"') else {
            continue;
        };
        let name = &e[start + 1..end];
        let what = e[..start].split_whitespace().last().unwrap_or("object");
        let item = format!("{what} \"{name}\"");
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn fix_for(op: Operation, object: &ObjectRef, broken: &[Broken]) -> String {
    let routers = broken
        .iter()
        .take(MAX_LISTED)
        .map(|b| b.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match op {
        Operation::Delete => format!(
            "fix: remove the reference to {} {}/{} from router(s) {routers} first, then delete it",
            object.kind, object.namespace, object.name
        ),
        Operation::Create | Operation::Update if broken.is_empty() => {
            "fix: correct the object (see the errors above) and apply it again".to_string()
        }
        Operation::Create | Operation::Update => {
            let missing = missing_refs(broken);
            if missing.is_empty() {
                format!(
                    "fix: create what the router(s) reference first (or correct the reference), \
                     or remove it from router(s) {routers}"
                )
            } else {
                format!(
                    "fix: create {} first, or remove the reference from router(s) {routers}",
                    missing.join(", ")
                )
            }
        }
    }
}

/// The verdict for `op` on `object`, given the report before and after it.
pub fn decide(op: Operation, object: &ObjectRef, before: &Report, after: &Report) -> Verdict {
    let broken = broken_routers(before, after);
    // Sorted by content, not by place: the verdict must not depend on the
    // order the report lists findings in (it sorts by source position).
    let mut errors = new_findings(before, after, Severity::Error);
    errors.sort_by(|a, b| finding_key(a).cmp(&finding_key(b)));
    let mut warnings = new_findings(before, after, Severity::Warning);
    warnings.sort_by(|a, b| finding_key(a).cmp(&finding_key(b)));
    if broken.is_empty() && errors.is_empty() {
        let mut out: Vec<String> = warnings
            .iter()
            .take(MAX_WARNINGS)
            .map(|f| warning_text(f))
            .collect();
        if warnings.len() > MAX_WARNINGS {
            out.push(format!(
                "... and {} more warning(s): see syncd's status page",
                warnings.len() - MAX_WARNINGS
            ));
        }
        return Verdict {
            allowed: true,
            message: None,
            warnings: out,
        };
    }
    let verb = match op {
        Operation::Create => "creating",
        Operation::Update => "updating",
        Operation::Delete => "deleting",
    };
    let mut msg = format!(
        "traefik-sync: {verb} {} {}/{} would",
        object.kind, object.namespace, object.name
    );
    if !broken.is_empty() {
        msg.push_str(&format!(" disable {} router(s):", broken.len()));
        for b in broken.iter().take(MAX_LISTED) {
            msg.push_str(&format!(" {} ({});", b.name, b.errors.join("; ")));
        }
        if broken.len() > MAX_LISTED {
            msg.push_str(&format!(" and {} more;", broken.len() - MAX_LISTED));
        }
    }
    // Errors that are only the routers' own errors repeated are not listed twice.
    let extra: Vec<&&Finding> = errors
        .iter()
        .filter(|f| {
            !broken
                .iter()
                .any(|b| f.object.as_deref() == Some(b.name.as_str()))
        })
        .collect();
    if !extra.is_empty() {
        msg.push_str(&format!(" add {} error(s):", extra.len()));
        for f in extra.iter().take(MAX_LISTED) {
            match &f.object {
                Some(o) => msg.push_str(&format!(" [{}] {o}: {};", f.code, f.message)),
                None => msg.push_str(&format!(" [{}] {};", f.code, f.message)),
            }
        }
        if extra.len() > MAX_LISTED {
            msg.push_str(&format!(" and {} more;", extra.len() - MAX_LISTED));
        }
    }
    msg.push(' ');
    msg.push_str(&fix_for(op, object, &broken));
    Verdict::deny(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_text_and_cuts_long_text_on_char_boundaries() {
        assert_eq!(clip("abc", 5), "abc");
        let long = "é".repeat(200);
        let cut = clip(&long, MAX_WARNING_CHARS);
        assert_eq!(cut.chars().count(), MAX_WARNING_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn an_unchanged_report_is_allowed_without_warnings() {
        let r = Report::default();
        let obj = ObjectRef {
            kind: "Middleware".into(),
            namespace: "default".into(),
            name: "m".into(),
        };
        assert_eq!(decide(Operation::Update, &obj, &r, &r), Verdict::allow());
    }
}
