//! Go language pieces Traefik's rule parsing inherits: the `go/scanner` lexer, the
//! `go/parser.ParseExpr` expression parser, `strconv` quoting and the `unicode` predicates.

pub mod parser;
pub mod quote;
pub mod scanner;
pub mod unicode;
