"""Issue 14 through a real jupyter_server (REST + kernel websocket, as JupyterLab).

One server for the module (kernelspecs ``codemode`` from the venv and
``codemode_keep``, the same plus CODEMODE_ON_SHUTDOWN=keep). Each test is one
sequence of new / rename / restart / shutdown / reopen and says what it does
to the session. No notebook may see another notebook's data; no rename or
restart may lose data.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from jupyter_server_client import JupyterServer

from codemode_kernel._store import session_dirname

pytestmark = pytest.mark.slow

ROWS = 200_000
LOAD = (
    "helpers.db.batch_insert('orders', ({'id': i, 'customer': f'c{i % 97}', 'amount': i * 0.5}"
    f" for i in range({ROWS})), progress=False)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("jupyter")
    (work / "notebooks").mkdir()
    srv = JupyterServer(work / "notebooks", work / "sessions", work)
    yield srv
    srv.stop()


def _sid(server: JupyterServer, s: dict) -> str:
    return server.value(s, "helpers.session.id")


def _dir(server: JupyterServer, sid: str) -> Path:
    return server.data_dir / session_dirname(sid)


def _count(server: JupyterServer, s: dict, table: str) -> int:
    return server.value(s, f"int(helpers.db.query('SELECT count(*) AS n FROM {table}')['n'][0])")


def _wait(pred, limit: float = 30.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def _cli(server: JupyterServer, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CODEMODE_DATA_DIR": str(server.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "sessions", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_rename_then_restart_keeps_data_and_a_new_untitled_is_empty(server):
    """new Untitled.ipynb, load 200k rows, rename, restart -> same data (the kernel
    id did not change); a second new Untitled.ipynb -> its own, empty database."""
    path = server.new_notebook()
    assert path == "Untitled.ipynb"
    a = server.open_session(path)
    first = server.ok(a, LOAD + "\nhelpers.db.save_state('k', 'v')")
    sid = _sid(server, a)
    assert sid == a["kernel"]["id"]  # the identity is the kernel id
    assert first["stderr"].startswith(f"codemode: session '{sid}' (")
    assert "Untitled.ipynb) lives in " in first["stderr"]

    a = server.rename(a, "orders-analysis.ipynb")
    server.restart(a)
    assert server.value(a, "helpers.db.tables()") == ["orders"]
    assert _count(server, a, "orders") == ROWS
    assert server.value(a, "helpers.db.get_state('k')") == "v"
    label = server.value(a, "helpers.db.get_metrics()['label']")
    assert label.endswith("orders-analysis.ipynb")  # the label follows the rename
    meta = json.loads((_dir(server, sid) / "meta.json").read_text())
    assert meta["label"] == label and meta["id"] == sid

    # `sessions list` shows the notebook path as the label; `show` finds it by it.
    listed = json.loads(_cli(server, "list", "--json").stdout)
    assert {"id": sid, "label": label} in [{"id": r["id"], "label": r["label"]} for r in listed]
    assert "orders-analysis.ipynb" in _cli(server, "list").stdout
    shown = json.loads(_cli(server, "show", "orders-analysis.ipynb", "--json").stdout)
    assert shown["id"] == sid and shown["schema"]["orders"]["rows"] == ROWS

    # JupyterLab names the next new notebook Untitled.ipynb again.
    path = server.new_notebook()
    assert path == "Untitled.ipynb"
    b = server.open_session(path)
    assert server.value(b, "helpers.db.tables()") == []
    assert server.value(b, "helpers.db.get_state('k')") is None
    assert _sid(server, b) != sid
    server.ok(b, "helpers.db.batch_insert('orders', [{'id': -1}])")
    assert _count(server, a, "orders") == ROWS
    b_dir = _dir(server, _sid(server, b))
    # Restarted, then shut down: the delete policy still applies.
    server.close(a)
    assert not _dir(server, sid).exists()
    assert b_dir.is_dir()
    server.close(b)
    assert not b_dir.exists()


def test_swapped_names_each_kernel_keeps_its_own_data(server):
    """Two notebooks swap names (a <-> b), both restart: each kernel still has its
    own table; the labels follow the files."""
    a = server.open_session("a.ipynb")
    b = server.open_session("b.ipynb")
    for s, table in ((a, "only_a"), (b, "only_b")):
        server.api("PUT", f"contents/{s['path']}", {"type": "notebook", "content": _empty_nb()})
        server.ok(s, f"helpers.db.batch_insert('{table}', [{{'x': 1}}])")
    a = server.rename(a, "tmp.ipynb")
    b = server.rename(b, "a.ipynb")
    a = server.rename(a, "b.ipynb")
    server.restart(a)
    server.restart(b)
    assert server.value(a, "helpers.db.tables()") == ["only_a"]
    assert server.value(b, "helpers.db.tables()") == ["only_b"]
    assert server.value(a, "helpers.session.label").endswith("b.ipynb")
    assert server.value(b, "helpers.session.label").endswith("a.ipynb")
    server.close(a)
    server.close(b)


def _empty_nb() -> dict:
    return {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_shutdown_deletes_under_delete_and_keeps_under_keep(server):
    """Shut down (DELETE /api/sessions): delete -> the directory is gone at once;
    keep -> it stays, unheld, with its data. Reopening the notebook starts a new
    kernel, hence a new, empty session: no notebook inherits another's data."""
    gone = server.open_session("gone.ipynb")
    server.ok(gone, "helpers.db.batch_insert('t', [{'a': 1}])")
    gone_dir = _dir(server, _sid(server, gone))
    kept = server.open_session("kept.ipynb", kernel="codemode_keep")
    server.ok(kept, "helpers.db.batch_insert('t', [{'a': 1}])")
    kept_dir = _dir(server, _sid(server, kept))
    assert gone_dir.is_dir() and kept_dir.is_dir()
    server.close(gone)
    server.close(kept)
    assert not gone_dir.exists()
    assert (kept_dir / "session.db").exists()
    with sqlite3.connect(kept_dir / "session.db") as conn:
        assert conn.execute("SELECT a FROM t").fetchall() == [(1,)]

    # Reopen both notebooks: new kernels, new (empty) sessions.
    for path, kernel in (("gone.ipynb", "codemode"), ("kept.ipynb", "codemode_keep")):
        s = server.open_session(path, kernel=kernel)
        assert server.value(s, "helpers.db.tables()") == []
        server.close(s)
    assert (kept_dir / "session.db").exists()  # the kept one is still there for its TTL


