//! The net family's part of the index: which values are network connections, the
//! reads done on them and the deadlines set on them.
//!
//! Extraction ([`visit`]) runs inside the shared facts walk ([`super::facts`]), one
//! function body at a time and from that file alone: it records, per function,
//! - the locals bound to something network-like ([`NetLocal`]): the result of
//!   `net.Dial*` / `ln.Accept()` (an *origin*), a declared type (`var c net.Conn`), or
//!   an *alias* of another value (`r := bufio.NewReader(c)`, `tc := c.(*net.TCPConn)`,
//!   `t := tls.Server(c, cfg)`, a function literal's parameter bound to its argument);
//! - reads (`c.Read`, `io.ReadFull(c, …)`, `r.ReadString`, `json.NewDecoder(c).Decode`)
//!   and `SetReadDeadline` / `SetDeadline` calls on access paths;
//! - calls that may reach same-package code with something trackable (callees are
//!   resolved when the package is assembled, [`resolve_calls`]);
//! - where connections are stored into struct fields (related locations), and
//!   assignments of the `net/http` timeout fields (`srv.ReadHeaderTimeout = …`).
//!
//! Every check is a cheap name or kind test first; `resolve_local` only runs for
//! names already known to be network-like.
//!
//! The package-wide answers ([`NetIndex`]) are derived lazily, once per package, by
//! bounded fixed points: which receiver/parameter paths each function sets a
//! deadline on (directly or through same-package calls), and which parameters every
//! visible caller hands over with a deadline already set.

use rustc_hash::{FxHashMap, FxHashSet};
use std::ops::Range;

use tree_sitter::Node;

use super::facts::{CallKind, Callee, FileWalk, FuncFacts, Root, Target};
use super::{PackageIndex, TypeKind, TypeRef};
use crate::sema::{self, LocalDecl};
use crate::source::LineCol;
use crate::syntax::{self, F, NodeExt, text};

/// A position kept with line and column, so a diagnostic in another file of the
/// package can point at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pos {
    pub range: Range<usize>,
    pub start: LineCol,
    pub end: LineCol,
}

/// How a local came to be network-like.
#[derive(Clone, Debug)]
pub enum LocalSource {
    /// `c, err := net.Dial(...)` (`accepted == false`) or `c, err := ln.Accept()`.
    Origin { accepted: bool, pos: Pos },
    /// Declared with a type: `var c net.Conn`, `w := &wrapper{...}`.
    Typed { ty: TypeRef, pos: Pos },
    /// The same connection under another name: `x := c`, `tc := c.(*net.TCPConn)`,
    /// `t := tls.Server(c, cfg)`, or a reader built on it (`reader`):
    /// `r := bufio.NewReader(c)`.
    Alias { base: Target, reader: bool },
    /// Known only to have deadlines (`x.SetReadDeadline(...)` on a local of unknown
    /// origin) or to be a callback's connection parameter: its reads and deadlines
    /// are matched, but it is never reported as lacking one.
    Opaque,
}

#[derive(Clone, Debug)]
pub struct NetLocal {
    pub name: String,
    /// Byte offset of the declaring identifier (as in [`Root::Local`]).
    pub decl: usize,
    pub source: LocalSource,
}

/// A read: `target.method(...)` (`method` set) or a standard-library function that
/// reads its argument (`io.ReadFull(target, ...)`, `method == None`).
#[derive(Clone, Debug)]
pub struct NetRead {
    pub target: Target,
    pub method: Option<String>,
    /// The read goes through a reader built right there (`json.NewDecoder(c).Decode`).
    pub through_reader: bool,
    /// The name token of the reading call (the diagnostic's anchor).
    pub at: Range<usize>,
}

/// `target.SetReadDeadline(...)` / `target.SetDeadline(...)`.
#[derive(Clone, Debug)]
pub struct NetDeadline {
    pub target: Target,
    /// Byte offset of the method name.
    pub at: usize,
}

/// A call that may reach same-package code and passes something trackable (as its
/// receiver or an argument).
#[derive(Clone, Debug)]
pub struct NetCall {
    pub callee: Callee,
    /// Filled in when the package is assembled.
    pub callees: Vec<usize>,
    /// The callees were resolved by receiver type (or it is a plain function), not by
    /// method name alone.
    pub certain: bool,
    pub args: Vec<Option<Target>>,
    /// Byte offset of the call.
    pub at: usize,
    /// Kept for calls that hand over a local or a connection parameter.
    pub pos: Option<Pos>,
    pub kind: CallKind,
}

/// A connection stored into a struct field: `s.conn = c`, `&session{conn: c}`.
#[derive(Clone, Debug)]
pub struct FieldStore {
    /// The struct type of a composite literal (`session`), when that is the shape.
    pub owner: Option<String>,
    pub field: String,
    /// The value holding the field (`s` in `s.conn = c`), for its type.
    pub holder: Option<Target>,
    pub value: StoreValue,
    pub pos: Pos,
}

/// What a connection field is given.
#[derive(Clone, Debug)]
pub enum StoreValue {
    /// `s.conn, err = net.Dial(...)`.
    Origin,
    /// A local connection or a connection parameter (`&session{conn: c}`).
    Conn(Target),
    /// The result of a same-package call whose name suggests a connection
    /// (`s.conn, err = s.dial()`): a connection if the callee returns one.
    Call { name: String, method: bool },
}

/// `x.Field = ...` for the `net/http` timeout fields ([`HTTP_FIELDS`]); `field` is
/// `*` for `*x = ...`, which replaces every field.
#[derive(Clone, Debug)]
pub struct FieldSet {
    pub target: Target,
    pub field: String,
    pub at: usize,
}

/// The net facts of one function (nested function literals included).
#[derive(Clone, Debug, Default)]
pub struct NetFacts {
    pub locals: Vec<NetLocal>,
    pub reads: Vec<NetRead>,
    pub deadlines: Vec<NetDeadline>,
    pub calls: Vec<NetCall>,
    pub field_stores: Vec<FieldStore>,
    pub field_sets: Vec<FieldSet>,
}

impl NetFacts {
    fn is_empty(&self) -> bool {
        self.locals.is_empty()
            && self.reads.is_empty()
            && self.deadlines.is_empty()
            && self.calls.is_empty()
            && self.field_stores.is_empty()
            && self.field_sets.is_empty()
    }

    pub fn local(&self, decl: usize) -> Option<&NetLocal> {
        self.locals.iter().find(|l| l.decl == decl)
    }
}

/// The `net/http` fields whose later assignment the composite-literal rules accept.
pub const HTTP_FIELDS: [&str; 5] = [
    "IdleConnTimeout",
    "DisableKeepAlives",
    "Timeout",
    "ReadHeaderTimeout",
    "ReadTimeout",
];

/// Connection types: `(import path, type name)`.
pub const CONN_TYPES: [(&str, &str); 4] = [
    ("net", "Conn"),
    ("net", "TCPConn"),
    ("net", "UnixConn"),
    ("crypto/tls", "Conn"),
];

/// Names an embedded connection field takes (`struct{ net.Conn }` has field `Conn`).
const CONN_FIELD_NAMES: [&str; 3] = ["Conn", "TCPConn", "UnixConn"];

pub fn is_conn_type(t: &TypeRef) -> bool {
    CONN_TYPES.iter().any(|(p, n)| t.is(p, n))
}

