//! What the Go code shows about databases: which expressions are database handles
//! (typed or obtained as one), and what SQL text an expression holds.

use tree_sitter::Node;

use super::api::{self, HandleType, SqlArg};
use super::sqltext::Piece;
use crate::engine::Ctx;
use crate::flow::{local_type_name, outermost_func};
use crate::index::TypeRef;
use crate::sema::LocalDecl;
use crate::syntax::{self, F, NodeExt, Walk};

/// A database handle expression.
#[derive(Clone, Debug)]
pub struct Handle {
    pub ty: HandleType,
    /// For a prepared statement: the text of the visible `Prepare*` that made it.
    pub prepared: Option<Vec<Piece>>,
}

impl Handle {
    fn of(ty: HandleType) -> Handle {
        Handle { ty, prepared: None }
    }
}

/// Bound on the definitions followed to type one expression (GORM chains, locals
/// initialised from locals...).
const MAX_DEPTH: u32 = 32;

/// The handle `expr` (with ancestors `anc`) denotes, when the code shows one. `method`
/// is the method about to be called on it: a same-package type that embeds a handle
/// but declares its own `method` is not a handle for that call.
pub fn handle_of<'a>(
    ctx: &Ctx<'a>,
    expr: Node<'a>,
    anc: &[Node<'a>],
    method: &str,
) -> Option<Handle> {
    handle_at(ctx, expr, anc, method, 0)
}

fn handle_at<'a>(
    ctx: &Ctx<'a>,
    expr: Node<'a>,
    anc: &[Node<'a>],
    method: &str,
    depth: u32,
) -> Option<Handle> {
    if depth > MAX_DEPTH {
        return None;
    }
    let expr = syntax::unparen(expr);
    match expr.kind_str() {
        "identifier" => match ctx.resolve(expr, anc) {
            Some(decl) => {
                if let Some(ty) = decl.type_node() {
                    let t = TypeRef::from_node(ty, ctx.src(), ctx.imports());
                    return handle_of_type(ctx, &t, method);
                }
                let value = local_value(decl)?;
                let (fi, func) = outermost_func(anc)?;
                let value_anc = ctx.ancestors_within(&anc[..fi], func, value);
                handle_at(ctx, value, &value_anc, method, depth + 1)
            }
            None => {
                let t = ctx.pkg.vars.get(ctx.text(expr))?.ty.as_ref()?;
                handle_of_type(ctx, t, method)
            }
        },
        "selector_expression" => {
            let field = syntax::selector_field(expr, ctx.src())?;
            let operand = expr.field(F.operand)?;
            let mut chain = anc.to_vec();
            chain.push(expr);
            if is_package(ctx, operand, &chain) {
                return None; // another package's variable: its type is not in view
            }
            let owner = owner_type(ctx, operand, &chain)?;
            let t = ctx.pkg.field_type(&owner, field)?;
            handle_of_type(ctx, t, method)
        }
        "call_expression" => produced_by(ctx, expr, anc, method, depth),
        _ => None,
    }
}

