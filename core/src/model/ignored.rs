//! Go fields tagged `file:"-"`: the file provider accepts and ignores them.
//!
//! paerser matches a key against *every* exported Go field (case-insensitively)
//! before it looks at tags; a `file:"-"` field is found, marked disabled and never
//! filled. So `defaultRule: true` under a router is silently dropped by Traefik,
//! while a truly unknown key fails the whole file ("field not found, node: …").
//! These fields are not in the model; this table lets the decoder tell the two
//! apart. Caveat kept from paerser: below a struct- or map-typed ignored field,
//! paerser still checks the children's names against the Go type, which the
//! decoder cannot do without the type (it would accept any children).

/// Per model struct (serde container name = Rust type name), the Go field names
/// tagged `file:"-"` in Traefik v3.7.
pub const FILE_IGNORED_FIELDS: &[(&str, &[&str])] = &[
    (
        "Model",
        &["DeniedEncodedPathCharacters", "DefaultRuleSyntax"],
    ),
    ("Router", &["DefaultRule", "DeniedEncodedPathCharacters"]),
    ("RouterTlsConfig", &["ResolvedOptions"]),
    ("RouterObservabilityConfig", &["Metadata"]),
    ("WrrService", &["Headers", "Status", "GRPCStatus"]),
    ("Cookie", &["Expires"]),
    ("ServersLoadBalancer", &["NginxUpstreamHashBy"]),
    ("Server", &["Fenced", "Scheme", "Port"]),
    (
        "Middleware",
        &[
            "RequestHeaderModifier",
            "ResponseHeaderModifier",
            "RequestRedirect",
            "URLRewrite",
            "AuthTLSPassCertificateToUpstream",
            "Snippet",
            "RewriteTarget",
            "UpstreamVHost",
            "AppRoot",
        ],
    ),
    (
        "Buffering",
        &["DisableRequestBuffer", "DisableResponseBuffer"],
    ),
    ("ErrorPage", &["NginxHeaders"]),
    ("RedirectRegex", &["StatusCode"]),
    ("RedirectScheme", &["ForcePermanentRedirect"]),
    ("TcpConfiguration", &["Models"]),
    ("UdpServer", &["Port"]),
];

/// The `file:"-"` Go field names of the model struct called `struct_name`.
pub fn file_ignored_fields(struct_name: &str) -> &'static [&'static str] {
    FILE_IGNORED_FIELDS
        .iter()
        .find(|(name, _)| *name == struct_name)
        .map_or(&[], |(_, fields)| fields)
}

/// Whether `key` names a `file:"-"` field of `struct_name` (case-insensitive, like paerser).
pub fn is_file_ignored(struct_name: &str, key: &str) -> bool {
    file_ignored_fields(struct_name)
        .iter()
        .any(|f| f.eq_ignore_ascii_case(key))
}
