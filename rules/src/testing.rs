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
                if let Some(fix) = &d.fix {
                    let _ = writeln!(rendered, "    fix ({:?}): {}", fix.applicability, fix.title);
                }
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
    check_fixes(meta, &root);
}

/// The fix contract of a rule over its fixtures: `FixAvailability::None` rules offer no
/// fix (display-only suggestions aside) and `Always` rules always do; applying every
/// fix (safe and unsafe) until fixed point adds no syntax error, keeps gofmt-clean
/// files gofmt-clean and line ends as they were, removes exactly the fixed findings,
/// and a second run changes nothing.
/// The fixed sources are snapshotted as `<rule-id>.fixed`.
pub fn check_fixes(meta: &'static RuleMeta, root: &Path) {
    use crate::engine::{FixAvailability, FixSettings};
    let engine = Engine::new(Settings::for_rule(meta.id));
    let settings = FixSettings {
        unsafe_fixes: true,
        ..FixSettings::default()
    };
    let mut failures = String::new();
    let mut rendered = String::new();
    let mut gofmt_check: Vec<(String, String)> = Vec::new();
    let mut fixes_offered = 0;
    for dir in package_dirs(root) {
        let files = load_package(&dir);
        let refs: Vec<&SourceFile> = files.iter().collect();
        let gomod = nearest_gomod(&dir, root);
        let before = crate::lint_sources(&engine, &refs, gomod.clone(), |_| true);
        for (i, lint) in &before {
            let rel = files[*i]
                .path
                .strip_prefix(root)
                .unwrap_or(&files[*i].path)
                .display()
                .to_string();
            for d in &lint.diagnostics {
                match (meta.fix, &d.fix) {
                    // A display-only suggestion (the shape of a fix, never applied)
                    // is help, not a fix: `fix: None` rules may show one.
                    (FixAvailability::None, Some(f))
                        if f.applicability != crate::engine::Applicability::DisplayOnly =>
                    {
                        let _ = writeln!(
                            failures,
                            "{rel}:{}: fix offered by a rule declared `fix: None`",
                            d.start.line + 1
                        );
                    }
                    (FixAvailability::Always, None) => {
                        let _ = writeln!(
                            failures,
                            "{rel}:{}: no fix from a rule declared `fix: Always`",
                            d.start.line + 1
                        );
                    }
                    _ => {}
                }
                fixes_offered += usize::from(d.fix.is_some());
            }
        }
        if meta.fix == FixAvailability::None {
            continue;
        }
        let package: Vec<crate::PackageFile> = refs
            .iter()
            .map(|f| crate::PackageFile {
                summary: Arc::new(crate::index::FileSummary::extract(f)),
                source: Some(*f),
            })
            .collect();
        let fixed = crate::engine::fix_package(&engine, &package, gomod.clone(), &settings);
        let mut second_round: Vec<SourceFile> = Vec::new();
        for (i, result) in &fixed {
            let original = &files[*i];
            let rel = original
                .path
                .strip_prefix(root)
                .unwrap_or(&original.path)
                .display()
                .to_string();
            let Some(new) = &result.fixed else {
                second_round.push(
                    SourceFile::from_string(original.path.to_path_buf(), original.text.clone())
                        .unwrap(),
                );
                continue;
            };
            if result.unconverged {
                let _ = writeln!(failures, "{rel}: fixes did not converge");
            }
            for r in &result.rejected {
                let _ = writeln!(
                    failures,
                    "{rel}: fix `{}` would add a syntax error",
                    r.title
                );
            }
            if new.syntax_errors().len() > original.syntax_errors().len() {
                let _ = writeln!(failures, "{rel}: the fixed file has new syntax errors");
            }
            let crlf = original.text.contains("\r\n");
            let bare_lf = new.text.replace("\r\n", "").contains('\n');
            if crlf && bare_lf {
                let _ = writeln!(failures, "{rel}: a CRLF file got LF line ends");
            }
            // Exactly the fixed findings are gone.
            let mut expect: Vec<(&str, &str)> = before
                .iter()
                .find(|(j, _)| j == i)
                .map(|(_, l)| {
                    l.diagnostics
                        .iter()
                        .map(|d| (d.rule, d.message.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            for r in &result.applied {
                match expect
                    .iter()
                    .position(|(rule, m)| *rule == r.rule && *m == r.message)
                {
                    Some(p) => {
                        expect.remove(p);
                    }
                    None => {
                        let _ = writeln!(
                            failures,
                            "{rel}: applied a fix for an unknown finding: {}",
                            r.message
                        );
                    }
                }
            }
            let mut after: Vec<(&str, &str)> = result
                .lint
                .diagnostics
                .iter()
                .map(|d| (d.rule, d.message.as_str()))
                .collect();
            expect.sort();
            after.sort();
            if expect != after {
                let _ = writeln!(
                    failures,
                    "{rel}: after fixing, expected findings {expect:?}\n  got {after:?}"
                );
            }
            let _ = writeln!(rendered, "=== {rel}{}", if crlf { " (CRLF)" } else { "" });
            for r in &result.applied {
                let _ = writeln!(rendered, "--- applied ({:?}): {}", r.applicability, r.title);
            }
            rendered.push_str(&new.text.replace("\r\n", "\n"));
            rendered.push('\n');
            if crate::testing::gofmt::available_quiet() && gofmt::is_clean(&original.text) {
                gofmt_check.push((rel.clone(), new.text.clone()));
            }
            second_round
                .push(SourceFile::from_string(new.path.to_path_buf(), new.text.clone()).unwrap());
        }
        // A second run changes nothing.
        let refs2: Vec<&SourceFile> = second_round.iter().collect();
        let package: Vec<crate::PackageFile> = refs2
            .iter()
            .map(|f| crate::PackageFile {
                summary: Arc::new(crate::index::FileSummary::extract(f)),
                source: Some(*f),
            })
            .collect();
        for (i, result) in crate::engine::fix_package(&engine, &package, gomod, &settings) {
            if result.fixed.is_some() {
                let _ = writeln!(
                    failures,
                    "{}: a second fix run changed it again",
                    refs2[i].path.display()
                );
            }
        }
    }
    if !gofmt_check.is_empty() && gofmt::available() {
        for name in gofmt::unclean(&gofmt_check) {
            let text = gofmt_check
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.as_str());
            let _ = writeln!(
                failures,
                "{name}: the fixed file is not gofmt-clean:\n{}",
                text.map(gofmt::first_difference).unwrap_or_default()
            );
        }
    }
    assert!(failures.is_empty(), "fixes of `{}`:\n{failures}", meta.id);
    if meta.fix == FixAvailability::None {
        return;
    }
    assert!(
        fixes_offered > 0,
        "`{}` declares fixes but no fixture gets one",
        meta.id
    );
    insta::with_settings!({
        snapshot_path => root.join("snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(format!("{}.fixed", meta.id), rendered);
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

/// gofmt, when installed: the quality bar says every fixed file stays gofmt-clean.
/// Set `FAULTLINE_REQUIRE_GOFMT=1` (CI does) to fail instead of skipping without it.
pub mod gofmt {
    use std::path::Path;
    use std::process::Command;

    /// Whether `gofmt` can be run, without a note.
    pub fn available_quiet() -> bool {
        Command::new("gofmt")
            .arg("-l")
            .arg("/dev/null")
            .output()
            .is_ok()
    }

    /// Whether gofmt leaves `text` as it is (CRLF read as LF). `false` without gofmt.
    pub fn is_clean(text: &str) -> bool {
        let Ok(dir) = tempfile::tempdir() else {
            return false;
        };
        let lf = text.replace("\r\n", "\n");
        format(dir.path(), &lf).is_ok_and(|out| out == lf)
    }

    /// Where gofmt's output for `text` first differs from it, with a little context.
    pub fn first_difference(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let lf = text.replace("\r\n", "\n");
        let formatted = match format(dir.path(), &lf) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let (a, b): (Vec<&str>, Vec<&str>) = (lf.lines().collect(), formatted.lines().collect());
        let i = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        let from = i.saturating_sub(3);
        format!(
            "  as written (line {}):\n{}\n  gofmt:\n{}",
            i + 1,
            a[from..(i + 3).min(a.len())].join("\n"),
            b[from..(i + 3).min(b.len())].join("\n")
        )
    }

    /// Whether `gofmt` can be run; panics when it is required but missing.
    pub fn available() -> bool {
        let ok = Command::new("gofmt")
            .arg("-l")
            .arg("/dev/null")
            .output()
            .is_ok();
        if !ok {
            assert!(
                std::env::var_os("FAULTLINE_REQUIRE_GOFMT").is_none(),
                "FAULTLINE_REQUIRE_GOFMT is set but `gofmt` cannot be run"
            );
            eprintln!("note: gofmt not found; skipping the gofmt check");
        }
        ok
    }

    /// gofmt's output for `text` (CRLF line ends read as LF, as gofmt writes them).
    pub fn format(dir: &Path, text: &str) -> Result<String, String> {
        let path = dir.join("f.go");
        std::fs::write(&path, text.replace("\r\n", "\n")).unwrap();
        let out = Command::new("gofmt").arg(&path).output().unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// The names of `files` that gofmt would change (CRLF read as LF). One gofmt run.
    pub fn unclean(files: &[(String, String)]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        for (i, (_, text)) in files.iter().enumerate() {
            std::fs::write(
                dir.path().join(format!("f{i}.go")),
                text.replace("\r\n", "\n"),
            )
            .unwrap();
        }
        let out = Command::new("gofmt")
            .arg("-l")
            .arg(dir.path())
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut bad = Vec::new();
        for line in listed.lines() {
            let stem = Path::new(line)
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.strip_prefix('f'))
                .and_then(|s| s.parse::<usize>().ok());
            if let Some(i) = stem {
                bad.push(files[i].0.clone());
            }
        }
        if !out.status.success() {
            bad.push(format!(
                "gofmt failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        bad
    }
}
