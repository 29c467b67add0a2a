//! The catalog of blocking calls `lock-held-io` looks for, as data: package path +
//! function, or package path + receiver type + method. A config file extends it through
//! the rule option `io-calls` (a list of `"import/path.Func"` or
//! `"import/path.Type.Method"` strings; a trailing `*` on the last part matches any name
//! with that prefix).
//!
//! Also here: the few constructor and accessor tables that let the analysis know that
//! `f, _ := os.Open(p)` is an `*os.File` or that `tx, _ := db.Begin()` is a `*sql.Tx`.

use std::borrow::Cow;
use std::path::Path;

use crate::engine::settings::{OptionValue, Settings};
use crate::index::{PackageIndex, TypeKind, TypeRef};

/// What a blocking call waits for (worded for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoKind {
    Network,
    Database,
    File,
    Sleep,
    Wait,
    /// A blocking channel send or receive.
    Channel,
    /// A context-first call on an interface or another module's client.
    Client,
    /// Added by the `io-calls` option.
    Configured,
}

impl IoKind {
    /// "network I/O", for "`c.Write` does network I/O".
    pub fn what(self) -> &'static str {
        match self {
            IoKind::Network => "network I/O",
            IoKind::Database => "a database round trip",
            IoKind::File => "file-system I/O",
            IoKind::Sleep => "a sleep",
            IoKind::Wait => "a wait for other goroutines",
            IoKind::Channel => "a blocking channel operation",
            IoKind::Client => "a call to an external client (it takes a context, so it can block)",
            IoKind::Configured => "a blocking call (listed in the `io-calls` option)",
        }
    }

    /// What the other goroutines end up waiting on.
    pub fn stall(self) -> &'static str {
        match self {
            IoKind::Network => "the network",
            IoKind::Database => "the database",
            IoKind::File => "the disk",
            IoKind::Sleep => "the sleep",
            IoKind::Wait => "those goroutines",
            IoKind::Channel => "the other side of the channel",
            IoKind::Client => "the remote service",
            IoKind::Configured => "this call",
        }
    }
}

/// One catalog entry.
#[derive(Clone, Debug)]
pub struct IoCall {
    /// Import path (`"database/sql"`).
    pub pkg: Cow<'static, str>,
    /// Receiver type name for methods (`"DB"`); empty for package functions.
    pub recv: Cow<'static, str>,
    /// Function or method name; a trailing `*` matches every name with that prefix.
    pub name: Cow<'static, str>,
    pub kind: IoKind,
}

impl IoCall {
    const fn func(pkg: &'static str, name: &'static str, kind: IoKind) -> IoCall {
        IoCall {
            pkg: Cow::Borrowed(pkg),
            recv: Cow::Borrowed(""),
            name: Cow::Borrowed(name),
            kind,
        }
    }

    const fn method(
        pkg: &'static str,
        recv: &'static str,
        name: &'static str,
        kind: IoKind,
    ) -> IoCall {
        IoCall {
            pkg: Cow::Borrowed(pkg),
            recv: Cow::Borrowed(recv),
            name: Cow::Borrowed(name),
            kind,
        }
    }

    fn name_matches(&self, name: &str) -> bool {
        name_matches(&self.name, name)
    }

    /// Parse a config entry: `"os.ReadFile"`, `"os/exec.Cmd.Run"`,
    /// `"github.com/redis/go-redis/v9.Client.Get*"`.
    pub fn parse(spec: &str) -> Option<IoCall> {
        let spec = spec.trim();
        let (dir, tail) = match spec.rfind('/') {
            Some(i) => (&spec[..=i], &spec[i + 1..]),
            None => ("", spec),
        };
        let mut parts = tail.split('.');
        let last_elem = parts.next().filter(|s| !s.is_empty())?;
        let rest: Vec<&str> = parts.collect();
        let pkg = format!("{dir}{last_elem}");
        let (recv, name) = match rest.as_slice() {
            [name] => ("", *name),
            [recv, name] => (*recv, *name),
            _ => return None,
        };
        if name.is_empty() {
            return None;
        }
        Some(IoCall {
            pkg: Cow::Owned(pkg),
            recv: Cow::Owned(recv.to_string()),
            name: Cow::Owned(name.to_string()),
            kind: IoKind::Configured,
        })
    }
}

