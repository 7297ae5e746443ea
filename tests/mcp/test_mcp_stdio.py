"""stdio: one connection is one server process is one session; limits; the config snippet."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from mcp.shared.exceptions import MCPError
from mcp_support import (
    ROOT,
    check_progress,
    facts,
    server_env,
    session_dirs,
    stdio_client,
    texts,
    wait_until,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.slow
async def test_a_second_connection_sees_none_of_the_first_ones_tables(tmp_path):
    data = tmp_path / "sessions"
    async with stdio_client(data) as a, stdio_client(data) as b:
        r = await a.call_tool("sql", {"sql": "CREATE TABLE mine(x INTEGER)"})
        assert not r.is_error, texts(r)
        await a.call_tool("run_python", {"code": "secret = 1"})
        assert (await b.call_tool("tables", {})).structured_content["tables"] == []
        r = await b.call_tool("sql", {"sql": "SELECT * FROM mine"})
        assert r.is_error and texts(r)[0] == "OperationalError: no such table: mine"
        r = await b.call_tool("run_python", {"code": "secret"})
        assert facts(r)["ename"] == "NameError"
        assert len(session_dirs(data)) == 2
        # Full-size outputs belong to the session that made them.
        chart = (
            "import matplotlib.pyplot as plt\n"
            "plt.figure(figsize=(16, 2), dpi=100); plt.plot([1, 2]); plt.show()"
        )
        r = await a.call_tool("run_python", {"code": chart})
        (link,) = [blk for blk in r.content if blk.type == "resource_link"]
        assert (await a.read_resource(str(link.uri))).contents[0].blob
        with pytest.raises(MCPError, match=r"no output '[0-9a-f]+' in this session"):
            await b.read_resource(str(link.uri))


@pytest.mark.slow
async def test_closing_the_connection_removes_the_session_directory(tmp_path):
    data = tmp_path / "sessions"
    async with stdio_client(data) as c:
        await c.call_tool("run_python", {"code": "helpers.db.batch_insert('t', [{'a': 1}])"})
        (name,) = session_dirs(data)
        assert name.startswith("mcp-")
        assert (data / name / "session.db").exists()
    assert wait_until(lambda: not (data / name).exists(), 10), session_dirs(data)


@pytest.mark.slow
async def test_a_pinned_session_is_kept_and_found_again(tmp_path):
    data = tmp_path / "sessions"
    async with stdio_client(data, "--session", "analysis") as c:
        await c.call_tool("run_python", {"code": "helpers.db.batch_insert('kept', [{'a': 7}])"})
        info = await c.call_tool("tables", {})
        assert info.structured_content["session_id"] == "analysis"
    assert wait_until(lambda: session_dirs(data) != [], 5)
    (name,) = session_dirs(data)
    assert name.startswith("analysis-")
    async with stdio_client(data, "--session", "analysis") as c:
        r = await c.call_tool("sql", {"sql": "SELECT a FROM kept"})
        assert r.structured_content["rows"] == [[7]]


@pytest.mark.slow
async def test_timeouts_are_clamped_to_the_ceiling_and_zero_means_the_default(tmp_path):
    data = tmp_path / "sessions"
    async with stdio_client(data, "--cell-timeout", "1", "--max-timeout", "2") as c:
        start = time.monotonic()
        r = await c.call_tool("run_python", {"code": "import time; time.sleep(60)", "timeout": 1e6})
        assert facts(r)["ename"] == "CellTimeoutError"
        assert "ran longer than its 2 s limit" in texts(r)[0]
        r = await c.call_tool("run_python", {"code": "import time; time.sleep(60)", "timeout": 0})
        assert "ran longer than its 1 s limit" in texts(r)[0]
        r = await c.call_tool("run_python", {"code": "import time; time.sleep(60)"})
        assert "ran longer than its 1 s limit" in texts(r)[0]
        assert time.monotonic() - start < 30  # not 60 s: nothing was unlimited


def test_print_config_is_the_mcpservers_snippet_for_this_interpreter(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "mcp", "--max-output", "9000", "--print-config"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    entry = json.loads(out.stdout)["mcpServers"]["codemode"]
    assert entry["command"] == sys.executable and os.path.isabs(entry["command"])
    assert entry["args"] == ["-m", "codemode_kernel", "mcp", "--max-output", "9000"]
    assert entry["env"]["PYTHONPATH"] == str(ROOT)  # a checkout, not an installed package


def test_bad_options_are_usage_errors(tmp_path):
    for args, message in [
        (
            ["--http", "--host", "0.0.0.0"],
            "--host 0.0.0.0 is not a loopback address, so the server would be reachable from"
            " other machines",
        ),
        (["--max-sessions", "0"], "--max-sessions must be at least 1"),
        (["--max-timeout", "-1"], "--max-timeout must be a positive number of seconds"),
        (["--http", "--port", "70000"], "--port must be between 1 and 65535, got 70000"),
        (["--session", " "], "--session needs a non-empty name"),
    ]:
        out = subprocess.run(
            [sys.executable, "-m", "codemode_kernel", "mcp", *args],
            env=server_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2, args
        assert message in out.stderr
        assert out.stdout == ""


@pytest.mark.slow
async def test_seed_workflow_load_aggregate_read_a_small_answer(tmp_path):
    """The seed's workflow through MCP alone: 100k records in, a 10-row answer out."""
    data = tmp_path / "sessions"
    load = (
        "import random\n"
        "rng = random.Random(7)\n"
        "cats = [f'category-{i:02d}' for i in range(40)]\n"
        "n = helpers.db.batch_insert('events', ({'id': i, 'category': rng.choice(cats),"
        " 'amount': round(rng.uniform(1, 500), 2), 'note': 'x' * rng.randint(20, 60)}"
        " for i in range(100_000)))\n"
        "print(n)"
    )
    answer = (
        "SELECT category, count(*) AS n, round(sum(amount), 2) AS total FROM events"
        " GROUP BY category ORDER BY total DESC LIMIT 10"
    )
    async with stdio_client(data) as c:
        r = await c.call_tool("run_python", {"code": load, "timeout": 120})
        assert not r.is_error, texts(r)
        assert texts(r)[0] == "100000\n"
        r = await c.call_tool("sql", {"sql": answer})
        assert not r.is_error, texts(r)
        (name,) = session_dirs(data)
        db = data / name / "session.db"
        size = sum(p.stat().st_size for p in db.parent.glob("session.db*"))
        assert size > 5_000_000  # megabytes of data stay in the session database
        s = r.structured_content
        assert s["row_count"] == 10 and s["truncated"] is False
        assert len(json.dumps(s)) < 2_000
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            expected = [list(row) for row in con.execute(answer)]
        assert s["rows"] == expected


