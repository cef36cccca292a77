//! `go/parser.ParseExpr` for rule texts: the expression grammar of Go with Go's error
//! recovery and error reporting (first error per line, sorted by position, `"(and N more
//! errors)"`, bail-out after more than 10 errors, `exceeded max nesting depth`).
//!
//! The AST lives in an arena ([`Ast`]) so that very long `&&`/`||` chains cannot overflow the
//! stack when dropped; recursive descent is protected by `stacker`.
//!
//! Approximations (documented gaps): the bodies of function literals and of `struct{..}` /
//! `interface{..}` types are skipped by brace matching instead of being parsed as Go
//! statements/declarations, so syntax errors *inside* them are not reported like Go does.
//! No rule that Traefik accepts contains them (they are always rejected later with
//! `*ast.FuncLit is not supported` and similar).

use super::scanner::{Kw, Scanner, Tok, Token};

/// Index of a node in [`Ast::nodes`].
pub type NodeId = usize;

/// The Go AST node kinds that vulcand/predicate distinguishes (`%T` names in `go_type`).
#[derive(Clone, Debug)]
pub enum Node {
    Bad,
    Ident(String),
    BasicLit { kind: Tok, value: String },
    Paren(NodeId),
    Selector { x: NodeId, sel: String },
    Index { x: NodeId },
    IndexList { x: NodeId },
    Slice { x: NodeId },
    TypeAssert { x: NodeId },
    Call { fun: NodeId, args: Vec<NodeId> },
    Star(NodeId),
    Unary { op: Tok, x: NodeId },
    Binary { op: Tok, x: NodeId, y: NodeId },
    KeyValue,
    CompositeLit,
    FuncLit,
    Ellipsis,
    ArrayType { ellipsis_len: Option<usize> },
    StructType,
    FuncType,
    InterfaceType,
    MapType,
    ChanType,
}

impl Node {
    /// Go's `%T` of the node (`*ast.CallExpr`, ...).
    pub fn go_type(&self) -> &'static str {
        match self {
            Node::Bad => "*ast.BadExpr",
            Node::Ident(_) => "*ast.Ident",
            Node::BasicLit { .. } => "*ast.BasicLit",
            Node::Paren(_) => "*ast.ParenExpr",
            Node::Selector { .. } => "*ast.SelectorExpr",
            Node::Index { .. } => "*ast.IndexExpr",
            Node::IndexList { .. } => "*ast.IndexListExpr",
            Node::Slice { .. } => "*ast.SliceExpr",
            Node::TypeAssert { .. } => "*ast.TypeAssertExpr",
            Node::Call { .. } => "*ast.CallExpr",
            Node::Star(_) => "*ast.StarExpr",
            Node::Unary { .. } => "*ast.UnaryExpr",
            Node::Binary { .. } => "*ast.BinaryExpr",
            Node::KeyValue => "*ast.KeyValueExpr",
            Node::CompositeLit => "*ast.CompositeLit",
            Node::FuncLit => "*ast.FuncLit",
            Node::Ellipsis => "*ast.Ellipsis",
            Node::ArrayType { .. } => "*ast.ArrayType",
            Node::StructType => "*ast.StructType",
            Node::FuncType => "*ast.FuncType",
            Node::InterfaceType => "*ast.InterfaceType",
            Node::MapType => "*ast.MapType",
            Node::ChanType => "*ast.ChanType",
        }
    }
}

/// Arena of nodes plus each node's start offset.
#[derive(Debug, Default)]
pub struct Ast {
    pub nodes: Vec<Node>,
    pub pos: Vec<usize>,
}

impl Ast {
    fn add(&mut self, n: Node, pos: usize) -> NodeId {
        self.nodes.push(n);
        self.pos.push(pos);
        self.nodes.len() - 1
    }
    /// The node behind an id.
    pub fn get(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }
}

/// Go's `maxNestLev`.
const MAX_NEST_LEV: usize = 100_000;

struct Bailout;