/// `pattern` is one name, a `Prefix*`, or alternatives separated by `|`.
fn name_matches(pattern: &str, name: &str) -> bool {
    pattern.split('|').any(|p| match p.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => p == name,
    })
}

use IoKind::{Database, File, Network, Sleep, Wait};

/// sqlx's own query helpers on `DB` and `Tx`.
const SQLX_EXTRA: &str = "Get|GetContext|Select|SelectContext|MustExec|MustExecContext|MustBegin|MustBeginTx|NamedExec|NamedExecContext|NamedQuery|NamedQueryContext";

const SQL_METHODS: [&str; 7] = [
    "Query*", "Exec*", "Begin*", "Commit", "Rollback", "Prepare*", "Ping*",
];

/// The built-in catalog (RULES.md, `lock-held-io`). Exhaustive by design: `Rows.Next`,
/// `Scan`, `Close` and response-body reads are not in it.
pub static BUILTIN: &[IoCall] = &[
    // --- network: package functions
    IoCall::func("net", "Dial", Network),
    IoCall::func("net", "DialTimeout", Network),
    IoCall::func("net", "DialTCP", Network),
    IoCall::func("net", "DialUDP", Network),
    IoCall::func("net", "DialUnix", Network),
    IoCall::func("net", "DialIP", Network),
    IoCall::func("net", "Lookup*", Network),
    IoCall::func("net/http", "Get", Network),
    IoCall::func("net/http", "Head", Network),
    IoCall::func("net/http", "Post", Network),
    IoCall::func("net/http", "PostForm", Network),
    IoCall::func("crypto/tls", "Dial", Network),
    IoCall::func("crypto/tls", "DialWithDialer", Network),
    IoCall::func("net/smtp", "Dial", Network),
    IoCall::func("net/smtp", "SendMail", Network),
    IoCall::func("net/rpc", "Dial", Network),
    IoCall::func("net/rpc", "DialHTTP", Network),
    IoCall::func("net/rpc", "DialHTTPPath", Network),
    // --- network: methods
    IoCall::method("net", "Dialer", "Dial", Network),
    IoCall::method("net", "Dialer", "DialContext", Network),
    IoCall::method("net", "Resolver", "Lookup*", Network),
    IoCall::method("net", "Conn", "Read|Write", Network),
    IoCall::method("net", "TCPConn", "Read|Write|ReadFrom", Network),
    IoCall::method(
        "net",
        "UDPConn",
        "Read|Write|ReadFrom|WriteTo|ReadFromUDP|WriteToUDP|ReadMsgUDP|WriteMsgUDP|ReadFromUDPAddrPort|WriteToUDPAddrPort|ReadMsgUDPAddrPort|WriteMsgUDPAddrPort",
        Network,
    ),
    IoCall::method(
        "net",
        "UnixConn",
        "Read|Write|ReadFrom|WriteTo|ReadFromUnix|WriteToUnix|ReadMsgUnix|WriteMsgUnix",
        Network,
    ),
    IoCall::method(
        "net",
        "IPConn",
        "Read|Write|ReadFrom|WriteTo|ReadFromIP|WriteToIP|ReadMsgIP|WriteMsgIP",
        Network,
    ),
    IoCall::method("net", "PacketConn", "ReadFrom", Network),
    IoCall::method("net", "PacketConn", "WriteTo", Network),
    IoCall::method("net", "Listener", "Accept", Network),
    IoCall::method("net", "TCPListener", "Accept*", Network),
    IoCall::method("net", "UnixListener", "Accept*", Network),
    IoCall::method("crypto/tls", "Conn", "Read", Network),
    IoCall::method("crypto/tls", "Conn", "Write", Network),
    IoCall::method("crypto/tls", "Conn", "Handshake*", Network),
    IoCall::method("crypto/tls", "Dialer", "Dial*", Network),
    IoCall::method("net/http", "Client", "Do", Network),
    IoCall::method("net/http", "Client", "Get", Network),
    IoCall::method("net/http", "Client", "Head", Network),
    IoCall::method("net/http", "Client", "Post", Network),
    IoCall::method("net/http", "Client", "PostForm", Network),
    IoCall::method("net/rpc", "Client", "Call", Network),
    // --- database
    IoCall::method("database/sql", "DB", SQL_METHODS[0], Database),
    IoCall::method("database/sql", "DB", SQL_METHODS[1], Database),
    IoCall::method("database/sql", "DB", SQL_METHODS[2], Database),
    IoCall::method("database/sql", "DB", SQL_METHODS[5], Database),
    IoCall::method("database/sql", "DB", SQL_METHODS[6], Database),
    IoCall::method("database/sql", "DB", "Conn", Database),
    IoCall::method("database/sql", "Tx", SQL_METHODS[0], Database),
    IoCall::method("database/sql", "Tx", SQL_METHODS[1], Database),
    IoCall::method("database/sql", "Tx", SQL_METHODS[3], Database),
    IoCall::method("database/sql", "Tx", SQL_METHODS[4], Database),
    IoCall::method("database/sql", "Tx", SQL_METHODS[5], Database),
    IoCall::method("database/sql", "Conn", SQL_METHODS[0], Database),
    IoCall::method("database/sql", "Conn", SQL_METHODS[1], Database),
    IoCall::method("database/sql", "Conn", SQL_METHODS[2], Database),
    IoCall::method("database/sql", "Conn", SQL_METHODS[5], Database),
    IoCall::method("database/sql", "Conn", SQL_METHODS[6], Database),
    IoCall::method("database/sql", "Stmt", SQL_METHODS[0], Database),
    IoCall::method("database/sql", "Stmt", SQL_METHODS[1], Database),
    IoCall::method("github.com/jmoiron/sqlx", "DB", SQL_METHODS[0], Database),
    IoCall::method("github.com/jmoiron/sqlx", "DB", SQL_METHODS[1], Database),
    IoCall::method("github.com/jmoiron/sqlx", "DB", SQL_METHODS[2], Database),
    IoCall::method("github.com/jmoiron/sqlx", "DB", SQL_METHODS[5], Database),
    IoCall::method("github.com/jmoiron/sqlx", "DB", SQL_METHODS[6], Database),
    IoCall::method("github.com/jmoiron/sqlx", "DB", SQLX_EXTRA, Database),
    IoCall::method("github.com/jmoiron/sqlx", "Tx", SQL_METHODS[0], Database),
    IoCall::method("github.com/jmoiron/sqlx", "Tx", SQL_METHODS[1], Database),
    IoCall::method("github.com/jmoiron/sqlx", "Tx", SQL_METHODS[3], Database),
    IoCall::method("github.com/jmoiron/sqlx", "Tx", SQL_METHODS[4], Database),
    IoCall::method("github.com/jmoiron/sqlx", "Tx", SQL_METHODS[5], Database),
    IoCall::method("github.com/jmoiron/sqlx", "Tx", SQLX_EXTRA, Database),
    IoCall::method("github.com/jmoiron/sqlx", "Stmt", SQL_METHODS[0], Database),
    IoCall::method("github.com/jmoiron/sqlx", "Stmt", SQL_METHODS[1], Database),
    IoCall::method(
        "github.com/jmoiron/sqlx",
        "Stmt",
        "Get|GetContext|Select|SelectContext",
        Database,
    ),
    IoCall::method(
        "github.com/jmoiron/sqlx",
        "NamedStmt",
        SQL_METHODS[0],
        Database,
    ),
    IoCall::method(
        "github.com/jmoiron/sqlx",
        "NamedStmt",
        SQL_METHODS[1],
        Database,
    ),
    IoCall::method(
        "github.com/jmoiron/sqlx",
        "NamedStmt",
        "Get|GetContext|Select|SelectContext",
        Database,
    ),
    // --- files
    IoCall::func("os", "Open", File),
    IoCall::func("os", "OpenFile", File),
    IoCall::func("os", "Create", File),
    IoCall::func("os", "CreateTemp", File),
    IoCall::func("os", "ReadFile", File),
    IoCall::func("os", "WriteFile", File),
    IoCall::func("os", "ReadDir", File),
    IoCall::func("os", "Remove", File),
    IoCall::func("os", "RemoveAll", File),
    IoCall::func("os", "Rename", File),
    IoCall::func("os", "Mkdir", File),
    IoCall::func("os", "MkdirAll", File),
    IoCall::func("os", "MkdirTemp", File),
    IoCall::func("os", "Truncate", File),
    IoCall::func("os", "Link", File),
    IoCall::func("os", "Symlink", File),
    IoCall::func("os", "Chmod", File),
    IoCall::func("os", "Chown", File),
    IoCall::func("os", "Chtimes", File),
    IoCall::func("io/ioutil", "ReadFile", File),
    IoCall::func("io/ioutil", "WriteFile", File),
    IoCall::func("io/ioutil", "ReadDir", File),
    IoCall::func("io/ioutil", "TempFile", File),
    IoCall::func("io/ioutil", "TempDir", File),
    IoCall::method(
        "os",
        "File",
        "Read|ReadAt|ReadFrom|ReadDir|Readdir|Readdirnames|Write|WriteAt|WriteString",
        File,
    ),
    IoCall::method("os", "File", "Sync", File),
    // --- waiting
    IoCall::func("time", "Sleep", Sleep),
    IoCall::method("sync", "WaitGroup", "Wait", Wait),
];

