//! A lexer for Go source text, as `go/scanner` (Go 1.26) tokenises it.
//!
//! Traefik hands each rule to `go/parser.ParseExpr`, so a rule is lexed exactly like Go
//! source: raw and interpreted strings, rune literals, numbers, comments and *automatic
//! semicolon insertion* (a newline after `)`, `]`, `}`, an identifier or a literal becomes a
//! `;` token). Every lexical error is reported the way Go's scanner reports it (message text
//! and byte offset); the parser turns offsets into `line:column` positions.
//!
//! Not reproduced: `//line` directives (they would rewrite positions in later error texts).

use super::unicode::{is_go_digit, is_go_letter, is_go_print};

/// Go token kinds (`go/token`). `text()` is `token.Token.String()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Illegal,
    Eof,
    Comment,
    Ident,
    Int,
    Float,
    Imag,
    Char,
    Str,
    Add,
    Sub,
    Mul,
    Quo,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    AndNot,
    AddAssign,
    SubAssign,
    MulAssign,
    QuoAssign,
    RemAssign,
    AndAssign,
    OrAssign,
    XorAssign,
    ShlAssign,
    ShrAssign,
    AndNotAssign,
    LAnd,
    LOr,
    Arrow,
    Inc,
    Dec,
    Eql,
    Lss,
    Gtr,
    Assign,
    Not,
    Neq,
    Leq,
    Geq,
    Define,
    Ellipsis,
    LParen,
    LBrack,
    LBrace,
    Comma,
    Period,
    RParen,
    RBrack,
    RBrace,
    Semicolon,
    Colon,
    Tilde,
    Keyword(Kw),
}

/// Go keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kw {
    Break,
    Case,
    Chan,
    Const,
    Continue,
    Default,
    Defer,
    Else,
    Fallthrough,
    For,
    Func,
    Go,
    Goto,
    If,
    Import,
    Interface,
    Map,
    Package,
    Range,
    Return,
    Select,
    Struct,
    Switch,
    Type,
    Var,
}

const KEYWORDS: &[(&str, Kw)] = &[
    ("break", Kw::Break),
    ("case", Kw::Case),
    ("chan", Kw::Chan),
    ("const", Kw::Const),
    ("continue", Kw::Continue),
    ("default", Kw::Default),
    ("defer", Kw::Defer),
    ("else", Kw::Else),
    ("fallthrough", Kw::Fallthrough),
    ("for", Kw::For),
    ("func", Kw::Func),
    ("go", Kw::Go),
    ("goto", Kw::Goto),
    ("if", Kw::If),
    ("import", Kw::Import),
    ("interface", Kw::Interface),
    ("map", Kw::Map),
    ("package", Kw::Package),
    ("range", Kw::Range),
    ("return", Kw::Return),
    ("select", Kw::Select),
    ("struct", Kw::Struct),
    ("switch", Kw::Switch),
    ("type", Kw::Type),
    ("var", Kw::Var),
];

impl Tok {
    /// `token.Token.String()`.
    pub fn text(self) -> &'static str {
        use Tok::*;
        match self {
            Illegal => "ILLEGAL",
            Eof => "EOF",
            Comment => "COMMENT",
            Ident => "IDENT",
            Int => "INT",
            Float => "FLOAT",
            Imag => "IMAG",
            Char => "CHAR",
            Str => "STRING",
            Add => "+",
            Sub => "-",
            Mul => "*",
            Quo => "/",
            Rem => "%",
            And => "&",
            Or => "|",
            Xor => "^",
            Shl => "<<",
            Shr => ">>",
            AndNot => "&^",
            AddAssign => "+=",
            SubAssign => "-=",
            MulAssign => "*=",
            QuoAssign => "/=",
            RemAssign => "%=",
            AndAssign => "&=",
            OrAssign => "|=",
            XorAssign => "^=",
            ShlAssign => "<<=",
            ShrAssign => ">>=",
            AndNotAssign => "&^=",
            LAnd => "&&",
            LOr => "||",
            Arrow => "<-",
            Inc => "++",
            Dec => "--",
            Eql => "==",
            Lss => "<",
            Gtr => ">",
            Assign => "=",
            Not => "!",
            Neq => "!=",
            Leq => "<=",
            Geq => ">=",
            Define => ":=",
            Ellipsis => "...",
            LParen => "(",
            LBrack => "[",
            LBrace => "{",
            Comma => ",",
            Period => ".",
            RParen => ")",
            RBrack => "]",
            RBrace => "}",
            Semicolon => ";",
            Colon => ":",
            Tilde => "~",
            Keyword(k) => KEYWORDS
                .iter()
                .find(|(_, kw)| *kw == k)
                .map_or("", |(s, _)| s),
        }
    }

    /// `token.Token.IsLiteral()`.
    pub fn is_literal(self) -> bool {
        matches!(
            self,
            Tok::Ident | Tok::Int | Tok::Float | Tok::Imag | Tok::Char | Tok::Str
        )
    }

    /// `token.Token.Precedence()` (0 = not a binary operator).
    pub fn precedence(self) -> u8 {
        use Tok::*;
        match self {
            LOr => 1,
            LAnd => 2,
            Eql | Neq | Lss | Leq | Gtr | Geq => 3,
            Add | Sub | Or | Xor => 4,
            Mul | Quo | Rem | Shl | Shr | And | AndNot => 5,
            _ => 0,
        }
    }
}

