//! Which HTTP/TCP middleware configurations fail to build, with Traefik's texts
//! (the constructors in `pkg/middlewares/*`). Only the types that reference other
//! objects (`chain`, `errors`) are handled by the builder itself.

use super::rules_bridge::go_regexp_error;
use crate::model::{Middleware, TcpMiddleware};
use std::net::IpAddr;

/// `net.ParseIP(s) != nil || net.ParseCIDR(s) == nil`, with the ip checker's error.
fn check_ip_list(ranges: &[String]) -> Result<(), String> {
    if ranges.is_empty() {
        return Err("no trusted IPs provided".into());
    }
    for r in ranges {
        if r.parse::<IpAddr>().is_ok() {
            continue;
        }
        let ok = r.split_once('/').is_some_and(|(ip, bits)| {
            let Ok(ip) = ip.parse::<IpAddr>() else {
                return false;
            };
            let max = if ip.is_ipv4() { 32 } else { 128 };
            !bits.is_empty()
                && bits.len() <= 3
                && bits.bytes().all(|b| b.is_ascii_digit())
                && !(bits.len() > 1 && bits.starts_with('0'))
                && bits.parse::<u32>().is_ok_and(|b| b <= max)
        });
        if !ok {
            return Err(format!(
                "parsing CIDR trusted IPs <nil>: invalid CIDR address: {r}"
            ));
        }
    }
    Ok(())
}

/// Go's `%s` of a `[]string`.
fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `strconv.Atoi` on each part of HTTP code ranges (`types.NewHTTPCodeRanges`).
pub(crate) fn check_code_ranges(blocks: &[String]) -> Result<(), String> {
    for block in blocks {
        let mut codes: Vec<&str> = block.split('-').collect();
        if codes.len() == 1 {
            codes.push(codes[0]);
        }
        for c in &codes[..2] {
            let digits = c.strip_prefix(['+', '-']).unwrap_or(c);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "strconv.Atoi: parsing {}: invalid syntax",
                    super::runtime::q(c)
                ));
            }
            if c.parse::<i64>().is_err() {
                return Err(format!(
                    "strconv.Atoi: parsing {}: value out of range",
                    super::runtime::q(c)
                ));
            }
        }
    }
    Ok(())
}

