//! A vim25 SOAP client for standalone ESXi: reqwest (rustls, ring) + quick-xml, namespace-aware.

pub mod client;
pub mod image;
pub mod soap;
pub mod xml;

pub use client::{Licence, ObjectContent, Vim};
pub use soap::{MoRef, TlsSettings, VimError};
