//! Name resolution a syntax tree can answer: imports and their local names, and which
//! local declaration (parameter, receiver, variable) an identifier refers to.
//!
//! Scopes are resolved against an ancestor chain (`root .. parent`) rather than with a
//! prebuilt scope table: rules only ask about the handful of identifiers they care
//! about, so a lookup on demand is cheaper than building scopes for every file.

use crate::syntax::{F, NodeExt};
use tree_sitter::Node;

use crate::syntax::{self, text};

/// How an import is named in the importing file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportName {
    /// No alias: the package's own name (derived from the path).
    Default(String),
    Alias(String),
    Dot,
    Blank,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub name: ImportName,
    pub path: String,
}

impl Import {
    /// The identifier the file uses for this package, if any.
    pub fn local_name(&self) -> Option<&str> {
        match &self.name {
            ImportName::Default(n) | ImportName::Alias(n) => Some(n),
            ImportName::Dot | ImportName::Blank => None,
        }
    }
}

/// A file's imports.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    pub list: Vec<Import>,
    /// A bit per local name (see [`name_bit`]): `path_of` runs for every identifier of
    /// every function body, and most identifiers name no import.
    names: u64,
}

/// One of 64 bits for a name, from its length and first byte.
#[inline]
fn name_bit(name: &str) -> u64 {
    let first = name.as_bytes().first().copied().unwrap_or(0) as usize;
    1 << ((first * 7 + name.len()) & 63)
}

impl Imports {
    /// Read the import declarations of a file.
    pub fn from_file(root: Node<'_>, src: &str) -> Imports {
        let mut list = Vec::new();
        let mut c = root.walk();
        for decl in root.named_children(&mut c) {
            match decl.kind_str() {
                "import_declaration" => {}
                "package_clause" | "comment" => continue,
                _ => break,
            }
            syntax::walk(decl, |n| {
                if n.kind_str() != "import_spec" {
                    return syntax::Walk::Continue;
                }
                if let Some(path_node) = n.field(F.path) {
                    let path = text(path_node, src).trim_matches(['"', '`']).to_string();
                    let name = match n.field(F.name) {
                        Some(nm) if nm.kind_str() == "dot" => ImportName::Dot,
                        Some(nm) if nm.kind_str() == "blank_identifier" => ImportName::Blank,
                        Some(nm) => ImportName::Alias(text(nm, src).to_string()),
                        None => ImportName::Default(default_package_name(&path)),
                    };
                    list.push(Import { name, path });
                }
                syntax::Walk::Skip
            });
        }
        let names = list
            .iter()
            .filter_map(Import::local_name)
            .fold(0, |m, n| m | name_bit(n));
        Imports { list, names }
    }

    /// Import path bound to a local package name.
    pub fn path_of(&self, local: &str) -> Option<&str> {
        if self.names & name_bit(local) == 0 {
            return None;
        }
        self.list
            .iter()
            .find(|i| i.local_name() == Some(local))
            .map(|i| i.path.as_str())
    }

    pub fn has_path(&self, path: &str) -> bool {
        self.list.iter().any(|i| i.path == path)
    }

    /// Whether `path` is dot-imported.
    pub fn is_dot_imported(&self, path: &str) -> bool {
        self.list
            .iter()
            .any(|i| i.path == path && i.name == ImportName::Dot)
    }
}

/// The package name Go would use for an unaliased import path.
pub fn default_package_name(path: &str) -> String {
    let mut parts = path.rsplit('/');
    let mut last = parts.next().unwrap_or(path);
    // `github.com/x/y/v2` is package `y`.
    if last.len() > 1
        && last.starts_with('v')
        && last[1..].chars().all(|c| c.is_ascii_digit())
        && let Some(prev) = parts.next()
    {
        last = prev;
    }
    // `gopkg.in/yaml.v3` is package `yaml`.
    if let Some((base, ver)) = last.rsplit_once(".v")
        && ver.chars().all(|c| c.is_ascii_digit())
        && !base.is_empty()
    {
        last = base;
    }
    let last = last.strip_prefix("go-").unwrap_or(last);
    let last = last.strip_suffix("-go").unwrap_or(last);
    last.replace(['-', '.'], "_")
}