def test_a_named_session_outlives_its_kernel_under_keep(server):
    """%session orders, load, shut down (keep), reopen, %session orders -> the data."""
    s = server.open_session("named.ipynb", kernel="codemode_keep")
    out = server.ok(s, "%session orders\n" + LOAD)["stdout"]
    assert out.startswith("session 'orders' (new, label '")
    server.close(s)
    s = server.open_session("named.ipynb", kernel="codemode_keep")
    out = server.ok(s, "%session orders")["stdout"]
    assert out.startswith("session 'orders' (existing, label '")
    assert f"orders ({ROWS:,} rows)" in out
    server.close(s)


def test_session_shared_between_two_kernels_not_a_third(server):
    """%session shared in two notebooks: each sees the other's table; a third
    notebook that never named it sees only its own (empty) session."""
    one = server.open_session("one.ipynb")
    two = server.open_session("two.ipynb")
    three = server.open_session("three.ipynb")
    server.ok(one, "%session shared\nhelpers.db.batch_insert('from_one', [{'x': 1}])")
    out = server.ok(two, "%session shared")["stdout"]
    assert "(existing" in out and "from_one (1 rows)" in out
    server.ok(two, "helpers.db.batch_insert('from_two', [{'y': 2}])")
    assert server.value(one, "helpers.db.tables()") == ["from_one", "from_two"]
    assert server.value(two, "helpers.db.tables()") == ["from_one", "from_two"]
    out = server.ok(three, "%session")["stdout"]
    assert out.startswith(f"session '{three['kernel']['id']}' (current") and "no tables" in out
    assert server.value(three, "helpers.db.tables()") == []
    # one shuts down: 'shared' stays for two (still live); two's data intact.
    server.close(one)
    assert server.value(two, "helpers.db.query('SELECT y FROM from_two')['y'].tolist()") == [2]
    server.close(two)
    assert not _dir(server, "shared").exists()
    server.close(three)