/// Standard-library functions that read from one argument: `(path, name, argument)`.
pub(crate) const READ_FUNCS: [(&str, &str, usize); 10] = [
    ("io", "ReadFull", 0),
    ("io", "ReadAtLeast", 0),
    ("io", "ReadAll", 0),
    ("io", "Copy", 1),
    ("io", "CopyN", 1),
    ("io", "CopyBuffer", 1),
    ("io/ioutil", "ReadAll", 0),
    ("encoding/binary", "Read", 0),
    ("net/http", "ReadRequest", 0),
    ("net/http", "ReadResponse", 0),
];

/// Standard-library readers built on their first argument.
const READER_CTORS: [(&str, &str); 13] = [
    ("bufio", "NewReader"),
    ("bufio", "NewReaderSize"),
    ("bufio", "NewScanner"),
    ("bufio", "NewReadWriter"),
    ("encoding/csv", "NewReader"),
    ("net/textproto", "NewReader"),
    ("net/textproto", "NewConn"),
    ("encoding/json", "NewDecoder"),
    ("encoding/xml", "NewDecoder"),
    ("encoding/gob", "NewDecoder"),
    ("io", "LimitReader"),
    ("io", "TeeReader"),
    ("io/ioutil", "NopCloser"),
];

/// Wrappers that are the same connection (deadlines forward to it).
const CONN_WRAPPERS: [(&str, &str); 2] = [("crypto/tls", "Server"), ("crypto/tls", "Client")];

/// Package functions returning a new connection (and an error).
const ORIGIN_FUNCS: [(&str, &str); 6] = [
    ("net", "Dial"),
    ("net", "DialTimeout"),
    ("net", "DialTCP"),
    ("net", "DialUnix"),
    ("crypto/tls", "Dial"),
    ("crypto/tls", "DialWithDialer"),
];

/// Methods of the standard readers that read, besides those named `Read...`.
pub(crate) const READER_METHODS: [&str; 9] = [
    "Peek",
    "Discard",
    "WriteTo",
    "Scan",
    "Decode",
    "DecodeElement",
    "DecodeValue",
    "Token",
    "RawToken",
];

/// Methods of the standard readers (and of `*tls.Conn`'s `Read`) that read.
pub fn is_reader_method(name: &str) -> bool {
    name.starts_with("Read") || READER_METHODS.contains(&name)
}

/// Per-function extraction state, owned by the facts walk.
#[derive(Default)]
pub(super) struct NetWalk<'a> {
    /// Names of the locals in `facts.locals`: only these are worth resolving.
    names: FxHashSet<&'a str>,
    /// Recorded locals whose name has been declared only once so far in the function:
    /// every use refers to that declaration (Go declares before use).
    unique: FxHashMap<&'a str, usize>,
    /// Bit n: parameter n is declared with a connection type.
    conn_params: u64,
    facts: NetFacts,
}

impl NetWalk<'_> {
    pub(super) fn finish(&mut self) -> Option<Box<NetFacts>> {
        let facts = std::mem::take(&mut self.facts);
        (!facts.is_empty()).then(|| Box::new(facts))
    }
}

/// The net family's hook into the facts walk: called for every node of a function
/// body, before the walk's own handling of it (calls come through [`on_call`], with
/// the callee the walk has already split).
pub(super) fn visit<'a>(
    w: &mut FileWalk<'a>,
    kind: &str,
    n: Node<'a>,
    anc: &[Node<'a>],
    decl: Node<'a>,
) {
    if !w.net.unique.is_empty() {
        redeclared(w, kind, n);
    }
    match kind {
        "short_var_declaration" => on_bind(w, n, anc, decl, true),
        "assignment_statement" => on_bind(w, n, anc, decl, false),
        "var_spec" => on_var_spec(w, n, anc, decl),
        "keyed_element" => on_keyed(w, n, anc, decl),
        "func_literal" => on_literal(w, n, anc, decl),
        _ => {}
    }
}

/// A declaration of a name already recorded as declared once: from now on its uses
/// need a scope lookup.
fn redeclared<'a>(w: &mut FileWalk<'a>, kind: &str, n: Node<'a>) {
    let src = w.src;
    let drop_list = |w: &mut FileWalk<'a>, list: Option<Node<'a>>| {
        if let Some(list) = list {
            let mut c = list.walk();
            let ids: Vec<Node<'a>> = if list.kind_str() == "expression_list" {
                list.named_children(&mut c).collect()
            } else {
                vec![list]
            };
            for id in ids {
                if id.kind_str() == "identifier" {
                    w.net.unique.remove(text(id, src));
                }
            }
        }
    };
    match kind {
        "short_var_declaration" => drop_list(w, n.field(F.left)),
        "range_clause" | "receive_statement" if syntax::has_token(n, ":=") => {
            drop_list(w, n.field(F.left))
        }
        "type_switch_statement" => drop_list(w, n.field(F.alias)),
        "var_spec" | "const_spec" => {
            let ids: Vec<Node<'a>> = syntax::name_children(n).collect();
            for id in ids {
                w.net.unique.remove(text(id, src));
            }
        }
        "func_literal" => {
            if let Some(p) = n.field(F.parameters) {
                for (_, id, _) in sema::param_names(p, src) {
                    if let Some(id) = id {
                        w.net.unique.remove(text(id, src));
                    }
                }
            }
        }
        _ => {}
    }
}

/// Start a function: reset the state and note which parameters are connections.
pub(super) fn begin<'a>(w: &mut FileWalk<'a>, decl: Node<'a>) {
    w.net.names.clear();
    w.net.unique.clear();
    w.net.conn_params = 0;
    w.net.facts = NetFacts::default();
    let Some(params) = decl.field(F.parameters) else {
        return;
    };
    // Cheap text test first: most parameters are not connections.
    if !text(params, w.src).contains("Conn") {
        return;
    }
    for (i, _, ty) in sema::param_names(params, w.src) {
        if i < 64 && is_conn_type_node(w, ty) {
            w.net.conn_params |= 1 << i;
        }
    }
}

/// Whether a written type is a connection type (cheap name test first).
fn is_conn_type_node(w: &FileWalk<'_>, ty: Node<'_>) -> bool {
    text(ty, w.src).ends_with("Conn") && is_conn_type(&TypeRef::from_node(ty, w.src, w.imports))
}

fn pos(w: &FileWalk<'_>, range: Range<usize>) -> Pos {
    Pos {
        start: w.lines.line_col(w.src, range.start),
        end: w.lines.line_col(w.src, range.end),
        range,
    }
}

/// The import path `op` names, when it is a package (not shadowed).
fn import_path<'a>(w: &FileWalk<'a>, op: Node<'a>, anc: &[Node<'a>]) -> Option<&'a str> {
    if op.kind_str() != "identifier" {
        return None;
    }
    let path = w.imports.path_of(text(op, w.src))?;
    w.is_import(op, anc).then_some(path)
}

/// `(path, name)` of a call of a package-level function of another package.
fn pkg_call<'a>(w: &FileWalk<'a>, call: Node<'a>, anc: &[Node<'a>]) -> Option<(&'a str, &'a str)> {
    let (op, name) = syntax::callee(call)?;
    let path = import_path(w, op?, anc)?;
    Some((path, text(name, w.src)))
}

/// The access path an expression denotes (through parentheses, `&`, `*` and type
/// assertions). Locals are only resolved when they are known to be network-like.
fn target<'a>(
    w: &FileWalk<'a>,
    expr: Node<'a>,
    anc: &[Node<'a>],
    decl: Node<'a>,
) -> Option<Target> {
    target_with(w, expr, anc, decl, false)
}

/// [`target`], resolving any local when `all` (for rare shapes only).
fn target_with<'a>(
    w: &FileWalk<'a>,
    expr: Node<'a>,
    anc: &[Node<'a>],
    decl: Node<'a>,
    all: bool,
) -> Option<Target> {
    target_full(w, expr, anc, decl, all, true)
}

