//! `--new-from-rev REV`: the lines changed since a git revision, from `git diff`.
//!
//! Changed means different in the working tree from `REV`: committed since, staged,
//! unstaged, and every line of an untracked (not ignored) file.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::absolute;

/// Changed lines per absolute file path.
#[derive(Debug, Default)]
pub struct ChangedLines {
    files: HashMap<PathBuf, Lines>,
}

#[derive(Debug)]
enum Lines {
    /// A new, untracked file.
    All,
    /// 1-based inclusive ranges of the new side.
    Ranges(Vec<RangeInclusive<u32>>),
}

impl ChangedLines {
    /// Whether 1-based `line` of `path` changed.
    pub fn contains(&self, path: &Path, line: u32) -> bool {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path));
        match self.files.get(&real) {
            Some(Lines::All) => true,
            Some(Lines::Ranges(r)) => r.iter().any(|r| r.contains(&line)),
            None => false,
        }
    }
}

fn git(args: &[&str]) -> Result<std::process::Output, String> {
    Command::new("git")
        .args(args)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "--new-from-rev needs `git`, which was not found on PATH".to_string()
            }
            _ => format!("--new-from-rev: cannot run git: {e}"),
        })
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Ask git what changed since `rev`, in the repository around the working directory.
pub fn changed_since(rev: &str) -> Result<ChangedLines, String> {
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err("--new-from-rev: the current directory is not inside a git repository".into());
    }
    let top = PathBuf::from(first_line(&top.stdout));
    if rev.starts_with('-') {
        return Err(format!("--new-from-rev: `{rev}` is not a revision"));
    }
    let verify = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])?;
    if !verify.status.success() {
        return Err(format!(
            "--new-from-rev: unknown revision `{rev}` (not a commit, branch or tag in this repository)"
        ));
    }
    let commit = first_line(&verify.stdout);
    let diff = git(&[
        "-c",
        "core.quotePath=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        "--unified=0",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        &commit,
        "--",
    ])?;
    if !diff.status.success() {
        return Err(format!(
            "--new-from-rev: git diff failed: {}",
            first_line(&diff.stderr)
        ));
    }
    let mut out = parse_diff(&String::from_utf8_lossy(&diff.stdout), &top);
    let untracked = git(&[
        "-c",
        "core.quotePath=false",
        "ls-files",
        "--others",
        "--exclude-standard",
        "--full-name",
        "-z",
    ])?;
    // `ls-files` paths are relative to the current directory without --full-name; with
    // it, to the top level.
    if untracked.status.success() {
        for p in untracked
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
        {
            let rel = String::from_utf8_lossy(p);
            out.files
                .insert(absolute(&top.join(rel.as_ref())), Lines::All);
        }
    }
    Ok(out)
}

/// Parse `git diff --unified=0` output: `+++ b/path` then `@@ -a,b +c,d @@` hunks.
fn parse_diff(text: &str, top: &Path) -> ChangedLines {
    let mut out = ChangedLines::default();
    let mut current: Option<PathBuf> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("+++ ") {
            let rest = rest.trim_end();
            let rest = unquote(rest);
            current = rest.strip_prefix("b/").map(|p| absolute(&top.join(p)));
            continue;
        }
        if let Some(rest) = line.strip_prefix("@@ ") {
            let Some(path) = &current else { continue };
            let Some(plus) = rest.split_whitespace().find(|t| t.starts_with('+')) else {
                continue;
            };
            let mut parts = plus[1..].splitn(2, ',');
            let start: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
            if count == 0 {
                continue; // pure deletion: nothing on the new side
            }
            let entry = out
                .files
                .entry(path.clone())
                .or_insert_with(|| Lines::Ranges(Vec::new()));
            if let Lines::Ranges(r) = entry {
                r.push(start..=start + count - 1);
            }
        }
    }
    out
}

/// `"b/with space.go"` (git quotes unusual names) to `b/with space.go`.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut out = Vec::new();
    let mut bytes = inner.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(n) = bytes.next() {
                        v = v * 8 + u32::from(n.wrapping_sub(b'0'));
                    }
                }
                out.push(v as u8);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hunks() {
        let diff = "diff --git a/x.go b/x.go\n--- a/x.go\n+++ b/x.go\n@@ -3,0 +4,2 @@ func f() {\n+a\n+b\n@@ -10 +12 @@\n-x\n+y\n@@ -20,3 +22,0 @@\n-gone\ndiff --git a/\"sp ace.go\" b/\"sp ace.go\"\n+++ \"b/sp ace.go\"\n@@ -0,0 +1 @@\n+new\n";
        let c = parse_diff(diff, Path::new("/top"));
        let x = Path::new("/top/x.go");
        assert!(!c.contains(x, 3));
        assert!(c.contains(x, 4) && c.contains(x, 5));
        assert!(!c.contains(x, 6));
        assert!(c.contains(x, 12));
        assert!(!c.contains(x, 22));
        assert!(c.contains(Path::new("/top/sp ace.go"), 1));
    }
}
