//! faultline's language server (filled in by the LSP issue).
pub use rules;
