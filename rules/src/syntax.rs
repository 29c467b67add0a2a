//! Small, allocation-free helpers over tree-sitter-go nodes. Every traversal here is
//! iterative: deeply nested input must not overflow the stack.

use tree_sitter::Node;

/// Nodes nested deeper than this are not analysed (they are still walked, so comments
/// are found): no real Go code nests a thousand levels, and per-node work that depends
/// on depth must stay bounded on hostile input.
pub const MAX_NESTING: usize = 1000;

/// What a preorder visitor wants next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// Visit this node's children.
    Continue,
    /// Skip this node's children.
    Skip,
    /// End the whole walk.
    Stop,
}

/// Iterative preorder walk of `root` and its descendants (named and anonymous).
pub fn walk<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> Walk) {
    walk_depth(root, |n, _| visit(n));
}

/// [`walk`], with each node's depth below `root` (0 for `root`): the one cursor
/// preorder every whole-tree pass is built on.
pub fn walk_depth<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>, usize) -> Walk) {
    let mut cursor = root.walk();
    // Depth below `root` (cheaper than comparing the cursor's node with `root`).
    let mut depth = 0usize;
    'outer: loop {
        match visit(cursor.node(), depth) {
            Walk::Stop => return,
            Walk::Continue if cursor.goto_first_child() => {
                depth += 1;
                continue;
            }
            _ => {}
        }
        loop {
            if depth == 0 {
                return;
            }
            if cursor.goto_next_sibling() {
                continue 'outer;
            }
            if !cursor.goto_parent() {
                return;
            }
            depth -= 1;
        }
    }
}

/// The last child of `node` (named or not).
pub fn last_child<'t>(node: Node<'t>) -> Option<Node<'t>> {
    node.child(node.child_count().checked_sub(1)? as u32)
}

/// Walk `root`'s subtree without entering nested function literals (their bodies run
/// at another time, in another frame).
pub fn walk_same_func<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> Walk) {
    walk(root, |n| {
        if n != root && n.kind_str() == "func_literal" {
            return Walk::Skip;
        }
        visit(n)
    })
}

/// A node that starts a new function frame.
pub fn is_func(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration" | "method_declaration" | "func_literal"
    )
}