struct Parser<'a> {
    scanner: Scanner<'a>,
    tok: Tok,
    pos: usize,
    lit: String,
    errors: Vec<(usize, String)>,
    line_starts: Vec<usize>,
    nest_lev: usize,
    expr_lev: i32,
    in_rhs: bool,
    sync_pos: usize,
    sync_cnt: usize,
    ast: Ast,
}

/// A parsed expression or Go's error text (the `ErrorList` string).
pub fn parse_expr(src: &str) -> Result<(Ast, NodeId), String> {
    let mut p = Parser {
        scanner: Scanner::new(src),
        tok: Tok::Eof,
        pos: 0,
        lit: String::new(),
        errors: Vec::new(),
        line_starts: line_starts(src),
        nest_lev: 0,
        expr_lev: 0,
        in_rhs: false,
        sync_pos: 0,
        sync_cnt: 0,
        ast: Ast::default(),
    };
    let result = (|| -> Result<NodeId, Bailout> {
        p.next()?;
        let x = p.parse_rhs_or_type()?;
        if p.tok == Tok::Semicolon && p.lit == "\n" {
            p.next()?;
        }
        p.expect(Tok::Eof)?;
        Ok(x)
    })();
    let mut all: Vec<(usize, usize, String)> = Vec::new();
    for (off, msg) in std::mem::take(&mut p.errors) {
        let (l, c) = p.line_col(off);
        all.push((l, c, msg));
    }
    if all.is_empty() {
        return match result {
            Ok(x) => Ok((p.ast, x)),
            Err(Bailout) => Err("bailout without error".into()),
        };
    }
    all.sort();
    let (l, c, m) = &all[0];
    let first = format!("{l}:{c}: {m}");
    if all.len() == 1 {
        Err(first)
    } else {
        Err(format!("{first} (and {} more errors)", all.len() - 1))
    }
}

fn line_starts(src: &str) -> Vec<usize> {
    // Like token.File.AddLine: a newline that is the last byte starts no line.
    let mut v = vec![0];
    for (i, b) in src.bytes().enumerate() {
        if b == b'\n' && i + 1 < src.len() {
            v.push(i + 1);
        }
    }
    v
}

type R<T> = Result<T, Bailout>;

impl<'a> Parser<'a> {
    fn line_col(&self, off: usize) -> (usize, usize) {
        let idx = match self.line_starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (idx + 1, off - self.line_starts[idx] + 1)
    }

    fn line(&self, off: usize) -> usize {
        self.line_col(off).0
    }

    fn next(&mut self) -> R<()> {
        loop {
            let Token { tok, pos, lit } = self.scanner.scan();
            for e in self.scanner.errors.drain(..) {
                self.errors.push((e.offset, e.msg));
            }
            if tok == Tok::Comment {
                continue;
            }
            self.tok = tok;
            self.pos = pos;
            self.lit = lit;
            return Ok(());
        }
    }

    fn error(&mut self, pos: usize, msg: String) -> R<()> {
        // Go: discard errors on the same line as the last recorded error (scanner errors
        // included, in time order), and bail out once more than 10 are recorded.
        let line = self.line(pos);
        if let Some((last, _)) = self.errors.last()
            && self.line(*last) == line
        {
            return Ok(());
        }
        if self.errors.len() > 10 {
            return Err(Bailout);
        }
        self.errors.push((pos, msg));
        Ok(())
    }

    fn error_expected(&mut self, pos: usize, what: &str) -> R<()> {
        let mut msg = format!("expected {what}");
        if pos == self.pos {
            if self.tok == Tok::Semicolon && self.lit == "\n" {
                msg.push_str(", found newline");
            } else if self.tok.is_literal() {
                msg.push_str(", found ");
                msg.push_str(&self.lit);
            } else {
                msg.push_str(&format!(", found '{}'", self.tok.text()));
            }
        }
        self.error(pos, msg)
    }

    fn expect(&mut self, tok: Tok) -> R<usize> {
        let pos = self.pos;
        if self.tok != tok {
            self.error_expected(pos, &format!("'{}'", tok.text()))?;
        }
        self.next()?;
        Ok(pos)
    }

