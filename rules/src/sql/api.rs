//! The database APIs the sql family knows, as data: which types are database handles,
//! how handles are obtained, and which methods execute a statement (and where their SQL
//! text is). Adding a driver or a wrapper library is adding rows here; a later config
//! file can append rows of the same shape.

pub const SQL: &str = "database/sql";
pub const SQLX: &str = "github.com/jmoiron/sqlx";
pub const GORM_V2: &str = "gorm.io/gorm";
pub const GORM_V1: &str = "github.com/jinzhu/gorm";

/// Import paths whose presence in a package makes the family look at it.
pub const PACKAGES: &[&str] = &[SQL, SQLX, GORM_V2, GORM_V1];

/// A database handle type: `*sql.DB`, `*sqlx.Tx`, `*gorm.DB`...
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandleType {
    pub pkg: &'static str,
    pub ty: &'static str,
}

impl HandleType {
    pub const fn new(pkg: &'static str, ty: &'static str) -> HandleType {
        HandleType { pkg, ty }
    }

    pub fn is_gorm(self) -> bool {
        self.ty == "DB" && (self.pkg == GORM_V2 || self.pkg == GORM_V1)
    }

    /// A prepared statement: its SQL text comes from the `Prepare` that made it.
    pub fn is_stmt(self) -> bool {
        matches!(self.ty, "Stmt" | "NamedStmt")
    }
}

pub const SQL_DB: HandleType = HandleType::new(SQL, "DB");
pub const SQL_TX: HandleType = HandleType::new(SQL, "Tx");
pub const SQL_CONN: HandleType = HandleType::new(SQL, "Conn");
pub const SQL_STMT: HandleType = HandleType::new(SQL, "Stmt");
pub const SQLX_DB: HandleType = HandleType::new(SQLX, "DB");
pub const SQLX_TX: HandleType = HandleType::new(SQLX, "Tx");
pub const SQLX_CONN: HandleType = HandleType::new(SQLX, "Conn");
pub const SQLX_STMT: HandleType = HandleType::new(SQLX, "Stmt");
pub const SQLX_NAMED_STMT: HandleType = HandleType::new(SQLX, "NamedStmt");
pub const GORM2_DB: HandleType = HandleType::new(GORM_V2, "DB");
pub const GORM1_DB: HandleType = HandleType::new(GORM_V1, "DB");

/// Types that are database handles when a variable, parameter or field is declared
/// with them.
pub static HANDLE_TYPES: &[HandleType] = &[
    SQL_DB,
    SQL_TX,
    SQL_CONN,
    SQL_STMT,
    SQLX_DB,
    SQLX_TX,
    SQLX_CONN,
    SQLX_STMT,
    SQLX_NAMED_STMT,
    GORM2_DB,
    GORM1_DB,
];

/// The handle type `pkg.name` denotes, if it is one.
pub fn handle_type(pkg: &str, name: &str) -> Option<HandleType> {
    HANDLE_TYPES
        .iter()
        .copied()
        .find(|h| h.pkg == pkg && h.ty == name)
}

/// Where a statement's SQL text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlArg {
    /// The argument at this position.
    Arg(usize),
    /// The text of the `Prepare*` that created the receiver.
    Prepared,
}

/// What a method returns, for result tracking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    /// `(sql.Result, error)`.
    ResultErr,
    /// `sql.Result` (the `Must*` helpers panic on error).
    Result,
}

/// A method that executes a statement and reports affected rows.
#[derive(Clone, Copy, Debug)]
pub struct ExecMethod {
    pub pkg: &'static str,
    /// Receiver type names in `pkg`.
    pub types: &'static [&'static str],
    pub method: &'static str,
    pub sql: SqlArg,
    pub returns: Returns,
}

const fn exec(
    pkg: &'static str,
    types: &'static [&'static str],
    method: &'static str,
    sql: SqlArg,
    returns: Returns,
) -> ExecMethod {
    ExecMethod {
        pkg,
        types,
        method,
        sql,
        returns,
    }
}

