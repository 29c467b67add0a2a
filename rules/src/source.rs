//! The source model: a file read once, parsed once, with a line index that maps
//! byte offsets to lines and UTF-8 / UTF-16 columns.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tree_sitter::{Language, Node, ParseOptions, Parser, Tree};

use crate::flat::{Flat, FlatTree};
use crate::syntax::Walk;

/// The tree-sitter Go grammar.
pub fn language() -> Language {
    tree_sitter_go::LANGUAGE.into()
}

/// Files bigger than this are not parsed: one pathological file must not stall a CI job.
pub const DEFAULT_MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Parsing that takes longer than this is abandoned with a clear message.
pub const DEFAULT_PARSE_TIMEOUT: Duration = Duration::from_secs(20);

/// 0-based line and columns of one byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LineCol {
    /// 0-based line.
    pub line: u32,
    /// 0-based column in UTF-8 bytes (what `go vet` and tree-sitter report).
    pub col_utf8: u32,
    /// 0-based column in UTF-16 code units (the LSP default, SARIF `utf16CodeUnits`).
    pub col_utf16: u32,
}

/// Byte offset of the start of every line.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push((i + 1) as u32);
            }
        }
        LineIndex { starts }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte range of a 0-based line, without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.starts.get(line).map_or(text.len(), |&s| s as usize);
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&s| s as usize);
        let bytes = text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    /// Byte offset where a 0-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).map_or(0, |&s| s as usize)
    }

    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.starts[line] as usize;
        let prefix = &text[start..offset];
        LineCol {
            line: line as u32,
            col_utf8: prefix.len() as u32,
            col_utf16: prefix.chars().map(char::len_utf16).sum::<usize>() as u32,
        }
    }

    /// Byte offset of a (0-based line, UTF-16 column) position, clamped to the line.
    pub fn offset_utf16(&self, text: &str, line: u32, col_utf16: u32) -> usize {
        let Some(&start) = self.starts.get(line as usize) else {
            return text.len();
        };
        let range = self.line_range(text, line as usize);
        let mut units = 0u32;
        for (i, ch) in text[range.clone()].char_indices() {
            if units >= col_utf16 {
                return start as usize + i;
            }
            units += ch.len_utf16() as u32;
        }
        range.end
    }

    /// Byte offset of a (0-based line, UTF-8 column) position, clamped to the line.
    pub fn offset_utf8(&self, text: &str, line: u32, col_utf8: u32) -> usize {
        if self.starts.get(line as usize).is_none() {
            return text.len();
        }
        let range = self.line_range(text, line as usize);
        floor_char_boundary(text, (range.start + col_utf8 as usize).min(range.end))
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Why a file could not be linted at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    TooLarge { bytes: usize, limit: usize },
    ParseTimeout(Duration),
    ParserFailed,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::TooLarge { bytes, limit } => write!(
                f,
                "file is {bytes} bytes, over the {limit}-byte limit; not linted"
            ),
            SourceError::ParseTimeout(d) if d.as_secs() == 0 => {
                write!(
                    f,
                    "parsing took longer than {}ms; not linted",
                    d.as_millis()
                )
            }
            SourceError::ParseTimeout(d) => {
                write!(f, "parsing took longer than {}s; not linted", d.as_secs())
            }
            SourceError::ParserFailed => write!(f, "the Go parser gave up on this file"),
        }
    }
}

/// A Go file: its text (lossily decoded when it is not UTF-8), its tree and line index.
pub struct SourceFile {
    pub path: Arc<Path>,
    pub text: String,
    /// The bytes were not valid UTF-8; offsets refer to the lossily decoded text.
    pub lossy: bool,
    /// Private: the flattened nodes in `flat` point into it.
    tree: Tree,
    pub lines: LineIndex,
    /// The file name ends in `_test.go`.
    pub is_test: bool,
    flat: OnceLock<FlatTree>,
}

impl std::fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceFile")
            .field("path", &self.path)
            .field("len", &self.text.len())
            .finish()
    }
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parse Go source with this thread's parser. Never recursive; bounded by `timeout`.
pub fn parse_go(text: &str, old: Option<&Tree>, timeout: Duration) -> Result<Tree, SourceError> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let parser = slot.get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&language())
                .expect("tree-sitter-go ABI is compatible with the tree-sitter crate");
            p
        });
        let started = Instant::now();
        let mut timed_out = false;
        let mut check = |_: &tree_sitter::ParseState| {
            if started.elapsed() > timeout {
                timed_out = true;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let bytes = text.as_bytes();
        let len = bytes.len();
        let tree = parser.parse_with_options(
            &mut |offset: usize, _| {
                if offset < len { &bytes[offset..] } else { &[] }
            },
            old,
            Some(ParseOptions::new().progress_callback(&mut check)),
        );
        match tree {
            Some(t) => Ok(t),
            None => {
                parser.reset();
                if timed_out {
                    Err(SourceError::ParseTimeout(timeout))
                } else {
                    Err(SourceError::ParserFailed)
                }
            }
        }
    })
}

impl SourceFile {
    /// Decode and parse file contents. Invalid UTF-8 is decoded lossily and still linted.
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<Self, SourceError> {
        Self::from_bytes_with_limits(path, bytes, DEFAULT_MAX_FILE_BYTES, DEFAULT_PARSE_TIMEOUT)
    }

