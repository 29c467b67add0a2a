#!/usr/bin/env bash
# Seed the fuzz corpora from this repository's own fixtures (nothing third-party is
# committed; the corpora are generated into fuzz/corpus/, which git ignores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
corpus="$here/corpus"
mkdir -p "$corpus/go_file" "$corpus/config" "$corpus/lsp_stream" "$corpus/fix_edits"

# go_file and fix_edits: every fixture Go file.
i=0
while IFS= read -r -d '' f; do
    i=$((i + 1))
    cp "$f" "$corpus/go_file/fixture-$i.go"
    cp "$f" "$corpus/fix_edits/fixture-$i.go"
done < <(find "$repo/fixtures" -name '*.go' -print0 | sort -z)

# config: small files exercising every key.
n=0
cfg() { n=$((n + 1)); printf '%s' "$1" > "$corpus/config/seed-$n.toml"; }
cfg $'select = ["time"]\n'
cfg $'select = ["ticker-not-stopped", "sql"]\nextend-select = ["tick-leak"]\nignore = ["time-after-in-loop"]\n'
cfg $'go-version = "1.22"\nexclude = ["gen/**", "*_mock.go"]\n'
cfg $'[per-file-ignores]\n"**/*_test.go" = ["time"]\n"cmd/*" = ["sql", "tick-leak"]\n'
cfg $'[rules.rows-affected-unchecked]\n'
cfg $'report-unused-ignores = true\n[rules]\n'
for f in $(find "$repo" -name 'faultline.toml' -not -path '*/target*' -not -path "$here/*"); do
    cfg "$(cat "$f")"
done

# lsp_stream: a whole session per fixture file (initialize, open, pull diagnostics,
# hover, code actions, edit, close, shutdown, exit).
python3 - "$repo" "$corpus/lsp_stream" <<'PY'
import json, pathlib, sys
repo, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def frame(m):
    b = json.dumps(m).encode()
    return b"Content-Length: %d\r\n\r\n" % len(b) + b
files = sorted((repo / "fixtures").rglob("*.go"))
for i, f in enumerate(files):
    text = f.read_text(errors="replace")
    uri = "file:///project/pkg/%s" % f.name
    pull = i % 2 == 0
    caps = {"textDocument": {"diagnostic": {}}} if pull else {}
    rng = {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}}
    msgs = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"capabilities": caps, "initializationOptions": {"debounceMs": 0}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen",
         "params": {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": text}}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/diagnostic",
         "params": {"textDocument": {"uri": uri}}},
        {"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover",
         "params": {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 8}}},
        {"jsonrpc": "2.0", "id": 4, "method": "textDocument/codeAction",
         "params": {"textDocument": {"uri": uri}, "range": rng, "context": {"diagnostics": []}}},
        {"jsonrpc": "2.0", "method": "textDocument/didChange",
         "params": {"textDocument": {"uri": uri, "version": 2},
                    "contentChanges": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 3, "character": 4}}, "text": "x := 1\n"}]}},
        {"jsonrpc": "2.0", "id": 5, "method": "textDocument/diagnostic",
         "params": {"textDocument": {"uri": uri}}},
        {"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}},
        {"jsonrpc": "2.0", "id": 6, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    (out / ("session-%d" % i)).write_bytes(b"".join(frame(m) for m in msgs))
PY
echo "seeded: $(ls "$corpus/go_file" | wc -l) go, $(ls "$corpus/config" | wc -l) config, $(ls "$corpus/lsp_stream" | wc -l) lsp"
