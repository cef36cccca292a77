//! syncd library: modules shared by the syncd binaries.

/// HAProxy backends that follow the Kubernetes nodes (`haproxy-sync`).
pub mod haproxy;
