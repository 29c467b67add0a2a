use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use crate::declare_rule;
use crate::edits;
use crate::engine::{Ctx, Fix, Rule, RuleMeta};
use crate::index::MethodFact;
use crate::sema::{self, LocalDecl, ValueUse};
use crate::syntax::{self, Walk};

declare_rule! {
    /// ## What it does
    /// Flags `time.NewTicker(...)` whose Ticker is never stopped.
    ///
    /// ## Why is this bad?
    /// Before Go 1.23, a Ticker that is not stopped is never garbage-collected: the
    /// runtime keeps it and fires it for the life of the process. A handler or loop that
    /// creates one per call leaks a timer per call, and CPU goes to waking them all.
    ///
    /// Flagged: a ticker bound to a local variable that does not escape the function
    /// and on which no `.Stop()` is called anywhere in the function (directly, deferred,
    /// or in a closure or goroutine the function starts); `time.NewTicker(d).C` used
    /// directly (nothing can ever stop it); a ticker stored in a struct field when no
    /// `.Stop()` is called on that field anywhere in the package.
    ///
    /// Not flagged: a ticker that is returned, sent on a channel, stored in a slice or
    /// map, stored in a field or package variable that is stopped elsewhere in the
    /// package, passed to a same-package function that stops its parameter, or passed
    /// to a function of another package (it escapes our view). Nor are tickers that live
    /// as long as the process: created at package level, in `main()` or `init()` of
    /// package `main`, or in a function that never returns (an endless loop keeps the
    /// ticker busy forever; a goroutine that can never end is `ticker-loop-no-exit`'s
    /// finding). Modules whose `go.mod` says `go 1.23` or later (without
    /// `asynctimerchan=1`) are not checked.
    ///
    /// ## Example
    /// ```go,want
    /// func poll(ctx context.Context) {
    ///     t := time.NewTicker(time.Second)
    ///     for {
    ///         select {
    ///         case <-ctx.Done():
    ///             return
    ///         case <-t.C:
    ///             refresh()
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func poll(ctx context.Context) {
    ///     t := time.NewTicker(time.Second)
    ///     defer t.Stop()
    ///     for {
    ///         select {
    ///         case <-ctx.Done():
    ///             return
    ///         case <-t.C:
    ///             refresh()
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix safety
    /// The fix inserts `defer t.Stop()` on its own line right after the statement that
    /// creates the ticker. It is safe when the ticker is a local variable of that very
    /// function and nothing outside the function's own frame uses it: the ticker is
    /// then unreachable once the function returns, so stopping it there changes
    /// nothing but the leak. It is unsafe when a function literal also uses the ticker
    /// (a callback may run after the function has returned and would no longer get
    /// ticks). No fix is offered when the ticker is created in a loop (every iteration
    /// would pile up a deferred `Stop` until the function returns), used by a goroutine,
    /// stored in a field, a struct or another variable, or discarded.
    pub struct TickerNotStopped {
        id: "ticker-not-stopped",
        family: Time,
        severity: Error,
        summary: "A `time.NewTicker` that is never stopped keeps firing for the life of the process",
        kinds: ["call_expression"],
        gate: ["NewTicker"],
        fix: Sometimes,
        version_gated: true,
        skip_test_files: false,
    }
}

/// Where the ticker ends up.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Stopped,
    Escaped,
    Neutral,
}

