//! Router selection as Traefik 3.7 does it, per entry point.

pub mod overlap;
