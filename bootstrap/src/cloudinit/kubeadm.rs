//! kubeadm v1beta4 configuration (InitConfiguration + ClusterConfiguration + KubeletConfiguration
//! for the first control-plane node, JoinConfiguration for the others).

use serde_json::{Value, json};

use crate::plan::{Plan, PlannedVm, Role};
use crate::spec::{CgroupV1Policy, ClusterSpec};

pub const API_VERSION: &str = "kubeadm.k8s.io/v1beta4";
pub const CRI_SOCKET: &str = "unix:///var/run/containerd/containerd.sock";

/// Input shared by all nodes.
pub struct KubeadmInput<'a> {
    pub spec: &'a ClusterSpec,
    pub plan: &'a Plan,
    pub token: &'a str,
    pub discovery_hash: &'a str,
}

fn node_registration(vm: &PlannedVm) -> Value {
    json!({
        "name": vm.name,
        "criSocket": CRI_SOCKET,
        "kubeletExtraArgs": [{"name": "node-ip", "value": vm.ip.to_string()}],
    })
}

fn kubelet_configuration(spec: &ClusterSpec) -> Value {
    let mut k = json!({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "systemd",
    });
    if spec.cgroup_v1_trap() && spec.kubernetes.cgroup_v1 == CgroupV1Policy::AllowV1 {
        k["failCgroupV1"] = json!(false);
    }
    k
}

/// The documents for `vm`, in order (a multi-document YAML file).
pub fn documents(input: &KubeadmInput<'_>, vm: &PlannedVm) -> Vec<Value> {
    let spec = input.spec;
    let plan = input.plan;
    let version = spec
        .kube_version()
        .map(|v| v.to_string())
        .unwrap_or_default();
    if vm.is_init_node() {
        let init = json!({
            "apiVersion": API_VERSION,
            "kind": "InitConfiguration",
            "bootstrapTokens": [{
                "token": input.token,
                "description": "bootstrap: joins the cluster's other nodes at first boot",
                "ttl": "24h0m0s",
                "groups": ["system:bootstrappers:kubeadm:default-node-token"],
                "usages": ["signing", "authentication"],
            }],
            "localAPIEndpoint": {"advertiseAddress": vm.ip.to_string(), "bindPort": 6443},
            "nodeRegistration": node_registration(vm),
        });
        let mut sans: Vec<String> = vec![plan.vip.to_string()];
        sans.extend(plan.by_role(Role::ControlPlane).map(|v| v.ip.to_string()));
        sans.extend(plan.by_role(Role::ControlPlane).map(|v| v.name.clone()));
        let cluster = json!({
            "apiVersion": API_VERSION,
            "kind": "ClusterConfiguration",
            "clusterName": spec.name,
            "kubernetesVersion": version,
            "controlPlaneEndpoint": plan.api_endpoint(),
            "certificatesDir": "/etc/kubernetes/pki",
            "encryptionAlgorithm": "ECDSA-P256",
            "networking": {
                "podSubnet": spec.kubernetes.pod_subnet,
                "serviceSubnet": spec.kubernetes.service_subnet,
                "dnsDomain": "cluster.local",
            },
            "apiServer": {"certSANs": sans},
            "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
        });
        vec![init, cluster, kubelet_configuration(spec)]
    } else {
        let mut join = json!({
            "apiVersion": API_VERSION,
            "kind": "JoinConfiguration",
            "discovery": {
                "bootstrapToken": {
                    "apiServerEndpoint": plan.api_endpoint(),
                    "token": input.token,
                    "caCertHashes": [input.discovery_hash],
                },
            },
            "nodeRegistration": node_registration(vm),
        });
        if vm.role == Role::ControlPlane {
            join["controlPlane"] = json!({"localAPIEndpoint": {"advertiseAddress": vm.ip.to_string(), "bindPort": 6443}});
        }
        // kubeadm join ignores a KubeletConfiguration (the cluster's is downloaded), so
        // failCgroupV1 reaches joining nodes through the cluster-wide kubelet-config ConfigMap.
        vec![join]
    }
}

