"""A real jupyter_server for tests, driven the way JupyterLab drives it.

REST (``/api/contents``, ``/api/sessions``, ``/api/kernels``) with a token, and
cells run over the kernel's websocket channels (``/api/kernels/{id}/channels``).
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import websocket

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_keep_kernelspec(jupyter_path: Path) -> None:
    """``codemode_keep``: the venv's codemode kernelspec plus CODEMODE_ON_SHUTDOWN=keep
    in its ``env`` (the documented way to set it per kernelspec)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("codemode")
    d = jupyter_path / "kernels" / "codemode_keep"
    d.mkdir(parents=True)
    (d / "kernel.json").write_text(
        json.dumps(
            {
                "argv": spec.argv,
                "display_name": "Code Mode (keep)",
                "language": "python",
                "interrupt_mode": "signal",
                "env": {"CODEMODE_ON_SHUTDOWN": "keep"},
            }
        )
    )


class JupyterServer:
    """``python -m jupyter_server`` on 127.0.0.1 with a token, serving ``root``."""

    def __init__(self, root: Path, data_dir: Path, work: Path) -> None:
        self.root, self.data_dir = root, data_dir
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"token {self.token}"
        jupyter_path = work / "jupyter"
        write_keep_kernelspec(jupyter_path)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("CODEMODE_") and k != "JPY_SESSION_NAME"
        }
        env.update(
            # The kernels import this worktree's code; sessions go to a temp dir.
            PYTHONPATH=str(ROOT),
            CODEMODE_DATA_DIR=str(data_dir),
            JUPYTER_PATH=str(jupyter_path),
            JUPYTER_RUNTIME_DIR=str(work / "runtime"),
            JUPYTER_CONFIG_DIR=str(work / "config"),
        )
        self.log = open(work / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={root}",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        end = time.monotonic() + 60
        while True:
            with contextlib.suppress(requests.ConnectionError):
                if self.http.get(f"{self.base}/api/status", timeout=5).status_code == 200:
                    break
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"jupyter_server did not start; see {work / 'server.log'}")
            time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(requests.RequestException):
            self.http.post(f"{self.base}/api/shutdown", timeout=30)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()

    # -- REST, as JupyterLab calls it ----------------------------------------------

    def api(self, method: str, path: str, body: Any = None, ok: tuple = (200, 201, 204)) -> Any:
        r = self.http.request(method, f"{self.base}/api/{path}", json=body, timeout=120)
        assert r.status_code in ok, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r.json() if r.content else None

    def new_notebook(self) -> str:
        """File > New > Notebook: an untitled notebook (``Untitled.ipynb``, ``Untitled1.ipynb``)."""
        return self.api("POST", "contents", {"type": "notebook"})["path"]

    def open_session(self, path: str, kernel: str = "codemode") -> dict:
        """Open a notebook with a kernel: POST /api/sessions."""
        return self.api(
            "POST",
            "sessions",
            {"path": path, "name": Path(path).name, "type": "notebook", "kernel": {"name": kernel}},
        )

    def rename(self, session: dict, new_path: str) -> dict:
        """Rename a notebook the way Lab does: the file, then the session's path."""
        self.api("PATCH", f"contents/{session['path']}", {"path": new_path})
        return self.api(
            "PATCH", f"sessions/{session['id']}", {"path": new_path, "name": Path(new_path).name}
        )

    def restart(self, session: dict) -> None:
        self.api("POST", f"kernels/{session['kernel']['id']}/restart")

    def close(self, session: dict) -> None:
        """Shut down the notebook's kernel: DELETE /api/sessions/{id}."""
        self.api("DELETE", f"sessions/{session['id']}")

    # -- cells over the websocket ----------------------------------------------------

    def run(self, session: dict, code: str, timeout: float = 120) -> dict:
        """Execute ``code``; return status, stdout, stderr, text (execute_result), ename."""
        kid = session["kernel"]["id"]
        client_session = uuid.uuid4().hex
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{self.port}/api/kernels/{kid}/channels?session_id={client_session}",
            header=[f"Authorization: token {self.token}"],
            timeout=timeout,
        )
        try:
            msg_id = uuid.uuid4().hex
            ws.send(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "username": "test",
                            "session": client_session,
                            "msg_type": "execute_request",
                            "version": "5.3",
                            "date": dt.datetime.now(dt.UTC).isoformat(),
                        },
                        "parent_header": {},
                        "metadata": {},
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": True,
                            "user_expressions": {},
                            "allow_stdin": False,
                            "stop_on_error": True,
                        },
                        "channel": "shell",
                        "buffers": [],
                    }
                )
            )
            out = {"status": None, "stdout": "", "stderr": "", "text": "", "ename": None}
            idle = False
            deadline = time.monotonic() + timeout
            while out["status"] is None or not idle:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no reply within {timeout} s: {code[:80]!r}")
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "execute_reply":
                    out["status"], out["ename"] = content["status"], content.get("ename")
                    out["evalue"] = content.get("evalue")
                elif kind == "stream":
                    out[content["name"]] += content["text"]
                elif kind == "execute_result":
                    out["text"] = content["data"].get("text/plain", "")
                elif kind == "error":
                    out["ename"], out["evalue"] = content["ename"], content["evalue"]
                elif kind == "status" and content["execution_state"] == "idle":
                    idle = True
            return out
        finally:
            ws.close()

    def ok(self, session: dict, code: str, **kw: Any) -> dict:
        out = self.run(session, code, **kw)
        assert out["status"] == "ok", f"cell failed: {out['ename']}: {out.get('evalue')}"
        return out

    def value(self, session: dict, expr: str) -> Any:
        return ast.literal_eval(self.ok(session, f"print(repr({expr}))")["stdout"].strip())
