//! The fixture harness: lint every package under `fixtures/<rule-id>/` with only that
//! rule and compare with the `// want "rule-id"` markers written in the files.
//!
//! Marker grammar (as Go's analysistest, extended the way ruff's mdtest is):
//! - `// want "rule-id"` after code: exactly one diagnostic of that rule starts on this line;
//! - `// want "a" "b"`: several;
//! - `// want "rule-id: substring"`: and its message contains `substring`;
//! - a `// want ...` comment on a line of its own applies to the next code line.

use crate::syntax::NodeExt;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::{Engine, RuleMeta, Settings};
use crate::gomod::GoMod;
use crate::source::SourceFile;
use crate::syntax::{self, Walk};

/// The repository's `fixtures/` directory.
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// One expected finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Want {
    pub line: u32,
    pub rule: String,
    pub substring: Option<String>,
}

/// Read the `// want` markers of a parsed file.
pub fn wants(file: &SourceFile) -> Vec<Want> {
    let mut out = Vec::new();
    syntax::walk(file.root(), |n| {
        if n.kind_str() != "comment" {
            return Walk::Continue;
        }
        let text = file.text_of(n);
        // `// want ...`, or a marker after another comment: `//nolint:x // want "..."`.
        let rest = match text.strip_prefix("//").map(str::trim_start) {
            Some(r) if r.starts_with("want ") => &r[5..],
            _ => match text.rfind("// want ") {
                Some(i) if i > 0 => &text[i + 8..],
                _ => return Walk::Continue,
            },
        };
        let line = file.lines.line_of(n.start_byte());
        let line_start = file.lines.line_start(line);
        let standalone = file.text[line_start..n.start_byte()].trim().is_empty();
        let mut target = line;
        if standalone {
            target += 1;
            while target < file.lines.line_count() {
                let t = file.text[file.lines.line_range(&file.text, target)].trim();
                if !t.starts_with("//") {
                    break;
                }
                target += 1;
            }
        }
        for quoted in rest.split('"').skip(1).step_by(2) {
            let (rule, substring) = match quoted.split_once(": ") {
                Some((r, s)) => (r.to_string(), Some(s.to_string())),
                None => (quoted.to_string(), None),
            };
            out.push(Want {
                line: target as u32,
                rule,
                substring,
            });
        }
        Walk::Continue
    });
    out
}

/// Every directory under `root` that holds `.go` files (a package), sorted.
pub fn package_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut has_go = false;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "snapshots") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "go") {
                has_go = true;
            }
        }
        if has_go {
            out.push(dir);
        }
    }
    out.sort();
    out
}

/// Parse every `.go` file of a fixture package.
pub fn load_package(dir: &Path) -> Vec<SourceFile> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "go"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            SourceFile::from_bytes(p, bytes).unwrap()
        })
        .collect()
}

/// The nearest `go.mod` from `dir` up to (and including) `stop`.
pub fn nearest_gomod(dir: &Path, stop: &Path) -> Option<Arc<GoMod>> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if let Ok(text) = std::fs::read_to_string(d.join("go.mod")) {
            return Some(Arc::new(GoMod::parse(&text)));
        }
        if d == stop {
            break;
        }
        cur = d.parent();
    }
    None
}

