use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};
use crate::syntax::{self, Walk};

declare_rule! {
    /// ## What it does
    /// Flags `time.Tick(...)` in a function that returns.
    ///
    /// ## Why is this bad?
    /// `time.Tick` hands out only the channel of a new Ticker; the Ticker itself can never
    /// be stopped. Before Go 1.23 it is never garbage-collected either, so every call
    /// from a function that returns leaks a Ticker that keeps firing.
    ///
    /// Not flagged (as staticcheck's SA1015): `time.Tick` in `main()` or `init()` of
    /// package `main`, in `_test.go` files, at package level, and in *endless*
    /// functions — whose body runs a `for {}` (or a `for range` over the tick channel)
    /// that nothing breaks or returns out of. Modules past the Go 1.23 timer change are
    /// not checked.
    ///
    /// ## Example
    /// ```go,want
    /// func waitReady(ctx context.Context, c *Client) error {
    ///     for range time.Tick(100 * time.Millisecond) {
    ///         if c.Ready() {
    ///             return nil
    ///         }
    ///     }
    ///     return nil
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func waitReady(ctx context.Context, c *Client) error {
    ///     t := time.NewTicker(100 * time.Millisecond)
    ///     defer t.Stop()
    ///     for range t.C {
    ///         if c.Ready() {
    ///             return nil
    ///         }
    ///     }
    ///     return nil
    /// }
    /// ```
    pub struct TickLeak {
        id: "tick-leak",
        family: Time,
        severity: Warning,
        summary: "`time.Tick` in a function that returns leaks a Ticker that can never be stopped",
        kinds: ["call_expression"],
        fix: None,
        version_gated: true,
        skip_test_files: true,
    }
}

impl Rule for TickLeak {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, call: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        let Some(name) = ctx.call_to(call, anc, "time", &["Tick"]) else {
            return;
        };
        // Package level: one ticker for the life of the process.
        let Some((_, outer)) = crate::flow::outermost_func(anc) else {
            return;
        };
        if ctx.package_name() == "main"
            && outer.kind_str() == "function_declaration"
            && outer
                .field(F.name)
                .is_some_and(|n| matches!(ctx.text(n), "main" | "init"))
        {
            return;
        }
        let Some((_, func)) = crate::flow::innermost_func(anc) else {
            return;
        };
        if is_endless(ctx, func) {
            return;
        }
        let func_name = match func.kind_str() {
            "func_literal" => "this function literal".to_string(),
            _ => func
                .field(F.name)
                .map(|n| format!("`{}`", ctx.text(n)))
                .unwrap_or_else(|| "this function".into()),
        };
        let q = match syntax::callee(call) {
            Some((Some(op), _)) => format!("{}.", ctx.text(op)),
            _ => String::new(),
        };
        ctx.report_node(
            name,
            format!(
                "`{q}Tick` leaks its Ticker once {func_name} returns: the Ticker can never be stopped \
                 and, before Go 1.23, is never garbage-collected"
            ),
        )
        .label("this Ticker can never be stopped")
        .help(format!(
            "use `t := {q}NewTicker(d)` with `defer t.Stop()` and receive from `t.C`"
        ));
    }
}

/// A function that never returns: no `return` in its own frame, and a top-level
/// statement that runs forever (`for {}` or `for range <tick channel>` with no exit,
/// or `select {}`).
fn is_endless(ctx: &Ctx<'_>, func: Node<'_>) -> bool {
    let Some(body) = func.field(F.body) else {
        return false;
    };
    let mut has_return = false;
    syntax::walk_same_func(body, |n| {
        if n.kind_str() == "return_statement" {
            has_return = true;
            return Walk::Stop;
        }
        Walk::Continue
    });
    if has_return {
        return false;
    }
    syntax::statements(body).into_iter().any(|stmt| {
        let stmt = if stmt.kind_str() == "labeled_statement" {
            stmt.named_child(1).unwrap_or(stmt)
        } else {
            stmt
        };
        match stmt.kind_str() {
            "select_statement" => stmt.named_child_count() == 0,
            "for_statement" => {
                forever_loop(ctx, stmt) && !crate::flow::loop_has_exit(stmt, ctx.src())
            }
            _ => false,
        }
    })
}

/// `for {}` or `for ... range time.Tick(d)` / `range <var>` (a tick channel is never closed).
fn forever_loop(ctx: &Ctx<'_>, stmt: Node<'_>) -> bool {
    let mut c = stmt.walk();
    let header: Vec<Node> = stmt
        .named_children(&mut c)
        .filter(|n| n.kind_str() != "block" && n.kind_str() != "comment")
        .collect();
    match header.as_slice() {
        [] => true,
        [clause] if clause.kind_str() == "for_clause" => clause.field(F.condition).is_none(),
        [clause] if clause.kind_str() == "range_clause" => {
            clause.field(F.right).map(syntax::unparen).is_some_and(|r| {
                r.kind_str() == "call_expression"
                    && syntax::callee(r).is_some_and(|(_, n)| ctx.text(n) == "Tick")
            })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TickLeak::META, &["Tick"]);
    }
}
