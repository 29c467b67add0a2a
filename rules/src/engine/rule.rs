//! The `Rule` trait and the static metadata every rule declares.

use tree_sitter::Node;

use super::ctx::Ctx;
use super::diagnostic::Severity;

/// Rule families, as in RULES.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Time,
    Net,
    Sql,
    Lock,
}

impl Family {
    pub const ALL: [Family; 4] = [Family::Time, Family::Net, Family::Sql, Family::Lock];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Time => "time",
            Family::Net => "net",
            Family::Sql => "sql",
            Family::Lock => "lock",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Whether a rule can offer fixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

/// The type of a per-rule option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    Bool,
    Int,
    Str,
    /// A list of strings.
    List,
}

impl OptionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OptionKind::Bool => "a boolean",
            OptionKind::Int => "an integer",
            OptionKind::Str => "a string",
            OptionKind::List => "a list of strings",
        }
    }
}

/// One option a rule reads from `[rules.<id>]` in the config file. The config parser
/// accepts exactly the options listed in the rule's `RuleMeta::options`, so a rule
/// that reads a new option declares it here (see `declare_rule!`).
#[derive(Debug)]
pub struct RuleOption {
    /// Kebab-case key, e.g. `single-key`.
    pub name: &'static str,
    pub kind: OptionKind,
    /// One line for `faultline rule <id>` and the config reference.
    pub doc: &'static str,
}

/// What a rule is, independent of any file.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id: the file name, the fixture folder, the suppression key.
    pub id: &'static str,
    pub family: Family,
    pub severity: Severity,
    /// One line, for tables and SARIF `shortDescription`.
    pub summary: &'static str,
    /// The rule's doc comment, as written (each line starts with one space).
    pub raw_docs: &'static str,
    /// tree-sitter-go node kinds the rule wants to see.
    pub kinds: &'static [&'static str],
    /// Names one of which a file must spell for the rule to report in it: identifiers
    /// (`Name*`: any identifier starting so; `.X`: the identifier `X` as a selector's
    /// field), anywhere in the text, or import paths (holding a `/`) the file imports. The rule is not run on other files (see
    /// `engine::gate`). Empty: run on every file.
    pub gate: &'static [&'static str],
    /// Import paths one of which some file of the package must import for the rule to
    /// report anywhere in it. Empty: no such condition.
    pub package_gate: &'static [&'static str],
    pub fix: FixAvailability,
    /// Silent for modules past the Go 1.23 timer-era gate.
    pub version_gated: bool,
    /// Not run on `_test.go` files.
    pub skip_test_files: bool,
    /// Options accepted under `[rules.<id>]`; read them with `Settings::option`.
    pub options: &'static [RuleOption],
}

impl RuleMeta {
    /// The rule's documentation as Markdown.
    pub fn docs(&self) -> String {
        let mut out = String::with_capacity(self.raw_docs.len());
        for line in self.raw_docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string() + "\n"
    }

    /// The declared option called `name`.
    pub fn option(&self, name: &str) -> Option<&'static RuleOption> {
        self.options.iter().find(|o| o.name == name)
    }

    /// Where the rule's documentation lives.
    pub fn url(&self) -> String {
        format!("{}/{}.md", crate::DOCS_BASE_URL, self.id)
    }
}

pub trait Rule: Send + Sync + 'static {
    fn meta(&self) -> &'static RuleMeta;

    /// Called once per node whose kind is in `meta().kinds`, with its ancestors (root
    /// first, parent last).
    fn check_node<'a>(&self, _node: Node<'a>, _ancestors: &[Node<'a>], _ctx: &Ctx<'a>) {}

    /// Called once per file, before the traversal.
    fn check_file(&self, _ctx: &Ctx<'_>) {}
}

