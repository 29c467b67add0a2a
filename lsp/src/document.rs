//! Open documents: text, version, syntax tree (kept across edits for incremental
//! reparsing), the per-file index summary and the last lint result.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lsp_types as lsp;
use rules::index::{FactScope, FileSummary};
use rules::sema::Imports;
use rules::source::{DEFAULT_MAX_FILE_BYTES, parse_go};
use rules::{FileLint, LineIndex, SourceError, SourceFile};
use tree_sitter::{InputEdit, Point, Tree};

use crate::proto::{Encoding, Text};

/// Parsing a buffer longer than this is abandoned (the server answers other requests
/// meanwhile only once it returns, so this is much shorter than the CLI's limit).
pub const PARSE_TIMEOUT: Duration = Duration::from_secs(5);

enum Parsed {
    Ok(SourceFile),
    /// Too large, or the parser gave up: no tree, no findings, the text is kept so
    /// later edits still apply.
    Failed {
        text: String,
        lines: LineIndex,
        error: SourceError,
    },
}

/// The last lint of a document, for the version it was computed on.
pub struct LintResult {
    pub version: i32,
    /// Distinct for every lint run: the pull-diagnostics `resultId`.
    pub result_id: String,
    pub lint: FileLint,
}

pub struct Document {
    pub uri: lsp::Uri,
    pub path: Arc<Path>,
    /// The package directory (`None` for buffers that are not files: `untitled:`).
    pub dir: Option<PathBuf>,
    pub version: i32,
    parsed: Parsed,
    imports: Option<Imports>,
    summary: Option<Arc<FileSummary>>,
    pub result: Option<LintResult>,
    /// When this document should be linted (debounce); `None` when up to date.
    pub due: Option<Instant>,
    /// When the last edit arrived: an edit soon after another is part of a burst.
    pub last_edit: Option<Instant>,
    /// The version last published to the client (push mode), so nothing older is sent.
    pub published: Option<i32>,
}

impl Document {
    pub fn open(uri: lsp::Uri, version: i32, text: String) -> Document {
        let (path, dir) = match uri.to_file_path() {
            Ok(p) => {
                let dir = p.parent().map(Path::to_path_buf);
                (p, dir)
            }
            // `untitled:Untitled-1` and friends: a package of its own.
            Err(()) => (PathBuf::from(uri.path()), None),
        };
        let path: Arc<Path> = Arc::from(path);
        let parsed = parse(&path, text, LineIndex::default(), None, true);
        Document {
            uri,
            path,
            dir,
            version,
            parsed,
            imports: None,
            summary: None,
            result: None,
            due: None,
            last_edit: None,
            published: None,
        }
    }

    pub fn text(&self) -> &str {
        match &self.parsed {
            Parsed::Ok(f) => &f.text,
            Parsed::Failed { text, .. } => text,
        }
    }

    pub fn lines(&self) -> &LineIndex {
        match &self.parsed {
            Parsed::Ok(f) => &f.lines,
            Parsed::Failed { lines, .. } => lines,
        }
    }

    pub fn as_text(&self) -> Text<'_> {
        Text::new(self.text(), self.lines())
    }

    /// The parsed file, unless parsing failed.
    pub fn file(&self) -> Option<&SourceFile> {
        match &self.parsed {
            Parsed::Ok(f) => Some(f),
            Parsed::Failed { .. } => None,
        }
    }

    pub fn parse_error(&self) -> Option<&SourceError> {
        match &self.parsed {
            Parsed::Ok(_) => None,
            Parsed::Failed { error, .. } => Some(error),
        }
    }

    /// The imports of the current text, read once per version.
    pub fn imports(&mut self) -> Option<&Imports> {
        if self.imports.is_none() {
            let file = self.file()?;
            self.imports = Some(Imports::from_file(file.root(), &file.text));
        }
        self.imports.as_ref()
    }

    /// The index summary of the current text with at least the facts of `scope`,
    /// extracted once per version (again only if a wider scope is asked for).
    pub fn summary(&mut self, scope: FactScope) -> Option<Arc<FileSummary>> {
        let covered = self
            .summary
            .as_ref()
            .is_some_and(|s| (s.scope.net || !scope.net) && (s.scope.lock || !scope.lock));
        if !covered {
            let summary = FileSummary::extract_parallel(self.file()?, scope);
            self.summary = Some(Arc::new(summary));
        }
        self.summary.clone()
    }

    /// Whether the stored lint result is for the current version.
    pub fn is_fresh(&self) -> bool {
        self.result
            .as_ref()
            .is_some_and(|r| r.version == self.version)
            || self.parse_error().is_some()
    }

    /// Apply a `didChange` batch in order: each change's range refers to the text left
    /// by the previous one. The old tree is edited alongside, then the text is reparsed
    /// incrementally (only the changed region is re-lexed).
    pub fn apply_changes(
        &mut self,
        version: i32,
        changes: Vec<lsp::TextDocumentContentChangeEvent>,
        enc: Encoding,
    ) {
        // Work on copies of nothing: take the parts out, rebuild at the end.
        let (mut text, mut lines, mut tree) =
            match std::mem::replace(&mut self.parsed, placeholder()) {
                Parsed::Ok(f) => {
                    let (text, lines, tree) = f.into_parts();
                    (text, lines, Some(tree))
                }
                Parsed::Failed { text, lines, .. } => (text, lines, None),
            };
        for change in changes {
            match change {
                lsp::TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(w) => {
                    text = w.text;
                    tree = None;
                    lines = LineIndex::new(&text);
                }
                lsp::TextDocumentContentChangeEvent::TextDocumentContentChangePartial(p) => {
                    let range = Text::new(&text, &lines).byte_range(p.range, enc);
                    if let Some(t) = tree.as_mut() {
                        let start_position = point(&text, &lines, range.start);
                        let old_end_position = point(&text, &lines, range.end);
                        t.edit(&InputEdit {
                            start_byte: range.start,
                            old_end_byte: range.end,
                            new_end_byte: range.start + p.text.len(),
                            start_position,
                            old_end_position,
                            new_end_position: advance(start_position, &p.text),
                        });
                    }
                    text.replace_range(range, &p.text);
                    lines = LineIndex::new(&text);
                }
            }
        }
        self.parsed = parse(&self.path, text, lines, tree.as_ref(), false);
        self.version = version;
        self.imports = None;
        self.summary = None;
    }
}

