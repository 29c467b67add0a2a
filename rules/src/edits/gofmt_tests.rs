//! The edit helpers against gofmt itself: generated layouts are formatted by gofmt,
//! edited, and must come out exactly as gofmt would print them.

use crate::source::SourceFile;
use crate::syntax::{self, NodeExt, Walk};
use crate::testing::gofmt;

/// A small deterministic generator (no dependency needed for a test).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn key(rng: &mut Rng, i: usize) -> String {
    let len = if rng.chance(15) {
        35 + rng.below(30) as usize
    } else {
        1 + rng.below(22) as usize
    };
    let mut k = format!("K{i}");
    while k.len() < len {
        k.push((b'a' + rng.below(26) as u8) as char);
    }
    k
}

fn literal(rng: &mut Rng) -> String {
    let n = rng.below(7) as usize;
    if n == 0 {
        return "T{}".into();
    }
    if rng.chance(15) {
        let els: Vec<String> = (0..n).map(|i| format!("{}: {}", key(rng, i), i)).collect();
        return format!("T{{{}}}", els.join(", "));
    }
    let mut s = String::from("T{\n");
    for i in 0..n {
        let value = match rng.below(10) {
            0 => "&U{\nX: 1,\n}".to_string(),
            1 => "f(a, b)".to_string(),
            2 => "\"a string\"".to_string(),
            _ => format!("{}", rng.below(1000)),
        };
        s.push_str(&format!("{}: {value},", key(rng, i)));
        if rng.chance(20) {
            s.push_str(" // note");
        }
        match rng.below(12) {
            0 => s.push_str("\n\n"),
            1 => s.push_str("\n// a comment line\n"),
            2 if i + 1 < n => s.push(' '),
            _ => s.push('\n'),
        }
    }
    if !s.ends_with('\n') {
        s.push('\n');
    }
    match rng.below(8) {
        0 => s.push('\n'),
        1 => s.push_str("// trailing comment\n"),
        2 => s.push_str("\n// trailing comment\n"),
        _ => {}
    }
    s.push('}');
    s
}

fn first_literal(f: &SourceFile) -> Option<tree_sitter::Node<'_>> {
    let mut body = None;
    syntax::walk(f.root(), |n| {
        if body.is_none() && n.kind_str() == "literal_value" {
            body = Some(n);
        }
        Walk::Continue
    });
    body
}

fn apply(text: &str, mut edits: Vec<crate::engine::Edit>) -> String {
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    let mut s = text.to_string();
    for e in edits {
        s.replace_range(e.range, &e.replacement);
    }
    s
}

#[test]
fn inserted_fields_are_gofmt_clean() {
    if !gofmt::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    let mut skipped = 0;
    for case in 0..1000 {
        let raw = format!("package x\n\nvar v = {}\n", literal(&mut rng));
        let Ok(canonical) = gofmt::format(dir.path(), &raw) else {
            continue;
        };
        let crlf = rng.chance(10);
        let canonical = if crlf {
            canonical.replace('\n', "\r\n")
        } else {
            canonical
        };
        let f = SourceFile::from_string("x.go", canonical.clone()).unwrap();
        let new_key = match rng.below(4) {
            0 => "IdleConnTimeout".to_string(),
            1 => "Timeout".to_string(),
            2 => "ReadHeaderTimeout".to_string(),
            _ => key(&mut rng, 99),
        };
        let Some(edits) =
            super::insert_field(&f, first_literal(&f).unwrap(), &new_key, "90 * time.Second")
        else {
            skipped += 1;
            continue;
        };
        let fixed = apply(&canonical, edits);
        let reparsed = SourceFile::from_string("x.go", fixed.clone()).unwrap();
        assert!(reparsed.syntax_errors().is_empty(), "case {case}:\n{fixed}");
        assert_eq!(
            fixed.contains("\r\n"),
            crlf,
            "case {case}: line ends changed"
        );
        out.push((
            format!("case {case}:\n--- before\n{canonical}--- after\n{fixed}"),
            fixed,
        ));
    }
    assert!(skipped < 100, "{skipped} literals got no edit");
    let bad = gofmt::unclean(&out);
    assert!(bad.is_empty(), "not gofmt-clean:\n{}", bad.join("\n"));
}

fn import_layout(rng: &mut Rng) -> String {
    const STD: [&str; 6] = ["context", "fmt", "net/http", "os", "sync", "unicode/utf8"];
    const EXT: [&str; 3] = ["github.com/a/b", "golang.org/x/net/html", "example.com/c"];
    let pick = |rng: &mut Rng, from: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = from
            .iter()
            .filter(|_| rng.chance(50))
            .map(|s| s.to_string())
            .collect();
        if v.is_empty() {
            v.push(from[rng.below(from.len() as u64) as usize].to_string());
        }
        v
    };
    let mut s = String::from("// Package x.\npackage x\n\n");
    match rng.below(7) {
        0 => {}
        1 => s.push_str(&format!("import \"{}\"\n\n", pick(rng, &STD)[0])),
        2 => s.push_str(&format!("import \"{}\"\n\n", pick(rng, &EXT)[0])),
        3 => s.push_str("import nethttp \"net/http\"\n\n"),
        4 => s.push_str("// #include <stdio.h>\nimport \"C\"\n\n"),
        _ => {
            s.push_str("import (\n");
            let std = pick(rng, &STD);
            let ext = pick(rng, &EXT);
            let std_first = rng.chance(70);
            let groups = if std_first {
                [&std, &ext]
            } else {
                [&ext, &std]
            };
            for (gi, g) in groups.iter().enumerate() {
                if rng.chance(20) {
                    continue;
                }
                if gi > 0 {
                    s.push('\n');
                }
                for (i, p) in g.iter().enumerate() {
                    if i == 1 && rng.chance(15) {
                        s.push_str("// why\n");
                    }
                    if rng.chance(10) {
                        s.push_str("alias ");
                    }
                    s.push_str(&format!("\"{p}\""));
                    if rng.chance(10) {
                        s.push_str(" // trailing");
                    }
                    s.push('\n');
                }
            }
            s.push_str(")\n\n");
        }
    }
    s.push_str("func f() {}\n");
    s
}

#[test]
fn added_imports_are_gofmt_clean() {
    if !gofmt::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = Vec::new();
    for case in 0..200 {
        let raw = import_layout(&mut rng);
        let Ok(canonical) = gofmt::format(dir.path(), &raw) else {
            panic!("generated an invalid layout:\n{raw}");
        };
        let f = SourceFile::from_string("x.go", canonical.clone()).unwrap();
        let edit = super::add_import(&f, "time")
            .unwrap_or_else(|| panic!("case {case}: no import edit for\n{canonical}"));
        let fixed = apply(&canonical, vec![edit]);
        let reparsed = SourceFile::from_string("x.go", fixed.clone()).unwrap();
        assert!(reparsed.syntax_errors().is_empty(), "case {case}:\n{fixed}");
        let imports = crate::sema::Imports::from_file(reparsed.root(), &reparsed.text);
        assert_eq!(
            imports.path_of("time"),
            Some("time"),
            "case {case}: time not imported:\n{fixed}"
        );
        out.push((
            format!("case {case}:\n--- before\n{canonical}--- after\n{fixed}"),
            fixed,
        ));
    }
    let bad = gofmt::unclean(&out);
    assert!(bad.is_empty(), "not gofmt-clean:\n{}", bad.join("\n"));
}
