//! What a rule sees while it checks one file: the file, its imports, the package index,
//! the settings, and a sink for diagnostics stamped with the current rule's id.

use crate::syntax::NodeExt;
use std::cell::{Cell, RefCell};
use std::ops::Range;

use tree_sitter::Node;

use super::diagnostic::{Diagnostic, Fix, Related, Severity};
use super::rule::RuleMeta;
use super::settings::Settings;
use crate::flat::Flat;
use crate::index::{FileDecls, PackageIndex};
use crate::sema::{self, Imports, LocalDecl};
use crate::source::SourceFile;
use crate::syntax::{self, F, text};

pub struct Ctx<'a> {
    pub file: &'a SourceFile,
    /// Index of this file in `pkg.files`.
    pub file_idx: usize,
    pub pkg: &'a PackageIndex,
    pub settings: &'a Settings,
    rule: Cell<Option<&'static RuleMeta>>,
    diagnostics: RefCell<Vec<Diagnostic>>,
    /// The last call's callee: every call-expression rule asks for it in turn.
    last_callee: Cell<Option<(usize, Callee<'a>)>>,
    /// Index in `flat` of the node the dispatch walk is visiting (set by the engine).
    at: Cell<Option<usize>>,
    /// The file's nodes in preorder, for the rules' own subtree walks.
    flat: Flat<'a>,
    /// For [`Self::binds_to_call`]: each callee asked about, and the names bound to it.
    bound: RefCell<Vec<(&'static str, Vec<&'a str>)>>,
    /// The file parsed without a syntax error (see [`Self::ident_text`]).
    clean: bool,
}

/// A call's operand (`x` in `x.f()`, none for `f()`) and name token.
pub type Callee<'a> = Option<(Option<Node<'a>>, Node<'a>)>;

impl<'a> Ctx<'a> {
    pub fn new(
        file: &'a SourceFile,
        file_idx: usize,
        pkg: &'a PackageIndex,
        settings: &'a Settings,
        flat: Flat<'a>,
    ) -> Self {
        Ctx {
            file,
            file_idx,
            pkg,
            settings,
            rule: Cell::new(None),
            diagnostics: RefCell::new(Vec::new()),
            last_callee: Cell::new(None),
            at: Cell::new(None),
            flat,
            bound: RefCell::new(Vec::new()),
            clean: !file.root().has_error(),
        }
    }

    /// Whether this file binds `var` to a call of a function or method named `callee`
    /// (`t := time.Tick(d)`, `var t = time.Tick(d)`, `t = time.Tick(d)`) in any scope:
    /// a cheap test before resolving an identifier to look for such a binding. The
    /// names bound to each callee are collected once per file.
    pub fn binds_to_call(&self, var: &str, callee: &'static str) -> bool {
        if !self.bound.borrow().iter().any(|(c, _)| *c == callee) {
            let found = self.find_bound_to_call(callee);
            self.bound.borrow_mut().push((callee, found));
        }
        self.bound
            .borrow()
            .iter()
            .any(|(c, names)| *c == callee && names.contains(&var))
    }

