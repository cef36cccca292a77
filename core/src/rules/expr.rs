//! The parsed rule as a boolean expression over matchers, for matching and introspection.

use super::predicate::{TNode, Tree};

/// Builds one matcher from its declared name and argument values.
pub(crate) type LeafBuilder<'a, M> = dyn FnMut(&'static str, &[Vec<u8>]) -> Result<M, String> + 'a;

/// A rule after Traefik's parsing: negation is pushed down to the matchers (De Morgan, as
/// Traefik's `invert()` does), and chains of the same operator are flattened
/// (`a && b && c` is one `And` with three operands; evaluation order is left to right).
#[derive(Clone, Debug, PartialEq)]
pub enum Expr<M> {
    /// One matcher; `negated` when it sits under an odd number of `!`.
    Matcher { matcher: M, negated: bool },
    /// All operands match (`&&`).
    And(Vec<Expr<M>>),
    /// At least one operand matches (`||`).
    Or(Vec<Expr<M>>),
}

impl<M> Drop for Expr<M> {
    fn drop(&mut self) {
        // Iterative drop so that very deep trees cannot overflow the stack.
        let mut stack: Vec<Expr<M>> = match self {
            Expr::And(v) | Expr::Or(v) => std::mem::take(v),
            Expr::Matcher { .. } => return,
        };
        while let Some(mut e) = stack.pop() {
            if let Expr::And(v) | Expr::Or(v) = &mut e {
                stack.append(v);
            }
        }
    }
}

impl<M> Expr<M> {
    /// Evaluates the expression with `leaf` deciding each matcher (negation applied here).
    pub fn eval(&self, leaf: &mut dyn FnMut(&M) -> bool) -> bool {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || match self {
            Expr::Matcher { matcher, negated } => leaf(matcher) != *negated,
            Expr::And(v) => v.iter().all(|e| e.eval(leaf)),
            Expr::Or(v) => v.iter().any(|e| e.eval(leaf)),
        })
    }

    /// Every matcher with its negation flag, left to right.
    pub fn matchers(&self) -> Vec<(&M, bool)> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Matcher { matcher, negated } => out.push((matcher, *negated)),
                Expr::And(v) | Expr::Or(v) => stack.extend(v.iter().rev()),
            }
        }
        out
    }
}

/// Lossy UTF-8 view of a rule argument.
pub(crate) fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

/// Traefik's `rules.CheckRule`.
pub(crate) fn check_rule(matcher: &str, values: &[Vec<u8>]) -> Result<(), String> {
    if values.is_empty() {
        return Err(format!("no args for matcher {matcher}"));
    }
    if values.iter().any(|v| v.is_empty()) {
        let list: Vec<String> = values.iter().map(|v| text(v)).collect();
        return Err(format!(
            "empty args for matcher {matcher}, [{}]",
            list.join(" ")
        ));
    }
    Ok(())
}

/// Builds every leaf in Traefik's `addRule` order and error wrapping.
///
/// `http_wrapping`: the HTTP muxer wraps errors (`error while checking rule M: `, `error while
/// adding rule M: `, and for the *left* operand of and/or `error while adding rule and: `);
/// the TCP muxer returns them bare.
pub(crate) fn build<M>(
    tree: &Tree,
    http_wrapping: bool,
    leaf: &mut LeafBuilder<'_, M>,
) -> Result<Expr<M>, String> {
    let mut built: Vec<Option<M>> = (0..tree.nodes.len()).map(|_| None).collect();
    build_node(tree, tree.root, http_wrapping, leaf, &mut built)?;
    Ok(assemble(tree, tree.root, &mut built))
}

fn build_node<M>(
    tree: &Tree,
    id: usize,
    http: bool,
    leaf: &mut LeafBuilder<'_, M>,
    built: &mut Vec<Option<M>>,
) -> Result<(), String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &tree.nodes[id] {
        TNode::And(l, r) | TNode::Or(l, r) => {
            let op = if matches!(tree.nodes[id], TNode::And(..)) {
                "and"
            } else {
                "or"
            };
            if let Err(e) = build_node(tree, *l, http, leaf, built) {
                return Err(if http {
                    format!("error while adding rule {op}: {e}")
                } else {
                    e
                });
            }
            build_node(tree, *r, http, leaf, built)
        }
        TNode::Leaf {
            matcher, values, ..
        } => {
            if let Err(e) = check_rule(matcher, values) {
                return Err(if http {
                    format!("error while checking rule {matcher}: {e}")
                } else {
                    e
                });
            }
            match leaf(matcher, values) {
                Ok(m) => {
                    built[id] = Some(m);
                    Ok(())
                }
                Err(e) => Err(if http {
                    format!("error while adding rule {matcher}: {e}")
                } else {
                    e
                }),
            }
        }
    })
}

fn assemble<M>(tree: &Tree, id: usize, built: &mut Vec<Option<M>>) -> Expr<M> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match &tree.nodes[id] {
        TNode::Leaf { not, .. } => match built[id].take() {
            Some(m) => Expr::Matcher {
                matcher: m,
                negated: *not,
            },
            None => Expr::Or(Vec::new()),
        },
        TNode::And(..) | TNode::Or(..) => {
            let is_and = matches!(tree.nodes[id], TNode::And(..));
            // Collect the operands of the same-operator chain, left to right.
            let mut operands = Vec::new();
            let mut stack = vec![id];
            while let Some(n) = stack.pop() {
                match &tree.nodes[n] {
                    TNode::And(l, r) if is_and => {
                        stack.push(*r);
                        stack.push(*l);
                    }
                    TNode::Or(l, r) if !is_and => {
                        stack.push(*r);
                        stack.push(*l);
                    }
                    _ => operands.push(n),
                }
            }
            let children = operands
                .into_iter()
                .map(|n| assemble(tree, n, built))
                .collect();
            if is_and {
                Expr::And(children)
            } else {
                Expr::Or(children)
            }
        }
    })
}
