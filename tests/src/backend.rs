//! A tiny HTTP backend on 127.0.0.1 that names itself: every response carries
//! `X-Backend: <name>` and the body `<name>`. Routing tests point Traefik services at it and
//! read the header to see which router/service served a request.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use axum::Router;
use axum::http::HeaderValue;
use axum::response::IntoResponse;
use tokio::sync::oneshot;

/// A running backend. Stops when dropped.
#[derive(Debug)]
pub struct Backend {
    addr: SocketAddr,
    name: String,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Backend {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Backend {
    /// Starts a backend called `name` on a free loopback port (inside a Tokio runtime).
    pub async fn start(name: &str) -> Result<Backend> {
        let header =
            HeaderValue::from_str(name).context("backend name must be a valid header value")?;
        let body = name.to_owned();
        let app = Router::new().fallback(move || {
            let header = header.clone();
            let body = body.clone();
            async move { ([("x-backend", header)], body).into_response() }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding a backend")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Backend {
            addr,
            name: name.to_owned(),
            shutdown: Some(tx),
        })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, for a load-balancer server URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its name (the `X-Backend` value).
    pub fn name(&self) -> &str {
        &self.name
    }
}
