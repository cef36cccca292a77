//! Generation of the static configuration real Traefik is started with.
//!
//! The generated file is what a scenario's `static.yml` says, merged onto safe defaults, with
//! the settings the harness owns forced on top: every entry point bound to a free port on
//! 127.0.0.1, the API on the `traefik` entry point, DEBUG JSON logs to a file, no version
//! check or usage statistics (no traffic leaves the machine), and the providers pointing at
//! the scenario's directory and at the Consul double.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

/// Name of the API entry point (Traefik excludes it from the default entry points).
pub const API_ENTRYPOINT: &str = "traefik";

/// What the generated static configuration must contain.
#[derive(Debug, Clone, Default)]
pub struct StaticSpec {
    /// Extra static settings (a scenario's `static.yml`), deep-merged over the defaults.
    /// If it has `entryPoints`, they replace the default `web` + `websecure` set.
    pub overlay: Option<Value>,
    /// Directory for `providers.file.directory`.
    pub file_directory: Option<PathBuf>,
    /// Address of the Consul (double) for `providers.consul.endpoints`.
    pub consul: Option<SocketAddr>,
    /// Where Traefik writes its log.
    pub log_file: PathBuf,
}

/// An entry point as bound for this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPoint {
    pub name: String,
    pub addr: SocketAddr,
    pub udp: bool,
}

/// The generated static configuration.
#[derive(Debug, Clone)]
pub struct GeneratedStatic {
    /// The full static configuration.
    pub config: Value,
    /// Entry points by name (including [`API_ENTRYPOINT`]).
    pub entry_points: BTreeMap<String, EntryPoint>,
}

impl GeneratedStatic {
    /// Builds the configuration, picking free loopback ports for every entry point.
    pub fn generate(spec: &StaticSpec) -> Result<GeneratedStatic> {
        let mut config = json!({
            "entryPoints": {
                "web": {"address": ":80"},
                "websecure": {"address": ":443"},
            },
        });
        if let Some(overlay) = &spec.overlay {
            if !overlay.is_object() && !overlay.is_null() {
                bail!("static.yml must be a mapping, got {overlay}");
            }
            if let Some(eps) = get_ci(overlay, "entryPoints") {
                set_ci(&mut config, "entryPoints", eps.clone());
            }
            let mut rest = overlay.clone();
            remove_ci(&mut rest, "entryPoints");
            merge(&mut config, &rest);
        }

        // Forced settings.
        merge(
            &mut config,
            &json!({
                "global": {"checkNewVersion": false, "sendAnonymousUsage": false},
                "api": {"insecure": true},
                "log": {"level": "DEBUG", "format": "json", "filePath": spec.log_file.to_string_lossy()},
            }),
        );
        remove_ci(&mut config, "accessLog");
        remove_ci(&mut config, "experimental");
        remove_ci(&mut config, "metrics");
        remove_ci(&mut config, "tracing");
        remove_ci(&mut config, "pilot");
        remove_ci(&mut config, "hub");

        let mut entry_points = BTreeMap::new();
        {
            let eps = entry_mut(&mut config, "entryPoints");
            if !eps.is_object() {
                *eps = Value::Object(Map::new());
            }
            if get_ci(eps, API_ENTRYPOINT).is_none() {
                set_ci(eps, API_ENTRYPOINT, json!({}));
            }
            let Value::Object(map) = eps else {
                unreachable!("made an object above")
            };
            for (name, ep) in map.iter_mut() {
                if !ep.is_object() {
                    *ep = json!({});
                }
                let address = get_ci(ep, "address").and_then(Value::as_str).unwrap_or("");
                let udp = address.to_ascii_lowercase().ends_with("/udp");
                let addr = if udp {
                    free_udp_port()?
                } else {
                    free_tcp_port()?
                };
                let text = if udp {
                    format!("{addr}/udp")
                } else {
                    addr.to_string()
                };
                set_ci(ep, "address", Value::String(text));
                entry_points.insert(
                    name.clone(),
                    EntryPoint {
                        name: name.clone(),
                        addr,
                        udp,
                    },
                );
            }
        }

        let providers = entry_mut(&mut config, "providers");
        if !providers.is_object() {
            *providers = Value::Object(Map::new());
        }
        remove_ci(providers, "file");
        if let Some(dir) = &spec.file_directory {
            set_ci(
                providers,
                "file",
                json!({"directory": dir.to_string_lossy(), "watch": true}),
            );
        }
        // The REST provider carries the readiness sentinel (see `crate::traefik`).
        set_ci(providers, "rest", json!({"insecure": true}));
        match spec.consul {
            Some(addr) => {
                let consul = entry_mut(providers, "consul");
                if !consul.is_object() {
                    *consul = Value::Object(Map::new());
                }
                set_ci(consul, "endpoints", json!([addr.to_string()]));
            }
            None => remove_ci(providers, "consul"),
        }
        for other in [
            "docker",
            "swarm",
            "kubernetesCRD",
            "kubernetesIngress",
            "kubernetesGateway",
            "consulCatalog",
            "nomad",
            "ecs",
            "etcd",
            "redis",
            "zooKeeper",
            "http",
        ] {
            remove_ci(providers, other);
        }

        Ok(GeneratedStatic {
            config,
            entry_points,
        })
    }

