//! The `faultline` command: CLI, discovery, parallel lint, output formats.

pub mod check;
pub mod cli;
pub mod discover;
pub mod output;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use rules::{Engine, GoVersion, Selector, Settings};

use crate::cli::{CheckArgs, Cli, ColorChoice, Command, DebugCommand, OutputFormat};

/// Exit codes: 0 clean, 1 findings, 2 usage or I/O error.
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

/// Build settings from the command line.
pub fn settings_from_args(args: &CheckArgs) -> Result<Settings, String> {
    let parse = |items: &[String]| -> Result<Vec<Selector>, String> {
        items
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(Selector::parse)
            .collect()
    };
    let mut settings = Settings::default();
    settings.select(&parse(&args.select)?, &parse(&args.ignore)?);
    if let Some(v) = &args.go_version {
        settings.go_version = Some(
            GoVersion::parse(v)
                .ok_or_else(|| format!("--go-version: `{v}` is not a Go version like 1.22"))?,
        );
    }
    Ok(settings)
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn run_check(args: CheckArgs) -> std::io::Result<u8> {
    let settings = match settings_from_args(&args) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    if let Some(n) = args.threads {
        // Only fails when a global pool already exists (tests): harmless.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let discovery = discover::discover(&args.paths);
    for w in &discovery.warnings {
        eprintln!("faultline: warning: {w}");
    }
    for e in &discovery.errors {
        eprintln!("faultline: error: {e}");
    }
    if args.parse_only {
        let (files, nodes) = check::parse_only(discovery.packages);
        eprintln!("parsed {files} files, {nodes} nodes");
        return Ok(if discovery.errors.is_empty() {
            0
        } else {
            EXIT_ERROR
        });
    }
    let engine = Engine::new(settings);
    let outcome = check::check(discovery.packages, &engine);
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

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.statistics {
        output::statistics(&mut out, &outcome.files, args.format == OutputFormat::Json)?;
    } else {
        let findings = output::findings(&outcome.files);
        match args.format {
            OutputFormat::Pretty => output::pretty::write(
                &mut out,
                findings,
                output::pretty::Style {
                    color: use_color(args.color),
                    width: 100,
                },
            )?,
            OutputFormat::Concise => output::concise::write(&mut out, findings)?,
            OutputFormat::Json => output::json::write(&mut out, findings)?,
        }
    }
    out.flush()?;
    drop(out);
    if args.format != OutputFormat::Json {
        eprintln!("{}", output::summary(&outcome.files, outcome.files_checked));
    }

    let internal = outcome
        .files
        .iter()
        .any(|f| !f.lint.internal_errors.is_empty());
    if !discovery.errors.is_empty() || !outcome.errors.is_empty() || internal {
        return Ok(EXIT_ERROR);
    }
    let any = outcome.files.iter().any(|f| !f.lint.diagnostics.is_empty());
    Ok(if any && !args.exit_zero {
        EXIT_FINDINGS
    } else {
        0
    })
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
    Ok(0)
}

fn debug_tree(path: &std::path::Path) -> std::io::Result<u8> {
    let bytes = std::fs::read(path)?;
    let file = match rules::SourceFile::from_bytes(path, bytes) {
        Ok(f) => f,
        Err(e) => return usage_error(&format!("{}: {e}", path.display())),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut cursor = file.tree.walk();
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
            writeln!(
                out,
                "{:indent$}{field}{} [{}:{}]{leaf}",
                "",
                node.kind(),
                pos.row + 1,
                pos.column + 1,
                indent = depth * 2
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
