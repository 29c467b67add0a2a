//! faultline's engine and rules.
//!
//! A package (the `.go` files of one directory) is parsed once ([`source`]), indexed
//! once ([`index`]), and each file is then linted by one traversal that dispatches nodes
//! to every enabled rule ([`engine`]). The CLI and the language server both call
//! [`Engine::lint_file`]; nothing here touches the file system or formats output.

pub mod edits;
pub mod engine;
pub mod flat;
pub mod flow;
pub mod gomod;
pub mod index;
pub mod registry;
pub mod sema;
pub mod source;
pub mod syntax;
#[cfg(test)]
pub mod testing;

pub mod lock;
pub mod net;
pub mod sql;
pub mod time;

use crate::syntax::NodeExt;
use rayon::prelude::*;
use std::sync::Arc;

pub use engine::{
    Applicability, Config, ConfigError, Diagnostic, Edit, Engine, Family, FileLint, Fix,
    FixAvailability, FixRecord, FixSettings, FixedFile, OptionKind, OptionValue, Related, Rule,
    RuleMeta, RuleOption, RuleSet, Selector, Settings, Severity, apply_fixes, find_config,
    fix_package,
};
pub use gomod::{GoMod, GoVersion};
pub use index::PackageIndex;
pub use source::{LineCol, LineIndex, SourceError, SourceFile};

/// Where each rule's documentation is published (`<base>/<rule-id>.md`).
pub const DOCS_BASE_URL: &str = "https://gitlab.com/faultline/faultline/-/blob/main/docs/rules";

/// One `.go` file of a directory: its summary always feeds the index; it is linted
/// when its source (with its tree) is given.
pub struct PackageFile<'a> {
    pub summary: Arc<index::FileSummary>,
    pub source: Option<&'a SourceFile>,
}

/// Index the files of one directory and lint those that carry their source. Files are
/// grouped by package clause first, so an external test package (`x_test`) or a
/// `//go:build ignore` generator in `package main` does not pollute package `x`.
/// Returns `(position in files, result)` in file order.
pub fn lint_package(
    engine: &Engine,
    files: &[PackageFile<'_>],
    gomod: Option<Arc<GoMod>>,
) -> Vec<(usize, FileLint)> {
    lint_package_with(engine, files, gomod, false)
}

/// [`lint_package`]; `parallel`: the files are linted on all threads, and each big
/// file's walk may use two (the language server, latency first; the CLI's biggest
/// packages, which it lints one at a time).
pub fn lint_package_with(
    engine: &Engine,
    files: &[PackageFile<'_>],
    gomod: Option<Arc<GoMod>>,
    parallel: bool,
) -> Vec<(usize, FileLint)> {
    let mut out = Vec::new();
    for members in package_groups(files.iter().map(|f| f.summary.decls.package.as_str())) {
        if !members.iter().any(|&i| files[i].source.is_some()) {
            continue;
        }
        let summaries = members.iter().map(|&i| files[i].summary.clone()).collect();
        let index = engine.index(summaries, gomod.clone());
        let lint = |(local, &global): (usize, &usize)| {
            files[global]
                .source
                .map(|src| (global, engine.lint_file_with(src, local, &index, parallel)))
        };
        if parallel {
            let linted: Vec<_> = members
                .par_iter()
                .enumerate()
                .with_max_len(1)
                .filter_map(lint)
                .collect();
            out.extend(linted);
        } else {
            out.extend(members.iter().enumerate().filter_map(lint));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// [`lint_package_with`] for a caller that owns the package: `summaries[i]` and
/// `sources[i]` (`None`: index only) describe file `i`. Each linted source is handed,
/// with its lint, to `done` on the thread that linted it, as soon as it is linted:
/// its tree is freed while still in the cache (freed once the whole package was
/// linted, the trees were cold, and freeing them cost ~20 % of their parse). And the
/// index takes the summaries' declarations and facts instead of copying them.
/// Returns `(i, done's answer)` in file order.
pub fn lint_package_owned<R: Send>(
    engine: &Engine,
    summaries: Vec<Arc<index::FileSummary>>,
    mut sources: Vec<Option<SourceFile>>,
    gomod: Option<Arc<GoMod>>,
    parallel: bool,
    done: impl Fn(usize, SourceFile, FileLint) -> R + Sync,
) -> Vec<(usize, R)> {
    debug_assert_eq!(summaries.len(), sources.len());
    let groups = package_groups(summaries.iter().map(|f| f.decls.package.as_str()));
    let mut summaries: Vec<Option<Arc<index::FileSummary>>> =
        summaries.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for members in groups {
        let linted: Vec<(usize, usize, SourceFile)> = members
            .iter()
            .enumerate()
            .filter_map(|(local, &global)| Some((local, global, sources.get_mut(global)?.take()?)))
            .collect();
        if linted.is_empty() {
            continue;
        }
        let group = members
            .iter()
            .filter_map(|&i| summaries[i].take())
            .collect();
        let index = engine.index(group, gomod.clone());
        let lint = |(local, global, src): (usize, usize, SourceFile)| {
            let lint = engine.lint_file_with(&src, local, &index, parallel);
            src.prefetch_tree();
            (global, done(global, src, lint))
        };
        if parallel {
            out.par_extend(linted.into_par_iter().with_max_len(1).map(lint));
        } else {
            // Last parsed, first linted: those trees may still be in the cache when
            // the lint reads them and frees them (a cold tree's free costs about twice
            // a warm one's).
            out.extend(linted.into_iter().rev().map(lint));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// The files of each package clause, in the order the clauses first appear.
fn package_groups<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Vec<usize>> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, name) in names.enumerate() {
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(i),
            None => groups.push((name, vec![i])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// Convenience for callers holding every source: lint those for which `lint(i)` holds.
pub fn lint_sources(
    engine: &Engine,
    files: &[&SourceFile],
    gomod: Option<Arc<GoMod>>,
    lint: impl Fn(usize) -> bool,
) -> Vec<(usize, FileLint)> {
    let package: Vec<PackageFile> = files
        .iter()
        .enumerate()
        .map(|(i, f)| PackageFile {
            summary: Arc::new(index::FileSummary::extract(f)),
            source: lint(i).then_some(*f),
        })
        .collect();
    lint_package(engine, &package, gomod)
}

/// The name in a file's package clause.
pub fn package_name(file: &SourceFile) -> Option<&str> {
    let root = file.root();
    let mut c = root.walk();
    let clause = root
        .named_children(&mut c)
        .find(|n| n.kind_str() == "package_clause")?;
    clause.named_child(0).map(|n| file.text_of(n))
}
