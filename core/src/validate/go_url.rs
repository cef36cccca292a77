//! The error checks of Go 1.26's `url.Parse` (Traefik 3.7 is built with `go 1.26`,
//! so `urlstrictcolons=1`): the text of the error Traefik wraps in
//! `error parsing server URL <url>: <err>`.

use super::runtime::q;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

/// `url.Parse(raw)`: `Err` holds `url.Error`'s text (`parse "<url>": <err>`).
pub(crate) fn parse_error(raw: &str) -> Option<String> {
    let (u, frag) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    if let Err(e) = parse(u) {
        return Some(format!("parse {}: {e}", q(u)));
    }
    if let Some(f) = frag.filter(|f| !f.is_empty())
        && let Err(e) = unescape(f, Mode::Fragment)
    {
        return Some(format!("parse {}: {e}", q(raw)));
    }
    None
}

fn parse(raw: &str) -> Result<(), String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
    }
    if raw == "*" {
        return Ok(());
    }
    let (scheme, rest) = get_scheme(raw)?;
    let rest = if rest.ends_with('?') && rest.matches('?').count() == 1 {
        &rest[..rest.len() - 1]
    } else {
        rest.split_once('?').map_or(rest, |(r, _)| r)
    };
    if !rest.starts_with('/') {
        if !scheme.is_empty() {
            return Ok(()); // opaque
        }
        let segment = rest.split_once('/').map_or(rest, |(s, _)| s);
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".into());
        }
    }
    let mut path = rest;
    if (!scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority_and_path = &rest[2..];
        let (authority, p) = match authority_and_path.find('/') {
            Some(i) => (&authority_and_path[..i], &authority_and_path[i..]),
            None => (authority_and_path, ""),
        };
        parse_authority(&scheme, authority)?;
        path = p;
    }
    unescape(path, Mode::Path).map(|_| ())
}

fn get_scheme(raw: &str) -> Result<(String, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok((String::new(), raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".into());
                }
                return Ok((raw[..i].to_ascii_lowercase(), &raw[i + 1..]));
            }
            _ => return Ok((String::new(), raw)),
        }
    }
    Ok((String::new(), raw))
}

fn parse_authority(scheme: &str, authority: &str) -> Result<(), String> {
    let at = authority.rfind('@');
    parse_host(scheme, at.map_or(authority, |i| &authority[i + 1..]))?;
    let Some(i) = at else {
        return Ok(());
    };
    let userinfo = &authority[..i];
    let valid = userinfo.chars().all(|r| {
        r.is_ascii_alphanumeric()
            || matches!(
                r,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    });
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    match userinfo.split_once(':') {
        None => unescape(userinfo, Mode::UserPassword).map(|_| ()),
        Some((user, pass)) => {
            unescape(user, Mode::UserPassword)?;
            unescape(pass, Mode::UserPassword).map(|_| ())
        }
    }
}

fn parse_host(scheme: &str, host: &str) -> Result<(), String> {
    if let Some(open) = host.rfind('[') {
        let Some(close) = host.rfind(']').filter(|c| *c > open) else {
            return Err("missing ']' in host".into());
        };
        let colon_port = &host[close + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", q(colon_port)));
        }
        let hostname = &host[open + 1..close];
        let unescaped = match hostname.find("%25") {
            Some(z) => {
                let h = unescape(&hostname[..z], Mode::Host)?;
                let zone = unescape(&hostname[z..], Mode::Zone)?;
                h + &zone
            }
            None => unescape(hostname, Mode::Host)?,
        };
        return check_ip_literal(&unescaped);
    }
    if let Some(i) = host.find(':') {
        let i = if host.rfind(':') != Some(i) && (scheme == "postgres" || scheme == "postgresql") {
            host.rfind(':').unwrap_or(i)
        } else {
            i
        };
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", q(colon_port)));
        }
    }
    unescape(host, Mode::Host).map(|_| ())
}

/// `netip.ParseAddr` on a bracketed host: IPv6 only (IPv4-mapped allowed).
fn check_ip_literal(s: &str) -> Result<(), String> {
    match parse_addr(s) {
        Ok(true) => Err("invalid IP-literal".into()),
        Ok(false) => Ok(()),
        Err((msg, at)) => {
            let at = at.map(|a| format!(" (at {})", q(a))).unwrap_or_default();
            Err(format!("invalid host: ParseAddr({}): {msg}{at}", q(s)))
        }
    }
}

type AddrError<'a> = (&'static str, Option<&'a str>);

/// `netip.ParseAddr`: `Ok(is_ipv4)` or the message and `at` of `parseAddrError`.
fn parse_addr(s: &str) -> Result<bool, AddrError<'_>> {
    for c in s.bytes() {
        match c {
            b'.' => return parse_ipv4_fields(s).map(|()| true),
            b':' => return parse_ipv6(s).map(|()| false),
            b'%' => return Err(("missing IPv6 address", None)),
            _ => {}
        }
    }
    Err(("unable to parse IP", None))
}

