use tree_sitter::Node;

use crate::declare_rule;
use crate::engine::{Ctx, Fix, Related, Rule, RuleMeta};
use crate::flow;
use crate::index::TypeKind;
use crate::index::lock::{self as facts, IoOp};
use crate::lock::catalog::{Catalog, IoKind};
use crate::syntax::{self, F, NodeExt, Walk};

declare_rule! {
    /// ## What it does
    /// Flags blocking I/O performed while a `sync.Mutex` or `sync.RWMutex` is held:
    /// between `m.Lock()` (or `m.RLock()`) and the matching `m.Unlock()` in the same
    /// block, or to the end of the function after `m.Lock(); defer m.Unlock()`.
    /// Embedded mutexes (`s.Lock()`) and mutex fields (`s.mu.Lock()`) count; an unlock
    /// on one branch (`if bad { s.mu.Unlock(); return }`) ends the section on that
    /// branch only.
    ///
    /// Blocking I/O is, by default: network (dials, connection reads and writes,
    /// `http.Get` and `http.Client` calls, DNS lookups), database (`Query*`, `Exec*`,
    /// `Begin*`, `Commit`, `Rollback`, `Prepare*`, `Ping*` on `database/sql` and sqlx
    /// values), files (`os.Open`, `os.Create`, `os.ReadFile`, `os.WriteFile`,
    /// `os.Remove`, ..., and `Read`/`Write`/`Sync` on an `*os.File`), `time.Sleep`,
    /// `(*sync.WaitGroup).Wait`, a channel send or receive that can block (not in a
    /// `select` with a `default` case), and a call whose first argument is a
    /// `context.Context` on an interface value or on another module's client (Redis,
    /// gRPC...). Calling a function of the same package that does one of these
    /// unconditionally is flagged at the call, with the I/O inside it as a related
    /// location (one level deep).
    ///
    /// Not flagged: I/O after the unlock; in a closure defined (not called) under the
    /// lock; in a goroutine started under the lock; `defer tx.Rollback()` (no I/O once the
    /// transaction committed); `Rows.Next`, `Scan`, `Close` and response-body reads; writes
    /// to `os.Stdout`/`os.Stderr`. Channel operations that cannot block by construction:
    /// a send on a channel the function made with a buffer, or on a field the package only
    /// ever makes buffered (a queue hand-off: semaphores, per-call result slots, event
    /// queues), also through a slice field of such channels (`for _, ch := range c.chans`
    /// where every channel appended is made buffered); a send right after draining the
    /// same channel (`select { case <-c: default: }; c <- v`); a semaphore release (`<-s.sem`
    /// as a statement on such a buffered field named for slots: `sem`, `writeLockC`,
    /// `tokens`, `limiter`); a receive guarded by
    /// `len(c) > 0`; sends on the `chan<-` parameter of a Prometheus-style
    /// `Collect`/`Describe` (drained by contract), also by a helper they call. A mutex
    /// named for the I/O it serialises (`writeMu`, `wrMu`, `sendLock`, `readMu`, `fileMu`,
    /// `logMu`, `handshakeMutex`) is held across that I/O on purpose. `_test.go` files are
    /// not checked: tests hold locks across sleeps and channel handshakes to force
    /// interleavings. The option `io-calls` adds entries (`"os/exec.Cmd.Run"`,
    /// `"github.com/acme/kv.Client.Get"`).
    ///
    /// ## Why is this bad?
    /// A mutex is meant to be held for nanoseconds. Holding it across a network round trip,
    /// a query, an fsync or a sleep makes every other goroutine that needs it wait for
    /// the slowest remote call: a slow database or a stuck peer turns into a service-wide
    /// stall, and a lock taken by the code the I/O waits for becomes a deadlock.
    ///
    /// ## Example
    /// ```go,want
    /// type Cache struct {
    ///     mu    sync.Mutex
    ///     db    *sql.DB
    ///     items map[string]string
    /// }
    ///
    /// func (c *Cache) Get(ctx context.Context, key string) (string, error) {
    ///     c.mu.Lock()
    ///     defer c.mu.Unlock()
    ///     if v, ok := c.items[key]; ok {
    ///         return v, nil
    ///     }
    ///     var v string
    ///     err := c.db.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = $1", key).Scan(&v)
    ///     c.items[key] = v
    ///     return v, err
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```go
    /// type Cache struct {
    ///     mu    sync.Mutex
    ///     db    *sql.DB
    ///     items map[string]string
    /// }
    ///
    /// func (c *Cache) Get(ctx context.Context, key string) (string, error) {
    ///     c.mu.Lock()
    ///     v, ok := c.items[key]
    ///     c.mu.Unlock()
    ///     if ok {
    ///         return v, nil
    ///     }
    ///     err := c.db.QueryRowContext(ctx, "SELECT v FROM kv WHERE k = $1", key).Scan(&v)
    ///     if err == nil {
    ///         c.mu.Lock()
    ///         c.items[key] = v
    ///         c.mu.Unlock()
    ///     }
    ///     return v, err
    /// }
    /// ```
    ///
    /// ## Suggested fix
    /// No automatic fix: whether the state the mutex protects may change while it is
    /// unlocked (and must be re-read after) is the author's call. Where the blocking
    /// call is a simple statement, the help shows the shape of the fix (display-only,
    /// never applied): unlock before it and lock again after it.
    ///
    /// ```text
    /// c.mu.Unlock()
    /// err := c.db.QueryRowContext(ctx, q, key).Scan(&v)
    /// c.mu.Lock()
    /// ```
    pub struct LockHeldIo {
        id: "lock-held-io",
        family: Lock,
        severity: Warning,
        summary: "Blocking I/O while a mutex is held stalls every goroutine waiting for that mutex",
        kinds: ["call_expression"],
        gate: ["Lock", "RLock"],
        fix: None,
        version_gated: false,
        skip_test_files: true,
        options: [
            ("io-calls", List, "Extra blocking calls, each `\"import/path.Func\"` or `\"import/path.Type.Method\"` (a trailing `*` matches a name prefix)."),
        ],
    }
}

