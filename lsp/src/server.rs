//! The main loop: lifecycle, document synchronisation, debounced linting, dispatch.
//!
//! Single-threaded on purpose: a lint of one edited file (incremental reparse, one
//! summary re-extraction, index assembly from cached summaries, one dispatch walk) takes
//! a few milliseconds, so requests never wait long, and there is no stale result to
//! race with: a result is always computed on the version it is stored for.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use rules::index::{FactScope, FileSummary};
use rules::{Engine, FileLint, PackageFile, SourceFile};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::{ClientOptions, SettingsSource};
use crate::document::{Document, LintResult};
use crate::proto::{self, Encoding};
use crate::workspace::Workspace;
use crate::{code_action, hover};

/// After an edit, the other open files of the package are re-linted this much later
/// (their findings can change, but the edited file comes first).
pub const SIBLING_DELAY: Duration = Duration::from_millis(150);

/// What the client said it can do, reduced to what the server acts on.
#[derive(Clone, Copy, Debug, Default)]
struct ClientFlags {
    /// Pulls diagnostics (`textDocument/diagnostic`): no pushes then.
    pull: bool,
    /// `workspace/diagnostic/refresh` is understood.
    refresh: bool,
    /// `workspace/didChangeWatchedFiles` can be registered dynamically.
    watch: bool,
    /// `workspace/configuration` is answered.
    configuration: bool,
}

enum Outgoing {
    Configuration,
    Other,
}

/// Why a message could not be handled.
struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

type Handled = Result<Value, Failure>;

pub struct Server {
    sender: Sender<Message>,
    enc: Encoding,
    flags: ClientFlags,
    /// Push diagnostics (cleared when the client turns out to pull).
    push: bool,
    shutdown: bool,
    docs: BTreeMap<lsp::Uri, Document>,
    workspace: Workspace,
    source: Box<dyn SettingsSource>,
    options: ClientOptions,
    engines: HashMap<Option<PathBuf>, Arc<Engine>>,
    next_id: i32,
    outgoing: HashMap<RequestId, Outgoing>,
    refresh_due: Option<Instant>,
    lint_seq: u64,
    /// Messages already shown to the user (each is shown once).
    shown: HashSet<String>,
    /// `$/logTrace` timings (the client's `trace` setting is not `off`).
    trace: bool,
}

