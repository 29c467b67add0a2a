//! Which rules can report in a file, read from its text before any rule runs.
//!
//! Every rule starts from a name the file must spell: `lock-held-io` from a call of
//! `Lock` or `RLock`, `tick-leak` from `time.Tick`, the HTTP rules from a file that
//! imports `net/http`. Go spells an identifier one way (no macros, no renaming of a
//! method), so a file whose text holds none of a rule's names gets no finding from
//! it, and the rule is not run there. Most files of a corpus spell the names of a few
//! rules only; a file that spells none of a node rule's names (and holds no
//! suppression comment) is not walked at all.
//!
//! Some rules also need a package-wide condition: the network rules read facts that
//! exist only in a package importing `net`, `crypto/tls` or `net/http`, the SQL rule
//! needs a database package. A package where no rule passes both (and that holds no
//! suppression to judge) cannot get a finding: the CLI only parses it, for its syntax
//! errors.
//!
//! The names are each rule's `RuleMeta::gate` and `RuleMeta::package_gate`; one
//! multi-pattern search (`aho-corasick`, the search the `regex` crate runs for
//! alternations of literals) finds them all in one pass per file.

use aho_corasick::{AhoCorasick, MatchKind};

use super::rule::Rule;

/// One name of a rule's gate.
struct Needle {
    text: Vec<u8>,
    /// `Name*`: any identifier starting with `Name`.
    prefix: bool,
    /// Slots it opens: rule positions (the file gates), then the rules' package
    /// gates, then the directives (see [`TextGate::new`]).
    slots: Vec<usize>,
}

/// The gates of an engine's rules, compiled once.
pub(crate) struct TextGate {
    /// Identifier needles (exact or prefix), tested against each identifier that
    /// holds an anchor.
    words: Vec<Needle>,
    /// Substring needles (import paths, directive markers), by anchor pattern id.
    paths: Vec<Option<Needle>>,
    /// `.X` needles: the one-byte identifier `X` as a selector's field, searched with
    /// `memchr` (as an automaton pattern, every occurrence of the byte would be a
    /// candidate match).
    fields: Vec<Needle>,
    /// Anchors: every substring needle, and the shortest identifier needles that
    /// every other identifier needle contains. `None` if the automaton could not be
    /// built: then nothing is gated.
    search: Option<AhoCorasick>,
    /// The slots of the identifier needles.
    word_slots: Vec<usize>,
    /// Per slot: whether it is gated.
    gated: Vec<bool>,
}

/// Texts that make a comment a suppression directive (see `suppress::parse_comment`).
const DIRECTIVE_MARKERS: [&str; 2] = ["faultline:ignore", "nolint"];