/// What an identifier inside a function body refers to.
#[derive(Clone, Copy, Debug)]
pub enum LocalDecl<'t> {
    /// A parameter of `func` (index counts every declared name, receivers excluded).
    Param {
        func: Node<'t>,
        index: usize,
        name: Node<'t>,
        ty: Node<'t>,
    },
    Receiver {
        func: Node<'t>,
        name: Node<'t>,
        ty: Node<'t>,
    },
    /// A named result parameter.
    Result {
        func: Node<'t>,
        name: Node<'t>,
        ty: Node<'t>,
    },
    /// A local variable, constant or type. `stmt` is the declaring statement
    /// (`short_var_declaration`, `var_spec`, `range_clause`, `receive_statement`, ...),
    /// `name` the declaring identifier, `value` the initialiser at the same position.
    Local {
        stmt: Node<'t>,
        name: Node<'t>,
        ty: Option<Node<'t>>,
        value: Option<Node<'t>>,
    },
}

impl<'t> LocalDecl<'t> {
    /// The declaring identifier.
    pub fn name_node(&self) -> Node<'t> {
        match *self {
            LocalDecl::Param { name, .. }
            | LocalDecl::Receiver { name, .. }
            | LocalDecl::Result { name, .. }
            | LocalDecl::Local { name, .. } => name,
        }
    }

    /// The declared type node, when written.
    pub fn type_node(&self) -> Option<Node<'t>> {
        match *self {
            LocalDecl::Param { ty, .. }
            | LocalDecl::Receiver { ty, .. }
            | LocalDecl::Result { ty, .. } => Some(ty),
            LocalDecl::Local { ty, .. } => ty,
        }
    }
}

