//! Index facts for the lock family: for every function, the blocking operations it
//! performs unconditionally (so that calling it while holding a mutex blocks), and the
//! typing of simple receiver expressions (`s.db`, `tx` from `db.Begin()`, `f` from
//! `os.Open`) shared by the facts walk and the rule.
//!
//! The facts walk ([`super::facts`]) records candidates from one file alone: the
//! receiver of a method call is kept as a [`RecvRef`] (a typed root plus a field path),
//! and is typed against the whole package only when the rule asks
//! ([`PackageIndex::callee_io`]), so fields declared in other files resolve.

use rustc_hash::FxHashSet;
use std::ops::Range;
use std::path::Path;

use tree_sitter::Node;

use super::{PackageIndex, TypeKind, TypeRef};
use crate::lock::catalog::{self, Catalog, IoKind};
use crate::sema::{self, Imports, LocalDecl};
use crate::source::LineCol;
use crate::syntax::{self, F, NodeExt, text};

/// How deep value typing follows `a := b`, `tx := db.Begin()` chains.
const MAX_DEPTH: u8 = 4;
/// Candidates kept per function (the first unconditional one that types wins).
const MAX_SITES: usize = 8;

/// Where a receiver expression's type comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootRef {
    /// Declared, or made by a known constructor (`os.Open`, `&http.Client{}`).
    Typed(TypeRef),
    /// A package-level variable of this package.
    PkgVar(String),
    /// The first result of a same-package function `f(...)`.
    FuncResult(String),
    /// The first result of `recv.method(...)`.
    Result(Box<RecvRef>, String),
}

/// A receiver expression reduced to what can be typed: a root and a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecvRef {
    pub root: RootRef,
    pub fields: Vec<String>,
}

/// A blocking operation found in a function body, before types are known.
#[derive(Clone, Debug)]
pub enum IoOp {
    /// `pkg.Func(...)`, the package resolved through the file's imports.
    Func { pkg: String, name: String },
    /// `recv.Method(...)`; `ctx_first` when the first argument is a context.
    Method {
        recv: RecvRef,
        name: String,
        ctx_first: bool,
    },
    /// A blocking channel send or receive, or a `select` without `default`. For a
    /// send on a field (`s.events <- e`) or a semaphore release (`<-s.sem`, see
    /// [`names_slots`]), the field's name: on channels the package makes with a buffer
    /// these are queue hand-offs, not flagged.
    Chan { queue_field: Option<String> },
}

/// One candidate: what, and where (the anchor token).
#[derive(Clone, Debug)]
pub struct IoSite {
    pub op: IoOp,
    /// The call's name token, or the `<-`.
    pub at: Range<usize>,
    /// Text shown in messages (`f.Sync`, `<-`).
    pub label: String,
    /// Filled when the file summary is built (line/column of `at`).
    pub start: LineCol,
    pub end: LineCol,
}

/// Per-function lock facts.
#[derive(Clone, Debug, Default)]
pub struct LockFacts {
    /// Unconditional blocking candidates, in source order (at most [`MAX_SITES`]).
    pub sites: Vec<IoSite>,
    /// Offset of the first `Unlock`/`RUnlock` call: what follows it may run after the
    /// caller's lock was released, so it does not count.
    pub first_unlock: Option<usize>,
    /// `x.f = make(chan T, n)` / `T{f: make(chan T, n)}`: (field, buffered).
    pub chan_makes: Vec<(String, bool)>,
    /// `ch := make(chan T, n)`: (local name, buffered), for this function's own sends
    /// and for `T{f: ch}`.
    pub local_chans: Vec<(String, bool)>,
    /// What locals were declared to hold, as far as a glance at the declaration tells
    /// (`f, err := os.Open(p)`, `c := s.conn`, `var wg sync.WaitGroup`), so receivers
    /// are typed without resolving scopes. Latest declaration last.
    pub locals: Vec<(String, RootRef)>,
}

/// A same-package function's unconditional blocking operation, typed.
#[derive(Clone, Debug)]
pub struct CalleeIo {
    /// File index in the package.
    pub file: usize,
    pub at: Range<usize>,
    pub start: LineCol,
    pub end: LineCol,
    pub label: String,
    pub kind: IoKind,
}

// ---------------------------------------------------------------------------------
// Typing of simple expressions (shared by the facts walk and the rule).

/// Ancestors of `node` given the ancestors `anc` of some other node of the same tree
/// whose chain passes through a common ancestor: the shared prefix, then the path down.
pub fn ancestors_to<'t>(anc: &[Node<'t>], node: Node<'t>) -> Vec<Node<'t>> {
    let Some(k) = anc.iter().rposition(|a| syntax::contains(*a, node)) else {
        return Vec::new();
    };
    let mut out = anc[..k].to_vec();
    out.extend(sema::ancestors_from(anc[k], node));
    out
}

