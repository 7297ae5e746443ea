"""Issue 6: cell timeouts through real kernels (1 s limits; no timing assertions)."""

from __future__ import annotations

import time

import pytest
from kernels import KernelHandle

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

CASES = {
    "busy_loop": "while True:\n    pass",
    "sleep": "import time\ntime.sleep(30)",
    "db_runaway_cte": f"helpers.db.query({RUNAWAY!r})",
    "raw_sqlite_runaway_cte": (
        f"import sqlite3\nraw = sqlite3.connect(':memory:')\nraw.execute({RUNAWAY!r}).fetchall()"
    ),
    "event_wait": "import threading\nthreading.Event().wait(30)",
    "top_level_await": "import asyncio\nawait asyncio.sleep(30)",
    "await_busy": "import asyncio\nawait asyncio.sleep(0)\nwhile True:\n    pass",
}


@pytest.fixture(scope="module")
def k1(tmp_path_factory) -> KernelHandle:
    """One kernel with a 1 s cell timeout for the whole module."""
    data = tmp_path_factory.mktemp("timeouts")
    k = KernelHandle("codemode", {"CODEMODE_DATA_DIR": str(data), "CODEMODE_CELL_TIMEOUT": "1"})
    k.ok("keep = 41 + 1")
    k.ok("helpers.db.create_table('t', 'id INTEGER PRIMARY KEY, v TEXT')")
    k.ok("helpers.db.batch_insert('t', [{'id': i, 'v': str(i)} for i in range(5)])")
    yield k
    k.shutdown()


