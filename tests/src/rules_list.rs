//! Rule lists (`tests/corpus/rules/*.txt`) turned into file-provider configurations.
//!
//! Format: one rule per line, exactly as it would appear in a router's `rule` (only a
//! trailing `\r` is removed, so whitespace counts for the priority as it does in Traefik);
//! blank lines and lines whose first non-blank character is `#` are skipped.
//!
//! The file name says what the rules are for:
//! * a stem containing `tcp` → TCP routers, otherwise HTTP routers;
//! * a stem ending in `_v2` → routers with `ruleSyntax: v2` (deprecated but honoured by 3.7).
//!
//! Each rule becomes a router named `<stem>-l<line>` (line number in the list, so a
//! difference points straight at the line). HTTP routers use entry point `web` and service
//! `svc`; every TCP rule gives two routers, `<stem>-l<line>-tls` with `tls: {}` and
//! `<stem>-l<line>` without TLS (Traefik refuses a HostSNI other than `*` without TLS),
//! both on `websecure` with service `tsvc`. Backends point at the discard port of
//! 127.0.0.1; no traffic is sent.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

/// The protocol of a rule list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http,
    Tcp,
}

/// A parsed rule list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleList {
    /// The file stem, used as router name prefix.
    pub stem: String,
    pub protocol: Protocol,
    /// `Some("v2")` for v2 lists.
    pub syntax: Option<String>,
    /// `(line number, rule)`.
    pub rules: Vec<(usize, String)>,
}

impl RuleList {
    /// Parses a list; `stem` decides protocol and syntax (see the module docs).
    pub fn parse(stem: &str, text: &str) -> RuleList {
        let lower = stem.to_ascii_lowercase();
        let protocol = if lower.contains("tcp") {
            Protocol::Tcp
        } else {
            Protocol::Http
        };
        let syntax = lower.ends_with("_v2").then(|| "v2".to_owned());
        let rules = text
            .split('\n')
            .enumerate()
            .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
            .filter(|(_, line)| {
                let trimmed = line.trim_start();
                !trimmed.is_empty() && !trimmed.starts_with('#')
            })
            .map(|(n, line)| (n, line.to_owned()))
            .collect();
        RuleList {
            stem: stem.to_owned(),
            protocol,
            syntax,
            rules,
        }
    }

    /// Reads and parses a list file.
    pub fn read(path: &Path) -> Result<RuleList> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("rules");
        Ok(RuleList::parse(stem, &text))
    }

    /// Number of routers the list generates.
    pub fn router_count(&self) -> usize {
        match self.protocol {
            Protocol::Http => self.rules.len(),
            Protocol::Tcp => self.rules.len() * 2,
        }
    }

    /// The router names and rules generated, `(name, rule)`.
    pub fn routers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (line, rule) in &self.rules {
            let base = format!("{}-l{line:04}", self.stem);
            if self.protocol == Protocol::Tcp {
                out.push((format!("{base}-tls"), rule.clone()));
            }
            out.push((base, rule.clone()));
        }
        out
    }

    /// The dynamic configuration (YAML; strings are written JSON-escaped in double quotes,
    /// which YAML reads back verbatim).
    pub fn to_yaml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        let mut out = format!(
            "# Generated from tests/corpus/rules/{}.txt: one router per rule.\n",
            self.stem
        );
        let syntax = self
            .syntax
            .as_ref()
            .map(|s| format!(", ruleSyntax: {}", q(s)))
            .unwrap_or_default();
        match self.protocol {
            Protocol::Http => {
                out.push_str("http:\n  routers:\n");
                for (name, rule) in self.routers() {
                    let _ = writeln!(
                        out,
                        "    {}: {{rule: {}, service: svc, entryPoints: [web]{syntax}}}",
                        q(&name),
                        q(&rule)
                    );
                }
                out.push_str("  services:\n    svc:\n      loadBalancer:\n        servers:\n          - url: \"http://127.0.0.1:9\"\n");
            }
            Protocol::Tcp => {
                out.push_str("tcp:\n  routers:\n");
                for (name, rule) in self.routers() {
                    let tls = if name.ends_with("-tls") {
                        ", tls: {}"
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        out,
                        "    {}: {{rule: {}, service: tsvc, entryPoints: [websecure]{tls}{syntax}}}",
                        q(&name),
                        q(&rule)
                    );
                }
                out.push_str("  services:\n    tsvc:\n      loadBalancer:\n        servers:\n          - address: \"127.0.0.1:9\"\n");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_generates_quoted_yaml() {
        let list = RuleList::parse(
            "tcp_v2",
            "# comment\n\nHostSNI(`a.test`)\r\n  # indented comment\nHostSNI(`*`) || ALPN(\"h2\")\n",
        );
        assert_eq!(list.protocol, Protocol::Tcp);
        assert_eq!(list.syntax.as_deref(), Some("v2"));
        assert_eq!(
            list.rules,
            vec![
                (3, "HostSNI(`a.test`)".to_owned()),
                (5, "HostSNI(`*`) || ALPN(\"h2\")".to_owned())
            ]
        );
        assert_eq!(list.router_count(), 4);
        let yaml = list.to_yaml();
        assert!(yaml.contains(r#""tcp_v2-l0005-tls": {rule: "HostSNI(`*`) || ALPN(\"h2\")", service: tsvc, entryPoints: [websecure], tls: {}, ruleSyntax: "v2"}"#), "{yaml}");
        let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(
            back["tcp"]["routers"]["tcp_v2-l0005"]["rule"],
            "HostSNI(`*`) || ALPN(\"h2\")"
        );
    }

    #[test]
    fn http_list_without_syntax() {
        let list = RuleList::parse("http_v3", "Host(`a`)  \n");
        assert_eq!(list.protocol, Protocol::Http);
        assert_eq!(list.syntax, None);
        assert_eq!(
            list.routers(),
            vec![("http_v3-l0001".to_owned(), "Host(`a`)  ".to_owned())]
        );
    }
}
