//! In-process tests: the real server loop on `Connection::memory()`, driven by a small
//! client, with insta snapshots of what it publishes.

use std::collections::VecDeque;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{Value, json};

use crate::config::Defaults;

const TIMEOUT: Duration = Duration::from_secs(20);

struct Client {
    conn: Connection,
    server: Option<JoinHandle<u8>>,
    next: i32,
    inbox: VecDeque<Message>,
}

impl Client {
    fn start() -> Client {
        Client::start_with(Box::new(Defaults))
    }

    fn start_with(source: Box<dyn crate::SettingsSource>) -> Client {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || crate::serve(server_side, source));
        Client {
            conn: client_side,
            server: Some(server),
            next: 0,
            inbox: VecDeque::new(),
        }
    }

    /// Start and initialize with these client capabilities and options.
    fn init(caps: Value, options: Value) -> (Client, Value) {
        let mut c = Client::start();
        let result = c
            .request(
                "initialize",
                json!({ "capabilities": caps, "initializationOptions": options }),
            )
            .expect("initialize succeeds");
        c.notify("initialized", json!({}));
        (c, result)
    }

    fn send(&self, m: Message) {
        self.conn.sender.send(m).unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Notification::new(method.into(), params).into());
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, lsp_server::ResponseError> {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.send(Request::new(id.clone(), method.into(), params).into());
        match self.wait(|m| matches!(m, Message::Response(r) if r.id == id)) {
            Message::Response(r) => r.response_result,
            _ => unreachable!(),
        }
    }

    /// The next message matching `pred`; others are kept for later.
    fn wait(&mut self, pred: impl Fn(&Message) -> bool) -> Message {
        if let Some(i) = self.inbox.iter().position(&pred) {
            return self.inbox.remove(i).unwrap();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self
                .conn
                .receiver
                .recv_timeout(left)
                .expect("the server answers in time");
            if pred(&m) {
                return m;
            }
            self.inbox.push_back(m);
        }
    }

    /// The next `publishDiagnostics` for `uri`.
    fn published(&mut self, uri: &str) -> Value {
        let uri = uri.to_string();
        match self.wait(|m| {
            matches!(m, Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri.as_str())
        }) {
            Message::Notification(n) => n.params,
            _ => unreachable!(),
        }
    }

    /// Wait for a `publishDiagnostics` of `uri` whose rule codes are `want`, skipping
    /// intermediate ones (re-lints scheduled by earlier events may land first).
    fn published_with(&mut self, uri: &str, want: &[&str]) -> Value {
        loop {
            let p = self.published(uri);
            if codes(&p) == want {
                return p;
            }
        }
    }

    /// Whether anything matching arrives within `d`.
    fn quiet_for(&mut self, d: Duration, pred: impl Fn(&Message) -> bool) -> bool {
        let deadline = Instant::now() + d;
        while let Ok(m) = self
            .conn
            .receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if pred(&m) {
                return false;
            }
            self.inbox.push_back(m);
        }
        true
    }

    fn open(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "go", "version": version, "text": text } }),
        );
    }

    fn change(&mut self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        );
    }

    /// `shutdown` + `exit`; the server's exit code.
    fn stop(mut self) -> u8 {
        assert_eq!(self.request("shutdown", Value::Null).unwrap(), Value::Null);
        self.notify("exit", Value::Null);
        self.join()
    }

    fn join(&mut self) -> u8 {
        self.server.take().unwrap().join().unwrap()
    }
}

fn codes(published: &Value) -> Vec<String> {
    published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

const UNICODE_SRC: &str = "package p

import \"time\"

// Non-ASCII before the flagged token: é is 2 bytes / 1 UTF-16 unit, 😀 4 bytes / 2 units.
func wait(ready func() bool) {
\té := \"😀\"; for range time.Tick(time.Second) {
\t\tif ready() && é != \"\" {
\t\t\treturn
\t\t}
\t}
}
";

const URI: &str = "file:///nonexistent-faultline/p/wait.go";

