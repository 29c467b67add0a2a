//! Fixture files with random edits (the fuzzer's mutations), then the fix pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    linter::robust::fix_bytes(data);
});
