use std::collections::HashSet;

use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};
use crate::index::net::{NetFacts, NetRead, is_reader_method};
use crate::index::{Root, Target};
use crate::sema::{self, ValueUse};
use crate::syntax::{self, F, NodeExt, Walk};

use super::render_target;

declare_rule! {
    /// ## What it does
    /// Flags `c.SetReadDeadline(time.Now().Add(d))` (or `SetDeadline`) set once before
    /// a loop that keeps reading from the same connection, when nothing inside the loop
    /// sets the deadline again.
    ///
    /// Not flagged: a *bounded* read — a loop that leaves (`break`, `return`) on data
    /// the read produced (a delimiter, a length or count reached, a terminator message),
    /// a counted `for i := 0; i < n; i++` or a `range` loop: one finite answer read
    /// within an overall budget; and a loop that ends when the read times out
    /// (`ne.Timeout()`, `os.ErrDeadlineExceeded`): it uses the deadline on purpose. Exits on errors (the read's own, a handler's or a
    /// write's) do not make a loop bounded. Also not flagged: a deadline refreshed in
    /// the loop (directly or by a same-package helper), in a callback (a pong handler),
    /// or reset after the loop (a handshake phase with an overall budget).
    ///
    /// ## Why is this bad?
    /// A deadline is an absolute time, not an idle timeout. Set once, it expires `d`
    /// after the connection started, whatever the traffic: from then on every read
    /// fails at once with `i/o timeout`, so every long-lived connection is dropped
    /// after `d`, busy or not.
    ///
    /// ## Example
    /// ```go,want
    /// func serve(conn net.Conn) {
    ///     conn.SetReadDeadline(time.Now().Add(time.Minute))
    ///     r := bufio.NewReader(conn)
    ///     for {
    ///         line, err := r.ReadString('\n')
    ///         if err != nil {
    ///             return
    ///         }
    ///         handle(line)
    ///     }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func serve(conn net.Conn) {
    ///     r := bufio.NewReader(conn)
    ///     for {
    ///         conn.SetReadDeadline(time.Now().Add(time.Minute))
    ///         line, err := r.ReadString('\n')
    ///         if err != nil {
    ///             return
    ///         }
    ///         handle(line)
    ///     }
    /// }
    /// ```
    pub struct DeadlineNotRefreshed {
        id: "deadline-not-refreshed",
        family: Net,
        severity: Warning,
        summary: "A read deadline set once before a read loop expires for every later read",
        kinds: ["call_expression"],
        gate: ["SetReadDeadline", "SetDeadline"],
        package_gate: ["net", "crypto/tls", "net/http"],
        fix: None,
        version_gated: false,
        skip_test_files: false,
    }
}

impl Rule for DeadlineNotRefreshed {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, call: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        let Some((Some(op), name)) = ctx.callee(call) else {
            return;
        };
        let method = ctx.ident_text(name);
        if !matches!(method, "SetReadDeadline" | "SetDeadline") {
            return;
        }
        let args = syntax::call_args(call);
        let [arg] = args[..] else { return };
        let mut chain = anc.to_vec();
        chain.push(call);
        let Some(budget) = now_add(ctx, arg, &chain) else {
            return;
        };
        let pkg = ctx.pkg;
        let Some(fi) = pkg.func_at(ctx.file_idx, call.start_byte()) else {
            return;
        };
        let Some(net) = pkg.facts.get(fi).and_then(|f| f.net.as_deref()) else {
            return;
        };
        let Some(d) = net.deadlines.iter().find(|d| d.at == name.start_byte()) else {
            return;
        };
        let key = pkg.net_canon(fi, &d.target).key;
        // The statement holding the call, and the statements after it.
        let Some(k) = anc.iter().rposition(|n| n.kind_str() == "statement_list") else {
            return;
        };
        if anc[k + 1..].iter().any(|n| syntax::is_func(n.kind_str())) {
            return;
        }
        let list = anc[k];
        let stmt = anc.get(k + 1).copied().unwrap_or(call);
        let idx = pkg.net();
        if refreshed_in_callback(ctx, fi, &key, name.start_byte()) {
            return;
        }
        let mut c = list.walk();
        let after: Vec<Node<'a>> = list
            .named_children(&mut c)
            .filter(|n| n.start_byte() >= stmt.end_byte())
            .collect();
        for sib in after {
            let mut hit: Option<(Node<'a>, usize)> = None;
            let mut stop = false;
            syntax::walk(sib, |n| {
                if n.kind_str() != "for_statement" {
                    return Walk::Continue;
                }
                // A later deadline on the same connection before this loop: the loop
                // belongs to that one.
                if idx.deadline_in(fi, &key, stmt.end_byte()..n.start_byte()) {
                    stop = true;
                    return Walk::Stop;
                }
                let reads = loop_reads(ctx, fi, net, &key, n);
                if reads.is_empty() {
                    return Walk::Skip;
                }
                if idx.deadline_in(fi, &key, n.start_byte()..usize::MAX) {
                    // Refreshed inside the loop, or reset after it (a bounded phase).
                    stop = true;
                    return Walk::Stop;
                }
                if bounded(ctx, n, &reads) {
                    return Walk::Skip;
                }
                hit = Some((n, reads[0].at.start));
                Walk::Stop
            });
            if let Some((l, read_at)) = hit {
                let conn = render_target(ctx, fi, &key);
                let line = ctx.file.line_col(l.start_byte()).line + 1;
                ctx.report_node(
                    name,
                    format!(
                        "the read deadline of `{conn}` is set once, before the loop at line {line} \
                         that keeps reading from it: `{budget}` after this call every read fails, \
                         so the connection is dropped however busy it is"
                    ),
                )
                .label("set once, never refreshed")
                .help(format!(
                    "move `{}.{method}(...)` into the loop, right before each read, so every read \
                     gets a fresh deadline",
                    ctx.text(op)
                ))
                .related(ctx.related(
                    read_at..read_at + 1,
                    "this read fails once the deadline has passed",
                ));
                return;
            }
            if stop {
                return;
            }
        }
    }
}

