"""helpers.mcp through real kernels and real MCP servers (issue 21).

The servers are tests/fixtures/mcp_trials_server.py, started by the kernel
through the official ``mcp`` SDK's stdio client (and one over Streamable HTTP).
Their records are deterministic, so expected rows are computed here from the
fixture's own record functions and compared with what SQLite returns.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kernels import KernelHandle

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "fixtures" / "mcp_trials_server.py"
sys.path.insert(0, str(SERVER.parent))
import mcp_trials_server as fixture  # noqa: E402

SIZE = 500


def server(source: str, size: int = SIZE) -> dict:
    return {
        "command": sys.executable,
        "args": [str(SERVER), "--source", source, "--size", str(size)],
    }


def config(tmp_path: Path, servers: dict, name: str = "mcp.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def start(tmp_path: Path, servers: dict, **env: str) -> KernelHandle:
    return KernelHandle(
        "codemode",
        {
            "CODEMODE_DATA_DIR": str(tmp_path / "sessions"),
            "CODEMODE_MCP_CONFIG": str(config(tmp_path, servers)),
            **env,
        },
    )


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mcp")
    handle = start(tmp, {"trials": server("trials"), "pubs": server("pubs")})
    yield handle
    handle.shutdown()


def rows(k: KernelHandle, sql: str) -> list[list]:
    """A query's rows as lists, NULL as None."""
    return k.value(
        f"helpers.db.query({sql!r}).astype(object).pipe(lambda d: d.where(d.notna(), None))"
        ".values.tolist()"
    )


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie (read from /proc, no extra deps)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


# -- discovery ------------------------------------------------------------------------------


def test_servers_and_tools_are_listed(k):
    assert k.value("helpers.mcp.servers()") == ["trials", "pubs"]
    assert k.value("dir(helpers.mcp.trials)") == [
        "advanced_search",
        "count_by",
        "expired",
        "export_json",
        "fail",
        "logo",
        "lookup_by_id",
        "request_header",
        "search",
        "server_info",
        "sleep",
        "summary",
    ]
    # the raw MCP name reaches the same function
    assert k.value("getattr(helpers.mcp.trials, 'lookup-by-id') is helpers.mcp.trials.lookup_by_id")
    assert k.value("helpers.mcp['pubs']['lookup-by-id'].mcp_tool.name") == "lookup-by-id"
    shown = k.ok("helpers.mcp").results[0]["text/plain"]
    assert shown.startswith("<helpers.mcp: trials (stdio, running), pubs (stdio, ")


def test_signature_and_docstring_are_generated(k):
    k.ok("import inspect")
    assert k.value("str(inspect.signature(helpers.mcp.trials.search))") == (
        "(*, query: str = '', page_size: int = 100, cursor: str | None = None,"
        " timeout: float | None = None)"
    )
    assert k.value("str(inspect.signature(helpers.mcp.trials.advanced_search))") == (
        "(filters: dict, *, limit: int = 10, timeout: float | None = None)"
    )
    doc = k.value("helpers.mcp.trials.search.__doc__")
    assert doc.startswith(
        "Search records whose title contains the query (case-insensitive), one page at a"
        " time.\n\nPass the returned next_cursor as cursor to get the next page.\n\n"
        "Arguments (MCP tool 'search' on server 'trials'):\n"
        "    query (str, default '')\n"
        "    page_size (int, default 100)\n"
        "    cursor (str | None, default None)\n"
    )
    assert "Returns:\n    dict (the tool's structured content) with keys items, next_cursor," in doc
    help_text = k.ok("help(helpers.mcp.pubs.count_by)").stdout
    assert "count_by(field: Literal['condition', 'phase', 'status', 'journal']" in help_text


