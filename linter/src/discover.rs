//! Which files to lint, grouped into packages (directories), and the go.mod that
//! governs each package.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rules::GoMod;

/// One directory: every `.go` file in it feeds the index; `lint` says which to report.
#[derive(Debug)]
pub struct PackageJob {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub lint: Vec<bool>,
    /// Total size in bytes of the files to lint whose trees are kept until linted
    /// (for the memory budget).
    pub lint_bytes: u64,
    /// Total size in bytes of the files to parse, lint or only index (for scheduling:
    /// what the package costs).
    pub parse_bytes: u64,
    pub gomod: Option<Arc<GoMod>>,
    /// Which settings apply (an index chosen by the caller; 0 by default).
    pub config: usize,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub packages: Vec<PackageJob>,
    /// Paths that could not be read (exit code 2).
    pub errors: Vec<String>,
    /// Things worth saying that do not change the exit code.
    pub warnings: Vec<String>,
}

/// Directories `go vet ./...` would not enter.
fn skipped_dir(name: &str) -> bool {
    name == "testdata" || name == "vendor" || name.starts_with('.') || name.starts_with('_')
}

fn is_go_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "go")
}

/// Strip `./` prefixes so paths print the way users typed them.
fn tidy(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        if c != std::path::Component::CurDir {
            out.push(c);
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// A file's size, and whether it is generated (read from its head): generated files'
/// trees are dropped right after indexing, and the big ones are not parsed at all.
fn size_and_generated(path: &Path) -> (u64, bool) {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return (0, false);
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = [0u8; 4096];
    let n = f.read(&mut head).unwrap_or(0);
    (len, crate::check::has_generated_header(&head[..n]))
}

/// Resolve the command-line paths into packages.
pub fn discover(args: &[PathBuf]) -> Discovery {
    let mut d = Discovery::default();
    let defaults = [PathBuf::from(".")];
    let args = if args.is_empty() { &defaults[..] } else { args };
    // dir -> files to lint
    let mut targets: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for arg in args {
        // `./...`, `dir/...`: Go's recursive pattern; directories recurse anyway.
        let s = arg.to_string_lossy();
        let arg = match s.strip_suffix("...") {
            Some(rest) => {
                let rest = rest.trim_end_matches('/');
                PathBuf::from(if rest.is_empty() { "." } else { rest })
            }
            None => arg.clone(),
        };
        let meta = match std::fs::metadata(&arg) {
            Ok(m) => m,
            Err(e) => {
                d.errors
                    .push(format!("{}: {}", arg.display(), io_reason(&e)));
                continue;
            }
        };
        if meta.is_file() {
            if !is_go_file(&arg) {
                d.warnings
                    .push(format!("{}: not a .go file; skipped", arg.display()));
                continue;
            }
            let file = tidy(&arg);
            let dir = file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            targets.entry(dir).or_default().insert(file);
        } else if meta.is_dir() {
            walk_dir(&tidy(&arg), &mut targets, &mut d);
        } else {
            d.warnings.push(format!(
                "{}: not a regular file or directory; skipped",
                arg.display()
            ));
        }
    }
    let mut gomods = GoModCache::default();
    for (dir, lint_set) in targets {
        let mut files: BTreeSet<PathBuf> = lint_set.clone();
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for e in entries.flatten() {
                    let p = e.path();
                    // Siblings feed the index; symlinks are not followed.
                    if is_go_file(&p) && e.file_type().is_ok_and(|t| t.is_file()) {
                        files.insert(tidy(&p));
                    }
                }
            }
            Err(e) => {
                d.errors
                    .push(format!("{}: {}", dir.display(), io_reason(&e)));
            }
        }
        let files: Vec<PathBuf> = files.into_iter().collect();
        let lint: Vec<bool> = files.iter().map(|f| lint_set.contains(f)).collect();
        let (mut lint_bytes, mut parse_bytes) = (0, 0);
        for (f, &l) in files.iter().zip(&lint) {
            let (len, generated) = size_and_generated(f);
            // Generated files' trees are not kept; big ones are not even parsed.
            if l && !generated {
                lint_bytes += len;
            }
            if !generated || len <= crate::check::GENERATED_SKIP_BYTES as u64 {
                parse_bytes += len;
            }
        }
        let gomod = gomods.nearest(&dir);
        d.packages.push(PackageJob {
            dir,
            files,
            lint,
            lint_bytes,
            parse_bytes,
            gomod,
            config: 0,
        });
    }
    d
}

fn walk_dir(root: &Path, targets: &mut BTreeMap<PathBuf, BTreeSet<PathBuf>>, d: &mut Discovery) {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false) // `skipped_dir` handles dot-directories; dot-files are not Go files
        .parents(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(true)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_some_and(|t| t.is_dir())
                || !e.file_name().to_str().is_some_and(skipped_dir)
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                let Some(ft) = e.file_type() else { continue };
                if ft.is_file() && is_go_file(e.path()) {
                    let p = tidy(e.path());
                    let dir = p
                        .parent()
                        .filter(|x| !x.as_os_str().is_empty())
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| PathBuf::from("."));
                    targets.entry(dir).or_default().insert(p);
                }
            }
            Err(e) => d.errors.push(walk_error(&e)),
        }
    }
}

fn walk_error(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { path, err } => format!("{}: {}", path.display(), err),
        ignore::Error::WithDepth { err, .. } => walk_error(err),
        ignore::Error::Loop { ancestor, child } => format!(
            "{}: symlink loop back to {}; not followed",
            child.display(),
            ancestor.display()
        ),
        ignore::Error::Io(io) => io_reason(io),
        other => other.to_string(),
    }
}

/// An I/O error as a short reason ("No such file or directory").
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Nearest go.mod above each directory, memoised.
#[derive(Default)]
struct GoModCache {
    by_dir: HashMap<PathBuf, Option<Arc<GoMod>>>,
}

impl GoModCache {
    fn nearest(&mut self, dir: &Path) -> Option<Arc<GoMod>> {
        let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut chain = Vec::new();
        let mut cur = Some(abs.as_path());
        let mut found = None;
        while let Some(d) = cur {
            if let Some(hit) = self.by_dir.get(d) {
                found = hit.clone();
                break;
            }
            chain.push(d.to_path_buf());
            if let Ok(text) = std::fs::read_to_string(d.join("go.mod")) {
                found = Some(Arc::new(GoMod::parse(&text)));
                break;
            }
            cur = d.parent();
        }
        for d in chain {
            self.by_dir.insert(d, found.clone());
        }
        found
    }
}
