//! Read, parse, index and lint packages in parallel, with the memory held by syntax
//! trees bounded.
//!
//! Each package is processed on one thread: files are parsed one by one and summarised
//! for the index; only the trees of files that will be linted (and are not generated)
//! are kept until the package is linted. A byte budget bounds the source held as trees
//! across threads, and packages are scheduled largest first.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use rayon::prelude::*;
use rules::index::FileSummary;
use rules::{Engine, FileLint, PackageFile, SourceFile};

use crate::discover::{PackageJob, io_reason};

/// Source bytes whose trees may be alive at once across threads (a tree takes ~35x its
/// source). One package bigger than this still runs, alone.
const TREE_BUDGET_BYTES: u64 = 6 * 1024 * 1024;

/// Packages with more source than this do not keep each file's flattened nodes
/// between fact extraction and linting (see `SourceFile::forget_flat`).
const KEEP_FLAT_MAX_BYTES: u64 = 256 * 1024;

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
const GENERATED_SKIP_BYTES: usize = 1024 * 1024;

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
pub fn check_with(
    mut packages: Vec<PackageJob>,
    engines: &[Engine],
    fix: Option<&rules::FixSettings>,
) -> CheckOutcome {
    // Largest first, so a big package does not start last and run alone at the end.
    packages.sort_by_key(|p| std::cmp::Reverse(p.lint_bytes));
    let budget = Budget {
        used: Mutex::new(0),
        freed: Condvar::new(),
    };
    let per_pkg: Vec<CheckOutcome> = packages
        .into_par_iter()
        .map(|job| {
            // No rayon calls below: a worker waiting here must not hold a budget.
            budget.acquire(job.lint_bytes);
            let out = check_package(&job, &engines[job.config], fix);
            budget.release(job.lint_bytes);
            out
        })
        .collect();
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

fn check_package(
    job: &PackageJob,
    engine: &Engine,
    fix: Option<&rules::FixSettings>,
) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    // Every file's bytes first: a text test on them picks the facts worth extracting
    // (`FactScope::for_package_texts`), so each file is summarised right after it is
    // parsed, while its tree is still in the CPU cache (walking it later, after the
    // rest of the package was parsed, costs as much again in cache misses).
    let read: Vec<Result<Vec<u8>, Loaded>> = job.files.iter().map(|p| read(p)).collect();
    let scope = engine
        .fact_scope()
        .for_package_texts(read.iter().filter_map(|r| r.as_deref().ok()));
    // A big package's trees are what bounds peak memory: its files are flattened
    // again when linted rather than holding every flattening.
    let big = job.lint_bytes > KEEP_FLAT_MAX_BYTES;
    let mut summaries: Vec<Arc<FileSummary>> = Vec::new();
    let mut kept: Vec<Option<SourceFile>> = Vec::new();
    for ((i, path), bytes) in job.files.iter().enumerate().zip(read) {
        let loaded = match bytes {
            Ok(bytes) => parse(path, bytes),
            Err(not) => not,
        };
        match loaded {
            Loaded::Ok(mut f) => {
                if job.lint[i] {
                    out.files_checked += 1;
                    if f.lossy {
                        out.warnings.push(format!(
                            "{}: not valid UTF-8; linted with invalid bytes replaced",
                            f.path.display()
                        ));
                    }
                }
                let decls = FileSummary::decls(&f);
                // Generated files get no findings: their trees are not kept.
                let lint = job.lint[i] && !decls.generated;
                summaries.push(Arc::new(FileSummary::extract_scoped(&f, decls, scope)));
                if big {
                    f.forget_flat();
                }
                kept.push(lint.then_some(f));
            }
            Loaded::GeneratedData => out.files_checked += usize::from(job.lint[i]),
            // A sibling that only feeds the index is not worth an error.
            Loaded::Unreadable(msg) if job.lint[i] => out.errors.push(msg),
            Loaded::Skipped(msg) if job.lint[i] => out.warnings.push(msg),
            _ => {}
        }
    }
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
    out
}

/// The benchmark baseline: read, parse and walk every tree once; no index, no rules.
pub fn parse_only(packages: Vec<PackageJob>) -> (usize, usize) {
    packages
        .into_par_iter()
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