#[test]
fn lifecycle_is_strict() {
    let mut c = Client::start();
    let e = c.request("textDocument/hover", json!({})).unwrap_err();
    assert_eq!(e.code, -32002, "requests before initialize are refused");
    c.request("initialize", json!({ "capabilities": {} }))
        .unwrap();
    let e = c
        .request("initialize", json!({ "capabilities": {} }))
        .unwrap_err();
    assert_eq!(e.code, -32600);
    c.notify("initialized", json!({}));
    let e = c.request("faultline/unknown", json!({})).unwrap_err();
    assert_eq!(e.code, -32601, "unknown methods get MethodNotFound");
    assert_eq!(c.request("shutdown", Value::Null).unwrap(), Value::Null);
    let e = c.request("textDocument/hover", json!({})).unwrap_err();
    assert_eq!(e.code, -32600, "requests after shutdown are rejected");
    c.notify("exit", Value::Null);
    assert_eq!(c.join(), 0);

    // exit without shutdown: exit code 1, before or after initialize.
    let (mut c, _) = Client::init(json!({}), Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(c.join(), 1);
    let mut c = Client::start();
    c.notify("exit", Value::Null);
    assert_eq!(c.join(), 1);
}

#[test]
fn capabilities_and_encoding_negotiation() {
    let (c, result) = Client::init(json!({}), Value::Null);
    insta::assert_snapshot!("initialize_result", pretty(&result));
    c.stop();
    let (c, result) = Client::init(
        json!({ "general": { "positionEncodings": ["utf-8", "utf-16"] } }),
        Value::Null,
    );
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    c.stop();
}

#[test]
fn diagnostics_in_utf16_and_utf8_columns() {
    for (name, caps) in [
        ("publish_utf16", json!({})),
        (
            "publish_utf8",
            json!({ "general": { "positionEncodings": ["utf-8"] } }),
        ),
    ] {
        let (mut c, _) = Client::init(caps, Value::Null);
        c.open(URI, 1, UNICODE_SRC);
        let p = c.published(URI);
        assert_eq!(p["version"], 1);
        insta::assert_snapshot!(name, pretty(&p));
        c.stop();
    }
}

#[test]
fn incremental_changes_are_versioned_and_closing_clears() {
    let (mut c, _) = Client::init(json!({}), Value::Null);
    c.open(URI, 1, UNICODE_SRC);
    assert_eq!(codes(&c.published(URI)), ["tick-leak"]);
    // Replace `time.Tick(time.Second)` by a channel: the finding goes. Columns are UTF-16.
    let line = UNICODE_SRC.lines().nth(6).unwrap();
    let start = line[..line.find("time.Tick").unwrap()]
        .encode_utf16()
        .count() as u32;
    let end = start + "time.Tick(time.Second)".len() as u32;
    c.change(
        URI,
        2,
        json!([{ "range": { "start": { "line": 6, "character": start }, "end": { "line": 6, "character": end } }, "text": "make(chan int)" }]),
    );
    let p = c.published(URI);
    assert_eq!(p["version"], 2);
    assert!(codes(&p).is_empty());
    // Two quick changes in a row: only the newest version is published.
    c.change(URI, 3, json!([{ "text": UNICODE_SRC }]));
    c.change(
        URI,
        4,
        json!([{ "text": UNICODE_SRC.replace("wait(", "wait2(") }]),
    );
    // Usually version 3 is folded into 4 by the debounce; never is an older one sent later.
    let mut last = 2;
    loop {
        let p = c.published(URI);
        let v = p["version"].as_i64().unwrap();
        assert!(v > last, "published {v} after {last}");
        last = v;
        if v == 4 {
            assert_eq!(codes(&p), ["tick-leak"]);
            break;
        }
    }
    c.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": URI } }),
    );
    let p = c.published(URI);
    assert!(codes(&p).is_empty());
    assert!(p.get("version").is_none());
    c.stop();
}

#[test]
fn pull_diagnostics_stop_pushes() {
    let (mut c, _) = Client::init(json!({ "textDocument": { "diagnostic": {} } }), Value::Null);
    c.open(URI, 1, UNICODE_SRC);
    let r = c
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": URI } }),
        )
        .unwrap();
    assert_eq!(r["kind"], "full");
    assert_eq!(r["items"][0]["code"], "tick-leak");
    let id = r["resultId"].clone();
    let r = c
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": URI }, "previousResultId": id }),
        )
        .unwrap();
    assert_eq!(r["kind"], "unchanged");
    c.change(URI, 2, json!([{ "text": "package p\n" }]));
    let r = c
        .request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": URI }, "previousResultId": id }),
        )
        .unwrap();
    assert_eq!(r["kind"], "full");
    assert_eq!(r["items"], json!([]));
    assert!(
        c.quiet_for(Duration::from_millis(300), |m| matches!(m,
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics")),
        "a pulling client gets no pushes"
    );
    c.stop();
}

#[test]
fn hover_shows_rule_docs_on_findings_and_suppressions() {
    let (mut c, _) = Client::init(json!({}), Value::Null);
    let src = format!("{UNICODE_SRC}\n//faultline:ignore tick-leak,time reason\nvar _ = 1\n");
    c.open(URI, 1, &src);
    c.published(URI);
    let line = src.lines().nth(6).unwrap();
    let col = line[..line.find("Tick").unwrap()].encode_utf16().count() as u32;
    let h = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": { "line": 6, "character": col + 1 } }),
        )
        .unwrap();
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("**faultline** `tick-leak`"), "{md}");
    assert!(
        md.contains("## What it does") && md.contains("```go\n"),
        "{md}"
    );
    assert!(!md.contains("go,want"));
    assert_eq!(h["range"]["start"]["character"], col);

    let dline = src
        .lines()
        .position(|l| l.starts_with("//faultline"))
        .unwrap();
    let hover_at = |c: &mut Client, ch: u32| {
        c.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": URI }, "position": { "line": dline, "character": ch } }),
        )
        .unwrap()
    };
    let h = hover_at(&mut c, 21);
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("`tick-leak`")
    );
    let h = hover_at(&mut c, 30);
    assert!(
        h["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("family `time`")
    );
    assert_eq!(hover_at(&mut c, 3), Value::Null);
    c.stop();
}

