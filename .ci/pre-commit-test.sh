#!/usr/bin/env bash
# A real pre-commit run of this repository's .pre-commit-hooks.yaml.
#
# Installs pre-commit from PyPI into a venv (target/ci-venv), makes a scratch git
# repository with a Go file that leaks a ticker, and runs `pre-commit try-repo` against
# this repository (which `cargo install`s faultline from the root package, as users'
# pre-commit does). Both hooks must fail naming the finding; once the file is fixed,
# both must pass. Prints one `pre-commit hooks: N passed, 0 failed` line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${FAULTLINE_CI_VENV:-$repo/target/ci-venv}"
if [ ! -x "$venv/bin/pre-commit" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "pre-commit>=3.0"
fi
"$venv/bin/pre-commit" --version

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# pre-commit's store (it holds the installed hook environment) and the cargo build
# directory are kept under target/ so a second run does not rebuild faultline.
export PRE_COMMIT_HOME="$repo/target/pre-commit-home"
export CARGO_TARGET_DIR="$repo/target/pre-commit-build"
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid

proj="$work/proj"
mkdir -p "$proj/poller"
cd "$proj"
git init -q
printf 'module example.com/proj\n\ngo 1.21\n' > go.mod
cat > poller/poll.go <<'GO'
package poller

import (
	"context"
	"time"
)

func refresh() {}

func Poll(ctx context.Context) {
	t := time.NewTicker(time.Second)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			refresh()
		}
	}
}
GO
git add -A

passed=0
# `try-repo` without a hook id runs every hook of the repository: both must fail on the
# leak (naming it), then pass on the fixed file. (Each try-repo call installs the hooks
# afresh, so two calls rather than four.)
expect() { # expect pass|fail
    local want=$1 status=0
    "$venv/bin/pre-commit" try-repo "$repo" --all-files --verbose > "$work/out.txt" 2>&1 || status=$?
    local failed
    failed=$(grep -c '\.Failed$' "$work/out.txt" || true)
    if [ "$want" = fail ]; then
        if [ "$status" -eq 0 ] || [ "$failed" -ne 2 ]; then
            cat "$work/out.txt"; echo "pre-commit: expected both hooks to fail on a leaking ticker"; exit 1
        fi
        local named
        named=$(grep -c 'poller/poll.go:11:12: error\[ticker-not-stopped\]' "$work/out.txt" || true)
        if [ "$named" -ne 2 ]; then
            cat "$work/out.txt"; echo "pre-commit: the hooks failed without naming the finding"; exit 1
        fi
    elif [ "$status" -ne 0 ] || [ "$(grep -c '\.Passed$' "$work/out.txt" || true)" -ne 2 ]; then
        cat "$work/out.txt"; echo "pre-commit: expected both hooks to pass on fixed code"; exit 1
    fi
    echo "pre-commit: faultline and faultline-full ${want} as expected"
    passed=$((passed + 1))
}

expect fail

# Fix it: stop the ticker.
sed -i 's/^\tt := time.NewTicker(time.Second)$/&\n\tdefer t.Stop()/' poller/poll.go
grep -q 'defer t.Stop()' poller/poll.go
git add -A
expect pass

# The CI templates must at least be valid YAML (pre-commit brings PyYAML).
"$venv/bin/python" - "$repo" <<'PY'
import sys, yaml
root = sys.argv[1]
for f in ["ci/gitlab/faultline.gitlab-ci.yml", "ci/github/faultline.yml", ".pre-commit-hooks.yaml"]:
    with open(f"{root}/{f}") as fh:
        yaml.safe_load(fh)
job = yaml.safe_load(open(f"{root}/ci/gitlab/faultline.gitlab-ci.yml"))["faultline"]
assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json", job
assert any("--format gitlab --output gl-code-quality-report.json --exit-zero" in l for l in job["script"]), job
PY
passed=$((passed + 1))
echo "pre-commit hooks: $passed passed, 0 failed"
