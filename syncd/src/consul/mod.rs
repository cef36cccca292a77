//! Consul KV: a client for the HTTP API (reads, blocking reads, writes, check-and-set,
//! transactions, ACL tokens, TLS) and a blocking-query watch of one prefix.
//!
//! ```no_run
//! # async fn demo() -> Result<(), syncd::consul::ConsulError> {
//! use syncd::consul::{ConsulClient, ConsulConfig, PrefixWatch, TxnOp, WatchOptions};
//! let client = ConsulClient::new(&ConsulConfig::new("http://127.0.0.1:8500"))?;
//! let list = client.list("traefik-staging/", None).await?;
//! let ops: Vec<TxnOp> = list
//!     .pairs
//!     .iter()
//!     .map(|e| TxnOp::Set { key: e.key.replacen("traefik-staging/", "traefik/", 1), value: e.value.clone() })
//!     .collect();
//! client.txn(&ops).await?;
//! let watch = PrefixWatch::spawn(client, "traefik/", WatchOptions::default());
//! let mut updates = watch.subscribe();
//! let _ = updates.changed().await;
//! # Ok(()) }
//! ```

mod args;
mod client;
mod error;
mod watch;

pub use args::{Consistency, ConsulArgs, ConsulConfig, Token, parse_duration};
pub use client::{ConsulClient, KvEntry, KvList, TxnOp};
pub use error::ConsulError;
pub use watch::{PrefixWatch, WatchHealth, WatchOptions};
