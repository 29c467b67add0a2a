use crate::declare_rule;
use crate::engine::{Ctx, Rule, RuleMeta};
use crate::index::Target;
use crate::index::net::{ConnInfo, ConnOrigin, LocalSource, NetRead, is_reader_method};
use crate::syntax::NodeExt;

use super::{related_at, render_target, time_q};

declare_rule! {
    /// ## What it does
    /// Flags reading from a network connection that never gets a read deadline.
    ///
    /// A connection is the result of `net.Dial`, `net.DialTimeout`, `net.DialTCP`,
    /// `(*net.Dialer).Dial[Context]`, `tls.Dial`, `Listener.Accept` or
    /// `(*net.TCPListener).AcceptTCP`, or a variable, parameter or struct field declared
    /// as `net.Conn`, `*net.TCPConn`, `*net.UnixConn`, `*tls.Conn` (or as a struct of the
    /// package embedding one). A read is `c.Read`, `io.ReadFull(c, …)`,
    /// `io.ReadAtLeast`, `io.ReadAll`, `io.Copy(dst, c)`, `binary.Read(c, …)`, or a read
    /// through a standard reader built on `c` (`bufio.NewReader(c)`,
    /// `bufio.NewScanner(c)`, `json.NewDecoder(c)`, `textproto.NewReader`, …).
    ///
    /// The connection is fine when the reading function, or a same-package function it
    /// passes the connection to, calls `SetReadDeadline` or `SetDeadline` on it (any
    /// argument counts: `time.Time{}` is an explicit choice). A parameter is only
    /// reported when a same-package caller hands it a connection and no such caller
    /// sets a deadline before the call (the `Accept` loop / `go handle(conn)` shape);
    /// a function nobody in the package calls leaves deadlines to its callers. `Read`
    /// and `ReadFrom` methods (wrappers) are not reported, and reads through a
    /// same-package type whose own `Read` sets the deadline are covered by it.
    /// A package that imports none of `net`, `crypto/tls` and `net/http` is not
    /// checked: what its `Accept` and `Dial` methods return (named pipes, in-memory
    /// pipes, stream multiplexers) is not known to be a socket.
    ///
    /// ## Why is this bad?
    /// Without a deadline, `Read` waits as long as the peer stays silent. A client that
    /// connects and sends nothing, a peer that crashed, or a TCP connection whose other
    /// end vanished (no FIN ever arrives) pins the goroutine, its buffers and the file
    /// descriptor forever; a server slowly runs out of them.
    ///
    /// ## Example
    /// ```go,want
    /// func serve(ln net.Listener) {
    ///     for {
    ///         conn, err := ln.Accept()
    ///         if err != nil {
    ///             return
    ///         }
    ///         go handle(conn)
    ///     }
    /// }
    ///
    /// func handle(conn net.Conn) {
    ///     defer conn.Close()
    ///     r := bufio.NewReader(conn)
    ///     for {
    ///         line, err := r.ReadString('\n')
    ///         if err != nil {
    ///             return
    ///         }
    ///         process(line)
    ///     }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// func handle(conn net.Conn) {
    ///     defer conn.Close()
    ///     r := bufio.NewReader(conn)
    ///     for {
    ///         conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
    ///         line, err := r.ReadString('\n')
    ///         if err != nil {
    ///             return
    ///         }
    ///         process(line)
    ///     }
    /// }
    /// ```
    ///
    /// ## Suggested fix
    /// No automatic fix: the right timeout, and whether the deadline belongs before
    /// every message or once per exchange, depend on the protocol. The help shows the
    /// shape of the fix (display-only, never applied) where the read is a statement of
    /// its own:
    ///
    /// ```text
    /// conn.SetReadDeadline(time.Now().Add(30 * time.Second))
    /// n, err := conn.Read(buf)
    /// ```
    pub struct ConnReadNoDeadline {
        id: "conn-read-no-deadline",
        family: Net,
        severity: Warning,
        summary: "A read from a network connection that never gets a read deadline can block forever",
        kinds: [],
        gate: ["Read*", "Peek", "Discard", "WriteTo", "Scan", "Decode*", "Token", "RawToken", "Copy*"],
        package_gate: ["net", "crypto/tls", "net/http"],
        fix: None,
        version_gated: false,
        skip_test_files: false,
    }
}

