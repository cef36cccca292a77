//! syncd library: modules shared by the syncd binaries.

/// HAProxy backends that follow the Kubernetes nodes (`haproxy-sync`).
pub mod haproxy;

/// The merged view of Traefik's three sources and its report (`syncd`).
pub mod view;

/// The validating admission webhook for the `traefik.io` kinds: verdict,
/// HTTPS serving with certificate hot reload, `syncd webhook-cert`.
pub mod webhook;

/// The human-readable HTML status page of the merged view.
pub mod status_page;
