//! The validating admission webhook for Traefik's `traefik.io` kinds: the
//! verdict ([`admission`], [`decision`]), HTTPS serving with a certificate that
//! follows its files on disk ([`tls`]), and `syncd webhook-cert` ([`cert`]).

/// AdmissionReview v1 in, AdmissionReview v1 out.
pub mod admission;
/// `syncd webhook-cert`: a CA and a serving certificate for the webhook Service.
pub mod cert;
/// The verdict: compare the view before and after one CRD change.
pub mod decision;
/// `POST /v1/admission` as an axum router.
pub mod http;
/// The verdict on slices of the view (fast path of [`admission::judge`]).
pub mod incremental;
/// HTTPS with a certificate reloaded when its files change.
pub mod tls;
