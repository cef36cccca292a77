//! `up`: base image once per host, then per VM disk copy + CreateVM_Task + power-on.
//! Idempotent: VMs are found by name and owner marker; existing ones are only powered on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::hosts::{HostSession, VmState};
use super::vmconfig::{self, CreateSpec, Owner};
use super::{Context, HostReport};
use crate::cloudinit::NodeArtifacts;
use crate::vsphere::image::ImageSource;
use crate::vsphere::xml::Element;
use crate::vsphere::{MoRef, VimError};

/// The base disk on one host.
#[derive(Debug, Clone)]
pub struct BaseDisk {
    pub path: String,
    pub capacity_kb: u64,
}

/// A VM's first disk, as read back from the host.
#[derive(Debug, Clone)]
pub struct DiskInfo {
    pub key: i32,
    pub controller_key: i32,
    pub unit: i32,
    pub file: String,
    pub capacity_kb: u64,
}

pub async fn first_disk(s: &HostSession, vm: &MoRef) -> Result<Option<DiskInfo>, VimError> {
    let Some(devices) = s.vim.property(vm, "config.hardware.device").await? else {
        return Ok(None);
    };
    Ok(devices
        .children
        .iter()
        .find(|d| d.xsi_type.as_deref() == Some("VirtualDisk"))
        .map(|d| {
            let num = |n: &str| d.child_text(n).and_then(|t| t.parse().ok());
            DiskInfo {
                key: num("key").unwrap_or(0),
                controller_key: num("controllerKey").unwrap_or(0),
                unit: num("unitNumber").unwrap_or(0),
                file: d
                    .path(&["backing", "fileName"])
                    .map(|f| f.text.trim().to_string())
                    .unwrap_or_default(),
                capacity_kb: d
                    .child_text("capacityInKB")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0),
            }
        }))
}

fn image_owner(ctx: &Context, state: &str, img: Option<&ImageSource>) -> Owner {
    let mut fields = BTreeMap::new();
    fields.insert("state".to_string(), state.to_string());
    if let Some(i) = img {
        fields.insert(
            "source".into(),
            i.vmdk_name.replace(char::is_whitespace, "_"),
        );
        fields.insert("bytes".into(), i.size.to_string());
    }
    Owner {
        cluster: ctx.plan.cluster.clone(),
        role: "image".into(),
        fields,
    }
}

pub fn node_owner(ctx: &Context, a: &NodeArtifacts) -> Owner {
    let mut fields = BTreeMap::new();
    fields.insert("node".to_string(), a.vm.name.clone());
    Owner {
        cluster: ctx.plan.cluster.clone(),
        role: a.vm.role.to_string(),
        fields,
    }
}

/// Powers off (if needed) and destroys a VM.
pub async fn remove_vm(s: &HostSession, vm: &VmState) -> Result<(), VimError> {
    if vm.power == "poweredOn" || vm.power == "suspended" {
        s.vim.power_off(&vm.obj, &vm.name).await?;
    }
    s.vim.destroy(&vm.obj, &vm.name).await
}

/// Inserts `<annotation>` into the import spec's configSpec, at its WSDL position.
fn annotate_import_spec(spec: &mut Element, owner: &Owner) {
    let Some(cfg) = spec.children.iter_mut().find(|c| c.name == "configSpec") else {
        return;
    };
    cfg.children.retain(|c| c.name != "annotation");
    let before = [
        "files",
        "tools",
        "flags",
        "consolePreferences",
        "powerOpInfo",
        "numCPUs",
        "numCoresPerSocket",
        "memoryMB",
        "deviceChange",
        "extraConfig",
    ];
    let pos = cfg
        .children
        .iter()
        .position(|c| before.contains(&c.name.as_str()))
        .unwrap_or(cfg.children.len());
    cfg.children.insert(
        pos,
        Element {
            name: "annotation".into(),
            text: owner.annotation(),
            ..Element::default()
        },
    );
}