/// If `arg` is `time.Now().Add(d)`, the text of `d`.
fn now_add<'a>(ctx: &Ctx<'a>, arg: Node<'a>, chain: &[Node<'a>]) -> Option<&'a str> {
    let arg = syntax::unparen(arg);
    if arg.kind_str() != "call_expression" {
        return None;
    }
    let (Some(op), name) = syntax::callee(arg)? else {
        return None;
    };
    if ctx.text(name) != "Add" {
        return None;
    }
    let op = syntax::unparen(op);
    ctx.call_to(op, chain, "time", &["Now"])?;
    let d = *syntax::call_args(arg).first()?;
    Some(ctx.text(d))
}

/// Whether another deadline on the same connection sits in a function literal (a
/// pong handler, a keep-alive callback) that can refresh it while the loop runs.
fn refreshed_in_callback(ctx: &Ctx<'_>, fi: usize, key: &Target, own: usize) -> bool {
    let idx = ctx.pkg.net();
    let Some(ds) = idx.deadlines.get(fi) else {
        return false;
    };
    let root = ctx.file.root();
    ds.iter()
        .filter(|(k, at)| k == key && *at != own)
        .any(|(_, at)| {
            let mut inside = false;
            let Some(mut n) = root.descendant_for_byte_range(*at, *at) else {
                return false;
            };
            while let Some(p) = n.parent() {
                if p.kind_str() == "func_literal" {
                    inside = true;
                    break;
                }
                n = p;
            }
            inside
        })
}

/// Reads of connection `key` inside loop `l`.
fn loop_reads<'f>(
    ctx: &Ctx<'_>,
    fi: usize,
    net: &'f NetFacts,
    key: &Target,
    l: Node<'_>,
) -> Vec<&'f NetRead> {
    let range = l.start_byte()..l.end_byte();
    net.reads
        .iter()
        .filter(|r| range.contains(&r.at.start))
        .filter(|r| {
            let c = ctx.pkg.net_canon(fi, &r.target);
            if c.key != *key {
                return false;
            }
            let via = c.through_reader || r.through_reader;
            match &r.method {
                None => true,
                Some(m) if via => is_reader_method(m),
                Some(m) => m == "Read",
            }
        })
        .collect()
}

fn is_err_name(name: &str) -> bool {
    matches!(name, "_" | "e" | "ok")
        || name.ends_with("err")
        || name.ends_with("Err")
        || name.ends_with("error")
        || name.ends_with("Error")
}

