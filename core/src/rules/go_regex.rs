//! Go RE2 regular expressions (`regexp.Compile`, i.e. `syntax.Perl` flags) for Rust.
//!
//! [`GoRegex::compile`] accepts exactly the patterns Go 1.26's `regexp/syntax` parser
//! accepts and rejects the others with Go's error text (`error parsing regexp: <code>:
//! `<expr>``). Accepted patterns are re-emitted as an explicit pattern for the Rust `regex`
//! crate, so that no Rust-specific syntax interpretation remains. Differences handled:
//!
//! * `\d \s \w \b \B` and POSIX classes are ASCII in Go (`\s` = `[\t\n\f\r ]`, no `\v`); they
//!   are emitted as explicit ASCII ranges and `(?-u:\b)`.
//! * Inside `[...]`, `[`, `&&`, `--`, `~~` are literal in Go (set operators or nested classes
//!   in Rust); classes are emitted as explicit code-point ranges.
//! * `\Q...\E` (Go) becomes escaped literals; `\<`, `\>`, `\e`-less escapes of punctuation are
//!   literals in Go (word boundaries in Rust): emitted as literals.
//! * Go rejects `(?x)`, `\Z`, `\C`, `\e`, `\cX`, back-references `\1`, repetition counts above
//!   1000 (also as a product of nested counts), `[\b]`, `(?P=name)`, ranges like `[a-\d]`,
//!   script names containing `_` or mixed case (Go 1.25+ canonicalises `\p{..}` names and
//!   then only finds `Greek`-style script keys), Unicode 16 scripts; all rejected here too.
//! * Go accepts duplicate group names and both `(?P<n>..)` and `(?<n>..)`; groups are emitted
//!   unnamed (names are irrelevant for matching).
//! * Go's `\pC`/`\p{Other}` excludes unassigned code points (Rust's includes them); Go
//!   scripts are the `Script` property (Rust's `\p{Greek}` is `Script_Extensions`); both are
//!   emitted through explicit property queries.
//! * Case folding (`(?i)`) is resolved at parse time like Go does (simple case folding).
//! * Size limits: Go's "expression too large" (program size above 3,355,443 instructions)
//!   and "expression nests too deeply" (height above 1000) are approximated on this parser's
//!   tree (Go's own tree is factored slightly differently).
//!
//! The Rust regex is compiled lazily on first match (Go accepts patterns like `\pL{1000}`
//! that take Rust a while to compile); if Rust cannot compile an accepted pattern (its size
//! limit is set to 512 MiB) matching reports no match.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, HirKind};
use std::fmt;
use std::sync::OnceLock;

/// A Go regexp syntax error; `Display` is Go's `(*syntax.Error).Error()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoRegexError {
    /// Go's error code text, e.g. `missing closing )`.
    pub code: &'static str,
    /// The offending part of the expression as Go quotes it.
    pub expr: String,
}

impl fmt::Display for GoRegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

impl std::error::Error for GoRegexError {}

const E_INVALID_CHAR_RANGE: &str = "invalid character class range";
const E_INVALID_ESCAPE: &str = "invalid escape sequence";
const E_INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const E_INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const E_INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const E_INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const E_MISSING_BRACKET: &str = "missing closing ]";
const E_MISSING_PAREN: &str = "missing closing )";
const E_MISSING_REPEAT_ARG: &str = "missing argument to repetition operator";
const E_TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const E_UNEXPECTED_PAREN: &str = "unexpected )";
const E_NESTING_DEPTH: &str = "expression nests too deeply";
const E_LARGE: &str = "expression too large";

const MAX_HEIGHT: usize = 1000;
const MAX_SIZE: u64 = (128 << 20) / 40;

fn err(code: &'static str, expr: &str) -> GoRegexError {
    GoRegexError {
        code,
        expr: expr.to_string(),
    }
}

/// A compiled Go regexp: the Go source, its Rust translation and a lazily built matcher.
#[derive(Debug)]
pub struct GoRegex {
    source: String,
    rust: String,
    compiled: OnceLock<Option<regex::Regex>>,
}