    fn find_bound_to_call(&self, name: &str) -> Vec<&'a str> {
        static FIELD: std::sync::LazyLock<u16> =
            std::sync::LazyLock::new(|| syntax::kind_id_of("field_identifier"));
        static IDENT: std::sync::LazyLock<u16> =
            std::sync::LazyLock::new(|| syntax::kind_id_of("identifier"));
        let src = self.src().as_bytes();
        let mut out = Vec::new();
        for (i, k) in self.flat.kinds().enumerate() {
            if k != *FIELD && k != *IDENT {
                continue;
            }
            // The name at the node's start, whole (read from the source: the node's
            // end would be a read of the tree).
            let at = self.flat.start(i);
            let whole = src.get(at..at + name.len()) == Some(name.as_bytes())
                && !src
                    .get(at + name.len())
                    .is_some_and(|&b| b == b'_' || b.is_ascii_alphanumeric() || b >= 0x80);
            if !whole {
                continue;
            }
            // name -> [selector ->] call -> [expression list ->] binding.
            let mut up = self.flat.node(i).parent();
            if up.is_some_and(|p| p.kind_str() == "selector_expression") {
                up = up.and_then(|p| p.parent());
            }
            let Some(call) = up.filter(|c| c.kind_str() == "call_expression") else {
                continue;
            };
            let mut up = call.parent();
            if up.is_some_and(|p| p.kind_str() == "expression_list") {
                up = up.and_then(|p| p.parent());
            }
            let Some(binding) = up else { continue };
            let names: Vec<Node<'a>> = match binding.kind_str() {
                "short_var_declaration" | "assignment_statement" => binding
                    .field(F.left)
                    .map(syntax::expr_list)
                    .unwrap_or_default(),
                "var_spec" => syntax::name_children(binding).collect(),
                _ => continue,
            };
            out.extend(
                names
                    .into_iter()
                    .filter(|n| n.kind_str() == "identifier")
                    .map(|n| self.text(n)),
            );
        }
        out
    }

    /// Walk the named nodes of `root`'s subtree in preorder, each with its kind and
    /// ancestors (`base`, then the path from `root`). Iterates the file's flattened
    /// nodes: cheaper than a tree cursor, and the kinds come without reading the tree.
    pub fn walk(
        &self,
        root: Node<'a>,
        base: &[Node<'a>],
        visit: impl FnMut(&'static str, Node<'a>, &[Node<'a>]) -> syntax::Walk,
    ) {
        self.flat.walk_named(root, base, visit);
    }

    pub(crate) fn set_rule(&self, meta: &'static RuleMeta) {
        self.rule.set(Some(meta));
    }

    pub(crate) fn take_diagnostics(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics.borrow_mut())
    }

    pub fn src(&self) -> &'a str {
        &self.file.text
    }

    pub fn text(&self, node: Node<'_>) -> &'a str {
        text(node, &self.file.text)
    }

    pub fn decls(&self) -> &'a FileDecls {
        &self.pkg.files[self.file_idx].decls
    }

    pub fn imports(&self) -> &'a Imports {
        &self.decls().imports
    }

    /// The package this file belongs to (from its package clause).
    pub fn package_name(&self) -> &'a str {
        &self.decls().package
    }

    /// Start a diagnostic of the current rule at `range`; it is recorded when the
    /// returned builder is dropped.
    pub fn report(
        &self,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> DiagnosticBuilder<'_, 'a> {
        let meta = self.rule.get().expect("report() called outside a rule");
        DiagnosticBuilder {
            ctx: self,
            diag: Some(Diagnostic {
                rule: meta.id,
                severity: meta.severity,
                start: self.file.line_col(range.start),
                end: self.file.line_col(range.end),
                range,
                message: message.into(),
                label: None,
                help: None,
                related: Vec::new(),
                fix: None,
            }),
        }
    }

    /// Start a diagnostic anchored at a node.
    pub fn report_node(
        &self,
        node: Node<'_>,
        message: impl Into<String>,
    ) -> DiagnosticBuilder<'_, 'a> {
        self.report(node.start_byte()..node.end_byte(), message)
    }

    /// A related location in this file.
    pub fn related(&self, range: Range<usize>, message: impl Into<String>) -> Related {
        Related {
            path: None,
            start: self.file.line_col(range.start),
            end: self.file.line_col(range.end),
            range,
            message: message.into(),
        }
    }

    /// Whether the identifier `pkg_ident` (a selector operand) names the import `path`
    /// at its position: imported under that name and not shadowed by a local.
    pub fn ident_is_package(&self, ident: Node<'a>, ancestors: &[Node<'a>], path: &str) -> bool {
        if ident.kind_str() != "identifier" {
            return false;
        }
        let name = self.text(ident);
        if self.imports().path_of(name) != Some(path) {
            return false;
        }
        // Inside a function that never redeclares the name, no scope lookup is needed.
        let unshadowed = self
            .pkg
            .func_at(self.file_idx, ident.start_byte())
            .and_then(|g| self.pkg.facts.get(g))
            .is_some_and(|f| !f.shadowed_imports.iter().any(|s| s == name));
        unshadowed || sema::resolve_local(name, ident, ancestors, self.src()).is_none()
    }

    /// The engine is about to hand entry `i` of the flat array to the rules.
    pub(crate) fn set_at(&self, i: usize) {
        self.at.set(Some(i));
    }

    /// The text of an identifier token ([`syntax::ident_text`]: from the source, not
    /// the tree, in a file without syntax errors).
    pub fn ident_text(&self, ident: Node<'a>) -> &'a str {
        syntax::ident_text(ident, self.src(), self.clean)
    }

    /// `node.kind_id()`, read from the flat array when `node` is the one being
    /// dispatched (asking the node reads the tree, often a cache miss).
    pub fn kind_id(&self, node: Node<'a>) -> u16 {
        match self.at.get() {
            Some(i) if self.flat.id(i) == node.id() => self.flat.kind(i),
            _ => node.kind_id(),
        }
    }

    /// `node.kind_str()`, from the flat array when `node` is the one being dispatched
    /// (see [`Ctx::kind_id`]).
    pub fn kind_str(&self, node: Node<'a>) -> &'static str {
        syntax::kind_name(self.kind_id(node))
    }

    /// [`syntax::callee`], remembered for the last call asked about.
    pub fn callee(&self, call: Node<'a>) -> Callee<'a> {
        if let Some((id, c)) = self.last_callee.get()
            && id == call.id()
        {
            return c;
        }
        // Read from the flat array when `call` is the node being dispatched.
        let c = match self.at.get() {
            Some(i) if self.flat.id(i) == call.id() => self.flat.call_parts(i, call, None),
            _ => syntax::callee(call),
        };
        self.last_callee.set(Some((call.id(), c)));
        c
    }

    /// If `call` calls `path.F` for one of `names` (through the file's import name for
    /// `path`, or a dot import), the name token of `F`.
    pub fn call_to(
        &self,
        call: Node<'a>,
        ancestors: &[Node<'a>],
        path: &str,
        names: &[&str],
    ) -> Option<Node<'a>> {
        static CALL: std::sync::LazyLock<u16> =
            std::sync::LazyLock::new(|| syntax::kind_id_of("call_expression"));
        if self.kind_id(call) != *CALL {
            return None;
        }
        let (operand, name) = self.callee(call)?;
        let name_text = self.ident_text(name);
        if !names.contains(&name_text) {
            return None;
        }
        match operand {
            Some(op) => {
                let mut chain = ancestors.to_vec();
                chain.push(call);
                self.ident_is_package(op, &chain, path).then_some(name)
            }
            None => {
                // `import . "time"`: a bare `NewTicker(...)`, unless declared here.
                if !self.imports().is_dot_imported(path) || self.pkg.func_named(name_text).is_some()
                {
                    return None;
                }
                let mut chain = ancestors.to_vec();
                chain.push(call);
                sema::resolve_local(name_text, name, &chain, self.src())
                    .is_none()
                    .then_some(name)
            }
        }
    }

    /// Ancestors of `node`, a descendant of `scope` whose own ancestors are `base`:
    /// `base`, then `scope`, then the path down to `node`'s parent.
    pub fn ancestors_within(
        &self,
        base: &[Node<'a>],
        scope: Node<'a>,
        node: Node<'a>,
    ) -> Vec<Node<'a>> {
        let mut out = base.to_vec();
        if node != scope {
            out.extend(sema::ancestors_from(scope, node));
        }
        out
    }

    /// Resolve an identifier to its local declaration.
    pub fn resolve(&self, ident: Node<'a>, ancestors: &[Node<'a>]) -> Option<LocalDecl<'a>> {
        sema::resolve_local(self.text(ident), ident, ancestors, self.src())
    }
}