/// Ensures the host holds the base disk; imports it (ImportVApp + NFC upload) if not.
pub async fn ensure_base(
    ctx: &Context,
    s: &HostSession,
    existing: &[VmState],
    image: Option<&ImageSource>,
    report: &mut HostReport,
) -> anyhow::Result<BaseDisk> {
    let name = &ctx.plan.image_vm_name;
    let h = &ctx.spec.hosts[s.index];
    if let Some(v) = existing.iter().find(|v| {
        &v.name == name
            && v.owner
                .as_ref()
                .is_some_and(|o| o.cluster == ctx.plan.cluster && o.role == "image")
    }) {
        let owner = v
            .owner
            .as_ref()
            .map(|o| o.fields.clone())
            .unwrap_or_default();
        if owner.get("state").map(String::as_str) == Some("complete") {
            let disk = first_disk(s, &v.obj)
                .await?
                .ok_or_else(|| anyhow!("{}: base image VM {name} has no disk", s.name))?;
            if let Some(img) = image
                && owner.get("bytes") != Some(&img.size.to_string())
            {
                tracing::warn!(host = %s.name,
                    "base image {name} was imported from another file ({}); keeping it (run `down` to re-import)",
                    owner.get("source").map(String::as_str).unwrap_or("?"));
            }
            return Ok(BaseDisk {
                path: disk.file,
                capacity_kb: disk.capacity_kb,
            });
        }
        tracing::info!(host = %s.name, "removing an unfinished base image import ({name})");
        remove_vm(s, v).await?;
    }
    let img = image.ok_or_else(|| {
        anyhow!(
            "{}: the base image must be imported but os.image is not usable",
            s.name
        )
    })?;
    let ds = s
        .inv
        .datastores
        .get(&h.datastore)
        .map(|(r, _)| r.clone())
        .ok_or_else(|| anyhow!("{}: datastore {} vanished", s.name, h.datastore))?;
    tracing::info!(host = %s.name, image = %img.path.display(), bytes = img.size, "importing the base image");
    let (mut spec, items) = s
        .vim
        .create_import_spec(&img.ovf(name), &s.inv.pool, &ds, name)
        .await?;
    annotate_import_spec(&mut spec, &image_owner(ctx, "importing", Some(img)));
    let lease = s
        .vim
        .import_vapp(&s.inv.pool, &spec, &s.inv.vm_folder, s.inv.host.as_ref())
        .await?;
    let info = s.vim.wait_lease(&lease).await?;
    let uploaded = upload(s, &lease, &info, &items, img).await;
    if let Err(e) = uploaded {
        let _ = s.vim.lease_abort(&lease).await;
        return Err(e);
    }
    s.vim.lease_complete(&lease).await?;
    let entity = info
        .child("entity")
        .and_then(MoRef::from_element)
        .ok_or_else(|| anyhow!("{}: the import lease names no VM", s.name))?;
    s.vim
        .reconfigure(
            &entity,
            &vmconfig::annotation_spec(&image_owner(ctx, "complete", Some(img))),
            &format!("mark {name} complete"),
        )
        .await?;
    report.imported = true;
    let disk = first_disk(s, &entity)
        .await?
        .ok_or_else(|| anyhow!("{}: imported base image VM {name} has no disk", s.name))?;
    Ok(BaseDisk {
        path: disk.file,
        capacity_kb: disk.capacity_kb,
    })
}

