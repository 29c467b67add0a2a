//! `--format github`: GitHub Actions workflow commands, one per finding, which the
//! runner turns into annotations on the pull request:
//!
//! ```text
//! ::warning file=pkg/a.go,line=12,endLine=12,col=5,endColumn=14,title=tick-leak::message%0Ahelp: ...
//! ```
//!
//! Errors become `::error`, warnings `::warning`, info findings `::notice`. Paths are
//! relative to the project root (the checkout, `GITHUB_WORKSPACE`). Suppressed findings
//! are left out.

use std::io::Write;

use rules::Severity;

use super::Report;

/// Escape a command's message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    for f in report.active() {
        let d = f.diag;
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        writeln!(
            out,
            "::{level} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            escape_property(&f.rel_path),
            d.start.line + 1,
            d.end.line + 1,
            d.start.col_utf16 + 1,
            d.end.col_utf16 + 1,
            escape_property(&format!("faultline {}", d.rule)),
            escape_data(&message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\nc\r"), "a%25b%0Ac%0D");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