impl Rule for TickerNotStopped {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, call: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        let Some(name) = ctx.call_to(call, anc, "time", &["NewTicker"]) else {
            return;
        };
        // Package-level initialisers and main/init of package main run once: their
        // tickers live exactly as long as the process.
        let Some((_, frame)) = crate::flow::innermost_func(anc) else {
            return;
        };
        if crate::flow::in_main_or_init(ctx, anc) {
            return;
        }
        // A function that never returns keeps its ticker busy forever: stopping it is
        // moot (a goroutine that loops forever is ticker-loop-no-exit's business).
        if crate::flow::is_endless(ctx, frame) {
            return;
        }
        let time_pkg = time_qualifier(ctx, call);
        match sema::value_use(call, anc) {
            ValueUse::Selector {
                name: field,
                called,
            } => {
                if ctx.text(field) == "C" && !called {
                    ctx.report_node(
                        name,
                        "`NewTicker(...).C` keeps no reference to the Ticker, so it can never be stopped: \
                         before Go 1.23 it fires for the life of the process",
                    )
                    .label("ticker created here")
                    .help(format!(
                        "keep the ticker in a variable and stop it: `t := {time_pkg}NewTicker(d)`, \
                         `defer t.Stop()`, then read `t.C`"
                    ));
                }
            }
            ValueUse::Discarded => {
                ctx.report_node(
                    name,
                    "the Ticker returned by `NewTicker` is discarded and can never be stopped",
                )
                .label("ticker created here")
                .help("remove the call, or keep the ticker and `defer t.Stop()`");
            }
            ValueUse::Assigned { stmt, target } => {
                let Some(target) = target else { return };
                check_assigned(ctx, name, call, anc, stmt, target, &time_pkg);
            }
            ValueUse::Element {
                literal,
                key,
                position,
            } => {
                if let Some(field) = struct_field_of(ctx, literal, key, position)
                    && !ctx.pkg.fields_with(MethodFact::Stop).contains(&field)
                {
                    report_field(ctx, name, &field);
                }
            }
            ValueUse::Arg { call: outer, index } => {
                let outer_anc = ancestors_of(anc, outer);
                if passed_to(ctx, outer, outer_anc, index) == Outcome::Neutral {
                    let callee = syntax::callee(outer)
                        .map(|(_, n)| ctx.text(n))
                        .unwrap_or("?");
                    ctx.report_node(
                        name,
                        format!(
                            "this Ticker is passed to `{callee}`, which never stops it (nor does anything else): \
                             before Go 1.23 it fires for the life of the process"
                        ),
                    )
                    .label("ticker created here")
                    .help(format!("call `Stop()` on the ticker in `{callee}` or after it returns"));
                }
            }
            ValueUse::Returned | ValueUse::Sent | ValueUse::Other => {}
        }
    }
}

fn check_assigned<'a>(
    ctx: &Ctx<'a>,
    name: Node<'a>,
    call: Node<'a>,
    anc: &[Node<'a>],
    stmt: Node<'a>,
    target: Node<'a>,
    time_pkg: &str,
) {
    let target = syntax::unparen(target);
    match target.kind_str() {
        "identifier" => {
            let var = ctx.text(target);
            if var == "_" {
                ctx.report_node(
                    name,
                    "the Ticker is assigned to `_` and can never be stopped",
                )
                .label("ticker created here")
                .help("keep the ticker in a variable and `defer t.Stop()`");
                return;
            }
            let mut chain = anc.to_vec();
            chain.push(call);
            let in_func = crate::flow::outermost_func(anc).is_some();
            let decl = match stmt.kind_str() {
                // `t := ...` / `var t = ...` declare `t` right here.
                "short_var_declaration" | "var_spec" if in_func => Some(LocalDecl::Local {
                    stmt,
                    name: target,
                    ty: None,
                    value: Some(call),
                }),
                "var_spec" => return, // package level: one ticker for the process
                _ => ctx.resolve(target, &chain),
            };
            match decl {
                Some(LocalDecl::Local { name: decl, .. }) => {
                    let Some((fi, func)) = crate::flow::outermost_func(anc) else {
                        return;
                    };
                    if local_fate(ctx, func, &anc[..fi], var, decl) == Outcome::Neutral {
                        let d = ctx
                            .report_node(
                                name,
                                format!(
                                    "ticker `{var}` is never stopped: before Go 1.23 an unstopped Ticker \
                                     is never garbage-collected and fires for the life of the process"
                                ),
                            )
                            .label("ticker created here")
                            .help(format!(
                                "add `defer {var}.Stop()` right after `{var} := {time_pkg}NewTicker(...)`"
                            ));
                        if let Some(fix) = defer_stop_fix(ctx, anc, stmt, var, decl) {
                            d.fix(fix);
                        }
                    }
                }
                Some(_) => {} // a named result or parameter: handed to the caller
                None => {
                    // A package-level variable assigned inside a function: every call
                    // replaces (and leaks) the previous ticker unless it is stopped.
                    if !in_func || is_exported(var) {
                        return;
                    }
                    if !pkg_var_stopped(ctx, var) && ctx.pkg.vars.contains_key(var) {
                        ctx.report_node(
                                name,
                                format!("package variable `{var}` holds a Ticker that is never stopped anywhere in the package"),
                            )
                            .label("ticker created here")
                            .help(format!("call `{var}.Stop()` before replacing it and on shutdown"));
                    }
                }
            }
        }
        "selector_expression" => {
            let Some(field) = syntax::selector_field(target, ctx.src()) else {
                return;
            };
            if ctx.pkg.fields_with(MethodFact::Stop).contains(field) {
                return;
            }
            if ctx.pkg.has_field_named(field) {
                report_field(ctx, name, field);
            }
        }
        _ => {} // index expressions: stored in a map or slice
    }
}

