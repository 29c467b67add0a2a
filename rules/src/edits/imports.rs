//! Naming a package in new code: the file's own name for it, or a new `import`, placed
//! where gofmt keeps it (sorted into the standard-library group of an import block).

use tree_sitter::Node;

use super::lines::{Rest, eol, indent_at, next_line_start, rest_of_line, starts_line};
use crate::engine::{Ctx, Edit};
use crate::sema::{self, ImportName};
use crate::source::SourceFile;
use crate::syntax::{F, NodeExt, text};

/// How new code at `at` (whose ancestors are `anc`) names package `path`: the file's
/// qualifier (`"time."`, `"stdtime."` for an aliased import, `""` for a dot import)
/// and, when the file does not import `path` yet, the edit that adds the import.
///
/// `None` when no name is safe: the package is only blank-imported, its name is
/// shadowed at `at`, or (for a new import) the name is already taken in the file or the
/// package.
pub fn qualifier_for<'a>(
    ctx: &Ctx<'a>,
    path: &str,
    at: Node<'a>,
    anc: &[Node<'a>],
) -> Option<(String, Option<Edit>)> {
    let imports = ctx.imports();
    let mut blank = false;
    for imp in imports.list.iter().filter(|i| i.path == path) {
        match &imp.name {
            ImportName::Default(n) | ImportName::Alias(n) => {
                if sema::resolve_local(n, at, anc, ctx.src()).is_some() {
                    return None;
                }
                return Some((format!("{n}."), None));
            }
            ImportName::Dot => return Some((String::new(), None)),
            ImportName::Blank => blank = true,
        }
    }
    if blank {
        return None;
    }
    let name = sema::default_package_name(path);
    let taken = imports.list.iter().any(|i| i.local_name() == Some(&name))
        || ctx.pkg.vars.contains_key(&name)
        || ctx.pkg.consts.contains_key(&name)
        || ctx.pkg.types.contains(&name)
        || !ctx.pkg.funcs_named(&name).is_empty()
        || sema::resolve_local(&name, at, anc, ctx.src()).is_some();
    if taken {
        return None;
    }
    let edit = add_import(ctx.file, path)?;
    Some((format!("{name}."), Some(edit)))
}

/// Standard-library paths have no dot in their first element.
fn is_std(path: &str) -> bool {
    !path.split('/').next().unwrap_or("").contains('.')
}

fn spec_path<'s>(spec: Node<'_>, src: &'s str) -> Option<&'s str> {
    spec.field(F.path)
        .map(|p| text(p, src).trim_matches(['"', '`']))
}

