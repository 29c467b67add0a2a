//! Top-level declarations of one file: imports, types, functions, package vars and
//! constants. Read from the top level of the tree only (no function bodies).

use crate::syntax::{F, NodeExt};
use std::ops::Range;

use tree_sitter::Node;

use crate::sema::{self, Imports};
use crate::syntax::{self, text};

/// The shape of a written type, with its package resolved through the file's imports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeRef {
    /// Source text as written.
    pub text: String,
    /// `*T` (one or more levels).
    pub pointer: bool,
    /// Import path of a qualified type (`net.Conn` -> `net`); `None` for local or builtin.
    pub pkg: Option<String>,
    /// Base type name (`Conn`, `Ticker`, `Server`); empty for unnamed types.
    pub name: String,
    pub kind: TypeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeKind {
    Named,
    Slice,
    Array,
    Map,
    Chan,
    Func,
    Interface,
    Struct,
    Other,
}

impl TypeRef {
    pub fn from_node(node: Node<'_>, src: &str, imports: &Imports) -> TypeRef {
        let mut t = TypeRef {
            text: text(node, src).to_string(),
            pointer: false,
            pkg: None,
            name: String::new(),
            kind: TypeKind::Other,
        };
        let mut cur = node;
        loop {
            match cur.kind_str() {
                "pointer_type" => {
                    t.pointer = true;
                    match cur.named_child(0) {
                        Some(inner) => cur = inner,
                        None => return t,
                    }
                }
                "parenthesized_type" => match cur.named_child(0) {
                    Some(inner) => cur = inner,
                    None => return t,
                },
                "generic_type" => match cur.field(F.ty) {
                    Some(inner) => cur = inner,
                    None => return t,
                },
                "qualified_type" => {
                    let pkg = cur.field(F.package).map(|p| text(p, src)).unwrap_or("");
                    t.pkg = Some(
                        imports
                            .path_of(pkg)
                            .map(str::to_string)
                            .unwrap_or_else(|| pkg.to_string()),
                    );
                    t.name = cur
                        .field(F.name)
                        .map(|n| text(n, src).to_string())
                        .unwrap_or_default();
                    t.kind = TypeKind::Named;
                    return t;
                }
                "type_identifier" => {
                    t.name = text(cur, src).to_string();
                    t.kind = TypeKind::Named;
                    return t;
                }
                "slice_type" => {
                    t.kind = TypeKind::Slice;
                    return t;
                }
                "array_type" | "implicit_length_array_type" => {
                    t.kind = TypeKind::Array;
                    return t;
                }
                "map_type" => {
                    t.kind = TypeKind::Map;
                    return t;
                }
                "channel_type" => {
                    t.kind = TypeKind::Chan;
                    return t;
                }
                "function_type" => {
                    t.kind = TypeKind::Func;
                    return t;
                }
                "interface_type" => {
                    t.kind = TypeKind::Interface;
                    return t;
                }
                "struct_type" => {
                    t.kind = TypeKind::Struct;
                    return t;
                }
                _ => return t,
            }
        }
    }

    /// `pkg.name` or `*pkg.name`.
    pub fn is(&self, pkg: &str, name: &str) -> bool {
        self.kind == TypeKind::Named && self.pkg.as_deref() == Some(pkg) && self.name == name
    }

    /// A named type declared in this package (or a builtin such as `error`).
    pub fn is_local_named(&self) -> bool {
        self.kind == TypeKind::Named && self.pkg.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    /// The field name; for an embedded field, the embedded type's name.
    pub name: String,
    pub embedded: bool,
    pub ty: TypeRef,
}

#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<FieldDef>,
    pub file: usize,
}

#[derive(Clone, Debug)]
pub struct ParamDef {
    pub name: Option<String>,
    pub ty: TypeRef,
    pub variadic: bool,
}

#[derive(Clone, Debug)]
pub struct RecvDef {
    pub name: Option<String>,
    pub type_name: String,
    pub pointer: bool,
}