/// Declare a rule: a unit struct plus its `RuleMeta`, whose docs are the doc comment.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub struct TickerNotStopped {
///         id: "ticker-not-stopped",
///         family: Time,
///         severity: Error,
///         summary: "...",
///         kinds: ["call_expression"],
///         // Optional: names one of which a file must spell for the rule to report,
///         // and import paths one of which the package must import.
///         gate: ["NewTicker"],
///         package_gate: ["time"],
///         fix: Sometimes,
///         version_gated: true,
///         skip_test_files: false,
///         // Optional: options read from `[rules.<id>]` (name, kind, one-line doc).
///         options: [
///             ("extra-calls", List, "More calls that count as stopping the ticker."),
///         ],
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            id: $id:literal,
            family: $family:ident,
            severity: $sev:ident,
            summary: $summary:literal,
            kinds: [$($kind:literal),* $(,)?],
            $(gate: [$($gate:literal),* $(,)?],)?
            $(package_gate: [$($pgate:expr),* $(,)?],)?
            fix: $fix:ident,
            version_gated: $gated:literal,
            skip_test_files: $skip:literal
            $(, options: [$(($oname:literal, $okind:ident, $odoc:literal)),* $(,)?])?
            $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $name;

        impl $name {
            pub const META: $crate::engine::rule::RuleMeta = $crate::engine::rule::RuleMeta {
                id: $id,
                family: $crate::engine::rule::Family::$family,
                severity: $crate::engine::diagnostic::Severity::$sev,
                summary: $summary,
                raw_docs: concat!($($doc, "\n"),*),
                kinds: &[$($kind),*],
                gate: &[$($($gate),*)?],
                package_gate: &[$($($pgate),*)?],
                fix: $crate::engine::rule::FixAvailability::$fix,
                version_gated: $gated,
                skip_test_files: $skip,
                options: &[$($($crate::engine::rule::RuleOption {
                    name: $oname,
                    kind: $crate::engine::rule::OptionKind::$okind,
                    doc: $odoc,
                }),*)?],
            };
        }
    };
}

/// The Markdown page of one rule (`docs/rules/<id>.md`).
pub fn render_rule_doc(m: &RuleMeta) -> String {
    let mut facts = vec![
        format!("Family: `{}`", m.family.as_str()),
        format!("Severity: {}", m.severity.as_str()),
    ];
    if m.version_gated {
        facts.push("Silent for modules at `go 1.23` or later".into());
    }
    if m.skip_test_files {
        facts.push("Not run on `_test.go` files".into());
    }
    facts.push(match m.fix {
        FixAvailability::None => "No automatic fix".into(),
        FixAvailability::Sometimes => "Fix available in some cases".into(),
        FixAvailability::Always => "Fix available".into(),
    });
    format!(
        "<!-- Generated from the rule's doc comment by `UPDATE_DOCS=1 cargo test -p rules generated_docs`. Do not edit. -->\n# {}\n\n{}\n\n{}\n\n{}",
        m.id,
        m.summary,
        facts.join(" · "),
        m.docs() + &render_options(m)
    )
}

/// The `## Config options` section of a rule's page (empty without options).
fn render_options(m: &RuleMeta) -> String {
    if m.options.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n## Config options\n\nSet under `[rules.{}]` in `faultline.toml`:\n\n",
        m.id
    );
    for o in m.options {
        out.push_str(&format!(
            "- `{}` ({}): {}\n",
            o.name,
            o.kind.as_str(),
            o.doc
        ));
    }
    out
}

/// The README's rule table.
pub fn render_rule_table(rules: &[&dyn Rule]) -> String {
    let mut out =
        String::from("| Rule | Family | Severity | What it finds |\n| --- | --- | --- | --- |\n");
    for r in rules {
        let m = r.meta();
        out.push_str(&format!(
            "| [`{}`](docs/rules/{}.md) | {} | {} | {} |\n",
            m.id,
            m.id,
            m.family.as_str(),
            m.severity.as_str(),
            m.summary.replace('|', "\\|")
        ));
    }
    out
}
