//! Waiting after `up`: guest IPs (VMware Tools), the API's `/readyz` through the VIP, all
//! nodes Ready. Each phase has its own timeout and names what did not come up.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};

use super::{Context, open_all};
use crate::plan::Role;

/// Polls the hosts until every planned VM reports a guest IP.
pub async fn guest_ips(
    ctx: &Context,
    timeout: Duration,
) -> anyhow::Result<BTreeMap<String, String>> {
    let started = Instant::now();
    let mut last = usize::MAX;
    let (sessions, problems) = open_all(&ctx.spec).await;
    let result = 'poll: loop {
        let mut ips = BTreeMap::new();
        for s in &sessions {
            let vms = match s.vms().await {
                Ok(v) => v,
                Err(e) => break 'poll Err(anyhow!(e)),
            };
            for v in vms {
                if let Some(ip) = v.guest_ip
                    && ctx.plan.vms.iter().any(|p| p.name == v.name)
                {
                    ips.insert(v.name, ip);
                }
            }
        }
        let missing: Vec<&str> = ctx
            .plan
            .vms
            .iter()
            .filter(|p| !ips.contains_key(&p.name))
            .map(|p| p.name.as_str())
            .collect();
        if missing.is_empty() {
            for p in &ctx.plan.vms {
                if ips.get(&p.name).is_some_and(|ip| *ip != p.ip.to_string()) {
                    tracing::warn!(vm = %p.name, planned = %p.ip, reported = %ips[&p.name],
                        "guest reports another IP than planned (netplan not applied?)");
                }
            }
            tracing::info!(
                "all {} VMs report a guest IP after {:.1}s",
                ips.len(),
                started.elapsed().as_secs_f64()
            );
            break Ok(ips);
        }
        if missing.len() != last {
            tracing::info!(
                "waiting for guest IPs: {}/{} (missing: {})",
                ips.len(),
                ctx.plan.vms.len(),
                missing.join(", ")
            );
            last = missing.len();
        }
        if started.elapsed() > timeout {
            break Err(anyhow!(
                "no guest IP within {}s from: {}{}. The VMs are powered on; check their consoles \
                 (cloud-init, open-vm-tools) and run `bootstrap up` again to keep waiting",
                timeout.as_secs(),
                missing.join(", "),
                if problems.is_empty() {
                    String::new()
                } else {
                    format!(" (host problems: {})", problems.join("; "))
                }
            ));
        }
        pause(Duration::from_secs(2), started, timeout).await;
    };
    for s in &sessions {
        s.logout().await;
    }
    result
}

/// Sleeps `interval`, but not much past the deadline (a short timeout is not rounded up).
async fn pause(interval: Duration, started: Instant, timeout: Duration) {
    let left = timeout.saturating_sub(started.elapsed()) + Duration::from_millis(50);
    tokio::time::sleep(interval.min(left)).await;
}

/// An HTTPS client trusting only the cluster CA, authenticating as bootstrap-admin.
pub fn api_client(ctx: &Context) -> anyhow::Result<reqwest::Client> {
    let ca = reqwest::Certificate::from_pem(ctx.secrets.ca.cert_pem.as_bytes())
        .context("cluster CA certificate")?;
    let identity = reqwest::Identity::from_pem(
        format!(
            "{}{}",
            ctx.secrets.admin.cert_pem, ctx.secrets.admin.key_pem
        )
        .as_bytes(),
    )
    .context("bootstrap-admin client certificate")?;
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .identity(identity)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .context("API client")
}

/// Waits for `GET https://endpoint/readyz` to answer 200.
pub async fn api_ready(ctx: &Context, endpoint: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = api_client(ctx)?;
    let url = format!("https://{endpoint}/readyz");
    let started = Instant::now();
    let mut next_log = Instant::now();
    loop {
        let last_err = match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                tracing::info!(
                    "API ready at {url} after {:.1}s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            Ok(r) => format!("HTTP {}", r.status()),
            Err(e) => crate::vsphere::soap::error_chain(&e),
        };
        if started.elapsed() > timeout {
            let lbs: Vec<&str> = ctx
                .plan
                .by_role(Role::LoadBalancer)
                .map(|v| v.name.as_str())
                .collect();
            let init = ctx
                .plan
                .vms
                .iter()
                .find(|v| v.is_init_node())
                .map(|v| v.name.as_str())
                .unwrap_or("?");
            bail!(
                "the API did not answer ready at {url} within {}s (last: {last_err}). Check the \
                 load balancers {} (haproxy, keepalived holding the VIP) and {init} \
                 (`journalctl -u bootstrap-node` for kubeadm init)",
                timeout.as_secs(),
                lbs.join(", ")
            );
        }
        if Instant::now() >= next_log {
            tracing::info!("waiting for the API at {url} ({last_err})");
            next_log = Instant::now() + Duration::from_secs(30);
        }
        pause(Duration::from_secs(5), started, timeout).await;
    }
}

