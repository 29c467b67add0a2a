//! Applying fixes: sort the edits, take every fix whose edits do not overlap an edit
//! already taken (ruff's isolation), defer the others to the next pass, re-lint, and
//! repeat until nothing changes or the pass limit is reached.
//!
//! Guarantees, whatever a rule proposes:
//! - a fix is taken whole or not at all;
//! - no fix is applied to a file decoded lossily (invalid UTF-8): writing it back would
//!   replace the invalid bytes;
//! - no fix touches a top-level declaration with a syntax error (the engine drops such
//!   fixes before a rule's diagnostic leaves `lint_file`);
//! - a pass that would add syntax errors is narrowed to the fixes that do not, and the
//!   others are rejected for good.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use tree_sitter::Node;

use super::diagnostic::{Applicability, Diagnostic, Edit};
use super::{Engine, FileLint};
use crate::gomod::GoMod;
use crate::index::FileSummary;
use crate::source::SourceFile;
use crate::{PackageFile, lint_package};

/// How many times a file is re-linted and fixed at most.
pub const MAX_FIX_PASSES: usize = 10;

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixSettings {
    /// Apply `Unsafe` fixes too (`Safe` ones always apply; `DisplayOnly` never).
    pub unsafe_fixes: bool,
    /// Upper bound on fix passes per package.
    pub max_passes: usize,
}

impl Default for FixSettings {
    fn default() -> Self {
        FixSettings {
            unsafe_fixes: false,
            max_passes: MAX_FIX_PASSES,
        }
    }
}

impl Applicability {
    /// Whether a fix of this applicability is applied under `settings`.
    pub fn applies(self, unsafe_fixes: bool) -> bool {
        match self {
            Applicability::Safe => true,
            Applicability::Unsafe => unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }
}

/// One pass of fixes over one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    /// Positions (in the diagnostics given) of the fixes applied.
    pub fixed: Vec<usize>,
    /// Positions of applicable fixes left for the next pass (they overlapped).
    pub deferred: Vec<usize>,
}

/// Whether two edits conflict: their ranges overlap, an insertion falls strictly inside
/// a replaced range, or two different insertions share a point (their order would be
/// arbitrary).
pub fn edits_overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() && b.is_empty() {
        return a.start == b.start;
    }
    a.start < b.end && b.start < a.end
}

/// Whether `d` carries a fix that `apply_fixes` would consider.
pub fn has_applicable_fix(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    d.fix
        .as_ref()
        .is_some_and(|f| f.applicability.applies(unsafe_fixes) && !f.edits.is_empty())
}

/// Apply the applicable fixes of `diagnostics` to `text`, in order of their first edit.
/// A fix whose edits overlap an edit already taken is deferred (an edit identical to
/// one already taken, such as the same `import` added by two fixes, is shared, not a
/// conflict). Fixes with edits out of bounds, off character boundaries, or overlapping
/// each other are ignored. `None` when no fix applies.
pub fn apply_fixes(text: &str, diagnostics: &[Diagnostic], unsafe_fixes: bool) -> Option<Applied> {
    let mut order: Vec<(usize, Vec<&Edit>)> = Vec::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if !has_applicable_fix(d, unsafe_fixes) {
            continue;
        }
        let Some(fix) = d.fix.as_ref() else { continue };
        let mut edits: Vec<&Edit> = fix.edits.iter().collect();
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        let sane = edits.iter().all(|e| {
            e.range.start <= e.range.end
                && e.range.end <= text.len()
                && text.is_char_boundary(e.range.start)
                && text.is_char_boundary(e.range.end)
        }) && edits
            .windows(2)
            .all(|w| !edits_overlap(&w[0].range, &w[1].range));
        if sane {
            order.push((i, edits));
        }
    }
    if order.is_empty() {
        return None;
    }
    // By first edit, then by rule for a stable order between rules.
    order.sort_by(|(ia, ea), (ib, eb)| {
        let ka = (ea[0].range.start, ea[0].range.end, diagnostics[*ia].rule);
        let kb = (eb[0].range.start, eb[0].range.end, diagnostics[*ib].rule);
        ka.cmp(&kb).then(ia.cmp(ib))
    });
    let mut taken: Vec<&Edit> = Vec::new();
    let mut fixed = Vec::new();
    let mut deferred = Vec::new();
    for (i, edits) in order {
        let mut fresh = Vec::new();
        let mut conflict = false;
        for e in edits {
            if taken.contains(&e) {
                continue; // shared with a fix already taken
            }
            if taken.iter().any(|t| edits_overlap(&t.range, &e.range)) {
                conflict = true;
                break;
            }
            fresh.push(e);
        }
        if conflict {
            deferred.push(i);
        } else {
            taken.extend(fresh);
            fixed.push(i);
        }
    }
    taken.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in taken {
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.replacement);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    fixed.sort_unstable();
    deferred.sort_unstable();
    Some(Applied {
        text: out,
        fixed,
        deferred,
    })
}

