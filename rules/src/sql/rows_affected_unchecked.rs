use tree_sitter::Node;

use super::api::{self, Returns, SqlArg};
use super::resolve::{handle_of, sql_text};
use super::sqltext::{self, Class, Condition, Piece, Targeting, Verb};
use crate::declare_rule;
use crate::engine::settings::OptionValue;
use crate::engine::{Ctx, Edit, Fix, Rule, RuleMeta, Severity};
use crate::index::MethodFact;
use crate::sema::{self, LocalDecl, ValueUse};
use crate::syntax::{self, F, NodeExt, Walk};

declare_rule! {
    /// ## What it does
    /// Flags an `UPDATE` or `DELETE` aimed at specific rows whose affected-row count is
    /// never looked at: through `database/sql` (`Exec`, `ExecContext` on a `*sql.DB`,
    /// `*sql.Tx`, `*sql.Conn` or a prepared `*sql.Stmt`), sqlx (`MustExec`,
    /// `NamedExec`...), or a GORM chain ending in `Update`, `Updates`,
    /// `UpdateColumn(s)` or `Delete`.
    ///
    /// ## Why is this bad?
    /// A write that matches no row is not an error to the database: the error is nil and
    /// only the affected-row count says nothing happened. When the `WHERE` clause is a
    /// *guard* — `WHERE sku = ? AND available >= ?`, `WHERE id = $1 AND version = $2`,
    /// `WHERE id = ? AND status = 'draft'` — zero rows means the guard failed: stock ran
    /// out, a concurrent writer won, the row already moved on. Ignoring the count turns
    /// an optimistic lock or a stock check into a silent no-op (warning). For a plain
    /// `WHERE id = ?`, zero rows means the row does not exist and "not found" goes
    /// unreported (info).
    ///
    /// Only targeted writes are flagged: the `WHERE` compares a column with a bind
    /// parameter (`= ?`, `= $1`, `= :name`, `= @name`). Bulk and cleanup writes (no
    /// `WHERE`, only ranges, `LIKE`, `IN`, `OR` alternatives or literal predicates such
    /// as `expires_at < now()`) are not: zero rows is normal there. Nor are `INSERT`,
    /// DDL, or SQL text built at run time; text built with `+` or `fmt.Sprintf` is read
    /// when the verb and the whole `WHERE` clause are in literals or constants.
    ///
    /// A result that is returned, stored in a field, or passed to a function that may
    /// check it is left to that code. A same-package helper that calls `RowsAffected()`
    /// on its parameter counts as a check.
    ///
    /// Writes keyed only by scope columns — a parent's id (`user_id`, `photo_id`; but
    /// `user_id` in table `users` is the row's own key), an owner, a tenant, a type —
    /// are scoped bulk writes (`DELETE FROM sessions WHERE user_id = ?`), and so are
    /// batches (`id IN (...)`, `id = ANY($1)`, `url <> ALL($1)`, `LIKE`, `uid <> ?`).
    /// Single-key findings are also left out of `_test.go` files (a test reads its rows
    /// back), of migrations (`migrations/`), and of loops that rewrite the rows they
    /// scan (`for rows.Next()`).
    ///
    /// ## Example
    /// ```go,want
    /// func reserve(ctx context.Context, tx *sql.Tx, sku string, n int) error {
    ///     _, err := tx.ExecContext(ctx,
    ///         `UPDATE inventory SET available = available - ? WHERE sku = ? AND available >= ?`,
    ///         n, sku, n)
    ///     return err
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func reserve(ctx context.Context, tx *sql.Tx, sku string, n int) error {
    ///     res, err := tx.ExecContext(ctx,
    ///         `UPDATE inventory SET available = available - ? WHERE sku = ? AND available >= ?`,
    ///         n, sku, n)
    ///     if err != nil {
    ///         return err
    ///     }
    ///     if rows, err := res.RowsAffected(); err != nil {
    ///         return err
    ///     } else if rows == 0 {
    ///         return ErrOutOfStock
    ///     }
    ///     return nil
    /// }
    /// ```
    ///
    /// ## Suggested fix
    /// No automatic fix: what zero affected rows means (not found, a lost race, a guard
    /// that failed) and which error to return are the author's call. For a write that
    /// is a statement of its own, the help shows the shape of the fix (display-only,
    /// never applied): keep the result (`res`, a fresh name, when it was dropped) and
    /// check it right after the write:
    ///
    /// ```text
    /// res, err := db.ExecContext(ctx, q, id)
    /// if n, err := res.RowsAffected(); err != nil {
    ///     return err
    /// } else if n == 0 {
    ///     return ErrNotFound
    /// }
    /// ```
    pub struct RowsAffectedUnchecked {
        id: "rows-affected-unchecked",
        family: Sql,
        severity: Warning,
        summary: "An UPDATE/DELETE aimed at specific rows whose affected-row count is never checked: a write that matched nothing passes as success",
        kinds: ["call_expression"],
        gate: ["Exec", "ExecContext", "MustExec", "MustExecContext", "NamedExec", "NamedExecContext", "Update", "Updates", "UpdateColumn", "UpdateColumns", "Delete"],
        package_gate: [api::SQL, api::SQLX, api::GORM_V2, api::GORM_V1],
        fix: None,
        version_gated: false,
        skip_test_files: false,
        options: [
            ("single-key", Bool, "Report single-key writes (`WHERE id = ?`) at info severity (default true); `false` keeps only the guarded-write warnings."),
        ],
    }
}

impl Rule for RowsAffectedUnchecked {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, call: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        let Some((Some(op), name_node)) = ctx.callee(call) else {
            return;
        };
        let name = ctx.ident_text(name_node);
        let gorm_write = api::GORM_WRITES.contains(&name);
        if !gorm_write && !api::is_exec_name(name) {
            return;
        }
        if !package_uses_databases(ctx) {
            return;
        }
        let mut chain = anc.to_vec();
        chain.push(call);
        let Some(handle) = handle_of(ctx, op, &chain, name) else {
            return;
        };
        if handle.ty.is_gorm() {
            if gorm_write {
                check_gorm(ctx, call, anc, name_node);
            }
            return;
        }
        let Some(method) = api::exec_method(handle.ty, name) else {
            return;
        };
        let pieces = match method.sql {
            SqlArg::Arg(i) => match syntax::call_args(call).get(i) {
                Some(&arg) => sql_text(ctx, arg, &chain),
                None => return,
            },
            SqlArg::Prepared => match handle.prepared {
                Some(p) => p,
                None => return,
            },
        };
        let Class::Targeted(write) = sqltext::classify(&pieces) else {
            return;
        };
        if !wanted(ctx, &write.targeting, anc) {
            return;
        }
        let fate = result_fate(
            ctx,
            call,
            anc,
            method.returns == Returns::ResultErr,
            Api::Sql,
        );
        let what = match fate {
            Fate::Checked | Fate::Escaped | Fate::ErrorOnly => return,
            Fate::Discarded(how) => format!("`{name}`'s `sql.Result` is {}", how.describe()),
            Fate::Unchecked(var) => format!("`{}.RowsAffected()` is never called", ctx.text(var)),
        };
        let rows = format!("`{}`", shorten(&write.where_clause, 90));
        let guarded = matches!(write.targeting, Targeting::Guarded { .. });
        let shape = check_suggestion(ctx, call, anc, fate, guarded);
        report(
            ctx,
            name_node,
            &what,
            write.verb,
            &write.targeting,
            &rows,
            Api::Sql,
            shape,
        );
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    Sql,
    Gorm,
}

/// How a result was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dropped {
    /// The call is an expression statement (or deferred, or started with `go`).
    Statement,
    /// Assigned to `_`.
    Blank,
    /// Used only for another method (`LastInsertId`).
    OtherMethod,
}

