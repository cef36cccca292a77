//! Parser: a port of Go's `text/template/parse/parse.go` for one template.

use super::lex::{Item, Kind, lex};
use super::{ParseFail, funcs};

#[derive(Debug, Clone)]
pub enum Node {
    /// Source offset and text.
    Text(usize, String),
    Action {
        pos: usize,
        pipe: Pipe,
    },
    If(Branch),
    Range(Branch),
    With(Branch),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    pub pos: usize,
    pub is_assign: bool,
    pub decl: Vec<String>,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub struct Command {
    pub pos: usize,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub pos: usize,
    pub term: Term,
}

#[derive(Debug, Clone)]
pub enum Term {
    Ident(String),
    Dot,
    Nil,
    /// `$x.a.b`: name (with `$`) and fields.
    Var(String, Vec<String>),
    /// `.a.b`
    Field(Vec<String>),
    Bool(bool),
    Number(Number),
    Str {
        text: String,
        value: String,
    },
    Pipe(Box<Pipe>),
    /// `(pipe).a.b`
    Chain(Box<Arg>, Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Number {
    pub text: String,
    pub int: Option<i64>,
    pub float: Option<f64>,
    /// Character constant (`'a'`).
    pub is_char: bool,
}

// ---------- Node.String() (for execution error contexts) ----------

impl Pipe {
    pub fn render(&self) -> String {
        let mut s = String::new();
        if !self.decl.is_empty() {
            s.push_str(&self.decl.join(", "));
            s.push_str(if self.is_assign { " = " } else { " := " });
        }
        let cmds: Vec<String> = self.cmds.iter().map(Command::render).collect();
        s.push_str(&cmds.join(" | "));
        s
    }
}

impl Command {
    pub fn render(&self) -> String {
        let parts: Vec<String> = self
            .args
            .iter()
            .map(|a| match &a.term {
                Term::Pipe(p) => format!("({})", p.render()),
                _ => a.render(),
            })
            .collect();
        parts.join(" ")
    }
}

impl Arg {
    pub fn render(&self) -> String {
        match &self.term {
            Term::Ident(s) => s.clone(),
            Term::Dot => ".".into(),
            Term::Nil => "nil".into(),
            Term::Var(v, f) => {
                let mut s = v.clone();
                for x in f {
                    s.push('.');
                    s.push_str(x);
                }
                s
            }
            Term::Field(f) => f.iter().map(|x| format!(".{x}")).collect(),
            Term::Bool(b) => b.to_string(),
            Term::Number(n) => n.text.clone(),
            Term::Str { text, .. } => text.clone(),
            Term::Pipe(p) => format!("({})", p.render()),
            Term::Chain(a, f) => {
                let mut s = match &a.term {
                    Term::Pipe(p) => format!("({})", p.render()),
                    _ => a.render(),
                };
                for x in f {
                    s.push('.');
                    s.push_str(x);
                }
                s
            }
        }
    }
}

// ---------- parser ----------

pub struct Parser<'a> {
    name: &'a str,
    items: Vec<Item>,
    i: usize,
    /// Most recently read token's line (Go's `t.token[0].line`).
    last_line: usize,
    vars: Vec<String>,
    range_depth: usize,
    action_line: usize,
    /// Nesting of pipelines and controls (recursion guard).
    depth: usize,
}

type P<T> = Result<T, ParseFail>;

pub fn parse(name: &str, text: &str) -> P<Vec<Node>> {
    let mut p = Parser {
        name,
        items: lex(text),
        i: 0,
        last_line: 1,
        vars: vec!["$".into()],
        range_depth: 0,
        action_line: 0,
        depth: 0,
    };
    let mut root = Vec::new();
    while p.peek().kind != Kind::Eof {
        if p.peek().kind == Kind::LeftDelim {
            let save = p.i;
            p.next();
            match p.next_non_space().kind {
                Kind::Define => return Err(p.unsupported("{{define}}")),
                Kind::Block => return Err(p.unsupported("{{block}}")),
                Kind::Template => return Err(p.unsupported("{{template}}")),
                _ => {}
            }
            p.i = save;
        }
        match p.text_or_action()? {
            Parsed::End => return Err(p.errorf("unexpected {{end}}")),
            Parsed::Else => return Err(p.errorf("unexpected {{else}}")),
            Parsed::ElseIf => return Err(p.errorf("unexpected {{else}}")),
            Parsed::Node(Some(n)) => root.push(n),
            Parsed::Node(None) => {}
        }
    }
    Ok(root)
}

enum Parsed {
    Node(Option<Node>),
    End,
    Else,
    ElseIf,
}

impl Parser<'_> {
    fn errorf(&self, msg: impl AsRef<str>) -> ParseFail {
        ParseFail::Error {
            message: format!(
                "template: {}:{}: {}",
                self.name,
                self.last_line,
                msg.as_ref()
            ),
            line: self.last_line,
        }
    }

