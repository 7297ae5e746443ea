"""What a tester found by trying to break the MCP server: one busy session must not
block the others, a cell that swallows interrupts must not hang its session, bad
options and timeouts are refused clearly. Real servers, the SDK's own client."""

from __future__ import annotations

import subprocess
import sys
import time

import anyio
import pytest
from mcp_support import facts, free_port, http_client, http_server, server_env, stdio_client, texts

pytestmark = pytest.mark.anyio

SWALLOW = (
    "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
    "    except BaseException:\n        pass"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.slow
async def test_a_flooded_session_blocks_neither_other_sessions_nor_its_interrupt(tmp_path):
    """Client A floods its busy kernel with 42 calls (more than anyio's 40 worker
    threads); B's call and A's interrupt still answer at once, and calls past
    --max-queued are refused."""
    data = tmp_path / "sessions"
    with http_server(data, "--max-sessions", "2", "--max-queued", "4") as url:
        async with http_client(url) as a, http_client(url) as b:
            assert not (await a.call_tool("run_python", {"code": "1"})).is_error
            assert not (await b.call_tool("run_python", {"code": "1"})).is_error
            results: dict[str, object] = {}
            flood: list[object] = []

            async def sleeper() -> None:
                code = "import time; time.sleep(20)"
                results["sleep"] = await a.call_tool("run_python", {"code": code})

            async def queued() -> None:
                flood.append(await a.call_tool("run_python", {"code": "i"}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(sleeper)
                await anyio.sleep(1.5)
                for _ in range(42):
                    tg.start_soon(queued)
                await anyio.sleep(1.5)

                async def timed(name: str, client: object, tool: str, args: dict) -> None:
                    start = time.monotonic()
                    results[name] = await client.call_tool(tool, args)
                    results[name + "_s"] = time.monotonic() - start

                # B's call and A's interrupt at the same moment, into the flood.
                async with anyio.create_task_group() as probes:
                    probes.start_soon(timed, "probe", b, "run_python", {"code": "'b-probe'"})
                    probes.start_soon(timed, "interrupt", a, "interrupt", {})
            assert texts(results["probe"])[0] == "'b-probe'"
            assert texts(results["interrupt"]) == ["Interrupt sent to the kernel."]
            # Hangs were 15 s and 13 s; a call on an idle kernel takes well under 5 s.
            assert results["probe_s"] < 5, results
            assert results["interrupt_s"] < 5, results
            assert facts(results["sleep"])["ename"] == "KeyboardInterrupt"
            busy = [r for r in flood if texts(r)[0].startswith("SessionBusyError:")]
            ran = [r for r in flood if not texts(r)[0].startswith("SessionBusyError:")]
            assert len(busy) == 38 and len(ran) == 4
            assert texts(busy[0])[0] == (
                "SessionBusyError: 4 calls are already waiting for this session's kernel (the"
                " limit, --max-queued 4). Wait for their results before sending more, or call"
                " interrupt to stop the running cell"
            )
            assert all(facts(r)["ename"] == "NameError" for r in ran)


@pytest.mark.slow
async def test_a_cell_that_swallows_interrupts_is_stopped_and_the_session_goes_on(tmp_path):
    """The kernel's own ladder stops it (forced stop at the limit + grace, issue 18);
    the client's restart backstop is for a kernel that does not answer at all
    (tests/kernel/test_client.py)."""
    data = tmp_path / "sessions"
    async with stdio_client(data) as c:
        setup = "helpers.db.batch_insert('kept', [{'a': 1}]); v = 1"
        assert not (await c.call_tool("run_python", {"code": setup})).is_error
        start = time.monotonic()
        with anyio.fail_after(90):  # before the ladder and the backstop: forever
            r = await c.call_tool("run_python", {"code": SWALLOW, "timeout": 3})
        took = time.monotonic() - start
        assert r.is_error
        assert facts(r)["ename"] == "CellTimeoutError" and not facts(r).get("restarted")
        # The limit, the default grace of 2 s, a margin for a loaded machine.
        assert 3 <= took < 3 + 2 + 10
        r = await c.call_tool("run_python", {"code": "v"})
        assert not r.is_error  # the same kernel: its variables are intact
        r = await c.call_tool("sql", {"sql": "SELECT a FROM kept"})
        assert r.structured_content["rows"] == [[1]]


async def test_a_negative_timeout_is_refused_and_the_kernel_is_not_started(tmp_path):
    data = tmp_path / "sessions"
    async with stdio_client(data, "--cell-timeout", "30", "--max-timeout", "60") as c:
        r = await c.call_tool("run_python", {"code": "1", "timeout": -5})
        assert r.is_error
        assert texts(r) == [
            "ValueError: timeout=-5.0 is not a number of seconds: give a positive number (at"
            " most 60), or 0 or nothing for the server's default (30 s)"
        ]
    assert not data.exists() or not any(data.iterdir())


async def test_nan_and_infinity_timeouts_are_refused(tmp_path):
    """JSON has no NaN, but Python's json.dumps writes ``NaN``/``Infinity`` and the
    server's parser takes them; the SDK client would send null instead, so raw HTTP."""
    import httpx2

    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    data = tmp_path / "sessions"
    with http_server(data) as url:
        async with httpx2.AsyncClient(timeout=60) as raw:
            r = await raw.post(url, json=init, headers=headers)
            headers |= {
                "mcp-session-id": r.headers["mcp-session-id"],
                "mcp-protocol-version": "2025-11-25",
            }
            note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
            await raw.post(url, json=note, headers=headers)
            for literal, shown in [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf")]:
                body = (
                    '{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name":'
                    f' "run_python", "arguments": {{"code": "1", "timeout": {literal}}}}}}}'
                )
                r = await raw.post(url, content=body, headers=headers)
                assert (
                    f'"text":"ValueError: timeout={shown} is not a number of seconds: give a'
                    " positive number (at most 3600), or 0 or nothing for the server's default"
                    ' (300 s)"'
                ) in r.text
                assert '"isError":true' in r.text
    assert not data.exists() or not any(data.iterdir())


def _mcp(tmp_path, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "mcp", *args],
        env={**server_env(tmp_path), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_empty_token_refuses_to_start(tmp_path):
    out = _mcp(tmp_path, "--http", "--port", str(free_port()), "--token", "")
    assert out.returncode == 2
    assert "--token is empty, which would let anyone in: give a secret" in out.stderr
    out = _mcp(tmp_path, "--http", "--port", str(free_port()), env={"CODEMODE_MCP_TOKEN": " "})
    assert out.returncode == 2
    assert "CODEMODE_MCP_TOKEN is set but empty: set it to a secret" in out.stderr


async def test_a_host_name_of_loopback_serves_without_a_token(tmp_path):
    # Host names are case-insensitive: LOCALHOST is loopback (it was refused).
    with http_server(tmp_path / "sessions", "--host", "LOCALHOST") as url:
        async with http_client(url) as c:
            assert "run_python" in {t.name for t in (await c.list_tools()).tools}
