//! A small SQL classifier: is this statement an `UPDATE` / `DELETE` aimed at specific
//! rows, and is its target guarded by an extra predicate?
//!
//! The input is the statement as the Go code builds it: literal and constant pieces,
//! with [`Piece::Hole`] for parts computed at run time (`+ table +`, a `%s` verb). The
//! verb and the whole `WHERE` clause must sit in visible pieces to be classified;
//! otherwise the answer is [`Class::Unknown`] and nothing is reported.
//!
//! Not a parser: a tokenizer (comments, quoting, placeholders of every driver style)
//! plus a scan of the top-level `WHERE` clause split into `AND`-ed predicates.

/// A part of a SQL string as the program assembles it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text the analysis can read (a literal or a constant).
    Text(String),
    /// Text computed at run time.
    Hole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Update,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Update => "UPDATE",
            Verb::Delete => "DELETE",
        }
    }
}

/// How a targeted write picks its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Targeting {
    /// `WHERE key = ? AND <guard>`: zero rows means the guard failed (a concurrent
    /// writer won, stock ran out, the row moved to another state).
    Guarded {
        keys: Vec<String>,
        guards: Vec<String>,
    },
    /// `WHERE key = ?` (possibly scoped by more key equalities): zero rows means the
    /// row does not exist.
    SingleKey { keys: Vec<String> },
}

/// A targeted write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    pub verb: Verb,
    pub targeting: Targeting,
    /// The `WHERE` clause, normalised (comments dropped, whitespace collapsed).
    pub where_clause: String,
}

/// What a SQL text is, as far as the rule is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Not an `UPDATE` or `DELETE` (`INSERT`, `SELECT`, DDL, ...).
    NotWrite,
    /// The verb or the `WHERE` clause is built at run time.
    Unknown,
    /// An `UPDATE`/`DELETE` where zero rows is a normal outcome: no `WHERE`, or only
    /// ranges, patterns, lists, literal predicates, alternatives (`OR`).
    Bulk(Verb),
    Targeted(Write),
}

/// Classify a whole statement.
pub fn classify(pieces: &[Piece]) -> Class {
    let toks = tokenize(pieces);
    classify_tokens(&toks)
}

/// Classify the condition of an ORM `Where("...")` (a bare predicate, no verb). `None`
/// when it cannot be read (a hole, an `OR` at top level...).
pub fn classify_condition(pieces: &[Piece]) -> Option<Condition> {
    let toks = tokenize(pieces);
    if toks.iter().any(|t| t.kind == Kind::Hole) {
        return None;
    }
    condition(&toks)
}

/// The text of a statement or condition, normalised for messages: comments dropped,
/// whitespace collapsed, run-time parts shown as `…`.
pub fn normalize(pieces: &[Piece]) -> String {
    render(&tokenize(pieces))
}

/// The predicates of a `WHERE` clause, sorted into keys and guards.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Condition {
    /// Columns compared for equality with a bind parameter (not state columns).
    pub keys: Vec<String>,
    /// Extra predicates that can fail on an existing row.
    pub guards: Vec<String>,
    /// A predicate picks a set of rows (`IN`, `= ANY($1)`, `LIKE`): a batch write,
    /// where fewer rows than asked for is normal.
    pub batch: bool,
    /// The written table, when known: `<table>_id` is its own key, not a scope.
    pub table: Option<String>,
}

impl Condition {
    /// Merge the predicates of another `AND`-ed condition.
    pub fn and(&mut self, other: Condition) {
        self.keys.extend(other.keys);
        self.guards.extend(other.guards);
        self.batch |= other.batch;
    }

    /// The targeting this condition amounts to, if it targets rows at all. A write
    /// keyed only by scope columns (`WHERE user_id = ?`, `WHERE photo_id = ? AND
    /// file_video = 1`: rows of a parent, filtered) is a scoped bulk write.
    pub fn targeting(&self) -> Option<Targeting> {
        if self.keys.is_empty() || self.batch {
            return None;
        }
        if self
            .keys
            .iter()
            .all(|k| is_scope_column(k) && !names_own_id(k, self.table.as_deref()))
        {
            return None;
        }
        Some(if self.guards.is_empty() {
            Targeting::SingleKey {
                keys: self.keys.clone(),
            }
        } else {
            Targeting::Guarded {
                keys: self.keys.clone(),
                guards: self.guards.clone(),
            }
        })
    }
}

// ---------------------------------------------------------------------------------
// Tokens

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An unquoted identifier or keyword.
    Word,
    /// `"ident"`, `` `ident` ``, `[ident]`.
    Quoted,
    /// `'text'`.
    Str,
    Num,
    /// `?`, `?1`, `$1`, `:name`, `@name`.
    Param,
    /// Operators: `=`, `<>`, `::`, `||`...
    Op,
    LParen,
    RParen,
    Comma,
    Dot,
    Semi,
    /// Run-time text, or something the tokenizer could not close (a quote split
    /// across pieces).
    Hole,
}

#[derive(Clone, Debug)]
struct Tok {
    kind: Kind,
    text: String,
}

impl Tok {
    fn is_word(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(w)
    }

    fn is_op(&self, op: &str) -> bool {
        self.kind == Kind::Op && self.text == op
    }
}

/// Bound on tokens read per statement (a generated megabyte of SQL is not a write
/// worth classifying).
const MAX_TOKENS: usize = 20_000;

fn tokenize(pieces: &[Piece]) -> Vec<Tok> {
    let mut out = Vec::new();
    for p in pieces {
        match p {
            Piece::Hole => push(&mut out, Kind::Hole, "…"),
            Piece::Text(s) => tokenize_text(s, &mut out),
        }
        if out.len() > MAX_TOKENS {
            out.truncate(MAX_TOKENS);
            push(&mut out, Kind::Hole, "…");
            break;
        }
    }
    out
}

