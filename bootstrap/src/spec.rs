//! `cluster.yaml`: the one input of every subcommand, and its offline validation.
//!
//! Validation collects *every* problem (never stops at the first) so `plan` can list them all
//! before anything is created. Checks that need the ESXi hosts (datastore and port group names)
//! live in [`crate::preflight`].

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use serde::Deserialize;

/// Errors reading or validating a cluster spec.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path} has {} problem(s):\n{}", problems.len(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Cluster name; prefixes every VM name and marks ownership.
    pub name: String,
    #[serde(default)]
    pub os: OsSpec,
    pub kubernetes: KubernetesSpec,
    pub network: NetworkSpec,
    pub hosts: Vec<HostSpec>,
    pub nodes: NodesSpec,
    #[serde(default)]
    pub ssh_authorized_keys: Vec<String>,
    #[serde(default)]
    pub traefik: TraefikSpec,
    #[serde(default)]
    pub haproxy_sync: HaproxySyncSpec,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UbuntuRelease {
    /// Ubuntu 20.04 LTS (the lab's OS; cgroup v1 by default).
    Focal,
    /// Ubuntu 22.04 LTS.
    Jammy,
    /// Ubuntu 24.04 LTS.
    Noble,
}

impl UbuntuRelease {
    pub fn version(self) -> &'static str {
        match self {
            UbuntuRelease::Focal => "20.04",
            UbuntuRelease::Jammy => "22.04",
            UbuntuRelease::Noble => "24.04",
        }
    }
    /// Whether the release boots the legacy (hybrid) cgroup v1 hierarchy by default.
    pub fn boots_cgroup_v1(self) -> bool {
        matches!(self, UbuntuRelease::Focal)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsSpec {
    #[serde(default = "default_release")]
    pub release: UbuntuRelease,
    /// Local path of the base image: an OVA (the stream-optimised VMDK inside is used) or a
    /// stream-optimised VMDK. Relative paths are relative to cluster.yaml.
    #[serde(default)]
    pub image: Option<PathBuf>,
}

impl Default for OsSpec {
    fn default() -> Self {
        OsSpec {
            release: default_release(),
            image: None,
        }
    }
}

fn default_release() -> UbuntuRelease {
    UbuntuRelease::Focal
}

/// What to do when the OS boots cgroup v1 and Kubernetes is 1.35 or newer.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CgroupV1Policy {
    /// Add `systemd.unified_cgroup_hierarchy=1` to the kernel command line and reboot once
    /// before kubeadm runs (recommended).
    #[default]
    SwitchToV2,
    /// Keep cgroup v1 and set `failCgroupV1: false` in the KubeletConfiguration.
    AllowV1,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSpec {
    /// Full version, e.g. `1.35.0` (a leading `v` is accepted).
    pub version: String,
    #[serde(default = "default_pod_subnet")]
    pub pod_subnet: String,
    #[serde(default = "default_service_subnet")]
    pub service_subnet: String,
    /// CNI manifest applied by the first control-plane node after `kubeadm init`.
    #[serde(default = "default_cni")]
    pub cni_manifest: String,
    #[serde(default)]
    pub cgroup_v1: CgroupV1Policy,
}

fn default_pod_subnet() -> String {
    "10.244.0.0/16".into()
}
fn default_service_subnet() -> String {
    "10.96.0.0/12".into()
}
fn default_cni() -> String {
    "https://github.com/flannel-io/flannel/releases/download/v0.27.4/kube-flannel.yml".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    pub cidr: String,
    pub gateway: Ipv4Addr,
    #[serde(default)]
    pub dns: Vec<Ipv4Addr>,
    #[serde(default)]
    pub search_domains: Vec<String>,
    /// Virtual IP held by keepalived on the load balancers; the API endpoint is `vip:6443`.
    pub vip: Ipv4Addr,
    /// First address handed out, in order load balancers, control planes, workers (the gateway
    /// and the VIP are skipped). Per-role `ips` override it.
    #[serde(default)]
    pub first_ip: Option<Ipv4Addr>,
    /// Guest interface name set through netplan (`ens192` is vmxnet3's name on Ubuntu).
    #[serde(default = "default_interface")]
    pub interface: String,
    /// VRRP virtual router id (1-255); derived from the cluster name when absent.
    #[serde(default)]
    pub vrrp_router_id: Option<u8>,
}

fn default_interface() -> String {
    "ens192".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// Short name used in VM placement and output.
    pub name: String,
    /// `https://esxi-a.lab` (the `/sdk` path is added when missing).
    pub url: String,
    pub datastore: String,
    pub port_group: String,
    #[serde(default = "default_user")]
    pub username: String,
    /// File holding the password (first line). Preferred.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Environment variable holding the password; `BOOTSTRAP_ESXI_PASSWORD` when neither is set.
    #[serde(default)]
    pub password_env: Option<String>,
    /// PEM file with the CA (or the self-signed certificate) of the host.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// SHA-256 fingerprint of the host's certificate (hex, colons optional), pinned instead of
    /// a CA: suits ESXi's self-signed certificates. `openssl x509 -noout -fingerprint -sha256`.
    #[serde(default)]
    pub thumbprint_sha256: Option<String>,
    /// Skip TLS verification (lab only; a warning is printed).
    #[serde(default)]
    pub insecure: bool,
}

/// Parses a SHA-256 fingerprint written as hex, with or without colons.
pub fn parse_thumbprint(s: &str) -> Option<Vec<u8>> {
    let hex: String = s.chars().filter(|c| *c != ':').collect();
    if hex.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

fn default_user() -> String {
    "root".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodesSpec {
    pub load_balancers: RoleSpec,
    pub control_planes: RoleSpec,
    pub workers: RoleSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub count: usize,
    pub cpus: u32,
    pub memory_mb: u32,
    pub disk_gb: u32,
    /// Explicit addresses (must match `count`); otherwise allocated from `network.first_ip`.
    #[serde(default)]
    pub ips: Vec<Ipv4Addr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraefikSpec {
    /// NodePort (or hostPort) of Traefik's `web` entrypoint on the workers.
    #[serde(default = "default_web")]
    pub web_port: u16,
    #[serde(default = "default_websecure")]
    pub websecure_port: u16,
}

fn default_web() -> u16 {
    30080
}
fn default_websecure() -> u16 {
    30443
}

impl Default for TraefikSpec {
    fn default() -> Self {
        TraefikSpec {
            web_port: default_web(),
            websecure_port: default_websecure(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaproxySyncSpec {
    /// Where the LB VMs download the `haproxy-sync` binary from; without it the unit is
    /// written but not started.
    #[serde(default)]
    pub binary_url: Option<String>,
}

/// A parsed Kubernetes version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KubeVersion {
    pub fn parse(s: &str) -> Option<KubeVersion> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut it = s.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        let patch = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Some(KubeVersion {
            major,
            minor,
            patch,
        })
    }
}

impl std::fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl ClusterSpec {
    /// Reads and parses `path`; relative image paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<ClusterSpec, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|error| SpecError::Read {
            path: path.to_owned(),
            error,
        })?;
        let mut spec = ClusterSpec::parse(&text).map_err(|message| SpecError::Parse {
            path: path.to_owned(),
            message,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(img) = &spec.os.image
            && img.is_relative()
        {
            spec.os.image = Some(base.join(img));
        }
        for h in &mut spec.hosts {
            for p in [&mut h.password_file, &mut h.ca_file].into_iter().flatten() {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
        }
        Ok(spec)
    }

    pub fn parse(text: &str) -> Result<ClusterSpec, String> {
        serde_saphyr::from_str(text).map_err(|e| e.to_string())
    }

    pub fn kube_version(&self) -> Option<KubeVersion> {
        KubeVersion::parse(&self.kubernetes.version)
    }

    /// Whether kubelet would refuse to start: cgroup v1 OS and Kubernetes 1.35 or newer.
    pub fn cgroup_v1_trap(&self) -> bool {
        self.os.release.boots_cgroup_v1()
            && self
                .kube_version()
                .is_some_and(|v| v.major > 1 || v.minor >= 35)
    }

    /// Offline checks. `check_files` also requires the image and password files to exist.
    pub fn problems(&self, check_files: bool) -> Vec<String> {
        let mut p = Vec::new();
        if !is_dns_label(&self.name) || self.name.len() > 40 {
            p.push(format!(
                "name {:?}: must be a lowercase DNS label of at most 40 characters",
                self.name
            ));
        }
        match self.kube_version() {
            None => p.push(format!(
                "kubernetes.version {:?}: expected MAJOR.MINOR.PATCH such as 1.35.0",
                self.kubernetes.version
            )),
            Some(v) if v.major != 1 || v.minor < 31 => p.push(format!(
                "kubernetes.version {v}: kubeadm v1beta4 configuration needs Kubernetes 1.31 or newer"
            )),
            Some(_) => {}
        }
        for (field, value) in [
            ("kubernetes.pod_subnet", &self.kubernetes.pod_subnet),
            ("kubernetes.service_subnet", &self.kubernetes.service_subnet),
        ] {
            if value.parse::<Ipv4Net>().is_err() {
                p.push(format!("{field} {value:?}: not an IPv4 CIDR"));
            }
        }
        self.network_problems(&mut p);
        self.host_problems(check_files, &mut p);
        self.node_problems(&mut p);
        if self.ssh_authorized_keys.is_empty() {
            p.push(
                "ssh_authorized_keys: at least one public key is needed to reach the VMs".into(),
            );
        }
        for (i, k) in self.ssh_authorized_keys.iter().enumerate() {
            if !(k.starts_with("ssh-") || k.starts_with("ecdsa-") || k.starts_with("sk-")) {
                p.push(format!(
                    "ssh_authorized_keys[{i}]: does not look like an OpenSSH public key"
                ));
            }
        }
        match &self.os.image {
            None => p.push(
                "os.image: missing (path of the Ubuntu cloud image OVA or stream-optimised VMDK)"
                    .into(),
            ),
            Some(img) if check_files && !img.is_file() => {
                p.push(format!("os.image {}: file not found", img.display()))
            }
            Some(_) => {}
        }
        if self.traefik.web_port == 0
            || self.traefik.websecure_port == 0
            || self.traefik.web_port == self.traefik.websecure_port
        {
            p.push(
                "traefik: web_port and websecure_port must be two different non-zero ports".into(),
            );
        }
        p
    }

    fn network_problems(&self, p: &mut Vec<String>) {
        let net: Ipv4Net = match self.network.cidr.parse() {
            Ok(n) => n,
            Err(_) => {
                p.push(format!(
                    "network.cidr {:?}: not an IPv4 CIDR such as 192.168.10.0/24",
                    self.network.cidr
                ));
                return;
            }
        };
        if net.prefix_len() > 29 {
            p.push(format!("network.cidr {net}: too small for a cluster"));
        }
        let usable =
            |ip: Ipv4Addr| net.contains(&ip) && ip != net.network() && ip != net.broadcast();
        if !usable(self.network.gateway) {
            p.push(format!(
                "network.gateway {}: not a usable address in {net}",
                self.network.gateway
            ));
        }
        if !usable(self.network.vip) {
            p.push(format!(
                "network.vip {}: outside the subnet {net} (or its network/broadcast address)",
                self.network.vip
            ));
        }
        if self.network.vip == self.network.gateway {
            p.push(format!(
                "network.vip {}: same as the gateway",
                self.network.vip
            ));
        }
        if let Some(first) = self.network.first_ip
            && !usable(first)
        {
            p.push(format!(
                "network.first_ip {first}: not a usable address in {net}"
            ));
        }
        if self.network.vrrp_router_id == Some(0) {
            p.push("network.vrrp_router_id: must be 1-255".into());
        }
        if self.network.interface.is_empty() || self.network.interface.len() > 15 {
            p.push("network.interface: must be a Linux interface name (1-15 characters)".into());
        }
    }

    fn host_problems(&self, check_files: bool, p: &mut Vec<String>) {
        if self.hosts.is_empty() {
            p.push("hosts: at least one ESXi host is needed".into());
        }
        let mut seen = BTreeSet::new();
        for (i, h) in self.hosts.iter().enumerate() {
            let at = format!("hosts[{i}] ({})", h.name);
            if !seen.insert(h.name.clone()) {
                p.push(format!("{at}: duplicate host name"));
            }
            if !is_dns_label(&h.name) {
                p.push(format!("{at}: name must be a lowercase DNS label"));
            }
            match reqwest::Url::parse(&h.url) {
                Ok(u) if u.scheme() == "https" || u.scheme() == "http" => {}
                _ => p.push(format!("{at}: url {:?} is not an http(s) URL", h.url)),
            }
            if h.datastore.is_empty() {
                p.push(format!("{at}: datastore is empty"));
            }
            if h.port_group.is_empty() {
                p.push(format!("{at}: port_group is empty"));
            }
            if let Some(t) = &h.thumbprint_sha256
                && parse_thumbprint(t).is_none()
            {
                p.push(format!("{at}: thumbprint_sha256 is not 32 hex bytes"));
            }
            if [
                h.ca_file.is_some(),
                h.thumbprint_sha256.is_some(),
                h.insecure,
            ]
            .iter()
            .filter(|b| **b)
            .count()
                > 1
            {
                p.push(format!(
                    "{at}: give one of ca_file, thumbprint_sha256 and insecure"
                ));
            }
            if h.password_file.is_some() && h.password_env.is_some() {
                p.push(format!(
                    "{at}: give password_file or password_env, not both"
                ));
            }
            if check_files {
                if let Some(f) = &h.password_file
                    && !f.is_file()
                {
                    p.push(format!("{at}: password_file {} not found", f.display()));
                }
                if let Some(f) = &h.ca_file
                    && !f.is_file()
                {
                    p.push(format!("{at}: ca_file {} not found", f.display()));
                }
            }
        }
        if self.hosts.len() > 2 {
            // Supported, but the lab is two hosts; nothing to report.
        }
    }

    fn node_problems(&self, p: &mut Vec<String>) {
        let n = &self.nodes;
        if n.control_planes.count < 3 {
            p.push(format!(
                "nodes.control_planes.count {}: an HA control plane needs at least 3 nodes (stacked etcd quorum)",
                n.control_planes.count
            ));
        } else if n.control_planes.count.is_multiple_of(2) {
            p.push(format!(
                "nodes.control_planes.count {}: use an odd number (etcd quorum)",
                n.control_planes.count
            ));
        }
        if !(1..=2).contains(&n.load_balancers.count) {
            p.push(format!(
                "nodes.load_balancers.count {}: 1 or 2 HAProxy VMs (one per ESXi host)",
                n.load_balancers.count
            ));
        }
        for (role, r, min_cpu, min_mem) in [
            ("load_balancers", &n.load_balancers, 1, 512),
            ("control_planes", &n.control_planes, 2, 2048),
            ("workers", &n.workers, 1, 1024),
        ] {
            if r.cpus < min_cpu {
                p.push(format!("nodes.{role}.cpus {}: at least {min_cpu}", r.cpus));
            }
            if r.memory_mb < min_mem {
                p.push(format!(
                    "nodes.{role}.memory_mb {}: at least {min_mem}",
                    r.memory_mb
                ));
            }
            if !r.memory_mb.is_multiple_of(4) {
                p.push(format!(
                    "nodes.{role}.memory_mb {}: ESXi needs a multiple of 4",
                    r.memory_mb
                ));
            }
            if r.disk_gb < 10 {
                p.push(format!("nodes.{role}.disk_gb {}: at least 10", r.disk_gb));
            }
            if !r.ips.is_empty() && r.ips.len() != r.count {
                p.push(format!(
                    "nodes.{role}.ips: {} address(es) for count {}",
                    r.ips.len(),
                    r.count
                ));
            }
        }
        if self.nodes.workers.count == 0 {
            p.push("nodes.workers.count: at least one worker runs Traefik".into());
        }
    }
}

/// RFC 1123 label, lowercase.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const EXAMPLE: &str = include_str!("../../examples/cluster.yaml");

    pub fn example() -> ClusterSpec {
        ClusterSpec::parse(EXAMPLE).expect("example parses")
    }

    #[test]
    fn example_is_valid_offline() {
        let spec = example();
        assert_eq!(spec.problems(false), Vec::<String>::new());
        assert!(spec.cgroup_v1_trap());
    }

    #[test]
    fn unknown_field_is_reported_with_location() {
        let text = EXAMPLE.replace("  pod_subnet:", "  pod_subnett:");
        let err = ClusterSpec::parse(&text).unwrap_err();
        assert!(err.contains("pod_subnett"), "{err}");
    }

    #[test]
    fn every_problem_is_listed() {
        let mut spec = example();
        spec.network.vip = "10.9.9.9".parse().unwrap();
        spec.nodes.control_planes.count = 2;
        spec.kubernetes.version = "latest".into();
        spec.hosts[1].name = spec.hosts[0].name.clone();
        let p = spec.problems(false);
        assert!(
            p.iter()
                .any(|m| m.contains("network.vip 10.9.9.9: outside the subnet")),
            "{p:?}"
        );
        assert!(p.iter().any(|m| m.contains("at least 3 nodes")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("kubernetes.version")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("duplicate host name")), "{p:?}");
        assert_eq!(p.len(), 4, "{p:?}");
    }

    #[test]
    fn missing_image_file_is_reported() {
        let mut spec = example();
        spec.os.image = Some("/nonexistent/focal.ova".into());
        let p = spec.problems(true);
        assert!(
            p.iter()
                .any(|m| m.contains("os.image /nonexistent/focal.ova: file not found")),
            "{p:?}"
        );
    }

    #[test]
    fn version_parsing() {
        assert_eq!(
            KubeVersion::parse("v1.35.2"),
            Some(KubeVersion {
                major: 1,
                minor: 35,
                patch: 2
            })
        );
        assert_eq!(KubeVersion::parse("1.35"), None);
        let mut spec = example();
        spec.kubernetes.version = "1.34.3".into();
        assert!(!spec.cgroup_v1_trap());
        spec.kubernetes.version = "1.35.0".into();
        spec.os.release = UbuntuRelease::Jammy;
        assert!(!spec.cgroup_v1_trap());
    }
}
