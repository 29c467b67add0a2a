//! The engine: one traversal per file dispatching nodes by kind to every rule that
//! asked for that kind, then suppression as a post-filter.

pub mod config;
pub mod ctx;
pub mod diagnostic;
pub mod fix;
pub(crate) mod gate;
pub mod rule;
pub mod settings;
pub mod suppress;

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tree_sitter::Node;

pub use config::{Config, ConfigError, find_config};
pub use ctx::Ctx;
pub use diagnostic::{Applicability, Diagnostic, Edit, Fix, Related, Severity};
pub use fix::{FixRecord, FixSettings, FixedFile, apply_fixes, fix_package};
pub use rule::{Family, FixAvailability, OptionKind, Rule, RuleMeta, RuleOption};
pub use settings::{OptionValue, PathGlob, RuleSet, Selector, Settings};
pub use suppress::{Directive, DirectiveKind, Suppressed};

use crate::flat::{Flat, FlatTree, WalkStack};
use crate::index::PackageIndex;
use crate::registry;
use crate::source::{SourceFile, language};

/// Where the parser found a syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: Range<usize>,
    pub start: crate::source::LineCol,
}

/// The result of linting one file.
#[derive(Debug, Default)]
pub struct FileLint {
    /// Findings that survived suppression, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings a directive silenced.
    pub suppressed: Vec<Suppressed>,
    /// Every suppression directive of the file.
    pub directives: Vec<Directive>,
    /// Parallel to `directives`: whether it silenced something.
    pub directive_used: Vec<bool>,
    /// Syntax errors (the rest of the file was still linted).
    pub syntax_errors: Vec<SyntaxError>,
    /// The file carries the generated-code header: no findings by design.
    pub generated: bool,
    /// A rule panicked on this file; its message. Other rules' findings are kept.
    pub internal_errors: Vec<String>,
}

/// Enabled rules and the kind -> rules dispatch table, built once per settings and
/// shared read-only between threads.
pub struct Engine {
    pub settings: Settings,
    rules: Vec<&'static dyn Rule>,
    /// Registry index of each entry of `rules`.
    rule_index: Vec<usize>,
    /// `table[kind_id]` = positions in `rules`.
    table: Vec<Vec<u8>>,
    comment_kind: u16,
    /// The rules' names to find in a file before running them there.
    gate: gate::TextGate,
    /// Tests: run every rule on every file, to show the gate changes no finding.
    #[cfg(test)]
    ungated: bool,
}

impl Engine {
    pub fn new(settings: Settings) -> Engine {
        let lang = language();
        let kinds = lang.node_kind_count();
        let rule_index: Vec<usize> = settings.enabled.iter().collect();
        let rules: Vec<&'static dyn Rule> =
            rule_index.iter().map(|&i| registry::RULES[i]).collect();
        let mut table: Vec<Vec<u8>> = vec![Vec::new(); kinds];
        for (pos, rule) in rules.iter().enumerate() {
            for want in rule.meta().kinds {
                // Kind ids are not unique per name: register under every id.
                for id in 0..kinds as u16 {
                    if lang.node_kind_is_named(id) && lang.node_kind_for_id(id) == Some(want) {
                        table[id as usize].push(pos as u8);
                    }
                }
            }
        }
        let comment_kind = lang.id_for_node_kind("comment", true);
        let gate = gate::TextGate::new(&rules);
        Engine {
            settings,
            rules,
            rule_index,
            table,
            comment_kind,
            gate,
            #[cfg(test)]
            ungated: false,
        }
    }

    pub fn rules(&self) -> &[&'static dyn Rule] {
        &self.rules
    }

    /// The body facts the enabled rules can use: net facts for the net family, lock
    /// facts for the lock family (the other facts are cheap and shared by all).
    pub fn fact_scope(&self) -> crate::index::FactScope {
        let on = |family| self.rules.iter().any(|r| r.meta().family == family);
        crate::index::FactScope {
            net: on(Family::Net),
            lock: on(Family::Lock),
        }
    }

