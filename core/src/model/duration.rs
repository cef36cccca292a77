//! Go durations as Traefik decodes them.
//!
//! Traefik's dynamic configuration uses `paerser/types.Duration` everywhere: a
//! value that is a plain integer counts *seconds*, anything else goes through
//! Go's `time.ParseDuration` (`"1h2m3.5s"`, `"300ms"`, `"-1s"`). A bare
//! `time.Duration` field counts plain integers as *nanoseconds* instead. Both
//! are one const-generic newtype over `i64` nanoseconds; values serialize back
//! with Go's `Duration.String()` format.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;

/// Nanoseconds in one nanosecond (the default unit of `time.Duration`).
pub const NANOSECOND: i64 = 1;
/// Nanoseconds in one microsecond.
pub const MICROSECOND: i64 = 1_000;
/// Nanoseconds in one millisecond.
pub const MILLISECOND: i64 = 1_000_000;
/// Nanoseconds in one second (the default unit of `paerser/types.Duration`).
pub const SECOND: i64 = 1_000_000_000;
/// Nanoseconds in one minute.
pub const MINUTE: i64 = 60 * SECOND;
/// Nanoseconds in one hour.
pub const HOUR: i64 = 60 * MINUTE;

/// A Go duration in nanoseconds; `UNIT` is what a plain integer counts (in ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDurationOf<const UNIT: i64>(pub i64);

/// `paerser/types.Duration` (Traefik's `ptypes.Duration`): plain integers are seconds.
pub type GoDuration = GoDurationOf<SECOND>;

/// Go's `time.Duration` as paerser fills it: plain integers are nanoseconds.
pub type StdDuration = GoDurationOf<NANOSECOND>;

/// A value Go's `time.ParseDuration` (or paerser's integer shortcut) rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DurationError {
    /// Go's own error text, e.g. `time: invalid duration "bad"`.
    pub message: String,
}

impl<const UNIT: i64> GoDurationOf<UNIT> {
    /// The duration in nanoseconds.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// Whether the duration is zero (Go's `omitempty` drops it).
    pub const fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// Parses a value the way paerser fills the field: an integer (with an
    /// optional sign) counts `UNIT`s, with Go's silent wrap-around on overflow;
    /// anything else must satisfy Go's `time.ParseDuration`.
    pub fn parse(s: &str) -> Result<Self, DurationError> {
        if let Some(v) = parse_go_int64(s) {
            return Ok(Self(v.wrapping_mul(UNIT)));
        }
        parse_go_duration(s).map(Self)
    }
}

impl<const UNIT: i64> fmt::Display for GoDurationOf<UNIT> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_go_duration(self.0))
    }
}

impl<const UNIT: i64> std::str::FromStr for GoDurationOf<UNIT> {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<const UNIT: i64> Serialize for GoDurationOf<UNIT> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_go_duration(self.0))
    }
}

impl<'de, const UNIT: i64> Deserialize<'de> for GoDurationOf<UNIT> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor<const U: i64>;

        impl<const U: i64> Visitor<'_> for DurationVisitor<U> {
            type Value = GoDurationOf<U>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Go duration such as \"10s\", \"1m30s\" or an integer")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                GoDurationOf::<U>::parse(v).map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(GoDurationOf(v.wrapping_mul(U)))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                // Go's strconv.ParseInt rejects values above i64::MAX, and
                // time.ParseDuration then rejects the bare number.
                match i64::try_from(v) {
                    Ok(v) => self.visit_i64(v),
                    Err(_) => Err(E::custom(missing_unit(&v.to_string()))),
                }
            }
        }

        deserializer.deserialize_str(DurationVisitor::<UNIT>)
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional sign, ASCII digits, no overflow.
fn parse_go_int64(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Go's `time` package `quote`: ASCII printable kept, `"` and `\` escaped,
/// every byte of other characters written as `\xNN`.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if (c as u32) < 0x20 || (c as u32) >= 0x80 {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

fn invalid(orig: &str) -> DurationError {
    DurationError {
        message: format!("time: invalid duration {}", go_quote(orig)),
    }
}

fn missing_unit(orig: &str) -> DurationError {
    DurationError {
        message: format!("time: missing unit in duration {}", go_quote(orig)),
    }
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        _ => return None,
    })
}

