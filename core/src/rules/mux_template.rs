//! gorilla/mux route templates (`{name}` / `{name:pattern}`), as Traefik's v2 rule syntax
//! uses them through github.com/containous/mux: `newRouteRegexp` and Traefik's own copy for
//! `HostSNIRegexp` (`preparePattern`). Produces the same regexp text and the same errors.

use super::go::quote::quote;
use super::go_regex::GoRegex;

/// What the template is matched against.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TemplateKind {
    Host,
    Path,
    PathPrefix,
    Query,
}

/// A compiled template: the full regexp and the variable names.
#[derive(Clone, Debug, PartialEq)]
pub struct MuxTemplate {
    /// The template as written (for queries: `key=value`).
    pub template: String,
    /// The Go regexp gorilla/mux builds from it.
    pub regex: GoRegex,
    /// Variable names (`{name}`).
    pub vars: Vec<String>,
}

/// Go's `regexp.QuoteMeta`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `braceIndices`: first-level `{...}` spans.
pub fn brace_indices(s: &str) -> Result<Vec<usize>, String> {
    let mut level: i64 = 0;
    let mut idx = 0;
    let mut idxs = Vec::new();
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'{' => {
                level += 1;
                if level == 1 {
                    idx = i;
                }
            }
            b'}' => {
                level -= 1;
                if level == 0 {
                    idxs.push(idx);
                    idxs.push(i + 1);
                } else if level < 0 {
                    return Err(format!("mux: unbalanced braces in {}", quote(s)));
                }
            }
            _ => {}
        }
    }
    if level != 0 {
        return Err(format!("mux: unbalanced braces in {}", quote(s)));
    }
    Ok(idxs)
}

/// `newRouteRegexp(tpl, matchHost, matchPrefix, matchQuery, strictSlash=false, ...)`.
pub fn new_route_regexp(tpl: &str, kind: TemplateKind) -> Result<MuxTemplate, String> {
    let idxs = brace_indices(tpl)?;
    let default_pattern = match kind {
        TemplateKind::Query => ".*",
        TemplateKind::Host => "[^.]+",
        _ => "[^/]+",
    };
    let mut pattern = String::new();
    if kind == TemplateKind::Host {
        pattern.push_str("(?i)");
    }
    pattern.push('^');
    let mut vars = Vec::new();
    let mut end = 0;
    for pair in idxs.chunks(2) {
        let raw = &tpl[end..pair[0]];
        end = pair[1];
        let inner = &tpl[pair[0] + 1..end - 1];
        let (name, patt) = match inner.split_once(':') {
            Some((n, p)) => (n, p),
            None => (inner, default_pattern),
        };
        if name.is_empty() || patt.is_empty() {
            return Err(format!(
                "mux: missing name or pattern in {}",
                quote(&tpl[pair[0]..end])
            ));
        }
        pattern.push_str(&quote_meta(raw));
        pattern.push_str(&format!("(?P<v{}>{patt})", vars.len()));
        GoRegex::compile(&format!("^{patt}$")).map_err(|e| e.to_string())?;
        vars.push(name.to_string());
    }
    pattern.push_str(&quote_meta(&tpl[end..]));
    if kind == TemplateKind::Query && tpl.split_once('=').is_some_and(|(_, v)| v.is_empty()) {
        pattern.push_str(default_pattern);
    }
    if kind != TemplateKind::PathPrefix {
        pattern.push('$');
    }
    let regex = GoRegex::compile(&pattern).map_err(|e| e.to_string())?;
    Ok(MuxTemplate {
        template: tpl.to_string(),
        regex,
        vars,
    })
}

/// Traefik's v2 `HostSNIRegexp` `preparePattern` (host-style template, case-insensitive).
pub fn prepare_sni_pattern(template: &str) -> Result<String, String> {
    let idxs = brace_indices(template)?;
    let mut pattern = String::from("(?i)^");
    let mut end = 0;
    for (i, pair) in idxs.chunks(2).enumerate() {
        let raw = &template[end..pair[0]];
        end = pair[1];
        let inner = &template[pair[0] + 1..end - 1];
        let (name, patt) = match inner.split_once(':') {
            Some((n, p)) => (n, p),
            None => (inner, "[^.]+"),
        };
        if name.is_empty() || patt.is_empty() {
            return Err(format!(
                "mux: missing name or pattern in {}",
                quote(&template[pair[0]..end])
            ));
        }
        pattern.push_str(&format!("{}(?P<v{i}>{patt})", quote_meta(raw)));
    }
    pattern.push_str(&quote_meta(&template[end..]));
    pattern.push('$');
    Ok(pattern)
}