/// The catalog in force for one run: the built-in table plus configured entries.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub extra: Vec<IoCall>,
}

/// The rule option that extends the catalog.
pub const IO_CALLS_OPTION: &str = "io-calls";

impl Catalog {
    /// The built-in table plus `io-calls` from the settings (the config loader rejects
    /// malformed entries, see `registry::check_option_item`; any left are skipped).
    pub fn from_settings(settings: &Settings, rule: &str) -> Catalog {
        let extra = match settings.option(rule, IO_CALLS_OPTION) {
            Some(OptionValue::List(items)) => {
                items.iter().filter_map(|s| IoCall::parse(s)).collect()
            }
            Some(OptionValue::Str(s)) => IoCall::parse(s).into_iter().collect(),
            _ => Vec::new(),
        };
        Catalog { extra }
    }

    fn entries(&self) -> impl Iterator<Item = &IoCall> {
        BUILTIN.iter().chain(self.extra.iter())
    }

    /// `pkg.name(...)`, a package function.
    pub fn func(&self, pkg: &str, name: &str) -> Option<IoKind> {
        self.entries()
            .find(|e| e.recv.is_empty() && e.pkg == pkg && e.name_matches(name))
            .map(|e| e.kind)
    }

    /// Whether a method name can be in the catalog (built-in or configured).
    pub fn may_be_method(&self, name: &str) -> bool {
        builtin_method_name(name)
            || self
                .extra
                .iter()
                .any(|e| !e.recv.is_empty() && e.name_matches(name))
    }