    fn expect_closing(&mut self, tok: Tok, context: &str) -> R<usize> {
        if self.tok != tok && self.tok == Tok::Semicolon && self.lit == "\n" {
            let pos = self.pos;
            self.error(pos, format!("missing ',' before newline in {context}"))?;
            self.next()?;
        }
        self.expect(tok)
    }

    fn at_comma(&mut self, context: &str, follow: Tok) -> R<bool> {
        if self.tok == Tok::Comma {
            return Ok(true);
        }
        if self.tok != follow {
            let mut msg = String::from("missing ','");
            if self.tok == Tok::Semicolon && self.lit == "\n" {
                msg.push_str(" before newline");
            }
            let pos = self.pos;
            self.error(pos, format!("{msg} in {context}"))?;
            return Ok(true);
        }
        Ok(false)
    }

    fn inc_nest(&mut self) -> R<()> {
        self.nest_lev += 1;
        if self.nest_lev > MAX_NEST_LEV {
            let pos = self.pos;
            self.error(pos, "exceeded max nesting depth".into())?;
            return Err(Bailout);
        }
        Ok(())
    }

    fn advance_stmt_start(&mut self) -> R<()> {
        while self.tok != Tok::Eof {
            let is_start = matches!(
                self.tok,
                Tok::Keyword(
                    Kw::Break
                        | Kw::Const
                        | Kw::Continue
                        | Kw::Defer
                        | Kw::Fallthrough
                        | Kw::For
                        | Kw::Go
                        | Kw::Goto
                        | Kw::If
                        | Kw::Return
                        | Kw::Select
                        | Kw::Switch
                        | Kw::Type
                        | Kw::Var
                )
            );
            if is_start {
                if self.pos == self.sync_pos && self.sync_cnt < 10 {
                    self.sync_cnt += 1;
                    return Ok(());
                }
                if self.pos > self.sync_pos {
                    self.sync_pos = self.pos;
                    self.sync_cnt = 0;
                    return Ok(());
                }
            }
            self.next()?;
        }
        Ok(())
    }

    fn advance_expr_end(&mut self) -> R<()> {
        while self.tok != Tok::Eof {
            if matches!(
                self.tok,
                Tok::Comma | Tok::Colon | Tok::Semicolon | Tok::RParen | Tok::RBrack | Tok::RBrace
            ) {
                if self.pos == self.sync_pos && self.sync_cnt < 10 {
                    self.sync_cnt += 1;
                    return Ok(());
                }
                if self.pos > self.sync_pos {
                    self.sync_pos = self.pos;
                    self.sync_cnt = 0;
                    return Ok(());
                }
            }
            self.next()?;
        }
        Ok(())
    }

    fn unparen(&self, mut x: NodeId) -> NodeId {
        while let Node::Paren(inner) = self.ast.nodes[x] {
            x = inner;
        }
        x
    }

    fn check_expr(&mut self, x: NodeId) -> R<NodeId> {
        let u = self.unparen(x);
        match self.ast.nodes[u] {
            Node::Bad
            | Node::Ident(_)
            | Node::BasicLit { .. }
            | Node::FuncLit
            | Node::CompositeLit
            | Node::Selector { .. }
            | Node::Index { .. }
            | Node::IndexList { .. }
            | Node::Slice { .. }
            | Node::TypeAssert { .. }
            | Node::Call { .. }
            | Node::Star(_)
            | Node::Unary { .. }
            | Node::Binary { .. }
            | Node::Paren(_) => Ok(x),
            _ => {
                let pos = self.ast.pos[x];
                self.error_expected(pos, "expression")?;
                Ok(self.ast.add(Node::Bad, pos))
            }
        }
    }

    fn check_expr_or_type(&mut self, x: NodeId) -> R<NodeId> {
        // Go 1.26 no longer rejects `[...]T` here (observed: `[...] Host(``)` parses).
        Ok(x)
    }

    fn parse_rhs_or_type(&mut self) -> R<NodeId> {
        let old = self.in_rhs;
        self.in_rhs = true;
        let e = self.parse_expr()?;
        let x = self.check_expr_or_type(e)?;
        self.in_rhs = old;
        Ok(x)
    }

