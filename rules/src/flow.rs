//! Control-flow and typing helpers shared by rule families: function frames,
//! goroutine bodies, loop exits, and the same-package type of simple expressions.

use tree_sitter::Node;

use crate::engine::Ctx;
use crate::syntax::{self, F, NodeExt, Walk};

/// The function frame a node executes in: the innermost function declaration or literal
/// among `ancestors`, with its position in the slice.
pub fn innermost_func<'a>(ancestors: &[Node<'a>]) -> Option<(usize, Node<'a>)> {
    ancestors
        .iter()
        .enumerate()
        .rev()
        .find(|(_, n)| syntax::is_func(n.kind_str()))
        .map(|(i, n)| (i, *n))
}

/// The outermost function among `ancestors` (the top-level declaration, or the
/// outermost literal of a package-level initialiser).
pub fn outermost_func<'a>(ancestors: &[Node<'a>]) -> Option<(usize, Node<'a>)> {
    ancestors
        .iter()
        .enumerate()
        .find(|(_, n)| syntax::is_func(n.kind_str()))
        .map(|(i, n)| (i, *n))
}

/// Whether a function frame is a goroutine body: a literal started with `go func(){}()`,
/// or a named function or method that the package only ever starts with `go`.
pub fn is_goroutine_body<'a>(ctx: &Ctx<'a>, func: Node<'a>, func_ancestors: &[Node<'a>]) -> bool {
    match func.kind_str() {
        "func_literal" => {
            // func_literal <- (parens) <- call_expression(function) <- go_statement
            let mut child = func;
            for p in func_ancestors.iter().rev() {
                match p.kind_str() {
                    "parenthesized_expression" => child = *p,
                    "call_expression" => {
                        if p.field(F.function) != Some(child) {
                            return false;
                        }
                        child = *p;
                    }
                    "go_statement" => return child.kind_str() == "call_expression",
                    _ => return false,
                }
            }
            false
        }
        "function_declaration" | "method_declaration" => func
            .field(F.name)
            .and_then(|n| ctx.pkg.uses.get(ctx.text(n)))
            .is_some_and(|u| u.only_go()),
        _ => false,
    }
}

/// The same-package named type of an expression, for the simple shapes the index
/// can answer: receivers, parameters and locals with a declared local type, and
/// fields of those.
pub fn local_type_name<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>]) -> Option<String> {
    // Peel the selector chain (`a.b.c` -> root `a`, fields [b, c]) without recursion.
    let mut fields = Vec::new();
    let mut root = syntax::unparen(expr);
    while root.kind_str() == "selector_expression" {
        fields.push(syntax::selector_field(root, ctx.src())?);
        root = syntax::unparen(root.field(F.operand)?);
        if fields.len() > 32 {
            return None;
        }
    }
    if root.kind_str() != "identifier" {
        return None;
    }
    let ty = match ctx.resolve(root, anc) {
        Some(d) => crate::index::TypeRef::from_node(d.type_node()?, ctx.src(), ctx.imports()),
        None => ctx.pkg.vars.get(ctx.text(root))?.ty.clone()?,
    };
    if !ty.is_local_named() {
        return None;
    }
    let mut name = ty.name;
    for field in fields.iter().rev() {
        let t = ctx.pkg.field_type(&name, field)?;
        if !t.is_local_named() {
            return None;
        }
        name = t.name.clone();
    }
    Some(name)
}

/// Whether the loop `for_stmt` can be left from inside: a `return`, a `break` that
/// targets it (or an enclosing statement), a `goto`, or a `continue` to an outer loop.
pub fn loop_has_exit<'a>(ctx: &Ctx<'a>, for_stmt: Node<'a>) -> bool {
    let Some(body) = for_stmt.field(F.body) else {
        return true;
    };
    let src = ctx.src();
    let own_label = syntax::label_of(for_stmt, src);
    let mut exit = false;
    ctx.walk(body, &[for_stmt], |kind, n, anc| {
        match kind {
            "func_literal" => return Walk::Skip,
            "return_statement" | "goto_statement" => exit = true,
            "break_statement" => match syntax::jump_label(n, src) {
                // A labelled break leaves every statement up to its label: it leaves this
                // loop unless the label names a statement inside the loop.
                Some(l) => exit |= !label_inside(anc, for_stmt, l, src) || own_label == Some(l),
                None => exit |= breaks_out(anc, for_stmt),
            },
            "continue_statement" => {
                if let Some(l) = syntax::jump_label(n, src) {
                    exit |= own_label != Some(l) && !label_inside(anc, for_stmt, l, src);
                }
            }
            "call_expression" if is_goexit(n, src) => {
                exit = true;
            }
            _ => {}
        }
        if exit { Walk::Stop } else { Walk::Continue }
    });
    exit
}

