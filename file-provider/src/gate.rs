//! The gate: one inbox snapshot in, a verdict and (when accepted) the bytes to publish out.

use crate::inbox::Snapshot;
use crate::render;
use std::time::{Duration, Instant};
use sync_core::decode::file_provider::decode_provider;
use sync_core::finding::{Finding, Severity};
use sync_core::provider::names;
use sync_core::report::Report;
use sync_core::source::{Pos, SourceRef};
use sync_core::static_config::StaticConfig;

/// What the gate decided about one snapshot.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The inbox revision judged.
    pub revision: String,
    /// The full report (contract of `syncctl validate`), refusals included.
    pub report: Report,
    /// The file to publish, when the inbox passes.
    pub rendered: Option<Vec<u8>>,
    /// Number of files read.
    pub files: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Time spent decoding, validating and rendering.
    pub elapsed: Duration,
}

impl Verdict {
    /// Whether the snapshot may be published.
    pub fn accepted(&self) -> bool {
        self.rendered.is_some()
    }

    /// The findings that block publication (errors; warnings too under `--strict`).
    pub fn blocking<'a>(&'a self, strict: bool) -> impl Iterator<Item = &'a Finding> + 'a {
        self.report.findings.iter().filter(move |f| {
            f.severity == Severity::Error || (strict && f.severity == Severity::Warning)
        })
    }
}

/// Judge a snapshot: decode like Traefik's file provider, validate, and render when clean.
///
/// On two threads: the renderer parses the files while the decoder does, and
/// renders (and proves) while the validator runs; its result is dropped when
/// validation blocks publication.
pub fn evaluate(
    snapshot: &Snapshot,
    static_config: Option<&StaticConfig>,
    strict: bool,
) -> Verdict {
    evaluate_with(snapshot, static_config, strict, None)
}

/// [`evaluate`], with syncd's cross-provider check when given: syncd sees the
/// other providers, so a local error about a reference to one of their
/// objects that syncd does not confirm is dropped, and errors only syncd can
/// see are added. (Object statuses in the report stay the local ones.)
pub fn evaluate_with(
    snapshot: &Snapshot,
    static_config: Option<&StaticConfig>,
    strict: bool,
    syncd: Option<&crate::syncd_check::SyncdCheck>,
) -> Verdict {
    let started = Instant::now();
    let files = &snapshot.files;
    let (provider, trees) = std::thread::scope(|s| {
        let trees = s.spawn(|| render::file_trees(files));
        let provider = decode_provider(files);
        let trees = trees
            .join()
            .unwrap_or_else(|_| Err(render::RenderError::Mismatch("renderer panicked".into())));
        (provider, trees)
    });
    let decoded = started.elapsed();
    let (mut report, rendered) = std::thread::scope(|s| {
        let rendered = s.spawn(|| {
            if provider.is_rejected() {
                return None;
            }
            Some(match &trees {
                Ok(trees) => {
                    render::render_trees(files, trees, &snapshot.revision, &provider.config)
                }
                Err(e) => Err(render::RenderError::Mismatch(e.to_string())),
            })
        });
        let report = sync_core::validate::validate(static_config, std::slice::from_ref(&provider));
        let rendered = rendered.join().unwrap_or_else(|_| {
            Some(Err(render::RenderError::Mismatch(
                "renderer panicked".into(),
            )))
        });
        (report, rendered)
    });
    let validated = started.elapsed();
    // The published file holds the template's rendering made HERE: a value read from
    // the environment would be file-provider's, not Traefik's, and a random or
    // time-dependent value would be frozen (and the publication no longer a function
    // of the inbox). Such templates are refused.
    let frozen: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| matches!(f.code, "template-environment" | "template-nondeterministic"))
        .map(|f| {
            Finding::new(
                Severity::Error,
                "template-not-reproducible",
                format!(
                    "file-provider publishes the rendered template, so this call would be evaluated in \
                     file-provider's process instead of Traefik's: {}",
                    f.message
                ),
            )
            .source(f.source.clone())
            .help("replace the call with the literal value, or render the file before dropping it in the inbox")
        })
        .collect();
    report.findings.extend(frozen);
    for r in &snapshot.refusals {
        report.findings.push(
            Finding::new(Severity::Error, r.code, r.message.clone())
                .source(Some(SourceRef::file(names::FILE, &r.path, Pos::default())))
                .help(r.help.clone()),
        );
    }
    if let Some(check) = syncd
        && !provider.is_rejected()
    {
        let cross = check.check(snapshot, &report);
        report
            .findings
            .retain(|f| !(f.severity == Severity::Error && cross.resolved.contains(&f.message)));
        report.findings.extend(cross.extra);
    }
    let count =
        |report: &Report, s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let blocked = count(&report, Severity::Error) > 0
        || (strict && count(&report, Severity::Warning) > 0)
        || provider.is_rejected();
    let mut bytes = None;
    if !blocked {
        match rendered {
            Some(Ok(b)) => bytes = Some(b),
            Some(Err(e)) => report.findings.push(
                Finding::new(Severity::Error, "render-mismatch", e.to_string()).help(
                    "file-provider could not prove the merged file equivalent to the inbox; \
                     nothing was published. Simplify the construct named above and report it",
                ),
            ),
            None => {}
        }
    }
    report.normalize_findings();
    tracing::debug!(
        decode_ms = decoded.as_secs_f64() * 1000.0,
        validate_and_render_ms = (validated - decoded).as_secs_f64() * 1000.0,
        "gate phases"
    );
    Verdict {
        revision: snapshot.revision.clone(),
        errors: count(&report, Severity::Error),
        warnings: count(&report, Severity::Warning),
        report,
        rendered: bytes,
        files: snapshot.files.len(),
        elapsed: started.elapsed(),
    }
}

