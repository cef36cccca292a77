//! The file provider's directory: watched with inotify (notify, recursive) plus
//! a periodic rescan as a safety net (missed events, network filesystems,
//! ConfigMap symlink swaps). Each read is compared with the previous one, so
//! only a real change decodes the provider again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use sync_core::decode::file_provider::{SourceFile, decode_provider};
use tokio::sync::mpsc;

use super::view_loop::{Update, source};

/// Read the directory (blocking); `Err` names the path.
fn read(dir: &Path) -> Result<Vec<SourceFile>, String> {
    sync_core::load::file_provider_files(dir).map_err(|e| e.to_string())
}

async fn health(tx: &mpsc::Sender<Update>, healthy: bool, synced: bool, detail: String) -> bool {
    tx.send(Update::Health {
        source: source::FILES.into(),
        healthy,
        synced,
        detail,
    })
    .await
    .is_ok()
}

/// Watch `dir` until the view loop is gone.
pub async fn run_files_source(dir: PathBuf, rescan: Duration, tx: mpsc::Sender<Update>) {
    let (ev_tx, mut ev_rx) = mpsc::channel::<()>(1);
    let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        // Only a wake-up: the directory is read again as a whole. A full channel
        // already holds a wake-up.
        let relevant = match &res {
            Ok(ev) => !matches!(ev.kind, notify::EventKind::Access(_)),
            Err(_) => true,
        };
        if relevant {
            let _ = ev_tx.try_send(());
        }
    });
    // Kept alive for the whole loop; dropping it stops the inotify watch.
    let _watcher = match watcher {
        Ok(mut w) => match w.watch(&dir, RecursiveMode::Recursive) {
            Ok(()) => Some(w),
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the files directory; relying on the periodic rescan");
                None
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "no file watcher available; relying on the periodic rescan");
            None
        }
    };
    let mut last: Option<Vec<SourceFile>> = None;
    let mut tick = tokio::time::interval(rescan);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let d = dir.clone();
        let read = tokio::task::spawn_blocking(move || read(&d))
            .await
            .unwrap_or_else(|e| Err(format!("reading {}: {e}", dir.display())));
        match read {
            Ok(files) => {
                if last.as_ref() != Some(&files) {
                    let n = files.len();
                    let provider =
                        tokio::task::spawn_blocking(move || (decode_provider(&files), files)).await;
                    match provider {
                        Ok((provider, files)) => {
                            tracing::info!(dir = %dir.display(), files = n, "file provider changed");
                            last = Some(files);
                            if tx
                                .send(Update::Files {
                                    provider: Box::new(provider),
                                    files: n,
                                })
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "decoding the file provider failed"),
                    }
                }
                let detail = format!(
                    "{} ({} files)",
                    dir.display(),
                    last.as_ref().map_or(0, Vec::len)
                );
                if !health(&tx, true, true, detail).await {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the files directory; keeping its last content");
                if !health(&tx, false, last.is_some(), e).await {
                    return;
                }
            }
        }
        tokio::select! {
            ev = ev_rx.recv() => if ev.is_none() { return },
            _ = tick.tick() => {},
            _ = tx.closed() => return,
        }
        // Let a burst of writes (an editor's save, a `cp -r`) settle before reading.
        tokio::time::sleep(Duration::from_millis(50)).await;
        while ev_rx.try_recv().is_ok() {}
    }
}