/// `defer v.Stop()` on a line of its own right after the statement that creates the
/// ticker `v` (declared at `decl`): safe when `v` is a local of that very function and
/// no function literal uses it; unsafe when one does (it may run after the function
/// returns); none when the statement is in a loop (one deferred Stop per iteration,
/// all run late), is not a plain statement of a block (`if t := ...; ...`), when a
/// goroutine uses the ticker (stopping it on return would starve the goroutine), or
/// when the ticker is also kept in a struct, a field or another variable.
fn defer_stop_fix<'a>(
    ctx: &Ctx<'a>,
    anc: &[Node<'a>],
    stmt: Node<'a>,
    var: &str,
    decl: Node<'a>,
) -> Option<Fix> {
    let (fi, func) = crate::flow::innermost_func(anc)?;
    let si = anc.iter().rposition(|n| *n == stmt)?;
    // `var t = ...` is a spec of a declaration: the statement is the declaration.
    let si = if stmt.kind_str() == "var_spec" {
        (fi..si)
            .rev()
            .find(|&i| anc[i].kind_str() == "var_declaration")?
    } else {
        si
    };
    let statement = anc[si];
    if si == 0 || anc[si - 1].kind_str() != "statement_list" {
        return None;
    }
    if anc[fi + 1..si]
        .iter()
        .any(|n| n.kind_str() == "for_statement")
    {
        return None;
    }
    // The variable must be declared in this very function, not captured from outside.
    let body = func.field(F.body)?;
    let mut own = false;
    ctx.walk(body, &[], |kind, n, _| {
        if kind == "func_literal" {
            return Walk::Skip;
        }
        if n == decl {
            own = true;
            return Walk::Stop;
        }
        Walk::Continue
    });
    if !own {
        return None;
    }
    // Who else sees the ticker: closures make the fix unsafe, goroutines rule it out.
    let mut captured = false;
    let mut goroutine = false;
    let mut kept = false;
    ctx.walk(body, &anc[..=fi], |kind, n, a| {
        if kind != "identifier" || n == decl || ctx.text(n) != var {
            return Walk::Continue;
        }
        if !matches!(ctx.resolve(n, a), Some(d) if d.name_node() == decl) {
            return Walk::Continue;
        }
        let inner = a[fi + 1..]
            .iter()
            .rposition(|x| x.kind_str() == "func_literal")
            .map(|k| fi + 1 + k);
        if let Some(k) = inner {
            captured = true;
            goroutine |= crate::flow::is_goroutine_body(ctx, a[k], &a[..k]);
        }
        match sema::value_use(n, a) {
            sema::ValueUse::Arg { call, .. } => {
                if let Some(ci) = a.iter().rposition(|x| *x == call)
                    && ci > 0
                    && a[ci - 1].kind_str() == "go_statement"
                {
                    goroutine = true;
                }
            }
            // Kept in a struct, a field or another variable: it outlives the call.
            sema::ValueUse::Element { .. } => kept = true,
            sema::ValueUse::Assigned { target, .. } => {
                kept |= target.is_none_or(|t| ctx.text(t) != "_");
            }
            _ => {}
        }
        if goroutine || kept {
            Walk::Stop
        } else {
            Walk::Continue
        }
    });
    if goroutine || kept {
        return None;
    }
    let edit = edits::insert_lines_after(ctx.file, statement, &[format!("defer {var}.Stop()")])?;
    let title = format!("Add `defer {var}.Stop()` after the ticker is created");
    Some(if captured {
        Fix::unsafe_edit(title, vec![edit])
    } else {
        Fix::safe(title, vec![edit])
    })
}

