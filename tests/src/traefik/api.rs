//! Reading Traefik's API and normalising it into a [`View`].

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::view::{KINDS, ObjectState, View};

/// Page size asked of the list endpoints (they paginate, default 100).
const PER_PAGE: usize = 1000;

/// Fetches every object of one list endpoint (`/api/http/routers`, ...), following pages.
pub async fn list(client: &reqwest::Client, api: SocketAddr, path: &str) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    let mut page = 1usize;
    loop {
        let url = format!("http://{api}{path}?per_page={PER_PAGE}&page={page}");
        let response = client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = response.status();
        let next = response
            .headers()
            .get("X-Next-Page")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1);
        let body = response
            .text()
            .await
            .with_context(|| format!("reading GET {url}"))?;
        if !status.is_success() {
            bail!("GET {url}: HTTP {status}: {body}");
        }
        let value: Value =
            serde_json::from_str(&body).with_context(|| format!("GET {url}: not JSON"))?;
        match value {
            Value::Array(mut batch) => items.append(&mut batch),
            other => bail!("GET {url}: expected an array, got {other}"),
        }
        if next <= page {
            break;
        }
        page = next;
    }
    Ok(items)
}

/// Turns one API item into `(name, state)`; `None` for `@internal` objects and for the
/// harness's own `@rest` readiness sentinel.
pub fn normalise_item(item: &Value) -> Option<(String, ObjectState)> {
    let name = item.get("name")?.as_str()?.to_owned();
    let provider = item.get("provider").and_then(Value::as_str).unwrap_or("");
    if matches!(provider, "internal" | "rest")
        || name.ends_with("@internal")
        || name.ends_with("@rest")
    {
        return None;
    }
    let errors = item
        .get("error")
        .and_then(Value::as_array)
        .map(|errs| {
            errs.iter()
                .filter_map(|e| e.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let state = ObjectState {
        status: item
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        errors,
        rule: item.get("rule").and_then(Value::as_str).map(str::to_owned),
        priority: item.get("priority").and_then(Value::as_i64),
    };
    Some((name, state))
}

/// Fetches `/api/{http,tcp,udp}/{routers,services,middlewares}` and builds the canonical view.
pub async fn fetch_view(client: &reqwest::Client, api: SocketAddr) -> Result<View> {
    let mut view = View::default();
    for (protocol, kind) in KINDS {
        let path = format!("/api/{protocol}/{kind}");
        for item in list(client, api, &path).await? {
            if let Some((name, state)) = normalise_item(&item) {
                view.kind_mut(protocol, kind).insert(name, state);
            }
        }
    }
    Ok(view.canonical())
}

/// The names present in `/api/rawdata` as `protocol.kind name`, without `@internal` ones.
pub async fn rawdata_names(client: &reqwest::Client, api: SocketAddr) -> Result<Vec<String>> {
    let url = format!("http://{api}/api/rawdata");
    let body = client
        .get(&url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let raw: Value = serde_json::from_str(&body).context("rawdata is not JSON")?;
    let mut names = Vec::new();
    for (protocol, kind) in KINDS {
        let key = match protocol {
            "http" => kind.to_owned(),
            _ => {
                let mut chars = kind.chars();
                let first = chars
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .unwrap_or_default();
                format!("{protocol}{first}{}", chars.as_str())
            }
        };
        if let Some(Value::Object(objects)) = raw.get(&key) {
            for name in objects.keys().filter(|n| !n.ends_with("@internal")) {
                names.push(format!("{protocol}.{kind} {name}"));
            }
        }
    }
    Ok(names)
}

/// Name of the readiness sentinel router number `n` (served by the REST provider).
pub fn sentinel_name(n: u64) -> String {
    format!("sync-tests-ready-{n}")
}

/// Publishes sentinel router number `n` through the REST provider (`PUT /api/providers/rest`).
pub async fn put_sentinel(client: &reqwest::Client, api: SocketAddr, n: u64) -> Result<()> {
    let name = sentinel_name(n);
    let body = serde_json::json!({"http": {"routers": {name: {
        "rule": "Host(`ready.sync-tests.invalid`)",
        "entryPoints": [super::API_ENTRYPOINT],
        "service": "noop@internal",
    }}}});
    let url = format!("http://{api}/api/providers/rest");
    let response = client
        .put(&url)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("PUT {url}"))?;
    if !response.status().is_success() {
        bail!("PUT {url}: HTTP {}", response.status());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_items_are_normalised_and_internal_ones_dropped() {
        let item = json!({"name": "r2@file", "provider": "file", "status": "disabled",
            "error": ["the service \"nope@file\" does not exist"], "rule": "Host(`b.test`)", "priority": 14});
        let (name, state) = normalise_item(&item).unwrap();
        assert_eq!(name, "r2@file");
        assert_eq!(state.status, "disabled");
        assert_eq!(state.errors.len(), 1);
        assert_eq!(state.priority, Some(14));
        assert!(normalise_item(&json!({"name": "api@internal", "provider": "internal"})).is_none());
        assert!(
            normalise_item(&json!({"name": "sync-tests-ready-1@rest", "provider": "rest"}))
                .is_none()
        );
    }
}
