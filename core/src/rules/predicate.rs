//! vulcand/predicate v1.3.0 as Traefik configures it (`pkg/rules/parser.go`): walks the Go
//! AST and builds Traefik's rule tree (`rules.Tree`), or fails with predicate's error text.
//!
//! * `&&`/`||` build and/or nodes; every other binary operator is `"<op> is not supported"`.
//! * `!` inverts its operand with De Morgan (`invert()`): and↔or, leaves toggle `Not`; other
//!   unary operators are `"<op> is not supported"`.
//! * Calls must name a registered matcher in one of its four spellings (declared, lower,
//!   UPPER, Title-of-lower) — otherwise `unsupported function: <name>`; arguments must be
//!   string literals: other literal kinds and nested expressions produce predicate's and Go
//!   reflect's error texts.
//! * Identifiers and selectors are `"<name> is not defined"`, index expressions
//!   `properties are not supported`, any other node `"*ast.X is not supported"`.

use super::go::parser::{Ast, Node, NodeId};
use super::go::quote::{NumError, atoi, parse_float, quote, unquote};
use super::go::scanner::Tok;

/// One node of Traefik's rule tree (after De Morgan: negation only on leaves).
#[derive(Clone, Debug)]
pub enum TNode {
    /// A matcher call. `matcher` is the declared name (`PathPrefix` for `pathprefix(...)`).
    Leaf {
        matcher: &'static str,
        not: bool,
        values: Vec<Vec<u8>>,
    },
    And(usize, usize),
    Or(usize, usize),
}

/// Traefik's `rules.Tree` in an arena; `root` is the top node.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    pub nodes: Vec<TNode>,
    pub root: usize,
}

enum Val {
    Tree(usize),
    Str(Vec<u8>),
    Int,
    Float,
}

impl Val {
    fn go_type(&self) -> &'static str {
        match self {
            Val::Tree(_) => "rules.TreeBuilder",
            Val::Str(_) => "string",
            Val::Int => "int",
            Val::Float => "float64",
        }
    }
}

/// The outcome of `parser.Parse(rule)` in Traefik terms.
pub enum Parsed {
    /// A rule tree.
    Tree(Tree),
    /// Parsing succeeded but the value is not a rule (`"abc"`, `42`): Traefik reports
    /// `obtaining build tree` (HTTP) / `error while parsing rule <rule>` (TCP).
    NotATree,
}