impl Rule for LockHeldIo {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_node<'a>(&self, call: Node<'a>, anc: &[Node<'a>], ctx: &Ctx<'a>) {
        // Every call comes here: look at the callee's name (read once per call for all
        // rules, from the flat array) before anything else.
        let Some((Some(op), name)) = ctx.callee(call) else {
            return;
        };
        let lname = ctx.ident_text(name);
        if !matches!(lname, "Lock" | "RLock") || !syntax::call_args(call).is_empty() {
            return;
        }
        // A bare `m.Lock()`: the callee above also answers for `(m.Lock)()`.
        if call.child(0).map(|f| f.kind_str()) != Some("selector_expression") {
            return;
        }
        // `m.Lock()` as a statement of a block.
        let n = anc.len();
        if n < 2
            || anc[n - 1].kind_str() != "expression_statement"
            || anc[n - 2].kind_str() != "statement_list"
        {
            return;
        }
        let Some((frame_pos, frame)) = flow::innermost_func(anc) else {
            return;
        };
        if !is_mutex(ctx, op, anc) {
            return;
        }
        let mutex = normalize(ctx.text(op));
        if serialises_io(&mutex) {
            return;
        }
        let stmt = anc[n - 1];
        let list = anc[n - 2];
        let stmts = syntax::statements(list);
        let Some(pos) = stmts.iter().position(|s| *s == stmt) else {
            return;
        };
        let rest = &stmts[pos + 1..];
        let mut end = rest.len();
        let mut defer_unlock = None;
        for (i, s) in rest.iter().enumerate() {
            if is_defer_unlock(ctx, *s, &mutex) {
                defer_unlock = Some(*s);
                break;
            }
            if unlock_kind(ctx, *s, &mutex) == Some(false) {
                end = i;
                break;
            }
        }
        let catalog = Catalog::from_settings(ctx.settings, Self::META.id);
        let current = match frame.kind_str() {
            "function_declaration" | "method_declaration" => {
                ctx.pkg.func_at(ctx.file_idx, frame.start_byte())
            }
            _ => None,
        };
        let mut sec = Section {
            ctx,
            mutex: &mutex,
            unlock: if lname == "RLock" {
                "RUnlock"
            } else {
                "Unlock"
            },
            lock_call: call,
            defer_unlock,
            catalog: &catalog,
            current,
            collector: frame.kind_str() == "method_declaration"
                && frame
                    .field(F.name)
                    .is_some_and(|n| matches!(ctx.text(n), "Collect" | "Describe")),
            stack: Vec::new(),
        };
        sec.walk(&anc[..n - 1], &rest[..end]);
        if defer_unlock.is_some() {
            // The deferred unlock runs when the function returns: whatever follows the
            // enclosing blocks runs under the lock too.
            for k in (frame_pos + 1..n - 2).rev() {
                if anc[k].kind_str() != "statement_list" {
                    continue;
                }
                let outer = syntax::statements(anc[k]);
                let Some(p) = outer.iter().position(|s| *s == anc[k + 1]) else {
                    continue;
                };
                sec.walk(&anc[..=k], &outer[p + 1..]);
            }
        }
    }
}

