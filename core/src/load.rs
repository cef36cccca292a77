//! Reading provider inputs from disk: the one module of `sync-core` that does I/O.
//!
//! Kept here (instead of in each binary) so that `syncctl`, `file-provider` and
//! `syncd` select files exactly alike — with Traefik's rules: a directory is
//! walked recursively in lexical byte order of names (Go's `os.ReadDir`), and
//! only `.toml`, `.yml`, `.yaml` (any case) are read. A symbolic link to a
//! directory is not descended into (Go's `DirEntry.IsDir()` is false for it).

use crate::decode::file_provider::{SourceFile, is_supported_file};
use std::path::{Path, PathBuf};

/// Most files read from one input; more is refused.
pub const MAX_FILES: usize = 20_000;

/// Errors reading inputs.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Too many files.
    #[error("{path}: more than {MAX_FILES} files; refusing to read them all")]
    TooManyFiles {
        /// The directory.
        path: String,
    },
}

fn io(path: &Path, source: std::io::Error) -> LoadError {
    LoadError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Files of a file-provider input: `path` is a file (read as is, like Traefik's
/// `filename`) or a directory (walked like Traefik's `directory`).
pub fn file_provider_files(path: &Path) -> Result<Vec<SourceFile>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![read(path)?]);
    }
    let mut out = Vec::new();
    walk(path, &mut out, &|name| is_supported_file(name))?;
    Ok(out)
}

/// Files of a Kubernetes manifest input: a file, or `.yml/.yaml/.json` files under a directory.
pub fn manifest_files(path: &Path) -> Result<Vec<SourceFile>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    if !meta.is_dir() {
        return Ok(vec![read(path)?]);
    }
    let mut out = Vec::new();
    walk(path, &mut out, &|name| {
        let lower = name.to_ascii_lowercase();
        [".yml", ".yaml", ".json"]
            .iter()
            .any(|e| lower.ends_with(e))
    })?;
    Ok(out)
}

fn walk(
    dir: &Path,
    out: &mut Vec<SourceFile>,
    keep: &dyn Fn(&str) -> bool,
) -> Result<(), LoadError> {
    let mut entries: Vec<(String, PathBuf, bool)> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .map(|entry| {
            let entry = entry.map_err(|e| io(dir, e))?;
            let is_dir = entry
                .file_type()
                .map_err(|e| io(&entry.path(), e))?
                .is_dir();
            Ok((
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
                is_dir,
            ))
        })
        .collect::<Result<_, LoadError>>()?;
    entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for (name, path, is_dir) in entries {
        if is_dir {
            walk(&path, out, keep)?;
        } else if keep(&name) {
            if out.len() >= MAX_FILES {
                return Err(LoadError::TooManyFiles {
                    path: dir.display().to_string(),
                });
            }
            out.push(read(&path)?);
        }
    }
    Ok(())
}

/// Reads at most one byte past the decoder's size cap, so a huge file costs
/// no more memory than the cap and is still reported as too large.
fn read(path: &Path) -> Result<SourceFile, LoadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut content = Vec::new();
    file.take(crate::decode::file_provider::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut content)
        .map_err(|e| io(path, e))?;
    Ok(SourceFile {
        path: path.display().to_string(),
        content,
    })
}
