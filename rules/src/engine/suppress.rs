//! Suppression comments, applied as a filter after the rules ran (rules never see them).
//!
//! - `//faultline:ignore RULE[,RULE...] reason` — faultline's own form;
//! - `//nolint`, `//nolint:RULE[,RULE...]`, `//nolint:faultline` — golangci-lint's form.
//!
//! A directive after code on a line covers that line; a directive on a line of its own
//! covers the next line that is not itself a comment.

use std::ops::Range;

use super::diagnostic::{Diagnostic, Edit, Fix, Severity};
use super::rule::{Family, FixAvailability, RuleMeta};
use super::settings::RuleSet;
use crate::registry;
use crate::source::SourceFile;

/// Built-in checks of the suppression comments themselves (`--report-unused-ignores`).
/// They are not in the registry: they run after the rules, on the directives.
pub static UNUSED_IGNORE: RuleMeta = RuleMeta {
    id: "unused-ignore",
    family: Family::Time,
    severity: Severity::Warning,
    summary: "A suppression comment that silences nothing",
    raw_docs: " ## What it does\n Reports `//faultline:ignore` comments, and faultline rule names in\n `//nolint:` comments, that silenced no finding on the line they cover.\n\n ## Why is this bad?\n A stale suppression hides the next real finding on that line, and tells readers a\n problem exists where there is none. Only rules that ran on the file are judged.\n\n ## Example\n ```go\n t := time.NewTicker(d) //faultline:ignore tick-leak\n defer t.Stop()\n ```\n Remove the comment, or the unused rule name.\n",
    kinds: &[],
    gate: &[],
    package_gate: &[],
    fix: FixAvailability::Sometimes,
    version_gated: false,
    skip_test_files: false,
    options: &[],
};

/// See [`UNUSED_IGNORE`].
pub static UNKNOWN_RULE_IN_IGNORE: RuleMeta = RuleMeta {
    id: "unknown-rule-in-ignore",
    family: Family::Time,
    severity: Severity::Warning,
    summary: "A `//faultline:ignore` comment names no faultline rule or family",
    raw_docs: " ## What it does\n Reports names in `//faultline:ignore` comments that are neither a rule id, a family\n (`time`, `net`, `sql`, `lock`) nor `all`.\n\n ## Why is this bad?\n A misspelt rule id suppresses nothing, so the finding it meant to silence still fires\n (or, once fixed, the comment silently rots).\n\n ## Example\n ```go\n t := time.NewTicker(d) //faultline:ignore ticker-not-stoped\n ```\n Use the exact id from `faultline rules`.\n",
    kinds: &[],
    gate: &[],
    package_gate: &[],
    fix: FixAvailability::None,
    version_gated: false,
    skip_test_files: false,
    options: &[],
};

/// The built-in suppression checks.
pub static BUILTIN: [&RuleMeta; 2] = [&UNUSED_IGNORE, &UNKNOWN_RULE_IN_IGNORE];

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

/// The registry indices a directive name stands for (`None`: not one of ours).
fn rules_named(kind: DirectiveKind, name: &str) -> Option<RuleSet> {
    if name == "all" || (kind == DirectiveKind::Nolint && name == "faultline") {
        return Some(RuleSet::all());
    }
    if let Some(f) = Family::parse(name) {
        return Some(super::settings::Selector::Family(f).rules());
    }
    let i = registry::index_of(name)?;
    let mut set = RuleSet::empty();
    set.insert(i);
    Some(set)
}

