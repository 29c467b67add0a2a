//! Facts read from function bodies, once per file and from that file alone: calls of
//! the indexed methods (`Stop`, `SetReadDeadline`, `RowsAffected`, ...) and on what,
//! calls that may reach other functions of the package and what they pass, which
//! parameters escape, and how each name is used (`go f()`, `f()`, `f` as a value).
//!
//! Nothing here looks at other files: callees are recorded by name and resolved when
//! the package index is assembled. So a file's facts can be extracted right after it
//! is parsed (and its tree dropped if it will not be linted), in parallel, and cached
//! by the language server per file.

use rustc_hash::{FxHashMap, FxHashSet};

use tree_sitter::Node;

use super::net::{self as netfacts, NetFacts, NetWalk};
use super::{FactScope, MethodFact};
use crate::flat::{Flat, WalkStack};
use crate::sema::{self, Imports, LocalDecl, ValueUse};
use crate::source::LineIndex;
use crate::syntax::{self, F, NodeExt, Walk, text};

/// What an access path starts from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Root {
    /// The n-th parameter of the enclosing top-level function.
    Param(usize),
    /// The receiver of the enclosing method.
    Recv,
    /// A local variable: its name and the byte offset of its declaring identifier
    /// (0 when it was not resolved: only its field path matters then).
    Local(String, usize),
    /// A package-level name (a variable, when the package declares one so named).
    PkgVar(String),
}

/// An access path: `c`, `s.conn`, `r.db.pool`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub root: Root,
    pub fields: Vec<String>,
}

/// `target.method(...)` for an indexed method.
#[derive(Clone, Debug)]
pub struct MethodCall {
    pub target: Target,
    pub method: String,
    /// Byte offset of the method name.
    pub at: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Plain,
    Go,
    Defer,
}

/// A callee as the file spells it, before the package resolves it.
#[derive(Clone, Debug)]
pub enum Callee {
    /// `name(...)`.
    Func(String),
    /// `recv.name(...)`; `recv` when it is an access path.
    Method { name: String, recv: Option<Target> },
}

/// A call that may reach another function of the package.
#[derive(Clone, Debug)]
pub struct CallSite {
    pub callee: Callee,
    /// Candidate callees (indices into `PackageIndex::funcs`), filled in when the
    /// package is assembled. Empty: a function of another package.
    pub callees: Vec<usize>,
    /// The callee was resolved by name and receiver type, not by method name alone.
    pub certain: bool,
    /// What each argument is, when it is an access path.
    pub args: Vec<Option<Target>>,
    /// Byte offset of the call.
    pub at: usize,
    pub kind: CallKind,
}

#[derive(Clone, Debug, Default)]
pub struct FuncFacts {
    pub method_calls: Vec<MethodCall>,
    pub calls: Vec<CallSite>,
    /// Bit n: parameter n escapes this function directly.
    pub escaping_params: u64,
    /// `local := x.field`: (local declaration offset, field name).
    pub field_aliases: Vec<(usize, String)>,
    /// Connections, their reads and deadlines ([`super::net`]); `None` for the many
    /// functions that touch nothing network-like.
    pub net: Option<Box<NetFacts>>,
    /// Blocking operations for the lock family (see `index::lock`).
    pub lock: super::lock::LockFacts,
    /// Import names (`time`, `http`) that the function may redeclare: used as an
    /// identifier other than a selector's operand (a parameter, a result, a local, a
    /// local type). For any other import name, `name.X` inside the function is the
    /// package, with no scope lookup.
    pub shadowed_imports: Vec<String>,
}

/// How a function or method name is used across the package.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UseStats {
    pub go: u32,
    pub deferred: u32,
    pub plain: u32,
    /// Referred to as a value (`f`, `s.run` passed or stored), not called.
    pub value: u32,
    /// Of the `go` starts, those made from an `init` function (once per process).
    pub go_from_init: u32,
}

impl UseStats {
    /// Started with `go` at least once and never used any other way.
    pub fn only_go(&self) -> bool {
        self.go > 0 && self.deferred == 0 && self.plain == 0 && self.value == 0
    }

    /// Only ever started with `go`, and only from `init` functions.
    pub fn only_go_from_init(&self) -> bool {
        self.only_go() && self.go_from_init == self.go
    }