def test_tab_completion_lists_servers_and_tools(k):
    k.ok("helpers.mcp.trials")  # started: completion must not wait for a server
    for code, want in [
        ("helpers.mcp.tr", "trials"),
        ("helpers.mcp.trials.sea", "search"),
        ("helpers.mcp.trials.lookup", "lookup_by_id"),
    ]:
        msg_id = k.kc.complete(code, len(code))
        reply = k.kc.get_shell_msg(timeout=30)
        assert reply["parent_header"]["msg_id"] == msg_id
        content = reply["content"]
        assert content["matches"] == [want]
        assert code[content["cursor_start"] :] == code.rsplit(".", 1)[1]


def test_docs_list_every_tool_with_its_arguments(k):
    text = k.value("str(helpers.docs())")
    assert "## helpers.mcp: MCP tools as functions" in text
    assert (
        "- `helpers.mcp.trials.lookup_by_id(id: str, *, timeout: float | None = None)`:"
        " Look up one record by its id." in text
    )
    assert "- `helpers.mcp.pubs.sleep(seconds: float, *, timeout: float | None = None)`" in text


# -- validation and results ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "helpers.mcp.trials.search(page_size='ten')",
            "trials.search(): argument 'page_size': 'ten' is not of type 'integer'; the schema"
            ' wants {"type": "integer"}.',
        ),
        (
            "helpers.mcp.trials.count_by('site')",
            "trials.count_by(): argument 'field': 'site' is not one of ['condition', 'phase',"
            " 'status', 'journal'];",
        ),
        (
            "helpers.mcp.trials.advanced_search({'conditions': ['asthma'], 'years': {'start': 1}})",
            "trials.advanced_search(): argument \"filters['years']\": 'end' is a required"
            " property;",
        ),
        (
            "helpers.mcp.trials.lookup_by_id()",
            "trials.lookup_by_id(): missing a required argument: 'id'. Its arguments: id.",
        ),
    ],
)
def test_a_bad_argument_raises_tool_argument_error_before_the_call(k, call, message):
    cell = k.run(call)
    assert cell.ename == "ToolArgumentError"
    assert cell.evalue.startswith(message), cell.evalue


def test_structured_content_is_returned_as_given(k):
    page = k.value("helpers.mcp.trials.search(query='asthma', page_size=3)")
    expected = [fixture.trial(i) for i in range(SIZE) if "asthma" in fixture.trial(i)["title"]]
    assert page == {"items": expected[:3], "next_cursor": "13", "total": SIZE}
    assert k.value("helpers.mcp.pubs.count_by('journal')") == {
        j: SIZE // 4 for j in fixture.JOURNALS
    }


def test_json_text_is_parsed_and_other_text_stays_text(k):
    assert k.value("helpers.mcp.trials.export_json(limit=2)") == [
        fixture.trial(0),
        fixture.trial(1),
    ]
    assert k.value("helpers.mcp.trials.lookup_by_id('NCT00042')") == fixture.trial(42)
    assert k.value("helpers.mcp.pubs.summary(id='PMID000007')") == (
        "PMID000007: Outcomes in diabetes: report 7 (2012)"
    )


def test_an_image_displays(k):
    cell = k.ok("helpers.mcp.trials.logo()")
    bundle = cell.results[0]
    assert bundle["image/png"] == base64.b64encode(fixture.PNG).decode()
    assert bundle["text/plain"] == "<ToolContent from trials.logo: image/png>"
    assert k.value("helpers.mcp.trials.logo().content[0].mime_type") == "image/png"


def test_an_error_result_raises_tool_error(k):
    cell = k.run("helpers.mcp.pubs.fail(message='registry offline')")
    assert cell.ename == "ToolError"
    assert cell.evalue == "pubs.fail: Error executing tool fail: registry offline"
    cell = k.run("helpers.mcp.trials.lookup_by_id('NCT99999')")
    assert cell.ename == "ToolError"
    assert cell.evalue == (
        "trials.lookup_by_id: Error executing tool lookup-by-id: no trials record with id"
        " 'NCT99999'"
    )
    cell = k.run("helpers.mcp.trials.expired('abc')")
    assert cell.ename == "ToolError"
    assert cell.evalue == "trials.expired: cursor 'abc' has expired (JSON-RPC error -32602)"
    # the kernel and the server go on
    assert k.value("helpers.mcp.pubs.summary('PMID000001')").startswith("PMID000001:")