/// Uploads the VMDK to the lease's device URL, with progress (log + HttpNfcLeaseProgress).
async fn upload(
    s: &HostSession,
    lease: &MoRef,
    info: &Element,
    items: &[crate::vsphere::client::FileItem],
    img: &ImageSource,
) -> anyhow::Result<()> {
    let item = items
        .first()
        .ok_or_else(|| anyhow!("{}: the import spec expects no file", s.name))?;
    let url = info
        .children_named("deviceUrl")
        .find(|d| d.child_text("importKey") == Some(item.device_id.as_str()))
        .or_else(|| info.children_named("deviceUrl").next())
        .and_then(|d| d.child_text("url"))
        .ok_or_else(|| anyhow!("{}: the import lease has no upload URL", s.name))?;
    let mut target =
        reqwest::Url::parse(url).with_context(|| format!("{}: bad NFC URL {url}", s.name))?;
    // hostd writes "*" for "the host you are talking to"; the simulator also writes https
    // while serving plain http. Use the SDK URL's scheme, host and port.
    let sdk = &s.vim.soap.url;
    if target.host_str() == Some("*") || target.host_str() == sdk.host_str() {
        target
            .set_scheme(sdk.scheme())
            .map_err(|()| anyhow!("cannot rewrite NFC URL scheme"))?;
        target
            .set_host(sdk.host_str())
            .context("cannot rewrite NFC URL host")?;
        target
            .set_port(sdk.port())
            .map_err(|()| anyhow!("cannot rewrite NFC URL port"))?;
    }
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let mut file = tokio::fs::File::open(&img.path)
        .await
        .with_context(|| format!("open {}", img.path.display()))?;
    file.seek(std::io::SeekFrom::Start(img.offset)).await?;
    let reader = file.take(img.size);
    let stream = futures_util::stream::unfold(reader, move |mut r| {
        let counter = counter.clone();
        async move {
            let mut buf = vec![0u8; 1 << 20];
            match r.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    counter.fetch_add(n as u64, Ordering::Relaxed);
                    Some((Ok::<Vec<u8>, std::io::Error>(buf), r))
                }
                Err(e) => Some((Err(e), r)),
            }
        }
    })
    .boxed();
    let mut req = s
        .vim
        .soap
        .http()
        .post(target.clone())
        .header("Content-Type", "application/x-vnd.vmware-streamVmdk")
        .header("Content-Length", img.size.to_string())
        .body(reqwest::Body::wrap_stream(stream));
    if let Some(c) = s.vim.soap.cookie_header() {
        req = req.header("Cookie", c);
    }
    let started = Instant::now();
    let send = req.send();
    tokio::pin!(send);
    // The lease needs HttpNfcLeaseProgress at least every few minutes (govmomi: every 2 s);
    // the log gets a line per 10 % or every 15 s, whichever comes first.
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.tick().await;
    let (mut logged_pct, mut logged_at) = (0u8, Instant::now());
    let resp = loop {
        tokio::select! {
            r = &mut send => break r,
            _ = tick.tick() => {
                let done = sent.load(Ordering::Relaxed);
                let pct = u8::try_from(done.saturating_mul(100) / img.size.max(1)).unwrap_or(100).min(99);
                if pct >= logged_pct.saturating_add(10) || logged_at.elapsed() >= Duration::from_secs(15) {
                    let rate = (done as f64) / started.elapsed().as_secs_f64().max(0.001) / 1_048_576.0;
                    tracing::info!(host = %s.name, "uploading base disk: {pct}% ({} of {} MiB, {rate:.1} MiB/s)", done >> 20, img.size >> 20);
                    (logged_pct, logged_at) = (pct, Instant::now());
                }
                if let Err(e) = s.vim.lease_progress(lease, pct).await {
                    tracing::warn!(host = %s.name, error = %e, "lease progress update failed");
                }
            }
        }
    };
    let resp = resp.with_context(|| format!("{}: upload to {target} failed", s.name))?;
    if !resp.status().is_success() {
        bail!(
            "{}: upload to {target} answered HTTP {}",
            s.name,
            resp.status()
        );
    }
    s.vim.lease_progress(lease, 100).await?;
    tracing::info!(host = %s.name, "uploaded base disk: {} MiB in {:.1}s", img.size >> 20, started.elapsed().as_secs_f64());
    Ok(())
}

