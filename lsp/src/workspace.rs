//! The packages on disk behind the open documents: for each directory, the index
//! summary of every `.go` file (cached by modification time and size, re-extracted only
//! when a file changed), and the nearest `go.mod`.
//!
//! Disk state is re-checked at most every [`RECHECK`] (and at once after a watched-file
//! event or a save), so a keystroke costs no `stat` of the siblings.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rules::index::FileSummary;
use rules::{GoMod, SourceFile};

/// How long a directory listing or go.mod lookup is trusted without a watcher event.
pub const RECHECK: Duration = Duration::from_secs(2);

/// Largest sibling file read for the index (the CLI's limit would be far too slow here).
const MAX_SIBLING_BYTES: u64 = 8 * 1024 * 1024;

type Stamp = (Option<SystemTime>, u64);

struct DiskFile {
    stamp: Stamp,
    /// `None`: unreadable or not parseable; it contributes nothing.
    summary: Option<Arc<FileSummary>>,
}

struct PackageDir {
    files: BTreeMap<PathBuf, DiskFile>,
    checked: Option<Instant>,
}

struct GoModEntry {
    /// The go.mod found (its path and stamp), if any.
    found: Option<(PathBuf, Stamp, Arc<GoMod>)>,
    checked: Instant,
}

#[derive(Default)]
pub struct Workspace {
    dirs: HashMap<PathBuf, PackageDir>,
    gomods: HashMap<PathBuf, GoModEntry>,
}

fn stamp(meta: &std::fs::Metadata) -> Stamp {
    (meta.modified().ok(), meta.len())
}

fn is_go_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "go")
}

impl Workspace {
    /// Summaries of the `.go` files of `dir` that are not in `skip` (the open buffers,
    /// which the caller overlays), in file-name order.
    pub fn disk_summaries(
        &mut self,
        dir: &Path,
        skip: &dyn Fn(&Path) -> bool,
    ) -> Vec<Arc<FileSummary>> {
        let pkg = self
            .dirs
            .entry(dir.to_path_buf())
            .or_insert_with(|| PackageDir {
                files: BTreeMap::new(),
                checked: None,
            });
        if pkg.checked.is_none_or(|t| t.elapsed() > RECHECK) {
            refresh(dir, pkg);
        }
        pkg.files
            .iter()
            .filter(|(p, _)| !skip(p))
            .filter_map(|(_, f)| f.summary.clone())
            .collect()
    }

    /// The nearest go.mod at or above `dir`.
    pub fn gomod(&mut self, dir: &Path) -> Option<Arc<GoMod>> {
        let fresh = self.gomods.get(dir).is_some_and(|e| {
            e.checked.elapsed() <= RECHECK
                || match &e.found {
                    // Still there and unchanged: no need to walk up again.
                    Some((path, st, _)) => std::fs::metadata(path).is_ok_and(|m| stamp(&m) == *st),
                    None => false,
                }
        });
        if !fresh {
            let found = find_gomod(dir);
            self.gomods.insert(
                dir.to_path_buf(),
                GoModEntry {
                    found,
                    checked: Instant::now(),
                },
            );
        }
        self.gomods
            .get(dir)
            .and_then(|e| e.found.as_ref().map(|(_, _, m)| m.clone()))
    }

    /// A file changed on disk (watcher event, save): re-check what depends on it.
    pub fn invalidate(&mut self, path: &Path) {
        if path.file_name().is_some_and(|n| n == "go.mod") {
            self.gomods.clear();
        } else if let Some(dir) = path.parent()
            && let Some(pkg) = self.dirs.get_mut(dir)
        {
            pkg.checked = None;
        }
    }

    /// Forget everything (configuration reload).
    pub fn invalidate_all(&mut self) {
        for pkg in self.dirs.values_mut() {
            pkg.checked = None;
        }
        self.gomods.clear();
    }

    /// Drop directories no open document uses any more (bounded memory).
    pub fn retain_dirs(&mut self, keep: &dyn Fn(&Path) -> bool) {
        self.dirs.retain(|d, _| keep(d));
        self.gomods.retain(|d, _| keep(d));
    }
}

/// Re-list a directory; re-read only files whose stamp changed.
fn refresh(dir: &Path, pkg: &mut PackageDir) {
    let mut seen: BTreeMap<PathBuf, DiskFile> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if !is_go_file(&p) || !e.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            let st = stamp(&meta);
            let entry = match pkg.files.remove(&p) {
                Some(old) if old.stamp == st => old,
                _ => DiskFile {
                    stamp: st,
                    summary: summarise(&p, meta.len()),
                },
            };
            seen.insert(p, entry);
        }
    }
    pkg.files = seen;
    pkg.checked = Some(Instant::now());
}

fn summarise(path: &Path, len: u64) -> Option<Arc<FileSummary>> {
    if len > MAX_SIBLING_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let file = SourceFile::from_bytes_with_limits(
        path,
        bytes,
        MAX_SIBLING_BYTES as usize,
        crate::document::PARSE_TIMEOUT,
    )
    .ok()?;
    Some(Arc::new(FileSummary::extract(&file)))
}

fn find_gomod(dir: &Path) -> Option<(PathBuf, Stamp, Arc<GoMod>)> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        let path = d.join("go.mod");
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.is_file()
        {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            return Some((path, stamp(&meta), Arc::new(GoMod::parse(&text))));
        }
        cur = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_cached_and_gomod_is_found_upward() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(root.join("go.mod"), "module m\n\ngo 1.21\n").unwrap();
        let pkg = root.join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(pkg.join("a.go"), "package pkg\nfunc A() {}\n").unwrap();
        std::fs::write(pkg.join("b.go"), "package pkg\nfunc B() {}\n").unwrap();
        std::fs::write(pkg.join("notes.txt"), "not go").unwrap();

        let mut ws = Workspace::default();
        let skip_b = |p: &Path| p.ends_with("b.go");
        let got = ws.disk_summaries(&pkg, &skip_b);
        assert_eq!(got.len(), 1);
        assert!(got[0].path.ends_with("a.go"));
        let again = ws.disk_summaries(&pkg, &skip_b);
        assert!(
            Arc::ptr_eq(&got[0], &again[0]),
            "unchanged files are not re-read"
        );

        let m = ws.gomod(&pkg).unwrap();
        assert_eq!(m.go, Some(rules::GoVersion::new(1, 21)));

        std::fs::write(root.join("go.mod"), "module m\n\ngo 1.23\n").unwrap();
        ws.invalidate(&root.join("go.mod"));
        assert_eq!(
            ws.gomod(&pkg).unwrap().go,
            Some(rules::GoVersion::new(1, 23))
        );

        std::fs::write(pkg.join("c.go"), "package pkg\nfunc C() {}\n").unwrap();
        ws.invalidate(&pkg.join("c.go"));
        assert_eq!(ws.disk_summaries(&pkg, &skip_b).len(), 2);
    }
}
