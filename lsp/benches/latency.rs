//! Latency benchmark: open a 5,000-line Go file, apply 100 single-character edits (typing
//! into a comment in the middle of the file), and report the time from each `didChange`
//! to the `publishDiagnostics` of that version.
//!
//!     cargo bench -p lsp --bench latency                      # in-process server
//!     cargo bench -p lsp --bench latency -- --stdio target/release/faultline
//!
//! The second form drives the real binary over pipes (JSON framing included). Target on
//! the 2-core reference machine: median < 20 ms, p95 < 50 ms. Each edit is sent after
//! the previous one's diagnostics arrive (a typist, not a burst), so the debounce's
//! leading edge applies: an isolated edit is linted at once.

use std::io::{BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{Value, json};

const LINES: usize = 5_000;
const EDITS: usize = 100;

/// A 5,000-line file of ordinary service code: error handling, maps, string building,
/// goroutines, and (one function in four) tickers and select loops, with a `tick-leak`
/// finding every twelfth function.
fn go_source() -> String {
    let mut s = String::from(
        "package bench\n\nimport (\n\t\"context\"\n\t\"errors\"\n\t\"fmt\"\n\t\"strings\"\n\t\"sync\"\n\t\"time\"\n)\n\n",
    );
    let mut i = 0;
    let mut typing_at = None;
    while s.lines().count() < LINES - 25 {
        if typing_at.is_none() && s.lines().count() >= LINES / 2 {
            s.push_str("// typing in the middle: \n\n");
            typing_at = Some(());
        }
        let f = match i % 12 {
            0 => format!(
                "// Store{i} keeps values by key.\ntype Store{i} struct {{\n\tmu   sync.Mutex\n\tdata map[string]int\n}}\n\n// Get returns the value of k.\nfunc (s *Store{i}) Get(k string) (int, error) {{\n\ts.mu.Lock()\n\tdefer s.mu.Unlock()\n\tv, ok := s.data[k]\n\tif !ok {{\n\t\treturn 0, fmt.Errorf(\"key %q: %w\", k, errNotFound)\n\t}}\n\treturn v, nil\n}}\n\n"
            ),
            1 | 5 | 9 => format!(
                "// worker{i} polls until the context ends.\nfunc worker{i}(ctx context.Context, ch chan int) error {{\n\tt := time.NewTicker(time.Second)\n\tdefer t.Stop()\n\tfor {{\n\t\tselect {{\n\t\tcase <-ctx.Done():\n\t\t\treturn ctx.Err()\n\t\tcase v := <-ch:\n\t\t\tif v > {i} {{\n\t\t\t\tfmt.Println(\"value\", v)\n\t\t\t}}\n\t\tcase <-t.C:\n\t\t}}\n\t}}\n}}\n\n"
            ),
            3 => format!(
                "// wait{i} returns once ready: the Tick leaks.\nfunc wait{i}(ready func() bool) {{\n\tfor range time.Tick(time.Millisecond) {{\n\t\tif ready() {{\n\t\t\treturn\n\t\t}}\n\t}}\n}}\n\n"
            ),
            2 | 6 | 10 => format!(
                "// join{i} renders the items.\nfunc join{i}(items []string, sep string) string {{\n\tvar b strings.Builder\n\tfor n, it := range items {{\n\t\tif n > 0 {{\n\t\t\tb.WriteString(sep)\n\t\t}}\n\t\tif it == \"\" {{\n\t\t\tcontinue\n\t\t}}\n\t\tb.WriteString(strings.TrimSpace(it))\n\t}}\n\treturn b.String()\n}}\n\n"
            ),
            4 | 8 => format!(
                "// fanOut{i} runs f on every input concurrently.\nfunc fanOut{i}(inputs []int, f func(int) error) error {{\n\tvar wg sync.WaitGroup\n\terrs := make(chan error, len(inputs))\n\tfor _, in := range inputs {{\n\t\twg.Add(1)\n\t\tgo func(v int) {{\n\t\t\tdefer wg.Done()\n\t\t\tif err := f(v); err != nil {{\n\t\t\t\terrs <- err\n\t\t\t}}\n\t\t}}(in)\n\t}}\n\twg.Wait()\n\tclose(errs)\n\treturn <-errs\n}}\n\n"
            ),
            _ => format!(
                "// parse{i} validates a config value.\nfunc parse{i}(raw map[string]string) (int, error) {{\n\tv, ok := raw[\"size\"]\n\tif !ok {{\n\t\treturn 0, errors.New(\"size missing\")\n\t}}\n\tn := 0\n\tfor _, c := range v {{\n\t\tif c < '0' || c > '9' {{\n\t\t\treturn 0, fmt.Errorf(\"size %q is not a number\", v)\n\t\t}}\n\t\tn = n*10 + int(c-'0')\n\t}}\n\treturn n, nil\n}}\n\n"
            ),
        };
        s.push_str(&f);
        i += 1;
    }
    s.push_str("var errNotFound = errors.New(\"not found\")\n");
    s
}

struct Pipe {
    tx: Sender<Message>,
    rx: Receiver<Message>,
    rss: Box<dyn Fn() -> Option<u64>>,
    sched: Box<dyn Fn() -> Option<(u64, u64)>>,
    finish: Box<dyn FnOnce()>,
}

fn rss_kib(pid: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time the process ran and waited on the run queue, summed over its threads (ns),
/// from /proc/<pid>/task/*/schedstat: separates the server's own cost from the time a
/// loaded machine made it wait.
fn sched_ns(pid: &str) -> Option<(u64, u64)> {
    let mut run = 0;
    let mut wait = 0;
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let s = std::fs::read_to_string(t.path().join("schedstat")).ok()?;
        let mut it = s.split_whitespace().map(|x| x.parse::<u64>().unwrap_or(0));
        run += it.next()?;
        wait += it.next()?;
    }
    Some((run, wait))
}

fn in_process() -> Pipe {
    let (server, client) = lsp_server::Connection::memory();
    let handle = std::thread::spawn(move || lsp::serve(server, Box::new(lsp::Defaults)));
    Pipe {
        tx: client.sender,
        rx: client.receiver,
        rss: Box::new(|| rss_kib("self")),
        sched: Box::new(|| sched_ns("self")),
        finish: Box::new(move || {
            let _ = handle.join();
        }),
    }
}

fn stdio(bin: &str) -> Pipe {
    // `cargo bench` runs in the package directory: a relative path is taken from the
    // workspace root, where the README's command is typed.
    let mut path = std::path::PathBuf::from(bin);
    if path.is_relative() && !path.exists() {
        path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(bin);
    }
    let mut child = Command::new(&path)
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start faultline server");
    let pid = child.id().to_string();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (to_server, from_client) = unbounded::<Message>();
    let (to_client, from_server) = unbounded::<Message>();
    std::thread::spawn(move || {
        for m in from_client {
            if m.write(&mut stdin).is_err() {
                break;
            }
            let _ = stdin.flush();
        }
    });
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        while let Ok(Some(m)) = Message::read(&mut r) {
            if to_client.send(m).is_err() {
                break;
            }
        }
    });
    Pipe {
        tx: to_server,
        rx: from_server,
        rss: Box::new({
            let pid = pid.clone();
            move || rss_kib(&pid)
        }),
        sched: Box::new(move || sched_ns(&pid)),
        finish: Box::new(move || {
            let _ = child.wait();
        }),
    }
}

