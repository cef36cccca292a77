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

use regex_syntax::hir::ClassUnicode;

mod names;
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

pub(crate) const E_INVALID_CHAR_RANGE: &str = "invalid character class range";
pub(crate) const E_INVALID_ESCAPE: &str = "invalid escape sequence";
pub(crate) const E_INVALID_NAMED_CAPTURE: &str = "invalid named capture";
pub(crate) const E_INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
pub(crate) const E_INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
pub(crate) const E_INVALID_REPEAT_SIZE: &str = "invalid repeat count";
pub(crate) const E_MISSING_BRACKET: &str = "missing closing ]";
pub(crate) const E_MISSING_PAREN: &str = "missing closing )";
pub(crate) const E_MISSING_REPEAT_ARG: &str = "missing argument to repetition operator";
pub(crate) const E_TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
pub(crate) const E_UNEXPECTED_PAREN: &str = "unexpected )";
pub(crate) const E_NESTING_DEPTH: &str = "expression nests too deeply";
pub(crate) const E_LARGE: &str = "expression too large";

pub(crate) const MAX_HEIGHT: usize = 1000;
const MAX_SIZE: u64 = (128 << 20) / 40;

pub(crate) fn err(code: &'static str, expr: &str) -> GoRegexError {
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
pub(crate) enum RepKind {
    Star,
    Plus,
    Quest,
    Repeat,
}

#[derive(Debug)]
pub(crate) enum Node {
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

pub(crate) fn height(n: &Node) -> usize {
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

mod emit;
mod parse;
use emit::emit;
use parse::Parser;

#[cfg(test)]
mod tests;
