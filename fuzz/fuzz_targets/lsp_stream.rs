//! Arbitrary bytes as the language server's input stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    linter::robust::serve_lsp_bytes(data);
});
