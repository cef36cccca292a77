//! The circuit breaker's expression as `cbreaker.New` parses it at build time:
//! `go/parser.ParseExpr`, then vulcand/predicate with oxy's operators and functions
//! (`NetworkErrorRatio()`, `LatencyAtQuantileMS(q)`, `ResponseCodeRatio(a, b, c, d)`).
//! Errors that oxy's comparison operators return are dropped by predicate's
//! `callFunction` (only the first result is kept), so `NetworkErrorRatio() > 5`
//! builds; argument mismatches of the functions are reflect panics turned into errors.

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
    match node(&ast, root)? {
        V::Pred => Ok(()),
        v => Err(format!("expected predicate, got {}", v.go_type())),
    }
}

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

fn node(ast: &Ast, id: NodeId) -> Result<V, String> {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, || match ast.get(id) {
        Node::BasicLit { kind, value } => literal(*kind, value),
        Node::Binary { op, x, y } => {
            let vx = node(ast, *x)?;
            let vy = node(ast, *y)?;
            match op {
                Tok::LAnd | Tok::LOr => {
                    // `and(fns ...hpredicate)`
                    for v in [vx, vy] {
                        if v != V::Pred {
                            return Err(format!(
                                "reflect: Call using {} as type cbreaker.hpredicate",
                                v.go_type()
                            ));
                        }
                    }
                    Ok(V::Pred)
                }
                Tok::Gtr | Tok::Lss | Tok::Eql | Tok::Neq | Tok::Leq | Tok::Geq => Ok(V::Pred),
                other => Err(format!("{} is not supported", other.text())),
            }
        }
        Node::Call { fun, args } => {
            let name = match ast.get(*fun) {
                Node::Ident(n) => n.clone(),
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
                match ast.get(*a) {
                    Node::BasicLit { kind, value } => vals.push(literal(*kind, value)?),
                    other => return Err(format!("expected literal, got {}", other.go_type())),
                }
            }
            reflect_call(params, &vals)?;
            Ok(ret)
        }
        Node::Paren(x) => node(ast, *x),
        other => Err(format!("unsupported {}", other.go_type())),
    })
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