/// Collects the parts of a diagnostic; pushes it to the context on drop.
pub struct DiagnosticBuilder<'c, 'a> {
    ctx: &'c Ctx<'a>,
    diag: Option<Diagnostic>,
}

impl DiagnosticBuilder<'_, '_> {
    pub fn help(mut self, help: impl Into<String>) -> Self {
        if let Some(d) = &mut self.diag {
            d.help = Some(help.into());
        }
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        if let Some(d) = &mut self.diag {
            d.label = Some(label.into());
        }
        self
    }

    pub fn related(mut self, related: Related) -> Self {
        if let Some(d) = &mut self.diag {
            d.related.push(related);
        }
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        if let Some(d) = &mut self.diag {
            d.severity = severity;
        }
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        if let Some(d) = &mut self.diag {
            d.fix = Some(fix);
        }
        self
    }
}

impl Drop for DiagnosticBuilder<'_, '_> {
    fn drop(&mut self) {
        if let Some(d) = self.diag.take() {
            self.ctx.diagnostics.borrow_mut().push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fixtures_root, load_package, package_dirs};

    /// An identifier's text scanned from the source is the node's text, in every
    /// fixture file that parsed cleanly (non-ASCII names included).
    #[test]
    fn ident_text_is_the_node_text() {
        let mut files = vec![
            SourceFile::from_string(
                "u.go",
                "package p\nfunc größe(ü int) { größe(ü); x.ñ_1() }\n".into(),
            )
            .unwrap(),
        ];
        for dir in package_dirs(&fixtures_root()) {
            files.extend(load_package(&dir));
        }
        let pkg = PackageIndex::default();
        let settings = Settings::default();
        let mut checked = 0;
        for file in &files {
            let ctx = Ctx::new(file, 0, &pkg, &settings, file.flat());
            if !ctx.clean {
                continue;
            }
            syntax::walk(file.root(), |n| {
                if matches!(n.kind_str(), "identifier" | "field_identifier") {
                    assert_eq!(ctx.ident_text(n), ctx.text(n), "{}", file.path.display());
                    checked += 1;
                }
                syntax::Walk::Continue
            });
        }
        assert!(checked > 5_000, "{checked}");
    }
}
