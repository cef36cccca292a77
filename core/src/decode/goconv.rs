//! Go `strconv` parsing with Go's acceptance rules and error texts.
//!
//! Traefik fills typed fields from strings with `strconv.ParseInt(s, 10, bits)`,
//! `ParseUint`, `ParseBool` and `ParseFloat`; the error texts end up in its logs,
//! so the validator reports the same ones.

fn syntax(func: &str, s: &str) -> String {
    format!("strconv.{func}: parsing {}: invalid syntax", go_quote(s))
}

fn range(func: &str, s: &str) -> String {
    format!(
        "strconv.{func}: parsing {}: value out of range",
        go_quote(s)
    )
}

/// Go's `%q` for a string (close enough for error messages).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `strconv.ParseInt(s, 10, bits)`.
pub fn parse_int(s: &str, bits: u32) -> Result<i64, String> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax("ParseInt", s));
    }
    let magnitude: u128 = digits
        .bytes()
        .try_fold(0u128, |acc, b| {
            acc.checked_mul(10)?.checked_add(u128::from(b - b'0'))
        })
        .ok_or_else(|| range("ParseInt", s))?;
    let limit = 1u128 << (bits - 1);
    if (!neg && magnitude >= limit) || (neg && magnitude > limit) {
        return Err(range("ParseInt", s));
    }
    let v = magnitude as i128;
    Ok(if neg { -v } else { v } as i64)
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b` prefixes, a leading `0`
/// meaning octal (callers strip `_` digit separators first where Go allows them).
pub fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = i128::from(parse_uint_base0(body)?);
    i64::try_from(if neg { -v } else { v }).ok()
}

/// `strconv.ParseUint(s, 0, 64)` (no sign).
pub fn parse_uint_base0(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `strconv.ParseUint(s, 10, bits)`.
pub fn parse_uint(s: &str, bits: u32) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax("ParseUint", s));
    }
    let v: u128 = s
        .bytes()
        .try_fold(0u128, |acc, b| {
            acc.checked_mul(10)?.checked_add(u128::from(b - b'0'))
        })
        .ok_or_else(|| range("ParseUint", s))?;
    if v >= (1u128 << bits) {
        return Err(range("ParseUint", s));
    }
    Ok(v as u64)
}

/// `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(syntax("ParseBool", s)),
    }
}

/// `strconv.ParseFloat(s, 64)` (decimal forms, `inf`, `nan`).
pub fn parse_float(s: &str) -> Result<f64, String> {
    let ok_chars = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    match s.parse::<f64>() {
        Ok(v) if ok_chars && !s.is_empty() => {
            if v.is_infinite() && !s.to_ascii_lowercase().contains("inf") {
                return Err(range("ParseFloat", s));
            }
            Ok(v)
        }
        _ => Err(syntax("ParseFloat", s)),
    }
}

/// `strconv.FormatFloat(f, 'f', 6, 64)` with a trailing `.000000` removed:
/// how paerser turns a YAML/TOML float into the string it later parses.
pub fn format_float_paerser(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let s = format!("{f:.6}");
    s.strip_suffix(".000000").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_follow_go() {
        assert_eq!(parse_int("12", 64), Ok(12));
        assert_eq!(parse_int("+12", 64), Ok(12));
        assert_eq!(parse_int("-5", 64), Ok(-5));
        assert_eq!(
            parse_int("abc", 64).unwrap_err(),
            r#"strconv.ParseInt: parsing "abc": invalid syntax"#
        );
        assert!(parse_int("1_000", 64).is_err());
        assert!(parse_int("", 64).is_err());
        assert_eq!(parse_int("-9223372036854775808", 64), Ok(i64::MIN));
        assert!(
            parse_int("9223372036854775808", 64)
                .unwrap_err()
                .ends_with("value out of range")
        );
        assert!(parse_int("128", 8).is_err());
        assert_eq!(parse_int("-128", 8), Ok(-128));
    }

    #[test]
    fn bools_follow_go() {
        assert_eq!(parse_bool("T"), Ok(true));
        assert_eq!(parse_bool("False"), Ok(false));
        assert!(parse_bool("yes").is_err());
        assert!(parse_bool("fAlse").is_err());
    }

    #[test]
    fn floats_format_like_paerser() {
        assert_eq!(format_float_paerser(1000.0), "1000");
        assert_eq!(format_float_paerser(1.5), "1.500000");
        assert_eq!(parse_float("1.5"), Ok(1.5));
        assert!(parse_float("1,5").is_err());
    }
}