/// Build-time errors of the self-contained HTTP middleware types.
pub(crate) fn check_http(m: &Middleware) -> Result<(), String> {
    if let Some(cb) = &m.circuit_breaker {
        super::cb_expression::check(&cb.expression)?;
    }
    if let Some(a) = &m.add_prefix
        && a.prefix.is_empty()
    {
        return Err("prefix cannot be empty".into());
    }
    if let Some(b) = &m.basic_auth {
        for u in &b.users {
            if u.split(':').count() != 2 {
                return Err(format!("error parsing BasicUser: {u}"));
            }
        }
        // Users from a Secret whose data is unknown are assumed present (the
        // Secret exists; its content is not read).
        if b.users.is_empty() && b.users_file.is_empty() && !b.users_assumed {
            return Err("no users found in ".into());
        }
    }
    if let Some(d) = &m.digest_auth {
        for u in &d.users {
            if u.split(':').count() != 3 {
                return Err(format!("error parsing DigestUser: {u}"));
            }
        }
    }
    if let Some(f) = &m.forward_auth
        && !f.auth_response_headers_regex.is_empty()
        && let Some(e) = go_regexp_error(&f.auth_response_headers_regex)
    {
        return Err(format!(
            "error compiling regular expression {}: {e}",
            f.auth_response_headers_regex
        ));
    }
    if let Some(h) = &m.headers {
        for re in &h.access_control_allow_origin_list_regex {
            if let Some(e) = go_regexp_error(re) {
                return Err(format!("error occurred during origin parsing: {e}"));
            }
        }
    }
    if let Some(w) = &m.ip_white_list {
        if w.source_range.is_empty() {
            return Err("sourceRange is empty, IPWhiteLister not created".into());
        }
        check_ip_list(&w.source_range).map_err(|e| {
            format!(
                "cannot parse CIDR whitelist {}: {e}",
                go_list(&w.source_range)
            )
        })?;
    }
    if let Some(a) = &m.ip_allow_list {
        if a.source_range.is_empty() {
            return Err("sourceRange is empty, IPAllowLister not created".into());
        }
        check_ip_list(&a.source_range)
            .map_err(|e| format!("cannot parse CIDRs {}: {e}", go_list(&a.source_range)))?;
    }
    if let Some(r) = &m.redirect_regex
        && let Some(e) = go_regexp_error(&r.regex)
    {
        return Err(e);
    }
    if let Some(r) = &m.redirect_scheme
        && r.scheme.is_empty()
    {
        return Err("you must provide a target scheme".into());
    }
    if let Some(r) = &m.replace_path_regex
        && let Some(e) = go_regexp_error(r.regex.trim())
    {
        return Err(format!(
            "error compiling regular expression {}: {e}",
            r.regex
        ));
    }
    if let Some(r) = &m.retry {
        if r.status.is_empty() && r.disable_retry_on_network_error {
            return Err(
                "retry middleware requires at least HTTP status codes or retry on TCP".into(),
            );
        }
        if r.attempts <= 0 {
            return Err(format!(
                "incorrect (or empty) value for attempt ({})",
                r.attempts
            ));
        }
        check_code_ranges(&r.status).map_err(|e| format!("creating HTTP code ranges: {e}"))?;
    }
    if let Some(s) = &m.strip_prefix_regex {
        for re in &s.regex {
            if let Some(e) = go_regexp_error(re.trim()) {
                return Err(e);
            }
        }
    }
    if let Some(c) = &m.compress {
        if !c.excluded_content_types.is_empty() && !c.included_content_types.is_empty() {
            return Err(
                "excludedContentTypes and includedContentTypes options are mutually exclusive"
                    .into(),
            );
        }
        for e in &c.encodings {
            if !matches!(e.as_str(), "gzip" | "br" | "zstd") {
                return Err(format!("unsupported encoding: {e}"));
            }
        }
        if !c.default_encoding.is_empty()
            && !matches!(c.default_encoding.as_str(), "gzip" | "br" | "zstd")
        {
            return Err(format!(
                "unsupported default encoding: {}",
                c.default_encoding
            ));
        }
    }
    Ok(())
}

/// Build-time errors of TCP middlewares (the last type set wins, no multi-type error).
pub(crate) fn check_tcp(m: &TcpMiddleware) -> Result<(), String> {
    if let Some(a) = &m.ip_allow_list {
        if a.source_range.is_empty() {
            return Err("sourceRange is empty, IPAllowLister not created".into());
        }
        check_ip_list(&a.source_range)
            .map_err(|e| format!("cannot parse CIDRs {}: {e}", go_list(&a.source_range)))?;
    } else if let Some(w) = &m.ip_white_list {
        if w.source_range.is_empty() {
            return Err("sourceRange is empty, IPWhiteLister not created".into());
        }
        check_ip_list(&w.source_range).map_err(|e| {
            format!(
                "cannot parse CIDR whitelist {}: {e}",
                go_list(&w.source_range)
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_lists() {
        assert!(check_ip_list(&["10.0.0.0/8".into(), "::1".into()]).is_ok());
        assert_eq!(
            check_ip_list(&["10.0.0.0/33".into()]).unwrap_err(),
            "parsing CIDR trusted IPs <nil>: invalid CIDR address: 10.0.0.0/33"
        );
    }

    #[test]
    fn code_ranges() {
        assert!(check_code_ranges(&["500-599".into(), "404".into()]).is_ok());
        assert_eq!(
            check_code_ranges(&["5xx".into()]).unwrap_err(),
            "strconv.Atoi: parsing \"5xx\": invalid syntax"
        );
    }
}