def test_top_level_await(k):
    assert k.value("await helpers.mcp.aio.trials.lookup_by_id(id='NCT00005')") == fixture.trial(5)
    cell = k.run("await helpers.mcp.aio.trials.search(page_size=0)")
    assert cell.ename == "ToolError"
    assert "page_size must be between 1 and 5000" in cell.evalue


# -- staging ----------------------------------------------------------------------------------


def test_a_list_of_records_goes_straight_into_batch_insert(k):
    n = k.value('helpers.db.batch_insert("exported", helpers.mcp.trials.export_json(limit=40))')
    assert n == 40
    got = rows(
        k,
        "SELECT id, sites->>'$[0].country' AS first_country, json_array_length(sites) AS n"
        " FROM exported ORDER BY id",
    )
    expected = [fixture.trial(i) for i in range(40)]
    assert got == [
        [t["id"], t["sites"][0]["country"] if t["sites"] else None, len(t["sites"])]
        for t in expected
    ]


def test_paginate_and_join_two_servers_in_one_query(k):
    """The seed's multi-server example: stage both sources, join them in SQL."""
    k.ok(
        'helpers.db.batch_insert("trials", helpers.mcp.paginate(helpers.mcp.trials.search,'
        " page_size=64))\n"
        'helpers.db.batch_insert("pubs", helpers.mcp.paginate("pubs.search", page_size=100))'
    )
    sql = (
        "SELECT t.condition, t.phase, count(*) AS pubs, count(DISTINCT t.id) AS trials"
        " FROM pubs p JOIN trials t ON t.id = p.trial_id"
        " WHERE t.status = 'COMPLETED' GROUP BY t.condition, t.phase"
        " ORDER BY pubs DESC, t.condition, t.phase LIMIT 10"
    )
    got = rows(k, sql)
    # the same question asked of plain sqlite3 with the fixture's own records
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE trials (id, condition, phase, status)")
    trials = [fixture.trial(i) for i in range(SIZE)]
    con.execute("CREATE TABLE pubs (id, trial_id)")
    con.executemany(
        "INSERT INTO trials VALUES (?, ?, ?, ?)",
        [(t["id"], t["condition"], t["phase"], t["status"]) for t in trials],
    )
    pubs = [fixture.publication(i, SIZE) for i in range(SIZE)]
    con.executemany("INSERT INTO pubs VALUES (?, ?)", [(p["id"], p["trial_id"]) for p in pubs])
    assert got == [list(r) for r in con.execute(sql)]
    assert len(got) == 10
    assert k.value('int(helpers.db.query("SELECT count(*) FROM pubs").iloc[0, 0])') == SIZE


def test_paginate_refuses_a_tool_whose_pages_have_no_items(k):
    cell = k.run("list(helpers.mcp.paginate(helpers.mcp.trials.count_by, field='phase'))")
    assert cell.ename == "ToolError"
    assert cell.evalue == (
        "paginate(trials.count_by): a page must be a dict with a list under 'items' (pass"
        " items=...); got ['PHASE1', 'PHASE2', 'PHASE3', 'PHASE4']"
    )
    cell = k.run("helpers.mcp.paginate(print)")
    assert cell.ename == "TypeError"


def test_the_server_start_is_logged(k):
    k.ok("helpers.mcp.pubs")
    starts = k.value(
        "helpers.db.logs(1000).query('kind == \"mcp\"')['sql']"
        ".loc[lambda s: s.str.endswith('tools/list')].tolist()"
    )
    assert starts.count("pubs.tools/list") == 1  # once, however often it is used


