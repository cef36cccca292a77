//! Traefik's file provider: one file or a directory of `.yml/.yaml/.toml` files.
//!
//! Semantics reproduced from Traefik 3.7 (`pkg/provider/file`, `paerser/file`):
//! - a directory is walked recursively in lexical order; only `.toml`, `.yml`,
//!   `.yaml` (any case) are read, everything else is skipped;
//! - one file that fails to decode rejects the **whole provider**;
//! - the same object name in several files: the first file in traversal order
//!   wins, the later definitions are skipped (reported here as findings);
//! - every file goes through Go `text/template` first (sprig + `normalize` +
//!   `split`, data `false`). Files without `{{` are unchanged by it; files with `{{`
//!   are rendered by [`super::gotemplate`] and the rendering is decoded. A template
//!   error rejects the whole provider (like Traefik); a construct the evaluator does
//!   not reproduce leaves the file out with a `template-not-evaluated` finding.
//!   Positions of objects and decode errors in a rendered file are mapped back to
//!   the template: verbatim text maps exactly, anything an action printed maps to
//!   that action's expression. Decode error *messages* keep Traefik's wording, whose
//!   `line N` counts lines of the rendered text (what `debugLogGeneratedTemplate`
//!   logs). Template errors carry the template's own line (and column for
//!   execution errors), as Go reports them.

use super::de::{DecodeError, from_node};
use super::gotemplate::{Note, NoteKind, Rendered};
use super::node::{At, Node};
use super::raw::{DYNAMIC_ROOT_FIELDS, Raw, raw_to_node};
use crate::finding::{Finding, Severity};
use crate::model::Configuration;
use crate::objects::{ObjectKind, Origins};
use crate::provider::{ProviderConfig, ProviderStatus, names};
use crate::source::{Pos, SourceRef};

/// Largest file accepted; larger ones are refused with a finding (Traefik has no cap).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// A file as read from disk: its display path and raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path as shown to the user.
    pub path: String,
    /// Content.
    pub content: Vec<u8>,
}

/// Whether Traefik's file provider reads a file with this name: the extension
/// alone decides (`.toml`, `.yml`, `.yaml`, any case); dot-files are not skipped.
pub fn is_supported_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".toml", ".yml", ".yaml"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// A file that could not be decoded: the reason and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// File path.
    pub path: String,
    /// Position, when known.
    pub pos: Pos,
    /// Message (yaml.v3 / paerser wording where possible).
    pub message: String,
}

impl FileError {
    fn new(path: &str, err: DecodeError) -> Self {
        let pos = match err.at {
            At::Pos(p) => p,
            _ => Pos::default(),
        };
        Self {
            path: path.to_string(),
            pos,
            message: err.message,
        }
    }

    /// `path:line:col: message`.
    pub fn render(&self) -> String {
        if self.pos.is_known() && self.pos.column == 0 {
            format!("{}:{}: {}", self.path, self.pos.line, self.message)
        } else if self.pos.is_known() {
            format!(
                "{}:{}:{}: {}",
                self.path, self.pos.line, self.pos.column, self.message
            )
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }
}

/// One decoded file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecodedFile {
    /// Its configuration (`None`: nothing in it, e.g. only comments or a bare `http:`).
    pub config: Option<Configuration>,
    /// Where each object was defined.
    pub origins: Origins,
}

/// Decode one file's text with Traefik's rules (extension picks the format).
pub fn decode_file(file: &SourceFile) -> Result<DecodedFile, FileError> {
    decode_file_with(file, &|p| p)
}