    #[cfg(test)]
    fn push_rule_for_test(&mut self, rule: &'static dyn Rule) {
        let lang = language();
        let pos = self.rules.len() as u8;
        self.rules.push(rule);
        self.gate = gate::TextGate::new(&self.rules);
        self.rule_index.push(usize::MAX);
        for want in rule.meta().kinds {
            for id in 0..lang.node_kind_count() as u16 {
                if lang.node_kind_is_named(id) && lang.node_kind_for_id(id) == Some(want) {
                    self.table[id as usize].push(pos);
                }
            }
        }
    }

    /// For each file of a package whose files' texts are `texts`: whether it may get
    /// a finding (or hold a suppression to judge, with `--report-unused-ignores`).
    /// False when no rule passes both its gates for it (see `engine::gate`): such a
    /// file needs [`Self::lint_syntax`] only, and its tree is not needed after its
    /// summary.
    pub fn reporting_files(&self, texts: &[&[u8]]) -> Vec<bool> {
        #[cfg(test)]
        if self.ungated {
            return vec![true; texts.len()];
        }
        let enabled = vec![true; self.rules.len()];
        self.gate
            .reporting_files(texts, &enabled, self.settings.report_unused_ignores)
    }

    /// The lint of a file that cannot get a finding ([`Self::reporting_files`]): its
    /// syntax errors, and whether it is generated.
    pub fn lint_syntax(&self, file: &SourceFile) -> FileLint {
        FileLint {
            syntax_errors: syntax_errors(file),
            generated: crate::index::decls::is_generated(file.root(), &file.text),
            ..FileLint::default()
        }
    }

    /// Index a package with these settings (the Go version override applies).
    pub fn index(
        &self,
        files: Vec<std::sync::Arc<crate::index::FileSummary>>,
        gomod: Option<std::sync::Arc<crate::gomod::GoMod>>,
    ) -> PackageIndex {
        let mut index = PackageIndex::from_summaries(files, gomod);
        index.go_version_override = self.settings.go_version;
        index
    }

    /// Lint one file of an indexed package. This is the one entry point the CLI and the
    /// language server share.
    pub fn lint_file(&self, file: &SourceFile, file_idx: usize, pkg: &PackageIndex) -> FileLint {
        self.lint_file_with(file, file_idx, pkg, false)
    }

