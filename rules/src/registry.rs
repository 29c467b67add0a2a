//! The one list of every rule.

use crate::engine::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    // time
    &crate::time::TickerNotStopped,
    &crate::time::TickLeak,
    &crate::time::TickerLoopNoExit,
    &crate::time::TimeAfterInLoop,
];

/// Registry position of a rule id.
pub fn index_of(id: &str) -> Option<usize> {
    RULES.iter().position(|r| r.meta().id == id)
}

pub fn get(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}

/// The metadata of a rule id, including the built-in suppression checks
/// (`unused-ignore`, `unknown-rule-in-ignore`) that are not dispatched like rules.
pub fn meta(id: &str) -> Option<&'static crate::engine::rule::RuleMeta> {
    get(id).map(|r| r.meta()).or_else(|| {
        crate::engine::suppress::BUILTIN
            .iter()
            .copied()
            .find(|m| m.id == id)
    })
}
