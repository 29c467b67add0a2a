//! `--fix`, `--unsafe-fixes` and `--diff`: run the fix loop of `rules` per package,
//! then write the fixed files atomically or print what would change.
//!
//! Writing is careful:
//! - a file is replaced by renaming a temporary file written in the same directory
//!   (readers see the old or the new file, never half of one), with the original's
//!   permissions, through symlinks to the file they point at;
//! - a file whose content changed on disk since faultline read it is not written (an
//!   editor or a formatter got there first): it is reported and the run exits 2;
//! - a file that was not valid UTF-8 is never fixed (`rules` refuses), since writing it
//!   back would replace its invalid bytes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rules::{Applicability, Engine, FileLint, FixRecord, FixSettings, GoMod, PackageFile};

use crate::check::FileReport;
use crate::cli::CheckArgs;
use crate::output::display_path;

/// A file the fixes changed.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub path: PathBuf,
    /// The text as read: exactly the bytes on disk then.
    pub original: String,
    pub fixed: String,
    /// The fixes applied, in order.
    pub applied: Vec<FixRecord>,
}

/// What the command line asks for: `None` when not fixing; an error message for
/// `--unsafe-fixes` alone.
pub fn settings(args: &CheckArgs) -> Result<Option<FixSettings>, String> {
    if !(args.fix || args.diff) {
        if args.unsafe_fixes {
            return Err("--unsafe-fixes only applies with --fix or --diff".into());
        }
        return Ok(None);
    }
    Ok(Some(FixSettings {
        unsafe_fixes: args.unsafe_fixes,
        ..FixSettings::default()
    }))
}

/// One linted file of a package: its final lint, and its fixed text when fixes changed it.
pub type Linted = (usize, FileLint, Option<(String, Vec<FixRecord>)>);

/// Fix one package and lint the result (fixing is sequential). Notes about fixes that
/// could not be applied go to `warnings`.
pub fn lint_package(
    engine: &Engine,
    files: &[PackageFile<'_>],
    gomod: Option<Arc<GoMod>>,
    settings: &FixSettings,
    warnings: &mut Vec<String>,
) -> Vec<Linted> {
    let mut out = Vec::new();
    for (i, r) in rules::fix_package(engine, files, gomod, settings) {
        let path = files[i]
            .source
            .map(|s| display_path(&s.path))
            .unwrap_or_default();
        if r.lossy
            && r.lint
                .diagnostics
                .iter()
                .any(|d| rules::engine::fix::has_applicable_fix(d, settings.unsafe_fixes))
        {
            warnings.push(format!("{path}: not valid UTF-8; not fixed"));
        }
        if r.unconverged {
            warnings.push(format!(
                "{path}: fixes were still pending after {} passes; run with --fix again",
                settings.max_passes
            ));
        }
        for rej in &r.rejected {
            warnings.push(format!(
                "{path}:{}: the `{}` fix \"{}\" would add a syntax error; not applied \
                 (this is a faultline bug; please report it)",
                rej.line + 1,
                rej.rule,
                rej.title
            ));
        }
        let fixed = r.fixed.map(|f| (f.text, r.applied));
        out.push((i, r.lint, fixed));
    }
    out
}

/// How writing one file went.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    Ok,
    /// The file on disk no longer holds what was read: not written.
    ChangedOnDisk,
    Failed(String),
    /// A symlink (the file or a directory above it) leads out of the project.
    OutsideProject(PathBuf),
}

/// Where a write to `path` would land, when symlinks lead it out of `root`: the file
/// itself or a directory on its way may be a link, but the fix must not follow it
/// out of the project. A path named outside the project without links is the
/// user's choice and allowed.
pub fn escapes_project(path: &Path, root: &Path) -> Option<PathBuf> {
    let target = std::fs::canonicalize(path).ok()?;
    let abs = crate::config::absolute(path);
    if target == abs {
        return None;
    }
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    (!target.starts_with(&root)).then_some(target)
}

/// Replace the file at `path` (following symlinks), which must still hold `original`,
/// with `new`: a temporary file in the same directory, the original's permissions,
/// then a rename.
pub fn write_atomic(path: &Path, original: &[u8], new: &[u8]) -> Written {
    let fail = |e: std::io::Error| Written::Failed(crate::discover::io_reason(&e));
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    match std::fs::read(&target) {
        Ok(now) if now == original => {}
        Ok(_) => return Written::ChangedOnDisk,
        Err(e) => return fail(e),
    }
    let meta = match std::fs::metadata(&target) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = match tempfile::Builder::new()
        .prefix(".faultline-")
        .suffix(".tmp")
        .tempfile_in(dir)
    {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let written = tmp
        .write_all(new)
        .and_then(|_| tmp.as_file().set_permissions(meta.permissions()))
        .and_then(|_| tmp.as_file().sync_all());
    if let Err(e) = written {
        return fail(e);
    }
    // Last look before the rename: the same size and modification time as when the
    // content was compared.
    match std::fs::metadata(&target) {
        Ok(m) if m.len() == meta.len() && m.modified().ok() == meta.modified().ok() => {}
        Ok(_) => return Written::ChangedOnDisk,
        Err(e) => return fail(e),
    }
    match tmp.persist(&target) {
        Ok(_) => Written::Ok,
        Err(e) => fail(e.error),
    }
}

/// Counts of applied fixes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub files: usize,
    pub fixes: usize,
    pub unsafe_fixes: usize,
}

