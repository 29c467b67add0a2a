//! Setting a field in a composite literal the way gofmt would lay it out.
//!
//! gofmt (go/printer `exprList`) puts the keys of consecutive one-line `key: value`
//! elements in a column and pads the values to line up. A column ends at a blank or
//! comment line, around an element that spans lines, after a line holding several
//! elements, and where a key is much longer or shorter than the keys before it (the
//! ratio rule below, for keys over 40 characters). A new field goes on a line of its
//! own at the end of a multi-line literal; [`insert_field`] re-computes the column it
//! joins and re-pads the lines of that column when the new key is the longest.

use tree_sitter::Node;

use super::lines::{eol, has_trailing_comment, indent_at, next_line_start};
use crate::engine::Edit;
use crate::source::SourceFile;
use crate::syntax::{F, NodeExt, text};

/// One existing `key: value` element.
struct Element {
    start_line: usize,
    end_line: usize,
    key_len: usize,
    /// The whitespace between `:` and the value.
    gap: std::ops::Range<usize>,
}

/// Edits that set `key: value` in the composite literal whose `literal_value` node is
/// `body`:
/// - `T{}` becomes `T{key: value}`;
/// - a literal closed on the line of its last element gets `, key: value` appended;
/// - a multi-line literal gets `key: value,` on a line of its own after its last
///   element, aligned with the column of keys it joins (those lines are re-padded when
///   the new key is the longest).
///
/// `None` for positional literals, literals that already set `key`, comments where the
/// new text would go, and layouts gofmt would rewrite anyway.
pub fn insert_field(
    file: &SourceFile,
    body: Node<'_>,
    key: &str,
    value: &str,
) -> Option<Vec<Edit>> {
    if body.kind_str() != "literal_value" || body.has_error() {
        return None;
    }
    let src = file.text.as_str();
    let line_of = |o: usize| file.lines.line_of(o);
    let mut c = body.walk();
    let children: Vec<Node> = body.children(&mut c).collect();
    let (open, close) = (*children.first()?, *children.last()?);
    if open.kind_str() != "{" || close.kind_str() != "}" {
        return None;
    }
    let elements: Vec<Node> = children
        .iter()
        .copied()
        .filter(|n| n.is_named() && n.kind_str() != "comment")
        .collect();
    let has_comment = |from: usize, to: usize| {
        children
            .iter()
            .any(|n| n.kind_str() == "comment" && n.start_byte() >= from && n.end_byte() <= to)
    };
    let Some(&last) = elements.last() else {
        if has_comment(open.end_byte(), close.start_byte())
            || grows_aligned_comment(file, close.start_byte())
        {
            return None;
        }
        return Some(vec![Edit::replace(
            body.start_byte()..body.end_byte(),
            format!("{{{key}: {value}}}"),
        )]);
    };
    let mut parsed = Vec::with_capacity(elements.len());
    for el in &elements {
        if el.kind_str() != "keyed_element" {
            return None; // positional: a key cannot be mixed in
        }
        let k = el.field(F.key)?;
        let v = el.field(F.value)?;
        let k_text = text(k, src).trim();
        if k_text == key {
            return None;
        }
        let mut c = el.walk();
        let colon = el.children(&mut c).find(|n| n.kind_str() == ":")?;
        parsed.push(Element {
            start_line: line_of(el.start_byte()),
            end_line: line_of(el.end_byte()),
            key_len: k_text.chars().count(),
            gap: colon.end_byte()..v.start_byte(),
        });
    }
    let last_end_line = line_of(last.end_byte());

    // Closed on the last element's line: append inline.
    if line_of(close.start_byte()) == last_end_line {
        if has_comment(last.end_byte(), close.start_byte())
            || grows_aligned_comment(file, close.start_byte())
        {
            return None;
        }
        return Some(vec![Edit::insert(
            last.end_byte(),
            format!(", {key}: {value}"),
        )]);
    }

    // Multi-line: the last element must end `value,` (an optional `// comment` after).
    let line_end = file.lines.line_range(src, last_end_line).end;
    let rest = src[last.end_byte()..line_end].trim_start();
    let after_comma = rest.strip_prefix(',')?.trim();
    if !(after_comma.is_empty() || after_comma.starts_with("//")) {
        return None;
    }
    let open_line = line_of(open.start_byte());
    if parsed.last()?.start_line == open_line {
        return None; // `T{A: 1,\n}`: gofmt joins it onto one line
    }
    let at = next_line_start(file, last.end_byte())?;
    // Blank lines between the last element and `}`: gofmt keeps them only after a
    // trailing comment; the new line takes their place.
    let close_line_start = file.lines.line_start(line_of(close.start_byte()));
    let replaced = if close_line_start > at && src[at..close_line_start].trim().is_empty() {
        at..close_line_start
    } else {
        at..at
    };
    let indent = indent_at(file, last.start_byte());

    // Simulate go/printer's exprList over the list with the new element appended.
    let new_line = last_end_line + 1;
    let mut lines: Vec<(usize, usize, usize)> = parsed
        .iter()
        .map(|e| {
            let size = if e.start_line == e.end_line {
                e.key_len
            } else {
                0
            };
            (e.start_line, e.end_line, size)
        })
        .collect();
    lines.push((new_line, new_line, key.chars().count()));
    let len = lines.len();
    let mut cell = vec![false; len];
    let mut breaks = vec![true; len];
    let mut prev_break: isize = -1;
    if open_line < lines[0].0 {
        prev_break = 0;
    }
    let (mut size, mut lnsum, mut count) = (0usize, 0f64, 0usize);
    let mut prev_line = open_line;
    for i in 0..len {
        let (line, _, this_size) = lines[i];
        let prev_size = size;
        size = this_size;
        let mut use_ff = true;
        if prev_size > 0 && size > 0 {
            if count == 0 || prev_size <= 40 && size <= 40 {
                use_ff = false;
            } else {
                let geomean = (lnsum / count as f64).exp();
                let ratio = size as f64 / geomean;
                use_ff = 2.5 * ratio <= 1.0 || 2.5 <= ratio;
            }
        }
        let needs_linebreak = prev_line < line;
        if i > 0 && needs_linebreak {
            let gap = line.saturating_sub(lines[i - 1].1);
            let new_section = use_ff || prev_break + 1 < i as isize;
            let nbreaks = match (gap, new_section) {
                (0, _) => 0,
                (_, true) => 2,
                (g, false) => g.min(2),
            };
            if nbreaks > 0 {
                prev_break = i as isize;
            }
            if nbreaks > 1 {
                lnsum = 0.0;
                count = 0;
            }
            breaks[i] = new_section || gap > 1;
        }
        cell[i] = len > 1 && size > 0 && needs_linebreak;
        if size > 0 {
            lnsum += (size as f64).ln();
            count += 1;
        }
        prev_line = line;
    }

    let n = len - 1;
    let mut edits = Vec::new();
    let mut column = key.chars().count() + 2; // `key:` plus one space
    if cell[n] && cell[n - 1] && !breaks[n] {
        let mut first = n - 1;
        while first > 0 && cell[first - 1] && !breaks[first] {
            first -= 1;
        }
        let block = &parsed[first..n];
        column = column.max(block.iter().map(|e| e.key_len + 2).max().unwrap_or(0));
        for e in block {
            let want = " ".repeat(column - e.key_len - 1);
            if src[e.gap.clone()] != want {
                edits.push(Edit::replace(e.gap.clone(), want));
            }
        }
    }
    let pad = " ".repeat(column - key.chars().count() - 1);
    edits.push(Edit::replace(
        replaced,
        format!("{indent}{key}:{pad}{value},{}", eol(src)),
    ));
    Some(edits)
}

