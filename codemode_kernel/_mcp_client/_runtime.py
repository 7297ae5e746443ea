"""MCP client sessions on a background thread's asyncio loop; synchronous, interruptible calls.

The kernel's main thread runs its own asyncio loop (ipykernel's tornado
IOLoop), and cell code is synchronous; the SDK's client is async (anyio).
So the sessions live on one daemon thread (``codemode-mcp``) with a loop of
its own, started on first use. A cell's call submits a coroutine there and
waits on the ``concurrent.futures.Future`` in slices of ``SLICE`` s:

* the cell watchdog's interrupt (``interrupt(error)``, called by the kernel
  next to the database's) wakes the wait at once; the call is cancelled on
  the loop and the error (``CellTimeoutError``, or ``KeyboardInterrupt`` for
  the Interrupt button) is raised in the cell;
* a per-call ``timeout`` cancels it the same way and raises ``ToolTimeoutError``;
* a connection whose call was cancelled must answer ``tools/list`` within
  ``PING_TIMEOUT`` s before its next call and restarted if it does not answer.

Each server's session is entered and left by one owner task (anyio's cancel
scopes must be left by the task that entered them). A call that finds the
connection closed (the server died) restarts the server and is sent once more.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

from ..errors import ToolError, ToolTimeoutError
from ._config import ServerConfig, config_env

__all__ = ["Connection", "Runtime"]

#: Seconds between checks while the main thread waits for a call.
SLICE = 0.1
#: Seconds a suspect connection (a call of it was cancelled) gets to answer ``tools/list``.
PING_TIMEOUT = 5.0
#: Seconds a server gets to start and answer the handshake (``npx``/``uvx`` may
#: first download a package).
START_TIMEOUT = 120.0
#: Seconds all servers get to stop when the kernel shuts down (the SDK waits 2 s
#: for a stdio server to exit after its stdin closes, then terminates it).
STOP_TIMEOUT = 6.0
_PID_WATCH = str(Path(__file__).with_name("_pid_watch.py"))


def _unwrap(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _closed(exc: BaseException) -> bool:
    """True if the error means the connection is gone (not that the tool failed)."""
    import anyio
    import mcp_types
    from mcp.shared.exceptions import MCPError

    exc = _unwrap(exc)
    if isinstance(exc, MCPError):
        return exc.code == mcp_types.CONNECTION_CLOSED
    return isinstance(
        exc, anyio.ClosedResourceError | anyio.BrokenResourceError | anyio.EndOfStream | OSError
    )


@contextlib.asynccontextmanager
async def _http_transport(url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
    """Streamable HTTP with ``headers`` on every request.

    What ``streamable_http_client``'s docstring says to do for headers: pass an
    ``httpx2.AsyncClient`` (the SDK's HTTP library). The SDK does not close a
    client it was given, so it is closed here; the timeouts are the SDK's
    defaults (30 s, 300 s to read a held stream).
    """
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    timeout = httpx2.Timeout(30.0, read=300.0)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        streamable_http_client(url, http_client=http) as streams,
    ):
        yield streams


def _message(exc: BaseException) -> str:
    """``MCPError``: the server's message and code; anything else: its type and text."""
    from mcp.shared.exceptions import MCPError

    exc = _unwrap(exc)
    if isinstance(exc, MCPError):
        return f"{exc.error.message} (JSON-RPC error {exc.code})"
    return f"{type(exc).__name__}: {exc}"


class Connection:
    """One configured server: its client session, started on demand, restarted when it dies."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.client: Any = None
        self.tools: list[Any] | None = None
        self.suspect = False
        self.starts = 0
        self._owner: asyncio.Task | None = None
        self._stop: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._errlog: Any = None

    @property
    def name(self) -> str:
        return self.config.name

    def _transport(self) -> Any:
        if self.config.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            # The server's stderr, one file per start: kept to explain a failed
            # start or a crash (the kernel's own stderr goes to the notebook or
            # to the Jupyter server's log).
            if self._errlog is not None:
                self._errlog.close()
            self._errlog = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
            params = StdioServerParameters(
                command=sys.executable,
                args=["-I", _PID_WATCH, str(os.getpid()), self.config.command, *self.config.args],
                env=config_env(self.config) or None,
                cwd=self.config.cwd,
            )
            return stdio_client(params, errlog=self._errlog)
        return _http_transport(self.config.url, dict(self.config.headers))

    def stderr_tail(self, limit: int = 600) -> str:
        """The end of what the server wrote to stderr (stdio servers)."""
        log = self._errlog
        if log is None:
            return ""
        with contextlib.suppress(Exception):
            # pread: the server shares the file offset, so never move it
            fd = log.fileno()
            size = os.fstat(fd).st_size
            data = os.pread(fd, 4 * limit, max(0, size - 4 * limit))
            return data.decode("utf-8", "replace")[-limit:].strip()
        return ""

    async def _own(self, ready: asyncio.Future) -> None:
        from mcp import Client

        stop = self._stop
        assert stop is not None
        try:
            async with Client(self._transport(), cache=None) as client:
                self.client = client
                if not ready.done():
                    ready.set_result(client)
                await stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(_unwrap(exc) if isinstance(exc, Exception) else exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self.client = None

    async def _start(self) -> Any:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future = loop.create_future()
        self._stop = asyncio.Event()
        self.starts += 1
        self._owner = loop.create_task(self._own(ready), name=f"codemode-mcp-{self.name}")
        try:
            return await asyncio.wait_for(ready, START_TIMEOUT)
        except BaseException as exc:
            await self.stop()
            if isinstance(exc, Exception):
                detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if isinstance(exc, TimeoutError):
                    detail = f"no answer to the handshake within {START_TIMEOUT:g} s"
                tail = self.stderr_tail()
                more = f"\nIts stderr ends with:\n{tail}" if tail else ""
                raise ToolError(
                    f"MCP server {self.name!r} ({self.config.describe()}) could not start:"
                    f" {detail}{more}",
                    server=self.name,
                ) from None
            raise

    async def session(self) -> Any:
        """The connected client, started (or restarted if suspect and silent) first."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.client is not None and self.suspect:
                try:
                    # tools/list, not ping: ping is gone from the 2026-07-28 protocol.
                    await asyncio.wait_for(self.client.list_tools(), PING_TIMEOUT)
                    self.suspect = False
                except Exception:
                    await self.stop()
            if self.client is None:
                await self._start()
                self.suspect = False
            return self.client

    async def stop(self) -> None:
        """Close the session (the SDK closes the server's stdin, then terminates it)."""
        owner, self._owner = self._owner, None
        if self._stop is not None:
            self._stop.set()
        if owner is not None and not owner.done():
            try:
                await asyncio.wait_for(asyncio.shield(owner), STOP_TIMEOUT - 1)
            except Exception:
                owner.cancel()
        self.client = None

    async def list_tools(self) -> list[Any]:
        """Every tool of the server (all pages of ``tools/list``), fetched once."""
        if self.tools is None:
            tools, cursor = [], None
            for _ in range(1000):
                client = await self.session()
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    break
            self.tools = tools
        return self.tools

    async def call(self, name: str, arguments: dict[str, Any]) -> Any:
        """``tools/call``; on a closed connection, restart the server and send it once more."""
        for attempt in (1, 2):
            client = await self.session()
            try:
                return await client.call_tool(name, arguments)
            except asyncio.CancelledError:
                self.suspect = True
                raise
            except Exception as exc:
                if not _closed(exc):
                    # A JSON-RPC error (MCPError), a result the SDK rejects: the
                    # call failed, the connection is fine.
                    raise ToolError(
                        f"{self.name}.{name}: {_message(exc)}", server=self.name, tool=name
                    ) from None
                await self.stop()
                if attempt == 2:
                    tail = self.stderr_tail()
                    more = f"\nIts stderr ends with:\n{tail}" if tail else ""
                    raise ToolError(
                        f"MCP server {self.name!r} closed the connection during {name!r}, again"
                        f" after a restart{more}",
                        server=self.name,
                        tool=name,
                    ) from None
        raise AssertionError("unreachable")


class _Waiter:
    """One synchronous call waiting: woken by its result or by an interrupt."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: BaseException | None = None


class Runtime:
    """The background loop thread and the connections of one kernel."""

    def __init__(self, servers: dict[str, ServerConfig]) -> None:
        self.connections = {name: Connection(cfg) for name, cfg in servers.items()}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._waiters: set[_Waiter] = set()
        self._closed = False

    def loop(self) -> asyncio.AbstractEventLoop:
        """The background loop, started on first use."""
        with self._state_lock:
            if self._closed:
                raise ToolError("helpers.mcp is closed: the kernel is shutting down")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self._run, args=(loop,), name="codemode-mcp", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def submit(self, coro: Coroutine) -> concurrent.futures.Future:
        """Schedule ``coro`` on the background loop."""
        try:
            return asyncio.run_coroutine_threadsafe(coro, self.loop())
        except BaseException:
            coro.close()
            raise

    def run(self, coro: Coroutine, *, timeout: float | None = None, what: str = "") -> Any:
        """Run ``coro`` on the loop and wait for it here, interruptibly (see the module doc).

        Raises what the coroutine raises, ``ToolTimeoutError`` after ``timeout``
        seconds, or the error given to :meth:`interrupt` while waiting.
        """
        waiter = _Waiter()
        deadline = None if not timeout else time.monotonic() + timeout
        fut: concurrent.futures.Future | None = None
        # Everything inside the try: a KeyboardInterrupt may land on any line,
        # and a submitted call must then be cancelled, not left running.
        try:
            self._waiters.add(waiter)
            fut = self.submit(coro)
            fut.add_done_callback(lambda _: waiter.event.set())
            while not fut.done():
                left = SLICE if deadline is None else min(SLICE, deadline - time.monotonic())
                if left <= 0:
                    raise ToolTimeoutError(
                        f"{what}: no answer within its timeout={timeout:g} s; the call was"
                        " cancelled (the server stays up).",
                        server=what.split(".")[0],
                        tool=what.split(".", 1)[-1],
                    )
                waiter.event.wait(left)
                if waiter.error is not None and not fut.done():
                    raise waiter.error
            return fut.result()
        finally:
            self._waiters.discard(waiter)
            if fut is not None:
                fut.cancel()

    def interrupt(self, error: BaseException | None = None) -> None:
        """Stop the calls that are waiting now (from any thread); no-op when none waits."""
        for waiter in list(self._waiters):
            waiter.error = error if error is not None else KeyboardInterrupt()
            waiter.event.set()

    async def _stop_all(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.connections.values()))

    def close(self) -> None:
        """Stop every server and the loop thread (kernel shutdown; any thread)."""
        with self._state_lock:
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._stop_all(), loop).result(STOP_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(1.0)
