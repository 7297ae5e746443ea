"""Real kernels for tests: start one with jupyter-client and run cells in it."""

from __future__ import annotations

import dataclasses
import os
import queue
import re
import time
from typing import Any

import jupyter_client

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclasses.dataclass
class Cell:
    """Everything one execute_request produced."""

    status: str
    reply: dict
    messages: list[dict]

    def _of(self, *types: str) -> list[dict]:
        return [m for m in self.messages if m["msg_type"] in types]

    @property
    def stdout(self) -> str:
        return "".join(
            m["content"]["text"] for m in self._of("stream") if m["content"]["name"] == "stdout"
        )

    @property
    def stderr(self) -> str:
        return "".join(
            m["content"]["text"] for m in self._of("stream") if m["content"]["name"] == "stderr"
        )

    @property
    def results(self) -> list[dict]:
        """MIME bundles of display_data and execute_result, in order."""
        return [m["content"]["data"] for m in self._of("display_data", "execute_result")]

    @property
    def text(self) -> str:
        """text/plain of the execute_result (or '')."""
        res = self._of("execute_result")
        return res[-1]["content"]["data"].get("text/plain", "") if res else ""

    @property
    def ename(self) -> str | None:
        return self.reply.get("ename") if self.status == "error" else None

    @property
    def evalue(self) -> str:
        return self.reply.get("evalue", "")

    @property
    def traceback(self) -> str:
        return ANSI.sub("", "\n".join(self.reply.get("traceback", [])))


def module_kernel(tmp_path_factory, setup: str):
    """For a module-scoped fixture: a codemode kernel on a temp data dir, with
    ``setup`` run once; shut down when the module is done."""
    handle = KernelHandle("codemode", {"CODEMODE_DATA_DIR": str(tmp_path_factory.mktemp("d"))})
    handle.ok(setup)
    yield handle
    handle.shutdown()


class KernelHandle:
    """A started kernel plus a blocking client."""

    def __init__(
        self,
        kernel_name: str = "codemode",
        env: dict | None = None,
        extra_arguments: list[str] | None = None,
    ) -> None:
        self.km = jupyter_client.KernelManager(kernel_name=kernel_name)
        full_env = {**os.environ, **(env or {})}
        self.km.start_kernel(env=full_env, extra_arguments=extra_arguments or [])
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, *, timeout: float = 60, metadata: dict | None = None) -> Cell:
        """execute_request (with optional request metadata, e.g.
        ``{"codemode": {"timeout": 2}}``); wait for the reply and idle."""
        content = dict(
            code=code,
            silent=False,
            store_history=True,
            user_expressions={},
            allow_stdin=False,
            stop_on_error=True,
        )
        msg = self.kc.session.msg("execute_request", content, metadata=metadata or {})
        self.kc.shell_channel.send(msg)
        return self.collect(msg["header"]["msg_id"], timeout)

    def collect(self, msg_id: str, timeout: float) -> Cell:
        deadline = time.monotonic() + timeout
        reply = None
        while reply is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no execute_reply within {timeout} s")
            try:
                msg = self.kc.get_shell_msg(timeout=left)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                reply = msg
        messages: list[dict] = []
        idle = False
        while not idle:
            left = max(deadline - time.monotonic(), 5)
            msg = self.kc.get_iopub_msg(timeout=left)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif msg["msg_type"] not in ("status", "execute_input"):
                messages.append(msg)
        return Cell(reply["content"]["status"], reply["content"], messages)

    def ok(self, code: str, **kw: Any) -> Cell:
        """Run code that must succeed; fail with its traceback otherwise."""
        cell = self.run(code, **kw)
        assert cell.status == "ok", f"cell failed: {cell.ename}: {cell.evalue}\n{cell.traceback}"
        return cell

    def value(self, expr: str) -> Any:
        """Evaluate an expression in the kernel and return it via repr/literal_eval."""
        import ast

        cell = self.ok(f"print(repr({expr}))")
        return ast.literal_eval(cell.stdout.strip())

    def shutdown(self, now: bool = False) -> None:
        try:
            self.kc.stop_channels()
        finally:
            if self.km.is_alive():
                self.km.shutdown_kernel(now=now)