fn is_package_ident(
    ident: Node<'_>,
    anc: &[Node<'_>],
    src: &str,
    imports: &Imports,
) -> Option<String> {
    if ident.kind_str() != "identifier" {
        return None;
    }
    let name = text(ident, src);
    let path = imports.path_of(name)?;
    sema::resolve_local(name, ident, anc, src)
        .is_none()
        .then(|| path.to_string())
}

/// The typeable shape of a receiver expression (`s.db`, `c`, `http.DefaultClient`,
/// `s.pool.Get()`), given the ancestors of the expression (or of the call it is the
/// receiver of).
pub fn recv_ref(expr: Node<'_>, anc: &[Node<'_>], src: &str, imports: &Imports) -> Option<RecvRef> {
    Scope {
        src,
        imports,
        fast: None,
    }
    .recv_ref(expr, anc, 0)
}

/// What name resolution may use. `fast`: the names declared so far in the top-level
/// function `decl` (the facts walk keeps them); a root name not among them is the
/// receiver, a parameter or a package-level name, found without walking scopes.
struct Scope<'s, 'h, 't> {
    src: &'s str,
    imports: &'s Imports,
    fast: Option<Fast<'h, 't>>,
}

/// The facts walk's cheap view of names: those declared so far in the top-level
/// function `decl`, and what the typed ones hold.
#[derive(Clone, Copy)]
struct Fast<'h, 't> {
    declared: &'h FxHashSet<&'h str>,
    locals: &'h [(String, RootRef)],
    decl: Node<'t>,
}

impl<'s, 'h, 't> Scope<'s, 'h, 't> {
    /// The view from inside the facts walk of function `decl`.
    fn in_walk(
        src: &'s str,
        imports: &'s Imports,
        declared: &'h FxHashSet<&'h str>,
        locals: &'h [(String, RootRef)],
        decl: Node<'t>,
    ) -> Self {
        Scope {
            src,
            imports,
            fast: Some(Fast {
                declared,
                locals,
                decl,
            }),
        }
    }
}

impl<'t> Scope<'_, '_, 't> {
    fn recv_ref(&self, expr: Node<'t>, anc: &[Node<'t>], depth: u8) -> Option<RecvRef> {
        if depth > MAX_DEPTH {
            return None;
        }
        let src = self.src;
        let mut fields = Vec::new();
        let mut cur = syntax::unparen(expr);
        let root = loop {
            if fields.len() > 64 {
                return None;
            }
            match cur.kind_str() {
                "selector_expression" => {
                    let f = cur.field(F.field)?;
                    fields.push(text(f, src).to_string());
                    cur = syntax::unparen(cur.field(F.operand)?);
                }
                "unary_expression"
                    if matches!(cur.child(0).map(|c| c.kind_str()), Some("&" | "*")) =>
                {
                    cur = syntax::unparen(cur.field(F.operand)?);
                }
                "identifier" => break None,
                _ => {
                    let anc_v = ancestors_to(anc, cur);
                    break Some(self.value_ref(cur, &anc_v, depth + 1)?);
                }
            }
        };
        fields.reverse();
        let root = match root {
            Some(r) => r,
            None => {
                let name = text(cur, src);
                if name == "_" {
                    return None;
                }
                let local = match self.fast {
                    Some(f) if f.declared.contains(name) => {
                        // A local: only what its declaration showed.
                        let (_, root) = f.locals.iter().rev().find(|(l, _)| l == name)?;
                        return Some(RecvRef {
                            root: root.clone(),
                            fields,
                        });
                    }
                    Some(f) => sema::func_declares(f.decl, name, src),
                    None => sema::resolve_local(name, cur, anc, src),
                };
                match local {
                    Some(decl) => self.decl_ref(decl, anc, depth)?,
                    None => match self.imports.path_of(name) {
                        Some(path) => {
                            // `pkg.Var...`: a variable of another package.
                            if fields.is_empty() {
                                return None;
                            }
                            let first = fields.remove(0);
                            RootRef::Typed(catalog::package_var(path, &first)?)
                        }
                        None => RootRef::PkgVar(name.to_string()),
                    },
                }
            }
        };
        Some(RecvRef { root, fields })
    }

    /// The type source of a local declaration.
    fn decl_ref(&self, decl: LocalDecl<'t>, anc: &[Node<'t>], depth: u8) -> Option<RootRef> {
        if let Some(ty) = decl.type_node() {
            return Some(RootRef::Typed(TypeRef::from_node(
                ty,
                self.src,
                self.imports,
            )));
        }
        let LocalDecl::Local {
            stmt, name, value, ..
        } = decl
        else {
            return None;
        };
        let value = match value {
            Some(v) => v,
            None => first_of_multi(stmt, name)?,
        };
        let anc_v = ancestors_to(anc, value);
        // The initialiser's names resolve by scope: the fast path knows the names
        // declared before the use, not before the initialiser.
        let slow = Scope {
            src: self.src,
            imports: self.imports,
            fast: None,
        };
        slow.value_ref(value, &anc_v, depth + 1)
    }

    /// The type source of a value expression (an initialiser), given its ancestors.
    fn value_ref(&self, value: Node<'t>, anc: &[Node<'t>], depth: u8) -> Option<RootRef> {
        if depth > MAX_DEPTH {
            return None;
        }
        let src = self.src;
        let v = syntax::unparen(value);
        match v.kind_str() {
            "call_expression" => {
                let (op, name) = syntax::callee(v)?;
                let fname = text(name, src);
                match op {
                    Some(op) => {
                        if let Some(path) = is_package_ident(op, anc, src, self.imports) {
                            return catalog::constructor_result(&path, fname).map(RootRef::Typed);
                        }
                        let inner = self.recv_ref(op, anc, depth + 1)?;
                        Some(RootRef::Result(Box::new(inner), fname.to_string()))
                    }
                    None if fname == "new" => {
                        let arg = *syntax::call_args(v).first()?;
                        Some(RootRef::Typed(type_of_type_expr(arg, src, self.imports)?))
                    }
                    None if syntax::is_builtin_func(fname) => None,
                    None => {
                        let local = match self.fast {
                            Some(f) => f.declared.contains(fname),
                            None => sema::resolve_local(fname, name, anc, src).is_some(),
                        };
                        (!local).then(|| RootRef::FuncResult(fname.to_string()))
                    }
                }
            }
            "unary_expression" if v.child(0).is_some_and(|c| c.kind_str() == "&") => {
                self.value_ref(v.field(F.operand)?, anc, depth)
            }
            "composite_literal" => Some(RootRef::Typed(type_of_type_expr(
                v.field(F.ty)?,
                src,
                self.imports,
            )?)),
            "type_assertion_expression" => Some(RootRef::Typed(TypeRef::from_node(
                v.field(F.ty)?,
                src,
                self.imports,
            ))),
            "identifier" | "selector_expression" => {
                let r = self.recv_ref(v, anc, depth + 1)?;
                if r.fields.is_empty() {
                    Some(r.root)
                } else {
                    // `c := s.conn`: a field path; the result of no call.
                    Some(RootRef::Result(Box::new(r), String::new()))
                }
            }
            _ => None,
        }
    }
}