    /// A method of the qualified type `pkg.recv`.
    pub fn method(&self, pkg: &str, recv: &str, name: &str) -> Option<IoKind> {
        self.entries()
            .find(|e| e.recv == recv && e.pkg == pkg && e.name_matches(name))
            .map(|e| e.kind)
    }
}

/// Whether a method name can be in the built-in catalog (a cheap filter for the facts
/// walk, which records candidates before types are known).
pub fn builtin_method_name(name: &str) -> bool {
    // Patterns grouped by first byte: this runs for every method call of every file.
    static BY_FIRST: std::sync::LazyLock<Vec<Vec<&'static str>>> = std::sync::LazyLock::new(|| {
        let mut t: Vec<Vec<&'static str>> = vec![Vec::new(); 128];
        for e in BUILTIN.iter().filter(|e| !e.recv.is_empty()) {
            let Cow::Borrowed(pattern) = &e.name else {
                continue;
            };
            for p in pattern.split('|') {
                if let Some(&b) = p.as_bytes().first()
                    && b < 128
                    && !t[b as usize].contains(&p)
                {
                    t[b as usize].push(p);
                }
            }
        }
        t
    });
    let Some(&b) = name.as_bytes().first() else {
        return false;
    };
    BY_FIRST
        .get(b as usize)
        .is_some_and(|ps| ps.iter().any(|p| name_matches(p, name)))
}