impl Dropped {
    fn describe(self) -> &'static str {
        match self {
            Dropped::Statement => "dropped",
            Dropped::Blank => "assigned to `_`",
            Dropped::OtherMethod => "used, but not for `RowsAffected()`",
        }
    }
}

/// What becomes of a write's result.
#[derive(Clone, Copy, Debug)]
enum Fate<'a> {
    Discarded(Dropped),
    /// Held in this local, whose affected rows are never read.
    Unchecked(Node<'a>),
    /// GORM: only `.Error` is read.
    ErrorOnly,
    Checked,
    /// Returned, stored, or handed to code that may check it.
    Escaped,
}

/// Whether any file of the package imports a database package (a file using `r.db`
/// need not import `database/sql` itself).
fn package_uses_databases(ctx: &Ctx<'_>) -> bool {
    ctx.pkg.files.iter().any(|f| {
        f.decls
            .imports
            .list
            .iter()
            .any(|i| api::PACKAGES.contains(&i.path.as_str()))
    })
}

/// Single-key findings are info, and are left out where "not found" cannot be the
/// caller's concern: `_test.go` files (a test checks its writes by reading them back),
/// database migrations, and loops that rewrite the rows they are reading (`for
/// rows.Next() { ... Scan ... Exec }`). `single-key = false` turns them all off.
fn wanted<'a>(ctx: &Ctx<'a>, t: &Targeting, anc: &[Node<'a>]) -> bool {
    match t {
        Targeting::Guarded { .. } => true,
        Targeting::SingleKey { .. } => {
            !ctx.file.is_test
                && !matches!(
                    ctx.settings
                        .option(RowsAffectedUnchecked::META.id, "single-key"),
                    Some(OptionValue::Bool(false))
                )
                && !is_migration(ctx)
                && !in_row_loop(ctx, anc)
        }
    }
}

/// A file of a migrations directory (`migrations/`, `migrate/`) or named like one.
fn is_migration(ctx: &Ctx<'_>) -> bool {
    ctx.file.path.iter().any(|part| {
        let part = part.to_string_lossy().to_ascii_lowercase();
        part.starts_with("migrat")
    })
}

