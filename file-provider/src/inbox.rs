//! Reading the inbox: the files users edit, selected with Traefik's rules and
//! read defensively.
//!
//! Selection is Traefik's file provider's (`sync_core::load`): the directory is
//! walked recursively in lexical byte order of names and only `.yml`, `.yaml`,
//! `.toml` (any case) are read. On top of that, the inbox is not trusted:
//!
//! - names starting with `..` are skipped: Kubernetes' ConfigMap/Secret volumes
//!   keep their real files in `..<timestamp>/` behind a `..data` symlink and
//!   expose each key as `name -> ..data/name`; reading both would load every
//!   file twice;
//! - emacs lock links (`.#name.yml`) are skipped; other editor leftovers (`4913`,
//!   `name~`, `.name.swp`, `name.tmp`) are skipped by the extension rule already;
//! - a symbolic link is followed only when its target resolves inside the inbox
//!   (a link to a directory is not descended into, like Traefik); a link that
//!   escapes or dangles, a FIFO, socket or device is refused;
//! - caps on file size, file count and total bytes refuse oversized inboxes
//!   before they are parsed.
//!
//! Refusals are returned as [`Refusal`]s: they block publication like a
//! configuration error does, because silently leaving a file out would drop
//! its routes.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use sync_core::decode::file_provider::{SourceFile, is_supported_file};

/// Caps on what one inbox may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single file in bytes.
    pub max_file_bytes: u64,
    /// Most configuration files.
    pub max_files: usize,
    /// Largest sum of file sizes in bytes.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 1024 * 1024,
            max_files: 1000,
            max_total_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why the inbox cannot be read at all (the directory itself is missing or unreadable).
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// Filesystem error on the inbox root.
    #[error("inbox {path}: {source}")]
    Root {
        /// The inbox path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The inbox is not a directory.
    #[error("inbox {path} is not a directory")]
    NotADirectory {
        /// The inbox path.
        path: String,
    },
}

/// A file (or link) in the inbox that was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Path relative to the inbox.
    pub path: String,
    /// Stable kebab-case code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// One scan of the inbox.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Accepted files in Traefik's traversal order; `path` is relative to the inbox.
    pub files: Vec<SourceFile>,
    /// Refused entries.
    pub refusals: Vec<Refusal>,
    /// `sha256:<hex>` over the accepted files' relative paths and contents.
    pub revision: String,
    /// Most recent modification time among the accepted files.
    pub newest_mtime: Option<SystemTime>,
    /// Sum of the accepted files' sizes.
    pub total_bytes: u64,
    /// A file changed while it was being read (a writer is still at work).
    pub unstable: bool,
}

/// Scan the inbox at `root`.
pub fn scan(root: &Path, limits: &Limits) -> Result<Snapshot, InboxError> {
    let root_err = |source| InboxError::Root {
        path: root.display().to_string(),
        source,
    };
    let canonical = std::fs::canonicalize(root).map_err(root_err)?;
    let meta = std::fs::metadata(&canonical).map_err(root_err)?;
    if !meta.is_dir() {
        return Err(InboxError::NotADirectory {
            path: root.display().to_string(),
        });
    }
    let mut scan = Scanner {
        root: canonical,
        limits: *limits,
        out: Snapshot::default(),
    };
    let root_dir = scan.root.clone();
    scan.walk(&root_dir, "")?;
    scan.out.revision = revision_with_refusals(&scan.out.files, &scan.out.refusals);
    Ok(scan.out)
}

/// `sha256:<hex>` of the files: for each, its path, a NUL, its length as 8 LE bytes, its bytes.
pub fn revision(files: &[SourceFile]) -> String {
    revision_with_refusals(files, &[])
}

