//! A serde `Deserializer` over [`Node`] trees with Traefik's (paerser's) rules.
//!
//! What it reproduces, and why it is a deserializer rather than serde attributes:
//! - struct fields are matched **case-insensitively** against the field list serde
//!   hands us; an unknown key is `field not found, node: <key>` and rejects the
//!   whole provider, exactly like paerser's `AddMetadata`;
//! - map keys (object names) stay case-sensitive;
//! - every leaf is a string parsed on demand with Go's `strconv` rules, so
//!   `priority: "12"` works and `priority: abc` fails with Go's text;
//! - a struct or map given without children is `<key> cannot be a standalone
//!   element`, unless the field is tagged `allowEmpty` in Traefik, where an empty
//!   value switches the section on and a value other than `true` switches it off;
//! - a scalar where a list is expected is split on commas; a YAML list stays a list.

use super::node::{At, Node};
use crate::model::ALLOW_EMPTY_MARKER;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A decode error with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// What went wrong, in Traefik's words where Traefik has words for it.
    pub message: String,
    /// The key the error is about.
    pub at: At,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self {
            message: msg.to_string(),
            at: At::Unknown,
        }
    }
}

impl DecodeError {
    fn at(node: &Node, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            at: node.at.clone(),
        }
    }

    /// Attach `node`'s place to an error that has none yet.
    fn locate(mut self, node: &Node) -> Self {
        if self.at == At::Unknown {
            self.at = node.at.clone();
        }
        self
    }
}

/// Decode a typed value from a node tree (the node is the value itself, e.g. the root).
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &Node) -> Result<T, DecodeError> {
    T::deserialize(NodeDe::new(node)).map_err(|e| e.locate(node))
}

/// Deserializer over one node.
#[derive(Clone, Copy)]
pub struct NodeDe<'a> {
    node: &'a Node,
    /// The node is a struct field tagged `allowEmpty`.
    allow_empty: bool,
    /// The node is a map value or a list item, not a struct field: paerser's
    /// "standalone element" check applies to fields only (`empty: {}` is a valid middleware).
    element: bool,
}

impl<'a> NodeDe<'a> {
    /// Deserializer for `node`.
    pub fn new(node: &'a Node) -> Self {
        Self {
            node,
            allow_empty: false,
            element: false,
        }
    }

    /// Deserializer for a map value or list item.
    fn element(node: &'a Node) -> Self {
        Self {
            node,
            allow_empty: false,
            element: true,
        }
    }

    /// The leaf string for a scalar field; inner nodes are rejected like paerser does.
    fn leaf(&self, kind: &str) -> Result<String, DecodeError> {
        if self.node.children.is_empty() {
            Ok(self.node.raw_value())
        } else {
            Err(DecodeError::at(
                self.node,
                format!("invalid node {}: {kind}", self.node.name),
            ))
        }
    }

    fn standalone(&self, type_name: &str) -> DecodeError {
        DecodeError::at(
            self.node,
            format!(
                "{} cannot be a standalone element (type {type_name})",
                self.node.name
            ),
        )
    }

    fn parse<T>(
        &self,
        kind: &str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, DecodeError> {
        let v = self.leaf(kind)?;
        f(&v).map_err(|m| DecodeError::at(self.node, m))
    }

    /// The items of a list field.
    fn list_items(&self) -> Vec<Node> {
        let node = self.node;
        if !node.children.is_empty() {
            return node.children.clone();
        }
        let values: Vec<String> = match &node.list {
            Some(list) => list.items.clone(),
            None if node.value.is_empty() => Vec::new(),
            None => node.value.split(',').map(str::to_string).collect(),
        };
        values
            .into_iter()
            .map(|v| Node {
                name: node.name.clone(),
                value: v.trim().to_string(),
                at: node.at.clone(),
                ..Node::default()
            })
            .collect()
    }
}

macro_rules! int_method {
    ($method:ident, $visit:ident, $ty:ty, $bits:expr) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            let v = self.parse("int", |s| super::goconv::parse_int(s, $bits))?;
            visitor.$visit(v as $ty)
        }
    };
}