def assert_timeout(cell, limit: str = "1 s") -> None:
    assert cell.status == "error"
    assert cell.ename == "CellTimeoutError", (cell.ename, cell.evalue, cell.traceback)
    assert f"{limit} limit" in cell.evalue and "%timeout" in cell.evalue
    lines = [ln for ln in cell.traceback.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("CellTimeoutError:"), cell.traceback
    errors = [m for m in cell.messages if m["msg_type"] == "error"]
    assert [m["content"]["ename"] for m in errors] == ["CellTimeoutError"]


def assert_intact(k: KernelHandle) -> None:
    assert k.value("keep") == 42
    assert k.value("int(helpers.db.query('SELECT count(*) AS n FROM t')['n'][0])") == 5
    assert k.value("helpers.db.tables()") == ["t"]


@pytest.mark.parametrize("case", list(CASES))
def test_timeout_cases(k1, case):
    assert_timeout(k1.run(CASES[case], timeout=30))
    assert_intact(k1)


def test_raw_connection_still_usable_after_timeout(k1):
    k1.run(CASES["raw_sqlite_runaway_cte"], timeout=30)
    assert k1.value("raw.execute('SELECT 1 + 1').fetchone()[0]") == 2


def test_interrupt_button_is_keyboard_interrupt(start_kernel):
    k = start_kernel(env={"CODEMODE_CELL_TIMEOUT": "30"})
    for code in ("import time\ntime.sleep(20)", "import asyncio\nawait asyncio.sleep(20)"):
        msg_id = k.kc.execute(code)
        time.sleep(0.5)
        k.km.interrupt_kernel()
        cell = k.collect(msg_id, 30)
        assert cell.status == "error" and cell.ename == "KeyboardInterrupt", cell.ename
        assert k.ok("1 + 1").text == "2"


def test_swallowed_interrupt_is_interrupted_again(k1):
    code = (
        "import time\nswallowed = 0\n"
        "for _ in range(3):\n"
        "    try:\n        time.sleep(30)\n"
        "    except BaseException:\n        swallowed += 1\n"
        "print('swallowed', swallowed)"
    )
    cell = k1.run(code, timeout=30)
    assert "swallowed 3" in cell.stdout  # refired: each sleep was interrupted
    assert_timeout(cell)  # ended "ok", reported as timed out
    assert_intact(k1)


def test_swallow_then_raise_other_error_still_reports_timeout(k1):
    code = "import time\ntry:\n    time.sleep(30)\nexcept BaseException:\n    raise ValueError('x')"
    cell = k1.run(code, timeout=30)
    assert cell.ename == "CellTimeoutError"
    assert [m["content"]["ename"] for m in cell.messages if m["msg_type"] == "error"] == [
        "ValueError",
        "CellTimeoutError",
    ]


def test_metadata_timeout_per_execution(start_kernel):
    k = start_kernel(env={"CODEMODE_CELL_TIMEOUT": "0"})
    cell = k.run("import time\ntime.sleep(30)", metadata={"codemode": {"timeout": 1}}, timeout=30)
    assert_timeout(cell)
    assert "metadata" in cell.evalue
    # The next execution without metadata has no limit again (0 = off).
    assert k.ok("import time\ntime.sleep(1.3)\n'done'").text == "'done'"
    bad = k.run("1", metadata={"codemode": {"timeout": "soon"}})
    assert bad.status == "ok" and "ignored metadata" in bad.stderr


def test_timeout_magics(start_kernel):
    k = start_kernel(env={"CODEMODE_CELL_TIMEOUT": "0"})
    assert "off" in k.ok("%timeout").stdout
    cell = k.run("%%timeout 1\nimport time\nx = 1\ntime.sleep(30)", timeout=30)
    assert_timeout(cell)
    assert "%%timeout" in cell.evalue
    assert k.value("x") == 1  # the cell body ran (the magic line was only a limit)
    # %%timeout applies to that cell only.
    assert k.ok("import time\ntime.sleep(1.3)\n'slow ok'").text == "'slow ok'"
    k.ok("%timeout 1")
    assert "1 s" in k.ok("%timeout").stdout
    assert_timeout(k.run("import time\ntime.sleep(30)", timeout=30))
    # A cell's %%timeout raises the kernel limit for that cell.
    assert k.ok("%%timeout 5\nimport time\ntime.sleep(1.3)\n'raised'").text == "'raised'"
    k.ok("%timeout 0")
    assert k.ok("import time\ntime.sleep(1.3)\n'off'").text == "'off'"
    assert k.run("%timeout soon").ename == "UsageError"
    assert k.run("%%timeout -3\n1").ename == "UsageError"


def test_no_stale_watchdog_hits_next_cell(start_kernel):
    """Cells that end right around a 50 ms deadline, each followed by a cell
    without a limit: a late signal from the first must never hit the second."""
    k = start_kernel(env={"CODEMODE_CELL_TIMEOUT": "0"})
    k.ok("import time, random\nn = 0")
    short = {"codemode": {"timeout": 0.05}}
    outcomes = {"ok": 0, "CellTimeoutError": 0}
    for _ in range(200):
        cell = k.run("time.sleep(random.uniform(0.035, 0.065))", metadata=short)
        key = "ok" if cell.status == "ok" else cell.ename
        assert key in outcomes, (cell.ename, cell.evalue, cell.traceback)
        outcomes[key] += 1
        after = k.run("time.sleep(0.003)\nn += 1")
        assert after.status == "ok", (after.ename, after.evalue)
    assert k.value("n") == 200
    assert outcomes["CellTimeoutError"] > 0 and outcomes["ok"] > 0, outcomes


def test_interrupt_button_stops_a_running_helpers_db_statement(start_kernel):
    """Found in review: the button used to wait for query_timeout inside helpers.db."""
    k = start_kernel(env={"CODEMODE_QUERY_TIMEOUT": "120", "CODEMODE_CELL_TIMEOUT": "0"})
    msg_id = k.kc.execute(
        "helpers.db.query('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"
        " SELECT max(n) FROM r')"
    )
    time.sleep(1.0)
    k.km.interrupt_kernel()
    cell = k.collect(msg_id, timeout=60)
    # Run to its end it would be QueryTimeoutError (after 120 s); stopped, it is the button's.
    assert cell.status == "error" and cell.ename == "KeyboardInterrupt"
    assert (
        k.ok("helpers.db.query('SELECT 1 AS one')").results[-1]["text/plain"].startswith("   one")
    )
