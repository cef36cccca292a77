//! TOML → [`Raw`], as `BurntSushi/toml` decodes into `map[string]interface{}`.

use super::de::DecodeError;
use super::node::At;
use super::raw::{Raw, RawAt, RawEntry};
use crate::source::Pos;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Parse a TOML document into its root entries.
pub fn parse(text: &str) -> Result<Vec<RawEntry>, DecodeError> {
    let lines = LineIndex::new(text);
    let table = DeTable::parse(text).map_err(|e| {
        let pos = e.span().map(|s| lines.pos(s.start)).unwrap_or_default();
        DecodeError {
            message: format!("toml: line {}: {}", pos.line, e.message().trim()),
            at: At::Pos(pos),
        }
    })?;
    table_entries(table.get_ref(), &lines)
}

fn table_entries(table: &DeTable<'_>, lines: &LineIndex) -> Result<Vec<RawEntry>, DecodeError> {
    table
        .iter()
        .map(|(k, v)| {
            Ok(RawEntry {
                key: k.get_ref().to_string(),
                key_pos: lines.pos(k.span().start),
                value: value(v, lines)?,
            })
        })
        .collect()
}

fn value(v: &Spanned<DeValue<'_>>, lines: &LineIndex) -> Result<RawAt, DecodeError> {
    let pos = lines.pos(v.span().start);
    let raw = match v.get_ref() {
        DeValue::String(s) => Raw::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let (neg, digits) = match digits.strip_prefix('-') {
                Some(d) => (true, d.to_string()),
                None => (false, digits.trim_start_matches('+').to_string()),
            };
            let mag = i64::from_str_radix(&digits, i.radix()).map_err(|_| DecodeError {
                message: format!("toml: integer {} is out of range", i.as_str()),
                at: At::Pos(pos),
            })?;
            Raw::Int(if neg { -mag } else { mag })
        }
        DeValue::Float(f) => {
            let text = f.as_str().replace('_', "");
            let parsed = match text.as_str() {
                "inf" | "+inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "+nan" | "-nan" => f64::NAN,
                t => t.parse().unwrap_or(f64::NAN),
            };
            Raw::Float(parsed)
        }
        DeValue::Boolean(b) => Raw::Bool(*b),
        DeValue::Datetime(d) => Raw::Time(d.to_string()),
        DeValue::Array(items) => Raw::Seq(
            items
                .iter()
                .map(|i| value(i, lines))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => Raw::Map(table_entries(t, lines)?),
    };
    Ok(RawAt { raw, pos })
}

/// Byte offset → line/column.
pub struct LineIndex {
    starts: Vec<usize>,
    text_len: usize,
}

impl LineIndex {
    /// Index the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self {
            starts,
            text_len: text.len(),
        }
    }

    /// 1-based line and column (in bytes) of a byte offset.
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text_len);
        let line = self.starts.partition_point(|&s| s <= offset);
        let col = offset - self.starts[line - 1] + 1;
        Pos::new(line as u32, col as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_keeps_positions_and_types() {
        let entries = parse("[http.routers.r1]\nrule = \"Host(`a`)\"\npriority = 12\n").unwrap();
        assert_eq!(entries[0].key, "http");
        let Raw::Map(http) = &entries[0].value.raw else {
            panic!()
        };
        let Raw::Map(routers) = &http[0].value.raw else {
            panic!()
        };
        let Raw::Map(r1) = &routers[0].value.raw else {
            panic!()
        };
        let prio = r1.iter().find(|e| e.key == "priority").unwrap();
        assert_eq!(prio.value.raw, Raw::Int(12));
        assert_eq!(prio.key_pos, Pos::new(3, 1));
    }

    #[test]
    fn toml_errors_have_a_line() {
        let err = parse("[http]\nrouters = {\n").unwrap_err();
        assert!(matches!(err.at, At::Pos(p) if p.line >= 2), "{err:?}");
    }
}