/// One scanned token: kind, byte offset, literal text (Go's `lit`).
#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
    pub lit: String,
}

/// A lexical error at a byte offset.
#[derive(Clone, Debug)]
pub struct ScanError {
    pub offset: usize,
    pub msg: String,
}

const EOF: i32 = -1;
const BOM: i32 = 0xFEFF;

/// The scanner; `scan()` yields tokens, errors accumulate in `errors`.
pub struct Scanner<'a> {
    src: &'a [u8],
    ch: i32,
    offset: usize,
    rd_offset: usize,
    insert_semi: bool,
    nl_pos: Option<usize>,
    pub errors: Vec<ScanError>,
}

fn is_decimal(c: i32) -> bool {
    (b'0' as i32..=b'9' as i32).contains(&c)
}
fn is_hex(c: i32) -> bool {
    is_decimal(c) || (b'a' as i32..=b'f' as i32).contains(&lower(c))
}
fn lower(c: i32) -> i32 {
    (b'a' as i32 - b'A' as i32) | c
}
fn is_letter(c: i32) -> bool {
    if c < 0 {
        return false;
    }
    let c = c as u32;
    if c < 0x80 {
        let b = c as u8;
        return b.is_ascii_alphabetic() || b == b'_';
    }
    char::from_u32(c).is_some_and(is_go_letter)
}
fn is_digit(c: i32) -> bool {
    if c < 0 {
        return false;
    }
    let c = c as u32;
    if c < 0x80 {
        return (c as u8).is_ascii_digit();
    }
    char::from_u32(c).is_some_and(is_go_digit)
}
fn digit_val(c: i32) -> i32 {
    if is_decimal(c) {
        c - b'0' as i32
    } else if (b'a' as i32..=b'f' as i32).contains(&lower(c)) {
        lower(c) - b'a' as i32 + 10
    } else {
        16
    }
}

/// `%#U` formatting of a rune: `U+0023 '#'` (the quoted form only when printable).
pub fn format_sharp_u(c: i32) -> String {
    let hex = format!("U+{:04X}", c.max(0));
    match char::from_u32(c as u32) {
        Some(ch) if is_go_print(ch) => format!("{hex} '{ch}'"),
        _ => hex,
    }
}

/// `%q` of a rune (`strconv.QuoteRune`), used by "invalid digit %q".
fn quote_rune_byte(b: u8) -> String {
    let ch = b as char;
    match b {
        b'\'' => "'\\''".to_string(),
        b'\\' => "'\\\\'".to_string(),
        0x20..=0x7e => format!("'{ch}'"),
        _ => super::quote::quote_rune(ch as u32),
    }
}

impl<'a> Scanner<'a> {
    pub fn new(src: &'a str) -> Self {
        let mut s = Scanner {
            src: src.as_bytes(),
            ch: b' ' as i32,
            offset: 0,
            rd_offset: 0,
            insert_semi: false,
            nl_pos: None,
            errors: Vec::new(),
        };
        s.next();
        if s.ch == BOM {
            s.next();
        }
        s
    }

