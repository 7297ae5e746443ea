"""Issue 6: the session lifecycle through real kernels (2 s TTL; no timing assertions)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from codemode_kernel._store import META_NAME, SessionStore, session_dirname

SETUP = (
    "helpers.db.create_table('t', 'id INTEGER PRIMARY KEY')\n"
    "helpers.db.batch_insert('t', [{'id': 1}, {'id': 2}])\n"
    "helpers.db.save_state('k', {'v': 1})"
)


def _age(data_dir: Path, sid: str, seconds: float) -> None:
    """Pretend a session was last used ``seconds`` ago (as a real old session would be)."""
    meta_path = data_dir / session_dirname(sid) / META_NAME
    meta = json.loads(meta_path.read_text())
    meta["last_activity"] = time.time() - seconds
    meta_path.write_text(json.dumps(meta))


def _wait_for(pred, limit: float = 20.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def test_restart_keeps_data(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "restart-me"})
    k.ok(SETUP)
    k.km.restart_kernel()
    k.kc.wait_for_ready(timeout=60)
    assert k.value("helpers.db.tables()") == ["t"]
    assert k.value("helpers.db.get_state('k')") == {"v": 1}
    assert (data_dir / session_dirname("restart-me")).is_dir()


def test_shutdown_deletes(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "bye"})
    k.ok(SETUP)
    path = data_dir / session_dirname("bye")
    assert (path / "session.db").exists()
    k.shutdown()
    assert not path.exists()


def test_shutdown_keep_policy_keeps(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "kept", "CODEMODE_ON_SHUTDOWN": "keep"})
    k.ok(SETUP)
    k.shutdown()
    path = data_dir / session_dirname("kept")
    assert (path / "session.db").exists()
    assert not SessionStore.is_live(path)
    k2 = start_kernel(env={"CODEMODE_SESSION_ID": "kept"})
    assert k2.value("helpers.db.get_state('k')") == {"v": 1}


def test_shutdown_spares_a_session_another_kernel_holds(start_kernel, data_dir):
    a = start_kernel(env={"CODEMODE_SESSION_ID": "shared"})
    b = start_kernel(env={"CODEMODE_SESSION_ID": "shared"})
    a.ok(SETUP)
    a.shutdown()
    assert b.value("helpers.db.get_state('k')") == {"v": 1}
    b.shutdown()
    assert not (data_dir / session_dirname("shared")).exists()


def test_shutdown_while_a_cell_runs(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "busy", "CODEMODE_CELL_TIMEOUT": "0"})
    k.ok(SETUP)
    k.kc.execute(
        "helpers.db.query('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
        " SELECT count(*) FROM c')"
    )
    time.sleep(0.5)
    k.shutdown()
    assert not k.km.is_alive()
    assert not (data_dir / session_dirname("busy")).exists()


def test_idle_session_expires_and_warns(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "idle", "CODEMODE_SESSION_TTL": "2"})
    k.ok(SETUP)
    path = data_dir / session_dirname("idle")
    # The kernel's own sweeper deletes the database while the kernel idles.
    assert _wait_for(lambda: not (path / "session.db").exists())
    cell = k.ok("print(helpers.db.tables())")
    assert "[]" in cell.stdout
    assert "expired after" in cell.stderr and "idle" in cell.stderr and "TTL" in cell.stderr
    # The warning comes once; the fresh database works.
    again = k.ok("helpers.db.create_table('u', 'x INTEGER')\nprint(helpers.db.tables())")
    assert "expired" not in again.stderr and "['u']" in again.stdout


def test_busy_kernel_does_not_expire(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "active", "CODEMODE_SESSION_TTL": "2"})
    k.ok(SETUP)
    for _ in range(4):  # activity keeps resetting the idle clock
        k.ok("import time\ntime.sleep(0.8)\nhelpers.db.tables()")
    assert k.value("helpers.db.tables()") == ["t"]


def test_sweep_removes_dead_and_expired_never_live(start_kernel, data_dir):
    store = SessionStore(data_dir)
    # A session left behind by a kernel that was SIGKILLed (like nbval does).
    killed = start_kernel(env={"CODEMODE_SESSION_ID": "killed"})
    killed.ok(SETUP)
    killed.shutdown(now=True)
    # A live kernel whose session looks old on disk: it must survive every sweep.
    live = start_kernel(env={"CODEMODE_SESSION_ID": "live"})
    live.ok(SETUP)
    _age(data_dir, "live", 3600)
    _age(data_dir, "killed", 3600)
    # A dead, expired session and a dead, recent one.
    for sid in ("old", "recent"):
        s = store.open(sid)
        s.ensure()
        (s.path / "session.db").write_bytes(b"")
    _age(data_dir, "old", 3600)
    # A new kernel sweeps at start (in the background) with a 2 s TTL.
    start_kernel(env={"CODEMODE_SESSION_ID": "sweeper", "CODEMODE_SESSION_TTL": "2"})
    gone = lambda sid: not (data_dir / session_dirname(sid)).exists()  # noqa: E731
    assert _wait_for(lambda: gone("old") and gone("killed"))
    assert not gone("live")
    assert live.value("helpers.db.get_state('k')") == {"v": 1}
    assert not gone("sweeper")
    # The recent one goes only once it is idle past the TTL (a later periodic sweep).
    assert _wait_for(lambda: gone("recent"))
    assert not gone("live")