impl Clone for GoRegex {
    fn clone(&self) -> Self {
        GoRegex {
            source: self.source.clone(),
            rust: self.rust.clone(),
            compiled: OnceLock::new(),
        }
    }
}

impl PartialEq for GoRegex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl GoRegex {
    /// `regexp.Compile(pattern)`: Go's verdict, and on success a Rust equivalent.
    pub fn compile(pattern: &str) -> Result<GoRegex, GoRegexError> {
        let node = Parser::new(pattern).parse()?;
        if size(&node) > MAX_SIZE {
            return Err(err(E_LARGE, pattern));
        }
        let mut rust = String::new();
        emit(&node, &mut rust);
        Ok(GoRegex {
            source: pattern.to_string(),
            rust,
            compiled: OnceLock::new(),
        })
    }

    /// The Go pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The equivalent pattern in Rust `regex` syntax.
    pub fn rust_pattern(&self) -> &str {
        &self.rust
    }

    /// The Rust matcher (built on first use); `None` if Rust cannot build it.
    pub fn regex(&self) -> Option<&regex::Regex> {
        self.compiled
            .get_or_init(|| {
                regex::RegexBuilder::new(&self.rust)
                    .size_limit(512 << 20)
                    .nest_limit(4000)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// `re.MatchString(s)` (unanchored search, like Go).
    pub fn is_match(&self, s: &str) -> bool {
        self.regex().is_some_and(|r| r.is_match(s))
    }
}

// ---------------------------------------------------------------------------------------
// Tree

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RepKind {
    Star,
    Plus,
    Quest,
    Repeat,
}

#[derive(Debug)]
enum Node {
    Empty,
    Lit(char, bool),
    /// A literal code point no valid UTF-8 text contains (a surrogate).
    Never,
    Class(ClassUnicode),
    AnyNotNl,
    AnyChar,
    BeginLine,
    EndLine,
    BeginText,
    EndText,
    WordB,
    NoWordB,
    Capture(Box<Node>, usize),
    Rep {
        sub: Box<Node>,
        kind: RepKind,
        min: i64,
        max: i64,
        greedy: bool,
        h: usize,
    },
    Concat(Vec<Node>, usize),
    Alt(Vec<Node>, usize),
}

fn height(n: &Node) -> usize {
    match n {
        Node::Capture(_, h) | Node::Rep { h, .. } | Node::Concat(_, h) | Node::Alt(_, h) => *h,
        _ => 1,
    }
}

fn size(n: &Node) -> u64 {
    // Iterative-free recursion is fine: height is bounded by MAX_HEIGHT.
    let s = match n {
        Node::Lit(..) => 1,
        Node::Capture(sub, _) => 2 + size(sub),
        Node::Rep {
            sub,
            kind,
            min,
            max,
            ..
        } => {
            let sub = size(sub);
            match kind {
                RepKind::Star => 2 + sub,
                RepKind::Plus | RepKind::Quest => 1 + sub,
                RepKind::Repeat => {
                    if *max == -1 {
                        if *min == 0 {
                            2 + sub
                        } else {
                            1 + (*min as u64).saturating_mul(sub)
                        }
                    } else {
                        (*max as u64)
                            .saturating_mul(sub)
                            .saturating_add((*max - *min) as u64)
                    }
                }
            }
        }
        Node::Concat(v, _) => v.iter().map(size).fold(0u64, |a, b| a.saturating_add(b)),
        Node::Alt(v, _) => v
            .iter()
            .map(size)
            .fold(0u64, |a, b| a.saturating_add(b))
            .saturating_add(v.len() as u64 - 1),
        _ => 0,
    };
    s.max(1)
}

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

struct Parser<'a> {
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

fn class_of(ranges: &[(u32, u32)]) -> ClassUnicode {
    let mut c = ClassUnicode::empty();
    for &(lo, hi) in ranges {
        push_range(&mut c, lo, hi);
    }
    c
}

/// Adds `lo..=hi`, leaving out surrogates (no valid UTF-8 text contains them).
fn push_range(c: &mut ClassUnicode, lo: u32, hi: u32) {
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

/// Go 1.25+ `canonicalName`: first ASCII letter upper-cased, the rest lower-cased, `_`, `-`
/// and spaces removed.
fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut first = true;
    for b in name.bytes() {
        let c = match b {
            b'_' | b'-' | b' ' => continue,
            _ if first => {
                first = false;
                b.to_ascii_uppercase()
            }
            _ => b.to_ascii_lowercase(),
        };
        out.push(c as char);
    }
    // Bytes were ASCII-mapped only; non-ASCII bytes were pushed as Latin-1 chars, which
    // never equal a table key, so the lookup below fails for them as in Go.
    out
}

const GO_CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

const GO_CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Other", "C"),
    ("Control", "Cc"),
    ("Cntrl", "Cc"),
    ("Format", "Cf"),
    ("Unassigned", "Cn"),
    ("Privateuse", "Co"),
    ("Surrogate", "Cs"),
    ("Letter", "L"),
    ("Casedletter", "LC"),
    ("Lowercaseletter", "Ll"),
    ("Modifierletter", "Lm"),
    ("Otherletter", "Lo"),
    ("Titlecaseletter", "Lt"),
    ("Uppercaseletter", "Lu"),
    ("Mark", "M"),
    ("Combiningmark", "M"),
    ("Spacingmark", "Mc"),
    ("Enclosingmark", "Me"),
    ("Nonspacingmark", "Mn"),
    ("Number", "N"),
    ("Decimalnumber", "Nd"),
    ("Digit", "Nd"),
    ("Letternumber", "Nl"),
    ("Othernumber", "No"),
    ("Punctuation", "P"),
    ("Punct", "P"),
    ("Connectorpunctuation", "Pc"),
    ("Dashpunctuation", "Pd"),
    ("Closepunctuation", "Pe"),
    ("Finalpunctuation", "Pf"),
    ("Initialpunctuation", "Pi"),
    ("Otherpunctuation", "Po"),
    ("Openpunctuation", "Ps"),
    ("Symbol", "S"),
    ("Currencysymbol", "Sc"),
    ("Modifiersymbol", "Sk"),
    ("Mathsymbol", "Sm"),
    ("Othersymbol", "So"),
    ("Separator", "Z"),
    ("Lineseparator", "Zl"),
    ("Paragraphseparator", "Zp"),
    ("Spaceseparator", "Zs"),
];

/// Scripts of Go's `unicode.Scripts` (Unicode 15.0.0) whose key survives Go's name
/// canonicalisation (keys with `_` or inner capitals, e.g. `Old_Italic`, `SignWriting`,
/// cannot be written in a Go 1.26 pattern).
const GO_SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Carian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dogra",
    "Duployan",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Inherited",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kharoshthi",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Medefaidrin",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nandinagari",
    "Newa",
    "Nko",
    "Nushu",
    "Ogham",
    "Oriya",
    "Osage",
    "Osmanya",
    "Palmyrene",
    "Phoenician",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "Sinhala",
    "Sogdian",
    "Soyombo",
    "Sundanese",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Yezidi",
    "Yi",
];

/// Resolves a Rust property query into a class (empty if Rust does not know it).
fn rust_property(query: &str) -> ClassUnicode {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&format!("\\p{{{query}}}"));
    match hir.map(|h| h.into_kind()) {
        Ok(HirKind::Class(Class::Unicode(c))) => c,
        _ => ClassUnicode::empty(),
    }
}