/// The edit adding `import "path"` to a file that does not import it, gofmt-clean:
/// - into the first import block, sorted into its first run of standard-library imports
///   (or as a new group of its own at the top of the block);
/// - a lone `import "x"` becomes a block holding both;
/// - a file without imports gets one after its package clause;
/// - otherwise (cgo's `import "C"`, specs sharing lines, comments in the way) a new
///   `import "path"` declaration after the last one.
pub fn add_import(file: &SourceFile, path: &str) -> Option<Edit> {
    let src = file.text.as_str();
    let nl = eol(src);
    let root = file.root();
    let mut c = root.walk();
    let mut package = None;
    let mut decls = Vec::new();
    for n in root.named_children(&mut c) {
        match n.kind_str() {
            "package_clause" => package = Some(n),
            "import_declaration" => decls.push(n),
            "comment" => {}
            _ if package.is_some() => break,
            _ => {}
        }
    }
    let quoted = format!("\"{path}\"");
    let Some(last) = decls.last().copied() else {
        // No imports: a declaration of its own after the package clause.
        let pkg = package?;
        if rest_of_line(file, pkg.end_byte()) == Rest::Code {
            return None;
        }
        let line = file.lines.line_of(pkg.end_byte());
        return Some(match next_line_start(file, pkg.end_byte()) {
            Some(at) => {
                let next_blank = file.text[file.lines.line_range(src, line + 1)]
                    .trim()
                    .is_empty();
                let gap = if next_blank { "" } else { nl };
                Edit::insert(at, format!("{nl}import {quoted}{nl}{gap}"))
            }
            None => Edit::insert(src.len(), format!("{nl}{nl}import {quoted}{nl}")),
        });
    };
    let is_cgo = |specs: &[Node<'_>]| specs.iter().any(|s| spec_path(*s, src) == Some("C"));

    // Into an import block.
    for &decl in &decls {
        let (Some(list), specs) = specs_of(decl) else {
            continue;
        };
        if is_cgo(&specs) {
            continue;
        }
        if let Some(e) = into_block(file, list, &specs, path) {
            return Some(e);
        }
        break;
    }

    // A lone `import "x"` becomes a block.
    if let [decl] = decls[..]
        && let (None, specs) = specs_of(decl)
        && let [spec] = specs[..]
        && !is_cgo(&specs)
        && rest_of_line(file, decl.end_byte()) == Rest::Blank
        && starts_line(file, decl.start_byte())
        && file.lines.line_of(decl.start_byte()) == file.lines.line_of(decl.end_byte())
    {
        let old = text(spec, src);
        let old_path = spec_path(spec, src)?;
        let body = if is_std(old_path) {
            let (a, b) = if old_path < path {
                (old, quoted.as_str())
            } else {
                (quoted.as_str(), old)
            };
            format!("\t{a}{nl}\t{b}{nl}")
        } else {
            format!("\t{quoted}{nl}{nl}\t{old}{nl}")
        };
        return Some(Edit::replace(
            decl.start_byte()..decl.end_byte(),
            format!("import ({nl}{body})"),
        ));
    }

    // A declaration of its own after the last one.
    if rest_of_line(file, last.end_byte()) == Rest::Code {
        return None;
    }
    let at = next_line_start(file, last.end_byte())?;
    Some(Edit::insert(at, format!("import {quoted}{nl}")))
}

/// The `import_spec_list` of a declaration (if parenthesized) and its specs.
fn specs_of(decl: Node<'_>) -> (Option<Node<'_>>, Vec<Node<'_>>) {
    let mut c = decl.walk();
    let list = decl
        .named_children(&mut c)
        .find(|n| n.kind_str() == "import_spec_list");
    let holder = list.unwrap_or(decl);
    let mut c = holder.walk();
    let specs = holder
        .named_children(&mut c)
        .filter(|n| n.kind_str() == "import_spec")
        .collect();
    (list, specs)
}

/// Insert `path` into the block `list` whose specs are `specs`.
fn into_block(file: &SourceFile, list: Node<'_>, specs: &[Node<'_>], path: &str) -> Option<Edit> {
    let src = file.text.as_str();
    let nl = eol(src);
    let line_of = |o: usize| file.lines.line_of(o);
    // Every spec on a line of its own: `import ("a"; "b")` is left alone.
    for s in specs {
        if !starts_line(file, s.start_byte())
            || line_of(s.start_byte()) != line_of(s.end_byte())
            || rest_of_line(file, s.end_byte()) == Rest::Code
        {
            return None;
        }
    }
    let first = specs.first()?;
    // Runs of specs on successive lines: what gofmt sorts.
    let mut runs: Vec<Vec<Node>> = Vec::new();
    for s in specs {
        match runs.last_mut() {
            Some(run) if line_of(s.start_byte()) == line_of(run.last().unwrap().end_byte()) + 1 => {
                run.push(*s)
            }
            _ => runs.push(vec![*s]),
        }
    }
    let quoted = format!("\"{path}\"");
    let std_run = runs
        .iter()
        .find(|r| r.iter().all(|s| spec_path(*s, src).is_some_and(is_std)));
    if let Some(run) = std_run {
        let indent = indent_at(file, run[0].start_byte());
        let line = format!("{indent}{quoted}{nl}");
        return match run
            .iter()
            .find(|s| spec_path(**s, src).is_some_and(|p| p > path))
        {
            Some(after) => Some(Edit::insert(
                file.lines.line_start(line_of(after.start_byte())),
                line,
            )),
            None => Some(Edit::insert(
                next_line_start(file, run.last()?.end_byte())?,
                line,
            )),
        };
    }
    // No standard-library group yet: a new one first in the block, when nothing (a
    // comment) sits between `import (` and the first spec.
    let open_line = line_of(list.start_byte());
    if line_of(first.start_byte()) != open_line + 1 {
        return None;
    }
    let indent = indent_at(file, first.start_byte());
    Some(Edit::insert(
        file.lines.line_start(line_of(first.start_byte())),
        format!("{indent}{quoted}{nl}{nl}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(text: &str) -> Option<String> {
        let f = SourceFile::from_string("x.go", text.to_string()).unwrap();
        let e = add_import(&f, "time")?;
        let mut s = text.to_string();
        s.replace_range(e.range, &e.replacement);
        Some(s)
    }

    #[test]
    fn no_imports_yet() {
        assert_eq!(
            added("package x\n\nfunc f() {}\n").unwrap(),
            "package x\n\nimport \"time\"\n\nfunc f() {}\n"
        );
        assert_eq!(
            added("// Package x.\npackage x // import \"a/x\"\n\n// F.\nfunc F() {}\n").unwrap(),
            "// Package x.\npackage x // import \"a/x\"\n\nimport \"time\"\n\n// F.\nfunc F() {}\n"
        );
        assert_eq!(
            added("package x\r\n\r\nvar a = 1\r\n").unwrap(),
            "package x\r\n\r\nimport \"time\"\r\n\r\nvar a = 1\r\n"
        );
    }

    #[test]
    fn single_import_becomes_a_block() {
        assert_eq!(
            added("package x\n\nimport \"fmt\"\n").unwrap(),
            "package x\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n"
        );
        assert_eq!(
            added("package x\n\nimport \"unicode\"\n").unwrap(),
            "package x\n\nimport (\n\t\"time\"\n\t\"unicode\"\n)\n"
        );
        assert_eq!(
            added("package x\n\nimport h \"net/http\"\n").unwrap(),
            "package x\n\nimport (\n\th \"net/http\"\n\t\"time\"\n)\n"
        );
        assert_eq!(
            added("package x\n\nimport \"github.com/a/b\"\n").unwrap(),
            "package x\n\nimport (\n\t\"time\"\n\n\t\"github.com/a/b\"\n)\n"
        );
    }

    #[test]
    fn sorted_into_the_standard_group() {
        let text = "package x\n\nimport (\n\t\"context\"\n\t\"net/http\"\n\t\"unicode\"\n\n\t\"github.com/a/b\"\n)\n";
        assert_eq!(
            added(text).unwrap(),
            "package x\n\nimport (\n\t\"context\"\n\t\"net/http\"\n\t\"time\"\n\t\"unicode\"\n\n\t\"github.com/a/b\"\n)\n"
        );
        let text = "package x\n\nimport (\n\t\"context\"\n\tnethttp \"net/http\" // c\n)\n";
        assert_eq!(
            added(text).unwrap(),
            "package x\n\nimport (\n\t\"context\"\n\tnethttp \"net/http\" // c\n\t\"time\"\n)\n"
        );
        let text = "package x\n\nimport (\n\t\"github.com/a/b\"\n)\n";
        assert_eq!(
            added(text).unwrap(),
            "package x\n\nimport (\n\t\"time\"\n\n\t\"github.com/a/b\"\n)\n"
        );
    }

    #[test]
    fn cgo_and_odd_layouts_get_a_declaration_of_their_own() {
        let text = "package x\n\n// #include <x.h>\nimport \"C\"\n\nfunc f() {}\n";
        assert_eq!(
            added(text).unwrap(),
            "package x\n\n// #include <x.h>\nimport \"C\"\nimport \"time\"\n\nfunc f() {}\n"
        );
        let text = "package x\n\nimport \"fmt\"\nimport \"os\"\n";
        assert_eq!(
            added(text).unwrap(),
            "package x\n\nimport \"fmt\"\nimport \"os\"\nimport \"time\"\n"
        );
    }
}