impl Tally {
    fn of<'a>(changes: impl Iterator<Item = &'a FileChange>) -> Tally {
        let mut t = Tally::default();
        for c in changes {
            t.files += 1;
            t.fixes += c.applied.len();
            t.unsafe_fixes += c
                .applied
                .iter()
                .filter(|r| r.applicability == Applicability::Unsafe)
                .count();
        }
        t
    }

    fn describe(&self) -> String {
        let findings = if self.fixes == 1 {
            "1 finding".to_string()
        } else {
            format!("{} findings", self.fixes)
        };
        let files = if self.files == 1 {
            "1 file".to_string()
        } else {
            format!("{} files", self.files)
        };
        let unsafe_note = if self.unsafe_fixes > 0 {
            format!(" ({} with unsafe fixes)", self.unsafe_fixes)
        } else {
            String::new()
        };
        format!("{findings}{unsafe_note} in {files}")
    }
}

/// `--diff`: print the unified diff of every change to `out` and a summary to stderr.
/// Returns whether there was anything to change.
pub fn print_diffs(out: &mut dyn Write, changes: &[FileChange]) -> std::io::Result<bool> {
    for c in changes {
        let path = display_path(&c.path);
        out.write_all(crate::diff::unified(&path, &c.original, &c.fixed).as_bytes())?;
    }
    if changes.is_empty() {
        eprintln!("No fixes to apply.");
    } else {
        eprintln!("Would fix {}.", Tally::of(changes.iter()).describe());
    }
    Ok(!changes.is_empty())
}

/// `--fix`: write every change. Files that could not be written have their findings
/// removed from `files` (they describe a text that is not on disk); returns whether
/// any file could not be written.
pub fn write_changes(changes: &[FileChange], files: &mut [FileReport], root: &Path) -> bool {
    let mut failed = false;
    let mut done = Vec::new();
    for c in changes {
        let path = display_path(&c.path);
        let written = match escapes_project(&c.path, root) {
            Some(target) => Written::OutsideProject(target),
            None => write_atomic(&c.path, c.original.as_bytes(), c.fixed.as_bytes()),
        };
        let why = match written {
            Written::OutsideProject(target) => format!(
                "a symlink leads out of the project (to {}); not fixed",
                target.display()
            ),
            Written::Ok => {
                done.push(c);
                continue;
            }
            Written::ChangedOnDisk => {
                "changed on disk since it was read; not fixed (run faultline again)".to_string()
            }
            Written::Failed(e) => format!("could not write the fixed file: {e}"),
        };
        eprintln!("faultline: error: {path}: {why}");
        failed = true;
        if let Some(f) = files.iter_mut().find(|f| f.path == c.path) {
            f.lint.diagnostics.clear();
        }
    }
    if !done.is_empty() {
        eprintln!("Fixed {}.", Tally::of(done.into_iter()).describe());
    }
    failed
}

/// "3 findings can be fixed with `--fix` (1 more with `--unsafe-fixes`)." for the
/// findings left in `files`; `None` when there is nothing to say.
pub fn hint(files: &[FileReport], fixing: Option<&FixSettings>) -> Option<String> {
    let (mut safe, mut unsafe_) = (0, 0);
    for d in files.iter().flat_map(|f| &f.lint.diagnostics) {
        match d.fix.as_ref().map(|f| f.applicability) {
            Some(Applicability::Safe) => safe += 1,
            Some(Applicability::Unsafe) => unsafe_ += 1,
            _ => {}
        }
    }
    let unsafe_on = fixing.is_some_and(|s| s.unsafe_fixes);
    match fixing {
        // Anything still fixable after a fix run was rejected or deferred: warned above.
        Some(_) if unsafe_ > 0 && !unsafe_on => Some(format!(
            "{unsafe_} more {} can be fixed with `--fix --unsafe-fixes`; review the fix first.",
            if unsafe_ == 1 { "finding" } else { "findings" }
        )),
        Some(_) => None,
        None if safe > 0 => Some(format!(
            "{safe} {} can be fixed with `--fix`{}.",
            if safe == 1 { "finding" } else { "findings" },
            if unsafe_ > 0 {
                format!(" ({unsafe_} more with `--unsafe-fixes`)")
            } else {
                String::new()
            }
        )),
        None if unsafe_ > 0 => Some(format!(
            "{unsafe_} {} can be fixed with `--fix --unsafe-fixes`; review the fix first.",
            if unsafe_ == 1 { "finding" } else { "findings" }
        )),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_keeping_permissions() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.go");
        std::fs::write(&p, "old").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        assert_eq!(write_atomic(&p, b"old", b"new"), Written::Ok);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn does_not_write_a_file_changed_since_it_was_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.go");
        std::fs::write(&p, "edited meanwhile").unwrap();
        assert_eq!(write_atomic(&p, b"old", b"new"), Written::ChangedOnDisk);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "edited meanwhile");
        assert!(matches!(
            write_atomic(&d.path().join("gone.go"), b"old", b"new"),
            Written::Failed(_)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn writes_through_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.go");
        let link = d.path().join("link.go");
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(write_atomic(&link, b"old", b"new"), Written::Ok);
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }
}