use Returns::{Result as R, ResultErr as RE};
use SqlArg::{Arg, Prepared};

/// The exec methods. sqlx types embed their `database/sql` counterparts, so they
/// list the promoted `Exec`/`ExecContext` too.
pub static EXEC_METHODS: &[ExecMethod] = &[
    exec(SQL, &["DB", "Tx"], "Exec", Arg(0), RE),
    exec(SQL, &["DB", "Tx", "Conn"], "ExecContext", Arg(1), RE),
    exec(SQL, &["Stmt"], "Exec", Prepared, RE),
    exec(SQL, &["Stmt"], "ExecContext", Prepared, RE),
    exec(SQLX, &["DB", "Tx"], "Exec", Arg(0), RE),
    exec(SQLX, &["DB", "Tx", "Conn"], "ExecContext", Arg(1), RE),
    exec(SQLX, &["DB", "Tx"], "MustExec", Arg(0), R),
    exec(SQLX, &["DB", "Tx"], "MustExecContext", Arg(1), R),
    exec(SQLX, &["DB", "Tx"], "NamedExec", Arg(0), RE),
    exec(SQLX, &["DB", "Tx"], "NamedExecContext", Arg(1), RE),
    exec(SQLX, &["Stmt", "NamedStmt"], "Exec", Prepared, RE),
    exec(SQLX, &["Stmt", "NamedStmt"], "ExecContext", Prepared, RE),
    exec(SQLX, &["Stmt", "NamedStmt"], "MustExec", Prepared, R),
    exec(SQLX, &["Stmt", "NamedStmt"], "MustExecContext", Prepared, R),
];

/// Every method name in [`EXEC_METHODS`] (a cheap first filter).
pub fn is_exec_name(name: &str) -> bool {
    EXEC_METHODS.iter().any(|m| m.method == name)
}

pub fn exec_method(h: HandleType, name: &str) -> Option<&'static ExecMethod> {
    EXEC_METHODS
        .iter()
        .find(|m| m.pkg == h.pkg && m.method == name && m.types.contains(&h.ty))
}

/// How a function or method call produces a handle.
#[derive(Clone, Copy, Debug)]
pub struct Producer {
    pub pkg: &'static str,
    /// Receiver types in `pkg`; empty for a package-level function.
    pub on: &'static [&'static str],
    pub name: &'static str,
    pub makes: HandleType,
    /// For statements: where the SQL text is (`Prepare(query)`), or `Prepared` for
    /// `tx.Stmt(stmt)` whose text is that of the statement argument at position 0 / 1.
    pub sql: Option<SqlArg>,
}

const fn prod(
    pkg: &'static str,
    on: &'static [&'static str],
    name: &'static str,
    makes: HandleType,
    sql: Option<SqlArg>,
) -> Producer {
    Producer {
        pkg,
        on,
        name,
        makes,
        sql,
    }
}

