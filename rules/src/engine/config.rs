//! The config file, `faultline.toml` (or `.faultline.toml`).
//!
//! Everything here is pure: [`Config::parse`] reads a string, [`Config::apply`] folds
//! it into [`Settings`], and [`find_config`] walks up directories through a closure
//! that answers "does this path exist?". The CLI passes `Path::exists`; the language
//! server can pass the same or its own view of the workspace.
//!
//! ```toml
//! select = ["time", "net"]            # replaces the default (every rule)
//! extend-select = ["lock-held-io"]    # adds to `select` (or to the default)
//! ignore = ["tick-leak"]              # removes, after select / extend-select
//! exclude = ["gen", "**/*_mock.go"]   # never linted (on top of .gitignore)
//! go-version = "1.22"                 # overrides go.mod for version-gated rules
//!
//! [per-file-ignores]
//! "cmd/**" = ["server-no-timeouts"]
//!
//! [rules.rows-affected-unchecked]
//! single-key = false
//! ```
//!
//! Unknown keys, rule ids and option names are errors that name the file, the line and
//! the closest valid spelling; nothing is silently ignored.
//!
//! A frontend (the CLI, the language server) does:
//!
//! ```ignore
//! let mut settings = Settings::default();
//! if let Some(path) = rules::find_config(&abs_dir_of_file, |p| p.exists()) {
//!     // ConfigError's Display is `path:line:col: message`, ready to show.
//!     Config::load(&path, |p| std::fs::read_to_string(p))?.apply(&mut settings);
//! }
//! // ...then its own overrides (command-line flags, editor settings).
//! if settings.is_excluded(&file) { /* report nothing for this file */ }
//! let engine = Engine::new(settings); // per-file ignores apply inside lint_file
//! ```
//!
//! Rules read their options with `ctx.settings.option(META.id, "name")`, after declaring
//! them in `declare_rule!` (`options: [("name", Bool, "one-line doc")]`), which is what
//! the parser validates against.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::rule::{OptionKind, RuleMeta};
use super::settings::{OptionValue, PathGlob, RuleSet, Selector, Settings, closest};
use crate::gomod::GoVersion;
use crate::registry;

/// Config file names, in the order they are looked for in each directory.
pub const CONFIG_FILE_NAMES: [&str; 2] = ["faultline.toml", ".faultline.toml"];

/// The top-level keys.
pub const TOP_LEVEL_KEYS: [&str; 7] = [
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "per-file-ignores",
    "go-version",
    "rules",
];

/// Find the config file governing `dir`: the first of [`CONFIG_FILE_NAMES`] found in
/// `dir` or a parent, stopping at the repository root (the first directory holding
/// `.git`). `exists` tells whether a path exists; pass an absolute `dir`.
pub fn find_config(dir: &Path, exists: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        for name in CONFIG_FILE_NAMES {
            let p = d.join(name);
            if exists(&p) {
                return Some(p);
            }
        }
        if exists(&d.join(".git")) {
            return None;
        }
        cur = d.parent();
    }
    None
}

/// Lexically resolve `.` and `..` (no file-system access).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A config file problem, located in the file when possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column.
    pub line: Option<(u32, u32)>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display().to_string();
        let path = one_line(&path);
        let message = one_line(&self.message);
        match self.line {
            Some((l, c)) => write!(f, "{path}:{l}:{c}: {message}"),
            None => write!(f, "{path}: {message}"),
        }
    }
}

/// Config errors are one line (CI logs, editors' message boxes): control characters
/// from the user's file (`"a\nb"` in a TOML string) are shown escaped.
fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

impl std::error::Error for ConfigError {}

/// One parsed config file.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it came from; its directory anchors the path patterns.
    pub path: PathBuf,
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
    pub exclude: Vec<PathGlob>,
    pub per_file_ignores: Vec<(PathGlob, Vec<Selector>)>,
    pub go_version: Option<GoVersion>,
    /// rule id -> option -> value, validated against each rule's `RuleMeta::options`.
    pub rule_options: BTreeMap<String, BTreeMap<String, OptionValue>>,
}

