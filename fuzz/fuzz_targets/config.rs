//! Arbitrary bytes as `faultline.toml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    linter::robust::parse_config_bytes(data);
});
