use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};
use crate::sema::{self, ValueUse};
use crate::syntax::{self, Walk};

declare_rule! {
    /// ## What it does
    /// Flags `time.After(...)` evaluated in a loop body as a case of a `select` (directly,
    /// or through a variable the `select` receives from) that has another case whose
    /// body lets the loop go on.
    ///
    /// ## Why is this bad?
    /// Each iteration creates a new Timer. When another case wins, the timer is abandoned,
    /// but before Go 1.23 it stays in memory until it fires: a busy loop with a long
    /// timeout piles up thousands of live timers.
    ///
    /// Not flagged: a bare `<-time.After(d)` (a sleep: the timer always fires); a `select`
    /// whose other cases all leave the loop (`return`, `break` or `goto` out), or that is
    /// followed by code that always leaves it; other cases that fire once at shutdown
    /// (`<-ctx.Done()`, or a channel named `done`, `stop`, `quit`, `closing`...); a timer
    /// variable re-armed only after it fired (`case <-t: t = time.After(d)`) or only when
    /// unset (`if t == nil`); `time.After` outside loops; `_test.go` files; modules past
    /// the Go 1.23 timer change.
    ///
    /// ## Example
    /// ```go,want
    /// func pump(in <-chan Msg) error {
    ///     for {
    ///         select {
    ///         case m := <-in:
    ///             handle(m)
    ///         case <-time.After(30 * time.Second):
    ///             return errIdle
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func pump(in <-chan Msg) error {
    ///     idle := time.NewTimer(30 * time.Second)
    ///     defer idle.Stop()
    ///     for {
    ///         select {
    ///         case m := <-in:
    ///             handle(m)
    ///             idle.Reset(30 * time.Second)
    ///         case <-idle.C:
    ///             return errIdle
    ///         }
    ///     }
    /// }
    /// ```
    pub struct TimeAfterInLoop {
        id: "time-after-in-loop",
        family: Time,
        severity: Warning,
        summary: "`time.After` in a looping `select` leaves a live timer behind on every iteration",
        kinds: ["call_expression"],
        gate: ["After"],
        fix: None,
        version_gated: true,
        skip_test_files: true,
    }
}

impl Rule for TimeAfterInLoop {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, call: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        let Some(name) = ctx.call_to(call, anc, "time", &["After"]) else {
            return;
        };
        let Some((loop_pos, lp)) = enclosing_loop(anc) else {
            return;
        };
        let Some(body) = lp.field(F.body) else {
            return;
        };
        if !syntax::contains(body, call) {
            return;
        }
        let found = direct_case(call, anc).or_else(|| via_variable(ctx, call, anc, loop_pos, lp));
        let Some((select, case, select_anc)) = found else {
            return;
        };
        // The loop the select belongs to must be the one the timer is created in.
        if enclosing_loop(&select_anc).map(|(_, l)| l) != Some(lp) {
            return;
        }
        let own_label = loop_pos
            .checked_sub(1)
            .map(|i| anc[i])
            .filter(|p| p.kind_str() == "labeled_statement")
            .and_then(|p| p.field(F.label))
            .map(|l| ctx.text(l));
        let inner_labels: Vec<&str> = select_anc
            .iter()
            .skip_while(|n| **n != lp)
            .skip(1)
            .chain(std::iter::once(&select))
            .filter(|n| n.kind_str() == "labeled_statement")
            .filter_map(|n| n.field(F.label).map(|l| ctx.text(l)))
            .collect();
        let mut c = select.walk();
        let continues = select
            .named_children(&mut c)
            .filter(|n| matches!(n.kind_str(), "communication_case" | "default_case") && *n != case)
            .any(|other| {
                !is_cancellation(ctx, other) && !case_leaves(ctx, other, own_label, &inner_labels)
            });
        if !continues || leaves_after(ctx, select, &select_anc, lp, own_label, &inner_labels) {
            return;
        }
        let q = match syntax::callee(call) {
            Some((Some(op), _)) => format!("{}.", ctx.text(op)),
            _ => String::new(),
        };
        ctx.report_node(
            name,
            format!(
                "`{q}After` creates a new timer on every iteration; each time another case wins, the \
                 abandoned timer stays in memory until it fires (before Go 1.23)"
            ),
        )
        .label("a new timer on every iteration")
        .help(format!(
            "create one `{q}NewTimer(d)` before the loop, `Reset` it each iteration and `Stop` it when done"
        ));
    }
}

/// The innermost `for` around the node within its own function, and its position.
fn enclosing_loop<'a>(anc: &[Node<'a>]) -> Option<(usize, Node<'a>)> {
    for (i, n) in anc.iter().enumerate().rev() {
        if n.kind_str() == "for_statement" {
            return Some((i, *n));
        }
        if syntax::is_func(n.kind_str()) {
            return None;
        }
    }
    None
}

