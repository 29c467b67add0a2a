"""`faultline server` driven over stdio by pytest-lsp's (pygls) client."""

import asyncio

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import codes, published

SRC = """package p

import "time"

// é is 2 bytes / 1 UTF-16 unit, 😀 is 4 bytes / 2 units.
func wait(ready func() bool) {
\té := "😀"; for range time.Tick(time.Second) {
\t\tif ready() && é != "" {
\t\t\treturn
\t\t}
\t}
}
"""
LINE = SRC.splitlines()[6]
PREFIX = LINE[: LINE.index("Tick")]


def col(encoding: str) -> int:
    if encoding == types.PositionEncodingKind.Utf8:
        return len(PREFIX.encode("utf-8"))
    return len(PREFIX.encode("utf-16-le")) // 2


def write(client, name: str, text: str) -> str:
    path = client.root / name
    path.write_text(text)
    return path.as_uri()


def open_doc(client, uri: str, text: str, version: int = 1):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="go", version=version, text=text
            )
        )
    )


def change(client, uri: str, version: int, changes):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=changes,
        )
    )


def edit(l0, c0, l1, c1, text):
    return types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=l0, character=c0),
            end=types.Position(line=l1, character=c1),
        ),
        text=text,
    )


async def test_open_change_close_with_negotiated_columns(push: LanguageClient):
    nvim = push
    enc = nvim.init_result.capabilities.position_encoding
    offered = nvim.capabilities.general and nvim.capabilities.general.position_encodings
    want = "utf-8" if offered and "utf-8" in offered else "utf-16"
    assert enc == want
    uri = write(nvim, "wait.go", SRC)
    open_doc(nvim, uri, SRC)
    p = await published(nvim, uri, 1)
    [d] = p.diagnostics
    assert d.code == "tick-leak"
    assert d.source == "faultline"
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.code_description.href.endswith("/tick-leak.md")
    assert (d.range.start.line, d.range.start.character) == (6, col(enc))
    assert d.range.end.character == col(enc) + 4

    # Incremental change (negotiated columns): replace `time.Tick(time.Second)` by a channel.
    start = col(enc) - len("time.")
    change(nvim, uri, 2, [edit(6, start, 6, start + len("time.Tick(time.Second)"), "make(chan int)")])
    p = await published(nvim, uri, 2)
    assert len(p.diagnostics) == 0

    nvim.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await published(nvim, uri, None, pred=lambda p: p.version is None)


async def test_pull_diagnostics_and_no_pushes(nvim: LanguageClient):
    vscode = nvim
    enc = vscode.init_result.capabilities.position_encoding
    assert enc == types.PositionEncodingKind.Utf8
    uri = write(vscode, "wait.go", SRC)
    open_doc(vscode, uri, SRC)
    report = await vscode.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert report.kind == "full"
    [d] = report.items
    assert d.code == "tick-leak"
    assert d.range.start.character == col(enc)
    again = await vscode.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            previous_result_id=report.result_id,
        )
    )
    assert again.kind == "unchanged"
    await asyncio.sleep(0.3)
    assert vscode.published == []


async def test_code_action_ignore_then_hover(push: LanguageClient):
    nvim = push
    uri = write(nvim, "wait.go", SRC)
    open_doc(nvim, uri, SRC)
    p = await published(nvim, uri, 1)
    [d] = p.diagnostics

    hover = await nvim.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=d.range.start
        )
    )
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "`tick-leak`" in hover.contents.value
    assert "## What it does" in hover.contents.value

    actions = await nvim.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=d.range,
            context=types.CodeActionContext(diagnostics=[d]),
        )
    )
    [ignore] = [a for a in actions if a.title == "Ignore tick-leak on this line"]
    assert ignore.kind == types.CodeActionKind.QuickFix
    [te] = ignore.edit.changes[uri]
    assert te.new_text.startswith("\t//faultline:ignore tick-leak ")
    change(nvim, uri, 2, [edit(te.range.start.line, te.range.start.character,
                               te.range.end.line, te.range.end.character, te.new_text)])
    p = await published(nvim, uri, 2)
    assert len(p.diagnostics) == 0

    # Hover on the rule id inside the inserted directive.
    hover = await nvim.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=6, character=len("\t//faultline:ignore ") + 2),
        )
    )
    assert "`tick-leak`" in hover.contents.value