fn is_goexit(call: Node<'_>, src: &str) -> bool {
    syntax::callee(call).is_some_and(|(op, name)| {
        op.is_some_and(|o| syntax::text(o, src) == "runtime") && syntax::text(name, src) == "Goexit"
    })
}

/// Whether an unlabelled `break` with ancestors `anc` breaks `loop_node` itself (no
/// inner `for` / `switch` / `select` catches it first).
pub fn breaks_out(anc: &[Node<'_>], loop_node: Node<'_>) -> bool {
    for n in anc.iter().rev() {
        if *n == loop_node {
            return true;
        }
        match n.kind_str() {
            "for_statement"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "select_statement" => return false,
            _ => {}
        }
    }
    false
}

/// Whether label `l` names a statement between `loop_node` (exclusive) and the jump.
fn label_inside(anc: &[Node<'_>], loop_node: Node<'_>, l: &str, src: &str) -> bool {
    let Some(pos) = anc.iter().position(|n| *n == loop_node) else {
        return false;
    };
    anc[pos + 1..].iter().any(|n| {
        n.kind_str() == "labeled_statement"
            && n.field(F.label).is_some_and(|x| syntax::text(x, src) == l)
    })
}

/// A function that never returns: no `return` in its own frame, and a top-level
/// statement that runs forever — `for {}` or a `for range` over a channel the runtime
/// never closes (a ticker's or timer's `C`, `time.Tick(d)`, or a local holding one),
/// with no way out of the loop — or `select {}`.
pub fn is_endless<'a>(ctx: &Ctx<'a>, func: Node<'a>) -> bool {
    let Some(body) = func.field(F.body) else {
        return false;
    };
    let mut has_return = false;
    ctx.walk(body, &[], |kind, _, _| match kind {
        "func_literal" => Walk::Skip,
        "return_statement" => {
            has_return = true;
            Walk::Stop
        }
        _ => Walk::Continue,
    });
    if has_return {
        return false;
    }
    let stmts = syntax::statements(body);
    stmts.iter().any(|&stmt| {
        let stmt = if stmt.kind_str() == "labeled_statement" {
            stmt.named_child(1).unwrap_or(stmt)
        } else {
            stmt
        };
        match stmt.kind_str() {
            "select_statement" => stmt.named_child_count() == 0,
            "for_statement" => forever_header(ctx, stmt, &stmts) && !loop_has_exit(ctx, stmt),
            _ => false,
        }
    })
}

/// `for {}`, `for ;; {}`, or `for ... range C` over a never-closed channel.
fn forever_header(ctx: &Ctx<'_>, stmt: Node<'_>, siblings: &[Node<'_>]) -> bool {
    let mut c = stmt.walk();
    let header: Vec<Node> = stmt
        .named_children(&mut c)
        .filter(|n| n.kind_str() != "block" && n.kind_str() != "comment")
        .collect();
    match header.as_slice() {
        [] => true,
        [clause] if clause.kind_str() == "for_clause" => clause.field(F.condition).is_none(),
        [clause] if clause.kind_str() == "range_clause" => clause
            .field(F.right)
            .is_some_and(|r| never_closed(ctx, r, siblings, true)),
        _ => false,
    }
}

/// A timer channel: `time.Tick(d)`, `x.C`, or (when `follow`) a local declared among
/// `siblings` as one of those.
fn never_closed(ctx: &Ctx<'_>, expr: Node<'_>, siblings: &[Node<'_>], follow: bool) -> bool {
    let expr = syntax::unparen(expr);
    match expr.kind_str() {
        "call_expression" => syntax::callee(expr).is_some_and(|(_, n)| ctx.text(n) == "Tick"),
        "selector_expression" => syntax::selector_field(expr, ctx.src()) == Some("C"),
        "identifier" if follow => {
            let name = ctx.text(expr);
            siblings.iter().any(|s| {
                matches!(
                    crate::sema::declares(*s, name, ctx.src()),
                    Some(crate::sema::LocalDecl::Local { value: Some(v), .. })
                        if never_closed(ctx, v, siblings, false)
                )
            })
        }
        _ => false,
    }
}

/// Whether the node with these ancestors runs inside `main()` or `init()` of package
/// `main` (including closures there): code that lives as long as the process.
pub fn in_main_or_init(ctx: &Ctx<'_>, ancestors: &[Node<'_>]) -> bool {
    ctx.package_name() == "main"
        && outermost_func(ancestors).is_some_and(|(_, f)| {
            f.kind_str() == "function_declaration"
                && f.field(F.name)
                    .is_some_and(|n| matches!(ctx.text(n), "main" | "init"))
        })
}