/// The critical section of one `Lock` call.
struct Section<'c, 'a> {
    ctx: &'c Ctx<'a>,
    mutex: &'c str,
    /// `Unlock` or `RUnlock`, for the help text.
    unlock: &'static str,
    lock_call: Node<'a>,
    /// The `defer m.Unlock()` statement, when the section runs to the end of the function.
    defer_unlock: Option<Node<'a>>,
    catalog: &'c Catalog,
    /// The function holding the lock, when it is a declaration (no self-reports).
    current: Option<usize>,
    /// The function is a Prometheus-style `Collect`/`Describe`: its `chan<-` parameter is
    /// drained by contract, also when a helper does the sending.
    collector: bool,
    stack: Vec<Block<'a>>,
}

/// Lock state in one statement list.
struct Block<'a> {
    list: Node<'a>,
    /// Position of `list` in the ancestor chains of its descendants.
    depth: usize,
    held: bool,
    /// The list ends in `return`/`panic`: its state does not flow past it.
    terminates: bool,
}

impl<'c, 'a> Section<'c, 'a> {
    /// Walk `stmts`, statements of the list that ends `base`, with the lock held.
    fn walk(&mut self, base: &[Node<'a>], stmts: &[Node<'a>]) {
        let Some(&list) = base.last() else { return };
        self.stack.clear();
        self.stack.push(Block {
            list,
            depth: base.len() - 1,
            held: true,
            terminates: false,
        });
        let ctx = self.ctx;
        for &s in stmts {
            ctx.walk(s, base, |_, node, anc| self.visit(node, anc));
        }
    }

    fn held(&self) -> bool {
        self.stack.last().is_some_and(|b| b.held)
    }

