//! A parsed file's named nodes, flattened once into preorder.
//!
//! Stepping a tree-sitter cursor costs about as much per node as everything the
//! fact extraction and the rule dispatch do with it, and both walk every function
//! body. So the tree is walked with a cursor once, into this array, and both passes
//! iterate the array instead: the whole lint costs one cursor walk, like the
//! parse-only baseline. Anonymous nodes (punctuation, keywords) are left out: they are
//! leaves, no pass dispatches on them, and rules reach them through their parent.

use std::marker::PhantomData;

use tree_sitter::{Node, Tree, ffi::TSNode};

use crate::syntax::Walk;

/// Whether each kind id is a named kind (ids past the table: `ERROR`, named).
static NAMED_KINDS: std::sync::LazyLock<Vec<bool>> = std::sync::LazyLock::new(|| {
    let l = crate::source::language();
    (0..l.node_kind_count() as u16)
        .map(|id| l.node_kind_is_named(id))
        .collect()
});

static COMMENT_KIND: std::sync::LazyLock<u16> =
    std::sync::LazyLock::new(|| crate::syntax::kind_id_of("comment"));

/// Kind ids [`Flat::call_parts`] compares against.
struct CallKinds {
    comment: u16,
    argument_list: u16,
    parenthesized_expression: u16,
    identifier: u16,
    selector_expression: u16,
    field_identifier: u16,
    expression_list: u16,
}

static CALL_KINDS: std::sync::LazyLock<CallKinds> = std::sync::LazyLock::new(|| {
    let id = crate::syntax::kind_id_of;
    CallKinds {
        comment: id("comment"),
        argument_list: id("argument_list"),
        parenthesized_expression: id("parenthesized_expression"),
        identifier: id("identifier"),
        selector_expression: id("selector_expression"),
        field_identifier: id("field_identifier"),
        expression_list: id("expression_list"),
    }
});

/// A node handle without its tree pointer (the same for every entry, kept once in
/// [`FlatTree`]): 28 bytes instead of 48, and the array is written once and read by
/// every pass, so its size is cache misses (and, for the biggest packages, peak
/// memory). The node's id (a pointer) is split in two words so that nothing pads it.
#[derive(Clone, Copy)]
#[repr(C)]
struct Entry {
    /// The handle's context: start byte, row and column.
    start: [u32; 3],
    /// The handle's alias symbol (its fourth context word).
    alias: u16,
    kind: u16,
    /// The node's id, low word first.
    id: [u32; 2],
    /// Index just past this node's subtree.
    end: u32,
}

impl Entry {
    #[inline]
    fn id(&self) -> usize {
        (u64::from(self.id[1]) << 32 | u64::from(self.id[0])) as usize
    }

    #[inline]
    fn id_words(id: *const std::ffi::c_void) -> [u32; 2] {
        let id = id.expose_provenance() as u64;
        [id as u32, (id >> 32) as u32]
    }
}

/// The named nodes of one tree, in preorder. Built by [`crate::SourceFile::flat`].
pub struct FlatTree {
    entries: Vec<Entry>,
    tree: *const tree_sitter::ffi::TSTree,
}

// SAFETY: the tree pointer is only turned back into nodes borrowed from the `Tree` a
// view borrows (see `view`), which is `Send + Sync`.
unsafe impl Send for FlatTree {}
unsafe impl Sync for FlatTree {}

const _: () = assert!(std::mem::size_of::<Entry>() == 28);

impl FlatTree {
    pub fn build(tree: &Tree) -> FlatTree {
        // One allocation of the right order (the count includes anonymous nodes): the
        // doublings of a growing vector would leave holes in the heap.
        let mut entries: Vec<Entry> =
            Vec::with_capacity(tree.root_node().descendant_count() * 2 / 3 + 16);
        // The entries whose subtree is still open, outermost first, with their depths.
        let mut open: Vec<(u32, u32)> = Vec::new();
        let named = &*NAMED_KINDS;
        crate::syntax::walk_depth(tree.root_node(), |node, depth| {
            // From the kind id (one read of the node, which `kind` needs anyway) rather
            // than `is_named` (a second one).
            let kind = node.kind_id();
            if named.get(kind as usize).copied().unwrap_or(true) {
                let depth = depth as u32;
                while let Some(&(top, top_depth)) = open.last() {
                    if top_depth < depth {
                        break;
                    }
                    entries[top as usize].end = entries.len() as u32;
                    open.pop();
                }
                open.push((entries.len() as u32, depth));
                let raw = node.into_raw();
                entries.push(Entry {
                    start: [raw.context[0], raw.context[1], raw.context[2]],
                    alias: raw.context[3] as u16,
                    kind,
                    id: Entry::id_words(raw.id),
                    end: 0,
                });
            }
            Walk::Continue
        });
        let len = entries.len() as u32;
        for (i, _) in open {
            entries[i as usize].end = len;
        }
        FlatTree {
            entries,
            tree: tree.root_node().into_raw().tree,
        }
    }

