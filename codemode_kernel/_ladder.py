"""The escalation ladder of a cell timeout: when each step happens (pure policy, no I/O).

A cell with limit ``L`` and grace ``G`` (``CODEMODE_CELL_TIMEOUT_GRACE``) is
stopped in up to four steps, each one only if the one before did not end it
(docs/timeouts.md; the times are seconds after the cell started):

==========  =========  =====================================================
step        at         what
==========  =========  =====================================================
interrupt   L          SIGINT raises ``CellTimeoutError``; the session
                       database's statement and every tracked ``sqlite3``
                       connection are interrupted
refire      L + 0.25k  the same again every ``REFIRE`` s (code that
                       swallowed it, e.g. ``except BaseException``)
force       L + G      a trace function on every frame of the main thread
                       raises ``CellTimeoutError`` at the next line the
                       cell's code runs, also inside ``except``/``finally``
exit        L + 2G     the process exits (code 1) from faulthandler's C
                       thread, which needs no GIL: the only way out of a C
                       call that holds the GIL and ignores signals
==========  =========  =====================================================
"""

from __future__ import annotations

import dataclasses
import time

__all__ = ["EXIT_CODE", "STEPS", "Ladder"]

#: The steps, in order; ``Ladder.reached`` names the last one a cell reached.
STEPS = ("interrupt", "refire", "force", "exit")
#: faulthandler's ``_exit`` code after ``dump_traceback_later(exit=True)``
#: (CPython Modules/faulthandler.c: ``_exit(1)``).
EXIT_CODE = 1


@dataclasses.dataclass(frozen=True)
class Ladder:
    """The step times of one cell: ``limit`` and ``grace`` in seconds (limit 0 = no ladder)."""

    limit: float
    grace: float

    @property
    def force_after(self) -> float | None:
        """Seconds after the start at which the forced stop begins (None: no limit)."""
        return self.limit + self.grace if self.limit else None

    @property
    def exit_after(self) -> float | None:
        """Seconds after the start at which the kernel process exits (None: no limit)."""
        return self.limit + 2 * self.grace if self.limit else None

    def exit_note(self, cell: str, started: float | None = None) -> str:
        """The message written (before the cell runs) for the exit step, one paragraph.

        ``cell`` names the cell (execution count, msg_id); ``started`` is the
        wall-clock start (``time.time()``; default now).
        """
        started = time.time() if started is None else started
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
        return (
            f"codemode: cell {cell}, started {stamp}, ran {self.exit_after:g} s: past its"
            f" {self.limit:g} s limit plus two grace periods of {self.grace:g} s"
            " (CODEMODE_CELL_TIMEOUT_GRACE), inside a call that neither ends on SIGINT nor"
            " runs Python lines (a C call holding the GIL, e.g. a catastrophic regular"
            f" expression). The kernel process is exiting (exit code {EXIT_CODE}) to stop it;"
            " the shutdown policy is not applied, so a restart finds the session's database"
            " with every committed transaction (the open one rolls back). Stack of every"
            " thread when it exited:\n"
        )
