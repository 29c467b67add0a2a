use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};
use crate::sema::{LocalDecl, ValueUse};
use crate::syntax::{self, F, NodeExt, Walk};

use super::{http_literal, qualifier, set_later, time_q, timeout_fix};

declare_rule! {
    /// ## What it does
    /// Flags an `http.Client{...}` literal with no `Timeout` field (unless `Timeout` is
    /// assigned later on the same variable, or by the same-package function the literal
    /// is passed to), and calls of `http.Get`, `http.Head`, `http.Post`, `http.PostForm`
    /// and `http.DefaultClient.Do/Get/Head/Post/PostForm`. `_test.go` files are not
    /// checked.
    ///
    /// Not flagged: `Do(req)` — on `http.DefaultClient`, or on a local client literal
    /// without `Timeout` that is only used for such calls — when `req` was built in the
    /// same function by `http.NewRequestWithContext` (or `req.WithContext`, or given
    /// `req.Cancel = ctx.Done()`) with a context other than `context.Background()` /
    /// `context.TODO()`: the caller's context bounds the request. A literal whose
    /// variable is overwritten wholesale (`*c = *configured`) is not reported either.
    ///
    /// ## Why is this bad?
    /// `http.DefaultClient` and a `Client` without `Timeout` wait forever. A server that
    /// accepts the connection and never answers, or stalls in the middle of the body,
    /// hangs the calling goroutine (and whatever waits on it) with its connection.
    ///
    /// ## Example
    /// ```go,want
    /// func fetch(url string) (*http.Response, error) {
    ///     return http.Get(url)
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// var client = &http.Client{Timeout: 30 * time.Second}
    ///
    /// func fetch(url string) (*http.Response, error) {
    ///     return client.Get(url)
    /// }
    /// ```
    ///
    /// ## Fix safety
    /// On a `http.Client{...}` literal, the fix adds `Timeout: 30 * time.Second`, laid
    /// out like the literal: `&http.Client{Transport: t}` becomes
    /// `&http.Client{Transport: t, Timeout: 30 * time.Second}`, a literal with one field
    /// per line gets a new aligned line with a trailing comma. `time` is named as the
    /// file names it (aliased or dot import), and `import "time"` is added when missing.
    ///
    /// The fix is unsafe (`--unsafe-fixes`): `Timeout` bounds the whole exchange,
    /// reading the response body included, so a long download, a streamed response or
    /// a long poll that takes more than 30 seconds now fails with a timeout error. Pick
    /// the bound for what the client fetches.
    ///
    /// Calls of `http.Get`, `http.Post`, ... and of `http.DefaultClient` methods get no
    /// fix: there is no literal to edit.
    ///
    /// No fix is offered where the insertion is not mechanical: a literal with
    /// positional elements or a comment where the field would go, a layout gofmt would
    /// rewrite anyway, or a file where the name `time` is taken (shadowed at the
    /// literal, declared by the package, or `time` only blank-imported).
    pub struct ClientNoTimeout {
        id: "client-no-timeout",
        family: Net,
        severity: Warning,
        summary: "An HTTP request without a timeout or deadline can hang forever",
        kinds: ["composite_literal", "call_expression"],
        gate: ["net/http"],
        fix: Sometimes,
        version_gated: false,
        skip_test_files: true,
    }
}

const PKG_FUNCS: [&str; 4] = ["Get", "Head", "Post", "PostForm"];
const CLIENT_METHODS: [&str; 5] = ["Do", "Get", "Head", "Post", "PostForm"];

impl Rule for ClientNoTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, node: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        if ctx.kind_str(node) == "call_expression" {
            check_call(ctx, node, anc);
            return;
        }
        let Some(h) = http_literal(ctx, node, anc, "Client") else {
            return;
        };
        if h.has("Timeout") || set_later(ctx, node, anc, &["Timeout"]) {
            return;
        }
        if only_bounded_do(ctx, node, anc) {
            return;
        }
        let t = time_q(ctx);
        let d = ctx.report_node(
            h.type_name,
            format!(
                "`{}Client` without `Timeout` waits forever on a server that accepts the connection \
                 but never answers (or stalls mid-body), hanging the calling goroutine",
                h.http
            ),
        )
        .label("no Timeout")
        .help(format!(
            "set `Timeout: 30 * {t}Second` (it bounds the whole exchange, body included), or give \
             every request a context with a deadline"
        ));
        if let Some(fix) = timeout_fix(ctx, &h, anc, "Timeout", 30, false) {
            d.fix(fix);
        }
    }
}

