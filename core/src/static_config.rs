//! The subset of Traefik's static configuration the validator needs.
//!
//! Decoded leniently (unknown sections are ignored: this is not a static-config
//! validator), keys matched ignoring case as Traefik does.

use crate::decode::de::DecodeError;
use crate::decode::node::Node;
use crate::decode::raw::{Raw, RawEntry, raw_to_node};
use crate::model::{Domain, RouterTlsConfig};
use std::collections::BTreeMap;

/// One entry point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntryPoint {
    /// `address`, e.g. `:80`, `:53/udp`.
    pub address: String,
    /// `asDefault`.
    pub as_default: bool,
    /// `http.middlewares`: prepended to the routers of the entry point (model).
    pub http_middlewares: Vec<String>,
    /// `http.tls` (`allowEmpty`): default TLS of the routers of the entry point.
    pub http_tls: Option<RouterTlsConfig>,
    /// Whether `http.encodedCharacters` is set (makes the entry point a model).
    pub encoded_characters: bool,
    /// Whether `observability` is set (makes the entry point a model).
    pub observability: bool,
}

impl EntryPoint {
    /// Whether Traefik's internal provider makes an `<ep>@internal` HTTP model of
    /// this entry point (`entryPointModels`), given whether `core.defaultRuleSyntax`
    /// is set.
    pub fn is_model(&self, default_rule_syntax_set: bool) -> bool {
        default_rule_syntax_set
            || !self.http_middlewares.is_empty()
            || self.http_tls.is_some()
            || self.observability
            || self.encoded_characters
    }

    /// `tcp` or `udp`, from the address suffix (Traefik's `GetProtocol`).
    pub fn protocol(&self) -> &'static str {
        match self.address.rsplit_once('/') {
            Some((_, p)) if p.eq_ignore_ascii_case("udp") => "udp",
            _ => "tcp",
        }
    }
}

/// Options of the Kubernetes CRD provider that change what objects mean.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CrdProviderOptions {
    /// `allowCrossNamespace` (default false).
    pub allow_cross_namespace: bool,
    /// `allowExternalNameServices` (default false).
    pub allow_external_name_services: bool,
    /// `allowEmptyServices` (default false).
    pub allow_empty_services: bool,
    /// `namespaces` watched (empty = all).
    pub namespaces: Vec<String>,
    /// `labelSelector`.
    pub label_selector: String,
    /// `ingressClass`.
    pub ingress_class: String,
    /// `crossProviderNamespaces` (None = all allowed).
    pub cross_provider_namespaces: Option<Vec<String>>,
}

/// The static configuration, as far as dynamic-configuration validation needs it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StaticConfig {
    /// Entry points by name.
    pub entry_points: BTreeMap<String, EntryPoint>,
    /// `providers.precedence` (lower-cased), None when not set.
    pub providers_precedence: Option<Vec<String>>,
    /// Whether each provider is enabled in the static file (file, consul, kubernetescrd).
    pub enabled_providers: Vec<String>,
    /// `providers.consul.rootKey` (default `traefik`).
    pub consul_root_key: Option<String>,
    /// `providers.kubernetesCRD` options, when that provider is configured.
    pub crd: CrdProviderOptions,
    /// Names of `certificatesResolvers`.
    pub cert_resolvers: Vec<String>,
    /// `core.defaultRuleSyntax` (`v3` when unset).
    pub default_rule_syntax: String,
    /// Whether the `core` section is set (then `defaultRuleSyntax` is non-empty,
    /// `v3` by default, and every entry point becomes a model).
    pub default_rule_syntax_set: bool,
    /// Names of the declared plugins (`experimental.plugins` and
    /// `experimental.localPlugins`).
    pub plugins: Vec<String>,
    /// Whether `api` is enabled (adds `api@internal`, `dashboard@internal`).
    pub api: bool,
}