/// Whether `pkg.name` is a package function of the built-in catalog (runs for every
/// qualified call of every file: a map lookup by package first).
pub fn builtin_func(pkg: &str, name: &str) -> bool {
    static BY_PKG: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, Vec<&'static str>>> =
        std::sync::LazyLock::new(|| {
            let mut m: rustc_hash::FxHashMap<&'static str, Vec<&'static str>> = Default::default();
            for e in BUILTIN.iter().filter(|e| e.recv.is_empty()) {
                if let (Cow::Borrowed(p), Cow::Borrowed(n)) = (&e.pkg, &e.name) {
                    m.entry(*p).or_default().push(*n);
                }
            }
            m
        });
    BY_PKG
        .get(pkg)
        .is_some_and(|names| names.iter().any(|p| name_matches(p, name)))
}

fn named(pkg: &str, name: &str, pointer: bool) -> TypeRef {
    TypeRef {
        text: format!("{}{pkg}.{name}", if pointer { "*" } else { "" }),
        pointer,
        pkg: Some(pkg.to_string()),
        name: name.to_string(),
        kind: TypeKind::Named,
    }
}

/// The (first) result type of a package function that makes a connection, file,
/// database or client.
pub fn constructor_result(pkg: &str, func: &str) -> Option<TypeRef> {
    let (p, n, ptr) = match (pkg, func) {
        ("os", "Open" | "OpenFile" | "Create" | "CreateTemp" | "NewFile") => ("os", "File", true),
        ("io/ioutil", "TempFile") => ("os", "File", true),
        ("net", "Dial" | "DialTimeout" | "FileConn") => ("net", "Conn", false),
        ("net", "DialTCP") => ("net", "TCPConn", true),
        ("net", "DialUDP" | "ListenUDP" | "ListenMulticastUDP") => ("net", "UDPConn", true),
        ("net", "DialUnix") => ("net", "UnixConn", true),
        ("net", "DialIP" | "ListenIP") => ("net", "IPConn", true),
        ("net", "Listen" | "FileListener") => ("net", "Listener", false),
        ("net", "ListenTCP") => ("net", "TCPListener", true),
        ("net", "ListenUnix") => ("net", "UnixListener", true),
        ("net", "ListenPacket") => ("net", "PacketConn", false),
        ("crypto/tls", "Dial" | "DialWithDialer" | "Client" | "Server") => {
            ("crypto/tls", "Conn", true)
        }
        ("crypto/tls", "Listen" | "NewListener") => ("net", "Listener", false),
        ("database/sql", "Open" | "OpenDB") => ("database/sql", "DB", true),
        ("github.com/jmoiron/sqlx", "Open" | "Connect" | "MustOpen" | "MustConnect" | "NewDb") => {
            ("github.com/jmoiron/sqlx", "DB", true)
        }
        ("net/rpc", "Dial" | "DialHTTP" | "DialHTTPPath" | "NewClient") => {
            ("net/rpc", "Client", true)
        }
        _ => return None,
    };
    Some(named(p, n, ptr))
}

