//! End-to-end tests of the pipeline features: SARIF, GitLab and GitHub output, --output,
//! config files, baselines, `--new-from-rev`, suppression hygiene, exit codes.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const LEAKS: &str = r#"package svc

import "time"

func leak() {
	t := time.NewTicker(time.Second)
	<-t.C
}

func waitReady(ready func() bool) error {
	for range time.Tick(100 * time.Millisecond) {
		if ready() {
			return nil
		}
	}
	return nil
}
"#;

/// A scratch project: a `.git` directory marks its root, plus the given files.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("go.mod"),
        "module example.com/p\n\ngo 1.21\n",
    )
    .unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

fn write(root: &Path, name: &str, text: &str) {
    let p = root.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn faultline(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("faultline").unwrap();
    c.current_dir(cwd)
        .env_remove("CI_PROJECT_DIR")
        .env_remove("NO_COLOR");
    c
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    faultline(cwd).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(o), stderr(o)))
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

include!("sarif/validator.rs");

fn assert_valid_sarif(v: &Value) {
    let errors = sarif_errors(v);
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
}

/// Copy every rule's `bad.go` fixture into one scratch project, one package each, plus
/// a suppressed finding.
fn multi_rule_project() -> TempDir {
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("fixtures")).unwrap() {
        let dir = entry.unwrap().path();
        let bad = dir.join("bad.go");
        if bad.is_file() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            files.push((
                format!("{name}/bad.go"),
                std::fs::read_to_string(bad).unwrap(),
            ));
        }
    }
    files.push((
        "quiet/quiet.go".into(),
        "package quiet\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(time.Second) //faultline:ignore ticker-not-stopped -- process-wide, lives forever\n\t<-t.C\n}\n"
            .into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    project(&refs)
}

#[test]
fn sarif_of_a_multi_rule_run_is_valid_against_the_official_schema() {
    let p = multi_rule_project();
    let o = run(
        p.path(),
        &["check", "--format", "sarif", "--show-suppressed", "."],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_valid_sarif(&v);

    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "faultline");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let root_uri = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root_uri.starts_with("file:///") && root_uri.ends_with('/'),
        "{root_uri}"
    );

    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in rules {
        for key in [
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "helpUri",
            "defaultConfiguration",
        ] {
            assert!(!r[key].is_null(), "descriptor {} lacks {key}", r["id"]);
        }
        assert!(
            r["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## What it does")
        );
        assert!(r["help"]["text"].as_str().is_some());
        assert!(
            ["error", "warning", "note"]
                .contains(&r["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }

    let results = run["results"].as_array().unwrap();
    let mut seen_rules = std::collections::BTreeSet::new();
    let mut suppressed = 0;
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        seen_rules.insert(id.to_string());
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[idx], id, "ruleIndex points at the rule");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let locs = r["locations"].as_array().unwrap();
        assert_eq!(locs.len(), 1);
        let phys = &locs[0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = phys["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.ends_with(".go") && !uri.starts_with('/'), "{uri}");
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(phys["region"][k].as_u64().unwrap() >= 1);
        }
        let fp = r["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap();
        assert_eq!(fp.len(), 64);
        if let Some(s) = r["suppressions"].as_array() {
            assert_eq!(s[0]["kind"], "inSource");
            assert_eq!(s[0]["justification"], "process-wide, lives forever");
            assert_eq!(uri, "quiet/quiet.go");
            suppressed += 1;
        }
    }
    assert_eq!(suppressed, 1);
    assert!(
        seen_rules.len() >= 4,
        "findings of every rule: {seen_rules:?}"
    );
}

#[test]
fn gitlab_code_quality_fields() {
    let p = project(&[("svc/leak.go", LEAKS)]);
    let o = faultline(&p.path().join("svc"))
        .env("CI_PROJECT_DIR", p.path())
        .args(["check", "--format", "gitlab", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(o.stdout[0], b'[', "no byte-order mark, a JSON array");
    let v = json(&o);
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    let want = [
        ("ticker-not-stopped", 6, "critical"),
        ("tick-leak", 11, "major"),
    ];
    let mut fps = std::collections::HashSet::new();
    for (issue, (rule, line, severity)) in issues.iter().zip(want) {
        let keys: Vec<&str> = issue
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "categories",
                "check_name",
                "description",
                "engine_name",
                "fingerprint",
                "location",
                "severity",
                "type"
            ]
        );
        assert_eq!(issue["check_name"], rule);
        assert_eq!(issue["type"], "issue");
        assert_eq!(issue["engine_name"], "faultline");
        assert_eq!(issue["categories"], serde_json::json!(["Bug Risk"]));
        assert_eq!(issue["severity"], severity);
        let desc = issue["description"].as_str().unwrap();
        assert!(
            desc.starts_with(&format!("{rule}: ")) && desc.len() > rule.len() + 10,
            "{desc}"
        );
        let fp = issue["fingerprint"].as_str().unwrap();
        assert!(
            fp.len() == 64 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
            "{fp}"
        );
        assert!(fps.insert(fp.to_string()), "fingerprints are unique");
        // Relative to CI_PROJECT_DIR, not to the working directory.
        assert_eq!(issue["location"]["path"], "svc/leak.go");
        assert_eq!(issue["location"]["lines"]["begin"], line);
    }
}

fn gitlab_fingerprints(dir: &Path) -> Vec<(String, u64)> {
    let o = run(dir, &["check", "--format", "gitlab"]);
    json(&o)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["fingerprint"].as_str().unwrap().to_string(),
                i["location"]["lines"]["begin"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn fingerprints_survive_lines_inserted_above() {
    let p = project(&[("svc/leak.go", LEAKS)]);
    let before = gitlab_fingerprints(p.path());
    let moved = LEAKS.replace(
        "import \"time\"\n",
        "import \"time\"\n\n// Added later.\nvar unrelated = 1\n",
    );
    write(p.path(), "svc/leak.go", &moved);
    let after = gitlab_fingerprints(p.path());
    assert_eq!(before.len(), 2);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0, "same fingerprint");
        assert_eq!(b.1 + 3, a.1, "the finding moved down three lines");
    }
    // Editing the flagged line itself makes a new finding.
    write(
        p.path(),
        "svc/leak.go",
        &moved.replace("t := time.NewTicker", "tk := time.NewTicker"),
    );
    let edited = gitlab_fingerprints(p.path());
    assert_ne!(edited[0].0, before[0].0);
    assert_eq!(edited[1].0, before[1].0);
}

#[test]
fn baseline_hides_known_findings_only() {
    let p = project(&[("svc/leak.go", LEAKS)]);
    let o = run(p.path(), &["check", "--write-baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("wrote 2 findings to the baseline baseline.json"));
    let b: Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(b["faultline_baseline"], 1);
    assert_eq!(b["findings"].as_array().unwrap().len(), 2);

    let o = run(
        p.path(),
        &[
            "check",
            "--baseline",
            "baseline.json",
            "--format",
            "concise",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("2 more hidden by the baseline"),
        "{}",
        stderr(&o)
    );

    // Lines move and a new leak appears: only the new one is reported.
    let changed = LEAKS.replace("import \"time\"\n", "import \"time\"\n\nvar x = 1\n")
        + "\nfunc another() {\n\tt := time.NewTicker(time.Minute)\n\t<-t.C\n}\n";
    write(p.path(), "svc/leak.go", &changed);
    let o = run(
        p.path(),
        &[
            "check",
            "--baseline",
            "baseline.json",
            "--format",
            "concise",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("svc/leak.go:22:"), "{out}");

    // A broken or missing baseline is a usage error.
    std::fs::write(p.path().join("bad.json"), "{").unwrap();
    let o = run(p.path(), &["check", "--baseline", "bad.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    let o = run(p.path(), &["check", "--baseline", "missing.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.json: No such file or directory"));
}

fn git(dir: &Path, args: &[&str]) {
    let o = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn new_from_rev_reports_only_changed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    git(p, &["init", "-q"]);
    write(p, "go.mod", "module example.com/p\n\ngo 1.21\n");
    write(p, "svc/leak.go", LEAKS);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "base"]);
    git(p, &["tag", "base"]);

    let o = run(p, &["check", "--new-from-rev", "base"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // A new leak in the tracked file, lines inserted above the old ones, and a new
    // untracked file.
    let changed = LEAKS.replace("import \"time\"\n", "import \"time\"\n\nvar x = 1\n")
        + "\nfunc another() {\n\tt := time.NewTicker(time.Minute)\n\t<-t.C\n}\n";
    write(p, "svc/leak.go", &changed);
    write(
        p,
        "svc/new.go",
        "package svc\n\nimport \"time\"\n\nfunc n() {\n\tt := time.NewTicker(1)\n\t<-t.C\n}\n",
    );
    let o = run(
        p,
        &["check", "--new-from-rev", "base", "--format", "concise"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("svc/leak.go:22:"), "{out}");
    assert!(lines[1].starts_with("svc/new.go:6:"), "{out}");
    assert!(
        stderr(&o).contains("2 more on lines unchanged since base"),
        "{}",
        stderr(&o)
    );

    let o = run(p, &["check", "--new-from-rev", "no-such-rev"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "faultline: error: --new-from-rev: unknown revision `no-such-rev` (not a commit, branch or tag in this repository)"
    );

    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "a.go", "package a\n");
    let o = faultline(outside.path())
        .env("GIT_CEILING_DIRECTORIES", outside.path().parent().unwrap())
        .args(["check", "--new-from-rev", "HEAD"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "faultline: error: --new-from-rev: the current directory is not inside a git repository"
    );
}

#[test]
fn config_file_selects_excludes_and_ignores_per_file() {
    let p = project(&[
        ("svc/leak.go", LEAKS),
        ("gen/leak.go", LEAKS),
        ("cmd/tool/leak.go", LEAKS),
        (
            "faultline.toml",
            "select = [\"time\"]\nignore = [\"tick-leak\"]\nexclude = [\"gen\"]\n\n[per-file-ignores]\n\"cmd/**\" = [\"ticker-not-stopped\"]\n",
        ),
    ]);
    let o = run(p.path(), &["check", "--format", "concise"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o)
            .lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect::<Vec<_>>(),
        ["svc/leak.go:6:12:"]
    );
    // Found from a subdirectory too, and for files named directly.
    let o = run(
        &p.path().join("svc"),
        &["check", "--format", "concise", "leak.go"],
    );
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    // --isolated ignores it; --config points elsewhere.
    let o = run(p.path(), &["check", "--format", "concise", "--isolated"]);
    assert_eq!(stdout(&o).lines().count(), 6, "{}", stdout(&o));
    write(p.path(), "other.toml", "select = [\"tick-leak\"]\n");
    let o = run(
        p.path(),
        &[
            "check",
            "--format",
            "concise",
            "--config",
            "other.toml",
            "svc",
        ],
    );
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stdout(&o).contains("[tick-leak]"));
    // Command-line options apply on top.
    let o = run(
        p.path(),
        &[
            "check",
            "--format",
            "concise",
            "--extend-select",
            "tick-leak",
            "svc",
        ],
    );
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));

    // `faultline config` prints the effective settings, as TOML.
    let o = run(p.path(), &["config", "cmd/tool/leak.go"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "select = [\"ticker-not-stopped\", \"ticker-loop-no-exit\", \"time-after-in-loop\"]"
        ),
        "{out}"
    );
    assert!(out.contains("exclude = [\"gen\"]"), "{out}");
    assert!(
        out.contains("\"cmd/**\" = [\"ticker-not-stopped\"]"),
        "{out}"
    );
    assert!(out.contains("faultline.toml"), "{out}");
}

#[test]
fn config_errors_are_one_line_and_exit_2() {
    let cases = [
        (
            "selct = [\"time\"]\n",
            "faultline.toml:1:1: unknown key `selct` (did you mean `select`?)",
        ),
        (
            "select = [\"tick-leek\"]\n",
            "faultline.toml:1:11: in `select`: unknown rule or family `tick-leek` (did you mean `tick-leak`?)",
        ),
        (
            "\n[rules.ticker-not-stoped]\n",
            "faultline.toml:2:8: unknown rule `ticker-not-stoped` in `[rules]` (did you mean `ticker-not-stopped`?)",
        ),
        (
            "[rules.tick-leak]\nfoo = 1\n",
            "faultline.toml:2:1: rule `tick-leak` has no options (`foo` is not one)",
        ),
    ];
    for (text, want) in cases {
        let p = project(&[("svc/leak.go", LEAKS), ("faultline.toml", text)]);
        let o = run(p.path(), &["check"]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("faultline: error: "), "{err}");
        assert!(err.trim_end().ends_with(want), "{err}\nwant: {want}");
        // The same check from `faultline config`.
        let o = run(p.path(), &["config"]);
        assert_eq!(o.status.code(), Some(2));
    }
    let p = project(&[("svc/leak.go", LEAKS)]);
    let o = run(p.path(), &["check", "--select", "tick-leek"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "faultline: error: --select: unknown rule or family `tick-leek` (did you mean `tick-leak`?)"
    );
    let o = run(p.path(), &["check", "--config", "nope.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1);
}

#[test]
fn output_file_is_written_atomically_for_every_format() {
    let p = project(&[("svc/leak.go", LEAKS)]);
    for format in ["pretty", "concise", "json", "sarif", "gitlab", "github"] {
        let to_stdout = run(p.path(), &["check", "--format", format, "--color", "never"]);
        let name = format!("out/report.{format}");
        std::fs::create_dir_all(p.path().join("out")).unwrap();
        std::fs::write(p.path().join(&name), "old contents").unwrap();
        let o = run(p.path(), &["check", "--format", format, "--output", &name]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{format}: nothing on stdout");
        let written = std::fs::read_to_string(p.path().join(&name)).unwrap();
        assert_eq!(written, stdout(&to_stdout), "{format}");
        // No temporary file left behind.
        let left: Vec<_> = std::fs::read_dir(p.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".faultline-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
    let o = run(p.path(), &["check", "--output", "no/such/dir/report.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot write no/such/dir/report.json"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn github_annotations() {
    let p = project(&[("svc/leak.go", LEAKS)]);
    let o = run(&p.path().join("svc"), &["check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("::error file=svc/leak.go,line=6,endLine=6,col=12,endColumn=21,title=faultline ticker-not-stopped::"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("%0Ahelp: "), "{}", lines[0]);
    assert!(
        lines[1].starts_with("::warning file=svc/leak.go,line=11,"),
        "{}",
        lines[1]
    );
}

#[test]
fn unused_and_unknown_ignores_are_reported() {
    let src = "package svc\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(time.Second) //faultline:ignore ticker-not-stopped\n\t<-t.C\n\tu := time.NewTicker(time.Second) //faultline:ignore tick-leak\n\tdefer u.Stop()\n\tv := time.NewTicker(time.Second) //faultline:ignore ticker-not-stoped\n\tdefer v.Stop()\n\tw := time.NewTicker(time.Second) //nolint:errcheck,tick-leak\n\tdefer w.Stop()\n}\n";
    let p = project(&[("svc/a.go", src)]);
    let o = run(p.path(), &["check", "--format", "concise"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = run(
        p.path(),
        &["check", "--format", "concise", "--report-unused-ignores"],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("svc/a.go:8:35: warning[unused-ignore] this //faultline:ignore suppresses nothing: no `tick-leak` finding on line 8"), "{out}");
    assert!(
        lines[1].starts_with("svc/a.go:10:54: warning[unknown-rule-in-ignore] `ticker-not-stoped`"),
        "{out}"
    );
    assert!(
        lines[2].starts_with(
            "svc/a.go:12:53: warning[unused-ignore] `tick-leak` in this //nolint suppresses nothing"
        ),
        "{out}"
    );
    // Only judged for rules that ran.
    let o = run(
        p.path(),
        &[
            "check",
            "--report-unused-ignores",
            "--select",
            "ticker-not-stopped",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    // SARIF lists the built-in checks' descriptors, and stays valid.
    let o = run(
        p.path(),
        &["check", "--format", "sarif", "--report-unused-ignores"],
    );
    let v = json(&o);
    assert_valid_sarif(&v);
    let ids: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"unused-ignore") && ids.contains(&"unknown-rule-in-ignore"));
}

#[test]
fn show_suppressed_marks_but_does_not_count() {
    let src = "package svc\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(time.Second) //faultline:ignore ticker-not-stopped -- lives forever\n\t<-t.C\n}\n";
    let p = project(&[("svc/a.go", src)]);
    let o = run(
        p.path(),
        &["check", "--format", "json", "--show-suppressed"],
    );
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v[0]["rule"], "ticker-not-stopped");
    assert_eq!(v[0]["suppressed"]["kind"], "faultline:ignore");
    assert_eq!(v[0]["suppressed"]["line"], 6);
    assert_eq!(v[0]["suppressed"]["reason"], "lives forever");
    let o = run(
        p.path(),
        &["check", "--format", "concise", "--show-suppressed"],
    );
    assert!(stdout(&o).contains("(suppressed by //faultline:ignore on line 6: lives forever)"));
    // GitLab has no notion of suppression: left out.
    let o = run(
        p.path(),
        &["check", "--format", "gitlab", "--show-suppressed"],
    );
    assert_eq!(json(&o), serde_json::json!([]));
}