/// Drop the fixes of diagnostics whose edits touch a top-level declaration (or a
/// top-level `ERROR` node) with a syntax error: the tree there is a guess.
pub(crate) fn drop_fixes_in_broken_code(file: &SourceFile, diagnostics: &mut [Diagnostic]) {
    let root = file.root();
    if !root.has_error() {
        return;
    }
    let mut c = root.walk();
    let broken: Vec<Range<usize>> = root
        .children(&mut c)
        .filter(|n| n.has_error())
        .map(|n: Node| n.start_byte()..n.end_byte())
        .collect();
    for d in diagnostics {
        let touches = d.fix.as_ref().is_some_and(|f| {
            f.edits.iter().any(|e| {
                broken
                    .iter()
                    .any(|b| b.start <= e.range.end && e.range.start <= b.end)
            })
        });
        if touches {
            d.fix = None;
        }
    }
}

/// A fix that was applied (or rejected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixRecord {
    pub rule: &'static str,
    /// The finding's message.
    pub message: String,
    pub title: String,
    pub applicability: Applicability,
    /// 0-based line of the diagnostic in the text the fix was applied to.
    pub line: u32,
}

impl FixRecord {
    fn of(d: &Diagnostic) -> FixRecord {
        let fix = d.fix.as_ref();
        FixRecord {
            rule: d.rule,
            message: d.message.clone(),
            title: fix.map(|f| f.title.clone()).unwrap_or_default(),
            applicability: fix.map_or(Applicability::DisplayOnly, |f| f.applicability),
            line: d.start.line,
        }
    }
}

/// The outcome of fixing one file.
#[derive(Debug, Default)]
pub struct FixedFile {
    /// The lint of the final text (positions refer to `fixed` when it is set).
    pub lint: FileLint,
    /// The fixed source, when at least one fix was applied.
    pub fixed: Option<SourceFile>,
    /// Fixes applied, in the order they were applied.
    pub applied: Vec<FixRecord>,
    /// Fixes dropped because applying them would have added a syntax error.
    pub rejected: Vec<FixRecord>,
    /// Applicable fixes were still pending when the pass limit was reached.
    pub unconverged: bool,
    /// The source was decoded lossily: nothing was fixed.
    pub lossy: bool,
}

/// What one pass did to one file: (position, new source, fixes applied, fixes rejected).
type Update = (usize, Option<SourceFile>, Vec<FixRecord>, Vec<RejectKey>);

