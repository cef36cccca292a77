//! ACLs as Consul applies them to the KV store: tokens with `key_prefix` rules, default deny.
//!
//! A rule's prefix that is the longest match for a key decides (Consul's radix-tree
//! lookup); without a matching rule the key is denied. A request without a token uses the
//! anonymous token, whose rules are [`Acl::anonymous`]. Texts are Consul's
//! (`acl/errors.go`): an unknown secret answers 403 `ACL not found`; a refusal answers 403
//! `Permission denied: token with AccessorID '<id>' lacks permission 'key:write' on "<key>"`
//! (anonymous: `Permission denied: anonymous token lacks permission ... The anonymous token
//! is used implicitly when a request does not specify a token.`).

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// What a rule allows on the keys under its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyPolicy {
    /// No access (also what a key without a matching rule gets).
    Deny,
    /// Read only.
    Read,
    /// Read and write.
    Write,
}

/// `key_prefix "<prefix>" { policy = "<policy>" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeyPrefixRule {
    /// Keys starting with this (`""` = every key).
    pub prefix: String,
    /// What is allowed.
    pub policy: KeyPolicy,
}

impl KeyPrefixRule {
    /// A rule for `prefix`.
    pub fn new(prefix: &str, policy: KeyPolicy) -> KeyPrefixRule {
        KeyPrefixRule {
            prefix: prefix.into(),
            policy,
        }
    }
}

/// One ACL token: its secret (what clients send), accessor id (what error texts show) and rules.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AclToken {
    /// `SecretID`, sent as `X-Consul-Token`.
    pub secret: String,
    /// `AccessorID`, shown in refusals.
    #[serde(default)]
    pub accessor: String,
    /// Its `key_prefix` rules.
    #[serde(default)]
    pub rules: Vec<KeyPrefixRule>,
}

impl AclToken {
    /// A token with its secret, the accessor id that refusals name, and its rules.
    pub fn new(secret: &str, accessor: &str, rules: Vec<KeyPrefixRule>) -> AclToken {
        AclToken {
            secret: secret.into(),
            accessor: accessor.into(),
            rules,
        }
    }
}

/// The ACL system of the double (`acl { enabled = true, default_policy = "deny" }`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Acl {
    /// Known tokens.
    #[serde(default)]
    pub tokens: Vec<AclToken>,
    /// Rules of the anonymous token (requests without a token).
    #[serde(default)]
    pub anonymous: Vec<KeyPrefixRule>,
}

impl Acl {
    /// Reads an ACL file: `{"tokens":[{"secret","accessor","rules":[{"prefix","policy"}]}],
    /// "anonymous":[rules]}`.
    pub fn from_file(path: &Path) -> Result<Acl> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not an ACL document", path.display()))
    }

    /// Resolves the token a request carries (`None` = anonymous). `Err` = `ACL not found`.
    pub(crate) fn resolve(&self, secret: Option<&str>) -> Result<Authorizer<'_>, AclDenied> {
        match secret.filter(|s| !s.is_empty()) {
            None => Ok(Authorizer {
                accessor: None,
                rules: &self.anonymous,
            }),
            Some(secret) => self
                .tokens
                .iter()
                .find(|t| t.secret == secret)
                .map(|t| Authorizer {
                    accessor: Some(&t.accessor),
                    rules: &t.rules,
                })
                .ok_or(AclDenied::NotFound),
        }
    }
}

/// Why a request was refused (status 403 in every case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AclDenied {
    /// Unknown secret.
    NotFound,
    /// A rule refused the access; the text is Consul's.
    Permission(String),
}

impl AclDenied {
    /// Consul's text.
    pub(crate) fn text(&self) -> String {
        match self {
            AclDenied::NotFound => "ACL not found".into(),
            AclDenied::Permission(text) => text.clone(),
        }
    }
}

/// The rules of one resolved token (or all-allowing when ACLs are off).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Authorizer<'a> {
    accessor: Option<&'a str>,
    rules: &'a [KeyPrefixRule],
}

/// The access level asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Authorizer<'_> {
    fn policy(&self, key: &str) -> KeyPolicy {
        self.rules
            .iter()
            .filter(|r| key.starts_with(r.prefix.as_str()))
            .max_by_key(|r| r.prefix.len())
            .map_or(KeyPolicy::Deny, |r| r.policy)
    }

    /// Whether `key` may be accessed at `access`.
    pub(crate) fn allows(&self, key: &str, access: Access) -> bool {
        matches!(
            (self.policy(key), access),
            (KeyPolicy::Write, _) | (KeyPolicy::Read, Access::Read)
        )
    }

    /// Write on every key under `prefix` (Consul's `KeyWritePrefix`, for recursive
    /// deletes): the prefix itself and no rule below it may deny writing.
    pub(crate) fn allows_prefix_write(&self, prefix: &str) -> bool {
        self.allows(prefix, Access::Write)
            && self
                .rules
                .iter()
                .filter(|r| r.prefix.starts_with(prefix))
                .all(|r| r.policy == KeyPolicy::Write)
    }

    /// The refusal Consul writes for `key` at `access`.
    pub(crate) fn denied(&self, key: &str, access: Access) -> AclDenied {
        let level = match access {
            Access::Read => "read",
            Access::Write => "write",
        };
        let text = match self.accessor {
            None => format!(
                "Permission denied: anonymous token lacks permission 'key:{level}' on {key:?}. \
                 The anonymous token is used implicitly when a request does not specify a token."
            ),
            Some(id) => format!(
                "Permission denied: token with AccessorID '{id}' lacks permission 'key:{level}' on {key:?}"
            ),
        };
        AclDenied::Permission(text)
    }

    /// `Ok` when allowed, else the refusal.
    pub(crate) fn check(&self, key: &str, access: Access) -> Result<(), AclDenied> {
        if self.allows(key, access) {
            Ok(())
        } else {
            Err(self.denied(key, access))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_decides_and_default_denies() {
        let acl = Acl {
            tokens: vec![AclToken::new(
                "s1",
                "a1",
                vec![
                    KeyPrefixRule::new("traefik", KeyPolicy::Read),
                    KeyPrefixRule::new("traefik-staging/", KeyPolicy::Write),
                    KeyPrefixRule::new("traefik-staging/locked/", KeyPolicy::Deny),
                ],
            )],
            anonymous: vec![],
        };
        let authz = acl.resolve(Some("s1")).unwrap();
        assert!(authz.allows("traefik/x", Access::Read));
        assert!(!authz.allows("traefik/x", Access::Write));
        assert!(authz.allows("traefik-staging/x", Access::Write));
        assert!(!authz.allows("traefik-staging/locked/x", Access::Read));
        assert!(!authz.allows("other", Access::Read));
        assert!(!authz.allows_prefix_write("traefik-staging/"));
        assert_eq!(acl.resolve(Some("nope")).unwrap_err(), AclDenied::NotFound);
        let anonymous = acl.resolve(None).unwrap();
        assert!(
            anonymous
                .denied("k", Access::Read)
                .text()
                .contains("anonymous token")
        );
        assert_eq!(
            authz.denied("traefik/x", Access::Write).text(),
            "Permission denied: token with AccessorID 'a1' lacks permission 'key:write' on \"traefik/x\""
        );
    }
}