#[test]
fn ignore_action_inserts_a_directive_that_silences_the_finding() {
    let (mut c, _) = Client::init(json!({}), Value::Null);
    c.open(URI, 1, UNICODE_SRC);
    let p = c.published(URI);
    let diag = p["diagnostics"][0].clone();
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": URI }, "range": diag["range"], "context": { "diagnostics": [diag] } }),
        )
        .unwrap();
    insta::assert_snapshot!("ignore_action", pretty(&actions));
    let edit = &actions[0]["edit"]["changes"][URI][0];
    c.change(
        URI,
        2,
        json!([{ "range": edit["range"], "text": edit["newText"] }]),
    );
    let p = c.published(URI);
    assert!(codes(&p).is_empty(), "{p}");
    // Only quick fixes were asked for nothing else: a `source` request gets no ignore.
    let actions = c
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": URI }, "range": diag["range"], "context": { "diagnostics": [], "only": ["source"] } }),
        )
        .unwrap();
    assert_eq!(actions, json!([]));
    c.stop();
}

#[test]
fn package_siblings_on_disk_and_in_buffers_feed_the_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("go.mod"), "module m\n\ngo 1.21\n").unwrap();
    let a = "package poller

import \"time\"

type heartbeat struct{ every *time.Ticker }

func newHeartbeat() *heartbeat {
\th := &heartbeat{}
\th.every = time.NewTicker(time.Second)
\treturn h
}
";
    let b = "package poller\n\nfunc (h *heartbeat) Close() { h.every.Stop() }\n";
    std::fs::write(dir.join("a.go"), a).unwrap();
    std::fs::write(dir.join("b.go"), b).unwrap();
    let uri = |n: &str| {
        lsp_types::Uri::from_file_path(dir.join(n))
            .unwrap()
            .to_string()
    };
    let (a_uri, b_uri) = (uri("a.go"), uri("b.go"));

    let (mut c, _) = Client::init(json!({}), Value::Null);
    c.open(&a_uri, 1, a);
    assert!(
        codes(&c.published(&a_uri)).is_empty(),
        "b.go on disk stops the field"
    );

    // Editing the sibling buffer (unsaved) re-lints a.go.
    c.open(&b_uri, 1, b);
    assert!(codes(&c.published(&b_uri)).is_empty());
    c.change(
        &b_uri,
        2,
        json!([{ "text": "package poller\n\nfunc (h *heartbeat) Close() {}\n" }]),
    );
    let p = c.published_with(&a_uri, &["ticker-not-stopped"]);
    assert_eq!(p["version"], 1);

    // go.mod now says 1.23: the version-gated rule goes quiet after the watcher event.
    std::fs::write(dir.join("go.mod"), "module m\n\ngo 1.23\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri("go.mod"), "type": 2 }] }),
    );
    c.published_with(&a_uri, &[]);

    // A client override of the Go version brings it back.
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "faultline": { "goVersion": "1.22" } } }),
    );
    c.published_with(&a_uri, &["ticker-not-stopped"]);
    c.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "faultline": { "goVersion": "1.22", "ignore": ["time"] } } }),
    );
    c.published_with(&a_uri, &[]);
    c.stop();
}

#[test]
fn initialization_options_select_rules_and_bad_ones_are_reported() {
    let (mut c, _) = Client::init(
        json!({}),
        json!({ "select": ["ticker-not-stopped", "no-such-rule"] }),
    );
    match c.wait(|m| matches!(m, Message::Notification(n) if n.method == "window/showMessage")) {
        Message::Notification(n) => {
            let msg = n.params["message"].as_str().unwrap();
            assert!(msg.contains("no-such-rule"), "{msg}");
        }
        _ => unreachable!(),
    }
    c.open(URI, 1, UNICODE_SRC);
    assert!(
        codes(&c.published(URI)).is_empty(),
        "tick-leak is not selected"
    );
    c.stop();
}

