//! `--format json`: a JSON array of findings. The schema is stable:
//! `{"rule","severity","path","line","column","end_line","end_column","message","help"}`,
//! 1-based lines and (UTF-8 byte) columns, sorted by path, line, column.

use std::io::Write;

use serde::Serialize;

use super::{Finding, display_path};

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
}

pub fn write<'a>(
    out: &mut dyn Write,
    findings: impl Iterator<Item = Finding<'a>>,
) -> std::io::Result<()> {
    let items: Vec<JsonFinding> = findings
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
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}
