//! The bits of Go's `net`, `net/http`, `net/url` and Traefik's request handling that matching
//! depends on: IP/CIDR parsing (`net.ParseIP`, `net.ParseCIDR`, `ip.Checker`),
//! `net.SplitHostPort`, `http.CanonicalHeaderKey`, `url.ParseQuery`, and Traefik's routing
//! path (`withRoutingPath` in `pkg/muxer/http/mux.go`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One entry of Traefik's `ip.Checker`: an address or a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpEntry {
    /// `net.ParseIP` succeeded.
    Addr(IpAddr),
    /// `net.ParseCIDR` succeeded: network address and prefix length.
    Net(IpAddr, u8),
}

/// Traefik's `ip.NewChecker`: every entry must be an IP or a CIDR. The error is the text
/// `NewChecker` returns (`parsing CIDR trusted IPs <nil>: invalid CIDR address: X`).
pub fn new_checker(entries: &[String]) -> Result<Vec<IpEntry>, String> {
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        if let Some(ip) = parse_ip(e) {
            out.push(IpEntry::Addr(ip));
            continue;
        }
        match parse_cidr(e) {
            Some((ip, bits)) => out.push(IpEntry::Net(ip, bits)),
            None => {
                return Err(format!(
                    "parsing CIDR trusted IPs <nil>: invalid CIDR address: {e}"
                ));
            }
        }
    }
    Ok(out)
}

/// `net.ParseIP` (no zones, no leading zeros in IPv4 parts).
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.contains('%') {
        return None;
    }
    if s.contains(':') {
        return s.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// `net.ParseCIDR`: address (no zone) `/` decimal prefix length within the family's size.
pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, mask) = s.split_once('/')?;
    let ip = parse_ip(addr)?;
    if mask.is_empty() || !mask.bytes().all(|b| b.is_ascii_digit()) || mask.len() > 8 {
        return None;
    }
    let n: u32 = mask.parse().ok()?;
    let max = match ip {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    if n > max {
        return None;
    }
    Some((ip, n as u8))
}

fn to_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(v) => v.to_ipv4_mapped(),
    }
}

/// `ip.Checker.ContainsIP` with Go's `net.IP.Equal` / `net.IPNet.Contains` semantics
/// (IPv4 and IPv4-mapped IPv6 addresses are the same address).
pub fn checker_contains(entries: &[IpEntry], client: IpAddr) -> bool {
    entries.iter().any(|e| match *e {
        IpEntry::Addr(a) => match (to_v4(a), to_v4(client)) {
            (Some(x), Some(y)) => x == y,
            (None, None) => a == client,
            _ => false,
        },
        IpEntry::Net(net, bits) => {
            // Go turns a network whose address is IPv4(-mapped) into a 4-byte network; a
            // 16-byte mask then keeps its last 4 bytes.
            let (net, bits) = match (net, to_v4(net)) {
                (IpAddr::V6(_), Some(v4)) => (IpAddr::V4(v4), bits.saturating_sub(96)),
                _ => (net, bits),
            };
            match (net, client) {
                (IpAddr::V4(n), c) => match to_v4(c) {
                    Some(c) => prefix_eq(&n.octets(), &c.octets(), bits),
                    None => false,
                },
                (IpAddr::V6(n), IpAddr::V6(c)) => {
                    if c.to_ipv4_mapped().is_some() {
                        return false;
                    }
                    prefix_eq(&n.octets(), &c.octets(), bits)
                }
                (IpAddr::V6(_), IpAddr::V4(_)) => false,
            }
        }
    })
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = (bits / 8) as usize;
    if a[..full] != b[..full] {
        return false;
    }
    let rem = bits % 8;
    if rem == 0 {
        return true;
    }
    let mask = 0xFFu8 << (8 - rem);
    (a[full] & mask) == (b[full] & mask)
}

/// `net.SplitHostPort`.
pub fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    let i = hostport.rfind(':')?;
    let (host, j, k);
    if hostport.starts_with('[') {
        let end = hostport.find(']')?;
        if end + 1 == hostport.len() {
            return None;
        }
        if end + 1 != i {
            return None;
        }
        host = &hostport[1..end];
        j = 1;
        k = end + 1;
    } else {
        host = &hostport[..i];
        if host.contains(':') {
            return None;
        }
        j = 0;
        k = 0;
    }
    if hostport[j..].contains('[') || hostport[k..].contains(']') {
        return None;
    }
    Some((host, &hostport[i + 1..]))
}

