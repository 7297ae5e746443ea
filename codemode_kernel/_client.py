"""Run code in a Code Mode session from a program: one call in, one result out.

>>> from codemode_kernel import CodeModeSession
>>> with CodeModeSession("agent-42", cell_timeout=60) as s:
...     ex = s.run("helpers.db.query('SELECT 1 AS x')")
...     ex.ok, ex.results[0]["application/vnd.codemode.query+json"]["rows"]
(True, [{'x': 1}])

Thread safety: one ``CodeModeSession`` serves one caller at a time. Calls from
several threads are serialised by a lock (each ``run`` waits for the one
before it); the kernel itself runs one cell at a time anyway.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import re
import threading
import time
import uuid
from typing import Any

__all__ = ["QUERY_MIME", "CodeModeSession", "Execution", "ExecutionError", "KernelDiedError"]


class KernelDiedError(RuntimeError):
    """The kernel process died during ``run`` (not by the timeout ladder); the
    session has already restarted it."""


class _KernelDied(RuntimeError):
    """The kernel process ended while a cell ran."""


QUERY_MIME = "application/vnd.codemode.query+json"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
#: Seconds to wait for a reply beyond the cell timeout before interrupting.
GRACE_S = 10.0
#: Seconds to wait after that interrupt before restarting the kernel (the backstop
#: for a cell that swallows interrupts; nothing waits forever).
RESTART_GRACE_S = 10.0


@dataclasses.dataclass
class ExecutionError:
    """The error of a failed execution (ANSI codes stripped from the traceback)."""

    ename: str
    evalue: str
    traceback: str


@dataclasses.dataclass
class Execution:
    """Everything one ``run`` produced."""

    stdout: str = ""
    stderr: str = ""
    #: display_data and execute_result MIME bundles, in order; the
    #: ``application/vnd.codemode.query+json`` payload is parsed to a dict.
    results: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    error: ExecutionError | None = None
    execution_count: int | None = None
    duration_s: float = 0.0
    #: True when stdout/stderr were cut at the session's output limit.
    truncated_output: bool = False
    #: True when the kernel was restarted to end this run: the kernel exited
    #: (the timeout ladder's last step) or never answered the interrupt (the
    #: client's backstop). Variables are gone; the session database kept every
    #: committed transaction.
    restarted: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def payloads(self) -> list[dict]:
        """The parsed query payloads among the results."""
        return [r[QUERY_MIME] for r in self.results if QUERY_MIME in r]

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["ok"] = self.ok
        return d

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), default=str, **kw)

    def __str__(self) -> str:
        parts = [self.stdout.rstrip("\n")] if self.stdout else []
        if self.stderr:
            parts.append(self.stderr.rstrip("\n"))
        for bundle in self.results:
            text = bundle.get("text/plain")
            if text:
                parts.append(text)
        if self.error:
            parts.append(self.error.traceback or f"{self.error.ename}: {self.error.evalue}")
        return "\n".join(parts)


class _Collector:
    """Builds an Execution from iopub messages, capping stream output."""

    def __init__(self, limit: int) -> None:
        self.ex = Execution()
        self.limit = limit
        self.used = 0

    def stream(self, name: str, text: str) -> None:
        if self.ex.truncated_output:
            return
        room = self.limit - self.used
        if len(text) > room:
            text = text[: max(room, 0)] + (
                f"\n[... output truncated at {self.limit:,} characters (output_limit) ...]\n"
            )
            self.ex.truncated_output = True
        self.used += len(text)
        setattr(self.ex, name, getattr(self.ex, name) + text)

    def add(self, msg: dict) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            self.stream("stdout" if content["name"] == "stdout" else "stderr", content["text"])
        elif kind in ("display_data", "execute_result"):
            data = dict(content.get("data", {}))
            if QUERY_MIME in data and isinstance(data[QUERY_MIME], str):
                data[QUERY_MIME] = json.loads(data[QUERY_MIME])
            self.ex.results.append(data)
            if kind == "execute_result":
                self.ex.execution_count = content.get("execution_count")
        elif kind == "error":
            self.set_error(content)

    def set_error(self, content: dict) -> None:
        tb = _ANSI.sub("", "\n".join(content.get("traceback") or []))
        self.ex.error = ExecutionError(content.get("ename", ""), content.get("evalue", ""), tb)


def _runtime_path(name: str) -> str:
    from jupyter_core.paths import jupyter_runtime_dir

    runtime = jupyter_runtime_dir()
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    return os.path.join(runtime, name)


class CodeModeSession:
    """A ``codemode`` kernel bound to one session id, driven with jupyter-client.

    ``session_id``, ``data_dir`` and ``cell_timeout`` are passed to the kernel
    as ``CODEMODE_SESSION_ID``, ``CODEMODE_DATA_DIR`` and
    ``CODEMODE_CELL_TIMEOUT``; ``env`` adds more (merged over ``os.environ``).
    Leaving the ``with`` block (or ``close()``) shuts the kernel down under
    the lifecycle rules (the ``delete`` policy removes the session's data).
    ``output_limit`` caps the characters of stdout+stderr kept per run.
    ``launch_kwargs`` go to ``KernelManager.start_kernel`` (for example
    ``stdout=subprocess.DEVNULL``, so that output written to the kernel's file
    descriptor 1 cannot reach a protocol spoken on this process's stdout).
    ``transport`` is ``"ipc"`` (default: Unix sockets in Jupyter's runtime
    dir, no open port, no "running over TCP without encryption" warning) or
    ``"tcp"`` (localhost ports, for a client on another host or on Windows).
    """

    def __init__(
        self,
        session_id: str | None = None,
        *,
        data_dir: str | os.PathLike | None = None,
        cell_timeout: float | None = None,
        env: dict[str, str] | None = None,
        kernel_name: str = "codemode",
        output_limit: int = 100_000,
        startup_timeout: float = 60.0,
        launch_kwargs: dict[str, Any] | None = None,
        transport: str = "ipc",
    ) -> None:
        import jupyter_client

        merged = {**os.environ, **(env or {})}
        if session_id is not None:
            merged["CODEMODE_SESSION_ID"] = session_id
        if data_dir is not None:
            merged["CODEMODE_DATA_DIR"] = str(data_dir)
        if cell_timeout is not None:
            merged["CODEMODE_CELL_TIMEOUT"] = str(cell_timeout)
            # A default, not a ceiling: run(timeout=...) may ask for more, unless
            # the caller (the operator here) sets CODEMODE_CELL_TIMEOUT_MAX itself.
            merged.setdefault("CODEMODE_CELL_TIMEOUT_MAX", "none")
        self.session_id = session_id
        self.cell_timeout = cell_timeout
        self.output_limit = output_limit
        self._lock = threading.RLock()
        self.km = jupyter_client.KernelManager(kernel_name=kernel_name, transport=transport)
        if transport == "ipc":
            # Sockets as files next to the connection file in Jupyter's runtime
            # dir (jupyter-client's default would be "kernel-ipc-*" in the cwd).
            self.km.connection_file = _runtime_path(f"kernel-codemode-{uuid.uuid4().hex[:12]}.json")
            self.km.ip = self.km.connection_file[: -len(".json")] + "-ipc"
        self.km.start_kernel(env=merged, **(launch_kwargs or {}))
        self.kc = self.km.client()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=startup_timeout)
        except Exception:
            self.close()
            raise

    # -- running code ----------------------------------------------------------

    def run(self, code: str, *, timeout: float | None = None) -> Execution:
        """Execute ``code``; ``timeout`` (s) is this cell's limit, sent in the
        execute request's metadata (``{"codemode": {"timeout": timeout}}``)."""
        with self._lock:
            metadata = {"codemode": {"timeout": timeout}} if timeout is not None else {}
            content = {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            }
            msg = self.kc.session.msg("execute_request", content, metadata=metadata)
            msg_id = msg["header"]["msg_id"]
            start = time.perf_counter()
            self.kc.shell_channel.send(msg)
            collector = _Collector(self.output_limit)
            budget = self._budget(timeout)
            try:
                reply = self._wait(msg_id, collector, budget)
            except _KernelDied:
                return self._after_exit(collector, start, timeout)
            ex = collector.ex
            if reply is None:  # the cell ignored the interrupt too
                self.km.restart_kernel(now=True)
                self.kc.wait_for_ready(timeout=60)
                ex.restarted = True
                limit = budget - GRACE_S if budget is not None else 0
                collector.set_error(
                    {
                        "ename": "CellTimeoutError",
                        "evalue": (
                            f"the cell ran past its {limit:g} s limit and did not stop when"
                            f" interrupted ({RESTART_GRACE_S:g} s later), so the kernel was"
                            " restarted: Python variables are lost; the session database is"
                            " kept. Code that catches BaseException/KeyboardInterrupt in a loop"
                            " cannot be interrupted: let KeyboardInterrupt propagate"
                        ),
                    }
                )
            ex.duration_s = round(time.perf_counter() - start, 6)
            if reply is None:
                return ex
            if reply.get("execution_count") is not None:
                ex.execution_count = reply["execution_count"]
            if reply.get("status") == "error" and ex.error is None:
                collector.set_error(reply)
            return ex

    def _after_exit(self, collector: _Collector, start: float, timeout: float | None) -> Execution:
        """The kernel died during a cell: restart it. If it was the timeout
        ladder's exit step (its exit code), report the timeout; otherwise
        raise ``RuntimeError``."""
        from ._ladder import EXIT_CODE

        ex = collector.ex
        ex.duration_s = round(time.perf_counter() - start, 6)
        limit = timeout if timeout is not None else self.cell_timeout
        process = getattr(self.km.provisioner, "process", None)
        code = getattr(process, "returncode", None)
        # Restarted whatever the cause, so that the session stays usable. The
        # limit may be the cell's own (%%timeout, %timeout), which this side
        # does not know: the ladder's exit code is what tells a timeout.
        self.restart()
        if code != EXIT_CODE:
            raise KernelDiedError(
                f"the kernel died while running the code (exit code {code}); it was restarted:"
                " variables are gone, the session database kept every committed transaction"
            )
        ex.restarted = True
        shown = f"its {limit:g} s limit" if limit else "its time limit"
        ex.error = ExecutionError(
            "CellTimeoutError",
            f"the cell ran past {shown} and stopped neither when interrupted nor"
            " at its next line (a long C call that holds the GIL, e.g. a catastrophic regular"
            " expression), so the kernel process exited and was restarted: variables are gone;"
            " the session database kept every committed transaction and rolled back the open"
            " one. The restarted kernel's first cell shows where the call was stuck",
            "",
        )
        ex.error.traceback = f"CellTimeoutError: {ex.error.evalue}"
        return ex

    def _budget(self, timeout: float | None) -> float | None:
        limit = timeout if timeout is not None else self.cell_timeout
        return None if not limit else limit + GRACE_S

    def _wait(self, msg_id: str, collector: _Collector, budget: float | None) -> dict | None:
        """Collect iopub output until the kernel is idle, then take the reply.

        If the kernel has not finished ``budget`` seconds after the cell's own
        limit, it is interrupted (the kernel-side watchdog should have fired);
        if it is still busy ``RESTART_GRACE_S`` later, returns None (the caller
        restarts the kernel).
        """
        deadline = None if budget is None else time.monotonic() + budget
        interrupted = False
        idle = False
        while not idle:
            if deadline is not None and time.monotonic() > deadline:
                if interrupted:
                    return None
                self.km.interrupt_kernel()
                interrupted = True
                deadline = time.monotonic() + RESTART_GRACE_S
            try:
                msg = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                if not self.km.is_alive():
                    raise _KernelDied("the kernel died while running the code") from None
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                idle = msg["content"]["execution_state"] == "idle"
            else:
                collector.add(msg)
        while True:
            shell = self.kc.get_shell_msg(timeout=30)
            if shell["parent_header"].get("msg_id") == msg_id:
                return shell["content"]

    def sql(self, query: str, params: Any = None) -> dict:
        """Run ``helpers.db.query(query, params)``; return its parsed JSON payload."""
        ex = self.run(f"helpers.db.query({query!r}, {params!r})")
        if ex.error is not None:
            raise RuntimeError(f"{ex.error.ename}: {ex.error.evalue}")
        payloads = ex.payloads
        if not payloads:
            raise RuntimeError("the query produced no application/vnd.codemode.query+json result")
        return payloads[-1]

    # -- kernel control ----------------------------------------------------------

    def interrupt(self) -> None:
        """Interrupt the running cell (like the Interrupt button)."""
        self.km.interrupt_kernel()

    def restart(self) -> None:
        """Restart the kernel; the session database and state are kept."""
        with self._lock:
            # A dead kernel cannot take a shutdown request: no waiting for one.
            self.km.restart_kernel(now=not self.km.is_alive())
            self.kc.wait_for_ready(timeout=60)

    def close(self) -> None:
        """Shut the kernel down (the lifecycle's shutdown policy applies)."""
        try:
            self.kc.stop_channels()
        finally:
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=False)

    def __enter__(self) -> CodeModeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