    fn error(&mut self, offset: usize, msg: impl Into<String>) {
        self.errors.push(ScanError {
            offset,
            msg: msg.into(),
        });
    }

    fn next(&mut self) {
        if self.rd_offset < self.src.len() {
            self.offset = self.rd_offset;
            let b = self.src[self.rd_offset];
            let (r, w) = if b == 0 {
                self.error(self.offset, "illegal character NUL");
                (0, 1)
            } else if b >= 0x80 {
                // `src` comes from a `&str`, so it is valid UTF-8.
                let rest = &self.src[self.rd_offset..];
                let w = utf8_len(b).min(rest.len());
                let c = std::str::from_utf8(&rest[..w])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map_or(0xFFFD, |c| c as i32);
                if c == BOM && self.offset > 0 {
                    self.error(self.offset, "illegal byte order mark");
                }
                (c, w)
            } else {
                (b as i32, 1)
            };
            self.rd_offset += w;
            self.ch = r;
        } else {
            self.offset = self.src.len();
            self.ch = EOF;
        }
    }

    fn peek(&self) -> u8 {
        self.src.get(self.rd_offset).copied().unwrap_or(0)
    }

    fn skip_whitespace(&mut self) {
        while self.ch == b' ' as i32
            || self.ch == b'\t' as i32
            || (self.ch == b'\n' as i32 && !self.insert_semi)
            || self.ch == b'\r' as i32
        {
            self.next();
        }
    }

    fn text(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(&self.src[from..to]).into_owned()
    }

    fn scan_identifier(&mut self) -> String {
        let offs = self.offset;
        while is_letter(self.ch) || is_digit(self.ch) {
            self.next();
        }
        self.text(offs, self.offset)
    }

    fn digits(&mut self, base: i32, invalid: &mut Option<usize>) -> u8 {
        let mut digsep = 0;
        if base <= 10 {
            let max = b'0' as i32 + base;
            while is_decimal(self.ch) || self.ch == b'_' as i32 {
                let mut ds = 1;
                if self.ch == b'_' as i32 {
                    ds = 2;
                } else if self.ch >= max && invalid.is_none() {
                    *invalid = Some(self.offset);
                }
                digsep |= ds;
                self.next();
            }
        } else {
            while is_hex(self.ch) || self.ch == b'_' as i32 {
                digsep |= if self.ch == b'_' as i32 { 2 } else { 1 };
                self.next();
            }
        }
        digsep
    }

    fn scan_number(&mut self) -> (Tok, String) {
        let offs = self.offset;
        let mut tok = Tok::Illegal;
        let mut base = 10;
        let mut prefix = 0u8;
        let mut digsep = 0u8;
        let mut invalid: Option<usize> = None;
        if self.ch != b'.' as i32 {
            tok = Tok::Int;
            if self.ch == b'0' as i32 {
                self.next();
                let l = lower(self.ch);
                if l == b'x' as i32 {
                    self.next();
                    base = 16;
                    prefix = b'x';
                } else if l == b'o' as i32 {
                    self.next();
                    base = 8;
                    prefix = b'o';
                } else if l == b'b' as i32 {
                    self.next();
                    base = 2;
                    prefix = b'b';
                } else {
                    base = 8;
                    prefix = b'0';
                    digsep = 1;
                }
            }
            digsep |= self.digits(base, &mut invalid);
        }
        if self.ch == b'.' as i32 {
            tok = Tok::Float;
            if prefix == b'o' || prefix == b'b' {
                let o = self.offset;
                self.error(o, format!("invalid radix point in {}", litname(prefix)));
            }
            self.next();
            digsep |= self.digits(base, &mut invalid);
        }
        if digsep & 1 == 0 {
            let o = self.offset;
            self.error(o, format!("{} has no digits", litname(prefix)));
        }
        let e = lower(self.ch);
        if e == b'e' as i32 || e == b'p' as i32 {
            let o = self.offset;
            let chq = quote_rune_byte(self.ch as u8);
            if e == b'e' as i32 && prefix != 0 && prefix != b'0' {
                self.error(o, format!("{chq} exponent requires decimal mantissa"));
            } else if e == b'p' as i32 && prefix != b'x' {
                self.error(o, format!("{chq} exponent requires hexadecimal mantissa"));
            }
            self.next();
            tok = Tok::Float;
            if self.ch == b'+' as i32 || self.ch == b'-' as i32 {
                self.next();
            }
            let mut none = None;
            let ds = self.digits(10, &mut none);
            digsep |= ds;
            if ds & 1 == 0 {
                let o = self.offset;
                self.error(o, "exponent has no digits");
            }
        } else if prefix == b'x' && tok == Tok::Float {
            let o = self.offset;
            self.error(o, "hexadecimal mantissa requires a 'p' exponent");
        }
        if self.ch == b'i' as i32 {
            tok = Tok::Imag;
            self.next();
        }
        let lit = self.text(offs, self.offset);
        if tok == Tok::Int
            && let Some(inv) = invalid
        {
            let q = quote_rune_byte(self.src[inv]);
            self.error(inv, format!("invalid digit {q} in {}", litname(prefix)));
        }
        if digsep & 2 != 0
            && let Some(i) = invalid_sep(lit.as_bytes())
        {
            self.error(offs + i, "'_' must separate successive digits");
        }
        (tok, lit)
    }