/// One line per finding: `path:line:col: severity[code] object: message (fix: help)`.
pub fn describe(f: &Finding) -> String {
    let place = f
        .source
        .as_ref()
        .map(SourceRef::display)
        .unwrap_or_else(|| "inbox".to_string());
    let sev = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    };
    let mut s = format!("{place}: {sev}[{}]", f.code);
    if let Some(o) = &f.object {
        s.push_str(&format!(" {o}"));
    }
    s.push_str(&format!(": {}", f.message));
    if let Some(h) = &f.help {
        s.push_str(&format!(" (fix: {h})"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::decode::file_provider::SourceFile;

    fn snap(files: &[(&str, &str)]) -> Snapshot {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(p, c)| SourceFile {
                path: p.to_string(),
                content: c.as_bytes().to_vec(),
            })
            .collect();
        Snapshot {
            revision: crate::inbox::revision(&files),
            files,
            ..Snapshot::default()
        }
    }

    #[test]
    fn valid_inbox_renders() {
        let v = evaluate(
            &snap(&[(
                "a.yml",
                "http:\n  routers:\n    r:\n      rule: Path(`/`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n",
            )]),
            None,
            false,
        );
        assert!(v.accepted(), "{:?}", v.report.findings);
        assert_eq!(v.errors, 0);
    }

    #[test]
    fn syntax_error_blocks_with_position() {
        let v = evaluate(
            &snap(&[
                (
                    "a.yml",
                    "http:\n  routers:\n    r:\n      rule: Path(`/`)\n      service: s\n",
                ),
                ("b.yml", "http:\n  routers:\n   x: [\n"),
            ]),
            None,
            false,
        );
        assert!(!v.accepted());
        let first = v.blocking(false).next().unwrap();
        let line = describe(first);
        assert!(line.starts_with("b.yml:"), "{line}");
        assert!(line.contains("fix:"), "{line}");
    }

    #[test]
    fn unknown_field_blocks() {
        let v = evaluate(
            &snap(&[(
                "a.yml",
                "http:\n  routers:\n    r:\n      rulez: Path(`/`)\n",
            )]),
            None,
            false,
        );
        assert!(!v.accepted());
        assert!(describe(v.blocking(false).next().unwrap()).contains("a.yml:4:7"));
    }

    #[test]
    fn environment_dependent_templates_are_refused() {
        let v = evaluate(
            &snap(&[(
                "a.yml",
                "http:\n  routers:\n    r:\n      rule: Host(`{{ env \"HOSTNAME\" }}.example.com`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n",
            )]),
            None,
            false,
        );
        assert!(!v.accepted());
        assert!(
            v.report
                .findings
                .iter()
                .any(|f| f.code == "template-not-reproducible"),
            "{:?}",
            v.report.findings
        );
    }

    #[test]
    fn strict_blocks_warnings() {
        let files = [
            (
                "a.yml",
                "http:\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n",
            ),
            (
                "b.yml",
                "http:\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:2\n",
            ),
        ];
        let lax = evaluate(&snap(&files), None, false);
        assert!(lax.accepted());
        assert!(lax.warnings > 0);
        let strict = evaluate(&snap(&files), None, true);
        assert!(!strict.accepted());
    }
}