/// Inside a loop (of the same function) over rows being read: `for rows.Next() {`, or
/// a cursor loop `for { ... QueryRow("FETCH ...").Scan(...) ... }`. Each write there
/// targets a row the loop just read.
fn in_row_loop<'a>(ctx: &Ctx<'a>, anc: &[Node<'a>]) -> bool {
    let from = crate::flow::innermost_func(anc).map_or(0, |(i, _)| i);
    anc[from..]
        .iter()
        .filter(|n| n.kind_str() == "for_statement")
        .any(|l| {
            let mut c = l.walk();
            let header: Vec<Node> = l
                .named_children(&mut c)
                .filter(|n| n.kind_str() != "block" && n.kind_str() != "comment")
                .collect();
            match header.as_slice() {
                // `for rows.Next()`
                [cond] => {
                    let cond = syntax::unparen(*cond);
                    cond.kind_str() == "call_expression"
                        && syntax::callee(cond)
                            .is_some_and(|(op, m)| op.is_some() && ctx.text(m) == "Next")
                }
                // `for { ... Scan ... }`
                [] => {
                    let mut scans = false;
                    syntax::walk_same_func(*l, |n| {
                        if n.kind_str() == "call_expression"
                            && syntax::callee(n)
                                .is_some_and(|(op, m)| op.is_some() && ctx.text(m) == "Scan")
                        {
                            scans = true;
                            return Walk::Stop;
                        }
                        Walk::Continue
                    });
                    scans
                }
                _ => false,
            }
        })
}

/// The shape of the check, display-only (the error to return is the author's call):
/// keep the result under a fresh name when it is dropped, then test
/// `RowsAffected()` right after the statement. Only for a write that is a statement of
/// its own in a block (`db.Exec(...)`, `_, err := db.Exec(...)`, `res, err :=
/// db.Exec(...)`), and the lines it would read as, for the help.
fn check_suggestion<'a>(
    ctx: &Ctx<'a>,
    call: Node<'a>,
    anc: &[Node<'a>],
    fate: Fate<'a>,
    guarded: bool,
) -> Option<(Fix, String)> {
    let i = anc
        .iter()
        .rposition(|n| matches!(n.kind_str(), "block" | "statement_list"))?;
    let stmt = *anc.get(i + 1)?;
    let (_, func) = crate::flow::outermost_func(anc)?;
    let mut edits = Vec::new();
    let res = match (fate, stmt.kind_str()) {
        (Fate::Unchecked(var), "short_var_declaration" | "assignment_statement")
            if var.start_byte() >= stmt.start_byte() && var.end_byte() <= stmt.end_byte() =>
        {
            ctx.text(var).to_string()
        }
        (Fate::Discarded(Dropped::Blank), "short_var_declaration" | "assignment_statement") => {
            let left = syntax::expr_list(stmt.field(F.left)?);
            let right = syntax::expr_list(stmt.field(F.right)?);
            let blank = *left.first()?;
            if left.len() != 2 || right.len() != 1 || syntax::unparen(right[0]) != call {
                return None;
            }
            let res = crate::edits::fresh_name(ctx, func, "res")?;
            edits.push(Edit::replace(
                blank.start_byte()..blank.end_byte(),
                res.clone(),
            ));
            if stmt.kind_str() == "assignment_statement" {
                // `_, err = ...` declares nothing: `res, err := ...` declares `res`.
                let mut c = stmt.walk();
                let op = stmt.children(&mut c).find(|n| n.kind_str() == "=")?;
                edits.push(Edit::replace(op.start_byte()..op.end_byte(), ":="));
            }
            res
        }
        (Fate::Discarded(Dropped::Statement), "expression_statement")
            if stmt.named_child(0) == Some(call) =>
        {
            let res = crate::edits::fresh_name(ctx, func, "res")?;
            edits.push(Edit::insert(call.start_byte(), format!("{res}, err := ")));
            res
        }
        _ => return None,
    };
    let mut lines = Vec::new();
    if stmt.kind_str() == "expression_statement" {
        lines.extend(["if err != nil {", "\treturn err", "}"].map(String::from));
    }
    let zero = if guarded {
        "\treturn ErrConflict // the guard failed: a concurrent writer won"
    } else {
        "\treturn ErrNotFound"
    };
    lines.extend(
        [
            &format!("if n, err := {res}.RowsAffected(); err != nil {{"),
            "\treturn err",
            "} else if n == 0 {",
            zero,
            "}",
        ]
        .map(|l| l.to_string()),
    );
    // After the write's own `if err != nil { ... }`: `res` is nil when it failed.
    let mut after = stmt;
    let mut next = stmt.next_named_sibling();
    while let Some(n) = next.filter(|n| n.kind_str() == "comment") {
        next = n.next_named_sibling();
    }
    if let Some(n) = next
        && n.kind_str() == "if_statement"
        && n.field(F.initializer).is_none()
        && n.field(F.alternative).is_none()
        && n.field(F.condition)
            .is_some_and(|c| ctx.text(c) == "err != nil")
    {
        after = n;
    }
    // The preview starts at the write: an empty edit there marks it.
    edits.push(Edit::insert(stmt.start_byte(), ""));
    edits.push(crate::edits::insert_lines_after(ctx.file, after, &lines)?);
    let fix = crate::edits::suggestion(format!("Check `{res}.RowsAffected()`"), edits);
    let shown = crate::edits::preview(ctx.src(), &fix)?;
    Some((fix, crate::edits::help_block(&shown)))
}