/// Bytes an identifier can hold (any byte of a non-ASCII character counts: Go allows
/// Unicode letters, and outside strings and comments nothing else is non-ASCII).
#[inline]
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl TextGate {
    pub(crate) fn new(rules: &[&'static dyn Rule]) -> TextGate {
        let n = rules.len();
        let directive = 2 * n;
        let mut gated = vec![false; 2 * n + 1];
        gated[directive] = true;
        let mut words: Vec<Needle> = Vec::new();
        let mut paths: Vec<Needle> = Vec::new();
        let mut fields: Vec<Needle> = Vec::new();
        fn add(list: &mut Vec<Needle>, text: &str, prefix: bool, slot: usize) {
            match list
                .iter_mut()
                .find(|n| n.text == text.as_bytes() && n.prefix == prefix)
            {
                Some(n) => n.slots.push(slot),
                None => list.push(Needle {
                    text: text.as_bytes().to_vec(),
                    prefix,
                    slots: vec![slot],
                }),
            }
        }
        // An import path is a string literal, interpreted or raw.
        fn import(paths: &mut Vec<Needle>, path: &str, slot: usize) {
            for q in ['"', '`'] {
                add(paths, &format!("{q}{path}{q}"), false, slot);
            }
        }
        for (pos, rule) in rules.iter().enumerate() {
            for &g in rule.meta().gate {
                gated[pos] = true;
                if let Some(field) = g.strip_prefix('.') {
                    // A longer field name is searched as a word (a superset).
                    let list = if field.len() == 1 {
                        &mut fields
                    } else {
                        &mut words
                    };
                    add(list, field, false, pos);
                } else if g.bytes().all(is_ident) || g.ends_with('*') {
                    add(&mut words, g.trim_end_matches('*'), g.ends_with('*'), pos);
                } else {
                    import(&mut paths, g, pos);
                }
            }
            for &path in rule.meta().package_gate {
                gated[n + pos] = true;
                import(&mut paths, path, n + pos);
            }
        }
        // Matches do not overlap: the quoted paths (which start and end with a quote)
        // and the markers (after `//` or a space) cannot overlap a word or each other.
        for m in DIRECTIVE_MARKERS {
            add(&mut paths, m, false, directive);
        }
        // An identifier holding a longer needle holds any shorter needle inside it:
        // the shorter one alone finds it (`Lock` finds `RLock`).
        let mut anchors: Vec<&[u8]> = Vec::new();
        for w in &words {
            let covered = words.iter().any(|o| {
                o.text.len() < w.text.len() && memchr::memmem::find(&w.text, &o.text).is_some()
            });
            if !covered && !anchors.contains(&&w.text[..]) {
                anchors.push(&w.text);
            }
        }
        let mut word_slots: Vec<usize> = words.iter().flat_map(|w| w.slots.clone()).collect();
        word_slots.sort_unstable();
        word_slots.dedup();
        let word_anchors = anchors.len();
        anchors.extend(paths.iter().map(|p| &p.text[..]));
        let search = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&anchors)
            .ok();
        let mut by_pattern: Vec<Option<Needle>> = (0..word_anchors).map(|_| None).collect();
        by_pattern.extend(paths.into_iter().map(Some));
        TextGate {
            words,
            paths: by_pattern,
            fields,
            search,
            word_slots,
            gated,
        }
    }

    /// The number of rules.
    fn rules(&self) -> usize {
        self.gated.len() / 2
    }

    /// Turn off in `active` (one entry per rule position) the rules whose names `text`
    /// does not spell; whether it may hold a suppression directive.
    pub(crate) fn narrow(&self, text: &[u8], active: &mut [bool]) -> bool {
        let n = self.rules();
        // Slots to find: the file gates of the active rules, and the directives.
        let mut want = vec![false; self.gated.len()];
        for (pos, &on) in active.iter().enumerate() {
            want[pos] = on && self.gated[pos];
        }
        want[2 * n] = true;
        let found = self.scan(text, want);
        for (pos, a) in active.iter_mut().enumerate() {
            if self.gated[pos] && !found[pos] {
                *a = false;
            }
        }
        found[2 * n]
    }

    /// For each file of a package whose files' texts are `texts`: whether it may get a
    /// finding from the rules on in `enabled` (one of them passes its file gate there
    /// and its package gate in some file), or, with `directives`, hold a suppression to
    /// judge.
    pub(crate) fn reporting_files(
        &self,
        texts: &[&[u8]],
        enabled: &[bool],
        directives: bool,
    ) -> Vec<bool> {
        let n = self.rules();
        let mut want = vec![false; self.gated.len()];
        for (pos, &on) in enabled.iter().enumerate() {
            want[pos] = on && self.gated[pos];
            want[n + pos] = on && self.gated[n + pos];
        }
        want[2 * n] = directives;
        let mut package_ok: Vec<bool> = (0..n).map(|r| !self.gated[n + r]).collect();
        let mut files = Vec::with_capacity(texts.len());
        for text in texts {
            let found = self.scan(text, want.clone());
            for r in 0..n {
                if found[n + r] {
                    package_ok[r] = true;
                    // Found once is enough for the package.
                    want[n + r] = false;
                }
            }
            files.push(found);
        }
        files
            .iter()
            .map(|found| {
                let file_ok = |r: usize| !self.gated[r] || found[r];
                (0..n).any(|r| enabled[r] && file_ok(r) && package_ok[r])
                    || directives && found[2 * n]
            })
            .collect()
    }

    /// Which of the `want`ed slots `text` opens (only those are looked for; the
    /// search stops once all are found).
    fn scan(&self, text: &[u8], mut want: Vec<bool>) -> Vec<bool> {
        let Some(search) = &self.search else {
            return want;
        };
        let mut left = want.iter().filter(|&&w| w).count();
        let mut found = vec![false; want.len()];
        let mark = |slots: &[usize], found: &mut [bool], want: &mut [bool], left: &mut usize| {
            for &s in slots {
                found[s] = true;
                if want[s] {
                    want[s] = false;
                    *left -= 1;
                }
            }
        };
        // One streaming pass (leftmost-first: the semantics the SIMD prefilter
        // serves). A word match is judged by the whole identifier around it,
        // against every needle: an identifier holding a needle holds an anchor, so
        // the leftmost match from its start lies inside it (anchors are made of
        // identifier bytes) and brings it.
        for m in search.find_iter(text) {
            if left == 0 {
                break;
            }
            let pattern = m.pattern().as_usize();
            if let Some(Some(path)) = self.paths.get(pattern) {
                mark(&path.slots, &mut found, &mut want, &mut left);
                continue;
            }
            // Nothing left to find by name (most matches, once the rules of the
            // common names are on).
            if !self.word_slots.iter().any(|&s| want[s]) {
                continue;
            }
            let mut start = m.start();
            while start > 0 && is_ident(text[start - 1]) {
                start -= 1;
            }
            let mut end = m.end();
            while end < text.len() && is_ident(text[end]) {
                end += 1;
            }
            let mut word = &text[start..end];
            while let [d, rest @ ..] = word
                && d.is_ascii_digit()
            {
                word = rest;
            }
            for n in &self.words {
                if word == &n.text[..] || n.prefix && word.starts_with(&n.text) {
                    mark(&n.slots, &mut found, &mut want, &mut left);
                }
            }
        }
        for n in &self.fields {
            if !n.slots.iter().any(|&s| want[s]) {
                continue;
            }
            let hit = memchr::memchr_iter(n.text[0], text).any(|i| {
                let after = text.get(i + 1).is_none_or(|&c| !is_ident(c));
                after && after_selector_dot(&text[..i])
            });
            if hit {
                mark(&n.slots, &mut found, &mut want, &mut left);
            }
        }
        found
    }
}