/// [`decode_file`], with every reported position passed through `map` (rendered
/// template text → template source).
fn decode_file_with(file: &SourceFile, map: &dyn Fn(Pos) -> Pos) -> Result<DecodedFile, FileError> {
    if file.content.len() > MAX_FILE_BYTES {
        return Err(FileError {
            path: file.path.clone(),
            pos: Pos::default(),
            message: format!(
                "file is larger than {MAX_FILE_BYTES} bytes, the limit this validator accepts; split it into several files"
            ),
        });
    }
    let text = std::str::from_utf8(&file.content).map_err(|e| {
        let before = &file.content[..e.valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        FileError {
            path: file.path.clone(),
            pos: Pos::new(line as u32, col as u32),
            message: "invalid UTF-8 (yaml: invalid leading UTF-8 octet)".to_string(),
        }
    })?;
    let fail = |e| {
        let mut e = FileError::new(&file.path, e);
        if e.pos.is_known() {
            e.pos = map(e.pos);
        }
        e
    };
    let entries = root_entries(&file.path, text).map_err(fail)?;
    let root = raw_to_node(&entries, &DYNAMIC_ROOT_FIELDS).map_err(fail)?;
    if root.children.is_empty() {
        return Ok(DecodedFile::default());
    }
    let config: Configuration = from_node(&root).map_err(fail)?;
    let origins = origins_from_tree(&root, |pos| {
        let pos = if pos.is_known() { map(pos) } else { pos };
        SourceRef::file(names::FILE, &file.path, pos)
    });
    Ok(DecodedFile {
        config: Some(config),
        origins,
    })
}

fn root_entries(path: &str, text: &str) -> Result<Vec<super::raw::RawEntry>, DecodeError> {
    if path.to_ascii_lowercase().ends_with(".toml") {
        return super::toml_raw::parse(text);
    }
    let docs = super::yaml::parse_documents(text)?;
    let Some(first) = docs.into_iter().next() else {
        return Ok(Vec::new());
    };
    match first.raw {
        Raw::Map(entries) => Ok(entries),
        Raw::Null => Ok(Vec::new()),
        other => Err(DecodeError {
            message: format!(
                "yaml: unmarshal errors:\n  line {}: cannot unmarshal {} into map[string]interface {{}}",
                first.pos.line,
                yaml_kind(&other)
            ),
            at: At::Pos(first.pos),
        }),
    }
}

fn yaml_kind(raw: &Raw) -> &'static str {
    match raw {
        Raw::Seq(_) => "!!seq",
        Raw::Bool(_) => "!!bool",
        Raw::Int(_) | Raw::Uint(_) => "!!int",
        Raw::Float(_) => "!!float",
        _ => "!!str",
    }
}

/// Record the position of every named object found in a decoded node tree.
pub fn origins_from_tree(root: &Node, make: impl Fn(Pos) -> SourceRef) -> Origins {
    origins_with(root, |node| match &node.at {
        At::Pos(p) => make(*p),
        _ => make(Pos::default()),
    })
}

/// Like [`origins_from_tree`], with a source per node (KV keys, ...).
pub fn origins_with(root: &Node, make: impl Fn(&Node) -> SourceRef) -> Origins {
    let mut origins = Origins::default();
    for kind in ObjectKind::ALL {
        let (section, key) = kind.path();
        let Some(objects) = root.child_fold(section).and_then(|s| s.child_fold(key)) else {
            continue;
        };
        for object in &objects.children {
            origins.insert(kind, &object.name, make(object));
        }
    }
    origins
}