/// Whether loop `l` reads one finite answer: it is counted or ranges over a
/// collection, or it leaves on data its reads produced (or unconditionally).
fn bounded(ctx: &Ctx<'_>, l: Node<'_>, reads: &[&NetRead]) -> bool {
    let read_at: HashSet<usize> = reads.iter().map(|r| r.at.start).collect();
    // Names of the readers themselves (`r` in `r.ReadString`): not data.
    let readers: HashSet<String> = reads
        .iter()
        .filter_map(|r| match &r.target.root {
            Root::Local(n, _) | Root::PkgVar(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let Some(body) = l.field(F.body) else {
        return true;
    };
    let mut cond = None;
    let mut c = l.walk();
    for part in l.named_children(&mut c) {
        match part.kind_str() {
            "for_clause" => {
                if part.field(F.condition).is_some() {
                    return true; // counted
                }
            }
            "range_clause" => return true,
            "block" | "comment" => {}
            _ => cond = Some(part),
        }
    }
    let data = data_vars(ctx, body, &read_at, &readers);
    if let Some(cond) = cond
        && !contains_read(cond, &read_at)
        && refers_to_data(ctx, cond, &data, &readers)
    {
        return true;
    }
    leaves_on_data(ctx, l, body, &data, &readers)
}

fn contains_read(n: Node<'_>, read_at: &HashSet<usize>) -> bool {
    let mut found = false;
    syntax::walk(n, |x| {
        if x.kind_str() == "call_expression"
            && syntax::callee(x).is_some_and(|(_, name)| read_at.contains(&name.start_byte()))
        {
            found = true;
            return Walk::Stop;
        }
        Walk::Continue
    });
    found
}

/// Variables holding what the loop's reads produced: results other than errors,
/// buffers and destinations passed to the read, `sc.Text()` / `sc.Bytes()`, and
/// variables computed from those.
fn data_vars(
    ctx: &Ctx<'_>,
    body: Node<'_>,
    read_at: &HashSet<usize>,
    readers: &HashSet<String>,
) -> HashSet<String> {
    let mut data: HashSet<String> = HashSet::new();
    for _pass in 0..2 {
        syntax::walk_with_ancestors(body, &[], |n, anc| {
            match n.kind_str() {
                "call_expression" => {
                    let Some((op, name)) = syntax::callee(n) else {
                        return Walk::Continue;
                    };
                    let is_read = read_at.contains(&name.start_byte());
                    let is_text = op
                        .is_some_and(|o| readers.contains(ctx.text(syntax::unparen(o))))
                        && matches!(ctx.text(name), "Text" | "Bytes" | "Buffered");
                    if !is_read && !is_text {
                        return Walk::Continue;
                    }
                    if is_read {
                        for a in syntax::call_args(n) {
                            if let Some(root) = root_ident(ctx, a)
                                && !readers.contains(root)
                                && !is_err_name(root)
                            {
                                data.insert(root.to_string());
                            }
                        }
                    }
                    if let ValueUse::Assigned { stmt, .. } = sema::value_use(n, anc) {
                        assign_lhs(ctx, stmt, &mut data);
                    }
                }
                "short_var_declaration" | "assignment_statement" => {
                    if let Some(r) = n.field(F.right)
                        && refers_to_data(ctx, r, &data, readers)
                    {
                        assign_lhs(ctx, n, &mut data);
                    }
                }
                _ => {}
            }
            Walk::Continue
        });
    }
    data
}

fn assign_lhs(ctx: &Ctx<'_>, stmt: Node<'_>, data: &mut HashSet<String>) {
    let Some(left) = stmt.field(F.left) else {
        return;
    };
    for id in syntax::expr_list(left) {
        if let Some(root) = root_ident(ctx, id)
            && !is_err_name(root)
        {
            data.insert(root.to_string());
        }
    }
}

/// The identifier an expression is rooted at (`buf` in `buf[:n]`, `&msg`, `hdr.len`).
fn root_ident<'a>(ctx: &Ctx<'a>, e: Node<'_>) -> Option<&'a str> {
    let mut cur = syntax::unparen(e);
    for _ in 0..16 {
        match cur.kind_str() {
            "identifier" => return Some(ctx.text(cur)),
            "unary_expression" | "selector_expression" => cur = cur.field(F.operand)?,
            "index_expression" | "slice_expression" => cur = cur.field(F.operand)?,
            "parenthesized_expression" => cur = syntax::unparen(cur),
            _ => return None,
        }
    }
    None
}

/// Whether an expression tests read data: a data variable, or `sc.Text()`, outside
/// the arguments of calls to code that is not a standard-library helper (a handler's
/// verdict is not a test of the data).
fn refers_to_data(
    ctx: &Ctx<'_>,
    e: Node<'_>,
    data: &HashSet<String>,
    readers: &HashSet<String>,
) -> bool {
    let mut found = false;
    syntax::walk(e, |n| match n.kind_str() {
        "func_literal" => Walk::Skip,
        "call_expression" => {
            let Some((op, name)) = syntax::callee(n) else {
                return Walk::Continue;
            };
            let name_t = ctx.text(name);
            if let Some(op) = op {
                let op = syntax::unparen(op);
                if readers.contains(ctx.text(op)) && matches!(name_t, "Text" | "Bytes") {
                    found = true;
                    return Walk::Stop;
                }
                // `strings.HasPrefix(line, ...)`: a package helper tests the data; a
                // method call (`h.handle(msg)`) is a handler's verdict.
                let pkg_helper =
                    op.kind_str() == "identifier" && ctx.imports().path_of(ctx.text(op)).is_some();
                if !pkg_helper {
                    // Still look at the operand (`msg.Kind() == Done`).
                    if refers_to_data(ctx, op, data, readers) {
                        found = true;
                        return Walk::Stop;
                    }
                    return Walk::Skip;
                }
                Walk::Continue
            } else if syntax::is_builtin_func(name_t)
                || matches!(name_t, "string" | "int" | "int64" | "uint32" | "byte")
            {
                Walk::Continue
            } else {
                Walk::Skip
            }
        }
        "identifier" => {
            if data.contains(ctx.text(n)) {
                found = true;
                Walk::Stop
            } else {
                Walk::Continue
            }
        }
        _ => Walk::Continue,
    });
    found
}

/// Whether the loop has an exit (`return`, a `break` out of it, `goto`) that is
/// unconditional or guarded by a test of read data.
fn leaves_on_data(
    ctx: &Ctx<'_>,
    l: Node<'_>,
    body: Node<'_>,
    data: &HashSet<String>,
    readers: &HashSet<String>,
) -> bool {
    let src = ctx.src();
    let mut found = false;
    syntax::walk_with_ancestors(body, &[l], |n, anc| {
        let exits = match n.kind_str() {
            "func_literal" => return Walk::Skip,
            "return_statement" | "goto_statement" => true,
            "break_statement" => match syntax::jump_label(n, src) {
                Some(_) => true,
                None => crate::flow::breaks_out(anc, l),
            },
            "call_expression" => syntax::is_noreturn_call(n, src),
            _ => false,
        };
        if !exits {
            return Walk::Continue;
        }
        let guards = guards_of(n, anc, l);
        if guards.is_empty()
            || guards
                .iter()
                .any(|g| refers_to_data(ctx, *g, data, readers) || tests_timeout(ctx, *g))
        {
            found = true;
            return Walk::Stop;
        }
        Walk::Continue
    });
    found
}

/// Whether a condition tests for the deadline expiring (`ne.Timeout()`,
/// `os.ErrDeadlineExceeded`, `err == ErrTimeout`): a loop that ends when the deadline
/// passes uses it as its overall budget on purpose.
fn tests_timeout(ctx: &Ctx<'_>, cond: Node<'_>) -> bool {
    let mut found = false;
    syntax::walk(cond, |n| {
        if matches!(n.kind_str(), "identifier" | "field_identifier") {
            let t = ctx.text(n);
            if t.contains("Timeout") || t.contains("timeout") || t.contains("DeadlineExceeded") {
                found = true;
                return Walk::Stop;
            }
        }
        Walk::Continue
    });
    found
}

/// The conditions that decide whether `exit` runs, between loop `l` and it.
fn guards_of<'a>(exit: Node<'a>, anc: &[Node<'a>], l: Node<'a>) -> Vec<Node<'a>> {
    let start = anc.iter().position(|n| *n == l).map_or(0, |i| i + 1);
    let mut out = Vec::new();
    for i in start..anc.len() {
        let n = anc[i];
        let child = anc.get(i + 1).copied().unwrap_or(exit);
        match n.kind_str() {
            "if_statement" => {
                let in_branch =
                    n.field(F.consequence) == Some(child) || n.field(F.alternative) == Some(child);
                if in_branch && let Some(c) = n.field(F.condition) {
                    out.push(c);
                }
            }
            "expression_switch_statement" | "type_switch_statement" => {
                if let Some(v) = n.field(F.value) {
                    out.push(v);
                }
            }
            "expression_case" => {
                if let Some(v) = n.field(F.value) {
                    out.push(v);
                }
            }
            "communication_case" => {
                if let Some(c) = n.field(F.communication) {
                    out.push(c);
                }
            }
            "default_case" => {
                // In a `select`: guarded by the other cases not being ready (no data
                // test); in a `switch`: by the switch value, pushed above.
                if i > 0
                    && anc[i - 1].kind_str() == "select_statement"
                    && let Some(kw) = n.child(0)
                {
                    out.push(kw);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(
            &super::DeadlineNotRefreshed::META,
            &["SetReadDeadline", "SetDeadline"],
        );
    }
}
