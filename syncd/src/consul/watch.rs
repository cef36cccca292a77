//! A blocking-query watch of one KV prefix, following Consul's rules for clients
//! (api-docs/features/blocking) and the lessons of consul-template and confd:
//! * the index is reset to 0 when it goes backwards (snapshot restore, the highest-index key
//!   deleted), and an index below 1 is taken as 1, so that no query returns at once forever;
//! * a token bucket (burst 2) bounds how often queries are made, so a server answering
//!   at once (index not moving, churn) cannot make the loop spin;
//! * each query waits `wait` minus a random jitter of up to wait/16, so that many watchers
//!   restarted together do not stay in step;
//! * receivers are woken only when keys, values or flags changed, not merely the index (an
//!   idempotent write or a write elsewhere); the stored list still gets the new indexes;
//! * an outage never ends the watch: it retries with capped exponential backoff and jitter,
//!   keeps the last good content, and reports health (healthy, since when, last error, last
//!   success) for the daemon's readiness and metrics. After an outage the query resumes
//!   with the last index, so a change made meanwhile is seen at once.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::client::{ConsulClient, KvEntry, KvList};

/// Tuning of a [`PrefixWatch`].
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Query rate: one token per this interval, at most 2 saved (consul-template waits
    /// at least 100 ms between calls).
    pub min_interval: Duration,
    /// First retry delay after a failure.
    pub backoff_initial: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            min_interval: Duration::from_millis(200),
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// The watch's view of its source, for readiness and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchHealth {
    /// Whether the last query succeeded.
    pub healthy: bool,
    /// When `healthy` last changed (or the watch started).
    pub since: SystemTime,
    /// The last error (kept after recovery, for status pages).
    pub last_error: Option<String>,
    /// When a query last succeeded.
    pub last_success: Option<SystemTime>,
    /// Failures in a row (0 when healthy).
    pub consecutive_failures: u32,
    /// The index the next query blocks on.
    pub index: u64,
}

/// A running watch of one prefix. The task stops when this is dropped.
#[derive(Debug)]
pub struct PrefixWatch {
    content: watch::Receiver<Option<Arc<KvList>>>,
    health: watch::Receiver<WatchHealth>,
    task: JoinHandle<()>,
}

impl Drop for PrefixWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PrefixWatch {
    /// Starts watching `prefix` (must be called inside a Tokio runtime).
    pub fn spawn(client: ConsulClient, prefix: &str, options: WatchOptions) -> PrefixWatch {
        let (content_tx, content) = watch::channel(None);
        let (health_tx, health) = watch::channel(WatchHealth {
            healthy: false,
            since: SystemTime::now(),
            last_error: None,
            last_success: None,
            consecutive_failures: 0,
            index: 0,
        });
        let prefix = prefix.to_owned();
        let task = tokio::spawn(async move {
            run(client, prefix, options, content_tx, health_tx).await;
        });
        PrefixWatch {
            content,
            health,
            task,
        }
    }

    /// The latest content (`None` until the first successful read).
    pub fn current(&self) -> Option<Arc<KvList>> {
        self.content.borrow().clone()
    }

    /// A receiver woken only when keys, values or flags change (coalescing: a slow reader
    /// sees the latest content, never a stale queue). Its value always carries the latest
    /// `ModifyIndex`es, even when an idempotent write did not wake it.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<KvList>>> {
        self.content.clone()
    }

    /// The current health.
    pub fn health(&self) -> WatchHealth {
        self.health.borrow().clone()
    }

    /// A receiver of health changes.
    pub fn subscribe_health(&self) -> watch::Receiver<WatchHealth> {
        self.health.clone()
    }
}

/// A small random fraction in [0, 1) (jitter only; no cryptographic use).
fn random_fraction() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (hasher.finish() % 1_000_000) as f64 / 1_000_000.0
}

/// Same keys, values and flags (indexes aside: an idempotent write moves them only).
fn same_content(a: &[KvEntry], b: &[KvEntry]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.key == y.key && x.value == y.value && x.flags == y.flags)
}