fn is_exported(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

fn report_field(ctx: &Ctx<'_>, name: Node<'_>, field: &str) {
    ctx.report_node(
        name,
        format!(
            "ticker stored in field `{field}` is never stopped: no `.{field}.Stop()` anywhere in package `{}`",
            ctx.package_name()
        ),
    )
    .label("ticker created here")
    .help(format!(
        "call `x.{field}.Stop()` where its owner shuts down (its Close or Stop method)"
    ));
}

/// `time.` as this file spells it (`""` for a dot import).
fn time_qualifier(ctx: &Ctx<'_>, call: Node<'_>) -> String {
    match syntax::callee(call) {
        Some((Some(op), _)) => format!("{}.", ctx.text(op)),
        _ => String::new(),
    }
}

/// The ancestors of `node`, itself one of `anc`.
fn ancestors_of<'s, 'a>(anc: &'s [Node<'a>], node: Node<'a>) -> &'s [Node<'a>] {
    match anc.iter().rposition(|n| *n == node) {
        Some(i) => &anc[..i],
        None => anc,
    }
}

/// The struct field a composite-literal element initialises, for literals of a struct
/// type declared in this package.
fn struct_field_of(
    ctx: &Ctx<'_>,
    literal: Node<'_>,
    key: Option<Node<'_>>,
    position: usize,
) -> Option<String> {
    let ty = literal.field(F.ty)?;
    if ty.kind_str() != "type_identifier" {
        return None; // slices, maps, other packages' structs: the ticker escapes our view
    }
    let st = ctx.pkg.structs.get(ctx.text(ty))?;
    match key {
        Some(k) => Some(ctx.text(k).trim().to_string()),
        None => st.fields.get(position).map(|f| f.name.clone()),
    }
}

fn pkg_var_stopped(ctx: &Ctx<'_>, var: &str) -> bool {
    let stops = ctx.pkg.param_facts(MethodFact::Stop);
    ctx.pkg.facts.iter().any(|f| {
        f.method_calls.iter().any(|m| {
            m.method == "Stop"
                && m.target.fields.is_empty()
                && m.target.root == crate::index::Root::PkgVar(var.to_string())
        }) || f.calls.iter().any(|c| {
            c.args.iter().enumerate().any(|(j, a)| {
                a.as_ref().is_some_and(|a| {
                    a.fields.is_empty() && a.root == crate::index::Root::PkgVar(var.to_string())
                }) && c.callees.iter().any(|&g| stops.has(g, j))
            })
        })
    })
}

/// Follow every use of the local `var` (declared at `decl`) in `func`.
fn local_fate<'a>(
    ctx: &Ctx<'a>,
    func: Node<'a>,
    base: &[Node<'a>],
    var: &str,
    decl: Node<'a>,
) -> Outcome {
    let mut verdict = Outcome::Neutral;
    ctx.walk(func, base, |kind, n, anc| {
        if kind != "identifier" || n == decl || ctx.text(n) != var {
            return Walk::Continue;
        }
        match sema::resolve_local(var, n, anc, ctx.src()) {
            Some(d) if d.name_node() == decl => {}
            _ => return Walk::Continue,
        }
        match use_fate(ctx, n, anc) {
            Outcome::Neutral => Walk::Continue,
            o => {
                verdict = o;
                Walk::Stop
            }
        }
    });
    verdict
}

/// What one use of the ticker variable does with it.
fn use_fate<'a>(ctx: &Ctx<'a>, id: Node<'a>, anc: &[Node<'a>]) -> Outcome {
    match sema::value_use(id, anc) {
        ValueUse::Selector { name, .. } => {
            if ctx.text(name) == "Stop" {
                Outcome::Stopped
            } else {
                Outcome::Neutral
            }
        }
        ValueUse::Returned | ValueUse::Sent => Outcome::Escaped,
        ValueUse::Element {
            literal,
            key,
            position,
        } => match struct_field_of(ctx, literal, key, position) {
            Some(field) if ctx.pkg.fields_with(MethodFact::Stop).contains(&field) => {
                Outcome::Stopped
            }
            Some(_) => Outcome::Neutral,
            None => Outcome::Escaped,
        },
        ValueUse::Assigned { target, .. } => {
            let Some(target) = target.map(syntax::unparen) else {
                return Outcome::Escaped;
            };
            match target.kind_str() {
                "identifier" if ctx.text(target) == "_" => Outcome::Neutral,
                "identifier" => {
                    let v = ctx.text(target);
                    if ctx.resolve(target, anc).is_none()
                        && ctx.pkg.vars.contains_key(v)
                        && !is_exported(v)
                    {
                        if pkg_var_stopped(ctx, v) {
                            Outcome::Stopped
                        } else {
                            Outcome::Neutral
                        }
                    } else {
                        Outcome::Escaped // another variable now holds it
                    }
                }
                "selector_expression" => {
                    let field = syntax::selector_field(target, ctx.src()).unwrap_or("");
                    if ctx.pkg.fields_with(MethodFact::Stop).contains(field) {
                        Outcome::Stopped
                    } else if ctx.pkg.has_field_named(field) {
                        Outcome::Neutral
                    } else {
                        Outcome::Escaped
                    }
                }
                _ => Outcome::Escaped,
            }
        }
        ValueUse::Arg { call, index } => passed_to(ctx, call, ancestors_of(anc, call), index),
        ValueUse::Other | ValueUse::Discarded => Outcome::Neutral,
    }
}

