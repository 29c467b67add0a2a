//! The per-package index: what every file of a directory declares, and per-function
//! facts read once from the bodies, so rules can answer cross-file questions
//! ("does any function of the package stop this field?") without re-walking files.
//!
//! Built in two steps: top-level declarations of every file ([`decls`]), then one walk
//! of every function body that records the facts the rule families need
//! ([`facts`]). Derived, package-wide facts (which parameters a function stops,
//! transitively) are computed lazily, once, by a bounded fixed point.

pub mod decls;
pub mod facts;
pub mod lock;
pub mod net;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use decls::{
    ConstDef, ConstPart, FieldDef, FileDecls, FuncDef, ParamDef, RecvDef, StructDef, TypeKind,
    TypeRef, VarDef,
};
pub use facts::{
    CallKind, CallSite, Callee, FileFacts, FuncFacts, MethodCall, Root, Target, UseStats,
};

use crate::gomod::{GoMod, GoVersion};
use crate::sema::Imports;
use crate::source::SourceFile;

/// Method families whose calls are indexed, and whose "done on a parameter" facts
/// are propagated through same-package calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MethodFact {
    /// `Stop()` on a ticker or timer.
    Stop,
    /// `SetReadDeadline` / `SetDeadline` on a connection.
    ReadDeadline,
    /// `RowsAffected()` on a `sql.Result`.
    RowsAffected,
}

impl MethodFact {
    pub const ALL: [MethodFact; 3] = [
        MethodFact::Stop,
        MethodFact::ReadDeadline,
        MethodFact::RowsAffected,
    ];

    pub fn methods(self) -> &'static [&'static str] {
        match self {
            MethodFact::Stop => &["Stop"],
            MethodFact::ReadDeadline => &["SetReadDeadline", "SetDeadline"],
            MethodFact::RowsAffected => &["RowsAffected"],
        }
    }

    fn slot(self) -> usize {
        self as usize
    }

    /// The fact a method name belongs to.
    pub fn of_method(name: &str) -> Option<MethodFact> {
        MethodFact::ALL
            .into_iter()
            .find(|f| f.methods().contains(&name))
    }
}

/// Per-parameter facts for every function of the package (parameters past 64 are
/// not tracked).
#[derive(Clone, Debug, Default)]
pub struct ParamFacts {
    bits: Vec<u64>,
}

impl ParamFacts {
    pub fn has(&self, func: usize, param: usize) -> bool {
        param < 64 && self.bits.get(func).is_some_and(|b| b & (1 << param) != 0)
    }
}

/// Which families' body facts to extract. The net and lock parts of the facts walk
/// are most of its cost and are wanted only when one of their rules is enabled; the
/// net part also only in packages that use the network at all (see
/// [`FactScope::package_uses_net`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactScope {
    pub net: bool,
    pub lock: bool,
}

impl FactScope {
    pub const ALL: FactScope = FactScope {
        net: true,
        lock: true,
    };

    /// Import paths that make a package's net facts worth reading: connections
    /// (`net`, `crypto/tls`) and the HTTP types whose fields the literal rules follow
    /// (`net/http`). A package importing none of them has no connection of its own:
    /// its net facts are dropped when the package is indexed, so extracting them
    /// can be skipped.
    pub const NET_IMPORTS: [&'static str; 3] = ["net", "crypto/tls", "net/http"];

    pub fn package_uses_net<'a>(mut imports: impl Iterator<Item = &'a Imports>) -> bool {
        imports.any(|i| {
            i.list
                .iter()
                .any(|imp| Self::NET_IMPORTS.contains(&imp.path.as_str()))
        })
    }

    /// Whether a file's raw text may import one of [`Self::NET_IMPORTS`]: false only
    /// when none of them appears as a quoted string (an import path is a string
    /// literal, interpreted or raw). Lets a caller choose the scope before parsing.
    pub fn text_may_import_net(text: &[u8]) -> bool {
        Self::NET_IMPORTS.iter().any(|path| {
            [b'"', b'`'].iter().any(|&q| {
                let mut needle = Vec::with_capacity(path.len() + 2);
                needle.push(q);
                needle.extend_from_slice(path.as_bytes());
                needle.push(q);
                memchr::memmem::find(text, &needle).is_some()
            })
        })
    }

