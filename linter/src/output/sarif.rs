//! `--format sarif`: SARIF 2.1.0 (built with `serde-sarif`), for GitHub code scanning,
//! GitLab's SARIF report and other SARIF viewers. The only file that knows SARIF.
//!
//! - `version` is the SARIF version, `2.1.0`; faultline's own version is
//!   `tool.driver.version`.
//! - `tool.driver.rules` has one descriptor per rule that ran, from the rule metadata:
//!   `shortDescription` = the summary, `fullDescription` = the "What it does" section,
//!   `help` = the whole documentation (text and Markdown), `helpUri` = its URL,
//!   `defaultConfiguration.level` = the rule's severity.
//! - Results point into the project with `uriBaseId: "%SRCROOT%"` and a relative URI;
//!   `originalUriBaseIds` gives the root's absolute `file://` URI. Columns are UTF-16
//!   code units (`columnKind`), 1-based, end exclusive.
//! - `partialFingerprints.primaryLocationLineHash` is the finding's fingerprint (see
//!   `crate::fingerprint`), so results are matched across runs when lines move.
//! - Under `--show-suppressed`, silenced findings carry `suppressions: [{kind: "inSource"}]`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use rules::{RuleMeta, Severity};
use serde_json::json;
use serde_sarif::sarif;

use super::{Finding, Report};

const SRCROOT: &str = "%SRCROOT%";

/// Percent-encode a relative path for a URI reference (keeps `/` and unreserved).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `file:///abs/root/` for the project root.
fn root_uri(root: &Path) -> String {
    let s = crate::output::display_path(root);
    let s = if s.starts_with('/') {
        s
    } else {
        format!("/{s}")
    };
    let mut uri = format!("file://{}", uri_path(&s));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn result_level(s: Severity) -> sarif::ResultLevel {
    match s {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Info => sarif::ResultLevel::Note,
    }
}

/// `ticker-not-stopped` -> `TickerNotStopped`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The "What it does" section of a rule's docs, as one paragraph.
fn what_it_does(docs: &str) -> Option<String> {
    let start = docs.find("## What it does")? + "## What it does".len();
    let rest = &docs[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let text = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

fn descriptor(m: &RuleMeta) -> sarif::ReportingDescriptor {
    // The docs' bad examples are tagged ```go,want for the doc tests; viewers want ```go.
    let docs = m.docs().replace("```go,want", "```go");
    let full = what_it_does(&docs).unwrap_or_else(|| m.summary.to_string());
    let mut props = BTreeMap::new();
    if let Some(r) = rules::registry::get(m.id) {
        props.insert(
            "tags".to_string(),
            json!([r.meta().family.as_str(), "reliability"]),
        );
    } else {
        props.insert("tags".to_string(), json!(["suppression"]));
    }
    sarif::ReportingDescriptor::builder()
        .id(m.id)
        .name(pascal(m.id))
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(m.summary)
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(full)
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(docs.clone())
                .markdown(docs)
                .build(),
        )
        .help_uri(m.url())
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(m.severity)))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(props)
                .build(),
        )
        .build()
}

fn region(start: rules::LineCol, end: rules::LineCol) -> sarif::Region {
    sarif::Region::builder()
        .start_line(i64::from(start.line) + 1)
        .start_column(i64::from(start.col_utf16) + 1)
        .end_line(i64::from(end.line) + 1)
        .end_column(i64::from(end.col_utf16) + 1)
        .build()
}

fn artifact(rel: &str) -> sarif::ArtifactLocation {
    if rel.starts_with('/') {
        // Outside the project root: an absolute URI, no base.
        sarif::ArtifactLocation::builder()
            .uri(format!("file://{}", uri_path(rel)))
            .build()
    } else {
        sarif::ArtifactLocation::builder()
            .uri(uri_path(rel))
            .uri_base_id(SRCROOT)
            .build()
    }
}

