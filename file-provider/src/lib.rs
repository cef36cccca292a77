//! `file-provider`: the sidecar between the directory users edit (the inbox)
//! and the directory Traefik's file provider reads.
//!
//! Flow: [`daemon`] watches the inbox ([`inbox`] reads it defensively), the
//! [`gate`] decodes and validates it with `sync-core` exactly as Traefik would,
//! [`render`] merges it into one file whose equivalence is re-checked, and
//! [`publish`] replaces that file atomically. [`server`] exposes `/status`,
//! `/metrics` ([`metrics`]) and `/healthz`.

pub mod daemon;
pub mod gate;
pub mod inbox;
pub mod metrics;
pub mod publish;
pub mod render;
pub mod server;
pub mod status;
pub mod syncd_check;