pub static PRODUCERS: &[Producer] = &[
    prod(SQL, &[], "Open", SQL_DB, None),
    prod(SQL, &[], "OpenDB", SQL_DB, None),
    prod(SQL, &["DB", "Conn"], "BeginTx", SQL_TX, None),
    prod(SQL, &["DB"], "Begin", SQL_TX, None),
    prod(SQL, &["DB"], "Conn", SQL_CONN, None),
    prod(SQL, &["DB", "Tx"], "Prepare", SQL_STMT, Some(Arg(0))),
    prod(
        SQL,
        &["DB", "Tx", "Conn"],
        "PrepareContext",
        SQL_STMT,
        Some(Arg(1)),
    ),
    prod(SQL, &["Tx"], "Stmt", SQL_STMT, Some(Prepared)),
    prod(SQL, &["Tx"], "StmtContext", SQL_STMT, Some(Prepared)),
    prod(SQLX, &[], "Open", SQLX_DB, None),
    prod(SQLX, &[], "MustOpen", SQLX_DB, None),
    prod(SQLX, &[], "Connect", SQLX_DB, None),
    prod(SQLX, &[], "ConnectContext", SQLX_DB, None),
    prod(SQLX, &[], "MustConnect", SQLX_DB, None),
    prod(SQLX, &[], "NewDb", SQLX_DB, None),
    prod(SQLX, &["DB"], "Unsafe", SQLX_DB, None),
    prod(SQLX, &["Tx"], "Unsafe", SQLX_TX, None),
    prod(SQLX, &["DB"], "Beginx", SQLX_TX, None),
    prod(SQLX, &["DB", "Conn"], "BeginTxx", SQLX_TX, None),
    prod(SQLX, &["DB"], "MustBegin", SQLX_TX, None),
    prod(SQLX, &["DB"], "MustBeginTx", SQLX_TX, None),
    prod(SQLX, &["DB"], "Begin", SQL_TX, None),
    prod(SQLX, &["DB", "Conn"], "BeginTx", SQL_TX, None),
    prod(SQLX, &["DB"], "Connx", SQLX_CONN, None),
    prod(SQLX, &["DB", "Tx"], "Prepare", SQL_STMT, Some(Arg(0))),
    prod(
        SQLX,
        &["DB", "Tx", "Conn"],
        "PrepareContext",
        SQL_STMT,
        Some(Arg(1)),
    ),
    prod(SQLX, &["DB", "Tx"], "Preparex", SQLX_STMT, Some(Arg(0))),
    prod(
        SQLX,
        &["DB", "Tx", "Conn"],
        "PreparexContext",
        SQLX_STMT,
        Some(Arg(1)),
    ),
    prod(
        SQLX,
        &["DB", "Tx"],
        "PrepareNamed",
        SQLX_NAMED_STMT,
        Some(Arg(0)),
    ),
    prod(
        SQLX,
        &["DB", "Tx", "Conn"],
        "PrepareNamedContext",
        SQLX_NAMED_STMT,
        Some(Arg(1)),
    ),
    prod(SQLX, &["Tx"], "Stmtx", SQLX_STMT, Some(Prepared)),
    prod(SQLX, &["Tx"], "StmtxContext", SQLX_STMT, Some(Prepared)),
    prod(GORM_V2, &[], "Open", GORM2_DB, None),
    prod(GORM_V1, &[], "Open", GORM1_DB, None),
    prod(GORM_V2, &["DB"], "DB", SQL_DB, None),
    prod(GORM_V1, &["DB"], "DB", SQL_DB, None),
];

/// The handle a call produces: a package function (`recv` = `None`) or a method of
/// the handle type `recv`. GORM's chainable methods return the same `*gorm.DB`.
pub fn produced(pkg: &str, recv: Option<HandleType>, name: &str) -> Option<&'static Producer> {
    PRODUCERS.iter().find(|p| {
        p.name == name
            && match recv {
                None => p.on.is_empty() && p.pkg == pkg,
                Some(h) => p.pkg == h.pkg && p.on.contains(&h.ty),
            }
    })
}

/// `*gorm.DB` methods that return a `*gorm.DB` (query building and sessions).
pub static GORM_CHAIN: &[&str] = &[
    "Assign",
    "Attrs",
    "Begin",
    "Clauses",
    "Debug",
    "Distinct",
    "Group",
    "Having",
    "InstantSet",
    "Joins",
    "Limit",
    "Model",
    "New",
    "Not",
    "Offset",
    "Omit",
    "Or",
    "Order",
    "Preload",
    "Scopes",
    "Select",
    "Session",
    "Set",
    "Table",
    "Unscoped",
    "Where",
    "WithContext",
];

/// GORM methods that write and report `RowsAffected` on the returned `*gorm.DB`.
pub static GORM_WRITES: &[&str] = &[
    "Update",
    "Updates",
    "UpdateColumn",
    "UpdateColumns",
    "Delete",
];
