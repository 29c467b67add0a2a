//! The one list of every rule.

use crate::engine::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    // time
    &crate::time::TickerNotStopped,
    &crate::time::TickLeak,
    &crate::time::TickerLoopNoExit,
    &crate::time::TimeAfterInLoop,
    // lock
    &crate::lock::LockHeldIo,
];

/// Registry position of a rule id.
pub fn index_of(id: &str) -> Option<usize> {
    RULES.iter().position(|r| r.meta().id == id)
}

pub fn get(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.meta().id == id)
}
