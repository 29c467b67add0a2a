//! Unified diffs for `--diff`.
//!
//! Built on `similar` (by the author of insta, which the test suite already uses, so
//! it adds no new crate to the build): a maintained implementation of Myers' diff with
//! a unified-diff printer that gets the details right — hunk headers, context merging,
//! and the `\ No newline at end of file` marker — that a hand-rolled diff would have
//! to re-learn.

use similar::TextDiff;

/// A unified diff of `old` → `new` for `path` (`--- path` / `+++ path` headers, three
/// lines of context, as `diff -u` and `gofmt -d` print). Empty when the texts are equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(path, path)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_a_unified_diff() {
        let old = "package p\n\nfunc f() {\n\tt := g()\n\t<-t.C\n}\n";
        let new = "package p\n\nfunc f() {\n\tt := g()\n\tdefer t.Stop()\n\t<-t.C\n}\n";
        assert_eq!(
            unified("p/a.go", old, new),
            "--- p/a.go\n+++ p/a.go\n@@ -2,5 +2,6 @@\n \n func f() {\n \tt := g()\n+\tdefer t.Stop()\n \t<-t.C\n }\n"
        );
        assert_eq!(unified("x", old, old), "");
    }

    #[test]
    fn marks_a_missing_final_newline() {
        let d = unified("x", "a\nb", "a\nc");
        assert!(d.contains("\\ No newline at end of file"), "{d}");
    }
}
