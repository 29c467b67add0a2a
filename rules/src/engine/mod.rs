//! The engine: one traversal per file dispatching nodes by kind to every rule that
//! asked for that kind, then suppression as a post-filter.

pub mod config;
pub mod ctx;
pub mod diagnostic;
pub mod fix;
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
        Engine {
            settings,
            rules,
            rule_index,
            table,
            comment_kind,
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
        self.rule_index.push(usize::MAX);
        for want in rule.meta().kinds {
            for id in 0..lang.node_kind_count() as u16 {
                if lang.node_kind_is_named(id) && lang.node_kind_for_id(id) == Some(want) {
                    self.table[id as usize].push(pos);
                }
            }
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
        let mut out = FileLint {
            syntax_errors: file
                .syntax_errors()
                .into_iter()
                .map(|range| SyntaxError {
                    start: file.line_col(range.start),
                    range,
                })
                .collect(),
            ..FileLint::default()
        };
        let generated = pkg.files.get(file_idx).is_some_and(|f| f.decls.generated);
        if generated {
            out.generated = true;
            return out;
        }
        let gated = pkg.timers_collected();
        let per_file_off = self.settings.ignored_for(&file.path);
        let active: Vec<bool> = self
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
        let ctx = Ctx::new(file, file_idx, pkg, &self.settings);
        let mut comments: Vec<Range<usize>> = Vec::new();

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

        let mut failed = vec![false; self.rules.len()];
        let mut stack: Vec<Node> = Vec::with_capacity(64);
        let mut cursor = file.tree.walk();
        'walk: loop {
            let node = cursor.node();
            let kind = node.kind_id();
            if kind == self.comment_kind {
                comments.push(node.start_byte()..node.end_byte());
            }
            let wants = if stack.len() <= crate::syntax::MAX_NESTING {
                self.table.get(kind as usize)
            } else {
                None
            };
            if let Some(wants) = wants {
                for &pos in wants {
                    let pos = pos as usize;
                    if !active[pos] || failed[pos] {
                        continue;
                    }
                    let rule = self.rules[pos];
                    ctx.set_rule(rule.meta());
                    let r = catch_unwind(AssertUnwindSafe(|| rule.check_node(node, &stack, &ctx)));
                    if let Err(e) = r {
                        failed[pos] = true;
                        out.internal_errors
                            .push(panic_message(rule.meta().id, e.as_ref()));
                    }
                }
            }
            if cursor.goto_first_child() {
                stack.push(node);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
                stack.pop();
            }
        }

        let mut diagnostics = ctx.take_diagnostics();
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
                if active[pos] && !failed[pos] && i < registry::RULES.len() {
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