const LIMIT: u64 = 1 << 63;

/// Go's `time.ParseDuration`, error texts included.
pub fn parse_go_duration(orig: &str) -> Result<i64, DurationError> {
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid(orig));
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid(orig));
        }
        // Leading integer.
        let mut v: u64 = 0;
        let mut i = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid(orig));
            }
            v = v * 10 + u64::from(s[i] - b'0');
            if v > LIMIT {
                return Err(invalid(orig));
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // Optional fraction.
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut i = 0;
            let mut overflow = false;
            while i < s.len() && s[i].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(s[i] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                i += 1;
            }
            post = i > 0;
            s = &s[i..];
        }
        if !pre && !post {
            return Err(invalid(orig));
        }
        // Unit: everything up to the next digit or dot.
        let i = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if i == 0 {
            return Err(missing_unit(orig));
        }
        let unit_bytes = &s[..i];
        s = &s[i..];
        let unit_str = String::from_utf8_lossy(unit_bytes);
        let Some(unit) = unit_nanos(&unit_str) else {
            return Err(DurationError {
                message: format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(&unit_str),
                    go_quote(orig)
                ),
            });
        };
        if v > LIMIT / unit {
            return Err(invalid(orig));
        }
        v *= unit;
        if f > 0 {
            // Go converts through float64 the same way, truncating.
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid(orig));
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid(orig));
        }
    }
    if neg {
        // d <= 2^63, so the two's-complement negation fits (i64::MIN for 2^63).
        return Ok((d as i64).wrapping_neg());
    }
    if d > LIMIT - 1 {
        return Err(invalid(orig));
    }
    Ok(d as i64)
}