impl Rule for ConnReadNoDeadline {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, ctx: &Ctx<'_>) {
        let pkg = ctx.pkg;
        for (fi, f) in pkg.funcs.iter().enumerate() {
            if f.file != ctx.file_idx {
                continue;
            }
            let Some(net) = pkg.facts.get(fi).and_then(|x| x.net.as_deref()) else {
                continue;
            };
            if net.reads.is_empty() {
                continue;
            }
            // `Read` / `ReadFrom` / `WriteTo` methods forward to what they wrap:
            // wrappers (io.Reader, io.ReaderFrom, io.WriterTo), not readers.
            if f.recv.is_some() && matches!(f.name.as_str(), "Read" | "ReadFrom" | "WriteTo") {
                continue;
            }
            let idx = pkg.net();
            let mut seen: Vec<Target> = Vec::new();
            for read in &net.reads {
                let Some(info) = pkg.net_conn(fi, &read.target) else {
                    continue;
                };
                let via = info.canon.through_reader || read.through_reader;
                if let Some(m) = &read.method {
                    let reads = if via {
                        is_reader_method(m)
                    } else {
                        m == "Read"
                    };
                    if !reads {
                        continue;
                    }
                }
                if seen.contains(&info.canon.key) {
                    continue;
                }
                seen.push(info.canon.key.clone());
                if idx.has_deadline(fi, &info.canon.key)
                    || idx.covered_on_entry(fi, &info.canon.key)
                {
                    continue;
                }
                let in_test = pkg.in_test_file(fi);
                if let ConnOrigin::Param(i) = info.origin
                    && !idx.param_passed_conn(fi, i, in_test)
                {
                    continue;
                }
                if let Some(owner) = &info.owner
                    && pkg.delegates_deadlines(owner)
                {
                    continue;
                }
                if let (ConnOrigin::Field, Some(field)) =
                    (&info.origin, info.canon.path.fields.last())
                    && !pkg.field_obtained_here(field, info.owner.as_deref(), in_test)
                {
                    continue;
                }
                report(ctx, fi, read, &info);
            }
        }
    }
}

fn report(ctx: &Ctx<'_>, fi: usize, read: &NetRead, info: &ConnInfo) {
    let pkg = ctx.pkg;
    let f = &pkg.funcs[fi];
    let conn = render_target(ctx, fi, &info.canon.key);
    let via = render_target(ctx, fi, &read.target);
    let through = if via != conn && !read.through_reader {
        format!(" (through `{via}`)")
    } else {
        String::new()
    };
    let fname = format!("`{}`", f.name);
    let why = match &info.origin {
        ConnOrigin::Param(_) => {
            format!("neither {fname} nor any same-package caller sets a read deadline on it")
        }
        ConnOrigin::Field | ConnOrigin::Receiver | ConnOrigin::PkgVar => format!(
            "no read deadline is set on it in {fname} or in the functions it passes the connection to"
        ),
        ConnOrigin::Local(_) => "no read deadline is ever set on it".to_string(),
    };
    let mut related = Vec::new();
    match &info.origin {
        ConnOrigin::Local(local) => match &local.source {
            LocalSource::Origin { accepted, pos } => {
                let what = if *accepted { "accepted" } else { "dialled" };
                related.push(related_at(
                    ctx,
                    ctx.file_idx,
                    pos,
                    format!("connection `{conn}` {what} here"),
                ));
            }
            LocalSource::Typed { pos, .. } => related.push(related_at(
                ctx,
                ctx.file_idx,
                pos,
                format!("connection `{conn}` declared here"),
            )),
            _ => {}
        },
        ConnOrigin::Param(i) => related.extend(caller_related(ctx, fi, *i, &f.name)),
        ConnOrigin::Field | ConnOrigin::Receiver | ConnOrigin::PkgVar => {
            if let Some(field) = info.canon.path.fields.last() {
                related.extend(field_related(ctx, field));
            }
        }
    }
    let t = time_q(ctx);
    let mut help = format!(
        "call `{conn}.SetReadDeadline({t}Now().Add(timeout))` before each read (or each message) \
         and handle the timeout error"
    );
    let shape = (!conn.contains(' '))
        .then(|| deadline_suggestion(ctx, read.at.clone(), &conn, &t))
        .flatten();
    if let Some((_, preview)) = &shape {
        help.push_str(", for example:\n");
        help.push_str(preview);
    }
    let mut d = ctx
        .report(
            read.at.clone(),
            format!(
                "reads from `{conn}`{through} can block forever: {why}, so a silent or vanished peer \
                 pins this goroutine and the connection"
            ),
        )
        .label("this read has no deadline")
        .help(help);
    for r in related {
        d = d.related(r);
    }
    if let Some((fix, _)) = shape {
        d = d.fix(fix);
    }
    drop(d);
}