    /// [`Self::lint_file`]; `parallel`: a big file's walk may use two threads (the
    /// language server, where one file's latency matters more than throughput).
    pub fn lint_file_with(
        &self,
        file: &SourceFile,
        file_idx: usize,
        pkg: &PackageIndex,
        parallel: bool,
    ) -> FileLint {
        let mut out = FileLint {
            syntax_errors: syntax_errors(file),
            ..FileLint::default()
        };
        let generated = pkg.files.get(file_idx).is_some_and(|f| f.decls.generated);
        if generated {
            out.generated = true;
            return out;
        }
        let gated = pkg.timers_collected();
        let per_file_off = self.settings.ignored_for(&file.path);
        let enabled: Vec<bool> = self
            .rules
            .iter()
            .zip(&self.rule_index)
            .map(|(r, &i)| {
                let m = r.meta();
                !(m.version_gated && gated
                    || m.skip_test_files && file.is_test
                    || per_file_off.contains(i))
            })
            .collect();
        // Rules whose names the file does not spell could report nothing here. (They
        // still count as run for the unused-suppression check: they found nothing.)
        let mut active = enabled.clone();
        let may_suppress = self.gate.narrow(file.text.as_bytes(), &mut active);
        #[cfg(test)]
        let (active, may_suppress) = if self.ungated {
            (enabled.clone(), true)
        } else {
            (active, may_suppress)
        };
        // The walk dispatches nodes to the active rules that asked for some, and
        // gathers the comments for the suppression directives: without either, it
        // would find nothing.
        let walk = may_suppress
            || self
                .rules
                .iter()
                .zip(&active)
                .any(|(r, &on)| on && !r.meta().kinds.is_empty());
        // A flattening the caller chose not to keep is built for this walk only.
        let built;
        let flat = match file.cached_flat() {
            Some(flat) => flat,
            None => {
                built = FlatTree::build(file.tree());
                built.view(file.tree())
            }
        };
        let ctx = Ctx::new(file, file_idx, pkg, &self.settings, flat);

        for (pos, rule) in self.rules.iter().enumerate() {
            if active[pos] {
                ctx.set_rule(rule.meta());
                let r = catch_unwind(AssertUnwindSafe(|| rule.check_file(&ctx)));
                if let Err(e) = r {
                    out.internal_errors
                        .push(panic_message(rule.meta().id, e.as_ref()));
                }
            }
        }

        // The one dispatch walk, over the root and then its children; in the editor a
        // big file's top-level declarations are split between two threads (each with
        // its own sink), since declarations are independent for the rules.
        let root = file.root();
        let mut main = Dispatch::new(self.rules.len());
        if walk && !flat.is_empty() {
            let mut buf = WalkStack::default();
            self.dispatch(flat, 0, &[], &ctx, &active, &mut main, &mut buf, false);
        }
        let tops: Vec<usize> = if walk {
            flat.children(0).collect()
        } else {
            Vec::new()
        };
        let split = if parallel && file.text.len() >= PARALLEL_MIN_BYTES {
            let half = file.text.len() / 2;
            tops.partition_point(|&i| flat.node(i).start_byte() < half)
        } else {
            tops.len()
        };
        // Each part gets its own sink (`Ctx` is single-threaded).
        let walk_part = |part: &[usize]| {
            let ctx = Ctx::new(file, file_idx, pkg, &self.settings, flat);
            let mut d = Dispatch::new(self.rules.len());
            let mut buf = WalkStack::default();
            for &top in part {
                self.dispatch(flat, top, &[root], &ctx, &active, &mut d, &mut buf, true);
            }
            (d, ctx.take_diagnostics())
        };
        let ((first, mut first_diags), (second, mut second_diags)) =
            if split < tops.len() && split > 0 {
                let (a, b) = tops.split_at(split);
                rayon::join(|| walk_part(a), || walk_part(b))
            } else if tops.is_empty() {
                (
                    (Dispatch::new(0), Vec::new()),
                    (Dispatch::new(0), Vec::new()),
                )
            } else {
                (walk_part(&tops), (Dispatch::new(0), Vec::new()))
            };
        main.merge(first);
        main.merge(second);
        let comments = main.comments;
        let failed = main.failed;
        for e in main.errors {
            if !out.internal_errors.contains(&e) {
                out.internal_errors.push(e);
            }
        }

        let mut diagnostics = ctx.take_diagnostics();
        diagnostics.append(&mut first_diags);
        diagnostics.append(&mut second_diags);
        diagnostics.sort_by(|a, b| {
            (a.range.start, a.rule, a.range.end).cmp(&(b.range.start, b.rule, b.range.end))
        });
        diagnostics.dedup_by(|a, b| a.rule == b.rule && a.range == b.range);
        fix::drop_fixes_in_broken_code(file, &mut diagnostics);
        out.directives = suppress::directives(file, &comments);
        let (kept, suppressed, used) = suppress::apply(diagnostics, &out.directives);
        out.diagnostics = kept;
        out.suppressed = suppressed;
        out.directive_used = used;
        if self.settings.report_unused_ignores && !out.directives.is_empty() {
            let mut ran = RuleSet::empty();
            for (pos, &i) in self.rule_index.iter().enumerate() {
                if enabled[pos] && !failed[pos] && i < registry::RULES.len() {
                    ran.insert(i);
                }
            }
            let found = suppress::hygiene(file, &out.directives, &out.suppressed, ran);
            if !found.is_empty() {
                out.diagnostics.extend(found);
                out.diagnostics.sort_by(|a, b| {
                    (a.range.start, a.rule, a.range.end).cmp(&(b.range.start, b.rule, b.range.end))
                });
            }
        }
        out
    }
}

/// Files from this size on are summarised and walked on two threads when the caller
/// allows it (smaller ones are not worth the hand-off).
pub(crate) const PARALLEL_MIN_BYTES: usize = 64 * 1024;

/// What one dispatch walk collects besides the diagnostics (which go to its `Ctx`).
struct Dispatch {
    comments: Vec<Range<usize>>,
    /// Rules that panicked: not run again on this file.
    failed: Vec<bool>,
    errors: Vec<String>,
}