async def test_package_siblings_feed_the_index(push: LanguageClient):
    nvim = push
    (nvim.root / "go.mod").write_text("module m\n\ngo 1.21\n")
    a = """package poller

import "time"

type heartbeat struct{ every *time.Ticker }

func newHeartbeat() *heartbeat {
\th := &heartbeat{}
\th.every = time.NewTicker(time.Second)
\treturn h
}
"""
    b = "package poller\n\nfunc (h *heartbeat) Close() { h.every.Stop() }\n"
    a_uri = write(nvim, "a.go", a)
    b_uri = write(nvim, "b.go", b)
    open_doc(nvim, a_uri, a)
    assert codes(await published(nvim, a_uri, 1)) == []  # b.go on disk stops it
    open_doc(nvim, b_uri, b)
    change(nvim, b_uri, 2, [types.TextDocumentContentChangeWholeDocument(
        text="package poller\n\nfunc (h *heartbeat) Close() {}\n")])
    p = await published(nvim, a_uri, 1, pred=lambda p: codes(p) == ["ticker-not-stopped"])
    assert p.diagnostics[0].range.start.line == 8


async def test_configuration_is_pulled_after_did_change_configuration(nvim: LanguageClient):
    vscode = nvim
    uri = write(vscode, "wait.go", SRC)
    open_doc(vscode, uri, SRC)

    async def items():
        r = await vscode.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        return [d.code for d in r.items]

    assert await items() == ["tick-leak"]
    vscode.set_configuration({"ignore": ["tick-leak"]}, section="faultline")
    vscode.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings=None)
    )
    for _ in range(200):
        if await items() == []:
            break
        await asyncio.sleep(0.02)
    assert await items() == []


async def test_malformed_messages_and_bad_requests_keep_it_answering(push: LanguageClient):
    nvim = push
    uri = write(nvim, "wait.go", SRC)
    stdin = nvim._server.stdin
    stdin.write(b"Content-Length: 9\r\n\r\n{garbage}")
    stdin.write(b"this is not a header\r\n\r\n")
    await stdin.drain()
    # Unknown method and a file that is not open: error responses.
    with pytest.raises(Exception, match="not supported"):
        await nvim.protocol.send_request_async("faultline/nonsense", {})
    with pytest.raises(Exception, match="not open"):
        await nvim.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=0, character=0),
            )
        )
    # Still linting.
    open_doc(nvim, uri, SRC)
    assert codes(await published(nvim, uri, 1)) == ["tick-leak"]
    nvim.error = None  # pygls records the null-id error responses; they were expected


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def test_repeated_changes_of_a_large_file_do_not_grow_memory(push: LanguageClient):
    nvim = push
    body = "".join(f"func f{i}() {{ _ = {i} }}\n" for i in range(3000))
    text = f"package p\n\n{body}"
    uri = write(nvim, "big.go", text)
    open_doc(nvim, uri, text)
    await published(nvim, uri, 1)
    pid = nvim._server.pid

    async def burst(first: int, n: int):
        for v in range(first, first + n):
            ch = "F" if v % 2 == 0 else "f"
            change(nvim, uri, v, [edit(2, 0, 2, 1, ch)])
            await published(nvim, uri, v)

    await burst(2, 40)
    before = rss_kib(pid)
    await burst(42, 160)
    after = rss_kib(pid)
    assert after - before < 16 * 1024, f"RSS grew from {before} KiB to {after} KiB"
