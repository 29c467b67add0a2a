//! `--fix`, `--unsafe-fixes` and `--diff` end to end, and the quality bar of every fix
//! over every fixture: fixed files parse without new errors, stay gofmt-clean, no
//! longer report what was fixed, and a second `--fix` changes nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use predicates::prelude::*;

const LEAK: &str = "package p\n\nimport \"time\"\n\nfunc leak() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n";
const FIXED: &str = "package p\n\nimport \"time\"\n\nfunc leak() {\n\tt := time.NewTicker(time.Second)\n\tdefer t.Stop()\n\t<-t.C\n}\n";
const TICK: &str = "package p\n\nimport \"time\"\n\nfunc wait(ready func() bool) {\n\tfor range time.Tick(time.Second) {\n\t\tif ready() {\n\t\t\treturn\n\t\t}\n\t}\n}\n";

fn faultline() -> Command {
    let mut c = Command::cargo_bin("faultline").unwrap();
    c.env_remove("NO_COLOR").env_remove("CI_PROJECT_DIR");
    c
}

fn write(dir: &Path, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn fix_writes_safe_fixes_and_reports_what_is_left() {
    let d = tempfile::tempdir().unwrap();
    let a = write(d.path(), "p/a.go", LEAK);
    let b = write(d.path(), "p/b.go", TICK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--fix", "--format", "concise"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("p/b.go:6:17: warning[tick-leak]"))
        .stdout(predicate::str::contains("ticker-not-stopped").not())
        .stderr(predicate::str::contains("Fixed 1 finding in 1 file."))
        .stderr(predicate::str::contains(
            "1 more finding can be fixed with `--fix --unsafe-fixes`",
        ));
    assert_eq!(fs::read_to_string(&a).unwrap(), FIXED);
    assert_eq!(fs::read_to_string(&b).unwrap(), TICK);
    // Unsafe fixes on request; then nothing is left.
    faultline()
        .current_dir(d.path())
        .args(["check", "--fix", "--unsafe-fixes", "--format", "concise"])
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains(
            "Fixed 1 finding (1 with unsafe fixes) in 1 file.",
        ));
    assert!(fs::read_to_string(&b).unwrap().contains(
        "\tticker := time.NewTicker(time.Second)\n\tdefer ticker.Stop()\n\tfor range ticker.C {\n"
    ));
}

#[test]
fn diff_prints_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let a = write(d.path(), "p/a.go", LEAK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--diff"])
        .assert()
        .code(1)
        .stdout(
            "--- p/a.go\n+++ p/a.go\n@@ -4,5 +4,6 @@\n \n func leak() {\n \tt := time.NewTicker(time.Second)\n+\tdefer t.Stop()\n \t<-t.C\n }\n",
        )
        .stderr(predicate::str::contains("Would fix 1 finding in 1 file."));
    assert_eq!(fs::read_to_string(&a).unwrap(), LEAK);
    // Nothing to fix: exit 0, empty diff (findings without fixes are not its business).
    let c = tempfile::tempdir().unwrap();
    write(c.path(), "p/a.go", TICK);
    faultline()
        .current_dir(c.path())
        .args(["check", "--diff"])
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("No fixes to apply."));
    faultline()
        .current_dir(c.path())
        .args(["check", "--diff", "--unsafe-fixes"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("+\tfor range ticker.C {"));
}

#[test]
fn plain_check_tells_what_can_be_fixed() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    write(d.path(), "p/b.go", TICK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "1 finding can be fixed with `--fix` (1 more with `--unsafe-fixes`).",
        ));
}

#[test]
fn unsafe_fixes_alone_is_a_usage_error() {
    faultline()
        .args(["check", "--unsafe-fixes", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--unsafe-fixes only applies with --fix or --diff",
        ));
}

