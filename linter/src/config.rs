//! Settings for each linted directory: the config file found above it (or `--config`,
//! or none with `--isolated`), then the command-line options on top.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rules::engine::config::normalize;
use rules::{Config, GoVersion, Selector, Settings};

use crate::cli::SettingsArgs;

/// The settings in force, one entry per distinct config file.
pub struct ConfigSet {
    pub entries: Vec<Entry>,
    /// Config file path -> entry.
    by_file: HashMap<Option<PathBuf>, usize>,
    /// Directory -> entry (memo of the upward search).
    by_dir: HashMap<PathBuf, usize>,
    forced: Option<PathBuf>,
    isolated: bool,
    cli: CliOverrides,
}

pub struct Entry {
    /// The config file, if any.
    pub path: Option<PathBuf>,
    pub settings: Settings,
}

/// Command-line options, parsed once.
struct CliOverrides {
    select: Vec<Selector>,
    extend_select: Vec<Selector>,
    ignore: Vec<Selector>,
    go_version: Option<GoVersion>,
    report_unused_ignores: bool,
}

fn selectors(flag: &str, items: &[String]) -> Result<Vec<Selector>, String> {
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| Selector::parse(s).map_err(|e| format!("{flag}: {e}")))
        .collect()
}

/// An absolute, lexically normalised path.
pub fn absolute(p: &Path) -> PathBuf {
    normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

impl ConfigSet {
    /// Check the command-line options; load `--config` when given.
    pub fn new(args: &SettingsArgs) -> Result<ConfigSet, String> {
        let cli =
            CliOverrides {
                select: selectors("--select", &args.select)?,
                extend_select: selectors("--extend-select", &args.extend_select)?,
                ignore: selectors("--ignore", &args.ignore)?,
                go_version: match &args.go_version {
                    Some(v) => Some(GoVersion::parse(v).ok_or_else(|| {
                        format!("--go-version: `{v}` is not a Go version like 1.22")
                    })?),
                    None => None,
                },
                report_unused_ignores: args.report_unused_ignores,
            };
        let mut set = ConfigSet {
            entries: Vec::new(),
            by_file: HashMap::new(),
            by_dir: HashMap::new(),
            forced: None,
            isolated: args.isolated,
            cli,
        };
        if let Some(path) = &args.config {
            if !path.is_file() {
                return Err(format!(
                    "--config: {}: {}",
                    path.display(),
                    if path.exists() {
                        "not a file"
                    } else {
                        "No such file or directory"
                    }
                ));
            }
            set.forced = Some(path.clone());
            set.entry_for(Some(path.clone()))?;
        }
        Ok(set)
    }

    /// The entry governing files in `dir`.
    pub fn for_dir(&mut self, dir: &Path) -> Result<usize, String> {
        if self.isolated {
            return self.entry_for(None);
        }
        if let Some(p) = &self.forced {
            return self.entry_for(Some(p.clone()));
        }
        let abs = absolute(dir);
        if let Some(&i) = self.by_dir.get(&abs) {
            return Ok(i);
        }
        let found = rules::find_config(&abs, |p| p.exists());
        let i = self.entry_for(found)?;
        self.by_dir.insert(abs, i);
        Ok(i)
    }

    fn entry_for(&mut self, path: Option<PathBuf>) -> Result<usize, String> {
        if let Some(&i) = self.by_file.get(&path) {
            return Ok(i);
        }
        let mut settings = Settings::default();
        if let Some(p) = &path {
            let cfg = Config::load(p, |p| std::fs::read_to_string(p)).map_err(|e| e.to_string())?;
            cfg.apply(&mut settings);
        }
        self.apply_cli(&mut settings);
        let i = self.entries.len();
        self.entries.push(Entry {
            path: path.clone(),
            settings,
        });
        self.by_file.insert(path, i);
        Ok(i)
    }

    fn apply_cli(&self, s: &mut Settings) {
        let c = &self.cli;
        if !c.select.is_empty() {
            s.enabled = c
                .select
                .iter()
                .fold(rules::RuleSet::empty(), |acc, x| acc.union(x.rules()));
        }
        for x in &c.extend_select {
            s.enabled = s.enabled.union(x.rules());
        }
        for x in &c.ignore {
            s.enabled = s.enabled.difference(x.rules());
        }
        if c.go_version.is_some() {
            s.go_version = c.go_version;
        }
        s.report_unused_ignores |= c.report_unused_ignores;
    }
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn toml_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.into_iter().map(toml_str).collect();
    format!("[{}]", v.join(", "))
}

/// The effective settings as TOML (valid as a config file), for `faultline config`.
pub fn render(entry: &Entry, target: &Path) -> String {
    use std::fmt::Write;
    let s = &entry.settings;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Effective faultline settings for {}",
        target.display()
    );
    match &entry.path {
        Some(p) => {
            let _ = writeln!(out, "# Config file: {}", absolute(p).display());
        }
        None => {
            let _ = writeln!(
                out,
                "# Config file: none (defaults and command-line options)"
            );
        }
    }
    if let Some(root) = &s.root {
        let _ = writeln!(out, "# Path patterns are relative to {}", root.display());
    }
    out.push('\n');
    let ids: Vec<&str> = s
        .enabled
        .iter()
        .map(|i| rules::registry::RULES[i].meta().id)
        .collect();
    let _ = writeln!(out, "select = {}", toml_list(ids.iter().copied()));
    match s.go_version {
        Some(v) => {
            let _ = writeln!(out, "go-version = \"{v}\"");
        }
        None => {
            let _ = writeln!(out, "# go-version: from each module's go.mod");
        }
    }
    let _ = writeln!(
        out,
        "exclude = {}",
        toml_list(s.exclude.iter().map(|g| g.as_str()))
    );
    if s.report_unused_ignores {
        let _ = writeln!(out, "# --report-unused-ignores is on");
    }
    out.push_str("\n[per-file-ignores]\n");
    for (glob, set) in &s.per_file_ignores {
        let ids: Vec<&str> = set
            .iter()
            .map(|i| rules::registry::RULES[i].meta().id)
            .collect();
        let _ = writeln!(out, "{} = {}", toml_str(glob.as_str()), toml_list(ids));
    }
    for rule in rules::registry::RULES {
        let m = rule.meta();
        if m.options.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n[rules.{}]", m.id);
        for o in m.options {
            match s.option(m.id, o.name) {
                Some(v) => {
                    let _ = writeln!(out, "{} = {}", o.name, option_value(v));
                }
                None => {
                    let _ = writeln!(out, "# {}: not set ({})", o.name, o.doc);
                }
            }
        }
    }
    out
}

fn option_value(v: &rules::OptionValue) -> String {
    match v {
        rules::OptionValue::Bool(b) => b.to_string(),
        rules::OptionValue::Int(i) => i.to_string(),
        rules::OptionValue::Str(s) => toml_str(s),
        rules::OptionValue::List(l) => toml_list(l.iter().map(String::as_str)),
    }
}
