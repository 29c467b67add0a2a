//! `path:line:col: severity[rule-id] message` — for editors' error formats and grep.

use std::io::Write;

use super::{Report, display_path, suppression_note};

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    for f in &report.findings {
        let d = f.diag;
        write!(
            out,
            "{}:{}:{}: {}[{}] {}",
            display_path(f.path),
            d.start.line + 1,
            d.start.col_utf8 + 1,
            d.severity,
            d.rule,
            d.message
        )?;
        match f.suppressed {
            Some(dir) => writeln!(out, " ({})", suppression_note(dir))?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}
