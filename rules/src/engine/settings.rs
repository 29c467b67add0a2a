//! The settings model: which rules run, and the knobs they read. The config file is
//! parsed into this by `engine::config` (from a string; the frontends read the file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::engine::rule::Family;
use crate::gomod::GoVersion;
use crate::registry;

/// A set of rules, by registry index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct RuleSet(u128);

impl RuleSet {
    pub const fn empty() -> Self {
        RuleSet(0)
    }

    pub fn all() -> Self {
        let n = registry::RULES.len();
        RuleSet(if n >= 128 {
            u128::MAX
        } else {
            (1u128 << n) - 1
        })
    }

    pub fn contains(self, i: usize) -> bool {
        i < 128 && self.0 & (1 << i) != 0
    }

    pub fn insert(&mut self, i: usize) {
        self.0 |= 1 << i;
    }

    pub fn remove(&mut self, i: usize) {
        self.0 &= !(1 << i);
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn union(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 | other.0)
    }

    pub fn difference(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 & !other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..registry::RULES.len()).filter(move |&i| self.contains(i))
    }
}

/// A user's name for some rules: a rule id, a family name, or `all`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    All,
    Family(Family),
    Rule(usize),
}

impl Selector {
    /// Parse one selector; the error names the closest valid one.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("all") {
            return Ok(Selector::All);
        }
        if let Some(f) = Family::parse(s) {
            return Ok(Selector::Family(f));
        }
        if let Some(i) = registry::index_of(s) {
            return Ok(Selector::Rule(i));
        }
        let candidates = registry::RULES
            .iter()
            .map(|r| r.meta().id)
            .chain(Family::ALL.iter().map(|f| f.as_str()))
            .chain(["all"]);
        Err(match closest(s, candidates) {
            Some(c) => format!("unknown rule or family `{s}` (did you mean `{c}`?)"),
            None => format!("unknown rule or family `{s}` (see `faultline rules`)"),
        })
    }

    /// Parse a comma-separated list.
    pub fn parse_list(s: &str) -> Result<Vec<Selector>, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Selector::parse)
            .collect()
    }

    /// The name as a user writes it (`all`, a family, a rule id).
    pub fn name(&self) -> &'static str {
        match self {
            Selector::All => "all",
            Selector::Family(f) => f.as_str(),
            Selector::Rule(i) => registry::RULES[*i].meta().id,
        }
    }

    pub fn rules(&self) -> RuleSet {
        match self {
            Selector::All => RuleSet::all(),
            Selector::Family(f) => {
                let mut set = RuleSet::empty();
                for (i, r) in registry::RULES.iter().enumerate() {
                    if r.meta().family == *f {
                        set.insert(i);
                    }
                }
                set
            }
            Selector::Rule(i) => {
                let mut set = RuleSet::empty();
                set.insert(*i);
                set
            }
        }
    }
}

