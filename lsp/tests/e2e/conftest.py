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
    client.registrations = []
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)

    def register(client: LanguageClient, params: types.RegistrationParams):
        client.registrations.extend(params.registrations)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
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


@pytest_lsp.fixture(config=CONFIG, params=["visual_studio_code@v1.65.2", "emacs@v29.1"])
async def push(request, lsp_client: LanguageClient, tmp_path):
    """Clients that take pushed diagnostics: VS Code 1.65 (UTF-16 only) and Emacs
    lsp-mode (offers UTF-8, registers file watchers dynamically)."""
    lsp_client.root = tmp_path
    lsp_client.init_result = await start(lsp_client, request.param, tmp_path)
    yield
    await lsp_client.shutdown_session()
    assert lsp_client._server.returncode == 0, "exit after shutdown is exit code 0"


@pytest_lsp.fixture(config=CONFIG)
async def nvim(lsp_client: LanguageClient, tmp_path):
    """Neovim 0.11: pulls diagnostics, offers UTF-8, answers workspace/configuration."""
    lsp_client.root = tmp_path
    lsp_client.init_result = await start(lsp_client, "neovim@v0.11.0", tmp_path)
    yield
    await lsp_client.shutdown_session()


async def published(client, uri: str, version=None, timeout: float = 30.0, pred=None, after=None):
    """The first recorded publishDiagnostics of `uri` (at `version`, matching `pred`),
    received after the publish `after`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        start = 0
        if after is not None:
            start = next(i for i, p in enumerate(client.published) if p is after) + 1
        for p in client.published[start:]:
            if p.uri != uri or (version is not None and p.version != version):
                continue
            if pred is None or pred(p):
                return p
        await asyncio.sleep(0.01)
    pytest.fail(f"no publishDiagnostics for {uri} v{version}: {client.published!r}")


def codes(p) -> list:
    return [d.code for d in p.diagnostics]
