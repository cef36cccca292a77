//! YAML → [`Raw`] documents, resolving scalars the way Go's `yaml.v3` does when
//! decoding into `interface{}` (what Traefik's file provider does).
//!
//! Built on `granit-parser`'s event stream so that every key keeps its line and
//! column. Handles anchors, aliases and `<<` merge keys; rejects duplicate keys
//! with yaml.v3's message.

use super::de::DecodeError;
use super::node::At;
use super::raw::{Raw, RawAt, RawEntry};
use crate::source::Pos;
use granit_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;

/// Deepest nesting accepted; deeper input is refused instead of risking the stack.
pub const MAX_DEPTH: usize = 200;

/// Most nodes a document may expand to through aliases ("billion laughs" input is
/// refused instead of exhausting memory).
pub const MAX_NODES: usize = 2_000_000;

/// Parse every document of a YAML stream.
pub fn parse_documents(text: &str) -> Result<Vec<RawAt>, DecodeError> {
    let mut builder = Builder {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        depth: 0,
        nodes: 0,
    };
    builder.stream()
}

struct Builder<'a> {
    events: Parser<'a, granit_parser::StrInput<'a>>,
    /// Anchored values and how many nodes each one holds.
    anchors: HashMap<usize, (RawAt, usize)>,
    depth: usize,
    /// Nodes built so far, aliases counted at their full size.
    nodes: usize,
}

fn pos_of(span: &Span) -> Pos {
    Pos::new(span.start.line() as u32, span.start.col() as u32 + 1)
}

fn error(pos: Pos, message: impl Into<String>) -> DecodeError {
    DecodeError {
        message: message.into(),
        at: At::Pos(pos),
    }
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), DecodeError> {
        match self.events.next() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => {
                let m = e.marker();
                Err(error(
                    Pos::new(m.line() as u32, m.col() as u32 + 1),
                    format!("yaml: line {}: {}", m.line(), e.info()),
                ))
            }
            None => Err(error(Pos::default(), "yaml: unexpected end of stream")),
        }
    }

    fn stream(&mut self) -> Result<Vec<RawAt>, DecodeError> {
        let mut docs = Vec::new();
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::StreamStart | Event::DocumentEnd | Event::Comment(..) => {}
                Event::StreamEnd => return Ok(docs),
                Event::DocumentStart(..) => {
                    self.anchors.clear();
                    let (ev, span) = self.next_content()?;
                    if matches!(ev, Event::DocumentEnd) {
                        docs.push(RawAt {
                            raw: Raw::Null,
                            pos: pos_of(&span),
                        });
                        continue;
                    }
                    docs.push(self.value(ev, span)?);
                }
                _ => return Err(error(pos_of(&span), "yaml: unexpected event")),
            }
        }
    }

    /// Next event that is not a comment.
    fn next_content(&mut self) -> Result<(Event<'a>, Span), DecodeError> {
        loop {
            let (ev, span) = self.next()?;
            if !matches!(ev, Event::Comment(..)) {
                return Ok((ev, span));
            }
        }
    }

    /// Count `n` more nodes, refusing documents that expand past [`MAX_NODES`].
    fn grow(&mut self, n: usize, pos: Pos) -> Result<(), DecodeError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(error(
                pos,
                format!(
                    "yaml: document expands to more than {MAX_NODES} nodes through aliases; refused"
                ),
            ));
        }
        Ok(())
    }

    fn value(&mut self, ev: Event<'a>, span: Span) -> Result<RawAt, DecodeError> {
        let pos = pos_of(&span);
        let before = self.nodes;
        self.grow(1, pos)?;
        let (value, anchor) = match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.map(|t| t.suffix().to_string());
                (resolve_scalar(&text, style, tag.as_deref(), pos)?, anchor)
            }
            Event::Alias(id) => {
                let size = self
                    .anchors
                    .get(&id)
                    .map(|(_, n)| *n)
                    .ok_or_else(|| error(pos, "yaml: unknown anchor referenced"))?;
                // Count before cloning: an alias bomb is refused before it is built.
                self.grow(size, pos)?;
                let target = self.anchors[&id].0.clone();
                return Ok(RawAt {
                    raw: target.raw,
                    pos,
                });
            }
            Event::SequenceStart(_, anchor, _) => (self.sequence(pos)?, anchor),
            Event::MappingStart(_, anchor, _) => (self.mapping(pos)?, anchor),
            _ => return Err(error(pos, "yaml: unexpected event")),
        };
        let at = RawAt { raw: value, pos };
        if anchor != 0 {
            self.anchors
                .insert(anchor, (at.clone(), self.nodes - before));
        }
        Ok(at)
    }

    fn enter(&mut self, pos: Pos) -> Result<(), DecodeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(
                pos,
                format!("yaml: nesting deeper than {MAX_DEPTH} levels is refused"),
            ));
        }
        Ok(())
    }

    fn sequence(&mut self, pos: Pos) -> Result<Raw, DecodeError> {
        self.enter(pos)?;
        let mut items = Vec::new();
        loop {
            let (ev, span) = self.next_content()?;
            if matches!(ev, Event::SequenceEnd) {
                break;
            }
            items.push(self.value(ev, span)?);
        }
        self.depth -= 1;
        Ok(Raw::Seq(items))
    }

    fn mapping(&mut self, pos: Pos) -> Result<Raw, DecodeError> {
        self.enter(pos)?;
        let mut entries: Vec<RawEntry> = Vec::new();
        let mut merged: Vec<RawEntry> = Vec::new();
        loop {
            let (ev, span) = self.next_content()?;
            if matches!(ev, Event::MappingEnd) {
                break;
            }
            let key_pos = pos_of(&span);
            let (key, is_merge) = match &ev {
                Event::Scalar(text, style, _, _) => (
                    text.to_string(),
                    *style == ScalarStyle::Plain && text == "<<",
                ),
                _ => {
                    // Complex keys: decode and stringify; Go would not produce a string key.
                    let raw = self.value(ev, span)?;
                    return Err(error(
                        raw.pos,
                        "yaml: unmarshal errors: mapping keys must be scalars",
                    ));
                }
            };
            if let Event::Scalar(_, _, anchor, _) = &ev
                && *anchor != 0
            {
                self.anchors.insert(
                    *anchor,
                    (
                        RawAt {
                            raw: Raw::Str(key.clone()),
                            pos: key_pos,
                        },
                        1,
                    ),
                );
            }
            let (vev, vspan) = self.next_content()?;
            let value = self.value(vev, vspan)?;
            if is_merge {
                merge_into(&mut merged, value)?;
                continue;
            }
            if let Some(prev) = entries.iter().find(|e| e.key == key) {
                return Err(error(
                    key_pos,
                    format!(
                        "yaml: unmarshal errors:\n  line {}: mapping key {} already defined at line {}",
                        key_pos.line,
                        super::goconv::go_quote(&key),
                        prev.key_pos.line
                    ),
                ));
            }
            entries.push(RawEntry {
                key,
                key_pos,
                value,
            });
        }
        self.depth -= 1;
        for m in merged {
            if !entries.iter().any(|e| e.key == m.key) {
                entries.push(m);
            }
        }
        Ok(Raw::Map(entries))
    }
}

