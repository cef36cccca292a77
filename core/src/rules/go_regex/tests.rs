//! Go regexp verdicts verified against real Traefik, and translation semantics.
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
        (
            r"\p{Old_Italic}",
            "error parsing regexp: invalid character class range: `\\p{Old_Italic}`",
        ),
        (
            r"\p{Grek}",
            "error parsing regexp: invalid character class range: `\\p{Grek}`",
        ),
        (r"\p{Cn}", "ok"),
        (r"\p{Kawi}", "ok"),
        (
            r"\p{Garay}",
            "error parsing regexp: invalid character class range: `\\p{Garay}`",
        ),
        (r"\p{Cased_Letter}", "ok"),
        (r"\p{LC}", "ok"),
        (r"\p{lc}", "ok"),
        (
            r"\p{L&}",
            "error parsing regexp: invalid character class range: `\\p{L&}`",
        ),
        (r"\p{ascii}", "ok"),
        (r"\p{Assigned}", "ok"),
        (r"\p{any}", "ok"),
        (r"\pl", "ok"),
        (r"\p{^Greek}", "ok"),
        (r"\p{Digit}", "ok"),
        (r"\p{cntrl}", "ok"),
        (
            r"\p{Alphabetic}",
            "error parsing regexp: invalid character class range: `\\p{Alphabetic}`",
        ),
        (
            r"\p{Greek",
            "error parsing regexp: invalid character class range: `\\p{Greek`",
        ),
        (
            r"\p{}",
            "error parsing regexp: invalid character class range: `\\p{}`",
        ),
        (
            r"\p",
            "error parsing regexp: invalid character class range: `\\p`",
        ),
        (r"(?<n>a)", "ok"),
        (
            r"(?<=a)",
            "error parsing regexp: invalid named capture: `(?<=a)`",
        ),
        (
            r"(?<n",
            "error parsing regexp: invalid named capture: `(?<n`",
        ),
        (r"(?P<n>a)(?P<n>b)", "ok"),
        (
            r"(?P=n)",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?P`",
        ),
        (
            r"(?x)a",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?x`",
        ),
        (r"\<", "ok"),
        (
            r"\Z",
            "error parsing regexp: invalid escape sequence: `\\Z`",
        ),
        (r"\z", "ok"),
        (
            r"a{1001}",
            "error parsing regexp: invalid repeat count: `{1001}`",
        ),
        (r"a{1000}", "ok"),
        (
            r"(a{100}){100}",
            "error parsing regexp: invalid repeat count: `{100}`",
        ),
        (
            r"(a{2}){501}",
            "error parsing regexp: invalid repeat count: `{501}`",
        ),
        (
            r"a**",
            "error parsing regexp: invalid nested repetition operator: `**`",
        ),
        (r"a*?", "ok"),
        (
            r"a++",
            "error parsing regexp: invalid nested repetition operator: `++`",
        ),
        (r"\Q*\E+", "ok"),
        (
            r"[[:foo:]]",
            "error parsing regexp: invalid character class range: `[:foo:]`",
        ),
        (
            r"[z-a]",
            "error parsing regexp: invalid character class range: `z-a`",
        ),
        (r"(", "error parsing regexp: missing closing ): `(`"),
        (r")", "error parsing regexp: unexpected ): `)`"),
        (r"[a", "error parsing regexp: missing closing ]: `[a`"),
        (
            r"\8",
            "error parsing regexp: invalid escape sequence: `\\8`",
        ),
        (
            r"\1",
            "error parsing regexp: invalid escape sequence: `\\1`",
        ),
        (r"\0", "ok"),
        (
            r"\x{110000}",
            "error parsing regexp: invalid escape sequence: `\\x{110000`",
        ),
        (r"\x{10FFFF}", "ok"),
        (
            r"\C",
            "error parsing regexp: invalid escape sequence: `\\C`",
        ),
        (r"[\d-z]", "ok"),
        (
            r"x{2}{3}",
            "error parsing regexp: invalid nested repetition operator: `{2}{3}`",
        ),
        (r"(?i)(?-i)", "ok"),
        (
            r"(?-)",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?-)`",
        ),
        (
            r"(?i-)",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?i-)`",
        ),
        (r"(?:", "error parsing regexp: missing closing ): `(?:`"),
        (
            r"(?",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?`",
        ),
        (r"\\", "ok"),
        (
            "\\",
            "error parsing regexp: trailing backslash at end of expression: ``",
        ),
        (r"[]a]", "ok"),
        (r"[^]a]", "ok"),
        (r"[a-]", "ok"),
        (r"[]", "error parsing regexp: missing closing ]: `[]`"),
        (r"a{,5}", "ok"),
        (
            r"a{2,1}",
            "error parsing regexp: invalid repeat count: `{2,1}`",
        ),
        (r"{", "ok"),
        (r"a{", "ok"),
        (
            r"(?P<>a)",
            "error parsing regexp: invalid named capture: `(?P<>`",
        ),
        (
            r"(?P<a-b>x)",
            "error parsing regexp: invalid named capture: `(?P<a-b>`",
        ),
        (
            r"(?P<é>x)",
            "error parsing regexp: invalid named capture: `(?P<é>`",
        ),
        (
            r"[\b]",
            "error parsing regexp: invalid escape sequence: `\\b`",
        ),
        (
            r"\e",
            "error parsing regexp: invalid escape sequence: `\\e`",
        ),
        (
            r"\cA",
            "error parsing regexp: invalid escape sequence: `\\c`",
        ),
        (r"\_", "ok"),
        (
            r"[a-\d]",
            "error parsing regexp: invalid escape sequence: `\\d`",
        ),
        (
            r"a|*",
            "error parsing regexp: missing argument to repetition operator: `*`",
        ),
        (r"(|a)", "ok"),
        (r"()+", "ok"),
        (r"^*", "ok"),
        (r"\b*", "ok"),
        (
            r"[\Q]\E]",
            "error parsing regexp: invalid escape sequence: `\\Q`",
        ),
        (
            r"(?i",
            "error parsing regexp: invalid or unsupported Perl syntax: `(?i`",
        ),
        (r"\Qab", "ok"),
        (
            r"a{1000}{1}",
            "error parsing regexp: invalid nested repetition operator: `{1000}{1}`",
        ),
        (r"(a{1000}){1}", "ok"),
        (r"((a{10}){10}){10}", "ok"),
        (
            r"((a{10}){10}){11}",
            "error parsing regexp: invalid repeat count: `{11}`",
        ),
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
    // Go's \b is an ASCII word boundary: none between ' ' and 'é', one between 'a' and 'é'.
    let b = GoRegex::compile(r"\bé").unwrap();
    assert!(!b.is_match(" é"));
    assert!(GoRegex::compile(r"a\bé").unwrap().is_match("aé"));
    let never = GoRegex::compile(r"\x{D800}").unwrap();
    assert!(!never.is_match("x"));
    let pc = GoRegex::compile(r"^\pC$").unwrap();
    assert!(
        !pc.is_match("\u{0378}"),
        "Go's C excludes unassigned code points"
    );
}