    /// Ask the CPU to fetch, ahead of freeing the tree, the memory each entry's node
    /// handle points into (the slot in its parent's child array, allocated with the
    /// parent's own data). Freeing a tree chases its pointers one cache miss at a time,
    /// and by the time a package's file is freed its tree is cold; these loads are
    /// independent, so they overlap. Only a hint: nothing is read.
    pub fn prefetch_nodes(&self) {
        #[cfg(target_arch = "x86_64")]
        for e in &self.entries {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: SSE is part of x86_64; a prefetch never faults, whatever the
            // address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::without_provenance(e.id())) };
        }
    }

    /// The nodes, borrowed from `tree`, which must be the tree this was built from.
    pub(crate) fn view<'t>(&'t self, tree: &'t Tree) -> Flat<'t> {
        debug_assert_eq!(tree.root_node().into_raw().tree, self.tree);
        Flat {
            entries: &self.entries,
            tree: self.tree,
            _tree: PhantomData,
        }
    }
}

/// A borrowed [`FlatTree`]: its nodes live as long as the tree they came from.
#[derive(Clone, Copy)]
pub struct Flat<'t> {
    entries: &'t [Entry],
    tree: *const tree_sitter::ffi::TSTree,
    _tree: PhantomData<&'t Tree>,
}

// SAFETY: as for `FlatTree`.
unsafe impl Send for Flat<'_> {}
unsafe impl Sync for Flat<'_> {}

