//! `path:line:col: severity[rule-id] message` — for editors' error formats and grep.

use std::io::Write;

use super::{Finding, display_path};

pub fn write<'a>(
    out: &mut dyn Write,
    findings: impl Iterator<Item = Finding<'a>>,
) -> std::io::Result<()> {
    for f in findings {
        let d = f.diag;
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            display_path(f.path),
            d.start.line + 1,
            d.start.col_utf8 + 1,
            d.severity,
            d.rule,
            d.message
        )?;
    }
    Ok(())
}