fn check_call<'a>(ctx: &Ctx<'a>, call: Node<'a>, anc: &[Node<'a>]) {
    // How the file spells the packages, for the messages (only once there is one).
    let names = || (qualifier(ctx, "net/http").unwrap_or_default(), time_q(ctx));
    if let Some(name) = ctx.call_to(call, anc, "net/http", &PKG_FUNCS) {
        let (http, t) = names();
        let f = ctx.text(name);
        ctx.report_node(
            name,
            format!(
                "`{http}{f}` uses `http.DefaultClient`, which has no timeout: a server that never \
                 answers hangs this call (and its goroutine) forever"
            ),
        )
        .label("no timeout")
        .help(format!(
            "call `{f}` on a client with a timeout (`&{http}Client{{Timeout: 30 * {t}Second}}`), or \
             build the request with `{http}NewRequestWithContext(ctx, ...)` and a context with a deadline"
        ));
        return;
    }
    let Some((Some(op), name)) = ctx.callee(call) else {
        return;
    };
    let m = ctx.ident_text(name);
    if !CLIENT_METHODS.contains(&m) || !is_default_client(ctx, op, anc, call) {
        return;
    }
    if m == "Do"
        && let Some(req) = syntax::call_args(call).first()
    {
        let mut chain = anc.to_vec();
        chain.push(call);
        if request_bounded(ctx, *req, &chain, 0) {
            return;
        }
    }
    let (http, t) = names();
    ctx.report_node(
        name,
        format!(
            "`{http}DefaultClient` has no timeout: a server that never answers hangs this `{m}` \
             (and its goroutine) forever"
        ),
    )
    .label("no timeout")
    .help(format!(
        "use a client with a timeout (`&{http}Client{{Timeout: 30 * {t}Second}}`), or build the \
         request with `{http}NewRequestWithContext(ctx, ...)` and a context with a deadline"
    ));
}

/// `http.DefaultClient` (or `DefaultClient` through a dot import).
fn is_default_client<'a>(ctx: &Ctx<'a>, op: Node<'a>, anc: &[Node<'a>], call: Node<'a>) -> bool {
    let op = syntax::unparen(op);
    let mut chain = anc.to_vec();
    chain.push(call);
    match op.kind_str() {
        "selector_expression" => {
            let (Some(pkg), Some(field)) = (op.field(F.operand), op.field(F.field)) else {
                return false;
            };
            ctx.text(field) == "DefaultClient" && ctx.ident_is_package(pkg, &chain, "net/http")
        }
        "identifier" => {
            ctx.text(op) == "DefaultClient"
                && ctx.imports().is_dot_imported("net/http")
                && ctx.resolve(op, &chain).is_none()
                && !ctx.pkg.vars.contains_key("DefaultClient")
        }
        _ => false,
    }
}

/// Whether the request `expr` carries a caller's context: built right there or in
/// this function by `http.NewRequestWithContext(ctx, ...)` / `req.WithContext(ctx)`
/// with a context that is not `context.Background()` / `context.TODO()`.
fn request_bounded<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>], depth: u32) -> bool {
    if depth > 4 {
        return false;
    }
    let expr = syntax::unparen(expr);
    match expr.kind_str() {
        "call_expression" => {
            let Some((op, name)) = syntax::callee(expr) else {
                return false;
            };
            let first = syntax::call_args(expr).first().copied();
            let mut chain = anc.to_vec();
            chain.push(expr);
            if ctx
                .call_to(expr, anc, "net/http", &["NewRequestWithContext"])
                .is_some()
            {
                return first.is_some_and(|c| ctx_bounded(ctx, c, &chain, depth + 1));
            }
            let method = ctx.text(name);
            op.is_some_and(|o| {
                !(o.kind_str() == "identifier" && ctx.imports().path_of(ctx.text(o)).is_some())
            }) && matches!(method, "WithContext" | "Clone")
                && first.is_some_and(|c| ctx_bounded(ctx, c, &chain, depth + 1))
        }
        "identifier" => {
            let Some(decl) = ctx.resolve(expr, anc) else {
                return false;
            };
            let LocalDecl::Local { name: decl_id, .. } = decl else {
                return false;
            };
            let Some((fi, func)) = crate::flow::outermost_func(anc) else {
                return false;
            };
            // Every value assigned to the variable in this function; one carrying a
            // context is enough (`req = req.WithContext(ctx)`).
            let var = ctx.text(expr);
            let mut bounded = false;
            let base = &anc[..fi];
            for value in assigned_values(ctx, func, base, var, decl_id) {
                let value_anc = ctx.ancestors_within(base, func, value);
                if request_bounded(ctx, value, &value_anc, depth + 1) {
                    bounded = true;
                    break;
                }
            }
            bounded || cancel_set(ctx, func, base, var, decl_id)
        }
        _ => false,
    }
}

