//! Read, parse, index and lint packages in parallel, with the memory held by syntax
//! trees bounded.
//!
//! Each package is processed on one thread (the biggest on all threads, one at a
//! time): files are parsed and summarised for the index; only the trees of files that
//! will be linted (and are not generated) are kept, each until the file is linted. A
//! byte budget bounds the source held as trees across threads, and packages are scheduled
//! largest first.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use rayon::prelude::*;
use rules::index::{FactScope, FileSummary};
use rules::{Engine, FileLint, PackageFile, SourceFile};

use crate::discover::{PackageJob, io_reason};

/// Source bytes whose trees may be alive at once across threads (a tree takes ~35x its
/// source). One package bigger than this still runs, alone.
const TREE_BUDGET_BYTES: u64 = 6 * 1024 * 1024;

/// One linted file.
pub struct FileReport {
    pub path: PathBuf,
    /// The file's text, kept only when there is something to show from it.
    pub text: Option<Arc<String>>,
    pub lint: FileLint,
}

#[derive(Default)]
pub struct CheckOutcome {
    pub files: Vec<FileReport>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub files_checked: usize,
    /// Files the fixes changed (`--fix`, `--diff`), sorted by path.
    pub changes: Vec<crate::fix::FileChange>,
}

/// Generated files bigger than this are not parsed at all: they are data (embedded
/// assets, tables, descriptors), get no findings, and their trees would dominate
/// memory. Smaller generated files are parsed to feed the index.
pub(crate) const GENERATED_SKIP_BYTES: usize = 1024 * 1024;

enum Loaded {
    Ok(SourceFile),
    /// A large generated file: neither linted nor indexed.
    GeneratedData,
    /// Could not be read: exit code 2.
    Unreadable(String),
    /// Read but not linted (too large, not Go): a warning.
    Skipped(String),
}

/// A file's bytes, or why there is nothing to parse.
fn read(path: &Path) -> Result<Vec<u8>, Loaded> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Err(Loaded::Unreadable(format!(
                "{}: {}",
                path.display(),
                io_reason(&e)
            )));
        }
    };
    if bytes.len() > GENERATED_SKIP_BYTES && has_generated_header(&bytes) {
        return Err(Loaded::GeneratedData);
    }
    if looks_binary(&bytes) {
        return Err(Loaded::Skipped(format!(
            "{}: binary data, not Go source; skipped",
            path.display()
        )));
    }
    Ok(bytes)
}

fn parse(path: &Path, bytes: Vec<u8>) -> Loaded {
    match SourceFile::from_bytes(path.to_path_buf(), bytes) {
        Ok(f) => Loaded::Ok(f),
        Err(e) => Loaded::Skipped(format!("{}: {e}", path.display())),
    }
}

fn load(path: &Path) -> Loaded {
    match read(path) {
        Ok(bytes) => parse(path, bytes),
        Err(not) => not,
    }
}

/// The `// Code generated ... DO NOT EDIT.` line before the package clause.
pub fn has_generated_header(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    head.lines()
        .take_while(|l| !l.starts_with("package "))
        .any(|l| rules::index::decls::is_generated_header(l.trim_end()))
}

/// NUL bytes and invalid UTF-8 together: not text. (Go rejects NUL in source anyway.)
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    head.contains(&0) && std::str::from_utf8(head).is_err()
}

/// A counting gate on bytes of source held as trees.
struct Budget {
    used: Mutex<u64>,
    freed: Condvar,
}

impl Budget {
    fn acquire(&self, n: u64) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used > 0 && *used + n > TREE_BUDGET_BYTES {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += n;
    }