/// Text of a node (empty when out of range).
pub fn text<'s>(node: Node<'_>, src: &'s str) -> &'s str {
    src.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

/// The text of an identifier token. In a file that parsed without error (`clean`) it
/// is read from the source up to the first byte that cannot continue an identifier
/// (there, nothing else can follow one directly), not up to the node's end: that is a
/// read of the tree, a cache miss on most identifiers a pass looks at.
#[inline]
pub fn ident_text<'s>(ident: Node<'_>, src: &'s str, clean: bool) -> &'s str {
    if clean {
        let start = ident.start_byte();
        let len = src.as_bytes()[start..]
            .iter()
            .take_while(|&&b| b == b'_' || b.is_ascii_alphanumeric() || b >= 0x80)
            .count();
        return &src[start..start + len];
    }
    text(ident, src)
}

/// Strip any number of enclosing parentheses.
pub fn unparen(mut node: Node<'_>) -> Node<'_> {
    while node.kind_str() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The parent, skipping parentheses.
pub fn parent_unparen(node: Node<'_>) -> Option<Node<'_>> {
    let mut p = node.parent()?;
    while p.kind_str() == "parenthesized_expression" {
        p = p.parent()?;
    }
    Some(p)
}

/// Statements of a block-like node (`block`, case clauses, `source_file`), skipping comments.
pub fn statements<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let list = match node.kind_str() {
        "block" | "communication_case" | "expression_case" | "default_case" | "type_case" => {
            let mut c = node.walk();
            node.named_children(&mut c)
                .find(|n| n.kind_str() == "statement_list")
        }
        "statement_list" => Some(node),
        _ => None,
    };
    let Some(list) = list else {
        return Vec::new();
    };
    let mut c = list.walk();
    list.named_children(&mut c)
        .filter(|n| n.kind_str() != "comment")
        .collect()
}

/// For a `call_expression`: the operand of a selector callee (if any) and the callee's
/// name token (`field_identifier` or `identifier`).
pub fn callee<'t>(call: Node<'t>) -> Option<(Option<Node<'t>>, Node<'t>)> {
    // Positional children first (the grammar puts the function first and a selector's
    // field last); a field lookup costs several times more and this runs per call.
    let first = call.child(0)?;
    let f = if first.is_named() && first.kind_str() != "comment" {
        unparen(first)
    } else {
        unparen(call.field(F.function)?)
    };
    match f.kind_str() {
        "selector_expression" => {
            let last = last_child(f)?;
            let field = if last.kind_str() == "field_identifier" {
                last
            } else {
                f.field(F.field)?
            };
            let op = f.child(0).filter(|o| o.kind_str() != "comment");
            let op = match op {
                Some(o) => o,
                None => f.field(F.operand)?,
            };
            Some((Some(unparen(op)), field))
        }
        "identifier" => Some((None, f)),
        // Generic instantiation: `f[T](x)`.
        "index_expression" | "type_instantiation_expression" => {
            let inner = f.field(F.operand).or_else(|| f.field(F.ty))?;
            let inner = unparen(inner);
            match inner.kind_str() {
                "identifier" => Some((None, inner)),
                "selector_expression" => Some((
                    Some(unparen(inner.field(F.operand)?)),
                    inner.field(F.field)?,
                )),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Arguments of a `call_expression` (named children of its `argument_list`).
pub fn call_args<'t>(call: Node<'t>) -> Vec<Node<'t>> {
    let Some(list) = call_arg_list(call) else {
        return Vec::new();
    };
    short_named_children(list).collect()
}

/// The `argument_list` of a call (its last child, unless the call is malformed).
pub fn call_arg_list<'t>(call: Node<'t>) -> Option<Node<'t>> {
    let last = last_child(call)?;
    if last.kind_str() == "argument_list" {
        Some(last)
    } else {
        call.field(F.arguments)
    }
}

/// The names and values of `a, b := x, y`, `a = x` or `var a, b = x, y`; `None` for
/// other nodes and for a `var_spec` without values.
pub fn assignment_sides(stmt: Node<'_>) -> Option<(Vec<Node<'_>>, Vec<Node<'_>>)> {
    match stmt.kind_str() {
        "short_var_declaration" | "assignment_statement" => Some((
            expr_list(stmt.field(F.left)?),
            expr_list(stmt.field(F.right)?),
        )),
        "var_spec" => {
            let names: Vec<Node> = name_children(stmt).collect();
            Some((names, expr_list(stmt.field(F.value)?)))
        }
        _ => None,
    }
}

/// Named children of an `expression_list` (or the node itself when it is not a list).
pub fn expr_list<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    if node.kind_str() != "expression_list" {
        return vec![node];
    }
    short_named_children(node).collect()
}

/// Named children other than comments, of a node with few children (argument and
/// expression lists): by index, since a cursor allocates and costs more per step.
pub fn short_named_children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    (0..node.named_child_count() as u32)
        .filter_map(move |i| node.named_child(i))
        .filter(|n| n.kind_str() != "comment")
}

/// The `name` children of a spec or declaration (`var a, b T`, `a, b int`), without
/// a cursor (see [`short_named_children`]).
pub fn name_children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    (0..node.child_count() as u32)
        .filter(move |&i| node.field_name_for_child(i) == Some("name"))
        .filter_map(move |i| node.child(i))
}

/// Whether an anonymous child token of `node` has kind `tok` (e.g. `:=` in a range clause).
pub fn has_token(node: Node<'_>, tok: &str) -> bool {
    (0..node.child_count() as u32)
        .filter_map(|i| node.child(i))
        .any(|n| !n.is_named() && n.kind_str() == tok)
}

/// The `field` name of a selector expression.
pub fn selector_field<'s>(sel: Node<'_>, src: &'s str) -> Option<&'s str> {
    if sel.kind_str() != "selector_expression" {
        return None;
    }
    sel.field(F.field).map(|f| text(f, src))
}

