//! Go's `regexp/syntax` parser (Perl flags) rebuilt: same acceptance, same error texts.

use super::names::go_unicode_table;
use super::{
    E_INVALID_CHAR_RANGE, E_INVALID_ESCAPE, E_INVALID_NAMED_CAPTURE, E_INVALID_PERL_OP,
    E_INVALID_REPEAT_OP, E_INVALID_REPEAT_SIZE, E_MISSING_BRACKET, E_MISSING_PAREN,
    E_MISSING_REPEAT_ARG, E_NESTING_DEPTH, E_TRAILING_BACKSLASH, E_UNEXPECTED_PAREN, GoRegexError,
    MAX_HEIGHT, Node, RepKind, err, height,
};
use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};

// ---------------------------------------------------------------------------------------
// Flags and frames

#[derive(Clone, Copy, Debug)]
struct Flags {
    fold: bool,
    one_line: bool,
    dot_nl: bool,
    non_greedy: bool,
}

const PERL: Flags = Flags {
    fold: false,
    one_line: true,
    dot_nl: false,
    non_greedy: false,
};

struct Frame {
    /// Capture index (0 = non-capturing group or the root).
    cap: usize,
    is_root: bool,
    saved: Flags,
    alts: Vec<Node>,
    cur: Vec<Node>,
}

pub(super) struct Parser<'a> {
    whole: &'a str,
    flags: Flags,
    frames: Vec<Frame>,
    ncap: usize,
}