/// [`revision`], with refused entries mixed in (so that adding a refused link is a new revision).
pub fn revision_with_refusals(files: &[SourceFile], refusals: &[Refusal]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.path.as_bytes());
        h.update([0u8]);
        h.update((f.content.len() as u64).to_le_bytes());
        h.update(&f.content);
    }
    for r in refusals {
        h.update([1u8]);
        h.update(r.path.as_bytes());
        h.update([0u8]);
        h.update(r.code.as_bytes());
        h.update([0u8]);
        h.update(r.message.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    let mut hex = String::with_capacity(71);
    hex.push_str("sha256:");
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

struct Scanner {
    root: PathBuf,
    limits: Limits,
    out: Snapshot,
}

impl Scanner {
    fn refuse(&mut self, path: &str, code: &'static str, message: String, help: &str) {
        self.out.refusals.push(Refusal {
            path: path.to_string(),
            code,
            message,
            help: help.to_string(),
        });
    }

    fn walk(&mut self, dir: &Path, rel: &str) -> Result<(), InboxError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if rel.is_empty() => {
                return Err(InboxError::Root {
                    path: dir.display().to_string(),
                    source: e,
                });
            }
            Err(e) => {
                self.refuse(
                    rel,
                    "inbox-unreadable",
                    format!("cannot list directory: {e}"),
                    "fix the directory's permissions or remove it",
                );
                return Ok(());
            }
        };
        let mut names: Vec<(Vec<u8>, String, PathBuf)> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name();
                    let shown = name.to_string_lossy().into_owned();
                    names.push((
                        std::os::unix::ffi::OsStrExt::as_bytes(name.as_os_str()).to_vec(),
                        shown,
                        entry.path(),
                    ));
                }
                Err(e) => self.refuse(
                    rel,
                    "inbox-unreadable",
                    format!("cannot list directory: {e}"),
                    "fix the directory's permissions",
                ),
            }
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, name, path) in names {
            // Kubernetes atomic-writer internals (`..data`, `..2026_11_25...`).
            if name.starts_with("..") {
                continue;
            }
            let rel_path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let lmeta = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                // Vanished between listing and stat: an editor's temp file; the next batch rescans.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    self.refuse(
                        &rel_path,
                        "inbox-unreadable",
                        format!("cannot stat: {e}"),
                        "fix the file's permissions",
                    );
                    continue;
                }
            };
            let ft = lmeta.file_type();
            if ft.is_dir() {
                self.walk(&path, &rel_path)?;
                continue;
            }
            if !is_supported_file(&name) || name.starts_with(".#") {
                continue;
            }
            let target = if ft.is_symlink() {
                match self.resolve_link(&path, &rel_path) {
                    Some(t) => t,
                    None => continue,
                }
            } else {
                path.clone()
            };
            self.read_file(&target, &rel_path);
        }
        Ok(())
    }

    /// Where a link points, if that is a regular file inside the inbox.
    fn resolve_link(&mut self, path: &Path, rel_path: &str) -> Option<PathBuf> {
        let target = match std::fs::canonicalize(path) {
            Ok(t) => t,
            Err(e) => {
                self.refuse(
                    rel_path,
                    "symlink-dangling",
                    format!("symbolic link does not resolve: {e}"),
                    "point the link at a file inside the inbox, or delete it",
                );
                return None;
            }
        };
        if !target.starts_with(&self.root) {
            self.refuse(
                rel_path,
                "symlink-escapes-inbox",
                format!(
                    "symbolic link points outside the inbox (to {}); refused",
                    target.display()
                ),
                "copy the file into the inbox instead of linking to it",
            );
            return None;
        }
        match std::fs::metadata(&target) {
            // Traefik does not descend into a link to a directory; neither do we.
            Ok(m) if m.is_dir() => None,
            Ok(_) => Some(target),
            Err(e) => {
                self.refuse(
                    rel_path,
                    "symlink-dangling",
                    format!("symbolic link target cannot be read: {e}"),
                    "point the link at a file inside the inbox, or delete it",
                );
                None
            }
        }
    }

    fn read_file(&mut self, path: &Path, rel_path: &str) {
        if self.out.files.len() >= self.limits.max_files {
            self.refuse(
                rel_path,
                "inbox-too-many-files",
                format!(
                    "the inbox holds more than {} configuration files",
                    self.limits.max_files
                ),
                "merge small files, or raise --max-files",
            );
            return;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.refuse(
                    rel_path,
                    "inbox-unreadable",
                    format!("cannot stat: {e}"),
                    "fix the file's permissions",
                );
                return;
            }
        };
        if !meta.is_file() {
            self.refuse(
                rel_path,
                "not-a-regular-file",
                "not a regular file (FIFO, socket or device); refused".to_string(),
                "remove it from the inbox",
            );
            return;
        }
        let limit = self.limits.max_file_bytes;
        let mut content = Vec::new();
        let read = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags_nofollow()
            .open(path)
            .and_then(|mut f| {
                let before = f.metadata()?;
                (&mut f).take(limit + 1).read_to_end(&mut content)?;
                let after = f.metadata()?;
                Ok((before, after))
            });
        let (before, after) = match read {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.refuse(
                    rel_path,
                    "inbox-unreadable",
                    format!("cannot read: {e}"),
                    "fix the file's permissions",
                );
                return;
            }
        };
        let changed = before.len() != after.len()
            || before.modified().ok() != after.modified().ok()
            || (after.len() <= limit && after.len() != content.len() as u64);
        if changed {
            self.out.unstable = true;
        }
        if content.len() as u64 > limit {
            self.refuse(
                rel_path,
                "file-too-large",
                format!("file is larger than {limit} bytes"),
                "split it into several files, or raise --max-file-bytes",
            );
            return;
        }
        self.out.total_bytes += content.len() as u64;
        if self.out.total_bytes > self.limits.max_total_bytes {
            self.refuse(
                rel_path,
                "inbox-too-large",
                format!(
                    "the inbox's files add up to more than {} bytes",
                    self.limits.max_total_bytes
                ),
                "remove unused files, or raise --max-total-bytes",
            );
            return;
        }
        if let Ok(m) = after.modified() {
            self.out.newest_mtime = Some(self.out.newest_mtime.map_or(m, |n| n.max(m)));
        }
        self.out.files.push(SourceFile {
            path: rel_path.to_string(),
            content,
        });
    }
}