#[test]
fn invalid_utf8_files_are_never_written() {
    let d = tempfile::tempdir().unwrap();
    let mut bytes = LEAK.as_bytes().to_vec();
    bytes.extend_from_slice(b"// caf\xe9\n");
    let p = write(d.path(), "p/latin1.go", &bytes);
    faultline()
        .current_dir(d.path())
        .args(["check", "--fix", "--format", "concise"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ticker-not-stopped"))
        .stderr(predicate::str::contains(
            "p/latin1.go: not valid UTF-8; not fixed",
        ));
    assert_eq!(fs::read(&p).unwrap(), bytes);
}

#[cfg(unix)]
#[test]
fn fixed_files_keep_their_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "p/a.go", LEAK);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    faultline()
        .current_dir(d.path())
        .args(["check", "--fix"])
        .assert()
        .code(0);
    assert_eq!(fs::read_to_string(&p).unwrap(), FIXED);
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // Engine fixtures too, under a name discovery does not skip.
        let dest = to.join(name.trim_start_matches('_'));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn go_files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "go") {
                out.insert(p.clone(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// `(rule, message)` of every finding, from `--format json`.
fn findings(dir: &Path) -> Vec<(String, String)> {
    let out = faultline()
        .current_dir(dir)
        .args(["check", "--format", "json", "."])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut f: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["rule"].as_str().unwrap().to_string(),
                x["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    f.sort();
    f
}

fn gofmt_clean(text: &[u8]) -> Option<bool> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.go");
    fs::write(&p, String::from_utf8_lossy(text).replace("\r\n", "\n")).unwrap();
    let out = StdCommand::new("gofmt").arg("-l").arg(&p).output().ok()?;
    Some(out.status.success() && out.stdout.is_empty())
}

fn gofmt_available() -> bool {
    let ok = StdCommand::new("gofmt")
        .arg("-l")
        .arg("/dev/null")
        .output()
        .is_ok();
    assert!(
        ok || std::env::var_os("FAULTLINE_REQUIRE_GOFMT").is_none(),
        "FAULTLINE_REQUIRE_GOFMT is set but `gofmt` cannot be run"
    );
    if !ok {
        eprintln!("note: gofmt not found; skipping the gofmt check");
    }
    ok
}

/// The quality bar, over every fixture of every rule at once.
#[test]
fn fix_over_all_fixtures_meets_the_quality_bar() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("fx");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &root,
    );
    let before = go_files(&root);
    let found_before = findings(&root);

    // --diff writes nothing.
    let diff = faultline()
        .current_dir(&root)
        .args(["check", "--diff", "--unsafe-fixes", "."])
        .output()
        .unwrap();
    assert_eq!(
        diff.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    assert_eq!(go_files(&root), before, "--diff wrote files");

    let run = faultline()
        .current_dir(&root)
        .args(["check", "--fix", "--unsafe-fixes", "--format", "json", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(!stderr.contains("would add a syntax error"), "{stderr}");
    assert!(!stderr.contains("still pending"), "{stderr}");
    let fixed_count: usize = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Fixed "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no fix summary in:\n{stderr}"));
    let after = go_files(&root);
    let changed: Vec<&PathBuf> = after
        .iter()
        .filter(|(p, text)| before.get(*p) != Some(text))
        .map(|(p, _)| p)
        .collect();
    assert!(!changed.is_empty());

    let gofmt = gofmt_available();
    for p in &changed {
        let (old, new) = (&before[*p], &after[*p]);
        let old_src = rules::SourceFile::from_bytes(p.as_path(), old.clone()).unwrap();
        let new_src = rules::SourceFile::from_bytes(p.as_path(), new.clone()).unwrap();
        assert!(!new_src.lossy, "{}", p.display());
        assert!(
            new_src.syntax_errors().len() <= old_src.syntax_errors().len(),
            "{}: new syntax errors",
            p.display()
        );
        let crlf = old_src.text.contains("\r\n");
        assert!(
            !crlf || !new_src.text.replace("\r\n", "").contains('\n'),
            "{}: mixed line ends",
            p.display()
        );
        if gofmt && gofmt_clean(old) == Some(true) {
            assert_eq!(
                gofmt_clean(new),
                Some(true),
                "{}: not gofmt-clean after fixing:\n{}",
                p.display(),
                String::from_utf8_lossy(new)
            );
        }
    }

    // Re-linting: exactly the fixed findings are gone, and the report of the fix run
    // was the truth about the fixed files.
    let found_after = findings(&root);
    let reported: Vec<(String, String)> = {
        let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let mut f: Vec<(String, String)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["rule"].as_str().unwrap().to_string(),
                    x["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        f.sort();
        f
    };
    assert_eq!(reported, found_after);
    let mut gone = found_before.clone();
    for f in &found_after {
        let i = gone
            .iter()
            .position(|g| g == f)
            .unwrap_or_else(|| panic!("new finding after fixing: {f:?}"));
        gone.remove(i);
    }
    assert_eq!(gone.len(), fixed_count, "fixed: {gone:?}");

    // A second --fix changes nothing.
    let again = faultline()
        .current_dir(&root)
        .args(["check", "--fix", "--unsafe-fixes", "--format", "json", "."])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&again.stderr).contains("Fixed "));
    assert_eq!(go_files(&root), after, "a second --fix changed files");
}

/// Every file under `root` with its bytes and mode (symlinks as their target).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                let t = fs::read_link(&p).unwrap();
                out.insert(p, (t.as_os_str().as_encoded_bytes().to_vec(), 0));
            } else if ft.is_dir() {
                stack.push(p);
            } else {
                let mode = e.metadata().unwrap().permissions().mode();
                out.insert(p.clone(), (fs::read(&p).unwrap(), mode));
            }
        }
    }
    out
}

