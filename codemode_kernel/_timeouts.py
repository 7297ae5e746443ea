"""Cell timeouts, the IPython glue: the kernel's SIGINT handler and ``%timeout``.

The limits and the watchdog thread are in :mod:`._watchdog` (no IPython);
the error display is in :mod:`._tracebacks`.

How a timeout travels (docs/timeouts.md has the measurements):

1. ``CellTimeouts.begin`` arms the deadline of the cell about to run; the
   long-lived watchdog thread sleeps on a ``Condition`` until it.
2. At the deadline the watchdog marks which cell it fired for, sends SIGINT
   to the main thread with ``pthread_kill`` (``interrupt_main`` does not wake
   sleeps) and calls ``Connection.interrupt()`` on the session database and
   on every ``sqlite3`` connection opened in this kernel (SIGINT alone does
   not stop a running statement).
3. ``on_sigint`` (installed in ``pre_handler_hook``) raises
   ``CellTimeoutError`` only while the cell's own code runs. Inside the
   kernel's helpers it defers to the next line of cell code (a trace hook);
   in IPython's machinery it asks the watchdog to signal again shortly; in a
   top-level ``await`` cell that is waiting it cancels the cell's task.
4. Until the cell ends the watchdog fires again every ``REFIRE`` s, so code
   that swallows the error (``except BaseException``) is stopped again; a
   cell that still ends "ok" is reported as timed out.

A signal is always tagged with the generation (cell) it was sent for; a
signal that arrives after its cell ended is ignored, so a stale watchdog can
never hit the next cell. An interrupt that did not come from the watchdog
(the Interrupt button) stays a ``KeyboardInterrupt``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from ._sqlite_tracking import interrupt_tracked
from ._watchdog import Watchdog, limit_for, parse_cell_magic, parse_limit, timeout_message
from .errors import CellTimeoutError

__all__ = ["CellTimeouts", "register_magics"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def _strip_cell_magic(lines: list[str]) -> list[str]:
    """IPython cleanup transform: blank the ``%%timeout N`` line (kept for line numbers)."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if parse_cell_magic(line) is not None:
            return [*lines[:i], "\n", *lines[i + 1 :]]
        return lines
    return lines


