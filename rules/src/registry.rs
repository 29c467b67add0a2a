//! The one list of every rule.

use crate::engine::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    // time
    &crate::time::TickerNotStopped,
    &crate::time::TickLeak,
    &crate::time::TickerLoopNoExit,
    &crate::time::TimeAfterInLoop,
    // net
    &crate::net::ConnReadNoDeadline,
    &crate::net::DeadlineNotRefreshed,
    &crate::net::TransportNoIdleTimeout,
    &crate::net::ClientNoTimeout,
    &crate::net::ServerNoTimeouts,
    // sql
    &crate::sql::RowsAffectedUnchecked,
    // lock
    &crate::lock::LockHeldIo,
];

/// Registry position of a rule id.
pub fn index_of(id: &str) -> Option<usize> {
    RULES.iter().position(|r| r.meta().id == id)
}

pub fn get(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}

/// The metadata of a rule id, including the built-in suppression checks
/// (`unused-ignore`, `unknown-rule-in-ignore`) that are not dispatched like rules.
pub fn meta(id: &str) -> Option<&'static crate::engine::rule::RuleMeta> {
    get(id).map(|r| r.meta()).or_else(|| {
        crate::engine::suppress::BUILTIN
            .iter()
            .copied()
            .find(|m| m.id == id)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::RULES;
    use crate::engine::{Engine, Settings};
    use crate::source::{SourceFile, language};

    fn root() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    #[test]
    fn ids_are_unique_kebab_case_and_name_the_bad_pattern() {
        let mut seen = HashSet::new();
        for r in RULES {
            let id = r.meta().id;
            assert!(seen.insert(id), "duplicate rule id {id}");
            assert!(
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !id.starts_with('-')
                    && !id.ends_with('-'),
                "`{id}` is not kebab-case"
            );
            for prefix in ["avoid-", "prefer-", "use-", "no-"] {
                assert!(!id.starts_with(prefix), "`{id}`: ids name the bad pattern");
            }
        }
    }

    #[test]
    fn every_kind_exists_in_the_grammar() {
        let lang = language();
        for r in RULES {
            for kind in r.meta().kinds {
                let found = (0..lang.node_kind_count() as u16).any(|id| {
                    lang.node_kind_is_named(id) && lang.node_kind_for_id(id) == Some(kind)
                });
                assert!(
                    found,
                    "`{}` asks for unknown node kind `{kind}`",
                    r.meta().id
                );
            }
        }
    }

    #[test]
    fn one_file_and_one_fixture_folder_per_rule() {
        for r in RULES {
            let m = r.meta();
            let file = root()
                .join("rules/src")
                .join(m.family.as_str())
                .join(format!("{}.rs", m.id.replace('-', "_")));
            assert!(
                file.is_file(),
                "`{}` should live in {}",
                m.id,
                file.display()
            );
            let fixtures = root().join("fixtures").join(m.id);
            assert!(
                fixtures.is_dir(),
                "`{}` has no {}",
                m.id,
                fixtures.display()
            );
        }
        for entry in std::fs::read_dir(root().join("fixtures"))
            .unwrap()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && !name.starts_with('_') {
                assert!(
                    super::index_of(&name).is_some(),
                    "fixtures/{name} names no rule (engine fixtures go under fixtures/_*)"
                );
            }
        }
    }

    #[test]
    fn docs_have_the_required_sections() {
        for r in RULES {
            let m = r.meta();
            let docs = m.docs();
            for section in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(docs.contains(section), "`{}` docs lack `{section}`", m.id);
            }
            assert!(
                docs.contains("```go,want"),
                "`{}` docs need a ```go,want example",
                m.id
            );
            assert!(
                docs.contains("```go\n"),
                "`{}` docs need a correct ```go example",
                m.id
            );
            assert!(
                !m.summary.is_empty() && !m.summary.ends_with('.'),
                "`{}` summary",
                m.id
            );
            assert_eq!(
                docs.contains("## Fix safety"),
                m.fix != crate::engine::FixAvailability::None,
                "`{}`: a rule with fixes documents `## Fix safety`, one without does not",
                m.id
            );
        }
    }

    /// Code blocks of a rule's docs: (wants a finding, code).
    fn doc_examples(docs: &str) -> Vec<(bool, String)> {
        let mut out = Vec::new();
        let mut cur: Option<(bool, String)> = None;
        for line in docs.lines() {
            match (&mut cur, line.trim()) {
                (None, "```go,want") => cur = Some((true, String::new())),
                (None, "```go") => cur = Some((false, String::new())),
                (Some(_), "```") => out.push(cur.take().unwrap()),
                (Some((_, code)), _) => {
                    code.push_str(line);
                    code.push('\n');
                }
                _ => {}
            }
        }
        out
    }

    /// Doc examples are tests: bad examples are flagged, good ones are not.
    #[test]
    fn doc_examples_behave_as_documented() {
        const PRELUDE: &str = "package example\n\nimport (\n\t\"bufio\"\n\t\"context\"\n\t\"database/sql\"\n\t\"encoding/json\"\n\t\"io\"\n\t\"net\"\n\t\"net/http\"\n\t\"os\"\n\t\"sync\"\n\t\"time\"\n)\n\n";
        for r in RULES {
            let m = r.meta();
            let engine = Engine::new(Settings::for_rule(m.id));
            let examples = doc_examples(&m.docs());
            assert!(!examples.is_empty(), "`{}` has no examples", m.id);
            for (want, code) in examples {
                let text = if code.trim_start().starts_with("package ") {
                    code.clone()
                } else {
                    format!("{PRELUDE}{code}")
                };
                let file = SourceFile::from_string("example.go", text).unwrap();
                assert!(
                    file.syntax_errors().is_empty(),
                    "`{}` doc example does not parse:\n{code}",
                    m.id
                );
                let results = crate::lint_sources(&engine, &[&file], None, |_| true);
                let n = results
                    .iter()
                    .map(|(_, l)| l.diagnostics.len())
                    .sum::<usize>();
                if want {
                    assert!(n > 0, "`{}` doc example should be flagged:\n{code}", m.id);
                } else {
                    assert_eq!(n, 0, "`{}` doc example should be clean:\n{code}", m.id);
                }
            }
        }
    }

    /// `docs/rules/<id>.md` and the README rule table are generated from the rules.
    /// Run `UPDATE_DOCS=1 cargo test -p rules generated_docs` after changing a rule.
    #[test]
    fn generated_docs_are_up_to_date() {
        let update = std::env::var_os("UPDATE_DOCS").is_some();
        let mut stale = Vec::new();
        let dir = root().join("docs/rules");
        for r in RULES {
            let m = r.meta();
            let path = dir.join(format!("{}.md", m.id));
            let want = crate::engine::rule::render_rule_doc(m);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
                if update {
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(&path, &want).unwrap();
                } else {
                    stale.push(path.display().to_string());
                }
            }
        }
        let readme_path = root().join("README.md");
        let readme = std::fs::read_to_string(&readme_path).unwrap_or_default();
        let (begin, end) = ("<!-- rules:begin -->\n", "<!-- rules:end -->");
        if let (Some(b), Some(e)) = (readme.find(begin), readme.find(end)) {
            let table = crate::engine::rule::render_rule_table(RULES);
            let new = format!("{}{begin}{table}{}", &readme[..b], &readme[e..]);
            if new != readme {
                if update {
                    std::fs::write(&readme_path, new).unwrap();
                } else {
                    stale.push(readme_path.display().to_string());
                }
            }
        } else {
            stale.push(
                "README.md (missing <!-- rules:begin --> / <!-- rules:end --> markers)".into(),
            );
        }
        assert!(
            stale.is_empty(),
            "generated docs are stale: {stale:?}\nrun `UPDATE_DOCS=1 cargo test -p rules generated_docs`"
        );
    }
}
