//! stdio transport. `lsp_server::Connection::stdio()` ends its reader thread on the
//! first malformed message, which takes the whole server down; this one answers a
//! payload that is not JSON-RPC with a `ParseError`/`InvalidRequest` response, skips
//! broken headers until the next `Content-Length`, and keeps reading.

use std::io::{self, BufRead, Read, Write};
use std::thread;

use crossbeam_channel::{Sender, bounded, unbounded};
use lsp_server::{Connection, Message};

/// Larger payloads are skipped (read and dropped) rather than buffered.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

pub struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Wait for the writer to flush what the server sent. The reader may be blocked on
    /// stdin; it is left to end with the process.
    pub fn join(self) -> io::Result<()> {
        drop(self.reader);
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")))
    }
}

/// A connection over stdin/stdout.
pub fn stdio() -> (Connection, IoThreads) {
    let (writer_tx, writer_rx) = bounded::<Message>(0);
    let writer = thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || {
            for msg in writer_rx {
                // Per-message lock: the reader may write an error response in between.
                let mut out = io::stdout().lock();
                msg.write(&mut out)?;
            }
            Ok(())
        })
        .expect("spawn writer thread");
    let (reader_tx, reader_rx) = unbounded::<Message>();
    let reader = thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            read_loop(&mut stdin.lock(), &reader_tx, &mut |raw| {
                let mut out = io::stdout().lock();
                let _ = write_raw(&mut out, raw);
            });
        })
        .expect("spawn reader thread");
    (
        Connection {
            sender: writer_tx,
            receiver: reader_rx,
        },
        IoThreads { reader, writer },
    )
}

fn write_raw(w: &mut dyn Write, body: &str) -> io::Result<()> {
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    w.flush()
}

/// What one framed read produced.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Body(Vec<u8>),
    /// A framing problem; the stream is still usable.
    Bad(String),
    Eof,
}

/// Read one `Content-Length`-framed payload. Unknown headers are ignored; a header
/// line that is not `Name: value` is reported and skipped.
pub fn read_frame(r: &mut dyn BufRead, max: usize) -> io::Result<Frame> {
    let mut len: Option<usize> = None;
    let mut line = Vec::new();
    let mut bad: Option<String> = None;
    let mut any = false;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(if any {
                Frame::Bad("end of input inside a header".into())
            } else {
                Frame::Eof
            });
        }
        any = true;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if len.is_some() {
                break;
            }
            // A blank line with no length: either stray newlines or a broken header.
            if let Some(b) = bad.take() {
                return Ok(Frame::Bad(b));
            }
            any = false;
            continue;
        }
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => len = Some(n),
                    Err(_) => bad = Some(format!("bad Content-Length header: {text:?}")),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("malformed header line: {:.80?}", text)),
        }
    }
    let n = len.unwrap_or(0);
    if n > max {
        io::copy(&mut r.take(n as u64), &mut io::sink())?;
        return Ok(Frame::Bad(format!(
            "message of {n} bytes skipped (limit {max})"
        )));
    }
    let mut body = vec![0; n];
    r.read_exact(&mut body)?;
    if let Some(b) = bad {
        return Ok(Frame::Bad(b));
    }
    Ok(Frame::Body(body))
}

/// The JSON-RPC error to answer a payload that is not a message with, if any.
pub fn decode(body: &[u8]) -> Result<Message, String> {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Err(error_response(
                serde_json::Value::Null,
                -32700,
                &format!("parse error: {e}"),
            ));
        }
    };
    match serde_json::from_value::<Message>(value.clone()) {
        Ok(m) => Ok(m),
        Err(e) => {
            let id = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
            let id = match id {
                serde_json::Value::Number(_) | serde_json::Value::String(_) => id,
                _ => serde_json::Value::Null,
            };
            Err(error_response(id, -32600, &format!("invalid request: {e}")))
        }
    }
}

fn error_response(id: serde_json::Value, code: i32, message: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    })
    .to_string()
}

/// Read messages until end of input or `exit`; malformed input is answered through
/// `reply_raw` and logged to stderr.
pub fn read_loop(r: &mut dyn BufRead, tx: &Sender<Message>, reply_raw: &mut dyn FnMut(&str)) {
    loop {
        let frame = match read_frame(r, MAX_MESSAGE_BYTES) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("faultline server: reading stdin failed: {e}");
                return;
            }
        };
        match frame {
            Frame::Eof => return,
            Frame::Bad(why) => {
                eprintln!("faultline server: {why}");
                reply_raw(&error_response(serde_json::Value::Null, -32700, &why));
            }
            Frame::Body(body) => match decode(&body) {
                Ok(msg) => {
                    let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                    if tx.send(msg).is_err() || exit {
                        return;
                    }
                }
                Err(response) => {
                    eprintln!(
                        "faultline server: malformed message: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    );
                    reply_raw(&response);
                }
            },
        }
    }
}

/// In-memory receiver for tests of the reader.
#[cfg(test)]
fn read_all(input: &[u8]) -> (Vec<Message>, Vec<String>) {
    let (tx, rx) = unbounded::<Message>();
    let mut replies = Vec::new();
    read_loop(&mut io::Cursor::new(input), &tx, &mut |s| {
        replies.push(s.to_string())
    });
    drop(tx);
    (rx.into_iter().collect(), replies)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn malformed_messages_are_answered_and_reading_goes_on() {
        let mut input = String::new();
        input += &frame(r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#);
        input += &frame("{not json");
        input += &frame(r#"{"jsonrpc":"2.0","id":7,"params":{}}"#); // no method
        input += "garbage line\r\n\r\n";
        input += "Content-Type: x\r\nContent-Length: 2\r\n\r\n{}"; // not a message
        input += &frame(r#"{"jsonrpc":"2.0","method":"b"}"#);
        input += &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        input += &frame(r#"{"jsonrpc":"2.0","method":"after-exit"}"#);
        let (msgs, replies) = read_all(input.as_bytes());
        let methods: Vec<String> = msgs
            .iter()
            .map(|m| match m {
                Message::Request(r) => r.method.clone(),
                Message::Notification(n) => n.method.clone(),
                Message::Response(_) => "response".into(),
            })
            .collect();
        assert_eq!(methods, ["a", "b", "exit"]);
        assert_eq!(replies.len(), 4, "{replies:#?}");
        assert!(replies[0].contains("-32700") && replies[0].contains("\"id\":null"));
        assert!(replies[1].contains("-32600") && replies[1].contains("\"id\":7"));
        assert!(replies[2].contains("malformed header"));
        assert!(replies[3].contains("-32600"));
    }

    #[test]
    fn oversized_messages_are_skipped() {
        let mut input = format!("Content-Length: 100\r\n\r\n{}", " ".repeat(100));
        input += &frame(r#"{"jsonrpc":"2.0","method":"b"}"#);
        let mut r = io::Cursor::new(input.as_bytes());
        match read_frame(&mut r, 50).unwrap() {
            Frame::Bad(why) => assert!(why.contains("skipped"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(read_frame(&mut r, 50).unwrap(), Frame::Body(_)));
        assert_eq!(read_frame(&mut r, 50).unwrap(), Frame::Eof);
    }
}
