//! `up`, `status`, `down` against the ESXi hosts.

pub mod hosts;
pub mod up;
pub mod vmconfig;
pub mod wait;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use anyhow::bail;

use crate::cloudinit::NodeArtifacts;
use crate::pki::ClusterSecrets;
use crate::plan::Plan;
use crate::spec::ClusterSpec;
use crate::vsphere::image::ImageSource;
use hosts::{HostSession, VmState};

/// Everything rendered, ready to be applied.
pub struct Context {
    pub spec: ClusterSpec,
    pub plan: Plan,
    pub secrets: ClusterSecrets,
    pub nodes: Vec<NodeArtifacts>,
}

/// What `up` did on one host.
#[derive(Debug, Default, Clone)]
pub struct HostReport {
    pub host: String,
    pub imported: bool,
    pub created: Vec<String>,
    pub resumed: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Opens every host concurrently; failures become problem lines.
pub async fn open_all(spec: &ClusterSpec) -> (Vec<HostSession>, Vec<String>) {
    let futs = spec
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| hosts::open(i, h));
    let results = futures_util::future::join_all(futs).await;
    let mut sessions = Vec::new();
    let mut problems = Vec::new();
    for r in results {
        match r {
            Ok(s) => sessions.push(s),
            Err(e) => problems.push(e.to_string()),
        }
    }
    (sessions, problems)
}

async fn close_all(sessions: &[HostSession]) {
    futures_util::future::join_all(sessions.iter().map(|s| s.logout())).await;
}

/// Checks against the live hosts (datastore, port group, name conflicts, placement).
pub async fn host_problems(
    spec: &ClusterSpec,
    plan: &Plan,
    sessions: &[HostSession],
) -> anyhow::Result<(Vec<String>, BTreeMap<usize, Vec<VmState>>)> {
    let mut problems = Vec::new();
    let mut listed = BTreeMap::new();
    for s in sessions {
        let h = &spec.hosts[s.index];
        problems.extend(hosts::inventory_problems(h, &s.inv));
        let needed: u64 = plan
            .on_host(s.index)
            .map(|v| u64::from(v.disk_gb) << 30)
            .sum();
        if let Some(w) = hosts::space_warning(h, &s.inv, needed) {
            tracing::warn!("{w}");
        }
        let vms = s.vms().await?;
        for v in &vms {
            if v.name == plan.image_vm_name
                && !v
                    .owner
                    .as_ref()
                    .is_some_and(|o| o.cluster == plan.cluster && o.role == "image")
            {
                problems.push(format!(
                    "{}: a VM named {} (the base image holder) exists and is not owned by bootstrap cluster {} (rename or remove it)",
                    s.name, v.name, plan.cluster
                ));
            }
            let Some(planned) = plan.vms.iter().find(|p| p.name == v.name) else {
                continue;
            };
            match &v.owner {
                Some(o) if o.cluster == plan.cluster => {
                    if planned.host != s.index {
                        problems.push(format!(
                            "{}: {} exists here but the plan places it on {} (placement changed; run `down` first)",
                            s.name, v.name, spec.hosts[planned.host].name
                        ));
                    }
                }
                _ => problems.push(format!(
                    "{}: a VM named {} exists and is not owned by bootstrap cluster {} (rename or remove it)",
                    s.name, v.name, plan.cluster
                )),
            }
        }
        listed.insert(s.index, vms);
    }
    Ok((problems, listed))
}

fn problem_list(title: &str, problems: &[String]) -> String {
    let mut s = format!(
        "{title} ({} problem(s)); nothing was created:\n",
        problems.len()
    );
    for p in problems {
        let _ = writeln!(s, "  - {p}");
    }
    s
}

/// `plan --check-hosts`: the live checks only, without creating anything.
pub async fn check_hosts(spec: &ClusterSpec, plan: &Plan) -> anyhow::Result<Vec<String>> {
    let (sessions, mut problems) = open_all(spec).await;
    let (more, _) = host_problems(spec, plan, &sessions).await?;
    problems.extend(more);
    close_all(&sessions).await;
    Ok(problems)
}

