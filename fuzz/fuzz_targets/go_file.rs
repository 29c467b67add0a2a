//! Arbitrary bytes as a Go file: parse, index, every rule, every output format.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    linter::robust::lint_bytes_every_format(data);
});