/// The next index to block on, by Consul's rules.
pub(crate) fn next_index(previous: u64, returned: u64) -> u64 {
    if returned < previous {
        0
    } else {
        returned.max(1)
    }
}

/// Delay before retry number `failures` (1-based): exponential, capped, "equal jitter".
pub(crate) fn backoff(options: &WatchOptions, failures: u32) -> Duration {
    let exp = options
        .backoff_initial
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let capped = exp.min(options.backoff_max);
    capped / 2 + capped.div_f64(2.0).mul_f64(random_fraction())
}

/// Token bucket: burst 2, one token per `interval`.
struct Bucket {
    tokens: f64,
    last: Instant,
    interval: Duration,
}

impl Bucket {
    async fn take(&mut self) {
        let rate = self.interval.as_secs_f64().max(1e-6);
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() / rate).min(2.0);
        self.last = now;
        if self.tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - self.tokens) * rate);
            tokio::time::sleep(wait).await;
            self.tokens = 1.0;
            self.last = Instant::now();
        }
        self.tokens -= 1.0;
    }
}

async fn run(
    client: ConsulClient,
    prefix: String,
    options: WatchOptions,
    content: watch::Sender<Option<Arc<KvList>>>,
    health: watch::Sender<WatchHealth>,
) {
    let mut index = 0u64;
    let mut failures = 0u32;
    let mut bucket = Bucket {
        tokens: 2.0,
        last: Instant::now(),
        interval: options.min_interval,
    };
    let wait = client.wait();
    loop {
        bucket.take().await;
        let jittered = wait.saturating_sub(wait.div_f64(16.0).mul_f64(random_fraction()));
        let result = client
            .list_with_wait(&prefix, (index > 0).then_some(index), jittered)
            .await;
        match result {
            Ok(list) => {
                failures = 0;
                index = next_index(index, list.index);
                let now = SystemTime::now();
                health.send_modify(|h| {
                    if !h.healthy {
                        h.healthy = true;
                        h.since = now;
                    }
                    h.last_success = Some(now);
                    h.consecutive_failures = 0;
                    h.index = index;
                });
                let keys = list.pairs.len();
                // The stored list always carries the latest indexes (for check-and-set),
                // but receivers are woken only when keys, values or flags changed.
                let changed = content.send_if_modified(|current| {
                    let changed = current
                        .as_ref()
                        .is_none_or(|old| !same_content(&old.pairs, &list.pairs));
                    *current = Some(Arc::new(list));
                    changed
                });
                if changed {
                    tracing::debug!(prefix, index, keys, "Consul KV content changed");
                }
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let text = error.to_string();
                let now = SystemTime::now();
                health.send_modify(|h| {
                    if h.healthy || h.consecutive_failures == 0 {
                        h.since = now;
                    }
                    h.healthy = false;
                    h.last_error = Some(text.clone());
                    h.consecutive_failures = failures;
                });
                let delay = backoff(&options, failures);
                tracing::warn!(prefix, failures, retry_in = ?delay, error = %text, "Consul KV watch failed");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_rules() {
        assert_eq!(next_index(0, 5), 5);
        assert_eq!(next_index(5, 5), 5);
        assert_eq!(next_index(5, 9), 9);
        assert_eq!(next_index(9, 3), 0, "backwards resets to 0");
        assert_eq!(next_index(0, 0), 1, "never below 1");
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let options = WatchOptions {
            min_interval: Duration::from_millis(1),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
        };
        let first = backoff(&options, 1);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        let late = backoff(&options, 40);
        assert!(late >= Duration::from_secs(1) && late <= Duration::from_secs(2));
    }

    #[tokio::test]
    async fn bucket_allows_a_burst_of_two_then_paces() {
        let mut bucket = Bucket {
            tokens: 2.0,
            last: Instant::now(),
            interval: Duration::from_millis(100),
        };
        let started = Instant::now();
        for _ in 0..4 {
            bucket.take().await;
        }
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(180), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }
}