@pytest.mark.slow
async def test_a_dead_kernel_is_reported_and_replaced_keeping_the_database(tmp_path):
    data = tmp_path / "sessions"
    async with stdio_client(data) as c:
        await c.call_tool("run_python", {"code": "helpers.db.batch_insert('t', [{'a': 1}]); v = 1"})
        r = await c.call_tool("run_python", {"code": "import os; os._exit(3)"})
        assert r.is_error
        assert texts(r)[0].startswith("KernelDiedError: the kernel died while running the code.")
        r = await c.call_tool("run_python", {"code": "v"})
        assert facts(r)["ename"] == "NameError"
        r = await c.call_tool("sql", {"sql": "SELECT a FROM t"})
        assert r.structured_content["rows"] == [[1]]


@pytest.mark.slow
async def test_progress_notifications_arrive_during_a_long_cell(tmp_path):
    async with stdio_client(tmp_path / "sessions", "--progress-interval", "1") as c:
        await check_progress(c)


async def test_a_client_configured_from_print_config_works(tmp_path):
    from mcp import Client, StdioServerParameters

    data = tmp_path / "sessions"
    out = subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "mcp", "--print-config"],
        env=server_env(data),
        capture_output=True,
        text=True,
        check=True,
    )
    entry = json.loads(out.stdout)["mcpServers"]["codemode"]
    # What a client does with the entry: its env on top of a plain environment.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env |= {"CODEMODE_DATA_DIR": str(data), **entry.get("env", {})}
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env)
    async with Client(params) as c:
        r = await c.call_tool("sql", {"sql": "SELECT 40 + 2 AS answer"})
        assert r.structured_content["rows"] == [[42]]
