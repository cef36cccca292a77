//! The `allowEmpty` marker of Traefik's struct tags.
//!
//! Traefik tags some optional sections `label:"allowEmpty" file:"allowEmpty"
//! kv:"allowEmpty"` (router `tls`, `sticky`, `healthCheck`, ...): such a section may
//! be given empty (`tls: {}`, or an empty KV key) to switch it on with defaults,
//! and a plain value other than `true` switches it off. Every other struct-typed
//! field given empty is a decode error ("cannot be a standalone element").

use serde::de::{Deserialize, Deserializer, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// Newtype-struct name the decoder recognises as "the field below is allowEmpty".
pub const ALLOW_EMPTY_MARKER: &str = "$sync_core::allow_empty";

/// `deserialize_with` helper for an `Option<T>` field tagged `allowEmpty` in Traefik.
///
/// Use as `#[serde(default, deserialize_with = "crate::model::allow_empty")]`.
/// With a deserializer other than the project's own (e.g. `serde_json`) it behaves
/// like a plain `Option<T>`.
pub fn allow_empty<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct AllowEmptyVisitor<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for AllowEmptyVisitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an optional section")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            T::deserialize(d).map(Some)
        }

        fn visit_newtype_struct<D2: Deserializer<'de>>(
            self,
            d: D2,
        ) -> Result<Self::Value, D2::Error> {
            // Through `Option` so that self-describing formats (serde_json) map
            // `null` to `None`; the project's decoder always visits `Some`.
            Option::<T>::deserialize(d)
        }
    }

    deserializer.deserialize_newtype_struct(ALLOW_EMPTY_MARKER, AllowEmptyVisitor(PhantomData))
}
