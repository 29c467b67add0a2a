//! Line-level edits: new statements on lines of their own, indented like their
//! neighbours, in the file's own line terminator, and never where gofmt would then
//! re-align trailing comments.

use tree_sitter::Node;

use crate::engine::Edit;
use crate::source::SourceFile;
use crate::syntax::NodeExt;

/// The file's line terminator: `\r\n` when its first line ends so, `\n` otherwise.
pub fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Leading spaces and tabs of the line containing `offset`.
pub fn indent_at(file: &SourceFile, offset: usize) -> &str {
    let line = file.lines.line_of(offset);
    let content = &file.text[file.lines.line_range(&file.text, line)];
    &content[..content.len() - content.trim_start_matches([' ', '\t']).len()]
}

/// Whether only spaces and tabs precede `offset` on its line.
pub fn starts_line(file: &SourceFile, offset: usize) -> bool {
    let start = file.lines.line_start(file.lines.line_of(offset));
    file.text[start..offset]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
}

/// Where the line after the one containing `offset` starts (`None` on the last line).
pub fn next_line_start(file: &SourceFile, offset: usize) -> Option<usize> {
    let line = file.lines.line_of(offset);
    (line + 1 < file.lines.line_count()).then(|| file.lines.line_start(line + 1))
}

/// What follows a position on its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rest {
    /// Only whitespace.
    Blank,
    /// A `//` comment.
    Comment,
    /// Anything else (code, or a `/* */` comment that may go on).
    Code,
}

/// What follows `offset` on its line.
pub fn rest_of_line(file: &SourceFile, offset: usize) -> Rest {
    let line = file.lines.line_of(offset);
    let end = file.lines.line_range(&file.text, line).end;
    let rest = file.text.get(offset..end).unwrap_or("").trim();
    if rest.is_empty() {
        Rest::Blank
    } else if rest.starts_with("//") {
        Rest::Comment
    } else {
        Rest::Code
    }
}

/// Whether line `line` (0-based) ends in a comment that follows code on that line.
/// gofmt aligns such comments across consecutive lines, so a new line next to two of
/// them would make it re-align both. A comment that began on an earlier line counts
/// (conservatively); a line holding only a comment does not.
pub fn has_trailing_comment(file: &SourceFile, line: usize) -> bool {
    if line >= file.lines.line_count() {
        return false;
    }
    let range = file.lines.line_range(&file.text, line);
    let content = &file.text[range.clone()];
    let trimmed = content.trim_end();
    if trimmed.trim_start().is_empty() {
        return false;
    }
    let last = range.start + trimmed.len() - 1;
    let Some(node) = file.root().descendant_for_byte_range(last, last + 1) else {
        return false;
    };
    if node.kind_str() != "comment" {
        return false;
    }
    node.start_byte() < range.start || !file.text[range.start..node.start_byte()].trim().is_empty()
}

fn render(lines: &[String], indent: &str, eol: &str) -> String {
    let mut out = String::new();
    for l in lines {
        if l.is_empty() {
            out.push_str(eol);
        } else {
            out.push_str(indent);
            out.push_str(l);
            out.push_str(eol);
        }
    }
    out
}

/// An edit putting `lines` (each without indentation or terminator; nested lines may
/// start with extra tabs) on lines of their own right after `stmt`, indented like
/// `stmt`. `None` when `stmt` does not start its line, when code follows it on its
/// last line, or when its last line and the next both end in comments.
pub fn insert_lines_after(file: &SourceFile, stmt: Node<'_>, lines: &[String]) -> Option<Edit> {
    if !starts_line(file, stmt.start_byte()) || rest_of_line(file, stmt.end_byte()) == Rest::Code {
        return None;
    }
    let last = file.lines.line_of(stmt.end_byte());
    let at = next_line_start(file, stmt.end_byte())?;
    if has_trailing_comment(file, last) && has_trailing_comment(file, last + 1) {
        return None;
    }
    let indent = indent_at(file, stmt.start_byte());
    Some(Edit::insert(at, render(lines, indent, eol(&file.text))))
}

/// An edit putting `lines` on lines of their own right before `stmt`, indented like
/// it. `None` when `stmt` does not start its line, or when its first line and the line
/// before both end in comments.
pub fn insert_lines_before(file: &SourceFile, stmt: Node<'_>, lines: &[String]) -> Option<Edit> {
    // gofmt outdents labels: new statements take the indentation of the labelled one.
    if stmt.kind_str() == "labeled_statement" {
        let inner = stmt.named_child(1)?;
        if !starts_line(file, inner.start_byte()) {
            return None;
        }
        let indent = indent_at(file, inner.start_byte()).to_string();
        return insert_before_with(file, stmt, &indent, lines);
    }
    let indent = indent_at(file, stmt.start_byte()).to_string();
    insert_before_with(file, stmt, &indent, lines)
}

