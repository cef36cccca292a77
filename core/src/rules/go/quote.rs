//! Go `strconv` helpers: `Quote` (what `%q` prints), `QuoteRune`, `Unquote` (how
//! vulcand/predicate decodes string literals), `Atoi` and `ParseFloat` validity (how it
//! decodes number literals, which then fail later with a reflect error).

use super::unicode::is_go_print;

/// `strconv.Quote` over raw bytes (invalid UTF-8 bytes are written as `\xNN`).
pub fn quote_bytes(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b < 0x80 {
            push_escaped(&mut out, b as u32, b'"');
            i += 1;
            continue;
        }
        match decode_one(&s[i..]) {
            Some((c, w)) => {
                push_escaped(&mut out, c as u32, b'"');
                i += w;
            }
            None => {
                out.push_str(&format!("\\x{b:02x}"));
                i += 1;
            }
        }
    }
    out.push('"');
    out
}

/// `strconv.Quote` of a `&str`.
pub fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes())
}

/// `strconv.QuoteRune`.
pub fn quote_rune(c: u32) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, c, b'\'');
    out.push('\'');
    out
}

fn decode_one(s: &[u8]) -> Option<(char, usize)> {
    let w = match s[0] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    if s.len() < w {
        return None;
    }
    std::str::from_utf8(&s[..w])
        .ok()
        .and_then(|t| t.chars().next())
        .map(|c| (c, w))
}

fn push_escaped(out: &mut String, c: u32, quote: u8) {
    if c == quote as u32 || c == b'\\' as u32 {
        out.push('\\');
        out.push(char::from_u32(c).unwrap_or('?'));
        return;
    }
    if let Some(ch) = char::from_u32(c)
        && is_go_print(ch)
    {
        out.push(ch);
        return;
    }
    match c {
        0x07 => out.push_str("\\a"),
        0x08 => out.push_str("\\b"),
        0x0C => out.push_str("\\f"),
        0x0A => out.push_str("\\n"),
        0x0D => out.push_str("\\r"),
        0x09 => out.push_str("\\t"),
        0x0B => out.push_str("\\v"),
        c if c < 0x20 || c == 0x7F => out.push_str(&format!("\\x{c:02x}")),
        c if c < 0x10000 => out.push_str(&format!("\\u{c:04x}")),
        c => out.push_str(&format!("\\U{c:08x}")),
    }
}

/// `strconv.Unquote` for the string literals the Go scanner produced (raw or interpreted).
/// Returns the decoded bytes (an interpreted string may hold invalid UTF-8 via `\xNN`).
pub fn unquote(lit: &str) -> Option<Vec<u8>> {
    let b = lit.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let (q, last) = (b[0], b[b.len() - 1]);
    if q != last {
        return None;
    }
    let body = &b[1..b.len() - 1];
    match q {
        b'`' => {
            if body.contains(&b'`') {
                return None;
            }
            Some(body.iter().copied().filter(|&c| c != b'\r').collect())
        }
        b'"' => unquote_interpreted(body),
        _ => None,
    }
}

fn hexval(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

fn unquote_interpreted(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c == b'"' || c == b'\n' {
            return None;
        }
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let e = *body.get(i)?;
        i += 1;
        match e {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            b'"' => out.push(b'"'),
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                for _ in 0..2 {
                    let d = *body.get(i)?;
                    if !(b'0'..=b'7').contains(&d) {
                        return None;
                    }
                    v = v * 8 + (d - b'0') as u32;
                    i += 1;
                }
                if v > 255 {
                    return None;
                }
                out.push(v as u8);
            }
            b'x' | b'u' | b'U' => {
                let n = match e {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let mut v: u32 = 0;
                for _ in 0..n {
                    v = v.checked_mul(16)? + hexval(*body.get(i)?)?;
                    i += 1;
                }
                if e == b'x' {
                    out.push(v as u8);
                } else {
                    let ch = char::from_u32(v)?;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Why `strconv.Atoi`/`ParseFloat` rejected a literal.
pub enum NumError {
    Syntax,
    Range,
}

/// `strconv.Atoi` (64-bit): decimal digits with an optional sign, no underscores or prefixes.
pub fn atoi(s: &str) -> Result<i64, NumError> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumError::Syntax);
    }
    s.parse::<i64>().map_err(|_| NumError::Range)
}

/// `strconv.ParseFloat(s, 64)` for the float literals the Go scanner accepts (decimal and
/// hexadecimal mantissas, `_` separators). Only overflow is an error for scanner-valid input.
pub fn parse_float(s: &str) -> Result<f64, NumError> {
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        // Hexadecimal float: mantissa p exponent (binary). Only the magnitude matters here.
        let (mant, exp) = hex.split_once('p').ok_or(NumError::Syntax)?;
        let exp: i64 = exp.parse().map_err(|_| NumError::Syntax)?;
        let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
        let lead = int_part.trim_start_matches('0');
        let bits = if !lead.is_empty() {
            (lead.len() as i64) * 4 + exp
        } else {
            let z = frac_part.len() - frac_part.trim_start_matches('0').len();
            exp - (z as i64) * 4
        };
        if bits > 1024 {
            return Err(NumError::Range);
        }
        return Ok(0.0);
    }
    match clean.parse::<f64>() {
        Ok(v) if v.is_infinite() => Err(NumError::Range),
        Ok(v) => Ok(v),
        Err(_) => Err(NumError::Syntax),
    }
}