/// The shape of the fix, display-only: `conn.SetReadDeadline(time.Now().Add(30 *
/// time.Second))` on a line of its own before the statement holding the read at `at`,
/// and the lines it would read as (the statement's first line included). Only shown:
/// the right timeout, and whether it belongs before every message, is the author's call.
fn deadline_suggestion(
    ctx: &Ctx<'_>,
    at: std::ops::Range<usize>,
    conn: &str,
    t: &str,
) -> Option<(crate::engine::Fix, String)> {
    let mut node = ctx
        .file
        .root()
        .descendant_for_byte_range(at.start, at.end)?;
    // Climb to the statement that holds the read (reporting only: a few parents).
    let stmt = loop {
        let parent = node.parent()?;
        if matches!(parent.kind_str(), "block" | "statement_list") {
            break node;
        }
        if parent.kind_str() == "source_file" {
            return None;
        }
        node = parent;
    };
    // A read in a loop's header (`for sc.Scan() {`) needs the deadline renewed in the
    // body as well: no one-line shape to show.
    // (A read in the body would have stopped the climb at a statement of the body.)
    if stmt.kind_str() == "for_statement" {
        return None;
    }
    let line = format!("{conn}.SetReadDeadline({t}Now().Add(30 * {t}Second))");
    let edit = crate::edits::insert_lines_before(ctx.file, stmt, &[line])?;
    let fix = crate::edits::suggestion(
        format!("Set a read deadline on `{conn}` before the read"),
        vec![edit],
    );
    let inserted = crate::edits::preview(ctx.src(), &fix)?;
    let first = ctx.src()[stmt.start_byte()..].lines().next()?.trim_end();
    let indent = crate::edits::lines::indent_at(ctx.file, stmt.start_byte());
    let out = crate::edits::help_block(&format!("{inserted}{indent}{first}"));
    Some((fix, out))
}

/// Where a same-package caller hands the connection over (and where that caller
/// obtained it): the first such call, preferring this file.
fn caller_related(ctx: &Ctx<'_>, fi: usize, param: usize, fname: &str) -> Vec<crate::Related> {
    let pkg = ctx.pkg;
    let mut best: Option<(usize, usize, usize)> = None; // (caller, call index, file)
    for (g, facts) in pkg.facts.iter().enumerate() {
        let Some(net) = facts.net.as_deref() else {
            continue;
        };
        for (ci, call) in net.calls.iter().enumerate() {
            if !call.callees.contains(&fi) {
                continue;
            }
            let Some(Some(arg)) = call.args.get(param) else {
                continue;
            };
            if pkg.net_conn(g, arg).is_none() {
                continue;
            }
            let file = pkg.funcs[g].file;
            let better = match best {
                None => true,
                Some((_, _, bf)) => bf != ctx.file_idx && file == ctx.file_idx,
            };
            if better {
                best = Some((g, ci, file));
            }
        }
    }
    let Some((g, ci, file)) = best else {
        return Vec::new();
    };
    let Some(net) = pkg.facts[g].net.as_deref() else {
        return Vec::new();
    };
    let call = &net.calls[ci];
    let mut out = Vec::new();
    if let Some(pos) = &call.pos {
        out.push(related_at(
            ctx,
            file,
            pos,
            format!("the connection is passed to `{fname}` here, with no read deadline set before"),
        ));
    }
    if let Some(Some(arg)) = call.args.get(param)
        && let Some(info) = pkg.net_conn(g, arg)
        && let ConnOrigin::Local(local) = &info.origin
        && let LocalSource::Origin { accepted, pos } = &local.source
    {
        let what = if *accepted { "accepted" } else { "dialled" };
        out.push(related_at(
            ctx,
            file,
            pos,
            format!("connection {what} here"),
        ));
    }
    out
}