/// The access path of `expr`. `all`: resolve any local (rare shapes only);
/// `pkgvar`: package-level roots are wanted. Nothing is allocated until the root is
/// known to be wanted.
fn target_full<'a>(
    w: &FileWalk<'a>,
    expr: Node<'a>,
    anc: &[Node<'a>],
    decl: Node<'a>,
    all: bool,
    pkgvar: bool,
) -> Option<Target> {
    const MAX: usize = 8;
    let mut field_nodes: [Option<Node<'a>>; MAX] = [None; MAX];
    let mut n = 0;
    let mut cur = syntax::unparen(expr);
    loop {
        match cur.kind_str() {
            "selector_expression" => {
                if n == MAX {
                    return None;
                }
                field_nodes[n] = Some(cur.field(F.field)?);
                n += 1;
                cur = syntax::unparen(cur.field(F.operand)?);
            }
            "unary_expression" if matches!(cur.child(0).map(|c| c.kind_str()), Some("&" | "*")) => {
                cur = syntax::unparen(cur.field(F.operand)?);
            }
            "type_assertion_expression" => cur = syntax::unparen(cur.field(F.operand)?),
            "identifier" => break,
            _ => return None,
        }
    }
    let name = text(cur, w.src);
    if name == "_" {
        return None;
    }
    let root = if !w.declared.contains(name) {
        if w.recv == Some(name) {
            Root::Recv
        } else if let Some(i) = w.params.iter().position(|p| *p == name) {
            Root::Param(i)
        } else if !pkgvar || w.imports.path_of(name).is_some() {
            return None;
        } else {
            Root::PkgVar(name.to_string())
        }
    } else if let Some(&d) = w.net.unique.get(name) {
        // Declared once in this function, by a binding we recorded: no scope lookup.
        Root::Local(name.to_string(), d)
    } else if all || w.net.names.contains(name) || w.recv == Some(name) || w.params.contains(&name)
    {
        match sema::resolve_local(name, cur, anc, w.src) {
            Some(LocalDecl::Param { func, index, .. }) if func == decl => Root::Param(index),
            Some(LocalDecl::Receiver { func, .. }) if func == decl => Root::Recv,
            Some(d) => Root::Local(name.to_string(), d.name_node().start_byte()),
            None if pkgvar => Root::PkgVar(name.to_string()),
            None => return None,
        }
    } else {
        return None;
    };
    let fields = field_nodes[..n]
        .iter()
        .rev()
        .flatten()
        .map(|f| text(*f, w.src).to_string())
        .collect();
    Some(Target { root, fields })
}

/// The identifier an access-path expression starts at (through parentheses, `&`,
/// `*`, selectors and type assertions).
fn root_ident(e: Node<'_>) -> Option<Node<'_>> {
    let mut cur = syntax::unparen(e);
    for _ in 0..16 {
        match cur.kind_str() {
            "identifier" => return Some(cur),
            "selector_expression" | "type_assertion_expression" => {
                cur = syntax::unparen(cur.field(F.operand)?)
            }
            "unary_expression" if matches!(cur.child(0).map(|c| c.kind_str()), Some("&" | "*")) => {
                cur = syntax::unparen(cur.field(F.operand)?)
            }
            _ => return None,
        }
    }
    None
}

/// Whether a target is worth recording as the base of an alias or an argument.
fn trackable(t: &Target) -> bool {
    match &t.root {
        Root::Local(..) | Root::Param(_) => true,
        Root::Recv => !t.fields.is_empty(),
        Root::PkgVar(_) => false,
    }
}

/// The connection a reader expression is built on: `c`, `bufio.NewReader(c)`,
/// `textproto.NewReader(bufio.NewReader(c))`, `tls.Server(c, cfg)`. The flag says
/// whether a standard reader sits in between.
fn reader_base<'a>(
    w: &FileWalk<'a>,
    expr: Node<'a>,
    anc: &[Node<'a>],
    decl: Node<'a>,
) -> Option<(Target, bool)> {
    let mut cur = syntax::unparen(expr);
    let mut via = false;
    for _ in 0..4 {
        if cur.kind_str() != "call_expression" {
            break;
        }
        let (path, name) = pkg_call(w, cur, anc)?;
        if READER_CTORS.contains(&(path, name)) {
            via = true;
        } else if !CONN_WRAPPERS.contains(&(path, name)) {
            return None;
        }
        cur = syntax::unparen(*syntax::call_args(cur).first()?);
    }
    target(w, cur, anc, decl).map(|t| (t, via))
}

pub(super) fn on_call<'a>(
    w: &mut FileWalk<'a>,
    call: Node<'a>,
    op: Option<Node<'a>>,
    // The callee's name token and its text.
    (name_node, name): (Node<'a>, &'a str),
    args: &[Node<'a>],
    anc: &[Node<'a>],
    decl: Node<'a>,
) {
    let at = name_node.start_byte()..name_node.start_byte() + name.len();
    let Some(op) = op else {
        // `f(...)`: a same-package function (the caller left out builtins and local
        // func values).
        record_call(w, call, None, name, args, anc, decl);
        return;
    };
    if let Some(path) = import_path(w, op, anc) {
        // A function of another package: only the reading ones matter.
        if let Some(&(_, _, k)) = READ_FUNCS.iter().find(|(p, n, _)| *p == path && *n == name)
            && let Some(arg) = args.get(k)
            && let Some((t, via)) = reader_base(w, *arg, anc, decl)
        {
            w.net.facts.reads.push(NetRead {
                target: t,
                method: None,
                through_reader: via,
                at,
            });
        }
        return;
    }
    if matches!(name, "SetReadDeadline" | "SetDeadline") {
        let t = target(w, op, anc, decl).or_else(|| opaque_local(w, op, anc));
        if let Some(t) = t {
            w.net.facts.deadlines.push(NetDeadline {
                target: t,
                at: at.start,
            });
        }
    } else if is_reader_method(name)
        && let Some((t, via)) = reader_base(w, op, anc, decl)
    {
        w.net.facts.reads.push(NetRead {
            target: t,
            method: Some(name.to_string()),
            through_reader: via,
            at,
        });
    }
    record_call(w, call, Some(op), name, args, anc, decl);
}

/// A deadline set on a local we did not track: remember the local (as opaque) so
/// later reads on it are matched with this deadline.
fn opaque_local<'a>(w: &mut FileWalk<'a>, op: Node<'a>, anc: &[Node<'a>]) -> Option<Target> {
    let op = syntax::unparen(op);
    if op.kind_str() != "identifier" {
        return None;
    }
    let name = text(op, w.src);
    if !w.declared.contains(name) {
        return None;
    }
    let d = sema::resolve_local(name, op, anc, w.src)?;
    let LocalDecl::Local { name: id, .. } = d else {
        return None;
    };
    let decl = id.start_byte();
    add_local(w, name, decl, LocalSource::Opaque);
    Some(Target {
        root: Root::Local(name.to_string(), decl),
        fields: Vec::new(),
    })
}

fn add_local<'a>(w: &mut FileWalk<'a>, name: &'a str, decl: usize, source: LocalSource) {
    if w.net.facts.local(decl).is_some() {
        return;
    }
    if !w.declared.contains(name) {
        // The first declaration of this name (the walk records it after this hook).
        w.net.unique.insert(name, decl);
    }
    w.net.names.insert(name);
    w.net.facts.locals.push(NetLocal {
        name: name.to_string(),
        decl,
        source,
    });
}

