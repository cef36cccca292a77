//! Persisting the membership into `haproxy.cfg`: render to a staged file next to the target,
//! `haproxy -c`, atomic rename. Also the reload command for structural changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::render::skeleton;

/// Errors while persisting or reloading.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{bin} -c` rejected the rendered configuration (kept the current file): {output}")]
    Check { bin: String, output: String },
    #[error("could not run `{bin}`: {source}")]
    Spawn {
        bin: String,
        #[source]
        source: std::io::Error,
    },
    #[error("reload command `{command}` failed: {output}")]
    Reload { command: String, output: String },
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The file content changed.
    pub changed: bool,
    /// More than server lines changed (or the file was new): a reload is needed.
    pub structural: bool,
}

/// Run `haproxy -c -q -f <path>`.
pub async fn check_config(haproxy_bin: &str, path: &Path) -> Result<(), PersistError> {
    let out = tokio::process::Command::new(haproxy_bin)
        .arg("-c")
        .arg("-q")
        .arg("-f")
        .arg(path)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|source| PersistError::Spawn {
            bin: haproxy_bin.to_string(),
            source,
        })?;
    if out.status.success() {
        Ok(())
    } else {
        let mut output = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !stdout.trim().is_empty() {
            output.push('\n');
            output.push_str(stdout.trim());
        }
        Err(PersistError::Check {
            bin: haproxy_bin.to_string(),
            output,
        })
    }
}

fn staged_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "haproxy.cfg".into());
    target.with_file_name(format!(".{name}.haproxy-sync.tmp"))
}

/// Write `text` to `target` if it differs: staged file, `haproxy -c`, fsync, rename.
pub async fn write_checked(
    haproxy_bin: &str,
    target: &Path,
    text: &str,
) -> Result<Written, PersistError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PersistError::Io { path, source }
    };
    let current = match tokio::fs::read_to_string(target).await {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(target)(e)),
    };
    if current.as_deref() == Some(text) {
        return Ok(Written {
            changed: false,
            structural: false,
        });
    }
    let structural = current.as_deref().map(skeleton) != Some(skeleton(text));
    let staged = staged_path(target);
    {
        use tokio::io::AsyncWriteExt;
        let mut f = tokio::fs::File::create(&staged)
            .await
            .map_err(io(&staged))?;
        f.write_all(text.as_bytes()).await.map_err(io(&staged))?;
        f.sync_all().await.map_err(io(&staged))?;
    }
    if let Err(e) = check_config(haproxy_bin, &staged).await {
        let _ = tokio::fs::remove_file(&staged).await;
        return Err(e);
    }
    tokio::fs::rename(&staged, target)
        .await
        .map_err(io(target))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(d) = tokio::fs::File::open(dir).await
    {
        let _ = d.sync_all().await;
    }
    Ok(Written {
        changed: true,
        structural,
    })
}

/// Run the reload command through `sh -c` (e.g. `systemctl reload haproxy`).
pub async fn run_reload(command: &str, timeout: Duration) -> Result<(), PersistError> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(timeout, child).await {
        Ok(r) => r.map_err(|source| PersistError::Spawn {
            bin: "sh".into(),
            source,
        })?,
        Err(_) => {
            return Err(PersistError::Reload {
                command: command.into(),
                output: format!("timed out after {timeout:?}"),
            });
        }
    };
    if out.status.success() {
        Ok(())
    } else {
        Err(PersistError::Reload {
            command: command.into(),
            output: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        })
    }
}