/// The innermost enclosing function node (declaration or literal).
pub fn enclosing_func(node: Node<'_>) -> Option<Node<'_>> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if is_func(n.kind_str()) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// The outermost enclosing function: the top-level declaration, or the outermost
/// literal of a package-level initialiser.
pub fn outermost_func(node: Node<'_>) -> Option<Node<'_>> {
    let mut found = None;
    let mut cur = node.parent();
    while let Some(n) = cur {
        if is_func(n.kind_str()) {
            found = Some(n);
        }
        cur = n.parent();
    }
    found
}

/// Whether `inner` lies within `outer` (inclusive).
pub fn contains(outer: Node<'_>, inner: Node<'_>) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

/// The label of a `labeled_statement` wrapping `stmt`, if any.
pub fn label_of<'s>(stmt: Node<'_>, src: &'s str) -> Option<&'s str> {
    let p = stmt.parent()?;
    if p.kind_str() == "labeled_statement" {
        p.field(F.label).map(|l| text(l, src))
    } else {
        None
    }
}

/// The label name of a `break` / `continue` / `goto` statement.
pub fn jump_label<'s>(stmt: Node<'_>, src: &'s str) -> Option<&'s str> {
    let mut c = stmt.walk();
    stmt.named_children(&mut c)
        .find(|n| n.kind_str() == "label_name")
        .map(|n| text(n, src))
}

/// Whether an unlabelled `break` at `brk` leaves `loop_node` (it does unless an inner
/// `for`, `switch` or `select` catches it first).
pub fn unlabelled_break_targets(brk: Node<'_>, loop_node: Node<'_>) -> bool {
    let mut cur = brk.parent();
    while let Some(n) = cur {
        if n == loop_node {
            return true;
        }
        match n.kind_str() {
            "for_statement"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "select_statement" => return false,
            k if is_func(k) => return false,
            _ => {}
        }
        cur = n.parent();
    }
    false
}

/// Whether a call expression is `panic(...)`, `os.Exit(...)`, `log.Fatal*(...)`,
/// `runtime.Goexit()` or `t.Fatal*`-like: a call that never returns.
pub fn is_noreturn_call(call: Node<'_>, src: &str) -> bool {
    let Some((operand, name)) = callee(call) else {
        return false;
    };
    let name = text(name, src);
    match operand {
        None => name == "panic",
        Some(op) => {
            let op = text(op, src);
            (op == "os" && name == "Exit")
                || (op == "runtime" && name == "Goexit")
                || (matches!(op, "log" | "klog" | "glog" | "logrus")
                    && (name.starts_with("Fatal") || name.starts_with("Panic")))
        }
    }
}

/// Whether the statement always transfers control away (a terminating statement in the
/// sense of the Go spec, limited to what a syntax tree shows).
pub fn is_terminating(stmt: Node<'_>, src: &str) -> bool {
    is_terminating_at(stmt, src, 0)
}

fn is_terminating_at(stmt: Node<'_>, src: &str, depth: u32) -> bool {
    // `else if` chains nest: cap the depth instead of trusting the input.
    if depth > 64 {
        return false;
    }
    let is_terminating = |s: Node<'_>, src: &str| is_terminating_at(s, src, depth + 1);
    match stmt.kind_str() {
        "return_statement" | "goto_statement" => true,
        "expression_statement" => stmt
            .named_child(0)
            .map(unparen)
            .is_some_and(|e| e.kind_str() == "call_expression" && is_noreturn_call(e, src)),
        "block" => statements(stmt)
            .last()
            .is_some_and(|s| is_terminating(*s, src)),
        "if_statement" => {
            let cons = stmt.field(F.consequence);
            let alt = stmt.field(F.alternative);
            match (cons, alt) {
                (Some(c), Some(a)) => is_terminating(c, src) && is_terminating(a, src),
                _ => false,
            }
        }
        "labeled_statement" => stmt.named_child(1).is_some_and(|s| is_terminating(s, src)),
        _ => false,
    }
}

/// Iterative preorder walk that also hands each node its ancestors (`base` first, then
/// the chain from `root` down to the node's parent).
pub fn walk_with_ancestors<'t>(
    root: Node<'t>,
    base: &[Node<'t>],
    mut visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Walk,
) {
    let mut stack: Vec<Node<'t>> = base.to_vec();
    let mut cursor = root.walk();
    'outer: loop {
        let node = cursor.node();
        match visit(node, &stack) {
            Walk::Stop => return,
            Walk::Continue if cursor.goto_first_child() => {
                stack.push(node);
                continue;
            }
            _ => {}
        }
        loop {
            if stack.len() == base.len() {
                return; // back at `root`
            }
            if cursor.goto_next_sibling() {
                continue 'outer;
            }
            if !cursor.goto_parent() {
                return;
            }
            stack.pop();
        }
    }
}

/// Whether `node` is the function part of a call (`f` in `f(x)`, `x.m` in `x.m()`).
pub fn is_callee(node: Node<'_>) -> bool {
    let Some(p) = parent_unparen(node) else {
        return false;
    };
    p.kind_str() == "call_expression" && p.field(F.function).map(unparen) == Some(node)
}

/// Go's predeclared functions.
pub fn is_builtin_func(name: &str) -> bool {
    matches!(
        name,
        "append"
            | "cap"
            | "clear"
            | "close"
            | "complex"
            | "copy"
            | "delete"
            | "imag"
            | "len"
            | "make"
            | "max"
            | "min"
            | "new"
            | "panic"
            | "print"
            | "println"
            | "real"
            | "recover"
    )
}

/// Visit every node of a tree once with a cursor (the parse-only benchmark baseline:
/// the same traversal the engine does, without dispatch).
pub fn count_nodes(tree: &tree_sitter::Tree) -> usize {
    let mut n = 0usize;
    walk(tree.root_node(), |node| {
        n += 1;
        std::hint::black_box(node.kind_id());
        Walk::Continue
    });
    n
}

/// Field ids of the grammar, looked up once. `child_by_field_name` compares the name
/// against every field of the language on each call; hot paths use these ids instead.
pub struct FieldIds {
    pub alias: FieldId,
    pub alternative: FieldId,
    pub arguments: FieldId,
    pub body: FieldId,
    pub channel: FieldId,
    pub communication: FieldId,
    pub condition: FieldId,
    pub consequence: FieldId,
    pub field: FieldId,
    pub function: FieldId,
    pub initializer: FieldId,
    pub key: FieldId,
    pub label: FieldId,
    pub left: FieldId,
    pub name: FieldId,
    pub operand: FieldId,
    pub operator: FieldId,
    pub package: FieldId,
    pub parameters: FieldId,
    pub path: FieldId,
    pub receiver: FieldId,
    pub result: FieldId,
    pub right: FieldId,
    pub ty: FieldId,
    pub update: FieldId,
    pub value: FieldId,
}

pub type FieldId = std::num::NonZeroU16;

pub static F: std::sync::LazyLock<FieldIds> = std::sync::LazyLock::new(|| {
    let l = crate::source::language();
    let id = |n: &str| {
        l.field_id_for_name(n)
            .unwrap_or_else(|| panic!("tree-sitter-go has no field `{n}`"))
    };
    FieldIds {
        alias: id("alias"),
        alternative: id("alternative"),
        arguments: id("arguments"),
        body: id("body"),
        channel: id("channel"),
        communication: id("communication"),
        condition: id("condition"),
        consequence: id("consequence"),
        field: id("field"),
        function: id("function"),
        initializer: id("initializer"),
        key: id("key"),
        label: id("label"),
        left: id("left"),
        name: id("name"),
        operand: id("operand"),
        operator: id("operator"),
        package: id("package"),
        parameters: id("parameters"),
        path: id("path"),
        receiver: id("receiver"),
        result: id("result"),
        right: id("right"),
        ty: id("type"),
        update: id("update"),
        value: id("value"),
    }
});

static KIND_NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let l = crate::source::language();
    (0..l.node_kind_count() as u16)
        .map(|id| l.node_kind_for_id(id).unwrap_or(""))
        .collect()
});

/// The kind id of a named node kind (`u16::MAX` for a kind the grammar lacks).
pub fn kind_id_of(name: &str) -> u16 {
    match crate::source::language().id_for_node_kind(name, true) {
        0 => u16::MAX,
        id => id,
    }
}

/// The name of kind id `id` (`"call_expression"`, ...): for kinds read from a
/// [`crate::flat::Flat`] array, without touching the tree.
#[inline]
pub fn kind_name(id: u16) -> &'static str {
    KIND_NAMES.get(id as usize).copied().unwrap_or("ERROR")
}

/// Cheap accessors: `Node::kind` re-validates the C string as UTF-8 on every call.
pub trait NodeExt<'t> {
    /// The node's kind (`"call_expression"`, ...), from a table.
    fn kind_str(&self) -> &'static str;
    /// Child by field id.
    fn field(&self, id: FieldId) -> Option<Node<'t>>;
}

impl<'t> NodeExt<'t> for Node<'t> {
    #[inline]
    fn kind_str(&self) -> &'static str {
        kind_name(self.kind_id())
    }

    #[inline]
    fn field(&self, id: FieldId) -> Option<Node<'t>> {
        self.child_by_field_id(id.get())
    }
}