/// Record a call that may reach same-package code with something trackable.
fn record_call<'a>(
    w: &mut FileWalk<'a>,
    call: Node<'a>,
    op: Option<Node<'a>>,
    name: &str,
    call_args: &[Node<'a>],
    anc: &[Node<'a>],
    decl: Node<'a>,
) {
    // Cheap test first (no allocation): does any operand start at the receiver, a
    // parameter or a tracked local?
    let interesting = |e: Node<'a>| {
        root_ident(e).is_some_and(|id| {
            let n = text(id, w.src);
            w.recv == Some(n) || w.params.contains(&n) || w.net.names.contains(n)
        })
    };
    let any_arg = call_args.iter().any(|&a| {
        let a = if a.kind_str() == "variadic_argument" {
            a.named_child(0).unwrap_or(a)
        } else {
            a
        };
        interesting(a)
    });
    if !any_arg && !op.is_some_and(interesting) {
        return;
    }
    let recv = op.and_then(|o| target_full(w, o, anc, decl, false, false));
    let args: Vec<Option<Target>> = call_args
        .iter()
        .map(|&a| {
            let a = if a.kind_str() == "variadic_argument" {
                a.named_child(0).unwrap_or(a)
            } else {
                a
            };
            target_full(w, a, anc, decl, false, false).filter(trackable)
        })
        .collect();
    if recv.is_none() && args.iter().all(Option::is_none) {
        return;
    }
    // Line and column only where a related location may point: calls handing over
    // a tracked local or a connection parameter.
    let hands_conn = args.iter().flatten().any(|t| {
        t.fields.is_empty()
            && match t.root {
                Root::Local(..) => true,
                Root::Param(i) => i < 64 && w.net.conn_params & (1 << i) != 0,
                _ => false,
            }
    });
    let callee = match op {
        None => Callee::Func(name.to_string()),
        Some(_) => Callee::Method {
            name: name.to_string(),
            recv,
        },
    };
    let kind = w.call_kind(anc);
    let pos = hands_conn.then(|| pos(w, call.start_byte()..call.end_byte()));
    w.net.facts.calls.push(NetCall {
        callee,
        callees: Vec::new(),
        certain: false,
        args,
        at: call.start_byte(),
        pos,
        kind,
    });
}

/// What a right-hand side binds its left-hand side to.
enum Bound {
    Origin { accepted: bool },
    Alias { base: Target, reader: bool },
    Typed(TypeRef),
}

/// Classify a right-hand side. `results` is the number of names it is assigned to.
fn bound<'a>(
    w: &FileWalk<'a>,
    value: Node<'a>,
    results: usize,
    anc: &[Node<'a>],
    decl: Node<'a>,
) -> Option<Bound> {
    let value = syntax::unparen(value);
    match value.kind_str() {
        "call_expression" => {
            let (op, name) = syntax::callee(value)?;
            let name = text(name, w.src);
            let op = op?;
            let nargs = syntax::call_args(value).len();
            if let Some(path) = import_path(w, op, anc) {
                if ORIGIN_FUNCS.contains(&(path, name)) {
                    return (results == 2).then_some(Bound::Origin { accepted: false });
                }
                if results == 1
                    && (READER_CTORS.contains(&(path, name))
                        || CONN_WRAPPERS.contains(&(path, name)))
                {
                    let (base, reader) = reader_base(w, value, anc, decl)?;
                    return Some(Bound::Alias { base, reader });
                }
                return None;
            }
            if results != 2 {
                return None;
            }
            match (name, nargs) {
                ("Accept" | "AcceptTCP" | "AcceptUnix", 0) => {
                    Some(Bound::Origin { accepted: true })
                }
                ("Dial", 2) | ("DialContext", 3) => Some(Bound::Origin { accepted: false }),
                _ => None,
            }
        }
        "composite_literal" => {
            let ty = value.field(F.ty)?;
            (results == 1 && ty.kind_str() == "type_identifier")
                .then(|| Bound::Typed(TypeRef::from_node(ty, w.src, w.imports)))
        }
        "unary_expression" => {
            let inner = syntax::unparen(value.field(F.operand)?);
            if inner.kind_str() == "composite_literal" {
                return bound(w, inner, results, anc, decl);
            }
            let base = target(w, value, anc, decl).filter(trackable)?;
            (results == 1).then_some(Bound::Alias {
                base,
                reader: false,
            })
        }
        "type_assertion_expression" => {
            let base = target(w, value, anc, decl).filter(trackable)?;
            (results <= 2).then_some(Bound::Alias {
                base,
                reader: false,
            })
        }
        "identifier" | "selector_expression" => {
            let base = target(w, value, anc, decl).filter(trackable)?;
            (results == 1).then_some(Bound::Alias {
                base,
                reader: false,
            })
        }
        _ => None,
    }
}

/// The local a left-hand identifier binds: declared here by `:=` (unless it
/// redeclares a name of the same scope), or resolved for `=`.
fn lhs_local<'a>(
    w: &FileWalk<'a>,
    id: Node<'a>,
    stmt: Node<'a>,
    anc: &[Node<'a>],
    define: bool,
) -> Option<usize> {
    let name = text(id, w.src);
    if !w.declared.contains(name) {
        // Not declared before in this function: `:=` declares it; `=` assigns a
        // parameter or a package variable (not a local).
        return define.then_some(id.start_byte());
    }
    match sema::resolve_local(name, id, anc, w.src) {
        Some(LocalDecl::Local { stmt: s, name, .. }) => {
            if !define || s.parent() == stmt.parent() {
                Some(name.start_byte())
            } else {
                Some(id.start_byte())
            }
        }
        _ => define.then_some(id.start_byte()),
    }
}

/// `a, b := x, y` / `a, b = x, y`.
fn on_bind<'a>(
    w: &mut FileWalk<'a>,
    stmt: Node<'a>,
    anc: &[Node<'a>],
    decl: Node<'a>,
    define: bool,
) {
    // The sides the walk read for this statement (`FileWalk::load_sides`), taken
    // for the call and put back.
    if w.sides != (true, true) {
        return;
    }
    let lefts = std::mem::take(&mut w.lhs);
    let rights = std::mem::take(&mut w.rhs);
    on_bind_sides(w, stmt, &lefts, &rights, anc, decl, define);
    w.lhs = lefts;
    w.rhs = rights;
}

