//! Output formats. Every emitter reads the same `FileReport`s; paths are printed as
//! discovered (relative to the working directory when the user passed relative paths).

pub mod concise;
pub mod json;
pub mod pretty;

use std::io::Write;
use std::path::Path;

use rules::{Diagnostic, Related, Severity};

use crate::check::FileReport;

/// One finding with its file, the unit every emitter iterates over.
pub struct Finding<'r> {
    pub path: &'r Path,
    pub text: Option<&'r str>,
    pub diag: &'r Diagnostic,
}

/// Findings of all files, in path then position order.
pub fn findings(files: &[FileReport]) -> impl Iterator<Item = Finding<'_>> {
    files.iter().flat_map(|f| {
        f.lint.diagnostics.iter().map(move |d| Finding {
            path: &f.path,
            text: f.text.as_deref().map(String::as_str),
            diag: d,
        })
    })
}

/// Path display with forward slashes on every platform.
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

/// `path:line:col` of a related location (1-based, byte columns).
pub fn related_location(own: &Path, r: &Related) -> String {
    let path = r.path.as_deref().unwrap_or(own);
    format!(
        "{}:{}:{}",
        display_path(path),
        r.start.line + 1,
        r.start.col_utf8 + 1
    )
}

/// Counts by severity.
#[derive(Default, Clone, Copy)]
pub struct Tally {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Tally {
    pub fn of(files: &[FileReport]) -> Tally {
        let mut t = Tally::default();
        for f in findings(files) {
            match f.diag.severity {
                Severity::Error => t.error += 1,
                Severity::Warning => t.warning += 1,
                Severity::Info => t.info += 1,
            }
        }
        t
    }

    pub fn total(&self) -> usize {
        self.error + self.warning + self.info
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "Found 3 findings (1 error, 2 warnings) in 2 of 10 files."
pub fn summary(files: &[FileReport], checked: usize) -> String {
    let t = Tally::of(files);
    if t.total() == 0 {
        return format!("No findings in {}.", plural(checked, "file"));
    }
    let mut parts = Vec::new();
    if t.error > 0 {
        parts.push(plural(t.error, "error"));
    }
    if t.warning > 0 {
        parts.push(plural(t.warning, "warning"));
    }
    if t.info > 0 {
        parts.push(format!("{} info", t.info));
    }
    let with = files
        .iter()
        .filter(|f| !f.lint.diagnostics.is_empty())
        .count();
    format!(
        "Found {} ({}) in {} of {}.",
        plural(t.total(), "finding"),
        parts.join(", "),
        with,
        plural(checked, "file")
    )
}

/// `--statistics`: findings per rule, most frequent first.
pub fn statistics(out: &mut dyn Write, files: &[FileReport], json: bool) -> std::io::Result<()> {
    let mut counts: std::collections::BTreeMap<&str, (usize, Severity)> = Default::default();
    for f in findings(files) {
        let e = counts.entry(f.diag.rule).or_insert((0, f.diag.severity));
        e.0 += 1;
    }
    let mut rows: Vec<(&str, usize, Severity)> =
        counts.into_iter().map(|(r, (n, s))| (r, n, s)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(r, n, _)| {
                let family = rules::registry::get(r).map(|x| x.meta().family.as_str());
                serde_json::json!({"rule": r, "count": n, "family": family})
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        )?;
        return Ok(());
    }
    for (rule, n, sev) in rows {
        let family = rules::registry::get(rule)
            .map(|x| x.meta().family.as_str())
            .unwrap_or("");
        writeln!(out, "{n:>6}  {rule:<28} {family:<5} {sev}")?;
    }
    Ok(())
}
