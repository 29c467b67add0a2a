//! End-to-end tests of the `faultline` binary: exit codes, bad input, output formats.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

const LEAK: &str = "package p\n\nimport \"time\"\n\nfunc leak() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n";
const CLEAN: &str = "package p\n\nfunc ok() {}\n";

fn faultline() -> Command {
    let mut c = Command::cargo_bin("faultline").unwrap();
    c.env_remove("NO_COLOR").env_remove("CI_PROJECT_DIR");
    c
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn write(dir: &Path, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn clean_code_exits_zero() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", CLEAN);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("No findings in 1 file."));
}

#[test]
fn findings_exit_one_and_exit_zero_overrides() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise", "."])
        .assert()
        .code(1)
        .stdout("p/a.go:6:12: error[ticker-not-stopped] ticker `t` is never stopped: before Go 1.23 an unstopped Ticker is never garbage-collected and fires for the life of the process\n");
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise", "--exit-zero"])
        .assert()
        .code(0);
}

#[test]
fn go_style_recursive_pattern_is_accepted() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "svc/deep/a.go", LEAK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise", "./..."])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("svc/deep/a.go:6:12:"));
}

#[test]
fn missing_path_is_an_error_but_other_paths_are_still_linted() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise", "nope", "p"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("p/a.go:6:12"))
        .stderr(predicate::str::contains("nope: No such file or directory"));
}

#[test]
fn unreadable_file_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    let locked = write(d.path(), "p/locked.go", CLEAN);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&locked).is_ok() {
        // Running as root: permissions do not stop us. A dangling symlink given on the
        // command line is the unreadable file then.
        fs::remove_file(&locked).unwrap();
        std::os::unix::fs::symlink(d.path().join("gone.go"), &locked).unwrap();
        faultline()
            .current_dir(d.path())
            .args(["check", "--format", "concise", "p/a.go", "p/locked.go"])
            .assert()
            .code(2)
            .stdout(predicate::str::contains("p/a.go:6:12"))
            .stderr(predicate::str::contains(
                "p/locked.go: No such file or directory",
            ));
        return;
    }
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise", "p"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("p/a.go:6:12"))
        .stderr(predicate::str::contains("p/locked.go: Permission denied"));
}

#[test]
fn invalid_utf8_is_linted_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let mut bytes = b"package p\n\nimport \"time\"\n\n// caf\xe9\nfunc leak() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n".to_vec();
    bytes.push(b'\n');
    write(d.path(), "p/latin1.go", bytes);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "p/latin1.go:7:12: error[ticker-not-stopped]",
        ))
        .stderr(predicate::str::contains("p/latin1.go: not valid UTF-8"));
}

#[test]
fn syntax_errors_warn_and_the_rest_is_linted() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "p/broken.go",
        format!("{LEAK}\nfunc broken( {{\n\tx := := 1\n}}\n"),
    );
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "p/broken.go:6:12: error[ticker-not-stopped]",
        ))
        .stderr(predicate::str::contains("p/broken.go:10:"))
        .stderr(predicate::str::contains(
            "syntax error; the rest of the file was linted",
        ));
}

/// A package where no rule can report (it spells none of their names) is only parsed:
/// its syntax errors and invalid bytes are still reported, its generated files not.
#[test]
fn a_package_no_rule_can_report_in_still_gets_its_syntax_errors() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "q/broken.go",
        "package q\n\nfunc f() {\n\tx := \n}\n",
    );
    write(
        d.path(),
        "q/latin1.go",
        b"package q\n\n// caf\xe9\nfunc g() {}\n",
    );
    write(
        d.path(),
        "q/gen.go",
        "// Code generated by hand. DO NOT EDIT.\n\npackage q\n\nfunc h( {\n",
    );
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "q/broken.go:4:6: syntax error; the rest of the file was linted",
        ))
        .stderr(predicate::str::contains("q/latin1.go: not valid UTF-8"))
        .stderr(predicate::str::contains("gen.go").not())
        .stderr(predicate::str::contains("3 files"));
}

#[test]
fn binary_data_named_go_is_skipped_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/blob.go", [0u8, 159, 146, 150, 0, 1, 2, 255]);
    write(d.path(), "p/a.go", CLEAN);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("p/blob.go: binary data"));
}

#[test]
fn symlink_loops_do_not_hang_and_are_not_followed() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    std::os::unix::fs::symlink(d.path(), d.path().join("p/loop")).unwrap();
    std::os::unix::fs::symlink(d.path().join("p"), d.path().join("p/again")).unwrap();
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .stdout("p/a.go:6:12: error[ticker-not-stopped] ticker `t` is never stopped: before Go 1.23 an unstopped Ticker is never garbage-collected and fires for the life of the process\n");
}