    fn scan_escape(&mut self, quote: u8) -> bool {
        let offs = self.offset;
        let (mut n, base, max): (i32, u32, u32);
        match self.ch {
            c if c >= 0
                && [b'a', b'b', b'f', b'n', b'r', b't', b'v', b'\\', quote]
                    .contains(&(c as u8))
                && c < 0x80 =>
            {
                self.next();
                return true;
            }
            c if (b'0' as i32..=b'7' as i32).contains(&c) => {
                n = 3;
                base = 8;
                max = 255;
            }
            c if c == b'x' as i32 => {
                self.next();
                n = 2;
                base = 16;
                max = 255;
            }
            c if c == b'u' as i32 => {
                self.next();
                n = 4;
                base = 16;
                max = 0x10FFFF;
            }
            c if c == b'U' as i32 => {
                self.next();
                n = 8;
                base = 16;
                max = 0x10FFFF;
            }
            c => {
                let msg = if c < 0 {
                    "escape sequence not terminated"
                } else {
                    "unknown escape sequence"
                };
                self.error(offs, msg);
                return false;
            }
        }
        let mut x: u32 = 0;
        while n > 0 {
            let d = digit_val(self.ch) as u32;
            if d >= base {
                let msg = if self.ch < 0 {
                    "escape sequence not terminated".to_string()
                } else {
                    format!(
                        "illegal character {} in escape sequence",
                        format_sharp_u(self.ch)
                    )
                };
                let o = self.offset;
                self.error(o, msg);
                return false;
            }
            x = x.wrapping_mul(base).wrapping_add(d);
            self.next();
            n -= 1;
        }
        if x > max || (0xD800..0xE000).contains(&x) {
            self.error(offs, "escape sequence is invalid Unicode code point");
            return false;
        }
        true
    }

    fn scan_rune(&mut self) -> String {
        let offs = self.offset - 1;
        let mut valid = true;
        let mut n = 0;
        loop {
            let ch = self.ch;
            if ch == b'\n' as i32 || ch < 0 {
                if valid {
                    self.error(offs, "rune literal not terminated");
                    valid = false;
                }
                break;
            }
            self.next();
            if ch == b'\'' as i32 {
                break;
            }
            n += 1;
            if ch == b'\\' as i32 && !self.scan_escape(b'\'') {
                valid = false;
            }
        }
        if valid && n != 1 {
            self.error(offs, "illegal rune literal");
        }
        self.text(offs, self.offset)
    }

    fn scan_string(&mut self) -> String {
        let offs = self.offset - 1;
        loop {
            let ch = self.ch;
            if ch == b'\n' as i32 || ch < 0 {
                self.error(offs, "string literal not terminated");
                break;
            }
            self.next();
            if ch == b'"' as i32 {
                break;
            }
            if ch == b'\\' as i32 {
                self.scan_escape(b'"');
            }
        }
        self.text(offs, self.offset)
    }

    fn scan_raw_string(&mut self) -> String {
        let offs = self.offset - 1;
        let mut has_cr = false;
        loop {
            let ch = self.ch;
            if ch < 0 {
                self.error(offs, "raw string literal not terminated");
                break;
            }
            self.next();
            if ch == b'`' as i32 {
                break;
            }
            if ch == b'\r' as i32 {
                has_cr = true;
            }
        }
        let lit = self.text(offs, self.offset);
        if has_cr { lit.replace('\r', "") } else { lit }
    }

