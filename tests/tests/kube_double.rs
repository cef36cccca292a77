//! The Kubernetes API double speaks the API as kube-rs expects: proven with
//! kube-rs itself (typed and dynamic lists, raw watches, the runtime watcher,
//! metadata-only requests, Lease optimistic concurrency, Events).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::{Secret, Service};
use kube::api::{
    ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams, WatchEvent, WatchParams,
};
use kube::core::PartialObjectMeta;
use kube::runtime::watcher;
use kube::{Api, Client, Config};
use serde_json::json;
use sync_tests::kube_double::KubeDouble;

fn client(double: &KubeDouble) -> Result<Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = double.url().parse().context("double URL")?;
    Ok(Client::try_from(Config::new(url))?)
}

fn route(name: &str, host: &str, labels: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
           "metadata": {"name": name, "namespace": "apps", "labels": labels},
           "spec": {"routes": [{"match": format!("Host(`{host}`)"), "kind": "Rule",
                                "services": [{"name": "whoami", "port": 80}]}]}})
}

fn ingress_routes() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("traefik.io", "v1alpha1", "IngressRoute"),
        "ingressroutes",
    )
}

#[tokio::test]
async fn kube_lists_typed_and_dynamic_objects_with_selectors() -> Result<()> {
    let double = KubeDouble::start().await?;
    double.apply(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "whoami", "namespace": "apps"}, "spec": {"ports": [{"port": 80}]}}))?;
    double.apply(route("a", "a.example", json!({"team": "x"})))?;
    double.apply(route("b", "b.example", json!({"team": "y"})))?;
    let c = client(&double)?;
    let svcs: Api<Service> = Api::namespaced(c.clone(), "apps");
    let list = svcs.list(&ListParams::default()).await?;
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].metadata.name.as_deref(), Some("whoami"));
    assert!(list.metadata.resource_version.is_some());
    let all: Api<DynamicObject> = Api::all_with(c.clone(), &ingress_routes());
    assert_eq!(all.list(&ListParams::default()).await?.items.len(), 2);
    let x = all.list(&ListParams::default().labels("team=x")).await?;
    assert_eq!(x.items.len(), 1);
    assert_eq!(x.items[0].metadata.name.as_deref(), Some("a"));
    let not_x = all.list(&ListParams::default().labels("team!=x")).await?;
    assert_eq!(not_x.items.len(), 1);
    // Another namespace sees nothing.
    let other: Api<DynamicObject> = Api::namespaced_with(c, "other", &ingress_routes());
    assert!(other.list(&ListParams::default()).await?.items.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_raw_watch_sees_added_modified_deleted_and_410_after_compaction() -> Result<()> {
    let double = KubeDouble::start().await?;
    let c = client(&double)?;
    let api: Api<DynamicObject> = Api::namespaced_with(c, "apps", &ingress_routes());
    let rv = api
        .list(&ListParams::default())
        .await?
        .metadata
        .resource_version
        .unwrap_or_default();
    let stream = api.watch(&WatchParams::default().timeout(10), &rv).await?;
    futures::pin_mut!(stream);
    double.apply(route("a", "a.example", json!({})))?;
    double.apply(route("a", "a2.example", json!({})))?;
    double.delete("traefik.io/v1alpha1", "IngressRoute", "apps", "a")?;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let ev = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .context("watch event did not come")??;
        match ev {
            Some(WatchEvent::Added(o)) => seen.push(("ADDED", o.metadata.name)),
            Some(WatchEvent::Modified(o)) => seen.push(("MODIFIED", o.metadata.name)),
            Some(WatchEvent::Deleted(o)) => seen.push(("DELETED", o.metadata.name)),
            Some(WatchEvent::Bookmark(_)) => {}
            other => bail!("unexpected {other:?}"),
        }
    }
    let a = Some("a".to_string());
    assert_eq!(
        seen,
        vec![
            ("ADDED", a.clone()),
            ("MODIFIED", a.clone()),
            ("DELETED", a)
        ]
    );
    // A resourceVersion from before the compaction is too old: 410 as an ERROR event.
    double.compact();
    let stream = api.watch(&WatchParams::default().timeout(10), &rv).await?;
    futures::pin_mut!(stream);
    match stream.try_next().await? {
        Some(WatchEvent::Error(e)) => assert_eq!(e.code, 410),
        other => bail!("expected a 410 error event, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn the_runtime_watcher_lists_then_follows_and_metadata_only_hides_secret_data() -> Result<()>
{
    let double = KubeDouble::start().await?;
    double.apply(route("a", "a.example", json!({})))?;
    double.apply(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "tls", "namespace": "apps"}, "data": {"tls.crt": "c2VjcmV0"}}))?;
    let c = client(&double)?;
    let api: Api<DynamicObject> = Api::all_with(c.clone(), &ingress_routes());
    let stream = watcher(api, watcher::Config::default());
    futures::pin_mut!(stream);
    let mut listed = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .context("watcher stalled")?
            .context("watcher ended")??;
        match ev {
            watcher::Event::InitApply(o) => listed.push(o.metadata.name.unwrap_or_default()),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    assert_eq!(listed, vec!["a"]);
    double.apply(route("b", "b.example", json!({})))?;
    double.delete("traefik.io/v1alpha1", "IngressRoute", "apps", "a")?;
    let mut after = Vec::new();
    while after.len() < 2 {
        let ev = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .context("watcher stalled")?
            .context("watcher ended")??;
        match ev {
            watcher::Event::Apply(o) => {
                after.push(format!("apply {}", o.metadata.name.unwrap_or_default()))
            }
            watcher::Event::Delete(o) => {
                after.push(format!("delete {}", o.metadata.name.unwrap_or_default()))
            }
            _ => {}
        }
    }
    assert_eq!(after, vec!["apply b", "delete a"]);

    // Metadata only: names, never data.
    let meta: Api<PartialObjectMeta<Secret>> = Api::all(c.clone());
    let list = meta.list_metadata(&ListParams::default()).await?;
    assert_eq!(list.items.len(), 1);
    assert_eq!(list.items[0].metadata.name.as_deref(), Some("tls"));
    let raw = reqwest_get(
        &format!("{}/api/v1/secrets", double.url()),
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
    )
    .await?;
    assert!(!raw.contains("c2VjcmV0"), "secret data leaked: {raw}");
    let full = reqwest_get(
        &format!("{}/api/v1/secrets", double.url()),
        "application/json",
    )
    .await?;
    assert!(
        full.contains("c2VjcmV0"),
        "a full list carries data: {full}"
    );

    // A resource that is not served answers 404 (CRD not installed).
    double.remove_resource("traefik.io", "tlsstores");
    let missing: Api<DynamicObject> = Api::all_with(
        c,
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("traefik.io", "v1alpha1", "TLSStore"),
            "tlsstores",
        ),
    );
    match missing.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 404),
        other => bail!("expected 404, got {other:?}"),
    }
    Ok(())
}