/// The (first) result type of a method of a qualified type, for the accessors that
/// hand out transactions, statements and connections.
pub fn method_result(pkg: &str, recv: &str, method: &str) -> Option<TypeRef> {
    let (p, n, ptr) = match (pkg, recv, method) {
        ("database/sql", "DB" | "Conn", "Begin" | "BeginTx") => ("database/sql", "Tx", true),
        ("database/sql", "DB" | "Conn" | "Tx", "Prepare" | "PrepareContext") => {
            ("database/sql", "Stmt", true)
        }
        ("database/sql", "Tx", "Stmt" | "StmtContext") => ("database/sql", "Stmt", true),
        ("database/sql", "DB", "Conn") => ("database/sql", "Conn", true),
        ("github.com/jmoiron/sqlx", "DB", "Beginx" | "MustBegin" | "BeginTxx" | "MustBeginTx") => {
            ("github.com/jmoiron/sqlx", "Tx", true)
        }
        ("github.com/jmoiron/sqlx", "DB" | "Tx", "Preparex" | "PreparexContext") => {
            ("github.com/jmoiron/sqlx", "Stmt", true)
        }
        ("net" | "crypto/tls", "Dialer", "Dial" | "DialContext") => ("net", "Conn", false),
        ("net" | "crypto/tls", "Listener", "Accept") => ("net", "Conn", false),
        ("net", "TCPListener", "AcceptTCP") => ("net", "TCPConn", true),
        ("net", "UnixListener", "AcceptUnix") => ("net", "UnixConn", true),
        _ => return None,
    };
    Some(named(p, n, ptr))
}

/// Exported variables of other packages whose type matters here.
pub fn package_var(pkg: &str, name: &str) -> Option<TypeRef> {
    match (pkg, name) {
        ("net/http", "DefaultClient") => Some(named("net/http", "Client", true)),
        // os.Stdout / os.Stderr / os.Stdin are deliberately untyped: a logger that holds
        // its mutex while writing a line to the terminal serialises output by design.
        _ => None,
    }
}

/// Whether an import path belongs to the standard library (no dot in its first element).
pub fn is_std(path: &str) -> bool {
    !path.split('/').next().unwrap_or(path).contains('.')
}

