//! Conversions between the engine's model (byte offsets, `rules::Diagnostic`) and LSP
//! types. The only place that knows about position encodings.

use std::path::Path;

use lsp_types as lsp;
use rules::{LineCol, LineIndex};

/// The negotiated `positionEncoding`: what an LSP `Position.character` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes (the engine's native unit): chosen whenever the client offers it.
    Utf8,
    /// UTF-16 code units: the LSP default.
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client lists it, else UTF-16 (which every client must support).
    pub fn negotiate(caps: &lsp::ClientCapabilities) -> Encoding {
        let offered = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref());
        match offered {
            Some(list) if list.contains(&lsp::PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> lsp::PositionEncodingKind {
        match self {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }
    }
}

/// A text with its line index: what position conversions need.
#[derive(Clone, Copy)]
pub struct Text<'a> {
    pub text: &'a str,
    pub lines: &'a LineIndex,
}

impl<'a> Text<'a> {
    pub fn new(text: &'a str, lines: &'a LineIndex) -> Self {
        Text { text, lines }
    }

    /// Byte offset of an LSP position, clamped to the document (a position past the
    /// end of a line means the end of that line, past the last line the end of text).
    pub fn offset(self, pos: lsp::Position, enc: Encoding) -> usize {
        match enc {
            Encoding::Utf8 => self.lines.offset_utf8(self.text, pos.line, pos.character),
            Encoding::Utf16 => self.lines.offset_utf16(self.text, pos.line, pos.character),
        }
    }

    pub fn position(self, offset: usize, enc: Encoding) -> lsp::Position {
        position(self.lines.line_col(self.text, offset), enc)
    }

    pub fn range(self, r: std::ops::Range<usize>, enc: Encoding) -> lsp::Range {
        lsp::Range {
            start: self.position(r.start, enc),
            end: self.position(r.end, enc),
        }
    }

    /// Byte range of an LSP range; a reversed range is normalised.
    pub fn byte_range(self, r: lsp::Range, enc: Encoding) -> std::ops::Range<usize> {
        let a = self.offset(r.start, enc);
        let b = self.offset(r.end, enc);
        a.min(b)..a.max(b)
    }
}

pub fn position(lc: LineCol, enc: Encoding) -> lsp::Position {
    lsp::Position {
        line: lc.line,
        character: match enc {
            Encoding::Utf8 => lc.col_utf8,
            Encoding::Utf16 => lc.col_utf16,
        },
    }
}

fn lsp_range(start: LineCol, end: LineCol, enc: Encoding) -> lsp::Range {
    lsp::Range {
        start: position(start, enc),
        end: position(end, enc),
    }
}

pub fn severity(s: rules::Severity) -> lsp::DiagnosticSeverity {
    match s {
        rules::Severity::Error => lsp::DiagnosticSeverity::Error,
        rules::Severity::Warning => lsp::DiagnosticSeverity::Warning,
        rules::Severity::Info => lsp::DiagnosticSeverity::Information,
    }
}

/// The `file://` URI of a path (relative paths are made absolute first).
pub fn path_to_uri(path: &Path) -> Option<lsp::Uri> {
    let abs = std::path::absolute(path).ok()?;
    lsp::Uri::from_file_path(abs).ok()
}

/// One engine diagnostic as an LSP diagnostic of the document `uri`.
pub fn diagnostic(d: &rules::Diagnostic, uri: &lsp::Uri, enc: Encoding) -> lsp::Diagnostic {
    let href = rules::registry::get(d.rule)
        .and_then(|r| lsp::Uri::parse(&r.meta().url()).ok())
        .map(|href| lsp::CodeDescription { href });
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut related: Vec<lsp::DiagnosticRelatedInformation> = Vec::new();
    for r in &d.related {
        let uri = match &r.path {
            Some(p) => match path_to_uri(p) {
                Some(u) => u,
                None => continue,
            },
            None => uri.clone(),
        };
        related.push(lsp::DiagnosticRelatedInformation {
            location: lsp::Location {
                uri,
                range: lsp_range(r.start, r.end, enc),
            },
            message: r.message.clone(),
        });
    }
    lsp::Diagnostic {
        range: lsp_range(d.start, d.end, enc),
        severity: Some(severity(d.severity)),
        code: Some(lsp::Code::String(d.rule.to_string())),
        code_description: href,
        source: Some("faultline".to_string()),
        message: lsp::Message::String(message),
        tags: None,
        related_information: (!related.is_empty()).then_some(related),
        data: None,
    }
}

/// Engine edits as LSP text edits (byte ranges in `text`).
pub fn text_edits(edits: &[rules::Edit], text: Text<'_>, enc: Encoding) -> Vec<lsp::TextEdit> {
    edits
        .iter()
        .map(|e| lsp::TextEdit {
            range: text.range(e.range.clone(), enc),
            new_text: e.replacement.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_in_both_encodings() {
        // `é` is 2 bytes / 1 UTF-16 unit; `😀` is 4 bytes / 2 units.
        let src = "package p\n\nvar é = \"😀\"; var x = 1\n";
        let lines = LineIndex::new(src);
        let t = Text::new(src, &lines);
        let off = src.find("x =").unwrap();
        let p8 = t.position(off, Encoding::Utf8);
        let p16 = t.position(off, Encoding::Utf16);
        assert_eq!((p8.line, p8.character), (2, 21));
        assert_eq!((p16.line, p16.character), (2, 18));
        assert_eq!(t.offset(p8, Encoding::Utf8), off);
        assert_eq!(t.offset(p16, Encoding::Utf16), off);
        // Past the end of a line clamps to the line's end; past the end of text too.
        let eol = src[..src.len() - 1].len();
        let far = lsp::Position {
            line: 2,
            character: 500,
        };
        assert_eq!(t.offset(far, Encoding::Utf16), eol);
        let beyond = lsp::Position {
            line: 90,
            character: 0,
        };
        assert_eq!(t.offset(beyond, Encoding::Utf8), src.len());
    }

    #[test]
    fn utf8_is_chosen_only_when_offered() {
        let mut caps = lsp::ClientCapabilities::default();
        assert_eq!(Encoding::negotiate(&caps), Encoding::Utf16);
        caps.general = Some(lsp::GeneralClientCapabilities {
            position_encodings: Some(vec![
                lsp::PositionEncodingKind::UTF16,
                lsp::PositionEncodingKind::UTF8,
            ]),
            ..Default::default()
        });
        assert_eq!(Encoding::negotiate(&caps), Encoding::Utf8);
        caps.general = Some(lsp::GeneralClientCapabilities {
            position_encodings: Some(vec![lsp::PositionEncodingKind::UTF32]),
            ..Default::default()
        });
        assert_eq!(Encoding::negotiate(&caps), Encoding::Utf16);
    }
}