/// The value a local was initialised with: `x := v`, `var x = v`, or the call of
/// `x, err := call()` (handles are always a producer's first result).
fn local_value(decl: LocalDecl<'_>) -> Option<Node<'_>> {
    let LocalDecl::Local {
        stmt, name, value, ..
    } = decl
    else {
        return None;
    };
    if value.is_some() {
        return value;
    }
    if !matches!(stmt.kind_str(), "short_var_declaration" | "var_spec") {
        return None;
    }
    let (lefts, rights) = syntax::assignment_sides(stmt)?;
    let call = syntax::unparen(*rights.first()?);
    (rights.len() == 1 && lefts.first() == Some(&name) && call.kind_str() == "call_expression")
        .then_some(call)
}

/// The handle a call returns: `sql.Open(...)`, `db.BeginTx(...)`, `db.Prepare(q)`,
/// a GORM chain step, or a same-package function declared to return a handle.
fn produced_by<'a>(
    ctx: &Ctx<'a>,
    call: Node<'a>,
    anc: &[Node<'a>],
    method: &str,
    depth: u32,
) -> Option<Handle> {
    let (op, name_node) = syntax::callee(call)?;
    let name = ctx.text(name_node);
    let mut chain = anc.to_vec();
    chain.push(call);
    let Some(op) = op else {
        if ctx.resolve(name_node, &chain).is_some() {
            return None; // a local function value
        }
        let g = ctx.pkg.func_named(name)?;
        return handle_of_type(ctx, ctx.pkg.funcs[g].results.first()?, method);
    };
    if op.kind_str() == "identifier"
        && let Some(path) = ctx.imports().path_of(ctx.text(op))
        && ctx.resolve(op, &chain).is_none()
    {
        return api::produced(path, None, name).map(|p| Handle::of(p.makes));
    }
    if let Some(recv) = handle_at(ctx, op, &chain, name, depth + 1) {
        if recv.ty.is_gorm() && api::GORM_CHAIN.contains(&name) {
            return Some(Handle::of(recv.ty));
        }
        let p = api::produced(recv.ty.pkg, Some(recv.ty), name)?;
        let args = syntax::call_args(call);
        let prepared = match p.sql {
            Some(SqlArg::Arg(i)) => Some(sql_text(ctx, *args.get(i)?, &chain)),
            // `tx.Stmt(stmt)`: the statement's own text.
            Some(SqlArg::Prepared) => {
                handle_at(ctx, *args.last()?, &chain, "Exec", depth + 1)?.prepared
            }
            None => None,
        };
        return Some(Handle {
            ty: p.makes,
            prepared,
        });
    }
    // A same-package method declared to return a handle (`r.conn(ctx)`).
    let ty = owner_type(ctx, op, &chain)?;
    let m = ctx.pkg.method_of(&ty, name)?;
    handle_of_type(ctx, ctx.pkg.funcs[m].results.first()?, method)
}

/// A handle type, or a same-package struct that embeds one (and does not declare
/// `method` itself).
fn handle_of_type(ctx: &Ctx<'_>, t: &TypeRef, method: &str) -> Option<Handle> {
    if t.kind != crate::index::TypeKind::Named {
        return None;
    }
    if let Some(pkg) = &t.pkg {
        return api::handle_type(pkg, &t.name).map(Handle::of);
    }
    if ctx.pkg.method_of(&t.name, method).is_some() {
        return None;
    }
    let st = ctx.pkg.structs.get(&t.name)?;
    st.fields
        .iter()
        .filter(|f| f.embedded)
        .find_map(|f| api::handle_type(f.ty.pkg.as_deref()?, &f.ty.name))
        .map(Handle::of)
}

/// The same-package type of a selector's operand: what `local_type_name` knows, plus
/// locals initialised with a composite literal (`r := &repo{db: db}`).
fn owner_type<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>]) -> Option<String> {
    if let Some(t) = local_type_name(ctx, expr, anc) {
        return Some(t);
    }
    let expr = syntax::unparen(expr);
    if expr.kind_str() != "identifier" {
        return None;
    }
    let LocalDecl::Local {
        value: Some(value), ..
    } = ctx.resolve(expr, anc)?
    else {
        return None;
    };
    let mut v = syntax::unparen(value);
    if v.kind_str() == "unary_expression" && v.child(0).is_some_and(|c| c.kind_str() == "&") {
        v = syntax::unparen(v.field(F.operand)?);
    }
    if v.kind_str() != "composite_literal" {
        return None;
    }
    let ty = v.field(F.ty)?;
    (ty.kind_str() == "type_identifier").then(|| ctx.text(ty).to_string())
}

/// Whether `ident` names an imported package here.
fn is_package<'a>(ctx: &Ctx<'a>, ident: Node<'a>, anc: &[Node<'a>]) -> bool {
    ident.kind_str() == "identifier"
        && ctx.imports().path_of(ctx.text(ident)).is_some()
        && ctx.resolve(ident, anc).is_none()
}

/// Bound on definitions followed while assembling one SQL text.
const TEXT_BUDGET: u32 = 64;

/// The SQL text an expression holds: literals, constants (local, or of the package in
/// any file), locals initialised once and never reassigned, `+` concatenations and
/// `fmt.Sprintf` formats of those. What the code computes at run time is a
/// [`Piece::Hole`].
pub fn sql_text<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>]) -> Vec<Piece> {
    let mut budget = TEXT_BUDGET;
    text_at(ctx, expr, anc, &mut budget)
}

fn text_at<'a>(ctx: &Ctx<'a>, expr: Node<'a>, anc: &[Node<'a>], budget: &mut u32) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    // Pending expressions (right operands pushed first), each with the ancestor chain
    // to resolve its names against (index into `chains`).
    let mut chains: Vec<Vec<Node<'a>>> = vec![anc.to_vec()];
    let mut stack: Vec<(Node<'a>, usize)> = vec![(expr, 0)];
    while let Some((e, ci)) = stack.pop() {
        let e = syntax::unparen(e);
        match e.kind_str() {
            "interpreted_string_literal" | "raw_string_literal" => push_text(
                &mut out,
                crate::index::decls::string_literal_value(e, ctx.src()),
            ),
            "binary_expression" if e.field(F.operator).is_some_and(|o| ctx.text(o) == "+") => {
                if let (Some(l), Some(r)) = (e.field(F.left), e.field(F.right)) {
                    stack.push((r, ci));
                    stack.push((l, ci));
                } else {
                    out.push(Piece::Hole);
                }
            }
            "identifier" => {
                if *budget == 0 {
                    out.push(Piece::Hole);
                    continue;
                }
                *budget -= 1;
                match ident_value(ctx, e, &chains[ci]) {
                    Some(IdentValue::Const(s)) => push_text(&mut out, s),
                    Some(IdentValue::Expr(v, v_anc)) => {
                        chains.push(v_anc);
                        stack.push((v, chains.len() - 1));
                    }
                    None => out.push(Piece::Hole),
                }
            }
            "call_expression" => {
                if *budget == 0 {
                    out.push(Piece::Hole);
                    continue;
                }
                *budget -= 1;
                match sprintf_format(ctx, e, &chains[ci], budget) {
                    Some(pieces) => out.extend(pieces),
                    None => out.push(Piece::Hole),
                }
            }
            _ => out.push(Piece::Hole),
        }
        if out.len() > 512 {
            out.push(Piece::Hole);
            break;
        }
    }
    out
}

