"""The MCP tools through the SDK's client, over stdio and Streamable HTTP alike.

Every test here runs once per transport against one real server (and one
connection) per transport: ``python -m codemode_kernel mcp`` as a subprocess.
"""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp_support import facts, http_client, http_server, session_dirs, stdio_client, texts

pytestmark = pytest.mark.anyio

TOOLS = {"run_python", "sql", "describe", "tables", "reset_session", "interrupt"}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", params=["stdio", "http"])
async def conn(request, anyio_backend, tmp_path_factory) -> AsyncIterator[tuple[Any, Path]]:
    """(connected SDK client, the server's data dir), one per transport."""
    data = tmp_path_factory.mktemp(f"mcp-{request.param}") / "sessions"
    args = ("--max-timeout", "60", "--image-width", "400")
    if request.param == "stdio":
        async with stdio_client(data, *args) as c:
            yield c, data
    else:
        with http_server(data, *args) as url:
            async with http_client(url) as c:
                yield c, data


async def test_tools_are_listed_with_their_schemas(conn):
    c, _ = conn
    tools = {t.name: t for t in (await c.list_tools()).tools}
    assert set(tools) == TOOLS
    run = tools["run_python"]
    assert run.input_schema["required"] == ["code"]
    assert run.input_schema["properties"]["code"]["type"] == "string"
    assert {"type": "number"} in run.input_schema["properties"]["timeout"]["anyOf"]
    # Images must reach the model: no output schema, so no structuredContent.
    assert run.output_schema is None
    sql = tools["sql"]
    assert sql.input_schema["required"] == ["sql"]
    kinds = {a.get("type") for a in sql.input_schema["properties"]["params"]["anyOf"]}
    assert kinds == {"array", "object", "null"}
    assert set(sql.output_schema["required"]) == {"columns", "rows", "row_count", "truncated"}
    assert tools["tables"].output_schema is not None
    assert tools["reset_session"].input_schema["properties"]["confirm"]["type"] == "boolean"
    for t in tools.values():
        assert len(t.description) > 40, t.name


async def test_print_and_result(conn):
    c, _ = conn
    r = await c.call_tool("run_python", {"code": "print('hello'); 6 * 7"})
    assert not r.is_error
    assert texts(r)[:2] == ["hello\n", "42"]
    assert facts(r)["ok"] is True and facts(r)["truncated_output"] is False
    assert r.structured_content is None


async def test_exception_is_an_error_result(conn):
    c, _ = conn
    r = await c.call_tool("run_python", {"code": "def f():\n    return 1 / 0\nf()"})
    assert r.is_error
    # The kernel's own error display is what the client gets (one line here).
    assert texts(r)[0].startswith("ZeroDivisionError: division by zero")
    assert facts(r) | {"duration_s": 0} == {
        "ok": False,
        "duration_s": 0,
        "truncated_output": False,
        "execution_count": facts(r)["execution_count"],
        "ename": "ZeroDivisionError",
    }


async def test_state_persists_on_a_connection(conn):
    c, _ = conn
    await c.call_tool("run_python", {"code": "kept = 41"})
    r = await c.call_tool("run_python", {"code": "kept + 1"})
    assert texts(r)[0] == "42"


async def test_dataframe_comes_as_its_query_payload(conn):
    c, _ = conn
    code = (
        "helpers.db.batch_insert('people', [{'id': i, 'name': f'p{i}'} for i in range(5)])\n"
        "helpers.db.query('SELECT id, name FROM people ORDER BY id')"
    )
    r = await c.call_tool("run_python", {"code": code})
    assert not r.is_error, texts(r)
    # The first use of helpers.db also says (on stderr) where the session lives.
    [payload] = [json.loads(t) for t in texts(r) if t.startswith('{"sql"')]
    assert [col["name"] for col in payload["columns"]] == ["id", "name"]
    assert payload["rows"] == [{"id": i, "name": f"p{i}"} for i in range(5)]
    assert payload["row_count"] == 5 and payload["truncated"] is False


async def test_chart_is_an_image_downscaled_with_a_link_to_the_full_one(conn):
    from PIL import Image

    c, _ = conn
    code = (
        "import matplotlib.pyplot as plt\n"
        "fig = plt.figure(figsize=(12, 3), dpi=100); plt.plot([1, 3, 2]); plt.show()"
    )
    r = await c.call_tool("run_python", {"code": code})
    assert not r.is_error, texts(r)
    images = [b for b in r.content if b.type == "image"]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    shown = Image.open(io.BytesIO(base64.b64decode(images[0].data)))
    assert shown.size[0] == 400  # --image-width
    links = [b for b in r.content if b.type == "resource_link"]
    assert len(links) == 1 and str(links[0].uri).startswith("codemode://outputs/")
    full = await c.read_resource(str(links[0].uri))
    blob = base64.b64decode(full.contents[0].blob)
    assert Image.open(io.BytesIO(blob)).size[0] > 400
    assert full.contents[0].mime_type == "image/png"