/// The four spellings under which `rules.NewParser` registers each matcher.
pub fn lookup_matcher(matchers: &[&'static str], name: &str) -> Option<&'static str> {
    matchers.iter().copied().find(|m| {
        let lower = m.to_lowercase();
        let upper = m.to_uppercase();
        let mut title = String::with_capacity(lower.len());
        let mut chars = lower.chars();
        if let Some(c) = chars.next() {
            title.extend(c.to_uppercase());
            title.push_str(chars.as_str());
        }
        name == *m || name == lower || name == upper || name == title
    })
}

/// `parser.Parse(rule)`: Go parsing then predicate evaluation.
pub fn parse(rule: &str, matchers: &[&'static str]) -> Result<Parsed, String> {
    let (ast, root) = super::go::parser::parse_expr(rule)?;
    let mut ev = Eval {
        ast: &ast,
        matchers,
        tree: Tree::default(),
    };
    match ev.parse(root)? {
        Val::Tree(t) => {
            ev.tree.root = t;
            Ok(Parsed::Tree(ev.tree))
        }
        _ => Ok(Parsed::NotATree),
    }
}

struct Eval<'a> {
    ast: &'a Ast,
    matchers: &'a [&'static str],
    tree: Tree,
}

impl Eval<'_> {
    fn add(&mut self, n: TNode) -> usize {
        self.tree.nodes.push(n);
        self.tree.nodes.len() - 1
    }

    fn parse(&mut self, id: NodeId) -> Result<Val, String> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match self.ast.get(id) {
            Node::Binary { op, x, y } => {
                let (op, x, y) = (*op, *x, *y);
                let vx = self.parse(x)?;
                let vy = self.parse(y)?;
                if op != Tok::LAnd && op != Tok::LOr {
                    return Err(format!("{} is not supported", op.text()));
                }
                let l = as_tree(&vx)?;
                let r = as_tree(&vy)?;
                Ok(Val::Tree(self.add(if op == Tok::LAnd {
                    TNode::And(l, r)
                } else {
                    TNode::Or(l, r)
                })))
            }
            Node::Paren(x) => self.parse(*x),
            Node::Unary { op, x } => {
                if *op != Tok::Not {
                    return Err(format!("{} is not supported", op.text()));
                }
                let v = self.parse(*x)?;
                let t = as_tree(&v)?;
                self.invert(t);
                Ok(Val::Tree(t))
            }
            _ => self.evaluate(id),
        })
    }

    /// `invert()`: De Morgan over the subtree, iteratively.
    fn invert(&mut self, root: usize) {
        let mut stack = vec![root];
        while let Some(i) = stack.pop() {
            let n = std::mem::replace(&mut self.tree.nodes[i], TNode::And(0, 0));
            self.tree.nodes[i] = match n {
                TNode::And(l, r) => {
                    stack.push(l);
                    stack.push(r);
                    TNode::Or(l, r)
                }
                TNode::Or(l, r) => {
                    stack.push(l);
                    stack.push(r);
                    TNode::And(l, r)
                }
                TNode::Leaf {
                    matcher,
                    not,
                    values,
                } => TNode::Leaf {
                    matcher,
                    not: !not,
                    values,
                },
            };
        }
    }

    fn evaluate(&mut self, id: NodeId) -> Result<Val, String> {
        match self.ast.get(id) {
            Node::BasicLit { kind, value } => literal_to_value(*kind, value),
            Node::Index { .. } => Err("properties are not supported".into()),
            Node::Selector { .. } => {
                let fields = self.selector_fields(id)?;
                Err(format!("{} is not defined", fields.join(".")))
            }
            Node::Ident(name) => Err(format!("{name} is not defined")),
            Node::Call { fun, args } => {
                let name = self.identifier(*fun)?;
                let Some(matcher) = lookup_matcher(self.matchers, &name) else {
                    return Err(format!("unsupported function: {name}"));
                };
                let mut vals = Vec::with_capacity(args.len());
                for a in args.clone() {
                    vals.push(stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
                        self.evaluate(a)
                    })?);
                }
                let mut values = Vec::with_capacity(vals.len());
                for v in vals {
                    match v {
                        Val::Str(s) => values.push(s),
                        other => {
                            return Err(format!(
                                "reflect: cannot use {} as type string in Call",
                                other.go_type()
                            ));
                        }
                    }
                }
                Ok(Val::Tree(self.add(TNode::Leaf {
                    matcher,
                    not: false,
                    values,
                })))
            }
            other => Err(format!("{} is not supported", other.go_type())),
        }
    }

    fn selector_fields(&self, id: NodeId) -> Result<Vec<String>, String> {
        let mut fields = Vec::new();
        let mut cur = id;
        loop {
            match self.ast.get(cur) {
                Node::Selector { x, sel } => {
                    fields.push(sel.clone());
                    cur = *x;
                }
                Node::Ident(name) => {
                    fields.push(name.clone());
                    fields.reverse();
                    return Ok(fields);
                }
                other => return Err(format!("unsupported selector type: {}", other.go_type())),
            }
        }
    }

    fn identifier(&self, fun: NodeId) -> Result<String, String> {
        match self.ast.get(fun) {
            Node::Selector { x, sel } => match self.ast.get(*x) {
                Node::Ident(id) => Ok(format!("{id}.{sel}")),
                other => Err(format!(
                    "expected selector identifier, got: {}",
                    other.go_type()
                )),
            },
            Node::Ident(id) => Ok(id.clone()),
            other => Err(format!("expected identifier, got: {}", other.go_type())),
        }
    }
}

fn as_tree(v: &Val) -> Result<usize, String> {
    match v {
        Val::Tree(t) => Ok(*t),
        other => Err(format!(
            "reflect: Call using {} as type rules.TreeBuilder",
            other.go_type()
        )),
    }
}

fn literal_to_value(kind: Tok, lit: &str) -> Result<Val, String> {
    let num_err = |func: &str, e: NumError| {
        let why = match e {
            NumError::Syntax => "invalid syntax",
            NumError::Range => "value out of range",
        };
        format!(
            "failed to parse argument: {lit}, error: strconv.{func}: parsing {}: {why}",
            quote(lit)
        )
    };
    match kind {
        Tok::Float => parse_float(lit)
            .map(|_| Val::Float)
            .map_err(|e| num_err("ParseFloat", e)),
        Tok::Int => atoi(lit).map(|_| Val::Int).map_err(|e| num_err("Atoi", e)),
        Tok::Str => unquote(lit)
            .map(Val::Str)
            .ok_or_else(|| format!("failed to parse argument: {lit}, error: invalid syntax")),
        other => Err(format!(
            "unsupported function argument type: '{}'",
            other.text()
        )),
    }
}
