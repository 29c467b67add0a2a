"""Start the real `faultline server` binary over stdio under pytest-lsp's client.

The binary is $FAULTLINE_BIN, else target/debug/faultline (or $CARGO_TARGET_DIR/debug).
"""

import asyncio
import os
import pathlib
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pygls.protocol import default_converter

ROOT = pathlib.Path(__file__).resolve().parents[3]


def faultline_bin() -> str:
    if os.environ.get("FAULTLINE_BIN"):
        return os.environ["FAULTLINE_BIN"]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str(target / "debug" / "faultline")


def make_client() -> LanguageClient:
    """pytest-lsp's client, also recording every publishDiagnostics with its version."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    register_lsp_features(client, features)
    return client


CONFIG = ClientServerConfig(
    server_command=[faultline_bin(), "server"], client_factory=make_client
)


async def start(lsp_client: LanguageClient, editor: str, root: pathlib.Path, options=None):
    params = types.InitializeParams(
        capabilities=client_capabilities(editor),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        initialization_options=options,
    )
    return await lsp_client.initialize_session(params)


@pytest_lsp.fixture(config=CONFIG)
async def nvim(lsp_client: LanguageClient, tmp_path):
    """Neovim 0.11's capabilities: push diagnostics, UTF-8 offered."""
    lsp_client.root = tmp_path
    lsp_client.init_result = await start(lsp_client, "neovim@v0.11.0", tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def vscode(lsp_client: LanguageClient, tmp_path):
    """VS Code's capabilities: UTF-16 only, pull diagnostics, workspace/configuration."""
    lsp_client.root = tmp_path
    lsp_client.init_result = await start(lsp_client, "visual_studio_code", tmp_path)
    yield
    await lsp_client.shutdown_session()


async def published(client, uri: str, version=None, timeout: float = 15.0, pred=None):
    """The first recorded publishDiagnostics of `uri` (at `version`, matching `pred`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in client.published:
            if p.uri != uri or (version is not None and p.version != version):
                continue
            if pred is None or pred(p):
                return p
        await asyncio.sleep(0.01)
    pytest.fail(f"no publishDiagnostics for {uri} v{version}: {client.published!r}")


def codes(p) -> list:
    return [d.code for d in p.diagnostics]