/// Find the local declaration `name` refers to at `at`, given `at`'s ancestors from the
/// root (first) to its parent (last). `None` means package level (or an import).
pub fn resolve_local<'t>(
    name: &str,
    at: Node<'t>,
    ancestors: &[Node<'t>],
    src: &str,
) -> Option<LocalDecl<'t>> {
    for i in (0..ancestors.len()).rev() {
        let scope = ancestors[i];
        let child = ancestors.get(i + 1).copied().unwrap_or(at);
        match scope.kind_str() {
            "statement_list" => {
                let mut c = scope.walk();
                for stmt in scope.named_children(&mut c) {
                    if stmt.start_byte() >= child.start_byte() {
                        break;
                    }
                    if let Some(d) = declares(stmt, name, src) {
                        return Some(d);
                    }
                }
            }
            "function_declaration" | "method_declaration" | "func_literal" => {
                if let Some(d) = func_declares(scope, name, src) {
                    return Some(d);
                }
                if scope.kind_str() != "func_literal" {
                    return None;
                }
            }
            "for_statement" => {
                let mut c = scope.walk();
                for part in scope.named_children(&mut c) {
                    if part == child {
                        continue;
                    }
                    match part.kind_str() {
                        "for_clause" => {
                            if let Some(init) = part.field(F.initializer)
                                && init != child
                                && let Some(d) = declares(init, name, src)
                            {
                                return Some(d);
                            }
                        }
                        "range_clause" if syntax::has_token(part, ":=") => {
                            if let Some(left) = part.field(F.left) {
                                for id in syntax::expr_list(left) {
                                    if id.kind_str() == "identifier" && text(id, src) == name {
                                        return Some(LocalDecl::Local {
                                            stmt: part,
                                            name: id,
                                            ty: None,
                                            value: None,
                                        });
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            "if_statement" | "expression_switch_statement" | "type_switch_statement" => {
                if let Some(init) = scope.field(F.initializer)
                    && init != child
                    && let Some(d) = declares(init, name, src)
                {
                    return Some(d);
                }
                if scope.kind_str() == "type_switch_statement"
                    && let Some(alias) = scope.field(F.alias)
                    && alias != child
                {
                    for id in syntax::expr_list(alias) {
                        if text(id, src) == name {
                            return Some(LocalDecl::Local {
                                stmt: scope,
                                name: id,
                                ty: None,
                                value: scope.field(F.value),
                            });
                        }
                    }
                }
            }
            "communication_case" => {
                if let Some(comm) = scope.field(F.communication)
                    && comm != child
                    && comm.kind_str() == "receive_statement"
                    && syntax::has_token(comm, ":=")
                    && let Some(left) = comm.field(F.left)
                {
                    for id in syntax::expr_list(left) {
                        if text(id, src) == name {
                            return Some(LocalDecl::Local {
                                stmt: comm,
                                name: id,
                                ty: None,
                                value: comm.field(F.right),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a statement declares `name`; the declaration if so.
pub fn declares<'t>(stmt: Node<'t>, name: &str, src: &str) -> Option<LocalDecl<'t>> {
    // `L1: L2: x := 1` — labels nest; unwrap them without recursion.
    let mut stmt = stmt;
    while stmt.kind_str() == "labeled_statement" {
        stmt = stmt.named_child(1)?;
    }
    match stmt.kind_str() {
        "short_var_declaration" => {
            let left = stmt.field(F.left)?;
            let lefts = syntax::expr_list(left);
            for (i, id) in lefts.iter().enumerate() {
                if id.kind_str() == "identifier" && text(*id, src) == name {
                    // The values only for the declaration asked about (this runs for
                    // every statement before a use).
                    let rights = stmt
                        .field(F.right)
                        .map(syntax::expr_list)
                        .unwrap_or_default();
                    let single_call = lefts.len() > 1 && rights.len() == 1;
                    let value = if single_call {
                        None
                    } else {
                        rights.get(i).copied()
                    };
                    return Some(LocalDecl::Local {
                        stmt,
                        name: *id,
                        ty: None,
                        value,
                    });
                }
            }
            None
        }
        "var_declaration" | "const_declaration" => {
            let mut found = None;
            syntax::walk(stmt, |n| {
                if found.is_some() {
                    return syntax::Walk::Stop;
                }
                match n.kind_str() {
                    "var_spec" | "const_spec" => {
                        let names: Vec<Node> = syntax::name_children(n)
                            .filter(|x| x.kind_str() == "identifier")
                            .collect();
                        let values = n.field(F.value).map(syntax::expr_list).unwrap_or_default();
                        for (i, id) in names.iter().enumerate() {
                            if text(*id, src) == name {
                                found = Some(LocalDecl::Local {
                                    stmt: n,
                                    name: *id,
                                    ty: n.field(F.ty),
                                    value: if values.len() == names.len() {
                                        values.get(i).copied()
                                    } else {
                                        None
                                    },
                                });
                            }
                        }
                        syntax::Walk::Skip
                    }
                    _ => syntax::Walk::Continue,
                }
            });
            found
        }
        "type_declaration" => {
            let mut c = stmt.walk();
            for spec in stmt.named_children(&mut c) {
                if let Some(n) = spec.field(F.name)
                    && text(n, src) == name
                {
                    return Some(LocalDecl::Local {
                        stmt: spec,
                        name: n,
                        ty: spec.field(F.ty),
                        value: None,
                    });
                }
            }
            None
        }
        _ => None,
    }
}

/// Whether a function's receiver, parameters or named results declare `name`.
pub fn func_declares<'t>(func: Node<'t>, name: &str, src: &str) -> Option<LocalDecl<'t>> {
    if let Some(recv) = func.field(F.receiver) {
        for (_, id, ty) in param_names(recv, src) {
            if id.is_some_and(|id| text(id, src) == name) {
                return Some(LocalDecl::Receiver {
                    func,
                    name: id.unwrap(),
                    ty,
                });
            }
        }
    }
    if let Some(params) = func.field(F.parameters) {
        for (index, id, ty) in param_names(params, src) {
            if id.is_some_and(|id| text(id, src) == name) {
                return Some(LocalDecl::Param {
                    func,
                    index,
                    name: id.unwrap(),
                    ty,
                });
            }
        }
    }
    if let Some(result) = func.field(F.result)
        && result.kind_str() == "parameter_list"
    {
        for (_, id, ty) in param_names(result, src) {
            if id.is_some_and(|id| text(id, src) == name) {
                return Some(LocalDecl::Result {
                    func,
                    name: id.unwrap(),
                    ty,
                });
            }
        }
    }
    None
}

/// `(index, name, type)` for every declared parameter of a `parameter_list`; unnamed
/// parameters have `None` names. Indices count parameters, not declarations.
pub fn param_names<'t>(list: Node<'t>, _src: &str) -> Vec<(usize, Option<Node<'t>>, Node<'t>)> {
    let mut out = Vec::new();
    for_each_param(list, |i, name, ty| out.push((i, name, ty)));
    out
}

/// [`param_names`] without collecting them (it runs for every function of every file).
pub fn for_each_param<'t>(list: Node<'t>, mut f: impl FnMut(usize, Option<Node<'t>>, Node<'t>)) {
    let mut i = 0;
    for decl in syntax::short_named_children(list) {
        if !matches!(
            decl.kind_str(),
            "parameter_declaration" | "variadic_parameter_declaration"
        ) {
            continue;
        }
        let Some(ty) = decl.field(F.ty) else {
            continue;
        };
        let before = i;
        for n in syntax::name_children(decl) {
            f(i, Some(n), ty);
            i += 1;
        }
        if i == before {
            f(i, None, ty);
            i += 1;
        }
    }
}

/// Ancestors of `node` from `root` (inclusive) down to its parent, computed by descent:
/// for nodes a rule found while scanning a subtree it already holds.
pub fn ancestors_from<'t>(root: Node<'t>, node: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    if root == node {
        return out;
    }
    let mut cur = root;
    out.push(cur);
    while let Some(next) = cur.child_with_descendant(node) {
        if next == node {
            break;
        }
        out.push(next);
        cur = next;
    }
    out
}

/// Where a value (an identifier or expression) flows at its use site.
#[derive(Clone, Copy, Debug)]
pub enum ValueUse<'t> {
    /// `x.name(...)` (`called`) or `x.name` (a field read or method value).
    Selector { name: Node<'t>, called: bool },
    /// An argument of a call: `f(x)`, `append(s, x)`, `go f(x)`.
    Arg { call: Node<'t>, index: usize },
    /// Returned from the function.
    Returned,
    /// Sent on a channel.
    Sent,
    /// Right-hand side of an assignment or declaration, stored into `target`
    /// (`None` for `_` or when the target cannot be paired).
    Assigned {
        stmt: Node<'t>,
        target: Option<Node<'t>>,
    },
    /// A composite-literal element, keyed by `key` when the literal is keyed.
    Element {
        literal: Node<'t>,
        key: Option<Node<'t>>,
        position: usize,
    },
    /// `&x` or `*x` used somewhere we did not classify further, or `x` in a
    /// `range`, conversion, index, comparison...
    Other,
    /// Evaluated and dropped (`x` as an expression statement).
    Discarded,
}

/// Classify how the value of `expr` is used, given its ancestors (root first, parent
/// last).
pub fn value_use<'t>(expr: Node<'t>, anc: &[Node<'t>]) -> ValueUse<'t> {
    // Climb through parentheses and address-of, which do not change where the value goes.
    let mut node = expr;
    let mut i = anc.len();
    let parent = loop {
        if i == 0 {
            return ValueUse::Other;
        }
        i -= 1;
        let p = anc[i];
        match p.kind_str() {
            "parenthesized_expression" => node = p,
            "unary_expression" if p.child(0).is_some_and(|c| c.kind_str() == "&") => node = p,
            _ => break p,
        }
    };
    let up = |k: usize| -> Option<Node<'t>> { i.checked_sub(k).map(|j| anc[j]) };
    match parent.kind_str() {
        "selector_expression" => {
            if parent.field(F.operand) != Some(node) {
                return ValueUse::Other;
            }
            let Some(name) = parent.field(F.field) else {
                return ValueUse::Other;
            };
            // Is the selector itself the callee of a call (through parentheses)?
            let mut child = parent;
            let mut k = 1;
            let called = loop {
                match up(k) {
                    Some(p) if p.kind_str() == "parenthesized_expression" => {
                        child = p;
                        k += 1;
                    }
                    Some(p) if p.kind_str() == "call_expression" => {
                        break p.field(F.function) == Some(child);
                    }
                    _ => break false,
                }
            };
            ValueUse::Selector { name, called }
        }
        "argument_list" => {
            let Some(call) = up(1) else {
                return ValueUse::Other;
            };
            let mut c = parent.walk();
            let index = parent
                .named_children(&mut c)
                .filter(|n| n.kind_str() != "comment")
                .position(|n| n == node)
                .unwrap_or(0);
            ValueUse::Arg { call, index }
        }
        "variadic_argument" => {
            let (Some(list), Some(call)) = (up(1), up(2)) else {
                return ValueUse::Other;
            };
            let mut c = list.walk();
            let index = list
                .named_children(&mut c)
                .filter(|n| n.kind_str() != "comment")
                .position(|n| n == parent)
                .unwrap_or(0);
            ValueUse::Arg { call, index }
        }
        "expression_list" => {
            let Some(gp) = up(1) else {
                return ValueUse::Other;
            };
            match gp.kind_str() {
                "return_statement" => ValueUse::Returned,
                "short_var_declaration" | "assignment_statement" | "var_spec" => {
                    if gp.field(F.right).or_else(|| gp.field(F.value)) != Some(parent) {
                        return ValueUse::Other;
                    }
                    let rights = syntax::expr_list(parent);
                    let pos = rights.iter().position(|n| *n == node).unwrap_or(0);
                    let lefts: Vec<Node> = if gp.kind_str() == "var_spec" {
                        syntax::name_children(gp).collect()
                    } else {
                        gp.field(F.left).map(syntax::expr_list).unwrap_or_default()
                    };
                    let target = if lefts.len() == rights.len() {
                        lefts.get(pos).copied()
                    } else {
                        None
                    };
                    ValueUse::Assigned { stmt: gp, target }
                }
                _ => ValueUse::Other,
            }
        }
        "send_statement" => {
            if parent.field(F.value) == Some(node) {
                ValueUse::Sent
            } else {
                ValueUse::Other
            }
        }
        "literal_element" => {
            let Some(gp) = up(1) else {
                return ValueUse::Other;
            };
            let (lit_value, lit, key, item) = if gp.kind_str() == "keyed_element" {
                if gp.field(F.value) != Some(parent) {
                    return ValueUse::Other;
                }
                (up(2), up(3), gp.field(F.key), gp)
            } else {
                (Some(gp), up(2), None, parent)
            };
            let (Some(lit_value), Some(lit)) = (lit_value, lit) else {
                return ValueUse::Other;
            };
            let mut c = lit_value.walk();
            let position = lit_value
                .named_children(&mut c)
                .filter(|n| n.kind_str() != "comment")
                .position(|n| n == item)
                .unwrap_or(0);
            if lit.kind_str() == "composite_literal" {
                ValueUse::Element {
                    literal: lit,
                    key,
                    position,
                }
            } else {
                ValueUse::Other
            }
        }
        "expression_statement" => ValueUse::Discarded,
        _ => ValueUse::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_follow_go_conventions() {
        assert_eq!(default_package_name("time"), "time");
        assert_eq!(default_package_name("net/http"), "http");
        assert_eq!(
            default_package_name("github.com/go-redis/redis/v8"),
            "redis"
        );
        assert_eq!(default_package_name("gopkg.in/yaml.v3"), "yaml");
        assert_eq!(
            default_package_name("github.com/mattn/go-sqlite3"),
            "sqlite3"
        );
    }
}