impl Dispatch {
    fn new(rules: usize) -> Dispatch {
        Dispatch {
            comments: Vec::new(),
            failed: vec![false; rules],
            errors: Vec::new(),
        }
    }

    /// Add the results of a walk over later nodes.
    fn merge(&mut self, later: Dispatch) {
        self.comments.extend(later.comments);
        for (f, g) in self.failed.iter_mut().zip(&later.failed) {
            *f |= *g;
        }
        self.errors.extend(later.errors);
    }
}

impl Engine {
    /// Hand entry `at` of `flat` to the rules that asked for its kind; with `subtree`,
    /// then every named descendant, in preorder. `base`: the ancestors of `at`.
    #[allow(clippy::too_many_arguments)]
    fn dispatch<'a>(
        &self,
        flat: Flat<'a>,
        at: usize,
        base: &[Node<'a>],
        ctx: &Ctx<'a>,
        active: &[bool],
        d: &mut Dispatch,
        buf: &mut WalkStack<'a>,
        subtree: bool,
    ) {
        let mut visit = |i: usize, kind: u16, node: Node<'a>, stack: &[Node<'a>]| {
            if kind == self.comment_kind {
                d.comments.push(node.start_byte()..node.end_byte());
            }
            let wants = if stack.len() <= crate::syntax::MAX_NESTING {
                self.table.get(kind as usize)
            } else {
                None
            };
            let wants = wants.filter(|w| !w.is_empty());
            if wants.is_some() {
                ctx.set_at(i);
            }
            for &pos in wants.into_iter().flatten() {
                let pos = pos as usize;
                if !active[pos] || d.failed[pos] {
                    continue;
                }
                let rule = self.rules[pos];
                ctx.set_rule(rule.meta());
                let r = catch_unwind(AssertUnwindSafe(|| rule.check_node(node, stack, ctx)));
                if let Err(e) = r {
                    d.failed[pos] = true;
                    d.errors.push(panic_message(rule.meta().id, e.as_ref()));
                }
            }
        };
        if !subtree {
            visit(at, flat.kind(at), flat.node(at), base);
            return;
        }
        flat.walk_at_with(at, base, buf, |i, kind, node, stack, _| {
            visit(i, kind, node, stack);
            crate::syntax::Walk::Continue
        });
    }
}

fn syntax_errors(file: &SourceFile) -> Vec<SyntaxError> {
    file.syntax_errors()
        .into_iter()
        .map(|range| SyntaxError {
            start: file.line_col(range.start),
            range,
        })
        .collect()
}

