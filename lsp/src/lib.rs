//! faultline's language server: `faultline server` speaks LSP over stdio.
//!
//! A thin layer over the engine: every lint goes through [`rules::lint_package`] and so
//! [`rules::Engine::lint_file`], the entry point the CLI uses, so the editor and
//! `faultline check` cannot disagree. The package index is assembled from per-file
//! summaries: the open buffers' (re-extracted when they change) overlaid on the files of
//! the directory on disk (cached by modification time).

pub mod code_action;
pub mod config;
pub mod document;
pub mod hover;
pub mod proto;
pub mod server;
#[cfg(test)]
mod tests;
pub mod transport;
pub mod workspace;

pub use config::{ClientOptions, ConfigFiles, Defaults, Resolved, SettingsSource};
pub use lsp_server::Connection;
pub use rules;
pub use server::serve;

/// Run the server on stdin/stdout until the client says `exit`. Returns the process exit
/// code: 0 after a `shutdown` request, 1 when `exit` (or end of input) came without one.
pub fn run() -> std::io::Result<u8> {
    run_with(Box::new(ConfigFiles::default()))
}

/// [`run`] with another settings source (a `faultline.toml` reader, say).
pub fn run_with(source: Box<dyn SettingsSource>) -> std::io::Result<u8> {
    let (conn, io) = transport::stdio();
    let code = serve(conn, source);
    io.join()?;
    Ok(code)
}