    fn visit(&mut self, node: Node<'a>, anc: &[Node<'a>]) -> Walk {
        // Leave the lists we are no longer in; an unlock that falls out of a branch
        // leaves the lock (maybe) released after the branching statement.
        while self.stack.len() > 1 {
            let top = self.stack.last().expect("non-empty");
            if anc.get(top.depth) == Some(&top.list) {
                break;
            }
            let b = self.stack.pop().expect("non-empty");
            if !b.held
                && !b.terminates
                && let Some(parent) = self.stack.last_mut()
            {
                parent.held = false;
            }
        }
        let ctx = self.ctx;
        match node.kind_str() {
            "statement_list" => {
                let stmts = syntax::statements(node);
                let terminates = stmts.last().is_some_and(|s| {
                    s.kind_str() != "goto_statement" && syntax::is_terminating(*s, ctx.src())
                });
                let held = self.held();
                self.stack.push(Block {
                    list: node,
                    depth: anc.len(),
                    held,
                    terminates,
                });
                return Walk::Continue;
            }
            "go_statement" => return Walk::Skip,
            "func_literal" => {
                return if invoked_here(node, anc) {
                    Walk::Continue
                } else {
                    Walk::Skip
                };
            }
            "defer_statement" => {
                // Deferred calls run at return: under the lock only when the unlock is
                // itself deferred, and registered after it (defers run last-in first-out).
                let after = self
                    .defer_unlock
                    .is_some_and(|d| node.start_byte() >= d.end_byte());
                if !after || is_rollback(ctx, node) {
                    return Walk::Skip;
                }
            }
            "expression_statement"
                if anc.last().is_some_and(|p| p.kind_str() == "statement_list") =>
            {
                if let Some(locks) = unlock_kind(ctx, node, self.mutex) {
                    if let Some(b) = self.stack.last_mut() {
                        b.held = locks;
                    }
                    return Walk::Skip;
                }
            }
            _ => {}
        }
        if !self.held() {
            return Walk::Continue;
        }
        match node.kind_str() {
            "call_expression" => self.check_call(node, anc),
            "send_statement" => {
                if !facts::in_select_communication(node, anc)
                    && !node
                        .field(F.channel)
                        .is_some_and(|ch| is_queue(ctx, ch, anc))
                    && !facts::always_ready(node, anc, ctx.src())
                    && let Some(arrow) = facts::arrow_token(node)
                {
                    self.report_chan(arrow, "send");
                }
            }
            "unary_expression" if facts::is_receive(node) => {
                if !facts::in_select_communication(node, anc)
                    && !facts::always_ready(node, anc, ctx.src())
                    && !is_semaphore_release(ctx, node, anc)
                    && let Some(arrow) = facts::arrow_token(node)
                {
                    self.report_chan(arrow, "receive");
                }
            }
            "select_statement" if !facts::select_has_default(node) => {
                let mut c = node.walk();
                let first = node
                    .named_children(&mut c)
                    .find(|x| x.kind_str() == "communication_case")
                    .and_then(|case| case.field(F.communication))
                    .and_then(facts::first_arrow);
                if let Some(arrow) = first {
                    self.report_chan(arrow, "select");
                }
            }
            _ => {}
        }
        Walk::Continue
    }

    fn check_call(&self, call: Node<'a>, anc: &[Node<'a>]) {
        let ctx = self.ctx;
        let Some((op, name)) = syntax::callee(call) else {
            return;
        };
        let fname = ctx.text(name);
        // Names in the call resolve against the call's ancestors (no copy per call).
        let chain = anc;
        let Some(op) = op else {
            // A same-package function.
            let Some(g) = ctx.pkg.func_named(fname) else {
                return;
            };
            if syntax::is_builtin_func(fname) || ctx.resolve(name, chain).is_some() {
                return;
            }
            self.check_callee(name, &format!("{fname}()"), g);
            return;
        };
        if op.kind_str() == "identifier"
            && let Some(path) = ctx.imports().path_of(ctx.text(op))
            && ctx.resolve(op, chain).is_none()
        {
            if let Some(kind) = self.catalog.func(path, fname) {
                self.report_io(name, &format!("{}.{fname}", ctx.text(op)), kind);
            }
            return;
        }
        // Only names that can matter are worth typing the receiver for.
        let src = ctx.src();
        let first_arg = syntax::call_arg_list(call)
            .and_then(|a| a.named_child(0))
            .filter(|a| a.kind_str() != "comment");
        if !self.catalog.may_be_method(fname)
            && !first_arg.is_some_and(|a| facts::may_be_context(a, src))
            && ctx.pkg.funcs_named(fname).is_empty()
        {
            return;
        }
        let Some(recv) = facts::recv_ref(op, chain, src, ctx.imports()) else {
            return;
        };
        let Some(ty) = ctx.pkg.resolve_recv(&recv) else {
            return;
        };
        let label = format!("{}.{fname}", normalize(ctx.text(op)));
        let ctx_first =
            first_arg.is_some_and(|a| facts::is_context_arg(a, chain, src, ctx.imports()));
        let site = IoOp::Method {
            recv,
            name: fname.to_string(),
            ctx_first,
        };
        if let Some(kind) = ctx.pkg.classify_site(&site, self.catalog, &ctx.file.path) {
            self.report_io(name, &label, kind);
            return;
        }
        if ty.kind == TypeKind::Named
            && ty.pkg.is_none()
            && let Some(g) = ctx.pkg.method_of(&ty.name, fname)
        {
            self.check_callee(name, &format!("{label}()"), g);
        }
    }

    /// A same-package function `g` called at `name` under the lock.
    fn check_callee(&self, name: Node<'a>, label: &str, g: usize) {
        if Some(g) == self.current {
            return;
        }
        let ctx = self.ctx;
        let Some(Some(io)) = ctx.pkg.callee_io(self.catalog).get(g) else {
            return;
        };
        if self.collector && io.kind == IoKind::Channel {
            return;
        }
        let callee = &ctx.pkg.funcs[g].name;
        let inner = crate::engine::Related {
            path: (io.file != ctx.file_idx).then(|| ctx.pkg.files[io.file].path.clone()),
            range: io.at.clone(),
            start: io.start,
            end: io.end,
            message: format!("`{}`: {} inside `{callee}`", io.label, io.kind.what()),
        };
        let shape = self.unlock_around(name);
        let example = shape
            .as_ref()
            .map_or(String::new(), |(_, e)| format!(", for example:\n{e}"));
        let d = ctx.report_node(
            name,
            format!(
                "`{label}` does {} (`{}`) while `{}` is locked: every goroutine that needs `{}` waits on {}",
                io.kind.what(),
                io.label,
                self.mutex,
                self.mutex,
                io.kind.stall()
            ),
        )
        .label("blocks while the lock is held")
        .help(format!(
            "call `{label}` after `{}.{}()`, or move the blocking part of `{callee}` out of the critical section{example}",
            self.mutex, self.unlock
        ))
        .related(inner)
        .related(self.lock_related());
        if let Some((fix, _)) = shape {
            d.fix(fix);
        }
    }

    fn report_io(&self, name: Node<'a>, label: &str, kind: IoKind) {
        let m = self.mutex;
        let u = self.unlock;
        let help = match kind {
            IoKind::Sleep => format!(
                "unlock `{m}` before sleeping, or wait on a timer outside the critical section"
            ),
            IoKind::Wait => {
                format!("unlock `{m}` before waiting: the goroutines may need `{m}` to finish")
            }
            _ => format!(
                "copy what `{label}` needs while holding `{m}`, call `{m}.{u}()`, then do the I/O"
            ),
        };
        let shape = self.unlock_around(name);
        let help = match &shape {
            Some((_, e)) => format!("{help}, for example:\n{e}"),
            None => help,
        };
        let d = self
            .ctx
            .report_node(
                name,
                format!(
                    "`{label}` is {} while `{m}` is locked: every goroutine that needs `{m}` waits on {}",
                    kind.what(),
                    kind.stall()
                ),
            )
            .label("blocks while the lock is held")
            .help(help)
            .related(self.lock_related());
        if let Some((fix, _)) = shape {
            d.fix(fix);
        }
    }

    fn report_chan(&self, arrow: Node<'a>, what: &str) {
        let m = self.mutex;
        let u = self.unlock;
        let msg = match what {
            "send" => format!(
                "channel send while `{m}` is locked: it blocks until a receiver is ready, and every goroutine that needs `{m}` (maybe the receiver) waits with it"
            ),
            "receive" => format!(
                "channel receive while `{m}` is locked: it blocks until a sender is ready, and every goroutine that needs `{m}` (maybe the sender) waits with it"
            ),
            _ => format!(
                "`select` without `default` while `{m}` is locked: it blocks until a case is ready, and every goroutine that needs `{m}` waits with it"
            ),
        };
        let shape = (what != "select")
            .then(|| self.unlock_around(arrow))
            .flatten();
        let example = shape
            .as_ref()
            .map_or(String::new(), |(_, e)| format!(", for example:\n{e}"));
        let d = self
            .ctx
            .report_node(arrow, msg)
            .label("blocks while the lock is held")
            .help(format!(
                "do the channel operation after `{m}.{u}()`, or make it non-blocking with `select {{ case ...: default: }}`{example}"
            ))
            .related(self.lock_related());
        if let Some((fix, _)) = shape {
            d.fix(fix);
        }
    }

    /// The shape of the fix, display-only (whether the protected state may change
    /// while unlocked is the author's call): `m.Unlock()` before the simple statement
    /// holding the blocking call at `at`, `m.Lock()` again after it, and the lines that
    /// would read, for the help. `None` for statements with control flow (`return`,
    /// `if`, loops: relocking after them may not run, or run twice).
    fn unlock_around(&self, at: Node<'a>) -> Option<(Fix, String)> {
        let ctx = self.ctx;
        let mut stmt = at;
        // Climb to the statement (reporting only: a few parents).
        loop {
            let parent = stmt.parent()?;
            if matches!(parent.kind_str(), "block" | "statement_list") {
                break;
            }
            if parent.kind_str() == "source_file" || parent.kind_str() == "func_literal" {
                return None;
            }
            stmt = parent;
        }
        if !matches!(
            stmt.kind_str(),
            "expression_statement"
                | "short_var_declaration"
                | "assignment_statement"
                | "send_statement"
                | "var_declaration"
        ) {
            return None;
        }
        let m = self.mutex;
        let (u, l) = (
            self.unlock,
            if self.unlock == "RUnlock" {
                "RLock"
            } else {
                "Lock"
            },
        );
        let edits = vec![
            crate::edits::insert_lines_before(ctx.file, stmt, &[format!("{m}.{u}()")])?,
            crate::edits::insert_lines_after(ctx.file, stmt, &[format!("{m}.{l}()")])?,
        ];
        let fix = crate::edits::suggestion(format!("Unlock `{m}` around the blocking call"), edits);
        let shown = crate::edits::preview(ctx.src(), &fix)?;
        Some((fix, crate::edits::help_block(&shown)))
    }

    fn lock_related(&self) -> Related {
        let c = self.lock_call;
        self.ctx.related(
            c.start_byte()..c.end_byte(),
            format!("`{}` locked here", self.mutex),
        )
    }
}