    fn release(&self, n: u64) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// Lint every package with `engines[job.config]`; results sorted by path.
pub fn check(packages: Vec<PackageJob>, engines: &[Engine]) -> CheckOutcome {
    check_with(packages, engines, None)
}

/// Lint every package with `engines[job.config]`, fixing it first when `fix` is set;
/// results sorted by path.
///
/// Packages with more than half the tree budget to parse are linted first, one at a
/// time, each with its files parsed and linted in parallel: two of them could not run
/// side by side within the budget, and with one package per thread the other threads
/// would wait (the biggest packages are a third of a large corpus). The rest run one
/// package per thread, largest first, within the budget.
pub fn check_with(
    mut packages: Vec<PackageJob>,
    engines: &[Engine],
    fix: Option<&rules::FixSettings>,
) -> CheckOutcome {
    // Largest first (by what there is to parse: a package of generated tables can
    // cost much more than its linted files), so no big package starts late and runs
    // alone at the end.
    // (`parse_bytes` counts every linted file too, so the packages left to share the
    // budget each hold at most half of it.)
    packages.sort_by_key(|p| std::cmp::Reverse(p.parse_bytes));
    let wide = packages.partition_point(|p| p.parse_bytes > TREE_BUDGET_BYTES / 2);
    let rest = packages.split_off(wide);
    let mut per_pkg: Vec<CheckOutcome> = packages
        .iter()
        .map(|job| check_package(job, &engines[job.config], fix, true))
        .collect();
    let budget = Budget {
        used: Mutex::new(0),
        freed: Condvar::new(),
    };
    // One package per rayon job: left to split by itself, rayon hands each thread a
    // run of packages to do in order, and the last run finished on one thread alone.
    per_pkg.par_extend(rest.into_par_iter().with_max_len(1).map(|job| {
        // No rayon calls below: a worker waiting here must not hold a budget.
        budget.acquire(job.lint_bytes);
        let out = check_package(&job, &engines[job.config], fix, false);
        budget.release(job.lint_bytes);
        out
    }));
    let mut out = CheckOutcome::default();
    for p in per_pkg {
        out.files.extend(p.files);
        out.errors.extend(p.errors);
        out.warnings.extend(p.warnings);
        out.files_checked += p.files_checked;
        out.changes.extend(p.changes);
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.changes.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// What loading one file of a package gave.
#[derive(Default)]
struct Loading {
    /// 1 when the file counts as checked.
    checked: usize,
    error: Option<String>,
    warning: Option<String>,
    /// Its summary, and its tree when it is to be linted.
    parsed: Option<(Arc<FileSummary>, Option<SourceFile>)>,
    /// Its report, when its package needed no lint ([`load_quiet`]).
    report: Option<FileReport>,
}

/// The warning for a file whose invalid UTF-8 was replaced.
fn lossy_warning(f: &SourceFile) -> Option<String> {
    f.lossy.then(|| {
        format!(
            "{}: not valid UTF-8; linted with invalid bytes replaced",
            f.path.display()
        )
    })
}

/// Parse one file of a package where no rule can report (`Engine::reporting_files`):
/// its syntax errors are all there is to report, and its tree is freed right away.
fn load_quiet(path: &Path, bytes: Result<Vec<u8>, Loaded>, lint: bool, engine: &Engine) -> Loading {
    let mut out = Loading::default();
    if !lint {
        // A sibling that only feeds the index: there is no index to feed.
        return out;
    }
    let loaded = match bytes {
        Ok(bytes) => parse(path, bytes),
        Err(not) => not,
    };
    out.checked = 1;
    match loaded {
        Loaded::Ok(f) => {
            out.warning = lossy_warning(&f);
            let lint = engine.lint_syntax(&f);
            // Generated files get no report (as in `check_package`).
            if !lint.generated {
                out.report = Some(FileReport {
                    path: f.path.to_path_buf(),
                    text: None,
                    lint,
                });
            }
        }
        Loaded::GeneratedData => {}
        Loaded::Unreadable(msg) => {
            out.checked = 0;
            out.error = Some(msg);
        }
        Loaded::Skipped(msg) => {
            out.checked = 0;
            out.warning = Some(msg);
        }
    }
    out
}

/// Parse one file of a package and summarise it right away; `reports`: it may get a
/// finding (`Engine::reporting_files`), else its report is its syntax errors, made
/// now, and its tree is not kept.
fn load_one(
    path: &Path,
    bytes: Result<Vec<u8>, Loaded>,
    lint: bool,
    reports: bool,
    engine: &Engine,
    scope: FactScope,
) -> Loading {
    let loaded = match bytes {
        Ok(bytes) => parse(path, bytes),
        Err(not) => not,
    };
    let mut out = Loading::default();
    match loaded {
        Loaded::Ok(f) => {
            if lint {
                out.checked = 1;
                out.warning = lossy_warning(&f);
            }
            let decls = FileSummary::decls(&f);
            // Generated files get no findings: their trees are not kept.
            let lint = lint && !decls.generated;
            // The flattened nodes the facts were read from are kept for the lint: the
            // budget bounds trees and arrays alike (flattening each file again cost
            // ~2 % of a full run; keeping the arrays of the packages linted alone,
            // ~30 MiB of peak memory on the bench corpus).
            let summary = Arc::new(FileSummary::extract_scoped(&f, decls, scope));
            if lint && !reports {
                out.report = Some(FileReport {
                    path: f.path.to_path_buf(),
                    text: None,
                    lint: engine.lint_syntax(&f),
                });
                out.parsed = Some((summary, None));
            } else {
                out.parsed = Some((summary, lint.then_some(f)));
            }
        }
        Loaded::GeneratedData => out.checked = usize::from(lint),
        // A sibling that only feeds the index is not worth an error.
        Loaded::Unreadable(msg) if lint => out.error = Some(msg),
        Loaded::Skipped(msg) if lint => out.warning = Some(msg),
        _ => {}
    }
    out
}

/// Lint one package; `parallel`: its files are parsed and linted on all threads.
fn check_package(
    job: &PackageJob,
    engine: &Engine,
    fix: Option<&rules::FixSettings>,
    parallel: bool,
) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    // Every file's bytes first: a text test on them picks the facts worth extracting
    // (`FactScope::for_package_texts`), so each file is summarised right after it is
    // parsed, while its tree is still in the CPU cache (walking it later, after the
    // rest of the package was parsed, costs as much again in cache misses).
    let read: Vec<Result<Vec<u8>, Loaded>> = if parallel {
        job.files
            .par_iter()
            .with_max_len(1)
            .map(|p| read(p))
            .collect()
    } else {
        job.files.iter().map(|p| read(p)).collect()
    };
    let texts: Vec<&[u8]> = read.iter().map(|r| r.as_deref().unwrap_or(&[])).collect();
    let reporting = engine.reporting_files(&texts);
    let quiet = !reporting.contains(&true);
    let scope = engine.fact_scope().for_package_texts(texts.iter().copied());
    drop(texts);
    let inputs = job
        .files
        .iter()
        .zip(job.lint.iter().zip(reporting))
        .zip(read);
    let load = |path: &Path, (&lint, reports): (&bool, bool), bytes| {
        if quiet {
            load_quiet(path, bytes, lint, engine)
        } else {
            load_one(path, bytes, lint, reports, engine, scope)
        }
    };
    let loaded: Vec<Loading> = if parallel {
        // Biggest files first: started last, one of them would leave the other threads
        // idle at the end (a package's generated tables can take a third of its time).
        let mut jobs: Vec<_> = inputs.enumerate().collect();
        jobs.sort_by_key(|(_, (_, bytes))| {
            std::cmp::Reverse(bytes.as_ref().map_or(0, |b| b.len()))
        });
        let mut done: Vec<(usize, Loading)> = jobs
            .into_par_iter()
            .with_max_len(1)
            .map(|(i, ((path, lint), bytes))| (i, load(path, lint, bytes)))
            .collect();
        done.sort_unstable_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, l)| l).collect()
    } else {
        inputs
            .map(|((path, lint), bytes)| load(path, lint, bytes))
            .collect()
    };
    let mut summaries: Vec<Arc<FileSummary>> = Vec::new();
    let mut kept: Vec<Option<SourceFile>> = Vec::new();
    for l in loaded {
        out.files_checked += l.checked;
        out.errors.extend(l.error);
        out.warnings.extend(l.warning);
        out.files.extend(l.report);
        if let Some((summary, source)) = l.parsed {
            summaries.push(summary);
            kept.push(source);
        }
    }
    let Some(fix) = fix else {
        // Each file is reported as soon as it is linted, its tree freed on the thread
        // that linted it, and its text kept only when there is something to show.
        let reports = rules::lint_package_owned(
            engine,
            summaries,
            kept,
            job.gomod.clone(),
            parallel,
            |_, file, lint| {
                let keep_text = !lint.diagnostics.is_empty() || !lint.suppressed.is_empty();
                FileReport {
                    path: file.path.to_path_buf(),
                    text: keep_text.then(|| Arc::new(file.text)),
                    lint,
                }
            },
        );
        out.files.extend(reports.into_iter().map(|(_, r)| r));
        return out;
    };
    let files: Vec<PackageFile> = summaries
        .into_iter()
        .zip(&kept)
        .map(|(summary, source)| PackageFile {
            summary,
            source: source.as_ref(),
        })
        .collect();
    let linted =
        crate::fix::lint_package(engine, &files, job.gomod.clone(), fix, &mut out.warnings);
    for (i, lint, fixed) in linted {
        let Some(file) = &kept[i] else { continue };
        let keep_text = !lint.diagnostics.is_empty() || !lint.suppressed.is_empty();
        // Findings of a fixed file describe its fixed text.
        let text = fixed.as_ref().map_or(&file.text, |(t, _)| t);
        out.files.push(FileReport {
            path: file.path.to_path_buf(),
            text: keep_text.then(|| Arc::new(text.clone())),
            lint,
        });
        if let Some((fixed, applied)) = fixed {
            out.changes.push(crate::fix::FileChange {
                path: file.path.to_path_buf(),
                original: file.text.clone(),
                fixed,
                applied,
            });
        }
    }
    drop(files);
    if parallel {
        // Freeing a tree walks all of it, cold by now: a big package's on all threads.
        kept.into_par_iter().with_max_len(1).for_each(drop);
    }
    out
}