/// Packages whose context-first calls are in-process telemetry or logging, not clients.
fn is_telemetry(path: &str) -> bool {
    const PREFIXES: [&str; 12] = [
        "go.opentelemetry.io/",
        "go.opencensus.io",
        "github.com/opentracing/",
        "github.com/open-telemetry/",
        "go.uber.org/zap",
        "github.com/sirupsen/logrus",
        "github.com/go-logr/",
        "github.com/rs/zerolog",
        "k8s.io/klog",
        "github.com/prometheus/",
        "github.com/DataDog/dd-trace-go",
        "gopkg.in/DataDog/dd-trace-go",
    ];
    PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Whether an import path is another module than the file's own. With a go.mod module
/// path this is a prefix test; without one, the path is own when its first three
/// elements appear in the file's own path (a GOPATH-style checkout).
pub fn is_other_module(path: &str, module: Option<&str>, file: &Path) -> bool {
    if is_std(path) {
        return false;
    }
    if let Some(m) = module {
        return !(path == m || path.strip_prefix(m).is_some_and(|r| r.starts_with('/')));
    }
    let prefix: Vec<&str> = path.split('/').take(3).collect();
    let needle = format!("/{}/", prefix.join("/"));
    let file = file.to_string_lossy();
    !file.contains(&needle)
}

/// Whether a context-first call on a value of type `ty` goes to something that may
/// block on another process: a local interface, a type of another module (not a
/// telemetry or logging package), or a non-standard type named `...Client`.
pub fn is_client_type(pkg: &PackageIndex, ty: &TypeRef, file: &Path) -> bool {
    if ty.kind != TypeKind::Named {
        return false;
    }
    match &ty.pkg {
        None => pkg.interfaces.contains(&ty.name),
        Some(path) => {
            if is_std(path) || is_telemetry(path) {
                return false;
            }
            let module = pkg.gomod.as_ref().and_then(|m| m.module.as_deref());
            ty.name.ends_with("Client") || is_other_module(path, module, file)
        }
    }
}

/// Method names of context-first calls that are bookkeeping, not I/O, whatever the
/// receiver (spans, metrics, loggers, caches of values).
pub fn is_bookkeeping_method(name: &str) -> bool {
    matches!(
        name,
        "Start"
            | "End"
            | "Add"
            | "Record"
            | "Inc"
            | "Observe"
            | "Log"
            | "Logf"
            | "Value"
            | "Err"
            | "Done"
            | "Deadline"
    ) || name.starts_with("With")
        || name.starts_with("Debug")
        || name.starts_with("Info")
        || name.starts_with("Warn")
        || name.starts_with("Error")
        || name.starts_with("Trace")
        || name.starts_with("Log")
}

/// Classify a method call on a receiver of (resolved) type `ty`. Same-package types
/// answer through a promoted method of an embedded field (one level); a same-package
/// method of that name is not classified here (see the callee summaries).
pub fn classify_method(
    cat: &Catalog,
    pkg: &PackageIndex,
    ty: &TypeRef,
    name: &str,
) -> Option<IoKind> {
    if ty.kind != TypeKind::Named {
        return None;
    }
    match &ty.pkg {
        Some(p) => cat.method(p, &ty.name, name),
        None => {
            if pkg.method_of(&ty.name, name).is_some() {
                return None;
            }
            let st = pkg.structs.get(&ty.name)?;
            st.fields
                .iter()
                .filter(|f| f.embedded)
                .find_map(|f| match &f.ty.pkg {
                    Some(p) => cat.method(p, &f.ty.name, name),
                    None => None,
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_entries_parse() {
        let e = IoCall::parse("os/exec.Cmd.Run").unwrap();
        assert_eq!((&*e.pkg, &*e.recv, &*e.name), ("os/exec", "Cmd", "Run"));
        let e = IoCall::parse("os.ReadFile").unwrap();
        assert_eq!((&*e.pkg, &*e.recv, &*e.name), ("os", "", "ReadFile"));
        let e = IoCall::parse("github.com/redis/go-redis/v9.Client.Get*").unwrap();
        assert_eq!(&*e.pkg, "github.com/redis/go-redis/v9");
        assert!(e.name_matches("GetEx"));
        assert!(IoCall::parse("os").is_none());
        assert!(IoCall::parse("a.b.c.d").is_none());
    }

    #[test]
    fn builtin_lookups() {
        let c = Catalog::default();
        assert_eq!(c.func("time", "Sleep"), Some(Sleep));
        assert_eq!(
            c.method("database/sql", "DB", "QueryRowContext"),
            Some(Database)
        );
        assert_eq!(c.method("database/sql", "Rows", "Next"), None);
        assert_eq!(c.method("os", "File", "Close"), None);
        assert!(builtin_method_name("ExecContext"));
        assert!(builtin_method_name("ReadFromUDP"));
        assert!(!builtin_method_name("Close"));
        assert!(!builtin_method_name("WriteByte"));
        assert_eq!(c.method("os", "File", "Readdirnames"), Some(File));
        assert_eq!(
            c.method("github.com/jmoiron/sqlx", "DB", "NamedExec"),
            Some(Database)
        );
    }

    #[test]
    fn module_membership() {
        let f = Path::new("/src/github.com/acme/svc/store/db.go");
        assert!(!is_other_module("github.com/acme/svc/internal/x", None, f));
        assert!(is_other_module("github.com/redis/go-redis/v9", None, f));
        assert!(!is_other_module(
            "github.com/acme/svc/x",
            Some("github.com/acme/svc"),
            f
        ));
        assert!(is_other_module(
            "github.com/acme/svcx",
            Some("github.com/acme/svc"),
            f
        ));
        assert!(!is_other_module("net/http", None, f));
    }
}
