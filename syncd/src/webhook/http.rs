//! The webhook's HTTP route, for the daemon to serve with [`super::tls::serve_https`].

use super::admission::review;
use crate::view::Snapshot;
use axum::Json;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::post;
use std::sync::Arc;

/// Where the API server posts AdmissionReviews (`clientConfig.service.path`
/// in `manifests/syncd/webhook.yaml`).
pub const ADMISSION_PATH: &str = "/v1/admission";

/// Largest request body read: the API server's object limit is 3 MiB, and an
/// UPDATE carries the object twice.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// A router answering `POST /v1/admission` against the snapshot `current`
/// returns at the time of each request (the daemon's latest view).
pub fn router<F>(current: F) -> axum::Router
where
    F: Fn() -> Arc<Snapshot> + Clone + Send + Sync + 'static,
{
    axum::Router::new()
        .route(
            ADMISSION_PATH,
            post(move |body: Bytes| {
                let current = current.clone();
                async move {
                    let snapshot = current();
                    // CPU work (milliseconds; the per-snapshot index takes
                    // longer the first time): off the async workers.
                    match tokio::task::spawn_blocking(move || review(&snapshot, &body)).await {
                        Ok(v) => Ok(Json(v)),
                        Err(e) => {
                            tracing::error!(error = %e, "admission review failed");
                            Err(StatusCode::INTERNAL_SERVER_ERROR)
                        }
                    }
                }
            }),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