#[derive(Clone, Debug)]
pub struct FuncDef {
    pub name: String,
    pub recv: Option<RecvDef>,
    pub params: Vec<ParamDef>,
    pub results: Vec<TypeRef>,
    pub file: usize,
    /// Byte range of the whole declaration in its file.
    pub range: Range<usize>,
    /// Byte range of the name token.
    pub name_range: Range<usize>,
}

impl FuncDef {
    /// `name` for functions, `Type.name` for methods.
    pub fn key(&self) -> String {
        match &self.recv {
            Some(r) => format!("{}.{}", r.type_name, self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct VarDef {
    pub name: String,
    pub ty: Option<TypeRef>,
    pub file: usize,
    pub name_range: Range<usize>,
}

/// A piece of a constant's value: enough to evaluate string constants built with `+`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConstPart {
    Str(String),
    Ref(String),
    Unknown,
}

#[derive(Clone, Debug)]
pub struct ConstDef {
    pub name: String,
    pub parts: Vec<ConstPart>,
    pub file: usize,
}

/// Everything a file declares at top level.
#[derive(Clone, Debug, Default)]
pub struct FileDecls {
    pub package: String,
    pub imports: Imports,
    /// Has the `// Code generated ... DO NOT EDIT.` header.
    pub generated: bool,
    /// `//go:debug key=value` directives.
    pub go_debug: Vec<(String, String)>,
    pub structs: Vec<StructDef>,
    /// Names of interface types.
    pub interfaces: Vec<String>,
    /// Names of every type declared at top level.
    pub types: Vec<String>,
    pub funcs: Vec<FuncDef>,
    pub vars: Vec<VarDef>,
    pub consts: Vec<ConstDef>,
}

/// Whether the file carries the generated-code header (a `// Code generated ... DO NOT
/// EDIT.` comment before the package clause), as [`FileDecls::generated`] says.
pub fn is_generated(root: Node<'_>, src: &str) -> bool {
    let mut c = root.walk();
    root.named_children(&mut c)
        .take_while(|n| n.kind_str() != "package_clause")
        .any(|n| n.kind_str() == "comment" && is_generated_header(text(n, src)))
}

impl FileDecls {
    pub fn extract(file_idx: usize, root: Node<'_>, src: &str) -> FileDecls {
        let mut d = FileDecls {
            imports: Imports::from_file(root, src),
            generated: is_generated(root, src),
            ..FileDecls::default()
        };
        let mut seen_package = false;
        let mut c = root.walk();
        for top in root.named_children(&mut c) {
            match top.kind_str() {
                "comment" if !seen_package => {
                    let t = text(top, src);
                    if let Some(rest) = t.strip_prefix("//go:debug") {
                        for item in rest.split(',') {
                            if let Some((k, v)) = item.trim().split_once('=') {
                                d.go_debug
                                    .push((k.trim().to_string(), v.trim().to_string()));
                            }
                        }
                    }
                }
                "package_clause" => {
                    seen_package = true;
                    if let Some(n) = top.named_child(0) {
                        d.package = text(n, src).to_string();
                    }
                }
                "type_declaration" => d.type_decl(file_idx, top, src),
                "function_declaration" | "method_declaration" => {
                    if let Some(f) = func_def(file_idx, top, src, &d.imports) {
                        d.funcs.push(f);
                    }
                }
                "var_declaration" => d.var_decl(file_idx, top, src),
                "const_declaration" => d.const_decl(file_idx, top, src),
                _ => {}
            }
        }
        d
    }

    fn type_decl(&mut self, file: usize, decl: Node<'_>, src: &str) {
        let mut c = decl.walk();
        for spec in decl.named_children(&mut c) {
            if !matches!(spec.kind_str(), "type_spec" | "type_alias") {
                continue;
            }
            let (Some(name), Some(ty)) = (spec.field(F.name), spec.field(F.ty)) else {
                continue;
            };
            let name = text(name, src).to_string();
            self.types.push(name.clone());
            match ty.kind_str() {
                "struct_type" => {
                    let fields = struct_fields(ty, src, &self.imports);
                    self.structs.push(StructDef { name, fields, file });
                }
                "interface_type" => self.interfaces.push(name),
                _ => {}
            }
        }
    }

    fn var_decl(&mut self, file: usize, decl: Node<'_>, src: &str) {
        syntax::walk(decl, |n| {
            if n.kind_str() != "var_spec" {
                return syntax::Walk::Continue;
            }
            let ty = n
                .field(F.ty)
                .map(|t| TypeRef::from_node(t, src, &self.imports));
            let values = n.field(F.value).map(syntax::expr_list).unwrap_or_default();
            let names: Vec<Node> = syntax::name_children(n).collect();
            for (i, name) in names.iter().enumerate() {
                // `var t = time.NewTicker(d)`: the constructor says the type.
                let inferred = match (&ty, values.get(i)) {
                    (None, Some(v)) if values.len() == names.len() => {
                        infer_type(*v, src, &self.imports)
                    }
                    _ => None,
                };
                self.vars.push(VarDef {
                    name: text(*name, src).to_string(),
                    ty: ty.clone().or(inferred),
                    file,
                    name_range: name.start_byte()..name.end_byte(),
                });
            }
            syntax::Walk::Skip
        });
    }

    fn const_decl(&mut self, file: usize, decl: Node<'_>, src: &str) {
        syntax::walk(decl, |n| {
            if n.kind_str() != "const_spec" {
                return syntax::Walk::Continue;
            }
            let names: Vec<Node> = syntax::name_children(n)
                .filter(|x| x.kind_str() == "identifier")
                .collect();
            let values = n.field(F.value).map(syntax::expr_list).unwrap_or_default();
            for (i, name) in names.iter().enumerate() {
                let parts = match values.get(i) {
                    Some(v) if values.len() == names.len() => const_parts(*v, src),
                    _ => vec![ConstPart::Unknown],
                };
                self.consts.push(ConstDef {
                    name: text(*name, src).to_string(),
                    parts,
                    file,
                });
            }
            syntax::Walk::Skip
        });
    }
}

/// Standard-library constructors whose result type rules care about:
/// (import path, function, result type's package, type name, pointer).
pub const KNOWN_CONSTRUCTORS: &[(&str, &str, &str, &str, bool)] = &[
    ("time", "NewTicker", "time", "Ticker", true),
    ("time", "NewTimer", "time", "Timer", true),
    ("database/sql", "Open", "database/sql", "DB", true),
    ("database/sql", "OpenDB", "database/sql", "DB", true),
];

/// The type of `pkg.Func(...)` for a known constructor.
pub fn infer_type(value: Node<'_>, src: &str, imports: &Imports) -> Option<TypeRef> {
    let value = syntax::unparen(value);
    if value.kind_str() != "call_expression" {
        return None;
    }
    let (Some(op), name) = syntax::callee(value)? else {
        return None;
    };
    let path = imports.path_of(text(op, src))?;
    let name = text(name, src);
    let &(_, _, pkg, ty, pointer) = KNOWN_CONSTRUCTORS
        .iter()
        .find(|(p, f, ..)| *p == path && *f == name)?;
    Some(TypeRef {
        text: format!("{}{}.{}", if pointer { "*" } else { "" }, pkg, ty),
        pointer,
        pkg: Some(pkg.to_string()),
        name: ty.to_string(),
        kind: TypeKind::Named,
    })
}

/// `^// Code generated .* DO NOT EDIT\.$`
pub fn is_generated_header(comment: &str) -> bool {
    let line = comment.trim_end_matches(['\r', '\n']);
    line.starts_with("// Code generated ") && line.ends_with(" DO NOT EDIT.")
}

fn struct_fields(st: Node<'_>, src: &str, imports: &Imports) -> Vec<FieldDef> {
    let mut out = Vec::new();
    let mut c = st.walk();
    let Some(list) = st
        .named_children(&mut c)
        .find(|n| n.kind_str() == "field_declaration_list")
    else {
        return out;
    };
    let mut c = list.walk();
    for fd in list.named_children(&mut c) {
        if fd.kind_str() != "field_declaration" {
            continue;
        }
        let Some(ty) = fd.field(F.ty) else {
            continue;
        };
        let tref = TypeRef::from_node(ty, src, imports);
        let names: Vec<Node> = syntax::name_children(fd).collect();
        if names.is_empty() {
            out.push(FieldDef {
                name: tref.name.clone(),
                embedded: true,
                ty: tref,
            });
        } else {
            for n in names {
                out.push(FieldDef {
                    name: text(n, src).to_string(),
                    embedded: false,
                    ty: tref.clone(),
                });
            }
        }
    }
    out
}

fn func_def(file: usize, decl: Node<'_>, src: &str, imports: &Imports) -> Option<FuncDef> {
    let name_node = decl.field(F.name)?;
    let recv = decl.field(F.receiver).and_then(|r| {
        let (_, name, ty) = sema::param_names(r, src).into_iter().next()?;
        let tref = TypeRef::from_node(ty, src, imports);
        Some(RecvDef {
            name: name.map(|n| text(n, src).to_string()),
            type_name: tref.name,
            pointer: tref.pointer,
        })
    });
    let params = decl
        .field(F.parameters)
        .map(|p| {
            // The types of `...T` parameters (asking a type for its parent would
            // descend from the root of the file, per parameter).
            let variadic: Vec<usize> = syntax::short_named_children(p)
                .filter(|d| d.kind_str() == "variadic_parameter_declaration")
                .filter_map(|d| d.field(F.ty))
                .map(|t| t.id())
                .collect();
            sema::param_names(p, src)
                .into_iter()
                .map(|(_, name, ty)| ParamDef {
                    name: name.map(|n| text(n, src).to_string()),
                    ty: TypeRef::from_node(ty, src, imports),
                    variadic: variadic.contains(&ty.id()),
                })
                .collect()
        })
        .unwrap_or_default();
    let results = match decl.field(F.result) {
        Some(r) if r.kind_str() == "parameter_list" => sema::param_names(r, src)
            .into_iter()
            .map(|(_, _, ty)| TypeRef::from_node(ty, src, imports))
            .collect(),
        Some(r) => vec![TypeRef::from_node(r, src, imports)],
        None => Vec::new(),
    };
    Some(FuncDef {
        name: text(name_node, src).to_string(),
        recv,
        params,
        results,
        file,
        range: decl.start_byte()..decl.end_byte(),
        name_range: name_node.start_byte()..name_node.end_byte(),
    })
}

/// Split a constant expression into string pieces joined by `+`.
pub fn const_parts(expr: Node<'_>, src: &str) -> Vec<ConstPart> {
    let mut out = Vec::new();
    let mut stack = vec![syntax::unparen(expr)];
    while let Some(e) = stack.pop() {
        match e.kind_str() {
            "binary_expression" if e.field(F.operator).is_some_and(|o| text(o, src) == "+") => {
                // Push right first so the left operand is handled first.
                if let Some(r) = e.field(F.right) {
                    stack.push(syntax::unparen(r));
                }
                if let Some(l) = e.field(F.left) {
                    stack.push(syntax::unparen(l));
                }
            }
            "interpreted_string_literal" | "raw_string_literal" => {
                out.push(ConstPart::Str(string_literal_value(e, src)))
            }
            "identifier" => out.push(ConstPart::Ref(text(e, src).to_string())),
            _ => out.push(ConstPart::Unknown),
        }
    }
    out
}

/// The value of a Go string literal (escape sequences decoded where simple).
pub fn string_literal_value(lit: Node<'_>, src: &str) -> String {
    let raw = text(lit, src);
    if lit.kind_str() == "raw_string_literal" {
        return raw
            .trim_start_matches('`')
            .trim_end_matches('`')
            .replace('\r', "");
    }
    let inner = raw
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
