//! Traefik v3 dynamic-configuration model.
//!
//! The structs mirror Traefik's Go types (`pkg/config/dynamic`, `pkg/tls`) field
//! for field. They derive plain serde traits; Traefik's decoding quirks (keys
//! matched case-insensitively against the Go field names, scalars accepted as
//! one-item lists, numbers given as strings, `allowEmpty` sections) live in the
//! deserializer of [`crate::decode`], not here.

mod allow_empty;

pub use allow_empty::{ALLOW_EMPTY_MARKER, allow_empty};