/// `unused-ignore` and `unknown-rule-in-ignore` findings for a file's directives.
/// `ran` holds the rules that ran on the file: a name is only judged unused when every
/// rule it stands for ran (a directive for a rule that is switched off, version-gated
/// or skipped on test files may well be needed elsewhere).
pub fn hygiene(
    file: &SourceFile,
    directives: &[Directive],
    suppressed: &[Suppressed],
    ran: RuleSet,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let diag =
        |meta: &'static RuleMeta, range: Range<usize>, message: String, help: String| Diagnostic {
            rule: meta.id,
            severity: meta.severity,
            start: file.line_col(range.start),
            end: file.line_col(range.end),
            range,
            message,
            label: None,
            help: Some(help),
            related: Vec::new(),
            fix: None,
        };
    for (i, dir) in directives.iter().enumerate() {
        let silenced: Vec<&str> = suppressed
            .iter()
            .filter(|s| s.directive == i)
            .map(|s| s.diagnostic.rule)
            .collect();
        let target = dir.target_line + 1;
        let form = match dir.kind {
            DirectiveKind::Faultline => "//faultline:ignore",
            DirectiveKind::Nolint => "//nolint",
        };
        for (name, range) in dir.unknown_names() {
            let known = registry::RULES
                .iter()
                .map(|r| r.meta().id)
                .chain(Family::ALL.iter().map(|f| f.as_str()))
                .chain(["all"]);
            let help = match super::settings::closest(name, known) {
                Some(c) => format!("Write `{c}`, the closest rule id"),
                None => "Use a rule id or family from `faultline rules`".to_string(),
            };
            out.push(diag(
                &UNKNOWN_RULE_IN_IGNORE,
                range,
                format!("`{name}` in this {form} is not a faultline rule or family, so it suppresses nothing"),
                help,
            ));
        }
        if dir.names.is_empty() {
            // A blanket `//nolint` is golangci-lint's business; a blanket
            // `//faultline:ignore` is judged only when every rule ran.
            if dir.kind == DirectiveKind::Faultline && silenced.is_empty() && ran == RuleSet::all()
            {
                let mut d = diag(
                    &UNUSED_IGNORE,
                    dir.range.clone(),
                    format!("this {form} suppresses nothing: no finding on line {target}"),
                    "Remove the comment".to_string(),
                );
                d.fix = Some(remove_comment(file, dir));
                out.push(d);
            }
            continue;
        }
        // Names that stand for our rules, with whether they silenced something.
        let mut ours = Vec::new();
        let mut foreign = false;
        for (name, range) in dir.names.iter().zip(&dir.name_ranges) {
            match rules_named(dir.kind, name) {
                Some(set) => {
                    let used = silenced
                        .iter()
                        .any(|r| registry::index_of(r).is_some_and(|i| set.contains(i)));
                    let judged = set.difference(ran).is_empty();
                    ours.push((name.as_str(), range.clone(), used, judged));
                }
                None => foreign = true,
            }
        }
        if ours.iter().any(|o| o.0 == "all") && dir.kind == DirectiveKind::Nolint {
            continue;
        }
        let unused: Vec<_> = ours.iter().filter(|o| !o.2 && o.3).collect();
        if unused.is_empty() {
            continue;
        }
        let unknown = !dir.unknown_names().is_empty();
        if !foreign && !unknown && unused.len() == ours.len() {
            let mut d = diag(
                &UNUSED_IGNORE,
                dir.range.clone(),
                format!(
                    "this {form} suppresses nothing: no {} finding on line {target}",
                    unused
                        .iter()
                        .map(|o| format!("`{}`", o.0))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
                "Remove the comment".to_string(),
            );
            d.fix = Some(remove_comment(file, dir));
            out.push(d);
        } else {
            for (name, range, _, _) in unused {
                out.push(diag(
                    &UNUSED_IGNORE,
                    range.clone(),
                    format!("`{name}` in this {form} suppresses nothing: no `{name}` finding on line {target}"),
                    format!("Remove `{name}` from the comment"),
                ));
            }
        }
    }
    out
}

/// Delete a directive: its whole line when it stands alone, else the comment and the
/// blanks before it.
fn remove_comment(file: &SourceFile, dir: &Directive) -> Fix {
    let text = &file.text;
    let line = dir.line as usize;
    let start_of_line = file.lines.line_start(line);
    let before = &text[start_of_line..dir.range.start];
    let range = if before.trim().is_empty() {
        let end = file
            .lines
            .line_start(line + 1)
            .max(dir.range.end)
            .min(text.len());
        start_of_line..end
    } else {
        let blanks = before.len() - before.trim_end().len();
        dir.range.start - blanks..dir.range.end
    };
    Fix::safe(
        "Remove the unused suppression comment",
        vec![Edit::replace(range, "")],
    )
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