/// `case <-time.After(d):` / `case v := <-time.After(d):` — the select, the case, and
/// the select's ancestors.
fn direct_case<'a>(
    call: Node<'a>,
    anc: &[Node<'a>],
) -> Option<(Node<'a>, Node<'a>, Vec<Node<'a>>)> {
    let mut i = anc.len();
    let mut child = call;
    // Through parentheses to the `<-`.
    loop {
        i = i.checked_sub(1)?;
        let p = anc[i];
        if p.kind_str() == "parenthesized_expression" {
            child = p;
            continue;
        }
        if p.kind_str() == "unary_expression"
            && p.child(0).is_some_and(|o| o.kind_str() == "<-")
            && p.field(F.operand) == Some(child)
        {
            child = p;
            break;
        }
        return None;
    }
    i = i.checked_sub(1)?;
    let recv = anc[i];
    if recv.kind_str() != "receive_statement" || recv.field(F.right) != Some(child) {
        return None;
    }
    i = i.checked_sub(1)?;
    let case = anc[i];
    if case.kind_str() != "communication_case" || case.field(F.communication) != Some(recv) {
        return None;
    }
    i = i.checked_sub(1)?;
    let select = anc[i];
    (select.kind_str() == "select_statement").then(|| (select, case, anc[..i].to_vec()))
}

/// `timeout := time.After(d)` in the loop, then `case <-timeout:` in a select of the loop.
fn via_variable<'a>(
    ctx: &Ctx<'a>,
    call: Node<'a>,
    anc: &[Node<'a>],
    loop_pos: usize,
    lp: Node<'a>,
) -> Option<(Node<'a>, Node<'a>, Vec<Node<'a>>)> {
    let ValueUse::Assigned {
        stmt,
        target: Some(target),
    } = sema::value_use(call, anc)
    else {
        return None;
    };
    if target.kind_str() != "identifier" {
        return None;
    }
    let var = ctx.text(target);
    let stmt_anc = &anc[..anc.iter().rposition(|n| *n == stmt)?];
    let decl = if stmt.kind_str() == "short_var_declaration" {
        target
    } else {
        let mut chain = stmt_anc.to_vec();
        chain.push(stmt);
        ctx.resolve(target, &chain)?.name_node()
    };
    // Re-armed only once it fired (`case <-t: t = time.After(d)`), or only when unset
    // (`if t == nil { t = time.After(d) }`): no timer is abandoned while pending.
    for a in &anc[loop_pos..] {
        match a.kind_str() {
            "communication_case" if receives_from(ctx, *a, var) => return None,
            "if_statement"
                if a.field(F.condition)
                    .is_some_and(|c| is_nil_check(ctx, c, var)) =>
            {
                return None;
            }
            _ => {}
        }
    }
    let body = lp.field(F.body)?;
    let mut found = None;
    ctx.walk(body, &anc[..=loop_pos], |kind, n, a| {
        if kind == "func_literal" {
            return Walk::Skip;
        }
        if kind != "communication_case" {
            return Walk::Continue;
        }
        let Some(recv) = n.field(F.communication) else {
            return Walk::Continue;
        };
        let Some(right) = recv.field(F.right).map(syntax::unparen) else {
            return Walk::Continue;
        };
        if right.kind_str() != "unary_expression" {
            return Walk::Continue;
        }
        let Some(operand) = right.field(F.operand).map(syntax::unparen) else {
            return Walk::Continue;
        };
        if operand.kind_str() != "identifier" || ctx.text(operand) != var {
            return Walk::Continue;
        }
        let mut chain = a.to_vec();
        chain.extend([n, recv, right]);
        let same = sema::resolve_local(var, operand, &chain, ctx.src())
            .is_some_and(|d| d.name_node() == decl);
        if same
            && let Some(select) = a.last().copied()
            && select.kind_str() == "select_statement"
        {
            found = Some((select, n, a[..a.len() - 1].to_vec()));
            return Walk::Stop;
        }
        Walk::Continue
    });
    found
}

/// `case <-v:` / `case x := <-v:` for the identifier `v`.
fn receives_from(ctx: &Ctx<'_>, case: Node<'_>, var: &str) -> bool {
    case.field(F.communication)
        .and_then(|c| c.field(F.right))
        .map(syntax::unparen)
        .filter(|r| r.kind_str() == "unary_expression")
        .and_then(|r| r.field(F.operand))
        .map(syntax::unparen)
        .is_some_and(|o| o.kind_str() == "identifier" && ctx.text(o) == var)
}

