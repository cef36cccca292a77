//! `haproxy-sync`: keeps HAProxy's backend server lists equal to the Kubernetes nodes,
//! through the runtime API (no reloads for server-list changes), and persists the same
//! membership into `haproxy.cfg`.
//!
//! Pure parts: [`nodes`] (node model and decoders), [`backends`] (definitions file),
//! [`membership`] (rules), [`state`] (runtime answers), [`plan`] (diff + safety),
//! [`render`] (haproxy.cfg). IO adapters: [`runtime`] (admin socket), [`persist`]
//! (staged write, `haproxy -c`, rename, reload), [`file_source`] and [`kube_source`]
//! (node sources), [`metrics`], and the loop in [`daemon`].

pub mod backends;
pub mod daemon;
pub mod file_source;
pub mod kube_source;
pub mod membership;
pub mod metrics;
pub mod nodes;
pub mod persist;
pub mod plan;
pub mod render;
pub mod runtime;
pub mod state;