fn panic_message(rule: &str, payload: &(dyn std::any::Any + Send)) -> String {
    let msg = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    format!("internal error in rule `{rule}`: {msg} (this is a faultline bug; please report it)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{check_dir, fixtures_root, load_package};

    fn engine_fixture(name: &str) -> std::path::PathBuf {
        fixtures_root().join("_engine").join(name)
    }

    #[test]
    fn suppression_comments() {
        let failures = check_dir(&engine_fixture("suppression"), Settings::default());
        assert!(failures.is_empty(), "{failures}");
    }

    #[test]
    fn suppressed_findings_are_kept_with_their_directive() {
        let dir = engine_fixture("suppression");
        let files = load_package(&dir);
        let refs: Vec<&SourceFile> = files.iter().collect();
        let engine = Engine::new(Settings::default());
        let (_, lint) = crate::lint_sources(&engine, &refs, None, |_| true)
            .into_iter()
            .next()
            .unwrap();
        assert_eq!(lint.suppressed.len(), 7);
        for s in &lint.suppressed {
            assert!(lint.directive_used[s.directive]);
        }
        // The two directives that silence nothing.
        let unused: Vec<u32> = lint
            .directives
            .iter()
            .zip(&lint.directive_used)
            .filter(|(_, used)| !**used)
            .map(|(d, _)| d.line + 1)
            .collect();
        assert_eq!(unused.len(), 4, "{unused:?}");
    }

    /// Everything a lint gives that the gate could change.
    fn lint_all(engine: &Engine, files: &[SourceFile]) -> Vec<String> {
        let refs: Vec<&SourceFile> = files.iter().collect();
        crate::lint_sources(engine, &refs, None, |_| true)
            .into_iter()
            .map(|(i, l)| {
                let d: Vec<_> = l
                    .diagnostics
                    .iter()
                    .map(|d| (d.rule, d.range.clone(), &d.message))
                    .collect();
                let s: Vec<_> = l.suppressed.iter().map(|s| s.directive).collect();
                format!(
                    "{i} {d:?} {s:?} {:?} {:?} {:?}",
                    l.directives, l.directive_used, l.internal_errors
                )
            })
            .collect()
    }

    /// Default settings, with `--report-unused-ignores`, and each rule alone.
    fn gate_settings() -> Vec<Settings> {
        let mut settings = vec![
            Settings::default(),
            Settings {
                report_unused_ignores: true,
                ..Settings::default()
            },
        ];
        for rule in registry::RULES {
            settings.push(Settings::for_rule(rule.meta().id));
        }
        settings
    }

    #[test]
    fn the_text_gate_changes_no_finding() {
        let settings = gate_settings();
        let (mut runs, mut off) = (0, 0);
        for dir in crate::testing::package_dirs(&fixtures_root()) {
            let files = load_package(&dir);
            for s in &settings {
                let gated = Engine::new(s.clone());
                let mut ungated = Engine::new(s.clone());
                ungated.ungated = true;
                assert_eq!(
                    lint_all(&gated, &files),
                    lint_all(&ungated, &files),
                    "{}",
                    dir.display()
                );
                for f in &files {
                    let mut active = vec![true; gated.rules.len()];
                    gated.gate.narrow(f.text.as_bytes(), &mut active);
                    runs += active.len();
                    off += active.iter().filter(|a| !**a).count();
                }
            }
        }
        // The gate did turn rules off.
        assert!(off * 4 > runs, "{off} of {runs}");
    }

    #[test]
    fn a_file_no_rule_can_report_in_gets_no_finding() {
        let settings = gate_settings();
        let (mut quiet_in_others, mut quiet_packages) = (0, 0);
        for dir in crate::testing::package_dirs(&fixtures_root()) {
            let files = load_package(&dir);
            let texts: Vec<&[u8]> = files.iter().map(|f| f.text.as_bytes()).collect();
            for s in &settings {
                let engine = Engine::new(s.clone());
                let reporting = engine.reporting_files(&texts);
                if reporting.contains(&true) {
                    quiet_in_others += reporting.iter().filter(|r| !**r).count();
                } else {
                    quiet_packages += 1;
                }
                let refs: Vec<&SourceFile> = files.iter().collect();
                for (i, lint) in crate::lint_sources(&engine, &refs, None, |_| true) {
                    if reporting[i] {
                        continue;
                    }
                    let at = format!("{} {}", dir.display(), files[i].path.display());
                    assert!(lint.diagnostics.is_empty(), "{at}: {:?}", lint.diagnostics);
                    assert!(lint.suppressed.is_empty(), "{at}");
                    assert!(lint.internal_errors.is_empty(), "{at}");
                    let syntax = engine.lint_syntax(&files[i]);
                    assert_eq!(syntax.syntax_errors, lint.syntax_errors, "{at}");
                    assert_eq!(syntax.generated, lint.generated, "{at}");
                }
            }
        }
        // Some packages were found quiet (most fixture packages, for most single rules),
        // and some files of packages that were not.
        assert!(quiet_packages > 50, "{quiet_packages}");
        assert!(quiet_in_others > 0);
    }

    #[test]
    fn unused_and_unknown_ignores_with_report_unused_ignores() {
        let settings = Settings {
            report_unused_ignores: true,
            ..Settings::default()
        };
        let failures = check_dir(&engine_fixture("unused_ignores"), settings);
        assert!(failures.is_empty(), "{failures}");
        // Off by default: only the real finding.
        let dir = engine_fixture("unused_ignores");
        let files = load_package(&dir);
        let refs: Vec<&SourceFile> = files.iter().collect();
        let engine = Engine::new(Settings::default());
        let (_, lint) = crate::lint_sources(&engine, &refs, None, |_| true)
            .into_iter()
            .next()
            .unwrap();
        let rules: Vec<&str> = lint.diagnostics.iter().map(|d| d.rule).collect();
        assert_eq!(rules, ["ticker-not-stopped"]);
    }

    #[test]
    fn unused_ignore_fix_removes_the_comment() {
        let src = "package x\n\nimport \"time\"\n\nfunc f() {\n\t//faultline:ignore tick-leak\n\tt := time.NewTicker(1)\n\tdefer t.Stop()\n\tu := time.NewTicker(1) //faultline:ignore tick-leak\n\tdefer u.Stop()\n}\n";
        let file = SourceFile::from_string("x.go", src.to_string()).unwrap();
        let engine = Engine::new(Settings {
            report_unused_ignores: true,
            ..Settings::default()
        });
        let (_, lint) = crate::lint_sources(&engine, &[&file], None, |_| true)
            .into_iter()
            .next()
            .unwrap();
        assert_eq!(lint.diagnostics.len(), 2);
        let mut fixed = src.to_string();
        let mut edits: Vec<&Edit> = lint
            .diagnostics
            .iter()
            .flat_map(|d| &d.fix.as_ref().unwrap().edits)
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        for e in edits {
            fixed.replace_range(e.range.clone(), &e.replacement);
        }
        assert_eq!(
            fixed,
            "package x\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(1)\n\tdefer t.Stop()\n\tu := time.NewTicker(1)\n\tdefer u.Stop()\n}\n"
        );
    }

    #[test]
    fn generated_files_get_no_findings() {
        let failures = check_dir(&engine_fixture("generated"), Settings::default());
        assert!(failures.is_empty(), "{failures}");
    }

    #[test]
    fn syntax_errors_do_not_stop_linting() {
        let dir = engine_fixture("syntax_error");
        let failures = check_dir(&dir, Settings::default());
        assert!(failures.is_empty(), "{failures}");
        let files = load_package(&dir);
        let engine = Engine::new(Settings::default());
        let (_, lint) = crate::lint_sources(&engine, &[&files[0]], None, |_| true)
            .into_iter()
            .next()
            .unwrap();
        assert!(!lint.syntax_errors.is_empty());
        assert_eq!(lint.syntax_errors[0].start.line, 9);
    }

    #[test]
    fn a_panicking_rule_is_reported_not_fatal() {
        struct Panics;
        static META: RuleMeta = RuleMeta {
            id: "ticker-not-stopped",
            family: Family::Time,
            severity: Severity::Error,
            summary: "test",
            raw_docs: "",
            kinds: &["call_expression"],
            gate: &[],
            package_gate: &[],
            fix: FixAvailability::None,
            version_gated: false,
            skip_test_files: false,
            options: &[],
        };
        impl Rule for Panics {
            fn meta(&self) -> &'static RuleMeta {
                &META
            }
            fn check_node<'a>(
                &self,
                _: tree_sitter::Node<'a>,
                _: &[tree_sitter::Node<'a>],
                _: &Ctx<'a>,
            ) {
                panic!("boom");
            }
        }
        static PANICS: Panics = Panics;
        let mut engine = Engine::new(Settings::for_rule("tick-leak"));
        engine.push_rule_for_test(&PANICS);
        let file = SourceFile::from_string(
            "x.go",
            "package x\nimport \"time\"\nfunc f() { <-time.Tick(1) }\n".to_string(),
        )
        .unwrap();
        let (_, lint) = crate::lint_sources(&engine, &[&file], None, |_| true)
            .into_iter()
            .next()
            .unwrap();
        assert_eq!(lint.internal_errors.len(), 1);
        assert!(lint.internal_errors[0].contains("boom"));
        // The other rule still ran.
        assert_eq!(lint.diagnostics.len(), 1);
        assert_eq!(lint.diagnostics[0].rule, "tick-leak");
    }
}