/// Key identifying a rejected fix across passes (offsets move; rule and message do not).
type RejectKey = (&'static str, String, String);

fn reject_key(d: &Diagnostic) -> RejectKey {
    (
        d.rule,
        d.message.clone(),
        d.fix.as_ref().map(|f| f.title.clone()).unwrap_or_default(),
    )
}

/// Lint and fix the files of one directory that carry their source, re-indexing and
/// re-linting after every pass until no applicable fix is left or `settings.max_passes`
/// passes were made. Returns `(position in files, result)` in file order; the lint of
/// each result describes its final text.
pub fn fix_package(
    engine: &Engine,
    files: &[PackageFile<'_>],
    gomod: Option<Arc<GoMod>>,
    settings: &FixSettings,
) -> Vec<(usize, FixedFile)> {
    let n = files.len();
    let mut current: Vec<Option<SourceFile>> = (0..n).map(|_| None).collect();
    let mut summaries: Vec<Arc<FileSummary>> = files.iter().map(|f| f.summary.clone()).collect();
    let mut applied: Vec<Vec<FixRecord>> = vec![Vec::new(); n];
    let mut rejected: Vec<Vec<FixRecord>> = vec![Vec::new(); n];
    let mut reject_keys: Vec<HashSet<RejectKey>> = vec![HashSet::new(); n];
    let mut pass = 0;
    loop {
        let pkg: Vec<PackageFile> = (0..n)
            .map(|i| PackageFile {
                summary: summaries[i].clone(),
                source: current[i].as_ref().or(files[i].source),
            })
            .collect();
        let mut results = lint_package(engine, &pkg, gomod.clone());
        let mut updates: Vec<Update> = Vec::new();
        for (i, lint) in &mut results {
            let Some(src) = pkg[*i].source else { continue };
            if src.lossy {
                continue;
            }
            for d in lint.diagnostics.iter_mut() {
                if d.fix.is_some() && reject_keys[*i].contains(&reject_key(d)) {
                    d.fix = None;
                }
            }
            if pass == settings.max_passes {
                continue;
            }
            if let Some(step) = apply_checked(src, &lint.diagnostics, settings.unsafe_fixes) {
                let diags = &lint.diagnostics;
                let bad_keys = step
                    .rejected
                    .iter()
                    .map(|&j| reject_key(&diags[j]))
                    .collect();
                rejected[*i].extend(step.rejected.iter().map(|&j| FixRecord::of(&diags[j])));
                let done = step
                    .fixed
                    .iter()
                    .map(|&j| FixRecord::of(&diags[j]))
                    .collect();
                updates.push((*i, step.source, done, bad_keys));
            }
        }
        drop(pkg);
        if updates.is_empty() {
            return results
                .into_iter()
                .map(|(i, lint)| {
                    let lossy = files[i].source.is_some_and(|s| s.lossy);
                    let unconverged = !lossy
                        && lint
                            .diagnostics
                            .iter()
                            .any(|d| has_applicable_fix(d, settings.unsafe_fixes));
                    let original = files[i].source.map(|s| s.text.as_str());
                    let fixed = current[i]
                        .take()
                        .filter(|f| Some(f.text.as_str()) != original);
                    (
                        i,
                        FixedFile {
                            lint,
                            fixed,
                            applied: std::mem::take(&mut applied[i]),
                            rejected: std::mem::take(&mut rejected[i]),
                            unconverged,
                            lossy,
                        },
                    )
                })
                .collect();
        }
        for (i, new, done, bad) in updates {
            if let Some(new) = new {
                summaries[i] = Arc::new(FileSummary::extract(&new));
                current[i] = Some(new);
            }
            applied[i].extend(done);
            reject_keys[i].extend(bad);
        }
        pass += 1;
    }
}

/// One pass over one file.
struct Step {
    /// The new source; `None` when every fix tried was rejected.
    source: Option<SourceFile>,
    /// Positions (in the diagnostics) of the fixes applied.
    fixed: Vec<usize>,
    /// Positions of the fixes that would add a syntax error.
    rejected: Vec<usize>,
}

/// Apply one pass of fixes to `src` without adding syntax errors. `None` when no fix
/// applies at all.
fn apply_checked(src: &SourceFile, diagnostics: &[Diagnostic], unsafe_fixes: bool) -> Option<Step> {
    let before = src.syntax_errors().len();
    let parse = |text: String| -> Option<SourceFile> {
        let f = SourceFile::from_string(src.path.to_path_buf(), text).ok()?;
        (f.syntax_errors().len() <= before).then_some(f)
    };
    let alone = |j: usize| {
        apply_fixes(&src.text, &diagnostics[j..=j], unsafe_fixes).and_then(|a| parse(a.text))
    };
    let first = apply_fixes(&src.text, diagnostics, unsafe_fixes)?;
    if let Some(f) = parse(first.text) {
        return Some(Step {
            source: Some(f),
            fixed: first.fixed,
            rejected: Vec::new(),
        });
    }
    // Some fix breaks the syntax: try each alone, keep the good ones.
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for &j in &first.fixed {
        if alone(j).is_some() {
            good.push(j);
        } else {
            bad.push(j);
        }
    }
    let subset: Vec<Diagnostic> = good.iter().map(|&j| diagnostics[j].clone()).collect();
    if let Some(a) = apply_fixes(&src.text, &subset, unsafe_fixes)
        && let Some(f) = parse(a.text)
    {
        return Some(Step {
            source: Some(f),
            fixed: a.fixed.iter().map(|&k| good[k]).collect(),
            rejected: bad,
        });
    }
    // The good ones break the syntax together: take the first alone.
    let source = good.first().and_then(|&j| alone(j));
    let fixed = if source.is_some() {
        vec![good[0]]
    } else {
        Vec::new()
    };
    Some(Step {
        source,
        fixed,
        rejected: bad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Ctx, Family, Fix, FixAvailability, Rule, RuleMeta, Settings, Severity};

    fn diag(rule: &'static str, fix: Option<Fix>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: Severity::Warning,
            range: 0..0,
            start: Default::default(),
            end: Default::default(),
            message: format!("{rule} message"),
            label: None,
            help: None,
            related: Vec::new(),
            fix,
        }
    }

    #[test]
    fn edits_apply_in_order_and_overlaps_wait_for_the_next_pass() {
        let text = "0123456789";
        let diags = vec![
            diag("b", Some(Fix::safe("b", vec![Edit::replace(6..8, "X")]))),
            diag(
                "a",
                Some(Fix::safe(
                    "a",
                    vec![Edit::replace(1..3, "AB"), Edit::insert(9, "!")],
                )),
            ),
            // Overlaps `a`'s first edit: deferred.
            diag("c", Some(Fix::safe("c", vec![Edit::replace(2..4, "C")]))),
            // Unsafe: not applied without `unsafe_fixes`.
            diag("d", Some(Fix::unsafe_edit("d", vec![Edit::insert(0, ">")]))),
            // Display-only: never applied.
            diag(
                "e",
                Some(Fix::display_only("e", vec![Edit::insert(0, "?")])),
            ),
        ];
        let a = apply_fixes(text, &diags, false).unwrap();
        assert_eq!(a.text, "0AB345X8!9");
        assert_eq!(a.fixed, vec![0, 1]);
        assert_eq!(a.deferred, vec![2]);
        let a = apply_fixes(text, &diags, true).unwrap();
        assert_eq!(a.text, ">0AB345X8!9");
    }

    #[test]
    fn identical_edits_are_shared_and_two_inserts_at_one_point_conflict() {
        let import = Edit::insert(0, "import \"time\"\n");
        let diags = vec![
            diag(
                "a",
                Some(Fix::safe("a", vec![import.clone(), Edit::insert(5, "A")])),
            ),
            diag(
                "b",
                Some(Fix::safe("b", vec![import.clone(), Edit::insert(7, "B")])),
            ),
            diag("c", Some(Fix::safe("c", vec![Edit::insert(7, "C")]))),
        ];
        let a = apply_fixes("0123456789", &diags, false).unwrap();
        assert_eq!(a.text, "import \"time\"\n01234A56B789");
        assert_eq!(a.deferred, vec![2]);
    }

    #[test]
    fn malformed_fixes_are_ignored() {
        let diags = vec![
            diag(
                "a",
                Some(Fix::safe("out of bounds", vec![Edit::insert(99, "x")])),
            ),
            diag(
                "b",
                Some(Fix::safe(
                    "self-overlap",
                    vec![Edit::replace(0..3, "x"), Edit::replace(2..4, "y")],
                )),
            ),
            diag(
                "c",
                Some(Fix::safe("split char", vec![Edit::replace(1..2, "x")])),
            ),
            diag("d", Some(Fix::safe("empty", vec![]))),
        ];
        assert!(apply_fixes("é-é", &diags, true).is_none());
    }

    fn tick_file(text: &str) -> SourceFile {
        SourceFile::from_string("w.go", text.to_string()).unwrap()
    }

    fn fix_one(engine: &Engine, file: &SourceFile, unsafe_fixes: bool) -> FixedFile {
        let package = [PackageFile {
            summary: Arc::new(FileSummary::extract(file)),
            source: Some(file),
        }];
        let settings = FixSettings {
            unsafe_fixes,
            ..FixSettings::default()
        };
        fix_package(engine, &package, None, &settings)
            .pop()
            .unwrap()
            .1
    }

    const LEAKS: &str = "package w\n\nimport \"time\"\n\nfunc a() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n\nfunc b() {\n\tu := time.NewTicker(time.Second)\n\t<-u.C\n}\n";

    #[test]
    fn fixes_until_nothing_is_left_and_reports_the_rest() {
        let engine = Engine::new(Settings::for_rule("ticker-not-stopped"));
        let r = fix_one(&engine, &tick_file(LEAKS), false);
        let fixed = r.fixed.expect("fixed");
        assert!(
            fixed
                .text
                .contains("\tt := time.NewTicker(time.Second)\n\tdefer t.Stop()\n")
        );
        assert!(
            fixed
                .text
                .contains("\tu := time.NewTicker(time.Second)\n\tdefer u.Stop()\n")
        );
        assert_eq!(r.applied.len(), 2);
        assert!(r.lint.diagnostics.is_empty());
        assert!(!r.unconverged);
        // Unsafe fixes wait for `unsafe_fixes`.
        let engine = Engine::new(Settings::for_rule("tick-leak"));
        let src = "package w\n\nimport \"time\"\n\nfunc c(f func() bool) {\n\tfor range time.Tick(time.Second) {\n\t\tif f() {\n\t\t\treturn\n\t\t}\n\t}\n}\n";
        let r = fix_one(&engine, &tick_file(src), false);
        assert!(r.fixed.is_none());
        assert_eq!(r.lint.diagnostics.len(), 1, "the finding is still reported");
        let r = fix_one(&engine, &tick_file(src), true);
        assert!(r.fixed.unwrap().text.contains("for range ticker.C {"));
        assert!(r.lint.diagnostics.is_empty());
    }

    #[test]
    fn lossy_files_are_never_fixed() {
        let engine = Engine::new(Settings::for_rule("ticker-not-stopped"));
        let mut bytes = LEAKS.as_bytes().to_vec();
        bytes.extend_from_slice(b"// \xff\n");
        let file = SourceFile::from_bytes("w.go", bytes).unwrap();
        assert!(file.lossy);
        let r = fix_one(&engine, &file, true);
        assert!(r.fixed.is_none() && r.applied.is_empty() && r.lossy);
        assert_eq!(r.lint.diagnostics.len(), 2);
    }

    #[test]
    fn no_fix_in_a_declaration_with_a_syntax_error() {
        let engine = Engine::new(Settings::for_rule("ticker-not-stopped"));
        let src = LEAKS.replace("\t<-u.C\n", "\t<-u.C)\n");
        let file = tick_file(&src);
        assert!(!file.syntax_errors().is_empty());
        let r = fix_one(&engine, &file, true);
        let fixed = r.fixed.expect("the healthy function is fixed");
        assert!(fixed.text.contains("defer t.Stop()"));
        assert!(!fixed.text.contains("defer u.Stop()"));
    }

    /// A rule whose fix never settles: it inserts a comment at the top every time.
    struct Restless;
    static RESTLESS: RuleMeta = RuleMeta {
        id: "ticker-not-stopped",
        family: Family::Time,
        severity: Severity::Warning,
        summary: "test",
        raw_docs: "",
        kinds: &["source_file"],
        gate: &[],
        package_gate: &[],
        fix: FixAvailability::Always,
        version_gated: false,
        skip_test_files: false,
        options: &[],
    };
    impl Rule for Restless {
        fn meta(&self) -> &'static RuleMeta {
            &RESTLESS
        }
        fn check_node<'a>(
            &self,
            n: tree_sitter::Node<'a>,
            _: &[tree_sitter::Node<'a>],
            ctx: &Ctx<'a>,
        ) {
            ctx.report_node(n, "restless")
                .fix(Fix::safe("again", vec![Edit::insert(0, "// again\n")]));
        }
    }

    /// A rule whose fix breaks the syntax.
    struct Breaker;
    impl Rule for Breaker {
        fn meta(&self) -> &'static RuleMeta {
            &RESTLESS
        }
        fn check_node<'a>(
            &self,
            n: tree_sitter::Node<'a>,
            _: &[tree_sitter::Node<'a>],
            ctx: &Ctx<'a>,
        ) {
            ctx.report_node(n, "breaker").fix(Fix::safe(
                "break",
                vec![Edit::insert(n.end_byte(), "func (")],
            ));
        }
    }

    #[test]
    fn passes_are_bounded() {
        static R: Restless = Restless;
        let mut engine = Engine::new(Settings::for_rule("tick-leak"));
        engine.push_rule_for_test(&R);
        let r = fix_one(&engine, &tick_file("package w\n"), false);
        assert_eq!(r.applied.len(), MAX_FIX_PASSES);
        assert!(r.unconverged);
        assert_eq!(
            r.fixed.unwrap().text.matches("// again").count(),
            MAX_FIX_PASSES
        );
    }

    #[test]
    fn fixes_that_break_the_syntax_are_rejected() {
        static B: Breaker = Breaker;
        let mut engine = Engine::new(Settings::for_rule("tick-leak"));
        engine.push_rule_for_test(&B);
        let r = fix_one(&engine, &tick_file("package w\n"), false);
        assert!(r.fixed.is_none());
        assert_eq!(r.rejected.len(), 1);
        assert!(!r.unconverged, "a rejected fix is not pending");
    }
}
