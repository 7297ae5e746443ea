"""Cell timeouts: one watchdog thread, the kernel's SIGINT handler, ``%timeout``.

How a timeout travels (see ``notes/ipykernel-facts.md`` for the measurements):

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
5. A grace period later the signals become "force": the cell is stopped at
   its next line wherever it is (``_forced_stop.py``); a grace period after
   that, faulthandler's C timer exits the process (``_exit_timer.py``). The
   step times are ``_ladder.Ladder``'s.

A signal is always tagged with the generation (cell) it was sent for; a
signal that arrives after its cell ended is ignored, so a stale watchdog can
never hit the next cell. An interrupt that did not come from the watchdog
(the Interrupt button) stays a ``KeyboardInterrupt``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import signal
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from ._exit_timer import ExitTimer
from ._forced_stop import ForcedStop
from ._ladder import Ladder
from .errors import CellTimeoutError

__all__ = [
    "REFIRE",
    "CellTimeouts",
    "Watchdog",
    "install_sqlite_tracking",
    "parse_cell_magic",
    "parse_limit",
    "tracked_connections",
]

#: Seconds between repeated interrupts of a cell that is past its deadline.
REFIRE = 0.25
#: Seconds before re-signalling when SIGINT landed outside the cell's code.
RETRY = 0.02
_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_CELL_MAGIC = re.compile(r"^%%timeout(?:[ \t]+(\S*))?[ \t]*$")


def parse_limit(raw: object) -> float:
    """A timeout in seconds from user input; 0 (or off/none) turns it off."""
    if isinstance(raw, str) and raw.strip().lower() in ("off", "none", "0"):
        return 0.0
    if isinstance(raw, bool):
        raise ValueError(f"timeout must be a number of seconds, got {raw!r}")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"timeout must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"timeout must be a finite number >= 0, got {raw!r}")
    return value


def parse_cell_magic(code: str) -> float | None:
    """The limit of a ``%%timeout N`` first line, or None if there is none (or it is invalid)."""
    for line in code.splitlines():
        if not line.strip():
            continue
        m = _CELL_MAGIC.match(line.strip())
        if not m or not m.group(1):
            return None
        try:
            return parse_limit(m.group(1))
        except ValueError:
            return None  # left in place: the magic itself reports the error
    return None


def _strip_cell_magic(lines: list[str]) -> list[str]:
    """IPython cleanup transform: blank the ``%%timeout N`` line (kept for line numbers)."""
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if parse_cell_magic(line) is not None:
            return [*lines[:i], "\n", *lines[i + 1 :]]
        return lines
    return lines


# -- raw sqlite3 connections ----------------------------------------------------

# No lock around it: the watchdog reads it while holding its own lock, and a
# SIGINT handler on the main thread may need that lock, so a second lock here
# could deadlock. ``set.add`` and ``list(set)`` are atomic under the GIL.
_tracked: weakref.WeakSet = weakref.WeakSet()


class _TrackedConnection(sqlite3.Connection):
    """A plain ``sqlite3.Connection`` that the watchdog can find (it allows weakrefs)."""


def tracked_connections() -> list[sqlite3.Connection]:
    """Open connections made with ``sqlite3.connect`` since tracking was installed."""
    conns = (ref() for ref in list(_tracked.data))
    return [c for c in conns if c is not None]


def install_sqlite_tracking() -> None:
    """Make ``sqlite3.connect`` remember its connections so a timeout can interrupt them.

    Limits: connections made with a custom ``factory`` whose instances do not
    allow weak references, or through a ``connect`` imported before the
    kernel started, are not tracked.
    """
    original = sqlite3.connect
    if getattr(original, "_codemode_tracking", False):
        return

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        if len(args) < 6 and "factory" not in kwargs:
            kwargs["factory"] = _TrackedConnection
        conn = original(*args, **kwargs)
        with contextlib.suppress(TypeError):
            _tracked.add(conn)
        return conn

    connect._codemode_tracking = True  # type: ignore[attr-defined]
    connect.__doc__ = original.__doc__
    connect.__wrapped__ = original  # type: ignore[attr-defined]
    sqlite3.connect = connect
    sqlite3.dbapi2.connect = connect


def _interrupt_tracked() -> None:
    for conn in tracked_connections():
        with contextlib.suppress(Exception):  # closed, or closing in another thread
            conn.interrupt()


# -- the watchdog thread ----------------------------------------------------------


class Watchdog:
    """One long-lived thread that signals the main thread at a cell's deadline.

    Per cell it costs a lock round-trip (and a wake-up only when the new
    deadline is earlier than the one the thread sleeps towards).
    """

    def __init__(self, fire: Callable[[str], None], refire: float = REFIRE) -> None:
        self._fire = fire
        self._refire = refire
        self._cond = threading.Condition(threading.RLock())
        self.generation = 0
        self.active = False
        self.fired = False
        self._timeout_at: float | None = None
        self._force_at: float | None = None
        self._retry_at: float | None = None
        self._retry_kind = "interrupt"
        self._sent: tuple[int, str] | None = None
        self._sleeping_until = math.inf
        self._stopped = False
        self._thread: threading.Thread | None = None

    def begin(self, limit: float | None, force_after: float | None = None) -> int:
        """A cell starts; ``limit`` seconds (None or 0: no deadline). Returns its generation.

        From ``force_after`` s after the start on, the signals are "force" ones.
        """
        with self._cond:
            self.generation += 1
            self.active = True
            self.fired = False
            self._sent = None
            self._retry_at = None
            now = time.monotonic()
            self._timeout_at = now + limit if limit else None
            self._force_at = now + force_after if limit and force_after is not None else None
            if self._timeout_at is not None:
                self._start_thread()
                if self._timeout_at < self._sleeping_until:
                    self._cond.notify()
            return self.generation

    def end(self) -> bool:
        """The cell ended; True if its deadline fired. Pending signals become stale."""
        with self._cond:
            fired = self.fired
            self.generation += 1
            self.active = False
            self._timeout_at = self._retry_at = self._force_at = None
            return fired

    def retry(self, kind: str, delay: float = RETRY) -> None:
        """Signal the current cell again after ``delay`` s (SIGINT landed at a bad spot)."""
        with self._cond:
            if not self.active:
                return
            self._retry_at = time.monotonic() + delay
            self._retry_kind = kind
            self._start_thread()
            self._cond.notify()

    def claim(self) -> str | None:
        """Called by the SIGINT handler: who sent this signal?

        "timeout" or "interrupt" (a retry of the button) for the running cell,
        "stale" for a signal sent for a cell that already ended, None if the
        watchdog did not send it (the Interrupt button, ``kill -INT``).
        """
        with self._cond:
            sent, self._sent = self._sent, None
            if sent is None:
                return None
            gen, kind = sent
            return kind if self.active and gen == self.generation else "stale"

    def stop(self) -> None:
        """End the thread (kernel shutdown)."""
        with self._cond:
            self._stopped = True
            self.active = False
            self._cond.notify()

    def _start_thread(self) -> None:
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, name="codemode-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                due = [t for t in (self._timeout_at, self._retry_at) if t is not None]
                now = time.monotonic()
                when = min(due) if due and self.active else math.inf
                if when > now:
                    self._sleeping_until = when
                    self._cond.wait(None if when == math.inf else when - now)
                    self._sleeping_until = math.inf
                    continue
                # Still under the lock: ``end()`` cannot slip between the
                # check above and the signal, and the tag below lets the
                # handler drop a signal that arrives after its cell ended.
                if self._timeout_at is not None and self._timeout_at <= now:
                    force = self._force_at is not None and self._force_at <= now
                    kind = "force" if force else "timeout"
                    self.fired = True
                    self._timeout_at = now + self._refire
                    self._retry_at = None
                else:
                    kind = self._retry_kind
                    self._retry_at = None
                self._sent = (self.generation, kind)
                with contextlib.suppress(Exception):  # must not kill the watchdog
                    self._fire(kind)


# -- the kernel side ----------------------------------------------------------------


class CellTimeouts:
    """Cell timeouts of one kernel: limits, the SIGINT handler, error rewriting."""

    def __init__(
        self,
        shell: Any,
        default: float,
        interrupt_db: Callable[[BaseException], None] | None = None,
        grace: float = 2.0,
        exit_timer: ExitTimer | None = None,
    ) -> None:
        self.shell = shell
        self.grace = grace
        self.exit_timer = exit_timer
        #: Seconds after the start at which each ladder step first hit the
        #: running cell ("interrupt", "force"; "force_raises": how many raises
        #: the forced stop made); ``last_steps``: the same for the cell before.
        self.steps: dict[str, float] = {}
        self.last_steps: dict[str, float] = {}
        self._started = 0.0
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
        self._cancelled_kind: str | None = None
        self._shown = False
        self.forced = ForcedStop(
            self._is_cell,
            _PACKAGE_DIR,
            lambda: CellTimeoutError(self.message()),
        )

    # -- limits --------------------------------------------------------------

    def limit_for(self, code: str, metadata: dict | None) -> tuple[float, str, str | None]:
        """(limit, where it came from, a warning or None) for one execution.

        Precedence: the cell's ``%%timeout N`` line, then the request's
        ``{"codemode": {"timeout": N}}`` metadata, then ``%timeout``/the setting.
        """
        cell = parse_cell_magic(code)
        if cell is not None:
            return cell, "%%timeout", None
        meta = (metadata or {}).get("codemode")
        if isinstance(meta, dict) and meta.get("timeout") is not None:
            try:
                return parse_limit(meta["timeout"]), "execute request metadata", None
            except ValueError as exc:
                warning = f"codemode: ignored metadata codemode.timeout: {exc}"
                return self.kernel_limit, self.kernel_limit_source, warning
        return self.kernel_limit, self.kernel_limit_source, None

    def message(self) -> str:
        """The one-line explanation of a timeout: the limit and how to change it."""
        return (
            f"the cell ran longer than its {self.limit:g} s limit ({self.limit_source}) and was"
            " interrupted. Raise it for this cell with '%%timeout N' as its first line, for this"
            " kernel with '%timeout N' (0 = off), per request with metadata"
            ' {"codemode": {"timeout": N}}, or with CODEMODE_CELL_TIMEOUT'
        )

    # -- around each cell ----------------------------------------------------------

    def begin(self, limit: float, source: str, cell: str = "") -> None:
        """Arm the watchdog (and the exit timer) for the cell about to run.

        ``cell`` names it in the exit step's message (execution count, msg_id).
        """
        self.limit, self.limit_source = limit, source
        self._cancelled_kind = None
        self._shown = False
        self.steps = {}
        self._started = time.monotonic()
        ladder = Ladder(limit, self.grace)
        if limit and self.exit_timer is not None:
            self.exit_timer.arm(ladder.exit_after, ladder.exit_note(cell))
        self.watchdog.begin(limit, ladder.force_after)

    def end(self) -> bool:
        """Disarm; True if the cell's deadline fired. Removes every trace function."""
        fired = self.watchdog.end()
        if self.exit_timer is not None:
            self.exit_timer.cancel()
        if self.forced.active:
            self.steps["force_raises"] = self.forced.raised
        self.last_steps = self.steps
        self.forced.remove()
        self._untrace()
        return fired

    def _fire(self, kind: str) -> None:
        # Runs on the watchdog thread, under its lock.
        signal.pthread_kill(self._main_ident, signal.SIGINT)
        if kind in ("timeout", "force"):
            if self._interrupt_db is not None:
                self._interrupt_db(CellTimeoutError(self.message()))
            _interrupt_tracked()

    # -- SIGINT ------------------------------------------------------------------

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        """The SIGINT handler while the kernel handles a shell message."""
        kind = self.watchdog.claim()
        if kind == "stale":
            return
        if kind is None:
            if not self.watchdog.active:
                raise KeyboardInterrupt  # what ipykernel's default handler does
            # While forcing, an untagged signal is the forced stop's own re-arm.
            kind = "force" if self.forced.active else "interrupt"
        if kind in ("timeout", "force"):
            self.steps.setdefault("interrupt", time.monotonic() - self._started)
        if kind == "force" or (kind == "timeout" and self.forced.active):
            self._force(frame)
            return
        where = self._locate(frame)
        if where == "cell":
            raise self._exception(kind)
        if isinstance(where, tuple):  # in the kernel's helpers, called from the cell
            if kind == "interrupt":
                # The button: a running statement would otherwise go on to
                # query_timeout (the watchdog's own fire already did this).
                if self._interrupt_db is not None:
                    self._interrupt_db(KeyboardInterrupt())
                _interrupt_tracked()
            self._arm_trace(where[1], kind)
            return
        if self.task is not None and not self.task.done() and self._awaits_cell(self.task):
            self._cancel_task(kind)
            return
        self.watchdog.retry(kind)

    def _force(self, frame: FrameType | None) -> None:
        """Step 3: trace every frame of the main thread; raise now if this line may be hit."""
        self.steps.setdefault("force", time.monotonic() - self._started)
        where = self.forced.where(frame)
        if where is None:  # IPython's machinery: tracing it would only slow it down
            if self.task is not None and not self.task.done() and self._awaits_cell(self.task):
                self._cancel_task("timeout")  # a waiting top-level await: no line will run
            return
        error = CellTimeoutError(self.message()) if where == "raise" else None
        self._untrace()  # step 1's one-frame hook: ours replaces it
        self.forced.install(frame)
        if error is not None:
            raise error

    def _exception(self, kind: str) -> BaseException:
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
                self._cancelled_kind = kind
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
                    raise self._exception(kind)
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

    def one_line(self, etype: type, value: BaseException) -> list[str]:
        """The structured traceback of a timeout: one line, no chained context."""
        value.__context__ = None
        value.__cause__ = None
        value.__suppress_context__ = True
        self._shown = True
        return self.shell.InteractiveTB.get_exception_only(etype, value)

    def custom_exc(self, shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
        """``set_custom_exc`` handler for ``CellTimeoutError``: shows the one-line error."""
        stb = self.one_line(etype, value)
        # IPython 9 ignores what a custom handler returns: show it ourselves.
        shell._showtraceback(etype, value, stb)
        return stb

    def rewrite(self, etype: type, evalue: Any, stb: list[str]) -> tuple[type, Any, list[str]]:
        """Show a cancelled/interrupted cell whose deadline fired as ``CellTimeoutError``."""
        if isinstance(etype, type) and issubclass(etype, CellTimeoutError):
            if isinstance(evalue, BaseException):
                return etype, evalue, self.one_line(etype, evalue)
            return etype, evalue, stb
        interrupted = isinstance(etype, type) and (
            issubclass(etype, (KeyboardInterrupt, asyncio.CancelledError))
            # a raw sqlite3 statement that the watchdog interrupted
            or (issubclass(etype, sqlite3.OperationalError) and str(evalue) == "interrupted")
        )
        if interrupted and self.watchdog.active and self.watchdog.fired:
            err = CellTimeoutError(self.message())
            return CellTimeoutError, err, self.one_line(CellTimeoutError, err)
        cancelled = isinstance(etype, type) and issubclass(etype, asyncio.CancelledError)
        if cancelled and self._cancelled_kind == "interrupt":
            return KeyboardInterrupt, KeyboardInterrupt(), stb
        return etype, evalue, stb

    def finish_reply(self, reply: dict, fired: bool) -> dict:
        """The execute reply as the client should see it (timeout, or the button's interrupt)."""
        if fired:
            return self.timed_out_reply(reply)
        if self._cancelled_kind == "interrupt" and reply.get("ename") == "CancelledError":
            reply.update(ename="KeyboardInterrupt", evalue="")
        return reply

    def timed_out_reply(self, reply: dict) -> dict:
        """Make the execute reply of a cell whose deadline fired report the timeout."""
        shown = self._shown
        err = CellTimeoutError(self.message())
        stb = self.one_line(CellTimeoutError, err)
        if not shown:
            # The cell ended "ok" (or with another error) after its deadline.
            self.shell._showtraceback(CellTimeoutError, err, stb)
        reply.update(
            status="error",
            ename="CellTimeoutError",
            evalue=str(err),
            traceback=stb,
            user_expressions={},
        )
        return reply


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