/// Where a connection is stored into field `field` (preferring this file).
fn field_related(ctx: &Ctx<'_>, field: &str) -> Option<crate::Related> {
    let pkg = ctx.pkg;
    let mut best = None;
    for (g, facts) in pkg.facts.iter().enumerate() {
        let Some(net) = facts.net.as_deref() else {
            continue;
        };
        for s in &net.field_stores {
            if s.field != field {
                continue;
            }
            let file = pkg.funcs[g].file;
            if best.is_none() || file == ctx.file_idx {
                best = Some((file, s.pos.clone()));
            }
        }
    }
    let (file, pos) = best?;
    Some(related_at(
        ctx,
        file,
        &pos,
        format!("the connection is stored in field `{field}` here"),
    ))
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, Settings};
    use crate::testing::{fixtures_root, load_package};

    /// A read is a call of one of these names, in the file reported: the gate must
    /// let every file spelling one through.
    #[test]
    fn the_gate_lets_every_read_through() {
        use crate::index::net::{READ_FUNCS, READER_METHODS};
        let gate = super::ConnReadNoDeadline::META.gate;
        let names = READ_FUNCS.iter().map(|(_, n, _)| *n).chain(READER_METHODS);
        for name in names.chain(["Read", "ReadString", "ReadFrom"]) {
            assert!(crate::engine::gate::lets_through(gate, name), "{name}");
        }
    }

    /// `(file name, 1-based line, message)` of every related location, per finding.
    fn related_of(dir: &str) -> Vec<Vec<(String, u32, String)>> {
        let dir = fixtures_root().join("conn-read-no-deadline").join(dir);
        let files = load_package(&dir);
        let refs: Vec<&crate::SourceFile> = files.iter().collect();
        let engine = Engine::new(Settings::for_rule("conn-read-no-deadline"));
        let mut out = Vec::new();
        for (i, lint) in crate::lint_sources(&engine, &refs, None, |_| true) {
            for d in lint.diagnostics {
                out.push(
                    d.related
                        .iter()
                        .map(|r| {
                            let path = r.path.as_deref().unwrap_or(&files[i].path);
                            let name = path.file_name().unwrap().to_string_lossy().to_string();
                            (name, r.start.line + 1, r.message.clone())
                        })
                        .collect(),
                );
            }
        }
        out
    }

    #[test]
    fn related_points_where_the_connection_was_obtained() {
        // A parameter: the `go handle(conn)` call in another file, and the `Accept`.
        let server = related_of("server");
        assert_eq!(server.len(), 1);
        assert_eq!(server[0][0].0, "accept.go");
        assert_eq!(server[0][0].1, 15);
        assert!(server[0][0].2.contains("passed to `handle`"));
        assert_eq!((server[0][1].0.as_str(), server[0][1].1), ("accept.go", 11));
        assert!(server[0][1].2.contains("accepted here"));
        // A field: where the connection is stored, in another file of the package.
        let split = related_of("split");
        assert_eq!(split.len(), 1);
        assert_eq!(split[0][0].0, "conn.go");
        assert!(split[0][0].2.contains("stored in field `data`"));
    }

    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(
            &super::ConnReadNoDeadline::META,
            &[
                "Read", "Scan", "Decode", "Copy", "Peek", "Discard", "WriteTo", "Token",
            ],
        );
    }
}
