"""Real MCP servers for tests: ``python -m codemode_kernel mcp`` as a subprocess.

stdio servers are started by the SDK's own stdio client (one process per
connection); HTTP servers run as a subprocess that tests connect to with the
SDK's Streamable HTTP client.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[2]


def server_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CODEMODE_DATA_DIR": str(data_dir)}


def stdio_client(data_dir: Path, *args: str) -> Client:
    """An SDK client that starts ``python -m codemode_kernel mcp ARGS`` over stdio."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "codemode_kernel", "mcp", *args],
        env=server_env(data_dir),
    )
    return Client(params)


def http_client(url: str, headers: dict[str, str] | None = None) -> Client:
    """An SDK client over Streamable HTTP (``headers`` e.g. a bearer token)."""
    http = httpx2.AsyncClient(headers=headers or {}, timeout=httpx2.Timeout(30, read=300))
    return Client(streamable_http_client(url, http_client=http))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def http_server(data_dir: Path, *args: str, port: int | None = None) -> Iterator[str]:
    """Run ``mcp --http --port P ARGS``; yield its URL; SIGTERM it at the end."""
    port = port or free_port()
    log = data_dir.parent / f"mcp-http-{port}.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "codemode_kernel", "mcp", "--http", "--port", str(port), *args],
            env=server_env(data_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the MCP server exited: {log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the MCP server did not listen: {log.read_text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def texts(result: Any) -> list[str]:
    return [b.text for b in result.content if b.type == "text"]


def facts(result: Any) -> dict:
    """The final JSON line of a run_python result."""
    return json.loads(texts(result)[-1])


def session_dirs(data_dir: Path) -> list[str]:
    if not data_dir.exists():
        return []
    return sorted(p.name for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


async def check_progress(c: Client) -> None:
    """Shared body: a 6 s cell sends progress at the server's interval (1 s in tests)."""
    beats: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        beats.append((progress, total, message))

    r = await c.call_tool(
        "run_python",
        {"code": "import time; time.sleep(6); 'done'", "timeout": 30},
        progress_callback=on_progress,
    )
    assert texts(r)[0] == "'done'"
    assert len(beats) >= 4, beats
    progress = [b[0] for b in beats]
    assert progress == sorted(set(progress))  # strictly increasing, as the spec asks
    assert all(b[1] == 30 for b in beats)
    assert beats[0][2].startswith("running for 1 s (cell timeout 30 s)")
