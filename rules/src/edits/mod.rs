//! Building blocks for fixes. Every helper returns edits that keep the file parsing and
//! gofmt-clean (when it was), or `None` when it cannot promise that: a rule then offers
//! no fix rather than a fix that needs cleaning up.
//!
//! - [`lines`]: statements on lines of their own (`defer t.Stop()` after a statement).
//! - [`literal`]: a field set in a composite literal, aligned as gofmt aligns it.
//! - [`imports`]: the file's own name for a package, or a new `import`.
//! - [`fresh_name`]: a local name that clashes with nothing.
//! - [`suggestion`] and [`preview`]: display-only fixes, shown and never applied.

#[cfg(test)]
mod gofmt_tests;
pub mod imports;
pub mod lines;
pub mod literal;

use tree_sitter::Node;

use crate::engine::{Ctx, Edit, Fix};
use crate::syntax::{self, F, NodeExt, Walk};

pub use imports::{add_import, qualifier_for};
pub use lines::{eol, insert_lines_after, insert_lines_before, replace_lines};
pub use literal::insert_field;

/// Edits setting `key` in the composite literal `lit` (with ancestors `anc`) to a value
/// that names package `path`: `value` gets the file's qualifier for it (`"time."`,
/// `"stdtime."`, `""`), and the import is added when the file lacks it.
///
/// ```ignore
/// let edits = edits::set_field(ctx, lit, anc, "IdleConnTimeout", "time", |t| format!("90 * {t}Second"))?;
/// ctx.report_node(name, msg).fix(Fix::safe("Set `IdleConnTimeout: 90 * time.Second`", edits));
/// ```
pub fn set_field<'a>(
    ctx: &Ctx<'a>,
    lit: Node<'a>,
    anc: &[Node<'a>],
    key: &str,
    path: &str,
    value: impl FnOnce(&str) -> String,
) -> Option<Vec<Edit>> {
    let body = lit.field(F.body)?;
    let mut chain = anc.to_vec();
    chain.push(lit);
    let (q, import) = qualifier_for(ctx, path, body, &chain)?;
    let mut edits = insert_field(ctx.file, body, key, &value(&q))?;
    edits.extend(import);
    Some(edits)
}

/// A name for a new local of the function `func` that clashes with nothing: no
/// identifier of the function (whatever it names), no package-level declaration, no
/// import. Tries `base`, then `base2` ... `base9`.
pub fn fresh_name(ctx: &Ctx<'_>, func: Node<'_>, base: &str) -> Option<String> {
    let mut used = std::collections::HashSet::new();
    syntax::walk(func, |n| {
        if n.kind_str().ends_with("identifier") {
            used.insert(ctx.text(n));
        }
        Walk::Continue
    });
    let taken = |name: &str| {
        used.contains(name)
            || ctx.pkg.vars.contains_key(name)
            || ctx.pkg.consts.contains_key(name)
            || ctx.pkg.types.contains(name)
            || !ctx.pkg.funcs_named(name).is_empty()
            || ctx
                .imports()
                .list
                .iter()
                .any(|i| i.local_name() == Some(name))
            || syntax::is_builtin_func(name)
    };
    std::iter::once(base.to_string())
        .chain((2..10).map(|i| format!("{base}{i}")))
        .find(|n| !taken(n))
}

/// A display-only fix: `edits` show the shape of the change (placeholders allowed)
/// and are never applied.
pub fn suggestion(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
    Fix::display_only(title, edits)
}

/// The lines a fix changes, as they read after it: for printing a display-only fix
/// under a finding. `None` when the edits do not apply to `text`.
pub fn preview(text: &str, fix: &Fix) -> Option<String> {
    let d = crate::engine::Diagnostic {
        rule: "",
        severity: crate::engine::Severity::Info,
        range: 0..0,
        start: Default::default(),
        end: Default::default(),
        message: String::new(),
        label: None,
        help: None,
        related: Vec::new(),
        fix: Some(Fix {
            applicability: crate::engine::Applicability::Safe,
            ..fix.clone()
        }),
    };
    let applied = crate::engine::apply_fixes(text, std::slice::from_ref(&d), false)?;
    let (lo, hi) = fix.edits.iter().fold((usize::MAX, 0), |(lo, hi), e| {
        (lo.min(e.range.start), hi.max(e.range.end))
    });
    // Map the changed span into the new text: everything before `lo` is unchanged, and
    // everything after `hi` is shifted by the size difference.
    let grow = applied.text.len() as isize - text.len() as isize;
    let new_hi = (hi as isize + grow) as usize;
    let start = applied.text[..lo].rfind('\n').map_or(0, |i| i + 1);
    let end = if new_hi > start && applied.text.as_bytes()[new_hi - 1] == b'\n' {
        new_hi
    } else {
        applied.text[new_hi..]
            .find('\n')
            .map_or(applied.text.len(), |i| new_hi + i)
    };
    Some(applied.text[start..end].replace('\r', ""))
}

/// Lines of code set under a help text: their common indentation removed, tabs shown
/// as four spaces, each line indented by four spaces.
pub fn help_block(code: &str) -> String {
    let lines: Vec<&str> = code.lines().map(str::trim_end).collect();
    let common = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.len() - l.trim_start_matches(['\t', ' ']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if l.is_empty() {
            continue;
        }
        let body = &l[common.min(l.len())..];
        let tabs = body.len() - body.trim_start_matches('\t').len();
        out.push_str("    ");
        out.push_str(&"    ".repeat(tabs));
        out.push_str(&body[tabs..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Edit;

    #[test]
    fn help_block_dedents_and_indents() {
        assert_eq!(
            help_block("\t\tif x {\n\t\t\treturn\n\t\t}\n"),
            "    if x {\n        return\n    }"
        );
    }

    #[test]
    fn preview_shows_the_changed_lines() {
        let text = "a\nb := db.Exec(q)\nc\n";
        let at = text.find("b :=").unwrap();
        let fix = suggestion(
            "check",
            vec![Edit::insert(
                at + "b := db.Exec(q)\n".len(),
                "if n, _ := b.RowsAffected(); n == 0 {}\n",
            )],
        );
        assert_eq!(
            preview(text, &fix).unwrap(),
            "if n, _ := b.RowsAffected(); n == 0 {}\n"
        );
        let fix = suggestion("x", vec![Edit::replace(at..at + 1, "res")]);
        assert_eq!(preview(text, &fix).unwrap(), "res := db.Exec(q)");
    }
}