/// Whether an identifier right after `before` may be a selector's field: `.` before
/// it, across blanks; or a line break or the end of a block comment (`x.// c` on the
/// line above, `x./* c */`), which this does not look past.
fn after_selector_dot(before: &[u8]) -> bool {
    let last = before
        .iter()
        .rev()
        .find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'));
    matches!(last, Some(b'.' | b'\n' | b'/'))
}

/// Whether `gate` lets through a file calling `name` (tests of the rules' gates).
#[cfg(test)]
pub(crate) fn lets_through(gate: &[&str], name: &str) -> bool {
    gate.iter().any(|g| match g.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => *g == name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ctx::Ctx;
    use crate::engine::diagnostic::Severity;
    use crate::engine::rule::{Family, FixAvailability, RuleMeta};

    macro_rules! gated_rule {
        ($name:ident, $gate:expr) => {
            gated_rule!($name, $gate, &[]);
        };
        ($name:ident, $gate:expr, $package:expr) => {
            struct $name;
            impl Rule for $name {
                fn meta(&self) -> &'static RuleMeta {
                    static META: RuleMeta = RuleMeta {
                        id: stringify!($name),
                        family: Family::Time,
                        severity: Severity::Warning,
                        summary: "",
                        raw_docs: "",
                        kinds: &[],
                        gate: $gate,
                        package_gate: $package,
                        fix: FixAvailability::None,
                        version_gated: false,
                        skip_test_files: false,
                        options: &[],
                    };
                    &META
                }
                fn check_file(&self, _: &Ctx<'_>) {}
            }
        };
    }
    gated_rule!(Locks, &["Lock", "RLock"]);
    gated_rule!(Reads, &["Read*", "Scan"]);
    gated_rule!(Http, &["net/http"]);
    gated_rule!(Chan, &["Tick", ".C"]);
    gated_rule!(Always, &[]);
    gated_rule!(NetReads, &["Read*"], &["net", "crypto/tls"]);
    static RULES: [&dyn Rule; 6] = [&Locks, &Reads, &Http, &Chan, &Always, &NetReads];

    /// The rules left on for `text`, by position, and whether it may hold a directive.
    fn on(text: &str) -> (Vec<bool>, bool) {
        let gate = TextGate::new(&RULES);
        let mut active = vec![true; RULES.len()];
        let directive = gate.narrow(text.as_bytes(), &mut active);
        (active, directive)
    }

    #[test]
    fn a_rule_runs_only_where_its_names_are_spelt() {
        assert_eq!(on("package p").0, [false, false, false, false, true, false]);
        // (text, rule position, left on)
        let cases = [
            // `RLock` holds `Lock`: one anchor finds both.
            ("func f() { mu.RLock() }", 0, true),
            ("func f() { mu.Lock() }", 0, true),
            // A longer identifier is another name.
            ("func f() { mu.Locked(); TryLock() }", 0, false),
            ("var λLock = 1", 0, false),
            // Names after digits (broken code) still count.
            ("1Lock", 0, true),
            // Prefixes: `Read*` is any identifier starting so.
            ("r.ReadString('\\n')", 1, true),
            ("r.Reader", 1, true),
            ("r.DoRead()", 1, false),
            ("s.Scan()", 1, true),
            // Paths: anywhere in the text.
            ("import \"net/http\"", 2, true),
            ("import (\n\tstdhttp `net/http`\n)", 2, true),
            ("import \"net/http/httptest\"", 2, false),
            ("// see net/http", 2, false),
            ("import \"net/url\"", 2, false),
            // A one-byte field name: after a dot, across blanks, line breaks and
            // comments.
            ("for range t.C {}", 3, true),
            ("<-s.tick.C", 3, true),
            ("for range t.\n\tC {}", 3, true),
            ("for range t. C {}", 3, true),
            ("for range t./* c */C {}", 3, true),
            ("for range t.// c\n\t\tC {}", 3, true),
            ("t.Close(); x.CC; _C; var C = 1; f(C)", 3, false),
            ("<-time.Tick(d)", 3, true),
        ];
        for (text, rule, want) in cases {
            assert_eq!(on(text).0[rule], want, "{text:?}");
        }
    }

    #[test]
    fn a_file_may_report_when_a_rule_passes_both_gates() {
        let gate = TextGate::new(&RULES);
        let files = |texts: &[&str], enabled: &[bool], directives: bool| {
            let texts: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
            gate.reporting_files(&texts, enabled, directives)
        };
        // Only `NetReads` on: a read, in a package with a network import.
        let net = [false, false, false, false, false, true];
        assert_eq!(files(&["x.Read()"], &net, false), [false]);
        assert_eq!(
            files(&["import \"net/url\"", "x.Read()"], &net, false),
            [false, false]
        );
        assert_eq!(
            files(&["import \"net\"", "x.Read()"], &net, false),
            [false, true]
        );
        assert_eq!(
            files(
                &["x.ReadByte()", "import (\n\t`crypto/tls`\n)", "y()"],
                &net,
                false
            ),
            [true, false, false]
        );
        assert_eq!(
            files(&["import \"net\"", "x.Write()"], &net, false),
            [false, false]
        );
        // A rule with no gate reports anywhere; a rule turned off nowhere.
        let always = [false, false, false, false, true, false];
        assert_eq!(files(&["package p"], &always, false), [true]);
        assert_eq!(files(&["mu.Lock()"], &[false; 6], false), [false]);
        // Suppressions to judge, when asked.
        assert_eq!(files(&["//nolint", "x()"], &net, false), [false, false]);
        assert_eq!(files(&["//nolint", "x()"], &net, true), [true, false]);
    }

    #[test]
    fn directive_markers_are_found() {
        assert!(on("x() //nolint:lock-held-io").1);
        assert!(on("x() //faultline:ignore tick-leak").1);
        assert!(!on("x() // nothing to see").1);
    }

    #[test]
    fn rules_already_off_stay_off() {
        let gate = TextGate::new(&RULES);
        let mut active = vec![false, true, true, true, false];
        gate.narrow(b"mu.Lock(); r.Read()", &mut active);
        assert_eq!(active, [false, true, false, false, false]);
    }
}
