//! The Consul gate: operators edit a staging prefix; only validated
//! revisions reach the live prefix Traefik reads.
//!
//! Sans-IO parts: [`quiescence`] (when to look at a burst of edits) and
//! [`verdict`] (whether a revision may be promoted, and the status document
//! written back to Consul).

pub mod args;
pub mod driver;
pub mod machine;
pub mod ownership;
pub mod quiescence;
pub mod service;
pub mod verdict;
