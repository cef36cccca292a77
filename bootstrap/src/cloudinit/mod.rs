//! Per-node cloud-init data for the VMware datasource (guestinfo): metadata with netplan v2 and
//! role-specific user-data.

pub mod kubeadm;
pub mod lb;
pub mod userdata;

use std::io::Write;

use base64::Engine;
use serde_json::json;

use crate::pki::ClusterSecrets;
use crate::plan::{Plan, PlannedVm};
use crate::spec::ClusterSpec;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("YAML serialisation failed: {0}")]
    Yaml(String),
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    #[error("compression failed: {0}")]
    Io(String),
}

impl From<serde_saphyr::ser::Error> for RenderError {
    fn from(e: serde_saphyr::ser::Error) -> Self {
        RenderError::Yaml(e.to_string())
    }
}

impl From<std::io::Error> for RenderError {
    fn from(e: std::io::Error) -> Self {
        RenderError::Io(e.to_string())
    }
}

/// Everything a node needs at first boot.
#[derive(Clone)]
pub struct NodeArtifacts {
    pub vm: PlannedVm,
    pub metadata: String,
    /// `#cloud-config` document; holds secrets.
    pub userdata: String,
    /// kubeadm configuration (Kubernetes nodes); holds the token.
    pub kubeadm: Option<String>,
    pub haproxy_cfg: Option<String>,
    pub keepalived_conf: Option<String>,
}

impl std::fmt::Debug for NodeArtifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeArtifacts")
            .field("vm", &self.vm.name)
            .field("userdata", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl NodeArtifacts {
    /// extraConfig entries for the VMware datasource.
    pub fn guestinfo(&self) -> Result<Vec<(String, String)>, RenderError> {
        Ok(vec![
            ("guestinfo.metadata".into(), gzip_base64(&self.metadata)?),
            ("guestinfo.metadata.encoding".into(), "gzip+base64".into()),
            ("guestinfo.userdata".into(), gzip_base64(&self.userdata)?),
            ("guestinfo.userdata.encoding".into(), "gzip+base64".into()),
        ])
    }
}

pub fn gzip_base64(text: &str) -> Result<String, std::io::Error> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(text.as_bytes())?;
    let gz = enc.finish()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(gz))
}

/// Metadata for the VMware datasource: identity, netplan v2 (matched by the planned MAC) and
/// `redact` so cloud-init overwrites the user-data key after reading it.
pub fn metadata(spec: &ClusterSpec, plan: &Plan, vm: &PlannedVm) -> Result<String, RenderError> {
    let mut eth = json!({
        "match": {"macaddress": vm.mac.to_string()},
        "set-name": spec.network.interface,
        "addresses": [format!("{}/{}", vm.ip, plan.net.prefix_len())],
        "routes": [{"to": "0.0.0.0/0", "via": spec.network.gateway.to_string()}],
    });
    if !spec.network.dns.is_empty() || !spec.network.search_domains.is_empty() {
        eth["nameservers"] = json!({
            "addresses": spec.network.dns.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "search": spec.network.search_domains,
        });
    }
    let md = json!({
        "instance-id": vm.name,
        "local-hostname": vm.name,
        "wait-on-network": {"ipv4": true},
        "redact": ["userdata"],
        "network": {
            "version": 2,
            "ethernets": {"nic0": eth},
        },
    });
    Ok(serde_saphyr::to_string(&md)?)
}

/// Renders every node's artifacts.
pub fn render_all(
    spec: &ClusterSpec,
    plan: &Plan,
    secrets: &ClusterSecrets,
) -> Result<Vec<NodeArtifacts>, RenderError> {
    let hash = secrets.discovery_hash()?;
    let input = kubeadm::KubeadmInput {
        spec,
        plan,
        token: secrets.token.secret_value(),
        discovery_hash: &hash,
    };
    let haproxy = lb::haproxy_cfg(spec, plan);
    plan.vms
        .iter()
        .map(|vm| {
            let (kubeadm, haproxy_cfg, keepalived_conf) = match vm.role {
                crate::plan::Role::LoadBalancer => (
                    None,
                    Some(haproxy.clone()),
                    Some(lb::keepalived_conf(spec, plan, vm)),
                ),
                _ => (Some(kubeadm::render(&input, vm)?), None, None),
            };
            let mut a = NodeArtifacts {
                vm: vm.clone(),
                metadata: metadata(spec, plan, vm)?,
                userdata: String::new(),
                kubeadm,
                haproxy_cfg,
                keepalived_conf,
            };
            a.userdata = userdata::render(spec, plan, secrets, &a)?;
            Ok(a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::example;
    use std::io::Read;

    #[test]
    fn metadata_has_netplan_v2_matched_by_mac() {
        let spec = example();
        let plan = crate::plan::build(&spec).unwrap();
        let vm = &plan.vms[2];
        let md = metadata(&spec, &plan, vm).unwrap();
        assert!(!md.starts_with("#cloud-config"));
        let v: serde_json::Value = serde_saphyr::from_str(&md).unwrap();
        assert_eq!(v["network"]["version"], 2);
        let eth = &v["network"]["ethernets"]["nic0"];
        assert_eq!(eth["match"]["macaddress"], vm.mac.to_string());
        assert_eq!(eth["addresses"][0], "192.168.10.13/24");
        assert_eq!(eth["routes"][0]["via"], "192.168.10.1");
        assert_eq!(eth["set-name"], "ens192");
        assert_eq!(v["redact"][0], "userdata");
    }

    #[test]
    fn guestinfo_round_trips_gzip_base64() {
        let text = "#cloud-config\nhostname: x\n";
        let enc = gzip_base64(text).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(enc)
            .unwrap();
        let mut out = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }
}
