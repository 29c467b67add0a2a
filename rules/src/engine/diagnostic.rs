//! The one diagnostic model. Byte ranges inside the engine; line/column pairs are
//! computed once here so every frontend converts the same way.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::source::LineCol;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location: where the connection was obtained, where the lock was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// The file, when it is not the diagnostic's own file.
    pub path: Option<Arc<Path>>,
    pub range: Range<usize>,
    pub start: LineCol,
    pub end: LineCol,
    pub message: String,
}

/// One replacement of a byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit {
            range: at..at,
            replacement: text.into(),
        }
    }

    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            range,
            replacement: text.into(),
        }
    }
}

/// How safe a fix is to apply without the author looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Only shown as a suggestion.
    DisplayOnly,
    /// Changes behaviour in a way the author must agree to.
    Unsafe,
    /// Behaviour-preserving in every case we can see.
    Safe,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            edits,
            applicability: Applicability::Safe,
        }
    }

    pub fn unsafe_edit(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            edits,
            applicability: Applicability::Unsafe,
        }
    }

    pub fn display_only(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            edits,
            applicability: Applicability::DisplayOnly,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static str,
    pub severity: Severity,
    /// Primary range; starts at the rule's anchor token.
    pub range: Range<usize>,
    pub start: LineCol,
    pub end: LineCol,
    pub message: String,
    /// A few words shown under the flagged token ("ticker created here").
    pub label: Option<String>,
    /// How to fix it, in one imperative line.
    pub help: Option<String>,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}
