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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint (`./...` works as in `go vet`). Default: `.`
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Pretty)]
    pub format: OutputFormat,

    /// Only these rules: comma-separated rule ids or families (`time`, `net`, `sql`, `lock`).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,

    /// Skip these rules or families (applied after --select).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Colour in pretty output. `auto` honours NO_COLOR and whether stdout is a terminal.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print how many findings each rule produced instead of the findings.
    #[arg(long)]
    pub statistics: bool,

    /// Exit 0 even when there are findings (errors reading files still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// Assume this Go version instead of the go.mod `go` line (for version-gated rules).
    #[arg(long, value_name = "VERSION")]
    pub go_version: Option<String>,

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