fn result(f: &Finding<'_>, rule_index: Option<i64>, root: &Path) -> sarif::Result {
    let d = f.diag;
    let location = sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(artifact(&f.rel_path))
                .region(region(d.start, d.end))
                .build(),
        )
        .build();
    let related: Vec<sarif::Location> = d
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let rel = match &r.path {
                Some(p) => crate::relative_to(root, p),
                None => f.rel_path.clone(),
            };
            sarif::Location::builder()
                .id(i as i64 + 1)
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(artifact(&rel))
                        .region(region(r.start, r.end))
                        .build(),
                )
                .message(sarif::Message::builder().text(r.message.clone()).build())
                .build()
        })
        .collect();
    let mut text = d.message.clone();
    if let Some(h) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    let mut fps = BTreeMap::new();
    fps.insert("primaryLocationLineHash".to_string(), f.fingerprint.clone());
    let suppressions: Vec<sarif::Suppression> = f
        .suppressed
        .map(|dir| {
            let mut s = sarif::Suppression::builder()
                .kind(json!("inSource"))
                .build();
            if let Some(reason) = &dir.reason {
                s.justification = Some(reason.clone());
            }
            vec![s]
        })
        .unwrap_or_default();
    let mut res = sarif::Result::builder()
        .rule_id(d.rule)
        .level(result_level(d.severity))
        .message(sarif::Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fps)
        .build();
    res.rule_index = rule_index;
    if !related.is_empty() {
        res.related_locations = Some(related);
    }
    if !suppressions.is_empty() {
        res.suppressions = Some(suppressions);
    }
    res
}

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    let index: BTreeMap<&str, i64> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i as i64))
        .collect();
    let results: Vec<sarif::Result> = report
        .findings
        .iter()
        .map(|f| result(f, index.get(f.diag.rule).copied(), &report.root))
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("faultline")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(
            report
                .rules
                .iter()
                .map(|m| descriptor(m))
                .collect::<Vec<_>>(),
        )
        .build();
    let mut bases = BTreeMap::new();
    bases.insert(
        SRCROOT.to_string(),
        sarif::ArtifactLocation::builder()
            .uri(root_uri(&report.root))
            .build(),
    );
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .original_uri_base_ids(bases)
        .column_kind(json!("utf16CodeUnits"))
        .results(results)
        .build();
    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(json!(sarif::Version::V2_1_0.to_string()))
        .runs(vec![run])
        .build();
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    include!("../../tests/sarif/validator.rs");
    use rules::engine::{Directive, DirectiveKind};
    use rules::{Diagnostic, LineCol, Related};

    fn lc(line: u32, col: u32) -> LineCol {
        LineCol {
            line,
            col_utf8: col,
            col_utf16: col,
        }
    }

    /// Related locations (in the same file and another one), a suppression and a path
    /// needing escapes: still valid against the official schema.
    #[test]
    fn related_and_suppressed_results_are_valid() {
        let diag = Diagnostic {
            rule: "ticker-not-stopped",
            severity: Severity::Error,
            range: 10..20,
            start: lc(4, 2),
            end: lc(4, 12),
            message: "ticker `t` is never stopped".into(),
            label: None,
            help: Some("Add `defer t.Stop()`".into()),
            related: vec![
                Related {
                    path: None,
                    range: 1..2,
                    start: lc(1, 0),
                    end: lc(1, 1),
                    message: "created here".into(),
                },
                Related {
                    path: Some(std::sync::Arc::from(Path::new("/proj/b b.go"))),
                    range: 1..2,
                    start: lc(2, 0),
                    end: lc(2, 3),
                    message: "elsewhere".into(),
                },
            ],
            fix: None,
        };
        let dir = Directive {
            kind: DirectiveKind::Faultline,
            range: 0..1,
            line: 4,
            target_line: 4,
            names: vec!["ticker-not-stopped".into()],
            name_ranges: std::iter::once(0..1).collect(),
            reason: Some("lives forever".into()),
        };
        let path = Path::new("/proj/sub dir/a.go");
        let report = Report {
            findings: vec![Finding {
                path,
                rel_path: "sub dir/a.go".into(),
                text: None,
                diag: &diag,
                fingerprint: "ab".repeat(32),
                suppressed: Some(&dir),
            }],
            root: Path::new("/proj").to_path_buf(),
            rules: vec![rules::registry::meta("ticker-not-stopped").unwrap()],
        };
        let mut out = Vec::new();
        write(&mut out, &report).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let errors = sarif_errors(&v);
        assert!(errors.is_empty(), "{errors:?}");
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["ruleIndex"], 0);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "sub%20dir/a.go"
        );
        assert_eq!(r["relatedLocations"][0]["id"], 1);
        assert_eq!(r["relatedLocations"][0]["message"]["text"], "created here");
        assert_eq!(
            r["relatedLocations"][1]["physicalLocation"]["artifactLocation"]["uri"],
            "b%20b.go"
        );
        assert_eq!(r["suppressions"][0]["kind"], "inSource");
        assert_eq!(r["region"], serde_json::Value::Null);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            5
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
            3
        );
        assert_eq!(
            r["message"]["text"],
            "ticker `t` is never stopped\nhelp: Add `defer t.Stop()`"
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(pascal("ticker-not-stopped"), "TickerNotStopped");
        assert_eq!(uri_path("a b/c%.go"), "a%20b/c%25.go");
        assert_eq!(root_uri(Path::new("/x y")), "file:///x%20y/");
        assert_eq!(
            what_it_does("## What it does\nFlags a\nthing.\n\n## Why is this bad?\nx").as_deref(),
            Some("Flags a thing.")
        );
    }
}