    fn bump(&mut self, kind: CallKind, in_init: bool) {
        match kind {
            CallKind::Go => {
                self.go += 1;
                self.go_from_init += u32::from(in_init);
            }
            CallKind::Defer => self.deferred += 1,
            CallKind::Plain => self.plain += 1,
        }
    }

    pub fn add(&mut self, o: &UseStats) {
        self.go += o.go;
        self.deferred += o.deferred;
        self.plain += o.plain;
        self.value += o.value;
        self.go_from_init += o.go_from_init;
    }
}

/// The facts of one file.
#[derive(Clone, Debug, Default)]
pub struct FileFacts {
    /// One entry per top-level function or method, keyed by the declaration's start.
    pub funcs: Vec<(usize, FuncFacts)>,
    /// Use counts by simple name (functions and methods alike).
    pub uses: FxHashMap<String, UseStats>,
}

pub(super) struct FileWalk<'a> {
    /// The file's nodes (walked without a cursor).
    flat: Flat<'a>,
    pub(super) src: &'a str,
    pub(super) imports: &'a Imports,
    /// Line starts, for the few positions facts keep with line and column (related
    /// locations in other files).
    pub(super) lines: &'a LineIndex,
    out: FileFacts,
    cur: FuncFacts,
    /// Names declared so far inside the current function (any scope). Go declares
    /// before use, so a name not in here cannot shadow a parameter, the receiver or a
    /// package-level name, and needs no scope resolution.
    pub(super) declared: FxHashSet<&'a str>,
    pub(super) params: Vec<&'a str>,
    pub(super) recv: Option<&'a str>,
    /// The current function is a package `init` function.
    in_init: bool,
    /// Per-function state of the net family's part of this walk.
    pub(super) net: NetWalk<'a>,
    scope: FactScope,
    /// Buffer for the arguments of the call being visited.
    args: Vec<Node<'a>>,
    /// Buffer for what those arguments are: most calls pass nothing tracked and are
    /// not recorded, so they allocate nothing.
    arg_targets: Vec<Option<Target>>,
    /// The left and right items of the assignment or short declaration being visited,
    /// and whether it has each side ([`Self::load_sides`]).
    pub(super) lhs: Vec<Node<'a>>,
    pub(super) rhs: Vec<Node<'a>>,
    pub(super) sides: (bool, bool),
    /// Kind ids of the visited node's three innermost ancestors, parent first, read
    /// from the flat array (`NO_KIND`: not known, ask the node).
    anc_kinds: [u16; 3],
    /// The body walk's ancestor stack, reused from function to function.
    walk_buf: WalkStack<'a>,
    /// The file parsed without error ([`syntax::ident_text`]).
    clean: bool,
}

const NO_KIND: u16 = u16::MAX;

/// Kind ids the body walk tests first (most of the nodes it acts on).
struct HotKinds {
    identifier: u16,
    selector_expression: u16,
    call_expression: u16,
}

static HOT_KINDS: std::sync::LazyLock<HotKinds> = std::sync::LazyLock::new(|| HotKinds {
    identifier: syntax::kind_id_of("identifier"),
    selector_expression: syntax::kind_id_of("selector_expression"),
    call_expression: syntax::kind_id_of("call_expression"),
});

/// The kinds a function body's walk acts on (its match below and
/// [`netfacts::visit`]): any other node (most of them: names of fields, lists, blocks,
/// literals, operators) is passed over before a string comparison.
const ACTED_ON: &[&str] = &[
    "call_expression",
    "identifier",
    "type_spec",
    "type_alias",
    "selector_expression",
    "send_statement",
    "unary_expression",
    "select_statement",
    "keyed_element",
    "short_var_declaration",
    "assignment_statement",
    "var_spec",
    "const_spec",
    "range_clause",
    "receive_statement",
    "type_switch_statement",
    "func_literal",
];

/// [`ACTED_ON`] by kind id (ids past the table: acted on).
static ACTED_ON_IDS: std::sync::LazyLock<Vec<bool>> = std::sync::LazyLock::new(|| {
    let count = crate::source::language().node_kind_count() as u16;
    (0..count)
        .map(|id| ACTED_ON.contains(&syntax::kind_name(id)))
        .collect()
});

