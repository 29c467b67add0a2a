//! Suppression comments, applied as a filter after the rules ran (rules never see them).
//!
//! - `//faultline:ignore RULE[,RULE...] reason` — faultline's own form;
//! - `//nolint`, `//nolint:RULE[,RULE...]`, `//nolint:faultline` — golangci-lint's form.
//!
//! A directive after code on a line covers that line; a directive on a line of its own
//! covers the next line that is not itself a comment.

use std::ops::Range;

use super::diagnostic::Diagnostic;
use crate::registry;
use crate::source::SourceFile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `//faultline:ignore`
    Faultline,
    /// `//nolint`
    Nolint,
}

/// One suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub kind: DirectiveKind,
    /// Byte range of the comment.
    pub range: Range<usize>,
    /// 0-based line of the comment.
    pub line: u32,
    /// 0-based line it suppresses.
    pub target_line: u32,
    /// Rule ids / family names as written; empty means every rule.
    pub names: Vec<String>,
    /// Byte range of each name in `names`, inside the file.
    pub name_ranges: Vec<Range<usize>>,
    pub reason: Option<String>,
}

impl Directive {
    /// Whether this directive names `rule` (directly, by family, or as a blanket).
    pub fn covers(&self, rule: &str) -> bool {
        if self.names.is_empty() {
            return true;
        }
        let family = registry::get(rule).map(|r| r.meta().family.as_str());
        self.names.iter().any(|n| {
            n == rule
                || Some(n.as_str()) == family
                || n == "all"
                || (self.kind == DirectiveKind::Nolint && n == "faultline")
        })
    }

    /// Names in a `//faultline:ignore` that are neither rules, families nor `all`.
    /// (`//nolint` lists name other linters too, so they are never "unknown".)
    pub fn unknown_names(&self) -> Vec<(&str, Range<usize>)> {
        if self.kind != DirectiveKind::Faultline {
            return Vec::new();
        }
        self.names
            .iter()
            .zip(&self.name_ranges)
            .filter(|(n, _)| {
                registry::index_of(n).is_none()
                    && crate::engine::rule::Family::parse(n).is_none()
                    && n.as_str() != "all"
            })
            .map(|(n, r)| (n.as_str(), r.clone()))
            .collect()
    }

    /// Whether a `//nolint` names any faultline rule at all.
    pub fn is_ours(&self) -> bool {
        match self.kind {
            DirectiveKind::Faultline => true,
            DirectiveKind::Nolint => {
                self.names.is_empty()
                    || self.names.iter().any(|n| {
                        n == "faultline"
                            || n == "all"
                            || registry::index_of(n).is_some()
                            || crate::engine::rule::Family::parse(n).is_some()
                    })
            }
        }
    }
}

/// The parts of a suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedDirective {
    pub kind: DirectiveKind,
    pub names: Vec<String>,
    pub name_ranges: Vec<Range<usize>>,
    pub reason: Option<String>,
}

/// Parse a comment starting at byte `at`; `None` if it is not a suppression directive.
pub fn parse_comment(comment: &str, at: usize) -> Option<ParsedDirective> {
    let body = comment.strip_prefix("//")?;
    let lead = body.len() - body.trim_start().len();
    let body = body.trim_start();
    let base = at + 2 + lead;
    let (kind, rest, rest_at) = if let Some(r) = body.strip_prefix("faultline:ignore") {
        (DirectiveKind::Faultline, r, base + "faultline:ignore".len())
    } else if let Some(r) = body.strip_prefix("nolint") {
        (DirectiveKind::Nolint, r, base + "nolint".len())
    } else {
        return None;
    };
    let mut names = Vec::new();
    let mut ranges = Vec::new();
    let reason;
    match kind {
        DirectiveKind::Nolint => {
            // `//nolint`, `//nolint:a,b // reason`, `//nolint // reason`
            if let Some(list) = rest.strip_prefix(':') {
                let end = list.find(char::is_whitespace).unwrap_or(list.len());
                let mut off = rest_at + 1;
                for part in list[..end].split(',') {
                    if !part.is_empty() {
                        names.push(part.to_string());
                        ranges.push(off..off + part.len());
                    }
                    off += part.len() + 1;
                }
                reason = reason_of(&list[end..]);
            } else if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                reason = reason_of(rest);
            } else {
                return None; // `//nolintfoo`
            }
        }
        DirectiveKind::Faultline => {
            // `//faultline:ignore a,b reason`, `//faultline:ignore a -- reason`
            if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
                return None;
            }
            let trimmed = rest.trim_start();
            let mut off = rest_at + (rest.len() - trimmed.len());
            let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
            let list = &trimmed[..end];
            if list != "--" {
                for part in list.split(',') {
                    if !part.is_empty() {
                        names.push(part.to_string());
                        ranges.push(off..off + part.len());
                    }
                    off += part.len() + 1;
                }
                reason = reason_of(&trimmed[end..]);
            } else {
                reason = reason_of(trimmed);
            }
        }
    }
    Some(ParsedDirective {
        kind,
        names,
        name_ranges: ranges,
        reason,
    })
}

