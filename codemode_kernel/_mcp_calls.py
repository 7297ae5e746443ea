"""The MCP server's calls into a kernel: turn-taking, timeouts, progress.

Each call of a tool that runs code waits for its kernel's :class:`_Gate` on the
event loop (holding no worker thread), then runs the blocking jupyter-client
call on a thread of its own limiter. The connection's key comes from
:data:`CONNECTION_KEY`, which ``_mcp_server``'s middleware sets per request.
"""

import contextlib
import contextvars
import dataclasses
import functools
import json
import math
import time

import anyio
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp_types import METHOD_NOT_FOUND, CallToolResult, TextContent

from ._client import Execution, KernelDiedError
from ._mcp_cell import MIME as CELL_MIME
from ._mcp_kernels import KernelPool, SessionBusyError, SessionExpiredError, SessionLimitError
from ._mcp_results import cap

__all__ = ["CONNECTION_KEY", "Calls", "ServerConfig", "clamp_timeout", "error_result"]

#: The kernel key of the request being served (set by the server's middleware).
CONNECTION_KEY: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "codemode_mcp_key", default=None
)
# Builtins taken from a fresh function's own ``__builtins__``, never from the
# user's namespace: a user who rebinds ``__import__`` cannot break the tools.
_CELL = (
    "(lambda: None).__builtins__['__import__']('codemode_kernel._mcp_cell', fromlist=['_']).{}({})"
)


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """The operator's settings (``python -m codemode_kernel mcp --help``)."""

    transport: str = "stdio"  # or "http"
    session: str | None = None
    cell_timeout: float = 300.0
    max_timeout: float = 3600.0
    max_output: int = 50_000
    max_sessions: int = 8
    image_width: int = 800
    progress_interval: float = 5.0
    idle_ttl: float = 1800.0
    #: Calls of one session that may wait while its kernel is busy; more are refused.
    max_queued: int = 16


def clamp_timeout(requested: float | None, default: float, maximum: float) -> float:
    """A call's cell timeout in seconds: ``0``/missing means ``default``, never
    "expire now" and never "unlimited"; anything above ``maximum`` is ``maximum``.

    Raises ``ValueError`` for a negative, NaN or infinite ``requested``.
    """
    if requested is not None and (math.isnan(requested) or math.isinf(requested) or requested < 0):
        raise ValueError(
            f"timeout={requested!r} is not a number of seconds: give a positive number (at"
            f" most {maximum:g}), or 0 or nothing for the server's default ({default:g} s)"
        )
    t = requested if requested is not None and requested > 0 else default
    if not t or t <= 0:
        t = maximum
    return min(t, maximum)


def error_result(text: str) -> CallToolResult:
    """A tool result the model reads as an error (``isError``)."""
    return CallToolResult(content=[TextContent(text=text)], is_error=True)


class _Gate:
    """One kernel's turn-taking, on the event loop: calls wait here, holding no
    worker thread, so a session with many queued calls cannot starve the others."""

    def __init__(self) -> None:
        self.lock = anyio.Lock()  # FIFO: calls run in the order they came
        self.waiting = 0