fn push_text(out: &mut Vec<Piece>, s: String) {
    if let Some(Piece::Text(prev)) = out.last_mut() {
        prev.push_str(&s);
    } else {
        out.push(Piece::Text(s));
    }
}

enum IdentValue<'a> {
    Const(String),
    Expr(Node<'a>, Vec<Node<'a>>),
}

/// What an identifier in SQL position stands for.
fn ident_value<'a>(ctx: &Ctx<'a>, id: Node<'a>, anc: &[Node<'a>]) -> Option<IdentValue<'a>> {
    let Some(decl) = ctx.resolve(id, anc) else {
        return ctx.pkg.const_string(ctx.text(id)).map(IdentValue::Const);
    };
    let LocalDecl::Local {
        stmt,
        name,
        value: Some(value),
        ..
    } = decl
    else {
        return None;
    };
    let (fi, func) = outermost_func(anc)?;
    match stmt.kind_str() {
        "const_spec" => {}
        "short_var_declaration" | "var_spec" => {
            if reassigned(ctx, func, &anc[..fi], name) {
                return None; // built at run time
            }
        }
        _ => return None,
    }
    let v_anc = ctx.ancestors_within(&anc[..fi], func, value);
    Some(IdentValue::Expr(value, v_anc))
}

/// Whether the local declared at `decl` is assigned again, or has its address taken,
/// anywhere in `func`.
fn reassigned<'a>(ctx: &Ctx<'a>, func: Node<'a>, base: &[Node<'a>], decl: Node<'a>) -> bool {
    let var = ctx.text(decl);
    let mut found = false;
    // Scope lookups are not free: past this many writes of the name, assume the worst.
    let mut budget = 256u32;
    ctx.walk(func, base, |kind, n, anc| {
        if kind != "identifier" || n == decl || ctx.text(n) != var {
            return Walk::Continue;
        }
        let Some(&parent) = anc.last() else {
            return Walk::Continue;
        };
        let written = match parent.kind_str() {
            "unary_expression" => parent.child(0).is_some_and(|c| c.kind_str() == "&"),
            "expression_list" => {
                anc.len() >= 2 && {
                    let stmt = anc[anc.len() - 2];
                    matches!(
                        stmt.kind_str(),
                        "assignment_statement" | "short_var_declaration"
                    ) && stmt.field(F.left) == Some(parent)
                }
            }
            "assignment_statement" => parent.field(F.left) == Some(n),
            _ => false,
        };
        if !written {
            return Walk::Continue;
        }
        if budget == 0 {
            found = true;
            return Walk::Stop;
        }
        budget -= 1;
        if ctx.resolve(n, anc).is_some_and(|d| d.name_node() == decl) {
            found = true;
            return Walk::Stop;
        }
        Walk::Continue
    });
    found
}

/// `fmt.Sprintf(format, ...)`: the format's text with every verb a hole.
fn sprintf_format<'a>(
    ctx: &Ctx<'a>,
    call: Node<'a>,
    anc: &[Node<'a>],
    budget: &mut u32,
) -> Option<Vec<Piece>> {
    ctx.call_to(call, anc, "fmt", &["Sprintf"])?;
    let format = *syntax::call_args(call).first()?;
    let mut chain = anc.to_vec();
    chain.push(call);
    let pieces = text_at(ctx, format, &chain, budget);
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Hole => out.push(Piece::Hole),
            Piece::Text(s) => split_verbs(&s, &mut out),
        }
    }
    Some(out)
}

/// Split a format string at its verbs (`%s`, `%[2]d`, `%-5v`); `%%` is a literal `%`.
fn split_verbs(s: &str, out: &mut Vec<Piece>) {
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            cur.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            cur.push('%');
            continue;
        }
        // Flags, width, precision, argument index, then the verb letter.
        while let Some(&d) = chars.peek() {
            chars.next();
            if d.is_ascii_alphabetic() {
                break;
            }
        }
        if !cur.is_empty() {
            out.push(Piece::Text(std::mem::take(&mut cur)));
        }
        if out.last() != Some(&Piece::Hole) {
            out.push(Piece::Hole);
        }
    }
    if !cur.is_empty() {
        out.push(Piece::Text(cur));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_verbs_become_holes() {
        let mut out = Vec::new();
        split_verbs("UPDATE %s SET a = 100%% WHERE id = %[2]d", &mut out);
        assert_eq!(
            out,
            vec![
                Piece::Text("UPDATE ".into()),
                Piece::Hole,
                Piece::Text(" SET a = 100% WHERE id = ".into()),
                Piece::Hole,
            ]
        );
    }
}
