//! Output formats, one file per format. Every emitter reads the same [`Report`]: the
//! findings that survived suppression, the baseline and `--new-from-rev` (plus the
//! suppressed ones under `--show-suppressed`), each with its fingerprint and its path
//! relative to the project root.
//!
//! `pretty.rs` is the only file that knows miette; `sarif.rs` the only one that knows
//! SARIF.

pub mod concise;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod pretty;
pub mod sarif;

use std::io::Write;
use std::path::{Path, PathBuf};

use rules::engine::Directive;
use rules::{Diagnostic, Related, RuleMeta, Severity};

use crate::cli::OutputFormat;

/// One finding with its file, the unit every emitter iterates over.
pub struct Finding<'r> {
    /// The path as discovered (what the user typed, joined with what the walk found).
    pub path: &'r Path,
    /// The path relative to the project root, `/`-separated (absolute when outside it).
    pub rel_path: String,
    pub text: Option<&'r str>,
    pub diag: &'r Diagnostic,
    /// See `crate::fingerprint`.
    pub fingerprint: String,
    /// The directive that silenced it (only present under `--show-suppressed`).
    pub suppressed: Option<&'r Directive>,
}

/// Everything an emitter needs.
pub struct Report<'r> {
    /// Sorted by path, then position.
    pub findings: Vec<Finding<'r>>,
    /// The project root that `rel_path`s are relative to (absolute).
    pub root: PathBuf,
    /// The rules that ran (SARIF lists one descriptor for each), in registry order.
    pub rules: Vec<&'static RuleMeta>,
}

impl Report<'_> {
    /// The findings that count (not suppressed).
    pub fn active(&self) -> impl Iterator<Item = &Finding<'_>> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }
}

/// Write `report` in `format`.
pub fn emit(
    out: &mut dyn Write,
    format: OutputFormat,
    report: &Report<'_>,
    style: pretty::Style,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Pretty => pretty::write(out, report, style),
        OutputFormat::Concise => concise::write(out, report),
        OutputFormat::Json => json::write(out, report),
        OutputFormat::Sarif => sarif::write(out, report),
        OutputFormat::Gitlab => gitlab::write(out, report),
        OutputFormat::Github => github::write(out, report),
    }
}

/// "suppressed by `//faultline:ignore` on line 12 (reason)".
pub fn suppression_note(d: &Directive) -> String {
    let form = match d.kind {
        rules::engine::DirectiveKind::Faultline => "//faultline:ignore",
        rules::engine::DirectiveKind::Nolint => "//nolint",
    };
    match &d.reason {
        Some(r) => format!("suppressed by {form} on line {}: {r}", d.line + 1),
        None => format!("suppressed by {form} on line {}", d.line + 1),
    }
}

/// The rule's documentation URL (empty for unknown ids).
pub fn rule_url(id: &str) -> String {
    rules::registry::meta(id)
        .map(|m| m.url())
        .unwrap_or_default()
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
    pub fn of(report: &Report<'_>) -> Tally {
        let mut t = Tally::default();
        for f in report.active() {
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
pub fn summary(report: &Report<'_>, checked: usize) -> String {
    let t = Tally::of(report);
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
    let mut files: Vec<&Path> = report.active().map(|f| f.path).collect();
    files.dedup();
    format!(
        "Found {} ({}) in {} of {}.",
        plural(t.total(), "finding"),
        parts.join(", "),
        files.len(),
        plural(checked, "file")
    )
}

/// `--statistics`: findings per rule, most frequent first.
pub fn statistics(out: &mut dyn Write, report: &Report<'_>, json: bool) -> std::io::Result<()> {
    let mut counts: std::collections::BTreeMap<&str, (usize, Severity)> = Default::default();
    for f in report.active() {
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
