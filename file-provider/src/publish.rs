//! Atomic publication into Traefik's file-provider directory.
//!
//! One file (`dynamic.yml`) is replaced with write-temp → fsync → rename →
//! fsync(dir). Traefik's watcher sees either the old or the new file, never a
//! mix. The temporary file is written in a sub-directory
//! (`.file-provider-staging/`): Traefik watches only the top level of its
//! directory, so writing the temporary file causes no reload at all, and only
//! the rename does; its name (`.dynamic.yml.tmp-<pid>`) does not end in
//! `.yml/.yaml/.toml`, so Traefik's recursive load skips it as well.
//! Nothing is ever deleted from the directory, so an invalid inbox or a
//! restart leaves the last good publication in place.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use sync_core::decode::file_provider::is_supported_file;

/// Mode of the published file: owner read/write, group read (Traefik reads it via the group).
pub const FILE_MODE: u32 = 0o640;
/// Mode of an output directory this program creates.
pub const DIR_MODE: u32 = 0o750;

/// Publication errors.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes one file in one directory, atomically.
#[derive(Debug, Clone)]
pub struct Publisher {
    dir: PathBuf,
    staging: PathBuf,
    target: PathBuf,
}

/// Sub-directory of the output directory that holds temporary files.
pub const STAGING_DIR: &str = ".file-provider-staging";

impl Publisher {
    /// A publisher for `dir/file_name`; creates `dir` (mode 0750) if missing and
    /// removes temporary files a crashed run may have left.
    pub fn new(dir: &Path, file_name: &str) -> Result<Self, PublishError> {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)
                .map_err(io(dir))?;
        }
        let staging = dir.join(STAGING_DIR);
        if !staging.is_dir() {
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&staging)
                .map_err(io(&staging))?;
        }
        let publisher = Self {
            dir: dir.to_path_buf(),
            staging,
            target: dir.join(file_name),
        };
        publisher.remove_stale_temps()?;
        Ok(publisher)
    }

    /// The published file's path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// What is published now, if anything.
    pub fn current(&self) -> Option<Vec<u8>> {
        std::fs::read(&self.target).ok()
    }

    /// Whether the output directory can be written by everyone (a warning sign).
    pub fn dir_world_writable(&self) -> bool {
        std::fs::metadata(&self.dir).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
    }

    /// Configuration files in the directory that this program did not write:
    /// Traefik merges them with ours.
    pub fn foreign_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_foreign(&self.dir, &self.dir, &self.target, &mut out);
        out.sort();
        out
    }

    fn temp_prefix(&self) -> String {
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!(".{name}.tmp-")
    }

    fn remove_stale_temps(&self) -> Result<(), PublishError> {
        let prefix = self.temp_prefix();
        // Temporary files of a crashed run (older versions wrote them next to the target).
        for dir in [&self.staging, &self.dir] {
            for entry in std::fs::read_dir(dir).map_err(io(dir))? {
                let entry = entry.map_err(io(dir))?;
                if entry.file_name().to_string_lossy().starts_with(&prefix) {
                    let p = entry.path();
                    std::fs::remove_file(&p).map_err(io(&p))?;
                }
            }
        }
        Ok(())
    }

    /// Replace the published file with `bytes`. Returns false when it already held them.
    pub fn publish(&self, bytes: &[u8]) -> Result<bool, PublishError> {
        if self.current().as_deref() == Some(bytes) {
            return Ok(false);
        }
        let tmp = self
            .staging
            .join(format!("{}{}", self.temp_prefix(), std::process::id()));
        let result = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(FILE_MODE)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&tmp)
                .map_err(io(&tmp))?;
            // The umask may have narrowed the mode; make it exact.
            f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
                .map_err(io(&tmp))?;
            f.write_all(bytes).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            drop(f);
            std::fs::rename(&tmp, &self.target).map_err(io(&self.target))?;
            std::fs::File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(io(&self.dir))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map(|()| true)
    }
}

fn collect_foreign(root: &Path, dir: &Path, ours: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            collect_foreign(root, &path, ours, out);
        } else if path != ours && is_supported_file(&entry.file_name().to_string_lossy()) {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            out.push(rel.display().to_string());
        }
    }
}

/// Write any small file atomically (the status file), with mode 0644.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
            .map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        std::fs::rename(&tmp, path).map_err(io(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishes_atomically_with_mode_and_skips_identical() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(".dynamic.yml.tmp-1"), "stale").unwrap();
        std::fs::create_dir(out.join(STAGING_DIR)).unwrap();
        std::fs::write(out.join(STAGING_DIR).join(".dynamic.yml.tmp-2"), "stale").unwrap();
        std::fs::write(out.join("other.yml"), "x").unwrap();
        let p = Publisher::new(&out, "dynamic.yml").unwrap();
        assert!(!out.join(".dynamic.yml.tmp-1").exists());
        assert!(!out.join(STAGING_DIR).join(".dynamic.yml.tmp-2").exists());
        assert!(p.publish(b"one").unwrap());
        assert!(!p.publish(b"one").unwrap());
        assert!(p.publish(b"two").unwrap());
        assert_eq!(std::fs::read(p.target()).unwrap(), b"two");
        let mode = std::fs::metadata(p.target()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, FILE_MODE);
        assert_eq!(p.foreign_files(), ["other.yml"]);
        let names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 3, "no temp files left: {names:?}");
        assert_eq!(std::fs::read_dir(out.join(STAGING_DIR)).unwrap().count(), 0);
    }

    #[test]
    fn creates_missing_dir_restrictively() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("a/b");
        Publisher::new(&out, "dynamic.yml").unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o007, 0);
    }
}