    /// Returns the comment text and the offset of its first newline (`/*..*/` only; 0 = none).
    fn scan_comment(&mut self) -> (String, usize) {
        let offs = self.offset - 1;
        let mut nl_offset = 0;
        if self.ch == b'/' as i32 {
            self.next();
            while self.ch != b'\n' as i32 && self.ch >= 0 {
                self.next();
            }
            return (self.text(offs, self.offset), 0);
        }
        self.next();
        while self.ch >= 0 {
            let ch = self.ch;
            if ch == b'\n' as i32 && nl_offset == 0 {
                nl_offset = self.offset;
            }
            self.next();
            if ch == b'*' as i32 && self.ch == b'/' as i32 {
                self.next();
                return (self.text(offs, self.offset), nl_offset);
            }
        }
        self.error(offs, "comment not terminated");
        (self.text(offs, self.offset), nl_offset)
    }

    fn switch2(&mut self, t0: Tok, t1: Tok) -> Tok {
        if self.ch == b'=' as i32 {
            self.next();
            return t1;
        }
        t0
    }
    fn switch3(&mut self, t0: Tok, t1: Tok, ch2: u8, t2: Tok) -> Tok {
        if self.ch == b'=' as i32 {
            self.next();
            return t1;
        }
        if self.ch == ch2 as i32 {
            self.next();
            return t2;
        }
        t0
    }
    fn switch4(&mut self, t0: Tok, t1: Tok, ch2: u8, t2: Tok, t3: Tok) -> Tok {
        if self.ch == b'=' as i32 {
            self.next();
            return t1;
        }
        if self.ch == ch2 as i32 {
            self.next();
            if self.ch == b'=' as i32 {
                self.next();
                return t3;
            }
            return t2;
        }
        t0
    }

