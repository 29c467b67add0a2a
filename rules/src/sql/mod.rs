//! The sql family: writes whose affected-row count is never looked at.

pub mod api;
pub mod resolve;
pub mod sqltext;

mod rows_affected_unchecked;

pub use rows_affected_unchecked::RowsAffectedUnchecked;