/// `requestdecorator.parseHost` + `types.CanonicalDomain`: the host Traefik routes on.
pub fn canonical_host(req_host: &str) -> String {
    let h = if !req_host.contains(':') {
        req_host
    } else {
        match split_host_port(req_host) {
            Some((h, _)) => h,
            None => {
                if req_host.starts_with('[') && req_host.ends_with(']') && req_host.len() >= 2 {
                    &req_host[1..req_host.len() - 1]
                } else {
                    req_host
                }
            }
        }
    };
    h.trim().to_lowercase()
}

/// gorilla/mux `parseHost` (v2 `HostRegexp`): port stripped, case kept.
pub fn mux_host(req_host: &str) -> &str {
    if !req_host.contains(':') {
        return req_host;
    }
    match split_host_port(req_host) {
        Some((h, _)) => h,
        None => req_host,
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `http.CanonicalHeaderKey` (`textproto.CanonicalMIMEHeaderKey`): `x-forwarded-for` →
/// `X-Forwarded-For`; keys with a byte that is not a token character are left unchanged.
pub fn canonical_header_key(s: &str) -> String {
    if !s.bytes().all(is_token_byte) {
        return s.to_string();
    }
    let mut upper = true;
    s.bytes()
        .map(|b| {
            let c = if upper {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            };
            upper = b == b'-';
            c as char
        })
        .collect()
}

fn unhex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `url.QueryUnescape` (`+` is a space); `None` on a bad `%` escape.
pub fn query_unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hi = unhex(*b.get(i + 1)?)?;
                let lo = unhex(*b.get(i + 2)?)?;
                out.push(hi * 16 + lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `req.URL.Query()` as Traefik's routers see it: the entrypoint default
/// (`http.encodeQuerySemicolons: false`) wraps Go's `http.AllowQuerySemicolons`, so `;`
/// separates pairs like `&`; then `url.ParseQuery` (pairs with bad escapes dropped).
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in raw.split(['&', ';']) {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let (Some(k), Some(v)) = (query_unescape(k), query_unescape(v)) else {
            continue;
        };
        out.push((k, v));
    }
    out
}

const RESERVED: &[&str] = &[
    "%3A", "%2F", "%3F", "%23", "%5B", "%5D", "%40", "%21", "%24", "%26", "%27", "%28", "%29",
    "%2A", "%2B", "%2C", "%3B", "%3D", "%25",
];

fn should_escape_path(c: u8) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    !matches!(
        c,
        b'-' | b'_' | b'.' | b'~' | b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@'
    )
}

fn valid_encoded(s: &str) -> bool {
    s.bytes().all(|c| {
        matches!(
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
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape_path(c)
    })
}

fn path_unescape(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = unhex(*b.get(i + 1)?)?;
            let lo = unhex(*b.get(i + 2)?)?;
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

fn path_escape(p: &[u8]) -> String {
    let mut out = String::with_capacity(p.len());
    for &c in p {
        if should_escape_path(c) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

fn unescape_str(s: &str) -> Option<String> {
    path_unescape(s).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Go's `URL.EscapedPath()` for a `Path`/`RawPath` pair.
fn escaped_path(path: &str, raw_path: &str) -> String {
    if !raw_path.is_empty()
        && valid_encoded(raw_path)
        && unescape_str(raw_path).as_deref() == Some(path)
    {
        return raw_path.to_string();
    }
    if path == "*" {
        return "*".into();
    }
    path_escape(path.as_bytes())
}

/// Go's `URL.setPath`: `(Path, RawPath)` from an escaped path.
fn set_path(escaped: &str) -> Option<(String, String)> {
    let path = unescape_str(escaped)?;
    let raw = if path_escape(path.as_bytes()) == escaped {
        String::new()
    } else {
        escaped.to_string()
    };
    Some((path, raw))
}

/// Go's `path.Clean`.
fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// The path Traefik routes on, from the request-target path as sent on the wire
/// (percent-encoded, without the query), with the entrypoint defaults of Traefik 3.7:
/// 1. Go parses it (`Path` = decoded, `RawPath` kept when it differs from Go's own escaping);
/// 2. `normalizePath`: in `RawPath`, `%xx` upper-cased and unreserved characters decoded;
/// 3. `sanitizePath` (entrypoint `http.sanitizePath`, default true; pass `false` to skip):
///    `URL.JoinPath()` removes `.`/`..` segments and duplicate slashes (a trailing slash
///    stays);
/// 4. `withRoutingPath`: `EscapedPath()` with every `%XX` decoded except the reserved
///    characters (`%2F`, `%3F`, `%25`, ...).
///
/// `None` where Traefik answers 400 (bad `%` escape).
pub fn routing_path_with(raw_path: &str, sanitize: bool) -> Option<String> {
    let (path, mut raw) = set_path(raw_path)?;
    if !raw.is_empty() {
        let b = raw.as_bytes();
        let mut out = String::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                out.push(b[i] as char);
                i += 1;
                continue;
            }
            if i + 2 >= b.len() {
                return None;
            }
            let enc = raw[i..i + 3].to_ascii_uppercase();
            let v = u8::from_str_radix(&enc[1..], 16).ok()?;
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                out.push(v as char);
            } else {
                out.push_str(&enc);
            }
            i += 3;
        }
        raw = out;
    }
    let mut escaped = escaped_path(&path, &raw);
    if sanitize {
        let (first, strip) = if escaped.starts_with('/') {
            (escaped.clone(), false)
        } else {
            (format!("/{escaped}"), true)
        };
        let mut p = clean(&first);
        if strip {
            p = p[1..].to_string();
        }
        if escaped.ends_with('/') && !p.ends_with('/') {
            p.push('/');
        }
        let (path2, raw2) = set_path(&p)?;
        escaped = escaped_path(&path2, &raw2);
    }
    let b = escaped.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        if i + 2 >= b.len() {
            return None;
        }
        let enc = &escaped[i..i + 3];
        if RESERVED.contains(&enc) {
            out.extend_from_slice(enc.as_bytes());
        } else {
            let hi = unhex(b[i + 1])?;
            let lo = unhex(b[i + 2])?;
            out.push(hi * 16 + lo);
        }
        i += 3;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// [`routing_path_with`] with Traefik's default entrypoint settings (`sanitizePath: true`).
pub fn routing_path(raw_path: &str) -> Option<String> {
    routing_path_with(raw_path, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_keys() {
        assert_eq!(canonical_header_key("x-forwarded-for"), "X-Forwarded-For");
        assert_eq!(canonical_header_key("X_Y"), "X_y");
        assert_eq!(canonical_header_key("a b"), "a b");
    }

    #[test]
    fn hosts() {
        assert_eq!(canonical_host("Example.COM:8080"), "example.com");
        assert_eq!(canonical_host("[::1]:80"), "::1");
        assert_eq!(canonical_host("[::1]"), "::1");
        assert_eq!(canonical_host("::1"), "::1");
        assert_eq!(canonical_host("a.b."), "a.b.");
    }

    #[test]
    fn routing_paths() {
        assert_eq!(routing_path("/foo%20bar").as_deref(), Some("/foo bar"));
        assert_eq!(routing_path("/a%2Fb").as_deref(), Some("/a%2Fb"));
        assert_eq!(routing_path("/a%2fb").as_deref(), Some("/a%2Fb"));
        assert_eq!(routing_path("/a/./b/../c//d/").as_deref(), Some("/a/c/d/"));
        assert_eq!(routing_path("/%61").as_deref(), Some("/a"));
        assert_eq!(routing_path("/a%zz"), None);
    }

    #[test]
    fn ip_checker() {
        let c = new_checker(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        assert!(checker_contains(&c, "10.1.2.3".parse().unwrap()));
        assert!(checker_contains(&c, "::ffff:10.1.2.3".parse().unwrap()));
        assert!(checker_contains(&c, "::1".parse().unwrap()));
        assert!(!checker_contains(&c, "11.0.0.1".parse().unwrap()));
        assert_eq!(
            new_checker(&["foo".into()]).unwrap_err(),
            "parsing CIDR trusted IPs <nil>: invalid CIDR address: foo"
        );
    }
}