/// `up` without the waiting: everything exists and is powered on when this returns.
pub async fn up(ctx: &Context) -> anyhow::Result<Vec<HostReport>> {
    let started = Instant::now();
    let (sessions, mut problems) = open_all(&ctx.spec).await;
    let (more, listed) = match host_problems(&ctx.spec, &ctx.plan, &sessions).await {
        Ok(x) => x,
        Err(e) => {
            close_all(&sessions).await;
            return Err(e);
        }
    };
    problems.extend(more);
    // The image is needed only where no complete base image exists yet.
    let needs_image = sessions.iter().any(|s| {
        !listed.get(&s.index).is_some_and(|vms| {
            vms.iter().any(|v| {
                v.name == ctx.plan.image_vm_name
                    && v.owner.as_ref().is_some_and(|o| {
                        o.cluster == ctx.plan.cluster
                            && o.fields.get("state").map(String::as_str) == Some("complete")
                    })
            })
        })
    });
    let image = if needs_image {
        match &ctx.spec.os.image {
            Some(p) => match ImageSource::open(p) {
                Ok(i) => Some(i),
                Err(e) => {
                    problems.push(format!("os.image: {e}"));
                    None
                }
            },
            None => {
                problems.push("os.image: missing".into());
                None
            }
        }
    } else {
        None
    };
    if !problems.is_empty() {
        close_all(&sessions).await;
        bail!(problem_list("pre-flight failed", &problems));
    }
    let empty = Vec::new();
    let results = futures_util::future::join_all(sessions.iter().map(|s| {
        let vms = listed.get(&s.index).unwrap_or(&empty);
        up_host(ctx, s, vms, image.as_ref())
    }))
    .await;
    close_all(&sessions).await;
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(rep) => reports.push(rep),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if !errors.is_empty() {
        bail!(
            "up stopped ({} host(s) failed); run `bootstrap up` again to resume once fixed:\n{}",
            errors.len(),
            errors
                .iter()
                .map(|e| format!("  - {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    tracing::info!("VMs in place after {:.1}s", started.elapsed().as_secs_f64());
    Ok(reports)
}

async fn up_host(
    ctx: &Context,
    s: &HostSession,
    vms: &[VmState],
    image: Option<&ImageSource>,
) -> anyhow::Result<HostReport> {
    let mut report = HostReport {
        host: s.name.clone(),
        ..HostReport::default()
    };
    let base = up::ensure_base(ctx, s, vms, image, &mut report).await?;
    for a in ctx.nodes.iter().filter(|a| a.vm.host == s.index) {
        let existing = vms.iter().find(|v| v.name == a.vm.name);
        up::ensure_vm(ctx, s, a, existing, &base, &mut report).await?;
    }
    Ok(report)
}

/// Removes the user-data (it holds the CA keys and the token) from every VM's guestinfo.
pub async fn scrub_guestinfo(ctx: &Context) -> anyhow::Result<usize> {
    let (sessions, problems) = open_all(&ctx.spec).await;
    if !problems.is_empty() {
        close_all(&sessions).await;
        bail!(problem_list("cannot scrub guestinfo", &problems));
    }
    let mut n = 0;
    let spec = vmconfig::extra_config_spec(&[
        ("guestinfo.userdata".into(), String::new()),
        ("guestinfo.userdata.encoding".into(), String::new()),
    ]);
    for s in &sessions {
        for v in s.vms().await? {
            if v.owner
                .as_ref()
                .is_some_and(|o| o.cluster == ctx.plan.cluster && o.role != "image")
            {
                s.vim
                    .reconfigure(&v.obj, &spec, &format!("scrub guestinfo of {}", v.name))
                    .await?;
                n += 1;
            }
        }
    }
    close_all(&sessions).await;
    Ok(n)
}

/// One row of `status`.
#[derive(Debug, Clone)]
pub struct StatusRow {
    pub name: String,
    pub role: String,
    pub host: String,
    pub planned_ip: String,
    pub power: String,
    pub guest_ip: String,
}

pub async fn status(
    spec: &ClusterSpec,
    plan: &Plan,
) -> anyhow::Result<(Vec<StatusRow>, Vec<String>)> {
    let (sessions, problems) = open_all(spec).await;
    let mut found: BTreeMap<(String, String), VmState> = BTreeMap::new();
    for s in &sessions {
        for v in s.vms().await? {
            if v.owner.as_ref().is_some_and(|o| o.cluster == plan.cluster) {
                found.insert((v.name.clone(), s.name.clone()), v);
            }
        }
    }
    close_all(&sessions).await;
    let mut rows = Vec::new();
    for p in &plan.vms {
        let key = found.keys().find(|(n, _)| *n == p.name).cloned();
        let (host, power, ip) = match key.and_then(|k| found.remove_entry(&k)) {
            Some(((_, h), v)) => (h, v.power, v.guest_ip.unwrap_or_else(|| "-".into())),
            None => (
                spec.hosts[p.host].name.clone(),
                "missing".into(),
                "-".into(),
            ),
        };
        rows.push(StatusRow {
            name: p.name.clone(),
            role: p.role.to_string(),
            host,
            planned_ip: p.ip.to_string(),
            power,
            guest_ip: ip,
        });
    }
    for ((name, host), v) in found {
        rows.push(StatusRow {
            name,
            role: v.owner.map(|o| o.role).unwrap_or_default(),
            host,
            planned_ip: "-".into(),
            power: v.power,
            guest_ip: v.guest_ip.unwrap_or_else(|| "-".into()),
        });
    }
    Ok((rows, problems))
}

/// What `down` would remove / removed.
pub async fn down(
    spec: &ClusterSpec,
    plan: &Plan,
    apply: bool,
    keep_image: bool,
) -> anyhow::Result<Vec<String>> {
    let (sessions, problems) = open_all(spec).await;
    if !problems.is_empty() {
        close_all(&sessions).await;
        bail!(problem_list("cannot reach every host", &problems));
    }
    let mut removed = Vec::new();
    let mut errors = Vec::new();
    for s in &sessions {
        for v in s.vms().await? {
            let Some(o) = &v.owner else { continue };
            if o.cluster != plan.cluster || (keep_image && o.role == "image") {
                continue;
            }
            let label = format!("{} on {} ({}, {})", v.name, s.name, o.role, v.power);
            if apply {
                match up::remove_vm(s, &v).await {
                    Ok(()) => {
                        tracing::info!(host = %s.name, vm = %v.name, "removed");
                        removed.push(label);
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            } else {
                removed.push(label);
            }
        }
    }
    close_all(&sessions).await;
    if !errors.is_empty() {
        bail!(
            "down removed {} VM(s) but failed on {}:\n{}",
            removed.len(),
            errors.len(),
            errors.join("\n")
        );
    }
    Ok(removed)
}
