//! Traefik's CRD-provider naming and reference resolution
//! (`pkg/provider/kubernetes/crd/kubernetes.go`: `makeID`, `makeServiceKey`,
//! `resolveReference`, `isNamespaceAllowed`, ...; `pkg/provider.Normalize`).

use super::CrdOptions;
use sha2::{Digest, Sha256};

/// `@`, the separator of provider-qualified names.
pub const PROVIDER_SEPARATOR: char = '@';

/// `provider.Normalize`: every run of characters that are neither letters nor
/// digits (Unicode classes, like Go's `unicode.IsLetter`/`IsNumber`) becomes
/// one `-`; leading and trailing runs are dropped.
pub fn normalize(name: &str) -> String {
    name.split(|c: char| !c.is_alphabetic() && !c.is_numeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// `makeID`: `namespace-name`, or `name` when the namespace is empty.
pub fn make_id(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}-{name}")
    }
}

/// `makeServiceKey`: `name-<first 10 bytes of sha256(rule) in hex>`.
pub fn make_service_key(rule: &str, ingress_name: &str) -> String {
    let digest = Sha256::digest(rule.as_bytes());
    let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("{ingress_name}-{hex}")
}

/// `isNamespaceAllowed`.
pub fn is_namespace_allowed(allow_cross_namespace: bool, parent: &str, namespace: &str) -> bool {
    allow_cross_namespace || parent == namespace
}

/// `isCrossProviderNamespaceAllowed`: `None` allows all, `Some([])` none.
pub fn is_cross_provider_namespace_allowed(allow: &Option<Vec<String>>, namespace: &str) -> bool {
    match allow {
        None => true,
        Some(list) => list.iter().any(|n| n == namespace),
    }
}

/// Why a reference was refused, and whether it is a cross-namespace refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefError {
    /// Traefik's error text.
    pub message: String,
    /// The refusal comes from `allowCrossNamespace=false`.
    pub cross_namespace: bool,
}

impl RefError {
    pub(crate) fn cross_namespace(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            cross_namespace: true,
        }
    }

    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            cross_namespace: false,
        }
    }

    /// Prefix the message (`fmt.Errorf("...: %w", err)`).
    pub(crate) fn wrap(self, prefix: impl AsRef<str>) -> Self {
        Self {
            message: format!("{}: {}", prefix.as_ref(), self.message),
            cross_namespace: self.cross_namespace,
        }
    }
}

/// A resolved reference plus the warning Traefik logs on the way, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The name to put in the dynamic configuration.
    pub name: String,
    /// `Namespace %q is ignored in cross-provider context`.
    pub ignored_namespace: Option<String>,
}

/// `resolveReference` (middlewares, TLS options, chain members).
pub fn resolve_reference(
    parent_ns: &str,
    ns: &str,
    name: &str,
    opts: &CrdOptions,
) -> Result<Resolved, RefError> {
    if name.contains(PROVIDER_SEPARATOR) {
        if !opts.allow_cross_namespace && name.ends_with("@kubernetescrd") {
            return Err(RefError::cross_namespace(
                "when allowCrossNamespace is disabled, @kubernetescrd references are disallowed",
            ));
        }
        if !is_cross_provider_namespace_allowed(&opts.cross_provider_namespaces, parent_ns) {
            return Err(RefError::other(format!(
                "namespace {parent_ns:?} is not in crossProviderNamespaces"
            )));
        }
        return Ok(Resolved {
            name: name.to_string(),
            ignored_namespace: (!ns.is_empty()).then(|| ns.to_string()),
        });
    }
    let ns = if ns.is_empty() { parent_ns } else { ns };
    if !is_namespace_allowed(opts.allow_cross_namespace, parent_ns, ns) {
        return Err(RefError::cross_namespace(
            "allowCrossNamespace is disabled, cross-namespace are disallowed",
        ));
    }
    Ok(Resolved {
        name: normalize(&format!("{ns}-{name}")),
        ignored_namespace: None,
    })
}

/// `makeServersTransportKey` / `makeTCPServersTransportKey`.
pub fn servers_transport_key(
    parent_ns: &str,
    name: &str,
    opts: &CrdOptions,
) -> Result<String, RefError> {
    if name.is_empty() {
        return Ok(String::new());
    }
    if name.contains(PROVIDER_SEPARATOR) {
        if !opts.allow_cross_namespace && name.ends_with("@kubernetescrd") {
            return Err(RefError::cross_namespace(format!(
                "invalid reference to serversTransport {name}: namespace-name@kubernetescrd format is not allowed when crossnamespace is disallowed"
            )));
        }
        if !is_cross_provider_namespace_allowed(&opts.cross_provider_namespaces, parent_ns) {
            return Err(RefError::other(format!(
                "serversTransport {name:?} reference is not allowed: namespace {parent_ns:?} is not in crossProviderNamespaces"
            )));
        }
        return Ok(name.to_string());
    }
    Ok(normalize(&make_id(parent_ns, name)))
}

/// `splitSvcNameProvider`: everything before the last `@`, and the provider.
pub fn split_provider(name: &str) -> (&str, &str) {
    match name.rfind(PROVIDER_SEPARATOR) {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => ("", name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_like_go() {
        assert_eq!(normalize("default-test.route"), "default-test-route");
        assert_eq!(normalize("--a..b--"), "a-b");
        assert_eq!(normalize("ns-mw@file"), "ns-mw-file");
        assert_eq!(normalize("ü-ß_1"), "ü-ß-1");
    }

    #[test]
    fn service_key_is_20_hex() {
        let key = make_service_key("Host(`foo.com`) && PathPrefix(`/bar`)", "test.route");
        assert_eq!(
            normalize(&make_id("default", &key)),
            "default-test-route-6b204d94623b3df4370c"
        );
    }

    #[test]
    fn references() {
        let opts = CrdOptions::default();
        assert_eq!(
            resolve_reference("ns", "", "mw", &opts).unwrap().name,
            "ns-mw"
        );
        assert!(
            resolve_reference("ns", "other", "mw", &opts)
                .unwrap_err()
                .cross_namespace
        );
        assert!(
            resolve_reference("ns", "", "a-mw@kubernetescrd", &opts)
                .unwrap_err()
                .cross_namespace
        );
        let r = resolve_reference("ns", "x", "mw@file", &opts).unwrap();
        assert_eq!(r.name, "mw@file");
        assert_eq!(r.ignored_namespace.as_deref(), Some("x"));
    }
}