/// Go's `time.Duration.String()`: `"0s"`, `"1.5µs"`, `"300ms"`, `"1h2m3.5s"`.
pub fn format_go_duration(d: i64) -> String {
    let neg = d < 0;
    let mut u = d.unsigned_abs();
    let mut out = String::new();
    if u < SECOND as u64 {
        let (prec, unit) = match u {
            0 => return "0s".to_string(),
            u if u < MICROSECOND as u64 => (0, "ns"),
            u if u < MILLISECOND as u64 => (3, "\u{b5}s"),
            _ => (6, "ms"),
        };
        let (frac, int) = fmt_frac(u, prec);
        out.push_str(&int.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = fmt_frac(u, 9);
        u = secs;
        let s = u % 60;
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&format!("{s}{frac}s"));
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// Splits `v` into `v / 10^prec` and the fraction `".ddd"` without trailing zeros.
fn fmt_frac(mut v: u64, prec: u32) -> (String, u64) {
    let mut digits = Vec::new();
    let mut print = false;
    for _ in 0..prec {
        let digit = v % 10;
        print = print || digit != 0;
        if print {
            digits.push(char::from(b'0' + digit as u8));
        }
        v /= 10;
    }
    if digits.is_empty() {
        return (String::new(), v);
    }
    digits.push('.');
    (digits.into_iter().rev().collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<i64, String> {
        GoDuration::parse(s).map(|d| d.0).map_err(|e| e.message)
    }

    #[test]
    fn parses_paerser_values() {
        assert_eq!(p("10"), Ok(10 * SECOND));
        assert_eq!(p("0"), Ok(0));
        assert_eq!(p("-3"), Ok(-3 * SECOND));
        assert_eq!(p("+4"), Ok(4 * SECOND));
        assert_eq!(p("1m30s"), Ok(90 * SECOND));
        assert_eq!(p("1.5h"), Ok(90 * MINUTE));
        assert_eq!(p("-5s"), Ok(-5 * SECOND));
        assert_eq!(p("300ms"), Ok(300 * MILLISECOND));
        assert_eq!(
            p("1h2m3.5s"),
            Ok(HOUR + 2 * MINUTE + 3 * SECOND + 500 * MILLISECOND)
        );
        assert_eq!(p("2us"), Ok(2 * MICROSECOND));
        assert_eq!(p("2µs"), Ok(2 * MICROSECOND));
        assert_eq!(p("2μs"), Ok(2 * MICROSECOND));
        assert_eq!(p("7ns"), Ok(7));
        assert_eq!(p(".5s"), Ok(500 * MILLISECOND));
        assert_eq!(p("5.s"), Ok(5 * SECOND));
        assert_eq!(p("-0"), Ok(0));
        assert_eq!(StdDuration::parse("10").map(|d| d.0), Ok(10));
    }

    #[test]
    fn rejects_like_go() {
        assert_eq!(p("bad"), Err(r#"time: invalid duration "bad""#.into()));
        assert_eq!(p(""), Err(r#"time: invalid duration """#.into()));
        assert_eq!(p("-"), Err(r#"time: invalid duration "-""#.into()));
        assert_eq!(
            p("1.5"),
            Err(r#"time: missing unit in duration "1.5""#.into())
        );
        assert_eq!(
            p("10x"),
            Err(r#"time: unknown unit "x" in duration "10x""#.into())
        );
        assert_eq!(
            p("1s2"),
            Err(r#"time: missing unit in duration "1s2""#.into())
        );
        assert_eq!(p("."), Err(r#"time: invalid duration ".""#.into()));
        assert_eq!(p(" 1s"), Err(r#"time: invalid duration " 1s""#.into()));
        assert_eq!(
            p("1 s"),
            Err(r#"time: unknown unit " s" in duration "1 s""#.into())
        );
        assert_eq!(
            p("1é"),
            Err(r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#.into())
        );
        assert_eq!(
            p("9223372036854775808ns"),
            Err(r#"time: invalid duration "9223372036854775808ns""#.into())
        );
        assert_eq!(p("-9223372036854775808ns"), Ok(i64::MIN));
    }

    #[test]
    fn integer_seconds_wrap_like_go() {
        // Go multiplies time.Duration(v) * time.Second without overflow checks.
        let v: i64 = 10_000_000_000_000;
        assert_eq!(p("10000000000000"), Ok(v.wrapping_mul(SECOND)));
    }

    #[test]
    fn formats_like_go() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_100, "1.1µs"),
            (2_200_000, "2.2ms"),
            (3_300_000_000, "3.3s"),
            (4 * MINUTE + 5 * SECOND, "4m5s"),
            (4 * MINUTE + 5_001 * MILLISECOND, "4m5.001s"),
            (5 * HOUR + 6 * MINUTE + 7_001 * MILLISECOND, "5h6m7.001s"),
            (8 * MINUTE + 1, "8m0.000000001s"),
            (HOUR, "1h0m0s"),
            (-5 * SECOND, "-5s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (d, s) in cases {
            assert_eq!(format_go_duration(d), s, "{d}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let d: GoDuration = serde_json::from_str("\"1m30s\"").unwrap();
        assert_eq!(d, GoDurationOf(90 * SECOND));
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1m30s\"");
        let d: GoDuration = serde_json::from_str("\"10\"").unwrap();
        assert_eq!(d.0, 10 * SECOND);
        // serde_json only offers strings to `deserialize_str`; a JSON number is a type error.
        assert!(serde_json::from_str::<GoDuration>("42").is_err());
        let err = serde_json::from_str::<GoDuration>("\"bad\"").unwrap_err();
        assert!(err.to_string().contains(r#"time: invalid duration "bad""#));
    }
}