    /// Whether a file's raw text may take a lock: `lock-held-io` reads lock facts only
    /// inside a section opened by a call of a method named `Lock` or `RLock`, and Go
    /// spells an identifier only one way, so a package none of whose files holds the
    /// bytes `Lock` never asks for them (about half of the bench corpus).
    pub fn text_may_lock(text: &[u8]) -> bool {
        memchr::memmem::find(text, b"Lock").is_some()
    }

    /// This scope narrowed to a package whose files' raw texts are `texts`, known
    /// before any file is parsed: net facts when a net import path appears anywhere
    /// as a string (a superset of [`Self::for_package`]), lock facts when some file
    /// may take a lock ([`Self::text_may_lock`]).
    pub fn for_package_texts<'a>(
        self,
        mut texts: impl Iterator<Item = &'a [u8]> + Clone,
    ) -> FactScope {
        FactScope {
            net: self.net && texts.clone().any(Self::text_may_import_net),
            lock: self.lock && texts.any(Self::text_may_lock),
        }
    }

    /// This scope narrowed to a package (by the imports of all its files).
    pub fn for_package<'a>(self, imports: impl Iterator<Item = &'a Imports>) -> FactScope {
        FactScope {
            net: self.net && Self::package_uses_net(imports),
            lock: self.lock,
        }
    }
}

/// What the index keeps of one file: its declarations and body facts. Extracted from
/// the file alone, right after parsing, so the tree can be dropped for files that
/// only feed the index (generated files, siblings in a pre-commit run) and so the
/// language server can cache it per file.
#[derive(Debug)]
pub struct FileSummary {
    pub path: Arc<Path>,
    pub is_test: bool,
    pub decls: FileDecls,
    pub facts: FileFacts,
    /// The families whose facts were extracted.
    pub scope: FactScope,
}

impl FileSummary {
    /// Every fact of the file.
    pub fn extract(file: &SourceFile) -> FileSummary {
        Self::extract_scoped(file, Self::decls(file), FactScope::ALL)
    }

    /// The file's top-level declarations: the first step of [`Self::extract_scoped`],
    /// cheap, and enough to choose the package's [`FactScope`].
    pub fn decls(file: &SourceFile) -> FileDecls {
        FileDecls::extract(0, file.root(), &file.text)
    }

    /// The summary with only the facts of `scope`.
    pub fn extract_scoped(file: &SourceFile, decls: FileDecls, scope: FactScope) -> FileSummary {
        Self::extract_scoped_with(file, decls, scope, false)
    }

    /// [`Self::extract_scoped`] on several threads (the language server, re-summarising
    /// the file being edited): the declarations alongside the facts (which only need
    /// the imports), and a big file's facts split in two.
    pub fn extract_parallel(file: &SourceFile, scope: FactScope) -> FileSummary {
        let (decls, facts) = rayon::join(
            || Self::decls(file),
            || {
                let imports = Imports::from_file(file.root(), &file.text);
                facts::extract_with(file.flat(), &file.text, &imports, &file.lines, scope, true)
            },
        );
        Self::assemble(file, decls, facts, scope)
    }

    /// [`Self::extract_scoped`]; `parallel`: a big file may use two threads.
    pub fn extract_scoped_with(
        file: &SourceFile,
        decls: FileDecls,
        scope: FactScope,
        parallel: bool,
    ) -> FileSummary {
        let facts = facts::extract_with(
            file.flat(),
            &file.text,
            &decls.imports,
            &file.lines,
            scope,
            parallel,
        );
        Self::assemble(file, decls, facts, scope)
    }

    fn assemble(
        file: &SourceFile,
        decls: FileDecls,
        mut facts: FileFacts,
        scope: FactScope,
    ) -> FileSummary {
        // Lock facts may be shown as related locations from another file.
        for (_, f) in &mut facts.funcs {
            for site in &mut f.lock.sites {
                site.start = file.line_col(site.at.start);
                site.end = file.line_col(site.at.end);
            }
        }
        FileSummary {
            path: file.path.clone(),
            is_test: file.is_test,
            decls,
            facts,
            scope,
        }
    }
}

/// What [`PackageIndex::from_summaries`] takes from one file's summary: moved out of
/// a summary nobody else holds (the command line's), copied from one the caller keeps
/// (the language server's; copying was ~2 % of a full command-line run).
struct SummaryParts {
    structs: Vec<StructDef>,
    interfaces: Vec<String>,
    types: Vec<String>,
    vars: Vec<VarDef>,
    consts: Vec<ConstDef>,
    funcs: Vec<FuncDef>,
    facts: Vec<(usize, FuncFacts)>,
    uses: Vec<(String, UseStats)>,
}