impl<'t> Flat<'t> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    fn raw(&self, e: &Entry) -> TSNode {
        TSNode {
            context: [e.start[0], e.start[1], e.start[2], u32::from(e.alias)],
            id: std::ptr::with_exposed_provenance(e.id()),
            tree: self.tree,
        }
    }

    /// The `i`-th named node in preorder.
    #[inline]
    pub fn node(&self, i: usize) -> Node<'t> {
        // SAFETY: the handle was taken from the tree this view borrows (see `view`).
        unsafe { Node::from_raw(self.raw(&self.entries[i])) }
    }

    #[inline]
    pub fn kind(&self, i: usize) -> u16 {
        self.entries[i].kind
    }

    /// The id of entry `i`'s node ([`Node::id`]).
    #[inline]
    pub fn id(&self, i: usize) -> usize {
        self.entries[i].id()
    }

    /// Byte offset where entry `i` starts.
    #[inline]
    pub fn start(&self, i: usize) -> usize {
        self.entries[i].start[0] as usize
    }

    /// The kind ids of all entries, in preorder.
    pub fn kinds(&self) -> impl Iterator<Item = u16> + '_ {
        self.entries.iter().map(|e| e.kind)
    }

    /// Index just past the subtree of entry `i`.
    #[inline]
    pub fn end(&self, i: usize) -> usize {
        self.entries[i].end as usize
    }

    /// Where `node` is in the array (`None` for an anonymous node or another tree's).
    pub fn index_of(&self, node: Node<'t>) -> Option<usize> {
        let start = node.start_byte() as u32;
        let first = self.entries.partition_point(|e| e.start[0] < start);
        let id = node.id();
        self.entries[first..]
            .iter()
            .take_while(|e| e.start[0] == start)
            .position(|e| e.id() == id)
            .map(|p| first + p)
    }

    /// The indices of the named children of entry `i`.
    pub fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let mut next = i + 1;
        let end = if i < self.len() { self.end(i) } else { 0 };
        std::iter::from_fn(move || {
            (next < end).then(|| {
                let child = next;
                next = self.end(child);
                child
            })
        })
    }

    /// [`crate::syntax::walk_with_ancestors`] over the named nodes of `root`'s subtree:
    /// the same visits, in the same order, minus the anonymous nodes.
    pub fn walk_with_ancestors(
        &self,
        root: Node<'t>,
        base: &[Node<'t>],
        visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Walk,
    ) {
        match self.index_of(root) {
            Some(i) => self.walk_from(i, base, visit),
            None => crate::syntax::walk_with_ancestors(root, base, visit),
        }
    }

    /// [`Self::walk_with_ancestors`], with each node's kind name (read from the array:
    /// asking the node costs a read of the tree, often a cache miss).
    pub fn walk_named(
        &self,
        root: Node<'t>,
        base: &[Node<'t>],
        mut visit: impl FnMut(&'static str, Node<'t>, &[Node<'t>]) -> Walk,
    ) {
        match self.index_of(root) {
            Some(i) => self.walk_kinds(i, base, |k, n, anc| {
                visit(crate::syntax::kind_name(k), n, anc)
            }),
            None => crate::syntax::walk_with_ancestors(root, base, |n, anc| {
                if n.is_named() {
                    visit(crate::syntax::NodeExt::kind_str(&n), n, anc)
                } else {
                    Walk::Continue
                }
            }),
        }
    }

    /// Visit entry `root` and its subtree in preorder, each node with its ancestors
    /// (`base`, then the path from `root`).
    pub fn walk_from(
        &self,
        root: usize,
        base: &[Node<'t>],
        mut visit: impl FnMut(Node<'t>, &[Node<'t>]) -> Walk,
    ) {
        self.walk_kinds(root, base, |_, n, anc| visit(n, anc));
    }

    /// [`Self::walk_with_ancestors`], with each node's index in the array and kind
    /// id; the index is `None` when `root` is not in the array (an anonymous node).
    /// The last argument holds the kind ids of the innermost ancestors (those below
    /// `base`; none when `root` is not in the array): asking an ancestor node for its
    /// kind reads the tree.
    pub fn walk_indexed(
        &self,
        root: Node<'t>,
        base: &[Node<'t>],
        buf: &mut WalkStack<'t>,
        mut visit: impl FnMut(Option<usize>, u16, Node<'t>, &[Node<'t>], &[u16]) -> Walk,
    ) {
        match self.index_of(root) {
            Some(i) => self.walk_at_with(i, base, buf, |i, k, n, anc, kinds| {
                visit(Some(i), k, n, anc, kinds)
            }),
            None => crate::syntax::walk_with_ancestors(root, base, |n, anc| {
                if n.is_named() {
                    visit(None, n.kind_id(), n, anc, &[])
                } else {
                    Walk::Continue
                }
            }),
        }
    }

    /// The named children of entry `i` other than comments, as nodes, into `out`
    /// (cleared first): a node's `named_child(k)` walks its children from the first,
    /// the array does not.
    pub fn children_nodes(&self, i: usize, out: &mut Vec<Node<'t>>) {
        out.clear();
        let comment = *COMMENT_KIND;
        out.extend(
            self.children(i)
                .filter(|&c| self.kind(c) != comment)
                .map(|c| self.node(c)),
        );
    }

    /// The callee (operand, name) of `call`, entry `at`, as [`crate::syntax::callee`]
    /// gives it, and with `args` its arguments, as [`crate::syntax::call_args`] gives
    /// them: read from the array (asking the tree for a node's k-th child walks its
    /// sibling list from the first, per call and per argument); from the tree for
    /// unusual shapes.
    #[allow(clippy::type_complexity)]
    pub fn call_parts(
        &self,
        at: usize,
        call: Node<'t>,
        args: Option<&mut Vec<Node<'t>>>,
    ) -> Option<(Option<Node<'t>>, Node<'t>)> {
        let k = &*CALL_KINDS;
        let from_tree = |args: Option<&mut Vec<Node<'t>>>| {
            if let Some(args) = args {
                args.clear();
                args.extend(crate::syntax::call_args(call));
            }
            crate::syntax::callee(call)
        };
        let mut kids = self.children(at).filter(|&c| self.kind(c) != k.comment);
        let (Some(first), Some(last)) = (kids.next(), kids.last()) else {
            return from_tree(args);
        };
        if self.kind(last) != k.argument_list || self.start(first) != call.start_byte() {
            return from_tree(args);
        }
        if let Some(args) = args {
            self.children_nodes(last, args);
        }
        let unparen = |mut i: usize| {
            while self.kind(i) == k.parenthesized_expression {
                match self.children(i).find(|&c| self.kind(c) != k.comment) {
                    Some(inner) => i = inner,
                    None => break,
                }
            }
            i
        };
        let f = unparen(first);
        if self.kind(f) == k.identifier {
            return Some((None, self.node(f)));
        }
        if self.kind(f) == k.selector_expression {
            let mut parts = self.children(f).filter(|&c| self.kind(c) != k.comment);
            if let (Some(op), Some(field), None) = (parts.next(), parts.next(), parts.next())
                && self.kind(field) == k.field_identifier
            {
                return Some((Some(self.node(unparen(op))), self.node(field)));
            }
        }
        crate::syntax::callee(call)
    }

    /// The items of the `left` and `right` expression lists of an assignment or short
    /// variable declaration (entry `at`), into `left` and `right`, as
    /// [`crate::syntax::expr_list`] gives them; false (and nothing read) for any other
    /// shape, which the caller reads from the tree.
    pub fn assignment_sides(
        &self,
        at: usize,
        left: &mut Vec<Node<'t>>,
        right: &mut Vec<Node<'t>>,
    ) -> bool {
        let k = &*CALL_KINDS;
        let mut kids = self.children(at).filter(|&c| self.kind(c) != k.comment);
        let (Some(l), Some(r), None) = (kids.next(), kids.next(), kids.next()) else {
            return false;
        };
        if self.kind(l) != k.expression_list || self.kind(r) != k.expression_list {
            return false;
        }
        self.children_nodes(l, left);
        self.children_nodes(r, right);
        true
    }

    /// [`Self::walk_from`], with each node's kind id (read from the array, not the tree).
    pub fn walk_kinds(
        &self,
        root: usize,
        base: &[Node<'t>],
        mut visit: impl FnMut(u16, Node<'t>, &[Node<'t>]) -> Walk,
    ) {
        self.walk_at(root, base, |_, k, n, anc, _| visit(k, n, anc))
    }

    /// [`Self::walk_kinds`], with each node's index, and the kind ids of the ancestors
    /// below `base` (the last entries of the ancestor slice).
    pub(crate) fn walk_at(
        &self,
        root: usize,
        base: &[Node<'t>],
        visit: impl FnMut(usize, u16, Node<'t>, &[Node<'t>], &[u16]) -> Walk,
    ) {
        self.walk_at_with(root, base, &mut WalkStack::default(), visit);
    }

    /// [`Self::walk_at`] with the caller's buffers.
    pub(crate) fn walk_at_with(
        &self,
        root: usize,
        base: &[Node<'t>],
        buf: &mut WalkStack<'t>,
        mut visit: impl FnMut(usize, u16, Node<'t>, &[Node<'t>], &[u16]) -> Walk,
    ) {
        let WalkStack {
            nodes: stack,
            ends,
            kinds,
        } = buf;
        stack.clear();
        ends.clear();
        kinds.clear();
        stack.extend_from_slice(base);
        let end = self.end(root);
        let mut i = root;
        while i < end {
            let e = &self.entries[i];
            while ends.last().is_some_and(|&last| last as usize <= i) {
                ends.pop();
                kinds.pop();
                stack.pop();
            }
            // SAFETY: as in `node`.
            let node = unsafe { Node::from_raw(self.raw(e)) };
            match visit(i, e.kind, node, stack, kinds) {
                Walk::Stop => return,
                Walk::Skip => i = e.end as usize,
                // A leaf (half the nodes) is nobody's ancestor: pushing it would only
                // pop it at the next node.
                Walk::Continue if e.end as usize == i + 1 => i += 1,
                Walk::Continue => {
                    stack.push(node);
                    ends.push(e.end);
                    kinds.push(e.kind);
                    i += 1;
                }
            }
        }
    }
}

/// The ancestor stack of a flat walk: the nodes (after the walk's `base`), where
/// each ends, and its kind. Kept by a caller that walks many subtrees (one walk per
/// function or declaration), so that a walk allocates nothing: a new stack each time
/// was three allocations per walk, the biggest over 1 KiB (for which glibc first
/// merges every freed small chunk, a whole freed tree's worth).
#[derive(Default)]
pub struct WalkStack<'t> {
    nodes: Vec<Node<'t>>,
    ends: Vec<u32>,
    kinds: Vec<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;
    use crate::syntax::{self, NodeExt};

    const SRC: &str = "package p\n\n// c\nfunc f(a int) (b int) {\n\tfor i := range a { g(i, func() { h() }) }\n\treturn (a + 1)\n}\n\nvar x = struct{ y int }{y: 1}\n";

    fn cursor_named(root: Node<'_>, base: &[Node<'_>]) -> Vec<(usize, &'static str, usize)> {
        let mut out = Vec::new();
        syntax::walk_with_ancestors(root, base, |n, anc| {
            if n.is_named() {
                out.push((n.start_byte(), n.kind_str(), anc.len()));
            }
            Walk::Continue
        });
        out
    }

    #[test]
    fn flat_walk_visits_the_named_nodes_of_a_cursor_walk() {
        let file = SourceFile::from_string("p.go", SRC.to_string()).unwrap();
        let flat = file.flat();
        let mut got = Vec::new();
        flat.walk_from(0, &[], |n, anc| {
            got.push((n.start_byte(), n.kind_str(), anc.len()));
            Walk::Continue
        });
        assert_eq!(got, cursor_named(file.root(), &[]));
        assert_eq!(flat.len(), got.len());
        // Subtrees, with a base, from any node.
        for i in 0..flat.len() {
            let n = flat.node(i);
            assert_eq!(flat.index_of(n), Some(i));
            let mut sub = Vec::new();
            flat.walk_with_ancestors(n, &[file.root()], |m, anc| {
                sub.push((m.start_byte(), m.kind_str(), anc.len()));
                Walk::Continue
            });
            assert_eq!(sub, cursor_named(n, &[file.root()]));
            // The kinds read from the array are the nodes' own.
            let mut named = Vec::new();
            flat.walk_named(n, &[file.root()], |kind, m, anc| {
                assert_eq!(kind, m.kind_str());
                named.push((m.start_byte(), kind, anc.len()));
                Walk::Continue
            });
            assert_eq!(named, sub);
            // The ancestor kinds handed along are those of the innermost ancestors.
            let mut seen = 0;
            let mut buf = WalkStack::default();
            flat.walk_indexed(n, &[file.root()], &mut buf, |_, _, _, anc, kinds| {
                let tail: Vec<u16> = anc[anc.len() - kinds.len()..]
                    .iter()
                    .map(|a| a.kind_id())
                    .collect();
                assert_eq!(kinds, &tail[..]);
                assert_eq!(kinds.len(), anc.len() - 1);
                seen += 1;
                Walk::Continue
            });
            assert_eq!(seen, sub.len());
        }
        // An anonymous root (`func` keyword) falls back to the cursor: its named
        // descendants (none here).
        let keyword = file.root().named_child(2).unwrap().child(0).unwrap();
        assert!(!keyword.is_named());
        let mut visited = 0;
        flat.walk_named(keyword, &[], |_, _, _| {
            visited += 1;
            Walk::Continue
        });
        assert_eq!(visited, 0);
    }

    #[test]
    fn skip_and_stop_and_children() {
        let file = SourceFile::from_string("p.go", SRC.to_string()).unwrap();
        let flat = file.flat();
        let mut kinds = Vec::new();
        flat.walk_from(0, &[], |n, _| {
            kinds.push(n.kind_str());
            match n.kind_str() {
                "function_declaration" => Walk::Skip,
                "var_declaration" => Walk::Stop,
                _ => Walk::Continue,
            }
        });
        assert_eq!(
            kinds,
            [
                "source_file",
                "package_clause",
                "package_identifier",
                "comment",
                "function_declaration",
                "var_declaration"
            ]
        );
        let tops: Vec<&str> = flat.children(0).map(|i| flat.node(i).kind_str()).collect();
        assert_eq!(
            tops,
            [
                "package_clause",
                "comment",
                "function_declaration",
                "var_declaration"
            ]
        );
    }

    #[test]
    fn deep_nesting_is_iterative() {
        let src = format!(
            "package p\nvar x = {}1{}\n",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let file = SourceFile::from_string("p.go", src).unwrap();
        let flat = file.flat();
        let mut deepest = 0;
        flat.walk_from(0, &[], |_, anc| {
            deepest = deepest.max(anc.len());
            Walk::Continue
        });
        assert!(deepest > 5000, "{deepest}");
    }
}
