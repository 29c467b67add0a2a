//! The net family: reads without deadlines and HTTP clients, transports and servers
//! without timeouts.
//!
//! The connection rules read the package index ([`crate::index::net`]): which values
//! are connections, their reads and deadlines were recorded by the shared facts walk,
//! so they need no walk of their own. The `net/http` rules look at composite literals
//! and package-level calls during the dispatch walk.

mod client_no_timeout;
mod conn_read_no_deadline;
mod deadline_not_refreshed;
mod server_no_timeouts;
mod transport_no_idle_timeout;

pub use client_no_timeout::ClientNoTimeout;
pub use conn_read_no_deadline::ConnReadNoDeadline;
pub use deadline_not_refreshed::DeadlineNotRefreshed;
pub use server_no_timeouts::ServerNoTimeouts;
pub use transport_no_idle_timeout::TransportNoIdleTimeout;

use tree_sitter::Node;

use crate::engine::{Ctx, Fix, Related};
use crate::index::net::Pos;
use crate::index::{Root, Target};
use crate::sema::{ImportName, LocalDecl, ValueUse};
use crate::syntax::{self, F, NodeExt};

/// A related location anywhere in the package (`file` indexes `ctx.pkg.files`).
pub(crate) fn related_at(ctx: &Ctx<'_>, file: usize, pos: &Pos, msg: impl Into<String>) -> Related {
    Related {
        path: (file != ctx.file_idx)
            .then(|| ctx.pkg.files.get(file).map(|f| f.path.clone()))
            .flatten(),
        range: pos.range.clone(),
        start: pos.start,
        end: pos.end,
        message: msg.into(),
    }
}

/// How this file spells package `path`: `Some("time.")`, `Some("")` for a dot
/// import, `None` when it is not imported (or only blank-imported).
pub(crate) fn qualifier(ctx: &Ctx<'_>, path: &str) -> Option<String> {
    ctx.imports()
        .list
        .iter()
        .filter(|i| i.path == path)
        .find_map(|i| match &i.name {
            ImportName::Default(n) | ImportName::Alias(n) => Some(format!("{n}.")),
            ImportName::Dot => Some(String::new()),
            ImportName::Blank => None,
        })
}

/// `time.` as this file spells it, or `time.` when the file does not import it yet
/// (the help text then names the package a fix would import).
pub(crate) fn time_q(ctx: &Ctx<'_>) -> String {
    qualifier(ctx, "time").unwrap_or_else(|| "time.".to_string())
}

/// A `net/http` composite literal (`http.Server{...}` or `&http.Server{...}`), with
/// what the timeout rules (and a future autofix) need at hand.
#[allow(dead_code)] // `keys` values, `time` and `addr_of` are kept for the autofix issue.
pub(crate) struct HttpLiteral<'a> {
    /// The `composite_literal` node.
    pub literal: Node<'a>,
    /// The type's name token (`Server`): the diagnostic anchor.
    pub type_name: Node<'a>,
    /// The `literal_value` (`{...}`): where a fix inserts a field.
    pub body: Node<'a>,
    /// `http.` as this file spells it (`""` for a dot import).
    pub http: String,
    /// Keyed fields as written, with their value nodes.
    pub keys: Vec<(&'a str, Node<'a>)>,
    /// Written as `&http.T{...}`.
    pub addr_of: bool,
    /// How this file spells `time` (`None`: not imported).
    pub time: Option<String>,
}

impl<'a> HttpLiteral<'a> {
    pub fn has(&self, field: &str) -> bool {
        self.keys.iter().any(|(k, _)| *k == field)
    }

    /// The value written for `field`, as source text.
    pub fn value_text(&self, ctx: &Ctx<'a>, field: &str) -> Option<&'a str> {
        self.keys
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| ctx.text(*v).trim())
    }
}

