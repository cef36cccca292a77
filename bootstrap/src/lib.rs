//! `bootstrap`: one `cluster.yaml` → a plan (placement, IPs, MACs, PKI, cloud-init, kubeadm,
//! HAProxy + keepalived) → VMs on standalone ESXi hosts over the vim25 SOAP API → a kubeadm HA
//! cluster behind a keepalived virtual IP.
//!
//! The planning half (`spec`, `plan`, `pki`, `cloudinit`, `render`) is pure and unit-tested;
//! `vsphere` is the SOAP client; `ops` drives `up`, `status` and `down`.

pub mod cloudinit;
pub mod ops;
pub mod pki;
pub mod plan;
pub mod render;
pub mod spec;
pub mod vsphere;