/// Serve one client until `exit` (0 after `shutdown`, 1 otherwise) or end of input (1).
pub fn serve(conn: Connection, source: Box<dyn SettingsSource>) -> u8 {
    let Connection { sender, receiver } = conn;
    // Until `initialize`: requests are refused, notifications dropped, `exit` honoured.
    let (id, params) = loop {
        let Ok(msg) = receiver.recv() else { return 1 };
        match msg {
            Message::Request(r) if r.method == "initialize" => {
                match serde_json::from_value::<lsp::InitializeParams>(r.params) {
                    Ok(p) => break (r.id, p),
                    Err(e) => respond_err(
                        &sender,
                        r.id,
                        ErrorCode::InvalidParams,
                        format!("initialize: {e}"),
                    ),
                }
            }
            Message::Request(r) => respond_err(
                &sender,
                r.id,
                ErrorCode::ServerNotInitialized,
                "the server is not initialized yet".into(),
            ),
            Message::Notification(n) if n.method == "exit" => return 1,
            _ => {}
        }
    };
    let mut server = Server::new(sender, &params, source);
    let result = lsp::InitializeResult {
        capabilities: server.capabilities(),
        server_info: Some(lsp::ServerInfo {
            name: "faultline".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    server.send(Response::new_ok(id, result).into());
    server.main_loop(&receiver)
}

fn respond_err(sender: &Sender<Message>, id: RequestId, code: ErrorCode, message: String) {
    let _ = sender.send(Response::new_err(id, code as i32, message).into());
}

fn parse<P: DeserializeOwned>(params: Value) -> Result<P, Failure> {
    serde_json::from_value(params)
        .map_err(|e| Failure::new(ErrorCode::InvalidParams, format!("invalid params: {e}")))
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

impl Server {
    fn new(
        sender: Sender<Message>,
        params: &lsp::InitializeParams,
        source: Box<dyn SettingsSource>,
    ) -> Server {
        let caps = &params.capabilities;
        let ws = caps.workspace.as_ref();
        let flags = ClientFlags {
            pull: caps
                .text_document
                .as_ref()
                .is_some_and(|t| t.diagnostic.is_some()),
            refresh: ws
                .and_then(|w| w.diagnostics.as_ref())
                .and_then(|d| d.refresh_support)
                .unwrap_or(false),
            watch: ws
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
            configuration: ws.and_then(|w| w.configuration).unwrap_or(false),
        };
        let mut server = Server {
            sender,
            enc: Encoding::negotiate(caps),
            flags,
            push: !flags.pull,
            shutdown: false,
            docs: BTreeMap::new(),
            workspace: Workspace::default(),
            source,
            options: ClientOptions::default(),
            engines: HashMap::new(),
            next_id: 0,
            outgoing: HashMap::new(),
            refresh_due: None,
            lint_seq: 0,
            shown: HashSet::new(),
            trace: false,
        };
        server.set_trace(params.trace.as_ref());
        if let Some(init) = &params.initialization_options {
            server.set_options(init);
        }
        server
    }

    fn set_trace(&mut self, v: Option<&lsp::TraceValue>) {
        self.trace = matches!(
            v,
            Some(lsp::TraceValue::Messages | lsp::TraceValue::Verbose)
        );
    }

    fn trace(&self, message: impl FnOnce() -> String) {
        if self.trace {
            self.notify(
                "$/logTrace",
                lsp::LogTraceParams {
                    message: message(),
                    verbose: None,
                },
            );
        }
    }

    fn capabilities(&self) -> lsp::ServerCapabilities {
        lsp::ServerCapabilities {
            position_encoding: Some(self.enc.kind()),
            text_document_sync: Some(lsp::TextDocumentSync::Options(
                lsp::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp::TextDocumentSyncKind::Incremental),
                    save: Some(lsp::Save::Bool(true)),
                    ..Default::default()
                },
            )),
            hover_provider: Some(lsp::HoverProvider::Bool(true)),
            code_action_provider: Some(lsp::CodeActionProvider::CodeActionOptions(
                lsp::CodeActionOptions {
                    code_action_kinds: Some(vec![
                        lsp::CodeActionKind::QuickFix,
                        code_action::fix_all_kind(),
                    ]),
                    ..Default::default()
                },
            )),
            diagnostic_provider: Some(lsp::DiagnosticProvider::DiagnosticOptions(
                lsp::DiagnosticOptions {
                    identifier: Some("faultline".into()),
                    // Another file of the package can change a file's findings.
                    inter_file_dependencies: true,
                    workspace_diagnostics: false,
                    ..Default::default()
                },
            )),
            ..Default::default()
        }
    }

    fn send(&self, msg: Message) {
        // A closed channel means the client is gone; the loop notices on its side.
        let _ = self.sender.send(msg);
    }

    fn notify<P: serde::Serialize>(&self, method: &str, params: P) {
        self.send(Notification::new(method.into(), params).into());
    }

    fn request(&mut self, method: &str, params: Value, kind: Outgoing) {
        self.next_id += 1;
        let id = RequestId::from(format!("faultline-{}", self.next_id));
        // Only answers the server waits for are tracked: a client that never answers a
        // refresh or a registration must not make this map grow.
        if matches!(kind, Outgoing::Configuration) {
            self.outgoing.insert(id.clone(), kind);
        }
        self.send(Request::new(id, method.into(), params).into());
    }

    fn log(&self, kind: lsp::MessageType, message: impl Into<String>) {
        self.notify(
            "window/logMessage",
            lsp::LogMessageParams {
                kind,
                message: message.into(),
            },
        );
    }

    /// Tell the user once (configuration mistakes); later repeats only go to the log.
    fn warn_user(&mut self, message: String) {
        if self.shown.insert(message.clone()) {
            self.notify(
                "window/showMessage",
                lsp::ShowMessageParams {
                    kind: lsp::MessageType::Warning,
                    message: message.clone(),
                },
            );
        }
        self.log(lsp::MessageType::Warning, message);
    }

    // ---- the loop --------------------------------------------------------------

    fn main_loop(&mut self, receiver: &Receiver<Message>) -> u8 {
        loop {
            let next = self.next_deadline();
            let msg = match next {
                Some(at) => {
                    match receiver.recv_timeout(at.saturating_duration_since(Instant::now())) {
                        Ok(m) => Some(m),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return 1,
                    }
                }
                None => match receiver.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return 1,
                },
            };
            match msg {
                Some(m) => {
                    if let Some(code) = self.handle(m) {
                        return code;
                    }
                }
                None => self.guarded("background lint", Self::run_due),
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.docs
            .values()
            .filter_map(|d| d.due)
            .chain(self.refresh_due)
            .min()
    }

    /// Run `f`, turning a panic into a logged error.
    fn guarded(&mut self, what: &str, f: impl FnOnce(&mut Self)) {
        let r = catch_unwind(AssertUnwindSafe(|| f(self)));
        if let Err(e) = r {
            self.log(
                lsp::MessageType::Error,
                format!(
                    "faultline: internal error in {what}: {} (this is a bug; please report it)",
                    panic_text(e.as_ref())
                ),
            );
        }
    }

    /// Handle one message; `Some(code)` when the server should exit.
    pub fn handle(&mut self, msg: Message) -> Option<u8> {
        match msg {
            Message::Request(req) => {
                let id = req.id.clone();
                let method = req.method.clone();
                let r = catch_unwind(AssertUnwindSafe(|| self.on_request(req)));
                let resp = match r {
                    Ok(Ok(v)) => Response::new_ok(id, v),
                    Ok(Err(f)) => Response::new_err(id, f.code as i32, f.message),
                    Err(e) => {
                        let text = panic_text(e.as_ref());
                        self.log(
                            lsp::MessageType::Error,
                            format!("faultline: internal error handling {method}: {text}"),
                        );
                        Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            format!("internal error: {text}"),
                        )
                    }
                };
                self.send(resp.into());
                None
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Some(if self.shutdown { 0 } else { 1 });
                }
                if self.shutdown {
                    return None;
                }
                let method = n.method.clone();
                self.guarded(&method, |s| {
                    if let Err(f) = s.on_notification(n) {
                        s.log(lsp::MessageType::Error, format!("{method}: {}", f.message));
                    }
                });
                None
            }
            Message::Response(r) => {
                let kind = self.outgoing.remove(&r.id);
                match (kind, r.response_result) {
                    (Some(Outgoing::Configuration), Ok(v)) => {
                        // One item was asked for: the `faultline` section.
                        let v = v.get(0).cloned().unwrap_or(Value::Null);
                        self.guarded("workspace/configuration", |s| {
                            if s.set_options(&v) {
                                s.settings_changed();
                            }
                        });
                    }
                    (_, Err(e)) => self.log(
                        lsp::MessageType::Log,
                        format!("client answered {} with error: {}", r.id, e.message),
                    ),
                    _ => {}
                }
                None
            }
        }
    }

    fn on_request(&mut self, req: Request) -> Handled {
        if self.shutdown {
            return Err(Failure::new(
                ErrorCode::InvalidRequest,
                "the server is shutting down",
            ));
        }
        match req.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                Ok(Value::Null)
            }
            "initialize" => Err(Failure::new(
                ErrorCode::InvalidRequest,
                "initialize was already received",
            )),
            "textDocument/diagnostic" => self.pull_diagnostics(parse(req.params)?),
            "textDocument/codeAction" => self.code_action(parse(req.params)?),
            "textDocument/hover" => self.hover(parse(req.params)?),
            #[cfg(test)]
            "faultline/testPanic" => panic!("boom"),
            m => Err(Failure::new(
                ErrorCode::MethodNotFound,
                format!("method not supported: {m}"),
            )),
        }
    }

    fn on_notification(&mut self, n: Notification) -> Result<(), Failure> {
        match n.method.as_str() {
            "initialized" => self.on_initialized(),
            "textDocument/didOpen" => self.did_open(parse(n.params)?),
            "textDocument/didChange" => self.did_change(parse(n.params)?)?,
            "textDocument/didSave" => self.did_save(parse(n.params)?)?,
            "textDocument/didClose" => self.did_close(parse(n.params)?)?,
            "workspace/didChangeConfiguration" => self.did_change_configuration(parse(n.params)?),
            "workspace/didChangeWatchedFiles" => self.did_change_watched_files(parse(n.params)?),
            "$/setTrace" => {
                let p: lsp::SetTraceParams = parse(n.params)?;
                self.set_trace(Some(&p.value));
            }
            // `$/cancelRequest`, `$/setTrace`, ...: requests are answered at once anyway.
            _ => {}
        }
        Ok(())
    }

    // ---- lifecycle and configuration --------------------------------------------

    fn on_initialized(&mut self) {
        if self.flags.watch {
            let mut globs = vec!["**/go.mod".to_string(), "**/*.go".to_string()];
            globs.extend(self.source.watch_globs());
            let watchers: Vec<Value> = globs
                .into_iter()
                .map(|g| json!({ "globPattern": g }))
                .collect();
            self.request(
                "client/registerCapability",
                json!({ "registrations": [{
                    "id": "faultline-watched-files",
                    "method": "workspace/didChangeWatchedFiles",
                    "registerOptions": { "watchers": watchers },
                }]}),
                Outgoing::Other,
            );
        }
        if self.flags.configuration {
            self.request_configuration();
        }
    }

    fn request_configuration(&mut self) {
        self.request(
            "workspace/configuration",
            json!({ "items": [{ "section": "faultline" }] }),
            Outgoing::Configuration,
        );
    }

    /// Replace the client options; `true` when they changed.
    fn set_options(&mut self, v: &Value) -> bool {
        match ClientOptions::from_json(v) {
            Ok(Some(opts)) => {
                let (_, errors) = opts.apply(rules::Settings::default());
                for e in errors {
                    self.warn_user(format!("faultline settings: {e}"));
                }
                let changed = opts != self.options;
                self.options = opts;
                changed
            }
            Ok(None) => false,
            Err(e) => {
                self.warn_user(e);
                false
            }
        }
    }

    fn did_change_configuration(&mut self, p: lsp::DidChangeConfigurationParams) {
        let empty = match &p.settings {
            Value::Null => true,
            Value::Object(m) => m.is_empty(),
            _ => false,
        };
        if empty && self.flags.configuration {
            // The pull model: the notification only says "something changed".
            self.request_configuration();
        } else if self.set_options(&p.settings) {
            self.settings_changed();
        }
    }

    /// Settings changed: new engines, everything re-linted.
    fn settings_changed(&mut self) {
        self.engines.clear();
        self.invalidate_all_results();
    }

    fn invalidate_all_results(&mut self) {
        let due = Instant::now() + self.options.debounce();
        for d in self.docs.values_mut() {
            d.result = None;
            if self.push {
                d.due = Some(due);
            }
        }
        if !self.push && self.flags.refresh {
            self.refresh_due = Some(due);
        }
    }

    fn did_change_watched_files(&mut self, p: lsp::DidChangeWatchedFilesParams) {
        let mut config = false;
        let mut gomod = false;
        let mut dirs: HashSet<PathBuf> = HashSet::new();
        for ev in p.changes {
            let Ok(path) = ev.uri.to_file_path() else {
                continue;
            };
            if self.source.is_config_file(&path) {
                config = true;
            } else if path.file_name().is_some_and(|n| n == "go.mod") {
                gomod = true;
                self.workspace.invalidate(&path);
            } else {
                self.workspace.invalidate(&path);
                if let Some(d) = path.parent() {
                    dirs.insert(d.to_path_buf());
                }
            }
        }
        if config {
            self.source.reload();
            self.workspace.invalidate_all();
            self.settings_changed();
        } else if gomod {
            self.invalidate_all_results();
        } else {
            for dir in dirs {
                self.schedule_package(Some(&dir), None, Instant::now() + SIBLING_DELAY);
            }
        }
    }

    // ---- documents -------------------------------------------------------------

    fn did_open(&mut self, p: lsp::DidOpenTextDocumentParams) {
        let td = p.text_document;
        let doc = Document::open(td.uri.clone(), td.version, td.text);
        let dir = doc.dir.clone();
        self.docs.insert(td.uri.clone(), doc);
        self.after_edit(&td.uri, dir.as_deref());
    }

    fn did_change(&mut self, p: lsp::DidChangeTextDocumentParams) -> Result<(), Failure> {
        let uri = p.text_document.text_document_identifier.uri;
        let enc = self.enc;
        let doc = self.docs.get_mut(&uri).ok_or_else(|| not_open(&uri))?;
        let started = Instant::now();
        doc.apply_changes(p.text_document.version, p.content_changes, enc);
        let dir = doc.dir.clone();
        let version = doc.version;
        self.trace(|| {
            format!(
                "didChange {} v{version}: text and tree updated in {:.2} ms",
                uri.as_str(),
                ms(started.elapsed())
            )
        });
        self.after_edit(&uri, dir.as_deref());
        Ok(())
    }

    fn did_save(&mut self, p: lsp::DidSaveTextDocumentParams) -> Result<(), Failure> {
        let uri = p.text_document.uri;
        let doc = self.docs.get(&uri).ok_or_else(|| not_open(&uri))?;
        let (path, dir) = (doc.path.clone(), doc.dir.clone());
        self.workspace.invalidate(&path);
        if let Some(d) = self.docs.get_mut(&uri) {
            d.result = None;
        }
        self.after_edit(&uri, dir.as_deref());
        Ok(())
    }

    fn did_close(&mut self, p: lsp::DidCloseTextDocumentParams) -> Result<(), Failure> {
        let uri = p.text_document.uri;
        let doc = self.docs.remove(&uri).ok_or_else(|| not_open(&uri))?;
        if self.push {
            self.notify(
                "textDocument/publishDiagnostics",
                lsp::PublishDiagnosticsParams {
                    uri: uri.clone(),
                    version: None,
                    diagnostics: Vec::new(),
                },
            );
        }
        // The package now sees the file as it is on disk.
        self.workspace.invalidate(&doc.path);
        self.schedule_package(doc.dir.as_deref(), None, Instant::now() + SIBLING_DELAY);
        let open: HashSet<PathBuf> = self.docs.values().filter_map(|d| d.dir.clone()).collect();
        self.workspace.retain_dirs(&|d| open.contains(d));
        Ok(())
    }

    /// A document changed: lint it (debounced), its package siblings later.
    ///
    /// The debounce has a leading edge: an edit that follows the previous one by more
    /// than the debounce (a keystroke) is linted as soon as the messages already queued
    /// are handled; edits in quick succession (a burst: a paste, a formatter, an editor
    /// sending one change per cursor) wait until the burst is over, and are linted once.
    fn after_edit(&mut self, uri: &lsp::Uri, dir: Option<&Path>) {
        let now = Instant::now();
        let debounce = self.options.debounce();
        if let Some(d) = self.docs.get_mut(uri) {
            let burst = d
                .last_edit
                .is_some_and(|t| now.saturating_duration_since(t) < debounce);
            d.last_edit = Some(now);
            if self.push {
                d.due = Some(if burst { now + debounce } else { now });
            }
        }
        self.schedule_package(dir, Some(uri), now + SIBLING_DELAY);
    }

    /// Mark the open documents of a package (but `except`) for a re-lint at `at`.
    fn schedule_package(&mut self, dir: Option<&Path>, except: Option<&lsp::Uri>, at: Instant) {
        let Some(dir) = dir else { return };
        let mut any = false;
        for (u, d) in self.docs.iter_mut() {
            if Some(u) == except || d.dir.as_deref() != Some(dir) {
                continue;
            }
            any = true;
            d.result = None;
            if self.push {
                d.due = Some(d.due.map_or(at, |x| x.max(at)));
            }
        }
        if any && !self.push && self.flags.refresh {
            self.refresh_due = Some(at);
        }
    }

    /// Lint every document whose debounce expired, package by package.
    fn run_due(&mut self) {
        let now = Instant::now();
        if self.refresh_due.is_some_and(|t| t <= now) {
            self.refresh_due = None;
            self.request("workspace/diagnostic/refresh", Value::Null, Outgoing::Other);
        }
        let due: Vec<lsp::Uri> = self
            .docs
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(u, _)| u.clone())
            .collect();
        let mut by_dir: Vec<(Option<PathBuf>, Vec<lsp::Uri>)> = Vec::new();
        for u in due {
            let dir = self.docs[&u].dir.clone();
            match by_dir.iter_mut().find(|(d, _)| d.is_some() && *d == dir) {
                Some((_, list)) => list.push(u),
                None => by_dir.push((dir, vec![u])),
            }
        }
        for (_, uris) in by_dir {
            for u in &uris {
                if let Some(d) = self.docs.get_mut(u) {
                    d.due = None;
                }
            }
            self.lint(&uris);
            for u in &uris {
                self.publish(u);
            }
        }
    }

    fn engine_for(&mut self, dir: Option<&Path>) -> Arc<Engine> {
        let resolved = self.source.resolve(dir);
        for e in resolved.errors {
            self.warn_user(e);
        }
        if let Some(e) = self.engines.get(&resolved.key) {
            return e.clone();
        }
        let (settings, _) = self.options.apply(resolved.settings);
        let engine = Arc::new(Engine::new(settings));
        self.engines.insert(resolved.key, engine.clone());
        engine
    }

    /// The index summaries of a package, with the open buffers overlaid on the files on
    /// disk, with the facts `wanted` by the engine (narrowed to the package). Returns the
    /// open documents of the package (in `pkg` order) and the summaries.
    fn package(
        &mut self,
        dir: Option<&Path>,
        only: &lsp::Uri,
        wanted: FactScope,
    ) -> (Vec<lsp::Uri>, Vec<Arc<FileSummary>>) {
        let members: Vec<lsp::Uri> = match dir {
            Some(dir) => self
                .docs
                .iter()
                .filter(|(_, d)| d.dir.as_deref() == Some(dir))
                .map(|(u, _)| u.clone())
                .collect(),
            None => vec![only.clone()],
        };
        let open_paths: HashSet<Arc<Path>> = members
            .iter()
            .filter_map(|u| self.docs.get(u).map(|d| d.path.clone()))
            .collect();
        // Files on disk are summarised with every fact (once, cached); the open
        // buffers, re-summarised on every edit, only with what this package can use.
        let disk = match dir {
            Some(dir) => self
                .workspace
                .disk_summaries(dir, &|p| open_paths.contains(p)),
            None => Vec::new(),
        };
        let mut uses_net = FactScope::package_uses_net(disk.iter().map(|s| &s.decls.imports));
        for u in &members {
            if uses_net {
                break;
            }
            if let Some(i) = self.docs.get_mut(u).and_then(|d| d.imports()) {
                uses_net = FactScope::package_uses_net(std::iter::once(i));
            }
        }
        let scope = FactScope {
            net: wanted.net && uses_net,
            lock: wanted.lock,
        };
        let mut open = Vec::new();
        let mut summaries = Vec::new();
        for u in members {
            let Some(doc) = self.docs.get_mut(&u) else {
                continue;
            };
            if let Some(s) = doc.summary(scope) {
                open.push(u);
                summaries.push(s);
            }
        }
        summaries.extend(disk);
        (open, summaries)
    }

    /// Lint open documents of one package (all in the same directory).
    fn lint(&mut self, uris: &[lsp::Uri]) {
        let Some(first) = uris.first() else { return };
        let Some(dir) = self.docs.get(first).map(|d| d.dir.clone()) else {
            return;
        };
        for u in uris {
            if let Some(doc) = self.docs.get(u)
                && let Some(err) = doc.parse_error()
            {
                // Once per distinct problem, not on every keystroke.
                let msg = format!("{}: {err}", doc.path.display());
                if self.shown.insert(msg.clone()) {
                    self.log(lsp::MessageType::Warning, msg);
                }
            }
        }
        let started = Instant::now();
        let engine = self.engine_for(dir.as_deref());
        let gomod = dir.as_deref().and_then(|d| self.workspace.gomod(d));
        let (open, summaries) = self.package(dir.as_deref(), first, engine.fact_scope());
        let summarised = started.elapsed();
        let wanted: HashSet<&lsp::Uri> = uris.iter().collect();
        let results = {
            let files: Vec<PackageFile> = summaries
                .iter()
                .enumerate()
                .map(|(i, s)| PackageFile {
                    summary: s.clone(),
                    source: open
                        .get(i)
                        .filter(|u| wanted.contains(u))
                        .and_then(|u| self.docs.get(u))
                        .and_then(|d| d.file()),
                })
                .collect();
            rules::lint_package_with(&engine, &files, gomod, true)
        };
        self.trace(|| {
            format!(
                "lint {} file(s) of {}: summaries {:.2} ms, index and rules {:.2} ms",
                uris.len(),
                first.as_str(),
                ms(summarised),
                ms(started.elapsed() - summarised)
            )
        });
        for (i, mut lint) in results {
            let uri = &open[i];
            // A file the config file excludes publishes an empty list, clearing old ones.
            if self
                .docs
                .get(uri)
                .is_some_and(|d| engine.settings.is_excluded(&d.path))
            {
                lint = FileLint::default();
            }
            for e in &lint.internal_errors {
                self.log(lsp::MessageType::Error, format!("{}: {e}", uri.as_str()));
            }
            self.lint_seq += 1;
            let seq = self.lint_seq;
            if let Some(doc) = self.docs.get_mut(uri) {
                doc.result = Some(LintResult {
                    version: doc.version,
                    result_id: format!("{}-{seq}", doc.version),
                    lint,
                });
            }
        }
    }

    /// Lint a document now unless its result is current.
    fn ensure_fresh(&mut self, uri: &lsp::Uri) {
        if self.docs.get(uri).is_some_and(|d| !d.is_fresh()) {
            self.lint(std::slice::from_ref(uri));
        }
    }

    fn lsp_diagnostics(&self, doc: &Document) -> Vec<lsp::Diagnostic> {
        match &doc.result {
            Some(r) if r.version == doc.version => r
                .lint
                .diagnostics
                .iter()
                .map(|d| proto::diagnostic(d, &doc.uri, self.enc))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn publish(&mut self, uri: &lsp::Uri) {
        if !self.push {
            return;
        }
        let Some(doc) = self.docs.get(uri) else {
            return;
        };
        let current = doc
            .result
            .as_ref()
            .is_some_and(|r| r.version == doc.version);
        // A parse failure publishes an empty list (the file cannot be linted).
        if !current && doc.parse_error().is_none() {
            return; // stale: a newer version is on its way
        }
        if doc.published.is_some_and(|p| p > doc.version) {
            return;
        }
        let params = lsp::PublishDiagnosticsParams {
            uri: uri.clone(),
            version: Some(doc.version),
            diagnostics: self.lsp_diagnostics(doc),
        };
        let version = doc.version;
        self.notify("textDocument/publishDiagnostics", params);
        if let Some(d) = self.docs.get_mut(uri) {
            d.published = Some(version);
        }
    }

    // ---- requests --------------------------------------------------------------

    fn pull_diagnostics(&mut self, p: lsp::DocumentDiagnosticParams) -> Handled {
        // A client that pulls gets no pushes (they would show twice).
        if self.push {
            self.push = false;
            for d in self.docs.values_mut() {
                d.due = None;
            }
        }
        let uri = p.text_document.uri;
        if !self.docs.contains_key(&uri) {
            return Err(not_open(&uri));
        }
        self.ensure_fresh(&uri);
        let doc = &self.docs[&uri];
        let result_id = doc
            .result
            .as_ref()
            .map(|r| r.result_id.clone())
            .unwrap_or_else(|| format!("{}-unparsed", doc.version));
        let report = if p.previous_result_id.as_deref() == Some(result_id.as_str()) {
            lsp::DocumentDiagnosticReport::RelatedUnchangedDocumentDiagnosticReport(
                lsp::RelatedUnchangedDocumentDiagnosticReport {
                    related_documents: None,
                    unchanged_document_diagnostic_report: lsp::UnchangedDocumentDiagnosticReport {
                        result_id,
                    },
                },
            )
        } else {
            lsp::DocumentDiagnosticReport::RelatedFullDocumentDiagnosticReport(
                lsp::RelatedFullDocumentDiagnosticReport {
                    related_documents: None,
                    full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport {
                        result_id: Some(result_id),
                        items: self.lsp_diagnostics(doc),
                    },
                },
            )
        };
        Ok(serde_json::to_value(report).unwrap_or(Value::Null))
    }

    fn hover(&mut self, p: lsp::HoverParams) -> Handled {
        let pos = p.text_document_position_params;
        let uri = pos.text_document.uri;
        if !self.docs.contains_key(&uri) {
            return Err(not_open(&uri));
        }
        self.ensure_fresh(&uri);
        let h = hover::hover(&self.docs[&uri], pos.position, self.enc);
        Ok(serde_json::to_value(h).unwrap_or(Value::Null))
    }

    fn code_action(&mut self, p: lsp::CodeActionParams) -> Handled {
        let uri = p.text_document.uri.clone();
        if !self.docs.contains_key(&uri) {
            return Err(not_open(&uri));
        }
        self.ensure_fresh(&uri);
        let enc = self.enc;
        let wants_fix_all =
            code_action::wants(p.context.only.as_deref(), &code_action::fix_all_kind());
        let fixed = if wants_fix_all {
            self.fix_all_text(&uri)
        } else {
            None
        };
        let actions = code_action::actions(&self.docs[&uri], &p, enc, fixed);
        Ok(serde_json::to_value(actions).unwrap_or(Value::Null))
    }

    /// The document's text with every safe fix applied, re-linting until nothing more
    /// applies (at most 10 rounds). A round whose result parses with more syntax errors
    /// than the buffer had is dropped. `None` when there is nothing to fix.
    fn fix_all_text(&mut self, uri: &lsp::Uri) -> Option<String> {
        let doc = self.docs.get(uri)?;
        let baseline = doc.file()?.syntax_errors().len();
        let mut diags = doc.result.as_ref()?.lint.diagnostics.clone();
        let mut text = doc.text().to_string();
        let (dir, path) = (doc.dir.clone(), doc.path.clone());
        let engine = self.engine_for(dir.as_deref());
        let gomod = dir.as_deref().and_then(|d| self.workspace.gomod(d));
        let (open, mut summaries) = self.package(dir.as_deref(), uri, engine.fact_scope());
        let me = open.iter().position(|u| u == uri)?;
        let mut changed = false;
        for _ in 0..10 {
            let Some(next) = code_action::apply_safe_fixes(&text, &diags) else {
                break;
            };
            let Ok(file) = SourceFile::from_string(path.to_path_buf(), next.clone()) else {
                break;
            };
            if file.syntax_errors().len() > baseline {
                self.log(
                    lsp::MessageType::Warning,
                    format!(
                        "{}: a fix would break the syntax; not applied",
                        path.display()
                    ),
                );
                break;
            }
            summaries[me] = Arc::new(FileSummary::extract(&file));
            let files: Vec<PackageFile> = summaries
                .iter()
                .enumerate()
                .map(|(i, s)| PackageFile {
                    summary: s.clone(),
                    source: (i == me).then_some(&file),
                })
                .collect();
            let lint = rules::lint_package_with(&engine, &files, gomod.clone(), true);
            diags = lint
                .into_iter()
                .next()
                .map(|(_, l)| l.diagnostics)
                .unwrap_or_default();
            text = next;
            changed = true;
        }
        changed.then_some(text)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn not_open(uri: &lsp::Uri) -> Failure {
    Failure::new(
        ErrorCode::InvalidParams,
        format!("{} is not open in the server", uri.as_str()),
    )
}
