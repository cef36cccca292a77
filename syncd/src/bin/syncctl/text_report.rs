//! The text report: findings grouped by source, with the offending line quoted
//! under `path:line:col` and what to do about it.

use crate::inputs::Loaded;
use std::collections::BTreeMap;
use std::fmt::Write;
use sync_core::finding::{Finding, Severity};
use sync_core::report::{ObjectReport, Report, RouterReport, Status};

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }

    fn status(&self, s: Status) -> String {
        match s {
            Status::Enabled => self.paint("32", "enabled"),
            Status::Warning => self.paint("33", "warning"),
            Status::Disabled => self.paint("31", "disabled"),
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// Render the report for a person.
pub fn render(report: &Report, loaded: &Loaded, color: bool, verbose: bool) -> String {
    let style = Style { color };
    let mut out = String::new();
    providers(&mut out, report, &style);
    findings(&mut out, report, loaded, &style);
    if verbose {
        objects(&mut out, report, &style);
    }
    summary(&mut out, report, &style);
    out
}

fn providers(out: &mut String, report: &Report, style: &Style) {
    let _ = writeln!(out, "{}", style.bold("Providers"));
    for (name, p) in &report.providers {
        let status = if p.status == "ok" {
            style.paint("32", "ok")
        } else {
            style.paint("1;31", "rejected: Traefik loads nothing from it")
        };
        let _ = writeln!(out, "  {name:<14} {status}");
    }
    out.push('\n');
}

fn group_key(f: &Finding) -> String {
    match &f.source {
        Some(s) if s.path.is_some() => s.path.clone().unwrap_or_default(),
        Some(s) if s.key.is_some() => "consul".to_string(),
        Some(s) if s.kind.is_some() => "kubernetes".to_string(),
        Some(s) => format!("provider {}", s.provider),
        None => "general".to_string(),
    }
}

fn findings(out: &mut String, report: &Report, loaded: &Loaded, style: &Style) {
    let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        groups.entry(group_key(f)).or_default().push(f);
    }
    for (group, mut items) in groups {
        items.sort_by_key(|f| {
            let s = f.source.as_ref();
            (
                s.and_then(|s| s.line),
                s.and_then(|s| s.key.clone()),
                f.severity,
            )
        });
        let _ = writeln!(out, "{}", style.bold(&group));
        for f in items {
            finding(out, f, loaded, style);
        }
        out.push('\n');
    }
}

fn finding(out: &mut String, f: &Finding, loaded: &Loaded, style: &Style) {
    let place = match &f.source {
        Some(s) => match (s.line, s.column, &s.key) {
            (Some(l), Some(c), _) => format!("{l}:{c}"),
            (Some(l), None, _) => format!("{l}"),
            (_, _, Some(key)) => key.clone(),
            _ => match (&s.kind, &s.name) {
                (Some(k), Some(n)) => {
                    format!("{k} {}/{n}", s.namespace.as_deref().unwrap_or("default"))
                }
                _ => String::new(),
            },
        },
        None => String::new(),
    };
    let object = f
        .object
        .as_deref()
        .map(|o| format!(" {o}:"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {}[{}] {}{} {}",
        style.severity(f.severity),
        f.code,
        place,
        object,
        f.message
    );
    if let Some(snippet) = snippet(f, loaded) {
        out.push_str(&snippet);
    }
    if let Some(help) = &f.help {
        let _ = writeln!(out, "      {} {help}", style.paint("1;34", "= help:"));
    }
}

/// The offending line with a caret under the column.
fn snippet(f: &Finding, loaded: &Loaded) -> Option<String> {
    let s = f.source.as_ref()?;
    let text = loaded.texts.get(s.path.as_ref()?)?;
    let line_no = s.line? as usize;
    let line = text.lines().nth(line_no.checked_sub(1)?)?;
    let col = s.column.unwrap_or(1).max(1) as usize;
    let width = line_no.to_string().len();
    let shown: String = line.chars().take(160).collect();
    Some(format!(
        "      {line_no:>width$} | {shown}\n      {:>width$} | {}^\n",
        "",
        " ".repeat(col - 1)
    ))
}

fn objects(out: &mut String, report: &Report, style: &Style) {
    let _ = writeln!(out, "{}", style.bold("Routers"));
    let routers = report
        .http
        .routers
        .iter()
        .map(|r| ("http", r))
        .chain(report.tcp.routers.iter().map(|r| ("tcp", r)))
        .chain(report.udp.routers.iter().map(|r| ("udp", r)));
    for (proto, (name, r)) in routers {
        router_line(out, proto, name, r, style);
    }
    let _ = writeln!(out, "{}", style.bold("Services and middlewares"));
    let others = [
        ("http service", &report.http.services),
        ("http middleware", &report.http.middlewares),
        ("tcp service", &report.tcp.services),
        ("tcp middleware", &report.tcp.middlewares),
        ("udp service", &report.udp.services),
    ];
    for (what, map) in others {
        for (name, o) in map {
            object_line(out, what, name, o, style);
        }
    }
    out.push('\n');
}

fn router_line(out: &mut String, proto: &str, name: &str, r: &RouterReport, style: &Style) {
    let _ = writeln!(
        out,
        "  {proto:<4} {name:<50} {:<8} prio {:>5}  [{}]  {}",
        style.status(r.status),
        r.priority,
        r.entry_points.join(","),
        r.rule
    );
}

fn object_line(out: &mut String, what: &str, name: &str, o: &ObjectReport, style: &Style) {
    let _ = writeln!(out, "  {what:<16} {name:<50} {}", style.status(o.status));
}

fn count<'a>(statuses: impl Iterator<Item = Status> + 'a) -> (usize, usize, usize) {
    statuses.fold((0, 0, 0), |(e, w, d), s| match s {
        Status::Enabled => (e + 1, w, d),
        Status::Warning => (e, w + 1, d),
        Status::Disabled => (e, w, d + 1),
    })
}

fn summary(out: &mut String, report: &Report, style: &Style) {
    let routers = count(
        report
            .http
            .routers
            .values()
            .chain(report.tcp.routers.values())
            .chain(report.udp.routers.values())
            .map(|r| r.status),
    );
    let services = count(
        report
            .http
            .services
            .values()
            .chain(report.tcp.services.values())
            .chain(report.udp.services.values())
            .map(|o| o.status),
    );
    let middlewares = count(
        report
            .http
            .middlewares
            .values()
            .chain(report.tcp.middlewares.values())
            .map(|o| o.status),
    );
    let sev = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "Routers: {} enabled, {} warning, {} disabled | Services: {} enabled, {} disabled | Middlewares: {} enabled, {} disabled",
        routers.0, routers.1, routers.2, services.0, services.2, middlewares.0, middlewares.2
    );
    let verdict = if report.has_errors() {
        style.paint("1;31", "FAIL")
    } else {
        style.paint("1;32", "OK")
    };
    let _ = writeln!(
        out,
        "{verdict}: {} errors, {} warnings, {} notes",
        sev(Severity::Error),
        sev(Severity::Warning),
        sev(Severity::Info)
    );
}
