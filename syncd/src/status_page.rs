//! The status page: one self-contained HTML document a person reads.
//!
//! Inline CSS, no script, no external asset; every text from the
//! configuration is escaped (router names, rules and messages come from
//! users and must not become markup).

use crate::consul_gate::verdict::StatusDoc;
use crate::view::Snapshot;
use std::collections::BTreeMap;
use std::fmt::Write;
use sync_core::finding::Severity;
use sync_core::report::{RouterReport, Status};

/// Escape text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS UTC` for Unix seconds.
pub fn utc(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(0);
    let secs = unix % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn status_class(s: Status) -> (&'static str, &'static str) {
    match s {
        Status::Enabled => ("ok", "enabled"),
        Status::Warning => ("warn", "warning"),
        Status::Disabled => ("bad", "disabled"),
    }
}

fn severity_class(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Error => ("bad", "error"),
        Severity::Warning => ("warn", "warning"),
        Severity::Info => ("info", "info"),
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fafafa}\
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1em;margin:1em 0 .3em}\
table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:.8em}\
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top;font-size:.9em}\
th{background:#eee}code{font-family:ui-monospace,monospace;font-size:.95em;word-break:break-all}\
.badge{display:inline-block;padding:0 .5em;border-radius:.6em;font-weight:600;font-size:.85em}\
.ok{background:#d6f5d6;color:#135e13}.warn{background:#fff0c2;color:#7a5200}\
.bad{background:#fbd3d3;color:#8a1010}.info{background:#dbe8fb;color:#173f7a}\
.summary{font-size:1.05em;padding:.6em;background:#fff;border:1px solid #ddd}\
.err{color:#8a1010}.findings td:nth-child(2) code{white-space:nowrap;word-break:normal}";

fn badge(out: &mut String, class: &str, text: &str) {
    let _ = write!(out, "<span class=\"badge {class}\">{}</span>", escape(text));
}

fn source_text(r: &RouterReport) -> String {
    r.source
        .as_ref()
        .map(|s| s.display())
        .unwrap_or_else(|| format!("provider {}", r.provider))
}

fn routers_section(out: &mut String, title: &str, routers: &BTreeMap<String, RouterReport>) {
    let _ = write!(
        out,
        "<h2>{} routers ({})</h2>",
        escape(title),
        routers.len()
    );
    if routers.is_empty() {
        out.push_str("<p>None.</p>");
        return;
    }
    // A router listens on several entry points: it is shown under each.
    let mut by_ep: BTreeMap<&str, Vec<(&String, &RouterReport)>> = BTreeMap::new();
    for (name, r) in routers {
        if r.entry_points.is_empty() {
            by_ep.entry("(no entry point)").or_default().push((name, r));
        }
        for ep in &r.entry_points {
            by_ep.entry(ep.as_str()).or_default().push((name, r));
        }
    }
    for (ep, list) in by_ep {
        let _ = write!(
            out,
            "<h3>entry point <code>{}</code></h3><table class=\"routers\"><thead><tr>\
             <th>router</th><th>status</th><th>rule</th><th>priority</th><th>source</th></tr></thead><tbody>",
            escape(ep)
        );
        for (name, r) in list {
            let (class, text) = status_class(r.status);
            let _ = write!(
                out,
                "<tr class=\"router\" data-status=\"{text}\"><td><code>{}</code></td><td>",
                escape(name)
            );
            badge(out, class, text);
            for e in &r.errors {
                let _ = write!(out, "<div class=\"err\">{}</div>", escape(e));
            }
            let _ = write!(
                out,
                "</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&r.rule),
                r.priority,
                escape(&source_text(r))
            );
        }
        out.push_str("</tbody></table>");
    }
}

/// The Consul gate's last verdict: what an operator who just saved staging
/// in the Consul UI wants to see.
fn gate_section(out: &mut String, doc: &StatusDoc) {
    out.push_str("<h2>Consul gate</h2><p id=\"consul-gate\">");
    let class = match doc.verdict.as_str() {
        "promoted" | "unchanged" | "accepted" | "audit" => "ok",
        "conflict" => "warn",
        _ => "bad",
    };
    badge(out, class, &doc.verdict);
    let _ = write!(
        out,
        " staging revision {} — {} (checked {})</p>",
        doc.staging_index,
        escape(&doc.summary),
        escape(&doc.checked_at)
    );
    if doc.errors.is_empty() {
        return;
    }
    out.push_str("<table class=\"gate\"><thead><tr><th>key</th><th>message</th><th>fix</th></tr></thead><tbody>");
    for e in &doc.errors {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(e.key.as_deref().or(e.object.as_deref()).unwrap_or("")),
            escape(&e.message),
            escape(e.help.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>");
}

/// The whole page for one snapshot.
pub fn render(snapshot: &Snapshot) -> String {
    render_with_gate(snapshot, None)
}

/// The page with the Consul gate's last verdict under the sources.
pub fn render_with_gate(snapshot: &Snapshot, gate: Option<&StatusDoc>) -> String {
    let report = &snapshot.report;
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>traefik-sync status</title><style>{STYLE}</style></head><body>\
         <h1>Traefik configuration status</h1><p class=\"summary\" id=\"summary\">"
    );
    let (class, text) = if errors > 0 {
        ("bad", "errors")
    } else if warnings > 0 {
        ("warn", "warnings")
    } else {
        ("ok", "clean")
    };
    badge(&mut out, class, text);
    let _ = write!(
        out,
        " {errors} error(s), {warnings} warning(s), {infos} info — generation {}, computed at {}</p>",
        snapshot.generation,
        utc(snapshot.computed_at_unix)
    );

    out.push_str(
        "<h2>Sources</h2><table class=\"sources\"><thead><tr><th>source</th><th>health</th>\
         <th>objects</th><th>last change</th><th>detail</th></tr></thead><tbody>",
    );
    if snapshot.sources.is_empty() {
        out.push_str("<tr><td colspan=\"5\">No source is watched.</td></tr>");
    }
    for s in &snapshot.sources {
        let _ = write!(out, "<tr><td>{}</td><td>", escape(&s.name));
        if s.healthy {
            badge(&mut out, "ok", "healthy");
        } else {
            badge(&mut out, "bad", "unhealthy");
        }
        let last = s
            .last_change_unix
            .map(utc)
            .unwrap_or_else(|| "never".into());
        let _ = write!(
            out,
            "</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.objects,
            escape(&last),
            escape(&s.detail)
        );
    }
    out.push_str("</tbody></table>");
    if let Some(doc) = gate {
        gate_section(&mut out, doc);
    }

    if !report.providers.is_empty() {
        out.push_str("<h2>Providers</h2><table class=\"providers\"><thead><tr><th>provider</th><th>status</th><th>errors</th></tr></thead><tbody>");
        for (name, p) in &report.providers {
            let _ = write!(out, "<tr><td>{}</td><td>", escape(name));
            badge(
                &mut out,
                if p.status == "ok" { "ok" } else { "bad" },
                p.status,
            );
            let _ = write!(out, "</td><td>{}</td></tr>", escape(&p.errors.join("; ")));
        }
        out.push_str("</tbody></table>");
    }

    routers_section(&mut out, "HTTP", &report.http.routers);
    routers_section(&mut out, "TCP", &report.tcp.routers);
    routers_section(&mut out, "UDP", &report.udp.routers);

    let _ = write!(out, "<h2>Findings ({})</h2>", report.findings.len());
    if report.findings.is_empty() {
        out.push_str("<p>None.</p>");
    } else {
        out.push_str(
            "<table class=\"findings\"><thead><tr><th>severity</th><th>code</th><th>object</th>\
             <th>source</th><th>message</th></tr></thead><tbody>",
        );
        for f in &report.findings {
            let (class, text) = severity_class(f.severity);
            out.push_str("<tr class=\"finding\"><td>");
            badge(&mut out, class, text);
            let _ = write!(
                out,
                "</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}",
                escape(f.code),
                escape(f.object.as_deref().unwrap_or("")),
                escape(&f.source.as_ref().map(|s| s.display()).unwrap_or_default()),
                escape(&f.message)
            );
            if let Some(help) = &f.help {
                let _ = write!(out, "<br><small>{}</small>", escape(help));
            }
            out.push_str("</td></tr>");
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod gate_tests {
    use super::*;

    #[test]
    fn the_gate_section_shows_the_verdict_and_each_error_escaped() {
        let doc = StatusDoc {
            verdict: "rejected".into(),
            summary: "staging revision 9 NOT promoted".into(),
            staging_index: 9,
            checked_at: "2026-11-25T21:03:54Z".into(),
            errors: vec![crate::consul_gate::verdict::StatusItem {
                key: Some("traefik-staging/http/routers/a/servce".into()),
                object: None,
                code: "provider-rejected".into(),
                message: "field not found, node: <servce>".into(),
                help: Some("check the spelling".into()),
            }],
            warnings: Vec::new(),
            promoted: None,
        };
        let html = render_with_gate(&Snapshot::default(), Some(&doc));
        assert!(html.contains("id=\"consul-gate\""), "{html}");
        assert!(html.contains("rejected") && html.contains("staging revision 9"));
        assert!(html.contains("traefik-staging/http/routers/a/servce"));
        assert!(html.contains("node: &lt;servce&gt;"), "escaped");
        assert!(!render(&Snapshot::default()).contains("consul-gate"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::SourceHealth;
    use std::sync::Arc;
    use sync_core::finding::Finding;
    use sync_core::report::Report;
    use sync_core::source::SourceRef;

    fn router(status: Status, rule: &str, eps: &[&str]) -> RouterReport {
        RouterReport {
            status,
            errors: if status == Status::Disabled {
                vec!["middleware \"auth@file\" does not exist".into()]
            } else {
                vec![]
            },
            rule: rule.into(),
            priority: 42,
            entry_points: eps.iter().map(|s| s.to_string()).collect(),
            service: None,
            middlewares: vec![],
            provider: "file".into(),
            source: Some(SourceRef::file(
                "file",
                "dyn/a.yml",
                sync_core::source::Pos::new(3, 5),
            )),
        }
    }

    fn snapshot() -> Snapshot {
        let mut report = Report::default();
        report.http.routers.insert(
            "ok@file".into(),
            router(Status::Enabled, "Host(`a`)", &["web"]),
        );
        report.http.routers.insert(
            "<script>x</script>@file".into(),
            router(
                Status::Disabled,
                "Host(`b`) && Path(`/<i>`)",
                &["web", "websecure"],
            ),
        );
        report.findings.push(
            Finding::new(Severity::Error, "missing-middleware", "auth <b>gone</b>")
                .object("bad@file"),
        );
        Snapshot {
            report: Arc::new(report),
            sources: vec![SourceHealth {
                name: "files".into(),
                healthy: false,
                synced: true,
                detail: "read error & <oops>".into(),
                last_change_unix: Some(1_700_000_000),
                objects: 3,
            }],
            generation: 7,
            computed_at_unix: 1_700_000_060,
            ..Snapshot::default()
        }
    }

    #[test]
    fn user_text_is_escaped_everywhere() {
        let html = render(&snapshot());
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>gone"));
        assert!(!html.contains("<oops>"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;@file"));
        assert!(html.contains("auth &lt;b&gt;gone&lt;/b&gt;"));
        assert!(html.contains("Path(`/&lt;i&gt;`)"));
    }

    #[test]
    fn summary_sources_routers_and_findings_are_shown() {
        let html = render(&snapshot());
        assert!(html.contains("1 error(s), 0 warning(s)"), "{html}");
        assert!(html.contains("generation 7"));
        assert!(html.contains("2023-11-14 22:14:20 UTC"), "{html}");
        assert!(html.contains("2023-11-14 22:13:20 UTC"));
        assert!(html.contains(">unhealthy<"));
        assert!(html.contains("entry point <code>websecure</code>"));
        assert!(html.contains("dyn/a.yml:3:5"));
        assert!(html.contains("badge bad\">disabled<"));
        assert!(html.contains("badge ok\">enabled<"));
        assert!(html.contains("missing-middleware"));
        // The disabled router listens on two entry points: listed under both.
        assert_eq!(
            html.matches("&lt;script&gt;x&lt;/script&gt;@file").count(),
            2
        );
        assert!(!html.contains("<script"), "no script at all");
        assert!(!html.contains("http://") && !html.contains("https://"));
    }

    #[test]
    fn utc_formats_known_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