/// A send that only queues: on a channel this function made with a buffer, or on a
/// field the package only ever makes buffered (`s.events = make(chan Event, 64)`).
/// Such channels are sized for their producers (semaphores, per-call result slots,
/// event queues); a send blocks only when the queue is full.
fn is_queue<'a>(ctx: &Ctx<'a>, ch: Node<'a>, anc: &[Node<'a>]) -> bool {
    if facts::is_local_buffered_chan(ch, anc, ctx.src()) {
        return true;
    }
    let ch = syntax::unparen(ch);
    if syntax::selector_field(ch, ctx.src())
        .is_some_and(|f| ctx.pkg.buffered_chan_fields().contains(f))
    {
        return true;
    }
    // `for _, ch := range x.chans { ch <- v }` over a slice field of buffered channels.
    if ch.kind_str() != "identifier" {
        return false;
    }
    let Some(crate::sema::LocalDecl::Local { stmt, .. }) = ctx.resolve(ch, anc) else {
        return false;
    };
    stmt.kind_str() == "range_clause"
        && stmt
            .field(F.right)
            .and_then(|r| syntax::selector_field(syntax::unparen(r), ctx.src()))
            .is_some_and(|f| ctx.pkg.buffered_chan_fields().contains(f))
}

/// `<-s.sem` as a statement, on a field the package only ever makes buffered and
/// whose name says it counts slots (`sem`, `writeLockC`, `tokens`, `slots`,
/// `limiter`): giving back a slot taken earlier never blocks.
fn is_semaphore_release<'a>(ctx: &Ctx<'a>, recv: Node<'a>, anc: &[Node<'a>]) -> bool {
    if anc
        .last()
        .is_none_or(|p| p.kind_str() != "expression_statement")
    {
        return false;
    }
    let Some(field) = recv
        .field(F.operand)
        .and_then(|ch| syntax::selector_field(syntax::unparen(ch), ctx.src()))
    else {
        return false;
    };
    facts::names_slots(field) && ctx.pkg.buffered_chan_fields().contains(field)
}