async def test_sql_returns_rows_and_flags_truncation(conn):
    c, _ = conn
    r = await c.call_tool(
        "sql",
        {
            "sql": "CREATE TABLE nums(n INTEGER, sq INTEGER);"
            " INSERT INTO nums SELECT value, value * value FROM generate_series(1, 250)"
        },
    )
    # generate_series is not in every SQLite: fall back to Python if refused.
    if r.is_error:
        await c.call_tool(
            "run_python",
            {
                "code": "helpers.db.batch_insert('nums', "
                "[{'n': i, 'sq': i * i} for i in range(1, 251)])"
            },
        )
    query = {"sql": "SELECT n, sq FROM nums WHERE n > ? ORDER BY n", "params": [5], "limit": 10}
    r = await c.call_tool("sql", query)
    assert not r.is_error, texts(r)
    s = r.structured_content
    assert s["columns"] == ["n", "sq"]
    assert s["rows"] == [[i, i * i] for i in range(6, 16)]
    assert s["row_count"] == 10 and s["truncated"] is True
    assert isinstance(s["elapsed_ms"], float)
    assert texts(r)[0].splitlines()[0].split() == ["n", "|", "sq"]
    query = {"sql": "SELECT count(*) AS c FROM nums WHERE n <= :k", "params": {"k": 3}}
    r = await c.call_tool("sql", query)
    assert r.structured_content["rows"] == [[3]] and r.structured_content["truncated"] is False


async def test_sql_write_reports_rows_affected(conn):
    c, _ = conn
    await c.call_tool("sql", {"sql": "CREATE TABLE w(a INTEGER)"})
    r = await c.call_tool("sql", {"sql": "INSERT INTO w VALUES (1), (2), (3)"})
    assert not r.is_error, texts(r)
    assert r.structured_content["rows_affected"] == 3
    assert r.structured_content["rows"] == [] and r.structured_content["statements"] == 1
    # A script runs all-or-nothing and returns its last statement's rows.
    r = await c.call_tool("sql", {"sql": "INSERT INTO w VALUES (4); SELECT count(*) AS n FROM w"})
    assert r.structured_content["rows"] == [[4]] and r.structured_content["statements"] == 2
    r = await c.call_tool("sql", {"sql": "INSERT INTO w VALUES (5); INSERT INTO nope VALUES (1)"})
    assert r.is_error and texts(r)[0] == "OperationalError: no such table: nope"
    r = await c.call_tool("sql", {"sql": "SELECT count(*) FROM w"})
    assert r.structured_content["rows"] == [[4]]  # the failed script changed nothing


async def test_blocked_statement_is_sqlblockederror(conn):
    c, _ = conn
    r = await c.call_tool("sql", {"sql": "ATTACH DATABASE 'other.db' AS other"})
    assert r.is_error
    assert r.structured_content is None
    assert texts(r)[0].startswith("SQLBlockedError: ATTACH is not allowed")
    assert "Instead:" in texts(r)[0]


async def test_cell_timeout_is_an_error_result_and_the_next_call_works(conn):
    c, _ = conn
    start = time.monotonic()
    r = await c.call_tool("run_python", {"code": "while True:\n    pass", "timeout": 1})
    took = time.monotonic() - start
    assert r.is_error
    assert facts(r)["ename"] == "CellTimeoutError"
    assert "ran longer than its 1 s limit" in "\n".join(texts(r))
    assert took < 1 + 10 + 5  # the limit, the client's grace period, start-up slack
    r = await c.call_tool("run_python", {"code": "'alive'"})
    assert texts(r)[0] == "'alive'"


async def test_ten_megabytes_of_output_keep_the_protocol_intact(conn):
    c, _ = conn
    r = await c.call_tool("run_python", {"code": "print('x' * 10_000_000)"})
    assert not r.is_error
    assert facts(r)["truncated_output"] is True
    body = "".join(texts(r)[:-1])
    assert "output truncated at" in body
    assert len(body) < 60_000  # --max-output 50,000 plus the marker and the facts
    r = await c.call_tool("run_python", {"code": "import os; os.write(1, b'fd1 ' * 100_000); 'ok'"})
    assert texts(r)[-2] == "'ok'"
    r = await c.call_tool("sql", {"sql": "SELECT 1 AS one"})
    assert r.structured_content["rows"] == [[1]]


async def test_describe_tables_and_schema_resource(conn):
    c, _ = conn
    code = "helpers.db.batch_insert('trials', [{'id': 1, 'phase': 'III'}])"
    await c.call_tool("run_python", {"code": code})
    d = texts(await c.call_tool("describe", {}))[0]
    assert d.startswith("# Code Mode helpers") and "`trials` (1 row)" in d
    t = await c.call_tool("tables", {})
    found = {x["name"]: x for x in t.structured_content["tables"]}
    assert found["trials"]["row_count"] == 1
    assert [col["name"] for col in found["trials"]["columns"]] == ["id", "phase"]
    docs = await c.read_resource("codemode://docs")
    assert docs.contents[0].text.startswith("# Code Mode helpers")
    schema = await c.read_resource("codemode://schema")
    assert "- `trials` (1 rows): id INTEGER, phase TEXT" in schema.contents[0].text