def test_export_restore_round_trip_between_notebooks(server, tmp_path):
    """export in one notebook, restore in another: every table, row, column type
    and the state; one table to Parquet reads back equal with pandas."""
    src = server.open_session("export.ipynb")
    server.ok(
        src,
        LOAD + "\n"
        "helpers.db.exec('CREATE TABLE kinds (i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC)')\n"
        "helpers.db.exec(\"INSERT INTO kinds VALUES (1, 1.5, 'x', x'00ff', 2), (NULL, NULL,"
        ' NULL, NULL, NULL)")\n'
        "helpers.db.exec('CREATE INDEX orders_customer ON orders(customer)')\n"
        "helpers.db.save_state('cursor', {'page': 2})",
    )
    db_file, pq_file = tmp_path / "keep.db", tmp_path / "orders.parquet"
    out = server.value(
        src, f"(lambda e: (str(e.path), e.size_bytes))(helpers.db.export({str(db_file)!r}))"
    )
    assert out == (str(db_file), db_file.stat().st_size)
    server.ok(src, f"helpers.db.export({str(pq_file)!r}, tables='orders')")
    again = server.run(src, f"helpers.db.export({str(db_file)!r})")
    assert again["ename"] == "FileExistsError"

    dst = server.open_session("restore.ipynb")
    r = server.value(dst, f"helpers.db.restore({str(db_file)!r}).tables")
    assert r == {"orders": ROWS, "kinds": 2}
    assert server.value(dst, "helpers.db.get_state('cursor')") == {"page": 2}
    src_path = Path(server.value(src, "str(helpers.db.path)"))
    dst_path = Path(server.value(dst, "str(helpers.db.path)"))
    with sqlite3.connect(src_path) as a, sqlite3.connect(dst_path) as b:
        for t in ("orders", "kinds"):
            q = f"SELECT * FROM {t} ORDER BY rowid"
            pd.testing.assert_frame_equal(pd.read_sql_query(q, b), pd.read_sql_query(q, a))
            info = "SELECT name, type, pk FROM pragma_table_info(?)"
            assert b.execute(info, (t,)).fetchall() == a.execute(info, (t,)).fetchall()
        q = "SELECT typeof(i), typeof(r), typeof(t), typeof(b), typeof(n) FROM kinds"
        assert b.execute(q).fetchall() == a.execute(q).fetchall()
        idx = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        assert b.execute(idx).fetchall() == [("orders_customer",)]
    with sqlite3.connect(db_file) as conn:
        want = pd.read_sql_query("SELECT * FROM orders", conn)
    pd.testing.assert_frame_equal(pd.read_parquet(pq_file), want)
    # A second restore names the table instead of doubling it.
    again = server.run(dst, f"helpers.db.restore({str(db_file)!r})")
    assert again["ename"] == "RestoreError" and "'orders'" in again["evalue"]
    assert _count(server, dst, "orders") == ROWS
    server.close(src)
    server.close(dst)


def test_sigterm_leaves_no_directory_under_delete(server):
    """kill -TERM the kernel: the delete policy runs as on shutdown; Jupyter then
    restarts the kernel (same kernel id), which starts empty and creates nothing
    until helpers.db is used."""
    s = server.open_session("sigterm.ipynb")
    server.ok(s, "helpers.db.batch_insert('t', [{'a': 1}])")
    sid, pid = _sid(server, s), server.value(s, "__import__('os').getpid()")
    assert _dir(server, sid).is_dir()
    os.kill(pid, signal.SIGTERM)
    assert _wait(lambda: not _dir(server, sid).exists())
    # The server's restarter brings the kernel back: new process, no data.
    assert _wait(lambda: _alive_pid(server, s) not in (None, pid), limit=60)
    assert not _dir(server, sid).exists()
    assert server.value(s, "helpers.db.tables()") == []
    server.close(s)
    assert not _dir(server, sid).exists()


def _alive_pid(server: JupyterServer, s: dict) -> int | None:
    try:
        return server.value(s, "__import__('os').getpid()")
    except Exception:
        return None
