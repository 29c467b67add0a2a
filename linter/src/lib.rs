//! The `faultline` command: CLI, discovery, parallel lint, output formats.

pub mod baseline;
pub mod check;
pub mod cli;
pub mod config;
pub mod diff;
pub mod discover;
pub mod fingerprint;
pub mod fix;
pub mod gitdiff;
pub mod output;
#[doc(hidden)]
pub mod robust;

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rules::{Engine, LineIndex, Selector};

use crate::cli::{CheckArgs, Cli, ColorChoice, Command, ConfigArgs, DebugCommand, OutputFormat};
use crate::config::{ConfigSet, absolute};
use crate::output::{Finding, Report};

/// Exit codes: 0 clean, 1 findings, 2 usage, config or I/O error.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Rules(args) => list_rules(&args.format),
        Command::Rule { id } => show_rule(&id),
        Command::Config(args) => show_config(args),
        Command::Server => lsp::run(),
        Command::Debug { what } => match what {
            DebugCommand::Tree { file } => debug_tree(&file),
        },
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // A closed pipe (`faultline check | head`) is not an error worth a message.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("faultline: {e}");
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn usage_error(msg: &str) -> std::io::Result<u8> {
    eprintln!("faultline: error: {msg}");
    Ok(EXIT_ERROR)
}

