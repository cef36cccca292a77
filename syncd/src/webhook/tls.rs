//! HTTPS for the webhook with a certificate that follows its files.
//!
//! cert-manager and the kubelet update a Secret volume by writing a new
//! timestamped directory and swapping the `..data` symlink; `tls.crt` and
//! `tls.key` are symlinks through it. [`ReloadingCert`] looks at the files the
//! paths resolve to (inode, size, mtime) at most once per interval, during a
//! handshake, and loads the pair again when they changed. A pair that does not
//! load (half-written, garbage, key not matching) is logged and the last good
//! pair keeps being served.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::future::Future;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Errors loading a certificate pair.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A file is not the expected PEM.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The key does not fit the certificate, or is of an unsupported type.
    #[error("{cert} / {key}: {message}")]
    Pair {
        /// The certificate file.
        cert: String,
        /// The key file.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// What identifies the content of one file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    target: PathBuf,
    inode: u64,
    len: u64,
    mtime_ns: i128,
}

fn stamp(path: &Path) -> Option<FileStamp> {
    // metadata() follows symlinks: a `..data` swap changes the inode.
    let meta = std::fs::metadata(path).ok()?;
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Some(FileStamp {
        target,
        inode: meta.ino(),
        len: meta.len(),
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
    })
}

type PairStamp = (Option<FileStamp>, Option<FileStamp>);

#[derive(Debug)]
struct State {
    current: Arc<CertifiedKey>,
    /// The stamps of the files last tried (loaded or refused).
    tried: PairStamp,
    last_check: Instant,
}

/// A rustls certificate resolver serving `tls.crt`/`tls.key` and reloading
/// them when they change on disk.
#[derive(Debug)]
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    interval: Duration,
    state: Mutex<State>,
}

/// Load and check a certificate chain and its private key.
pub fn load_pair(cert_path: &Path, key_path: &Path) -> Result<CertifiedKey, CertError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| CertError::Io {
            path: p.display().to_string(),
            source,
        })
    };
    let cert_pem = read(cert_path)?;
    let key_pem = read(key_path)?;
    let pem_err = |p: &Path, message: String| CertError::Pem {
        path: p.display().to_string(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| pem_err(cert_path, format!("bad PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(pem_err(cert_path, "no CERTIFICATE block".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| pem_err(key_path, format!("no usable PEM private key: {e}")))?;
    let pair_err = |message: String| CertError::Pair {
        cert: cert_path.display().to_string(),
        key: key_path.display().to_string(),
        message,
    };
    let signer = any_supported_type(&key).map_err(|e| pair_err(e.to_string()))?;
    let ck = CertifiedKey::new(certs, signer);
    ck.keys_match().map_err(|e| pair_err(e.to_string()))?;
    Ok(ck)
}

impl ReloadingCert {
    /// How often the files are looked at, at most.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

    /// Serve `dir/tls.crt` and `dir/tls.key` (a Secret volume).
    pub fn from_dir(dir: &Path) -> Result<Self, CertError> {
        Self::new(&dir.join("tls.crt"), &dir.join("tls.key"))
    }

    /// Serve these files; they must load now.
    pub fn new(cert_path: &Path, key_path: &Path) -> Result<Self, CertError> {
        Self::with_interval(cert_path, key_path, Self::DEFAULT_INTERVAL)
    }

    /// As [`ReloadingCert::new`], looking at the files at most every `interval`.
    pub fn with_interval(
        cert_path: &Path,
        key_path: &Path,
        interval: Duration,
    ) -> Result<Self, CertError> {
        let tried = (stamp(cert_path), stamp(key_path));
        let current = Arc::new(load_pair(cert_path, key_path)?);
        Ok(Self {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            interval,
            state: Mutex::new(State {
                current,
                tried,
                last_check: Instant::now(),
            }),
        })
    }

    /// The pair served now, after looking at the files if the interval passed.
    pub fn current(&self) -> Arc<CertifiedKey> {
        // A poisoned lock only means another handshake panicked; the state
        // itself is always consistent (each field is replaced whole).
        let mut st = match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if st.last_check.elapsed() >= self.interval {
            st.last_check = Instant::now();
            let now = (stamp(&self.cert_path), stamp(&self.key_path));
            if now != st.tried {
                match load_pair(&self.cert_path, &self.key_path) {
                    Ok(ck) => {
                        tracing::info!(cert = %self.cert_path.display(), "webhook certificate reloaded");
                        st.current = Arc::new(ck);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "webhook certificate not reloaded; serving the previous one");
                    }
                }
                st.tried = now;
            }
        }
        st.current.clone()
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3, h2 and
/// http/1.1) serving `cert`.
pub fn server_config(cert: Arc<ReloadingCert>) -> io::Result<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Slowest TLS handshake accepted before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve `app` over HTTPS on `listener` until `shutdown` completes, then let
/// open connections finish their requests.
pub async fn serve_https(
    listener: tokio::net::TcpListener,
    cert: Arc<ReloadingCert>,
    app: axum::Router,
    shutdown: impl Future,
) -> io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(cert)?));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "webhook accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // The TLS handshake and the response go out as several small writes:
        // with Nagle on, the last one waits for the client's delayed ACK
        // (~40 ms on Linux) on every new connection.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "webhook TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "webhook TLS handshake timed out");
                    return;
                }
            };
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "webhook connection ended with an error");
            }
        });
    }
    drop(listener);
    // Bounded: a client holding a keep-alive connection must not stall shutdown.
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    Ok(())
}