/// Creates (or resumes) one VM on its host.
pub async fn ensure_vm(
    ctx: &Context,
    s: &HostSession,
    a: &NodeArtifacts,
    existing: Option<&VmState>,
    base: &BaseDisk,
    report: &mut HostReport,
) -> anyhow::Result<()> {
    let vm = &a.vm;
    let h = &ctx.spec.hosts[s.index];
    let planned_kb = u64::from(vm.disk_gb) << 20;
    if let Some(v) = existing {
        // Owned (checked in pre-flight). Finish what an interrupted run left.
        tracing::debug!(vm = %vm.name, cpus = ?v.cpus, mem = ?v.memory_mb, planned = vm.cpus, "existing VM");
        if v.cpus.is_some_and(|c| c != vm.cpus) || v.memory_mb.is_some_and(|m| m != vm.memory_mb) {
            tracing::warn!(host = %s.name, vm = %vm.name,
                "has {} CPU / {} MiB but the plan says {} / {}; bootstrap does not change existing VMs (`down` then `up` rebuilds)",
                v.cpus.unwrap_or(0), v.memory_mb.unwrap_or(0), vm.cpus, vm.memory_mb);
        }
        if v.power == "poweredOn" {
            report.unchanged.push(vm.name.clone());
            return Ok(());
        }
        grow_if_needed(s, &v.obj, &vm.name, planned_kb).await?;
        s.vim.power_on(&v.obj, &vm.name).await?;
        tracing::info!(host = %s.name, vm = %vm.name, "powered on (resumed)");
        report.resumed.push(vm.name.clone());
        return Ok(());
    }
    let dc = &s.inv.datacenter;
    let dir = format!("[{}] {}", h.datastore, vm.name);
    let disk = format!("{dir}/{}.vmdk", vm.name);
    s.vim.make_directory(&dir, dc).await?;
    s.vim.copy_virtual_disk(&base.path, &disk, dc).await?;
    let guestinfo = a.guestinfo()?;
    let owner = node_owner(ctx, a);
    let config = vmconfig::create_config(&CreateSpec {
        vm,
        datastore: &h.datastore,
        port_group: &h.port_group,
        network: s.inv.networks.get(&h.port_group),
        disk_path: &disk,
        disk_capacity_kb: base.capacity_kb,
        guestinfo: &guestinfo,
        owner: &owner,
    });
    let config = config.replacen(
        &format!(
            "<vmPathName>[{}]</vmPathName>",
            crate::vsphere::xml::escape(&h.datastore)
        ),
        &format!(
            "<vmPathName>{}</vmPathName>",
            crate::vsphere::xml::escape(&format!("{dir}/{}.vmx", vm.name))
        ),
        1,
    );
    let create = || {
        s.vim.create_vm(
            &s.inv.vm_folder,
            &s.inv.pool,
            s.inv.host.as_ref(),
            &config,
            &vm.name,
        )
    };
    let obj = match create().await {
        Err(e) if e.fault_type() == Some("FileAlreadyExists") => {
            // An earlier CreateVM_Task for this (unregistered) VM failed and left its files in
            // the VM's own folder; no registered VM has this name (checked in pre-flight).
            tracing::warn!(host = %s.name, vm = %vm.name, "removing files left by an earlier failed CreateVM_Task");
            for f in [".vmx", ".nvram"] {
                s.vim
                    .delete_datastore_file(&format!("{dir}/{}{f}", vm.name), dc)
                    .await?;
            }
            s.vim
                .delete_datastore_file(&format!("{dir}/vmware.log"), dc)
                .await?;
            create().await?
        }
        r => r?,
    };
    grow_if_needed(s, &obj, &vm.name, planned_kb).await?;
    s.vim.power_on(&obj, &vm.name).await?;
    tracing::info!(host = %s.name, vm = %vm.name, ip = %vm.ip, mac = %vm.mac, "created and powered on");
    report.created.push(vm.name.clone());
    Ok(())
}

async fn grow_if_needed(
    s: &HostSession,
    vm: &MoRef,
    name: &str,
    planned_kb: u64,
) -> anyhow::Result<()> {
    let Some(d) = first_disk(s, vm).await? else {
        bail!("{}: VM {name} has no disk", s.name);
    };
    if d.capacity_kb < planned_kb {
        s.vim
            .reconfigure(
                vm,
                &vmconfig::grow_disk_spec(d.key, d.controller_key, d.unit, &d.file, planned_kb),
                &format!("grow the disk of {name} to {} GiB", planned_kb >> 20),
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_goes_before_files_in_the_import_spec() {
        let doc = r#"<importSpec xmlns="urn:vim25" xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="VirtualMachineImportSpec"><configSpec><name>lab-base-focal</name><guestId>ubuntu64Guest</guestId><files><vmPathName>[ds]</vmPathName></files><numCPUs>1</numCPUs></configSpec></importSpec>"#;
        let mut spec = crate::vsphere::xml::parse(doc).unwrap();
        let owner = Owner {
            cluster: "lab".into(),
            role: "image".into(),
            fields: BTreeMap::new(),
        };
        annotate_import_spec(&mut spec, &owner);
        annotate_import_spec(&mut spec, &owner);
        let names: Vec<&str> = spec.children[0]
            .children
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["name", "guestId", "annotation", "files", "numCPUs"]);
        assert!(
            spec.to_xml_as("spec")
                .starts_with(r#"<spec xsi:type="VirtualMachineImportSpec"><configSpec><name>"#)
        );
    }
}