fn use_color(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The directory report paths are relative to: `CI_PROJECT_DIR` when set (GitLab
/// jobs), else the top of the git work tree around the working directory, else the
/// working directory.
pub fn project_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("CI_PROJECT_DIR").filter(|v| !v.is_empty()) {
        return absolute(Path::new(&dir));
    }
    let cwd = absolute(Path::new("."));
    let mut cur = Some(cwd.as_path());
    while let Some(d) = cur {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    cwd
}

/// `path` relative to `root`, `/`-separated; the absolute path when outside it.
pub fn relative_to(root: &Path, path: &Path) -> String {
    let abs = absolute(path);
    let rel = abs.strip_prefix(root).unwrap_or(&abs);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let joined = parts.join("/");
    if rel.is_absolute() {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, then a
/// rename over the target. Readers never see a half-written report.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let what = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".faultline-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| what(&discover::io_reason(&e)))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| what(&discover::io_reason(&e)))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| what(&discover::io_reason(&e.error)))?;
    Ok(())
}

fn run_check(args: CheckArgs) -> std::io::Result<u8> {
    let mut configs = match ConfigSet::new(&args.settings) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let fixing = match fix::settings(&args) {
        Ok(f) => f,
        Err(e) => return usage_error(&e),
    };
    if let Some(n) = args.threads {
        // Only fails when a global pool already exists (tests): harmless.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    // Fail fast on the inputs that do not depend on linting.
    let baseline = match &args.baseline {
        Some(p) => match baseline::load(p) {
            Ok(b) => Some(b),
            Err(e) => return usage_error(&e),
        },
        None => None,
    };
    let changed = match &args.new_from_rev {
        Some(rev) => match gitdiff::changed_since(rev) {
            Ok(c) => Some(c),
            Err(e) => return usage_error(&e),
        },
        None => None,
    };

    let mut discovery = discover::discover(&args.paths);
    for w in &discovery.warnings {
        eprintln!("faultline: warning: {w}");
    }
    for e in &discovery.errors {
        eprintln!("faultline: error: {e}");
    }
    // Settings per package (nearest config file), then the config's excludes.
    for job in &mut discovery.packages {
        job.config = match configs.for_dir(&job.dir) {
            Ok(i) => i,
            Err(e) => return usage_error(&e),
        };
        let settings = &configs.entries[job.config].settings;
        for (file, lint) in job.files.iter().zip(job.lint.iter_mut()) {
            if *lint && settings.is_excluded(file) {
                *lint = false;
            }
        }
    }
    discovery.packages.retain(|p| p.lint.iter().any(|l| *l));

    if args.parse_only {
        let (files, nodes) = check::parse_only(discovery.packages);
        eprintln!("parsed {files} files, {nodes} nodes");
        return Ok(if discovery.errors.is_empty() {
            0
        } else {
            EXIT_ERROR
        });
    }
    let engines: Vec<Engine> = configs
        .entries
        .iter()
        .map(|e| Engine::new(e.settings.clone()))
        .collect();
    let mut outcome = check::check_with(discovery.packages, &engines, fixing.as_ref());
    for w in &outcome.warnings {
        eprintln!("faultline: warning: {w}");
    }
    for e in &outcome.errors {
        eprintln!("faultline: error: {e}");
    }
    for f in &outcome.files {
        for e in &f.lint.internal_errors {
            eprintln!("faultline: error: {}: {e}", output::display_path(&f.path));
        }
        if let Some(first) = f.lint.syntax_errors.first() {
            eprintln!(
                "faultline: warning: {}:{}:{}: syntax error; the rest of the file was linted",
                output::display_path(&f.path),
                first.start.line + 1,
                first.start.col_utf8 + 1
            );
        }
    }

    let failed = !discovery.errors.is_empty()
        || !outcome.errors.is_empty()
        || outcome
            .files
            .iter()
            .any(|f| !f.lint.internal_errors.is_empty());
    if args.diff {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let any = fix::print_diffs(&mut out, &outcome.changes)?;
        out.flush()?;
        return Ok(if failed {
            EXIT_ERROR
        } else {
            u8::from(any) * EXIT_FINDINGS
        });
    }
    let root = project_root();
    let unwritten = args.fix && fix::write_changes(&outcome.changes, &mut outcome.files, &root);
    let mut findings: Vec<Finding> = Vec::new();
    let mut to_baseline: Vec<baseline::Entry> = Vec::new();
    let mut hidden_by_baseline = 0usize;
    let mut hidden_by_rev = 0usize;
    let mut baseline_seen: HashSet<&str> = HashSet::new();
    for f in &outcome.files {
        let rel = relative_to(&root, &f.path);
        let text = f.text.as_deref().map(String::as_str);
        let lines = text.map(LineIndex::new);
        let line_of = |l: u32| -> &str {
            match (text, &lines) {
                (Some(t), Some(idx)) => &t[idx.line_range(t, l as usize)],
                _ => "",
            }
        };
        // Kept and suppressed findings in file order: occurrence counts must not
        // change when a suppression comment is added or removed.
        let mut all: Vec<(&rules::Diagnostic, Option<&rules::engine::Directive>)> = f
            .lint
            .diagnostics
            .iter()
            .map(|d| (d, None))
            .chain(
                f.lint
                    .suppressed
                    .iter()
                    .map(|s| (&s.diagnostic, f.lint.directives.get(s.directive))),
            )
            .collect();
        all.sort_by(|a, b| {
            (a.0.range.start, a.0.rule, a.0.range.end).cmp(&(
                b.0.range.start,
                b.0.rule,
                b.0.range.end,
            ))
        });
        let fps = fingerprint::for_file(
            &rel,
            all.iter().map(|(d, _)| (d.rule, line_of(d.start.line))),
        );
        for ((diag, sup), fp) in all.into_iter().zip(fps) {
            let suppressed = sup.is_some();
            if suppressed && !args.show_suppressed {
                continue;
            }
            if let Some(changed) = &changed
                && !changed.contains(&f.path, diag.start.line + 1)
            {
                hidden_by_rev += usize::from(!suppressed);
                continue;
            }
            if !suppressed && args.write_baseline.is_some() {
                to_baseline.push(baseline::Entry {
                    fingerprint: fp.clone(),
                    rule: diag.rule.to_string(),
                    path: rel.clone(),
                    line: diag.start.line + 1,
                    message: diag.message.clone(),
                });
            }
            if let Some(known) = baseline.as_ref().and_then(|b| b.get(fp.as_str())) {
                baseline_seen.insert(known.as_str());
                hidden_by_baseline += usize::from(!suppressed);
                continue;
            }
            findings.push(Finding {
                path: &f.path,
                rel_path: rel.clone(),
                text,
                diag,
                fingerprint: fp,
                suppressed: sup,
            });
        }
    }

    // One descriptor per rule that ran anywhere, in registry order.
    let mut ran = rules::RuleSet::empty();
    let mut builtins = false;
    for e in &configs.entries {
        ran = ran.union(e.settings.enabled);
        builtins |= e.settings.report_unused_ignores;
    }
    let mut rule_metas: Vec<&'static rules::RuleMeta> = ran
        .iter()
        .map(|i| rules::registry::RULES[i].meta())
        .collect();
    if builtins {
        rule_metas.extend(rules::engine::suppress::BUILTIN.iter().copied());
    }
    let report = Report {
        findings,
        root,
        rules: rule_metas,
    };

    let mut buf: Vec<u8> = Vec::new();
    if args.statistics {
        output::statistics(&mut buf, &report, args.format == OutputFormat::Json)?;
    } else {
        output::emit(
            &mut buf,
            args.format,
            &report,
            output::pretty::Style {
                color: use_color(args.color, args.output.is_some()),
                width: 100,
            },
        )?;
    }
    match &args.output {
        Some(path) => {
            if let Err(e) = write_atomically(path, &buf) {
                return usage_error(&e);
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    if let Some(path) = &args.write_baseline {
        let n = to_baseline.len();
        if let Err(e) = write_atomically(path, baseline::render(to_baseline).as_bytes()) {
            return usage_error(&e);
        }
        eprintln!(
            "faultline: wrote {} to the baseline {}",
            if n == 1 {
                "1 finding".to_string()
            } else {
                format!("{n} findings")
            },
            path.display()
        );
    }
    // Machine formats on stdout stay clean of prose; stderr always gets it.
    let quiet = args.output.is_none()
        && matches!(
            args.format,
            OutputFormat::Json | OutputFormat::Sarif | OutputFormat::Gitlab
        );
    if !quiet {
        let mut line = output::summary(&report, outcome.files_checked);
        if hidden_by_baseline > 0 {
            line.push_str(&format!(
                " {hidden_by_baseline} more hidden by the baseline."
            ));
        }
        if hidden_by_rev > 0 {
            line.push_str(&format!(
                " {hidden_by_rev} more on lines unchanged since {}.",
                args.new_from_rev.as_deref().unwrap_or("")
            ));
        }
        eprintln!("{line}");
        if let Some(h) = fix::hint(&outcome.files, fixing.as_ref()) {
            eprintln!("{h}");
        }
        if let Some(b) = &baseline {
            let fixed = b.len().saturating_sub(baseline_seen.len());
            if fixed > 0 && changed.is_none() {
                eprintln!(
                    "faultline: {fixed} baseline entries no longer match a finding; refresh the baseline with --write-baseline"
                );
            }
        }
    }

    if failed || unwritten {
        return Ok(EXIT_ERROR);
    }
    let any = report.active().next().is_some();
    Ok(if any && !args.exit_zero && args.write_baseline.is_none() {
        EXIT_FINDINGS
    } else {
        0
    })
}

fn show_config(args: ConfigArgs) -> std::io::Result<u8> {
    let mut configs = match ConfigSet::new(&args.settings) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let target = args.path.unwrap_or_else(|| PathBuf::from("."));
    let dir = if target.is_dir() {
        target.clone()
    } else if target.exists() {
        target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        return usage_error(&format!("{}: No such file or directory", target.display()));
    };
    let i = match configs.for_dir(&dir) {
        Ok(i) => i,
        Err(e) => return usage_error(&e),
    };
    let entry = &configs.entries[i];
    let mut out = std::io::stdout().lock();
    write!(out, "{}", config::render(entry, &target))?;
    if entry.settings.is_excluded(&target) {
        writeln!(out, "\n# {} is excluded by the config", target.display())?;
    }
    Ok(0)
}

fn list_rules(format: &str) -> std::io::Result<u8> {
    let mut out = std::io::stdout().lock();
    if format == "json" {
        let v: Vec<serde_json::Value> = rules::registry::RULES
            .iter()
            .map(|r| {
                let m = r.meta();
                serde_json::json!({
                    "id": m.id,
                    "family": m.family.as_str(),
                    "severity": m.severity.as_str(),
                    "summary": m.summary,
                    "version_gated": m.version_gated,
                    "test_files": !m.skip_test_files,
                    "url": m.url(),
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        )?;
        return Ok(0);
    }
    writeln!(
        out,
        "{:<28} {:<6} {:<8} summary",
        "rule", "family", "severity"
    )?;
    for r in rules::registry::RULES {
        let m = r.meta();
        writeln!(
            out,
            "{:<28} {:<6} {:<8} {}",
            m.id,
            m.family.as_str(),
            m.severity.as_str(),
            m.summary
        )?;
    }
    Ok(0)
}

fn show_rule(id: &str) -> std::io::Result<u8> {
    if let Some(m) = rules::engine::suppress::BUILTIN.iter().find(|m| m.id == id) {
        let mut out = std::io::stdout().lock();
        writeln!(out, "# {}\n", m.id)?;
        writeln!(
            out,
            "Built-in check, reported with --report-unused-ignores\n"
        )?;
        write!(out, "{}", m.docs())?;
        return Ok(0);
    }
    let Some(rule) = rules::registry::get(id) else {
        let msg = match Selector::parse(id) {
            Ok(_) => format!("`{id}` is a family, not a rule; see `faultline rules`"),
            Err(e) => e,
        };
        return usage_error(&msg);
    };
    let m = rule.meta();
    let mut out = std::io::stdout().lock();
    writeln!(out, "# {}\n", m.id)?;
    writeln!(
        out,
        "Family: {} · Severity: {}{}{}\n",
        m.family.as_str(),
        m.severity.as_str(),
        if m.version_gated {
            " · Silent for modules at go 1.23 or later"
        } else {
            ""
        },
        if m.skip_test_files {
            " · Not run on _test.go files"
        } else {
            ""
        }
    )?;
    write!(out, "{}", m.docs())?;
    if !m.options.is_empty() {
        writeln!(
            out,
            "\n## Config options (`[rules.{}]` in faultline.toml)\n",
            m.id
        )?;
        for o in m.options {
            writeln!(out, "- `{}` ({}): {}", o.name, o.kind.as_str(), o.doc)?;
        }
    }
    Ok(0)
}

fn debug_tree(path: &std::path::Path) -> std::io::Result<u8> {
    const MAX_INDENT: usize = 40;
    let bytes = std::fs::read(path)?;
    let file = match rules::SourceFile::from_bytes(path, bytes) {
        Ok(f) => f,
        Err(e) => return usage_error(&format!("{}: {e}", path.display())),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut cursor = file.tree().walk();
    let mut depth = 0usize;
    'walk: loop {
        let node = cursor.node();
        if node.is_named() {
            let field = cursor
                .field_name()
                .map(|f| format!("{f}: "))
                .unwrap_or_default();
            let pos = node.start_position();
            let leaf = if node.named_child_count() == 0 {
                format!(" {:?}", file.text_of(node))
            } else {
                String::new()
            };
            // Indentation stops growing at 40 levels (the depth is printed instead), so a
            // 100k-deep file prints linear, not quadratic, output.
            let deep = if depth > MAX_INDENT {
                format!("<{depth}> ")
            } else {
                String::new()
            };
            writeln!(
                out,
                "{:indent$}{deep}{field}{} [{}:{}]{leaf}",
                "",
                node.kind(),
                pos.row + 1,
                pos.column + 1,
                indent = depth.min(MAX_INDENT) * 2
            )?;
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            depth -= 1;
        }
    }
    out.flush()?;
    Ok(0)
}