    fn unsupported(&self, what: &str) -> ParseFail {
        ParseFail::Unsupported {
            what: what.to_string(),
            line: self.last_line,
        }
    }

    fn peek(&mut self) -> &Item {
        let it = &self.items[self.i.min(self.items.len() - 1)];
        self.last_line = it.line;
        &self.items[self.i.min(self.items.len() - 1)]
    }

    fn next(&mut self) -> Item {
        let it = self.items[self.i.min(self.items.len() - 1)].clone();
        self.last_line = it.line;
        self.i += 1;
        it
    }

    fn backup(&mut self) {
        self.i -= 1;
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let it = self.next();
            if it.kind != Kind::Space {
                return it;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let it = self.next_non_space();
        self.backup();
        it
    }

    fn unexpected(&self, token: &Item, context: &str) -> ParseFail {
        if token.kind == Kind::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at {}:{}", self.name, self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{}{}", token.describe(), extra));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    fn expect(&mut self, kind: Kind, context: &str) -> P<Item> {
        let t = self.next_non_space();
        if t.kind != kind {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn item_list(&mut self) -> P<(Vec<Node>, Parsed)> {
        let mut list = Vec::new();
        while self.peek_non_space().kind != Kind::Eof {
            match self.text_or_action()? {
                Parsed::Node(Some(n)) => list.push(n),
                Parsed::Node(None) => {}
                other => return Ok((list, other)),
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> P<Parsed> {
        let token = self.next_non_space();
        match token.kind {
            Kind::Text => Ok(Parsed::Node(Some(Node::Text(token.pos, token.val)))),
            Kind::LeftDelim => {
                self.action_line = token.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> P<Parsed> {
        let token = self.next_non_space();
        match token.kind {
            Kind::Block => return Err(self.unsupported("{{block}}")),
            Kind::Template => return Err(self.unsupported("{{template}}")),
            Kind::Define => return Err(self.unsupported("{{define}}")),
            Kind::Break | Kind::Continue => {
                let ctx = if token.kind == Kind::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let t = self.next_non_space();
                if t.kind != Kind::RightDelim {
                    return Err(self.unexpected(&t, ctx));
                }
                if self.range_depth == 0 {
                    return Err(self.errorf(format!("{ctx} outside {{{{range}}}}")));
                }
                return Ok(Parsed::Node(Some(if token.kind == Kind::Break {
                    Node::Break
                } else {
                    Node::Continue
                })));
            }
            Kind::Else => {
                if matches!(self.peek_non_space().kind, Kind::If | Kind::With) {
                    return Ok(Parsed::ElseIf);
                }
                self.expect(Kind::RightDelim, "else")?;
                return Ok(Parsed::Else);
            }
            Kind::End => {
                self.expect(Kind::RightDelim, "end")?;
                return Ok(Parsed::End);
            }
            Kind::If => return Ok(Parsed::Node(Some(Node::If(self.control(true, "if")?)))),
            Kind::Range => {
                return Ok(Parsed::Node(Some(Node::Range(
                    self.control(false, "range")?,
                ))));
            }
            Kind::With => {
                return Ok(Parsed::Node(Some(Node::With(self.control(true, "with")?))));
            }
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", Kind::RightDelim)?;
        Ok(Parsed::Node(Some(Node::Action { pos, pipe })))
    }

    fn control(&mut self, allow_else_if: bool, context: &str) -> P<Branch> {
        let nvars = self.vars.len();
        self.enter()?;
        let r = self.control_inner(allow_else_if, context);
        self.depth -= 1;
        self.vars.truncate(nvars);
        r
    }

    /// Go allows 10000 levels; this evaluator stops earlier rather than overflow its stack.
    fn enter(&mut self) -> P<()> {
        self.depth += 1;
        if self.depth > 300 {
            self.depth -= 1;
            return Err(self.unsupported("templates nested more than 300 levels deep"));
        }
        Ok(())
    }

    fn control_inner(&mut self, allow_else_if: bool, context: &str) -> P<Branch> {
        let pipe = self.pipeline(context, Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        match next {
            Parsed::End => {}
            Parsed::ElseIf if allow_else_if => {
                // `{{else if ...}}` / `{{else with ...}}`: consume the keyword.
                let kw = self.next_non_space();
                let node = match (context, kw.kind) {
                    ("if", Kind::If) => Node::If(self.control(true, "if")?),
                    ("with", Kind::With) => Node::With(self.control(true, "with")?),
                    _ => return Err(self.unexpected(&kw, "input")),
                };
                else_list = Some(vec![node]);
            }
            Parsed::Else | Parsed::ElseIf => {
                if matches!(next, Parsed::ElseIf) {
                    let t = self.next_non_space();
                    return Err(self.unexpected(&t, "input"));
                }
                let (l, n) = self.item_list()?;
                if !matches!(n, Parsed::End) {
                    return Err(self.errorf("expected end; found {{else}}"));
                }
                else_list = Some(l);
            }
            Parsed::Node(_) => unreachable!(),
        }
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, context: &str, end: Kind) -> P<Pipe> {
        self.enter()?;
        let r = self.pipeline_inner(context, end);
        self.depth -= 1;
        r
    }

    fn pipeline_inner(&mut self, context: &str, end: Kind) -> P<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.kind != Kind::Variable {
                break;
            }
            let save = self.i;
            self.next_non_space();
            let after = self.peek().clone();
            let next = self.peek_non_space();
            if next.kind == Kind::Assign || next.kind == Kind::Declare {
                pipe.is_assign = next.kind == Kind::Assign;
                self.next_non_space();
                pipe.decl.push(v.val.clone());
                self.vars.push(v.val.clone());
            } else if next.kind == Kind::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(v.val.clone());
                self.vars.push(v.val.clone());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().kind {
                        Kind::Variable | Kind::RightDelim | Kind::RightParen => continue 'decls,
                        _ => return Err(self.errorf("range can only initialize variables")),
                    }
                }
                return Err(self.errorf(format!("too many declarations in {context}")));
            } else {
                let _ = after;
                self.i = save;
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            match token.kind {
                k if k == end => {
                    if pipe.cmds.is_empty() {
                        return Err(self.errorf(format!("missing value for {context}")));
                    }
                    for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
                        if matches!(
                            c.args[0].term,
                            Term::Bool(_)
                                | Term::Dot
                                | Term::Nil
                                | Term::Number(_)
                                | Term::Str { .. }
                        ) {
                            return Err(self.errorf(format!(
                                "non executable command in pipeline stage {}",
                                i + 1
                            )));
                        }
                    }
                    return Ok(pipe);
                }
                Kind::Bool
                | Kind::CharConstant
                | Kind::Complex
                | Kind::Dot
                | Kind::Field
                | Kind::Identifier
                | Kind::Number
                | Kind::Nil
                | Kind::RawString
                | Kind::String
                | Kind::Variable
                | Kind::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn command(&mut self) -> P<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let token = self.next();
            match token.kind {
                Kind::Space => continue,
                Kind::RightDelim | Kind::RightParen => self.backup(),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> P<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != Kind::Field {
            return Ok(Some(node));
        }
        let mut fields = Vec::new();
        let chain_pos = self.peek().pos;
        while self.peek().kind == Kind::Field {
            let f = self.next().val;
            fields.extend(f[1..].split('.').map(str::to_string));
        }
        // Go positions the combined node at its first `.field` (the chain's position).
        let pos = chain_pos;
        let inner_pos = node.pos;
        let term = match node.term {
            Term::Field(mut f) => {
                f.extend(fields);
                Term::Field(f)
            }
            Term::Var(v, mut f) => {
                f.extend(fields);
                Term::Var(v, f)
            }
            Term::Bool(_) | Term::Str { .. } | Term::Number(_) | Term::Nil | Term::Dot => {
                return Err(self.errorf(format!(
                    "unexpected . after term {}",
                    super::fmt::go_quote(&node.render())
                )));
            }
            other => Term::Chain(
                Box::new(Arg {
                    pos: inner_pos,
                    term: other,
                }),
                fields,
            ),
        };
        Ok(Some(Arg { pos, term }))
    }

    fn term(&mut self) -> P<Option<Arg>> {
        let token = self.next_non_space();
        let pos = token.pos;
        let term = match token.kind {
            Kind::Identifier => {
                if !funcs::exists(&token.val) {
                    return Err(self.errorf(format!(
                        "function {} not defined",
                        super::fmt::go_quote(&token.val)
                    )));
                }
                Term::Ident(token.val)
            }
            Kind::Dot => Term::Dot,
            Kind::Nil => Term::Nil,
            Kind::Variable => {
                let mut parts = token.val.split('.');
                let name = parts.next().unwrap_or("$").to_string();
                if !self.vars.contains(&name) {
                    return Err(self.errorf(format!(
                        "undefined variable {}",
                        super::fmt::go_quote(&name)
                    )));
                }
                Term::Var(name, parts.map(str::to_string).collect())
            }
            Kind::Field => Term::Field(token.val[1..].split('.').map(str::to_string).collect()),
            Kind::Bool => Term::Bool(token.val == "true"),
            Kind::CharConstant | Kind::Number => Term::Number(self.number(&token)?),
            Kind::Complex => return Err(self.unsupported("complex number constant")),
            Kind::LeftParen => {
                let p = self.pipeline("parenthesized pipeline", Kind::RightParen)?;
                Term::Pipe(Box::new(p))
            }
            Kind::String | Kind::RawString => {
                let Some(value) = unquote(&token.val) else {
                    if unquote_escapes_valid(&token.val) {
                        return Err(self.unsupported("a string with non-UTF-8 byte escapes"));
                    }
                    return Err(self.errorf("invalid syntax"));
                };
                Term::Str {
                    text: token.val,
                    value,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(Arg { pos, term }))
    }

    fn number(&self, token: &Item) -> P<Number> {
        let text = token.val.clone();
        if token.kind == Kind::CharConstant {
            let Some(s) = unquote_char(&text) else {
                return Err(self.errorf("malformed character constant: ".to_string() + &text));
            };
            return Ok(Number {
                text,
                int: Some(s as i64),
                float: Some(s as u32 as f64),
                is_char: true,
            });
        }
        if text.ends_with('i') {
            return Err(self.unsupported("imaginary number constant"));
        }
        let clean = text.replace('_', "");
        let hexlike = clean.starts_with("0x") || clean.starts_with("0X");
        let int = parse_go_int(&clean);
        let float = if let Some(i) = int {
            Some(i as f64)
        } else if clean.starts_with("0x") || clean.starts_with("0X") {
            None
        } else {
            clean.parse::<f64>().ok().filter(|f| f.is_finite())
        };
        let int = int.or_else(|| {
            float.and_then(|f| {
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    Some(f as i64)
                } else {
                    None
                }
            })
        });
        if int.is_none()
            && float.is_some()
            && !hexlike
            && !clean.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Err(self.errorf(format!("integer overflow: {}", super::fmt::go_quote(&text))));
        }
        if int.is_none() && float.is_none() {
            return Err(self.errorf(format!(
                "illegal number syntax: {}",
                super::fmt::go_quote(&text)
            )));
        }
        Ok(Number {
            text,
            int,
            float,
            is_char: false,
        })
    }
}

/// Go `strconv.ParseInt(s, 0, 64)`.
pub fn parse_go_int(s: &str) -> Option<i64> {
    crate::decode::goconv::parse_int_base0(s)
}

/// Go `strconv.Unquote` for `"..."` and raw strings.
pub fn unquote(s: &str) -> Option<String> {
    if s.len() >= 2 && s.starts_with('`') && s.ends_with('`') {
        return Some(s[1..s.len() - 1].replace('\r', ""));
    }
    if !(s.len() >= 2 && s.starts_with('"') && s.ends_with('"')) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut it = body.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = it.next()?;
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| it.next()).collect();
                if hex.len() != n {
                    return None;
                }
                let v = u32::from_str_radix(&hex, 16).ok()?;
                if e == 'x' {
                    // A byte; only valid UTF-8 results are representable here.
                    if v < 0x80 {
                        out.push(v as u8 as char);
                    } else {
                        return None;
                    }
                } else {
                    out.push(char::from_u32(v)?);
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + it.next()?.to_digit(8)?;
                }
                if v < 0x80 {
                    out.push(v as u8 as char);
                } else {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Whether every escape is one Go accepts (the string failed only on a byte >= 0x80).
fn unquote_escapes_valid(s: &str) -> bool {
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"' | 'x' | 'u' | 'U') => {}
                Some('0'..='7') => {}
                _ => return false,
            }
        }
    }
    true
}

fn unquote_char(s: &str) -> Option<char> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    if inner == "\"" {
        return Some('"');
    }
    if inner == "\\'" {
        return Some('\'');
    }
    if inner.contains('"') && !inner.starts_with('\\') {
        return None;
    }
    let u = unquote(&format!("\"{inner}\""))?;
    let mut cs = u.chars();
    let c = cs.next()?;
    if cs.next().is_some() {
        return None;
    }
    Some(c)
}