/// `a, err := f()`: the call, when `name` is the first name on the left.
fn first_of_multi<'t>(stmt: Node<'t>, name: Node<'t>) -> Option<Node<'t>> {
    let (lefts, rights) = syntax::assignment_sides(stmt)?;
    (rights.len() == 1 && lefts.first() == Some(&name)).then(|| rights[0])
}

/// A type written where an expression may stand (`new(sync.WaitGroup)` parses the
/// argument as a type, but `new(pkg.T)` may also come out as a selector).
fn type_of_type_expr(node: Node<'_>, src: &str, imports: &Imports) -> Option<TypeRef> {
    match node.kind_str() {
        "selector_expression" => {
            let op = node.field(F.operand)?;
            let path = imports.path_of(text(op, src))?;
            let name = text(node.field(F.field)?, src);
            Some(TypeRef {
                text: text(node, src).to_string(),
                pointer: false,
                pkg: Some(path.to_string()),
                name: name.to_string(),
                kind: TypeKind::Named,
            })
        }
        "identifier" => Some(TypeRef {
            text: text(node, src).to_string(),
            pointer: false,
            pkg: None,
            name: text(node, src).to_string(),
            kind: TypeKind::Named,
        }),
        _ => {
            let t = TypeRef::from_node(node, src, imports);
            (t.kind == TypeKind::Named).then_some(t)
        }
    }
}

/// Whether an argument is a `context.Context`: a parameter or variable declared so, a
/// local made by `context.With*`, `context.Background()`/`TODO()`, `r.Context()`, or a
/// field named `ctx`.
pub fn is_context_arg(arg: Node<'_>, anc: &[Node<'_>], src: &str, imports: &Imports) -> bool {
    let arg = syntax::unparen(arg);
    match arg.kind_str() {
        "identifier" => {
            let name = text(arg, src);
            let Some(decl) = sema::resolve_local(name, arg, anc, src) else {
                return false;
            };
            if let Some(ty) = decl.type_node() {
                return TypeRef::from_node(ty, src, imports).is("context", "Context");
            }
            let LocalDecl::Local {
                stmt, name, value, ..
            } = decl
            else {
                return false;
            };
            let Some(v) = value.or_else(|| first_of_multi(stmt, name)) else {
                return false;
            };
            let v = syntax::unparen(v);
            if v.kind_str() != "call_expression" {
                return false;
            }
            let anc_v = ancestors_to(anc, v);
            is_context_call(v, &anc_v, src, imports)
        }
        "call_expression" => is_context_call(arg, anc, src, imports),
        "selector_expression" => syntax::selector_field(arg, src) == Some("ctx"),
        _ => false,
    }
}

fn is_context_call(call: Node<'_>, anc: &[Node<'_>], src: &str, imports: &Imports) -> bool {
    let Some((op, name)) = syntax::callee(call) else {
        return false;
    };
    let fname = text(name, src);
    let Some(op) = op else { return false };
    match is_package_ident(op, anc, src, imports) {
        Some(path) => path == "context",
        None => fname == "Context" && syntax::call_args(call).is_empty(),
    }
}

/// A cheap look at the first argument before the precise [`is_context_arg`].
pub fn may_be_context(arg: Node<'_>, src: &str) -> bool {
    let arg = syntax::unparen(arg);
    if arg.end_byte() - arg.start_byte() > 64 {
        return false;
    }
    let t = text(arg, src);
    t.contains("ctx") || t.contains("Ctx") || t.ends_with("Context()") || t.starts_with("context.")
}

