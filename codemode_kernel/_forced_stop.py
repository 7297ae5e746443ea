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
``trace_trampoline``), so every raise asks for a re-install (``on_raise``:
the watchdog signals again ~20 ms later). Nothing is installed before the
grace period ends, and ``remove()`` runs when the cell ends: a cell that
never reaches step 3 runs with no trace function (benchmarks/bench_timeouts.py
measures it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["ForcedStop"]


class ForcedStop:
    """The trace functions of one kernel's forced stop (main thread only)."""

    def __init__(
        self,
        is_cell: Callable[[str], bool],
        package_dir: str,
        make_error: Callable[[], BaseException],
        on_raise: Callable[[], None],
    ) -> None:
        self._is_cell = is_cell
        self._package_dir = package_dir
        self._make_error = make_error
        self._on_raise = on_raise
        self.active = False
        #: Times the trace raised during the current cell (a measure for the tests).
        self.raised = 0
        self._previous: Any = None
        self._frames: list[FrameType] = []

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

    def install(self, frame: FrameType | None) -> None:
        """Trace ``frame`` and every frame below it; call on the main thread."""
        if not self.active:
            self._previous = sys.gettrace()
            self.active = True
        f = frame
        while f is not None:
            f.f_trace = self._local
            f.f_trace_lines = True
            self._frames.append(f)
            f = f.f_back
        # Last: from here on every call made on this thread is traced.
        sys.settrace(self._global)

    def remove(self) -> None:
        """Stop tracing (the cell ended); restore a trace function that was there before."""
        if not self.active:
            return
        self.active = False
        for f in self._frames:
            f.f_trace = None
        self._frames.clear()
        previous, self._previous = self._previous, None
        sys.settrace(previous)
        self.raised = 0

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        return self._local if self.active else None

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if not self.active:
            return None
        if event == "line" and self.eligible(frame):
            self.raised += 1
            self._on_raise()  # CPython drops this trace function once it raises
            raise self._make_error()
        return self._local