/// The values assigned to local `var` (declared at `decl`) in `func`, declaration
/// included (the single call of `req, err := ...` counts as the value of `req`).
fn assigned_values<'a>(
    ctx: &Ctx<'a>,
    func: Node<'a>,
    base: &[Node<'a>],
    var: &str,
    decl: Node<'a>,
) -> Vec<Node<'a>> {
    let mut out = Vec::new();
    ctx.walk(func, base, |kind, n, anc| {
        if !matches!(
            kind,
            "short_var_declaration" | "assignment_statement" | "var_spec"
        ) {
            return Walk::Continue;
        }
        let (left, right) = if kind == "var_spec" {
            let names: Vec<Node> = syntax::name_children(n).collect();
            (
                names,
                n.field(F.value).map(syntax::expr_list).unwrap_or_default(),
            )
        } else {
            (
                n.field(F.left).map(syntax::expr_list).unwrap_or_default(),
                n.field(F.right).map(syntax::expr_list).unwrap_or_default(),
            )
        };
        for (i, l) in left.iter().enumerate() {
            if l.kind_str() != "identifier" || ctx.text(*l) != var {
                continue;
            }
            let same = *l == decl || {
                let mut chain = anc.to_vec();
                chain.push(n);
                ctx.resolve(*l, &chain)
                    .is_some_and(|d| d.name_node() == decl)
            };
            if !same {
                continue;
            }
            let value = if right.len() == left.len() {
                right.get(i).copied()
            } else if right.len() == 1 && i == 0 {
                right.first().copied()
            } else {
                None
            };
            out.extend(value);
        }
        Walk::Continue
    });
    out
}

/// `req.Cancel = ctx.Done()`: the request is cancelled with the caller's context
/// (the older spelling of `WithContext`).
fn cancel_set<'a>(
    ctx: &Ctx<'a>,
    func: Node<'a>,
    base: &[Node<'a>],
    var: &str,
    decl: Node<'a>,
) -> bool {
    let mut found = false;
    ctx.walk(func, base, |kind, n, anc| {
        if kind != "assignment_statement" {
            return Walk::Continue;
        }
        for l in n.field(F.left).map(syntax::expr_list).unwrap_or_default() {
            let l = syntax::unparen(l);
            if syntax::selector_field(l, ctx.src()) != Some("Cancel") {
                continue;
            }
            let Some(op) = l.field(F.operand).map(syntax::unparen) else {
                continue;
            };
            if op.kind_str() != "identifier" || ctx.text(op) != var {
                continue;
            }
            let mut chain = anc.to_vec();
            chain.push(n);
            if ctx
                .resolve(op, &chain)
                .is_some_and(|d| d.name_node() == decl)
            {
                found = true;
                return Walk::Stop;
            }
        }
        Walk::Continue
    });
    found
}

/// Whether a context expression is something other than `context.Background()` /
/// `context.TODO()` (also through `context.WithValue` / `WithoutCancel` and local
/// variables holding them).
fn ctx_bounded<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>], depth: u32) -> bool {
    if depth > 6 {
        return true;
    }
    let expr = syntax::unparen(expr);
    match expr.kind_str() {
        "call_expression" => {
            if ctx
                .call_to(expr, anc, "context", &["Background", "TODO"])
                .is_some()
            {
                return false;
            }
            if ctx
                .call_to(expr, anc, "context", &["WithValue", "WithoutCancel"])
                .is_some()
            {
                let mut chain = anc.to_vec();
                chain.push(expr);
                return syntax::call_args(expr)
                    .first()
                    .is_none_or(|p| ctx_bounded(ctx, *p, &chain, depth + 1));
            }
            true
        }
        "identifier" => match ctx.resolve(expr, anc) {
            Some(LocalDecl::Local { value: Some(v), .. }) => {
                let Some((fi, func)) = crate::flow::outermost_func(anc) else {
                    return true;
                };
                let value_anc = ctx.ancestors_within(&anc[..fi], func, v);
                ctx_bounded(ctx, v, &value_anc, depth + 1)
            }
            _ => true,
        },
        _ => true,
    }
}

/// A client literal without `Timeout` bound to a local that is only used for
/// `Do(req)` with context-carrying requests (and not handed anywhere else).
fn only_bounded_do<'a>(ctx: &Ctx<'a>, lit: Node<'a>, anc: &[Node<'a>]) -> bool {
    let mut dos = 0;
    let mut ok = true;
    let bound = super::for_each_use_of_bound_local(ctx, lit, anc, |n, a| {
        match crate::sema::value_use(n, a) {
            ValueUse::Selector { name, called: true } if ctx.text(name) == "Do" => {
                // selector <- call_expression
                let call = a.iter().rev().find(|x| x.kind_str() == "call_expression");
                let bounded = call.is_some_and(|call| {
                    let call_anc = super::ancestors_of(a, *call);
                    let mut chain = call_anc.to_vec();
                    chain.push(*call);
                    syntax::call_args(*call)
                        .first()
                        .is_some_and(|r| request_bounded(ctx, *r, &chain, 0))
                });
                if bounded {
                    dos += 1;
                } else {
                    ok = false;
                }
            }
            ValueUse::Selector { called: false, .. } | ValueUse::Discarded => {}
            _ => ok = false,
        }
        if ok { Walk::Continue } else { Walk::Stop }
    });
    bound && ok && dos > 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(
            &super::ClientNoTimeout::META,
            &["Client", "Get", "Head", "Post", "PostForm", "Do"],
        );
    }
}
