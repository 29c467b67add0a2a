use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use super::TimerChan;
use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};
use crate::syntax::{self, Walk};

declare_rule! {
    /// ## What it does
    /// Flags a loop in a goroutine that receives from a ticker's channel forever:
    /// `for range t.C {...}`, `for { <-t.C ... }` or `for { select { case <-t.C: ... } }`
    /// (also over a `time.Tick` channel) with no `return`, no `break` or `goto` out of
    /// the loop, and no other `select` case — `ctx.Done()`, a quit channel — that leaves it.
    ///
    /// ## Why is this bad?
    /// `Stop()` does not close `t.C`, so such a goroutine can never end: it outlives the
    /// component that started it, keeps everything it references alive, and in tests
    /// and restarts piles up. Go 1.23's timer changes do not help: the goroutine keeps
    /// its ticker referenced. The loop only counts when it runs in a goroutine — a
    /// `go func() {...}()` or a function the package only ever starts with `go`.
    ///
    /// Not flagged: goroutines of package `main` and goroutines started from `init()`:
    /// daemons that live as long as the process by design.
    ///
    /// ## Example
    /// ```go,want
    /// func (c *Cache) start() {
    ///     t := time.NewTicker(time.Minute)
    ///     go func() {
    ///         for range t.C {
    ///             c.evict()
    ///         }
    ///     }()
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func (c *Cache) start(ctx context.Context) {
    ///     t := time.NewTicker(time.Minute)
    ///     go func() {
    ///         defer t.Stop()
    ///         for {
    ///             select {
    ///             case <-ctx.Done():
    ///                 return
    ///             case <-t.C:
    ///                 c.evict()
    ///             }
    ///         }
    ///     }()
    /// }
    /// ```
    pub struct TickerLoopNoExit {
        id: "ticker-loop-no-exit",
        family: Time,
        severity: Warning,
        summary: "A goroutine that loops on a ticker's channel with no way out can never end",
        kinds: ["for_statement"],
        gate: [".C", "Tick"],
        fix: None,
        version_gated: false,
        skip_test_files: false,
    }
}

impl Rule for TickerLoopNoExit {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, stmt: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        let Some(chan) = ticker_receive(ctx, stmt, anc) else {
            return;
        };
        if crate::flow::loop_has_exit(ctx, stmt) {
            return;
        }
        let Some((fi, func)) = crate::flow::innermost_func(anc) else {
            return;
        };
        if !crate::flow::is_goroutine_body(ctx, func, &anc[..fi]) {
            return;
        }
        // Daemons of a command, or started once from `init`: they live as long as the
        // process by design.
        if ctx.package_name() == "main" || started_from_init(ctx, func, &anc[..fi]) {
            return;
        }
        let Some(for_kw) = stmt.child(0) else { return };
        let what = match chan {
            (TimerChan::Ticker, text) => format!("ticker channel `{text}`"),
            (TimerChan::Tick, text) => format!("`{text}`"),
        };
        ctx.report_node(
            for_kw,
            format!(
                "this goroutine receives from {what} forever: nothing returns or breaks out of the loop, \
                 and stopping a ticker does not close its channel, so the goroutine can never end"
            ),
        )
        .label("loops forever")
        .help(
            "select on a way out as well, e.g. `case <-ctx.Done(): return` or a quit channel, \
             and `defer t.Stop()` in the goroutine",
        );
    }
}

/// A goroutine body started from an `init` function: a literal inside `init`, or a
/// named function the package only starts with `go` from `init`.
fn started_from_init<'a>(ctx: &Ctx<'a>, func: Node<'a>, func_anc: &[Node<'a>]) -> bool {
    match func.kind_str() {
        "func_literal" => crate::flow::outermost_func(func_anc).is_some_and(|(_, f)| {
            f.kind_str() == "function_declaration"
                && f.field(F.name).is_some_and(|n| ctx.text(n) == "init")
        }),
        _ => func
            .field(F.name)
            .and_then(|n| ctx.pkg.uses.get(ctx.text(n)))
            .is_some_and(|u| u.only_go_from_init()),
    }
}

/// The ticker channel this loop receives from, if it is a ticker loop: `for range C`,
/// or a header-less `for` whose body receives from `C` (directly or in a `select`).
fn ticker_receive<'a>(
    ctx: &Ctx<'a>,
    stmt: Node<'a>,
    anc: &[Node<'a>],
) -> Option<(TimerChan, String)> {
    let mut c = stmt.walk();
    let header: Vec<Node> = stmt
        .named_children(&mut c)
        .filter(|n| n.kind_str() != "block" && n.kind_str() != "comment")
        .collect();
    let mut chain = anc.to_vec();
    chain.push(stmt);
    match header.as_slice() {
        [clause] if clause.kind_str() == "range_clause" => {
            let right = clause.field(F.right)?;
            chain.push(*clause);
            let kind = super::ticker_channel(ctx, right, &chain)?;
            Some((kind, ctx.text(syntax::unparen(right)).to_string()))
        }
        [] => {
            let body = stmt.field(F.body)?;
            let mut found = None;
            ctx.walk(body, &chain, |kind, n, a| {
                match kind {
                    // Nested loops are judged on their own; closures run elsewhere.
                    "func_literal" | "for_statement" => return Walk::Skip,
                    "unary_expression" if n.child(0).is_some_and(|o| o.kind_str() == "<-") => {
                        if let Some(operand) = n.field(F.operand) {
                            let mut ca = a.to_vec();
                            ca.push(n);
                            if let Some(kind) = super::ticker_channel(ctx, operand, &ca) {
                                found =
                                    Some((kind, ctx.text(syntax::unparen(operand)).to_string()));
                                return Walk::Stop;
                            }
                        }
                    }
                    _ => {}
                }
                Walk::Continue
            });
            found
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TickerLoopNoExit::META, &["for"]);
    }
}
