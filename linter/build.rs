//! Build script of the `faultline` binary.

fn main() {
    println!("cargo:rerun-if-changed=linter/build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // Route the binary's memcmp calls through `memcmp_wrap` in main.rs (why: there).
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,--wrap=memcmp");
    }
}