trait NoFollow {
    fn custom_flags_nofollow(&mut self) -> &mut Self;
}

impl NoFollow for std::fs::OpenOptions {
    /// `O_NOFOLLOW | O_NONBLOCK`: the path was resolved already, so a link
    /// appearing in its place is refused, and a FIFO swapped in cannot block us.
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(p: &Path, s: &str) {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, s).unwrap();
    }

    #[test]
    fn selects_like_traefik_and_skips_editor_leftovers() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(&r.join("b.yml"), "b");
        write(&r.join("a.YAML"), "a");
        write(&r.join("sub/c.toml"), "c");
        write(&r.join("4913"), "");
        write(&r.join("b.yml~"), "old");
        write(&r.join(".b.yml.swp"), "swap");
        write(&r.join("notes.json"), "{}");
        write(&r.join(".hidden.yml"), "h");
        symlink("user@host.123", r.join(".#b.yml")).unwrap();
        let s = scan(r, &Limits::default()).unwrap();
        let names: Vec<&str> = s.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, [".hidden.yml", "a.YAML", "b.yml", "sub/c.toml"]);
        assert!(s.refusals.is_empty(), "{:?}", s.refusals);
        assert!(s.revision.starts_with("sha256:"));
    }

    #[test]
    fn configmap_layout_reads_each_key_once() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(&r.join("..2026_11_25_17_00_00.1/a.yml"), "a");
        symlink("..2026_11_25_17_00_00.1", r.join("..data")).unwrap();
        symlink("..data/a.yml", r.join("a.yml")).unwrap();
        let s = scan(r, &Limits::default()).unwrap();
        assert_eq!(s.files.len(), 1);
        assert_eq!(s.files[0].path, "a.yml");
        assert_eq!(s.files[0].content, b"a");
    }

    #[test]
    fn escaping_and_dangling_links_are_refused() {
        let outside = tempfile::tempdir().unwrap();
        write(&outside.path().join("secret.yml"), "x");
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        symlink(outside.path().join("secret.yml"), r.join("evil.yml")).unwrap();
        symlink("nowhere.yml", r.join("gone.yml")).unwrap();
        let s = scan(r, &Limits::default()).unwrap();
        assert!(s.files.is_empty());
        let codes: Vec<&str> = s.refusals.iter().map(|r| r.code).collect();
        assert_eq!(codes, ["symlink-escapes-inbox", "symlink-dangling"]);
    }

    #[test]
    fn caps_refuse() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(&r.join("a.yml"), "aaaa");
        write(&r.join("b.yml"), "bb");
        write(&r.join("c.yml"), "cc");
        let limits = Limits {
            max_file_bytes: 3,
            max_files: 1,
            max_total_bytes: 100,
        };
        let s = scan(r, &limits).unwrap();
        let codes: Vec<&str> = s.refusals.iter().map(|r| r.code).collect();
        assert_eq!(codes, ["file-too-large", "inbox-too-many-files"]);
    }

    #[test]
    fn revision_depends_on_names_and_bytes() {
        let a = vec![SourceFile {
            path: "a.yml".into(),
            content: b"x".to_vec(),
        }];
        let b = vec![SourceFile {
            path: "b.yml".into(),
            content: b"x".to_vec(),
        }];
        assert_ne!(revision(&a), revision(&b));
        assert_eq!(revision(&a), revision(&a.clone()));
    }
}