fn wait_response(rx: &Receiver<Message>, id: &RequestId) -> Value {
    loop {
        match rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server answers")
        {
            Message::Response(r) if &r.id == id => return r.response_result.unwrap_or_default(),
            _ => {}
        }
    }
}

/// Server-side phase timings from `$/logTrace`: (sync, summaries, index and rules) in ms.
#[derive(Default)]
struct Phases {
    sync: Vec<f64>,
    summaries: Vec<f64>,
    rules: Vec<f64>,
}

fn number_before(s: &str, unit_after: &str) -> Option<f64> {
    let end = s.find(unit_after)?;
    s[..end].rsplit(' ').next()?.parse().ok()
}

fn wait_publish(rx: &Receiver<Message>, version: i64, phases: &mut Phases) -> Value {
    loop {
        match rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server publishes")
        {
            Message::Notification(n) if n.method == "$/logTrace" => {
                let m = n.params["message"].as_str().unwrap_or_default();
                if m.starts_with("didChange") {
                    phases.sync.extend(number_before(m, " ms"));
                } else if let Some((a, b)) = m.split_once(", index") {
                    phases.summaries.extend(number_before(a, " ms"));
                    phases.rules.extend(number_before(b, " ms"));
                }
            }
            Message::Notification(n)
                if n.method == "textDocument/publishDiagnostics"
                    && n.params["version"].as_i64() == Some(version) =>
            {
                return n.params;
            }
            _ => {}
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = args
        .iter()
        .position(|a| a == "--stdio")
        .and_then(|i| args.get(i + 1).cloned());
    let pipe = match &bin {
        Some(b) => stdio(b),
        None => in_process(),
    };
    let src = go_source();
    let uri = "file:///nonexistent-faultline-bench/bench/big.go";
    let line = src
        .lines()
        .position(|l| l.starts_with("// typing in the middle"))
        .unwrap() as u32;
    let col0 = "// typing in the middle: ".len() as u32;

    let id = RequestId::from(1);
    pipe.tx
        .send(
            Request::new(
                id.clone(),
                "initialize".into(),
                json!({ "capabilities": {}, "trace": "verbose" }),
            )
            .into(),
        )
        .unwrap();
    wait_response(&pipe.rx, &id);
    let notify = |method: &str, params: Value| {
        pipe.tx
            .send(Notification::new(method.into(), params).into())
            .unwrap()
    };
    notify("initialized", json!({}));
    let t = Instant::now();
    notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "go", "version": 0, "text": src } }),
    );
    let mut phases = Phases::default();
    let first = wait_publish(&pipe.rx, 0, &mut phases);
    phases = Phases::default();
    let open_time = t.elapsed();
    let findings = first["diagnostics"].as_array().map_or(0, Vec::len);
    let rss_start = (pipe.rss)();
    let sched_start = (pipe.sched)();

    let mut times = Vec::with_capacity(EDITS);
    let typed = b"abcdefghijklmnopqrstuvwxyz";
    for i in 0..EDITS {
        let version = i as i64 + 1;
        let ch = typed[i % typed.len()] as char;
        let pos = json!({ "line": line, "character": col0 + i as u32 });
        let t = Instant::now();
        notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": { "start": pos, "end": pos }, "text": ch.to_string() }],
            }),
        );
        let p = wait_publish(&pipe.rx, version, &mut phases);
        times.push(t.elapsed());
        assert_eq!(p["diagnostics"].as_array().map_or(0, Vec::len), findings);
    }
    let rss_end = (pipe.rss)();
    let sched_end = (pipe.sched)();

    let id = RequestId::from(2);
    pipe.tx
        .send(Request::new(id.clone(), "shutdown".into(), Value::Null).into())
        .unwrap();
    wait_response(&pipe.rx, &id);
    notify("exit", Value::Null);
    (pipe.finish)();

    let mut sorted = times.clone();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len() as f64;
    println!(
        "faultline LSP latency ({}): {} lines, {} findings, {EDITS} single-character edits",
        if bin.is_some() {
            "stdio, real binary"
        } else {
            "in-process"
        },
        src.lines().count(),
        findings
    );
    println!("  didOpen -> publish:    {:.1} ms", ms(open_time));
    println!(
        "  didChange -> publish:  median {:.1} ms, p95 {:.1} ms, mean {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(percentile(&sorted, 0.5)),
        ms(percentile(&sorted, 0.95)),
        mean,
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
    );
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    println!(
        "  server-side medians:   incremental reparse {:.2} ms, summaries {:.2} ms, index + rules {:.2} ms (debounce {} ms, leading edge)",
        med(&mut phases.sync),
        med(&mut phases.summaries),
        med(&mut phases.rules),
        lsp::config::DEFAULT_DEBOUNCE.as_millis()
    );
    if let (Some(a), Some(b)) = (sched_start, sched_end) {
        println!(
            "  CPU per edit ({}): {:.1} ms running, {:.1} ms waiting for a core (load average {})",
            if bin.is_some() {
                "server process"
            } else {
                "whole bench process"
            },
            (b.0 - a.0) as f64 / 1e6 / EDITS as f64,
            (b.1 - a.1) as f64 / 1e6 / EDITS as f64,
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .split_whitespace()
                .next()
                .unwrap_or("?")
        );
    }
    if let (Some(a), Some(b)) = (rss_start, rss_end) {
        println!(
            "  RSS after open {:.1} MiB, after the edits {:.1} MiB",
            a as f64 / 1024.0,
            b as f64 / 1024.0
        );
    }
}