/// The closest candidate by edit distance, when it is close enough to be a typo.
pub fn closest<'c>(input: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(input, c), c))
        .filter(|(d, c)| *d <= (c.len().max(input.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A per-rule option value (from `[rules.<id>]` in the config file).
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<String>),
}

impl OptionValue {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            OptionValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[String] {
        match self {
            OptionValue::List(l) => l,
            _ => &[],
        }
    }
}

/// A path pattern from the config file (`exclude`, `[per-file-ignores]`), matched
/// against paths relative to the config file's directory, with `/` separators.
///
/// - `*` and `?` never cross a `/`; `**` matches any number of directories;
/// - a pattern without `/` matches any single path component (a file or directory
///   name anywhere: `vendor`, `*_mock.go`);
/// - a pattern that matches a directory matches everything below it (`gen`,
///   `internal/legacy`, `gen/**`).
#[derive(Clone, Debug)]
pub struct PathGlob {
    pattern: String,
    matcher: globset::GlobMatcher,
    any_component: bool,
}

impl PathGlob {
    pub fn new(pattern: &str) -> Result<PathGlob, String> {
        let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(format!("`{pattern}` is an empty pattern"));
        }
        let glob = globset::GlobBuilder::new(trimmed)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("`{pattern}` is not a valid glob: {}", e.kind()))?;
        Ok(PathGlob {
            pattern: pattern.to_string(),
            matcher: glob.compile_matcher(),
            any_component: !trimmed.contains('/'),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `rel` (relative, `/`-separated) or one of its parent directories matches.
    pub fn matches(&self, rel: &str) -> bool {
        if self.any_component {
            return rel.split('/').any(|c| self.matcher.is_match(c));
        }
        rel.match_indices('/')
            .any(|(i, _)| self.matcher.is_match(&rel[..i]))
            || self.matcher.is_match(rel)
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub enabled: RuleSet,
    /// Overrides the go.mod `go` line for version-gated rules.
    pub go_version: Option<GoVersion>,
    /// Per-rule options: rule id -> option name -> value.
    pub rule_options: BTreeMap<String, BTreeMap<String, OptionValue>>,
    /// The directory `exclude` and `per_file_ignores` are relative to (the config
    /// file's directory). Without it they match paths as given.
    pub root: Option<PathBuf>,
    /// Files never linted (they still feed the package index as siblings).
    pub exclude: Vec<PathGlob>,
    /// Rules turned off for the files a pattern matches.
    pub per_file_ignores: Vec<(PathGlob, RuleSet)>,
    /// Report suppression comments that silence nothing (or name unknown rules) as
    /// `unused-ignore` / `unknown-rule-in-ignore` findings.
    pub report_unused_ignores: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: RuleSet::all(),
            go_version: None,
            rule_options: BTreeMap::new(),
            root: None,
            exclude: Vec::new(),
            per_file_ignores: Vec::new(),
            report_unused_ignores: false,
        }
    }
}

impl Settings {
    /// Only the given rule.
    pub fn for_rule(id: &str) -> Settings {
        let mut enabled = RuleSet::empty();
        if let Some(i) = registry::index_of(id) {
            enabled.insert(i);
        }
        Settings {
            enabled,
            ..Settings::default()
        }
    }

    /// Apply `--select` then `--ignore` (each a list of selectors).
    pub fn select(&mut self, select: &[Selector], ignore: &[Selector]) {
        if !select.is_empty() {
            self.enabled = select
                .iter()
                .fold(RuleSet::empty(), |acc, s| acc.union(s.rules()));
        }
        for s in ignore {
            self.enabled = self.enabled.difference(s.rules());
        }
    }

    /// The value of option `key` of `rule` from the config file, if set. Declare the
    /// option in the rule's `RuleMeta::options`, or the config parser rejects it.
    pub fn option(&self, rule: &str, key: &str) -> Option<&OptionValue> {
        self.rule_options.get(rule)?.get(key)
    }

    /// `path` relative to `root`, with `/` separators (`None` when outside it).
    pub fn relative_path(&self, path: &Path) -> Option<String> {
        let rel = match &self.root {
            Some(root) => {
                let abs = std::path::absolute(path).ok()?;
                let abs = crate::engine::config::normalize(&abs);
                abs.strip_prefix(root).ok()?.to_path_buf()
            }
            None => path.to_path_buf(),
        };
        let mut out = String::new();
        for c in rel.components() {
            if let std::path::Component::Normal(s) = c {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(&s.to_string_lossy());
            }
        }
        Some(out)
    }

    /// Whether the config's `exclude` patterns exclude `path` from linting.
    pub fn is_excluded(&self, path: &Path) -> bool {
        if self.exclude.is_empty() {
            return false;
        }
        self.relative_path(path)
            .is_some_and(|rel| self.exclude.iter().any(|g| g.matches(&rel)))
    }

    /// Rules `[per-file-ignores]` turns off for `path`.
    pub fn ignored_for(&self, path: &Path) -> RuleSet {
        if self.per_file_ignores.is_empty() {
            return RuleSet::empty();
        }
        let Some(rel) = self.relative_path(path) else {
            return RuleSet::empty();
        };
        self.per_file_ignores
            .iter()
            .filter(|(g, _)| g.matches(&rel))
            .fold(RuleSet::empty(), |acc, (_, set)| acc.union(*set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_suggest_the_closest_rule() {
        let err = Selector::parse("ticker-not-stoped").unwrap_err();
        assert!(err.contains("did you mean `ticker-not-stopped`"), "{err}");
        assert!(Selector::parse("time").is_ok());
        assert!(Selector::parse("ALL").is_ok());
    }

    #[test]
    fn path_globs() {
        let g = PathGlob::new("*_mock.go").unwrap();
        assert!(g.matches("a/b/x_mock.go"));
        assert!(!g.matches("a/b/x.go"));
        let g = PathGlob::new("gen").unwrap();
        assert!(g.matches("gen/x.go") && g.matches("a/gen/x.go"));
        assert!(!g.matches("generated/x.go"));
        let g = PathGlob::new("internal/legacy").unwrap();
        assert!(g.matches("internal/legacy/a/x.go"));
        assert!(!g.matches("x/internal/legacy/a.go"));
        let g = PathGlob::new("**/legacy/*.go").unwrap();
        assert!(g.matches("x/internal/legacy/a.go"));
        assert!(!g.matches("x/internal/legacy/sub/a.go"));
        let g = PathGlob::new("cmd/*/main.go").unwrap();
        assert!(g.matches("cmd/api/main.go"));
        assert!(!g.matches("cmd/api/v2/main.go"));
        assert!(PathGlob::new("a[").is_err());
    }

    #[test]
    fn select_then_ignore() {
        let mut s = Settings::default();
        s.select(
            &Selector::parse_list("time").unwrap(),
            &Selector::parse_list("tick-leak").unwrap(),
        );
        let ids: Vec<&str> = s
            .enabled
            .iter()
            .map(|i| registry::RULES[i].meta().id)
            .collect();
        assert!(ids.contains(&"ticker-not-stopped"));
        assert!(!ids.contains(&"tick-leak"));
    }
}