#[cfg(test)]
mod parallel_tests {
    use std::fmt::Write as _;
    use std::sync::Arc;

    use super::*;
    use crate::index::{FactScope, FileSummary};
    use crate::{PackageFile, lint_package_with};

    /// A file past the parallel threshold, with findings, suppressions and
    /// cross-function facts spread over both halves.
    fn big_file() -> SourceFile {
        let mut s = String::from(
            "package big\n\nimport (\n\t\"net\"\n\t\"net/http\"\n\t\"sync\"\n\t\"time\"\n)\n\n",
        );
        let mut i = 0;
        while s.len() < 3 * PARALLEL_MIN_BYTES {
            let _ = write!(
                s,
                "type S{i} struct {{\n\tmu   sync.Mutex\n\tconn net.Conn\n}}\n\n\
                 func (s *S{i}) Poll() {{\n\tt := time.NewTicker(time.Second) //faultline:ignore ticker-not-stopped test\n\tfor range t.C {{\n\t\ts.mu.Lock()\n\t\ttime.Sleep(time.Millisecond) //faultline:ignore lock-held-io test\n\t\ts.mu.Unlock()\n\t}}\n}}\n\n\
                 func (s *S{i}) Fill(b []byte) {{\n\ts.conn.Read(b) //faultline:ignore conn-read-no-deadline tested elsewhere\n}}\n\n\
                 func stop{i}(t *time.Ticker) {{ t.Stop() }}\n\n\
                 func owned{i}() {{\n\tt := time.NewTicker(time.Second)\n\tstop{i}(t)\n}}\n\n\
                 var srv{i} = &http.Server{{Addr: \":80\"}}\n\n"
            );
            i += 1;
        }
        SourceFile::from_string("big.go", s).unwrap()
    }