/// Whether a channel expression is a local made in this function with a buffer
/// (`ch := make(chan T, n)`, `n` not the literal `0`): a send to it is not treated as
/// blocking (such channels are sized for the results the function sends).
pub fn is_local_buffered_chan(ch: Node<'_>, anc: &[Node<'_>], src: &str) -> bool {
    let ch = syntax::unparen(ch);
    if ch.kind_str() != "identifier" {
        return false;
    }
    let Some(LocalDecl::Local { value: Some(v), .. }) =
        sema::resolve_local(text(ch, src), ch, anc, src)
    else {
        return false;
    };
    let v = syntax::unparen(v);
    if v.kind_str() != "call_expression" {
        return false;
    }
    let Some((None, name)) = syntax::callee(v) else {
        return false;
    };
    text(name, src) == "make" && chan_make(v, src) == Some(true)
}

/// Channel operations that cannot block by construction, judged like a reviewer would:
/// a send right after draining the same channel (`select { case <-c: default: }; c <- v`,
/// the "latest value" idiom on a one-slot channel), and a receive guarded by
/// `len(c) > 0` (a single consumer taking what is already queued); and a send on the
/// `chan<-` parameter of a Prometheus-style `Collect`/`Describe` method, whose caller
/// drains it concurrently by contract.
pub fn always_ready(op: Node<'_>, anc: &[Node<'_>], src: &str) -> bool {
    match op.kind_str() {
        "send_statement" => {
            let Some(ch_node) = op.field(F.channel) else {
                return false;
            };
            if collector_param(ch_node, anc, src) {
                return true;
            }
            let ch = chan_text(ch_node, src);
            let Some(prev) = prev_statement(op) else {
                return false;
            };
            if prev.kind_str() != "select_statement" || !select_has_default(prev) {
                return false;
            }
            let mut c = prev.walk();
            prev.named_children(&mut c)
                .filter(|n| n.kind_str() == "communication_case")
                .filter_map(|case| case.field(F.communication))
                .any(|comm| received_from(comm, src).is_some_and(|r| r == ch))
        }
        "unary_expression" => {
            let Some(ch) = op.field(F.operand) else {
                return false;
            };
            let ch = chan_text(ch, src);
            anc.iter()
                .rev()
                .take_while(|a| !syntax::is_func(a.kind_str()))
                .any(|a| {
                    matches!(a.kind_str(), "for_statement" | "if_statement")
                        && loop_or_if_condition(*a).is_some_and(|cond| len_positive(cond, &ch, src))
                })
        }
        _ => false,
    }
}

/// `ch` is the `chan<- T` parameter of a method named `Collect` or `Describe`.
fn collector_param(ch: Node<'_>, anc: &[Node<'_>], src: &str) -> bool {
    let ch = syntax::unparen(ch);
    if ch.kind_str() != "identifier" {
        return false;
    }
    let Some(LocalDecl::Param { func, ty, .. }) = sema::resolve_local(text(ch, src), ch, anc, src)
    else {
        return false;
    };
    func.kind_str() == "method_declaration"
        && func
            .field(F.name)
            .is_some_and(|n| matches!(text(n, src), "Collect" | "Describe"))
        && text(ty, src).starts_with("chan<-")
}

