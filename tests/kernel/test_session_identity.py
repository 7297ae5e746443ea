"""Issue 14 with real kernels (jupyter-client): %session, the first-use notice,
SIGTERM and %load_ext applying the shutdown policy, empty sessions removed.

The notebook flows through a real jupyter_server are in test_jupyter_server.py.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

from codemode_kernel._store import SessionStore, session_dirname

pytestmark = pytest.mark.slow


def _sid(k) -> str:
    return Path(k.km.connection_file).name.removesuffix(".json").removeprefix("kernel-")


def _wait_dead(k, limit: float = 30.0) -> None:
    end = time.monotonic() + limit
    while k.km.is_alive() and time.monotonic() < end:
        time.sleep(0.05)
    assert not k.km.is_alive()


def _sigterm(k) -> None:
    pid = k.km.provisioner.process.pid
    os.kill(pid, signal.SIGTERM)
    _wait_dead(k)
    k.kc.stop_channels()


def test_session_magic_switches_and_two_kernels_share(start_kernel, data_dir):
    a = start_kernel(env={"JPY_SESSION_NAME": "/nb/a.ipynb"})
    b = start_kernel(env={"JPY_SESSION_NAME": "/nb/b.ipynb"})
    c = start_kernel(env={"JPY_SESSION_NAME": "/nb/c.ipynb"})
    a.ok("helpers.db.batch_insert('private_a', [{'x': 1}])")

    out = a.ok("%session shared").stdout
    assert out.startswith("session 'shared' (new, label '/nb/a.ipynb'): no tables; 0 B\n")
    assert f"lives in {data_dir / session_dirname('shared')};" in out
    assert "deleted when this kernel shuts down (CODEMODE_ON_SHUTDOWN=delete)" in out
    a.ok("helpers.db.batch_insert('from_a', [{'x': i} for i in range(3)])")

    out = b.ok("%session shared").stdout
    assert re.match(
        r"session 'shared' \(existing, label '/nb/a.ipynb'\): 1 table\(s\): "
        r"from_a \(3 rows\); \d+\.\d kB\n",
        out,
    ), out
    b.ok("helpers.db.batch_insert('from_b', [{'y': 1}])")
    assert a.value("helpers.db.tables()") == ["from_a", "from_b"]
    assert b.value("helpers.db.tables()") == ["from_a", "from_b"]
    assert a.value("helpers.session.id") == "shared"

    # The third kernel never named it: its own session, nothing of theirs.
    out = c.ok("%session").stdout
    assert out.startswith(f"session '{_sid(c)}' (current, label '/nb/c.ipynb'): no tables")
    assert c.value("helpers.db.tables()") == []
    # A's own session is untouched and still there (held until A shuts down).
    assert a.ok("%session").stdout.startswith("session 'shared' (current")
    out = a.ok(f"%session {_sid(a)}").stdout
    assert out.startswith(f"session '{_sid(a)}' (existing, label '/nb/a.ipynb'): 1 table(s):")
    assert a.value("helpers.db.tables()") == ["private_a"]
    assert a.run("%session --force").ename == "UsageError"

    # A shuts down: both of its sessions follow the policy (delete), but
    # 'shared' is still held by B, so it stays until B goes too.
    a.shutdown()
    assert not (data_dir / session_dirname(_sid(a))).exists()
    assert b.value("helpers.db.tables()") == ["from_a", "from_b"]
    b.shutdown()
    assert not (data_dir / session_dirname("shared")).exists()


def test_first_use_notice_once_and_metrics(start_kernel, data_dir):
    k = start_kernel(env={"JPY_SESSION_NAME": "/nb/orders.ipynb", "CODEMODE_SESSION_TTL": "7200"})
    assert "codemode:" not in k.ok("1 + 1").stderr  # no helpers.db yet: silent
    first = k.ok("helpers.db.tables()").stderr
    path = data_dir / session_dirname(_sid(k))
    assert first == (
        f"codemode: session '{_sid(k)}' (/nb/orders.ipynb) lives in {path};"
        " deleted when this kernel shuts down (CODEMODE_ON_SHUTDOWN=delete)."
        " `%session NAME` or `helpers.db.export(...)` keeps data.\n"
    )
    assert k.ok("helpers.db.tables()").stderr == ""
    m = k.value("{k: v for k, v in helpers.db.get_metrics().items() if k != 'limits'}")
    assert m["label"] == "/nb/orders.ipynb" and m["on_shutdown"] == "delete"
    assert m["session_id"] == _sid(k)
    assert m["expires"] > m["last_activity"]
    assert "'/nb/orders.ipynb'" not in k.ok("helpers").text
    assert f"session '{_sid(k)}' (/nb/orders.ipynb)" in k.ok("helpers").text

    keep = start_kernel(env={"CODEMODE_ON_SHUTDOWN": "keep", "CODEMODE_SESSION_TTL": "7200"})
    notice = keep.ok("helpers.db.tables()").stderr
    assert "kept for 2 h after this kernel shuts down (CODEMODE_ON_SHUTDOWN=keep)" in notice
    assert keep.value("helpers.db.get_metrics()['on_shutdown']") == "keep"


def test_restart_returns_to_the_named_session(start_kernel, data_dir):
    k = start_kernel()
    k.ok("%session project-x\nhelpers.db.batch_insert('t', [{'a': 1}])")
    k.km.restart_kernel()
    k.kc.wait_for_ready(timeout=60)
    first = k.ok("helpers.db.tables()")
    assert "codemode: this kernel uses session 'project-x'" in first.stderr
    assert k.value("(helpers.session.id, helpers.db.tables())") == ("project-x", ["t"])
    k.ok(f"%session {_sid(k)}")
    k.km.restart_kernel()
    k.kc.wait_for_ready(timeout=60)
    assert k.value("helpers.session.id") == _sid(k)


def test_sigterm_applies_the_policy_like_shutdown(start_kernel, data_dir):
    gone = start_kernel()
    gone.ok("helpers.db.batch_insert('t', [{'a': 1}])")
    kept = start_kernel(env={"CODEMODE_ON_SHUTDOWN": "keep"})
    kept.ok("helpers.db.batch_insert('t', [{'a': 1}])\nhelpers.db.save_state('k', 1)")
    unused = start_kernel(env={"CODEMODE_ON_SHUTDOWN": "keep"})
    unused.ok("1")
    dirs = {k: data_dir / session_dirname(_sid(k)) for k in (gone, kept, unused)}
    assert dirs[gone].is_dir() and dirs[kept].is_dir()
    assert not dirs[unused].exists()  # helpers.db never used: nothing created
    for k in (gone, kept, unused):
        _sigterm(k)
        # The kernel still dies of SIGTERM, as the sender expects.
        assert k.km.provisioner.process.returncode == -signal.SIGTERM
    assert not dirs[gone].exists()
    assert not dirs[unused].exists()  # no database: nothing to keep
    assert (dirs[kept] / "session.db").exists() and not SessionStore.is_live(dirs[kept])


def test_sigterm_during_a_running_cell(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_CELL_TIMEOUT": "0"})
    k.ok("helpers.db.batch_insert('t', [{'a': 1}])")
    k.kc.execute(
        "helpers.db.query('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
        " SELECT count(*) FROM c')"
    )
    time.sleep(0.5)
    _sigterm(k)
    assert not (data_dir / session_dirname(_sid(k))).exists()


def test_shutdown_removes_a_session_without_database_under_keep(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_ON_SHUTDOWN": "keep"})
    k.ok("%session kept-named\nhelpers.db.batch_insert('t', [{'a': 1}])")
    home = data_dir / session_dirname(_sid(k))
    assert home.is_dir() and not (home / "session.db").exists()
    k.shutdown()
    assert not home.exists()
    assert (data_dir / session_dirname("kept-named") / "session.db").exists()


def test_load_ext_applies_the_policy_at_exit(start_kernel, data_dir):
    k = start_kernel(kernel_name="python3")
    k.ok("%load_ext codemode_kernel\nhelpers.db.batch_insert('t', [{'a': 1}])")
    sid = k.value("helpers.session.id")
    assert sid == _sid(k)
    path = data_dir / session_dirname(sid)
    # A restart keeps it: the stock kernel's do_shutdown(restart=True) is seen.
    k.km.restart_kernel()
    k.kc.wait_for_ready(timeout=60)
    assert (path / "session.db").exists()
    k.ok("%load_ext codemode_kernel")
    assert k.value("helpers.db.tables()") == ["t"]
    assert k.ok("%session").stdout.startswith(f"session '{sid}' (current): 1 table(s): t (1 rows)")
    k.shutdown()
    assert not path.exists()

    kept = start_kernel(kernel_name="python3", env={"CODEMODE_ON_SHUTDOWN": "keep"})
    kept.ok("%load_ext codemode_kernel\nhelpers.db.batch_insert('t', [{'a': 1}])")
    path = data_dir / session_dirname(kept.value("helpers.session.id"))
    kept.shutdown()
    assert (path / "session.db").exists() and not SessionStore.is_live(path)