/// If `lit` is a composite literal of `net/http`'s type `name`.
pub(crate) fn http_literal<'a>(
    ctx: &Ctx<'a>,
    lit: Node<'a>,
    anc: &[Node<'a>],
    name: &str,
) -> Option<HttpLiteral<'a>> {
    // Every struct literal of every file comes here: most files never import the
    // package, and asking them nothing spares reading a cold tree.
    if !ctx.imports().has_path("net/http") {
        return None;
    }
    let ty = lit.field(F.ty)?;
    let (type_name, http) = match ty.kind_str() {
        "qualified_type" => {
            let n = ty.field(F.name)?;
            if ctx.text(n) != name {
                return None;
            }
            let pkg = ty.field(F.package)?;
            let pkg_text = ctx.text(pkg);
            if ctx.imports().path_of(pkg_text) != Some("net/http") {
                return None;
            }
            (n, format!("{pkg_text}."))
        }
        "type_identifier" => {
            if ctx.text(ty) != name
                || !ctx.imports().is_dot_imported("net/http")
                || ctx.pkg.types.iter().any(|t| t == name)
            {
                return None;
            }
            (ty, String::new())
        }
        _ => return None,
    };
    let body = lit.field(F.body)?;
    let mut keys = Vec::new();
    let mut c = body.walk();
    for el in body.named_children(&mut c) {
        if el.kind_str() != "keyed_element" {
            continue;
        }
        if let (Some(k), Some(v)) = (el.field(F.key), el.field(F.value)) {
            keys.push((ctx.text(k).trim(), v));
        }
    }
    let addr_of = anc.last().is_some_and(|p| {
        p.kind_str() == "unary_expression" && p.child(0).is_some_and(|c| c.kind_str() == "&")
    });
    Some(HttpLiteral {
        literal: lit,
        type_name,
        body,
        http,
        keys,
        addr_of,
        time: qualifier(ctx, "time"),
    })
}

/// The fix setting a missing timeout field in an `http` literal: `key: secs *
/// time.Second` laid out like the literal, `time` named as the file names it (the
/// import added when missing). `None` when the edit is not mechanical: a positional
/// or commented layout the helper cannot promise gofmt-clean, or `time` shadowed or
/// unavailable under its name.
pub(crate) fn timeout_fix<'a>(
    ctx: &Ctx<'a>,
    h: &HttpLiteral<'a>,
    anc: &[Node<'a>],
    key: &str,
    secs: u32,
    safe: bool,
) -> Option<Fix> {
    let mut value = String::new();
    let edits = crate::edits::set_field(ctx, h.literal, anc, key, "time", |t| {
        value = format!("{secs} * {t}Second");
        value.clone()
    })?;
    let title = format!("Set `{key}: {value}`");
    Some(if safe {
        Fix::safe(title, edits)
    } else {
        Fix::unsafe_edit(title, edits)
    })
}

/// The index's access path for an expression of the current file, resolved the way
/// the facts walk resolves it.
pub(crate) fn rule_target<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>]) -> Option<Target> {
    let mut fields = Vec::new();
    let mut cur = syntax::unparen(expr);
    let mut chain = anc.to_vec();
    loop {
        match cur.kind_str() {
            "selector_expression" => {
                fields.push(ctx.text(cur.field(F.field)?).to_string());
                chain.push(cur);
                cur = syntax::unparen(cur.field(F.operand)?);
            }
            "unary_expression" | "type_assertion_expression" => {
                chain.push(cur);
                cur = syntax::unparen(cur.field(F.operand)?);
            }
            "identifier" => break,
            _ => return None,
        }
    }
    fields.reverse();
    let name = ctx.text(cur);
    let (_, top) = crate::flow::outermost_func(anc)?;
    let root = match ctx.resolve(cur, &chain) {
        Some(LocalDecl::Param { func, index, .. }) if func == top => Root::Param(index),
        Some(LocalDecl::Receiver { func, .. }) if func == top => Root::Recv,
        Some(d) => Root::Local(name.to_string(), d.name_node().start_byte()),
        None => {
            if ctx.imports().path_of(name).is_some() {
                return None;
            }
            Root::PkgVar(name.to_string())
        }
    };
    Some(Target { root, fields })
}