class Calls:
    """Running code for the tools, sharing the pool and the operator's limits."""

    def __init__(self, pool: KernelPool, cfg: ServerConfig) -> None:
        self.pool = pool
        self.cfg = cfg
        self.gates: dict[str, _Gate] = {}
        # Threads for kernel work: one per kernel at a time (the gate), plus
        # room for starts that fail fast; own limiters, not anyio's shared 40.
        self.kernel_threads = anyio.CapacityLimiter(cfg.max_sessions + 8)
        # Interrupts never wait behind kernel work.
        self.control_threads = anyio.CapacityLimiter(4)

    def key(self) -> str:
        key = CONNECTION_KEY.get()
        if key is None:
            raise MCPError(
                code=METHOD_NOT_FOUND,
                message="no MCP session: this server binds a kernel to an MCP session"
                " (Mcp-Session-Id), so stateless requests cannot run code",
            )
        return key

    async def execute(
        self, code: str, timeout: float | None, ctx: Context | None
    ) -> Execution | CallToolResult:
        """Run ``code`` in the connection's kernel, with progress notifications.

        Calls of one kernel run one at a time, in order; past ``max_queued``
        waiting calls a call is refused with ``SessionBusyError``.
        """
        key = self.key()
        try:
            limit = clamp_timeout(timeout, self.cfg.cell_timeout, self.cfg.max_timeout)
        except ValueError as exc:
            return error_result(f"ValueError: {exc}")
        sk = self.pool.slot_key(key)
        gate = self.gates.setdefault(sk, _Gate())
        if gate.lock.locked() and gate.waiting >= self.cfg.max_queued:
            err = SessionBusyError(
                f"{gate.waiting} calls are already waiting for this session's kernel (the"
                f" limit, --max-queued {self.cfg.max_queued}). Wait for their results before"
                " sending more, or call interrupt to stop the running cell"
            )
            return error_result(f"SessionBusyError: {err}")
        gate.waiting += 1
        waiting = True
        try:
            async with gate.lock:
                gate.waiting -= 1
                waiting = False
                return await self._run(key, code, limit, ctx)
        finally:
            if waiting:  # cancelled while waiting
                gate.waiting -= 1
            if not gate.lock.locked() and not gate.waiting and self.gates.get(sk) is gate:
                del self.gates[sk]

    async def _run(
        self, key: str, code: str, limit: float, ctx: Context | None
    ) -> Execution | CallToolResult:
        # The caller holds the kernel's gate.
        try:
            lease = await anyio.to_thread.run_sync(
                self.pool.acquire, key, limiter=self.kernel_threads
            )
        except (SessionLimitError, SessionExpiredError) as exc:
            return error_result(f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            return error_result(f"KernelStartError: the Code Mode kernel did not start: {exc}")
        session = lease.session
        start = time.monotonic()
        ex: Execution | None = None
        async with anyio.create_task_group() as tg:
            if ctx is not None:
                tg.start_soon(self._beat, ctx, start, limit)
            try:
                ex = await anyio.to_thread.run_sync(
                    functools.partial(session.run, code, timeout=limit),
                    abandon_on_cancel=True,
                    limiter=self.kernel_threads,
                )
            except anyio.get_cancelled_exc_class():
                # The client cancelled the request: stop the cell too.
                with contextlib.suppress(Exception):
                    session.interrupt()
                raise
            except Exception as exc:
                if isinstance(exc, KernelDiedError) or not session.km.is_alive():
                    return error_result(
                        "KernelDiedError: the kernel died while running the code. The next"
                        " call runs in a new kernel for this session (the database is kept;"
                        " Python variables are lost)"
                    )
                return error_result(
                    f"KernelError: no reply from the kernel ({type(exc).__name__}: {exc})"
                )
            finally:
                tg.cancel_scope.cancel()
                lease.done()
        assert ex is not None
        return ex

    async def _beat(self, ctx: Context, start: float, limit: float) -> None:
        # Progress is the only traffic many clients count as liveness on a long
        # call (datalayer/jupyter-mcp-server #298); the value must increase.
        while True:
            await anyio.sleep(self.cfg.progress_interval)
            elapsed = time.monotonic() - start
            with contextlib.suppress(Exception):
                await ctx.report_progress(
                    round(elapsed, 1),
                    limit,
                    f"running for {elapsed:.0f} s (cell timeout {limit:g} s)",
                )

    async def cell(
        self, name: str, arg: str = "", ctx: Context | None = None
    ) -> dict | CallToolResult:
        """Run a ``_mcp_cell`` function; return its displayed dict (or the error result)."""
        ex = await self.execute(_CELL.format(name, arg), None, ctx)
        if isinstance(ex, CallToolResult):
            return ex
        if ex.error is not None:
            return error_result(cap(f"{ex.error.ename}: {ex.error.evalue}", self.cfg.max_output))
        for bundle in ex.results:
            if CELL_MIME in bundle:
                data = bundle[CELL_MIME]
                return json.loads(data) if isinstance(data, str) else data
        return error_result(f"InternalError: the kernel returned no result ({ex})")

    async def text_of(self, name: str, ctx: Context | None = None) -> str | CallToolResult:
        """The Markdown (or text) a ``_mcp_cell`` function displays."""
        ex = await self.execute(_CELL.format(name, ""), None, ctx)
        if isinstance(ex, CallToolResult):
            return ex
        if ex.error is not None:
            return error_result(f"{ex.error.ename}: {ex.error.evalue}")
        for bundle in ex.results:
            text = bundle.get("text/markdown") or bundle.get("text/plain")
            if text:
                return cap(text, self.cfg.max_output)
        return ""