impl SummaryParts {
    fn of(file: &mut Arc<FileSummary>) -> SummaryParts {
        use std::mem::take;
        match Arc::get_mut(file) {
            Some(f) => SummaryParts {
                structs: take(&mut f.decls.structs),
                interfaces: take(&mut f.decls.interfaces),
                types: take(&mut f.decls.types),
                vars: take(&mut f.decls.vars),
                consts: take(&mut f.decls.consts),
                funcs: take(&mut f.decls.funcs),
                facts: take(&mut f.facts.funcs),
                uses: take(&mut f.facts.uses).into_iter().collect(),
            },
            None => {
                let (d, f) = (&file.decls, &file.facts);
                SummaryParts {
                    structs: d.structs.clone(),
                    interfaces: d.interfaces.clone(),
                    types: d.types.clone(),
                    vars: d.vars.clone(),
                    consts: d.consts.clone(),
                    funcs: d.funcs.clone(),
                    facts: f.funcs.clone(),
                    uses: f.uses.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                }
            }
        }
    }
}

/// Everything rules may ask about a package.
#[derive(Debug, Default)]
pub struct PackageIndex {
    /// The files' summaries, for their imports, paths and package-wide flags: their
    /// declarations and per-function facts live in the fields below (and may have
    /// been moved out of the summaries).
    pub files: Vec<Arc<FileSummary>>,
    /// All functions and methods of the package, in file order.
    pub funcs: Vec<FuncDef>,
    /// Facts read from each function's body (parallel to `funcs`).
    pub facts: Vec<FuncFacts>,
    func_by_key: HashMap<String, usize>,
    funcs_by_name: HashMap<String, Vec<usize>>,
    pub structs: HashMap<String, StructDef>,
    pub interfaces: HashSet<String>,
    pub types: HashSet<String>,
    pub vars: HashMap<String, VarDef>,
    pub consts: HashMap<String, ConstDef>,
    /// How each function or method name is referred to across the package.
    pub uses: rustc_hash::FxHashMap<String, UseStats>,
    pub gomod: Option<Arc<GoMod>>,
    /// Language version override from the settings (wins over go.mod).
    pub go_version_override: Option<GoVersion>,
    param_facts: [OnceLock<ParamFacts>; 3],
    escapes: OnceLock<ParamFacts>,
    field_facts: [OnceLock<HashSet<String>>; 3],
    /// Derived facts of the net family ([`net::NetIndex`]).
    net: OnceLock<net::NetIndex>,
    /// Lock family: each function's first unconditional blocking operation.
    lock_io: OnceLock<Vec<Option<lock::CalleeIo>>>,
    chan_buffered: OnceLock<HashSet<String>>,
}

impl PackageIndex {
    /// Index the files of one package (one directory). `files` may include files that
    /// will not be linted: they still feed the index.
    pub fn build(files: &[&SourceFile], gomod: Option<Arc<GoMod>>) -> PackageIndex {
        let summaries = files
            .iter()
            .map(|f| Arc::new(FileSummary::extract(f)))
            .collect();
        PackageIndex::from_summaries(summaries, gomod)
    }

