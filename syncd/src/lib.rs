//! syncd library: modules shared by the syncd binaries.

/// Consul KV: HTTP client (reads, blocking reads, CAS, transactions, ACL token, TLS) and
/// a blocking-query prefix watch with health (staging→live gate, `syncctl consul`).
pub mod consul;

/// Command-line pieces shared by the daemons (log format, durations, `main`).
pub mod cli;

/// HAProxy backends that follow the Kubernetes nodes (`haproxy-sync`).
pub mod haproxy;

/// The merged view of Traefik's three sources and its report (`syncd`).
pub mod view;

/// The Consul staging → live gate (`syncd`).
pub mod consul_gate;

/// The `syncd` daemon: sources, merged view loop, HTTP API, metrics, Events,
/// leader election.
pub mod daemon;

/// The validating admission webhook for the `traefik.io` kinds: verdict,
/// HTTPS serving with certificate hot reload, `syncd webhook-cert`.
pub mod webhook;

/// The human-readable HTML status page of the merged view.
pub mod status_page;