/// Go's `unicodeTable(name)`: the class for a `\p{name}` that Go accepts, or `None`.
fn go_unicode_table(name: &str) -> Option<ClassUnicode> {
    let canon = canonical_name(name);
    let gc = |cat: &str| -> ClassUnicode {
        if cat == "C" {
            // Go's C is Cc|Cf|Co|Cs (no unassigned code points).
            let mut c = rust_property("gc=Cc");
            for x in ["gc=Cf", "gc=Co", "gc=Cs"] {
                c.union(&rust_property(x));
            }
            c
        } else {
            rust_property(&format!("gc={cat}"))
        }
    };
    match canon.as_str() {
        "Any" => return Some(class_of(&[(0, 0x10FFFF)])),
        "Assigned" => {
            let mut c = rust_property("gc=Cn");
            c.negate();
            return Some(c);
        }
        "Ascii" => return Some(class_of(&[(0, 0x7F)])),
        "Lc" => return Some(gc("LC")),
        _ => {}
    }
    if GO_CATEGORIES.contains(&canon.as_str()) {
        return Some(gc(&canon));
    }
    if GO_SCRIPTS.contains(&canon.as_str()) {
        return Some(rust_property(&format!("sc={canon}")));
    }
    GO_CATEGORY_ALIASES
        .iter()
        .find(|(a, _)| *a == canon)
        .map(|(_, cat)| gc(cat))
}