fn push(out: &mut Vec<Tok>, kind: Kind, text: &str) {
    // Adjacent holes say nothing more than one.
    if kind == Kind::Hole && out.last().is_some_and(|t| t.kind == Kind::Hole) {
        return;
    }
    out.push(Tok {
        kind,
        text: text.to_string(),
    });
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphanumeric()
}

fn tokenize_text(s: &str, out: &mut Vec<Tok>) {
    let b: Vec<char> = s.chars().collect();
    let n = b.len();
    let mut i = 0;
    // Byte offsets are not needed: tokens own their text.
    let slice = |from: usize, to: usize| -> String { b[from..to].iter().collect() };
    while i < n {
        if out.len() > MAX_TOKENS {
            return;
        }
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // Comments.
        if c == '-' && next == Some('-') {
            while i < n && b[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            // Nested block comments (PostgreSQL); an unclosed one hides the rest.
            let mut depth = 0usize;
            let mut closed = false;
            while i < n {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        closed = true;
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if !closed {
                push(out, Kind::Hole, "…");
            }
            continue;
        }
        // Quoted text: strings and identifiers, with doubled-quote escapes.
        if matches!(c, '\'' | '"' | '`') {
            let start = i + 1;
            let mut j = start;
            let mut closed = false;
            let mut inner = String::new();
            while j < n {
                if b[j] == c {
                    if b.get(j + 1) == Some(&c) {
                        inner.push(c);
                        j += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                inner.push(b[j]);
                j += 1;
            }
            if !closed {
                push(out, Kind::Hole, "…");
                return;
            }
            if c == '\'' {
                push(out, Kind::Str, &format!("'{inner}'"));
            } else {
                out.push(Tok {
                    kind: Kind::Quoted,
                    text: inner,
                });
            }
            i = j + 1;
            continue;
        }
        if c == '[' {
            // SQL Server `[ident]`; otherwise an array subscript bracket.
            if let Some(len) = b[i + 1..].iter().position(|&x| x == ']')
                && len > 0
                && b[i + 1..i + 1 + len].iter().all(|&x| x != '[')
                && is_ident_start(b[i + 1])
            {
                out.push(Tok {
                    kind: Kind::Quoted,
                    text: slice(i + 1, i + 1 + len),
                });
                i += len + 2;
            } else {
                push(out, Kind::Op, "[");
                i += 1;
            }
            continue;
        }
        // Placeholders.
        if c == '?' {
            let mut j = i + 1;
            while j < n && b[j].is_ascii_digit() {
                j += 1;
            }
            push(out, Kind::Param, &slice(i, j));
            i = j;
            continue;
        }
        if c == '$' {
            if next.is_some_and(|d| d.is_ascii_digit()) {
                let mut j = i + 1;
                while j < n && b[j].is_ascii_digit() {
                    j += 1;
                }
                push(out, Kind::Param, &slice(i, j));
                i = j;
                continue;
            }
            // Dollar quoting: `$$...$$` or `$tag$...$tag$`.
            let mut j = i + 1;
            while j < n && (b[j] == '_' || b[j].is_alphanumeric()) {
                j += 1;
            }
            if j < n && b[j] == '$' {
                let tag: Vec<char> = b[i..=j].to_vec();
                let mut k = j + 1;
                let mut closed = false;
                while k + tag.len() <= n {
                    if b[k..k + tag.len()] == tag[..] {
                        closed = true;
                        break;
                    }
                    k += 1;
                }
                if !closed {
                    push(out, Kind::Hole, "…");
                    return;
                }
                push(out, Kind::Str, "'…'");
                i = k + tag.len();
                continue;
            }
            push(out, Kind::Op, "$");
            i += 1;
            continue;
        }
        if c == '@' && next == Some('@') {
            // `@@identity`: a MySQL / SQL Server system variable.
            let mut j = i + 2;
            while j < n && is_ident_char(b[j]) {
                j += 1;
            }
            push(out, Kind::Word, &slice(i, j));
            i = j;
            continue;
        }
        if c == ':' && next.is_some_and(|d| d.is_ascii_digit()) {
            // Oracle-style positional `:1`.
            let mut j = i + 1;
            while j < n && b[j].is_ascii_digit() {
                j += 1;
            }
            push(out, Kind::Param, &slice(i, j));
            i = j;
            continue;
        }
        if (c == ':' || c == '@') && next.is_some_and(is_ident_start) {
            // `::type` is a cast, `@@var` a MySQL system variable: not parameters.
            let prev_colon = c == ':' && i > 0 && b[i - 1] == ':';
            if !prev_colon {
                let mut j = i + 1;
                while j < n && is_ident_char(b[j]) {
                    j += 1;
                }
                push(out, Kind::Param, &slice(i, j));
                i = j;
                continue;
            }
        }
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|d| d.is_ascii_digit())) {
            let mut j = i + 1;
            while j < n && (b[j].is_ascii_alphanumeric() || b[j] == '.') {
                j += 1;
            }
            push(out, Kind::Num, &slice(i, j));
            i = j;
            continue;
        }
        if is_ident_start(c) {
            let mut j = i + 1;
            while j < n && is_ident_char(b[j]) {
                j += 1;
            }
            push(out, Kind::Word, &slice(i, j));
            i = j;
            continue;
        }
        match c {
            '(' => push(out, Kind::LParen, "("),
            ')' => push(out, Kind::RParen, ")"),
            ',' => push(out, Kind::Comma, ","),
            '.' => push(out, Kind::Dot, "."),
            ';' => push(out, Kind::Semi, ";"),
            _ => {
                // Operators: longest match among the two-character ones.
                let two: String = b[i..(i + 2).min(n)].iter().collect();
                if matches!(
                    two.as_str(),
                    "<=" | ">=" | "<>" | "!=" | "==" | "::" | "||" | "->" | "<@" | "@>" | "&&"
                ) {
                    push(out, Kind::Op, &two);
                    i += 2;
                    continue;
                }
                push(out, Kind::Op, &c.to_string());
            }
        }
        i += 1;
    }
}

/// Render tokens back as compact SQL.
fn render(toks: &[Tok]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Tok> = None;
    for t in toks {
        let glue = match prev {
            None => false,
            Some(p) => {
                matches!(p.kind, Kind::LParen | Kind::Dot)
                    || p.is_op("::")
                    || matches!(t.kind, Kind::RParen | Kind::Comma | Kind::Dot | Kind::Semi)
                    || t.is_op("::")
                    || (t.kind == Kind::LParen && matches!(p.kind, Kind::Word | Kind::Quoted))
            }
        };
        if prev.is_some() && !glue {
            out.push(' ');
        }
        match t.kind {
            Kind::Quoted => {
                out.push('"');
                out.push_str(&t.text);
                out.push('"');
            }
            _ => out.push_str(&t.text),
        }
        prev = Some(t);
    }
    out
}

// ---------------------------------------------------------------------------------
// Statements

fn classify_tokens(toks: &[Tok]) -> Class {
    let mut i = 0;
    if toks.first().is_some_and(|t| t.is_word("WITH")) {
        match skip_ctes(toks, 1) {
            Some(j) => i = j,
            None => return Class::Unknown,
        }
    }
    let Some(first) = toks.get(i) else {
        return Class::NotWrite;
    };
    let verb = if first.is_word("UPDATE") {
        Verb::Update
    } else if first.is_word("DELETE") {
        Verb::Delete
    } else if first.kind == Kind::Hole {
        return Class::Unknown;
    } else {
        return Class::NotWrite;
    };
    // The statement ends at the first top-level `;`.
    let body_start = i + 1;
    let mut end = toks.len();
    let mut depth = 0i32;
    let mut where_at = None;
    for (j, t) in toks.iter().enumerate().skip(body_start) {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            Kind::Semi if depth <= 0 => {
                end = j;
                break;
            }
            Kind::Word if depth == 0 && where_at.is_none() && t.is_word("WHERE") => {
                where_at = Some(j)
            }
            _ => {}
        }
    }
    let Some(w) = where_at else {
        // A hole after the verb may carry the `WHERE`.
        return if toks[body_start..end].iter().any(|t| t.kind == Kind::Hole) {
            Class::Unknown
        } else {
            Class::Bulk(verb)
        };
    };
    // The clause runs to the first top-level clause keyword after it.
    let mut clause_end = end;
    let mut depth = 0i32;
    for (j, t) in toks.iter().enumerate().take(end).skip(w + 1) {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            Kind::Word
                if depth == 0
                    && ["RETURNING", "ORDER", "LIMIT", "OFFSET", "GROUP", "OUTPUT"]
                        .iter()
                        .any(|k| t.is_word(k)) =>
            {
                clause_end = j;
                break;
            }
            _ => {}
        }
    }
    let clause = &toks[w + 1..clause_end];
    if clause.iter().any(|t| t.kind == Kind::Hole) {
        return Class::Unknown;
    }
    if clause.first().is_some_and(|t| t.is_word("CURRENT")) {
        return Class::Bulk(verb); // `WHERE CURRENT OF cursor`
    }
    let table = table_name(&toks[body_start..end], verb);
    let Some(targeting) = condition(clause).and_then(|mut c| {
        c.table = table;
        c.targeting()
    }) else {
        return Class::Bulk(verb);
    };
    let mut where_clause = String::from("WHERE ");
    where_clause.push_str(&render(clause));
    Class::Targeted(Write {
        verb,
        targeting,
        where_clause,
    })
}