fn on_bind_sides<'a>(
    w: &mut FileWalk<'a>,
    stmt: Node<'a>,
    lefts: &[Node<'a>],
    rights: &[Node<'a>],
    anc: &[Node<'a>],
    decl: Node<'a>,
    define: bool,
) {
    // Cheap shape filter before any allocation: a value worth classifying, or (for
    // `=`) a field or `*x` on the left.
    let interesting_value = |r: Node<'_>| {
        matches!(
            syntax::unparen(r).kind_str(),
            "call_expression"
                | "composite_literal"
                | "unary_expression"
                | "type_assertion_expression"
                | "identifier"
                | "selector_expression"
        )
    };
    let field_lhs = |l: Node<'_>| {
        matches!(
            syntax::unparen(l).kind_str(),
            "selector_expression" | "unary_expression"
        )
    };
    if !rights.iter().any(|&r| interesting_value(r))
        && (define || !lefts.iter().any(|&l| field_lhs(l)))
    {
        return;
    }
    if !define {
        // `srv.ReadHeaderTimeout = ...`, and `*srv = other` (every field replaced).
        for l in lefts {
            let l = syntax::unparen(*l);
            if l.kind_str() == "unary_expression"
                && l.child(0).is_some_and(|c| c.kind_str() == "*")
                && let Some(op) = l.field(F.operand)
                && let Some(t) = target_with(w, op, anc, decl, true)
            {
                w.net.facts.field_sets.push(FieldSet {
                    target: t,
                    field: "*".to_string(),
                    at: l.start_byte(),
                });
                continue;
            }
            if let Some(field) = syntax::selector_field(l, w.src)
                && HTTP_FIELDS.contains(&field)
                && let Some(op) = l.field(F.operand)
                && let Some(t) = target_with(w, op, anc, decl, true)
            {
                w.net.facts.field_sets.push(FieldSet {
                    target: t,
                    field: field.to_string(),
                    at: l.start_byte(),
                });
            }
        }
    }
    let Some(pairs) = bind_pairs(lefts, rights) else {
        return;
    };
    for (l, r, results) in pairs {
        let l = syntax::unparen(l);
        // Cheap shape filter before classifying the value.
        if !matches!(
            syntax::unparen(r).kind_str(),
            "call_expression"
                | "composite_literal"
                | "unary_expression"
                | "type_assertion_expression"
                | "identifier"
                | "selector_expression"
        ) {
            continue;
        }
        match l.kind_str() {
            "identifier" => {
                let name = text(l, w.src);
                if name == "_" {
                    continue;
                }
                let Some(b) = bound(w, r, results, anc, decl) else {
                    continue;
                };
                let Some(at) = lhs_local(w, l, stmt, anc, define) else {
                    continue;
                };
                let source = match b {
                    Bound::Origin { accepted } => LocalSource::Origin {
                        accepted,
                        pos: pos(w, r.start_byte()..r.end_byte()),
                    },
                    Bound::Alias { base, reader } => LocalSource::Alias { base, reader },
                    Bound::Typed(ty) => LocalSource::Typed {
                        ty,
                        pos: pos(w, l.start_byte()..l.end_byte()),
                    },
                };
                add_local(w, name, at, source);
            }
            "selector_expression" => {
                let Some(field) = syntax::selector_field(l, w.src) else {
                    continue;
                };
                let value = match bound(w, r, results, anc, decl) {
                    Some(Bound::Origin { .. }) => Some(StoreValue::Origin),
                    Some(Bound::Alias {
                        base,
                        reader: false,
                    }) if is_conn_value(w, &base) => Some(StoreValue::Conn(base)),
                    _ => conn_call(w, r, anc),
                };
                if let Some(value) = value {
                    let p = pos(w, stmt.start_byte()..stmt.end_byte());
                    let holder = l.field(F.operand).and_then(|op| target(w, op, anc, decl));
                    w.net.facts.field_stores.push(FieldStore {
                        owner: None,
                        field: field.to_string(),
                        holder,
                        value,
                        pos: p,
                    });
                }
            }
            _ => {}
        }
    }
}

/// `dial(...)` / `s.dialConn(...)`: a same-package call whose name says it makes a
/// connection (a cheap filter; the callee's result type decides later).
fn conn_call<'a>(w: &FileWalk<'a>, value: Node<'a>, anc: &[Node<'a>]) -> Option<StoreValue> {
    let value = syntax::unparen(value);
    if value.kind_str() != "call_expression" {
        return None;
    }
    let (op, name) = syntax::callee(value)?;
    let name = text(name, w.src);
    let lower = name.to_ascii_lowercase();
    if !(lower.contains("dial") || lower.contains("conn") || lower.contains("accept")) {
        return None;
    }
    match op {
        Some(op) => {
            if import_path(w, op, anc).is_some() {
                return None;
            }
        }
        None => {
            if syntax::is_builtin_func(name) || w.declared.contains(name) {
                return None;
            }
        }
    }
    Some(StoreValue::Call {
        name: name.to_string(),
        method: op.is_some(),
    })
}

/// Whether a recorded base is a connection as far as this function can tell: a
/// local with an origin, or a parameter declared with a connection type.
fn is_conn_value(w: &FileWalk<'_>, t: &Target) -> bool {
    if !t.fields.is_empty() {
        return false;
    }
    match &t.root {
        Root::Param(i) => *i < 64 && w.net.conn_params & (1 << i) != 0,
        Root::Local(_, decl) => match w.net.facts.local(*decl).map(|l| &l.source) {
            Some(LocalSource::Origin { .. }) => true,
            Some(LocalSource::Typed { ty, .. }) => is_conn_type(ty),
            _ => false,
        },
        _ => false,
    }
}

/// `var c net.Conn`, `var c, err = net.Dial(...)`.
fn on_var_spec<'a>(w: &mut FileWalk<'a>, spec: Node<'a>, anc: &[Node<'a>], decl: Node<'a>) {
    let names: Vec<Node<'a>> = syntax::name_children(spec)
        .filter(|n| n.kind_str() == "identifier")
        .collect();
    if let Some(ty) = spec.field(F.ty) {
        let tref = TypeRef::from_node(ty, w.src, w.imports);
        if is_conn_type(&tref) || (tref.is_local_named() && tref.kind == TypeKind::Named) {
            for id in &names {
                let p = pos(w, id.start_byte()..id.end_byte());
                add_local(
                    w,
                    text(*id, w.src),
                    id.start_byte(),
                    LocalSource::Typed {
                        ty: tref.clone(),
                        pos: p,
                    },
                );
            }
            return;
        }
    }
    let Some(values) = spec.field(F.value) else {
        return;
    };
    let values = syntax::expr_list(values);
    let Some(pairs) = bind_pairs(&names, &values) else {
        return;
    };
    for (id, v, results) in pairs {
        let Some(b) = bound(w, v, results, anc, decl) else {
            continue;
        };
        let source = match b {
            Bound::Origin { accepted } => LocalSource::Origin {
                accepted,
                pos: pos(w, v.start_byte()..v.end_byte()),
            },
            Bound::Alias { base, reader } => LocalSource::Alias { base, reader },
            Bound::Typed(ty) => LocalSource::Typed {
                ty,
                pos: pos(w, id.start_byte()..id.end_byte()),
            },
        };
        add_local(w, text(id, w.src), id.start_byte(), source);
    }
}

/// `&session{conn: c}`: where a connection is stored into a field.
fn on_keyed<'a>(w: &mut FileWalk<'a>, el: Node<'a>, anc: &[Node<'a>], decl: Node<'a>) {
    let (Some(key), Some(value)) = (el.field(F.key), el.field(F.value)) else {
        return;
    };
    let Some(v) = value.named_child(0) else {
        return;
    };
    let v = syntax::unparen(v);
    // Cheap filter: a name we track, or a connection parameter.
    if v.kind_str() != "identifier" {
        return;
    }
    let vname = text(v, w.src);
    if !w.net.names.contains(vname) && !w.params.contains(&vname) {
        return;
    }
    let Some(t) = target(w, v, anc, decl) else {
        return;
    };
    if !is_conn_value(w, &t) {
        return;
    }
    // keyed_element <- literal_value <- composite_literal
    let owner = anc
        .len()
        .checked_sub(2)
        .map(|i| anc[i])
        .filter(|l| l.kind_str() == "composite_literal")
        .and_then(|l| l.field(F.ty))
        .filter(|t| t.kind_str() == "type_identifier")
        .map(|t| text(t, w.src).to_string());
    let p = pos(w, el.start_byte()..el.end_byte());
    w.net.facts.field_stores.push(FieldStore {
        owner,
        field: text(key, w.src).trim().to_string(),
        holder: None,
        value: StoreValue::Conn(t),
        pos: p,
    });
}