#[allow(clippy::too_many_arguments)]
fn report(
    ctx: &Ctx<'_>,
    anchor: Node<'_>,
    what: &str,
    verb: Verb,
    targeting: &Targeting,
    rows: &str,
    api: Api,
    shape: Option<(Fix, String)>,
) {
    let (fix, example) = match shape {
        Some((f, e)) => (Some(f), format!(", for example:\n{e}")),
        None => (None, String::new()),
    };
    let past = match verb {
        Verb::Update => "updated",
        Verb::Delete => "deleted",
    };
    let verb = verb.as_str();
    let rows = shorten(rows, 100);
    let (keep, zero) = match api {
        Api::Sql => ("`n, err := res.RowsAffected()`", "`n == 0`"),
        Api::Gorm => (
            "`res := db.…`, then read `res.Error` and `res.RowsAffected`",
            "`res.RowsAffected == 0`",
        ),
    };
    let d = match targeting {
        Targeting::Guarded { guards, .. } => {
            let guard = shorten(&guards.join(" AND "), 60);
            ctx.report_node(
                anchor,
                format!(
                    "{what}: this guarded {verb} ({rows}) changes no row when `{guard}` fails, \
                     yet the error is nil and the caller carries on as if it had succeeded"
                ),
            )
            .label(format!("guarded {verb}: affected rows never checked"))
            .help(format!(
                "keep the result and check it ({keep}); when {zero}, return a conflict error: \
                 a concurrent writer won, or `{guard}` no longer holds{example}"
            ))
        }
        Targeting::SingleKey { .. } => ctx
            .report_node(
                anchor,
                format!(
                    "{what}: when no row matches ({rows}), nothing is {past}, \
                     the error is nil, and the missing row passes as success"
                ),
            )
            .severity(Severity::Info)
            .label(format!("{verb} of one row: affected rows never checked"))
            .help(format!(
                "keep the result and check it ({keep}); when {zero}, return a not-found error \
                 (such as `sql.ErrNoRows` or your own `ErrNotFound`){example}"
            )),
    };
    if let Some(fix) = fix {
        d.fix(fix);
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

// ---------------------------------------------------------------------------------
// Result tracking

/// Where the result of `call` (with ancestors `anc`) goes. `pair`: the call returns
/// `(result, error)`.
fn result_fate<'a>(
    ctx: &Ctx<'a>,
    call: Node<'a>,
    anc: &[Node<'a>],
    pair: bool,
    api: Api,
) -> Fate<'a> {
    match sema::value_use(call, anc) {
        ValueUse::Discarded => Fate::Discarded(Dropped::Statement),
        ValueUse::Selector { name, called } => match (ctx.text(name), api) {
            ("RowsAffected", _) => Fate::Checked,
            ("Error", Api::Gorm) if !called => Fate::ErrorOnly,
            (_, Api::Sql) => Fate::Discarded(Dropped::OtherMethod),
            (_, Api::Gorm) => Fate::Escaped,
        },
        ValueUse::Assigned { stmt, target } => {
            let target = target.or_else(|| first_of_pair(stmt, call, pair));
            let Some(target) = target.map(syntax::unparen) else {
                return Fate::Escaped;
            };
            if target.kind_str() != "identifier" {
                return Fate::Escaped; // a field, a map or slice element
            }
            if ctx.text(target) == "_" {
                return Fate::Discarded(Dropped::Blank);
            }
            local_fate(ctx, target, stmt, anc, api)
        }
        ValueUse::Arg { call: outer, index } => {
            let outer_anc = match anc.iter().rposition(|n| *n == outer) {
                Some(i) => &anc[..i],
                None => anc,
            };
            passed_to(ctx, outer, outer_anc, index, api)
        }
        ValueUse::Returned | ValueUse::Sent | ValueUse::Element { .. } => Fate::Escaped,
        ValueUse::Other => {
            let deferred = anc
                .iter()
                .rev()
                .find(|n| n.kind_str() != "parenthesized_expression")
                .is_some_and(|n| matches!(n.kind_str(), "defer_statement" | "go_statement"));
            if deferred {
                Fate::Discarded(Dropped::Statement)
            } else {
                Fate::Escaped
            }
        }
    }
}

/// `res, err := call` / `res, err = call`: `res`.
fn first_of_pair<'a>(stmt: Node<'a>, call: Node<'a>, pair: bool) -> Option<Node<'a>> {
    if !pair {
        return None;
    }
    let (lefts, rights) = syntax::assignment_sides(stmt)?;
    (lefts.len() == 2 && rights.len() == 1 && syntax::unparen(rights[0]) == call).then(|| lefts[0])
}

/// The result is held in the local `target`, assigned by `stmt`: follow its uses.
fn local_fate<'a>(
    ctx: &Ctx<'a>,
    target: Node<'a>,
    stmt: Node<'a>,
    anc: &[Node<'a>],
    api: Api,
) -> Fate<'a> {
    let Some(stmt_pos) = anc.iter().rposition(|n| *n == stmt) else {
        return Fate::Escaped;
    };
    let stmt_anc = &anc[..stmt_pos];
    // Which declaration(s) the name stands for: `:=` declares it here (or reuses one
    // of the same scope); `=` assigns an existing variable.
    let mut decls: Vec<Node<'a>> = Vec::with_capacity(2);
    let declaring = matches!(stmt.kind_str(), "short_var_declaration" | "var_spec");
    if declaring {
        decls.push(target);
    }
    match ctx.resolve(target, stmt_anc) {
        Some(LocalDecl::Local { name, .. }) => decls.push(name),
        Some(_) if !declaring => return Fate::Escaped, // a parameter or named result
        None if !declaring => return Fate::Escaped,    // a package variable
        _ => {}
    }
    let Some((fi, func)) = crate::flow::outermost_func(anc) else {
        return Fate::Escaped;
    };
    let var = ctx.text(target);
    let mut verdict = Fate::Unchecked(target);
    // Each use costs a scope lookup: past this many, give up (as if it escaped) rather
    // than go quadratic on a generated function.
    let mut budget = MAX_USES;
    ctx.walk(func, &anc[..fi], |kind, n, use_anc| {
        if kind != "identifier" || n == target || ctx.text(n) != var {
            return Walk::Continue;
        }
        if is_written(n, use_anc) {
            return Walk::Continue;
        }
        if budget == 0 {
            verdict = Fate::Escaped;
            return Walk::Stop;
        }
        budget -= 1;
        match ctx.resolve(n, use_anc) {
            Some(d) if decls.contains(&d.name_node()) => {}
            _ => return Walk::Continue,
        }
        match use_fate(ctx, n, use_anc, api) {
            None => Walk::Continue,
            Some(f) => {
                verdict = f;
                Walk::Stop
            }
        }
    });
    verdict
}