/// The table an `UPDATE t` / `DELETE FROM t` writes (unqualified, lower case).
fn table_name(body: &[Tok], verb: Verb) -> Option<String> {
    let mut it = body.iter().peekable();
    if verb == Verb::Delete {
        // `DELETE FROM t`, `DELETE LOW_PRIORITY FROM t`
        it.by_ref().find(|t| t.is_word("FROM"))?;
    }
    while it.peek().is_some_and(|t| {
        ["ONLY", "LOW_PRIORITY", "IGNORE", "QUICK"]
            .iter()
            .any(|k| t.is_word(k))
    }) {
        it.next();
    }
    loop {
        let t = it.next()?;
        if !matches!(t.kind, Kind::Word | Kind::Quoted) {
            return None;
        }
        if !it.peek().is_some_and(|t| t.kind == Kind::Dot) {
            return Some(t.text.to_lowercase());
        }
        it.next();
    }
}

/// `categories` -> `category`, `addresses` -> `address`, `users` -> `user`.
fn singular(s: &str) -> String {
    if let Some(stem) = s.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if s.ends_with(suffix) {
            return s[..s.len() - 2].to_string();
        }
    }
    s.strip_suffix('s').unwrap_or(s).to_string()
}

/// `connector_id` in table `connectors`: the row's own key, named after its table.
fn names_own_id(column: &str, table: Option<&str>) -> bool {
    let Some(table) = table else {
        return false;
    };
    let w = words(column);
    let Some((last, entity)) = w.split_last() else {
        return false;
    };
    if !matches!(last.as_str(), "id" | "uid" | "uuid" | "guid") || entity.is_empty() {
        return false;
    }
    let entity = entity.join("_");
    let table = table.replace(['-', ' '], "_");
    entity == table || singular(&entity) == singular(&table) || entity == singular(&table)
}