async def test_interrupt_stops_a_running_cell(conn):
    import anyio

    c, _ = conn
    result: dict = {}

    async def run() -> None:
        result["r"] = await c.call_tool("run_python", {"code": "import time\ntime.sleep(30)"})

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await anyio.sleep(1.5)
        r = await c.call_tool("interrupt", {})
        assert texts(r) == ["Interrupt sent to the kernel."]
    assert result["r"].is_error and facts(result["r"])["ename"] == "KeyboardInterrupt"


async def test_reset_session_needs_confirmation_then_empties_everything(conn):
    c, data = conn
    code = "marker = 1; helpers.db.batch_insert('gone', [{'a': 1}])"
    await c.call_tool("run_python", {"code": code})
    r = await c.call_tool("reset_session", {})
    assert r.is_error and texts(r)[0].startswith("ConfirmationRequired:")
    listed = (await c.call_tool("tables", {})).structured_content["tables"]
    assert "gone" in {t["name"] for t in listed}
    r = await c.call_tool("reset_session", {"confirm": True})
    assert not r.is_error and "reset" in texts(r)[0]
    assert (await c.call_tool("tables", {})).structured_content["tables"] == []
    r = await c.call_tool("run_python", {"code": "marker"})
    assert facts(r)["ename"] == "NameError"
    (db,) = [data / d / "session.db" for d in session_dirs(data)]
    with sqlite3.connect(db) as con:
        names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "gone" not in names


async def test_a_cancelled_call_interrupts_its_cell(conn):
    from mcp.shared.exceptions import MCPError

    c, _ = conn
    with pytest.raises(MCPError, match="timed out"):
        await c.call_tool(
            "run_python", {"code": "import time\ntime.sleep(60)"}, read_timeout_seconds=1.5
        )
    start = time.monotonic()
    r = await c.call_tool("run_python", {"code": "'next'"})
    assert texts(r)[0] == "'next'"
    assert time.monotonic() - start < 20  # the sleep was stopped, not waited out


async def test_the_tools_work_after_the_user_rebinds_helpers(conn):
    c, _ = conn
    await c.call_tool("run_python", {"code": "helpers = 'not the helpers'"})
    try:
        r = await c.call_tool("sql", {"sql": "SELECT 2 AS two"})
        assert r.structured_content["rows"] == [[2]]
        assert not (await c.call_tool("tables", {})).is_error
        assert texts(await c.call_tool("describe", {}))[0].startswith("# Code Mode helpers")
    finally:
        await c.call_tool("run_python", {"code": "helpers = get_ipython().codemode_helpers"})


async def test_sql_goes_through_helpers_db_and_its_log(conn):
    c, _ = conn
    marker = "SELECT 'logged-by-the-sql-tool' AS m"
    assert not (await c.call_tool("sql", {"sql": marker})).is_error
    await c.call_tool("sql", {"sql": "PRAGMA table_info(w)"})
    code = "print([(r.kind, r.sql) for r in helpers.db.logs(2).itertuples()])"
    log = texts(await c.call_tool("run_python", {"code": code}))[0]
    assert log == f"[('exec', 'PRAGMA table_info(w)'), ('query', \"{marker}\")]\n"
    code = "print(helpers.db.logs(1)['error'].iloc[0])"
    error = texts(await c.call_tool("run_python", {"code": code}))[0]
    assert error.startswith("SQLBlockedError: PRAGMA is not allowed")


async def test_html_reaches_the_model_as_text(conn):
    c, _ = conn
    code = (
        "from IPython.display import HTML, display\ndisplay(HTML('<h3>Top</h3><p>a <b>b</b></p>'))"
    )
    r = await c.call_tool("run_python", {"code": code})
    assert texts(r)[0] == "Top\na b"


async def test_a_figure_displayed_and_returned_is_sent_once(conn):
    c, _ = conn
    code = (
        "import matplotlib.pyplot as plt\nfrom IPython.display import display\n"
        "fig = plt.figure(figsize=(3, 2), dpi=100); plt.plot([1, 2]); display(fig); fig"
    )
    r = await c.call_tool("run_python", {"code": code})
    assert not r.is_error, texts(r)
    assert [b.type for b in r.content].count("image") == 1


async def test_the_tools_work_after_the_user_shadows_import(conn):
    c, _ = conn
    await c.call_tool("run_python", {"code": "__import__ = None"})
    try:
        r = await c.call_tool("sql", {"sql": "SELECT 3 AS three"})
        assert r.structured_content["rows"] == [[3]], texts(r)
        assert not (await c.call_tool("tables", {})).is_error
        assert texts(await c.call_tool("describe", {}))[0].startswith("# Code Mode helpers")
    finally:
        await c.call_tool("run_python", {"code": "del __import__"})
