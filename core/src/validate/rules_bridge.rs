//! The only place where validation touches the rule language.
//!
//! **PROVISIONAL.** `crate::rules` (rule parsing, priorities, Go regexps) is being
//! written on another branch. Until it lands, this module stands in for it:
//! - every rule is accepted (no parse or build errors), except the empty rule,
//!   whose error text Traefik 3.7.15 was seen to print;
//! - priority is the byte length of the rule; a TCP rule that is exactly
//!   ``HostSNI(`*`)`` gets -1;
//! - `Host`/`HostSNI` domains are extracted with a plain scan of the rule text;
//! - Go regexps are checked with Rust's `regex-syntax` and only the commonest
//!   errors get Go's wording.
//!
//! When `crate::rules` merges, switch the bodies below to it and keep the signatures.

/// Traefik's `maxUserPriority` (`math.MaxInt - 1000` on 64-bit).
pub const MAX_USER_PRIORITY: i64 = i64::MAX - 1000;

/// The error an HTTP router gets from `muxer.AddRoute` for this rule, if any.
/// `syntax` is the router's effective `ruleSyntax` (`v2`, `v3`, or empty = v3).
pub fn http_rule_error(rule: &str, _syntax: &str) -> Option<String> {
    if rule.trim().is_empty() {
        return Some(format!(
            "error while parsing rule {rule}: parsing rule {rule}: 1:1: expected operand, found 'EOF'"
        ));
    }
    None
}

/// The error a TCP router gets from `muxer.AddRoute` for this rule, if any.
pub fn tcp_rule_error(rule: &str, _syntax: &str) -> Option<String> {
    if rule.trim().is_empty() {
        return Some(format!(
            "error while parsing rule {rule}: parsing rule {rule}: 1:1: expected operand, found 'EOF'"
        ));
    }
    None
}

/// Default priority of an HTTP router (`GetRulePriority`): the rule's byte length.
pub fn http_priority(rule: &str) -> i64 {
    i64::try_from(rule.len()).unwrap_or(i64::MAX)
}

/// Default priority of a TCP router: byte length, -1 for ``HostSNI(`*`)`` alone.
pub fn tcp_priority(rule: &str) -> i64 {
    let compact: String = rule.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = compact.to_ascii_lowercase();
    if lower == "hostsni(`*`)" || lower == "hostsni(\"*\")" {
        return -1;
    }
    i64::try_from(rule.len()).unwrap_or(i64::MAX)
}

/// `httpmuxer.ParseDomains`: the lower-cased `Host` values of a rule, or the
/// error text (`error while parsing rule <rule>: <parser error>`).
pub fn http_domains(rule: &str) -> Result<Vec<String>, String> {
    if rule.trim().is_empty() {
        return Err(format!(
            "error while parsing rule {rule}: 1:1: expected operand, found 'EOF'"
        ));
    }
    Ok(matcher_args(rule, "host")
        .into_iter()
        .map(|d| d.to_ascii_lowercase())
        .collect())
}

/// `tcpmuxer.ParseHostSNI`: the `HostSNI` values of a rule, or the parser error.
pub fn tcp_host_sni(rule: &str) -> Result<Vec<String>, String> {
    if rule.trim().is_empty() {
        return Err("1:1: expected operand, found 'EOF'".to_string());
    }
    Ok(matcher_args(rule, "hostsni")
        .into_iter()
        .map(|d| d.to_ascii_lowercase())
        .collect())
}

/// First string argument of every call to `name` (case-insensitive) in `rule`.
fn matcher_args(rule: &str, name: &str) -> Vec<String> {
    let bytes = rule.as_bytes();
    let lower = rule.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = lower[i..].find(name) {
        let start = i + off;
        let end = start + name.len();
        i = end;
        let before_ok = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric());
        let rest = rule[end..].trim_start();
        if !before_ok || !rest.starts_with('(') {
            continue;
        }
        let arg = rest[1..].trim_start();
        let Some(q) = arg.chars().next() else {
            continue;
        };
        if q != '`' && q != '"' {
            continue;
        }
        if let Some(close) = arg[1..].find(q) {
            out.push(arg[1..1 + close].to_string());
        }
    }
    out
}

/// Whether Go's `regexp.Compile` rejects `re`, and with which text
/// (`error parsing regexp: <code>: `<expr>``).
pub fn go_regexp_error(re: &str) -> Option<String> {
    use regex_syntax::ast::ErrorKind as K;
    let err = match regex_syntax::ast::parse::Parser::new().parse(re) {
        Ok(_) => match regex_syntax::Parser::new().parse(re) {
            Ok(_) => return None,
            Err(_) => {
                return Some(format!(
                    "error parsing regexp: invalid escape sequence: `{re}`"
                ));
            }
        },
        Err(e) => e,
    };
    let span = err.span();
    let frag = |from: usize, to: usize| re.get(from..to).unwrap_or(re).to_string();
    let text = match err.kind() {
        K::GroupUnclosed => format!("missing closing ): `{re}`"),
        K::GroupUnopened => format!("unexpected ): `{re}`"),
        K::ClassUnclosed => format!("missing closing ]: `{}`", frag(span.start.offset, re.len())),
        K::RepetitionMissing => format!(
            "missing argument to repetition operator: `{}`",
            frag(
                span.start.offset,
                span.end.offset.max(span.start.offset + 1)
            )
        ),
        K::EscapeUnrecognized
        | K::EscapeHexInvalid
        | K::EscapeHexEmpty
        | K::EscapeUnexpectedEof => {
            format!(
                "invalid escape sequence: `{}`",
                frag(span.start.offset, span.end.offset)
            )
        }
        K::ClassRangeInvalid => format!(
            "invalid character class range: `{}`",
            frag(span.start.offset, span.end.offset)
        ),
        K::RepetitionCountInvalid => format!(
            "invalid repeat count: `{}`",
            frag(span.start.offset, span.end.offset)
        ),
        K::GroupNameInvalid | K::GroupNameEmpty | K::GroupNameUnexpectedEof => format!(
            "invalid named capture: `{}`",
            frag(span.start.offset, span.end.offset)
        ),
        K::GroupNameDuplicate { .. } => format!(
            "duplicate capture group name: `{}`",
            frag(span.start.offset, span.end.offset)
        ),
        K::FlagUnrecognized
        | K::FlagDanglingNegation
        | K::FlagRepeatedNegation { .. }
        | K::FlagUnexpectedEof => {
            format!(
                "invalid or unsupported Perl syntax: `{}`",
                frag(span.start.offset, span.end.offset)
            )
        }
        _ => format!("invalid regexp: `{re}`"),
    };
    Some(format!("error parsing regexp: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisional_priorities() {
        assert_eq!(http_priority("Host(`a.example.com`)"), 21);
        assert_eq!(tcp_priority("HostSNI(`*`)"), -1);
        assert_eq!(tcp_priority("HostSNI(`a`)"), 12);
    }

    #[test]
    fn domains_are_scanned() {
        assert_eq!(
            http_domains("Host(`A.example.com`) || PathPrefix(`/x`) && host(\"b\")").unwrap(),
            vec!["a.example.com", "b"]
        );
        assert!(http_domains("PathPrefix(`/x`)").unwrap().is_empty());
    }

    #[test]
    fn go_regexp_texts() {
        assert_eq!(
            go_regexp_error("(").as_deref(),
            Some("error parsing regexp: missing closing ): `(`")
        );
        assert!(go_regexp_error("^/api/(.*)").is_none());
    }
}
