//! Harnesses for hostile input, shared by the fuzz targets in `fuzz/` and the tests
//! that replay their regression inputs (`fuzz/regressions/<target>/`) without a
//! fuzzer. Each function panics on a bug (a panic the engine or the server caught and
//! turned into an "internal error" counts as one) and returns normally otherwise.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use rules::{Engine, LineIndex, Settings, SourceFile};

use crate::cli::OutputFormat;
use crate::output::{Finding, Report};

/// A fuzz harness: panics (or asserts) on a bug, returns on any other input.
pub type Harness = fn(&[u8]);

/// The fuzz targets, by the name of their regression folder.
pub const TARGETS: &[(&str, Harness)] = &[
    ("go_file", lint_bytes_every_format),
    ("config", parse_config_bytes),
    ("lsp_stream", serve_lsp_bytes),
    ("fix_edits", fix_bytes),
];

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        Engine::new(Settings {
            report_unused_ignores: true,
            ..Settings::default()
        })
    })
}

fn check_range(text: &str, r: &std::ops::Range<usize>, what: &str) {
    assert!(
        r.start <= r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end),
        "{what}: bad range {r:?} in a text of {} bytes",
        text.len()
    );
}

/// Arbitrary bytes as a Go file: parse, index, every rule, every output format.
pub fn lint_bytes_every_format(data: &[u8]) {
    let file = match SourceFile::from_bytes_with_limits(
        "pkg/fuzz.go",
        data.to_vec(),
        1 << 20,
        Duration::from_secs(10),
    ) {
        Ok(f) => f,
        Err(_) => return,
    };
    let results = rules::lint_sources(engine(), &[&file], None, |_| true);
    let text = file.text.as_str();
    for (_, lint) in &results {
        assert!(
            lint.internal_errors.is_empty(),
            "internal errors: {:?}",
            lint.internal_errors
        );
        for d in lint
            .diagnostics
            .iter()
            .chain(lint.suppressed.iter().map(|s| &s.diagnostic))
        {
            check_range(text, &d.range, d.rule);
            for r in &d.related {
                if r.path.is_none() {
                    check_range(text, &r.range, d.rule);
                }
            }
            if let Some(fix) = &d.fix {
                for e in &fix.edits {
                    check_range(text, &e.range, d.rule);
                }
            }
        }
    }
    emit_every_format(&file, &results);
}

fn emit_every_format(file: &SourceFile, results: &[(usize, rules::FileLint)]) {
    let text = file.text.as_str();
    let lines = LineIndex::new(text);
    let root = PathBuf::from("/project");
    let path: &Path = &file.path;
    let mut findings = Vec::new();
    for (_, lint) in results {
        let all: Vec<(&rules::Diagnostic, Option<&rules::engine::Directive>)> = lint
            .diagnostics
            .iter()
            .map(|d| (d, None))
            .chain(
                lint.suppressed
                    .iter()
                    .map(|s| (&s.diagnostic, lint.directives.get(s.directive))),
            )
            .collect();
        let fps = crate::fingerprint::for_file(
            "pkg/fuzz.go",
            all.iter()
                .map(|(d, _)| (d.rule, &text[lines.line_range(text, d.start.line as usize)])),
        );
        for ((diag, suppressed), fingerprint) in all.into_iter().zip(fps) {
            findings.push(Finding {
                path,
                rel_path: "pkg/fuzz.go".into(),
                text: Some(text),
                diag,
                fingerprint,
                suppressed,
            });
        }
    }
    let report = Report {
        findings,
        root,
        rules: rules::registry::RULES.iter().map(|r| r.meta()).collect(),
    };
    for format in [
        OutputFormat::Pretty,
        OutputFormat::Concise,
        OutputFormat::Json,
        OutputFormat::Sarif,
        OutputFormat::Gitlab,
        OutputFormat::Github,
    ] {
        for color in [false, true] {
            let mut out = Vec::new();
            crate::output::emit(
                &mut out,
                format,
                &report,
                crate::output::pretty::Style { color, width: 100 },
            )
            .expect("writing to memory");
            let s = std::str::from_utf8(&out).expect("output is UTF-8");
            if matches!(
                format,
                OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Gitlab
            ) {
                serde_json::from_str::<serde_json::Value>(s).expect("machine output is JSON");
            }
            if !matches!(format, OutputFormat::Pretty) {
                break;
            }
        }
    }
    let mut out = Vec::new();
    crate::output::statistics(&mut out, &report, true).expect("writing to memory");
    let _ = crate::output::summary(&report, 1);
}