async fn reqwest_get(url: &str, accept: &str) -> Result<String> {
    let resp = sync_tests::http_client_builder()
        .build()?
        .get(url)
        .header("accept", accept)
        .send()
        .await?;
    Ok(resp.text().await?)
}

#[tokio::test]
async fn leases_refuse_a_stale_replace_and_events_can_be_created() -> Result<()> {
    let double = KubeDouble::start().await?;
    let c = client(&double)?;
    let leases: Api<Lease> = Api::namespaced(c.clone(), "kube-system");
    assert!(leases.get_opt("syncd").await?.is_none());
    let lease = Lease {
        metadata: kube::api::ObjectMeta {
            name: Some("syncd".into()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some("a".into()),
            lease_duration_seconds: Some(3),
            ..Default::default()
        }),
    };
    let created = leases.create(&PostParams::default(), &lease).await?;
    match leases.create(&PostParams::default(), &lease).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 409),
        other => bail!("a second create must be 409 AlreadyExists, got {other:?}"),
    }
    let mut mine = created.clone();
    if let Some(s) = mine.spec.as_mut() {
        s.holder_identity = Some("b".into());
    }
    let replaced = leases
        .replace("syncd", &PostParams::default(), &mine)
        .await?;
    assert_eq!(
        replaced.spec.and_then(|s| s.holder_identity).as_deref(),
        Some("b")
    );
    // `created` carries the old resourceVersion: refused.
    let mut stale = created;
    if let Some(s) = stale.spec.as_mut() {
        s.holder_identity = Some("c".into());
    }
    match leases
        .replace("syncd", &PostParams::default(), &stale)
        .await
    {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 409),
        other => bail!("a stale replace must be 409 Conflict, got {other:?}"),
    }

    let recorder = kube::runtime::events::Recorder::new(c, "test".into());
    let reference = k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some("traefik.io/v1alpha1".into()),
        kind: Some("IngressRoute".into()),
        name: Some("a".into()),
        namespace: Some("apps".into()),
        ..Default::default()
    };
    let ev = kube::runtime::events::Event {
        type_: kube::runtime::events::EventType::Warning,
        reason: "ConfigError".into(),
        note: Some("first".into()),
        action: "Validate".into(),
        secondary: None,
    };
    recorder.publish(&ev, &reference).await?;
    // The same key again: the recorder patches the series.
    recorder.publish(&ev, &reference).await?;
    let events = double.objects("events.k8s.io", "events");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["regarding"]["name"], "a");
    assert_eq!(events[0]["series"]["count"], 2);
    Ok(())
}

#[tokio::test]
async fn a_selector_watch_sees_a_relabel_out_of_the_selection_as_deleted() -> Result<()> {
    let double = KubeDouble::start().await?;
    double.apply(route("a", "a.example", json!({"team": "x"})))?;
    let c = client(&double)?;
    let api: Api<DynamicObject> = Api::namespaced_with(c, "apps", &ingress_routes());
    let rv = api
        .list(&ListParams::default().labels("team=x"))
        .await?
        .metadata
        .resource_version
        .unwrap_or_default();
    let stream = api
        .watch(&WatchParams::default().labels("team=x").timeout(10), &rv)
        .await?;
    futures::pin_mut!(stream);
    double.apply(route("a", "a.example", json!({"team": "y"})))?;
    double.apply(route("a", "a.example", json!({"team": "x"})))?;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .context("watch event did not come")??
        {
            Some(WatchEvent::Deleted(_)) => seen.push("DELETED"),
            Some(WatchEvent::Added(_)) => seen.push("ADDED"),
            Some(WatchEvent::Bookmark(_)) => {}
            other => bail!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, vec!["DELETED", "ADDED"]);
    Ok(())
}