/// The ticker is argument `index` of `call`.
fn passed_to<'a>(ctx: &Ctx<'a>, call: Node<'a>, call_anc: &[Node<'a>], index: usize) -> Outcome {
    let Some((operand, name)) = syntax::callee(call) else {
        return Outcome::Escaped;
    };
    let fname = ctx.text(name);
    let mut chain = call_anc.to_vec();
    chain.push(call);
    let fact = |g: usize| -> Outcome {
        let f = &ctx.pkg.funcs[g];
        let j = match f.params.last() {
            Some(p) if p.variadic && index >= f.params.len() - 1 => f.params.len() - 1,
            _ => index,
        };
        if ctx.pkg.param_facts(MethodFact::Stop).has(g, j) {
            Outcome::Stopped
        } else if ctx.pkg.param_escapes().has(g, j) || j >= 64 {
            Outcome::Escaped
        } else {
            Outcome::Neutral
        }
    };
    match operand {
        None => {
            if syntax::is_builtin_func(fname) {
                return if fname == "append" {
                    Outcome::Escaped
                } else {
                    Outcome::Neutral
                };
            }
            if ctx.resolve(name, &chain).is_some() {
                return Outcome::Escaped; // a function value
            }
            match ctx.pkg.func_named(fname) {
                Some(g) => fact(g),
                None => Outcome::Escaped,
            }
        }
        Some(op) => {
            if op.kind_str() == "identifier"
                && ctx.imports().path_of(ctx.text(op)).is_some()
                && ctx.resolve(op, &chain).is_none()
            {
                return Outcome::Escaped; // another package's function
            }
            if let Some(ty) = crate::flow::local_type_name(ctx, op, &chain) {
                return match ctx.pkg.method_of(&ty, fname) {
                    Some(m) => fact(m),
                    None => Outcome::Escaped,
                };
            }
            // Unknown receiver type: stopped if some same-package method of that name
            // stops its parameter; otherwise it may be any code at all.
            let stops = ctx.pkg.param_facts(MethodFact::Stop);
            if ctx.pkg.methods_named(fname).any(|g| stops.has(g, index)) {
                Outcome::Stopped
            } else {
                Outcome::Escaped
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(&super::TickerNotStopped::META, &["NewTicker"]);
    }
}
