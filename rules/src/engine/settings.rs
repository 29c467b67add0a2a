//! The settings model: which rules run, and the knobs they read. Parsing of config
//! files on disk happens in the frontends; this is the in-memory result.

use std::collections::BTreeMap;

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

#[derive(Clone, Debug)]
pub struct Settings {
    pub enabled: RuleSet,
    /// Overrides the go.mod `go` line for version-gated rules.
    pub go_version: Option<GoVersion>,
    /// Per-rule options: rule id -> option name -> value.
    pub rule_options: BTreeMap<String, BTreeMap<String, OptionValue>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: RuleSet::all(),
            go_version: None,
            rule_options: BTreeMap::new(),
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

    pub fn option(&self, rule: &str, key: &str) -> Option<&OptionValue> {
        self.rule_options.get(rule)?.get(key)
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
