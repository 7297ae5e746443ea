"""Streamable HTTP: sessions, the kernel cap, the token, Origin checks, progress."""

from __future__ import annotations

import subprocess
import sys

import anyio
import httpx2
import pytest
from mcp_support import (
    check_progress,
    free_port,
    http_client,
    http_server,
    server_env,
    session_dirs,
    texts,
    wait_until,
)

pytestmark = pytest.mark.anyio

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}
JSON_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.slow
async def test_two_concurrent_sessions_are_isolated_and_closing_removes_each(tmp_path):
    data = tmp_path / "sessions"
    with http_server(data) as url:
        seen: dict[str, object] = {}

        async def client(name: str) -> None:
            async with http_client(url) as c:
                code = (
                    f"import time; helpers.db.batch_insert('{name}', [{{'a': 1}}]);"
                    f" who = '{name}'; time.sleep(1)"
                )
                r = await c.call_tool("run_python", {"code": code})
                assert not r.is_error, texts(r)
                tables = (await c.call_tool("tables", {})).structured_content["tables"]
                seen[name] = (
                    [t["name"] for t in tables],
                    texts(await c.call_tool("run_python", {"code": "who"}))[0],
                )
                seen[name + "-dirs"] = len(session_dirs(data))

        async with anyio.create_task_group() as tg:
            tg.start_soon(client, "alpha")
            tg.start_soon(client, "beta")
        assert seen["alpha"] == (["alpha"], "'alpha'")
        assert seen["beta"] == (["beta"], "'beta'")
        # Each client's DELETE ends its MCP session and deletes its session data.
        assert wait_until(lambda: session_dirs(data) == [], 15), session_dirs(data)


@pytest.mark.slow
async def test_the_kernel_cap_gives_a_clear_error_and_frees_up(tmp_path):
    data = tmp_path / "sessions"
    with http_server(data, "--max-sessions", "1") as url:
        async with http_client(url) as a:
            assert not (await a.call_tool("run_python", {"code": "1"})).is_error
            async with http_client(url) as b:
                r = await b.call_tool("run_python", {"code": "1"})
                assert r.is_error
                assert texts(r)[0].startswith(
                    "SessionLimitError: this MCP server already runs 1 Code Mode kernel,"
                    " its limit (--max-sessions 1)."
                )
                r = await b.call_tool("sql", {"sql": "SELECT 1"})
                assert r.is_error and texts(r)[0].startswith("SessionLimitError:")
        # a's kernel shuts down after its DELETE; then the slot is free again.
        async with http_client(url) as b:
            with anyio.fail_after(15):
                while (r := await b.call_tool("sql", {"sql": "SELECT 2 AS two"})).is_error:
                    assert texts(r)[0].startswith("SessionLimitError:")
                    await anyio.sleep(0.2)
            assert r.structured_content["rows"] == [[2]]


@pytest.mark.slow
async def test_clients_share_only_a_session_the_operator_named(tmp_path):
    data = tmp_path / "sessions"
    with http_server(data, "--session", "team") as url:
        async with http_client(url) as a, http_client(url) as b:
            await a.call_tool(
                "run_python", {"code": "helpers.db.batch_insert('shared', [{'v': 3}])"}
            )
            r = await b.call_tool("sql", {"sql": "SELECT v FROM shared"})
            assert r.structured_content["rows"] == [[3]]
            info = (await b.call_tool("tables", {})).structured_content
            assert info["session_id"] == "team"
        (name,) = session_dirs(data)
        assert name.startswith("team-")
    # Policy keep: the named session outlives its connections and the server.
    assert session_dirs(data) == [name]


def test_a_non_loopback_host_needs_a_token(tmp_path):
    env = server_env(tmp_path)
    env.pop("CODEMODE_MCP_TOKEN", None)
    out = subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "mcp", "--http", "--host", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "give --token (or CODEMODE_MCP_TOKEN)" in out.stderr


async def test_the_bearer_token_is_checked(tmp_path):
    data = tmp_path / "sessions"
    with http_server(data, "--host", "0.0.0.0", "--token", "s3cret-token") as url:
        async with httpx2.AsyncClient() as raw:
            r = await raw.post(url, json=INIT, headers=JSON_HEADERS)
            assert r.status_code == 401
            bad = {**JSON_HEADERS, "Authorization": "Bearer wrong"}
            r = await raw.post(url, json=INIT, headers=bad)
            assert r.status_code == 401
            assert r.headers["www-authenticate"].startswith("Bearer")
        async with http_client(url, {"Authorization": "Bearer s3cret-token"}) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            assert "run_python" in names


async def test_a_foreign_origin_is_refused(tmp_path):
    data = tmp_path / "sessions"
    with http_server(data) as url:
        async with httpx2.AsyncClient() as raw:
            r = await raw.post(
                url, json=INIT, headers={**JSON_HEADERS, "Origin": "http://evil.example"}
            )
            assert r.status_code == 403
            assert r.text == "Invalid Origin header"
            r = await raw.post(url, json=INIT, headers={**JSON_HEADERS, "Host": "evil.example:80"})
            assert r.status_code == 421
            ok = {**JSON_HEADERS, "Origin": url.rsplit("/", 1)[0]}
            r = await raw.post(url, json=INIT, headers=ok)
            assert r.status_code == 200


@pytest.mark.slow
async def test_progress_notifications_arrive_during_a_long_cell(tmp_path):
    with http_server(tmp_path / "sessions", "--progress-interval", "1") as url:
        async with http_client(url) as c:
            await check_progress(c)


@pytest.mark.slow
async def test_an_idle_session_is_closed_with_its_kernel(tmp_path):
    data = tmp_path / "sessions"
    with http_server(data, "--idle-ttl", "2") as url:
        async with http_client(url) as c:
            await c.call_tool("run_python", {"code": "x = 1"})
            assert len(session_dirs(data)) == 1
            # No request for longer than the TTL: the SDK ends the MCP session,
            # whose end shuts the kernel down (policy delete).
            assert await anyio.to_thread.run_sync(
                lambda: wait_until(lambda: session_dirs(data) == [], 15)
            ), session_dirs(data)
            # The old session is gone: either the client is told so (by the SDK,
            # or by the server once when its reaper was first), or it opened a
            # new session, which has none of the old variables.
            try:
                r = await c.call_tool("run_python", {"code": "x"})
            except Exception as exc:
                assert "Session not found" in str(exc)
            else:
                if texts(r)[0].startswith("SessionExpiredError:"):
                    assert "was idle for more than 2 s (--idle-ttl)" in texts(r)[0]
                    r = await c.call_tool("run_python", {"code": "x"})
                assert r.is_error and texts(r)[0] == "NameError: name 'x' is not defined"


async def test_a_stateless_client_can_list_but_not_run_code(tmp_path):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError

    data = tmp_path / "sessions"
    with http_server(data) as url:
        async with Client(streamable_http_client(url), mode="2026-07-28") as c:
            assert len((await c.list_tools()).tools) == 6
            with pytest.raises(MCPError, match="no MCP session: this server binds a kernel"):
                await c.call_tool("run_python", {"code": "1"})
    assert session_dirs(data) == []


def test_port_in_use_is_reported(tmp_path):
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        out = subprocess.run(
            [sys.executable, "-m", "codemode_kernel", "mcp", "--http", "--port", str(port)],
            env=server_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode != 0
    assert "address already in use" in out.stderr.lower()
