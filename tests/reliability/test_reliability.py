"""Issue 9: crashes lose nothing, sessions never leak, bad input gets a clear error.

Run alone with ``pytest -m reliability``. The terminal summary prints one
line such as ``reliability: 20/20 crash ok, 0 leaks, 31/31 bad inputs typed,
5/5 runaway stopped`` (see ``report`` in conftest.py).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from kernels import KernelHandle

from codemode_kernel._store import SessionStore

pytestmark = pytest.mark.reliability

REPORT: dict[str, list[bool]] = {"crash": [], "leaks": [], "bad": [], "runaway": []}

BATCH_ROWS = 1_000_000
BEFORE_ROWS = 10


def kill(k: KernelHandle) -> None:
    """SIGKILL, as nbval and a crashing machine do: nothing runs afterwards."""
    os.kill(k.km.provisioner.process.pid, signal.SIGKILL)
    k.km.provisioner.process.wait()
    k.kc.stop_channels()


def raw_check(db_path: Path, marker: int) -> int:
    """Open the file with plain sqlite3 (real WAL recovery) and check it."""
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        state = conn.execute("SELECT value FROM _codemode_state WHERE key = 'marker'").fetchone()
        assert json.loads(state[0]) == {"seed": marker}
        conn.execute("SELECT count(*), max(id) FROM _codemode_log").fetchone()
        return conn.execute("SELECT count(*) FROM big").fetchone()[0]
    finally:
        conn.close()


def prepare(start_kernel, sid: str, seed: int) -> KernelHandle:
    k = start_kernel(env={"CODEMODE_SESSION_ID": sid})
    k.ok(
        "helpers.db.create_table('big', 'id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL,"
        " d TEXT')\n"
        f"helpers.db.batch_insert('big', [{{'id': i, 'a': i}} for i in range({BEFORE_ROWS})])\n"
        f"helpers.db.save_state('marker', {{'seed': {seed}}})\n"
        "helpers.db.logs(1)"
    )
    return k


BATCH_CODE = (
    "helpers.db.batch_insert('big', ({'id': 1000 + i, 'a': i, 'b': 'row', 'c': i * 0.5,"
    f" 'd': 'x'}} for i in range({BATCH_ROWS})), progress=False)"
)
SCRIPT_CODE = (
    "helpers.db.exec('''"
    "INSERT INTO big (id, a, b) WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r"
    f" WHERE n < {BATCH_ROWS // 2}) SELECT 1000 + n, n, 'script' FROM r;"
    "UPDATE big SET c = a * 2.0 WHERE b = 'script';"
    "CREATE TABLE side AS SELECT id FROM big WHERE b = 'script';"
    "INSERT INTO big (id, a, b) SELECT id + 10000000, id, 'copy' FROM side;"
    "''')"
)


def crash_cycle(
    start_kernel, data_dir: Path, code: str, full: int, seeds: range, label: str
) -> None:
    # One undisturbed run first: it proves the full write works and times it.
    k = prepare(start_kernel, f"{label}-calibrate", 0)
    t0 = time.perf_counter()
    k.ok(code, timeout=300)
    duration = time.perf_counter() - t0
    assert k.value("helpers.db.query('SELECT count(*) AS n FROM big')['n'][0].item()") == (
        BEFORE_ROWS + full
    )
    k.shutdown()
    store = SessionStore(data_dir)
    for seed in seeds:
        rng = random.Random(seed)
        sid = f"{label}-{seed}"
        k = prepare(start_kernel, sid, seed)
        k.kc.execute(code)
        time.sleep(rng.uniform(0.05, duration * 1.1))
        kill(k)
        try:
            count = raw_check(store.path_for(sid) / "session.db", seed)
            assert count in (BEFORE_ROWS, BEFORE_ROWS + full), count
            k2 = start_kernel(env={"CODEMODE_SESSION_ID": sid})
            assert (
                k2.value("helpers.db.query('SELECT count(*) AS n FROM big')['n'][0].item()")
                == count
            )
            assert k2.value("helpers.db.get_state('marker')") == {"seed": seed}
            k2.ok("helpers.db.exec('INSERT INTO big (id, a) VALUES (-1, -1)')")
            k2.shutdown()
            REPORT["crash"].append(True)
        except Exception:
            REPORT["crash"].append(False)
            raise


def test_crash_during_batch_insert(start_kernel, data_dir):
    crash_cycle(start_kernel, data_dir, BATCH_CODE, BATCH_ROWS, range(1, 21), "batch")


def test_crash_during_exec_script(start_kernel, data_dir):
    # The script changes 3 tables; all or nothing: 'big' gains both inserts or neither.
    crash_cycle(start_kernel, data_dir, SCRIPT_CODE, BATCH_ROWS, range(101, 121), "script")


# --- isolation ----------------------------------------------------------------------


def test_eight_kernels_are_isolated(start_kernel):
    kernels = [start_kernel(env={"CODEMODE_SESSION_ID": f"iso-{i}"}) for i in range(8)]
    for i, k in enumerate(kernels):
        k.ok(
            f"helpers.db.batch_insert('shared_name',"
            f" [{{'owner': {i}, 'n': n}} for n in range({i + 1})])\n"
            f"helpers.db.create_table('only_{i}', 'x INTEGER')"
        )
    for i, k in enumerate(kernels):
        rows = k.value(
            "helpers.db.query('SELECT DISTINCT owner FROM shared_name')['owner'].tolist()"
        )
        assert rows == [i]
        assert (
            k.value("helpers.db.query('SELECT count(*) AS c FROM shared_name')['c'][0].item()")
            == i + 1
        )
        assert k.value("helpers.db.tables()") == sorted(["shared_name", f"only_{i}"])


def test_two_kernels_share_a_session_without_lock_errors(start_kernel):
    a = start_kernel(env={"CODEMODE_SESSION_ID": "shared"})
    b = start_kernel(env={"CODEMODE_SESSION_ID": "shared"})
    a.ok("helpers.db.create_table('hits', 'id INTEGER PRIMARY KEY AUTOINCREMENT, who TEXT')")
    code = (
        "errors = []\nfor i in range(10000):\n"
        "    try:\n        helpers.db.exec('INSERT INTO hits (who) VALUES (?)', [{who!r}])\n"
        "    except Exception as e:\n        errors.append(repr(e))\n"
        "print(len(errors), errors[:3])"
    )
    ids = {name: k.kc.execute(code.format(who=name)) for name, k in (("a", a), ("b", b))}
    cells = {name: k.collect(ids[name], 300) for name, k in (("a", a), ("b", b))}
    for cell in cells.values():
        assert cell.status == "ok" and cell.stdout.strip() == "0 []", cell.stdout
    counts = a.value(
        "helpers.db.query('SELECT who, count(*) AS n FROM hits GROUP BY who"
        " ORDER BY who').values.tolist()"
    )
    assert counts == [["a", 10000], ["b", 10000]]


# --- sessions never leak ------------------------------------------------------------------


def test_sessions_do_not_leak(start_kernel, data_dir):
    clean = [start_kernel(env={"CODEMODE_SESSION_ID": f"leak-{i}"}) for i in range(3)]
    for k in clean:
        k.ok("helpers.db.batch_insert('t', [{'a': 1}])")
        k.shutdown()
    killed = start_kernel(env={"CODEMODE_SESSION_ID": "leak-killed"})
    killed.ok("helpers.db.batch_insert('t', [{'a': 1}])")
    kill(killed)
    store = SessionStore(data_dir)
    assert [i.id for i in store.list()] == ["leak-killed"]  # dead, left behind by SIGKILL
    # Past its TTL, the next kernel's start-up sweep removes it (never a live one).
    time.sleep(2.5)
    sweeper = start_kernel(env={"CODEMODE_SESSION_ID": "sweeper", "CODEMODE_SESSION_TTL": "2"})
    sweeper.ok("helpers.db.tables()")
    deadline = time.monotonic() + 20
    while [i.id for i in store.list()] != ["sweeper"] and time.monotonic() < deadline:
        time.sleep(0.2)
    remaining = [i.id for i in store.list() if i.id != "sweeper"]
    REPORT["leaks"].extend([False] * len(remaining))
    assert remaining == []
    sweeper.shutdown()
    assert store.list() == []


# --- bad input ---------------------------------------------------------------------------

BAD_INPUTS: list[tuple[str, str, str]] = [
    ("helpers.db.query(None)", "TypeError", "must be a str, got NoneType"),
    ("helpers.db.query(b'SELECT 1')", "TypeError", "decode"),
    ("helpers.db.query('')", "ValueError", "empty"),
    ("helpers.db.query('-- just a comment')", "ValueError", "empty"),
    ("helpers.db.exec('SELECT 1\\x00; DROP TABLE t')", "ValueError", "NUL byte"),
    ("helpers.db.query('SELECT ' + '1+' * 600000 + '1')", "ValueError", "the limit is 1,000,000"),
    (
        "helpers.db.query('SELECT ' + '(' * 1000 + '1' + ')' * 1000)",
        "SQLBlockedError",
        "nested too deeply",
    ),
    ("helpers.db.query('SELECT ?, ?', [1])", "ValueError", "2 ? placeholder(s) but 1 value"),
    ("helpers.db.query('SELECT ?', [1, 2])", "ValueError", "1 ? placeholder(s) but 2 value"),
    ("helpers.db.query('SELECT ?', {'a': 1})", "TypeError", "take a sequence"),
    ("helpers.db.query('SELECT :a', [1])", "TypeError", "take a dict"),
    ("helpers.db.query('SELECT ?', [object()])", "TypeError", "parameter 1: unsupported type"),
    ("helpers.db.query('SELECT ?', [{1, 2}])", "TypeError", "unsupported type set"),
    ("helpers.db.query('SELECT ?', [float('nan')])", "ValueError", "parameter 1 is nan"),
    ("helpers.db.query('SELECT ?', [float('-inf')])", "ValueError", "infinite"),
    ("helpers.db.query('SELECT ?', [2**70])", "ValueError", "64-bit"),
    ("helpers.db.batch_insert('', [{'a': 1}])", "ValueError", "must not be empty"),
    ("helpers.db.batch_insert('t\"x', [{'a': 1}])", "ValueError", "contains '\"'"),
    ("helpers.db.batch_insert('t;x', [{'a': 1}])", "ValueError", "contains ';'"),
    ("helpers.db.batch_insert('t\\nx', [{'a': 1}])", "ValueError", "contains '\\n'"),
    ("helpers.db.batch_insert('new', [1, 2])", "TypeError", "not a dict"),
    ("helpers.db.batch_insert('new', [{1: 'a'}])", "TypeError", "keys must be str"),
    ("helpers.db.batch_insert('new', [])", "ValueError", "no records to insert"),
    (
        "import pandas as pd\nhelpers.db.batch_insert('new', pd.DataFrame([[1, 2]], "
        "columns=pd.MultiIndex.from_tuples([('a', 'b'), ('a', 'c')])))",
        "ValueError",
        "MultiIndex",
    ),
    (
        "import pandas as pd\nhelpers.db.batch_insert('new', pd.DataFrame([[1, 2]], "
        "columns=['a', 'a']))",
        "ValueError",
        "duplicate column names",
    ),
    ("helpers.db.save_state(1, 'x')", "StateError", "keys must be str, got int"),
    ("c = []; c.append(c); helpers.db.save_state('k', c)", "StateError", "Circular reference"),
    ("helpers.db.query('SELECT 1', limit=0)", "ValueError", "positive"),
    ("helpers.db.query('SELECT 1', limit='5')", "TypeError", "limit must be an int"),
    ("helpers.db.batch_insert('new', [{'a': 1}], chunk_size=0)", "ValueError", "chunk_size"),
    ("helpers.db.query('INSERT INTO t VALUES (1)')", "ValueError", "returns none"),
    ("helpers.db.exec('SELECT ?; SELECT ?', [1])", "ValueError", "params cannot be used"),
    ("helpers.db.exec('BEGIN')", "SQLBlockedError", "already one atomic transaction"),
    ("helpers.db.query('SELEC 1')", "SQLSyntaxError", "syntax error"),
]

SNAPSHOT = (
    "(helpers.db.tables(), helpers.db.query('SELECT count(*) AS n FROM t')['n'][0].item(),"
    " helpers.db.state_keys())"
)


def test_bad_inputs_are_typed(start_kernel):
    assert len(BAD_INPUTS) >= 25
    k = start_kernel(env={"CODEMODE_SESSION_ID": "bad-inputs"})
    k.ok("helpers.db.batch_insert('t', [{'a': 1}, {'a': 2}])\nhelpers.db.save_state('s', 1)")
    before = k.value(SNAPSHOT)
    failures = []
    for code, ename, fragment in BAD_INPUTS:
        cell = k.run(code)
        typed = cell.status == "error" and cell.ename == ename and fragment in cell.evalue
        REPORT["bad"].append(typed)
        if not typed:
            failures.append(f"{code!r}: got {cell.status} {cell.ename}: {cell.evalue[:200]}")
        assert k.value(SNAPSHOT) == before, code
    assert k.value("helpers.db.get_state('missing', 'dflt')") == "dflt"  # a default, no error
    assert failures == [], "\n".join(failures)


# --- runaway work -------------------------------------------------------------------------

RUNAWAY = {
    "busy loop": "while True:\n    pass",
    "sleep": "import time\ntime.sleep(60)",
    "runaway SQL": "helpers.db.query('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1"
    " FROM r) SELECT count(*) FROM r')",
    "output flood": "for i in range(10**7):\n    print(i)",
}


def test_runaway_work_is_stopped(start_kernel):
    k = start_kernel(
        env={
            "CODEMODE_SESSION_ID": "runaway",
            "CODEMODE_CELL_TIMEOUT": "2",
            "CODEMODE_QUERY_TIMEOUT": "60",
            "CODEMODE_MAX_DB_MB": "8",
        }
    )
    k.ok("survivor = 41")
    for name, code in RUNAWAY.items():
        cell = k.run(code, timeout=120)
        stopped = cell.status == "error" and cell.ename == "CellTimeoutError"
        alive = k.ok("survivor + 1").text == "42"
        REPORT["runaway"].append(stopped and alive)
        assert stopped and alive, (name, cell.ename, cell.evalue)
    balloon = k.run(
        "helpers.db.exec('CREATE TABLE balloon AS WITH RECURSIVE r(n) AS (SELECT 1"
        " UNION ALL SELECT n + 1 FROM r) SELECT n, randomblob(10000) AS b FROM r')"
    )
    stopped = balloon.ename == "QuotaExceededError" and "quota of 8 MB" in balloon.evalue
    alive = k.value("helpers.db.tables()") == []
    REPORT["runaway"].append(stopped and alive)
    assert stopped and alive, (balloon.ename, balloon.evalue)