/// Whether text inserted at `offset` lengthens a line whose trailing comment gofmt
/// aligns with the trailing comment of a neighbouring line: the comments' column
/// would move, so gofmt would re-pad lines the edit does not touch.
fn grows_aligned_comment(file: &SourceFile, offset: usize) -> bool {
    let line = file.lines.line_of(offset);
    has_trailing_comment(file, line)
        && ((line > 0 && has_trailing_comment(file, line - 1))
            || has_trailing_comment(file, line + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apply `insert_field` to the first literal of `text`.
    pub(crate) fn with_field(text: &str, key: &str, value: &str) -> Option<String> {
        let f = SourceFile::from_string("x.go", text.to_string()).unwrap();
        let mut body = None;
        crate::syntax::walk(f.root(), |n| {
            if body.is_none() && n.kind_str() == "literal_value" {
                body = Some(n);
            }
            crate::syntax::Walk::Continue
        });
        let mut edits = insert_field(&f, body?, key, value)?;
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        let mut s = text.to_string();
        for e in edits {
            s.replace_range(e.range, &e.replacement);
        }
        Some(s)
    }

    const T: &str = "90 * time.Second";

    #[test]
    fn empty_and_single_line_literals() {
        assert_eq!(
            with_field("package x\n\nvar c = &http.Client{}\n", "Timeout", T).unwrap(),
            "package x\n\nvar c = &http.Client{Timeout: 90 * time.Second}\n"
        );
        assert_eq!(
            with_field("package x\n\nvar c = T{A: 1, B: f(2)}\n", "Timeout", T).unwrap(),
            "package x\n\nvar c = T{A: 1, B: f(2), Timeout: 90 * time.Second}\n"
        );
        assert!(with_field("package x\n\nvar c = T{ /* none */ }\n", "K", "1").is_none());
        // Trailing comments aligned with a neighbour's would move: no edit.
        let text = "package x\n\nvar (\n\ta = T{} // a\n\tb = 1   // b\n)\n";
        assert!(with_field(text, "K", "1").is_none());
        let text = "package x\n\nvar (\n\ta = T{} // a\n\n\tb = 1 // b\n)\n";
        assert!(with_field(text, "K", "1").is_some());
        assert!(with_field("package x\n\nvar c = T{1, 2}\n", "K", "1").is_none());
        assert!(with_field("package x\n\nvar c = T{K: 1}\n", "K", "1").is_none());
    }

    #[test]
    fn multi_line_literals_are_aligned() {
        let text =
            "package x\n\nvar c = T{\n\tMaxIdleConns:        100,\n\tMaxIdleConnsPerHost: 10,\n}\n";
        assert_eq!(
            with_field(text, "IdleConnTimeout", T).unwrap(),
            "package x\n\nvar c = T{\n\tMaxIdleConns:        100,\n\tMaxIdleConnsPerHost: 10,\n\tIdleConnTimeout:     90 * time.Second,\n}\n"
        );
        // The new key is the longest: the column moves.
        let text = "package x\n\nvar c = T{\n\tA:  1, // one\n\tBB: 2, // two\n}\n";
        assert_eq!(
            with_field(text, "IdleConnTimeout", T).unwrap(),
            "package x\n\nvar c = T{\n\tA:               1, // one\n\tBB:              2, // two\n\tIdleConnTimeout: 90 * time.Second,\n}\n"
        );
        // After a multi-line element: a column of its own.
        let text = "package x\n\nvar c = T{\n\tA: 1,\n\tTLS: &tls.Config{\n\t\tX: 1,\n\t},\n}\n";
        assert_eq!(
            with_field(text, "Timeout", T).unwrap(),
            "package x\n\nvar c = T{\n\tA: 1,\n\tTLS: &tls.Config{\n\t\tX: 1,\n\t},\n\tTimeout: 90 * time.Second,\n}\n"
        );
        // A blank line before the last element starts a new column.
        let text = "package x\n\nvar c = T{\n\tLongerKey: 1,\n\n\tB: 2,\n}\n";
        assert_eq!(
            with_field(text, "Timeout", T).unwrap(),
            "package x\n\nvar c = T{\n\tLongerKey: 1,\n\n\tB:       2,\n\tTimeout: 90 * time.Second,\n}\n"
        );
        // A single element gains a column partner.
        let text = "package x\n\nvar c = &http.Client{\n\tTransport: tr,\n}\n";
        assert_eq!(
            with_field(text, "Timeout", "30 * time.Second").unwrap(),
            "package x\n\nvar c = &http.Client{\n\tTransport: tr,\n\tTimeout:   30 * time.Second,\n}\n"
        );
        // Closed on the last element's line.
        let text = "package x\n\nvar c = T{\n\tA: 1,\n\tB: 2}\n";
        assert_eq!(
            with_field(text, "K", "3").unwrap(),
            "package x\n\nvar c = T{\n\tA: 1,\n\tB: 2, K: 3}\n"
        );
    }

    #[test]
    fn crlf_literals_keep_crlf() {
        let text = "package x\r\n\r\nvar c = T{\r\n\tA: 1,\r\n}\r\n";
        assert_eq!(
            with_field(text, "Timeout", T).unwrap(),
            "package x\r\n\r\nvar c = T{\r\n\tA:       1,\r\n\tTimeout: 90 * time.Second,\r\n}\r\n"
        );
    }
}
