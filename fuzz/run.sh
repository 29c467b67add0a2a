#!/usr/bin/env bash
# Run one fuzz target for a given time: ./fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
# Targets: go_file, config, lsp_stream, fix_edits. Crashes land in
# fuzz/artifacts/TARGET/; commit each (once fixed) under fuzz/regressions/TARGET/, which
# `cargo test` replays (linter/src/robust.rs).
# Uses the nightly toolchain when installed, else stable with RUSTC_BOOTSTRAP=1.
set -euo pipefail
target="${1:?usage: run.sh TARGET SECONDS}"
secs="${2:?usage: run.sh TARGET SECONDS}"
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
[ -d "corpus/$target" ] && [ -n "$(ls -A "corpus/$target" 2>/dev/null)" ] || ./seed.sh
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    toolchain=()
    export RUSTC_BOOTSTRAP=1
fi
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$here/target}"
exec cargo "${toolchain[@]}" fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -max_len=262144 \
    -print_final_stats=1 "$@"
