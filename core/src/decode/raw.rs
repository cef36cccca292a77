//! Typed raw values as Go's YAML/TOML libraries hand them to paerser, and
//! paerser's conversion of them into a [`Node`] tree (`decodeRawToNode`).

use super::de::DecodeError;
use super::goconv::format_float_paerser;
use super::node::{At, Node, ScalarList};
use crate::source::Pos;

/// A value as `yaml.v3` / `BurntSushi/toml` decode it into `interface{}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// `null`, `~`, or nothing.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `int64`.
    Uint(u64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A timestamp (Go `time.Time`, which paerser cannot take).
    Time(String),
    /// A sequence.
    Seq(Vec<RawAt>),
    /// A mapping, keys in document order.
    Map(Vec<RawEntry>),
}

/// A value with the position it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAt {
    /// The value.
    pub raw: Raw,
    /// Where it starts.
    pub pos: Pos,
}

/// A mapping entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEntry {
    /// Key text.
    pub key: String,
    /// Where the key is.
    pub key_pos: Pos,
    /// The value.
    pub value: RawAt,
}

/// The top-level fields of Traefik's dynamic configuration: paerser keeps only
/// root keys equal to one of them ignoring case and silently drops the rest.
pub const DYNAMIC_ROOT_FIELDS: [&str; 4] = ["HTTP", "TCP", "UDP", "TLS"];

/// paerser's `decodeRawToNode`: a root mapping → node tree named `traefik`.
///
/// Only root keys matching `filters` (ignoring case) are kept; null values are
/// dropped; keys are sorted byte-wise; scalars become strings the way paerser
/// formats them (floats with six decimals).
pub fn raw_to_node(entries: &[RawEntry], filters: &[&str]) -> Result<Node, DecodeError> {
    let mut root = Node::inner("traefik", At::Unknown);
    let kept: Vec<&RawEntry> = entries
        .iter()
        .filter(|e| filters.is_empty() || filters.iter().any(|f| f.eq_ignore_ascii_case(&e.key)))
        .collect();
    decode_entries(&mut root, kept)?;
    Ok(root)
}

fn decode_entries(node: &mut Node, mut entries: Vec<&RawEntry>) -> Result<(), DecodeError> {
    entries.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    for entry in entries {
        if entry.value.raw == Raw::Null {
            continue;
        }
        let mut child = Node::inner(&entry.key, At::Pos(entry.key_pos));
        match &entry.value.raw {
            Raw::Map(inner) => decode_entries(&mut child, inner.iter().collect())?,
            Raw::Seq(items) => decode_seq(&mut child, items)?,
            Raw::Time(_) => {
                return Err(err(
                    entry.key_pos,
                    format!("field {} uses unsupported type: struct", entry.key),
                ));
            }
            scalar => child.value = simple_value(scalar).unwrap_or_default(),
        }
        node.children.push(child);
    }
    Ok(())
}

fn decode_seq(child: &mut Node, items: &[RawAt]) -> Result<(), DecodeError> {
    let mut values = Vec::new();
    let mut kind = 0u8;
    for (i, item) in items.iter().enumerate() {
        match &item.raw {
            Raw::Map(inner) => {
                let mut ch = Node::inner(&format!("[{i}]"), At::Pos(item.pos));
                decode_entries(&mut ch, inner.iter().collect())?;
                child.children.push(ch);
            }
            Raw::Seq(_) => {
                return Err(err(item.pos, "unsupported simple value type: slice".into()));
            }
            Raw::Null => {
                return Err(err(
                    item.pos,
                    "unsupported simple value type: invalid".into(),
                ));
            }
            Raw::Time(_) => {
                return Err(err(
                    item.pos,
                    format!("field {} uses unsupported slice type: struct", child.name),
                ));
            }
            scalar => {
                kind = kind.max(go_kind(scalar));
                values.extend(simple_value(scalar));
            }
        }
    }
    child.list = Some(ScalarList {
        kind,
        items: values,
    });
    Ok(())
}

/// Go `reflect.Kind` numbers paerser records for typed lists.
fn go_kind(raw: &Raw) -> u8 {
    match raw {
        Raw::Bool(_) => 1,
        Raw::Int(_) => 2,
        Raw::Uint(_) => 11,
        Raw::Float(_) => 14,
        _ => 24,
    }
}

fn simple_value(raw: &Raw) -> Option<String> {
    Some(match raw {
        Raw::Bool(b) => b.to_string(),
        Raw::Int(i) => i.to_string(),
        Raw::Uint(u) => u.to_string(),
        Raw::Float(f) => format_float_paerser(*f),
        Raw::Str(s) => s.clone(),
        _ => return None,
    })
}

fn err(pos: Pos, message: String) -> DecodeError {
    DecodeError {
        message,
        at: At::Pos(pos),
    }
}