fn concat(mut items: Vec<Node>) -> Node {
    match items.len() {
        0 => Node::Empty,
        1 => items.pop().unwrap_or(Node::Empty),
        _ => {
            let h = 1 + items.iter().map(height).max().unwrap_or(0);
            Node::Concat(items, h)
        }
    }
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn unhex(c: char) -> i64 {
    c.to_digit(16).map_or(-1, |d| d as i64)
}

fn next_rune(s: &str) -> (char, &str) {
    let mut it = s.chars();
    match it.next() {
        Some(c) => (c, it.as_str()),
        None => ('\u{FFFD}', s),
    }
}

pub(super) fn class_of(ranges: &[(u32, u32)]) -> ClassUnicode {
    let mut c = ClassUnicode::empty();
    for &(lo, hi) in ranges {
        push_range(&mut c, lo, hi);
    }
    c
}

/// Adds `lo..=hi`, leaving out surrogates (no valid UTF-8 text contains them).
pub(super) fn push_range(c: &mut ClassUnicode, lo: u32, hi: u32) {
    let mut add = |a: u32, b: u32| {
        if a <= b
            && let (Some(x), Some(y)) = (char::from_u32(a), char::from_u32(b))
        {
            c.push(ClassUnicodeRange::new(x, y));
        }
    };
    if hi < 0xD800 || lo > 0xDFFF {
        add(lo, hi);
    } else {
        if lo < 0xD800 {
            add(lo, 0xD7FF);
        }
        if hi > 0xDFFF {
            add(0xE000, hi);
        }
    }
}

fn perl_group(name: &str) -> Option<(bool, Vec<(u32, u32)>)> {
    let d = vec![(0x30, 0x39)];
    let s = vec![(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
    let w = vec![(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];
    Some(match name {
        "\\d" => (true, d),
        "\\D" => (false, d),
        "\\s" => (true, s),
        "\\S" => (false, s),
        "\\w" => (true, w),
        "\\W" => (false, w),
        _ => return None,
    })
}

fn posix_group(name: &str) -> Option<(bool, Vec<(u32, u32)>)> {
    let (neg, base) = match name.strip_prefix("[:^") {
        Some(rest) => (true, rest),
        None => (false, name.strip_prefix("[:")?),
    };
    let ranges: Vec<(u32, u32)> = match base {
        "alnum:]" => vec![(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha:]" => vec![(0x41, 0x5A), (0x61, 0x7A)],
        "ascii:]" => vec![(0x00, 0x7F)],
        "blank:]" => vec![(0x09, 0x09), (0x20, 0x20)],
        "cntrl:]" => vec![(0x00, 0x1F), (0x7F, 0x7F)],
        "digit:]" => vec![(0x30, 0x39)],
        "graph:]" => vec![(0x21, 0x7E)],
        "lower:]" => vec![(0x61, 0x7A)],
        "print:]" => vec![(0x20, 0x7E)],
        "punct:]" => vec![(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space:]" => vec![(0x09, 0x0D), (0x20, 0x20)],
        "upper:]" => vec![(0x41, 0x5A)],
        "word:]" => vec![(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
        "xdigit:]" => vec![(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    };
    Some((!neg, ranges))
}

impl<'a> Parser<'a> {
    pub(super) fn new(whole: &'a str) -> Self {
        Parser {
            whole,
            flags: PERL,
            frames: vec![Frame {
                cap: 0,
                is_root: true,
                saved: PERL,
                alts: Vec::new(),
                cur: Vec::new(),
            }],
            ncap: 0,
        }
    }

    fn top(&mut self) -> &mut Frame {
        let n = self.frames.len() - 1;
        &mut self.frames[n]
    }

    fn push(&mut self, n: Node) {
        self.top().cur.push(n);
    }

    fn literal(&mut self, c: char) {
        let fold = self.flags.fold;
        self.push(Node::Lit(c, fold));
    }

    fn literal_u32(&mut self, r: u32) {
        match char::from_u32(r) {
            Some(c) => self.literal(c),
            None => self.push(Node::Never),
        }
    }

    fn check_height(&self, h: usize) -> Result<(), GoRegexError> {
        if h > MAX_HEIGHT {
            return Err(err(E_NESTING_DEPTH, self.whole));
        }
        Ok(())
    }

    pub(super) fn parse(mut self) -> Result<Node, GoRegexError> {
        let mut t: &str = self.whole;
        let mut last_repeat: &str = "";
        while !t.is_empty() {
            let mut repeat: &str = "";
            let b = t.as_bytes()[0];
            match b {
                b'(' => {
                    if t.len() >= 2 && t.as_bytes()[1] == b'?' {
                        t = self.parse_perl_flags(t)?;
                    } else {
                        self.ncap += 1;
                        let saved = self.flags;
                        let cap = self.ncap;
                        self.frames.push(Frame {
                            cap,
                            is_root: false,
                            saved,
                            alts: Vec::new(),
                            cur: Vec::new(),
                        });
                        t = &t[1..];
                    }
                }
                b'|' => {
                    let f = self.top();
                    let items = std::mem::take(&mut f.cur);
                    f.alts.push(concat(items));
                    t = &t[1..];
                }
                b')' => {
                    self.parse_right_paren()?;
                    t = &t[1..];
                }
                b'^' => {
                    let n = if self.flags.one_line {
                        Node::BeginText
                    } else {
                        Node::BeginLine
                    };
                    self.push(n);
                    t = &t[1..];
                }
                b'$' => {
                    let n = if self.flags.one_line {
                        Node::EndText
                    } else {
                        Node::EndLine
                    };
                    self.push(n);
                    t = &t[1..];
                }
                b'.' => {
                    let n = if self.flags.dot_nl {
                        Node::AnyChar
                    } else {
                        Node::AnyNotNl
                    };
                    self.push(n);
                    t = &t[1..];
                }
                b'[' => {
                    t = self.parse_class(t)?;
                }
                b'*' | b'+' | b'?' => {
                    let before = t;
                    let kind = match b {
                        b'*' => RepKind::Star,
                        b'+' => RepKind::Plus,
                        _ => RepKind::Quest,
                    };
                    let after = &t[1..];
                    let after = self.repeat(kind, 0, 0, before, after, last_repeat)?;
                    repeat = before;
                    t = after;
                }
                b'{' => {
                    let before = t;
                    match parse_repeat(t) {
                        None => {
                            self.literal('{');
                            t = &t[1..];
                        }
                        Some((min, max, after)) => {
                            if !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max) {
                                return Err(err(
                                    E_INVALID_REPEAT_SIZE,
                                    &before[..before.len() - after.len()],
                                ));
                            }
                            let after =
                                self.repeat(RepKind::Repeat, min, max, before, after, last_repeat)?;
                            repeat = before;
                            t = after;
                        }
                    }
                }
                b'\\' => {
                    t = self.parse_backslash(t)?;
                }
                _ => {
                    let (c, rest) = next_rune(t);
                    self.literal(c);
                    t = rest;
                }
            }
            last_repeat = repeat;
        }
        if self.frames.len() != 1 {
            return Err(err(E_MISSING_PAREN, self.whole));
        }
        let mut root = self
            .frames
            .pop()
            .ok_or_else(|| err(E_MISSING_PAREN, self.whole))?;
        let node = finish_alt(&mut root);
        self.check_height(height(&node))?;
        Ok(node)
    }

    fn parse_backslash(&mut self, t: &'a str) -> Result<&'a str, GoRegexError> {
        let bytes = t.as_bytes();
        if bytes.len() >= 2 {
            match bytes[1] {
                b'A' => {
                    self.push(Node::BeginText);
                    return Ok(&t[2..]);
                }
                b'b' => {
                    self.push(Node::WordB);
                    return Ok(&t[2..]);
                }
                b'B' => {
                    self.push(Node::NoWordB);
                    return Ok(&t[2..]);
                }
                b'C' => return Err(err(E_INVALID_ESCAPE, &t[..2])),
                b'Q' => {
                    let rest = &t[2..];
                    let (lit, after) = match rest.find("\\E") {
                        Some(i) => (&rest[..i], &rest[i + 2..]),
                        None => (rest, ""),
                    };
                    for c in lit.chars() {
                        self.literal(c);
                    }
                    return Ok(after);
                }
                b'z' => {
                    self.push(Node::EndText);
                    return Ok(&t[2..]);
                }
                _ => {}
            }
        }
        if bytes.len() >= 2 && (bytes[1] == b'p' || bytes[1] == b'P') {
            let mut class = ClassUnicode::empty();
            if let Some(rest) = self.parse_unicode_class(t, &mut class)? {
                self.push(Node::Class(class));
                return Ok(rest);
            }
        }
        let mut class = ClassUnicode::empty();
        if let Some(rest) = self.parse_perl_class_escape(t, &mut class) {
            self.push(Node::Class(class));
            return Ok(rest);
        }
        let (r, rest) = parse_escape(t)?;
        self.literal_u32(r);
        Ok(rest)
    }

    fn repeat(
        &mut self,
        kind: RepKind,
        min: i64,
        max: i64,
        before: &'a str,
        after: &'a str,
        last_repeat: &'a str,
    ) -> Result<&'a str, GoRegexError> {
        let mut after = after;
        let mut non_greedy = self.flags.non_greedy;
        if after.as_bytes().first() == Some(&b'?') {
            after = &after[1..];
            non_greedy = !non_greedy;
        }
        if !last_repeat.is_empty() {
            return Err(err(
                E_INVALID_REPEAT_OP,
                &last_repeat[..last_repeat.len() - after.len()],
            ));
        }
        let text = &before[..before.len() - after.len()];
        let Some(sub) = self.top().cur.pop() else {
            return Err(err(E_MISSING_REPEAT_ARG, text));
        };
        let h = 1 + height(&sub);
        let node = Node::Rep {
            sub: Box::new(sub),
            kind,
            min,
            max,
            greedy: !non_greedy,
            h,
        };
        self.check_height(h)?;
        if kind == RepKind::Repeat && (min >= 2 || max >= 2) && !repeat_is_valid(&node, 1000) {
            return Err(err(E_INVALID_REPEAT_SIZE, text));
        }
        self.push(node);
        Ok(after)
    }

    fn parse_right_paren(&mut self) -> Result<(), GoRegexError> {
        if self.frames.len() < 2 {
            return Err(err(E_UNEXPECTED_PAREN, self.whole));
        }
        let mut f = self
            .frames
            .pop()
            .ok_or_else(|| err(E_UNEXPECTED_PAREN, self.whole))?;
        if f.is_root {
            return Err(err(E_UNEXPECTED_PAREN, self.whole));
        }
        let inner = finish_alt(&mut f);
        self.flags = f.saved;
        let node = if f.cap > 0 {
            let h = 1 + height(&inner);
            self.check_height(h)?;
            Node::Capture(Box::new(inner), h)
        } else {
            inner
        };
        self.check_height(height(&node))?;
        self.push(node);
        Ok(())
    }

    fn parse_perl_flags(&mut self, s: &'a str) -> Result<&'a str, GoRegexError> {
        let t = s;
        let tb = t.as_bytes();
        if (tb.len() > 4 && tb[2] == b'P' && tb[3] == b'<') || (tb.len() > 3 && tb[2] == b'<') {
            let begin = if tb[2] == b'<' { 3 } else { 4 };
            let Some(end) = t.find('>') else {
                return Err(err(E_INVALID_NAMED_CAPTURE, s));
            };
            let capture = &t[..end + 1];
            let name = &t[begin..end];
            if name.is_empty() || !name.chars().all(|c| c == '_' || is_alnum(c)) {
                return Err(err(E_INVALID_NAMED_CAPTURE, capture));
            }
            self.ncap += 1;
            let saved = self.flags;
            let cap = self.ncap;
            self.frames.push(Frame {
                cap,
                is_root: false,
                saved,
                alts: Vec::new(),
                cur: Vec::new(),
            });
            return Ok(&t[end + 1..]);
        }
        let mut rest = &t[2..];
        let mut flags = self.flags;
        let mut sign = 1;
        let mut saw_flag = false;
        // Go flips the whole flag word on '-'; track the negation explicitly instead.
        let mut neg = false;
        while !rest.is_empty() {
            let (c, r) = next_rune(rest);
            rest = r;
            match c {
                'i' | 'm' | 's' | 'U' => {
                    let on = !neg;
                    match c {
                        'i' => flags.fold = on,
                        'm' => flags.one_line = !on,
                        's' => flags.dot_nl = on,
                        _ => flags.non_greedy = on,
                    }
                    saw_flag = true;
                }
                '-' => {
                    if sign < 0 {
                        break;
                    }
                    sign = -1;
                    neg = true;
                    saw_flag = false;
                }
                ':' | ')' => {
                    if sign < 0 && !saw_flag {
                        break;
                    }
                    if c == ':' {
                        let saved = self.flags;
                        self.frames.push(Frame {
                            cap: 0,
                            is_root: false,
                            saved,
                            alts: Vec::new(),
                            cur: Vec::new(),
                        });
                    }
                    self.flags = flags;
                    return Ok(rest);
                }
                _ => break,
            }
        }
        Err(err(E_INVALID_PERL_OP, &s[..s.len() - rest.len()]))
    }

    fn add_group(&self, class: &mut ClassUnicode, positive: bool, ranges: &[(u32, u32)]) {
        let mut g = class_of(ranges);
        if self.flags.fold {
            g.case_fold_simple();
        }
        if !positive {
            g.negate();
        }
        class.union(&g);
    }

    fn parse_perl_class_escape(&self, s: &'a str, class: &mut ClassUnicode) -> Option<&'a str> {
        if s.len() < 2 || s.as_bytes()[0] != b'\\' || !s.is_char_boundary(2) {
            return None;
        }
        let (pos, ranges) = perl_group(&s[..2])?;
        self.add_group(class, pos, &ranges);
        Some(&s[2..])
    }

    fn parse_named_class(
        &self,
        s: &'a str,
        class: &mut ClassUnicode,
    ) -> Result<Option<&'a str>, GoRegexError> {
        let Some(i) = s[2..].find(":]") else {
            return Ok(None);
        };
        let i = i + 2;
        let name = &s[..i + 2];
        let rest = &s[i + 2..];
        match posix_group(name) {
            Some((pos, ranges)) => {
                self.add_group(class, pos, &ranges);
                Ok(Some(rest))
            }
            None => Err(err(E_INVALID_CHAR_RANGE, name)),
        }
    }

    fn parse_unicode_class(
        &self,
        s: &'a str,
        class: &mut ClassUnicode,
    ) -> Result<Option<&'a str>, GoRegexError> {
        let b = s.as_bytes();
        if b.len() < 2 || b[0] != b'\\' || (b[1] != b'p' && b[1] != b'P') {
            return Ok(None);
        }
        let mut positive = b[1] == b'p';
        let t = &s[2..];
        let (c, after_c) = next_rune(t);
        let (seq, mut name, rest);
        if c != '{' {
            // Single-letter name (also when nothing follows: Go then reports `\p`).
            seq = &s[..s.len() - after_c.len()];
            name = &seq[2..];
            rest = after_c;
        } else {
            let Some(end) = s.find('}') else {
                return Err(err(E_INVALID_CHAR_RANGE, s));
            };
            seq = &s[..end + 1];
            rest = &s[end + 1..];
            name = &s[3..end];
        }
        if let Some(n) = name.strip_prefix('^') {
            positive = !positive;
            name = n;
        }
        let Some(mut tab) = go_unicode_table(name) else {
            return Err(err(E_INVALID_CHAR_RANGE, seq));
        };
        if self.flags.fold {
            tab.case_fold_simple();
        }
        if !positive {
            tab.negate();
        }
        class.union(&tab);
        Ok(Some(rest))
    }

    fn parse_class(&mut self, s: &'a str) -> Result<&'a str, GoRegexError> {
        let mut t = &s[1..];
        let mut negated = false;
        if t.as_bytes().first() == Some(&b'^') {
            negated = true;
            t = &t[1..];
        }
        let mut class = ClassUnicode::empty();
        let mut first = true;
        while t.is_empty() || t.as_bytes()[0] != b']' || first {
            first = false;
            if t.len() > 2
                && t.as_bytes()[0] == b'['
                && t.as_bytes()[1] == b':'
                && let Some(nt) = self.parse_named_class(t, &mut class)?
            {
                t = nt;
                continue;
            }
            if let Some(nt) = self.parse_unicode_class(t, &mut class)? {
                t = nt;
                continue;
            }
            if let Some(nt) = self.parse_perl_class_escape(t, &mut class) {
                t = nt;
                continue;
            }
            let rng = t;
            let (lo, nt) = parse_class_char(t, s)?;
            t = nt;
            let mut hi = lo;
            let tb = t.as_bytes();
            if tb.len() >= 2 && tb[0] == b'-' && tb[1] != b']' {
                t = &t[1..];
                let (h, nt) = parse_class_char(t, s)?;
                t = nt;
                hi = h;
                if hi < lo {
                    return Err(err(E_INVALID_CHAR_RANGE, &rng[..rng.len() - t.len()]));
                }
            }
            let mut part = ClassUnicode::empty();
            push_range(&mut part, lo, hi);
            if self.flags.fold {
                part.case_fold_simple();
            }
            class.union(&part);
        }
        t = &t[1..];
        if negated {
            class.negate();
        }
        self.push(Node::Class(class));
        Ok(t)
    }
}

fn finish_alt(f: &mut Frame) -> Node {
    let items = std::mem::take(&mut f.cur);
    let last = concat(items);
    if f.alts.is_empty() {
        return last;
    }
    let mut alts = std::mem::take(&mut f.alts);
    alts.push(last);
    let h = 1 + alts.iter().map(height).max().unwrap_or(0);
    Node::Alt(alts, h)
}

fn parse_class_char<'a>(s: &'a str, whole_class: &str) -> Result<(u32, &'a str), GoRegexError> {
    if s.is_empty() {
        return Err(err(E_MISSING_BRACKET, whole_class));
    }
    if s.as_bytes()[0] == b'\\' {
        return parse_escape(s);
    }
    let (c, rest) = next_rune(s);
    Ok((c as u32, rest))
}

/// Go's `parseEscape`: a single-character escape (the backslash is at `s[0]`).
fn parse_escape(s: &str) -> Result<(u32, &str), GoRegexError> {
    let t = &s[1..];
    if t.is_empty() {
        return Err(err(E_TRAILING_BACKSLASH, ""));
    }
    let (c, mut t) = next_rune(t);
    let fail = |t: &str| err(E_INVALID_ESCAPE, &s[..s.len() - t.len()]);
    match c {
        '1'..='7'
            if !t
                .as_bytes()
                .first()
                .is_some_and(|b| (b'0'..=b'7').contains(b)) =>
        {
            Err(fail(t))
        }
        '0'..='7' => {
            let mut r = c as u32 - '0' as u32;
            for _ in 1..3 {
                match t.as_bytes().first() {
                    Some(&b) if (b'0'..=b'7').contains(&b) => {
                        r = r * 8 + (b - b'0') as u32;
                        t = &t[1..];
                    }
                    _ => break,
                }
            }
            Ok((r, t))
        }
        'x' => {
            if t.is_empty() {
                return Err(fail(t));
            }
            let (c, rest) = next_rune(t);
            t = rest;
            if c == '{' {
                let mut nhex = 0;
                let mut r: i64 = 0;
                loop {
                    if t.is_empty() {
                        return Err(fail(t));
                    }
                    let (c, rest) = next_rune(t);
                    t = rest;
                    if c == '}' {
                        break;
                    }
                    let v = unhex(c);
                    if v < 0 {
                        return Err(fail(t));
                    }
                    r = r * 16 + v;
                    if r > 0x10FFFF {
                        return Err(fail(t));
                    }
                    nhex += 1;
                }
                if nhex == 0 {
                    return Err(fail(t));
                }
                return Ok((r as u32, t));
            }
            let x = unhex(c);
            let (c2, rest) = if t.is_empty() {
                ('\u{FFFD}', t)
            } else {
                next_rune(t)
            };
            t = rest;
            let y = unhex(c2);
            if x < 0 || y < 0 {
                return Err(fail(t));
            }
            Ok(((x * 16 + y) as u32, t))
        }
        'a' => Ok((7, t)),
        'f' => Ok((12, t)),
        'n' => Ok((10, t)),
        'r' => Ok((13, t)),
        't' => Ok((9, t)),
        'v' => Ok((11, t)),
        c if c.is_ascii() && !is_alnum(c) => Ok((c as u32, t)),
        _ => Err(fail(t)),
    }
}

/// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}` → (min, max (-1 = none), rest).
fn parse_repeat(s: &str) -> Option<(i64, i64, &str)> {
    let s = s.strip_prefix('{')?;
    let (min, s) = parse_int(s)?;
    if s.is_empty() {
        return None;
    }
    let (min, max, s) = if let Some(s) = s.strip_prefix(',') {
        if s.is_empty() {
            return None;
        }
        if s.starts_with('}') {
            (min, -1, s)
        } else {
            let (max, s) = parse_int(s)?;
            (min, max, s)
        }
    } else {
        (min, min, s)
    };
    // A too-big max (-2) makes Go flag the whole repeat as invalid via min = -1.
    let min = if max < -1 { -1 } else { min };
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

/// Go's `parseInt`: decimal without leading zeros; values of 1e8 and more become -2 here
/// ("too big"; Go uses -1, which this parser reserves for "no maximum").
fn parse_int(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() {
        return None;
    }
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return None;
    }
    let end = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    let mut n: i64 = 0;
    for &d in &b[..end] {
        if n >= 100_000_000 {
            n = -2;
            break;
        }
        n = n * 10 + (d - b'0') as i64;
    }
    Some((n, &s[end..]))
}

fn repeat_is_valid(n: &Node, mut budget: i64) -> bool {
    if let Node::Rep {
        kind: RepKind::Repeat,
        min,
        max,
        ..
    } = n
    {
        let mut m = *max;
        if m == 0 {
            return true;
        }
        if m < 0 {
            m = *min;
        }
        if m > budget {
            return false;
        }
        if m > 0 {
            budget /= m;
        }
    }
    match n {
        Node::Capture(s, _) | Node::Rep { sub: s, .. } => repeat_is_valid(s, budget),
        Node::Concat(v, _) | Node::Alt(v, _) => v.iter().all(|s| repeat_is_valid(s, budget)),
        _ => true,
    }
}
