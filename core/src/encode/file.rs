//! Configuration → file-provider YAML or TOML.
//!
//! Only fields that are set are written (the model skips Go zero values the way
//! Traefik's `omitempty` does); keys come in the model's field order and maps in
//! their input order, so the same configuration always gives the same bytes.
//! An empty `allowEmpty` section stays an empty table (`tls: {}`), which the file
//! provider reads as "on, with defaults".

use super::{EncodeError, Loss, is_allow_empty, to_json};
use crate::model::Configuration;
use serde_json::Value;

/// A file-provider format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// YAML (`.yml` / `.yaml`).
    Yaml,
    /// TOML (`.toml`).
    Toml,
}

impl FileFormat {
    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Yaml => "yml",
            FileFormat::Toml => "toml",
        }
    }
}

/// A rendered file and what it could not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEncoded {
    /// The document.
    pub text: String,
    /// What the document does not carry.
    pub losses: Vec<Loss>,
}

/// Render `config` as one file-provider document.
pub fn encode(config: &Configuration, format: FileFormat) -> Result<FileEncoded, EncodeError> {
    let mut value = to_json(config)?;
    let mut losses = Vec::new();
    drop_empty_structs(&mut value, &mut Vec::new(), &mut losses);
    if format == FileFormat::Toml {
        // TOML has no null: plugin options set to null cannot be written.
        drop_nulls(&mut value, &mut Vec::new(), &mut losses);
    }
    let text = match format {
        FileFormat::Yaml => {
            if value.as_object().is_some_and(|m| m.is_empty()) {
                String::from("{}\n")
            } else {
                serde_saphyr::to_string(&value)
                    .map_err(|e| EncodeError::Serialize(e.to_string()))?
            }
        }
        FileFormat::Toml => {
            toml::to_string(&value).map_err(|e| EncodeError::Serialize(e.to_string()))?
        }
    };
    Ok(FileEncoded { text, losses })
}

/// A section present but with every field at its default (`ipAllowList` with an
/// empty `sourceRange`) serializes as `{}`, which the file provider rejects
/// ("cannot be a standalone element") unless the section is `allowEmpty`.
fn drop_empty_structs(value: &mut Value, path: &mut Vec<String>, losses: &mut Vec<Loss>) {
    let Value::Object(map) = value else {
        if let Value::Array(items) = value {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                drop_empty_structs(v, path, losses);
                path.pop();
            }
        }
        return;
    };
    let mut empty = Vec::new();
    for (k, v) in map.iter_mut() {
        path.push(k.clone());
        if v.as_object().is_some_and(|m| m.is_empty()) {
            if path.len() > 1 && !is_allow_empty(path) {
                empty.push(k.clone());
                losses.push(Loss::new(
                    path,
                    "file-empty-section",
                    "a section with every option at its default has no file form (`{}` is rejected); it is left out",
                ));
            }
        } else {
            drop_empty_structs(v, path, losses);
        }
        path.pop();
    }
    for k in empty {
        map.shift_remove(&k);
    }
}

fn drop_nulls(value: &mut Value, path: &mut Vec<String>, losses: &mut Vec<Loss>) {
    match value {
        Value::Object(map) => {
            let nulls: Vec<String> = map
                .iter()
                .filter(|(_, v)| v.is_null())
                .map(|(k, _)| k.clone())
                .collect();
            for k in nulls {
                map.shift_remove(&k);
                path.push(k);
                losses.push(Loss::new(
                    path,
                    "toml-null",
                    "TOML has no null value; the option is left out",
                ));
                path.pop();
            }
            for (k, v) in map.iter_mut() {
                path.push(k.clone());
                drop_nulls(v, path, losses);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                drop_nulls(v, path, losses);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::file_provider::{SourceFile, decode_provider};
    use crate::encode::test_support::{comparable, corpus_configs};

    fn roundtrip(config: &Configuration, format: FileFormat) -> (Configuration, FileEncoded) {
        let encoded = encode(config, format).expect("encodes");
        let file = SourceFile {
            path: format!("converted.{}", format.extension()),
            content: encoded.text.clone().into_bytes(),
        };
        let back = decode_provider(&[file]);
        assert!(
            !back.is_rejected(),
            "Traefik would reject the {format:?} output: {:?}\n{}",
            back.status,
            encoded.text
        );
        (back.config, encoded)
    }

    #[test]
    fn corpus_roundtrips_through_yaml_and_toml() {
        let configs = corpus_configs();
        assert!(configs.len() > 60);
        for format in [FileFormat::Yaml, FileFormat::Toml] {
            for (label, provider) in &configs {
                let (back, encoded) = roundtrip(&provider.config, format);
                if encoded.losses.is_empty() {
                    assert_eq!(
                        back, provider.config,
                        "{label}: {format:?} round trip changed the configuration:\n{}",
                        encoded.text
                    );
                } else {
                    let want =
                        comparable(&to_json(&provider.config).expect("json"), &encoded.losses);
                    let got = comparable(&to_json(&back).expect("json"), &encoded.losses);
                    assert_eq!(got, want, "{label}: {format:?}");
                }
            }
        }
    }

    #[test]
    fn output_is_deterministic_and_only_set_fields() {
        let (_, p) = corpus_configs()
            .into_iter()
            .find(|(l, _)| l.starts_with("examples/homelab/files"))
            .expect("homelab example");
        let a = encode(&p.config, FileFormat::Yaml).expect("yaml");
        let b = encode(&p.config, FileFormat::Yaml).expect("yaml");
        assert_eq!(a, b);
        assert!(!a.text.contains("null"));
        let t = encode(&p.config, FileFormat::Toml).expect("toml");
        assert!(t.text.contains("[http.routers."), "{}", t.text);
    }
}