/// Whether the fields `fields` of a composite literal's value are set after the
/// literal: on the variable or field it is stored in (`srv.ReadHeaderTimeout = ...`
/// later in the function, or anywhere in the package for a package variable), or by
/// the same-package function it is passed to (`configure(&http.Server{...})` where
/// `configure` sets the field on its parameter).
pub(crate) fn set_later<'a>(
    ctx: &Ctx<'a>,
    lit: Node<'a>,
    anc: &[Node<'a>],
    fields: &[&str],
) -> bool {
    let pkg = ctx.pkg;
    let sets_on = |func: usize, t: &Target, after: usize| -> bool {
        pkg.facts
            .get(func)
            .and_then(|f| f.net.as_deref())
            .is_some_and(|n| {
                n.field_sets.iter().any(|s| {
                    s.at >= after
                        && (s.field == "*" || fields.contains(&s.field.as_str()))
                        && &s.target == t
                })
            })
    };
    match crate::sema::value_use(lit, anc) {
        ValueUse::Assigned { stmt, target } => {
            let Some(target) = target else { return false };
            let Some(func) = pkg.func_at(ctx.file_idx, lit.start_byte()) else {
                // A package-level variable: set anywhere in the package.
                let Some(name) = (target.kind_str() == "identifier").then(|| ctx.text(target))
                else {
                    return false;
                };
                let t = Target {
                    root: Root::PkgVar(name.to_string()),
                    fields: Vec::new(),
                };
                return (0..pkg.funcs.len()).any(|g| sets_on(g, &t, 0));
            };
            let t = match (stmt.kind_str(), target.kind_str()) {
                ("short_var_declaration" | "var_spec", "identifier") => Target {
                    root: Root::Local(ctx.text(target).to_string(), target.start_byte()),
                    fields: Vec::new(),
                },
                _ => {
                    let stmt_anc = ancestors_of(anc, stmt);
                    let mut chain = stmt_anc.to_vec();
                    chain.push(stmt);
                    match rule_target(ctx, target, &chain) {
                        Some(t) => t,
                        None => return false,
                    }
                }
            };
            if let Root::PkgVar(_) = t.root {
                return (0..pkg.funcs.len()).any(|g| sets_on(g, &t, 0));
            }
            sets_on(func, &t, lit.end_byte())
        }
        ValueUse::Arg { call, index } => {
            let Some((op, name)) = syntax::callee(call) else {
                return false;
            };
            let name = ctx.text(name);
            let param = Target {
                root: Root::Param(index),
                fields: Vec::new(),
            };
            let candidates: Vec<usize> = match op {
                None => pkg.func_named(name).into_iter().collect(),
                Some(op) => {
                    let call_anc = ancestors_of(anc, call);
                    let mut chain = call_anc.to_vec();
                    chain.push(call);
                    match crate::flow::local_type_name(ctx, op, &chain) {
                        Some(ty) => pkg.method_of(&ty, name).into_iter().collect(),
                        None if op.kind_str() == "identifier"
                            && ctx.imports().path_of(ctx.text(op)).is_some() =>
                        {
                            Vec::new()
                        }
                        None => pkg.methods_named(name).collect(),
                    }
                }
            };
            candidates.into_iter().any(|g| sets_on(g, &param, 0))
        }
        _ => false,
    }
}

/// The ancestors of `node`, itself one of `anc`.
pub(crate) fn ancestors_of<'s, 'a>(anc: &'s [Node<'a>], node: Node<'a>) -> &'s [Node<'a>] {
    match anc.iter().rposition(|n| *n == node) {
        Some(i) => &anc[..i],
        None => anc,
    }
}

/// Render an access path of function `func` for messages (`s.conn`).
pub(crate) fn render_target(ctx: &Ctx<'_>, func: usize, t: &Target) -> String {
    let f = &ctx.pkg.funcs[func];
    let root = match &t.root {
        Root::Local(name, _) | Root::PkgVar(name) => name.clone(),
        Root::Param(i) => f
            .params
            .get(*i)
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| "the connection".into()),
        Root::Recv => f
            .recv
            .as_ref()
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| "the receiver".into()),
    };
    let mut out = root;
    for field in &t.fields {
        out.push('.');
        out.push_str(field);
    }
    out
}

/// Visit every use of the local variable a composite literal is bound to
/// (`t := &http.Transport{...}`) in the enclosing function; `f` sees each use with its
/// ancestors. `false` when the literal is not bound to a local by a declaration.
pub(crate) fn for_each_use_of_bound_local<'a>(
    ctx: &Ctx<'a>,
    lit: Node<'a>,
    anc: &[Node<'a>],
    mut f: impl FnMut(Node<'a>, &[Node<'a>]) -> syntax::Walk,
) -> bool {
    let ValueUse::Assigned { stmt, target } = crate::sema::value_use(lit, anc) else {
        return false;
    };
    let Some(target) = target.filter(|t| t.kind_str() == "identifier") else {
        return false;
    };
    if !matches!(stmt.kind_str(), "short_var_declaration" | "var_spec") {
        return false;
    }
    let Some((fi, func)) = crate::flow::outermost_func(anc) else {
        return false;
    };
    let var = ctx.text(target);
    ctx.walk(func, &anc[..fi], |kind, n, a| {
        if kind != "identifier"
            || n == target
            || ctx.text(n) != var
            || ctx.resolve(n, a).map(|d| d.name_node()) != Some(target)
        {
            return syntax::Walk::Continue;
        }
        f(n, a)
    });
    true
}

/// Whether the value of a composite literal, bound to a local variable, has
/// `method` called on it in the same function (`defer t.CloseIdleConnections()`).
pub(crate) fn local_gets_call<'a>(
    ctx: &Ctx<'a>,
    lit: Node<'a>,
    anc: &[Node<'a>],
    method: &str,
) -> bool {
    let mut found = false;
    for_each_use_of_bound_local(ctx, lit, anc, |n, a| match crate::sema::value_use(n, a) {
        ValueUse::Selector { name, called: true } if ctx.text(name) == method => {
            found = true;
            syntax::Walk::Stop
        }
        _ => syntax::Walk::Continue,
    });
    found
}
