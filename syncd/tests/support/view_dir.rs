//! Test and bench support: a view from a directory laid out like
//! `examples/homelab` or `bench/gen_config.py`'s output (`static.yml`,
//! `files/`, `consul.json`, `crds/`).

#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::Path;
use sync_core::decode::consul_kv::{decode_provider as decode_kv, parse_export};
use sync_core::decode::file_provider::decode_provider as decode_files;
use sync_core::static_config::StaticConfig;
use syncd::view::{CrdChange, CrdObjects, ViewInputs};

/// The Kubernetes objects of every manifest under `dir`.
pub fn crd_objects(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for f in sync_core::load::manifest_files(dir).unwrap() {
        let text = String::from_utf8(f.content).unwrap();
        // One document at a time: the parser caps documents per stream.
        for doc in text.split("\n---") {
            let doc = doc.strip_prefix("---").unwrap_or(doc);
            if let Ok(v) = serde_saphyr::from_str::<Value>(doc)
                && v.is_object()
            {
                out.push(v);
            }
        }
    }
    out
}

/// An EndpointSlice with one ready address per Service port, so that the
/// cluster-mode CRD decoder finds servers (a live cluster has them).
pub fn slice_for(service: &Value, index: usize) -> Option<Value> {
    if service["kind"] != "Service" || service["apiVersion"] != "v1" {
        return None;
    }
    let ports: Vec<Value> = service["spec"]["ports"]
        .as_array()?
        .iter()
        .map(|p| json!({"name": p.get("name").cloned().unwrap_or(json!("")), "port": p["port"], "protocol": "TCP"}))
        .collect();
    Some(json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{}-x", service["metadata"]["name"].as_str()?),
                     "namespace": service["metadata"]["namespace"],
                     "labels": {"kubernetes.io/service-name": service["metadata"]["name"]}},
        "addressType": "IPv4", "ports": ports,
        "endpoints": [{"addresses": [format!("10.244.{}.{}", index / 250 % 250, index % 250 + 1)],
                       "conditions": {"ready": true}}]
    }))
}

/// The whole view of a scenario directory.
pub fn load(dir: &Path) -> ViewInputs {
    let static_cfg = std::fs::read_to_string(dir.join("static.yml"))
        .ok()
        .map(|t| StaticConfig::parse("static.yml", &t).unwrap());
    let files = dir.join("files");
    let files = files
        .is_dir()
        .then(|| decode_files(&sync_core::load::file_provider_files(&files).unwrap()));
    let root = static_cfg
        .as_ref()
        .and_then(|s| s.consul_root_key.clone())
        .unwrap_or_else(|| "traefik".into());
    let consul = std::fs::read(dir.join("consul.json"))
        .ok()
        .map(|b| decode_kv(&parse_export(&b).unwrap(), &root));
    let crd = dir.join("crds").is_dir().then(|| {
        let mut objs = CrdObjects::default();
        for (i, o) in crd_objects(&dir.join("crds")).into_iter().enumerate() {
            if let Some(s) = slice_for(&o, i) {
                objs.apply(&CrdChange::Apply(s));
            }
            objs.apply(&CrdChange::Apply(o));
        }
        objs
    });
    ViewInputs {
        static_cfg,
        crd,
        files,
        consul,
    }
}