    /// Assemble a package from its files' summaries: merge declarations, then resolve
    /// every recorded call against the package's functions and methods.
    pub fn from_summaries(
        mut files: Vec<Arc<FileSummary>>,
        gomod: Option<Arc<GoMod>>,
    ) -> PackageIndex {
        let mut idx = PackageIndex {
            gomod,
            ..PackageIndex::default()
        };
        // Net facts count only in a package that uses the network (the same answer
        // whether or not the caller skipped extracting them).
        let uses_net = FactScope::package_uses_net(files.iter().map(|f| &f.decls.imports));
        // Go forbids duplicates within a package: first one wins if a broken file has some.
        let mut facts = Vec::new();
        for (fi, file) in files.iter_mut().enumerate() {
            let mut parts = SummaryParts::of(file);
            for st in parts.structs {
                if !idx.structs.contains_key(&st.name) {
                    idx.structs
                        .insert(st.name.clone(), StructDef { file: fi, ..st });
                }
            }
            idx.interfaces.extend(parts.interfaces);
            idx.types.extend(parts.types);
            for v in parts.vars {
                if !idx.vars.contains_key(&v.name) {
                    idx.vars.insert(v.name.clone(), VarDef { file: fi, ..v });
                }
            }
            for c in parts.consts {
                if !idx.consts.contains_key(&c.name) {
                    idx.consts
                        .insert(c.name.clone(), ConstDef { file: fi, ..c });
                }
            }
            for f in parts.funcs {
                // Facts are kept in source order: found by bisection (a linear search
                // per function was quadratic in big files).
                let funcs = &mut parts.facts;
                let at = funcs.partition_point(|(start, _)| *start < f.range.start);
                let at = Some(at)
                    .filter(|&at| funcs.get(at).is_some_and(|(s, _)| *s == f.range.start))
                    .or_else(|| funcs.iter().position(|(s, _)| *s == f.range.start));
                let mut body = at
                    .map(|at| std::mem::take(&mut funcs[at].1))
                    .unwrap_or_default();
                if !uses_net {
                    body.net = None;
                }
                facts.push(body);
                idx.funcs.push(FuncDef { file: fi, ..f });
            }
            for (name, u) in parts.uses {
                idx.uses.entry(name).or_default().add(&u);
            }
        }
        idx.files = files;
        for (i, f) in idx.funcs.iter().enumerate() {
            idx.func_by_key.entry(f.key()).or_insert(i);
            idx.funcs_by_name.entry(f.name.clone()).or_default().push(i);
        }
        for (fi, f) in facts.iter_mut().enumerate() {
            for call in &mut f.calls {
                let (callees, certain) = idx.resolve_callee(fi, &call.callee);
                call.callees = callees;
                call.certain = certain;
                // Handed to another package (or to a function value): it escapes.
                if call.callees.is_empty() {
                    for a in call.args.iter().flatten() {
                        if let (Root::Param(p), true) = (&a.root, a.fields.is_empty())
                            && *p < 64
                        {
                            f.escaping_params |= 1 << p;
                        }
                    }
                }
            }
            net::resolve_calls(&idx, fi, f);
        }
        idx.facts = facts;
        idx
    }

    /// Which package functions a recorded callee may be.
    fn resolve_callee(&self, caller: usize, callee: &Callee) -> (Vec<usize>, bool) {
        match callee {
            Callee::Func(name) => match self.func_named(name) {
                Some(g) => (vec![g], true),
                None => (Vec::new(), true),
            },
            Callee::Method { name, recv } => {
                if self.methods_named(name).next().is_none() {
                    return (Vec::new(), true);
                }
                if let Some(ty) = recv.as_ref().and_then(|t| self.target_type(caller, t)) {
                    return match self.method_of(&ty, name) {
                        Some(m) => (vec![m], true),
                        None => (Vec::new(), true),
                    };
                }
                (self.methods_named(name).collect(), false)
            }
        }
    }

    /// The local named type of an access path in function `func`, when the index knows it.
    pub fn target_type(&self, func: usize, t: &Target) -> Option<String> {
        let f = &self.funcs[func];
        let mut ty = match &t.root {
            Root::Recv => f.recv.as_ref()?.type_name.clone(),
            Root::Param(i) => {
                let p = f.params.get(*i)?;
                if !p.ty.is_local_named() {
                    return None;
                }
                p.ty.name.clone()
            }
            Root::PkgVar(v) => {
                let ty = self.vars.get(v)?.ty.as_ref()?;
                if !ty.is_local_named() {
                    return None;
                }
                ty.name.clone()
            }
            Root::Local(..) => return None,
        };
        for field in &t.fields {
            let fty = self.field_type(&ty, field)?;
            if !fty.is_local_named() {
                return None;
            }
            ty = fty.name.clone();
        }
        Some(ty)
    }

    /// An index of a single file (tests, doc examples).
    pub fn single(file: &SourceFile) -> PackageIndex {
        PackageIndex::build(&[file], None)
    }

    pub fn func_by_key(&self, key: &str) -> Option<usize> {
        self.func_by_key.get(key).copied()
    }

    /// Plain functions (not methods) named `name`.
    pub fn func_named(&self, name: &str) -> Option<usize> {
        self.funcs_by_name
            .get(name)?
            .iter()
            .copied()
            .find(|&i| self.funcs[i].recv.is_none())
    }

    /// Functions and methods named `name`.
    pub fn funcs_named(&self, name: &str) -> &[usize] {
        self.funcs_by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// Methods named `name`, of any receiver type.
    pub fn methods_named(&self, name: &str) -> impl Iterator<Item = usize> + '_ {
        self.funcs_named(name)
            .iter()
            .copied()
            .filter(|&i| self.funcs[i].recv.is_some())
    }