/// `<<: *anchor` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all.
fn merge_into(merged: &mut Vec<RawEntry>, value: RawAt) -> Result<(), DecodeError> {
    let sources = match value.raw {
        Raw::Map(entries) => vec![entries],
        Raw::Seq(items) => items
            .into_iter()
            .map(|i| match i.raw {
                Raw::Map(entries) => Ok(entries),
                _ => Err(error(
                    i.pos,
                    "yaml: map merge requires map or sequence of maps as the value",
                )),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(error(
                value.pos,
                "yaml: map merge requires map or sequence of maps as the value",
            ));
        }
    };
    for entries in sources {
        for e in entries {
            if !merged.iter().any(|m| m.key == e.key) {
                merged.push(e);
            }
        }
    }
    Ok(())
}

/// yaml.v3's resolution of a scalar into a Go value.
fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    pos: Pos,
) -> Result<Raw, DecodeError> {
    if let Some(tag) = tag {
        return resolve_tagged(text, tag, pos);
    }
    if style != ScalarStyle::Plain {
        return Ok(Raw::Str(text.to_string()));
    }
    Ok(resolve_plain(text))
}

fn resolve_tagged(text: &str, tag: &str, pos: Pos) -> Result<Raw, DecodeError> {
    let bad = || {
        error(
            pos,
            format!("yaml: cannot decode !!{tag} `{text}` as a !!{tag}"),
        )
    };
    match tag {
        "str" | "binary" => Ok(Raw::Str(text.to_string())),
        "null" => Ok(Raw::Null),
        "bool" | "int" | "float" | "timestamp" => {
            let plain = resolve_plain(text);
            let ok = matches!(
                (&plain, tag),
                (Raw::Bool(_), "bool")
                    | (Raw::Int(_) | Raw::Uint(_), "int")
                    | (Raw::Float(_) | Raw::Int(_), "float")
                    | (Raw::Time(_), "timestamp")
            );
            if ok { Ok(plain) } else { Err(bad()) }
        }
        _ => Ok(Raw::Str(text.to_string())),
    }
}