/// A mutex whose name says it serialises the I/O itself (`writeMu`, `wrMu`, `sendLock`,
/// `readMu`, `fileMu`, `logMutex`, `handshakeMutex`, `flushMu`): holding it across that
/// I/O is its purpose.
fn serialises_io(mutex: &str) -> bool {
    let last = mutex.rsplit('.').next().unwrap_or(mutex);
    let lower = last.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "wmu" | "rmu" | "wlock" | "wmutex" | "wrmu" | "rdmu" | "in" | "out"
    ) {
        return true;
    }
    const WORDS: [&str; 26] = [
        "write",
        "writer",
        "writes",
        "writing",
        "wr",
        "read",
        "reader",
        "reads",
        "reading",
        "rd",
        "send",
        "sender",
        "sending",
        "recv",
        "receive",
        "file",
        "fd",
        "dir",
        "log",
        "logger",
        "handshake",
        "rotate",
        "rotation",
        "flush",
        "io",
        "blocker",
    ];
    camel_words(last).any(|w| WORDS.contains(&w.as_str()))
}

/// Lower-cased words of a camelCase or snake_case identifier.
fn camel_words(name: &str) -> impl Iterator<Item = String> + '_ {
    let mut words = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !cur.is_empty()
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.into_iter()
}

/// `a.b.c` with whitespace (and a leading `&`/`*`) removed, for comparing receivers.
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .trim_start_matches(['&', '*'])
        .to_string()
}

