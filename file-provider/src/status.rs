//! The status document served on `/status` and written to the status file.
//!
//! It is the JSON report of `syncctl validate` (same top-level keys: `http`,
//! `tcp`, `udp`, `providers`, `findings`) for the inbox as it is now, plus a
//! `gate` object saying which inbox revision Traefik is serving.

use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};
use sync_core::report::Report;

/// What the gate did with the current inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// No scan finished yet.
    Starting,
    /// The current inbox is live.
    Published,
    /// The current inbox was refused; the previous publication stays live.
    Rejected,
    /// The inbox directory cannot be read; the previous publication stays live.
    InboxUnreadable,
    /// The inbox is valid but writing it failed; the previous publication stays live.
    PublishFailed,
}

/// The `gate` object.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    /// See [`State`].
    pub state: State,
    /// Inbox directory.
    pub inbox: String,
    /// Published file.
    pub output: String,
    /// Whether warnings block publication.
    pub strict: bool,
    /// Revision of the inbox as last scanned.
    pub inbox_revision: Option<String>,
    /// Revision Traefik's file currently holds (from the published file's header).
    pub live_revision: Option<String>,
    /// When the live revision was published by this process (RFC 3339, UTC).
    pub live_since: Option<String>,
    /// When the inbox was last scanned.
    pub last_scan: Option<String>,
    /// Configuration files in the inbox.
    pub files: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Gate time for the last evaluation, in milliseconds.
    pub gate_millis: f64,
    /// `.yml/.yaml/.toml` files in Traefik's directory not written by file-provider
    /// (Traefik merges them with ours; they bypass the gate).
    pub foreign_output_files: Vec<String>,
    /// A sentence for humans.
    pub message: String,
}

/// The whole document.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDoc {
    /// Report for the inbox as last scanned.
    #[serde(flatten)]
    pub report: Report,
    /// Gate state.
    pub gate: Gate,
}

/// Now as RFC 3339 UTC with milliseconds.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 UTC with milliseconds.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Unix time in seconds.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_rfc3339() {
        let t = UNIX_EPOCH + Duration::from_millis(1_764_093_106_123);
        assert_eq!(super::rfc3339(t), "2025-11-25T17:51:46.123Z");
        assert_eq!(super::rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }
}