/// Names of nodes whose Ready condition is True, from a NodeList JSON.
pub fn ready_nodes(node_list: &serde_json::Value) -> Vec<String> {
    node_list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|n| {
                    n["status"]["conditions"].as_array().is_some_and(|c| {
                        c.iter()
                            .any(|c| c["type"] == "Ready" && c["status"] == "True")
                    })
                })
                .filter_map(|n| n["metadata"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Each planned Kubernetes node's state from the API: `Ready`, `NotReady` or `not registered`.
pub async fn node_states(ctx: &Context, endpoint: &str) -> anyhow::Result<Vec<(String, String)>> {
    let client = api_client(ctx)?;
    let url = format!("https://{endpoint}/api/v1/nodes");
    let r = client
        .get(&url)
        .send()
        .await
        .map_err(|e| anyhow!("{url}: {}", crate::vsphere::soap::error_chain(&e)))?;
    if !r.status().is_success() {
        bail!("{url}: HTTP {}", r.status());
    }
    let v: serde_json::Value = serde_json::from_str(&r.text().await?)
        .map_err(|e| anyhow!("the node list from {url} is not JSON: {e}"))?;
    let ready = ready_nodes(&v);
    let known: Vec<&str> = v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["metadata"]["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    Ok(ctx
        .plan
        .vms
        .iter()
        .filter(|p| p.role != Role::LoadBalancer)
        .map(|p| {
            let state = if ready.contains(&p.name) {
                "Ready"
            } else if known.contains(&p.name.as_str()) {
                "NotReady"
            } else {
                "not registered"
            };
            (p.name.clone(), state.to_string())
        })
        .collect())
}

/// Waits until every planned Kubernetes node is Ready.
pub async fn nodes_ready(ctx: &Context, endpoint: &str, timeout: Duration) -> anyhow::Result<()> {
    let client = api_client(ctx)?;
    let url = format!("https://{endpoint}/api/v1/nodes");
    let want: Vec<&str> = ctx
        .plan
        .vms
        .iter()
        .filter(|v| v.role != Role::LoadBalancer)
        .map(|v| v.name.as_str())
        .collect();
    let started = Instant::now();
    let mut last = String::new();
    loop {
        let ready = match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                let text = r.text().await?;
                let v: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| anyhow!("the node list from {url} is not JSON: {e}"))?;
                ready_nodes(&v)
            }
            Ok(r) => {
                last = format!("HTTP {}", r.status());
                Vec::new()
            }
            Err(e) => {
                last = crate::vsphere::soap::error_chain(&e);
                Vec::new()
            }
        };
        let missing: Vec<&str> = want
            .iter()
            .copied()
            .filter(|n| !ready.iter().any(|r| r == n))
            .collect();
        if missing.is_empty() {
            tracing::info!(
                "all {} nodes Ready after {:.1}s",
                want.len(),
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if started.elapsed() > timeout {
            bail!(
                "nodes not Ready within {}s: {}{}. On each, `journalctl -u bootstrap-node -u kubelet` tells why",
                timeout.as_secs(),
                missing.join(", "),
                if last.is_empty() {
                    String::new()
                } else {
                    format!(" (last API error: {last})")
                }
            );
        }
        tracing::info!(
            "waiting for nodes: {}/{} Ready (missing: {})",
            want.len() - missing.len(),
            want.len(),
            missing.join(", ")
        );
        pause(Duration::from_secs(10), started, timeout).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_nodes_reads_conditions() {
        let v = serde_json::json!({"items": [
            {"metadata": {"name": "a"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            {"metadata": {"name": "b"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}},
            {"metadata": {"name": "c"}, "status": {}}
        ]});
        assert_eq!(ready_nodes(&v), vec!["a".to_string()]);
        assert!(ready_nodes(&serde_json::json!({})).is_empty());
    }
}