    /// The method `name` of type `ty`, or of a type it embeds (one level).
    pub fn method_of(&self, ty: &str, name: &str) -> Option<usize> {
        if let Some(i) = self.func_by_key(&format!("{ty}.{name}")) {
            return Some(i);
        }
        let st = self.structs.get(ty)?;
        st.fields
            .iter()
            .filter(|f| f.embedded && f.ty.is_local_named())
            .find_map(|f| self.func_by_key(&format!("{}.{}", f.ty.name, name)))
    }

    /// The function whose declaration covers `offset` in file `file`.
    pub fn func_at(&self, file: usize, offset: usize) -> Option<usize> {
        // `funcs` is in (file, position) order and top-level functions do not nest.
        let i = self
            .funcs
            .partition_point(|f| (f.file, f.range.start) <= (file, offset));
        let g = i.checked_sub(1)?;
        let f = &self.funcs[g];
        (f.file == file && f.range.contains(&offset)).then_some(g)
    }

    /// Type of field `field` of local struct `ty`, following embedded structs one level.
    pub fn field_type(&self, ty: &str, field: &str) -> Option<&TypeRef> {
        let st = self.structs.get(ty)?;
        if let Some(f) = st.fields.iter().find(|f| f.name == field) {
            return Some(&f.ty);
        }
        st.fields
            .iter()
            .filter(|f| f.embedded && f.ty.is_local_named())
            .find_map(|f| {
                self.structs
                    .get(&f.ty.name)?
                    .fields
                    .iter()
                    .find(|g| g.name == field)
                    .map(|g| &g.ty)
            })
    }

    /// Whether any struct of the package declares a field named `field`.
    pub fn has_field_named(&self, field: &str) -> bool {
        self.structs
            .values()
            .any(|s| s.fields.iter().any(|f| f.name == field))
    }

    /// The Go version rules should assume: settings override, else go.mod's `go` line.
    pub fn go_version(&self) -> Option<GoVersion> {
        self.go_version_override
            .or_else(|| self.gomod.as_ref().and_then(|m| m.go))
    }

    /// Whether the Go 1.23 timer semantics apply: unreferenced, unstopped Tickers and
    /// Timers are garbage-collected. False when `asynctimerchan=1` is set in go.mod or
    /// in a `//go:debug` directive of the package.
    pub fn timers_collected(&self) -> bool {
        let Some(v) = self.go_version() else {
            return false;
        };
        if v < GoVersion::TIMER_GC {
            return false;
        }
        let async_chan = self
            .gomod
            .as_ref()
            .and_then(|m| m.godebug_value("asynctimerchan"))
            .map(str::to_string)
            .or_else(|| {
                self.files.iter().find_map(|f| {
                    f.decls
                        .go_debug
                        .iter()
                        .rev()
                        .find(|(k, _)| k == "asynctimerchan")
                        .map(|(_, v)| v.clone())
                })
            });
        async_chan.as_deref() != Some("1")
    }

    /// Evaluate a string constant of the package (`const q = "UPDATE " + table`).
    pub fn const_string(&self, name: &str) -> Option<String> {
        let mut out = String::new();
        let mut depth = 0;
        // Iterative expansion with a depth cap (constants may refer to each other).
        let mut parts: Vec<&ConstPart> = self.consts.get(name)?.parts.iter().rev().collect();
        while let Some(p) = parts.pop() {
            match p {
                ConstPart::Str(s) => out.push_str(s),
                ConstPart::Ref(r) => {
                    depth += 1;
                    if depth > 64 {
                        return None;
                    }
                    let c = self.consts.get(r.as_str())?;
                    parts.extend(c.parts.iter().rev());
                }
                ConstPart::Unknown => return None,
            }
        }
        Some(out)
    }

    /// Which parameters each function applies `fact`'s methods to, directly or by
    /// passing them to a same-package function that does.
    pub fn param_facts(&self, fact: MethodFact) -> &ParamFacts {
        self.param_facts[fact.slot()].get_or_init(|| {
            let methods = fact.methods();
            let mut bits = vec![0u64; self.funcs.len()];
            for (i, f) in self.facts.iter().enumerate() {
                for mc in &f.method_calls {
                    if let (Root::Param(p), true) = (&mc.target.root, mc.target.fields.is_empty())
                        && *p < 64
                        && methods.contains(&mc.method.as_str())
                    {
                        bits[i] |= 1 << p;
                    }
                }
            }
            self.propagate(&mut bits);
            ParamFacts { bits }
        })
    }