/// Skip `[RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (...) [, ...]` after `WITH`;
/// the position of the main statement's verb.
fn skip_ctes(toks: &[Tok], mut i: usize) -> Option<usize> {
    if toks.get(i)?.is_word("RECURSIVE") {
        i += 1;
    }
    loop {
        let name = toks.get(i)?;
        if !matches!(name.kind, Kind::Word | Kind::Quoted) {
            return None;
        }
        i += 1;
        if toks.get(i)?.kind == Kind::LParen {
            i = skip_group(toks, i)?;
        }
        if !toks.get(i)?.is_word("AS") {
            return None;
        }
        i += 1;
        if toks.get(i)?.is_word("NOT") {
            i += 1;
        }
        if toks.get(i)?.is_word("MATERIALIZED") {
            i += 1;
        }
        if toks.get(i)?.kind != Kind::LParen {
            return None;
        }
        i = skip_group(toks, i)?;
        if toks.get(i)?.kind == Kind::Comma {
            i += 1;
            continue;
        }
        return Some(i);
    }
}

/// `toks[i]` is `(`: the position after its matching `)`.
fn skip_group(toks: &[Tok], i: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (j, t) in toks.iter().enumerate().skip(i) {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------------
// Predicates

/// What one `AND`-ed predicate does to the row set.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pred {
    /// `column = <bind parameter>`.
    ParamEq(String),
    /// Can fail on an existing row: a comparison, a literal or state test, `EXISTS`.
    Guard(String),
    /// Picks a set of rows: `IN (...)`, `= ANY($1)`, `<> ALL($1)`, `LIKE`.
    Batch,
    /// Says nothing about targeting: joins, function tests.
    Neutral,
}

/// Split a `WHERE` condition into predicates; `None` when it has a top-level `OR`.
fn condition(clause: &[Tok]) -> Option<Condition> {
    let mut cond = Condition::default();
    let mut stack: Vec<&[Tok]> = vec![clause];
    let mut budget = 256;
    while let Some(part) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            return None;
        }
        let conjuncts = split_and(part)?;
        if conjuncts.len() == 1 {
            let c = conjuncts[0];
            // `(a AND b)`: flatten.
            if let Some(inner) = strip_parens(c)
                && split_and(inner).is_some_and(|v| v.len() > 1)
            {
                stack.push(inner);
                continue;
            }
            if let Some(inner) = strip_parens(c)
                && split_and(inner).is_none()
            {
                // `(a OR b)` as a whole condition: an alternative, not a target.
                if std::ptr::eq(part, clause) {
                    return None;
                }
                cond.guards.push(render(c));
                continue;
            }
            match predicate(c) {
                Pred::ParamEq(col) if is_state_column(&col) => cond.guards.push(render(c)),
                Pred::ParamEq(col) => cond.keys.push(col),
                Pred::Guard(g) => cond.guards.push(g),
                Pred::Batch => cond.batch = true,
                Pred::Neutral => {}
            }
            continue;
        }
        for c in conjuncts.into_iter().rev() {
            stack.push(c);
        }
    }
    Some(cond)
}

/// Top-level `AND` split (the `AND` of `BETWEEN a AND b` excluded); `None` when a
/// top-level `OR` makes the condition an alternative.
fn split_and(toks: &[Tok]) -> Option<Vec<&[Tok]>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut between = false;
    for (j, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            Kind::Word if depth == 0 => {
                if t.is_word("BETWEEN") {
                    between = true;
                } else if t.is_word("OR") {
                    return None;
                } else if t.is_word("AND") {
                    if between {
                        between = false;
                    } else {
                        out.push(&toks[start..j]);
                        start = j + 1;
                    }
                }
            }
            _ => {}
        }
    }
    out.push(&toks[start..]);
    Some(out.into_iter().filter(|p| !p.is_empty()).collect())
}

/// `( ... )` covering the whole slice: its inside.
fn strip_parens(toks: &[Tok]) -> Option<&[Tok]> {
    if toks.len() < 2 || toks[0].kind != Kind::LParen {
        return None;
    }
    (skip_group(toks, 0)? == toks.len()).then(|| &toks[1..toks.len() - 1])
}

const COMPARISONS: &[&str] = &["=", "==", "<>", "!=", "<", ">", "<=", ">="];

