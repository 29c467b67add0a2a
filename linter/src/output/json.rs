//! `--format json`: a JSON array of findings. The schema is stable:
//! `{"rule","severity","path","line","column","end_line","end_column","message","help"}`,
//! 1-based lines and (UTF-8 byte) columns, sorted by path, line, column. Only under
//! `--show-suppressed`, silenced findings also carry
//! `"suppressed": {"kind": "faultline:ignore" | "nolint", "line", "reason"}`.
//! (Fingerprints are in the `gitlab` and `sarif` formats and in baselines.)

use std::io::Write;

use rules::engine::DirectiveKind;
use serde::Serialize;

use super::{Report, display_path};

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    path: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<JsonSuppression<'a>>,
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    kind: &'static str,
    line: u32,
    reason: Option<&'a str>,
}

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    let items: Vec<JsonFinding> = report
        .findings
        .iter()
        .map(|f| {
            let d = f.diag;
            JsonFinding {
                rule: d.rule,
                severity: d.severity.as_str(),
                path: display_path(f.path),
                line: d.start.line + 1,
                column: d.start.col_utf8 + 1,
                end_line: d.end.line + 1,
                end_column: d.end.col_utf8 + 1,
                message: &d.message,
                help: d.help.as_deref(),
                suppressed: f.suppressed.map(|s| JsonSuppression {
                    kind: match s.kind {
                        DirectiveKind::Faultline => "faultline:ignore",
                        DirectiveKind::Nolint => "nolint",
                    },
                    line: s.line + 1,
                    reason: s.reason.as_deref(),
                }),
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}