/// Multi-document YAML.
pub fn render(
    input: &KubeadmInput<'_>,
    vm: &PlannedVm,
) -> Result<String, serde_saphyr::ser::Error> {
    let mut out = String::new();
    for (i, doc) in documents(input, vm).iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_saphyr::to_string(doc)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::example;
    use std::collections::BTreeSet;

    /// Field names of the kubeadm v1beta4 types (k8s.io/kubernetes
    /// cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go), per object path used here, plus
    /// KubeletConfiguration (kubelet.config.k8s.io/v1beta1) fields we set.
    fn allowed(path: &str) -> Option<BTreeSet<&'static str>> {
        let s: &[&str] = match path {
            "InitConfiguration" => &[
                "apiVersion",
                "kind",
                "bootstrapTokens",
                "nodeRegistration",
                "localAPIEndpoint",
                "certificateKey",
                "skipPhases",
                "patches",
                "timeouts",
                "dryRun",
            ],
            "InitConfiguration.bootstrapTokens[]" => {
                &["token", "description", "ttl", "expires", "usages", "groups"]
            }
            "InitConfiguration.localAPIEndpoint"
            | "JoinConfiguration.controlPlane.localAPIEndpoint" => {
                &["advertiseAddress", "bindPort"]
            }
            "InitConfiguration.nodeRegistration" | "JoinConfiguration.nodeRegistration" => &[
                "name",
                "criSocket",
                "taints",
                "kubeletExtraArgs",
                "ignorePreflightErrors",
                "imagePullPolicy",
                "imagePullSerial",
            ],
            "InitConfiguration.nodeRegistration.kubeletExtraArgs[]"
            | "JoinConfiguration.nodeRegistration.kubeletExtraArgs[]" => &["name", "value"],
            "ClusterConfiguration" => &[
                "apiVersion",
                "kind",
                "etcd",
                "networking",
                "kubernetesVersion",
                "controlPlaneEndpoint",
                "apiServer",
                "controllerManager",
                "scheduler",
                "dns",
                "proxy",
                "certificatesDir",
                "imageRepository",
                "featureGates",
                "clusterName",
                "encryptionAlgorithm",
                "certificateValidityPeriod",
                "caCertificateValidityPeriod",
            ],
            "ClusterConfiguration.networking" => &["serviceSubnet", "podSubnet", "dnsDomain"],
            "ClusterConfiguration.apiServer" => {
                &["extraArgs", "extraVolumes", "extraEnvs", "certSANs"]
            }
            "ClusterConfiguration.etcd" => &["local", "external"],
            "ClusterConfiguration.etcd.local" => &[
                "imageRepository",
                "imageTag",
                "dataDir",
                "extraArgs",
                "extraEnvs",
                "serverCertSANs",
                "peerCertSANs",
            ],
            "JoinConfiguration" => &[
                "apiVersion",
                "kind",
                "dryRun",
                "nodeRegistration",
                "caCertPath",
                "discovery",
                "controlPlane",
                "skipPhases",
                "patches",
                "timeouts",
            ],
            "JoinConfiguration.discovery" => &["bootstrapToken", "file", "tlsBootstrapToken"],
            "JoinConfiguration.discovery.bootstrapToken" => &[
                "token",
                "apiServerEndpoint",
                "caCertHashes",
                "unsafeSkipCAVerification",
            ],
            "JoinConfiguration.controlPlane" => &["localAPIEndpoint", "certificateKey"],
            "KubeletConfiguration" => &["apiVersion", "kind", "cgroupDriver", "failCgroupV1"],
            _ => return None,
        };
        Some(s.iter().copied().collect())
    }

    fn check(path: &str, v: &Value, seen: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(ok) = allowed(path) {
                    seen.push(path.to_string());
                    for k in m.keys() {
                        assert!(ok.contains(k.as_str()), "{path}.{k} is not a v1beta4 field");
                    }
                }
                for (k, child) in m {
                    check(&format!("{path}.{k}"), child, seen);
                }
            }
            Value::Array(a) => a.iter().for_each(|c| check(&format!("{path}[]"), c, seen)),
            _ => {}
        }
    }

    #[test]
    fn every_field_is_in_the_v1beta4_field_set() {
        let spec = example();
        let plan = crate::plan::build(&spec).unwrap();
        let input = KubeadmInput {
            spec: &spec,
            plan: &plan,
            token: "abcdef.0123456789abcdef",
            discovery_hash: "sha256:00",
        };
        let mut seen = Vec::new();
        for vm in plan.vms.iter().filter(|v| v.role != Role::LoadBalancer) {
            for doc in documents(&input, vm) {
                let kind = doc["kind"].as_str().unwrap().to_string();
                if kind != "KubeletConfiguration" {
                    assert_eq!(doc["apiVersion"], API_VERSION);
                }
                check(&kind, &doc, &mut seen);
            }
        }
        for p in [
            "InitConfiguration",
            "ClusterConfiguration",
            "JoinConfiguration",
            "JoinConfiguration.controlPlane",
            "JoinConfiguration.discovery.bootstrapToken",
        ] {
            assert!(seen.iter().any(|s| s == p), "{p} not checked");
        }
    }

    #[test]
    fn init_and_join_share_the_endpoint_and_token() {
        let spec = example();
        let plan = crate::plan::build(&spec).unwrap();
        let input = KubeadmInput {
            spec: &spec,
            plan: &plan,
            token: "abcdef.0123456789abcdef",
            discovery_hash: "sha256:ab",
        };
        let cp1 = plan.vms.iter().find(|v| v.is_init_node()).unwrap();
        let init = documents(&input, cp1);
        assert_eq!(init[1]["controlPlaneEndpoint"], "192.168.10.10:6443");
        assert_eq!(init[1]["kubernetesVersion"], "v1.35.0");
        assert_eq!(
            init[0]["bootstrapTokens"][0]["token"],
            "abcdef.0123456789abcdef"
        );
        assert!(init[2].get("failCgroupV1").is_none());
        let cp2 = plan.vms.iter().find(|v| v.name == "lab-cp-2").unwrap();
        let join = documents(&input, cp2);
        assert_eq!(
            join[0]["discovery"]["bootstrapToken"]["apiServerEndpoint"],
            "192.168.10.10:6443"
        );
        assert_eq!(
            join[0]["discovery"]["bootstrapToken"]["caCertHashes"][0],
            "sha256:ab"
        );
        assert_eq!(
            join[0]["controlPlane"]["localAPIEndpoint"]["advertiseAddress"],
            cp2.ip.to_string()
        );
        let w1 = plan.vms.iter().find(|v| v.name == "lab-worker-1").unwrap();
        assert!(documents(&input, w1)[0].get("controlPlane").is_none());
        // YAML round trip
        let text = render(&input, cp1).unwrap();
        assert_eq!(
            text.matches("\n---\n").count() + usize::from(text.starts_with("---\n")),
            2
        );
    }

    #[test]
    fn allow_v1_sets_fail_cgroup_v1_false() {
        let mut spec = example();
        spec.kubernetes.cgroup_v1 = CgroupV1Policy::AllowV1;
        let plan = crate::plan::build(&spec).unwrap();
        let input = KubeadmInput {
            spec: &spec,
            plan: &plan,
            token: "abcdef.0123456789abcdef",
            discovery_hash: "sha256:ab",
        };
        let cp1 = plan.vms.iter().find(|v| v.is_init_node()).unwrap();
        assert_eq!(documents(&input, cp1)[2]["failCgroupV1"], false);
    }
}