    fn parse_rhs(&mut self) -> R<NodeId> {
        let old = self.in_rhs;
        self.in_rhs = true;
        let e = self.parse_expr()?;
        let x = self.check_expr(e)?;
        self.in_rhs = old;
        Ok(x)
    }

    fn parse_expr(&mut self) -> R<NodeId> {
        self.parse_binary_expr(None, 1)
    }

    fn tok_prec(&self) -> (Tok, u8) {
        let mut tok = self.tok;
        if self.in_rhs && tok == Tok::Assign {
            tok = Tok::Eql;
        }
        (tok, tok.precedence())
    }

    fn parse_binary_expr(&mut self, x: Option<NodeId>, prec1: u8) -> R<NodeId> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            let mut x = match x {
                Some(x) => x,
                None => self.parse_unary_expr()?,
            };
            let mut n = 0;
            let res = loop {
                n += 1;
                if let Err(b) = self.inc_nest() {
                    break Err(b);
                }
                let (op, oprec) = self.tok_prec();
                if oprec < prec1 || oprec == 0 {
                    break Ok(x);
                }
                let pos = self.expect(op)?;
                let y = self.parse_binary_expr(None, oprec + 1)?;
                let cx = self.check_expr(x)?;
                let cy = self.check_expr(y)?;
                x = self.ast.add(Node::Binary { op, x: cx, y: cy }, pos);
                // The node starts where its left operand starts.
                self.ast.pos[x] = self.ast.pos[cx];
            };
            self.nest_lev -= n;
            res
        })
    }

    fn parse_unary_expr(&mut self) -> R<NodeId> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.inc_nest()?;
            let r = self.parse_unary_inner();
            self.nest_lev -= 1;
            r
        })
    }

    fn parse_unary_inner(&mut self) -> R<NodeId> {
        match self.tok {
            Tok::Add | Tok::Sub | Tok::Not | Tok::Xor | Tok::And | Tok::Tilde => {
                let (pos, op) = (self.pos, self.tok);
                self.next()?;
                let x = self.parse_unary_expr()?;
                let x = self.check_expr(x)?;
                Ok(self.ast.add(Node::Unary { op, x }, pos))
            }
            Tok::Arrow => {
                let pos = self.pos;
                self.next()?;
                let x = self.parse_unary_expr()?;
                if matches!(self.ast.nodes[x], Node::ChanType) {
                    return Ok(x);
                }
                let x = self.check_expr(x)?;
                Ok(self.ast.add(Node::Unary { op: Tok::Arrow, x }, pos))
            }
            Tok::Mul => {
                let pos = self.pos;
                self.next()?;
                let x = self.parse_unary_expr()?;
                let x = self.check_expr_or_type(x)?;
                Ok(self.ast.add(Node::Star(x), pos))
            }
            _ => self.parse_primary_expr(),
        }
    }

    fn parse_operand(&mut self) -> R<NodeId> {
        match self.tok {
            Tok::Ident => {
                let pos = self.pos;
                let name = std::mem::take(&mut self.lit);
                self.next()?;
                Ok(self.ast.add(Node::Ident(name), pos))
            }
            Tok::Int | Tok::Float | Tok::Imag | Tok::Char | Tok::Str => {
                let pos = self.pos;
                let n = Node::BasicLit {
                    kind: self.tok,
                    value: std::mem::take(&mut self.lit),
                };
                self.next()?;
                Ok(self.ast.add(n, pos))
            }
            Tok::LParen => {
                let pos = self.pos;
                self.next()?;
                self.expr_lev += 1;
                let x = self.parse_rhs_or_type()?;
                self.expr_lev -= 1;
                self.expect(Tok::RParen)?;
                Ok(self.ast.add(Node::Paren(x), pos))
            }
            Tok::Keyword(Kw::Func) => self.parse_func_type_or_lit(),
            _ => {
                if let Some(t) = self.try_type()? {
                    return Ok(t);
                }
                let pos = self.pos;
                self.error_expected(pos, "operand")?;
                self.advance_stmt_start()?;
                Ok(self.ast.add(Node::Bad, pos))
            }
        }
    }

    fn parse_primary_expr(&mut self) -> R<NodeId> {
        let mut x = self.parse_operand()?;
        let mut n = 0;
        let res = loop {
            n += 1;
            if let Err(b) = self.inc_nest() {
                break Err(b);
            }
            match self.tok {
                Tok::Period => {
                    self.next()?;
                    match self.tok {
                        Tok::Ident => {
                            let pos = self.ast.pos[x];
                            let sel = std::mem::take(&mut self.lit);
                            self.next()?;
                            let cx = self.check_expr_or_type(x)?;
                            x = self.ast.add(Node::Selector { x: cx, sel }, pos);
                        }
                        Tok::LParen => {
                            let pos = self.ast.pos[x];
                            let cx = self.check_expr(x)?;
                            self.expect(Tok::LParen)?;
                            if self.tok == Tok::Keyword(Kw::Type) {
                                self.next()?;
                            } else {
                                self.parse_type()?;
                            }
                            self.expect(Tok::RParen)?;
                            x = self.ast.add(Node::TypeAssert { x: cx }, pos);
                        }
                        _ => {
                            let pos = self.pos;
                            self.error_expected(pos, "selector or type assertion")?;
                            if self.tok != Tok::RBrace {
                                self.next()?;
                            }
                            let p0 = self.ast.pos[x];
                            x = self.ast.add(Node::Selector { x, sel: "_".into() }, p0);
                        }
                    }
                }
                Tok::LBrack => {
                    let cx = self.check_expr(x)?;
                    x = self.parse_index_or_slice(cx)?;
                }
                Tok::LParen => {
                    let cx = self.check_expr_or_type(x)?;
                    x = self.parse_call(cx)?;
                }
                Tok::LBrace => {
                    let t = self.unparen(x);
                    let ok = match self.ast.nodes[t] {
                        Node::Bad
                        | Node::Ident(_)
                        | Node::Selector { .. }
                        | Node::Index { .. }
                        | Node::IndexList { .. } => self.expr_lev >= 0,
                        Node::ArrayType { .. } | Node::StructType | Node::MapType => true,
                        _ => false,
                    };
                    if !ok {
                        break Ok(x);
                    }
                    if t != x {
                        let p = self.ast.pos[t];
                        self.error(p, "cannot parenthesize type in composite literal".into())?;
                    }
                    x = self.parse_literal_value(Some(x))?;
                }
                _ => break Ok(x),
            }
        };
        self.nest_lev -= n;
        res
    }

    fn parse_call(&mut self, fun: NodeId) -> R<NodeId> {
        self.expect(Tok::LParen)?;
        self.expr_lev += 1;
        let mut args = Vec::new();
        let mut ellipsis = false;
        while self.tok != Tok::RParen && self.tok != Tok::Eof && !ellipsis {
            args.push(self.parse_rhs_or_type()?);
            if self.tok == Tok::Ellipsis {
                ellipsis = true;
                self.next()?;
            }
            if !self.at_comma("argument list", Tok::RParen)? {
                break;
            }
            self.next()?;
        }
        self.expr_lev -= 1;
        self.expect_closing(Tok::RParen, "argument list")?;
        let pos = self.ast.pos[fun];
        Ok(self.ast.add(Node::Call { fun, args }, pos))
    }

    fn parse_index_or_slice(&mut self, x: NodeId) -> R<NodeId> {
        let pos0 = self.ast.pos[x];
        self.expect(Tok::LBrack)?;
        if self.tok == Tok::RBrack {
            let p = self.pos;
            self.error_expected(p, "operand")?;
            self.next()?;
            return Ok(self.ast.add(Node::Index { x }, pos0));
        }
        self.expr_lev += 1;
        let mut index: [Option<NodeId>; 3] = [None, None, None];
        let mut colons = [0usize; 2];
        let mut ncolons = 0;
        let mut nargs = 0;
        if self.tok != Tok::Colon {
            index[0] = Some(self.parse_rhs_or_type()?);
        }
        match self.tok {
            Tok::Colon => {
                while self.tok == Tok::Colon && ncolons < 2 {
                    colons[ncolons] = self.pos;
                    ncolons += 1;
                    self.next()?;
                    if self.tok != Tok::Colon && self.tok != Tok::RBrack && self.tok != Tok::Eof {
                        index[ncolons] = Some(self.parse_rhs()?);
                    }
                }
            }
            Tok::Comma => {
                nargs = 1;
                while self.tok == Tok::Comma {
                    self.next()?;
                    if self.tok != Tok::RBrack && self.tok != Tok::Eof {
                        self.parse_type()?;
                        nargs += 1;
                    }
                }
            }
            _ => {}
        }
        self.expr_lev -= 1;
        self.expect(Tok::RBrack)?;
        if ncolons > 0 {
            if ncolons == 2 {
                if index[1].is_none() {
                    self.error(colons[0], "middle index required in 3-index slice".into())?;
                }
                if index[2].is_none() {
                    self.error(colons[1], "final index required in 3-index slice".into())?;
                }
            }
            return Ok(self.ast.add(Node::Slice { x }, pos0));
        }
        if nargs <= 1 {
            return Ok(self.ast.add(Node::Index { x }, pos0));
        }
        Ok(self.ast.add(Node::IndexList { x }, pos0))
    }

    fn parse_literal_value(&mut self, typ: Option<NodeId>) -> R<NodeId> {
        let pos = typ.map_or(self.pos, |t| self.ast.pos[t]);
        self.expect(Tok::LBrace)?;
        self.expr_lev += 1;
        if self.tok != Tok::RBrace {
            while self.tok != Tok::RBrace && self.tok != Tok::Eof {
                self.parse_element()?;
                if !self.at_comma("composite literal", Tok::RBrace)? {
                    break;
                }
                self.next()?;
            }
        }
        self.expr_lev -= 1;
        self.expect_closing(Tok::RBrace, "composite literal")?;
        Ok(self.ast.add(Node::CompositeLit, pos))
    }

    fn parse_element(&mut self) -> R<()> {
        self.parse_value()?;
        if self.tok == Tok::Colon {
            self.next()?;
            self.parse_value()?;
        }
        Ok(())
    }

    fn parse_value(&mut self) -> R<NodeId> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            if self.tok == Tok::LBrace {
                return self.parse_literal_value(None);
            }
            let e = self.parse_expr()?;
            self.check_expr(e)
        })
    }

    // ---- types (approximate: enough to build the node kinds predicate reports) ----

    fn parse_type(&mut self) -> R<NodeId> {
        if let Some(t) = self.try_type()? {
            return Ok(t);
        }
        let pos = self.pos;
        self.error_expected(pos, "type")?;
        self.advance_expr_end()?;
        Ok(self.ast.add(Node::Bad, pos))
    }

    fn try_type(&mut self) -> R<Option<NodeId>> {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || {
            self.inc_nest()?;
            let r = self.try_type_inner();
            self.nest_lev -= 1;
            r
        })
    }

    fn try_type_inner(&mut self) -> R<Option<NodeId>> {
        let pos = self.pos;
        match self.tok {
            Tok::Ident => {
                let name = std::mem::take(&mut self.lit);
                self.next()?;
                let mut x = self.ast.add(Node::Ident(name), pos);
                if self.tok == Tok::Period {
                    self.next()?;
                    let sel = if self.tok == Tok::Ident {
                        let s = std::mem::take(&mut self.lit);
                        self.next()?;
                        s
                    } else {
                        self.expect(Tok::Ident)?;
                        "_".into()
                    };
                    x = self.ast.add(Node::Selector { x, sel }, pos);
                }
                if self.tok == Tok::LBrack {
                    // type instance
                    self.next()?;
                    self.parse_type()?;
                    while self.tok == Tok::Comma {
                        self.next()?;
                        if self.tok != Tok::RBrack {
                            self.parse_type()?;
                        }
                    }
                    self.expect_closing(Tok::RBrack, "type argument list")?;
                    x = self.ast.add(Node::Index { x }, pos);
                }
                Ok(Some(x))
            }
            Tok::LBrack => {
                self.next()?;
                let mut ellipsis_len = None;
                if self.tok == Tok::RBrack {
                    self.next()?;
                } else if self.tok == Tok::Ellipsis {
                    ellipsis_len = Some(self.pos);
                    self.next()?;
                    self.expect(Tok::RBrack)?;
                } else {
                    self.expr_lev += 1;
                    self.parse_rhs()?;
                    self.expr_lev -= 1;
                    self.expect(Tok::RBrack)?;
                }
                self.parse_type()?;
                Ok(Some(self.ast.add(Node::ArrayType { ellipsis_len }, pos)))
            }
            Tok::Keyword(Kw::Struct) => {
                self.next()?;
                self.skip_braced()?;
                Ok(Some(self.ast.add(Node::StructType, pos)))
            }
            Tok::Keyword(Kw::Interface) => {
                self.next()?;
                self.skip_braced()?;
                Ok(Some(self.ast.add(Node::InterfaceType, pos)))
            }
            Tok::Mul => {
                self.next()?;
                let t = self.parse_type()?;
                Ok(Some(self.ast.add(Node::Star(t), pos)))
            }
            Tok::Keyword(Kw::Func) => {
                self.parse_func_type()?;
                Ok(Some(self.ast.add(Node::FuncType, pos)))
            }
            Tok::Keyword(Kw::Map) => {
                self.next()?;
                self.expect(Tok::LBrack)?;
                self.parse_type()?;
                self.expect(Tok::RBrack)?;
                self.parse_type()?;
                Ok(Some(self.ast.add(Node::MapType, pos)))
            }
            Tok::Keyword(Kw::Chan) => {
                self.next()?;
                if self.tok == Tok::Arrow {
                    self.next()?;
                }
                self.parse_type()?;
                Ok(Some(self.ast.add(Node::ChanType, pos)))
            }
            Tok::Arrow => {
                self.next()?;
                if self.tok != Tok::Keyword(Kw::Chan) {
                    self.expect(Tok::Keyword(Kw::Chan))?;
                } else {
                    self.next()?;
                }
                self.parse_type()?;
                Ok(Some(self.ast.add(Node::ChanType, pos)))
            }
            Tok::LParen => {
                self.next()?;
                let t = self.parse_type()?;
                self.expect(Tok::RParen)?;
                Ok(Some(self.ast.add(Node::Paren(t), pos)))
            }
            _ => Ok(None),
        }
    }

    fn parse_func_type(&mut self) -> R<()> {
        self.expect(Tok::Keyword(Kw::Func))?;
        self.skip_delimited(Tok::LParen, Tok::RParen)?;
        // Result: a parenthesised list or a single type.
        if self.tok == Tok::LParen {
            self.skip_delimited(Tok::LParen, Tok::RParen)?;
        } else if matches!(
            self.tok,
            Tok::Ident
                | Tok::LBrack
                | Tok::Mul
                | Tok::Arrow
                | Tok::Keyword(Kw::Struct | Kw::Interface | Kw::Func | Kw::Map | Kw::Chan)
        ) {
            self.try_type()?;
        }
        Ok(())
    }

    fn parse_func_type_or_lit(&mut self) -> R<NodeId> {
        let pos = self.pos;
        self.parse_func_type()?;
        if self.tok != Tok::LBrace {
            return Ok(self.ast.add(Node::FuncType, pos));
        }
        self.expr_lev += 1;
        self.skip_braced()?;
        self.expr_lev -= 1;
        Ok(self.ast.add(Node::FuncLit, pos))
    }

    fn skip_braced(&mut self) -> R<()> {
        self.skip_delimited(Tok::LBrace, Tok::RBrace)
    }

    /// Skips `open ... close` with nesting, reporting only a missing opener/closer.
    fn skip_delimited(&mut self, open: Tok, close: Tok) -> R<()> {
        self.expect(open)?;
        let mut depth = 1usize;
        loop {
            if self.tok == Tok::Eof {
                self.expect(close)?;
                return Ok(());
            }
            if self.tok == open {
                depth += 1;
            } else if self.tok == close {
                depth -= 1;
                if depth == 0 {
                    self.next()?;
                    return Ok(());
                }
            }
            self.next()?;
        }
    }
}