def test_calls_are_logged_with_kind_mcp(k):
    k.run("helpers.mcp.pubs.fail(message='logged failure')")
    k.ok("helpers.mcp.pubs.summary('PMID000002')")
    logged = k.value(
        "helpers.db.logs(5).query('kind == \"mcp\"')[['sql', 'error', 'elapsed_ms']]"
        ".head(2).astype(object).pipe(lambda d: d.where(d.notna(), None)).values.tolist()"
    )
    (ok_sql, ok_err, ok_ms), (bad_sql, bad_err, bad_ms) = logged
    assert ok_sql == 'pubs.summary {"id": "PMID000002"}' and ok_err is None and ok_ms > 0
    assert bad_sql == 'pubs.fail {"message": "logged failure"}' and bad_ms > 0
    assert bad_err == "ToolError: pubs.fail: Error executing tool fail: logged failure"


# -- limits and lifecycle ------------------------------------------------------------------------


def test_a_hung_call_is_stopped_by_the_cell_timeout_and_the_next_call_works(k):
    k.ok("helpers.mcp.trials")  # started (a start under load can take more than 1 s)
    start = time.monotonic()
    cell = k.run("%%timeout 1\nhelpers.mcp.trials.sleep(60)")
    elapsed = time.monotonic() - start
    assert cell.ename == "CellTimeoutError"
    assert elapsed < 6, elapsed  # 1 s limit + margin, not 60 s
    assert k.value("helpers.mcp.trials.lookup_by_id('NCT00001')") == fixture.trial(1)
    log = k.value("helpers.db.logs(20).query('kind == \"mcp\"')['error'].dropna().tolist()")
    assert any(e.startswith("CellTimeoutError: the cell ran longer than its 1 s") for e in log)
    # the same in a top-level-await cell
    cell = k.run("%%timeout 1\nawait helpers.mcp.aio.trials.sleep(60)")
    assert cell.ename == "CellTimeoutError"
    assert k.value("helpers.mcp.trials.summary('NCT00002')").startswith("NCT00002:")


def test_the_interrupt_button_stops_a_waiting_call(k):
    msg = k.kc.session.msg(
        "execute_request",
        {"code": "helpers.mcp.trials.sleep(60)", "silent": False, "store_history": False},
    )
    k.kc.shell_channel.send(msg)
    time.sleep(1.5)  # the call is waiting on the server
    k.km.interrupt_kernel()
    cell = k.collect(msg["header"]["msg_id"], 10)
    assert cell.ename == "KeyboardInterrupt"
    assert k.value("helpers.mcp.trials.summary('NCT00003')").startswith("NCT00003:")


def test_a_per_call_timeout(k):
    cell = k.run("helpers.mcp.pubs.sleep(30, timeout=0.5)")
    assert cell.ename == "ToolTimeoutError"
    assert cell.evalue == (
        "pubs.sleep: no answer within its timeout=0.5 s; the call was cancelled (the server"
        " stays up)."
    )
    assert k.value("helpers.mcp.pubs.sleep(0.01, timeout=5)") == {"result": "slept 0.01 s"}


def test_a_killed_server_is_restarted_on_the_next_call(k):
    before = k.value("helpers.mcp.pubs.server_info()")
    os.kill(before["pid"], signal.SIGKILL)
    assert wait_gone([before["pid"]], 5) == []
    after = k.value("helpers.mcp.pubs.server_info()")
    assert after["name"] == "pubs" and after["pid"] != before["pid"]
    assert k.value("helpers.mcp.pubs.lookup_by_id('PMID000003')") == fixture.publication(3, SIZE)


