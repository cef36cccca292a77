//! Object-by-object comparison of two [`View`]s and a readable rendering of the differences.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::view::{KINDS, ObjectState, View};

/// One disagreement between the reference (real Traefik) and the candidate (`syncctl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The object exists only on Traefik's side.
    OnlyInTraefik {
        kind: String,
        name: String,
        state: ObjectState,
    },
    /// The object exists only in the candidate's report.
    OnlyInCandidate {
        kind: String,
        name: String,
        state: ObjectState,
    },
    /// Both sides have the object but a field differs.
    Field {
        kind: String,
        name: String,
        field: &'static str,
        traefik: String,
        candidate: String,
    },
    /// A provider was accepted by one side and rejected by the other.
    Provider {
        provider: String,
        traefik: String,
        candidate: String,
    },
}

/// The result of comparing two views.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Objects compared: the union of the names on both sides (plus compared provider statuses).
    pub objects: usize,
    /// Objects present on both sides with every compared field equal.
    pub agreeing: usize,
    /// Every disagreement, in report order.
    pub differences: Vec<Difference>,
}

impl Comparison {
    /// True when both sides agree on everything compared.
    pub fn agrees(&self) -> bool {
        self.differences.is_empty()
    }

    /// Records the comparison of a provider status (`ok` / `rejected`) as one more object.
    pub fn add_provider(&mut self, provider: &str, traefik: &str, candidate: &str) {
        self.objects += 1;
        if traefik == candidate {
            self.agreeing += 1;
        } else {
            self.differences.push(Difference::Provider {
                provider: provider.to_owned(),
                traefik: traefik.to_owned(),
                candidate: candidate.to_owned(),
            });
        }
    }

    /// A readable multi-line rendering of the differences (empty when they agree).
    pub fn render(&self, candidate_label: &str) -> String {
        let mut out = String::new();
        for difference in &self.differences {
            match difference {
                Difference::OnlyInTraefik { kind, name, state } => {
                    let _ = writeln!(
                        out,
                        "  {kind:<16} {name}\n      only in traefik: {}",
                        describe(state)
                    );
                }
                Difference::OnlyInCandidate { kind, name, state } => {
                    let _ = writeln!(
                        out,
                        "  {kind:<16} {name}\n      only in {candidate_label}: {}",
                        describe(state)
                    );
                }
                Difference::Field {
                    kind,
                    name,
                    field,
                    traefik,
                    candidate,
                } => {
                    let _ = writeln!(
                        out,
                        "  {kind:<16} {name}  [{field}]\n      traefik: {traefik}\n      {candidate_label}: {candidate}"
                    );
                }
                Difference::Provider {
                    provider,
                    traefik,
                    candidate,
                } => {
                    let _ = writeln!(
                        out,
                        "  provider {provider}\n      traefik: {traefik}\n      {candidate_label}: {candidate}"
                    );
                }
            }
        }
        out
    }
}

fn describe(state: &ObjectState) -> String {
    let mut text = state.status.clone();
    if !state.errors.is_empty() {
        let _ = write!(text, " {}", json(&state.errors));
    }
    if let Some(rule) = &state.rule {
        let _ = write!(text, " rule={}", json(rule));
    }
    if let Some(priority) = state.priority {
        let _ = write!(text, " priority={priority}");
    }
    text
}

fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "<unprintable>".to_owned())
}

/// Compares `candidate` against `traefik` (both are canonicalised first).
pub fn compare(traefik: &View, candidate: &View) -> Comparison {
    let traefik = traefik.clone().canonical();
    let candidate = candidate.clone().canonical();
    let mut result = Comparison::default();
    for (protocol, kind) in KINDS {
        let label = format!("{protocol}.{kind}");
        let left = traefik.kind(protocol, kind);
        let right = candidate.kind(protocol, kind);
        let names: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
        for name in names {
            result.objects += 1;
            match (left.get(name), right.get(name)) {
                (Some(t), Some(c)) => {
                    let before = result.differences.len();
                    field(&mut result, &label, name, "status", &t.status, &c.status);
                    field(&mut result, &label, name, "errors", &t.errors, &c.errors);
                    field(&mut result, &label, name, "rule", &t.rule, &c.rule);
                    field(
                        &mut result,
                        &label,
                        name,
                        "priority",
                        &t.priority,
                        &c.priority,
                    );
                    if result.differences.len() == before {
                        result.agreeing += 1;
                    }
                }
                (Some(t), None) => result.differences.push(Difference::OnlyInTraefik {
                    kind: label.clone(),
                    name: name.clone(),
                    state: t.clone(),
                }),
                (None, Some(c)) => result.differences.push(Difference::OnlyInCandidate {
                    kind: label.clone(),
                    name: name.clone(),
                    state: c.clone(),
                }),
                (None, None) => {}
            }
        }
    }
    result
}

fn field<T: PartialEq + serde::Serialize>(
    result: &mut Comparison,
    kind: &str,
    name: &str,
    field: &'static str,
    traefik: &T,
    candidate: &T,
) {
    if traefik != candidate {
        result.differences.push(Difference::Field {
            kind: kind.to_owned(),
            name: name.to_owned(),
            field,
            traefik: json(traefik),
            candidate: json(candidate),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: &str, errors: &[&str]) -> ObjectState {
        ObjectState {
            status: status.into(),
            errors: errors.iter().map(|e| (*e).to_owned()).collect(),
            rule: None,
            priority: None,
        }
    }

    #[test]
    fn equal_views_agree_with_errors_in_any_order() {
        let mut a = View::default();
        a.http
            .routers
            .insert("r@file".into(), state("disabled", &["b", "a"]));
        let mut b = View::default();
        b.http
            .routers
            .insert("r@file".into(), state("disabled", &["a", "b"]));
        let cmp = compare(&a, &b);
        assert!(cmp.agrees(), "{}", cmp.render("syncctl"));
        assert_eq!((cmp.objects, cmp.agreeing), (1, 1));
    }

    #[test]
    fn differences_are_reported_per_field_and_name() {
        let mut a = View::default();
        a.http
            .routers
            .insert("r@file".into(), state("disabled", &["x"]));
        a.tcp
            .services
            .insert("only-t@file".into(), state("enabled", &[]));
        let mut b = View::default();
        b.http
            .routers
            .insert("r@file".into(), state("enabled", &[]));
        b.udp
            .routers
            .insert("only-c@file".into(), state("enabled", &[]));
        let cmp = compare(&a, &b);
        assert_eq!(cmp.objects, 3);
        assert_eq!(cmp.agreeing, 0);
        assert_eq!(cmp.differences.len(), 4);
        let text = cmp.render("syncctl");
        assert!(
            text.contains("[status]")
                && text.contains("only in traefik")
                && text.contains("only in syncctl")
        );
    }

    #[test]
    fn absent_priority_equals_zero_for_routers() {
        let mut a = View::default();
        a.http
            .routers
            .insert("r@file".into(), state("disabled", &[]));
        let mut b = a.clone();
        if let Some(state) = b.http.routers.get_mut("r@file") {
            state.priority = Some(0);
        }
        assert!(compare(&a, &b).agrees());
    }
}
