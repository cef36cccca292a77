//! `plan` table and `render` folder output.

use std::fmt::Write;
use std::path::Path;

use base64::Engine;

use crate::cloudinit::NodeArtifacts;
use crate::pki::{ClusterSecrets, PkiError, write_file};
use crate::plan::Plan;
use crate::spec::ClusterSpec;

/// The readable plan. Never contains secrets (the token is shown by its public id only).
pub fn plan_table(spec: &ClusterSpec, plan: &Plan, secrets: Option<&ClusterSecrets>) -> String {
    let mut s = String::new();
    let version = spec
        .kube_version()
        .map(|v| v.to_string())
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "Cluster {} - Kubernetes {version} on Ubuntu {} - {} VMs on {} ESXi host(s)",
        spec.name,
        spec.os.release.version(),
        plan.vms.len(),
        spec.hosts.len()
    );
    let _ = writeln!(
        s,
        "API endpoint {} (keepalived VIP, VRRP id {}), subnet {}, gateway {}",
        plan.api_endpoint(),
        plan.vrrp_router_id,
        plan.net,
        spec.network.gateway
    );
    let _ = writeln!(s);
    let rows: Vec<[String; 9]> = plan
        .vms
        .iter()
        .map(|v| {
            let h = &spec.hosts[v.host];
            [
                v.name.clone(),
                v.role.to_string(),
                h.name.clone(),
                v.ip.to_string(),
                v.mac.to_string(),
                v.cpus.to_string(),
                v.memory_mb.to_string(),
                v.disk_gb.to_string(),
                format!("{} / {}", h.datastore, h.port_group),
            ]
        })
        .collect();
    let header = [
        "NAME",
        "ROLE",
        "HOST",
        "IP",
        "MAC",
        "CPU",
        "MEM MiB",
        "DISK GiB",
        "DATASTORE / PORT GROUP",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ");
            }
        }
        l.trim_end().to_string()
    };
    let _ = writeln!(s, "{}", line(header.to_vec()));
    for r in &rows {
        let _ = writeln!(s, "{}", line(r.iter().map(String::as_str).collect()));
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Base image: {} (imported once per host as VM {})",
        spec.os
            .image
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "-".into()),
        plan.image_vm_name
    );
    match secrets {
        Some(sec) => {
            let _ = writeln!(
                s,
                "PKI: cluster, front-proxy and etcd CAs + service-account key (ECDSA P-256), discovery hash {}",
                sec.discovery_hash().unwrap_or_else(|e| format!("<{e}>"))
            );
            let _ = writeln!(s, "Bootstrap token: {} (secret part not shown)", sec.token);
        }
        None => {
            let _ = writeln!(
                s,
                "PKI and bootstrap token: not generated yet (render or up creates them in the state folder)"
            );
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(s, "\nWarnings:");
        for w in &plan.warnings {
            let _ = writeln!(s, "  ! {w}");
        }
    }
    s
}

/// A kubeconfig for `bootstrap-admin` (client certificate, O=system:masters).
pub fn admin_kubeconfig(spec: &ClusterSpec, plan: &Plan, secrets: &ClusterSecrets) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: https://{ep}\n    certificate-authority-data: {ca}\n\
         users:\n- name: bootstrap-admin\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n\
         contexts:\n- name: bootstrap-admin@{name}\n  context:\n    cluster: {name}\n    user: bootstrap-admin\n\
         current-context: bootstrap-admin@{name}\n",
        name = spec.name,
        ep = plan.api_endpoint(),
        ca = b64(&secrets.ca.cert_pem),
        cert = b64(&secrets.admin.cert_pem),
        key = b64(&secrets.admin.key_pem),
    )
}