def group(pgid: int) -> list[int]:
    """Pids of the live processes in process group ``pgid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(entry.name))
    return pids


@pytest.mark.slow
@pytest.mark.parametrize("how", ["shutdown", "restart", "sigkill"])
def test_no_server_outlives_its_kernel(tmp_path, how):
    # "wrapped" is a server behind a shell that also starts a child which never
    # exits on its own, as npx/uvx wrappers leave grandchildren behind.
    wrapped = server("pubs")
    wrapped = {
        "command": "/bin/sh",
        "args": ["-c", 'sleep 300 & exec "$0" "$@"', wrapped["command"], *wrapped["args"]],
    }
    kern = start(tmp_path, {"trials": server("trials"), "wrapped": wrapped})
    try:
        infos = [kern.value(f"helpers.mcp.{s}.server_info()") for s in ("trials", "wrapped")]
        # each pid watcher leads its own process group: the server, and for "wrapped" the sleep
        groups = {i["ppid"]: group(i["ppid"]) for i in infos}
        assert [len(g) for g in groups.values()] == [2, 3], groups
        pids = [p for g in groups.values() for p in g]
        if how == "shutdown":
            kern.shutdown()
        elif how == "restart":
            kern.km.restart_kernel(now=False)
        else:
            os.kill(kern.km.provisioner.process.pid, signal.SIGKILL)
        # shutdown/restart close stdin (the SDK's stop); SIGKILL leaves it to the watcher's
        # pid watch (0.5 s polls) and to the servers' own stdin EOF
        left = wait_gone(pids, 10)
        assert left == [], [Path(f"/proc/{p}/cmdline").read_bytes() for p in left]
    finally:
        kern.shutdown(now=True)


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_bad_config_warns_once_and_the_rest_of_helpers_works(tmp_path):
    kern = start(
        tmp_path,
        {"broken": {"command": ["python", "x.py"]}, "trials": server("trials")},
    )
    try:
        first = kern.ok("helpers.mcp.servers()")
        path = tmp_path / "mcp.json"
        assert first.stderr == (
            f"codemode: MCP config {path}: server 'broken': 'command' must be a non-empty"
            " string, got ['python', 'x.py']; skipped it.\n"
        )
        assert first.text == "['trials']"
        again = kern.ok("helpers.mcp; helpers.mcp.trials.summary('NCT00001')")
        assert again.stderr == ""  # once
        assert kern.value('helpers.db.batch_insert("t", [{"a": 1}])') == 1
    finally:
        kern.shutdown()


@pytest.mark.slow
def test_a_server_that_cannot_start_raises_tool_error_with_its_stderr(tmp_path):
    broken = {"command": sys.executable, "args": ["-c", "import sys; sys.exit('no API key')"]}
    kern = start(tmp_path, {"broken": broken})
    try:
        cell = kern.run("helpers.mcp.broken")
        assert cell.ename == "ToolError"
        assert cell.evalue.startswith(f"MCP server 'broken' ({sys.executable} -c import sys;")
        assert cell.evalue.endswith("Its stderr ends with:\nno API key")
        assert kern.value("1 + 1") == 2
    finally:
        kern.shutdown()


def test_no_config_says_how_to_add_one(tmp_path):
    kern = KernelHandle(
        "codemode",
        {
            "CODEMODE_DATA_DIR": str(tmp_path / "sessions"),
            "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        },
    )
    try:
        assert kern.ok("helpers.mcp").text.startswith(
            "<helpers.mcp: No MCP servers configured. Put them in a JSON file"
        )
        cell = kern.run("helpers.mcp.trials")
        assert cell.ename == "AttributeError"
        assert cell.evalue.startswith("helpers.mcp has no server 'trials'; servers: none (")
        # the default path is used when it exists
        default = tmp_path / "jupyter-config" / "codemode" / "mcp.json"
        default.parent.mkdir(parents=True)
        default.write_text(json.dumps({"mcpServers": {"trials": server("trials")}}))
        kern.km.restart_kernel(now=False)
        kern.kc.wait_for_ready(timeout=60)
        assert kern.value("helpers.mcp.servers()") == ["trials"]
    finally:
        kern.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_streamable_http_server(tmp_path):
    port = _free_port()

    def serve() -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--source", "pubs", "--size", "50", "--http", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return proc
            time.sleep(0.2)
        raise AssertionError("the HTTP fixture server did not listen within 30 s")

    proc = serve()
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        kern = start(tmp_path, {"pubs": {"url": url, "headers": {"X-Client": "codemode"}}})
        try:
            assert kern.value("helpers.mcp.pubs.lookup_by_id('PMID000004')") == (
                fixture.publication(4, 50)
            )
            assert kern.ok("helpers.mcp").text.startswith("<helpers.mcp: pubs (http, running)")
            assert kern.value("helpers.mcp.pubs.request_header('X-Client')") == {
                "result": "codemode"
            }
            # the server goes away: a clear error, then it comes back: the next call reconnects
            proc.terminate()
            proc.wait(10)
            cell = kern.run("helpers.mcp.pubs.summary('PMID000001')")
            assert cell.ename == "ToolError"
            assert cell.evalue.startswith(
                f"MCP server 'pubs' ({url}) could not start: ConnectError:"
            )
            proc = serve()
            assert kern.value("helpers.mcp.pubs.summary('PMID000001')").startswith("PMID000001:")
        finally:
            kern.shutdown()
    finally:
        proc.terminate()
        proc.wait(10)


PEAK_MB = "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024"  # Linux: KiB -> MiB
#: The resident memory now (the peak above can already be higher than anything measured).
NOW_MB = "int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20"


@pytest.mark.slow
def test_paginate_streams_50000_records_into_batch_insert_in_bounded_memory(tmp_path):
    """Peak RSS of the kernel: streaming 50,000 records grows it no more than streaming
    10,000 did (plus a margin), and far less than holding the records in a list."""
    kern = start(tmp_path, {"trials": server("trials", 50_000)})
    try:
        kern.ok(
            "import itertools, resource\n"
            "search = helpers.mcp.trials.search\n"
            # warm up every code path (imports, the first page, the table) before measuring
            'helpers.db.batch_insert("warm", search(page_size=1000)["items"])\n'
            f"base = {PEAK_MB}\n"
            'n10 = helpers.db.batch_insert("t10", itertools.islice('
            "helpers.mcp.paginate(search, page_size=1000), 10_000))\n"
            f"p10 = {PEAK_MB}\n"
            'n50 = helpers.db.batch_insert("t50", helpers.mcp.paginate(search, page_size=1000))\n'
            f"p50 = {PEAK_MB}\n"
            f"now50 = {NOW_MB}\n"
            "held = list(helpers.mcp.paginate(search, page_size=1000))\n"
            'n_list = helpers.db.batch_insert("t_list", held)\n'
            f"p_list = {PEAK_MB}\n"
            f"now_list = {NOW_MB}\n"
            "del held"
        )
        n10, n50, n_list = kern.value("(n10, n50, n_list)")
        assert (n10, n50, n_list) == (10_000, 50_000, 50_000)
        base, p10, p50, p_list = kern.value("(base, p10, p50, p_list)")
        now50, now_list = kern.value("(now50, now_list)")
        stream_growth, list_growth = p50 - base, p_list - p50
        # The peak may already stand above both (an earlier spike of this kernel);
        # what a held list costs then shows in the resident memory while it is held.
        list_growth = max(list_growth, now_list - now50)
        print(
            f"paginate -> batch_insert of 50,000 records: peak RSS +{stream_growth:.1f} MB"
            f" (10,000 records: +{p10 - base:.1f} MB); a list of the same records then"
            f" batch_insert: a further +{list_growth:.1f} MB"
        )
        assert p50 - p10 < 16, (base, p10, p50)  # 5x the records, about the same peak
        assert stream_growth < list_growth, (base, p50, p_list)
        last = fixture.trial(49_999)
        row = rows(kern, "SELECT id, sites->>'$[0].city' FROM t50 ORDER BY id DESC LIMIT 1")
        assert row == [[last["id"], last["sites"][0]["city"] if last["sites"] else None]]
    finally:
        kern.shutdown()