/// A project: `.git` anchors the project root at the temporary directory.
fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join(".git")).unwrap();
    d
}

#[test]
fn fix_writes_only_the_linted_paths() {
    let d = project();
    let a = write(d.path(), "p/a.go", LEAK);
    write(d.path(), "p/sibling.go", LEAK.replace("leak()", "leak2()"));
    write(d.path(), "q/b.go", LEAK);
    write(d.path(), "testdata/c.go", LEAK);
    let before = snapshot(d.path());
    faultline()
        .current_dir(d.path())
        .args(["check", "--fix", "--format", "concise", "p/a.go"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("Fixed 1 finding in 1 file."));
    let mut after = snapshot(d.path());
    assert_eq!(after.remove(&a).unwrap().0, FIXED.as_bytes());
    let mut before = before;
    before.remove(&a);
    // The package sibling, the other package and testdata are untouched; no
    // temporary file is left anywhere.
    assert_eq!(before, after);
}

#[cfg(unix)]
#[test]
fn fix_never_follows_a_symlink_out_of_the_project() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "ext/evil.go", LEAK);
    let d = project();
    write(d.path(), "p/own.go", LEAK.replace("leak()", "own()"));
    std::os::unix::fs::symlink(
        outside.path().join("ext/evil.go"),
        d.path().join("p/link.go"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("ext"), d.path().join("extdir")).unwrap();
    let outside_before = snapshot(outside.path());
    // Walking: links are not followed at all; the project's own file is fixed.
    faultline()
        .current_dir(d.path())
        .args(["check", "--fix", "--format", "concise"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("Fixed 1 finding in 1 file."));
    assert_eq!(snapshot(outside.path()), outside_before);
    // Named explicitly, file link and directory link: linted, but not written.
    for arg in ["p/link.go", "extdir", "extdir/evil.go"] {
        let o = faultline()
            .current_dir(d.path())
            .args(["check", "--fix", "--format", "concise", arg])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{arg}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("a symlink leads out of the project") && err.contains("; not fixed"),
            "{arg}: {err}"
        );
        assert_eq!(snapshot(outside.path()), outside_before, "{arg}");
    }
    // A link inside the project is followed: the file it points at is fixed.
    let d = project();
    let real = write(d.path(), "p/real.go", LEAK);
    std::os::unix::fs::symlink("real.go", d.path().join("p/alias.go")).unwrap();
    faultline()
        .current_dir(d.path())
        .args(["check", "--fix", "p/alias.go"])
        .assert()
        .code(0);
    assert_eq!(fs::read_to_string(&real).unwrap(), FIXED);
    assert!(
        fs::symlink_metadata(d.path().join("p/alias.go"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// `--fix` could not write `p/a.go` under `dir`: exit 2, one error line naming it, the
/// original intact, no temporary file left.
fn write_failed_cleanly(dir: &Path, file: &Path, original: &str, o: std::process::Output) {
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("faultline: error: p/a.go: could not write the fixed file: "),
        "{err}"
    );
    assert_eq!(fs::read_to_string(file).unwrap(), original);
    assert_eq!(
        fs::read_dir(dir.join("p")).unwrap().count(),
        1,
        "temporary file left"
    );
}

/// Writing fails (a read-only directory, or a full disk simulated with a file-size
/// limit, which binds root too): the original is intact, no temporary file is left,
/// one error names the file and the exit code is 2.
#[cfg(unix)]
#[test]
fn failed_write_leaves_the_original_intact() {
    use std::os::unix::fs::PermissionsExt;
    // Big enough that the fixed text cannot be written under a 1 KiB size limit.
    let big = format!("{LEAK}\n// {}\n", "x".repeat(4096));
    let check = |d: &Path, p: &Path, o| write_failed_cleanly(d, p, &big, o);
    // Full disk: `ulimit -f 1` with SIGXFSZ ignored makes writes past 1 KiB fail.
    let d = project();
    let p = write(d.path(), "p/a.go", &big);
    let bin = env!("CARGO_BIN_EXE_faultline");
    let o = StdCommand::new("sh")
        .current_dir(d.path())
        .env_remove("CI_PROJECT_DIR")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f 1 && exec \"$0\" check --fix --format concise",
        ])
        .arg(bin)
        .output()
        .unwrap();
    check(d.path(), &p, o);
    // Read-only directory (root writes anyway: skipped then).
    let d = project();
    let p = write(d.path(), "p/a.go", &big);
    let dir = d.path().join("p");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    let root_can_write = fs::write(dir.join("probe"), "").is_ok();
    if root_can_write {
        fs::remove_file(dir.join("probe")).unwrap();
        eprintln!("running as root: the read-only directory case is skipped");
    } else {
        let o = faultline()
            .current_dir(d.path())
            .args(["check", "--fix", "--format", "concise"])
            .output()
            .unwrap();
        check(d.path(), &p, o);
    }
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A real full disk and a real read-only file system: a tiny tmpfs (needs the right
/// to mount, as root in CI; skipped with a message elsewhere, where the simulated
/// cases above still run). Root cannot write through either.
#[cfg(target_os = "linux")]
#[test]
fn full_and_read_only_filesystems_leave_the_original_intact() {
    struct Mount(PathBuf);
    impl Drop for Mount {
        fn drop(&mut self) {
            let _ = StdCommand::new("umount").arg(&self.0).status();
        }
    }
    let base = tempfile::tempdir().unwrap();
    let mnt = base.path().join("disk");
    fs::create_dir(&mnt).unwrap();
    let mounted = StdCommand::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mnt)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("cannot mount a tmpfs here: the real full-disk case is skipped");
        return;
    }
    let _guard = Mount(mnt.clone());
    // 40 KiB: the file fits, its fixed copy (written beside it first) does not.
    let big = format!("{LEAK}\n// {}\n", "x".repeat(40 * 1024));
    fs::create_dir(mnt.join(".git")).unwrap();
    let p = write(&mnt, "p/a.go", &big);
    let check = |o| write_failed_cleanly(&mnt, &p, &big, o);
    let fix = || {
        faultline()
            .current_dir(&mnt)
            .args(["check", "--fix", "--format", "concise"])
            .output()
            .unwrap()
    };
    let o = fix();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("No space left on device"),
        "{o:?}"
    );
    check(o);
    // The same disk, remounted read-only.
    let ro = StdCommand::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&mnt)
        .status()
        .unwrap();
    assert!(ro.success());
    let o = fix();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Read-only file system"),
        "{o:?}"
    );
    check(o);
}
