"""A minimal blocking jupyter-client wrapper for timing real kernels."""

from __future__ import annotations

import os
import queue
import time

import jupyter_client

__all__ = ["Kernel"]


class Kernel:
    """Start a kernel by kernelspec name; run cells; shut it down."""

    def __init__(
        self, name: str, env: dict[str, str] | None = None, cwd: str | None = None
    ) -> None:
        self.name = name
        self.km = jupyter_client.KernelManager(kernel_name=name)
        # env= replaces the environment: merge it with ours. ``python -m`` puts
        # the kernel's cwd first on sys.path: ``cwd`` picks which package loads.
        self.km.start_kernel(env={**os.environ, **(env or {})}, cwd=cwd)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(
        self,
        code: str,
        *,
        metadata: dict | None = None,
        timeout: float = 60,
        user_expressions: dict[str, str] | None = None,
    ) -> dict:
        """Execute ``code``; return the execute_reply content once the kernel is idle."""
        content = dict(
            code=code,
            silent=False,
            store_history=True,
            user_expressions=user_expressions or {},
            allow_stdin=False,
        )
        msg = self.kc.session.msg("execute_request", content, metadata=metadata or {})
        self.kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        deadline = time.monotonic() + timeout
        reply = None
        while reply is None:
            m = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if m["parent_header"].get("msg_id") == msg_id:
                reply = m["content"]
        while True:
            try:
                m = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if (
                m["parent_header"].get("msg_id") == msg_id
                and m["msg_type"] == "status"
                and m["content"]["execution_state"] == "idle"
            ):
                break
        return reply

    def ok(self, code: str, **kw) -> dict:
        reply = self.run(code, **kw)
        if reply["status"] != "ok":
            raise RuntimeError(f"{self.name}: {reply.get('ename')}: {reply.get('evalue')}")
        return reply

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            if self.km.is_alive():
                self.km.shutdown_kernel()
