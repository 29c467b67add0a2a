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
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let name = f.summary.decls.package.as_str();
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(i),
            None => groups.push((name, vec![i])),
        }
    }
    let mut out = Vec::new();
    for (_, members) in groups {
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
