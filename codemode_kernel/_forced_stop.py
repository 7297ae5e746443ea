"""Step 3 of the ladder: stop a cell at its next line, without its consent.

``install(frame)`` runs in the SIGINT handler, i.e. on the main thread: it
sets ``f_trace`` on every frame of the main thread's stack and a global trace
function for frames called later (pdb's ``set_trace`` does the same), so a
line event anywhere raises ``CellTimeoutError`` -- also inside ``except`` and
``finally`` blocks and in ``__exit__``, where a plain SIGINT is swallowed.

Where it raises (``eligible``): a frame of the cell's own code, or a frame
called from the cell's code without this package in between (the standard
library, a thread pool's ``result()``). It never raises in this package's
frames, nor in code those call (tqdm, sqlite3 adapters), so the package's
cleanup (the ``except BaseException`` that rolls back a ``helpers.db``
call, the guard's policy switch) always completes; it does raise in cell
code called *by* the package (the generator fed to ``batch_insert``), and
the package's cleanup re-raises it. Frames with no cell code below them
(IPython's and ipykernel's machinery) are left alone: an error raised there
would escape IPython's error display.

CPython removes a trace function that raised (Python/sysmodule.c,
``trace_trampoline``), so each raised error carries a small object whose
``__del__`` re-installs the trace: when code swallows the error (an
``except BaseException: pass`` ending, an ``__exit__`` returning True) the
error is freed and the very next line raises again. Code that keeps the
error alive is re-armed by the watchdog's next signal instead. Nothing is installed before the
grace period ends, and ``remove()`` runs when the cell ends: a cell that
never reaches step 3 runs with no trace function (benchmarks/bench_timeouts.py
measures it).
"""

from __future__ import annotations

import contextlib
import dis
import sys
import threading
import time
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

__all__ = ["PREFER_S", "ForcedStop"]

#: Seconds after each (re-)install during which the raise waits for a line
#: that no ``except``/``with``/``finally`` of the cell covers.
PREFER_S = 0.05


class ForcedStop:
    """The trace functions of one kernel's forced stop (main thread only)."""

    def __init__(
        self,
        is_cell: Callable[[str], bool],
        package_dir: str,
        make_error: Callable[[], BaseException],
    ) -> None:
        self._is_cell = is_cell
        self._package_dir = package_dir
        self._make_error = make_error
        self._thread = threading.get_ident()
        self.active = False
        #: Times the trace raised during the current cell (a measure for the tests).
        self.raised = 0
        self._previous: Any = None
        self._frames: dict[int, FrameType] = {}
        self._ranges: dict[CodeType, tuple[tuple[int, int], ...]] = {}
        self._installed = 0.0

    def eligible(self, frame: FrameType | None) -> bool:
        """True if raising in ``frame`` hits the cell's code, not the package or IPython."""
        return self.where(frame) == "raise"

    def where(self, frame: FrameType | None) -> str | None:
        """ "raise" if ``frame`` is eligible; "trace" if cell code is on the stack below
        this package (the next eligible line will come); None if no cell code is on the
        stack at all (IPython's machinery before or after the cell: do nothing)."""
        f = frame
        inside_package = False
        while f is not None:
            name = f.f_code.co_filename
            if self._is_cell(name):
                return "trace" if inside_package else "raise"
            if name.startswith(self._package_dir):
                inside_package = True
            f = f.f_back
        return None

    def guarded(self, frame: FrameType | None) -> bool:
        """True if an ``except``, ``with`` or ``finally`` of the code from ``frame`` down to
        the outermost cell frame covers the current instruction (this package's own
        handlers re-raise and are not counted)."""
        stack, f, outermost = [], frame, -1
        while f is not None:
            if self._is_cell(f.f_code.co_filename):
                outermost = len(stack)
            stack.append(f)
            f = f.f_back
        for f in stack[: outermost + 1]:
            if f.f_code.co_filename.startswith(self._package_dir):
                continue
            lasti = f.f_lasti
            if any(start <= lasti < end for start, end in self._handled(f.f_code)):
                return True
        return False

    def _handled(self, code: CodeType) -> tuple[tuple[int, int], ...]:
        """Byte ranges of ``code`` that a real handler covers: one whose code starts
        with PUSH_EXC_INFO (except, with, finally); the compiler's clean-up entries
        (re-raise after ``except ... as e``) start otherwise and always re-raise."""
        ranges = self._ranges.get(code)
        if ranges is None:
            try:
                entries = dis._parse_exception_table(code)  # type: ignore[attr-defined]
                ops = {i.offset: i.opname for i in dis.get_instructions(code)}
            except (AttributeError, TypeError, ValueError):  # not CPython 3.11+ bytecode
                entries, ops = [], {}
            ranges = tuple(
                (e.start, e.end) for e in entries if ops.get(e.target) == "PUSH_EXC_INFO"
            )
            self._ranges[code] = ranges
        return ranges

    def install(self, frame: FrameType | None) -> None:
        """Trace ``frame`` and every frame below it; call on the main thread."""
        if not self.active:
            self._previous = sys.gettrace()
            self.active = True
        self._installed = time.monotonic()
        f = frame
        while f is not None:
            f.f_trace = self._local
            f.f_trace_lines = True
            self._frames[id(f)] = f
            f = f.f_back
        # Last: from here on every call made on this thread is traced.
        sys.settrace(self._global)

    def remove(self) -> None:
        """Stop tracing (the cell ended); restore a trace function that was there before."""
        if not self.active:
            return
        self.active = False
        for f in self._frames.values():
            f.f_trace = None
        self._frames.clear()
        self._ranges.clear()  # keeps code objects alive otherwise
        previous, self._previous = self._previous, None
        sys.settrace(previous)
        self.raised = 0

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        # This package's functions never raise: no line events for them at all.
        if not self.active or frame.f_code.co_filename.startswith(self._package_dir):
            return None
        return self._local

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not self.active:
            return None
        if event != "line":
            return self._local
        if self.where(frame) != "raise":
            # The package, code it calls, or IPython around the cell: never
            # raised in, so stop paying for this frame's lines (calls it makes
            # still pass through _global).
            return None
        # Prefer a line no handler of the cell covers (the loop's head, the
        # handler's own body): the error then escapes at once. Any line will do
        # after PREFER_S, e.g. in a loop that is all inside one ``with``.
        if time.monotonic() - self._installed < PREFER_S and self.guarded(frame):
            return self._local
        self.raised += 1
        # No local name for the error: this frame is in its traceback, and a
        # reference from here would keep it alive after it is swallowed.
        raise self._armed_error()

    def _armed_error(self) -> BaseException:
        error = self._make_error()
        # CPython drops this trace function once it raises: re-arm when freed.
        error._codemode_rearm = _Rearm(self)  # type: ignore[attr-defined]
        return error

    def _rearm(self, frame: FrameType | None) -> None:
        if self.active and threading.get_ident() == self._thread:
            self.install(frame)


class _Rearm:
    """Carried by a raised error: when the error is freed (swallowed), trace again."""

    __slots__ = ("_stop",)

    def __init__(self, stop: ForcedStop) -> None:
        self._stop = stop

    def __del__(self) -> None:
        # Frame 1 is the code that dropped the error (the end of its except
        # block). Never raise from here (it would only be printed as unraisable).
        with contextlib.suppress(Exception):
            self._stop._rearm(sys._getframe(1))
