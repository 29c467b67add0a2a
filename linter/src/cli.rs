//! Command-line interface definition.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "faultline",
    version,
    about = "Finds the silent faults of Go services: leaked tickers, reads without deadlines, \
             unchecked writes, I/O under locks",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint Go files and directories (directories recurse, honouring .gitignore).
    Check(CheckArgs),
    /// List every rule with its family and severity.
    Rules(RulesArgs),
    /// Print the documentation of one rule.
    Rule {
        /// A rule id, e.g. `ticker-not-stopped`.
        id: String,
    },
    /// Print the effective settings for a path: the config file that governs it, the
    /// enabled rules and every option, as TOML.
    Config(ConfigArgs),
    /// Run the language server on stdin/stdout.
    Server,
    /// Debugging aids for rule authors.
    #[command(hide = true)]
    Debug {
        #[command(subcommand)]
        what: DebugCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Print the tree-sitter syntax tree of a Go file.
    Tree { file: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Code snippets with the flagged token, related locations and a fix hint.
    Pretty,
    /// One `path:line:col: severity[rule] message` line per finding.
    Concise,
    /// A JSON array of findings (stable schema).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitLab Code Quality JSON (`artifacts: reports: codequality`).
    Gitlab,
    /// GitHub Actions workflow commands (`::warning file=...::`), shown as annotations.
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options that decide the settings: shared by `check` and `config`.
#[derive(Debug, Args, Default)]
pub struct SettingsArgs {
    /// Only these rules: comma-separated rule ids or families (`time`, `net`, `sql`,
    /// `lock`, `all`). Replaces the config file's `select`.
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,

    /// Add these rules or families to the selection.
    #[arg(long, value_delimiter = ',')]
    pub extend_select: Vec<String>,

    /// Skip these rules or families (applied after --select and the config file).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Assume this Go version instead of the go.mod `go` line (for version-gated rules).
    #[arg(long, value_name = "VERSION")]
    pub go_version: Option<String>,

    /// Use this config file for every linted file instead of looking for
    /// `faultline.toml` / `.faultline.toml` above each one.
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Ignore every config file: only command-line options apply.
    #[arg(long)]
    pub isolated: bool,

    /// Report suppression comments that silence nothing, and unknown rule names in
    /// `//faultline:ignore` comments, as findings (`unused-ignore`, `unknown-rule-in-ignore`).
    #[arg(long)]
    pub report_unused_ignores: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The file or directory whose settings to show. Default: `.`
    pub path: Option<PathBuf>,

    #[command(flatten)]
    pub settings: SettingsArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint (`./...` works as in `go vet`). Default: `.`
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Pretty)]
    pub format: OutputFormat,

    /// Write the report to this file (atomically: a temporary file then a rename)
    /// instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub settings: SettingsArgs,

    /// Hide findings recorded in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record every current finding in this baseline file, then exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Only report findings on lines changed since this git revision (committed,
    /// staged, unstaged and untracked changes all count).
    #[arg(long, value_name = "REV")]
    pub new_from_rev: Option<String>,

    /// Also show findings silenced by suppression comments, marked as suppressed
    /// (SARIF: `suppressions`). They never change the exit code.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Colour in pretty output. `auto` honours NO_COLOR and whether stdout is a terminal.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print how many findings each rule produced instead of the findings.
    #[arg(long)]
    pub statistics: bool,

    /// Exit 0 even when there are findings (errors reading files still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// Number of threads (default: all cores).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,

    /// Apply the safe fixes, write the files, then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// With --fix or --diff: apply the unsafe fixes too (they change behaviour; review them).
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print a unified diff of what --fix would change and write nothing (exit 1 when
    /// there is a diff).
    #[arg(long)]
    pub diff: bool,

    /// Parse and walk every file without running rules (benchmark baseline).
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `text` (a table) or `json`.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}
