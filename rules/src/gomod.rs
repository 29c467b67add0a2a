//! The bits of `go.mod` the rules care about: the `go` directive, `godebug` settings
//! and the module path.

use std::fmt;

/// A Go language version such as `1.23` (patch levels are irrelevant to the rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
}

impl GoVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        GoVersion { major, minor }
    }

    /// Since Go 1.23 unreferenced Tickers and Timers are collected even when not stopped.
    pub const TIMER_GC: GoVersion = GoVersion::new(1, 23);

    /// Parse `1.21`, `1.21.3`, `1.21rc1`, `go1.22`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().trim_start_matches("go");
        let mut parts = s.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor_text = parts.next().unwrap_or("0");
        let digits: String = minor_text
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let minor = digits.parse().ok()?;
        Some(GoVersion { major, minor })
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What a `go.mod` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoMod {
    pub module: Option<String>,
    pub go: Option<GoVersion>,
    /// `godebug` key/value pairs, in file order.
    pub godebug: Vec<(String, String)>,
}

impl GoMod {
    /// Parse the text of a go.mod file. Unknown directives are ignored; never fails.
    pub fn parse(text: &str) -> GoMod {
        let mut m = GoMod::default();
        let mut in_godebug_block = false;
        let mut in_other_block = false;
        for raw in text.lines() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if in_godebug_block {
                if line.starts_with(')') {
                    in_godebug_block = false;
                } else {
                    push_godebug(&mut m.godebug, line);
                }
                continue;
            }
            if in_other_block {
                if line.starts_with(')') {
                    in_other_block = false;
                }
                continue;
            }
            let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let rest = rest.trim();
            match verb {
                "module" => m.module = Some(rest.trim_matches('"').to_string()),
                "go" => m.go = GoVersion::parse(rest),
                "godebug" if rest.starts_with('(') => in_godebug_block = true,
                "godebug" => push_godebug(&mut m.godebug, rest),
                _ if rest.starts_with('(') => in_other_block = true,
                _ => {}
            }
        }
        m
    }

    pub fn godebug_value(&self, key: &str) -> Option<&str> {
        self.godebug
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn strip_comment(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

fn push_godebug(out: &mut Vec<(String, String)>, text: &str) {
    for item in text.split(',') {
        if let Some((k, v)) = item.trim().split_once('=') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_directive_and_godebug() {
        let m = GoMod::parse(
            "module example.com/x // the module\n\ngo 1.23.1\ntoolchain go1.23.4\n\ngodebug (\n\tasynctimerchan=1\n\tpanicnil=1\n)\nrequire (\n\tgolang.org/x/net v0.1.0\n)\n",
        );
        assert_eq!(m.module.as_deref(), Some("example.com/x"));
        assert_eq!(m.go, Some(GoVersion::new(1, 23)));
        assert_eq!(m.godebug_value("asynctimerchan"), Some("1"));
        assert_eq!(m.godebug_value("panicnil"), Some("1"));
    }

    #[test]
    fn single_line_godebug_and_versions() {
        let m = GoMod::parse("module x\ngo 1.22\ngodebug asynctimerchan=0\n");
        assert_eq!(m.go, Some(GoVersion::new(1, 22)));
        assert_eq!(m.godebug_value("asynctimerchan"), Some("0"));
        assert_eq!(GoVersion::parse("1.21rc1"), Some(GoVersion::new(1, 21)));
        assert_eq!(GoVersion::parse("go1.9"), Some(GoVersion::new(1, 9)));
        assert_eq!(GoVersion::parse("x"), None);
        assert!(GoVersion::new(1, 23) >= GoVersion::TIMER_GC);
        assert!(GoVersion::new(1, 9) < GoVersion::TIMER_GC);
    }
}
