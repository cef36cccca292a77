//! consul-template's quiescence timer: act after `min` of silence, or at the
//! latest `max` after the first change of a burst.
//!
//! Operators edit several keys one by one in the Consul UI; promoting after
//! each key would validate (and reject) half-done edits. Each change re-arms
//! the `min` timer but never past the burst's hard deadline, so a key edited
//! every few hundred milliseconds cannot starve promotion.

use std::time::{Duration, Instant};

/// The timer's state. Pure: the caller passes the clock.
#[derive(Debug, Clone)]
pub struct Quiescence {
    min: Duration,
    max: Duration,
    quiet_at: Option<Instant>,
    deadline: Option<Instant>,
}

impl Quiescence {
    /// A timer waiting `min` of silence, `max` at most (`max` below `min` is raised to `min`).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max: max.max(min),
            quiet_at: None,
            deadline: None,
        }
    }

    /// Record a change seen at `now`.
    pub fn changed(&mut self, now: Instant) {
        let deadline = *self.deadline.get_or_insert(now + self.max);
        self.quiet_at = Some((now + self.min).min(deadline));
    }

    /// Whether a burst is pending and its time has come.
    pub fn due(&self, now: Instant) -> bool {
        self.quiet_at.is_some_and(|t| now >= t)
    }

    /// When to look again, if a burst is pending.
    pub fn wake_at(&self) -> Option<Instant> {
        self.quiet_at
    }

    /// Forget the burst (it was acted on).
    pub fn reset(&mut self) {
        self.quiet_at = None;
        self.deadline = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn waits_for_silence() {
        let t0 = Instant::now();
        let mut q = Quiescence::new(300 * MS, 3000 * MS);
        assert!(!q.due(t0));
        q.changed(t0);
        assert!(!q.due(t0 + 299 * MS));
        q.changed(t0 + 200 * MS);
        assert!(!q.due(t0 + 400 * MS));
        assert!(q.due(t0 + 500 * MS));
        q.reset();
        assert!(!q.due(t0 + 10_000 * MS));
    }

    #[test]
    fn a_steady_stream_of_edits_cannot_starve_it() {
        let t0 = Instant::now();
        let mut q = Quiescence::new(300 * MS, 1000 * MS);
        let mut t = t0;
        while t < t0 + 5000 * MS && !q.due(t) {
            q.changed(t);
            t += 100 * MS;
        }
        assert!(t <= t0 + 1100 * MS, "acted only at {:?}", t - t0);
    }
}