/// Uses of one result variable looked at before giving up.
const MAX_USES: u32 = 64;

/// `x` on the left of `=` / `:=`.
fn is_written(id: Node<'_>, anc: &[Node<'_>]) -> bool {
    let Some(&parent) = anc.last() else {
        return false;
    };
    match parent.kind_str() {
        "expression_list" => {
            anc.len() >= 2 && {
                let stmt = anc[anc.len() - 2];
                matches!(
                    stmt.kind_str(),
                    "assignment_statement" | "short_var_declaration"
                ) && stmt.field(F.left) == Some(parent)
            }
        }
        "assignment_statement" | "short_var_declaration" => parent.field(F.left) == Some(id),
        _ => false,
    }
}

/// What one use of the result variable does with it; `None` when it neither checks
/// nor lets go of it.
fn use_fate<'a>(ctx: &Ctx<'a>, id: Node<'a>, anc: &[Node<'a>], api: Api) -> Option<Fate<'a>> {
    match sema::value_use(id, anc) {
        ValueUse::Selector { name, .. } => match (ctx.text(name), api) {
            ("RowsAffected", _) => Some(Fate::Checked),
            (_, Api::Sql) | ("Error", Api::Gorm) => None,
            // Any other use of a `*gorm.DB` (more chaining, `Commit`) hands it on.
            (_, Api::Gorm) => Some(Fate::Escaped),
        },
        ValueUse::Returned | ValueUse::Sent | ValueUse::Element { .. } => Some(Fate::Escaped),
        ValueUse::Arg { call, index } => {
            let call_anc = match anc.iter().rposition(|n| *n == call) {
                Some(i) => &anc[..i],
                None => anc,
            };
            match passed_to(ctx, call, call_anc, index, api) {
                Fate::Checked => Some(Fate::Checked),
                Fate::Escaped => Some(Fate::Escaped),
                _ => None,
            }
        }
        ValueUse::Assigned { target, .. } => match target.map(syntax::unparen) {
            Some(t) if t.kind_str() == "identifier" && ctx.text(t) == "_" => None,
            _ => Some(Fate::Escaped),
        },
        ValueUse::Discarded => None,
        ValueUse::Other => {
            let compared = anc
                .last()
                .is_some_and(|p| p.kind_str() == "binary_expression");
            (!compared).then_some(Fate::Escaped)
        }
    }
}