    /// Which parameters escape each function: returned, stored, sent, or handed to code
    /// outside the package (directly or through same-package calls).
    pub fn param_escapes(&self) -> &ParamFacts {
        self.escapes.get_or_init(|| {
            let mut bits: Vec<u64> = self.facts.iter().map(|f| f.escaping_params).collect();
            self.propagate(&mut bits);
            ParamFacts { bits }
        })
    }

    /// Forward facts from callees to callers until nothing changes (bounded).
    fn propagate(&self, bits: &mut [u64]) {
        for _round in 0..32 {
            let mut changed = false;
            for (caller, f) in self.facts.iter().enumerate() {
                for call in &f.calls {
                    for (j, arg) in call.args.iter().enumerate() {
                        let Some(Target {
                            root: Root::Param(p),
                            fields,
                        }) = arg
                        else {
                            continue;
                        };
                        if !fields.is_empty() || *p >= 64 || j >= 64 {
                            continue;
                        }
                        if call.callees.iter().any(|&g| bits[g] & (1 << j) != 0)
                            && bits[caller] & (1 << p) == 0
                        {
                            bits[caller] |= 1 << p;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Field names on which `fact`'s methods are called anywhere in the package:
    /// `x.f.Stop()`, `v := x.f; v.Stop()`, or `x.f` passed to a same-package function
    /// that does it to its parameter.
    pub fn fields_with(&self, fact: MethodFact) -> &HashSet<String> {
        self.field_facts[fact.slot()].get_or_init(|| {
            let methods = fact.methods();
            let params = self.param_facts(fact);
            let mut out = HashSet::default();
            for f in &self.facts {
                for mc in &f.method_calls {
                    if !methods.contains(&mc.method.as_str()) {
                        continue;
                    }
                    if let Some(last) = mc.target.fields.last() {
                        out.insert(last.clone());
                    } else if let Root::Local(_, decl) = mc.target.root {
                        for (adecl, field) in &f.field_aliases {
                            if *adecl == decl {
                                out.insert(field.clone());
                            }
                        }
                    }
                }
                for call in &f.calls {
                    for (j, arg) in call.args.iter().enumerate() {
                        let Some(arg) = arg else { continue };
                        let Some(last) = arg.fields.last() else {
                            continue;
                        };
                        if call.callees.iter().any(|&g| params.has(g, j)) {
                            out.insert(last.clone());
                        }
                    }
                }
            }
            out
        })
    }

    /// The receiver-declared type name of a function, when it is a method.
    pub fn recv_type(&self, func: usize) -> Option<&str> {
        self.funcs[func].recv.as_ref().map(|r| r.type_name.as_str())
    }
}

#[cfg(test)]
mod scope_tests {
    use std::sync::Arc;

    use super::{FactScope, FileSummary};
    use crate::engine::{Engine, Family, Selector, Settings};
    use crate::testing::{fixtures_root, load_package, package_dirs};
    use crate::{PackageFile, lint_package};

    /// Findings with every fact extracted, and with only the facts the engine's rules
    /// and the package's imports call for (what the CLI and the language server do),
    /// must be the same on every fixture package, whichever families are enabled.
    #[test]
    fn scoped_facts_change_no_finding() {
        let mut engines = vec![Engine::new(Settings::default())];
        for family in Family::ALL {
            let mut s = Settings::default();
            s.select(&[Selector::Family(family)], &[]);
            engines.push(Engine::new(s));
        }
        let (mut net_skipped, mut lock_skipped) = (0, 0);
        for dir in package_dirs(&fixtures_root()) {
            let files = load_package(&dir);
            for engine in &engines {
                let lint = |summaries: Vec<FileSummary>| {
                    let package: Vec<PackageFile> = summaries
                        .into_iter()
                        .zip(&files)
                        .map(|(s, f)| PackageFile {
                            summary: Arc::new(s),
                            source: Some(f),
                        })
                        .collect();
                    lint_package(engine, &package, None)
                        .into_iter()
                        .flat_map(|(i, l)| {
                            l.diagnostics
                                .into_iter()
                                .map(move |d| (i, d.rule, d.range, d.message))
                        })
                        .collect::<Vec<_>>()
                };
                let full = lint(files.iter().map(FileSummary::extract).collect());
                let decls: Vec<_> = files.iter().map(FileSummary::decls).collect();
                let scope = engine
                    .fact_scope()
                    .for_package(decls.iter().map(|d| &d.imports));
                net_skipped += usize::from(engine.fact_scope().net && !scope.net);
                let scoped = lint(
                    files
                        .iter()
                        .zip(decls)
                        .map(|(f, d)| FileSummary::extract_scoped(f, d, scope))
                        .collect(),
                );
                assert_eq!(full, scoped, "{}", dir.display());
                // The CLI's scope, chosen from the raw texts before parsing.
                let by_text = engine
                    .fact_scope()
                    .for_package_texts(files.iter().map(|f| f.text.as_bytes()));
                lock_skipped += usize::from(engine.fact_scope().lock && !by_text.lock);
                let texted = lint(
                    files
                        .iter()
                        .map(|f| FileSummary::extract_scoped(f, FileSummary::decls(f), by_text))
                        .collect(),
                );
                assert_eq!(full, texted, "{}", dir.display());
            }
        }
        // The gates did skip work somewhere (packages without network imports, or
        // without a lock).
        assert!(net_skipped > 0);
        assert!(lock_skipped > 0);
    }

    /// The index takes what it needs out of summaries nobody else holds and copies it
    /// from shared ones: both must lint alike, on every fixture package.
    #[test]
    fn owned_and_shared_summaries_lint_alike() {
        let engine = Engine::new(Settings::default());
        let mut findings = 0;
        for dir in package_dirs(&fixtures_root()) {
            let files = load_package(&dir);
            let shared: Vec<PackageFile> = files
                .iter()
                .map(|f| PackageFile {
                    summary: Arc::new(FileSummary::extract(f)),
                    source: Some(f),
                })
                .collect();
            let by_ref: Vec<_> = lint_package(&engine, &shared, None)
                .into_iter()
                .map(|(i, l)| (i, format!("{:?}", l.diagnostics)))
                .collect();
            let summaries = files
                .iter()
                .map(|f| Arc::new(FileSummary::extract(f)))
                .collect();
            let sources = load_package(&dir).into_iter().map(Some).collect();
            let owned =
                crate::lint_package_owned(&engine, summaries, sources, None, false, |_, _, l| {
                    format!("{:?}", l.diagnostics)
                });
            assert_eq!(by_ref, owned, "{}", dir.display());
            findings += owned.iter().filter(|(_, d)| d != "[]").count();
        }
        assert!(findings > 50, "files with findings: {findings}");
    }

    #[test]
    fn the_text_scope_covers_the_import_scope() {
        for dir in package_dirs(&fixtures_root()) {
            let files = load_package(&dir);
            let decls: Vec<_> = files.iter().map(FileSummary::decls).collect();
            let by_imports = FactScope::ALL.for_package(decls.iter().map(|d| &d.imports));
            let by_text = FactScope::ALL.for_package_texts(files.iter().map(|f| f.text.as_bytes()));
            assert!(by_text.net || !by_imports.net, "{}", dir.display());
        }
        let locks = |s: &str| FactScope::text_may_lock(s.as_bytes());
        assert!(locks("func f(s *S) { s.mu.RLock(); defer s.mu.RUnlock() }"));
        assert!(!locks("func f(b *Block) { b.Unlock(); clock.Reset() }"));
        let text = |s: &str| FactScope::text_may_import_net(s.as_bytes());
        assert!(text("package a\nimport (\n\tn `net`\n)\n"));
        assert!(text("package a\nimport \"net/http\"\n"));
        assert!(!text("package a\nimport \"net/url\"\n"));
    }

    #[test]
    fn net_scope_follows_the_package_imports() {
        let file = |src: &str| crate::SourceFile::from_string("a.go", src.to_string()).unwrap();
        let plain = file("package a\nimport \"strings\"\n");
        let tls = file("package a\nimport t \"crypto/tls\"\n");
        let (p, t) = (FileSummary::decls(&plain), FileSummary::decls(&tls));
        assert!(!FactScope::ALL.for_package([&p.imports].into_iter()).net);
        assert!(
            FactScope::ALL
                .for_package([&p.imports, &t.imports].into_iter())
                .net
        );
        assert!(FactScope::ALL.for_package([&t.imports].into_iter()).lock);
    }
}