/// For an expression statement `X.Lock()`/`X.Unlock()` on this mutex: `Some(true)` for a
/// lock, `Some(false)` for an unlock. A call of anything named `unlock...` (a helper
/// such as `s.unlockAll()` or a stored `unlock()`) also counts as an unlock.
fn unlock_kind(ctx: &Ctx<'_>, stmt: Node<'_>, mutex: &str) -> Option<bool> {
    if stmt.kind_str() != "expression_statement" {
        return None;
    }
    let call = syntax::unparen(stmt.named_child(0)?);
    if call.kind_str() != "call_expression" {
        return None;
    }
    let (op, name) = syntax::callee(call)?;
    let name = ctx.text(name);
    let same = op.is_some_and(|o| normalize(ctx.text(o)) == mutex);
    match name {
        "Lock" | "RLock" if same => Some(true),
        "Unlock" | "RUnlock" if same => Some(false),
        _ if name.to_ascii_lowercase().contains("unlock")
            && name != "Unlock"
            && name != "RUnlock" =>
        {
            Some(false)
        }
        _ => None,
    }
}

/// `defer m.Unlock()` or `defer func() { ...; m.Unlock() }()`.
fn is_defer_unlock(ctx: &Ctx<'_>, stmt: Node<'_>, mutex: &str) -> bool {
    if stmt.kind_str() != "defer_statement" {
        return false;
    }
    let Some(call) = stmt.named_child(0).map(syntax::unparen) else {
        return false;
    };
    if call.kind_str() != "call_expression" {
        return false;
    }
    if let Some((Some(op), name)) = syntax::callee(call) {
        return matches!(ctx.text(name), "Unlock" | "RUnlock") && normalize(ctx.text(op)) == mutex;
    }
    let Some(f) = call.field(F.function).map(syntax::unparen) else {
        return false;
    };
    if f.kind_str() != "func_literal" {
        return false;
    }
    let Some(body) = f.field(F.body) else {
        return false;
    };
    syntax::statements(body)
        .iter()
        .any(|s| unlock_kind(ctx, *s, mutex) == Some(false))
}

/// `defer tx.Rollback()`: no I/O once the transaction is committed.
fn is_rollback(ctx: &Ctx<'_>, defer: Node<'_>) -> bool {
    defer
        .named_child(0)
        .map(syntax::unparen)
        .and_then(syntax::callee)
        .is_some_and(|(op, name)| op.is_some() && ctx.text(name) == "Rollback")
}