/// The result is argument `index` of `call`: checked when the callee is a
/// same-package function that calls `RowsAffected()` on that parameter; left alone
/// when it neither checks nor lets it escape; escaped otherwise. (GORM's
/// `RowsAffected` is a field, which the index does not record: a `*gorm.DB` handed to
/// any function is left to it.)
fn passed_to<'a>(
    ctx: &Ctx<'a>,
    call: Node<'a>,
    call_anc: &[Node<'a>],
    index: usize,
    api: Api,
) -> Fate<'a> {
    let Some((operand, name)) = syntax::callee(call) else {
        return Fate::Escaped;
    };
    if api == Api::Gorm {
        return Fate::Escaped;
    }
    let fname = ctx.text(name);
    let mut chain = call_anc.to_vec();
    chain.push(call);
    let checks = ctx.pkg.param_facts(MethodFact::RowsAffected);
    let fact = |g: usize| -> Fate<'a> {
        let f = &ctx.pkg.funcs[g];
        let j = match f.params.last() {
            Some(p) if p.variadic && index + 1 >= f.params.len() => f.params.len() - 1,
            _ => index,
        };
        if checks.has(g, j) {
            Fate::Checked
        } else if j >= 64 || ctx.pkg.param_escapes().has(g, j) {
            Fate::Escaped
        } else {
            Fate::Discarded(Dropped::OtherMethod)
        }
    };
    match operand {
        None => {
            if syntax::is_builtin_func(fname) || ctx.resolve(name, &chain).is_some() {
                return Fate::Escaped; // `append`, or a function value
            }
            match ctx.pkg.func_named(fname) {
                Some(g) => fact(g),
                None => Fate::Escaped,
            }
        }
        Some(op) => {
            if op.kind_str() == "identifier"
                && ctx.imports().path_of(ctx.text(op)).is_some()
                && ctx.resolve(op, &chain).is_none()
            {
                return Fate::Escaped; // another package's function
            }
            if let Some(ty) = crate::flow::local_type_name(ctx, op, &chain) {
                return match ctx.pkg.method_of(&ty, fname) {
                    Some(m) => fact(m),
                    None => Fate::Escaped,
                };
            }
            if ctx.pkg.methods_named(fname).any(|g| checks.has(g, index)) {
                Fate::Checked
            } else {
                Fate::Escaped
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// GORM

/// A GORM chain ending in a write: `db.Model(&u).Where("id = ?", id).Update(...)`.
fn check_gorm<'a>(ctx: &Ctx<'a>, call: Node<'a>, anc: &[Node<'a>], name_node: Node<'a>) {
    let mut chain = anc.to_vec();
    chain.push(call);
    let Some(target) = gorm_target(ctx, call, &chain) else {
        return;
    };
    let Some(targeting) = target.cond.targeting() else {
        return;
    };
    if !wanted(ctx, &targeting, anc) {
        return;
    }
    let method = ctx.text(name_node);
    let verb = if method == "Delete" {
        Verb::Delete
    } else {
        Verb::Update
    };
    let what = match result_fate(ctx, call, anc, false, Api::Gorm) {
        Fate::Checked | Fate::Escaped => return,
        Fate::ErrorOnly => format!("only `.Error` is read from this GORM `{method}`"),
        Fate::Discarded(_) => format!("the result of this GORM `{method}` is dropped"),
        Fate::Unchecked(var) => format!("`{}.RowsAffected` is never read", ctx.text(var)),
    };
    report(
        ctx,
        name_node,
        &what,
        verb,
        &targeting,
        &target.describe(),
        Api::Gorm,
        None,
    );
}

/// What a GORM chain targets.
#[derive(Default)]
struct GormTarget {
    cond: Condition,
    /// Normalised `Where` conditions, for the message.
    wheres: Vec<String>,
    /// The entity (`Model(&u)`, `Delete(&u)`) or inline primary key, for the message.
    entity: Option<String>,
}

impl GormTarget {
    fn describe(&self) -> String {
        let wheres = shorten(&self.wheres.join(" AND "), 90);
        match (&self.entity, wheres.is_empty()) {
            (Some(e), true) => format!("the row of {e}"),
            (Some(e), false) => format!("`WHERE {wheres}` on {e}"),
            (None, _) => format!("`WHERE {wheres}`"),
        }
    }
}

/// Walk the chain down from the write: `Where` conditions, the `Model` / `Delete`
/// entity, inline `Delete` conditions. `None` when the rows cannot be known (`Or`, a
/// condition built at run time).
fn gorm_target<'a>(ctx: &Ctx<'a>, write: Node<'a>, chain: &[Node<'a>]) -> Option<GormTarget> {
    let mut t = GormTarget::default();
    let mut cur = write;
    for _ in 0..64 {
        let (op, name) = syntax::callee(cur)?;
        let args = syntax::call_args(cur);
        match ctx.text(name) {
            "Where" => {
                let (cond, text) = gorm_condition(ctx, &args, chain)?;
                t.cond.and(cond);
                t.wheres.insert(0, text);
            }
            "Or" => return None,
            "Not" => {
                t.cond.guards.push("NOT (…)".to_string());
                t.wheres.insert(0, "NOT (…)".to_string());
            }
            "Model" => {
                if let Some(e) = args.first().and_then(|a| entity(ctx, *a, chain)) {
                    t.cond.keys.push(format!("primary key of {e}"));
                    t.entity = Some(e);
                }
            }
            "Delete" if cur == write => {
                if let Some(e) = args.first().and_then(|a| entity(ctx, *a, chain)) {
                    t.cond.keys.push(format!("primary key of {e}"));
                    t.entity = Some(e);
                }
                // Inline conditions: `Delete(&User{}, "id = ?", id)` or a primary key.
                if let Some(&c) = args.get(1) {
                    if is_stringish(c) {
                        let (cond, text) = gorm_condition(ctx, &args[1..], chain)?;
                        t.cond.and(cond);
                        t.wheres.insert(0, text);
                    } else if is_primary_key_value(ctx, c) {
                        t.cond.keys.push("primary key".to_string());
                        t.entity = Some(format!("primary key `{}`", ctx.text(c)));
                    } else {
                        return None; // a slice of keys, a struct condition...
                    }
                }
            }
            _ => {}
        }
        match op.map(syntax::unparen) {
            Some(o) if o.kind_str() == "call_expression" => cur = o,
            _ => return Some(t),
        }
    }
    None
}