/// The benchmark baseline: read, parse and walk every tree once; no index, no rules.
pub fn parse_only(packages: Vec<PackageJob>) -> (usize, usize) {
    packages
        .into_par_iter()
        .with_max_len(1)
        .map(|job| {
            job.files
                .iter()
                .map(|p| match load(p) {
                    Loaded::Ok(f) => (1, rules::syntax::count_nodes(f.tree())),
                    _ => (0, 0),
                })
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fixture directory as a package job (its `.go` files, all linted).
    fn fixture_packages() -> Vec<PackageJob> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut dirs = vec![root];
        let mut jobs = Vec::new();
        while let Some(dir) = dirs.pop() {
            let mut files = Vec::new();
            for e in std::fs::read_dir(&dir).unwrap() {
                let path = e.unwrap().path();
                let Ok(meta) = path.symlink_metadata() else {
                    continue;
                };
                if meta.is_dir() {
                    dirs.push(path);
                } else if meta.is_file() && path.extension().is_some_and(|x| x == "go") {
                    files.push(path);
                }
            }
            if files.is_empty() {
                continue;
            }
            files.sort();
            let lint_bytes = files
                .iter()
                .map(|f| f.metadata().map_or(0, |m| m.len()))
                .sum();
            jobs.push(PackageJob {
                dir,
                lint: vec![true; files.len()],
                files,
                lint_bytes,
                parse_bytes: lint_bytes,
                gomod: None,
                config: 0,
            });
        }
        jobs
    }

    fn findings(out: &CheckOutcome) -> Vec<(PathBuf, &'static str, usize, usize)> {
        let mut all: Vec<_> = out
            .files
            .iter()
            .flat_map(|f| {
                f.lint
                    .diagnostics
                    .iter()
                    .map(|d| (f.path.clone(), d.rule, d.range.start, d.range.end))
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn a_package_linted_on_all_threads_gives_what_one_thread_gives() {
        let engine = Engine::new(rules::Settings::default());
        let jobs = fixture_packages();
        assert!(jobs.len() > 20, "fixture packages: {}", jobs.len());
        let mut total = 0;
        for job in &jobs {
            let one = check_package(job, &engine, None, false);
            let all = check_package(job, &engine, None, true);
            assert_eq!(findings(&one), findings(&all), "{}", job.dir.display());
            assert_eq!(one.files_checked, all.files_checked);
            assert_eq!(one.warnings, all.warnings);
            total += findings(&one).len();
        }
        assert!(total > 100, "findings over the fixtures: {total}");
    }

    #[test]
    fn a_package_too_big_to_share_the_budget_is_linted_with_the_rest() {
        let engines = [Engine::new(rules::Settings::default())];
        let mut jobs = fixture_packages();
        let n = jobs.iter().map(|j| j.files.len()).sum::<usize>();
        // Pretend the first one is too big to share the budget.
        jobs[0].lint_bytes = TREE_BUDGET_BYTES;
        jobs[0].parse_bytes = TREE_BUDGET_BYTES;
        let out = check(jobs, &engines);
        assert_eq!(out.files_checked, n);
        assert!(out.files.windows(2).all(|w| w[0].path <= w[1].path));
    }
}