/// The condition of an `if`, of a `for` clause, or of a `for cond {}` loop.
fn loop_or_if_condition(stmt: Node<'_>) -> Option<Node<'_>> {
    if stmt.kind_str() == "if_statement" {
        return stmt.field(F.condition);
    }
    let mut c = stmt.walk();
    stmt.named_children(&mut c)
        .find_map(|n| match n.kind_str() {
            "for_clause" => n.field(F.condition),
            "block" | "range_clause" | "comment" => None,
            _ => Some(n),
        })
}

fn chan_text(ch: Node<'_>, src: &str) -> String {
    text(syntax::unparen(ch), src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn prev_statement(stmt: Node<'_>) -> Option<Node<'_>> {
    let mut p = stmt.prev_named_sibling();
    while let Some(n) = p {
        if n.kind_str() != "comment" {
            return Some(n);
        }
        p = n.prev_named_sibling();
    }
    None
}

/// The channel a select communication receives from (`case <-c:`, `case v := <-c:`).
fn received_from(comm: Node<'_>, src: &str) -> Option<String> {
    let recv = match comm.kind_str() {
        "receive_statement" => comm.field(F.right)?,
        "unary_expression" => comm,
        _ => return None,
    };
    let recv = syntax::unparen(recv);
    if !is_receive(recv) {
        return None;
    }
    Some(chan_text(recv.field(F.operand)?, src))
}

/// `len(ch) > 0`, `len(ch) != 0`, `0 < len(ch)`.
fn len_positive(cond: Node<'_>, ch: &str, src: &str) -> bool {
    let cond = syntax::unparen(cond);
    if cond.kind_str() != "binary_expression" {
        return false;
    }
    let (Some(l), Some(op), Some(r)) = (
        cond.field(F.left),
        cond.field(F.operator),
        cond.field(F.right),
    ) else {
        return false;
    };
    let is_len = |n: Node<'_>| {
        let n = syntax::unparen(n);
        n.kind_str() == "call_expression"
            && syntax::callee(n).is_some_and(|(o, f)| o.is_none() && text(f, src) == "len")
            && syntax::call_args(n)
                .first()
                .is_some_and(|a| chan_text(*a, src) == ch)
    };
    let zero = |n: Node<'_>| text(n, src).trim() == "0";
    match text(op, src) {
        ">" | "!=" => is_len(l) && zero(r),
        "<" => zero(l) && is_len(r),
        _ => false,
    }
}

/// The `<-` token of a send statement or receive expression.
pub fn arrow_token(node: Node<'_>) -> Option<Node<'_>> {
    let mut c = node.walk();
    node.children(&mut c)
        .find(|n| !n.is_named() && n.kind_str() == "<-")
}

/// The first `<-` inside a select's communication (a send or a receive).
pub fn first_arrow(comm: Node<'_>) -> Option<Node<'_>> {
    let mut found = None;
    syntax::walk(comm, |n| {
        if found.is_some() {
            return syntax::Walk::Stop;
        }
        if matches!(n.kind_str(), "send_statement" | "unary_expression")
            && let Some(a) = arrow_token(n)
        {
            found = Some(a);
            return syntax::Walk::Stop;
        }
        syntax::Walk::Continue
    });
    found
}

/// Whether a `select` statement has a `default` case.
pub fn select_has_default(select: Node<'_>) -> bool {
    let mut c = select.walk();
    select
        .named_children(&mut c)
        .any(|n| n.kind_str() == "default_case")
}

/// Whether a unary expression is a receive (`<-ch`).
pub fn is_receive(unary: Node<'_>) -> bool {
    unary.kind_str() == "unary_expression" && unary.child(0).is_some_and(|c| c.kind_str() == "<-")
}

/// Whether `node` (with ancestors `anc`) sits in the communication clause of a select
/// (`case v := <-ch:`): the select as a whole decides whether it blocks.
pub fn in_select_communication(node: Node<'_>, anc: &[Node<'_>]) -> bool {
    for (i, a) in anc.iter().enumerate().rev() {
        match a.kind_str() {
            "communication_case" => {
                let child = anc.get(i + 1).copied().unwrap_or(node);
                return a.field(F.communication) == Some(child);
            }
            "block" | "statement_list" | "func_literal" => return false,
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------------------------
// The facts walk hook.

/// Record what a node of a function body contributes to the lock facts. Called by the
/// facts walk for every node; filters by kind and name before any resolution.
pub(super) fn on_node(
    facts: &mut LockFacts,
    n: Node<'_>,
    anc: &[Node<'_>],
    decl: Node<'_>,
    src: &str,
) {
    let kind = n.kind_str();
    if kind == "keyed_element" {
        on_keyed(facts, n, src);
    } else {
        on_chan(facts, n, kind, anc, decl, src);
    }
}

/// `T{f: ch}` with `ch := make(chan T, n)` local: field `f` holds a buffered channel.
fn on_keyed(facts: &mut LockFacts, n: Node<'_>, src: &str) {
    if facts.local_chans.is_empty() {
        return;
    }
    let (Some(key), Some(value)) = (n.field(F.key), n.field(F.value)) else {
        return;
    };
    let Some(v) = value.named_child(0).map(syntax::unparen) else {
        return;
    };
    // `f: ch`, or `f: []chan T{ch}` (a slice of result slots).
    let mut idents = Vec::new();
    match v.kind_str() {
        "identifier" => idents.push(v),
        "composite_literal" => {
            if let Some(body) = v.field(F.body) {
                let mut c = body.walk();
                for el in body.named_children(&mut c) {
                    if let Some(x) = el.named_child(0).map(syntax::unparen)
                        && x.kind_str() == "identifier"
                    {
                        idents.push(x);
                    }
                }
            }
        }
        _ => return,
    }
    for v in idents {
        let name = text(v, src);
        if let Some(&(_, buffered)) = facts.local_chans.iter().rev().find(|(l, _)| l == name) {
            facts
                .chan_makes
                .push((text(key, src).trim().to_string(), buffered));
        }
    }
}

/// A local declaration (`short_var_declaration` or `var_spec`): remember what each
/// new name holds when the declaration shows it without resolving anything.
pub(super) fn on_decl<'t>(
    facts: &mut LockFacts,
    stmt: Node<'t>,
    // A short declaration's sides as the walk read them: (has a left side, its
    // items, the right side's items).
    sides: Option<(bool, &[Node<'t>], &[Node<'t>])>,
    decl: Node<'t>,
    src: &str,
    imports: &Imports,
    declared: &FxHashSet<&str>,
) {
    // A short declaration's sides are borrowed from the walk (this runs for every
    // one); the other shapes are read here.
    let (read_names, read_values);
    let (names, values, ty): (&[Node], &[Node], _) =
        if sides.is_none() && stmt.kind_str() == "var_spec" {
            read_names = syntax::name_children(stmt).collect::<Vec<Node>>();
            read_values = stmt
                .field(F.value)
                .map(syntax::expr_list)
                .unwrap_or_default();
            (&read_names, &read_values, stmt.field(F.ty))
        } else if let Some((has_left, names, values)) = sides {
            if !has_left {
                return;
            }
            (names, values, None)
        } else {
            let Some(left) = stmt.field(F.left) else {
                return;
            };
            read_values = stmt
                .field(F.right)
                .map(syntax::expr_list)
                .unwrap_or_default();
            read_names = syntax::expr_list(left);
            (&read_names, &read_values, None)
        };
    if let Some(ty) = ty {
        let t = TypeRef::from_node(ty, src, imports);
        if t.kind == TypeKind::Named {
            for n in names {
                facts
                    .locals
                    .push((text(*n, src).to_string(), RootRef::Typed(t.clone())));
            }
        }
        return;
    }
    // Name by value; with one multi-valued value (`a, b := f()`), the first name only.
    let pairs = if names.len() == values.len() {
        names.len()
    } else if values.len() == 1 && !names.is_empty() {
        1
    } else {
        return;
    };
    for (&name, &value) in names.iter().zip(values).take(pairs) {
        let v = syntax::unparen(value);
        // Only shapes that can hold a typed value worth knowing.
        if !matches!(
            v.kind_str(),
            "call_expression"
                | "unary_expression"
                | "composite_literal"
                | "selector_expression"
                | "identifier"
                | "type_assertion_expression"
        ) {
            continue;
        }
        let scope = Scope::in_walk(src, imports, declared, &facts.locals, decl);
        if let Some(root) = scope.value_ref(v, &[], 1) {
            facts.locals.push((text(name, src).to_string(), root));
        }
    }
}

/// A call as the facts walk sees it: the call, its callee parts, and the top-level
/// function it is in.
#[derive(Clone, Copy)]
pub(super) struct CallAt<'t> {
    pub call: Node<'t>,
    pub op: Option<Node<'t>>,
    pub name: Node<'t>,
    /// The name's text (read by the caller from the source).
    pub fname: &'t str,
    pub decl: Node<'t>,
    /// The call's arguments (comments left out).
    pub args: &'t [Node<'t>],
}

/// Record what a call contributes: a blocking candidate, an unlock, a channel make.
/// Filters by name before any resolution; `declared` (names declared so far in the
/// function) spares the scope walk for receivers, parameters and package names.
pub(super) fn on_call(
    facts: &mut LockFacts,
    at: CallAt<'_>,
    anc: &[Node<'_>],
    src: &str,
    imports: &Imports,
    declared: &FxHashSet<&str>,
) {
    let CallAt {
        call,
        op,
        name,
        fname,
        decl,
        args,
    } = at;
    let Some(op) = op else {
        if fname == "make" {
            record_chan_make(facts, call, anc, src);
        } else if fname == "append" && !facts.local_chans.is_empty() {
            record_chan_append(facts, call, src);
        }
        return;
    };
    if matches!(fname, "Unlock" | "RUnlock") {
        if facts.first_unlock.is_none() {
            facts.first_unlock = Some(call.start_byte());
        }
        return;
    }
    if facts.sites.len() >= MAX_SITES || facts.first_unlock.is_some() {
        return;
    }
    // Cheap name filters first.
    let op_name = (op.kind_str() == "identifier").then(|| text(op, src));
    let pkg_path = op_name
        .filter(|n| !declared.contains(n))
        .and_then(|n| imports.path_of(n));
    let pkg_func = pkg_path.is_some_and(|p| catalog::builtin_func(p, fname));
    let method = pkg_path.is_none() && catalog::builtin_method_name(fname);
    let first_arg = args.first().copied();
    let ctx_first = pkg_path.is_none() && first_arg.is_some_and(|a| may_be_context(a, src));
    if !(pkg_func || method || ctx_first) {
        return;
    }
    if !unconditional(call, anc, decl) || (fname == "Rollback" && in_defer(anc, decl)) {
        return;
    }
    let op_site = if pkg_func {
        IoOp::Func {
            pkg: pkg_path.unwrap_or_default().to_string(),
            name: fname.to_string(),
        }
    } else {
        // A context argument that is not a local is the function's own parameter.
        let ctx_first = ctx_first
            && first_arg.is_some_and(|a| match (a.kind_str(), text(a, src)) {
                ("identifier", name) if !declared.contains(name) => {
                    sema::func_declares(decl, name, src)
                        .and_then(|d| d.type_node())
                        .is_some_and(|t| {
                            TypeRef::from_node(t, src, imports).is("context", "Context")
                        })
                }
                _ => is_context_arg(a, anc, src, imports),
            });
        if !method && !ctx_first {
            return;
        }
        let scope = Scope::in_walk(src, imports, declared, &facts.locals, decl);
        let Some(recv) = scope.recv_ref(op, anc, 0) else {
            return;
        };
        IoOp::Method {
            recv,
            name: fname.to_string(),
            ctx_first,
        }
    };
    facts.sites.push(IoSite {
        op: op_site,
        at: name.start_byte()..name.end_byte(),
        label: format!("{}.{fname}", text(op, src)),
        start: LineCol::default(),
        end: LineCol::default(),
    });
}

/// `x.f = make(chan T, n)` or `T{f: make(chan T, n)}`: remember whether field `f` is
/// made with a buffer.
fn record_chan_make(facts: &mut LockFacts, call: Node<'_>, anc: &[Node<'_>], src: &str) {
    let Some(buffered) = chan_make(call, src) else {
        return;
    };
    let Some(&parent) = anc.last() else { return };
    let field = match parent.kind_str() {
        "expression_list" => {
            let Some(&stmt) = anc.len().checked_sub(2).and_then(|i| anc.get(i)) else {
                return;
            };
            if matches!(stmt.kind_str(), "short_var_declaration" | "var_spec") {
                // `ch := make(chan T, n)`: a local channel of this function.
                let left = if stmt.kind_str() == "var_spec" {
                    stmt.field(F.name)
                } else {
                    stmt.field(F.left).and_then(|l| l.named_child(0))
                };
                if let Some(l) = left.filter(|l| l.kind_str() == "identifier") {
                    facts.local_chans.push((text(l, src).to_string(), buffered));
                }
                return;
            }
            if stmt.kind_str() != "assignment_statement" || stmt.field(F.right) != Some(parent) {
                return;
            }
            let rights = syntax::expr_list(parent);
            let lefts = stmt
                .field(F.left)
                .map(syntax::expr_list)
                .unwrap_or_default();
            let Some(i) = rights.iter().position(|r| *r == call) else {
                return;
            };
            if lefts.len() != rights.len() {
                return;
            }
            syntax::selector_field(syntax::unparen(lefts[i]), src)
        }
        "literal_element" => {
            let Some(&keyed) = anc.len().checked_sub(2).and_then(|i| anc.get(i)) else {
                return;
            };
            if keyed.kind_str() != "keyed_element" || keyed.field(F.value) != Some(parent) {
                return;
            }
            keyed.field(F.key).map(|k| text(k, src).trim())
        }
        _ => None,
    };
    if let Some(f) = field.filter(|f| !f.is_empty()) {
        facts.chan_makes.push((f.to_string(), buffered));
    }
}

/// `x.f = append(x.f, ch)` with `ch := make(chan T, n)` local: the slice field `f`
/// holds (element) channels with that buffering (per-call result slots).
fn record_chan_append(facts: &mut LockFacts, call: Node<'_>, src: &str) {
    let args = syntax::call_args(call);
    let Some(field) = args
        .first()
        .and_then(|a| syntax::selector_field(syntax::unparen(*a), src))
    else {
        return;
    };
    for a in args.iter().skip(1) {
        let a = syntax::unparen(*a);
        if a.kind_str() != "identifier" {
            continue;
        }
        let name = text(a, src);
        if let Some(&(_, buffered)) = facts.local_chans.iter().rev().find(|(l, _)| l == name) {
            facts.chan_makes.push((field.to_string(), buffered));
        }
    }
}

/// For `make(chan T[, n])`: whether it has a buffer (`n` other than the literal `0`).
pub fn chan_make(call: Node<'_>, src: &str) -> Option<bool> {
    let args = syntax::call_args(call);
    if args.first().is_none_or(|t| t.kind_str() != "channel_type") {
        return None;
    }
    Some(args.get(1).is_some_and(|n| text(*n, src).trim() != "0"))
}

fn on_chan(
    facts: &mut LockFacts,
    n: Node<'_>,
    kind: &str,
    anc: &[Node<'_>],
    decl: Node<'_>,
    src: &str,
) {
    if facts.sites.len() >= MAX_SITES || facts.first_unlock.is_some() {
        return;
    }
    // Cheap shape checks first, then position, then the checks that resolve names.
    match kind {
        "select_statement" if select_has_default(n) => return,
        "unary_expression" if !is_receive(n) => return,
        _ => {}
    }
    if !unconditional(n, anc, decl) {
        return;
    }
    let mut queue_field = None;
    let arrow = if kind == "select_statement" {
        let mut c = n.walk();
        let first = n
            .named_children(&mut c)
            .find(|x| x.kind_str() == "communication_case")
            .and_then(|case| case.field(F.communication))
            .and_then(first_arrow);
        match first {
            Some(a) => a,
            None => return,
        }
    } else {
        if in_select_communication(n, anc) {
            return;
        }
        if kind == "send_statement" {
            let Some(ch) = n.field(F.channel) else { return };
            let ch = syntax::unparen(ch);
            if ch.kind_str() == "identifier"
                && facts
                    .local_chans
                    .iter()
                    .any(|(l, b)| *b && l == text(ch, src))
            {
                return;
            }
            queue_field = syntax::selector_field(ch, src).map(str::to_string);
        } else if anc
            .last()
            .is_some_and(|p| p.kind_str() == "expression_statement")
        {
            // `<-s.sem` as a statement: a release when `sem` is a slot-counting field.
            queue_field = n
                .field(F.operand)
                .and_then(|ch| syntax::selector_field(syntax::unparen(ch), src))
                .filter(|f| names_slots(f))
                .map(str::to_string);
        }
        if always_ready(n, anc, src) {
            return;
        }
        match arrow_token(n) {
            Some(a) => a,
            None => return,
        }
    };
    facts.sites.push(IoSite {
        op: IoOp::Chan { queue_field },
        at: arrow.start_byte()..arrow.end_byte(),
        label: "<-".to_string(),
        start: LineCol::default(),
        end: LineCol::default(),
    });
}

/// A channel field named for counting slots (`sem`, `writeLockC`, `tokens`, `slots`,
/// `limiter`, `tickets`): a buffered one is a semaphore, and a receive as a statement
/// gives back a slot taken earlier: it never blocks.
pub fn names_slots(field: &str) -> bool {
    let lower = field.to_ascii_lowercase();
    ["sem", "lock", "token", "slot", "limit", "ticket"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Whether a node runs every time its function runs: not in an `if`/`else` branch, a
/// `switch`/`select` case, a function literal or a `go` statement.
fn unconditional(n: Node<'_>, anc: &[Node<'_>], decl: Node<'_>) -> bool {
    let start = anc.iter().position(|a| *a == decl).map_or(0, |i| i + 1);
    for i in start..anc.len() {
        let a = anc[i];
        match a.kind_str() {
            "func_literal" | "go_statement" | "expression_case" | "default_case" | "type_case"
            | "communication_case" => return false,
            "if_statement" => {
                let child = anc.get(i + 1).copied().unwrap_or(n);
                if a.field(F.consequence) == Some(child) || a.field(F.alternative) == Some(child) {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

fn in_defer(anc: &[Node<'_>], decl: Node<'_>) -> bool {
    anc.iter()
        .rev()
        .take_while(|a| **a != decl)
        .any(|a| a.kind_str() == "defer_statement")
}

// ---------------------------------------------------------------------------------
// Package-level resolution.

impl PackageIndex {
    /// The type of a receiver reference, typed against the whole package.
    pub fn resolve_recv(&self, r: &RecvRef) -> Option<TypeRef> {
        self.resolve_recv_at(r, 0)
    }

    fn resolve_recv_at(&self, r: &RecvRef, depth: u8) -> Option<TypeRef> {
        if depth > 2 * MAX_DEPTH {
            return None;
        }
        let mut ty = match &r.root {
            RootRef::Typed(t) => t.clone(),
            RootRef::PkgVar(v) => self.vars.get(v)?.ty.clone()?,
            RootRef::FuncResult(f) => {
                let g = self.func_named(f)?;
                self.funcs[g].results.first()?.clone()
            }
            RootRef::Result(inner, m) => {
                let t = self.resolve_recv_at(inner, depth + 1)?;
                if m.is_empty() {
                    t
                } else {
                    self.method_result(&t, m)?
                }
            }
        };
        for f in &r.fields {
            if !ty.is_local_named() {
                return None;
            }
            ty = self.field_type(&ty.name, f)?.clone();
        }
        Some(ty)
    }

    /// Field names the package only ever assigns buffered channels to
    /// (`s.events = make(chan Event, 64)`), and at least once.
    pub fn buffered_chan_fields(&self) -> &FxHashSet<String> {
        self.chan_buffered.get_or_init(|| {
            let mut buffered = FxHashSet::default();
            let mut unbuffered = FxHashSet::default();
            for f in &self.facts {
                for (field, b) in &f.lock.chan_makes {
                    if *b {
                        buffered.insert(field.clone());
                    } else {
                        unbuffered.insert(field.clone());
                    }
                }
            }
            buffered.retain(|f| !unbuffered.contains(f));
            buffered
        })
    }

    /// The first result type of method `m` on a value of type `t`.
    fn method_result(&self, t: &TypeRef, m: &str) -> Option<TypeRef> {
        match &t.pkg {
            Some(p) => catalog::method_result(p, &t.name, m),
            None if t.kind == TypeKind::Named => {
                let g = self.method_of(&t.name, m)?;
                self.funcs[g].results.first().cloned()
            }
            None => None,
        }
    }

    /// For every function of the package, its first unconditional blocking operation
    /// (by `catalog`), computed once per package. The catalog is the engine's, the same
    /// for every call on one index.
    pub fn callee_io(&self, catalog: &Catalog) -> &[Option<CalleeIo>] {
        self.lock_io.get_or_init(|| {
            self.facts
                .iter()
                .enumerate()
                .map(|(i, f)| self.first_io(i, &f.lock, catalog))
                .collect()
        })
    }

    fn first_io(&self, func: usize, facts: &LockFacts, cat: &Catalog) -> Option<CalleeIo> {
        let file = self.funcs[func].file;
        let path: &Path = self.files.get(file).map_or(Path::new(""), |f| &f.path);
        facts
            .sites
            .iter()
            .filter(|s| facts.first_unlock.is_none_or(|u| s.at.start < u))
            .find_map(|s| {
                let kind = self.classify_site(&s.op, cat, path)?;
                Some(CalleeIo {
                    file,
                    at: s.at.clone(),
                    start: s.start,
                    end: s.end,
                    label: s.label.clone(),
                    kind,
                })
            })
    }

    /// Classify a recorded (or freshly built) blocking candidate.
    pub fn classify_site(&self, op: &IoOp, cat: &Catalog, file: &Path) -> Option<IoKind> {
        match op {
            IoOp::Chan { queue_field } => {
                let queued = queue_field
                    .as_ref()
                    .is_some_and(|f| self.buffered_chan_fields().contains(f));
                (!queued).then_some(IoKind::Channel)
            }
            IoOp::Func { pkg, name } => cat.func(pkg, name),
            IoOp::Method {
                recv,
                name,
                ctx_first,
            } => {
                let ty = self.resolve_recv(recv)?;
                if let Some(k) = catalog::classify_method(cat, self, &ty, name) {
                    return Some(k);
                }
                (*ctx_first
                    && !catalog::is_bookkeeping_method(name)
                    && catalog::is_client_type(self, &ty, file))
                .then_some(IoKind::Client)
            }
        }
    }
}