/// The condition of `Where(cond, args...)`: a SQL string (`"id = ? AND version = ?"`).
/// `None` when it is not one or cannot be read (a struct or map condition, a string
/// built at run time, an `OR`).
fn gorm_condition<'a>(
    ctx: &Ctx<'a>,
    args: &[Node<'a>],
    chain: &[Node<'a>],
) -> Option<(Condition, String)> {
    let pieces = sql_text(ctx, *args.first()?, chain);
    if pieces.contains(&Piece::Hole) {
        return None;
    }
    let cond = sqltext::classify_condition(&pieces)?;
    Some((cond, sqltext::normalize(&pieces)))
}

fn is_stringish(n: Node<'_>) -> bool {
    matches!(
        syntax::unparen(n).kind_str(),
        "interpreted_string_literal" | "raw_string_literal" | "binary_expression"
    )
}

/// `Delete(&User{}, 10)`, `Delete(&User{}, id)`: a single primary key.
fn is_primary_key_value(ctx: &Ctx<'_>, n: Node<'_>) -> bool {
    let n = syntax::unparen(n);
    match n.kind_str() {
        "int_literal" => true,
        "identifier" | "selector_expression" => {
            let last = match n.kind_str() {
                "selector_expression" => syntax::selector_field(n, ctx.src()).unwrap_or(""),
                _ => ctx.text(n),
            };
            sqltext::is_id_column(last)
        }
        _ => false,
    }
}

/// A specific entity given to `Model` / `Delete`: a variable (`&user`, `u`, `s.user`)
/// or a composite literal that sets a field (`&User{ID: id}`). Slices, maps and empty
/// literals (`&User{}`: the table, not a row) are not.
fn entity<'a>(ctx: &Ctx<'a>, arg: Node<'a>, chain: &[Node<'a>]) -> Option<String> {
    let mut a = syntax::unparen(arg);
    if a.kind_str() == "unary_expression" && a.child(0).is_some_and(|c| c.kind_str() == "&") {
        a = syntax::unparen(a.field(F.operand)?);
    }
    let text = || format!("`{}`", shorten(ctx.text(arg), 40));
    match a.kind_str() {
        "composite_literal" => {
            let ty = a.field(F.ty)?;
            if !matches!(ty.kind_str(), "type_identifier" | "qualified_type") {
                return None;
            }
            literal_sets_fields(a).then(text)
        }
        "identifier" => {
            match ctx.resolve(a, chain) {
                Some(decl) => {
                    if let Some(ty) = decl.type_node()
                        && !is_single_value_type(ty)
                    {
                        return None;
                    }
                    if let LocalDecl::Local { value: Some(v), .. } = decl
                        && !is_single_value_expr(ctx, v)
                    {
                        return None;
                    }
                    if let LocalDecl::Local {
                        stmt, value: None, ..
                    } = decl
                        && stmt.kind_str() == "range_clause"
                        && ranges_over_blank_models(ctx, stmt, chain)
                    {
                        return None;
                    }
                }
                None => {
                    let ty = ctx.pkg.vars.get(ctx.text(a)).and_then(|v| v.ty.as_ref());
                    if ty.is_some_and(|t| t.kind != crate::index::TypeKind::Named) {
                        return None;
                    }
                }
            }
            Some(text())
        }
        "selector_expression" | "index_expression" => Some(text()),
        _ => None,
    }
}

/// A composite literal (possibly behind `&`) with at least one element.
fn literal_sets_fields(n: Node<'_>) -> bool {
    let mut a = syntax::unparen(n);
    if a.kind_str() == "unary_expression" && a.child(0).is_some_and(|c| c.kind_str() == "&") {
        match a.field(F.operand) {
            Some(o) => a = syntax::unparen(o),
            None => return false,
        }
    }
    if a.kind_str() != "composite_literal" {
        return false;
    }
    let Some(body) = a.field(F.body) else {
        return false;
    };
    let mut c = body.walk();
    body.named_children(&mut c)
        .any(|e| matches!(e.kind_str(), "keyed_element" | "literal_element"))
}

/// `for _, m := range []any{new(User), &Group{}}`: the loop variable designates a
/// table (a zero model), not a row.
fn ranges_over_blank_models<'a>(ctx: &Ctx<'a>, clause: Node<'a>, chain: &[Node<'a>]) -> bool {
    let Some(mut list) = clause.field(F.right).map(syntax::unparen) else {
        return false;
    };
    if list.kind_str() == "identifier" {
        let Some((fi, func)) = crate::flow::outermost_func(chain) else {
            return false;
        };
        let list_anc = ctx.ancestors_within(&chain[..fi], func, list);
        match ctx.resolve(list, &list_anc) {
            Some(LocalDecl::Local { value: Some(v), .. }) => list = syntax::unparen(v),
            _ => return false,
        }
    }
    if list.kind_str() != "composite_literal" {
        return false;
    }
    let Some(body) = list.field(F.body) else {
        return false;
    };
    let mut c = body.walk();
    let elems: Vec<Node> = body
        .named_children(&mut c)
        .filter(|e| e.kind_str() == "literal_element")
        .filter_map(|e| e.named_child(0))
        .collect();
    !elems.is_empty()
        && elems.iter().all(|e| {
            let e = syntax::unparen(*e);
            match e.kind_str() {
                "call_expression" => {
                    syntax::callee(e).is_some_and(|(op, n)| op.is_none() && ctx.text(n) == "new")
                }
                _ => !literal_sets_fields(e),
            }
        })
}

/// A declared type naming one value: `User`, `*User`, `models.User` (not a slice,
/// array or map of them).
fn is_single_value_type(ty: Node<'_>) -> bool {
    let mut t = ty;
    while t.kind_str() == "pointer_type" {
        match t.named_child(0) {
            Some(inner) => t = inner,
            None => return false,
        }
    }
    matches!(
        t.kind_str(),
        "type_identifier" | "qualified_type" | "generic_type"
    )
}

