//! Completeness of the model against Traefik's own "every option" reference files.
//!
//! `dynamic-all-options.{yaml,toml}` (from Traefik's docs) set every dynamic
//! option once. Each is read into a `serde_json::Value`, deserialized into
//! [`Configuration`] with plain serde (unknown keys are ignored by serde, so a
//! missing model field shows up as a dropped key), serialized back, and every
//! leaf path of the reference must appear in the result. Values are not
//! compared: the placeholders (`foobar`, `42`) may be typed differently.

use super::Configuration;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn reference(name: &str) -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/traefik-reference")
        .join(name);
    std::fs::read_to_string(&path).ok()
}

/// Every leaf (scalar, empty object, empty array) as a `/`-joined path.
fn leaf_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                leaf_paths(v, &format!("{prefix}/{k}"), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaf_paths(v, &format!("{prefix}/{i}"), out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

/// Reference leaves that the model dropped.
fn dropped(reference: &Value) -> Vec<String> {
    let config: Configuration = match serde_json::from_value(reference.clone()) {
        Ok(c) => c,
        Err(e) => return vec![format!("deserialize error: {e}")],
    };
    let back = match serde_json::to_value(&config) {
        Ok(v) => v,
        Err(e) => return vec![format!("serialize error: {e}")],
    };
    let mut want = BTreeSet::new();
    leaf_paths(reference, "", &mut want);
    let mut have = BTreeSet::new();
    leaf_paths(&back, "", &mut have);
    want.difference(&have).cloned().collect()
}

#[test]
fn yaml_reference_is_fully_modelled() {
    let Some(text) = reference("dynamic-all-options.yaml") else {
        eprintln!("reference file not found; skipping");
        return;
    };
    let value: Value = serde_saphyr::from_str(&text).expect("reference YAML parses");
    let mut leaves = BTreeSet::new();
    leaf_paths(&value, "", &mut leaves);
    assert!(
        leaves.len() > 400,
        "reference looks truncated: {} leaves",
        leaves.len()
    );
    let missing = dropped(&value);
    assert!(
        missing.is_empty(),
        "dropped from YAML reference:\n{}",
        missing.join("\n")
    );

    // The check itself notices a key the model does not know.
    let mut tampered = value.clone();
    tampered["http"]["routers"]["Router0"]["noSuchOption"] = Value::from("x");
    assert_eq!(
        dropped(&tampered),
        vec!["/http/routers/Router0/noSuchOption"]
    );
}

#[test]
fn toml_reference_is_fully_modelled() {
    let Some(text) = reference("dynamic-all-options.toml") else {
        eprintln!("reference file not found; skipping");
        return;
    };
    let value: Value = toml::from_str(&text).expect("reference TOML parses");
    let mut leaves = BTreeSet::new();
    leaf_paths(&value, "", &mut leaves);
    assert!(
        leaves.len() > 400,
        "reference looks truncated: {} leaves",
        leaves.len()
    );
    let missing = dropped(&value);
    assert!(
        missing.is_empty(),
        "dropped from TOML reference:\n{}",
        missing.join("\n")
    );
}

#[test]
fn yaml_and_toml_references_model_the_same_configuration() {
    let (Some(yaml), Some(toml_text)) = (
        reference("dynamic-all-options.yaml"),
        reference("dynamic-all-options.toml"),
    ) else {
        return;
    };
    let y: Value = serde_saphyr::from_str(&yaml).expect("YAML parses");
    let t: Value = toml::from_str(&toml_text).expect("TOML parses");
    let y: Configuration = serde_json::from_value(y).expect("YAML reference deserializes");
    let t: Configuration = serde_json::from_value(t).expect("TOML reference deserializes");
    let (mut yl, mut tl) = (BTreeSet::new(), BTreeSet::new());
    leaf_paths(&serde_json::to_value(&y).expect("serializes"), "", &mut yl);
    leaf_paths(&serde_json::to_value(&t).expect("serializes"), "", &mut tl);
    let only_yaml: Vec<_> = yl.difference(&tl).collect();
    let only_toml: Vec<_> = tl.difference(&yl).collect();
    // Report, not fail: the two files are generated separately and may differ.
    if !only_yaml.is_empty() || !only_toml.is_empty() {
        eprintln!("only in YAML: {only_yaml:?}\nonly in TOML: {only_toml:?}");
    }
}
