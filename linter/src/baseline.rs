//! Baselines: `--write-baseline FILE` records the fingerprints of today's findings;
//! `--baseline FILE` hides findings whose fingerprint is recorded, so only new ones
//! are reported. Fingerprints ignore line numbers (see `crate::fingerprint`), so the
//! baseline survives unrelated edits and moved lines.
//!
//! The file is JSON, sorted for stable diffs:
//!
//! ```json
//! {
//!   "faultline_baseline": 1,
//!   "findings": [
//!     {"fingerprint": "9f2c…", "rule": "tick-leak", "path": "pkg/a.go", "line": 12,
//!      "message": "…"}
//!   ]
//! }
//! ```
//!
//! Only `fingerprint` is read back; the other fields are there for reviewers.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub path: String,
    pub line: u32,
    pub rule: String,
    pub fingerprint: String,
    pub message: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    faultline_baseline: u32,
    findings: Vec<Entry>,
}

/// The fingerprints recorded in a baseline file.
pub fn load(path: &Path) -> Result<HashSet<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "--baseline: {}: {}",
            path.display(),
            crate::discover::io_reason(&e)
        )
    })?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        format!(
            "--baseline: {}: not a faultline baseline ({e}); create one with --write-baseline",
            path.display()
        )
    })?;
    if file.faultline_baseline != VERSION {
        return Err(format!(
            "--baseline: {}: baseline format {} is not supported (expected {VERSION})",
            path.display(),
            file.faultline_baseline
        ));
    }
    Ok(file.findings.into_iter().map(|e| e.fingerprint).collect())
}

/// The baseline file's text.
pub fn render(mut findings: Vec<Entry>) -> String {
    findings.sort();
    let file = File {
        faultline_baseline: VERSION,
        findings,
    };
    let mut s = serde_json::to_string_pretty(&file).unwrap_or_default();
    s.push('\n');
    s
}