#[test]
fn gitignore_testdata_and_vendor_are_skipped() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".gitignore", "gen/\n");
    write(d.path(), "gen/a.go", LEAK);
    write(d.path(), "testdata/a.go", LEAK);
    write(d.path(), "vendor/x/a.go", LEAK);
    write(d.path(), "_old/a.go", LEAK);
    write(d.path(), "ok/a.go", CLEAN);
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise"])
        .assert()
        .code(0);
    // Named explicitly, they are linted.
    faultline()
        .current_dir(d.path())
        .args(["check", "--format", "concise", "testdata/a.go"])
        .assert()
        .code(1);
}

/// The pre-commit case: only changed files are passed, their package siblings still
/// feed the index, so findings match a full run.
#[test]
fn only_some_files_passed_still_see_their_package() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "svc/worker.go",
        "package svc\n\nimport \"time\"\n\ntype worker struct{ tick *time.Ticker }\n\nfunc newWorker() *worker {\n\treturn &worker{tick: time.NewTicker(time.Second)}\n}\n\nfunc leak() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n",
    );
    write(
        d.path(),
        "svc/close.go",
        "package svc\n\nfunc (w *worker) Close() { w.tick.Stop() }\n",
    );
    let full = faultline()
        .current_dir(d.path())
        .args(["check", "--format", "json", "."])
        .output()
        .unwrap();
    let partial = faultline()
        .current_dir(d.path())
        .args(["check", "--format", "json", "svc/worker.go"])
        .output()
        .unwrap();
    assert_eq!(partial.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&full.stdout),
        String::from_utf8_lossy(&partial.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&partial.stdout).unwrap();
    let lines: Vec<u64> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    // The field ticker is stopped in close.go: only the local one is reported.
    assert_eq!(lines, vec![12]);
}

#[test]
fn json_format_has_the_stable_schema_sorted() {
    let out = faultline()
        .current_dir(repo_root())
        .args(["check", "--format", "json", "examples"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert!(!items.is_empty());
    let mut keys_prev = None;
    for f in items {
        let obj = f.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "column",
                "end_column",
                "end_line",
                "help",
                "line",
                "message",
                "path",
                "rule",
                "severity"
            ]
        );
        assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1);
        let key = (
            f["path"].as_str().unwrap().to_string(),
            f["line"].as_u64().unwrap(),
            f["column"].as_u64().unwrap(),
        );
        if let Some(prev) = keys_prev {
            assert!(prev <= key, "not sorted: {prev:?} then {key:?}");
        }
        keys_prev = Some(key);
    }
}

#[test]
fn select_and_ignore_take_ids_and_families() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--select", "tick-leak"])
        .assert()
        .code(0);
    faultline()
        .current_dir(d.path())
        .args([
            "check",
            "--select",
            "time",
            "--ignore",
            "ticker-not-stopped",
        ])
        .assert()
        .code(0);
    faultline()
        .current_dir(d.path())
        .args(["check", "--select", "time"])
        .assert()
        .code(1);
}

#[test]
fn unknown_rule_is_a_usage_error_with_a_suggestion() {
    faultline()
        .args(["check", "--select", "ticker-not-stoped", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean `ticker-not-stopped`",
        ));
    faultline()
        .args(["rule", "tick-leek"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `tick-leak`"));
    faultline().args(["check", "--bogus"]).assert().code(2);
}

#[test]
fn go_version_flag_gates_the_timer_rules() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    faultline()
        .current_dir(d.path())
        .args(["check", "--go-version", "1.23"])
        .assert()
        .code(0);
    faultline()
        .current_dir(d.path())
        .args(["check", "--go-version", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a Go version"));
}

#[test]
fn rules_and_rule_docs() {
    faultline()
        .args(["rules"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ticker-not-stopped"))
        .stdout(predicate::str::contains("time-after-in-loop"));
    faultline()
        .args(["rule", "tick-leak"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("# tick-leak"))
        .stdout(predicate::str::contains("## Why is this bad?"));
    let out = faultline()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 4);
}

#[test]
fn color_always_uses_ansi_and_never_does_not() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p/a.go", LEAK);
    let always = faultline()
        .current_dir(d.path())
        .args(["check", "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&always.stdout).contains("\u{1b}["));
    let never = faultline()
        .current_dir(d.path())
        .args(["check", "--color", "never"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&never.stdout).contains("\u{1b}["));
}

#[test]
fn statistics_counts_findings_per_rule() {
    faultline()
        .current_dir(repo_root())
        .args(["check", "--statistics", "examples"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ticker-not-stopped"))
        .stdout(predicate::str::contains("time"));
}

#[test]
fn pretty_output_snapshot() {
    let out = faultline()
        .current_dir(repo_root())
        .args(["check", "--color", "never", "examples"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("pretty_examples", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn concise_output_snapshot() {
    let out = faultline()
        .current_dir(repo_root())
        .args(["check", "--format", "concise", "examples"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("concise_examples", String::from_utf8_lossy(&out.stdout));
}
