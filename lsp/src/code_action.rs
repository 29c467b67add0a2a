//! Code actions: a quick fix per diagnostic that carries fix edits, "Ignore <rule> on
//! this line", and `source.fixAll.faultline` (safe fixes only).

use std::collections::HashMap;

use lsp_types as lsp;
use rules::engine::DirectiveKind;
use rules::{Applicability, Diagnostic, Fix};

use crate::document::Document;
use crate::proto::{self, Encoding};

/// What the inserted suppression says until the author writes the real reason.
pub const REASON_PLACEHOLDER: &str = "TODO: say why this is safe";

pub fn fix_all_kind() -> lsp::CodeActionKind {
    lsp::CodeActionKind::Custom("source.fixAll.faultline".into())
}

/// Whether an action of `kind` is wanted by the request's `only` filter (a requested
/// kind covers its sub-kinds: `source` covers `source.fixAll.faultline`).
pub fn wants(only: Option<&[lsp::CodeActionKind]>, kind: &lsp::CodeActionKind) -> bool {
    let Some(only) = only else { return true };
    let k = kind.as_str();
    only.iter().any(|o| {
        let o = o.as_str();
        k == o || (k.starts_with(o) && k.as_bytes().get(o.len()) == Some(&b'.'))
    })
}

/// The actions for a request on `doc` (whose lint result is current). `fixed` is the
/// text with all safe fixes applied, when the caller computed it.
pub fn actions(
    doc: &Document,
    p: &lsp::CodeActionParams,
    enc: Encoding,
    fixed: Option<String>,
) -> Vec<lsp::CodeActionResponse> {
    let mut out = Vec::new();
    let Some(result) = doc.result.as_ref().filter(|r| r.version == doc.version) else {
        return out;
    };
    let text = doc.as_text();
    let only = p.context.only.as_deref();
    let want_quick = wants(only, &lsp::CodeActionKind::QuickFix);
    let req = text.byte_range(p.range, enc);
    let lint = &result.lint;
    let hits: Vec<&Diagnostic> = lint
        .diagnostics
        .iter()
        .filter(|d| d.range.start <= req.end && req.start <= d.range.end)
        .collect();

    if want_quick {
        for d in &hits {
            let Some(fix) = d.fix.as_ref().filter(|f| applicable(f)) else {
                continue;
            };
            out.push(
                lsp::CodeAction {
                    title: fix.title.clone(),
                    kind: Some(lsp::CodeActionKind::QuickFix),
                    diagnostics: Some(vec![proto::diagnostic(d, &doc.uri, enc)]),
                    is_preferred: Some(fix.applicability == Applicability::Safe),
                    edit: Some(edit(doc, proto::text_edits(&fix.edits, text, enc))),
                    ..Default::default()
                }
                .into(),
            );
        }
        let mut seen: Vec<(&str, u32)> = Vec::new();
        for d in &hits {
            if seen.contains(&(d.rule, d.start.line)) {
                continue;
            }
            seen.push((d.rule, d.start.line));
            out.push(
                lsp::CodeAction {
                    title: format!("Ignore {} on this line", d.rule),
                    kind: Some(lsp::CodeActionKind::QuickFix),
                    diagnostics: Some(vec![proto::diagnostic(d, &doc.uri, enc)]),
                    edit: Some(edit(doc, vec![ignore_edit(doc, d, enc)])),
                    ..Default::default()
                }
                .into(),
            );
        }
    }

    if let Some(new_text) = fixed
        && wants(only, &fix_all_kind())
        && new_text != doc.text()
    {
        out.push(
            lsp::CodeAction {
                title: "Fix all safe faultline findings".into(),
                kind: Some(fix_all_kind()),
                edit: Some(edit(doc, vec![minimal_edit(doc, &new_text, enc)])),
                ..Default::default()
            }
            .into(),
        );
    }
    out
}

fn applicable(fix: &Fix) -> bool {
    fix.applicability != Applicability::DisplayOnly && !fix.edits.is_empty()
}

fn edit(doc: &Document, edits: Vec<lsp::TextEdit>) -> lsp::WorkspaceEdit {
    lsp::WorkspaceEdit {
        changes: Some(HashMap::from([(doc.uri.clone(), edits)])),
        ..Default::default()
    }
}

