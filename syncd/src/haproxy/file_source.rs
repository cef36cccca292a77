//! `--nodes-file`: the JSON of `kubectl get nodes -o json`, watched with notify (the parent
//! directory is watched, so atomic renames and ConfigMap symlink swaps are seen). A file that
//! is missing or malformed keeps the last good node set.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, new_debouncer};
use tokio::sync::{mpsc, watch};

use super::metrics::Metrics;
use super::nodes::{NodeInfo, NodesError, parse_node_list_json};

/// Latest node set; `None` until a source delivered one.
pub type NodeSet = Option<Arc<Vec<NodeInfo>>>;

/// Errors reading the nodes file.
#[derive(Debug, thiserror::Error)]
pub enum FileSourceError {
    #[error("nodes file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("nodes file {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: NodesError,
    },
    #[error("watching {path}: {message}")]
    Watch { path: PathBuf, message: String },
}

/// Read and decode the nodes file once.
pub async fn read_nodes_file(path: &Path) -> Result<Vec<NodeInfo>, FileSourceError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| FileSourceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    parse_node_list_json(&text).map_err(|source| FileSourceError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

async fn refresh(path: &Path, tx: &watch::Sender<NodeSet>, metrics: &Metrics) {
    match read_nodes_file(path).await {
        Ok(nodes) => {
            metrics.node_source_up.set(1);
            let changed = tx.borrow().as_deref() != Some(&nodes);
            if changed {
                tracing::info!(nodes = nodes.len(), path = %path.display(), "node set changed");
                tx.send_replace(Some(Arc::new(nodes)));
            }
        }
        Err(e) => {
            metrics.node_source_up.set(0);
            metrics.fail("node-source", e.to_string());
            tracing::error!(error = %e, "node source unusable; keeping the last good node set");
        }
    }
}

/// Keeps a file watch alive; drop it to stop watching.
pub struct FileWatch {
    debouncer: Option<
        notify_debouncer_full::Debouncer<
            notify::RecommendedWatcher,
            notify_debouncer_full::RecommendedCache,
        >,
    >,
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        if let Some(d) = self.debouncer.take() {
            d.stop_nonblocking();
        }
    }
}

/// Debounced change notifications for one file. The parent directory is watched, so
/// atomic renames and ConfigMap `..data` symlink swaps are seen.
pub fn watch_file(
    path: &Path,
) -> Result<(FileWatch, mpsc::UnboundedReceiver<()>), FileSourceError> {
    let (ev_tx, ev_rx) = mpsc::unbounded_channel::<()>();
    let watch_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map(|n| n.to_os_string());
    let mut debouncer = new_debouncer(
        Duration::from_millis(10),
        Some(Duration::from_millis(5)),
        move |res: DebounceEventResult| {
            let relevant = match &res {
                Ok(events) => events.iter().any(|e| {
                    e.paths.iter().any(|p| {
                        file_name.is_none()
                            || p.file_name() == file_name.as_deref()
                            || p.file_name()
                                .is_some_and(|n| n.to_string_lossy().starts_with(".."))
                    })
                }),
                Err(_) => true,
            };
            if relevant {
                let _ = ev_tx.send(());
            }
        },
    )
    .map_err(|e| FileSourceError::Watch {
        path: watch_dir.clone(),
        message: e.to_string(),
    })?;
    debouncer
        .watch(&watch_dir, RecursiveMode::NonRecursive)
        .map_err(|e| FileSourceError::Watch {
            path: watch_dir.clone(),
            message: e.to_string(),
        })?;
    Ok((
        FileWatch {
            debouncer: Some(debouncer),
        },
        ev_rx,
    ))
}

/// Watch the nodes file and publish every good, changed node set. Runs until `tx` has no
/// receivers. `rescan` re-reads the file periodically as a safety net.
pub async fn run_file_source(
    path: PathBuf,
    tx: watch::Sender<NodeSet>,
    metrics: Arc<Metrics>,
    rescan: Duration,
) -> Result<(), FileSourceError> {
    let (_watch, mut ev_rx) = watch_file(&path)?;
    refresh(&path, &tx, &metrics).await;
    let mut tick = tokio::time::interval(rescan);
    tick.tick().await;
    loop {
        tokio::select! {
            ev = ev_rx.recv() => if ev.is_none() { break },
            _ = tick.tick() => {},
            _ = tx.closed() => break,
        }
        refresh(&path, &tx, &metrics).await;
    }
    Ok(())
}