/// An initialiser that yields one entity (not a slice literal or `make`).
fn is_single_value_expr(ctx: &Ctx<'_>, v: Node<'_>) -> bool {
    let mut v = syntax::unparen(v);
    if v.kind_str() == "unary_expression" && v.child(0).is_some_and(|c| c.kind_str() == "&") {
        match v.field(F.operand) {
            Some(o) => v = syntax::unparen(o),
            None => return false,
        }
    }
    match v.kind_str() {
        "composite_literal" => v.field(F.ty).is_some_and(is_single_value_type),
        // `make([]User, n)`: a slice or map; `new(User)`: a zero value, no key.
        "call_expression" => !syntax::callee(v)
            .is_some_and(|(op, n)| op.is_none() && matches!(ctx.text(n), "make" | "new")),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::settings::OptionValue;
    use crate::engine::{Engine, Settings, Severity};
    use crate::source::SourceFile;

    /// The rule starts from a call of an exec method or a gorm write, in the file
    /// reported: the gate must let every file spelling one through.
    #[test]
    fn the_gate_lets_every_exec_through() {
        let gate = super::RowsAffectedUnchecked::META.gate;
        let execs = super::api::EXEC_METHODS.iter().map(|m| m.method);
        for name in execs.chain(super::api::GORM_WRITES.iter().copied()) {
            assert!(crate::engine::gate::lets_through(gate, name), "{name}");
        }
    }

    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(
            &super::RowsAffectedUnchecked::META,
            &[
                "Exec",
                "ExecContext",
                "MustExec",
                "MustExecContext",
                "NamedExec",
                "NamedExecContext",
                "Update",
                "Updates",
                "UpdateColumn",
                "UpdateColumns",
                "Delete",
            ],
        );
    }

    /// The doc examples: the `go,want` block is flagged, the other is not.
    #[test]
    fn doc_examples() {
        let docs = super::RowsAffectedUnchecked::META.docs();
        let mut blocks = Vec::new();
        let mut cur: Option<(bool, String)> = None;
        for line in docs.lines() {
            match (&mut cur, line.trim_start()) {
                (None, l) if l.starts_with("```go") => {
                    cur = Some((l.contains("want"), String::new()))
                }
                (Some(_), "```") => blocks.push(cur.take().unwrap()),
                (Some((_, text)), _) => {
                    text.push_str(line);
                    text.push('\n');
                }
                _ => {}
            }
        }
        assert_eq!(blocks.len(), 2);
        for (want, body) in blocks {
            let src =
                format!("package p\n\nimport (\n\t\"context\"\n\t\"database/sql\"\n)\n\n{body}");
            let file = SourceFile::from_bytes(std::path::PathBuf::from("doc.go"), src.into_bytes())
                .unwrap();
            let engine = Engine::new(Settings::for_rule(super::RowsAffectedUnchecked::META.id));
            let n: usize = crate::lint_sources(&engine, &[&file], None, |_| true)
                .into_iter()
                .map(|(_, l)| l.diagnostics.len())
                .sum();
            assert_eq!(n > 0, want, "doc example (want = {want}):\n{body}");
        }
    }

    /// Many results in one function, one name reused, deep `+` chains: bounded work.
    #[test]
    fn large_functions_stay_bounded() {
        let mut src =
            String::from("package p\n\nimport \"database/sql\"\n\nfunc f(db *sql.DB) {\n");
        for i in 0..500 {
            src.push_str(&format!(
                "\tres, _ := db.Exec(\"UPDATE t SET a = {i} WHERE id = ?\", {i})\n\t_ = res\n"
            ));
        }
        src.push_str("\tq := \"DELETE FROM t\"");
        for _ in 0..5000 {
            src.push_str(" + \" \"");
        }
        src.push_str(" + \" WHERE id = ?\"\n\tdb.Exec(q, 1)\n}\n");
        let file =
            SourceFile::from_bytes(std::path::PathBuf::from("big.go"), src.into_bytes()).unwrap();
        let engine = Engine::new(Settings::for_rule(super::RowsAffectedUnchecked::META.id));
        let start = std::time::Instant::now();
        let results = crate::lint_sources(&engine, &[&file], None, |_| true);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        assert!(results.iter().all(|(_, l)| l.internal_errors.is_empty()));
    }

    const SRC: &str = r#"package store

import "database/sql"

func rename(db *sql.DB, id int64, name string) error {
	_, err := db.Exec("UPDATE users SET name = ? WHERE id = ?", name, id)
	return err
}

func bump(db *sql.DB, id, version int64) error {
	_, err := db.Exec("UPDATE users SET version = version + 1 WHERE id = ? AND version = ?", id, version)
	return err
}
"#;

    fn lint(settings: Settings) -> Vec<(u32, Severity)> {
        let file = SourceFile::from_bytes(
            std::path::PathBuf::from("store.go"),
            SRC.as_bytes().to_vec(),
        )
        .unwrap();
        let engine = Engine::new(settings);
        crate::lint_sources(&engine, &[&file], None, |_| true)
            .into_iter()
            .flat_map(|(_, l)| l.diagnostics)
            .map(|d| (d.start.line + 1, d.severity))
            .collect()
    }

    #[test]
    fn single_key_findings_are_info_and_can_be_turned_off() {
        let id = super::RowsAffectedUnchecked::META.id;
        assert_eq!(
            lint(Settings::for_rule(id)),
            vec![(6, Severity::Info), (11, Severity::Warning)]
        );
        let mut settings = Settings::for_rule(id);
        settings
            .rule_options
            .entry(id.to_string())
            .or_default()
            .insert("single-key".to_string(), OptionValue::Bool(false));
        assert_eq!(lint(settings), vec![(11, Severity::Warning)]);
    }
}