/// Writes every artifact under `out`. Returns the list of written files (relative).
pub fn render_folder(
    out: &Path,
    spec: &ClusterSpec,
    plan: &Plan,
    secrets: &ClusterSecrets,
    nodes: &[NodeArtifacts],
) -> Result<Vec<String>, PkiError> {
    for d in [out.join("pki"), out.join("pki/etcd")] {
        crate::pki::private_dir(&d)?;
    }
    let mut written = Vec::new();
    let mut put = |rel: String, data: &str, secret: bool| -> Result<(), PkiError> {
        write_file(&out.join(&rel), data.as_bytes(), secret)?;
        written.push(rel);
        Ok(())
    };
    put(
        "plan.txt".into(),
        &plan_table(spec, plan, Some(secrets)),
        false,
    )?;
    for (rel, data, secret) in [
        ("pki/ca.crt", &secrets.ca.cert_pem, false),
        ("pki/ca.key", &secrets.ca.key_pem, true),
        (
            "pki/front-proxy-ca.crt",
            &secrets.front_proxy_ca.cert_pem,
            false,
        ),
        (
            "pki/front-proxy-ca.key",
            &secrets.front_proxy_ca.key_pem,
            true,
        ),
        ("pki/etcd/ca.crt", &secrets.etcd_ca.cert_pem, false),
        ("pki/etcd/ca.key", &secrets.etcd_ca.key_pem, true),
        ("pki/sa.key", &secrets.sa_key_pem, true),
        ("pki/sa.pub", &secrets.sa_pub_pem, false),
    ] {
        put(rel.into(), data, secret)?;
    }
    put(
        "pki/discovery-hash".into(),
        &format!("{}\n", secrets.discovery_hash()?),
        false,
    )?;
    put(
        "admin.kubeconfig".into(),
        &admin_kubeconfig(spec, plan, secrets),
        true,
    )?;
    for n in nodes {
        let dir = format!("nodes/{}", n.vm.name);
        put(format!("{dir}/meta-data"), &n.metadata, false)?;
        put(format!("{dir}/user-data"), &n.userdata, true)?;
        if let Some(k) = &n.kubeadm {
            put(format!("{dir}/kubeadm.yaml"), k, true)?;
        }
        if let Some(c) = &n.haproxy_cfg {
            put(format!("{dir}/haproxy.cfg"), c, false)?;
        }
        if let Some(c) = &n.keepalived_conf {
            put(format!("{dir}/keepalived.conf"), c, false)?;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::example;

    #[test]
    fn table_lists_every_vm_without_secrets() {
        let spec = example();
        let plan = crate::plan::build(&spec).unwrap();
        let secrets = ClusterSecrets::generate().unwrap();
        let t = plan_table(&spec, &plan, Some(&secrets));
        for v in &plan.vms {
            assert!(t.contains(&v.name) && t.contains(&v.mac.to_string()));
        }
        assert!(t.lines().nth(3).unwrap().starts_with("NAME"));
        assert!(t.lines().nth(4).unwrap().starts_with("lab-lb-1"));
        assert!(!t.contains(secrets.token.secret_value()));
        assert!(t.contains(&format!("{}.<redacted>", secrets.token.id())));
        assert!(!t.contains("PRIVATE KEY"));
        assert!(t.contains("etcd loses quorum"));
    }

    #[test]
    fn folder_modes() {
        use std::os::unix::fs::PermissionsExt;
        let spec = example();
        let plan = crate::plan::build(&spec).unwrap();
        let secrets = ClusterSecrets::generate().unwrap();
        let nodes = crate::cloudinit::render_all(&spec, &plan, &secrets).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let files = render_folder(dir.path(), &spec, &plan, &secrets, &nodes).unwrap();
        assert!(files.contains(&"nodes/lab-lb-1/haproxy.cfg".to_string()));
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("nodes/lab-cp-1/user-data"), 0o600);
        assert_eq!(mode("nodes/lab-cp-1/kubeadm.yaml"), 0o600);
        assert_eq!(mode("admin.kubeconfig"), 0o600);
        assert_eq!(mode("pki/ca.key"), 0o600);
        assert_eq!(mode("pki"), 0o700);
        assert_eq!(mode("nodes/lab-cp-1/meta-data"), 0o644);
    }
}