    /// The address of the API (`traefik` entry point).
    pub fn api_addr(&self) -> SocketAddr {
        self.entry_points
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(API_ENTRYPOINT))
            .map(|(_, ep)| ep.addr)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    /// The static configuration as YAML.
    pub fn to_yaml(&self) -> Result<String> {
        serde_saphyr::to_string(&self.config).context("serialising the static configuration")
    }

    /// Writes the YAML to `path`.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = format!(
            "# Generated by sync-tests for a differential run against real Traefik.\n{}",
            self.to_yaml()?
        );
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }
}

/// Reads a YAML file into a JSON value (static.yml of a scenario).
pub fn read_yaml(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn free_tcp_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free TCP port")?;
    Ok(listener.local_addr()?)
}

fn free_udp_port() -> Result<SocketAddr> {
    let socket = UdpSocket::bind("127.0.0.1:0").context("finding a free UDP port")?;
    Ok(socket.local_addr()?)
}

/// Case-insensitive lookup of a key in a JSON object (Traefik's static keys are case-insensitive).
pub fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn key_ci(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

fn set_ci(value: &mut Value, key: &str, new: Value) {
    if let Value::Object(map) = value {
        let existing = key_ci(map, key).unwrap_or_else(|| key.to_owned());
        map.insert(existing, new);
    }
}

fn remove_ci(value: &mut Value, key: &str) {
    if let Value::Object(map) = value {
        while let Some(existing) = key_ci(map, key) {
            map.remove(&existing);
        }
    }
}

/// The value under `key` (case-insensitive), inserted as `null` if absent.
fn entry_mut<'a>(value: &'a mut Value, key: &str) -> &'a mut Value {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    let Value::Object(map) = value else {
        unreachable!("made an object above")
    };
    let existing = key_ci(map, key).unwrap_or_else(|| key.to_owned());
    map.entry(existing).or_insert(Value::Null)
}

/// Deep merge of `overlay` into `base` (objects merged key by key, case-insensitively;
/// anything else replaced).
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (base @ Value::Object(_), Value::Object(over)) => {
            for (key, value) in over {
                let slot = entry_mut(base, key);
                if slot.is_object() && value.is_object() {
                    merge(slot, value);
                } else {
                    *slot = value.clone();
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bind_loopback_and_force_safety_settings() {
        let spec = StaticSpec {
            overlay: Some(
                json!({"global": {"checkNewVersion": true}, "core": {"defaultRuleSyntax": "v2"}}),
            ),
            file_directory: Some("/tmp/x".into()),
            log_file: "/tmp/t.log".into(),
            ..StaticSpec::default()
        };
        let generated = GeneratedStatic::generate(&spec).unwrap();
        let c = &generated.config;
        assert_eq!(c["global"]["checkNewVersion"], json!(false));
        assert_eq!(c["core"]["defaultRuleSyntax"], json!("v2"));
        assert_eq!(c["providers"]["file"]["directory"], json!("/tmp/x"));
        assert!(c["providers"].get("consul").is_none());
        assert_eq!(c["providers"]["rest"]["insecure"], json!(true));
        let names: Vec<_> = generated.entry_points.keys().cloned().collect();
        assert_eq!(names, ["traefik", "web", "websecure"]);
        for ep in generated.entry_points.values() {
            assert!(ep.addr.ip().is_loopback());
        }
    }

    #[test]
    fn scenario_entrypoints_replace_defaults_and_keep_udp() {
        let spec = StaticSpec {
            overlay: Some(
                json!({"entryPoints": {"dns": {"address": ":53/udp"}, "lan": {"address": ":8000", "asDefault": true}}}),
            ),
            log_file: "/tmp/t.log".into(),
            ..StaticSpec::default()
        };
        let generated = GeneratedStatic::generate(&spec).unwrap();
        let names: Vec<_> = generated.entry_points.keys().cloned().collect();
        assert_eq!(names, ["dns", "lan", "traefik"]);
        assert!(generated.entry_points["dns"].udp);
        assert!(
            generated.config["entryPoints"]["dns"]["address"]
                .as_str()
                .unwrap()
                .ends_with("/udp")
        );
        assert_eq!(
            generated.config["entryPoints"]["lan"]["asDefault"],
            json!(true)
        );
        let yaml = generated.to_yaml().unwrap();
        let back: Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(back, generated.config);
    }
}
