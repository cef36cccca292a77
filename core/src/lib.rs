//! `sync-core`: a sans-IO model of Traefik v3 dynamic configuration.
//!
//! Decoders turn each provider's input (file provider YAML/TOML, Consul KV,
//! Kubernetes CRD manifests) into one [`model::Configuration`] per provider,
//! keeping where every object came from; the merge qualifies names the way
//! Traefik's aggregator does (`name@provider`); validation reproduces Traefik's
//! runtime statuses and error texts and adds the findings Traefik never reports.

pub mod decode;
/// Encoders: a configuration back into Consul KV pairs, file-provider YAML/TOML or CRD manifests.
pub mod encode;
pub mod finding;
pub mod load;
pub mod model;
pub mod objects;
/// Staging → live promotion planner for a Consul KV gate (diff, conflicts, CAS-guarded batches).
pub mod promote;
pub mod provider;
pub mod report;
pub mod routing;
pub mod rules;
pub mod source;
pub mod static_config;
pub mod validate;
