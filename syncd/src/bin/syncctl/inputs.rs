//! Reading `--static`, `--files`, `--crds` and `--consul-export` into decoded providers.

use crate::Sources;
use anyhow::{Context, Result};
use std::collections::HashMap;
use sync_core::decode::consul_kv::{self, DEFAULT_ROOT_KEY};
use sync_core::decode::file_provider::{self, SourceFile};
use sync_core::provider::ProviderConfig;
use sync_core::static_config::StaticConfig;

/// Everything read from disk, decoded.
pub struct Loaded {
    /// The static configuration, if given.
    pub static_cfg: Option<StaticConfig>,
    /// One entry per provider given on the command line.
    pub providers: Vec<ProviderConfig>,
    /// File contents by path, to quote the offending line in text reports.
    pub texts: HashMap<String, String>,
}

/// Read and decode every source named on the command line.
pub fn load(sources: &Sources) -> Result<Loaded> {
    load_with(sources, false)
}

/// [`load`], where giving no provider at all is fine (the other providers
/// of `syncctl consul promote` are optional).
pub fn load_optional(sources: &Sources) -> Result<Loaded> {
    load_with(sources, true)
}

fn load_with(sources: &Sources, allow_empty: bool) -> Result<Loaded> {
    let mut texts = HashMap::new();
    let static_cfg = match &sources.static_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading static configuration {}", path.display()))?;
            let cfg = StaticConfig::parse(&path.display().to_string(), &text).map_err(|e| {
                anyhow::anyhow!("static configuration {}: {}", path.display(), e.message)
            })?;
            Some(cfg)
        }
        None => None,
    };
    let mut providers = Vec::new();
    if !sources.files.is_empty() {
        let mut files: Vec<SourceFile> = Vec::new();
        for path in &sources.files {
            files.extend(sync_core::load::file_provider_files(path)?);
        }
        remember(&mut texts, &files);
        providers.push(file_provider::decode_provider(&files));
    }
    if !sources.crds.is_empty() {
        let mut files: Vec<SourceFile> = Vec::new();
        for path in &sources.crds {
            files.extend(sync_core::load::manifest_files(path)?);
        }
        remember(&mut texts, &files);
        let opts = static_cfg
            .as_ref()
            .map(|s| s.crd.clone())
            .unwrap_or_default();
        providers.push(sync_core::decode::crd::decode_manifests(&files, &opts));
    }
    if let Some(path) = &sources.consul_export {
        let json = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let pairs =
            consul_kv::parse_export(&json).with_context(|| format!("{}", path.display()))?;
        let root = sources
            .consul_root_key
            .clone()
            .or_else(|| static_cfg.as_ref().and_then(|s| s.consul_root_key.clone()))
            .unwrap_or_else(|| DEFAULT_ROOT_KEY.to_string());
        providers.push(consul_kv::decode_provider(&pairs, &root));
    }
    if providers.is_empty() && !allow_empty {
        anyhow::bail!(
            "nothing to validate: give at least one of --files PATH, --crds PATH, --consul-export FILE"
        );
    }
    Ok(Loaded {
        static_cfg,
        providers,
        texts,
    })
}

fn remember(texts: &mut HashMap<String, String>, files: &[SourceFile]) {
    for f in files {
        if let Ok(text) = std::str::from_utf8(&f.content) {
            texts.insert(f.path.clone(), text.to_string());
        }
    }
}