/// Arbitrary bytes as `faultline.toml`: an error with a location inside the text, or a
/// config that applies.
pub fn parse_config_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/project/faultline.toml");
    match rules::engine::config::Config::parse(text, path) {
        Ok(cfg) => {
            let mut s = Settings::default();
            cfg.apply(&mut s);
            let _ = s.is_excluded(Path::new("/project/a/b.go"));
        }
        Err(e) => {
            let line = e.to_string();
            assert!(!line.contains('\n'), "multi-line error: {line:?}");
            if let Some((l, c)) = e.line {
                let lines = text.split('\n').count() as u32;
                assert!(l >= 1 && l <= lines.max(1) && c >= 1, "{line}");
            }
        }
    }
}

/// Arbitrary bytes as the language server's input: framed, decoded and handled until
/// the input ends. The server must answer and never log an internal error.
pub fn serve_lsp_bytes(data: &[u8]) {
    let (server, client) = lsp::Connection::memory();
    let mut raw = Vec::new();
    lsp::transport::read_loop(&mut std::io::Cursor::new(data), &client.sender, &mut |s| {
        raw.push(s.to_string())
    });
    for r in &raw {
        serde_json::from_str::<serde_json::Value>(r).expect("error replies are JSON");
    }
    drop(client.sender);
    let _code = lsp::serve(server, Box::new(lsp::Defaults));
    for msg in client.receiver.try_iter() {
        let v = serde_json::to_value(&msg).expect("messages serialize");
        // The server's own report of a panic it caught (user text echoed in error
        // replies may say anything).
        let logged = v["params"]["message"].as_str().unwrap_or("");
        assert!(
            !logged.starts_with("faultline: internal error in "),
            "{logged}"
        );
    }
}

/// A Go file (the corpus starts from the valid fixtures; the fuzzer's mutations are
/// the random edits: inserted, deleted, duplicated ranges) through the fix pipeline:
/// one pass changes nothing outside the fixes' edits, and the whole loop never adds
/// a syntax error and is idempotent.
pub fn fix_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = SourceFile::from_bytes_with_limits(
        "pkg/fuzz.go",
        text.as_bytes().to_vec(),
        1 << 20,
        Duration::from_secs(10),
    ) else {
        return;
    };
    let lint = rules::lint_sources(engine(), &[&file], None, |_| true);
    let diags = &lint[0].1.diagnostics;
    // One pass: exactly the taken edits, every other byte kept.
    if let Some(applied) = rules::engine::fix::apply_fixes(&file.text, diags, true) {
        let mut edits: Vec<&rules::Edit> = applied
            .fixed
            .iter()
            .flat_map(|&i| {
                &diags[i]
                    .fix
                    .as_ref()
                    .expect("a fixed diagnostic has a fix")
                    .edits
            })
            .collect();
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        edits.dedup();
        let mut want = String::new();
        let mut at = 0;
        for e in edits {
            assert!(e.range.start >= at, "overlapping edits taken together");
            want.push_str(&file.text[at..e.range.start]);
            want.push_str(&e.replacement);
            at = e.range.end;
        }
        want.push_str(&file.text[at..]);
        assert_eq!(applied.text, want, "bytes outside the edits changed");
    }
    // The whole loop, unsafe fixes included.
    let settings = rules::FixSettings {
        unsafe_fixes: true,
        ..rules::FixSettings::default()
    };
    let fix = |f: &SourceFile| {
        let pkg = [rules::PackageFile {
            summary: std::sync::Arc::new(rules::index::FileSummary::extract(f)),
            source: Some(f),
        }];
        rules::fix_package(engine(), &pkg, None, &settings)
            .into_iter()
            .next()
            .map(|(_, r)| r)
            .expect("one result per file")
    };
    let r = fix(&file);
    assert!(
        r.lint.internal_errors.is_empty(),
        "{:?}",
        r.lint.internal_errors
    );
    let Some(fixed) = &r.fixed else { return };
    assert!(
        fixed.syntax_errors().len() <= file.syntax_errors().len(),
        "fixes added a syntax error:\n{}",
        fixed.text
    );
    if !r.unconverged && r.rejected.is_empty() {
        let again = fix(fixed);
        assert!(
            again.fixed.is_none(),
            "a second --fix changed the file again: {:?}",
            again.applied
        );
    }
}

#[cfg(test)]
mod tests {
    /// Every input the fuzzers ever crashed on, replayed on each test run.
    #[test]
    fn fuzz_regressions_pass() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
        let mut ran = 0;
        for (target, run) in super::TARGETS {
            let Ok(entries) = std::fs::read_dir(root.join(target)) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                let data = std::fs::read(&p).unwrap();
                let r = std::panic::catch_unwind(|| run(&data));
                assert!(r.is_ok(), "{target}: {} fails again", p.display());
                ran += 1;
            }
        }
        eprintln!("{ran} fuzz regression inputs replayed");
    }

    use super::*;

    #[test]
    fn harnesses_accept_ordinary_input() {
        lint_bytes_every_format(b"package p\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n");
        parse_config_bytes(b"select = [\"time\"]\n");
        parse_config_bytes(b"selct = 1\n");
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
        serve_lsp_bytes(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        fix_bytes(b"package p\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n");
    }
}