#[test]
fn bad_requests_and_hostile_documents_keep_the_server_answering() {
    let (mut c, _) = Client::init(json!({}), Value::Null);
    // A request for a file that is not open.
    let e = c
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": "file:///nowhere/x.go" }, "position": { "line": 0, "character": 0 } }),
        )
        .unwrap_err();
    assert_eq!(e.code, -32602);
    // Params of the wrong shape.
    let e = c
        .request("textDocument/codeAction", json!({ "textDocument": 3 }))
        .unwrap_err();
    assert_eq!(e.code, -32602);
    // Notifications for unknown documents and with bad params are logged, not fatal.
    c.change("file:///nowhere/x.go", 2, json!([{ "text": "x" }]));
    c.notify("textDocument/didOpen", json!({ "nonsense": true }));
    // Hostile content: NUL bytes, deep nesting, an unterminated everything.
    let deep = format!(
        "package p\nvar x = {}1{}\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    c.open("file:///nonexistent-faultline/h/deep.go", 1, &deep);
    c.open(
        "file:///nonexistent-faultline/h/nul.go",
        1,
        "package p\x00\u{1}func {{{ \"",
    );
    c.published("file:///nonexistent-faultline/h/deep.go");
    c.published("file:///nonexistent-faultline/h/nul.go");
    // A handler that panics answers with InternalError and the server goes on.
    let e = c.request("faultline/testPanic", json!({})).unwrap_err();
    assert_eq!(e.code, -32603);
    assert!(e.message.contains("boom"));
    c.open(URI, 1, UNICODE_SRC);
    assert_eq!(codes(&c.published(URI)), ["tick-leak"]);
    c.stop();
}

#[test]
fn repeated_changes_of_a_large_file_hold_no_history() {
    let big: String = (0..2000)
        .map(|i| format!("func f{i}() {{ _ = {i} }}\n"))
        .collect::<String>();
    let src = format!("package p\n\n{big}");
    let (mut c, _) = Client::init(json!({}), Value::Null);
    c.open(URI, 1, &src);
    c.published(URI);
    for v in 2..400 {
        c.change(
            URI,
            v,
            json!([{ "range": { "start": { "line": 2, "character": 0 }, "end": { "line": 2, "character": 1 } }, "text": if v % 2 == 0 { "F" } else { "f" } }]),
        );
    }
    let p = c.published(URI);
    assert!(p["version"].as_i64().unwrap() <= 399);
    // The server answers; its state is one document, whatever the number of edits.
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": { "line": 2, "character": 0 } }),
    );
    assert_eq!(h.unwrap(), Value::Null);
    c.stop();
}

#[test]
fn malformed_json_over_a_byte_stream_is_answered() {
    // The transport is exercised by its own tests; here the decode error shape.
    let err = crate::transport::decode(b"{oops").unwrap_err();
    let v: Value = serde_json::from_str(&err).unwrap();
    assert_eq!(v["error"]["code"], -32700);
    assert_eq!(v["id"], Value::Null);
    let _ = Response::new_ok(RequestId::from(1), ());
}

#[test]
fn config_file_is_read_reloaded_and_excludes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join(".git")).unwrap();
    std::fs::write(dir.join("go.mod"), "module m\n\ngo 1.21\n").unwrap();
    std::fs::write(
        dir.join("faultline.toml"),
        "ignore = [\"ticker-not-stopped\"]\n",
    )
    .unwrap();
    let text = "package p\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(time.Second)\n\t<-t.C\n}\n";
    std::fs::write(dir.join("a.go"), text).unwrap();
    let uri = |n: &str| {
        lsp_types::Uri::from_file_path(dir.join(n))
            .unwrap()
            .to_string()
    };
    let a = uri("a.go");

    let mut c = Client::start_with(Box::new(crate::ConfigFiles::default()));
    c.request("initialize", json!({ "capabilities": {} }))
        .unwrap();
    c.notify("initialized", json!({}));
    c.open(&a, 1, text);
    assert!(
        codes(&c.published(&a)).is_empty(),
        "faultline.toml ignores the rule"
    );

    std::fs::write(dir.join("faultline.toml"), "select = [\"time\"]\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri("faultline.toml"), "type": 2 }] }),
    );
    c.published_with(&a, &["ticker-not-stopped"]);

    std::fs::write(dir.join("faultline.toml"), "exclude = [\"a.go\"]\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri("faultline.toml"), "type": 2 }] }),
    );
    c.published_with(&a, &[]);
    c.stop();
}