/// A function literal's parameters: bound to the arguments when the literal is
/// called right there (`go func(c net.Conn) {...}(conn)`); a callback's connection
/// parameter is opaque (its caller is unknown).
fn on_literal<'a>(w: &mut FileWalk<'a>, lit: Node<'a>, anc: &[Node<'a>], decl: Node<'a>) {
    let Some(params) = lit.field(F.parameters) else {
        return;
    };
    let list = sema::param_names(params, w.src);
    if list.is_empty() {
        return;
    }
    // Called right here? func_literal <- (parens) <- call_expression(function)
    let mut child = lit;
    let mut call = None;
    for (i, p) in anc.iter().enumerate().rev() {
        match p.kind_str() {
            "parenthesized_expression" => child = *p,
            "call_expression" if p.field(F.function) == Some(child) => {
                call = Some((i, *p));
                break;
            }
            _ => break,
        }
    }
    let args = call.map(|(_, c)| syntax::call_args(c)).unwrap_or_default();
    for (i, id, ty) in list {
        let Some(id) = id else { continue };
        let name = text(id, w.src);
        let base = call.and_then(|(ci, _)| {
            let a = *args.get(i)?;
            reader_base(w, a, &anc[..ci], decl)
        });
        match base {
            Some((base, reader)) if trackable(&base) => add_local(
                w,
                name,
                id.start_byte(),
                LocalSource::Alias { base, reader },
            ),
            _ => {
                if is_conn_type_node(w, ty) {
                    add_local(w, name, id.start_byte(), LocalSource::Opaque);
                }
            }
        }
    }
}

/// Resolve the recorded calls of function `fi` against the package (called once per
/// function while the package index is assembled).
pub(super) fn resolve_calls(idx: &PackageIndex, fi: usize, f: &mut FuncFacts) {
    let Some(net) = f.net.as_deref_mut() else {
        return;
    };
    let locals = std::mem::take(&mut net.locals);
    for call in &mut net.calls {
        // A method of a standard connection (`c.Read`, `c.Close`) is not package code,
        // whatever the package's own methods are called.
        if let Callee::Method {
            recv:
                Some(Target {
                    root: Root::Local(_, decl),
                    fields,
                }),
            ..
        } = &call.callee
            && fields.is_empty()
            && locals.iter().any(|l| {
                l.decl == *decl
                    && match &l.source {
                        LocalSource::Origin { .. } => true,
                        LocalSource::Typed { ty, .. } => is_conn_type(ty),
                        _ => false,
                    }
            })
        {
            call.certain = true;
            continue;
        }
        (call.callees, call.certain) = idx.resolve_callee(fi, &call.callee);
    }
    net.locals = locals;
}

// ---------------------------------------------------------------------------------
// Package-wide answers.
// ---------------------------------------------------------------------------------

/// A recorded access path followed through the function's aliases to what it
/// denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canon {
    /// The path as typed (`s.conn`, `w.Conn`).
    pub path: Target,
    /// The connection's identity: `path` without trailing embedded-connection fields
    /// (`w.Conn` and `w` are one connection).
    pub key: Target,
    /// A standard reader sits between the recorded value and the connection.
    pub through_reader: bool,
}

/// Where a connection comes from, as the rules report it.
#[derive(Clone, Debug)]
pub enum ConnOrigin {
    /// A local: `Origin` or `Typed` source.
    Local(NetLocal),
    /// The n-th parameter (itself the connection).
    Param(usize),
    /// The receiver itself (its type embeds a connection).
    Receiver,
    /// A struct field (of the receiver, a parameter or a local).
    Field,
    /// A package-level variable.
    PkgVar,
}

/// A value the net rules treat as a connection.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    pub canon: Canon,
    pub origin: ConnOrigin,
    /// For a field or the receiver: the same-package type that holds the connection.
    pub owner: Option<String>,
}

/// Derived, package-wide facts of the net family.
#[derive(Debug, Default)]
pub struct NetIndex {
    /// Per function: receiver- and parameter-rooted paths (canonical keys) that get a
    /// read deadline in it, directly or through same-package calls.
    pub paths: Vec<Vec<Target>>,
    /// Per function: the canonical keys that get a deadline in it (directly or through
    /// a same-package call), with the byte offset where.
    pub deadlines: Vec<Vec<(Target, usize)>>,
    /// Per function, bit n: some same-package call (resolved by type) passes as
    /// argument n a connection the caller obtained, or one handed to it in turn.
    pub passed_conn: Vec<u64>,
    /// [`NetIndex::passed_conn`] counting only callers outside `_test.go` files: what
    /// a test harness hands a function says nothing about production code.
    pub passed_conn_prod: Vec<u64>,
    /// Per function: receiver- and parameter-rooted paths (canonical keys) that some
    /// same-package caller sets a deadline on before the call (or that are covered on
    /// entry of a caller that passes them on).
    pub entry: Vec<Vec<Target>>,
}

const MAX_PATHS: usize = 32;
const MAX_FIELDS: usize = 6;

impl PackageIndex {
    /// The net family's derived facts (computed on first use).
    pub fn net(&self) -> &NetIndex {
        self.net.get_or_init(|| NetIndex::build(self))
    }

    /// Follow `t` through the aliases of function `func`.
    pub fn net_canon(&self, func: usize, t: &Target) -> Canon {
        let mut path = t.clone();
        let mut via = false;
        if let Some(net) = self.facts.get(func).and_then(|f| f.net.as_deref()) {
            for _ in 0..8 {
                let Root::Local(_, decl) = path.root else {
                    break;
                };
                match net.local(decl).map(|l| &l.source) {
                    Some(LocalSource::Alias { base, reader }) => {
                        via |= *reader;
                        let mut fields = base.fields.clone();
                        fields.extend(path.fields);
                        path = Target {
                            root: base.root.clone(),
                            fields,
                        };
                    }
                    _ => break,
                }
            }
        }
        let mut key = path.clone();
        while key
            .fields
            .last()
            .is_some_and(|f| CONN_FIELD_NAMES.contains(&f.as_str()))
        {
            key.fields.pop();
        }
        Canon {
            path,
            key,
            through_reader: via,
        }
    }

    /// The type of a path rooted at a declared type, through same-package struct fields.
    fn path_type(&self, start: TypeRef, fields: &[String]) -> Option<TypeRef> {
        let mut ty = start;
        for f in fields {
            if !ty.is_local_named() {
                return None;
            }
            ty = self.field_type(&ty.name, f)?.clone();
        }
        Some(ty)
    }

    /// The declared type of an access path's root in function `func`.
    fn root_type(&self, func: usize, root: &Root) -> Option<TypeRef> {
        let f = self.funcs.get(func)?;
        match root {
            Root::Param(i) => Some(f.params.get(*i)?.ty.clone()),
            Root::Recv => {
                let r = f.recv.as_ref()?;
                Some(TypeRef {
                    text: r.type_name.clone(),
                    pointer: r.pointer,
                    pkg: None,
                    name: r.type_name.clone(),
                    kind: TypeKind::Named,
                })
            }
            Root::PkgVar(name) => self.vars.get(name)?.ty.clone(),
            Root::Local(_, decl) => {
                let net = self.facts.get(func)?.net.as_deref()?;
                match &net.local(*decl)?.source {
                    LocalSource::Typed { ty, .. } => Some(ty.clone()),
                    _ => None,
                }
            }
        }
    }

