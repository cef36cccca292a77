//! Connecting to the hosts: credentials, login, licence pre-flight, inventory, VM listing.

use std::collections::BTreeMap;

use crate::spec::HostSpec;
use crate::vsphere::{MoRef, TlsSettings, Vim, VimError};

use super::vmconfig::Owner;

pub const DEFAULT_PASSWORD_ENV: &str = "BOOTSTRAP_ESXI_PASSWORD";

/// The password for `h`, from its file or environment variable. Never logged.
pub fn password(h: &HostSpec) -> Result<String, String> {
    if let Some(path) = &h.password_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("password_file {}: {e}", path.display()))?;
        let pw = text.lines().next().unwrap_or("").to_string();
        if pw.is_empty() {
            return Err(format!("password_file {} is empty", path.display()));
        }
        return Ok(pw);
    }
    let var = h.password_env.as_deref().unwrap_or(DEFAULT_PASSWORD_ENV);
    match std::env::var(var) {
        Ok(pw) if !pw.is_empty() => Ok(pw),
        _ => Err(format!(
            "no password: set the environment variable {var} or give password_file"
        )),
    }
}

/// What `bootstrap` needs to know about one host's inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub datacenter: MoRef,
    pub vm_folder: MoRef,
    pub pool: MoRef,
    pub host: Option<MoRef>,
    /// name → (ref, free bytes)
    pub datastores: BTreeMap<String, (MoRef, u64)>,
    pub networks: BTreeMap<String, MoRef>,
}

/// A VM as listed on a host.
#[derive(Debug, Clone)]
pub struct VmState {
    pub obj: MoRef,
    pub name: String,
    pub owner: Option<Owner>,
    pub power: String,
    pub guest_ip: Option<String>,
    pub cpus: Option<u32>,
    pub memory_mb: Option<u32>,
}

/// A logged-in host.
pub struct HostSession {
    pub index: usize,
    pub name: String,
    pub vim: Vim,
    pub inv: Inventory,
}

fn other(host: &str, message: String) -> VimError {
    VimError::Other {
        host: host.into(),
        message,
    }
}

/// Connects, logs in, checks the licence and reads the inventory.
pub async fn open(index: usize, h: &HostSpec) -> Result<HostSession, VimError> {
    let ca_pem = match &h.ca_file {
        Some(p) => Some(
            std::fs::read(p)
                .map_err(|e| other(&h.name, format!("ca_file {}: {e}", p.display())))?,
        ),
        None => None,
    };
    if h.insecure {
        tracing::warn!(host = %h.name, "TLS verification is off for this host (insecure: true)");
    }
    let tls = TlsSettings {
        ca_pem,
        pin_sha256: h
            .thumbprint_sha256
            .as_deref()
            .and_then(crate::spec::parse_thumbprint),
        insecure: h.insecure,
    };
    let pw = password(h).map_err(|m| other(&h.name, m))?;
    let vim = Vim::connect(&h.name, &h.url, &tls).await?;
    if vim.sc.api_type != "HostAgent" {
        tracing::warn!(host = %h.name, api_type = %vim.sc.api_type,
            "this endpoint is not a standalone ESXi host (HostAgent); bootstrap is written for standalone ESXi");
    }
    vim.login(&h.username, &pw).await?;
    drop(pw);
    let licences = vim.licences().await?;
    if let Some(free) = licences.iter().find(|l| l.is_free()) {
        return Err(VimError::Restricted {
            host: h.name.clone(),
            method: "licence pre-flight".into(),
            message: format!("licence {:?} (edition {})", free.name, free.edition_key),
        });
    }
    let inv = inventory(&vim).await?;
    tracing::info!(host = %h.name, product = %vim.sc.full_name, api = %vim.sc.api_version,
        licences = ?licences.iter().map(|l| l.edition_key.as_str()).collect::<Vec<_>>(), "connected");
    Ok(HostSession {
        index,
        name: h.name.clone(),
        vim,
        inv,
    })
}