/// `v == nil` (either way round).
fn is_nil_check(ctx: &Ctx<'_>, cond: Node<'_>, var: &str) -> bool {
    let cond = syntax::unparen(cond);
    if cond.kind_str() != "binary_expression"
        || cond.field(F.operator).is_none_or(|o| ctx.text(o) != "==")
    {
        return false;
    }
    let (Some(l), Some(r)) = (cond.field(F.left), cond.field(F.right)) else {
        return false;
    };
    let (l, r) = (syntax::unparen(l), syntax::unparen(r));
    (ctx.text(l) == var && r.kind_str() == "nil") || (ctx.text(r) == var && l.kind_str() == "nil")
}

/// A case that fires once, at shutdown: `<-ctx.Done()`, or a receive from a channel
/// named for it (`done`, `stop`, `quit`, `closing`...). Abandoning one timer when the
/// component stops is no pile-up.
fn is_cancellation(ctx: &Ctx<'_>, case: Node<'_>) -> bool {
    let Some(right) = case
        .field(F.communication)
        .filter(|c| c.kind_str() == "receive_statement")
        .and_then(|c| c.field(F.right))
        .map(syntax::unparen)
    else {
        return false;
    };
    let Some(chan) = right.field(F.operand).map(syntax::unparen) else {
        return false;
    };
    let name = match chan.kind_str() {
        "call_expression" => match syntax::callee(chan) {
            Some((_, n)) => ctx.text(n),
            None => return false,
        },
        "selector_expression" => syntax::selector_field(chan, ctx.src()).unwrap_or(""),
        "identifier" => ctx.text(chan),
        _ => return false,
    };
    let lower = name.to_ascii_lowercase();
    const SIGNALS: [&str; 14] = [
        "done", "stop", "quit", "shutdown", "closing", "closed", "close", "exit", "die", "dying",
        "cancel", "term", "kill", "abort",
    ];
    SIGNALS.iter().any(|s| lower.contains(s))
}

/// Whether the code after the select always leaves the loop (`select {...}; return`),
/// so that no case of the select lets the loop go on.
fn leaves_after(
    ctx: &Ctx<'_>,
    select: Node<'_>,
    select_anc: &[Node<'_>],
    lp: Node<'_>,
    own: Option<&str>,
    inner: &[&str],
) -> bool {
    let mut child = select;
    for a in select_anc.iter().rev() {
        if *a == lp {
            return false;
        }
        if a.kind_str() == "statement_list" {
            let mut c = a.walk();
            for stmt in a.named_children(&mut c) {
                if stmt.start_byte() <= child.start_byte() || stmt.kind_str() == "comment" {
                    continue;
                }
                if stmt.kind_str() == "continue_statement" {
                    return false;
                }
                if stmt_leaves(ctx, stmt, own, inner, 0) {
                    return true;
                }
            }
        }
        // Out of a block, a case or an `if` branch, control goes on after the enclosing
        // statement: keep looking there.
        child = *a;
    }
    false
}

/// Whether a select case always leaves the loop: its last statement returns, jumps out,
/// or never returns. `inner_labels` label statements inside the loop (a `break` to them
/// stays in the loop); `continue` to the loop's own label stays in it too.
fn case_leaves(ctx: &Ctx<'_>, case: Node<'_>, own: Option<&str>, inner_labels: &[&str]) -> bool {
    syntax::statements(case)
        .last()
        .is_some_and(|s| stmt_leaves(ctx, *s, own, inner_labels, 0))
}

fn stmt_leaves(
    ctx: &Ctx<'_>,
    stmt: Node<'_>,
    own: Option<&str>,
    inner: &[&str],
    depth: u32,
) -> bool {
    if depth > 64 {
        return false;
    }
    let src = ctx.src();
    let recurse = |s: Node<'_>| stmt_leaves(ctx, s, own, inner, depth + 1);
    match stmt.kind_str() {
        "return_statement" | "goto_statement" => true,
        "break_statement" => syntax::jump_label(stmt, src).is_some_and(|l| !inner.contains(&l)),
        "continue_statement" => {
            syntax::jump_label(stmt, src).is_some_and(|l| !inner.contains(&l) && own != Some(l))
        }
        "block" => syntax::statements(stmt).last().is_some_and(|s| recurse(*s)),
        "if_statement" => match (stmt.field(F.consequence), stmt.field(F.alternative)) {
            (Some(c), Some(a)) => recurse(c) && recurse(a),
            _ => false,
        },
        _ => syntax::is_terminating(stmt, src),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TimeAfterInLoop::META, &["After"]);
    }
}
