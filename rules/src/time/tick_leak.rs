use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use crate::declare_rule;
use crate::edits;
use crate::engine::{Ctx, Edit, Fix, Rule, RuleMeta};
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
    ///
    /// ## Fix safety
    /// For `for range time.Tick(d)`, `for x := range time.Tick(d)` and `c := time.Tick(d)`,
    /// the fix creates the ticker first under a fresh name and stops it when the
    /// function returns:
    ///
    /// ```text
    /// ticker := time.NewTicker(d)
    /// defer ticker.Stop()
    /// for range ticker.C {
    /// ```
    ///
    /// The fix is unsafe: `time.Tick` returns `nil` for a duration `<= 0` (the loop
    /// then blocks forever) where `time.NewTicker` panics, and the ticks now stop when
    /// the function returns, which matters if a goroutine started here still reads
    /// them. No fix is offered inside a loop (the deferred `Stop` calls would pile up),
    /// when the channel variable is read by a goroutine or a closure or handed on (it
    /// would stop ticking under them), or when `time.Tick` is used in another shape
    /// (`<-time.Tick(d)`).
    pub struct TickLeak {
        id: "tick-leak",
        family: Time,
        severity: Warning,
        summary: "`time.Tick` in a function that returns leaks a Ticker that can never be stopped",
        kinds: ["call_expression"],
        gate: ["Tick"],
        fix: Sometimes,
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
        let d = ctx
            .report_node(
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
        if let Some(fix) = range_fix(ctx, call, anc, &q) {
            d.fix(fix);
        }
    }
}

/// Whether the channel variable `target` (assigned by `stmt`) is only received from in
/// this function's own frame: once the function returns, nothing reads it, so stopping
/// the ticker then is what the author meant. A goroutine or callback reading it, or the
/// channel handed on, would starve after the fix.
fn only_received_here<'a>(
    ctx: &Ctx<'a>,
    anc: &[Node<'a>],
    stmt: Node<'a>,
    target: Node<'a>,
) -> bool {
    if target.kind_str() != "identifier" {
        return false;
    }
    let name = ctx.text(target);
    let decl = if stmt.kind_str() == "assignment_statement" {
        match ctx.resolve(target, anc) {
            Some(d @ crate::sema::LocalDecl::Local { .. }) => d.name_node(),
            _ => return false, // a parameter, result or package variable: seen elsewhere
        }
    } else {
        target
    };
    let Some((fi, func)) = crate::flow::innermost_func(anc) else {
        return false;
    };
    let Some(body) = func.field(F.body) else {
        return false;
    };
    let mut ok = true;
    ctx.walk(body, &anc[..=fi], |kind, n, a| {
        if kind != "identifier" || n == decl || n == target || ctx.text(n) != name {
            return syntax::Walk::Continue;
        }
        if !matches!(ctx.resolve(n, a), Some(d) if d.name_node() == decl) {
            return syntax::Walk::Continue;
        }
        let nested = a[fi + 1..].iter().any(|x| x.kind_str() == "func_literal");
        ok = !nested && matches!(crate::sema::value_use(n, a), crate::sema::ValueUse::Other);
        if ok {
            syntax::Walk::Continue
        } else {
            syntax::Walk::Stop
        }
    });
    ok
}

/// `for ... range time.Tick(d) {` becomes `ticker := time.NewTicker(d)`,
/// `defer ticker.Stop()`, `for ... range ticker.C {`; `c := time.Tick(d)` becomes the
/// same two lines and `c := ticker.C`.
fn range_fix<'a>(ctx: &Ctx<'a>, call: Node<'a>, anc: &[Node<'a>], q: &str) -> Option<Fix> {
    let n = anc.len();
    if n < 4 {
        return None;
    }
    let parent = anc[n - 1];
    let mut si = if parent.kind_str() == "range_clause" && parent.field(F.right) == Some(call) {
        // The loop, or the labelled statement around it.
        (anc[n - 2].kind_str() == "for_statement").then_some(n - 2)?
    } else {
        // `c := time.Tick(d)` / `var c = time.Tick(d)` / `c = time.Tick(d)`, one value.
        let crate::sema::ValueUse::Assigned { stmt, target } = crate::sema::value_use(call, anc)
        else {
            return None;
        };
        if anc[n - 1].kind_str() != "expression_list" || syntax::expr_list(anc[n - 1]).len() != 1 {
            return None;
        }
        let si = anc.iter().rposition(|x| *x == stmt)?;
        let si = match stmt.kind_str() {
            "short_var_declaration" | "assignment_statement" => si,
            "var_spec" if si > 0 && anc[si - 1].kind_str() == "var_declaration" => si - 1,
            _ => return None,
        };
        if !only_received_here(ctx, anc, stmt, target?) {
            return None;
        }
        si
    };
    let stmt = anc[si];
    if si > 0 && anc[si - 1].kind_str() == "labeled_statement" {
        si -= 1;
    }
    if si == 0 || anc[si - 1].kind_str() != "statement_list" {
        return None;
    }
    let (fi, _) = crate::flow::innermost_func(anc)?;
    if fi >= si
        || anc[fi + 1..si]
            .iter()
            .any(|x| x.kind_str() == "for_statement")
    {
        return None; // a deferred Stop per outer iteration
    }
    // The loop line changes length: gofmt would re-align a comment at its end with
    // the comments of the lines around it.
    let line = ctx.file.lines.line_of(stmt.start_byte());
    let commented = |l: usize| edits::lines::has_trailing_comment(ctx.file, l);
    if commented(line) && (line > 0 && commented(line - 1) || commented(line + 1)) {
        return None;
    }
    let (_, outer) = crate::flow::outermost_func(anc)?;
    let ticker = edits::fresh_name(ctx, outer, "ticker")?;
    let args = ctx.text(call.field(F.arguments)?);
    let before = edits::insert_lines_before(
        ctx.file,
        anc[si],
        &[
            format!("{ticker} := {q}NewTicker{args}"),
            format!("defer {ticker}.Stop()"),
        ],
    )?;
    let channel = Edit::replace(call.start_byte()..call.end_byte(), format!("{ticker}.C"));
    Some(Fix::unsafe_edit(
        format!(
            "Use `{ticker} := {q}NewTicker(d)`, stop it on return, and range over `{ticker}.C`"
        ),
        vec![before, channel],
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TickLeak::META, &["Tick"]);
    }
}
