"""Issue 6: ``python -m codemode_kernel sessions`` on a real data dir with a live kernel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codemode_kernel._store import SessionStore, session_dirname


def cli(data_dir: Path, *args: str, ttl: str = "3600") -> subprocess.CompletedProcess:
    env = {**os.environ, "CODEMODE_DATA_DIR": str(data_dir), "CODEMODE_SESSION_TTL": ttl}
    return subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "sessions", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def populated(start_kernel, data_dir):
    """A live kernel with two tables, plus a dead session idle for an hour."""
    live = start_kernel(env={"CODEMODE_SESSION_ID": "/nb/live.ipynb"})
    live.ok(
        "helpers.db.create_table('a', 'id INTEGER PRIMARY KEY, name TEXT')\n"
        "helpers.db.batch_insert('a', [{'id': 1, 'name': 'x'}])\n"
        "helpers.db.create_table('b', 'v REAL')"
    )
    dead = SessionStore(data_dir).open("dead")
    dead.ensure()
    meta = dead.meta()
    meta["last_activity"] = time.time() - 3600
    dead.meta_path.write_text(json.dumps(meta))
    return live


def test_list_empty_and_json(data_dir):
    r = cli(data_dir, "list")
    assert r.returncode == 0 and "no sessions" in r.stdout
    r = cli(data_dir, "list", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_list_and_show(populated, data_dir):
    r = cli(data_dir, "list", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert set(rows) == {"/nb/live.ipynb", "dead"}
    live = rows["/nb/live.ipynb"]
    assert live["live"] is True and live["tables"] == 2 and live["size_bytes"] > 0
    assert rows["dead"]["live"] is False and rows["dead"]["expires_in_s"] < 3600
    assert set(live) >= {"id", "size_bytes", "tables", "last_activity", "live", "expires_in_s"}
    table = cli(data_dir, "list").stdout
    assert "LIVE" in table and "EXPIRES IN" in table and "/nb/live.ipynb" in table
    r = cli(data_dir, "show", "/nb/live.ipynb")
    assert r.returncode == 0, r.stderr
    assert "a (1 rows): id INTEGER, name TEXT" in r.stdout and "b (0 rows)" in r.stdout
    shown = json.loads(cli(data_dir, "show", "/nb/live.ipynb", "--json").stdout)
    assert shown["schema"]["a"]["columns"] == {"id": "INTEGER", "name": "TEXT"}
    # The directory name works too.
    by_dir = cli(data_dir, "show", session_dirname("/nb/live.ipynb"))
    assert by_dir.returncode == 0 and "/nb/live.ipynb" in by_dir.stdout
    missing = cli(data_dir, "show", "nope")
    assert missing.returncode == 1 and "no session" in missing.stderr


def test_sweep_dry_run_then_sweep(populated, data_dir):
    r = cli(data_dir, "sweep", "--dry-run", "--ttl", "60")
    assert r.returncode == 0 and "would remove dead" in r.stdout
    assert (data_dir / session_dirname("dead")).exists()
    r = cli(data_dir, "sweep", "--ttl", "0")
    assert r.returncode == 0 and "removed dead" in r.stdout
    assert not (data_dir / session_dirname("dead")).exists()
    # The live session is never swept, whatever the TTL.
    assert (data_dir / session_dirname("/nb/live.ipynb")).exists()
    assert populated.value("helpers.db.tables()") == ["a", "b"]


def test_rm_refuses_live_unless_forced(populated, data_dir):
    r = cli(data_dir, "rm", "/nb/live.ipynb")
    assert r.returncode == 1 and "live kernel" in r.stderr
    assert (data_dir / session_dirname("/nb/live.ipynb")).exists()
    assert cli(data_dir, "rm", "dead").returncode == 0
    assert not (data_dir / session_dirname("dead")).exists()
    assert cli(data_dir, "rm", "dead").returncode == 1
    r = cli(data_dir, "rm", "--force", "/nb/live.ipynb")
    assert r.returncode == 0, r.stderr
    assert not (data_dir / session_dirname("/nb/live.ipynb")).exists()


def test_bad_usage(data_dir):
    for args in ([], ["frobnicate"], ["sweep", "--ttl", "soon"], ["rm"], ["list", "--bogus"]):
        r = cli(data_dir, *args)
        assert r.returncode == 2 and "usage:" in r.stderr, (args, r.stderr)
