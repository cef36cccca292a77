//! The untyped node tree every decoder produces before typing.
//!
//! This mirrors `paerser`'s `parser.Node`, the intermediate form Traefik decodes
//! files and KV pairs into: a tree of named nodes whose leaves hold strings.
//! Typing (field lookup, integer parsing, ...) happens in [`super::de`].

use crate::source::Pos;

/// Where a node was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum At {
    /// Unknown (synthesised).
    #[default]
    Unknown,
    /// A position in the file being decoded.
    Pos(Pos),
    /// A KV key.
    Key(String),
}

/// A list of scalars as the file decoder keeps it: Go `reflect.Kind` of the
/// items (paerser encodes it in the value) and the items as strings.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarList {
    /// Go `reflect.Kind` number of the widest item kind (bool 1, int 2, float64 14, string 24).
    pub kind: u8,
    /// The items, formatted as paerser formats them.
    pub items: Vec<String>,
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    /// Key name as written (`[0]`, `[1]`, ... for items of a list of maps).
    pub name: String,
    /// Scalar value (empty for inner nodes).
    pub value: String,
    /// Set when the value was a list of scalars in a file.
    pub list: Option<ScalarList>,
    /// Child nodes.
    pub children: Vec<Node>,
    /// Where the key was written.
    pub at: At,
}

/// paerser's separator for lists of scalars read from files.
pub const RAW_SLICE_SEPARATOR: &str = "\u{2551}";

impl Node {
    /// An inner node.
    pub fn inner(name: &str, at: At) -> Self {
        Self {
            name: name.to_string(),
            at,
            ..Self::default()
        }
    }

    /// The value as paerser holds it: lists of scalars are encoded as
    /// `║<kind>║a║b`, which is what a string field receives from a YAML list.
    pub fn raw_value(&self) -> String {
        match &self.list {
            Some(list) if !list.items.is_empty() => format!(
                "{sep}{kind}{sep}{items}",
                sep = RAW_SLICE_SEPARATOR,
                kind = list.kind,
                items = list.items.join(RAW_SLICE_SEPARATOR)
            ),
            Some(_) => String::new(),
            None => self.value.clone(),
        }
    }

    /// Whether this node is an item of a list of maps (`[N]`).
    pub fn is_array_item(&self) -> bool {
        self.name.len() >= 2 && self.name.starts_with('[') && self.name.ends_with(']')
    }

    /// Child by exact name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Child whose name equals `name` ignoring ASCII case (Traefik's field matching).
    pub fn child_fold(&self, name: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}