    #[test]
    fn a_split_walk_finds_what_one_walk_finds() {
        let file = big_file();
        let engine = Engine::new(Settings::default());
        let run = |parallel: bool| {
            let decls = FileSummary::decls(&file);
            let summary = FileSummary::extract_scoped_with(&file, decls, FactScope::ALL, parallel);
            let package = [PackageFile {
                summary: Arc::new(summary),
                source: Some(&file),
            }];
            let (_, lint) = lint_package_with(&engine, &package, None, parallel)
                .into_iter()
                .next()
                .unwrap();
            lint
        };
        let (one, two) = (run(false), run(true));
        assert!(one.diagnostics.len() > 100, "{}", one.diagnostics.len());
        assert!(one.suppressed.len() > 100, "{}", one.suppressed.len());
        assert_eq!(
            format!("{:?}", one.diagnostics),
            format!("{:?}", two.diagnostics)
        );
        assert_eq!(
            format!("{:?}", one.suppressed),
            format!("{:?}", two.suppressed)
        );
        assert_eq!(
            format!("{:?}", one.directives),
            format!("{:?}", two.directives)
        );
        assert_eq!(one.internal_errors, two.internal_errors);
    }

    #[test]
    fn a_forgotten_flattening_is_rebuilt_for_the_walk() {
        let mut file = big_file();
        let engine = Engine::new(Settings::default());
        let summary = Arc::new(FileSummary::extract(&file));
        let lint = |file: &SourceFile| {
            let package = [PackageFile {
                summary: summary.clone(),
                source: Some(file),
            }];
            let (_, lint) = lint_package_with(&engine, &package, None, false)
                .into_iter()
                .next()
                .unwrap();
            format!("{:?} {:?}", lint.diagnostics, lint.suppressed)
        };
        assert!(file.cached_flat().is_some());
        let kept = lint(&file);
        file.forget_flat();
        assert!(file.cached_flat().is_none());
        assert_eq!(kept, lint(&file));
        // The walk's own flattening is not kept.
        assert!(file.cached_flat().is_none());
    }

    #[test]
    fn split_fact_extraction_matches() {
        let file = big_file();
        let decls = FileSummary::decls(&file);
        let one = crate::index::facts::extract_with(
            file.flat(),
            &file.text,
            &decls.imports,
            &file.lines,
            FactScope::ALL,
            false,
        );
        let two = crate::index::facts::extract_with(
            file.flat(),
            &file.text,
            &decls.imports,
            &file.lines,
            FactScope::ALL,
            true,
        );
        assert_eq!(format!("{:?}", one.funcs), format!("{:?}", two.funcs));
        let mut a: Vec<_> = one.uses.iter().collect();
        let mut b: Vec<_> = two.uses.iter().collect();
        a.sort_by_key(|(k, _)| k.as_str());
        b.sort_by_key(|(k, _)| k.as_str());
        assert_eq!(a, b);
    }
}