fn predicate(toks: &[Tok]) -> Pred {
    let Some(first) = toks.first() else {
        return Pred::Neutral;
    };
    let text = render(toks);
    if first.is_word("NOT") || first.is_word("EXISTS") {
        return Pred::Guard(text);
    }
    // Find the top-level operator.
    let mut depth = 0i32;
    for (j, t) in toks.iter().enumerate() {
        match t.kind {
            Kind::LParen => depth += 1,
            Kind::RParen => depth -= 1,
            _ if depth != 0 => {}
            Kind::Op if COMPARISONS.contains(&t.text.as_str()) => {
                let (l, r) = (&toks[..j], &toks[j + 1..]);
                if [l, r]
                    .iter()
                    .any(|side| side.first().is_some_and(is_set_function))
                {
                    return Pred::Batch;
                }
                if matches!(t.text.as_str(), "=" | "==") {
                    return equality(l, r, text);
                }
                // `uid <> ?`: every row but one.
                if matches!(t.text.as_str(), "<>" | "!=")
                    && [l, r]
                        .iter()
                        .any(|side| column_of(side).is_some_and(|c| is_id_column(&c)))
                {
                    return Pred::Batch;
                }
                return Pred::Guard(text);
            }
            Kind::Word if t.is_word("IS") || t.is_word("BETWEEN") => return Pred::Guard(text),
            Kind::Word if t.is_word("IN") => {
                // A list: a guard on a state column, otherwise a set of rows.
                let left = if j > 0 && toks[j - 1].is_word("NOT") {
                    &toks[..j - 1]
                } else {
                    &toks[..j]
                };
                return match column_of(left) {
                    Some(c) if is_state_column(&c) => Pred::Guard(text),
                    _ => Pred::Batch,
                };
            }
            Kind::Word
                if [
                    "LIKE", "ILIKE", "SIMILAR", "GLOB", "REGEXP", "RLIKE", "MATCH",
                ]
                .iter()
                .any(|k| t.is_word(k)) =>
            {
                return Pred::Batch;
            }
            _ => {}
        }
    }
    // No operator: a boolean column (`AND active`) tests the row; a function call or
    // a constant (`1`, `TRUE`) does not target anything.
    match column_of(toks) {
        Some(_) => Pred::Guard(text),
        None => Pred::Neutral,
    }
}

fn equality(l: &[Tok], r: &[Tok], text: String) -> Pred {
    for (a, b) in [(l, r), (r, l)] {
        if let Some(col) = column_of(a) {
            if is_param_expr(b) {
                return Pred::ParamEq(col);
            }
            if is_literal(b) {
                return Pred::Guard(text);
            }
        }
    }
    Pred::Neutral
}

/// A column reference (`c`, `t.c`, `"c"`, `lower(c)`, `c::text`): its name.
fn column_of(toks: &[Tok]) -> Option<String> {
    let mut toks = strip_cast(toks);
    for _ in 0..4 {
        if let Some(inner) = strip_parens(toks) {
            toks = strip_cast(inner);
            continue;
        }
        // `f(col)` (not `ANY(col)`: a set, not a value)
        if toks.len() >= 3
            && toks[0].kind == Kind::Word
            && !is_set_function(&toks[0])
            && toks[1].kind == Kind::LParen
            && skip_group(toks, 1) == Some(toks.len())
        {
            toks = strip_cast(&toks[2..toks.len() - 1]);
            continue;
        }
        break;
    }
    // ident (. ident)*
    let mut name = None;
    for (j, t) in toks.iter().enumerate() {
        if j % 2 == 0 {
            match t.kind {
                Kind::Word if !is_keyword_value(&t.text) => name = Some(t.text.clone()),
                Kind::Quoted => name = Some(t.text.clone()),
                _ => return None,
            }
        } else if t.kind != Kind::Dot {
            return None;
        }
    }
    if toks.len().is_multiple_of(2) {
        return None;
    }
    name
}

/// A bind parameter, possibly cast or wrapped in a function (`$1::uuid`,
/// `UUID_TO_BIN(?)`, `CAST(@id AS INT)`, `lower(:email)`), or a scalar subquery keyed
/// by one (`(SELECT id FROM users WHERE email = ?)`).
fn is_param_expr(toks: &[Tok]) -> bool {
    let mut toks = strip_cast(toks);
    for _ in 0..4 {
        if let Some(inner) = strip_parens(toks) {
            if inner.first().is_some_and(|t| t.is_word("SELECT")) {
                return inner.iter().any(|t| t.kind == Kind::Param)
                    && !inner.iter().any(|t| t.is_word("IN") || is_set_function(t));
            }
            toks = strip_cast(inner);
            continue;
        }
        break;
    }
    match toks {
        [t] => t.kind == Kind::Param,
        [f, open, .., _]
            if f.kind == Kind::Word
                && !is_set_function(f)
                && open.kind == Kind::LParen
                && skip_group(toks, 1) == Some(toks.len()) =>
        {
            toks.iter().any(|t| t.kind == Kind::Param)
        }
        _ => false,
    }
}

/// `ANY(...)`, `ALL(...)`, `SOME(...)`: comparisons with every element of an array or
/// subquery (`id = ANY($1)` is a batch, not one row).
fn is_set_function(t: &Tok) -> bool {
    t.is_word("ANY") || t.is_word("ALL") || t.is_word("SOME")
}

/// `'x'`, `1`, `-1`, `TRUE`, `FALSE`, `NULL` (with an optional cast).
fn is_literal(toks: &[Tok]) -> bool {
    match strip_cast(toks) {
        [t] => matches!(t.kind, Kind::Str | Kind::Num) || is_keyword_value(&t.text),
        [sign, t] => sign.is_op("-") && t.kind == Kind::Num,
        _ => false,
    }
}

