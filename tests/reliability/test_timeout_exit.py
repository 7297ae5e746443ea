"""Issue 18, the ladder's last step: a C call that holds the GIL ends the kernel process.

Real kernels, 1 s limit, 0.5 s grace: the process exits (code 1) about 2 s
into the cell, SQLite's WAL keeps every committed transaction and rolls the
open one back, and a restart (by hand, by jupyter_client's restarter, by
``CodeModeSession.run``) finds the same session with its data.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path

import pytest
from kernels import KernelHandle

from codemode_kernel._client import CodeModeSession

pytestmark = pytest.mark.reliability  # each test waits for a kernel to exit and restart

LIMIT, GRACE = 1.0, 0.5
ENV = {
    "CODEMODE_CELL_TIMEOUT": str(LIMIT),
    "CODEMODE_CELL_TIMEOUT_GRACE": str(GRACE),
    # No ceiling: some cells here raise their own limit (%%timeout 60).
    "CODEMODE_CELL_TIMEOUT_MAX": "none",
}
WIDE = {"codemode": {"timeout": 60}}
#: A single C call that holds the GIL and never checks for signals.
C_LEVEL = "import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')"
#: Commits one row, then dies inside a second, open transaction (1,200 rows
#: already sent to SQLite in three executemany chunks).
DIES_MID_TRANSACTION = (
    "import re\n"
    "helpers.db.batch_insert('t', [{'id': 10, 'v': 'committed in the runaway cell'}])\n"
    "def rows():\n"
    "    for i in range(1200):\n"
    "        yield {'id': i}\n"
    "    re.match(r'(a+)+$', 'a' * 64 + 'b')\n"
    "    yield {'id': -1}\n"
    "helpers.db.batch_insert('open_txn', rows())"
)
SETUP = "helpers.db.batch_insert('t', [{'id': i, 'v': str(i)} for i in range(5)])"


def value(k: KernelHandle, expr: str):
    """``k.value`` without the 1 s limit (the first query imports pandas)."""
    import ast

    return ast.literal_eval(k.ok(f"print(repr({expr}))", metadata=WIDE).stdout.strip())


def wait_dead(k: KernelHandle, within: float) -> float:
    """Seconds until the kernel process ended (fails after ``within``)."""
    start = time.monotonic()
    while k.km.is_alive():
        assert time.monotonic() - start < within, f"the kernel still runs after {within} s"
        time.sleep(0.02)
    return time.monotonic() - start


def test_exit_step_keeps_committed_and_rolls_back_open_transaction(start_kernel, data_dir):
    k = start_kernel(env=ENV)
    k.ok(SETUP, metadata=WIDE)
    before = value(
        k, "(get_ipython().kernel.codemode_session.id, get_ipython().kernel.session_id_source)"
    )
    assert before[1] == "kernel id"
    k.kc.execute(DIES_MID_TRANSACTION)
    # The exit step is at limit + 2 x grace = 2 s after the cell started.
    elapsed = wait_dead(k, within=LIMIT + 2 * GRACE + 3.0)
    assert elapsed >= LIMIT + 2 * GRACE - 0.1  # not one of the earlier steps
    assert k.km.provisioner.process.returncode == 1  # faulthandler's _exit(1)

    [session_dir] = [p for p in data_dir.iterdir() if p.is_dir()]
    note = (session_dir / "kernel-exit.txt").read_text()
    assert "ran 2 s: past its 1 s limit plus two grace periods of 0.5 s" in note
    assert "The kernel process is exiting (exit code 1)" in note
    assert "Timeout (0:00:02)!" in note and "re/__init__.py" in note  # the stuck call
    # Plain sqlite3 on the file the dead kernel left: WAL recovery keeps every
    # committed transaction, and the open one is gone.
    assert (session_dir / "session.db-wal").stat().st_size > 0
    raw = sqlite3.connect(session_dir / "session.db")
    try:
        ids = [r[0] for r in raw.execute("SELECT id FROM t ORDER BY id")]
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        raw.close()
    assert ids == [0, 1, 2, 3, 4, 10]
    assert "open_txn" not in tables

    k.km.restart_kernel(now=True)  # what a restarter does: same connection file, same env
    k.kc.wait_for_ready(timeout=60)
    first = k.ok("print(42)", metadata=WIDE)
    assert first.stdout == "42\n"
    assert "codemode: cell [3]" in first.stderr and "restarted kernel" in first.stderr
    assert value(k, "helpers.db.query('SELECT id FROM t ORDER BY id')['id'].tolist()") == ids
    assert value(k, "helpers.db.tables()") == ["t"]
    after = value(
        k, "(get_ipython().kernel.codemode_session.id, get_ipython().kernel.session_id_source)"
    )
    assert after == before
    # Reported once: the note now holds only the next cell's pre-written message.
    assert "Timeout (" not in (session_dir / "kernel-exit.txt").read_text()


def test_jupyter_client_restarter_brings_back_the_same_session(tmp_path):
    """jupyter_server runs kernels under this restarter (AsyncIOLoopKernelManager) and sets
    JPY_SESSION_NAME to the notebook path (a label): the restarted kernel has the same session."""
    from jupyter_client.ioloop import AsyncIOLoopKernelManager

    notebook = str(tmp_path / "analysis.ipynb")
    env = {
        **os.environ,
        **ENV,
        "CODEMODE_DATA_DIR": str(tmp_path / "sessions"),
        "JPY_SESSION_NAME": notebook,
    }

    async def run(kc, code: str) -> tuple[dict, str]:
        out: list[str] = []

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])

        # %%timeout: execute_interactive sends no request metadata.
        reply = await kc.execute_interactive(f"%%timeout 60\n{code}", output_hook=hook, timeout=60)
        return reply["content"], "".join(out)

    async def scenario() -> tuple[str, str, str]:
        km = AsyncIOLoopKernelManager(kernel_name="codemode")
        await km.start_kernel(env=env)
        restarted = asyncio.Event()
        km.add_restart_callback(restarted.set, "restart")
        km.start_restarter()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            await run(kc, SETUP)
            _, sid = await run(kc, "print(get_ipython().kernel.codemode_session.id)")
            kc.execute(C_LEVEL)
            await asyncio.wait_for(restarted.wait(), 30)
            await kc.wait_for_ready(timeout=60)
            _, again = await run(kc, "print(get_ipython().kernel.codemode_session.id)")
            content, rows = await run(kc, "print(len(helpers.db.query('SELECT * FROM t')))")
            assert content["status"] == "ok"
            return sid, again, rows
        finally:
            kc.stop_channels()
            km.stop_restarter()
            await km.shutdown_kernel(now=True)

    sid, again, rows = asyncio.run(scenario())
    # The session follows the kernel (its connection file), not the notebook
    # path (issue 14); the restarted kernel has the same one.
    assert sid.strip() and sid.strip() != notebook
    assert again.splitlines()[-1] == sid.strip()
    assert rows.splitlines()[-1] == "5"  # after the first-use notice (stderr)


def test_code_mode_session_reports_restarted(tmp_path: Path):
    with CodeModeSession("exit-step", data_dir=tmp_path, cell_timeout=LIMIT, env=ENV) as s:
        assert s.run(SETUP, timeout=60).ok
        ex = s.run(C_LEVEL)
        assert ex.restarted is True
        assert ex.error is not None and ex.error.ename == "CellTimeoutError"
        assert "kernel process exited and was restarted" in ex.error.evalue
        nxt = s.run("print(42)", timeout=60)
        assert nxt.stdout == "42\n" and not nxt.restarted
        assert "codemode: cell [2]" in nxt.stderr
        count = s.run("print(len(helpers.db.query('SELECT * FROM t')))", timeout=60)
        assert count.stdout == "5\n"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """A real jupyter_server subprocess, driven over REST and the kernel websocket."""

    def __init__(self, root: Path, env: dict) -> None:
        import secrets
        import subprocess
        import sys

        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.open_browser=False",
                "--ServerApp.allow_root=True",
                f"--ServerApp.root_dir={root}",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                assert time.monotonic() < deadline, "jupyter_server did not start"
                time.sleep(0.2)

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        import json
        import urllib.request

        req = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"{}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except Exception:
            self.proc.kill()
        self.log.close()


class _Channels:
    """The kernel's websocket (jupyter_server's JSON message protocol)."""

    def __init__(self, server: _Server, kernel_id: str) -> None:
        import uuid

        import websocket

        self.session = uuid.uuid4().hex
        url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels"
        self.ws = websocket.create_connection(
            url, header=[f"Authorization: token {server.token}"], timeout=60
        )

    def send(self, code: str) -> str:
        import datetime as dt
        import json
        import uuid

        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "session": self.session,
                        "username": "test",
                        "version": "5.3",
                        "date": dt.datetime.now(dt.UTC).isoformat(),
                    },
                    "parent_header": {},
                    "metadata": WIDE if "re.match" not in code else {},
                    "content": {"code": code, "silent": False, "store_history": True},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        return msg_id

    def messages(self, within: float):
        import json

        import websocket

        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            # A bounded wait: a request sent while the kernel restarts is dropped
            # by the server, and an unbounded recv() would then wait forever.
            self.ws.settimeout(max(0.1, min(2.0, deadline - time.monotonic())))
            try:
                yield json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
        raise AssertionError(f"nothing expected arrived within {within} s")

    def run(self, code: str, within: float = 60) -> tuple[dict, str, str]:
        """(execute_reply content, stdout, stderr) once the kernel is idle again."""
        msg_id = self.send(code)
        reply, out, err, idle = None, [], [], False
        for m in self.messages(within):
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "execute_reply":
                reply = m["content"]
            elif m["msg_type"] == "stream":
                (out if m["content"]["name"] == "stdout" else err).append(m["content"]["text"])
            elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                idle = True
            if reply is not None and idle:
                return reply, "".join(out), "".join(err)
        raise AssertionError("unreachable")


def test_jupyter_server_restarts_the_kernel_with_its_session_and_data(tmp_path):
    env = {**os.environ, **ENV, "CODEMODE_DATA_DIR": str(tmp_path / "sessions")}
    server = _Server(tmp_path, env)
    try:
        (tmp_path / "nb.ipynb").write_text(
            '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
        )
        session = server.api(
            "POST",
            "/api/sessions",
            {
                "path": "nb.ipynb",
                "type": "notebook",
                "name": "nb.ipynb",
                "kernel": {"name": "codemode"},
            },
        )
        kernel_id = session["kernel"]["id"]
        ch = _Channels(server, kernel_id)
        reply, _, _ = ch.run(SETUP)
        assert reply["status"] == "ok", reply
        _, before, _ = ch.run("print(get_ipython().kernel.codemode_session.id)")
        assert before.strip() == kernel_id  # the session follows the kernel (issue 14)
        ch.send(C_LEVEL)
        states = []
        for m in ch.messages(30):  # the restarter notices the exit (exit code 1)
            if m["msg_type"] == "status":
                states.append(m["content"]["execution_state"])
                if states[-1] == "restarting":
                    break
        for _ in range(12):  # until the restarted kernel answers (each try waits 10 s)
            try:
                reply, out, err = ch.run(
                    "print(get_ipython().kernel.codemode_session.id)", within=10
                )
                break
            except AssertionError:
                time.sleep(0.5)
        assert reply["status"] == "ok", reply
        # Output of the first cell after a restart can be lost while the server
        # re-subscribes to the new kernel's iopub; the next cell's is not.
        reply, again, _ = ch.run("print(get_ipython().kernel.codemode_session.id)", within=30)
        assert again == before  # the same session
        # Shown above the restarted kernel's first output, and in the kernel log
        # (the server's log here), which holds it even when that output was lost.
        server.log.flush()
        logged = (tmp_path / "server.log").read_text(errors="replace")
        assert ("codemode: cell [3]" in err and "restarted kernel" in err) or (
            "codemode: cell [3]" in logged and "The kernel process is exiting" in logged
        )
        reply, out, _ = ch.run("print(len(helpers.db.query('SELECT * FROM t')))")
        assert out == "5\n"  # the data written before the runaway cell
        [again] = [s for s in server.api("GET", "/api/sessions") if s["path"] == "nb.ipynb"]
        assert again["kernel"]["id"] == kernel_id
        ch.ws.close()
    finally:
        server.stop()
