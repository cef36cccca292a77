//! The gate's record of what it wrote to live, kept in Consul itself (the
//! state key) so that every replica, and the next leader after a failover,
//! knows which live keys it owns and what it last wrote to each.
//!
//! Without it a restarted gate could neither delete keys it created earlier
//! (it would not know they are its own) nor notice a live key edited behind
//! its back (it would not know what it wrote).

use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use sync_core::promote::LiveEntry;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Format version written into the record; a newer one is refused rather than misread.
pub const VERSION: u32 = 1;

/// What the gate last wrote, keys relative to the live prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// Each owned key with the value written and the ModifyIndex Consul gave it.
    pub entries: BTreeMap<String, LiveEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Doc {
    version: u32,
    live_prefix: String,
    entries: BTreeMap<String, DocEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DocEntry {
    modify_index: u64,
    value: String,
}

/// Why a stored record cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OwnershipError {
    /// Not the JSON this module writes.
    #[error(
        "the gate's state key does not hold its ownership record ({0}); delete the key to start over (the gate then owns nothing and deletes nothing)"
    )]
    Malformed(String),
    /// Written by a newer syncd.
    #[error("the gate's state key was written by a newer syncd (format {0}); upgrade this replica")]
    TooNew(u32),
    /// Written for another live prefix.
    #[error(
        "the gate's state key belongs to live prefix {0:?}; give each gate its own --consul-state-key"
    )]
    OtherPrefix(String),
}

impl Ownership {
    /// Parse the record stored under the state key.
    pub fn parse(bytes: &[u8], live_prefix: &str) -> Result<Self, OwnershipError> {
        let doc: Doc =
            serde_json::from_slice(bytes).map_err(|e| OwnershipError::Malformed(e.to_string()))?;
        if doc.version > VERSION {
            return Err(OwnershipError::TooNew(doc.version));
        }
        if doc.live_prefix != live_prefix {
            return Err(OwnershipError::OtherPrefix(doc.live_prefix));
        }
        let mut entries = BTreeMap::new();
        for (key, e) in doc.entries {
            let value = B64
                .decode(&e.value)
                .map_err(|err| OwnershipError::Malformed(format!("{key}: {err}")))?;
            entries.insert(
                key,
                LiveEntry {
                    value,
                    modify_index: e.modify_index,
                },
            );
        }
        Ok(Self { entries })
    }

    /// The record as stored under the state key.
    pub fn to_json(&self, live_prefix: &str) -> Vec<u8> {
        let doc = Doc {
            version: VERSION,
            live_prefix: live_prefix.to_string(),
            entries: self
                .entries
                .iter()
                .map(|(k, e)| {
                    (
                        k.clone(),
                        DocEntry {
                            modify_index: e.modify_index,
                            value: B64.encode(&e.value),
                        },
                    )
                })
                .collect(),
        };
        serde_json::to_vec(&doc).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_it_cannot_use() {
        let mut o = Ownership::default();
        o.entries.insert(
            "http/routers/a/rule".into(),
            LiveEntry {
                value: b"Host(`a`)".to_vec(),
                modify_index: 42,
            },
        );
        let json = o.to_json("traefik/");
        assert_eq!(Ownership::parse(&json, "traefik/").unwrap(), o);
        assert!(matches!(
            Ownership::parse(&json, "other/"),
            Err(OwnershipError::OtherPrefix(_))
        ));
        assert!(matches!(
            Ownership::parse(
                b"{\"version\":9,\"livePrefix\":\"traefik/\",\"entries\":{}}",
                "traefik/"
            ),
            Err(OwnershipError::TooNew(9))
        ));
        let err = Ownership::parse(b"not json", "traefik/").unwrap_err();
        assert!(err.to_string().contains("delete the key"), "{err}");
    }
}
