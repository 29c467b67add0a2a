//! Hover: the rule's documentation on a diagnostic's range, or on a rule id (or family
//! name) inside a suppression comment.

use lsp_types as lsp;
use rules::{Family, RuleMeta};

use crate::document::Document;
use crate::proto::Encoding;

pub fn hover(doc: &Document, pos: lsp::Position, enc: Encoding) -> Option<lsp::Hover> {
    let result = doc.result.as_ref().filter(|r| r.version == doc.version)?;
    let text = doc.as_text();
    let at = text.offset(pos, enc);
    let lint = &result.lint;

    let mut sections: Vec<String> = Vec::new();
    let mut range: Option<std::ops::Range<usize>> = None;
    for d in &lint.diagnostics {
        if d.range.start <= at && at <= d.range.end {
            let Some(rule) = rules::registry::get(d.rule) else {
                continue;
            };
            if !sections
                .iter()
                .any(|s| s.contains(&format!("`{}`", d.rule)))
            {
                sections.push(rule_docs(rule.meta()));
            }
            range = Some(range.map_or(d.range.clone(), |r: std::ops::Range<usize>| {
                r.start.min(d.range.start)..r.end.max(d.range.end)
            }));
        }
    }
    if sections.is_empty() {
        let hit = lint.directives.iter().find_map(|dir| {
            dir.names
                .iter()
                .zip(&dir.name_ranges)
                .find(|(_, r)| r.start <= at && at <= r.end)
        });
        if let Some((name, r)) = hit {
            if let Some(rule) = rules::registry::get(name) {
                sections.push(rule_docs(rule.meta()));
            } else if let Some(f) = Family::parse(name) {
                sections.push(family_docs(f));
            } else {
                return None;
            }
            range = Some(r.clone());
        }
    }
    if sections.is_empty() {
        return None;
    }
    Some(lsp::Hover {
        contents: lsp::Contents::MarkupContent(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: range.map(|r| text.range(r, enc)),
    })
}

/// A rule's documentation as hover Markdown.
pub fn rule_docs(m: &RuleMeta) -> String {
    // `go,want` marks the bad example for the docs tests; editors highlight `go`.
    let docs = m.docs().replace("```go,want", "```go");
    format!(
        "**faultline** `{}` ({}, {})\n\n{}\n\n{}\n[Documentation]({})",
        m.id,
        m.family.as_str(),
        m.severity.as_str(),
        m.summary,
        docs,
        m.url()
    )
}

fn family_docs(f: Family) -> String {
    let mut out = format!("**faultline** family `{}`\n", f.as_str());
    for r in rules::registry::RULES {
        let m = r.meta();
        if m.family == f {
            out.push_str(&format!("\n- `{}`: {}", m.id, m.summary));
        }
    }
    out
}
