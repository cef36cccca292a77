//! Go values as seen by templates, and Go's `%v` printing of them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Element type of a slice (only its Go type name differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListTy {
    Iface,
    Str,
    Int,
}

pub type MapRef = Rc<RefCell<BTreeMap<String, Value>>>;

#[derive(Debug, Clone)]
pub enum Value {
    /// Go's invalid `reflect.Value` (missing value): prints `<no value>`.
    Invalid,
    /// A nil `interface{}` inside a container: prints `<nil>`.
    Nil,
    Bool(bool),
    /// Go `int`.
    Int(i64),
    /// Go `int64`.
    Int64(i64),
    Float(f64),
    Str(String),
    List(Rc<Vec<Value>>, ListTy),
    /// `map[string]interface{}` (reference semantics, like Go maps).
    Map(MapRef),
    /// `time.Time` from `now`, kept as its printed form.
    Time(String),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    pub fn list(v: Vec<Value>) -> Self {
        Value::List(Rc::new(v), ListTy::Iface)
    }

    pub fn str_list(v: Vec<String>) -> Self {
        Value::List(
            Rc::new(v.into_iter().map(Value::Str).collect()),
            ListTy::Str,
        )
    }

    pub fn map(m: BTreeMap<String, Value>) -> Self {
        Value::Map(Rc::new(RefCell::new(m)))
    }

    /// Go type name (`reflect.Type.String()`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Invalid | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_, ListTy::Iface) => "[]interface {}",
            Value::List(_, ListTy::Str) => "[]string",
            Value::List(_, ListTy::Int) => "[]int",
            Value::Map(_) => "map[string]interface {}",
            Value::Time(_) => "time.Time",
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Invalid | Value::Nil)
    }

    /// Go template truth (`text/template.isTrue`).
    pub fn truth(&self) -> bool {
        match self {
            Value::Invalid | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l, _) => !l.is_empty(),
            Value::Map(m) => !m.borrow().is_empty(),
            Value::Time(_) => true,
        }
    }

    /// Inside a container, a missing value is a nil interface.
    pub fn stored(self) -> Value {
        match self {
            Value::Invalid => Value::Nil,
            v => v,
        }
    }

    /// Out of a container into the template: a nil interface becomes "no value".
    pub fn loaded(self) -> Value {
        match self {
            Value::Nil => Value::Invalid,
            v => v,
        }
    }

    /// `fmt.Sprint(v)` of one value (`%v`).
    pub fn go_string(&self) -> String {
        let mut s = String::new();
        self.write_v(&mut s, true);
        s
    }

    fn write_v(&self, out: &mut String, top: bool) {
        match self {
            Value::Invalid => out.push_str(if top { "<no value>" } else { "<nil>" }),
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&super::fmt::format_float_g(*f)),
            Value::Str(s) => out.push_str(s),
            Value::List(l, _) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_v(out, false);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_v(out, false);
                }
                out.push(']');
            }
            Value::Time(t) => out.push_str(t),
        }
    }

    /// Numeric view for comparisons.
    pub fn basic_kind(&self) -> BasicKind {
        match self {
            Value::Bool(_) => BasicKind::Bool,
            Value::Int(_) | Value::Int64(_) => BasicKind::Int,
            Value::Float(_) => BasicKind::Float,
            Value::Str(_) => BasicKind::Str,
            Value::Invalid => BasicKind::Invalid,
            _ => BasicKind::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicKind {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
    Other,
}