/// `parseIPv4Fields` on `s` (a suffix of the input).
fn parse_ipv4_fields(s: &str) -> Result<(), AddrError<'_>> {
    let b = s.as_bytes();
    let (mut val, mut pos, mut dig_len) = (0u32, 0, 0);
    for i in 0..b.len() {
        match b[i] {
            c @ b'0'..=b'9' => {
                if dig_len == 1 && val == 0 {
                    return Err(("IPv4 field has octet with leading zero", None));
                }
                val = val * 10 + u32::from(c - b'0');
                dig_len += 1;
                if val > 255 {
                    return Err(("IPv4 field has value >255", None));
                }
            }
            b'.' => {
                if i == 0 || i == b.len() - 1 || b[i - 1] == b'.' {
                    return Err(("IPv4 field must have at least one digit", Some(&s[i..])));
                }
                if pos == 3 {
                    return Err(("IPv4 address too long", None));
                }
                pos += 1;
                val = 0;
                dig_len = 0;
            }
            _ => return Err(("unexpected character", Some(&s[i..]))),
        }
    }
    if pos < 3 {
        return Err(("IPv4 address too short", None));
    }
    Ok(())
}

/// `parseIPv6`'s checks.
fn parse_ipv6(input: &str) -> Result<(), AddrError<'_>> {
    let mut s = input;
    if let Some(i) = s.find('%') {
        if s[i + 1..].is_empty() {
            return Err(("zone must be a non-empty string", None));
        }
        s = &s[..i];
    }
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok(());
        }
    }
    let mut i = 0;
    while i < 16 {
        let b = s.as_bytes();
        let mut off = 0;
        let mut acc: u32 = 0;
        while off < b.len() {
            let Some(d) = (b[off] as char).to_digit(16) else {
                break;
            };
            acc = (acc << 4) + d;
            if off > 3 {
                return Err(("each group must have 4 or less digits", Some(s)));
            }
            if acc > 0xffff {
                return Err(("IPv6 field has value >=2^16", Some(s)));
            }
            off += 1;
        }
        if off == 0 {
            return Err((
                "each colon-separated field must have at least one digit",
                Some(s),
            ));
        }
        if off < b.len() && b[off] == b'.' {
            if ellipsis.is_none() && i != 12 {
                return Err((
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    Some(s),
                ));
            }
            if i + 4 > 16 {
                return Err((
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    Some(s),
                ));
            }
            parse_ipv4_fields(s)?;
            s = "";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(("unexpected character, want colon", Some(s)));
        } else if s.len() == 1 {
            return Err(("colon must be followed by more characters", Some(s)));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return Err(("multiple :: in address", Some(s)));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(("trailing garbage after address", Some(s)));
    }
    if i < 16 {
        if ellipsis.is_none() {
            return Err(("address string too short", None));
        }
    } else if ellipsis.is_some() {
        return Err(("the :: must expand to at least one field of zeros", None));
    }
    Ok(())
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn should_escape_host(c: u8) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    !matches!(
        c,
        b'!' | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b':'
            | b'['
            | b']'
            | b'<'
            | b'>'
            | b'"'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
    )
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn unhex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn escape_error(s: &[u8]) -> String {
    format!("invalid URL escape {}", q(&String::from_utf8_lossy(s)))
}

/// `unescape`: the decoded text (bytes that are not UTF-8 are replaced) or Go's error.
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !is_hex(b[i + 1]) || !is_hex(b[i + 2]) {
                    let end = (i + 3).min(b.len());
                    return Err(escape_error(&b[i..end]));
                }
                let esc = &b[i..i + 3];
                let v = (unhex(b[i + 1]) << 4) | unhex(b[i + 2]);
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && esc != b"%25" {
                    return Err(escape_error(esc));
                }
                if mode == Mode::Zone && esc != b"%25" && v != b' ' && should_escape_host(v) {
                    return Err(escape_error(esc));
                }
                out.push(v);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape_host(c) {
                    return Err(format!(
                        "invalid character {} in host name",
                        q(&String::from_utf8_lossy(&b[i..i + 1]))
                    ));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::parse_error;

    #[test]
    fn go_url_parse_errors() {
        for (url, err) in [
            ("http://[::1:8080", "missing ']' in host"),
            (
                "127.0.0.1:13048",
                "first path segment in URL cannot contain colon",
            ),
            ("http://bad host:80", "invalid character \" \" in host name"),
            ("http://127.0.0.1:x", "invalid port \":x\" after host"),
            ("http://127.0.0.1/%zz", "invalid URL escape \"%zz\""),
            (
                "http://localhost:80:80",
                "invalid port \":80:80\" after host",
            ),
            ("http://[127.0.0.1]:80", "invalid IP-literal"),
            (":80", "missing protocol scheme"),
            (
                "http://[::1]]:80",
                "invalid host: ParseAddr(\"::1]\"): unexpected character, want colon (at \"]\")",
            ),
            (
                "http://[1::2::3]:80",
                "invalid host: ParseAddr(\"1::2::3\"): multiple :: in address (at \":3\")",
            ),
        ] {
            assert_eq!(
                parse_error(url),
                Some(format!("parse {}: {err}", super::q(url))),
                "{url}"
            );
        }
        for ok in [
            "http://127.0.0.1:8080",
            "http://[::1]:8080/x?y#z",
            "h2c://svc:80",
            "http://user:p%40ss@host",
            "/relative",
        ] {
            assert_eq!(parse_error(ok), None, "{ok}");
        }
    }
}