fn insert_before_with(
    file: &SourceFile,
    stmt: Node<'_>,
    indent: &str,
    lines: &[String],
) -> Option<Edit> {
    if !starts_line(file, stmt.start_byte()) {
        return None;
    }
    let line = file.lines.line_of(stmt.start_byte());
    if line > 0 && has_trailing_comment(file, line - 1) && has_trailing_comment(file, line) {
        return None;
    }
    Some(Edit::insert(
        file.lines.line_start(line),
        render(lines, indent, eol(&file.text)),
    ))
}

/// An edit replacing the whole lines of `stmt` with `lines`, indented like it. `None`
/// when `stmt` shares a line with other code.
pub fn replace_lines(file: &SourceFile, stmt: Node<'_>, lines: &[String]) -> Option<Edit> {
    if !starts_line(file, stmt.start_byte()) || rest_of_line(file, stmt.end_byte()) != Rest::Blank {
        return None;
    }
    let first = file.lines.line_start(file.lines.line_of(stmt.start_byte()));
    let end = next_line_start(file, stmt.end_byte()).unwrap_or(file.text.len());
    let indent = indent_at(file, stmt.start_byte());
    Some(Edit::replace(
        first..end,
        render(lines, indent, eol(&file.text)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::from_string("x.go", text.to_string()).unwrap()
    }

    fn stmt_at<'a>(f: &'a SourceFile, needle: &str) -> Node<'a> {
        let at = f.text.find(needle).unwrap();
        let mut n = f.root().descendant_for_byte_range(at, at).unwrap();
        while !n.kind_str().ends_with("statement") && !n.kind_str().ends_with("declaration") {
            n = n.parent().unwrap();
        }
        n
    }

    fn apply(text: &str, e: &Edit) -> String {
        let mut s = text.to_string();
        s.replace_range(e.range.clone(), &e.replacement);
        s
    }

    #[test]
    fn eol_follows_the_first_line() {
        assert_eq!(eol("a\r\nb\n"), "\r\n");
        assert_eq!(eol("a\nb\r\n"), "\n");
        assert_eq!(eol("a"), "\n");
    }

    #[test]
    fn inserts_after_a_statement_with_its_indentation() {
        let text = "package x\n\nfunc f() {\n\tif x {\n\t\tt := g() // keep\n\t\tuse(t)\n\t}\n}\n";
        let f = file(text);
        let e =
            insert_lines_after(&f, stmt_at(&f, "t := g()"), &["defer t.Stop()".into()]).unwrap();
        assert_eq!(
            apply(text, &e),
            "package x\n\nfunc f() {\n\tif x {\n\t\tt := g() // keep\n\t\tdefer t.Stop()\n\t\tuse(t)\n\t}\n}\n"
        );
    }

    #[test]
    fn keeps_crlf() {
        let text = "package x\r\n\r\nfunc f() {\r\n\tt := g()\r\n}\r\n";
        let f = file(text);
        let e =
            insert_lines_after(&f, stmt_at(&f, "t := g()"), &["defer t.Stop()".into()]).unwrap();
        assert_eq!(
            apply(text, &e),
            "package x\r\n\r\nfunc f() {\r\n\tt := g()\r\n\tdefer t.Stop()\r\n}\r\n"
        );
    }

    #[test]
    fn refuses_shapes_gofmt_would_rewrite() {
        // Code after the statement on its line.
        let f = file("package x\n\nfunc f() {\n\tt := g(); use(t)\n}\n");
        assert!(insert_lines_after(&f, stmt_at(&f, "t := g()"), &["x".into()]).is_none());
        // Two aligned trailing comments around the insertion point.
        let f = file("package x\n\nfunc f() {\n\tt := g() // a\n\tu := 1   // b\n}\n");
        assert!(insert_lines_after(&f, stmt_at(&f, "t := g()"), &["x".into()]).is_none());
        assert!(insert_lines_before(&f, stmt_at(&f, "u := 1"), &["x".into()]).is_none());
        // A comment line next to a trailing comment is fine.
        let f = file("package x\n\nfunc f() {\n\tt := g() // a\n\t// b\n}\n");
        assert!(insert_lines_after(&f, stmt_at(&f, "t := g()"), &["x".into()]).is_some());
    }

    #[test]
    fn trailing_comments_are_told_from_comment_lines() {
        let f = file("package x\n\n// doc\nvar a = 1 // x\nvar b = \"//\"\n");
        assert!(!has_trailing_comment(&f, 2));
        assert!(has_trailing_comment(&f, 3));
        assert!(!has_trailing_comment(&f, 4));
    }

    #[test]
    fn replaces_whole_lines() {
        let text = "package x\n\nfunc f() {\n\tdb.Exec(q)\n}\n";
        let f = file(text);
        let e = replace_lines(
            &f,
            stmt_at(&f, "db.Exec"),
            &["res, err := db.Exec(q)".into(), "".into(), "_ = res".into()],
        )
        .unwrap();
        assert_eq!(
            apply(text, &e),
            "package x\n\nfunc f() {\n\tres, err := db.Exec(q)\n\n\t_ = res\n}\n"
        );
    }
}