impl StaticConfig {
    /// Traefik's default entry points for routers without `entryPoints`
    /// (`getDefaultsEntrypoints`): the `asDefault` ones if any, otherwise every
    /// non-UDP entry point except `traefik`; sorted.
    pub fn default_entry_points(&self) -> Vec<String> {
        let any_default = self.entry_points.values().any(|e| e.as_default);
        self.entry_points
            .iter()
            .filter(|(name, ep)| {
                (!any_default || ep.as_default) && ep.protocol() != "udp" && *name != "traefik"
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Parse a static configuration file (YAML or TOML by `path`'s extension).
    pub fn parse(path: &str, text: &str) -> Result<Self, DecodeError> {
        let entries: Vec<RawEntry> = if path.to_ascii_lowercase().ends_with(".toml") {
            crate::decode::toml_raw::parse(text)?
        } else {
            match crate::decode::yaml::parse_documents(text)?
                .into_iter()
                .next()
            {
                Some(doc) => match doc.raw {
                    Raw::Map(entries) => entries,
                    _ => Vec::new(),
                },
                None => Vec::new(),
            }
        };
        let root = raw_to_node(&entries, &[])?;
        Ok(Self::from_node(&root))
    }

    fn from_node(root: &Node) -> Self {
        let mut cfg = StaticConfig {
            default_rule_syntax: "v3".into(),
            ..Self::default()
        };
        if let Some(eps) = root.child_fold("entryPoints") {
            for ep in &eps.children {
                cfg.entry_points.insert(
                    ep.name.clone(),
                    EntryPoint {
                        address: leaf(ep, "address").unwrap_or_default(),
                        as_default: leaf(ep, "asDefault")
                            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
                        http_middlewares: ep
                            .child_fold("http")
                            .and_then(|h| h.child_fold("middlewares"))
                            .map(list)
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|m| !m.is_empty())
                            .collect(),
                        http_tls: ep
                            .child_fold("http")
                            .and_then(|h| h.child_fold("tls"))
                            .map(router_tls),
                        encoded_characters: ep
                            .child_fold("http")
                            .and_then(|h| h.child_fold("encodedCharacters"))
                            .is_some(),
                        observability: ep.child_fold("observability").is_some(),
                    },
                );
            }
        }
        if let Some(providers) = root.child_fold("providers") {
            cfg.providers_precedence = providers.child_fold("precedence").map(|p| {
                list(p)
                    .into_iter()
                    .map(|s| s.to_ascii_lowercase())
                    .collect()
            });
            for (key, name) in [
                ("file", "file"),
                ("consul", "consul"),
                ("kubernetesCRD", "kubernetescrd"),
            ] {
                if providers.child_fold(key).is_some() {
                    cfg.enabled_providers.push(name.into());
                }
            }
            if let Some(consul) = providers.child_fold("consul") {
                cfg.consul_root_key = leaf(consul, "rootKey");
            }
            if let Some(crd) = providers.child_fold("kubernetesCRD") {
                cfg.crd = crd_options(crd);
            }
        }
        if let Some(resolvers) = root.child_fold("certificatesResolvers") {
            cfg.cert_resolvers = resolvers.children.iter().map(|c| c.name.clone()).collect();
        }
        if let Some(core) = root.child_fold("core") {
            cfg.default_rule_syntax_set = true;
            if let Some(syntax) = leaf(core, "defaultRuleSyntax").filter(|s| !s.is_empty()) {
                cfg.default_rule_syntax = syntax;
            }
        }
        if let Some(exp) = root.child_fold("experimental") {
            for key in ["plugins", "localPlugins"] {
                if let Some(p) = exp.child_fold(key) {
                    cfg.plugins
                        .extend(p.children.iter().map(|c| c.name.clone()));
                }
            }
        }
        cfg.api = root.child_fold("api").is_some();
        cfg
    }
}

fn crd_options(crd: &Node) -> CrdProviderOptions {
    let flag = |k: &str| leaf(crd, k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    CrdProviderOptions {
        allow_cross_namespace: flag("allowCrossNamespace"),
        allow_external_name_services: flag("allowExternalNameServices"),
        allow_empty_services: flag("allowEmptyServices"),
        namespaces: crd.child_fold("namespaces").map(list).unwrap_or_default(),
        label_selector: leaf(crd, "labelSelector").unwrap_or_default(),
        ingress_class: leaf(crd, "ingressClass").unwrap_or_default(),
        cross_provider_namespaces: crd.child_fold("crossProviderNamespaces").map(list),
    }
}

/// `http.tls` of an entry point (`options`, `certResolver`, `domains`).
fn router_tls(tls: &Node) -> RouterTlsConfig {
    RouterTlsConfig {
        options: leaf(tls, "options").unwrap_or_default(),
        cert_resolver: leaf(tls, "certResolver").unwrap_or_default(),
        domains: tls
            .child_fold("domains")
            .map(|d| {
                d.children
                    .iter()
                    .map(|item| Domain {
                        main: leaf(item, "main").unwrap_or_default(),
                        sans: item.child_fold("sans").map(list).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn leaf(node: &Node, key: &str) -> Option<String> {
    node.child_fold(key).map(|n| n.value.clone())
}

fn list(node: &Node) -> Vec<String> {
    match &node.list {
        Some(l) => l.items.clone(),
        None if node.value.is_empty() => node.children.iter().map(|c| c.value.clone()).collect(),
        None => node
            .value
            .split(',')
            .map(|s| s.trim().to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_entry_points_follow_traefik() {
        let cfg = StaticConfig::parse(
            "s.yml",
            "entryPoints:\n  web:\n    address: ':80'\n  websecure:\n    address: ':443'\n  dns:\n    address: ':53/udp'\n  traefik:\n    address: ':8080'\nproviders:\n  precedence: [File, consul]\n",
        )
        .unwrap();
        assert_eq!(cfg.default_entry_points(), vec!["web", "websecure"]);
        assert_eq!(
            cfg.providers_precedence,
            Some(vec!["file".into(), "consul".into()])
        );
    }

    #[test]
    fn as_default_restricts() {
        let cfg = StaticConfig::parse(
            "s.toml",
            "[entryPoints.web]\naddress = \":80\"\n[entryPoints.websecure]\naddress = \":443\"\nasDefault = true\n",
        )
        .unwrap();
        assert_eq!(cfg.default_entry_points(), vec!["websecure"]);
    }

    #[test]
    fn entry_point_models_and_plugins() {
        let cfg = StaticConfig::parse(
            "s.yml",
            "entryPoints:\n  web:\n    address: ':80'\n  websecure:\n    address: ':443'\n    http:\n      middlewares: [hsts@file, auth]\n      tls:\n        certResolver: le\n        domains:\n          - main: example.net\n            sans: [a.example.net]\nexperimental:\n  plugins:\n    bouncer:\n      moduleName: x\n  localPlugins:\n    geoblock:\n      moduleName: y\n",
        )
        .unwrap();
        let web = &cfg.entry_points["web"];
        let secure = &cfg.entry_points["websecure"];
        assert!(!web.is_model(false));
        assert!(web.is_model(true));
        assert!(secure.is_model(false));
        assert_eq!(secure.http_middlewares, vec!["hsts@file", "auth"]);
        let tls = secure.http_tls.as_ref().unwrap();
        assert_eq!(tls.cert_resolver, "le");
        assert_eq!(tls.domains[0].main, "example.net");
        assert_eq!(tls.domains[0].sans, vec!["a.example.net"]);
        assert!(!cfg.default_rule_syntax_set);
        assert_eq!(cfg.plugins, vec!["bouncer", "geoblock"]);
        let v2 = StaticConfig::parse("s.yml", "core:\n  defaultRuleSyntax: v2\n").unwrap();
        assert!(v2.default_rule_syntax_set);
        assert_eq!(v2.default_rule_syntax, "v2");
    }
}