    pub fn from_bytes_with_limits(
        path: impl Into<PathBuf>,
        bytes: Vec<u8>,
        max_bytes: usize,
        timeout: Duration,
    ) -> Result<Self, SourceError> {
        if bytes.len() > max_bytes {
            return Err(SourceError::TooLarge {
                bytes: bytes.len(),
                limit: max_bytes,
            });
        }
        let (text, lossy) = match String::from_utf8(bytes) {
            Ok(s) => (s, false),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
        };
        Self::from_text(path, text, lossy, timeout)
    }

    /// Parse already-decoded text (the language server's buffers).
    pub fn from_string(path: impl Into<PathBuf>, text: String) -> Result<Self, SourceError> {
        Self::from_text(path, text, false, DEFAULT_PARSE_TIMEOUT)
    }

    fn from_text(
        path: impl Into<PathBuf>,
        text: String,
        lossy: bool,
        timeout: Duration,
    ) -> Result<Self, SourceError> {
        let path: PathBuf = path.into();
        let tree = parse_go(&text, None, timeout)?;
        let lines = LineIndex::new(&text);
        let is_test = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("_test.go"));
        Ok(SourceFile::from_parts(
            Arc::from(path),
            text,
            lossy,
            tree,
            lines,
            is_test,
        ))
    }

    /// A file from text already parsed into `tree` (the language server's incremental
    /// reparse).
    pub fn from_parts(
        path: Arc<Path>,
        text: String,
        lossy: bool,
        tree: Tree,
        lines: LineIndex,
        is_test: bool,
    ) -> SourceFile {
        SourceFile {
            path,
            text,
            lossy,
            tree,
            lines,
            is_test,
            flat: OnceLock::new(),
        }
    }

    /// The text, line index and tree, for an incremental reparse.
    pub fn into_parts(self) -> (String, LineIndex, Tree) {
        (self.text, self.lines, self.tree)
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// The named nodes in preorder, flattened on first use and kept, shared by the
    /// fact extraction and the rule dispatch.
    pub fn flat(&self) -> Flat<'_> {
        self.flat
            .get_or_init(|| FlatTree::build(&self.tree))
            .view(&self.tree)
    }

    /// Prefetch the tree's memory before it is freed ([`FlatTree::prefetch_nodes`]).
    pub fn prefetch_tree(&self) {
        if let Some(f) = self.flat.get() {
            f.prefetch_nodes();
        }
    }

    /// The kept flattened nodes, if any.
    pub fn cached_flat(&self) -> Option<Flat<'_>> {
        self.flat.get().map(|f| f.view(&self.tree))
    }

    /// Drop the kept flattened nodes: the state of a file whose facts came from
    /// elsewhere (the language server's cached summaries), which the lint flattens
    /// for its own walk.
    #[cfg(test)]
    pub(crate) fn forget_flat(&mut self) {
        self.flat.take();
    }

    pub fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// Source text of a node.
    pub fn text_of(&self, node: Node<'_>) -> &str {
        &self.text[node.start_byte()..node.end_byte()]
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }

    /// Positions of syntax errors (`ERROR` and `MISSING` nodes), without recursion.
    pub fn syntax_errors(&self) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let root = self.root();
        if !root.has_error() {
            return out;
        }
        crate::syntax::walk(root, |node| {
            if node.is_error() || node.is_missing() {
                out.push(node.start_byte()..node.end_byte());
                Walk::Skip
            } else if node.has_error() {
                Walk::Continue
            } else {
                Walk::Skip
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs() {
        let text = "a := \"é😀\"; x\n";
        let idx = LineIndex::new(text);
        let off = text.find('x').unwrap();
        let lc = idx.line_col(text, off);
        assert_eq!(lc.line, 0);
        assert_eq!(lc.col_utf8 as usize, off);
        // é is one UTF-16 unit, 😀 is two.
        assert_eq!(lc.col_utf16, 12);
        assert_eq!(idx.offset_utf16(text, 0, 12), off);
        assert_eq!(idx.offset_utf8(text, 0, off as u32), off);
    }

    #[test]
    fn crlf_line_ranges_exclude_the_terminator() {
        let text = "a\r\nbc\r\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_range(text, 0), 0..1);
        assert_eq!(idx.line_range(text, 1), 3..5);
        assert_eq!(idx.line_col(text, 4).line, 1);
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily() {
        let f = SourceFile::from_bytes("x.go", b"package x\nvar s = \"\xff\"\n".to_vec()).unwrap();
        assert!(f.lossy);
        assert!(f.text.contains('\u{FFFD}'));
    }

    #[test]
    fn parse_timeout_is_a_clear_error_and_the_parser_recovers() {
        let big = "package x\n".to_string() + &"func f() { g(1, 2, 3) }\n".repeat(200_000);
        let err = SourceFile::from_text("x.go", big, false, Duration::from_millis(1)).unwrap_err();
        assert_eq!(err, SourceError::ParseTimeout(Duration::from_millis(1)));
        assert_eq!(err.to_string(), "parsing took longer than 1ms; not linted");
        // The thread's parser was reset: the next file parses normally.
        let ok = SourceFile::from_string("y.go", "package y\nfunc g() {}\n".to_string()).unwrap();
        assert!(ok.syntax_errors().is_empty());
    }

    #[test]
    fn size_limit_is_a_clear_error() {
        let err =
            SourceFile::from_bytes_with_limits("x.go", vec![b' '; 100], 10, DEFAULT_PARSE_TIMEOUT)
                .unwrap_err();
        assert!(err.to_string().contains("over the 10-byte limit"));
    }
}
