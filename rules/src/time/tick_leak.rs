use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};
use crate::syntax;

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
        if crate::flow::outermost_func(anc).is_none() {
            return;
        }
        if crate::flow::in_main_or_init(ctx, anc) {
            return;
        }
        // `return time.Tick(d)`: a Tick-like wrapper (a clock abstraction); the leak is
        // the caller's choice, as with `time.Tick` itself.
        if matches!(
            crate::sema::value_use(call, anc),
            crate::sema::ValueUse::Returned
        ) {
            return;
        }
        let Some((_, func)) = crate::flow::innermost_func(anc) else {
            return;
        };
        if crate::flow::is_endless(ctx, func) {
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

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TickLeak::META, &["Tick"]);
    }
}