impl<'a> Parser<'a> {
    fn new(whole: &'a str) -> Self {
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

    fn parse(mut self) -> Result<Node, GoRegexError> {
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
                            if min < 0 || min > 1000 || max > 1000 || (max >= 0 && min > max) {
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
        let mut root = self.frames.pop().ok_or_else(|| err(E_MISSING_PAREN, self.whole))?;
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
            if t.len() > 2 && t.as_bytes()[0] == b'[' && t.as_bytes()[1] == b':' {
                if let Some(nt) = self.parse_named_class(t, &mut class)? {
                    t = nt;
                    continue;
                }
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
        '1'..='7' if !t.as_bytes().first().is_some_and(|b| (b'0'..=b'7').contains(b)) => {
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
    let end = b.iter().position(|c| !c.is_ascii_digit()).unwrap_or(b.len());
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

// ---------------------------------------------------------------------------------------
// Emission

fn emit_class(c: &ClassUnicode, out: &mut String) {
    if c.ranges().is_empty() {
        // A class that matches nothing.
        out.push_str("[^\\x{0}-\\x{10FFFF}]");
        return;
    }
    out.push('[');
    for r in c.ranges() {
        let (a, b) = (r.start() as u32, r.end() as u32);
        if a == b {
            out.push_str(&format!("\\x{{{a:X}}}"));
        } else {
            out.push_str(&format!("\\x{{{a:X}}}-\\x{{{b:X}}}"));
        }
    }
    out.push(']');
}

fn emit(n: &Node, out: &mut String) {
    match n {
        Node::Empty => out.push_str("(?:)"),
        Node::Never => out.push_str("[^\\x{0}-\\x{10FFFF}]"),
        Node::Lit(c, fold) => {
            if *fold {
                let mut cl = ClassUnicode::new([ClassUnicodeRange::new(*c, *c)]);
                cl.case_fold_simple();
                if cl.ranges().len() > 1 || cl.ranges()[0].start() != cl.ranges()[0].end() {
                    emit_class(&cl, out);
                    return;
                }
            }
            out.push_str(&format!("\\x{{{:X}}}", *c as u32));
        }
        Node::Class(c) => emit_class(c, out),
        Node::AnyNotNl => out.push_str("[^\\n]"),
        Node::AnyChar => out.push_str("(?s:.)"),
        Node::BeginLine => out.push_str("(?m:^)"),
        Node::EndLine => out.push_str("(?m:$)"),
        Node::BeginText => out.push_str("\\A"),
        Node::EndText => out.push_str("\\z"),
        Node::WordB => out.push_str("(?-u:\\b)"),
        Node::NoWordB => out.push_str("(?-u:\\B)"),
        Node::Capture(sub, _) => {
            out.push_str("(?:");
            emit(sub, out);
            out.push(')');
        }
        Node::Rep {
            sub,
            kind,
            min,
            max,
            greedy,
            ..
        } => {
            out.push_str("(?:");
            emit(sub, out);
            out.push(')');
            match kind {
                RepKind::Star => out.push('*'),
                RepKind::Plus => out.push('+'),
                RepKind::Quest => out.push('?'),
                RepKind::Repeat => {
                    if *max == -1 {
                        out.push_str(&format!("{{{min},}}"));
                    } else if min == max {
                        out.push_str(&format!("{{{min}}}"));
                    } else {
                        out.push_str(&format!("{{{min},{max}}}"));
                    }
                }
            }
            if !greedy {
                out.push('?');
            }
        }
        Node::Concat(v, _) => {
            for s in v {
                out.push_str("(?:");
                emit(s, out);
                out.push(')');
            }
        }
        Node::Alt(v, _) => {
            out.push_str("(?:");
            for (i, s) in v.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(s, out);
            }
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(p: &str) -> String {
        match GoRegex::compile(p) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn go_errors_verified_against_traefik() {
        // Each expectation below was observed in real Traefik 3.7.15 (Go 1.26.9) through a
        // PathRegexp router's error text.
        let cases: &[(&str, &str)] = &[
            (r"\p{Old_Italic}", "error parsing regexp: invalid character class range: `\\p{Old_Italic}`"),
            (r"\p{Grek}", "error parsing regexp: invalid character class range: `\\p{Grek}`"),
            (r"\p{Cn}", "ok"),
            (r"\p{Kawi}", "ok"),
            (r"\p{Garay}", "error parsing regexp: invalid character class range: `\\p{Garay}`"),
            (r"\p{Cased_Letter}", "ok"),
            (r"\p{LC}", "ok"),
            (r"\p{lc}", "ok"),
            (r"\p{L&}", "error parsing regexp: invalid character class range: `\\p{L&}`"),
            (r"\p{ascii}", "ok"),
            (r"\p{Assigned}", "ok"),
            (r"\p{any}", "ok"),
            (r"\pl", "ok"),
            (r"\p{^Greek}", "ok"),
            (r"\p{Digit}", "ok"),
            (r"\p{cntrl}", "ok"),
            (r"\p{Alphabetic}", "error parsing regexp: invalid character class range: `\\p{Alphabetic}`"),
            (r"\p{Greek", "error parsing regexp: invalid character class range: `\\p{Greek`"),
            (r"\p{}", "error parsing regexp: invalid character class range: `\\p{}`"),
            (r"\p", "error parsing regexp: invalid character class range: `\\p`"),
            (r"(?<n>a)", "ok"),
            (r"(?<=a)", "error parsing regexp: invalid named capture: `(?<=a)`"),
            (r"(?<n", "error parsing regexp: invalid named capture: `(?<n`"),
            (r"(?P<n>a)(?P<n>b)", "ok"),
            (r"(?P=n)", "error parsing regexp: invalid or unsupported Perl syntax: `(?P`"),
            (r"(?x)a", "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"),
            (r"\<", "ok"),
            (r"\Z", "error parsing regexp: invalid escape sequence: `\\Z`"),
            (r"\z", "ok"),
            (r"a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"),
            (r"a{1000}", "ok"),
            (r"(a{100}){100}", "error parsing regexp: invalid repeat count: `{100}`"),
            (r"(a{2}){501}", "error parsing regexp: invalid repeat count: `{501}`"),
            (r"a**", "error parsing regexp: invalid nested repetition operator: `**`"),
            (r"a*?", "ok"),
            (r"a++", "error parsing regexp: invalid nested repetition operator: `++`"),
            (r"\Q*\E+", "ok"),
            (r"[[:foo:]]", "error parsing regexp: invalid character class range: `[:foo:]`"),
            (r"[z-a]", "error parsing regexp: invalid character class range: `z-a`"),
            (r"(", "error parsing regexp: missing closing ): `(`"),
            (r")", "error parsing regexp: unexpected ): `)`"),
            (r"[a", "error parsing regexp: missing closing ]: `[a`"),
            (r"\8", "error parsing regexp: invalid escape sequence: `\\8`"),
            (r"\1", "error parsing regexp: invalid escape sequence: `\\1`"),
            (r"\0", "ok"),
            (r"\x{110000}", "error parsing regexp: invalid escape sequence: `\\x{110000`"),
            (r"\x{10FFFF}", "ok"),
            (r"\C", "error parsing regexp: invalid escape sequence: `\\C`"),
            (r"[\d-z]", "ok"),
            (r"x{2}{3}", "error parsing regexp: invalid nested repetition operator: `{2}{3}`"),
            (r"(?i)(?-i)", "ok"),
            (r"(?-)", "error parsing regexp: invalid or unsupported Perl syntax: `(?-)`"),
            (r"(?i-)", "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`"),
            (r"(?:", "error parsing regexp: missing closing ): `(?:`"),
            (r"(?", "error parsing regexp: invalid or unsupported Perl syntax: `(?`"),
            (r"\\", "ok"),
            ("\\", "error parsing regexp: trailing backslash at end of expression: ``"),
            (r"[]a]", "ok"),
            (r"[^]a]", "ok"),
            (r"[a-]", "ok"),
            (r"[]", "error parsing regexp: missing closing ]: `[]`"),
            (r"a{,5}", "ok"),
            (r"a{2,1}", "error parsing regexp: invalid repeat count: `{2,1}`"),
            (r"{", "ok"),
            (r"a{", "ok"),
            (r"(?P<>a)", "error parsing regexp: invalid named capture: `(?P<>`"),
            (r"(?P<a-b>x)", "error parsing regexp: invalid named capture: `(?P<a-b>`"),
            (r"(?P<é>x)", "error parsing regexp: invalid named capture: `(?P<é>`"),
            (r"[\b]", "error parsing regexp: invalid escape sequence: `\\b`"),
            (r"\e", "error parsing regexp: invalid escape sequence: `\\e`"),
            (r"\cA", "error parsing regexp: invalid escape sequence: `\\c`"),
            (r"\_", "ok"),
            (r"[a-\d]", "error parsing regexp: invalid escape sequence: `\\d`"),
            (r"a|*", "error parsing regexp: missing argument to repetition operator: `*`"),
            (r"(|a)", "ok"),
            (r"()+", "ok"),
            (r"^*", "ok"),
            (r"\b*", "ok"),
            (r"[\Q]\E]", "error parsing regexp: invalid escape sequence: `\\Q`"),
            (r"(?i", "error parsing regexp: invalid or unsupported Perl syntax: `(?i`"),
            (r"\Qab", "ok"),
            (r"a{1000}{1}", "error parsing regexp: invalid nested repetition operator: `{1000}{1}`"),
            (r"(a{1000}){1}", "ok"),
            (r"((a{10}){10}){10}", "ok"),
            (r"((a{10}){10}){11}", "error parsing regexp: invalid repeat count: `{11}`"),
        ];
        for (p, want) in cases {
            assert_eq!(e(p), *want, "pattern {p:?}");
        }
    }

    #[test]
    fn ascii_perl_classes_and_literal_specials() {
        let r = GoRegex::compile(r"^\d+$").unwrap();
        assert!(r.is_match("0123"));
        assert!(!r.is_match("٣"));
        let s = GoRegex::compile(r"^\s$").unwrap();
        assert!(!s.is_match("\u{0b}"));
        assert!(s.is_match("\u{0c}"));
        let w = GoRegex::compile(r"^\w+$").unwrap();
        assert!(!w.is_match("é"));
        let c = GoRegex::compile(r"^[[a]+$").unwrap();
        assert!(c.is_match("[a["));
        let amp = GoRegex::compile(r"^[a&&b]+$").unwrap();
        assert!(amp.is_match("a&b"));
        let lt = GoRegex::compile(r"\<a\>").unwrap();
        assert!(lt.is_match("<a>"));
        let q = GoRegex::compile(r"^\Qa.b\E$").unwrap();
        assert!(q.is_match("a.b"));
        assert!(!q.is_match("axb"));
        let i = GoRegex::compile(r"(?i)^k$").unwrap();
        assert!(i.is_match("K") && i.is_match("\u{212A}"));
        let b = GoRegex::compile(r"\bé").unwrap();
        assert!(b.is_match(" é"));
        assert!(!GoRegex::compile(r"a\bé").unwrap().is_match("aé"));
        let never = GoRegex::compile(r"\x{D800}").unwrap();
        assert!(!never.is_match("x"));
        let pc = GoRegex::compile(r"^\pC$").unwrap();
        assert!(!pc.is_match("\u{0378}"), "Go's C excludes unassigned code points");
    }
}