    /// Whether a same-package struct type embeds a connection (so its promoted
    /// methods read and set deadlines on it).
    pub fn embeds_conn(&self, ty: &str) -> bool {
        let mut cur = vec![ty.to_string()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for t in &cur {
                let Some(st) = self.structs.get(t) else {
                    continue;
                };
                for f in st.fields.iter().filter(|f| f.embedded) {
                    if is_conn_type(&f.ty) {
                        return true;
                    }
                    if f.ty.is_local_named() {
                        next.push(f.ty.name.clone());
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            cur = next;
        }
        false
    }

    /// A same-package type whose own `Read` sets a deadline on what it wraps (or that
    /// embeds such a type without a `Read` of its own): reads through it carry their
    /// deadline.
    fn carries_deadline(&self, ty: &str, paths: &[Vec<Target>]) -> bool {
        let mut cur = ty.to_string();
        for _ in 0..3 {
            if let Some(read) = self.func_by_key(&format!("{cur}.Read")) {
                return paths
                    .get(read)
                    .is_some_and(|ps| ps.iter().any(|p| p.root == Root::Recv));
            }
            let Some(next) = self.structs.get(&cur).and_then(|st| {
                st.fields
                    .iter()
                    .find(|f| f.embedded && f.ty.is_local_named())
                    .map(|f| f.ty.name.clone())
            }) else {
                return false;
            };
            cur = next;
        }
        false
    }

    /// Whether reads through a same-package type carry their own deadline.
    pub fn type_carries_deadline(&self, ty: &str) -> bool {
        self.carries_deadline(ty, &self.net().paths)
    }

    /// Whether `t` (in function `func`) is a connection the net rules track, and where
    /// it comes from. `None` for anything else, including opaque locals and types
    /// whose `Read` sets its own deadline.
    pub fn net_conn(&self, func: usize, t: &Target) -> Option<ConnInfo> {
        self.conn_info(func, t, &self.net().paths)
    }

    fn conn_info(&self, func: usize, t: &Target, paths: &[Vec<Target>]) -> Option<ConnInfo> {
        let canon = self.net_canon(func, t);
        let f = self.funcs.get(func)?;
        let p = &canon.path;
        let (start, origin) = match &p.root {
            Root::Local(_, decl) => {
                let net = self.facts.get(func)?.net.as_deref()?;
                let local = net.local(*decl)?;
                match &local.source {
                    LocalSource::Origin { .. } if p.fields.is_empty() => {
                        return Some(ConnInfo {
                            canon,
                            origin: ConnOrigin::Local(local.clone()),
                            owner: None,
                        });
                    }
                    LocalSource::Typed { ty, .. } => {
                        let origin = if p.fields.is_empty() {
                            ConnOrigin::Local(local.clone())
                        } else {
                            ConnOrigin::Field
                        };
                        (ty.clone(), origin)
                    }
                    _ => return None,
                }
            }
            Root::Param(i) => {
                let ty = f.params.get(*i)?.ty.clone();
                let origin = if p.fields.is_empty() {
                    ConnOrigin::Param(*i)
                } else {
                    ConnOrigin::Field
                };
                (ty, origin)
            }
            Root::Recv => {
                let r = f.recv.as_ref()?;
                let ty = TypeRef {
                    text: r.type_name.clone(),
                    pointer: r.pointer,
                    pkg: None,
                    name: r.type_name.clone(),
                    kind: TypeKind::Named,
                };
                let origin = if p.fields.is_empty() {
                    ConnOrigin::Receiver
                } else {
                    ConnOrigin::Field
                };
                (ty, origin)
            }
            Root::PkgVar(name) => (self.vars.get(name)?.ty.clone()?, ConnOrigin::PkgVar),
        };
        let owner = match origin {
            ConnOrigin::Receiver => Some(start.name.clone()),
            ConnOrigin::Field => self
                .path_type(start.clone(), &p.fields[..p.fields.len() - 1])
                .filter(TypeRef::is_local_named)
                .map(|t| t.name),
            _ => None,
        };
        let ty = self.path_type(start, &p.fields)?;
        let conn = is_conn_type(&ty)
            || (ty.is_local_named()
                && self.embeds_conn(&ty.name)
                && !self.carries_deadline(&ty.name, paths));
        conn.then_some(ConnInfo {
            canon,
            origin,
            owner,
        })
    }

    /// Whether function `func` is declared in a `_test.go` file.
    pub fn in_test_file(&self, func: usize) -> bool {
        self.funcs
            .get(func)
            .and_then(|f| self.files.get(f.file))
            .is_some_and(|f| f.is_test)
    }

    /// Whether the package itself obtains a connection that it stores in field
    /// `field` (of type `owner` when known): from `net.Dial` / `Accept`, a local or
    /// parameter connection it was handed by a same-package caller, or a
    /// same-package function returning one. A field only ever filled from outside
    /// (a parameter of an exported constructor) holds the caller's connection, whose
    /// deadlines the caller owns.
    pub fn field_obtained_here(&self, field: &str, owner: Option<&str>, with_tests: bool) -> bool {
        let returns_conn = |g: usize| {
            self.funcs[g].results.first().is_some_and(|t| {
                is_conn_type(t) || (t.is_local_named() && self.embeds_conn(&t.name))
            })
        };
        self.facts.iter().enumerate().any(|(g, f)| {
            let Some(net) = f.net.as_deref() else {
                return false;
            };
            if !with_tests && self.in_test_file(g) {
                return false;
            }
            net.field_stores.iter().any(|s| {
                if s.field != field {
                    return false;
                }
                let store_owner = s.owner.clone().or_else(|| {
                    let h = s.holder.as_ref()?;
                    let ty = self.path_type(self.root_type(g, &h.root)?, &h.fields)?;
                    ty.is_local_named().then_some(ty.name)
                });
                // Owners must match; a store whose owner is unknown is no evidence
                // for a field whose owner is known (another type's field of that name).
                match (store_owner.as_deref(), owner) {
                    (Some(a), Some(b)) if a != b => return false,
                    (None, Some(_)) => return false,
                    _ => {}
                }
                match &s.value {
                    StoreValue::Origin => true,
                    StoreValue::Conn(t) => match self.net_conn(g, t).map(|i| i.origin) {
                        Some(ConnOrigin::Param(i)) => {
                            self.net().param_passed_conn(g, i, with_tests)
                        }
                        Some(_) => true,
                        None => false,
                    },
                    StoreValue::Call { name, method } => {
                        if *method {
                            self.methods_named(name).any(returns_conn)
                        } else {
                            self.func_named(name).is_some_and(returns_conn)
                        }
                    }
                }
            })
        })
    }

    /// Whether a same-package type hands deadline control to its users: it declares
    /// its own `SetReadDeadline` / `SetDeadline`, or it is exported and embeds a
    /// connection (whose deadline methods it promotes). Reads inside its methods
    /// leave the deadline to whoever holds the value.
    pub fn delegates_deadlines(&self, ty: &str) -> bool {
        self.func_by_key(&format!("{ty}.SetReadDeadline")).is_some()
            || self.func_by_key(&format!("{ty}.SetDeadline")).is_some()
            || (ty.chars().next().is_some_and(char::is_uppercase) && self.embeds_conn(ty))
    }

    /// The recorded value a callee's receiver- or parameter-rooted path maps to at a
    /// call site.
    fn at_call(call: &NetCall, p: &Target) -> Option<Target> {
        let base = match p.root {
            // A receiver matched by method name alone may be any type's.
            Root::Recv if !call.certain => return None,
            Root::Recv => match &call.callee {
                Callee::Method { recv: Some(r), .. } => r.clone(),
                _ => return None,
            },
            Root::Param(j) => call.args.get(j)?.clone()?,
            _ => return None,
        };
        let mut fields = base.fields;
        fields.extend(p.fields.iter().cloned());
        if fields.len() > MAX_FIELDS {
            return None;
        }
        Some(Target {
            root: base.root,
            fields,
        })
    }
}

impl NetIndex {
    fn build(idx: &PackageIndex) -> NetIndex {
        let n = idx.funcs.len();
        let nets: Vec<Option<&NetFacts>> = idx.facts.iter().map(|f| f.net.as_deref()).collect();

        // 1. Receiver/parameter paths with a deadline, closed under same-package calls.
        let mut paths: Vec<Vec<Target>> = vec![Vec::new(); n];
        for (f, net) in nets.iter().enumerate() {
            let Some(net) = net else { continue };
            for d in &net.deadlines {
                let c = idx.net_canon(f, &d.target);
                if matches!(c.key.root, Root::Recv | Root::Param(_)) && !paths[f].contains(&c.key) {
                    paths[f].push(c.key);
                }
            }
        }
        for _round in 0..16 {
            let mut changed = false;
            for (f, net) in nets.iter().enumerate() {
                let Some(net) = net else { continue };
                for call in &net.calls {
                    for &g in &call.callees {
                        if g == f && paths[g].is_empty() {
                            continue;
                        }
                        for k in 0..paths[g].len() {
                            let Some(mapped) = PackageIndex::at_call(call, &paths[g][k]) else {
                                continue;
                            };
                            let key = idx.net_canon(f, &mapped).key;
                            if matches!(key.root, Root::Recv | Root::Param(_))
                                && paths[f].len() < MAX_PATHS
                                && !paths[f].contains(&key)
                            {
                                paths[f].push(key);
                                changed = true;
                            }
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }

        // 2. Every deadline of each function, by canonical key, with its offset.
        let mut deadlines: Vec<Vec<(Target, usize)>> = vec![Vec::new(); n];
        for (f, net) in nets.iter().enumerate() {
            let Some(net) = net else { continue };
            for d in &net.deadlines {
                deadlines[f].push((idx.net_canon(f, &d.target).key, d.at));
            }
            for call in &net.calls {
                for &g in &call.callees {
                    for p in &paths[g] {
                        if let Some(mapped) = PackageIndex::at_call(call, p) {
                            deadlines[f].push((idx.net_canon(f, &mapped).key, call.at));
                        }
                    }
                }
            }
        }

        // 3. Parameters handed a connection that some caller obtained (an origin, a
        //    declared local or a field: not merely its own parameter, unless that one
        //    is handed a connection in turn), through calls resolved by type.
        let passed = |with_tests: bool| -> Vec<u64> {
            let mut passed_conn = vec![0u64; n];
            // (caller, callee, arg index, caller's param it passes on)
            let mut forwards: Vec<(usize, usize, usize, usize)> = Vec::new();
            for (f, net) in nets.iter().enumerate() {
                let Some(net) = net else { continue };
                if !with_tests && idx.in_test_file(f) {
                    continue;
                }
                for call in net.calls.iter().filter(|c| c.certain) {
                    for (j, arg) in call.args.iter().enumerate().take(64) {
                        let Some(arg) = arg else { continue };
                        let Some(info) = idx.conn_info(f, arg, &paths) else {
                            continue;
                        };
                        for &g in &call.callees {
                            match info.origin {
                                ConnOrigin::Param(p) if p < 64 => forwards.push((f, g, j, p)),
                                ConnOrigin::Param(_) => {}
                                _ => passed_conn[g] |= 1 << j,
                            }
                        }
                    }
                }
            }
            for _round in 0..16 {
                let mut changed = false;
                for &(f, g, j, p) in &forwards {
                    if passed_conn[f] & (1 << p) != 0 && passed_conn[g] & (1 << j) == 0 {
                        passed_conn[g] |= 1 << j;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            passed_conn
        };
        let passed_conn = passed(true);
        let passed_conn_prod = passed(false);

        // 4. Receiver/parameter paths a caller sets a deadline on before the call
        //    (or that are covered on entry of a caller that passes them on).
        let mut entry: Vec<Vec<Target>> = vec![Vec::new(); n];
        for _round in 0..16 {
            let mut changed = false;
            for (f, net) in nets.iter().enumerate() {
                let Some(net) = net else { continue };
                for call in &net.calls {
                    if call.callees.is_empty() {
                        continue;
                    }
                    // Where each callee-side root comes from in the caller.
                    let mut roots: Vec<(Root, Target)> = Vec::new();
                    if call.certain
                        && let Callee::Method { recv: Some(r), .. } = &call.callee
                    {
                        roots.push((Root::Recv, idx.net_canon(f, r).key));
                    }
                    for (j, a) in call.args.iter().enumerate() {
                        if let Some(a) = a {
                            roots.push((Root::Param(j), idx.net_canon(f, a).key));
                        }
                    }
                    let set: Vec<&Target> = deadlines[f]
                        .iter()
                        .filter(|(_, at)| *at < call.at)
                        .map(|(k, _)| k)
                        .chain(entry[f].iter())
                        .collect();
                    let mut found: Vec<Target> = Vec::new();
                    for k in set {
                        for (root, base) in &roots {
                            if k.root == base.root && k.fields.starts_with(&base.fields) {
                                found.push(Target {
                                    root: root.clone(),
                                    fields: k.fields[base.fields.len()..].to_vec(),
                                });
                            }
                        }
                    }
                    for t in found {
                        for &g in &call.callees {
                            if entry[g].len() < MAX_PATHS && !entry[g].contains(&t) {
                                entry[g].push(t.clone());
                                changed = true;
                            }
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        NetIndex {
            paths,
            deadlines,
            passed_conn,
            passed_conn_prod,
            entry,
        }
    }

    /// Whether function `func` sets a deadline on the connection with key `key`
    /// (directly, or through a same-package function it passes it to).
    pub fn has_deadline(&self, func: usize, key: &Target) -> bool {
        self.deadlines
            .get(func)
            .is_some_and(|ds| ds.iter().any(|(k, _)| k == key))
    }

    /// Deadlines on `key` in `func` whose offset lies in `range`.
    pub fn deadline_in(&self, func: usize, key: &Target, range: Range<usize>) -> bool {
        self.deadlines
            .get(func)
            .is_some_and(|ds| ds.iter().any(|(k, at)| k == key && range.contains(at)))
    }

    /// Whether some same-package caller passes a connection as argument `param` of
    /// `func`. `with_tests`: count callers in `_test.go` files (for functions that are
    /// themselves in test files).
    pub fn param_passed_conn(&self, func: usize, param: usize, with_tests: bool) -> bool {
        let bits = if with_tests {
            &self.passed_conn
        } else {
            &self.passed_conn_prod
        };
        param < 64 && bits.get(func).is_some_and(|b| b & (1 << param) != 0)
    }

    /// Whether some same-package caller sets a deadline on `key` (rooted at the
    /// receiver or a parameter of `func`) before calling `func`.
    pub fn covered_on_entry(&self, func: usize, key: &Target) -> bool {
        self.entry.get(func).is_some_and(|e| e.contains(key))
    }
}

/// Each name with the value it is bound to and how many results that value yields:
/// `a, b := f()` gives `(a, f(), 2)`; `a, b := x, y` gives `(a, x, 1), (b, y, 1)`.
/// `None` when the counts cannot match.
fn bind_pairs<'a>(
    names: &[Node<'a>],
    values: &[Node<'a>],
) -> Option<Vec<(Node<'a>, Node<'a>, usize)>> {
    if values.len() == 1 && names.len() > 1 {
        Some(vec![(names[0], values[0], names.len())])
    } else if values.len() == names.len() {
        Some(names.iter().zip(values).map(|(n, v)| (*n, *v, 1)).collect())
    } else {
        None
    }
}
