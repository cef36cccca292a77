//! Leader election on a `coordination.k8s.io/v1` Lease.
//!
//! Own implementation rather than the `kube-lease-manager` crate (0.13 does
//! support kube 5): that crate takes the lease with server-side apply and
//! strategic-merge patches, while this one needs only get, create and a
//! `resourceVersion`-guarded replace — the optimistic concurrency every API
//! server (and the test double) implements the same way.
//!
//! Rules (client-go's, simplified):
//! * a lease is free when it has no holder, or when its record has not changed
//!   for `leaseDurationSeconds` as observed by this replica's own clock (no
//!   comparison of clocks between replicas);
//! * the holder renews every `duration / 3`;
//! * `is_leader` goes false AT ONCE when another holder is seen, when a renew
//!   is refused (409), or when no renew succeeded for `2/3` of the duration (so
//!   the old leader stops acting before anyone else may take over);
//! * on shutdown the holder releases the lease (empty holder), so a successor
//!   does not wait for it to expire.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client};
use tokio::sync::watch;

/// Settings of the election.
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// Namespace of the Lease.
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's identity (pod name).
    pub identity: String,
    /// `leaseDurationSeconds` (rounded up to whole seconds, at least 1).
    pub duration: Duration,
}

impl LeaseConfig {
    fn duration_secs(&self) -> i32 {
        let s = self.duration.as_secs() + u64::from(self.duration.subsec_nanos() > 0);
        i32::try_from(s.max(1)).unwrap_or(i32::MAX)
    }
    fn retry(&self) -> Duration {
        (self.duration / 3).max(Duration::from_millis(100))
    }
    fn renew_deadline(&self) -> Duration {
        self.duration * 2 / 3
    }
}

/// What one attempt observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// This replica holds the lease (acquired or renewed).
    Held,
    /// Someone else holds a live lease.
    Other(String),
    /// The API refused or failed; nothing is known.
    Failed(String),
}

/// A lease record's identity: holder, renew time, resourceVersion.
type RecordKey = (Option<String>, Option<String>, Option<String>);

/// The election state kept between attempts.
#[derive(Debug, Default)]
pub struct Elector {
    /// The last record seen (holder, renew time, resourceVersion) and when it
    /// was first seen locally.
    observed: Option<(RecordKey, Instant)>,
}

fn record_key(l: &Lease) -> RecordKey {
    let spec = l.spec.clone().unwrap_or_default();
    (
        spec.holder_identity,
        spec.renew_time.map(|t| t.0.to_string()),
        l.metadata.resource_version.clone(),
    )
}

impl Elector {
    /// One acquire-or-renew attempt.
    pub async fn attempt(&mut self, api: &Api<Lease>, cfg: &LeaseConfig) -> Attempt {
        let now = MicroTime(Timestamp::now());
        let current = match api.get_opt(&cfg.name).await {
            Ok(c) => c,
            Err(e) => return Attempt::Failed(e.to_string()),
        };
        let Some(mut lease) = current else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(cfg.name.clone()),
                    namespace: Some(cfg.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(cfg.identity.clone()),
                    lease_duration_seconds: Some(cfg.duration_secs()),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match api.create(&PostParams::default(), &lease).await {
                Ok(_) => Attempt::Held,
                Err(e) => Attempt::Failed(e.to_string()),
            };
        };
        let key = record_key(&lease);
        let first_seen = match &self.observed {
            Some((k, t)) if *k == key => *t,
            _ => Instant::now(),
        };
        self.observed = Some((key, first_seen));
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let held_by_me = holder.as_deref() == Some(cfg.identity.as_str());
        let their_duration = Duration::from_secs(
            u64::try_from(spec.lease_duration_seconds.unwrap_or(cfg.duration_secs())).unwrap_or(0),
        );
        let expired = first_seen.elapsed() >= their_duration;
        if let Some(h) = &holder
            && !held_by_me
            && !expired
        {
            return Attempt::Other(h.clone());
        }
        let mut new_spec = spec.clone();
        if !held_by_me {
            new_spec.acquire_time = Some(now.clone());
            new_spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        new_spec.holder_identity = Some(cfg.identity.clone());
        new_spec.lease_duration_seconds = Some(cfg.duration_secs());
        new_spec.renew_time = Some(now);
        lease.spec = Some(new_spec);
        // `lease.metadata.resourceVersion` is kept: the API server refuses the
        // replace (409) if anyone wrote the lease since our read.
        match api.replace(&cfg.name, &PostParams::default(), &lease).await {
            Ok(l) => {
                self.observed = Some((record_key(&l), Instant::now()));
                Attempt::Held
            }
            Err(kube::Error::Api(s)) if s.code == 409 => {
                Attempt::Other(holder.unwrap_or_else(|| "(conflict)".into()))
            }
            Err(e) => Attempt::Failed(e.to_string()),
        }
    }

    /// Give the lease up if this replica holds it.
    pub async fn release(&self, api: &Api<Lease>, cfg: &LeaseConfig) -> Result<(), kube::Error> {
        let Some(mut lease) = api.get_opt(&cfg.name).await? else {
            return Ok(());
        };
        let mut spec = lease.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(cfg.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        lease.spec = Some(spec);
        api.replace(&cfg.name, &PostParams::default(), &lease)
            .await?;
        Ok(())
    }
}

/// Run the election until `shutdown` turns true; then release the lease (when
/// held) and return. `is_leader` carries the current state.
pub async fn run_election(
    client: Client,
    cfg: LeaseConfig,
    is_leader: watch::Sender<bool>,
    mut shutdown: watch::Receiver<bool>,
) {
    let api: Api<Lease> = Api::namespaced(client, &cfg.namespace);
    let mut elector = Elector::default();
    let mut last_renew: Option<Instant> = None;
    loop {
        let outcome = match tokio::time::timeout(cfg.retry(), elector.attempt(&api, &cfg)).await {
            Ok(o) => o,
            Err(_) => Attempt::Failed("the API server did not answer in time".into()),
        };
        let leader_now = match &outcome {
            Attempt::Held => {
                last_renew = Some(Instant::now());
                true
            }
            Attempt::Other(h) => {
                if *is_leader.borrow() {
                    tracing::warn!(holder = %h, "lost the lease");
                }
                last_renew = None;
                false
            }
            Attempt::Failed(e) => {
                tracing::warn!(error = %e, "lease attempt failed");
                last_renew.is_some_and(|t| t.elapsed() < cfg.renew_deadline())
            }
        };
        if leader_now != *is_leader.borrow() {
            tracing::info!(leader = leader_now, identity = %cfg.identity, lease = %cfg.name, "leadership changed");
            is_leader.send_replace(leader_now);
        }
        // While leading, wake up in time to drop leadership at the renew
        // deadline even when the API hangs.
        let wait = cfg.retry();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
    if *is_leader.borrow() {
        is_leader.send_replace(false);
        match tokio::time::timeout(Duration::from_secs(5), elector.release(&api, &cfg)).await {
            Ok(Ok(())) => tracing::info!(lease = %cfg.name, "released the lease"),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not release the lease"),
            Err(_) => tracing::warn!("releasing the lease timed out"),
        }
    }
}
