//! `--format pretty`: miette's graphical report. The only file that knows miette.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::{Report, display_path, related_location, rule_url, suppression_note};

struct MietteReport {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    url: String,
    source: NamedSource<Arc<String>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.url))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Rendering choices.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

fn handler(style: Style) -> GraphicalReportHandler {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(1)
}

fn span(range: &std::ops::Range<usize>) -> SourceSpan {
    SourceSpan::new(range.start.into(), range.end.saturating_sub(range.start))
}

pub fn write(out: &mut dyn Write, report: &Report<'_>, style: Style) -> std::io::Result<()> {
    let handler = handler(style);
    let mut cache: Option<(String, Arc<String>)> = None;
    for f in &report.findings {
        let d = f.diag;
        let path = display_path(f.path);
        let text = match &cache {
            Some((p, t)) if *p == path => t.clone(),
            _ => {
                let t = Arc::new(f.text.unwrap_or("").to_string());
                cache = Some((path.clone(), t.clone()));
                t
            }
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(d.label.clone().unwrap_or_else(|| d.rule.to_string())),
            span(&d.range),
        )];
        let mut help = d.help.clone();
        for r in &d.related {
            if r.path.is_none() {
                labels.push(LabeledSpan::new_with_span(
                    Some(r.message.clone()),
                    span(&r.range),
                ));
            } else {
                let line = format!("{}: {}", related_location(f.path, r), r.message);
                help = Some(match help {
                    Some(h) => format!("{h}\nsee {line}"),
                    None => format!("see {line}"),
                });
            }
        }
        let message = match f.suppressed {
            Some(dir) => format!("{} ({})", d.message, suppression_note(dir)),
            None => d.message.clone(),
        };
        let miette_report = MietteReport {
            message,
            code: d.rule.to_string(),
            severity: match d.severity {
                rules::Severity::Error => miette::Severity::Error,
                rules::Severity::Warning => miette::Severity::Warning,
                rules::Severity::Info => miette::Severity::Advice,
            },
            help,
            url: rule_url(d.rule),
            source: NamedSource::new(path, text).with_language("go"),
            labels,
        };
        let mut s = String::new();
        if handler.render_report(&mut s, &miette_report).is_err() {
            s = format!("{}: {}\n", d.rule, d.message);
        }
        writeln!(out, "{s}")?;
    }
    Ok(())
}
