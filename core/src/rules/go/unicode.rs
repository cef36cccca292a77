//! Go's `unicode` predicates that the lexer and `strconv` need (`IsLetter`, `IsDigit`,
//! `IsPrint`), expressed through the `regex` crate's Unicode general-category tables.
//!
//! Rust's `char::is_alphabetic` is the *Alphabetic* property, which differs from Go's
//! `unicode.IsLetter` (general category L); general categories are what Go uses.

use regex::Regex;
use std::sync::LazyLock;

static LETTER: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\p{L}$").ok());
static DIGIT: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\p{Nd}$").ok());
static PRINT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$").ok());

fn test(re: &LazyLock<Option<Regex>>, c: char) -> bool {
    let mut buf = [0u8; 4];
    re.as_ref()
        .is_some_and(|r| r.is_match(c.encode_utf8(&mut buf)))
}

/// `unicode.IsLetter`.
pub fn is_go_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    test(&LETTER, c)
}

/// `unicode.IsDigit` (category Nd).
pub fn is_go_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    test(&DIGIT, c)
}

/// `strconv.IsPrint` / `unicode.IsPrint`: categories L, M, N, P, S and the ASCII space.
pub fn is_go_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    test(&PRINT, c)
}
