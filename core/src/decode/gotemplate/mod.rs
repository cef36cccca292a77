//! Go `text/template` as Traefik's file provider runs it on every dynamic file
//! (`pkg/provider/file.CreateConfiguration`): sprig's `TxtFuncMap` plus Traefik's
//! `normalize` and `split`, template name = the provider's `filename` (empty in
//! directory mode), data = `false`.
//!
//! [`render`] gives the rendered text or Go's error message (`template: :3: function
//! "foo" not defined`, `template: :2:15: executing "" at <div>: error calling div: ...`).
//! [`render_detailed`] also reports what this evaluator cannot reproduce faithfully
//! ([`Rendered::Unsupported`]: `{{define}}`/`{{template}}`/`{{block}}`, sprig functions
//! not implemented here, ...) and the calls whose output depends on the machine
//! (`env`, `expandenv`) or on the moment (`now`, `uuidv4`, `rand*`).
//!
//! Positions: parse errors carry Go's line (of the last token read; column unknown = 0);
//! execution errors carry Go's line and column (Go prints the column 0-based, the
//! [`TemplateError::column`] field is 1-based).

mod exec;
pub mod fmt;
pub mod funcs;
mod lex;
mod parse;
pub mod value;

/// A template that Go rejects: Go's message and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Go's error text, `template: NAME:LINE[:COL]: ...`.
    pub message: String,
    /// 1-based line in the template source.
    pub line: usize,
    /// 1-based column (0 when Go reports only a line: parse errors).
    pub column: usize,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// Why a call's output may differ from Traefik's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// Reads this process's environment (`env`, `expandenv`).
    Environment,
    /// Changes on every run (`now`, `uuidv4`, `randAlpha`, ...).
    Nondeterministic,
}

/// A call site worth telling the user about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub line: usize,
    pub column: usize,
    pub function: String,
    pub kind: NoteKind,
}

/// Outcome of [`render_detailed`].
#[derive(Debug, Clone, PartialEq)]
pub enum Rendered {
    /// Rendered like Go would.
    Ok {
        output: String,
        notes: Vec<Note>,
        map: SourceMap,
    },
    /// Go rejects the template.
    Error(TemplateError),
    /// Uses something this evaluator does not reproduce: the result is unknown.
    Unsupported { what: String, line: usize },
}

#[derive(Debug, Clone)]
pub(crate) enum ParseFail {
    Error {
        message: String,
        line: usize,
    },
    Exec {
        message: String,
        line: usize,
        column: usize,
    },
    Unsupported {
        what: String,
        line: usize,
    },
}

/// Render `text` as Traefik's file provider does in directory mode (template name "").
pub fn render(text: &str) -> Result<String, TemplateError> {
    match render_detailed("", text) {
        Rendered::Ok { output, .. } => Ok(output),
        Rendered::Error(e) => Err(e),
        Rendered::Unsupported { what, line } => Err(TemplateError {
            message: format!("template: :{line}: not supported by this evaluator: {what}"),
            line,
            column: 0,
        }),
    }
}

/// Render with the template named `name` (Traefik: the provider's `filename` option).
pub fn render_detailed(name: &str, text: &str) -> Rendered {
    let fail = |f: ParseFail| match f {
        ParseFail::Error { message, line } => Rendered::Error(TemplateError {
            message,
            line,
            column: 0,
        }),
        ParseFail::Exec {
            message,
            line,
            column,
        } => Rendered::Error(TemplateError {
            message,
            line,
            column,
        }),
        ParseFail::Unsupported { what, line } => Rendered::Unsupported { what, line },
    };
    let nodes = match parse::parse(name, text) {
        Ok(n) => n,
        Err(f) => return fail(f),
    };
    let mut ex = exec::Exec::new(name, text);
    if let Err(f) = ex.run(&nodes) {
        return fail(f);
    }
    Rendered::Ok {
        output: ex.out,
        notes: ex.notes,
        map: SourceMap {
            segments: ex.segments,
        },
    }
}

/// Where each piece of the rendered text came from: verbatim template text maps
/// byte for byte, the output of an action maps to the action's expression.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceMap {
    segments: Vec<(usize, usize, bool)>,
}

impl SourceMap {
    /// Template byte offset that produced rendered byte `offset`.
    pub fn source_offset(&self, offset: usize) -> usize {
        let i = self.segments.partition_point(|s| s.0 <= offset);
        match i.checked_sub(1).map(|i| self.segments[i]) {
            Some((out, src, true)) => src + (offset - out),
            Some((_, src, false)) => src,
            None => 0,
        }
    }

    /// A position mapper from `rendered` (this map's output) to the template `source`.
    pub fn mapper<'a>(&'a self, source: &'a str, rendered: &'a str) -> PosMapper<'a> {
        let starts = |t: &str| {
            std::iter::once(0)
                .chain(t.match_indices('\n').map(|(i, _)| i + 1))
                .collect::<Vec<_>>()
        };
        PosMapper {
            map: self,
            source,
            rendered,
            source_lines: starts(source),
            rendered_lines: starts(rendered),
        }
    }
}

/// Maps 1-based (line, column in characters) of a rendered text to its template.
pub struct PosMapper<'a> {
    map: &'a SourceMap,
    source: &'a str,
    rendered: &'a str,
    source_lines: Vec<usize>,
    rendered_lines: Vec<usize>,
}

impl PosMapper<'_> {
    /// Template (line, column) that produced rendered (line, column).
    pub fn source_pos(&self, line: usize, column: usize) -> (usize, usize) {
        let Some(&start) = line.checked_sub(1).and_then(|l| self.rendered_lines.get(l)) else {
            return (line, column);
        };
        let rest = &self.rendered[start..];
        let col = rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let mut src = self.map.source_offset(start + col).min(self.source.len());
        while !self.source.is_char_boundary(src) {
            src -= 1;
        }
        let l = self.source_lines.partition_point(|&s| s <= src);
        let ls = self.source_lines[l - 1];
        (l, self.source[ls..src].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests;