/// Lint `fixtures/<rule-id>/` with only that rule; compare with the markers; check that
/// every finding starts at one of `anchors`; snapshot the rendered findings.
pub fn check_fixtures(meta: &'static RuleMeta, anchors: &[&str]) {
    let root = fixtures_root().join(meta.id);
    assert!(
        root.is_dir(),
        "missing fixture folder {} for rule `{}`",
        root.display(),
        meta.id
    );
    let engine = Engine::new(Settings::for_rule(meta.id));
    let mut failures = String::new();
    let mut rendered = String::new();
    let mut positives = 0;
    let mut negative_files = 0;
    for dir in package_dirs(&root) {
        let files = load_package(&dir);
        let refs: Vec<&SourceFile> = files.iter().collect();
        let gomod = nearest_gomod(&dir, &root);
        let results = crate::lint_sources(&engine, &refs, gomod, |_| true);
        for (i, lint) in results {
            let file = &files[i];
            let rel = file
                .path
                .strip_prefix(&root)
                .unwrap_or(&file.path)
                .display()
                .to_string();
            for e in &lint.internal_errors {
                let _ = writeln!(failures, "{rel}: {e}");
            }
            let mut want: BTreeMap<u32, Vec<Want>> = BTreeMap::new();
            for w in wants(file).into_iter().filter(|w| w.rule == meta.id) {
                want.entry(w.line).or_default().push(w);
            }
            positives += want.values().map(Vec::len).sum::<usize>();
            if want.is_empty() {
                negative_files += 1;
            }
            for d in &lint.diagnostics {
                let anchor = &file.text[d.range.clone()];
                let _ = writeln!(
                    rendered,
                    "{rel}:{}:{}: {}[{}] {}\n    anchor: `{}`\n    help: {}",
                    d.start.line + 1,
                    d.start.col_utf8 + 1,
                    d.severity,
                    d.rule,
                    d.message,
                    anchor.lines().next().unwrap_or(""),
                    d.help.as_deref().unwrap_or("-"),
                );
                if !anchors.iter().any(|a| anchor.starts_with(a)) {
                    let _ = writeln!(
                        failures,
                        "{rel}:{}: anchored at `{anchor}`, expected one of {anchors:?}",
                        d.start.line + 1
                    );
                }
                let slot = want.entry(d.start.line).or_default();
                match slot.iter().position(|w| {
                    w.substring
                        .as_ref()
                        .is_none_or(|s| d.message.contains(s.as_str()))
                }) {
                    Some(p) => {
                        slot.remove(p);
                    }
                    None => {
                        let _ = writeln!(
                            failures,
                            "{rel}:{}: unexpected {}: {}",
                            d.start.line + 1,
                            d.rule,
                            d.message
                        );
                    }
                }
            }
            for (line, ws) in want {
                for w in ws {
                    let _ = writeln!(
                        failures,
                        "{rel}:{}: missing {}{}",
                        line + 1,
                        w.rule,
                        w.substring
                            .map(|s| format!(" (containing {s:?})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures of `{}` do not match their `// want` markers:\n{failures}",
        meta.id
    );
    assert!(
        positives > 0,
        "`{}` has no positive fixture (`// want`)",
        meta.id
    );
    assert!(
        negative_files > 0,
        "`{}` has no negative fixture (a file with no `// want`)",
        meta.id
    );
    insta::with_settings!({
        snapshot_path => root.join("snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(meta.id, rendered);
    });
}

/// Lint a fixture directory with `settings` and compare with every `// want` marker
/// (all rules). Returns the failures, empty when everything matched.
pub fn check_dir(dir: &Path, settings: Settings) -> String {
    let engine = Engine::new(settings);
    let mut failures = String::new();
    for pkg in package_dirs(dir) {
        let files = load_package(&pkg);
        let refs: Vec<&SourceFile> = files.iter().collect();
        for (i, lint) in crate::lint_sources(&engine, &refs, nearest_gomod(&pkg, dir), |_| true) {
            let file = &files[i];
            let rel = file
                .path
                .strip_prefix(dir)
                .unwrap_or(&file.path)
                .display()
                .to_string();
            let mut want: Vec<(u32, String)> =
                wants(file).into_iter().map(|w| (w.line, w.rule)).collect();
            for d in &lint.diagnostics {
                match want
                    .iter()
                    .position(|(l, r)| *l == d.start.line && r == d.rule)
                {
                    Some(p) => {
                        want.remove(p);
                    }
                    None => {
                        let _ = writeln!(
                            failures,
                            "{rel}:{}: unexpected {}",
                            d.start.line + 1,
                            d.rule
                        );
                    }
                }
            }
            for (l, r) in want {
                let _ = writeln!(failures, "{rel}:{}: missing {r}", l + 1);
            }
        }
    }
    failures
}
