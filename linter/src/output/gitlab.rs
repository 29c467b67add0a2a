//! `--format gitlab`: GitLab Code Quality JSON, the array the merge-request widget reads
//! from `artifacts: reports: codequality`.
//!
//! Each issue: `description` (`rule: message`), `check_name` (the rule id),
//! `fingerprint` (see `crate::fingerprint`: stable when unrelated lines move),
//! `severity` (`critical` for errors, `major` for warnings, `info` for info findings),
//! `location.path` (relative to the project root: `CI_PROJECT_DIR` in a GitLab job) and
//! `location.lines.begin`; plus the Code Climate fields `type`, `categories`,
//! `engine_name`. UTF-8 without a byte-order mark. Suppressed findings are left out.

use std::io::Write;

use rules::Severity;
use serde::Serialize;

use super::Report;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: &'a str,
    engine_name: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

/// GitLab's severity for ours.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    let issues: Vec<Issue> = report
        .active()
        .map(|f| {
            let d = f.diag;
            Issue {
                kind: "issue",
                check_name: d.rule,
                description: format!("{}: {}", d.rule, d.message),
                categories: ["Bug Risk"],
                severity: severity(d.severity),
                fingerprint: &f.fingerprint,
                engine_name: "faultline",
                location: Location {
                    path: f.rel_path.clone(),
                    lines: Lines {
                        begin: d.start.line + 1,
                        end: d.end.line + 1,
                    },
                },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}