class CellTimeouts:
    """Cell timeouts of one kernel: its limit, the watchdog and the SIGINT handler."""

    def __init__(
        self,
        shell: Any,
        default: float,
        interrupt_db: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.shell = shell
        self.kernel_limit = default
        self.kernel_limit_source = "CODEMODE_CELL_TIMEOUT"
        self.limit: float = 0.0
        self.limit_source = ""
        self._interrupt_db = interrupt_db
        self._main_ident = threading.main_thread().ident
        self.watchdog = Watchdog(self._fire)
        self.task: asyncio.Future | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._trace: tuple[FrameType, Any] | None = None
        #: "timeout"/"interrupt" if this cell's task was cancelled (await cells).
        self.cancelled_kind: str | None = None

    # -- limits --------------------------------------------------------------

    def limit_for(self, code: str, metadata: dict | None) -> tuple[float, str, str | None]:
        """(limit, where it came from, a warning or None): see :func:`limit_for`."""
        return limit_for(code, metadata, self.kernel_limit, self.kernel_limit_source)

    def message(self) -> str:
        """The one-line explanation of the running cell's timeout."""
        return timeout_message(self.limit, self.limit_source)

    # -- around each cell ----------------------------------------------------------

    def begin(self, limit: float, source: str) -> None:
        """Arm the watchdog for the cell about to run."""
        self.limit, self.limit_source = limit, source
        self.cancelled_kind = None
        self.watchdog.begin(limit)

    def end(self) -> bool:
        """Disarm; True if the cell's deadline fired."""
        fired = self.watchdog.end()
        self._untrace()
        return fired

    def _fire(self, kind: str) -> None:
        # Runs on the watchdog thread, under its lock.
        signal.pthread_kill(self._main_ident, signal.SIGINT)
        if kind == "timeout":
            if self._interrupt_db is not None:
                self._interrupt_db(CellTimeoutError(self.message()))
            interrupt_tracked()

    # -- SIGINT ------------------------------------------------------------------

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        """The SIGINT handler while the kernel handles a shell message."""
        kind = self.watchdog.claim()
        if kind == "stale":
            return
        if kind is None:
            if not self.watchdog.active:
                raise KeyboardInterrupt  # what ipykernel's default handler does
            kind = "interrupt"
        where = self._locate(frame)
        if where == "cell":
            raise self.exception(kind)
        if isinstance(where, tuple):  # in the kernel's helpers, called from the cell
            if kind == "interrupt":
                # The button: a running statement would otherwise go on to
                # query_timeout (the watchdog's own fire already did this).
                if self._interrupt_db is not None:
                    self._interrupt_db(KeyboardInterrupt())
                interrupt_tracked()
            self._arm_trace(where[1], kind)
            return
        if self.task is not None and not self.task.done() and self._awaits_cell(self.task):
            self._cancel_task(kind)
            return
        self.watchdog.retry(kind)

    def exception(self, kind: str) -> BaseException:
        return CellTimeoutError(self.message()) if kind == "timeout" else KeyboardInterrupt()

    def _is_cell(self, filename: str) -> bool:
        return filename in getattr(self.shell.compile, "_filename_map", {})

    def _locate(self, frame: FrameType | None) -> str | tuple[str, FrameType] | None:
        """ "cell" if cell code runs now; ("helpers", cell frame) if cell code called into
        this package; None if no cell code is on the stack."""
        inside_package = False
        f = frame
        while f is not None:
            name = f.f_code.co_filename
            if self._is_cell(name):
                return ("helpers", f) if inside_package else "cell"
            if name.startswith(_PACKAGE_DIR):
                inside_package = True
            f = f.f_back
        return None

    def _awaits_cell(self, task: asyncio.Future) -> bool:
        """True if the task is suspended inside the cell's code (so cancelling hits it)."""
        coro = task.get_coro() if hasattr(task, "get_coro") else None
        seen = 0
        while coro is not None and seen < 100:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None and self._is_cell(frame.f_code.co_filename):
                return True
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
            seen += 1
        return False

    def _cancel_task(self, kind: str) -> None:
        task, loop, gen = self.task, self.loop, self.watchdog.generation
        if task is None or loop is None:
            return

        def cancel() -> None:
            if self.watchdog.active and self.watchdog.generation == gen and not task.done():
                self.cancelled_kind = kind
                task.cancel()

        # call_soon_threadsafe wakes the loop; ipykernel's own add_callback does not.
        loop.call_soon_threadsafe(cancel)

    def _arm_trace(self, cell_frame: FrameType, kind: str) -> None:
        """Raise at the cell frame's next line: never inside the helpers' own bookkeeping."""
        if self._trace is not None:
            return
        previous = sys.gettrace()

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if event in ("line", "return", "exception") and self._trace is not None:
                self._untrace()
                if self.watchdog.active:
                    raise self.exception(kind)
            return local

        def global_(frame: FrameType, event: str, arg: Any) -> None:
            return None  # trace only the cell frame, not every new call

        self._trace = (cell_frame, previous)
        cell_frame.f_trace = local
        cell_frame.f_trace_lines = True
        sys.settrace(global_)

    def _untrace(self) -> None:
        trace, self._trace = self._trace, None
        if trace is not None:
            frame, previous = trace
            frame.f_trace = None
            sys.settrace(previous)

    # -- error display -------------------------------------------------------------


# -- %timeout ----------------------------------------------------------------------


def register_magics(shell: Any, timeouts: CellTimeouts) -> None:
    """``%timeout [N]`` and ``%%timeout N``, plus the transform that applies the cell form."""
    from IPython.core.error import UsageError

    def timeout(line: str, cell: str | None = None) -> None:
        """Show or set the cell timeout.

        ``%timeout``       show the limit of this kernel
        ``%timeout 60``    every later cell may run 60 s (0 or off = no limit)
        ``%%timeout 5``    as a cell's first line: this cell only

        Programs can set it per execution with the execute request's metadata
        ``{"codemode": {"timeout": 5}}``. A timed-out cell ends with
        ``CellTimeoutError``; the kernel and its variables stay intact.
        """
        arg = line.strip()
        if cell is not None:
            try:
                parse_limit(arg)
            except ValueError as exc:
                raise UsageError(f"%%timeout: {exc}. Usage: %%timeout N (seconds)") from None
            # Only reached without the input transform (which applies the limit).
            shell.run_cell(cell)
            return
        if not arg:
            limit = timeouts.kernel_limit
            shown = "off" if not limit else f"{limit:g} s"
            print(f"cell timeout: {shown} (from {timeouts.kernel_limit_source})")
            return
        try:
            limit = parse_limit(arg)
        except ValueError as exc:
            raise UsageError(f"%timeout: {exc}. Usage: %timeout [N]") from None
        timeouts.kernel_limit = limit
        timeouts.kernel_limit_source = "%timeout"
        print(f"cell timeout: {'off' if not limit else f'{limit:g} s'} for later cells")

    shell.register_magic_function(timeout, magic_kind="line_cell", magic_name="timeout")
    cleanup = shell.input_transformers_cleanup
    if _strip_cell_magic not in cleanup:
        cleanup.insert(0, _strip_cell_magic)
