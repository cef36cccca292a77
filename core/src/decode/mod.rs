//! Decoders: each provider's input → one [`crate::provider::ProviderConfig`].
//!
//! All of them go through the same two stages Traefik uses: input → untyped
//! [`node::Node`] tree → typed [`crate::model::Configuration`] via [`de`].

pub mod consul_kv;
pub mod crd;
pub mod de;
pub mod file_provider;
pub mod goconv;
pub mod gotemplate;
pub mod merge;
pub mod node;
pub mod raw;
pub mod toml_raw;
pub mod yaml;
