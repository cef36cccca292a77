//! The plan: which VM goes on which host, with which address, MAC and size. Pure; no I/O.
//!
//! Placement is round-robin per role across the hosts in `cluster.yaml` order, so with the
//! lab's two hosts: one HAProxy VM per host, control-plane nodes 2+1, workers 1+1.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use sha2::{Digest, Sha256};

use crate::spec::{ClusterSpec, RoleSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    LoadBalancer,
    ControlPlane,
    Worker,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::LoadBalancer => "load-balancer",
            Role::ControlPlane => "control-plane",
            Role::Worker => "worker",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        [Role::LoadBalancer, Role::ControlPlane, Role::Worker]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
    fn short(self) -> &'static str {
        match self {
            Role::LoadBalancer => "lb",
            Role::ControlPlane => "cp",
            Role::Worker => "worker",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A MAC address in VMware's manual range 00:50:56:00:00:00 - 00:50:56:3F:FF:FF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub fn in_vmware_manual_range(&self) -> bool {
        self.0[..3] == [0x00, 0x50, 0x56] && self.0[3] <= 0x3f
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedVm {
    pub name: String,
    pub role: Role,
    /// 1-based index within the role.
    pub index: usize,
    /// Index into `spec.hosts`.
    pub host: usize,
    pub ip: Ipv4Addr,
    pub mac: Mac,
    pub cpus: u32,
    pub memory_mb: u32,
    pub disk_gb: u32,
}

impl PlannedVm {
    /// The first control-plane node runs `kubeadm init`; all others join.
    pub fn is_init_node(&self) -> bool {
        self.role == Role::ControlPlane && self.index == 1
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub cluster: String,
    pub vms: Vec<PlannedVm>,
    pub net: Ipv4Net,
    pub vip: Ipv4Addr,
    pub vrrp_router_id: u8,
    /// Name of the per-host helper VM that owns the imported base disk.
    pub image_vm_name: String,
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn api_endpoint(&self) -> String {
        format!("{}:6443", self.vip)
    }
    pub fn by_role(&self, role: Role) -> impl Iterator<Item = &PlannedVm> {
        self.vms.iter().filter(move |v| v.role == role)
    }
    pub fn on_host(&self, host: usize) -> impl Iterator<Item = &PlannedVm> {
        self.vms.iter().filter(move |v| v.host == host)
    }
}

/// Builds the plan; `Err` lists every problem (spec problems included).
pub fn build(spec: &ClusterSpec) -> Result<Plan, Vec<String>> {
    let mut problems = spec.problems(false);
    let Ok(net) = spec.network.cidr.parse::<Ipv4Net>() else {
        return Err(problems);
    };
    if spec.hosts.is_empty() {
        return Err(problems);
    }
    let roles = [
        (Role::LoadBalancer, &spec.nodes.load_balancers),
        (Role::ControlPlane, &spec.nodes.control_planes),
        (Role::Worker, &spec.nodes.workers),
    ];
    let ips = allocate_ips(spec, net, &roles, &mut problems);
    let mac_seed = Sha256::digest(spec.name.as_bytes());
    let mut vms = Vec::new();
    let mut seq = 0usize;
    for (role, r) in roles {
        for i in 0..r.count {
            seq += 1;
            let Some(ip) = ips.get(&(role, i)).copied() else {
                continue;
            };
            if seq > 250 {
                problems.push("too many VMs for one cluster (at most 250)".into());
                break;
            }
            vms.push(PlannedVm {
                name: format!("{}-{}-{}", spec.name, role.short(), i + 1),
                role,
                index: i + 1,
                host: i % spec.hosts.len(),
                ip,
                mac: Mac([
                    0x00,
                    0x50,
                    0x56,
                    mac_seed[0] & 0x3f,
                    mac_seed[1],
                    u8::try_from(seq).unwrap_or(u8::MAX),
                ]),
                cpus: r.cpus,
                memory_mb: r.memory_mb,
                disk_gb: r.disk_gb,
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let vrrp_router_id = spec.network.vrrp_router_id.unwrap_or(1 + mac_seed[2] % 254);
    let warnings = warnings(spec, &vms);
    Ok(Plan {
        cluster: spec.name.clone(),
        vms,
        net,
        vip: spec.network.vip,
        vrrp_router_id,
        image_vm_name: format!("{}-base-{}", spec.name, release_name(spec)),
        warnings,
    })
}

fn release_name(spec: &ClusterSpec) -> &'static str {
    match spec.os.release {
        crate::spec::UbuntuRelease::Focal => "focal",
        crate::spec::UbuntuRelease::Jammy => "jammy",
        crate::spec::UbuntuRelease::Noble => "noble",
    }
}

fn allocate_ips(
    spec: &ClusterSpec,
    net: Ipv4Net,
    roles: &[(Role, &RoleSpec)],
    problems: &mut Vec<String>,
) -> BTreeMap<(Role, usize), Ipv4Addr> {
    let reserved: BTreeMap<Ipv4Addr, String> = [
        (spec.network.gateway, "the gateway".to_string()),
        (spec.network.vip, "the virtual IP".to_string()),
    ]
    .into_iter()
    .collect();
    let mut owners: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
    let mut out = BTreeMap::new();
    // Explicit addresses first, so automatic allocation skips them.
    for (role, r) in roles {
        for (i, ip) in r.ips.iter().enumerate() {
            let who = format!("{}-{}-{}", spec.name, role.short(), i + 1);
            if !net.contains(ip) || *ip == net.network() || *ip == net.broadcast() {
                problems.push(format!("{who}: address {ip} is not usable in {net}"));
            }
            if let Some(what) = reserved.get(ip) {
                problems.push(format!("{who}: address {ip} overlaps {what}"));
            }
            if let Some(other) = owners.insert(*ip, who.clone()) {
                problems.push(format!("{who}: address {ip} overlaps {other}"));
            }
            out.insert((*role, i), *ip);
        }
    }
    let explicit: BTreeSet<Ipv4Addr> = owners.keys().copied().collect();
    let mut next = spec
        .network
        .first_ip
        .map(u32::from)
        .unwrap_or(u32::from(net.network()) + 1);
    for (role, r) in roles {
        if !r.ips.is_empty() {
            continue;
        }
        for i in 0..r.count {
            let who = format!("{}-{}-{}", spec.name, role.short(), i + 1);
            loop {
                let ip = Ipv4Addr::from(next);
                if !net.contains(&ip) || ip == net.broadcast() {
                    problems.push(format!(
                        "{who}: no address left in {net} after {}",
                        Ipv4Addr::from(next.saturating_sub(1))
                    ));
                    return out;
                }
                next += 1;
                if reserved.contains_key(&ip) || explicit.contains(&ip) || ip == net.network() {
                    continue;
                }
                owners.insert(ip, who.clone());
                out.insert((*role, i), ip);
                break;
            }
        }
    }
    out
}

fn warnings(spec: &ClusterSpec, vms: &[PlannedVm]) -> Vec<String> {
    let mut w = Vec::new();
    let cps: Vec<&PlannedVm> = vms
        .iter()
        .filter(|v| v.role == Role::ControlPlane)
        .collect();
    let quorum = cps.len() / 2 + 1;
    for (h, host) in spec.hosts.iter().enumerate() {
        let here: Vec<&str> = cps
            .iter()
            .filter(|v| v.host == h)
            .map(|v| v.name.as_str())
            .collect();
        if !here.is_empty() && cps.len() - here.len() < quorum {
            w.push(format!(
                "{} carries {} of {} etcd members ({}): if {} fails, etcd loses quorum and the \
                 API stops. With two ESXi hosts no placement avoids this; HA here covers the \
                 failure of a VM or of the other host only.",
                host.name,
                here.len(),
                cps.len(),
                here.join(", "),
                host.name
            ));
        }
    }
    if spec.nodes.load_balancers.count == 1 {
        w.push("one HAProxy VM: the API endpoint has a single point of failure".into());
    }
    if spec.cgroup_v1_trap() {
        let how = match spec.kubernetes.cgroup_v1 {
            crate::spec::CgroupV1Policy::SwitchToV2 => {
                "nodes switch to cgroup v2 (kernel argument systemd.unified_cgroup_hierarchy=1) \
                 and reboot once before kubeadm runs"
            }
            crate::spec::CgroupV1Policy::AllowV1 => {
                "kubelet gets failCgroupV1: false (cgroup v1 is deprecated; expect this to stop \
                 working in a later release)"
            }
        };
        w.push(format!(
            "Ubuntu 20.04 boots cgroup v1 and kubelet {} refuses cgroup v1 by default: {how}",
            spec.kube_version()
                .map(|v| v.to_string())
                .unwrap_or_default()
        ));
    }
    if spec.os.release == crate::spec::UbuntuRelease::Focal {
        w.push("Ubuntu 20.04 left standard support in May 2025 (ESM only)".into());
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::example;

    #[test]
    fn lab_placement_ips_and_macs() {
        let plan = build(&example()).unwrap();
        let names: Vec<(&str, usize, String)> = plan
            .vms
            .iter()
            .map(|v| (v.name.as_str(), v.host, v.ip.to_string()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("lab-lb-1", 0, "192.168.10.11".into()),
                ("lab-lb-2", 1, "192.168.10.12".into()),
                ("lab-cp-1", 0, "192.168.10.13".into()),
                ("lab-cp-2", 1, "192.168.10.14".into()),
                ("lab-cp-3", 0, "192.168.10.15".into()),
                ("lab-worker-1", 0, "192.168.10.16".into()),
                ("lab-worker-2", 1, "192.168.10.17".into()),
            ]
        );
        let macs: BTreeSet<Mac> = plan.vms.iter().map(|v| v.mac).collect();
        assert_eq!(macs.len(), 7);
        assert!(plan.vms.iter().all(|v| v.mac.in_vmware_manual_range()));
        assert!(plan.vms[0].mac.to_string().starts_with("00:50:56:"));
        assert!(
            plan.warnings[0].contains("esxi-a carries 2 of 3 etcd members (lab-cp-1, lab-cp-3)")
        );
        assert!(plan.warnings.iter().any(|w| w.contains("cgroup v1")));
        assert_eq!(plan.api_endpoint(), "192.168.10.10:6443");
        assert!(plan.vms[2].is_init_node());
    }

    #[test]
    fn plan_is_deterministic() {
        let a = build(&example()).unwrap();
        let b = build(&example()).unwrap();
        assert_eq!(a.vms, b.vms);
        assert_eq!(a.vrrp_router_id, b.vrrp_router_id);
    }

    #[test]
    fn allocation_skips_gateway_vip_and_explicit() {
        let mut spec = example();
        spec.network.first_ip = Some("192.168.10.9".parse().unwrap());
        spec.nodes.workers.ips = vec![
            "192.168.10.11".parse().unwrap(),
            "192.168.10.200".parse().unwrap(),
        ];
        let plan = build(&spec).unwrap();
        let ips: Vec<String> = plan.vms.iter().map(|v| v.ip.to_string()).collect();
        assert_eq!(
            ips,
            [
                "192.168.10.9",
                "192.168.10.12",
                "192.168.10.13",
                "192.168.10.14",
                "192.168.10.15",
                "192.168.10.11",
                "192.168.10.200"
            ]
        );
    }

    #[test]
    fn overlaps_and_exhaustion_are_all_listed() {
        let mut spec = example();
        spec.nodes.workers.ips = vec![
            "192.168.10.10".parse().unwrap(),
            "192.168.10.10".parse().unwrap(),
        ];
        spec.nodes.load_balancers.ips =
            vec!["10.0.0.1".parse().unwrap(), "192.168.10.1".parse().unwrap()];
        let p = build(&spec).unwrap_err();
        assert!(
            p.iter()
                .any(|m| m == "lab-worker-1: address 192.168.10.10 overlaps the virtual IP"),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|m| m == "lab-worker-2: address 192.168.10.10 overlaps lab-worker-1"),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|m| m == "lab-lb-1: address 10.0.0.1 is not usable in 192.168.10.0/24"),
            "{p:#?}"
        );
        assert!(
            p.iter()
                .any(|m| m == "lab-lb-2: address 192.168.10.1 overlaps the gateway"),
            "{p:#?}"
        );

        let mut spec = example();
        spec.network.first_ip = Some("192.168.10.250".parse().unwrap());
        let p = build(&spec).unwrap_err();
        assert!(
            p.iter()
                .any(|m| m.contains("no address left in 192.168.10.0/24")),
            "{p:#?}"
        );
    }

    #[test]
    fn single_host_and_three_hosts() {
        let mut spec = example();
        spec.hosts.truncate(1);
        let plan = build(&spec).unwrap();
        assert!(plan.vms.iter().all(|v| v.host == 0));
        assert!(plan.warnings[0].contains("carries 3 of 3"));
        let mut spec = example();
        let mut third = spec.hosts[1].clone();
        third.name = "esxi-c".into();
        spec.hosts.push(third);
        let plan = build(&spec).unwrap();
        assert!(!plan.warnings.iter().any(|w| w.contains("etcd")));
    }
}