fn placeholder() -> Parsed {
    Parsed::Failed {
        text: String::new(),
        lines: LineIndex::default(),
        error: SourceError::ParserFailed,
    }
}

/// Parse `text` (reusing `old`, already edited, when given) into a document state.
fn parse(
    path: &Arc<Path>,
    text: String,
    lines: LineIndex,
    old: Option<&Tree>,
    fresh_lines: bool,
) -> Parsed {
    let lines = if fresh_lines {
        LineIndex::new(&text)
    } else {
        lines
    };
    if text.len() > DEFAULT_MAX_FILE_BYTES {
        let error = SourceError::TooLarge {
            bytes: text.len(),
            limit: DEFAULT_MAX_FILE_BYTES,
        };
        return Parsed::Failed { text, lines, error };
    }
    match parse_go(&text, old, PARSE_TIMEOUT) {
        Ok(tree) => {
            let is_test = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_test.go"));
            Parsed::Ok(SourceFile::from_parts(
                path.clone(),
                text,
                false,
                tree,
                lines,
                is_test,
            ))
        }
        Err(error) => Parsed::Failed { text, lines, error },
    }
}

/// The tree-sitter point (row, byte column) of an offset.
fn point(text: &str, lines: &LineIndex, offset: usize) -> Point {
    let lc = lines.line_col(text, offset);
    Point {
        row: lc.line as usize,
        column: lc.col_utf8 as usize,
    }
}

/// Where inserting `inserted` at `start` ends.
fn advance(start: Point, inserted: &str) -> Point {
    match inserted.rfind('\n') {
        Some(last) => Point {
            row: start.row + inserted.bytes().filter(|&b| b == b'\n').count(),
            column: inserted.len() - last - 1,
        },
        None => Point {
            row: start.row,
            column: start.column + inserted.len(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        l0: u32,
        c0: u32,
        l1: u32,
        c1: u32,
        text: &str,
    ) -> lsp::TextDocumentContentChangeEvent {
        #[allow(deprecated)]
        lsp::TextDocumentContentChangeEvent::TextDocumentContentChangePartial(
            lsp::TextDocumentContentChangePartial {
                range: lsp::Range {
                    start: lsp::Position {
                        line: l0,
                        character: c0,
                    },
                    end: lsp::Position {
                        line: l1,
                        character: c1,
                    },
                },
                range_length: None,
                text: text.to_string(),
            },
        )
    }

    fn uri() -> lsp::Uri {
        lsp::Uri::parse("file:///tmp/p/a.go").unwrap()
    }

    #[test]
    fn incremental_edits_match_a_fresh_parse() {
        let src = "package p\n\nfunc f() {\n\tx := \"é😀\"\n\t_ = x\n}\n";
        let mut doc = Document::open(uri(), 1, src.to_string());
        // Insert after the emoji (UTF-16 column 9), then a new line, then a deletion.
        doc.apply_changes(
            2,
            vec![
                change(3, 9, 3, 9, "!"),
                change(4, 6, 4, 6, "\n\tprintln(x)"),
                change(0, 8, 0, 9, "q"),
            ],
            Encoding::Utf16,
        );
        let want = "package q\n\nfunc f() {\n\tx := \"é😀!\"\n\t_ = x\n\tprintln(x)\n}\n";
        assert_eq!(doc.text(), want);
        assert_eq!(doc.version, 2);
        let fresh = SourceFile::from_string("a.go", want.to_string()).unwrap();
        let file = doc.file().unwrap();
        assert_eq!(file.root().to_sexp(), fresh.root().to_sexp());
        assert_eq!(file.lines.line_count(), fresh.lines.line_count());
    }

    #[test]
    fn utf8_positions_edit_bytes() {
        let mut doc = Document::open(uri(), 1, "package p\n// é\n".to_string());
        doc.apply_changes(2, vec![change(1, 5, 1, 5, "x")], Encoding::Utf8);
        assert_eq!(doc.text(), "package p\n// éx\n");
    }

    #[test]
    fn whole_document_changes_and_out_of_range_edits_are_tolerated() {
        let mut doc = Document::open(uri(), 1, "package p\n".to_string());
        doc.apply_changes(
            2,
            vec![
                lsp::TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(
                    lsp::TextDocumentContentChangeWholeDocument {
                        text: "package r\n".to_string(),
                    },
                ),
                // Far past the end: clamped to the end of the text.
                change(40, 0, 50, 3, "var x int\n"),
            ],
            Encoding::Utf16,
        );
        assert_eq!(doc.text(), "package r\nvar x int\n");
        assert!(doc.file().is_some());
    }
}
