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
    let addr = s.split_once('%').map_or(s, |(a, _)| a);
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("invalid IP-literal".into());
    }
    if addr.parse::<std::net::Ipv6Addr>().is_ok() && !(s.contains('%') && addr == s) {
        return Ok(());
    }
    // netip's detailed IPv6 messages are not reproduced; the common cases are.
    let msg = if s.is_empty() || (!s.contains(':') && !s.contains('.') && !s.contains('%')) {
        "unable to parse IP"
    } else if s.starts_with('%') {
        "missing IPv6 address"
    } else {
        "unable to parse IP"
    };
    Err(format!("invalid host: ParseAddr({}): {msg}", q(s)))
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

/// `unescape`'s validation (the decoded text is not needed).
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len() || !is_hex(b[i + 1]) || !is_hex(b[i + 2]) {
                    let end = (i + 3).min(b.len());
                    return Err(escape_error(&b[i..end]));
                }
                let esc = &b[i..i + 3];
                if mode == Mode::Host && unhex(b[i + 1]) < 8 && esc != b"%25" {
                    return Err(escape_error(esc));
                }
                if mode == Mode::Zone {
                    let v = (unhex(b[i + 1]) << 4) | unhex(b[i + 2]);
                    if esc != b"%25" && v != b' ' && should_escape_host(v) {
                        return Err(escape_error(esc));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape_host(c) {
                    return Err(format!(
                        "invalid character {} in host name",
                        q(&String::from_utf8_lossy(&b[i..i + 1]))
                    ));
                }
                i += 1;
            }
        }
    }
    Ok(s.to_string())
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