fn reason_of(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("//").unwrap_or(s).trim();
    let s = s.strip_prefix("--").unwrap_or(s).trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Build directives from the file's comment nodes.
pub fn directives(file: &SourceFile, comments: &[Range<usize>]) -> Vec<Directive> {
    let text = &file.text;
    let mut out = Vec::new();
    for r in comments {
        let comment = &text[r.clone()];
        if !comment.starts_with("//") {
            continue;
        }
        let Some(ParsedDirective {
            kind,
            names,
            name_ranges,
            reason,
        }) = parse_comment(comment, r.start)
        else {
            continue;
        };
        let line = file.lines.line_of(r.start);
        let line_start = file.lines.line_start(line);
        let standalone = text[line_start..r.start].trim().is_empty();
        let target_line = if standalone {
            next_code_line(file, line)
        } else {
            line
        };
        out.push(Directive {
            kind,
            range: r.clone(),
            line: line as u32,
            target_line: target_line as u32,
            names,
            name_ranges,
            reason,
        });
    }
    out
}

fn next_code_line(file: &SourceFile, line: usize) -> usize {
    let mut l = line + 1;
    while l < file.lines.line_count() {
        let t = file.text[file.lines.line_range(&file.text, l)].trim();
        if !t.starts_with("//") {
            return l;
        }
        l += 1;
    }
    line + 1
}

/// A diagnostic a directive silenced.
#[derive(Clone, Debug)]
pub struct Suppressed {
    pub diagnostic: Diagnostic,
    /// Index into the file's directives.
    pub directive: usize,
}

/// Split diagnostics into kept and suppressed; also say which directives were used.
pub fn apply(
    diagnostics: Vec<Diagnostic>,
    directives: &[Directive],
) -> (Vec<Diagnostic>, Vec<Suppressed>, Vec<bool>) {
    let mut used = vec![false; directives.len()];
    let mut kept = Vec::with_capacity(diagnostics.len());
    let mut suppressed = Vec::new();
    for d in diagnostics {
        let line = d.start.line;
        let hit = directives
            .iter()
            .position(|dir| dir.target_line == line && dir.covers(d.rule));
        match hit {
            Some(i) => {
                used[i] = true;
                suppressed.push(Suppressed {
                    diagnostic: d,
                    directive: i,
                });
            }
            None => kept.push(d),
        }
    }
    (kept, suppressed, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parts = (
        DirectiveKind,
        Vec<String>,
        Vec<Range<usize>>,
        Option<String>,
    );

    fn p(c: &str, at: usize) -> Option<Parts> {
        let d = parse_comment(c, at)?;
        Some((d.kind, d.names, d.name_ranges, d.reason))
    }

    #[test]
    fn parses_the_forms() {
        let (k, n, r, why) = p(
            "//faultline:ignore tick-leak,ticker-not-stopped runs forever",
            10,
        )
        .unwrap();
        assert_eq!(k, DirectiveKind::Faultline);
        assert_eq!(n, vec!["tick-leak", "ticker-not-stopped"]);
        assert_eq!(r[0], 29..38);
        assert_eq!(why.as_deref(), Some("runs forever"));

        let (k, n, _, why) = p("//nolint:errcheck,tick-leak // legacy", 0).unwrap();
        assert_eq!(k, DirectiveKind::Nolint);
        assert_eq!(n, vec!["errcheck", "tick-leak"]);
        assert_eq!(why.as_deref(), Some("legacy"));

        let (_, n, _, _) = p("//nolint", 0).unwrap();
        assert!(n.is_empty());
        let (_, n, _, _) = p("// nolint:faultline", 0).unwrap();
        assert_eq!(n, vec!["faultline"]);
        assert!(p("//nolintx", 0).is_none());
        assert!(parse_comment("// just a comment", 0).is_none());
        assert!(parse_comment("//faultline:ignored x", 0).is_none());
        let (_, n, _, why) = p("//faultline:ignore -- whole line", 0).unwrap();
        assert!(n.is_empty());
        assert_eq!(why.as_deref(), Some("whole line"));
    }
}