macro_rules! uint_method {
    ($method:ident, $visit:ident, $ty:ty, $bits:expr) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
            let v = self.parse("uint", |s| super::goconv::parse_uint(s, $bits))?;
            visitor.$visit(v as $ty)
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        // Raw maps (plugin configuration): paerser keeps leaves as strings.
        let node = self.node;
        if node.children.is_empty() {
            if let Some(list) = &node.list {
                let items: Vec<String> = list.items.clone();
                return visitor.visit_seq(items.into_deserializer());
            }
            return visitor.visit_string(node.value.clone());
        }
        if node.children.iter().all(Node::is_array_item) {
            let items = node.children.clone();
            return visitor.visit_seq(OwnedSeq { items, idx: 0 });
        }
        visitor.visit_map(NodeMap {
            entries: node.children.iter().map(|c| (c.name.as_str(), c)).collect(),
            idx: 0,
            elements: true,
        })
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_bool(self.parse("bool", super::goconv::parse_bool)?)
    }

    int_method!(deserialize_i8, visit_i8, i8, 8);
    int_method!(deserialize_i16, visit_i16, i16, 16);
    int_method!(deserialize_i32, visit_i32, i32, 32);
    int_method!(deserialize_i64, visit_i64, i64, 64);
    uint_method!(deserialize_u8, visit_u8, u8, 8);
    uint_method!(deserialize_u16, visit_u16, u16, 16);
    uint_method!(deserialize_u32, visit_u32, u32, 32);
    uint_method!(deserialize_u64, visit_u64, u64, 64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_f32(self.parse("float32", super::goconv::parse_float)? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_f64(self.parse("float64", super::goconv::parse_float)?)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_string(self.leaf("string")?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        if name != ALLOW_EMPTY_MARKER {
            return visitor.visit_newtype_struct(self);
        }
        // paerser: `Disabled = value != "" && !EqualFold(value, "true")` for allowEmpty fields.
        let value = &self.node.value;
        if self.node.list.is_none() && !value.is_empty() && !value.eq_ignore_ascii_case("true") {
            return visitor.visit_none();
        }
        visitor.visit_newtype_struct(NodeDe {
            node: self.node,
            allow_empty: true,
            element: self.element,
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let items = self.list_items();
        visitor.visit_seq(OwnedSeq { items, idx: 0 })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.node.children.is_empty() {
            if self.element {
                return visitor.visit_map(NodeMap {
                    entries: Vec::new(),
                    idx: 0,
                    elements: true,
                });
            }
            return Err(self.standalone("map"));
        }
        visitor.visit_map(NodeMap {
            entries: self
                .node
                .children
                .iter()
                .map(|c| (c.name.as_str(), c))
                .collect(),
            idx: 0,
            elements: true,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        if self.node.children.is_empty() {
            if self.allow_empty || self.element {
                return visitor.visit_map(NodeMap {
                    entries: Vec::new(),
                    idx: 0,
                    elements: false,
                });
            }
            return Err(self.standalone(name));
        }
        let mut entries: Vec<(&'static str, &Node)> = Vec::new();
        for child in &self.node.children {
            let Some(field) = fields.iter().find(|f| f.eq_ignore_ascii_case(&child.name)) else {
                // Fields tagged `file:"-"` exist in Go: paerser finds them and ignores them.
                if crate::model::is_file_ignored(name, &child.name) {
                    continue;
                }
                return Err(DecodeError::at(
                    child,
                    format!("field not found, node: {}", child.name),
                ));
            };
            // Two spellings of one field: the later (in key order) wins, as in paerser.
            match entries.iter_mut().find(|(f, _)| f == field) {
                Some(entry) => entry.1 = child,
                None => entries.push((field, child)),
            }
        }
        visitor.visit_map(NodeMap {
            entries,
            idx: 0,
            elements: false,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let value = self.leaf(name)?;
        visitor.visit_enum(value.into_deserializer())
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }
}

/// Items of a list.
struct OwnedSeq {
    items: Vec<Node>,
    idx: usize,
}

impl<'de> SeqAccess<'de> for OwnedSeq {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        let Some(node) = self.items.get(self.idx) else {
            return Ok(None);
        };
        self.idx += 1;
        seed.deserialize(NodeDe::element(node))
            .map(Some)
            .map_err(|e| e.locate(node))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.idx)
    }
}

/// Entries of a struct (keys already mapped to field names) or of a map.
struct NodeMap<'a> {
    entries: Vec<(&'a str, &'a Node)>,
    idx: usize,
    /// Map entries (values are elements) rather than struct fields.
    elements: bool,
}

impl<'de> MapAccess<'de> for NodeMap<'_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, _)) = self.entries.get(self.idx) else {
            return Ok(None);
        };
        let key: de::value::StrDeserializer<'_, DecodeError> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let (_, node) = self.entries[self.idx];
        self.idx += 1;
        let de = if self.elements {
            NodeDe::element(node)
        } else {
            NodeDe::new(node)
        };
        seed.deserialize(de).map_err(|e| e.locate(node))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.idx)
    }
}
