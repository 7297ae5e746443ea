"""Issue 10: the programmatic client and the `run` command, on real kernels."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codemode_kernel._client import QUERY_MIME, CodeModeSession

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session(data_dir):
    with CodeModeSession("client-test", data_dir=data_dir) as s:
        yield s


def test_run_collects_stdout_stderr_results(session):
    ex = session.run(
        "import sys\nprint('out'); print('err', file=sys.stderr)\ndisplay('shown')\n40 + 2"
    )
    assert ex.ok and ex.error is None
    assert ex.stdout == "out\n" and ex.stderr == "err\n"
    assert [r["text/plain"] for r in ex.results] == ["'shown'", "42"]
    assert ex.execution_count == 1 and ex.duration_s > 0


def test_query_payload_is_parsed(session):
    ex = session.run("helpers.db.query('SELECT 1 AS a, ? AS b', ['x'])")
    payload = ex.results[-1][QUERY_MIME]
    assert isinstance(payload, dict)
    assert payload["rows"] == [{"a": 1, "b": "x"}] and payload["row_count"] == 1
    assert session.sql("SELECT 2 AS z")["rows"] == [{"z": 2}]


def test_error_is_structured_without_ansi(session):
    ex = session.run("helpers.db.exec('PRAGMA user_version = 1')")
    assert not ex.ok
    assert ex.error.ename == "SQLBlockedError" and "PRAGMA is not allowed" in ex.error.evalue
    assert "\x1b[" not in ex.error.traceback and "SQLBlockedError" in ex.error.traceback
    with pytest.raises(RuntimeError, match="OperationalError: no such table: nope"):
        session.sql("SELECT * FROM nope")


def test_cell_timeout_arrives_as_error(session):
    ex = session.run("import time; time.sleep(30)", timeout=1)
    assert ex.error is not None and ex.error.ename == "CellTimeoutError"
    assert session.run("'alive'").results[-1]["text/plain"] == "'alive'"


def test_sessions_isolated_and_persistent(data_dir):
    with CodeModeSession("a", data_dir=data_dir) as a, CodeModeSession("b", data_dir=data_dir) as b:
        a.run("helpers.db.batch_insert('t', [{'who': 'a'}])")
        b.run("helpers.db.batch_insert('t', [{'who': 'b'}, {'who': 'b'}])")
        assert a.sql("SELECT who FROM t")["rows"] == [{"who": "a"}]
        assert b.sql("SELECT count(*) AS n FROM t")["rows"] == [{"n": 2}]
        a.run("x = 1")
        a.restart()
        assert a.sql("SELECT who FROM t")["rows"] == [{"who": "a"}]  # the database survives
        assert a.run("x").error.ename == "NameError"  # Python state does not


def test_output_flood_is_capped(data_dir):
    with CodeModeSession(data_dir=data_dir, output_limit=1000) as s:
        ex = s.run("for i in range(200000): print(i)")
    assert ex.ok and ex.truncated_output
    assert len(ex.stdout) < 1200
    assert ex.stdout.endswith("[... output truncated at 1,000 characters (output_limit) ...]\n")
    assert ex.stdout.startswith("0\n1\n2\n")


def test_concurrent_calls_are_serialised(session):
    import threading

    out: list = []
    threads = [
        threading.Thread(target=lambda i=i: out.append(session.run(f"{i} * 2"))) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ex.results[-1]["text/plain"] for ex in out) == ["0", "2", "4", "6"]
    assert sorted(ex.execution_count for ex in out) == [1, 2, 3, 4]


def cli(*args: str, stdin: str = "", env_dir: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "CODEMODE_DATA_DIR": str(env_dir)}
    return subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "run", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_text_json_and_exit_codes(data_dir, tmp_path):
    ok = cli("-", stdin="print('hello')\n21 * 2", env_dir=data_dir)
    assert ok.returncode == 0 and ok.stdout == "hello\n42\n"
    bad = cli("-", stdin="1/0", env_dir=data_dir)
    assert bad.returncode == 1 and "ZeroDivisionError: division by zero" in bad.stdout
    script = tmp_path / "q.py"
    script.write_text("helpers.db.query('SELECT 7 AS seven')")
    js = cli("--json", str(script), env_dir=data_dir)
    assert js.returncode == 0
    data = json.loads(js.stdout)
    assert data["ok"] is True and data["error"] is None
    assert data["results"][0][QUERY_MIME]["rows"] == [{"seven": 7}]
    err = json.loads(cli("--json", "-", stdin="raise KeyError('k')", env_dir=data_dir).stdout)
    assert err["ok"] is False and err["error"]["ename"] == "KeyError"
    usage = cli("--bogus", "-", env_dir=data_dir)
    assert usage.returncode == 2 and "usage:" in usage.stderr
    missing = cli(str(tmp_path / "nope.py"), env_dir=data_dir)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_cli_named_session_persists(data_dir):
    first = cli(
        "--session",
        "cli-s",
        "-",
        stdin="helpers.db.batch_insert('t', [{'a': 1}])",
        env_dir=data_dir,
    )
    assert first.returncode == 0
    second = cli(
        "--session",
        "cli-s",
        "--json",
        "-",
        stdin="helpers.db.query('SELECT a FROM t')",
        env_dir=data_dir,
    )
    assert json.loads(second.stdout)["results"][0][QUERY_MIME]["rows"] == [{"a": 1}]
    timed = cli(
        "--timeout", "1", "--json", "-", stdin="import time; time.sleep(20)", env_dir=data_dir
    )
    assert timed.returncode == 1
    assert json.loads(timed.stdout)["error"]["ename"] == "CellTimeoutError"


def test_readme_agent_example_runs_as_written(data_dir, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Agents and programs", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.setenv("CODEMODE_DATA_DIR", str(data_dir))
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "True 200000"
    assert lines[1] == "True [{'kind': 'click', 'count': 133333}, {'kind': 'view', 'count': 66667}]"
    assert lines[2] == "False OperationalError: no such column: nope"