async fn inventory(vim: &Vim) -> Result<Inventory, VimError> {
    let host = vim.host().to_string();
    let dcs = vim.list("Datacenter", &["name", "vmFolder"]).await?;
    let dc = dcs
        .first()
        .ok_or_else(|| other(&host, "no datacenter in the inventory".into()))?;
    let vm_folder = dc
        .props
        .get("vmFolder")
        .and_then(MoRef::from_element)
        .ok_or_else(|| other(&host, "the datacenter has no vmFolder".into()))?;
    let pools = vim.list("ResourcePool", &["name"]).await?;
    let pool = pools
        .iter()
        .find(|p| p.text("name") == Some("Resources"))
        .or_else(|| pools.first())
        .map(|p| p.obj.clone())
        .ok_or_else(|| other(&host, "no resource pool in the inventory".into()))?;
    let hosts = vim.list("HostSystem", &["name"]).await?;
    let datastores = vim
        .list("Datastore", &["name", "summary.freeSpace"])
        .await?
        .into_iter()
        .filter_map(|d| {
            let free = d
                .text("summary.freeSpace")
                .and_then(|f| f.parse().ok())
                .unwrap_or(0);
            Some((d.text("name")?.to_string(), (d.obj, free)))
        })
        .collect();
    let networks = vim
        .list("Network", &["name"])
        .await?
        .into_iter()
        .filter_map(|n| Some((n.text("name")?.to_string(), n.obj)))
        .collect();
    Ok(Inventory {
        datacenter: dc.obj.clone(),
        vm_folder,
        pool,
        host: hosts.first().map(|h| h.obj.clone()),
        datastores,
        networks,
    })
}

impl HostSession {
    pub async fn vms(&self) -> Result<Vec<VmState>, VimError> {
        let list = self
            .vim
            .list(
                "VirtualMachine",
                &[
                    "name",
                    "config.annotation",
                    "runtime.powerState",
                    "guest.ipAddress",
                    "config.hardware.numCPU",
                    "config.hardware.memoryMB",
                ],
            )
            .await?;
        Ok(list
            .into_iter()
            .map(|o| VmState {
                name: o.text("name").unwrap_or("").to_string(),
                owner: o.text("config.annotation").and_then(Owner::parse),
                power: o
                    .text("runtime.powerState")
                    .unwrap_or("unknown")
                    .to_string(),
                guest_ip: o
                    .text("guest.ipAddress")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                cpus: o
                    .text("config.hardware.numCPU")
                    .and_then(|t| t.parse().ok()),
                memory_mb: o
                    .text("config.hardware.memoryMB")
                    .and_then(|t| t.parse().ok()),
                obj: o.obj,
            })
            .collect())
    }

    pub async fn logout(&self) {
        if let Err(e) = self.vim.logout().await {
            tracing::debug!(host = %self.name, error = %e, "logout failed");
        }
    }
}

/// Warning when thin disks could outgrow the datastore.
pub fn space_warning(h: &HostSpec, inv: &Inventory, needed_bytes: u64) -> Option<String> {
    let (_, free) = inv.datastores.get(&h.datastore)?;
    (*free < needed_bytes).then(|| {
        format!(
            "{}: datastore {:?} has {} GiB free; the planned thin disks may grow to {} GiB",
            h.name,
            h.datastore,
            free >> 30,
            needed_bytes >> 30
        )
    })
}

/// Problems that stop `up` before anything is created, for one host.
pub fn inventory_problems(h: &HostSpec, inv: &Inventory) -> Vec<String> {
    let mut p = Vec::new();
    if !inv.datastores.contains_key(&h.datastore) {
        p.push(format!(
            "{}: datastore {:?} not found (the host has: {})",
            h.name,
            h.datastore,
            inv.datastores
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !inv.networks.contains_key(&h.port_group) {
        p.push(format!(
            "{}: port group {:?} not found (the host has: {})",
            h.name,
            h.port_group,
            inv.networks.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    p
}
