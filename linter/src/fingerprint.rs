//! Finding fingerprints: stable identities for baselines, GitLab Code Quality and SARIF
//! `partialFingerprints`.
//!
//! A fingerprint is the lowercase hex SHA-256 of
//!
//! ```text
//! "faultline-fingerprint-v1" NUL rule NUL path NUL line NUL occurrence
//! ```
//!
//! - `rule`: the rule id;
//! - `path`: the file relative to the project root, `/`-separated;
//! - `line`: the text of the flagged line with leading and trailing whitespace removed
//!   and every inner run of whitespace collapsed to one space;
//! - `occurrence`: decimal, 0-based: how many earlier findings of the same file have the
//!   same rule and the same normalised line.
//!
//! Line numbers are not part of it, so inserting or deleting lines elsewhere, or
//! re-indenting, keeps every fingerprint; editing the flagged line itself, renaming the
//! file or changing the rule id makes a new one. The algorithm is fixed: changing it
//! needs a new version tag, since stored baselines depend on it.

use sha2::{Digest, Sha256};

const TAG: &str = "faultline-fingerprint-v1";

/// The normalised form of a source line.
pub fn normalize_line(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The fingerprint of one finding.
pub fn fingerprint(rule: &str, path: &str, line: &str, occurrence: usize) -> String {
    let mut h = Sha256::new();
    for part in [TAG, rule, path, &normalize_line(line)] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.update(occurrence.to_string().as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Fingerprints of the findings of one file, given in file order as
/// `(rule, flagged line text)`.
pub fn for_file<'a>(
    path: &str,
    findings: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    let mut seen: std::collections::HashMap<(&str, String), usize> = Default::default();
    findings
        .into_iter()
        .map(|(rule, line)| {
            let norm = normalize_line(line);
            let n = seen.entry((rule, norm)).or_insert(0);
            let fp = fingerprint(rule, path, line, *n);
            *n += 1;
            fp
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_algorithm_is_fixed() {
        // Changing this value breaks every stored baseline: bump the tag instead.
        assert_eq!(
            fingerprint("tick-leak", "a/b.go", "\tc := time.Tick(d)", 0),
            fingerprint("tick-leak", "a/b.go", "c  :=   time.Tick(d)  ", 0)
        );
        let fp = fingerprint("tick-leak", "a/b.go", "c := time.Tick(d)", 0);
        assert_eq!(fp.len(), 64);
        let mut h = Sha256::new();
        h.update(b"faultline-fingerprint-v1\0tick-leak\0a/b.go\0c := time.Tick(d)\x000");
        let want: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(fp, want);
    }

    #[test]
    fn occurrences_tell_identical_lines_apart() {
        let fps = for_file(
            "x.go",
            [("r", "f()"), ("r", "  f()"), ("q", "f()"), ("r", "g()")],
        );
        assert_ne!(fps[0], fps[1]);
        assert_eq!(fps[0], fingerprint("r", "x.go", "f()", 0));
        assert_eq!(fps[1], fingerprint("r", "x.go", "f()", 1));
        assert_eq!(fps[2], fingerprint("q", "x.go", "f()", 0));
    }
}