fn is_keyword_value(w: &str) -> bool {
    ["TRUE", "FALSE", "NULL"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// Drop a trailing `::type` cast chain.
fn strip_cast(toks: &[Tok]) -> &[Tok] {
    match toks.iter().position(|t| t.is_op("::")) {
        Some(j) if j > 0 => &toks[..j],
        _ => toks,
    }
}

/// Words of an identifier: split at `_` and at lower-to-upper case changes.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == ' ' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A column that records a row's version or state: comparing it with a parameter
/// guards the write (optimistic locking, state machines).
pub fn is_state_column(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last().map(String::as_str) else {
        return false;
    };
    if matches!(
        last,
        "version" | "revision" | "rev" | "status" | "state" | "etag" | "xmin" | "rowversion"
    ) {
        return true;
    }
    // updated_at, modified_at, last_updated_at, updatedAt
    w.len() >= 2
        && last == "at"
        && matches!(w[w.len() - 2].as_str(), "updated" | "modified" | "changed")
}

/// A column that scopes rows to a parent or a class (`user_id`, `owner`, `tenant`,
/// `type`): id-like but not the row's own `id` / `uuid`, or a kind.
pub fn is_scope_column(name: &str) -> bool {
    let w = words(name);
    let own_id =
        matches!(w.as_slice(), [one] if matches!(one.as_str(), "id" | "uid" | "uuid" | "guid"));
    (is_id_column(name) && !own_id)
        || w.last()
            .is_some_and(|l| matches!(l.as_str(), "type" | "kind" | "category"))
}

/// A column that names or scopes a row: `id`, `uuid`, `*_id`, `owner`, `user`.
pub fn is_id_column(name: &str) -> bool {
    let w = words(name);
    match w.as_slice() {
        [one] => matches!(
            one.as_str(),
            "id" | "uid" | "uuid" | "guid" | "owner" | "user" | "tenant"
        ),
        [.., last] => matches!(last.as_str(), "id" | "uid" | "uuid" | "guid"),
        [] => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Vec<Piece> {
        vec![Piece::Text(s.to_string())]
    }

    fn class(s: &str) -> Class {
        classify(&text(s))
    }

    fn guarded(s: &str) -> bool {
        matches!(
            class(s),
            Class::Targeted(Write {
                targeting: Targeting::Guarded { .. },
                ..
            })
        )
    }

    fn single(s: &str) -> bool {
        matches!(
            class(s),
            Class::Targeted(Write {
                targeting: Targeting::SingleKey { .. },
                ..
            })
        )
    }

    fn bulk(s: &str) -> bool {
        matches!(class(s), Class::Bulk(_))
    }

    #[test]
    fn verbs_case_insensitive() {
        assert!(single("UPDATE users SET name = ? WHERE id = ?"));
        assert!(single("update users set name = ? where id = ?"));
        assert!(single("Delete From users Where ID = $1"));
        assert_eq!(class("INSERT INTO users (id) VALUES (?)"), Class::NotWrite);
        assert_eq!(class("SELECT * FROM users WHERE id = ?"), Class::NotWrite);
        assert_eq!(class("CREATE TABLE t (id int)"), Class::NotWrite);
        assert_eq!(class("ALTER TABLE t DROP COLUMN x"), Class::NotWrite);
        assert_eq!(class("TRUNCATE t"), Class::NotWrite);
        assert_eq!(class(""), Class::NotWrite);
        assert_eq!(
            class("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = ?"),
            Class::NotWrite
        );
    }

    #[test]
    fn comments_and_whitespace_are_skipped() {
        assert!(single(
            "\n\t  -- bump the name\n  UPDATE users SET name = ? WHERE id = ?"
        ));
        assert!(single("/* audit */ DELETE FROM users WHERE id = ?"));
        assert!(single(
            "/* a /* nested */ comment */ DELETE FROM users WHERE id = ?"
        ));
        assert!(single(
            "UPDATE users -- trailing\nSET name = ? /* x */ WHERE /* y */ id = ? -- z"
        ));
        // A comment hides what it contains.
        assert!(bulk("DELETE FROM users -- WHERE id = ?"));
        assert!(bulk("DELETE FROM users /* WHERE id = ? */"));
        assert_eq!(
            class("-- UPDATE t SET a = 1 WHERE id = ?\nSELECT 1"),
            Class::NotWrite
        );
    }

    #[test]
    fn ctes() {
        assert!(single(
            "WITH moved AS (SELECT id FROM queue WHERE id = ?) \
             UPDATE jobs SET state = 'x' FROM moved WHERE jobs.id = $1"
        ));
        assert!(guarded(
            "with recursive t(a, b) as (select 1, 2), u as materialized (select 3) \
             delete from items where id = $1 and version = $2"
        ));
        assert_eq!(
            class("WITH x AS (SELECT 1) SELECT * FROM x WHERE id = ?"),
            Class::NotWrite
        );
        assert_eq!(
            class("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"),
            Class::NotWrite
        );
        assert_eq!(class("WITH x AS (SELECT 1"), Class::Unknown);
    }

    #[test]
    fn placeholder_styles() {
        for p in [
            "?",
            "$1",
            ":id",
            "@id",
            "@p1",
            "?1",
            "$1::uuid",
            "CAST(? AS UUID)",
            "UUID_TO_BIN(?)",
        ] {
            let q = format!("DELETE FROM t WHERE id = {p}");
            assert!(single(&q), "{q}: {:?}", class(&q));
        }
        // Parameter on the left.
        assert!(single("DELETE FROM t WHERE ? = id"));
        // A cast is not a named parameter; a system variable is not either.
        assert!(bulk("DELETE FROM t WHERE id = 1::int"));
        assert!(bulk("DELETE FROM t WHERE id = @@identity"));
    }

    #[test]
    fn guards() {
        for w in [
            "sku = ? AND available >= ?",
            "id = $1 AND version = $2",
            "id = $1 AND status = 'draft'",
            "id = ? AND deleted_at IS NULL",
            "id = ? AND locked_by IS NOT NULL",
            "id = ? AND balance - ? >= 0",
            "id = ? AND state <> 'done'",
            "id = ? AND state != ?",
            "id = ? AND revision = ?",
            "id = ? AND etag = ?",
            "id = ? AND updated_at = ?",
            "id = ? AND updatedAt = ?",
            "id = ? AND lock_version = ?",
            "id = ? AND active",
            "id = ? AND NOT archived",
            "id = ? AND active = TRUE",
            "id = ? AND attempts = 0",
            "id = ? AND status IN ('new', 'pending')",
            "id = ? AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item = items.id)",
            "id = ? AND expires_at BETWEEN ? AND ?",
            "id = ? AND (status = 'a' OR status = 'b')",
            "(id = ? AND version = ?)",
            "id = ? AND (version = ? AND owner_id = ?)",
        ] {
            let q = format!("UPDATE items SET x = 1 WHERE {w}");
            assert!(guarded(&q), "{q}: {:?}", class(&q));
        }
    }

    #[test]
    fn id_like_equalities_only_scope() {
        for w in [
            "id = ?",
            "id = ? AND owner_id = ?",
            "id = ? AND user_id = $2",
            "id = ? AND tenant = ?",
            "uuid = ? AND owner = ?",
            "email = ?",
            "sku = ? AND warehouse = ?",
            "t.id = ?",
            "\"id\" = $1",
            "`id` = ?",
            "[id] = @id",
            "LOWER(email) = LOWER(?)",
            "id = ? AND t.a = u.b",
            "1 = 1 AND id = ?",
            "user_id = ? AND handle = ?",
            "user_id = ? AND id = ?",
            "id = ? AND $2 = tags",
            "id = (SELECT user_id FROM reports WHERE report_id = ?)",
            "items_id = ?",
            "item_id = ?",
        ] {
            let q = format!("DELETE FROM items WHERE {w}");
            assert!(single(&q), "{q}: {:?}", class(&q));
        }
    }

    #[test]
    fn bulk_writes() {
        for q in [
            "DELETE FROM sessions",
            "UPDATE users SET active = false",
            "DELETE FROM sessions WHERE expires_at < now()",
            "DELETE FROM sessions WHERE expires_at < ?",
            "DELETE FROM t WHERE created BETWEEN ? AND ?",
            "DELETE FROM t WHERE name LIKE ?",
            "DELETE FROM t WHERE id IN (?, ?, ?)",
            "DELETE FROM t WHERE id IN (SELECT id FROM u WHERE v = ?)",
            "UPDATE t SET a = 1 WHERE status = 'stale'",
            "UPDATE jobs SET status = ? WHERE status = ?",
            "DELETE FROM t WHERE a = ? OR b = ?",
            "DELETE FROM t WHERE (a = ? OR b = ?)",
            "DELETE FROM t WHERE 1 = 1",
            "DELETE FROM t WHERE t.a = u.b",
            "DELETE FROM t WHERE CURRENT OF c",
            "DELETE FROM t WHERE id = ANY($1)",
            "DELETE FROM t WHERE id = ANY(?::uuid[])",
            "DELETE FROM t WHERE $1 = ANY(tags)",
            "DELETE FROM t WHERE id = ? AND name LIKE ?",
            "DELETE FROM t WHERE id = ? AND $2 = ANY(tags)",
            "DELETE FROM t WHERE post_id = ? AND tag_id IN (?, ?)",
            "DELETE FROM t WHERE user_id = $1 AND entry_id = $2 AND url <> ALL($3)",
            "UPDATE t SET read = true WHERE user_id = $2 AND id = ANY($3)",
            "DELETE FROM credentials WHERE user_id = $1",
            "DELETE FROM t WHERE owner = ?",
            "DELETE FROM t WHERE bookmark_id = ? AND tag_id = ?",
            "DELETE FROM items WHERE userId = ? AND orgID = ?",
            "UPDATE files SET a = 1 WHERE photo_id = ? AND file_video = 1",
            "UPDATE accounts SET balance = balance - ? WHERE user_id = ? AND balance >= ?",
            "UPDATE files SET file_primary = 0 WHERE photo_uid = ? AND file_uid <> ?",
            "UPDATE users SET auth_id = '' WHERE user_uid <> ? AND auth_id = ? AND provider = ?",
            "UPDATE posts SET collection_id = NULL WHERE collection_id = ? AND owner_id = ?",
            "DELETE FROM memo_relation WHERE memo_id = ? AND type = ?",
            "DELETE FROM t WHERE \"memo_id\" = ?",
            "UPDATE t SET a = 1 WHERE id = ALL(SELECT x FROM u WHERE y = ?)",
        ] {
            assert!(bulk(q), "{q}: {:?}", class(q));
        }
    }

    #[test]
    fn own_key_named_after_the_table() {
        assert!(single("DELETE FROM connectors WHERE connector_id = $1"));
        assert!(single("DELETE FROM public.\"users\" WHERE user_id = $1"));
        assert!(single("UPDATE ONLY users SET a = 1 WHERE userId = ?"));
        assert!(single(
            "DELETE LOW_PRIORITY FROM `categories` WHERE category_id = ?"
        ));
        assert!(bulk("DELETE FROM sessions WHERE user_id = $1"));
        assert!(bulk("DELETE FROM feed_icons WHERE feed_id = $1"));
        assert!(guarded(
            "UPDATE accounts SET balance = balance - ? WHERE account_id = ? AND balance >= ?"
        ));
    }

    #[test]
    fn subqueries_and_clauses_after_where() {
        // A WHERE inside a subquery of SET is not the statement's.
        assert!(bulk(
            "UPDATE t SET a = (SELECT max(b) FROM u WHERE u.id = ?)"
        ));
        assert!(single(
            "UPDATE t SET a = (SELECT max(b) FROM u WHERE u.c > 3) WHERE t.id = ?"
        ));
        assert!(single("UPDATE t SET a = 1 WHERE id = $1 RETURNING a"));
        assert!(single("DELETE FROM t WHERE id = ? ORDER BY id LIMIT 1"));
        // Only the first statement counts.
        assert!(single("DELETE FROM a WHERE id = ?; DELETE FROM b"));
    }

    #[test]
    fn literals_do_not_confuse_the_scan() {
        assert!(single("UPDATE t SET note = 'WHERE x = ?' WHERE id = ?"));
        assert!(bulk("UPDATE t SET note = 'it''s WHERE id = ?'"));
        assert!(single("UPDATE t SET note = $$ WHERE $$ WHERE id = $1"));
        assert!(single("UPDATE \"where\" SET a = 1 WHERE id = ?"));
    }

    #[test]
    fn holes() {
        let p = |parts: &[Option<&str>]| -> Vec<Piece> {
            parts
                .iter()
                .map(|p| match p {
                    Some(s) => Piece::Text(s.to_string()),
                    None => Piece::Hole,
                })
                .collect()
        };
        // Verb and WHERE visible: classified.
        assert!(matches!(
            classify(&p(&[Some("UPDATE t SET "), None, Some(" WHERE id = ?")])),
            Class::Targeted(_)
        ));
        assert!(matches!(
            classify(&p(&[Some("DELETE FROM "), None, Some(" WHERE id = $1")])),
            Class::Targeted(_)
        ));
        // A hole inside the WHERE clause: the whole clause is not visible.
        assert_eq!(
            classify(&p(&[Some("DELETE FROM t WHERE id = ?"), None])),
            Class::Unknown
        );
        assert_eq!(
            classify(&p(&[Some("DELETE FROM t WHERE "), None, Some(" = ?")])),
            Class::Unknown
        );
        // A hole after the WHERE clause ended is fine.
        assert!(matches!(
            classify(&p(&[Some("DELETE FROM t WHERE id = ? LIMIT "), None])),
            Class::Targeted(_)
        ));
        // The WHERE may be in the hole.
        assert_eq!(
            classify(&p(&[Some("UPDATE t SET a = ?"), None])),
            Class::Unknown
        );
        // The verb is not visible.
        assert_eq!(classify(&p(&[None, Some(" WHERE id = ?")])), Class::Unknown);
        assert_eq!(classify(&p(&[None])), Class::Unknown);
        // A quote split across pieces (text built by hand around a value).
        assert_eq!(
            classify(&p(&[Some("DELETE FROM t WHERE name = '"), None, Some("'")])),
            Class::Unknown
        );
    }

    #[test]
    fn where_clause_is_rendered_compactly() {
        let Class::Targeted(w) = class(
            "UPDATE  inventory\n SET available = available - ?\n WHERE sku = ?  AND available >= ? -- guard",
        ) else {
            panic!()
        };
        assert_eq!(w.verb, Verb::Update);
        assert_eq!(w.where_clause, "WHERE sku = ? AND available >= ?");
        assert_eq!(
            w.targeting,
            Targeting::Guarded {
                keys: vec!["sku".into()],
                guards: vec!["available >= ?".into()]
            }
        );
        let Class::Targeted(w) = class("delete from t where id = $1::uuid and lower(x) = 'a'")
        else {
            panic!()
        };
        assert_eq!(
            w.where_clause,
            "WHERE id = $1::uuid AND lower(x) = 'a'".replace("AND", "and")
        );
    }

    #[test]
    fn conditions_for_orms() {
        let c = |s: &str| classify_condition(&text(s));
        assert_eq!(
            c("id = ?").and_then(|c| c.targeting()),
            Some(Targeting::SingleKey {
                keys: vec!["id".into()]
            })
        );
        assert!(matches!(
            c("id = ? AND version = ?").and_then(|c| c.targeting()),
            Some(Targeting::Guarded { .. })
        ));
        assert_eq!(c("name LIKE ?").and_then(|c| c.targeting()), None);
        assert_eq!(c("user_id = ?").and_then(|c| c.targeting()), None);
        assert_eq!(c("a = ? OR b = ?"), None);
        assert_eq!(classify_condition(&[Piece::Hole]), None);
    }

    #[test]
    fn column_words() {
        assert!(is_id_column("id"));
        assert!(is_id_column("user_id"));
        assert!(is_id_column("userID"));
        assert!(is_id_column("OrderId"));
        assert!(!is_id_column("idle"));
        assert!(!is_id_column("paid"));
        assert!(!is_id_column("sku"));
        assert!(is_state_column("status"));
        assert!(is_state_column("order_status"));
        assert!(is_state_column("updated_at"));
        assert!(is_state_column("lockVersion"));
        assert!(!is_state_column("estate"));
        assert!(!is_state_column("created_at"));
        assert!(is_scope_column("user_id"));
        assert!(is_scope_column("owner"));
        assert!(!is_scope_column("id"));
        assert!(!is_scope_column("UUID"));
        assert!(!is_scope_column("email"));
    }

    #[test]
    fn hostile_input_does_not_hang_or_panic() {
        let deep = format!(
            "DELETE FROM t WHERE {}id = ?{}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let _ = class(&deep);
        let long = format!("DELETE FROM t WHERE id = ?{}", " AND a = ?".repeat(10_000));
        let _ = class(&long);
        for s in [
            "'",
            "\"",
            "`",
            "/*",
            "$$",
            "$a$",
            "[",
            "?",
            "$",
            ":",
            "@",
            "WITH",
            "WITH a",
            "UPDATE",
            "DELETE WHERE",
            "DELETE WHERE AND",
            "DELETE FROM t WHERE ()",
            "DELETE FROM t WHERE id = ()",
        ] {
            let _ = class(s);
        }
    }
}