/// Silence `d`: add its rule to a `//faultline:ignore` that already targets its line,
/// or insert one on its own line above, indented like the flagged line.
pub fn ignore_edit(doc: &Document, d: &Diagnostic, enc: Encoding) -> lsp::TextEdit {
    let text = doc.as_text();
    let line = d.start.line;
    let existing = doc.result.as_ref().and_then(|r| {
        r.lint.directives.iter().find(|dir| {
            dir.kind == DirectiveKind::Faultline && dir.target_line == line && !dir.names.is_empty()
        })
    });
    if let Some(last) = existing.and_then(|dir| dir.name_ranges.last()) {
        let at = text.position(last.end, enc);
        return lsp::TextEdit {
            range: lsp::Range { start: at, end: at },
            new_text: format!(",{}", d.rule),
        };
    }
    let range = doc.lines().line_range(doc.text(), line as usize);
    let content = &doc.text()[range.clone()];
    let indent = &content[..content.len() - content.trim_start().len()];
    let at = lsp::Position { line, character: 0 };
    lsp::TextEdit {
        range: lsp::Range { start: at, end: at },
        new_text: format!(
            "{indent}//faultline:ignore {} {REASON_PLACEHOLDER}\n",
            d.rule
        ),
    }
}

/// Apply the safe fixes of `diags` that do not overlap one another (a fix is taken
/// whole or not at all). `None` when none applies.
pub fn apply_safe_fixes(text: &str, diags: &[Diagnostic]) -> Option<String> {
    let mut taken: Vec<&rules::Edit> = Vec::new();
    for fix in diags.iter().filter_map(|d| d.fix.as_ref()) {
        if fix.applicability != Applicability::Safe || fix.edits.is_empty() {
            continue;
        }
        let in_bounds = fix.edits.iter().all(|e| {
            e.range.start <= e.range.end
                && e.range.end <= text.len()
                && text.is_char_boundary(e.range.start)
                && text.is_char_boundary(e.range.end)
        });
        let overlaps = fix.edits.iter().enumerate().any(|(i, e)| {
            taken.iter().any(|t| overlap(t, e)) || fix.edits[..i].iter().any(|o| overlap(o, e))
        });
        if in_bounds && !overlaps {
            taken.extend(&fix.edits);
        }
    }
    if taken.is_empty() {
        return None;
    }
    taken.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in taken {
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.replacement);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// Two edits conflict when their ranges overlap, or both insert at one point.
fn overlap(a: &rules::Edit, b: &rules::Edit) -> bool {
    if a.range.is_empty() && b.range.is_empty() {
        return a.range.start == b.range.start;
    }
    a.range.start < b.range.end && b.range.start < a.range.end
        || (a.range.is_empty() && b.range.contains(&a.range.start))
        || (b.range.is_empty() && a.range.contains(&b.range.start))
}

/// One edit turning the document's text into `new_text`: the changed middle only.
pub fn minimal_edit(doc: &Document, new_text: &str, enc: Encoding) -> lsp::TextEdit {
    let old = doc.text();
    let (a, b) = (old.as_bytes(), new_text.as_bytes());
    let mut pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !(old.is_char_boundary(pre) && new_text.is_char_boundary(pre)) {
        pre -= 1;
    }
    let max_suf = a.len().min(b.len()) - pre;
    let mut suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    while !(old.is_char_boundary(a.len() - suf) && new_text.is_char_boundary(b.len() - suf)) {
        suf -= 1;
    }
    lsp::TextEdit {
        range: doc.as_text().range(pre..a.len() - suf, enc),
        new_text: new_text[pre..b.len() - suf].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::{Edit, LineCol, Severity};

    fn diag(range: std::ops::Range<usize>, fix: Option<Fix>) -> Diagnostic {
        Diagnostic {
            rule: "tick-leak",
            severity: Severity::Warning,
            range,
            start: LineCol::default(),
            end: LineCol::default(),
            message: "m".into(),
            label: None,
            help: None,
            related: Vec::new(),
            fix,
        }
    }

    #[test]
    fn kind_filter_covers_sub_kinds() {
        let k = fix_all_kind();
        assert!(wants(None, &k));
        assert!(wants(Some(&[lsp::CodeActionKind::Source]), &k));
        assert!(wants(Some(&[lsp::CodeActionKind::SourceFixAll]), &k));
        assert!(!wants(Some(&[lsp::CodeActionKind::QuickFix]), &k));
        assert!(!wants(
            Some(&[lsp::CodeActionKind::Custom("source.fix".into())]),
            &k
        ));
    }

    #[test]
    fn safe_fixes_apply_without_overlaps_and_others_are_left() {
        let text = "aaaa bbbb cccc";
        let diags = vec![
            diag(0..4, Some(Fix::safe("A", vec![Edit::replace(0..4, "A")]))),
            // Overlaps the first: skipped whole.
            diag(
                2..6,
                Some(Fix::safe(
                    "X",
                    vec![Edit::replace(2..6, "X"), Edit::insert(14, "!")],
                )),
            ),
            diag(
                5..9,
                Some(Fix::unsafe_edit("B", vec![Edit::replace(5..9, "B")])),
            ),
            diag(
                10..14,
                Some(Fix::safe(
                    "C",
                    vec![Edit::replace(10..14, "C"), Edit::insert(4, ">")],
                )),
            ),
            diag(0..1, None),
        ];
        assert_eq!(apply_safe_fixes(text, &diags).as_deref(), Some("A> bbbb C"));
        assert_eq!(apply_safe_fixes(text, &diags[4..]), None);
    }
}

#[cfg(test)]
mod action_tests {
    use super::*;
    use crate::document::LintResult;
    use rules::{Edit, FileLint, Severity};

    /// Fix plumbing with whatever `Diagnostic.fix` holds: a safe fix becomes a
    /// preferred quick fix and feeds fix-all; an unsafe one is offered, not preferred;
    /// display-only ones are not offered.
    #[test]
    fn quick_fixes_and_fix_all_come_from_diagnostic_fixes() {
        let src = "package p\n\nvar a = 1 // é\nvar b = 2\n";
        let uri = lsp::Uri::parse("file:///x/p/a.go").unwrap();
        let mut doc = Document::open(uri.clone(), 3, src.to_string());
        let file = doc.file().unwrap();
        let mk = |needle: &str, fix: Option<Fix>| {
            let start = src.find(needle).unwrap();
            let range = start..start + needle.len();
            Diagnostic {
                rule: "tick-leak",
                severity: Severity::Warning,
                start: file.line_col(range.start),
                end: file.line_col(range.end),
                range,
                message: "m".into(),
                label: None,
                help: None,
                related: Vec::new(),
                fix,
            }
        };
        let a = src.find("1 //").unwrap();
        let b = src.find("2\n").unwrap();
        let diags = vec![
            mk(
                "a =",
                Some(Fix::safe("Use 10", vec![Edit::replace(a..a + 1, "10")])),
            ),
            mk(
                "b =",
                Some(Fix::unsafe_edit(
                    "Use 20",
                    vec![Edit::replace(b..b + 1, "20")],
                )),
            ),
            mk(
                "var",
                Some(Fix::display_only("Think", vec![Edit::insert(0, "x")])),
            ),
        ];
        let fixed = apply_safe_fixes(src, &diags);
        assert_eq!(
            fixed.as_deref(),
            Some("package p\n\nvar a = 10 // é\nvar b = 2\n")
        );
        doc.result = Some(LintResult {
            version: 3,
            result_id: "r".into(),
            lint: FileLint {
                diagnostics: diags,
                ..FileLint::default()
            },
        });
        let params = |only: Option<Vec<lsp::CodeActionKind>>| lsp::CodeActionParams {
            text_document: lsp::TextDocumentIdentifier { uri: uri.clone() },
            range: lsp::Range {
                start: lsp::Position {
                    line: 0,
                    character: 0,
                },
                end: lsp::Position {
                    line: 9,
                    character: 0,
                },
            },
            context: lsp::CodeActionContext {
                diagnostics: Vec::new(),
                only,
                trigger_kind: None,
            },
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        };
        let all = actions(&doc, &params(None), Encoding::Utf16, fixed.clone());
        let json = serde_json::to_value(&all).unwrap();
        let titles: Vec<&str> = json
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            [
                "Use 10",
                "Use 20",
                "Ignore tick-leak on this line",
                "Ignore tick-leak on this line",
                "Fix all safe faultline findings"
            ]
        );
        assert_eq!(json[0]["isPreferred"], true);
        assert_eq!(json[1]["isPreferred"], false);
        assert_eq!(json[4]["kind"], "source.fixAll.faultline");
        // The fix-all edit is the changed middle only.
        let e = &json[4]["edit"]["changes"]["file:///x/p/a.go"][0];
        assert_eq!(e["newText"], "0");
        assert_eq!(
            e["range"]["start"],
            serde_json::json!({"line": 2, "character": 9})
        );
        // `only: source.fixAll` gets just the fix-all action.
        let only = actions(
            &doc,
            &params(Some(vec![lsp::CodeActionKind::SourceFixAll])),
            Encoding::Utf16,
            fixed,
        );
        assert_eq!(only.len(), 1);
    }
}