/// Plain-scalar resolution of yaml.v3 (`resolve.go`).
pub fn resolve_plain(text: &str) -> Raw {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Raw::Null,
        "true" | "True" | "TRUE" => return Raw::Bool(true),
        "false" | "False" | "FALSE" => return Raw::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Raw::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Raw::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Raw::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Raw::Str(text.to_string());
    }
    if is_timestamp(text) {
        return Raw::Time(text.to_string());
    }
    let plain = text.replace('_', "");
    if let Some(i) = super::goconv::parse_int_base0(&plain) {
        return Raw::Int(i);
    }
    if let Some(u) = super::goconv::parse_uint_base0(&plain) {
        return Raw::Uint(u);
    }
    if is_yaml_float(&plain)
        && let Ok(f) = plain.parse::<f64>()
    {
        return Raw::Float(f);
    }
    Raw::Str(text.to_string())
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// yaml.v3 resolves plain `2001-12-14`, `2001-12-14T21:59:43.10-05:00`, ... to `time.Time`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && {
        let rest = &s[5..];
        let mut parts = rest.splitn(2, '-');
        let month = parts.next().unwrap_or("");
        let tail = parts.next().unwrap_or("");
        let day: String = tail.chars().take_while(char::is_ascii_digit).collect();
        (1..=2).contains(&month.len())
            && month.chars().all(|c| c.is_ascii_digit())
            && (1..=2).contains(&day.len())
            && {
                let after = &tail[day.len()..];
                after.is_empty()
                    || after.starts_with(['T', 't', ' '])
                        && after[1..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_digit())
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Raw {
        parse_documents(text).unwrap().remove(0).raw
    }

    #[test]
    fn scalars_resolve_like_yaml_v3() {
        assert_eq!(resolve_plain("12"), Raw::Int(12));
        assert_eq!(resolve_plain("0x10"), Raw::Int(16));
        assert_eq!(resolve_plain("0755"), Raw::Int(493));
        assert_eq!(resolve_plain("1_000"), Raw::Int(1000));
        assert_eq!(resolve_plain("1.5"), Raw::Float(1.5));
        assert_eq!(resolve_plain("1e3"), Raw::Float(1000.0));
        assert_eq!(resolve_plain("yes"), Raw::Str("yes".into()));
        assert_eq!(resolve_plain("True"), Raw::Bool(true));
        assert_eq!(resolve_plain("~"), Raw::Null);
        assert_eq!(resolve_plain("-5"), Raw::Int(-5));
        assert_eq!(resolve_plain("2001-12-14"), Raw::Time("2001-12-14".into()));
        assert_eq!(resolve_plain("10.0.0.1"), Raw::Str("10.0.0.1".into()));
        assert_eq!(resolve_plain("1.2.3"), Raw::Str("1.2.3".into()));
    }

    #[test]
    fn keys_keep_positions() {
        let Raw::Map(entries) = doc("http:\n  routers:\n    r1:\n      rule: Host(`a`)\n") else {
            panic!("not a map")
        };
        assert_eq!(entries[0].key, "http");
        assert_eq!(entries[0].key_pos, Pos::new(1, 1));
        let Raw::Map(inner) = &entries[0].value.raw else {
            panic!()
        };
        assert_eq!(inner[0].key_pos, Pos::new(2, 3));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(
            err.message
                .contains(r#"mapping key "a" already defined at line 1"#),
            "{}",
            err.message
        );
        assert_eq!(err.at, At::Pos(Pos::new(3, 1)));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let Raw::Map(entries) = doc("base: &b\n  x: 1\n  y: 2\nother:\n  <<: *b\n  y: 3\n") else {
            panic!()
        };
        let Raw::Map(other) = &entries[1].value.raw else {
            panic!()
        };
        let y = other.iter().find(|e| e.key == "y").unwrap();
        assert_eq!(y.value.raw, Raw::Int(3));
        assert!(other.iter().any(|e| e.key == "x"));
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let err = parse_documents("http:\n  routers:\n   - a\n  b: [\n").unwrap_err();
        assert!(matches!(err.at, At::Pos(p) if p.line > 0));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let err = parse_documents(&text).unwrap_err();
        assert!(
            err.message.contains("expands to more than"),
            "{}",
            err.message
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(500) + &"]".repeat(500);
        assert!(parse_documents(&text).is_err());
    }
}