#[cfg(test)]
thread_local! {
    /// Tests: act on every kind, to show that the filter drops no fact.
    static ACT_ON_ALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn acted_on(kind: u16) -> bool {
    #[cfg(test)]
    if ACT_ON_ALL.get() {
        return true;
    }
    ACTED_ON_IDS.get(kind as usize).copied().unwrap_or(true)
}

/// Extract the facts of one parsed file.
pub fn extract(
    flat: Flat<'_>,
    src: &str,
    imports: &Imports,
    lines: &LineIndex,
    scope: FactScope,
) -> FileFacts {
    extract_with(flat, src, imports, lines, scope, false)
}

/// [`extract`]; `parallel`: a big file's top-level declarations may be split between
/// two threads (they are independent: every fact is per function, use counts add up).
pub fn extract_with(
    flat: Flat<'_>,
    src: &str,
    imports: &Imports,
    lines: &LineIndex,
    scope: FactScope,
    parallel: bool,
) -> FileFacts {
    if flat.is_empty() {
        return FileFacts::default();
    }
    let root = flat.node(0);
    let clean = !root.has_error();
    let tops: Vec<Node> = flat.children(0).map(|i| flat.node(i)).collect();
    let part = |tops: &[Node<'_>]| {
        let mut w = FileWalk::new(flat, src, imports, lines, scope, clean);
        for &top in tops {
            match top.kind_str() {
                "function_declaration" | "method_declaration" => {
                    if top.field(F.name).is_none() {
                        continue;
                    }
                    w.walk_func(root, top);
                    let facts = std::mem::take(&mut w.cur);
                    w.out.funcs.push((top.start_byte(), facts));
                }
                "var_declaration" | "const_declaration" => w.walk_refs(top),
                _ => {}
            }
        }
        w.out
    };
    let split = tops.partition_point(|n| n.start_byte() < src.len() / 2);
    if !parallel
        || src.len() < crate::engine::PARALLEL_MIN_BYTES
        || split == 0
        || split == tops.len()
    {
        return part(&tops);
    }
    let (a, b) = tops.split_at(split);
    let (mut out, later) = rayon::join(|| part(a), || part(b));
    out.funcs.extend(later.funcs);
    for (name, u) in later.uses {
        out.uses.entry(name).or_default().add(&u);
    }
    out
}

impl<'a> FileWalk<'a> {
    /// Package-level initialisers: only record names used as values.
    fn walk_refs(&mut self, node: Node<'a>) {
        self.anc_kinds = [NO_KIND; 3];
        let flat = self.flat;
        flat.walk_named(node, &[], |kind, n, anc| {
            if anc.len() > syntax::MAX_NESTING {
                return Walk::Skip;
            }
            match kind {
                "identifier" => self.record_value_ref(true, n, anc),
                "selector_expression" => self.record_value_ref(false, n, anc),
                _ => {}
            }
            Walk::Continue
        });
    }

    fn new(
        flat: Flat<'a>,
        src: &'a str,
        imports: &'a Imports,
        lines: &'a LineIndex,
        scope: FactScope,
        clean: bool,
    ) -> FileWalk<'a> {
        FileWalk {
            flat,
            src,
            imports,
            lines,
            out: FileFacts::default(),
            cur: FuncFacts::default(),
            declared: FxHashSet::default(),
            params: Vec::new(),
            recv: None,
            in_init: false,
            net: NetWalk::default(),
            scope,
            args: Vec::new(),
            arg_targets: Vec::new(),
            lhs: Vec::new(),
            rhs: Vec::new(),
            sides: (false, false),
            anc_kinds: [NO_KIND; 3],
            walk_buf: WalkStack::default(),
            clean,
        }
    }

    fn walk_func(&mut self, root: Node<'a>, decl: Node<'a>) {
        let src = self.src;
        self.declared.clear();
        // Buffers reused from function to function (this runs for every one).
        let mut params = std::mem::take(&mut self.params);
        params.clear();
        if let Some(p) = decl.field(F.parameters) {
            sema::for_each_param(p, |_, n, _| params.push(n.map_or("", |n| text(n, src))));
        }
        self.params = params;
        self.in_init = decl.kind_str() == "function_declaration"
            && decl.field(F.name).is_some_and(|n| text(n, src) == "init");
        let mut recv = None;
        if let Some(r) = decl.field(F.receiver) {
            sema::for_each_param(r, |i, n, _| {
                if i == 0 {
                    recv = n.map(|n| text(n, src));
                }
            });
        }
        self.recv = recv;
        let Some(body) = decl.field(F.body) else {
            return;
        };
        // Parameters, the receiver and named results declare names outside the body.
        let mut signature: Vec<&'a str> = self.params.iter().copied().chain(self.recv).collect();
        if let Some(r) = decl
            .field(F.result)
            .filter(|r| r.kind_str() == "parameter_list")
        {
            sema::for_each_param(r, |_, n, _| signature.extend(n.map(|n| text(n, src))));
        }
        for name in signature {
            if self.imports.path_of(name).is_some() {
                self.shadow(name);
            }
        }
        let (net, lock) = (self.scope.net, self.scope.lock);
        if net {
            netfacts::begin(self, decl);
        }
        let base = [root, decl];
        let flat = self.flat;
        let mut buf = std::mem::take(&mut self.walk_buf);
        flat.walk_indexed(body, &base, &mut buf, |at, kind, n, anc, kinds| {
            if anc.len() > syntax::MAX_NESTING {
                return Walk::Skip;
            }
            if !acted_on(kind) {
                return Walk::Continue;
            }
            let known = |k: usize| kinds.len().checked_sub(k + 1).map_or(NO_KIND, |j| kinds[j]);
            self.anc_kinds = [known(0), known(1), known(2)];
            // The commonest kinds, by id: none of them is a net declaration or binding.
            let hot = &*HOT_KINDS;
            if kind == hot.identifier {
                self.on_ident(n, anc, decl);
                return Walk::Continue;
            } else if kind == hot.selector_expression {
                self.record_value_ref(false, n, anc);
                return Walk::Continue;
            } else if kind == hot.call_expression {
                self.on_call(n, at, anc, decl);
                return Walk::Continue;
            }
            let kind = syntax::kind_name(kind);
            if kind == "short_var_declaration" || net && kind == "assignment_statement" {
                self.load_sides(n, at);
            }
            if net {
                netfacts::visit(self, kind, n, anc, decl);
            }
            // Identifiers, selectors and calls were handled above, by kind id.
            match kind {
                "type_spec" | "type_alias" => {
                    if let Some(name) = n.field(F.name) {
                        let name = text(name, src);
                        if self.imports.path_of(name).is_some() {
                            self.shadow(name);
                        }
                    }
                }
                // Lock family: channel operations and channel fields (see `index::lock`).
                "send_statement" | "unary_expression" | "select_statement" | "keyed_element"
                    if lock =>
                {
                    super::lock::on_node(&mut self.cur.lock, n, anc, decl, src)
                }
                "short_var_declaration" => {
                    if lock {
                        self.lock_decl(n, decl, true);
                    }
                    for i in 0..self.lhs.len() {
                        let id = self.lhs[i];
                        if id.kind_str() == "identifier" {
                            self.declared.insert(text(id, src));
                        }
                    }
                    self.on_alias();
                }
                "var_spec" | "const_spec" => {
                    if lock {
                        self.lock_decl(n, decl, false);
                    }
                    for id in syntax::name_children(n) {
                        self.declared.insert(text(id, src));
                    }
                }
                "range_clause" | "receive_statement" if syntax::has_token(n, ":=") => {
                    self.declare_list(n.field(F.left));
                }
                "type_switch_statement" => self.declare_list(n.field(F.alias)),
                "func_literal" => {
                    if let Some(p) = n.field(F.parameters) {
                        for (_, id, _) in sema::param_names(p, src) {
                            if let Some(id) = id {
                                self.declared.insert(text(id, src));
                            }
                        }
                    }
                }
                _ => {}
            }
            Walk::Continue
        });
        self.anc_kinds = [NO_KIND; 3];
        self.walk_buf = buf;
        if net {
            self.cur.net = self.net.finish();
        }
    }

    fn on_ident(&mut self, n: Node<'a>, anc: &[Node<'a>], decl: Node<'a>) {
        let name = syntax::ident_text(n, self.src, self.clean);
        if self.params.contains(&name) {
            self.on_param_use(n, anc, decl);
        }
        if self.imports.path_of(name).is_some()
            && !(self.anc_kind(anc, 0) == "selector_expression"
                && anc.last().and_then(|p| p.field(F.operand)) == Some(n))
        {
            self.shadow(name);
        }
        self.record_value_ref(true, n, anc);
    }

    /// Lock family: what the locals a declaration introduces hold (before they count as
    /// declared).
    fn lock_decl(&mut self, n: Node<'a>, decl: Node<'a>, short: bool) {
        // A short declaration's sides were read already (`load_sides`).
        let sides = short.then_some((self.sides.0, &self.lhs[..], &self.rhs[..]));
        super::lock::on_decl(
            &mut self.cur.lock,
            n,
            sides,
            decl,
            self.src,
            self.imports,
            &self.declared,
        );
    }

    fn declare_list(&mut self, list: Option<Node<'a>>) {
        let Some(list) = list else { return };
        for id in syntax::expr_list(list) {
            if id.kind_str() == "identifier" {
                self.declared.insert(text(id, self.src));
            }
        }
    }

    /// `f` (an identifier) / `s.run` (a selector) used as a value (passed, stored,
    /// returned), not called.
    fn record_value_ref(&mut self, is_ident: bool, n: Node<'a>, anc: &[Node<'a>]) {
        let Some(parent) = anc.last() else { return };
        let value_position = match self.anc_kind(anc, 0) {
            "argument_list" | "literal_element" | "send_statement" => true,
            "expression_list" => {
                anc.len() >= 2
                    && matches!(
                        self.anc_kind(anc, 1),
                        "return_statement"
                            | "assignment_statement"
                            | "short_var_declaration"
                            | "var_spec"
                    )
                    && anc[anc.len() - 2].field(F.left) != Some(*parent)
            }
            _ => false,
        };
        if !value_position {
            return;
        }
        let name_node = if is_ident {
            n
        } else {
            match n.field(F.field) {
                Some(f) => f,
                None => return,
            }
        };
        let name = text(name_node, self.src);
        if is_ident && self.declared.contains(name) {
            return; // a local variable, not a function
        }
        self.use_of(name).value += 1;
    }

    fn shadow(&mut self, name: &str) {
        if !self.cur.shadowed_imports.iter().any(|s| s == name) {
            self.cur.shadowed_imports.push(name.to_string());
        }
    }

    /// The use counts of `name` (allocating its key only the first time: this runs
    /// for every call).
    fn use_of(&mut self, name: &str) -> &mut UseStats {
        if !self.out.uses.contains_key(name) {
            self.out.uses.insert(name.to_string(), UseStats::default());
        }
        self.out.uses.get_mut(name).expect("inserted above")
    }

    /// The kind of the `k`-th innermost of `anc` (0: the parent; "" past the root),
    /// from the flat array when the walk knows it.
    fn anc_kind(&self, anc: &[Node<'a>], k: usize) -> &'static str {
        match self.anc_kinds.get(k) {
            Some(&id) if id != NO_KIND => syntax::kind_name(id),
            _ => anc
                .len()
                .checked_sub(k + 1)
                .map_or("", |j| anc[j].kind_str()),
        }
    }

    /// How the call whose ancestors are `anc` is made.
    pub(super) fn call_kind(&self, anc: &[Node<'_>]) -> CallKind {
        for k in 0..anc.len() {
            let kind = match self.anc_kinds.get(k) {
                Some(&id) if id != NO_KIND => syntax::kind_name(id),
                _ => anc[anc.len() - 1 - k].kind_str(),
            };
            match kind {
                "parenthesized_expression" => continue,
                "go_statement" => return CallKind::Go,
                "defer_statement" => return CallKind::Defer,
                _ => return CallKind::Plain,
            }
        }
        CallKind::Plain
    }

    pub(super) fn is_import(&self, op: Node<'a>, chain: &[Node<'a>]) -> bool {
        if op.kind_str() != "identifier" {
            return false;
        }
        let name = text(op, self.src);
        self.imports.path_of(name).is_some()
            && (!self.declared.contains(name)
                || sema::resolve_local(name, op, chain, self.src).is_none())
    }

    /// The callee and, into `args`, the arguments of `call` ([`Flat::call_parts`]
    /// when the walk knows the call's index `at`).
    #[allow(clippy::type_complexity)]
    fn call_shape(
        &self,
        call: Node<'a>,
        at: Option<usize>,
        args: &mut Vec<Node<'a>>,
    ) -> Option<(Option<Node<'a>>, Node<'a>)> {
        match at {
            Some(at) => self.flat.call_parts(at, call, Some(args)),
            None => {
                args.clear();
                args.extend(syntax::call_args(call));
                syntax::callee(call)
            }
        }
    }

    fn on_call(&mut self, call: Node<'a>, at: Option<usize>, anc: &[Node<'a>], decl: Node<'a>) {
        // The argument buffer is reused from call to call (taken, then put back).
        let mut args = std::mem::take(&mut self.args);
        if let Some((operand, name_node)) = self.call_shape(call, at, &mut args) {
            self.on_call_parts(call, operand, name_node, &args, anc, decl);
        }
        self.args = args;
    }

    fn on_call_parts(
        &mut self,
        call: Node<'a>,
        operand: Option<Node<'a>>,
        name_node: Node<'a>,
        call_args: &[Node<'a>],
        anc: &[Node<'a>],
        decl: Node<'a>,
    ) {
        let name = syntax::ident_text(name_node, self.src, self.clean);
        // `f(...)` of a builtin or a local func value: no function of the package.
        let not_a_func = operand.is_none()
            && (syntax::is_builtin_func(name)
                || (self.declared.contains(name)
                    && sema::resolve_local(name, name_node, anc, self.src).is_some()));
        if self.scope.net && !not_a_func {
            netfacts::on_call(self, call, operand, (name_node, name), call_args, anc, decl);
        }
        if self.scope.lock {
            // Lock family: blocking calls, channel makes, unlocks (see `index::lock`).
            let site = super::lock::CallAt {
                call,
                op: operand,
                name: name_node,
                fname: name,
                decl,
                args: call_args,
            };
            super::lock::on_call(
                &mut self.cur.lock,
                site,
                anc,
                self.src,
                self.imports,
                &self.declared,
            );
        }
        let kind = self.call_kind(anc);
        // Names inside the call resolve against the call's ancestors (no copy: this runs
        // for every call, and copying the chain would be quadratic in nesting depth).
        let chain = anc;
        // The receiver's access path: `Some(None)` when it is not one. Computed up
        // front only for indexed methods (their calls are facts of their own); for the
        // others only when an argument makes the call worth recording.
        let mut recv: Option<Option<Target>> = None;
        match operand {
            None => {
                if not_a_func {
                    return;
                }
            }
            Some(op) => {
                if self.is_import(op, chain) {
                    return; // a function of another package
                }
                if MethodFact::of_method(name).is_some() {
                    let t = self.target_of(op, chain, decl, true);
                    if let Some(t) = &t {
                        self.cur.method_calls.push(MethodCall {
                            target: t.clone(),
                            method: name.to_string(),
                            at: name_node.start_byte(),
                        });
                    }
                    recv = Some(t);
                }
            }
        }
        let in_init = self.in_init;
        self.use_of(name).bump(kind, in_init);
        let mut targets = std::mem::take(&mut self.arg_targets);
        targets.clear();
        for &a in call_args {
            let a = if a.kind_str() == "variadic_argument" {
                a.named_child(0).unwrap_or(a)
            } else {
                a
            };
            let t = self.target_of(a, chain, decl, false);
            targets.push(t);
        }
        // A call passing nothing we track cannot carry a fact.
        if targets.iter().all(Option::is_none) {
            self.arg_targets = targets;
            return;
        }
        // The buffer goes with the recorded call; the next call starts a new one.
        let args = targets;
        let callee = match operand {
            None => Callee::Func(name.to_string()),
            Some(op) => Callee::Method {
                name: name.to_string(),
                recv: recv.unwrap_or_else(|| self.target_of(op, chain, decl, false)),
            },
        };
        self.cur.calls.push(CallSite {
            callee,
            callees: Vec::new(),
            certain: false,
            args,
            at: call.start_byte(),
            kind,
        });
    }

    /// A use of a parameter of the top-level function: does its value escape here?
    /// (Passing it to a call is judged when the package resolves the callee.)
    fn on_param_use(&mut self, id: Node<'a>, anc: &[Node<'a>], decl: Node<'a>) {
        // The commonest use, `p.x` (or the field `x.p`, no use of `p` at all), lets
        // nothing escape: no need to resolve or classify it.
        if self.anc_kind(anc, 0) == "selector_expression" {
            return;
        }
        let name = text(id, self.src);
        let index = if self.declared.contains(name) {
            let Some(LocalDecl::Param { func, index, .. }) =
                sema::resolve_local(name, id, anc, self.src)
            else {
                return;
            };
            if func != decl {
                return;
            }
            index
        } else {
            // Not redeclared anywhere so far: it is the parameter (a selector's field
            // was left above).
            match self.params.iter().position(|p| *p == name) {
                Some(i) => i,
                None => return,
            }
        };
        if index >= 64 {
            return;
        }
        let escapes = match sema::value_use(id, anc) {
            ValueUse::Returned
            | ValueUse::Sent
            | ValueUse::Element { .. }
            | ValueUse::Assigned { .. } => true,
            ValueUse::Arg { call, .. } => match syntax::callee(call) {
                // Calls of package functions and methods are resolved later; builtins
                // other than `append` only read.
                Some((None, n)) => text(n, self.src) == "append",
                Some((Some(_), _)) => false,
                None => true, // calling a function value
            },
            ValueUse::Selector { .. } | ValueUse::Other | ValueUse::Discarded => false,
        };
        if escapes {
            self.cur.escaping_params |= 1 << index;
        }
    }

    /// `v := x.f`: remember the local `v` as an alias of field `f`.
    /// Read the sides of assignment or short declaration `n` (entry `at`) into
    /// `lhs` / `rhs`, once: the net, lock, alias and declaration parts all need them.
    fn load_sides(&mut self, n: Node<'a>, at: Option<usize>) {
        let flat = self.flat;
        if let Some(at) = at
            && flat.assignment_sides(at, &mut self.lhs, &mut self.rhs)
        {
            self.sides = (true, true);
            return;
        }
        let (left, right) = (n.field(F.left), n.field(F.right));
        self.lhs.clear();
        self.rhs.clear();
        self.lhs
            .extend(left.map(syntax::expr_list).unwrap_or_default());
        self.rhs
            .extend(right.map(syntax::expr_list).unwrap_or_default());
        self.sides = (left.is_some(), right.is_some());
    }

    /// `local := x.field` (the short declaration just visited).
    fn on_alias(&mut self) {
        if self.sides != (true, true) || self.lhs.len() != self.rhs.len() {
            return;
        }
        let (lefts, rights) = (&self.lhs, &self.rhs);
        for (l, r) in lefts.iter().zip(rights.iter()) {
            let r = syntax::unparen(*r);
            if l.kind_str() != "identifier" || r.kind_str() != "selector_expression" {
                continue;
            }
            if let Some(field) = syntax::selector_field(r, self.src) {
                self.cur
                    .field_aliases
                    .push((l.start_byte(), field.to_string()));
            }
        }
    }

    /// The access path an expression denotes, if it is one. `precise`: resolve local
    /// roots to their declaration (needed to match aliases); call arguments only need
    /// parameters, package names and field paths.
    fn target_of(
        &self,
        expr: Node<'a>,
        chain: &[Node<'a>],
        decl: Node<'a>,
        precise: bool,
    ) -> Option<Target> {
        // The root first, without allocating: most expressions are not access paths,
        // or are rooted at an import.
        let expr = syntax::unparen(expr);
        let mut cur = expr;
        let mut depth = 0usize;
        loop {
            match cur.kind_str() {
                "selector_expression" => {
                    cur = syntax::unparen(cur.field(F.operand)?);
                    depth += 1;
                }
                "unary_expression"
                    if matches!(cur.child(0).map(|c| c.kind_str()), Some("&" | "*")) =>
                {
                    cur = syntax::unparen(cur.field(F.operand)?);
                }
                "identifier" => break,
                _ => return None,
            }
        }
        let name = text(cur, self.src);
        let root = if !self.declared.contains(name) {
            if self.recv == Some(name) {
                Root::Recv
            } else if let Some(i) = self.params.iter().position(|p| *p == name) {
                Root::Param(i)
            } else if self.imports.path_of(name).is_some() || name == "_" {
                return None;
            } else {
                Root::PkgVar(name.to_string())
            }
        } else if !precise && self.recv != Some(name) && !self.params.contains(&name) {
            // Surely a local: only its field path matters to argument facts.
            if depth == 0 {
                return None;
            }
            Root::Local(name.to_string(), 0)
        } else {
            match sema::resolve_local(name, cur, chain, self.src) {
                Some(LocalDecl::Param { func, index, .. }) if func == decl => Root::Param(index),
                Some(LocalDecl::Receiver { func, .. }) if func == decl => Root::Recv,
                Some(d) => Root::Local(name.to_string(), d.name_node().start_byte()),
                None => Root::PkgVar(name.to_string()),
            }
        };
        let mut fields = Vec::with_capacity(depth);
        let mut cur = expr;
        while fields.len() < depth {
            if cur.kind_str() == "selector_expression" {
                fields.push(text(cur.field(F.field)?, self.src).to_string());
            }
            cur = syntax::unparen(cur.field(F.operand)?);
        }
        fields.reverse();
        Some(Target { root, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;

    /// Passing over the kinds the body walk does not act on changes no fact, on every
    /// fixture file.
    #[test]
    fn kind_filter_drops_no_fact() {
        use crate::testing::{fixtures_root, load_package, package_dirs};
        let mut checked = 0;
        for dir in package_dirs(&fixtures_root()) {
            for file in load_package(&dir) {
                let imports = Imports::from_file(file.root(), &file.text);
                let facts = |all: bool| {
                    ACT_ON_ALL.set(all);
                    let f = extract_with(
                        file.flat(),
                        &file.text,
                        &imports,
                        &file.lines,
                        FactScope::ALL,
                        false,
                    );
                    ACT_ON_ALL.set(false);
                    format!("{f:?}")
                };
                assert_eq!(facts(true), facts(false), "{}", file.path.display());
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// The call shape and assignment sides read from the array are the tree's, on every call and assignment of every
    /// fixture (comments inside calls, parentheses, generics and broken code included).
    #[test]
    fn call_shape_from_the_array_matches_the_tree() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut files = vec![(
            "inline.go".to_string(),
            "package p\nfunc f() {\n\t(g)(1, /* c */ 2)\n\t(x.y).z(a...)\n\tx . /* c */ m()\n\th[int](3)\n\tfunc() {}()\n\tq(\n}\n"
                .to_string(),
        )];
        for dir in std::fs::read_dir(&root).unwrap() {
            for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                if p.extension().is_some_and(|e| e == "go") {
                    files.push((
                        p.display().to_string(),
                        std::fs::read_to_string(&p).unwrap(),
                    ));
                }
            }
        }
        let (mut calls, mut sides) = (0, 0);
        for (path, text) in files {
            let file = SourceFile::from_string(&path, text).unwrap();
            let flat = file.flat();
            let imports = Imports::default();
            let lines = LineIndex::new(&file.text);
            let clean = !file.root().has_error();
            let w = FileWalk::new(flat, &file.text, &imports, &lines, FactScope::ALL, clean);
            for i in 0..flat.len() {
                if syntax::kind_name(flat.kind(i)) != "call_expression" {
                    continue;
                }
                let call = flat.node(i);
                let mut args = Vec::new();
                let got = w.call_shape(call, Some(i), &mut args);
                assert_eq!(
                    got,
                    syntax::callee(call),
                    "{path}: callee at {}",
                    call.start_byte()
                );
                assert_eq!(
                    args,
                    syntax::call_args(call),
                    "{path}: args at {}",
                    call.start_byte()
                );
                calls += 1;
            }
            // Assignment sides likewise.
            for i in 0..flat.len() {
                let kind = syntax::kind_name(flat.kind(i));
                if !matches!(kind, "short_var_declaration" | "assignment_statement") {
                    continue;
                }
                let n = flat.node(i);
                let (mut l, mut r) = (Vec::new(), Vec::new());
                if flat.assignment_sides(i, &mut l, &mut r) {
                    assert_eq!(Some(l), n.field(F.left).map(syntax::expr_list), "{path}");
                    assert_eq!(Some(r), n.field(F.right).map(syntax::expr_list), "{path}");
                    sides += 1;
                }
            }
        }
        assert!(calls > 500, "only {calls} calls seen");
        assert!(sides > 200, "only {sides} assignments seen");
    }
}
