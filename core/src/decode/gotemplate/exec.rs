//! Executor: a port of Go's `text/template/exec.go` over [`Value`]s.

use std::rc::Rc;

use super::fmt as gofmt;
use super::funcs::{self, Class, Pt, UNSUPPORTED};
use super::parse::{Arg, Branch, Command, Node, Number, Pipe, Term};
use super::value::{BasicKind, ListTy, Value};
use super::{Note, NoteKind, ParseFail};

pub struct Exec<'a> {
    pub name: &'a str,
    pub text: &'a str,
    vars: Vec<(String, Value)>,
    pub out: String,
    pub notes: Vec<Note>,
    steps: u64,
    /// Go's `s.node`: the node errors are reported at.
    cur: (usize, String),
    /// (output offset, source offset, verbatim text?) for each output piece.
    pub segments: Vec<(usize, usize, bool)>,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type R<T> = Result<T, ParseFail>;

/// Guard against runaway templates (`until 100000000`).
const MAX_STEPS: u64 = 5_000_000;
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

impl<'a> Exec<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Self {
        Self {
            name,
            text,
            vars: vec![("$".into(), Value::Bool(false))],
            out: String::new(),
            notes: Vec::new(),
            steps: 0,
            cur: (0, String::new()),
            segments: Vec::new(),
        }
    }

    fn line_col(&self, pos: usize) -> (usize, usize) {
        let before = &self.text[..pos.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(i) => pos - (i + 1),
            None => pos,
        };
        (line, col)
    }

    fn errorf(&self, pos: usize, context: &str, msg: impl AsRef<str>) -> ParseFail {
        let (line, col) = self.line_col(pos);
        ParseFail::Exec {
            message: format!(
                "template: {}:{}:{}: executing {} at <{}>: {}",
                self.name,
                line,
                col,
                gofmt::go_quote(self.name),
                context,
                msg.as_ref()
            ),
            line,
            column: col + 1,
        }
    }

    fn at(&mut self, pos: usize, ctx: String) {
        self.cur = (pos, ctx);
    }

    fn at_arg(&mut self, a: &Arg) {
        self.cur = (a.pos, a.render());
    }

    fn err_here(&self, msg: impl AsRef<str>) -> ParseFail {
        self.errorf(self.cur.0, &self.cur.1.clone(), msg)
    }

    fn unsupported(&self, pos: usize, what: impl Into<String>) -> ParseFail {
        let (line, _) = self.line_col(pos);
        ParseFail::Unsupported {
            what: what.into(),
            line,
        }
    }

    fn tick(&mut self, pos: usize) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS || self.out.len() > MAX_OUTPUT {
            return Err(self.unsupported(
                pos,
                "a template that runs longer than this validator allows",
            ));
        }
        Ok(())
    }

    pub fn run(&mut self, nodes: &[Node]) -> R<()> {
        let dot = Value::Bool(false);
        match self.walk(&dot, nodes)? {
            Flow::Normal => Ok(()),
            _ => Ok(()),
        }
    }

    fn walk(&mut self, dot: &Value, nodes: &[Node]) -> R<Flow> {
        for n in nodes {
            match self.walk_one(dot, n)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_one(&mut self, dot: &Value, node: &Node) -> R<Flow> {
        match node {
            Node::Text(pos, t) => {
                self.segments.push((self.out.len(), *pos, true));
                self.out.push_str(t);
                Ok(Flow::Normal)
            }
            Node::Action { pos, pipe } => {
                self.tick(*pos)?;
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.segments.push((self.out.len(), *pos, false));
                    self.print(&v);
                }
                Ok(Flow::Normal)
            }
            Node::If(b) | Node::With(b) => {
                let mark = self.vars.len();
                let r = self.walk_if_with(dot, b, matches!(node, Node::With(_)));
                self.vars.truncate(mark);
                r
            }
            Node::Range(b) => {
                let mark = self.vars.len();
                let r = self.walk_range(dot, b);
                self.vars.truncate(mark);
                r
            }
            Node::Break => Ok(Flow::Break),
            Node::Continue => Ok(Flow::Continue),
        }
    }

    fn print(&mut self, v: &Value) {
        let v = v.clone().loaded();
        self.out.push_str(&v.go_string());
    }

    fn walk_if_with(&mut self, dot: &Value, b: &Branch, is_with: bool) -> R<Flow> {
        let v = self.eval_pipeline(dot, &b.pipe)?;
        if v.truth() {
            let d = if is_with { v } else { dot.clone() };
            self.walk(&d, &b.list)
        } else if let Some(e) = &b.else_list {
            self.walk(dot, e)
        } else {
            Ok(Flow::Normal)
        }
    }

    fn walk_range(&mut self, dot: &Value, b: &Branch) -> R<Flow> {
        let pipe = &b.pipe;
        let mut p = pipe.clone();
        p.decl.clear();
        let val = self.eval_pipeline(dot, &p)?;
        let items: Vec<(Value, Value)> = match &val {
            Value::List(l, _) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Value::Int(i as i64), e.clone()))
                .collect(),
            Value::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, v)| (Value::str(k.clone()), v.clone()))
                .collect(),
            Value::Int(n) | Value::Int64(n) => {
                if pipe.decl.len() > 1 {
                    return Err(self.err_here(format!(
                        "can't use {} to iterate over more than one variable",
                        n
                    )));
                }
                let mk = |i: i64| {
                    if matches!(val, Value::Int64(_)) {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    }
                };
                if *n > MAX_STEPS as i64 {
                    return Err(self.unsupported(pipe.pos, "a range over a very large integer"));
                }
                (0..*n).map(|i| (mk(i), mk(i))).collect()
            }
            Value::Invalid | Value::Nil => Vec::new(),
            other => {
                return Err(
                    self.err_here(format!("range can't iterate over {}", other.go_string()))
                );
            }
        };
        if items.is_empty() {
            if let Some(e) = &b.else_list {
                return self.walk(dot, e);
            }
            return Ok(Flow::Normal);
        }
        for (index, elem) in items {
            self.tick(pipe.pos)?;
            let mark = self.vars.len();
            let elem = elem.loaded();
            match pipe.decl.len() {
                0 => {}
                1 => self.bind(pipe, 0, elem.clone())?,
                _ => {
                    self.bind(pipe, 0, index)?;
                    self.bind(pipe, 1, elem.clone())?;
                }
            }
            let f = self.walk(&elem, &b.list)?;
            self.vars.truncate(mark);
            if matches!(f, Flow::Break) {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn bind(&mut self, pipe: &Pipe, i: usize, v: Value) -> R<()> {
        let name = &pipe.decl[i];
        if pipe.is_assign {
            self.set_var(name, v)?;
        } else {
            self.vars.push((name.clone(), v));
        }
        Ok(())
    }

    fn set_var(&mut self, name: &str, v: Value) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.err_here(format!("undefined variable: {name}"))),
        }
    }

    fn var(&self, pos: usize, name: &str) -> R<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.errorf(pos, name, format!("undefined variable: {name}"))),
        }
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        self.at(pipe.pos, pipe.render());
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Invalid).loaded();
        for (i, _) in pipe.decl.iter().enumerate() {
            self.bind(pipe, i, value.clone())?;
        }
        Ok(value)
    }

    fn not_a_function(&self, cmd: &Command, final_: &Option<Value>) -> R<()> {
        if cmd.args.len() > 1 || final_.is_some() {
            let a = &cmd.args[0];
            let shown = match &a.term {
                Term::Pipe(p) => p.render(),
                _ => a.render(),
            };
            return Err(self.err_here(format!("can't give argument to non-function {shown}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, final_: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        match &first.term {
            Term::Field(fields) => {
                self.at_arg(first);
                return self.eval_field_chain(first, dot.clone(), fields, &cmd.args, final_);
            }
            Term::Chain(inner, fields) => {
                self.at_arg(first);
                let recv = self.eval_arg_value(dot, inner)?;
                self.at_arg(first);
                return self.eval_field_chain(first, recv, fields, &cmd.args, final_);
            }
            Term::Ident(name) => {
                return self.eval_function(dot, first, Some(cmd), name, &cmd.args, final_);
            }
            Term::Var(name, fields) => {
                self.at_arg(first);
                let v = self.var(first.pos, name)?;
                if fields.is_empty() {
                    self.not_a_function(cmd, &final_)?;
                    return Ok(v);
                }
                return self.eval_field_chain(first, v, fields, &cmd.args, final_);
            }
            Term::Pipe(p) => {
                self.not_a_function(cmd, &final_)?;
                return self.eval_pipeline(dot, p);
            }
            _ => {}
        }
        self.at_arg(first);
        self.not_a_function(cmd, &final_)?;
        match &first.term {
            Term::Bool(b) => Ok(Value::Bool(*b)),
            Term::Dot => Ok(dot.clone()),
            Term::Nil => Err(self.errorf(first.pos, "nil", "nil is not a command")),
            Term::Number(n) => self.ideal_constant(first, n),
            Term::Str { value, .. } => Ok(Value::str(value.clone())),
            _ => Err(self.errorf(first.pos, &first.render(), "can't evaluate command")),
        }
    }

    fn ideal_constant(&self, at: &Arg, n: &Number) -> R<Value> {
        let hex = n.text.starts_with("0x") || n.text.starts_with("0X");
        if !n.is_char && !hex && n.text.contains(['.', 'e', 'E', 'p', 'P']) && n.float.is_some() {
            return Ok(Value::Float(n.float.unwrap_or(0.0)));
        }
        match n.int {
            Some(i) => Ok(Value::Int(i)),
            None => Err(self.errorf(at.pos, &at.render(), format!("{} overflows int", n.text))),
        }
    }

    /// Value of an argument node in a non-typed position (chain receiver).
    fn eval_arg_value(&mut self, dot: &Value, a: &Arg) -> R<Value> {
        match &a.term {
            Term::Pipe(p) => self.eval_pipeline(dot, p),
            Term::Var(name, fields) => {
                self.at_arg(a);
                let v = self.var(a.pos, name)?;
                if fields.is_empty() {
                    Ok(v)
                } else {
                    self.eval_field_chain(a, v, fields, &[], None)
                }
            }
            Term::Field(f) => {
                self.at_arg(a);
                self.eval_field_chain(a, dot.clone(), f, &[], None)
            }
            Term::Chain(inner, f) => {
                self.at_arg(a);
                let r = self.eval_arg_value(dot, inner)?;
                self.at_arg(a);
                self.eval_field_chain(a, r, f, &[], None)
            }
            Term::Ident(name) => {
                self.eval_function(dot, a, None, name, std::slice::from_ref(a), None)
            }
            Term::Nil => Err(self.errorf(a.pos, "nil", "indirection through explicit nil in nil")),
            _ => self.eval_arg(dot, Pt::Any, a),
        }
    }

    fn eval_field_chain(
        &mut self,
        node: &Arg,
        mut recv: Value,
        fields: &[String],
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let has_args = args.len() > 1 || final_.is_some();
        for (i, f) in fields.iter().enumerate() {
            let last = i + 1 == fields.len();
            recv = match &recv {
                Value::Invalid => return Ok(Value::Invalid),
                Value::Nil => {
                    return Err(self.errorf(
                        node.pos,
                        &node.render(),
                        format!("nil pointer evaluating interface {{}}.{f}"),
                    ));
                }
                Value::Map(m) => {
                    if last && has_args {
                        return Err(self.errorf(
                            node.pos,
                            &node.render(),
                            format!("{f} is not a method but has arguments"),
                        ));
                    }
                    m.borrow().get(f).cloned().unwrap_or(Value::Invalid)
                }
                other => {
                    return Err(self.errorf(
                        node.pos,
                        &node.render(),
                        format!("can't evaluate field {f} in type {}", other.type_name()),
                    ));
                }
            };
        }
        Ok(recv)
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        node: &Arg,
        cmd: Option<&Command>,
        name: &str,
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let ctx = name.to_string();
        self.at_arg(node);
        let Some(sig) = funcs::signature(name) else {
            return Err(self.unsupported(node.pos, format!("function {name:?}")));
        };
        match funcs::class(name) {
            Class::Pure => {}
            Class::MapOrder => {}
            Class::Env => {
                let (line, col) = self.line_col(node.pos);
                self.notes.push(Note {
                    line,
                    column: col + 1,
                    function: name.to_string(),
                    kind: NoteKind::Environment,
                });
            }
            Class::Nondeterministic => {
                let (line, col) = self.line_col(node.pos);
                self.notes.push(Note {
                    line,
                    column: col + 1,
                    function: name.to_string(),
                    kind: NoteKind::Nondeterministic,
                });
            }
        }
        let rest = if args.is_empty() { &[][..] } else { &args[1..] };
        let num_in = rest.len() + final_.is_some() as usize;
        let nfixed = sig.params.len();
        if sig.variadic.is_some() {
            if num_in < nfixed {
                return Err(self.errorf(
                    node.pos,
                    &ctx,
                    format!("wrong number of args for {name}: want at least {nfixed} got {num_in}"),
                ));
            }
        } else if num_in != nfixed {
            return Err(self.errorf(
                node.pos,
                &ctx,
                format!("wrong number of args for {name}: want {nfixed} got {num_in}"),
            ));
        }
        let pt_at = |i: usize| -> Pt {
            if i < nfixed {
                sig.params[i]
            } else {
                sig.variadic.unwrap_or(Pt::Any)
            }
        };
        // and/or short-circuit.
        if name == "and" || name == "or" {
            let mut v = Value::Invalid;
            for a in rest {
                v = self.eval_arg(dot, Pt::Reflect, a)?;
                if v.truth() == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v);
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in rest.iter().enumerate() {
            argv.push(self.eval_arg(dot, pt_at(i), a)?);
        }
        if let Some(f) = final_ {
            let t = pt_at(num_in - 1);
            argv.push(self.validate(f, t)?);
        }
        if matches!(name, "keys" | "values")
            && argv
                .iter()
                .map(|m| match m {
                    Value::Map(m) => m.borrow().len(),
                    _ => 0,
                })
                .sum::<usize>()
                > 1
        {
            // Go map iteration order is random: sprig's keys/values order is too.
            let (line, col) = self.line_col(node.pos);
            self.notes.push(Note {
                line,
                column: col + 1,
                function: name.to_string(),
                kind: NoteKind::Nondeterministic,
            });
        }
        let result = match name {
            "not" => Ok(Value::Bool(!argv[0].truth())),
            "len" => builtin_len(&argv[0]),
            "index" => builtin_index(&argv[0], &argv[1..]),
            "slice" => sprig_slice(&argv[0], &argv[1..]),
            "print" => Ok(Value::str(gofmt::sprint(&argv))),
            "println" => Ok(Value::str(gofmt::sprintln(&argv))),
            "printf" => Ok(Value::str(gofmt::sprintf(
                match &argv[0] {
                    Value::Str(s) => s,
                    _ => "",
                },
                &argv[1..],
            ))),
            "html" => Ok(Value::str(gofmt::html_escape(&eval_args(&argv)))),
            "js" => Ok(Value::str(gofmt::js_escape(&eval_args(&argv)))),
            "urlquery" => Ok(Value::str(gofmt::query_escape(&eval_args(&argv)))),
            "eq" => builtin_eq(&argv[0], &argv[1..]).map(Value::Bool),
            "ne" => builtin_eq(&argv[0], &argv[1..2]).map(|b| Value::Bool(!b)),
            "lt" => builtin_lt(&argv[0], &argv[1]).map(Value::Bool),
            "le" => builtin_le(&argv[0], &argv[1]).map(Value::Bool),
            "gt" => builtin_le(&argv[0], &argv[1]).map(|b| Value::Bool(!b)),
            "ge" => builtin_lt(&argv[0], &argv[1]).map(|b| Value::Bool(!b)),
            "call" => Err(match &argv[0] {
                Value::Invalid | Value::Nil => "call of nil".to_string(),
                v => format!("non-function of type {}", v.type_name()),
            }),
            _ => funcs::call(name, &argv),
        };
        match result {
            Ok(v) => Ok(v),
            Err(e) if e.starts_with(UNSUPPORTED) => {
                Err(self.unsupported(node.pos, e[UNSUPPORTED.len()..].to_string()))
            }
            Err(e) => {
                let (pos, ctx) = match cmd {
                    Some(c) => (c.pos, c.render()),
                    None => (node.pos, ctx),
                };
                Err(self.errorf(pos, &ctx, format!("error calling {name}: {e}")))
            }
        }
    }

    /// Go's `evalArg`.
    fn eval_arg(&mut self, dot: &Value, pt: Pt, a: &Arg) -> R<Value> {
        self.at_arg(a);
        match &a.term {
            Term::Dot => return self.validate(dot.clone(), pt),
            Term::Nil => {
                return match pt {
                    Pt::Any => Ok(Value::Nil),
                    Pt::Reflect => Ok(Value::Invalid),
                    Pt::Map => Ok(Value::map(Default::default())),
                    _ => Err(self.errorf(
                        a.pos,
                        "nil",
                        format!("cannot assign nil to {}", pt_name(pt)),
                    )),
                };
            }
            Term::Field(_) | Term::Var(..) | Term::Pipe(_) | Term::Chain(..) => {
                let v = self.eval_arg_value(dot, a)?;
                return self.validate(v, pt);
            }
            Term::Ident(name) => {
                let v = self.eval_function(dot, a, None, name, std::slice::from_ref(a), None)?;
                return self.validate(v, pt);
            }
            _ => {}
        }
        let found = |s: &Self, what: &str| {
            Err(s.errorf(
                a.pos,
                &a.render(),
                format!("expected {what}; found {}", a.render()),
            ))
        };
        match pt {
            Pt::Str => match &a.term {
                Term::Str { value, .. } => Ok(Value::str(value.clone())),
                _ => found(self, "string"),
            },
            Pt::Int => match &a.term {
                Term::Number(Number { int: Some(i), .. }) => Ok(Value::Int(*i)),
                _ => found(self, "integer"),
            },
            Pt::Bool => match &a.term {
                Term::Bool(b) => Ok(Value::Bool(*b)),
                _ => found(self, "bool"),
            },
            Pt::Map => Err(self.errorf(
                a.pos,
                &a.render(),
                format!(
                    "can't handle {} for arg of type map[string]interface {{}}",
                    a.render()
                ),
            )),
            Pt::Any | Pt::Reflect => match &a.term {
                Term::Bool(b) => Ok(Value::Bool(*b)),
                Term::Number(n) => self.ideal_constant(a, n),
                Term::Str { value, .. } => Ok(Value::str(value.clone())),
                _ => Ok(Value::Invalid),
            },
        }
    }

    /// Go's `validateType`.
    fn validate(&self, v: Value, pt: Pt) -> R<Value> {
        let ok = match (pt, &v) {
            (Pt::Reflect, _) => return Ok(v),
            (Pt::Any, Value::Invalid) => return Ok(Value::Nil),
            (Pt::Any, _) => true,
            (Pt::Map, Value::Invalid) => return Ok(Value::map(Default::default())),
            (_, Value::Invalid) => {
                return Err(self.err_here(format!("invalid value; expected {}", pt_name(pt))));
            }
            (Pt::Str, Value::Str(_)) => true,
            (Pt::Int, Value::Int(_)) => true,
            (Pt::Bool, Value::Bool(_)) => true,
            (Pt::Map, Value::Map(_)) => true,
            _ => false,
        };
        if ok {
            return Ok(v);
        }
        let got = if matches!(v, Value::Nil) {
            "interface {}"
        } else {
            v.type_name()
        };
        Err(self.err_here(format!(
            "wrong type for value; expected {}; got {got}",
            pt_name(pt)
        )))
    }
}

fn pt_name(pt: Pt) -> &'static str {
    match pt {
        Pt::Any => "interface {}",
        Pt::Reflect => "reflect.Value",
        Pt::Str => "string",
        Pt::Int => "int",
        Pt::Bool => "bool",
        Pt::Map => "map[string]interface {}",
    }
}

/// `evalArgs` of html/js/urlquery: one string as is, else `fmt.Sprint`.
fn eval_args(argv: &[Value]) -> String {
    if let [Value::Str(s)] = argv {
        return s.clone();
    }
    gofmt::sprint(argv)
}

fn builtin_len(v: &Value) -> Result<Value, String> {
    Ok(Value::Int(match v {
        Value::Str(s) => s.len() as i64,
        Value::List(l, _) => l.len() as i64,
        Value::Map(m) => m.borrow().len() as i64,
        Value::Invalid => {
            return Err("reflect: call of reflect.Value.Type on zero Value".into());
        }
        Value::Nil => return Err("len of nil pointer".into()),
        other => return Err(format!("len of type {}", other.type_name())),
    }))
}

fn index_arg(v: &Value, len: usize) -> Result<usize, String> {
    let x = match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Invalid | Value::Nil => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as usize > len {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn builtin_index(item: &Value, idx: &[Value]) -> Result<Value, String> {
    let mut item = item.clone();
    if matches!(item, Value::Invalid | Value::Nil) {
        return Err("index of untyped nil".into());
    }
    for i in idx {
        item = match &item {
            Value::Nil | Value::Invalid => return Err("index of nil pointer".into()),
            Value::List(l, _) => {
                let x = index_arg(i, l.len())?;
                if x == l.len() {
                    return Err(format!("index out of range: {x}"));
                }
                l[x].clone()
            }
            Value::Str(s) => {
                let x = index_arg(i, s.len())?;
                if x == s.len() {
                    return Err(format!("index out of range: {x}"));
                }
                Value::Int(s.as_bytes()[x] as i64)
            }
            Value::Map(m) => match i {
                Value::Str(k) => m.borrow().get(k).cloned().unwrap_or(Value::Nil),
                Value::Invalid | Value::Nil => {
                    return Err("value is nil; should be of type string".into());
                }
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

/// sprig's `slice` (it replaces Go's builtin in Traefik's function map).
fn sprig_slice(item: &Value, idx: &[Value]) -> Result<Value, String> {
    let (l, ty) = match item {
        Value::List(l, t) => (l, *t),
        other => {
            let t = if other.is_nil() {
                "<nil>"
            } else {
                other.type_name()
            };
            let kind = match other {
                Value::Str(_) => "string",
                Value::Map(_) => "map",
                Value::Bool(_) => "bool",
                Value::Int(_) => "int",
                Value::Int64(_) => "int64",
                Value::Float(_) => "float64",
                _ => t,
            };
            return Err(format!("list should be type of slice or array but {kind}"));
        }
    };
    let n = l.len() as i64;
    let (start, end) = match idx {
        [] => (0, n),
        [a] => (funcs::to_int64(a), n),
        [a, b, ..] => (funcs::to_int64(a), funcs::to_int64(b)),
    };
    if start < 0 || end > n || start > end {
        return Err(format!(
            "{UNSUPPORTED}sprig slice with out-of-range indexes (Go panics)"
        ));
    }
    Ok(Value::List(
        Rc::new(l[start as usize..end as usize].to_vec()),
        ty,
    ))
}

#[allow(dead_code)]
fn builtin_slice(item: &Value, idx: &[Value]) -> Result<Value, String> {
    if matches!(item, Value::Invalid | Value::Nil) {
        return Err("slice of untyped nil".into());
    }
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match item {
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l, _) => l.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut ix = [0usize, len, len];
    for (k, v) in idx.iter().enumerate() {
        ix[k] = index_arg(v, len)?;
        if k > 0 && ix[k - 1] > ix[k] {
            return Err(format!("invalid slice index: {} > {}", ix[k - 1], ix[k]));
        }
    }
    Ok(match item {
        Value::Str(s) => match s.get(ix[0]..ix[1]) {
            Some(x) => Value::str(x),
            None => return Err(format!("{UNSUPPORTED}slice inside a UTF-8 character")),
        },
        Value::List(l, t) => Value::List(Rc::new(l[ix[0]..ix[1]].to_vec()), *t),
        _ => unreachable!(),
    })
}

const BAD_CMP: &str = "incompatible types for comparison";

fn builtin_eq(a: &Value, rest: &[Value]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let a = a.clone().loaded();
    let k1 = a.basic_kind();
    for b in rest {
        let b = b.clone().loaded();
        let k2 = b.basic_kind();
        let truth = if k1 != k2 {
            if !matches!(a, Value::Invalid) && !matches!(b, Value::Invalid) {
                return Err(format!(
                    "{BAD_CMP}: {} and {}",
                    a.type_name(),
                    b.type_name()
                ));
            }
            false
        } else {
            match (&a, &b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                (Value::Invalid, Value::Invalid) => true,
                (Value::List(..) | Value::Map(_), _) | (_, Value::List(..) | Value::Map(_)) => {
                    return Err(format!(
                        "non-comparable type {}: {}",
                        b.go_string(),
                        b.type_name()
                    ));
                }
                _ => return Err(format!("{UNSUPPORTED}comparison of these types")),
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn builtin_lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (a, b) = (a.clone().loaded(), b.clone().loaded());
    let (k1, k2) = (a.basic_kind(), b.basic_kind());
    let bad_kind = |k| matches!(k, BasicKind::Invalid | BasicKind::Other);
    if bad_kind(k1) || bad_kind(k2) {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err(BAD_CMP.into());
    }
    Ok(match (&a, &b) {
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x < y,
        _ => return Err("invalid type for comparison".into()),
    })
}

fn builtin_le(a: &Value, b: &Value) -> Result<bool, String> {
    if builtin_lt(a, b)? {
        return Ok(true);
    }
    builtin_eq(a, std::slice::from_ref(b))
}

#[allow(dead_code)]
fn list_ty(v: &Value) -> Option<ListTy> {
    match v {
        Value::List(_, t) => Some(*t),
        _ => None,
    }
}