impl Config {
    /// Read and parse the file at `path` with `read` (e.g. `std::fs::read_to_string`).
    pub fn load(
        path: &Path,
        read: impl FnOnce(&Path) -> std::io::Result<String>,
    ) -> Result<Config, ConfigError> {
        let text = read(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read the config file: {}", io_reason(&e)),
        })?;
        Config::parse(&text, path)
    }

    /// Parse config text; `path` is only used in errors and to anchor path patterns.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Parser {
            text,
            path,
            rule_meta: &|id| registry::get(id).map(|r| r.meta()),
            rule_ids: &|| registry::RULES.iter().map(|r| r.meta().id).collect(),
        }
        .parse()
    }

    /// Fold this config into `settings`: rule selection (select, then extend-select,
    /// then ignore), Go version, path patterns (anchored at the config's directory)
    /// and rule options.
    pub fn apply(&self, settings: &mut Settings) {
        let mut enabled = match &self.select {
            Some(sel) => sel
                .iter()
                .fold(RuleSet::empty(), |acc, s| acc.union(s.rules())),
            None => settings.enabled,
        };
        for s in &self.extend_select {
            enabled = enabled.union(s.rules());
        }
        for s in &self.ignore {
            enabled = enabled.difference(s.rules());
        }
        settings.enabled = enabled;
        if self.go_version.is_some() {
            settings.go_version = self.go_version;
        }
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        settings.root = Some(normalize(&abs));
        settings.exclude.extend(self.exclude.iter().cloned());
        for (glob, sels) in &self.per_file_ignores {
            let set = sels
                .iter()
                .fold(RuleSet::empty(), |acc, s| acc.union(s.rules()));
            settings.per_file_ignores.push((glob.clone(), set));
        }
        for (rule, opts) in &self.rule_options {
            let entry = settings.rule_options.entry(rule.clone()).or_default();
            entry.extend(opts.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

type MetaLookup<'a> = &'a dyn Fn(&str) -> Option<&'static RuleMeta>;

struct Parser<'a> {
    text: &'a str,
    path: &'a Path,
    rule_meta: MetaLookup<'a>,
    rule_ids: &'a dyn Fn() -> Vec<&'static str>,
}

impl Parser<'_> {
    fn err(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ConfigError {
        let line = span.map(|r| {
            let before = &self.text[..r.start.min(self.text.len())];
            let line = before.matches('\n').count() as u32 + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            (line, col)
        });
        ConfigError {
            path: self.path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    fn parse(&self) -> Result<Config, ConfigError> {
        let table = DeTable::parse(self.text).map_err(|e| {
            let msg = e.message().trim().to_string();
            self.err(e.span(), format!("invalid TOML: {msg}"))
        })?;
        let mut cfg = Config {
            path: self.path.to_path_buf(),
            ..Config::default()
        };
        // Report problems in file order, so the first one printed is the first one.
        let mut entries: Vec<_> = table.get_ref().iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        for (key, value) in entries {
            let span = key.span();
            match key.get_ref().as_ref() {
                "select" => cfg.select = Some(self.selectors("select", value)?),
                "extend-select" => cfg.extend_select = self.selectors("extend-select", value)?,
                "ignore" => cfg.ignore = self.selectors("ignore", value)?,
                "exclude" => {
                    for (s, span) in self.strings("exclude", value)? {
                        cfg.exclude
                            .push(PathGlob::new(&s).map_err(|e| self.err(Some(span), e))?);
                    }
                }
                "go-version" => {
                    let v = match value.get_ref() {
                        DeValue::String(s) => GoVersion::parse(s),
                        _ => None,
                    };
                    cfg.go_version = Some(v.ok_or_else(|| {
                        self.err(
                            Some(value.span()),
                            "`go-version` must be a Go version string like \"1.22\"",
                        )
                    })?);
                }
                "per-file-ignores" => {
                    let t = self.table("per-file-ignores", value)?;
                    let mut items: Vec<_> = t.iter().collect();
                    items.sort_by_key(|(k, _)| k.span().start);
                    for (pat, sels) in items {
                        let glob = PathGlob::new(pat.get_ref())
                            .map_err(|e| self.err(Some(pat.span()), e))?;
                        let what = format!("per-file-ignores.\"{}\"", pat.get_ref());
                        cfg.per_file_ignores
                            .push((glob, self.selectors(&what, sels)?));
                    }
                }
                "rules" => {
                    let t = self.table("rules", value)?;
                    let mut items: Vec<_> = t.iter().collect();
                    items.sort_by_key(|(k, _)| k.span().start);
                    for (id, opts) in items {
                        let (id, parsed) = self.rule_table(id, opts)?;
                        cfg.rule_options.insert(id, parsed);
                    }
                }
                other => {
                    let hint = match closest(other, TOP_LEVEL_KEYS) {
                        Some(c) => format!(" (did you mean `{c}`?)"),
                        None => format!(
                            " (valid keys: {})",
                            TOP_LEVEL_KEYS
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    return Err(self.err(Some(span), format!("unknown key `{other}`{hint}")));
                }
            }
        }
        Ok(cfg)
    }

    fn table<'v, 'i>(
        &self,
        what: &str,
        value: &'v Spanned<DeValue<'i>>,
    ) -> Result<&'v DeTable<'i>, ConfigError> {
        match value.get_ref() {
            DeValue::Table(t) => Ok(t),
            other => Err(self.err(
                Some(value.span()),
                format!("`{what}` must be a table, not {}", type_name(other)),
            )),
        }
    }

    fn strings(
        &self,
        what: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<Vec<(String, Range<usize>)>, ConfigError> {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.err(
                Some(value.span()),
                format!(
                    "`{what}` must be a list of strings, like [\"a\", \"b\"], not {}",
                    type_name(value.get_ref())
                ),
            ));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok((s.to_string(), item.span())),
                other => Err(self.err(
                    Some(item.span()),
                    format!(
                        "`{what}` must be a list of strings; this is {}",
                        type_name(other)
                    ),
                )),
            })
            .collect()
    }

    fn selectors(
        &self,
        what: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<Vec<Selector>, ConfigError> {
        self.strings(what, value)?
            .into_iter()
            .map(|(s, span)| {
                Selector::parse(&s).map_err(|e| self.err(Some(span), format!("in `{what}`: {e}")))
            })
            .collect()
    }

    fn rule_table(
        &self,
        id: &Spanned<std::borrow::Cow<'_, str>>,
        opts: &Spanned<DeValue<'_>>,
    ) -> Result<(String, BTreeMap<String, OptionValue>), ConfigError> {
        let name = id.get_ref().as_ref();
        let Some(meta) = (self.rule_meta)(name) else {
            let ids = (self.rule_ids)();
            let hint = match closest(name, ids.iter().copied()) {
                Some(c) => format!(" (did you mean `{c}`?)"),
                None => " (see `faultline rules`)".to_string(),
            };
            return Err(self.err(
                Some(id.span()),
                format!("unknown rule `{name}` in `[rules]`{hint}"),
            ));
        };
        let t = self.table(&format!("rules.{name}"), opts)?;
        let mut items: Vec<_> = t.iter().collect();
        items.sort_by_key(|(k, _)| k.span().start);
        let mut out = BTreeMap::new();
        for (key, value) in items {
            let key_name = key.get_ref().as_ref();
            let Some(decl) = meta.option(key_name) else {
                let msg = if meta.options.is_empty() {
                    format!("rule `{name}` has no options (`{key_name}` is not one)")
                } else {
                    let hint = match closest(key_name, meta.options.iter().map(|o| o.name)) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!(
                            "its options: {}",
                            meta.options
                                .iter()
                                .map(|o| format!("`{}`", o.name))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    format!("unknown option `{key_name}` for rule `{name}` ({hint})")
                };
                return Err(self.err(Some(key.span()), msg));
            };
            let v = match (decl.kind, value.get_ref()) {
                (OptionKind::Bool, DeValue::Boolean(b)) => Some(OptionValue::Bool(*b)),
                (OptionKind::Int, DeValue::Integer(i)) => {
                    i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                        .ok()
                        .map(OptionValue::Int)
                }
                (OptionKind::Str, DeValue::String(s)) => Some(OptionValue::Str(s.to_string())),
                (OptionKind::List, DeValue::Array(_)) => {
                    let what = format!("rules.{name}.{key_name}");
                    let items = self.strings(&what, value)?;
                    for (s, span) in &items {
                        crate::registry::check_option_item(meta.id, key_name, s)
                            .map_err(|e| self.err(Some(span.clone()), e))?;
                    }
                    Some(OptionValue::List(
                        items.into_iter().map(|(s, _)| s).collect(),
                    ))
                }
                _ => None,
            };
            let v = v.ok_or_else(|| {
                self.err(
                    Some(value.span()),
                    format!(
                        "option `{key_name}` of rule `{name}` must be {}, not {}",
                        decl.kind.as_str(),
                        type_name(value.get_ref())
                    ),
                )
            })?;
            out.insert(key_name.to_string(), v);
        }
        Ok((meta.id.to_string(), out))
    }
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diagnostic::Severity;
    use crate::engine::rule::{Family, FixAvailability, RuleOption};

    static WITH_OPTIONS: RuleMeta = RuleMeta {
        id: "rows-affected-unchecked",
        family: Family::Sql,
        severity: Severity::Warning,
        summary: "",
        raw_docs: "",
        kinds: &[],
        gate: &[],
        package_gate: &[],
        fix: FixAvailability::None,
        version_gated: false,
        skip_test_files: false,
        options: &[
            RuleOption {
                name: "single-key",
                kind: OptionKind::Bool,
                doc: "",
            },
            RuleOption {
                name: "exec-methods",
                kind: OptionKind::List,
                doc: "",
            },
        ],
    };

    fn parse(text: &str) -> Result<Config, String> {
        Parser {
            text,
            path: Path::new("/repo/faultline.toml"),
            rule_meta: &|id| match id {
                "rows-affected-unchecked" => Some(&WITH_OPTIONS),
                _ => registry::get(id).map(|r| r.meta()),
            },
            rule_ids: &|| {
                let mut v: Vec<&str> = registry::RULES.iter().map(|r| r.meta().id).collect();
                v.push("rows-affected-unchecked");
                v
            },
        }
        .parse()
        .map_err(|e| e.to_string())
    }

    fn ids(set: RuleSet) -> Vec<&'static str> {
        set.iter().map(|i| registry::RULES[i].meta().id).collect()
    }

    #[test]
    fn a_full_config() {
        let cfg = parse(
            r#"
select = ["time"]
extend-select = []
ignore = ["tick-leak"]
exclude = ["gen", "**/*_mock.go"]
go-version = "1.22"

[per-file-ignores]
"cmd/**" = ["time-after-in-loop"]

[rules.rows-affected-unchecked]
single-key = false
exec-methods = ["Run"]
"#,
        )
        .unwrap();
        let mut s = Settings::default();
        cfg.apply(&mut s);
        assert!(!ids(s.enabled).contains(&"tick-leak"));
        assert!(ids(s.enabled).contains(&"ticker-not-stopped"));
        assert_eq!(s.go_version, GoVersion::parse("1.22"));
        assert_eq!(s.root.as_deref(), Some(Path::new("/repo")));
        assert!(s.is_excluded(Path::new("/repo/a/gen/x.go")));
        assert!(s.is_excluded(Path::new("/repo/a/x_mock.go")));
        assert!(!s.is_excluded(Path::new("/repo/a/x.go")));
        assert!(!s.is_excluded(Path::new("/elsewhere/gen/x.go")));
        assert_eq!(
            ids(s.ignored_for(Path::new("/repo/cmd/api/main.go"))),
            vec!["time-after-in-loop"]
        );
        assert!(s.ignored_for(Path::new("/repo/api/main.go")).is_empty());
        assert_eq!(
            s.option("rows-affected-unchecked", "single-key"),
            Some(&OptionValue::Bool(false))
        );
        assert_eq!(
            s.option("rows-affected-unchecked", "exec-methods"),
            Some(&OptionValue::List(vec!["Run".into()]))
        );
    }

    #[test]
    fn extend_select_adds_to_the_default_or_to_select() {
        let mut s = Settings::default();
        parse("select = [\"tick-leak\"]\nextend-select = [\"ticker-not-stopped\"]")
            .unwrap()
            .apply(&mut s);
        assert_eq!(ids(s.enabled), vec!["ticker-not-stopped", "tick-leak"]);
    }

    #[test]
    fn errors_stay_on_one_line_whatever_the_file_holds() {
        // Found by the `config` fuzz target: a newline escaped inside a TOML string.
        let e = parse("select = [\"tick\\nleak\"]").unwrap_err();
        assert_eq!(
            e,
            "/repo/faultline.toml:1:11: in `select`: unknown rule or family `tick\\nleak` (did you mean `tick-leak`?)"
        );
    }

    #[test]
    fn errors_name_the_line_and_the_closest_key() {
        let e = parse("ignore = []\nselct = [\"time\"]\n").unwrap_err();
        assert_eq!(
            e,
            "/repo/faultline.toml:2:1: unknown key `selct` (did you mean `select`?)"
        );
        let e = parse("select = [\"time\",\n  \"tick-leek\"]").unwrap_err();
        assert_eq!(
            e,
            "/repo/faultline.toml:2:3: in `select`: unknown rule or family `tick-leek` (did you mean `tick-leak`?)"
        );
        let e = parse("[rules.ticker-not-stoped]\nx = 1").unwrap_err();
        assert_eq!(
            e,
            "/repo/faultline.toml:1:8: unknown rule `ticker-not-stoped` in `[rules]` (did you mean `ticker-not-stopped`?)"
        );
        let e = parse("[rules.rows-affected-unchecked]\nsingle-keys = true").unwrap_err();
        assert_eq!(
            e,
            "/repo/faultline.toml:2:1: unknown option `single-keys` for rule `rows-affected-unchecked` (did you mean `single-key`?)"
        );
        let e = parse("[rules.rows-affected-unchecked]\nsingle-key = \"no\"").unwrap_err();
        assert_eq!(
            e,
            "/repo/faultline.toml:2:14: option `single-key` of rule `rows-affected-unchecked` must be a boolean, not a string"
        );
        let e = parse("[rules.tick-leak]\nfoo = true").unwrap_err();
        assert!(e.contains("rule `tick-leak` has no options"), "{e}");
        let e = parse("select = \"time\"").unwrap_err();
        assert!(
            e.starts_with("/repo/faultline.toml:1:10: `select` must be a list"),
            "{e}"
        );
        let e = parse("go-version = 1.22").unwrap_err();
        assert!(e.contains("must be a Go version string"), "{e}");
        let e = parse("exclude = [\"a[\"]").unwrap_err();
        assert!(e.contains("not a valid glob"), "{e}");
        let e = parse("select = [").unwrap_err();
        assert!(e.starts_with("/repo/faultline.toml:1:"), "{e}");
        assert!(e.contains("invalid TOML"), "{e}");
        let e = parse("[rules.lock-held-io]\nio-calls = [\"os.ReadFile\", \"nope\"]").unwrap_err();
        assert!(
            e.starts_with("/repo/faultline.toml:2:28: `nope` is not a call"),
            "{e}"
        );
        assert!(parse("[rules.lock-held-io]\nio-calls = [\"os/exec.Cmd.Run\"]").is_ok());
        let e = parse("[per-file-ignores]\n\"x/**\" = [\"nope\"]").unwrap_err();
        assert!(
            e.starts_with("/repo/faultline.toml:2:11: in `per-file-ignores.\"x/**\"`"),
            "{e}"
        );
    }

    #[test]
    fn discovery_walks_up_to_the_repository_root() {
        let fs = |files: &'static [&'static str]| {
            move |p: &Path| files.iter().any(|f| Path::new(f) == p)
        };
        let exists = fs(&["/r/.git", "/r/faultline.toml", "/r/a/.faultline.toml"]);
        assert_eq!(
            find_config(Path::new("/r/a/b"), exists),
            Some(PathBuf::from("/r/a/.faultline.toml"))
        );
        assert_eq!(
            find_config(Path::new("/r/c"), exists),
            Some(PathBuf::from("/r/faultline.toml"))
        );
        // Not above the repository root.
        let exists = fs(&["/faultline.toml", "/r/.git"]);
        assert_eq!(find_config(Path::new("/r/a"), exists), None);
        // `faultline.toml` wins over `.faultline.toml` in one directory.
        let exists = fs(&["/r/faultline.toml", "/r/.faultline.toml"]);
        assert_eq!(
            find_config(Path::new("/r"), exists),
            Some(PathBuf::from("/r/faultline.toml"))
        );
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