/// Decode the file provider's input (files in traversal order) as Traefik would.
pub fn decode_provider(files: &[SourceFile]) -> ProviderConfig {
    let mut provider = ProviderConfig::empty(names::FILE);
    let mut decoded = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        if file.content.windows(2).any(|w| w == b"{{")
            && file.content.len() <= MAX_FILE_BYTES
            && let Ok(text) = std::str::from_utf8(&file.content)
        {
            match super::gotemplate::render_detailed("", text) {
                Rendered::Ok { output, notes, map } => {
                    provider.findings.push(rendered_finding(file, &notes));
                    for note in &notes {
                        provider.findings.push(note_finding(file, note));
                    }
                    let rendered = SourceFile {
                        path: file.path.clone(),
                        content: output.into_bytes(),
                    };
                    let out = String::from_utf8_lossy(&rendered.content).into_owned();
                    let mapper = map.mapper(text, &out);
                    let to_source = |p: Pos| {
                        let (line, column) = mapper.source_pos(p.line as usize, p.column as usize);
                        Pos::new(line as u32, column as u32)
                    };
                    match decode_file_with(&rendered, &to_source) {
                        Ok(d) => decoded.push((file.path.clone(), d)),
                        Err(e) => errors.push(e),
                    }
                    continue;
                }
                Rendered::Error(e) => {
                    errors.push(FileError {
                        path: file.path.clone(),
                        pos: Pos::new(e.line as u32, e.column as u32),
                        message: e.message,
                    });
                    continue;
                }
                Rendered::Unsupported { what, line } => {
                    provider.findings.push(template_finding(file, &what, line));
                    continue;
                }
            }
        }
        match decode_file(file) {
            Ok(d) => decoded.push((file.path.clone(), d)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            provider.findings.push(
                Finding::new(Severity::Error, "provider-rejected", format!(
                    "the whole file provider is rejected by Traefik because of this file: {}",
                    e.message
                ))
                .source(Some(SourceRef::file(names::FILE, &e.path, e.pos)))
                .help("fix this file: Traefik drops every route of the file provider while one file fails to decode"),
            );
        }
        provider.status = ProviderStatus::Rejected {
            errors: errors.iter().map(FileError::render).collect(),
        };
        return provider;
    }
    let mut merged = Configuration::default();
    for (path, file) in decoded {
        let Some(config) = file.config else { continue };
        let skipped = super::merge::merge_skip_duplicates(&mut merged, config);
        for (kind, name) in skipped {
            let first = provider.origins.get(kind, &name).cloned();
            let here = file.origins.get(kind, &name).cloned();
            let first_at = first.as_ref().map(SourceRef::display).unwrap_or_default();
            provider.findings.push(
                Finding::new(
                    Severity::Warning,
                    "duplicate-skipped",
                    format!(
                        "{} {name:?} is already defined in {first_at}; Traefik skips this definition",
                        kind.words()
                    ),
                )
                .object(format!("{name}@file"))
                .source(here.or_else(|| Some(SourceRef::file(names::FILE, &path, Pos::default()))))
                .help("rename one of them, or delete the copy you do not want"),
            );
        }
        provider.origins.extend(file.origins);
    }
    provider.config = merged;
    provider
}

fn template_finding(file: &SourceFile, what: &str, line: usize) -> Finding {
    Finding::new(
        Severity::Error,
        "template-not-evaluated",
        format!(
            "this file uses Go template actions ({{{{ ... }}}}), which Traefik renders before decoding; \
             this validator does not reproduce {what}, so the file's objects are left out of the report"
        ),
    )
    .source(Some(SourceRef::file(
        names::FILE,
        &file.path,
        Pos::new(line as u32, 0),
    )))
    .help("render the template first (e.g. with the same sprig functions) and validate the output, or avoid templates in files you want checked")
}

fn rendered_finding(file: &SourceFile, notes: &[Note]) -> Finding {
    let mut msg = "this file is a Go template; it was rendered like Traefik does (sprig functions, \
                   `normalize`, `split`) and the rendered text was validated; objects and decode errors point at the \
                   template text that produced them (decode error messages keep Traefik's wording, \
                   whose line numbers count lines of the rendered text)"
        .to_string();
    if !notes.is_empty() {
        msg.push_str(" (some calls make the result differ from Traefik's: see the other findings)");
    }
    Finding::new(Severity::Info, "template-rendered", msg)
        .source(Some(SourceRef::file(names::FILE, &file.path, Pos::default())))
        .help("set `providers.file.debugLogGeneratedTemplate: true` with `log.level: DEBUG` to see Traefik's rendering")
}

fn note_finding(file: &SourceFile, note: &Note) -> Finding {
    let (code, msg) = match note.kind {
        NoteKind::Environment => (
            "template-environment",
            format!(
                "`{}` reads the environment of the process that renders the template: the validator used its own \
                 environment, Traefik uses the environment of the Traefik process, which may differ",
                note.function
            ),
        ),
        NoteKind::Nondeterministic => (
            "template-nondeterministic",
            format!(
                "`{}` gives a different result on every rendering (Traefik re-renders the file on every change), \
                 so what was validated is only one possible output",
                note.function
            ),
        ),
    };
    Finding::new(Severity::Warning, code, msg)
        .source(Some(SourceRef::file(
            names::FILE,
            &file.path,
            Pos::new(note.line as u32, note.column as u32),
        )))
        .help("avoid machine- or time-dependent values in dynamic configuration files you want checked")
}