    /// Scans the next token (comments included, as `Tok::Comment`).
    pub fn scan(&mut self) -> Token {
        if let Some(p) = self.nl_pos.take() {
            return Token {
                tok: Tok::Semicolon,
                pos: p,
                lit: "\n".into(),
            };
        }
        self.skip_whitespace();
        let pos = self.offset;
        let mut insert_semi = false;
        let ch = self.ch;
        let (tok, lit);
        if is_letter(ch) {
            let l = self.scan_identifier();
            if l.len() > 1 {
                tok = KEYWORDS
                    .iter()
                    .find(|(s, _)| *s == l)
                    .map_or(Tok::Ident, |(_, k)| Tok::Keyword(*k));
                insert_semi = matches!(
                    tok,
                    Tok::Ident
                        | Tok::Keyword(Kw::Break)
                        | Tok::Keyword(Kw::Continue)
                        | Tok::Keyword(Kw::Fallthrough)
                        | Tok::Keyword(Kw::Return)
                );
            } else {
                insert_semi = true;
                tok = Tok::Ident;
            }
            lit = l;
        } else if is_decimal(ch) || (ch == b'.' as i32 && is_decimal(self.peek() as i32)) {
            insert_semi = true;
            (tok, lit) = self.scan_number();
        } else {
            self.next();
            let mut l = String::new();
            let t = match ch {
                EOF => {
                    if self.insert_semi {
                        self.insert_semi = false;
                        return Token {
                            tok: Tok::Semicolon,
                            pos,
                            lit: "\n".into(),
                        };
                    }
                    Tok::Eof
                }
                0x0A => {
                    self.insert_semi = false;
                    return Token {
                        tok: Tok::Semicolon,
                        pos,
                        lit: "\n".into(),
                    };
                }
                0x22 => {
                    insert_semi = true;
                    l = self.scan_string();
                    Tok::Str
                }
                0x27 => {
                    insert_semi = true;
                    l = self.scan_rune();
                    Tok::Char
                }
                0x60 => {
                    insert_semi = true;
                    l = self.scan_raw_string();
                    Tok::Str
                }
                0x3A => self.switch2(Tok::Colon, Tok::Define),
                0x2E => {
                    if self.ch == b'.' as i32 && self.peek() == b'.' {
                        self.next();
                        self.next();
                        Tok::Ellipsis
                    } else {
                        Tok::Period
                    }
                }
                0x2C => Tok::Comma,
                0x3B => {
                    l = ";".into();
                    Tok::Semicolon
                }
                0x28 => Tok::LParen,
                0x29 => {
                    insert_semi = true;
                    Tok::RParen
                }
                0x5B => Tok::LBrack,
                0x5D => {
                    insert_semi = true;
                    Tok::RBrack
                }
                0x7B => Tok::LBrace,
                0x7D => {
                    insert_semi = true;
                    Tok::RBrace
                }
                0x2B => {
                    let t = self.switch3(Tok::Add, Tok::AddAssign, b'+', Tok::Inc);
                    insert_semi = t == Tok::Inc;
                    t
                }
                0x2D => {
                    let t = self.switch3(Tok::Sub, Tok::SubAssign, b'-', Tok::Dec);
                    insert_semi = t == Tok::Dec;
                    t
                }
                0x2A => self.switch2(Tok::Mul, Tok::MulAssign),
                0x2F => {
                    if self.ch == b'/' as i32 || self.ch == b'*' as i32 {
                        let (comment, nl) = self.scan_comment();
                        if self.insert_semi && nl != 0 {
                            self.nl_pos = Some(nl);
                            self.insert_semi = false;
                        } else {
                            insert_semi = self.insert_semi;
                        }
                        l = comment;
                        Tok::Comment
                    } else {
                        self.switch2(Tok::Quo, Tok::QuoAssign)
                    }
                }
                0x25 => self.switch2(Tok::Rem, Tok::RemAssign),
                0x5E => self.switch2(Tok::Xor, Tok::XorAssign),
                0x3C => {
                    if self.ch == b'-' as i32 {
                        self.next();
                        Tok::Arrow
                    } else {
                        self.switch4(Tok::Lss, Tok::Leq, b'<', Tok::Shl, Tok::ShlAssign)
                    }
                }
                0x3E => self.switch4(Tok::Gtr, Tok::Geq, b'>', Tok::Shr, Tok::ShrAssign),
                0x3D => self.switch2(Tok::Assign, Tok::Eql),
                0x21 => self.switch2(Tok::Not, Tok::Neq),
                0x26 => {
                    if self.ch == b'^' as i32 {
                        self.next();
                        self.switch2(Tok::AndNot, Tok::AndNotAssign)
                    } else {
                        self.switch3(Tok::And, Tok::AndAssign, b'&', Tok::LAnd)
                    }
                }
                0x7C => self.switch3(Tok::Or, Tok::OrAssign, b'|', Tok::LOr),
                0x7E => Tok::Tilde,
                other => {
                    if other != BOM {
                        self.error(pos, format!("illegal character {}", format_sharp_u(other)));
                    }
                    insert_semi = self.insert_semi;
                    l = char::from_u32(other as u32).map_or(String::new(), |c| c.to_string());
                    Tok::Illegal
                }
            };
            tok = t;
            lit = l;
        }
        self.insert_semi = insert_semi;
        Token { tok, pos, lit }
    }
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

fn litname(prefix: u8) -> &'static str {
    match prefix {
        b'x' => "hexadecimal literal",
        b'o' | b'0' => "octal literal",
        b'b' => "binary literal",
        _ => "decimal literal",
    }
}

fn invalid_sep(x: &[u8]) -> Option<usize> {
    let mut x1 = b' ';
    let mut d = b'.';
    let mut i = 0;
    if x.len() >= 2 && x[0] == b'0' {
        x1 = x[1] | 0x20;
        if x1 == b'x' || x1 == b'o' || x1 == b'b' {
            d = b'0';
            i = 2;
        }
    }
    while i < x.len() {
        let p = d;
        d = x[i];
        if d == b'_' {
            if p != b'0' {
                return Some(i);
            }
        } else if d.is_ascii_digit() || (x1 == b'x' && d.is_ascii_hexdigit()) {
            d = b'0';
        } else {
            if p == b'_' {
                return Some(i - 1);
            }
            d = b'.';
        }
        i += 1;
    }
    if d == b'_' {
        return Some(x.len() - 1);
    }
    None
}
