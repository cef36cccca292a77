//! The circuit breaker's expression as `cbreaker.New` parses it at build time
//! (Traefik 3.7.15 vendors vulcand/predicate v1.3.0 and oxy v2.1.0):
//! `go/parser.ParseExpr`, then predicate's evaluation with oxy's operators
//! (`&&`, `||`, `==`, `!=`, `<`, `<=`, `>`, `>=`; no `!`) and functions
//! (`NetworkErrorRatio()`, `LatencyAtQuantileMS(q)`, `ResponseCodeRatio(a, b, c, d)`).
//! Function arguments of the wrong type are reflect panics turned into errors.

use crate::rules::go::parser::{Ast, Node, NodeId, parse_expr};
use crate::rules::go::quote::{NumError, atoi, parse_float, quote, unquote};
use crate::rules::go::scanner::Tok;

#[derive(Clone, Copy, PartialEq, Eq)]
enum V {
    Pred,
    ToInt,
    ToFloat,
    Int,
    Float,
    Str,
}

impl V {
    /// Go's `%T`.
    fn go_type(self) -> &'static str {
        match self {
            V::Pred => "cbreaker.hpredicate",
            V::ToInt => "cbreaker.toInt",
            V::ToFloat => "cbreaker.toFloat64",
            V::Int => "int",
            V::Float => "float64",
            V::Str => "string",
        }
    }
}

/// `Err` holds the text Traefik shows for the middleware.
pub(crate) fn check(expr: &str) -> Result<(), String> {
    let (ast, root) = parse_expr(expr)?;
    match parse(&ast, root)? {
        V::Pred => Ok(()),
        v => Err(format!("expected predicate, got {}", v.go_type())),
    }
}

/// `reflect.Value.Call` on a non-variadic function.
fn reflect_call(params: &[V], args: &[V]) -> Result<(), String> {
    if args.len() < params.len() {
        return Err("reflect: Call with too few input arguments".into());
    }
    if args.len() > params.len() {
        return Err("reflect: Call with too many input arguments".into());
    }
    for (p, a) in params.iter().zip(args) {
        if p != a {
            return Err(format!(
                "reflect: Call using {} as type {}",
                a.go_type(),
                p.go_type()
            ));
        }
    }
    Ok(())
}

/// oxy's `eq`/`lt`/`gt` on a mapper and a value.
fn compare(name: &str, m: V, value: V) -> Result<V, String> {
    match (m, name) {
        (V::ToInt, _) if value != V::Int => Err(format!("expected int, got {}", value.go_type())),
        (V::ToFloat, "eq") if value != V::Float => {
            Err(format!("expected float64, got {}", value.go_type()))
        }
        (V::ToFloat, _) if value != V::Float => {
            Err(format!("expected int, got {}", value.go_type()))
        }
        (V::ToInt | V::ToFloat, _) => Ok(V::Pred),
        _ => Err(format!("{name}: unsupported argument: {}", m.go_type())),
    }
}

fn join(op: Tok, x: V, y: V) -> Result<V, String> {
    match op {
        Tok::LAnd | Tok::LOr => {
            // `and(fns ...hpredicate)`
            for v in [x, y] {
                if v != V::Pred {
                    return Err(format!(
                        "reflect: cannot use {} as type cbreaker.hpredicate in Call",
                        v.go_type()
                    ));
                }
            }
            Ok(V::Pred)
        }
        Tok::Eql | Tok::Neq => compare("eq", x, y),
        Tok::Lss => compare("lt", x, y),
        Tok::Gtr => compare("gt", x, y),
        Tok::Leq => compare("lt", x, y).and_then(|_| compare("eq", x, y)),
        Tok::Geq => compare("gt", x, y).and_then(|_| compare("eq", x, y)),
        other => Err(format!("{} is not supported", other.text())),
    }
}

/// `predicateParser.parse`.
fn parse(ast: &Ast, id: NodeId) -> Result<V, String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match ast.get(id) {
        Node::Binary { op, x, y } => {
            let vx = parse(ast, *x)?;
            let vy = parse(ast, *y)?;
            join(*op, vx, vy)
        }
        Node::Paren(x) => parse(ast, *x),
        Node::Unary { op, .. } => Err(format!("{} is not supported", op.text())),
        _ => evaluate(ast, id),
    })
}

/// `predicateParser.evaluateExpr` (no properties, no identifiers defined).
fn evaluate(ast: &Ast, id: NodeId) -> Result<V, String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match ast.get(id) {
        Node::BasicLit { kind, value } => literal(*kind, value),
        Node::Index { .. } => Err("properties are not supported".into()),
        Node::Selector { .. } => Err(format!("{} is not defined", selector(ast, id)?)),
        Node::Ident(name) => Err(format!("{name} is not defined")),
        Node::Call { fun, args } => {
            let name = match ast.get(*fun) {
                Node::Ident(n) => n.clone(),
                Node::Selector { x, sel } => match ast.get(*x) {
                    Node::Ident(base) => format!("{base}.{sel}"),
                    other => {
                        return Err(format!(
                            "expected selector identifier, got: {}",
                            other.go_type()
                        ));
                    }
                },
                other => return Err(format!("expected identifier, got: {}", other.go_type())),
            };
            let (params, ret): (&[V], V) = match name.as_str() {
                "LatencyAtQuantileMS" => (&[V::Float], V::ToInt),
                "NetworkErrorRatio" => (&[], V::ToFloat),
                "ResponseCodeRatio" => (&[V::Int, V::Int, V::Int, V::Int], V::ToFloat),
                _ => return Err(format!("unsupported function: {name}")),
            };
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(evaluate(ast, *a)?);
            }
            reflect_call(params, &vals)?;
            Ok(ret)
        }
        other => Err(format!("{} is not supported", other.go_type())),
    })
}

/// `evaluateSelector`: `a.b.c` as a dotted name.
fn selector(ast: &Ast, id: NodeId) -> Result<String, String> {
    match ast.get(id) {
        Node::Ident(n) => Ok(n.clone()),
        Node::Selector { x, sel } => match ast.get(*x) {
            Node::Ident(_) | Node::Selector { .. } => Ok(format!("{}.{sel}", selector(ast, *x)?)),
            other => Err(format!("unsupported selector type: {}", other.go_type())),
        },
        other => Err(format!("unsupported selector type: {}", other.go_type())),
    }
}

fn literal(kind: Tok, lit: &str) -> Result<V, String> {
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
            .map(|_| V::Float)
            .map_err(|e| num_err("ParseFloat", e)),
        Tok::Int => atoi(lit).map(|_| V::Int).map_err(|e| num_err("Atoi", e)),
        Tok::Str => unquote(lit)
            .map(|_| V::Str)
            .ok_or_else(|| format!("failed to parse argument: {lit}, error: invalid syntax")),
        other => Err(format!(
            "unsupported function argument type: '{}'",
            other.text()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn cbreaker_expressions() {
        assert_eq!(
            check("NetworkErrorRatio() > "),
            Err("1:23: expected operand, found 'EOF'".into())
        );
        assert_eq!(
            check("LatencyAtQuantileMS(50.0) > 100 || ResponseCodeRatio(500, 600, 0, 600) > 0.25"),
            Ok(())
        );
        assert_eq!(
            check("LatencyAtQuantileMS(50) > 100"),
            Err("reflect: Call using int as type float64".into())
        );
        assert_eq!(
            check("NetworkErrorRatio()"),
            Err("expected predicate, got cbreaker.toFloat64".into())
        );
        assert_eq!(check("Foo() > 1"), Err("unsupported function: Foo".into()));
    }
}
