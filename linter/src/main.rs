fn main() -> std::process::ExitCode {
    tune_allocator();
    linter::main()
}

/// glibc raises its mmap threshold each time a large block is freed, after which big
/// short-lived blocks (syntax trees, their flattened nodes, file texts) come from the
/// heap and leave it fragmented: about 5 % more peak memory on a large corpus. A
/// fixed threshold returns each of them to the system when it is freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

/// tree-sitter compares external-scanner states with `memcmp` on every token; Go's
/// grammar has no external scanner, so the length is always 0. glibc's AVX-512 memcmp
/// still issues a masked 32-byte load for it, which stalls on some address layouts:
/// 4 % of a full single-thread run on the bench corpus (perf), against 0.3 % when
/// parsing alone. `linter/build.rs` links the binary with `--wrap=memcmp`, so every
/// call lands here first; empty ranges are equal without touching memory.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod memcmp_wrap {
    use std::ffi::{c_int, c_void};

    unsafe extern "C" {
        fn __real_memcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int;
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn __wrap_memcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int {
        if n == 0 {
            return 0;
        }
        // SAFETY: the caller's memcmp contract, passed on unchanged.
        unsafe { __real_memcmp(a, b, n) }
    }
}