/// A function literal that runs right here: `func(){...}()` or `defer func(){...}()`
/// (the defer itself is judged by the caller).
fn invoked_here(lit: Node<'_>, anc: &[Node<'_>]) -> bool {
    let mut child = lit;
    for p in anc.iter().rev() {
        match p.kind_str() {
            "parenthesized_expression" => child = *p,
            "call_expression" => return p.field(F.function) == Some(child),
            _ => return false,
        }
    }
    false
}

/// Whether the receiver of `Lock()` is a mutex: typed `sync.Mutex`, `sync.RWMutex`,
/// `sync.Locker` (or another package's `Mutex`/`RWMutex`), a same-package struct that
/// embeds one, or a same-package type with its own `Lock()`; when the type is unknown,
/// a name that says so (`mu`, `mtx`, `mutex`, `lock`).
fn is_mutex<'a>(ctx: &Ctx<'a>, op: Node<'a>, chain: &[Node<'a>]) -> bool {
    let recv = facts::recv_ref(op, chain, ctx.src(), ctx.imports());
    let ty = recv.as_ref().and_then(|r| ctx.pkg.resolve_recv(r));
    match ty {
        Some(ty) => type_is_mutex(ctx, &ty),
        None => {
            let last = match &recv {
                Some(r) if !r.fields.is_empty() => r.fields.last().map(String::as_str),
                _ => None,
            }
            .unwrap_or_else(|| {
                let t = ctx.text(op);
                t.rsplit('.').next().unwrap_or(t)
            });
            name_is_mutex(last)
        }
    }
}

fn type_is_mutex(ctx: &Ctx<'_>, ty: &crate::index::TypeRef) -> bool {
    if ty.kind != TypeKind::Named {
        return false;
    }
    if ty.pkg.is_some() {
        return matches!(ty.name.as_str(), "Mutex" | "RWMutex" | "Locker");
    }
    if ctx.pkg.interfaces.contains(&ty.name) {
        return true;
    }
    // Its own `Lock()` without parameters or results (a wrapper around a mutex).
    if let Some(g) = ctx.pkg.func_by_key(&format!("{}.Lock", ty.name)) {
        let f = &ctx.pkg.funcs[g];
        return f.params.is_empty() && f.results.is_empty();
    }
    ctx.pkg.structs.get(&ty.name).is_some_and(|st| {
        st.fields.iter().any(|f| {
            f.embedded
                && f.ty.kind == TypeKind::Named
                && (f.ty.pkg.is_some() && matches!(f.ty.name.as_str(), "Mutex" | "RWMutex")
                    || f.ty.pkg.is_none()
                        && ctx
                            .pkg
                            .func_by_key(&format!("{}.Lock", f.ty.name))
                            .is_some_and(|g| ctx.pkg.funcs[g].results.is_empty()))
        })
    })
}

fn name_is_mutex(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l == "mu"
        || l.ends_with("mu")
        || l.ends_with("mutex")
        || l.ends_with("mtx")
        || (l.ends_with("lock") && !l.contains("file") && l != "flock")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_serialising_names() {
        for n in [
            "c.writeMu",
            "wrMu",
            "p.wmu",
            "sendLock",
            "s.readMu",
            "fileMutex",
            "logMu",
            "c.handshakeMutex",
            "rotate_mu",
            "c.in",
        ] {
            assert!(serialises_io(n), "{n}");
        }
        for n in [
            "mu",
            "s.mu",
            "threadMu",
            "readyMu",
            "sessionMu",
            "lock",
            "connsMu",
            "timeoutMu",
            "stateLock",
        ] {
            assert!(!serialises_io(n), "{n}");
        }
    }

    #[test]
    fn fixtures() {
        crate::testing::check_fixtures(
            &super::LockHeldIo::META,
            &[
                "Read", "Write", "Sync", "Query", "Exec", "Begin", "Commit", "Rollback", "Prepare",
                "Ping", "Open", "Create", "Remove", "Rename", "Mkdir", "Dial", "Do", "Get", "Post",
                "Sleep", "Wait", "<-", "Accept", "Lookup", "Set", "Publish", "Call", "flush",
                "save", "persist", "fetch", "notify", "load", "Load", "send", "Stat", "signal",
            ],
        );
    }
}
