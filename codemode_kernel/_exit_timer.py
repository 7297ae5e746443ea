"""Step 4 of the ladder: exit the kernel process when a cell outlives every other step.

A C call that holds the GIL and never checks for signals (``re`` on a
catastrophic pattern, many C extensions) blocks every Python thread, the
watchdog included. The one stdlib timer that runs without the GIL is
``faulthandler.dump_traceback_later(t, exit=True)``: a C thread that, after
``t`` s, writes "Timeout (h:mm:ss)!" and the stack of every thread to a file
descriptor and calls ``_exit(1)``. Its limits, and how this module lives
with them (CPython 3.11 Modules/faulthandler.c):

- **One timer per process.** Arming replaces any earlier timer, also one the
  user's code armed (and a later call by user code replaces ours: that cell
  then has no exit step). It is armed when a cell with a limit starts and
  cancelled when it ends, so between cells nothing is armed.
- **It cannot write a custom message.** The message (which cell, when it
  started, how long it will have run, that the kernel is exiting) is written
  *before* the cell runs into the note file that faulthandler then appends
  its dump to; a note without the dump means the timer never fired. The next
  kernel of the session reads it at start-up and writes it to its stderr
  (= the kernel log under jupyter_server) and to the first cell's stderr.
- **Exit code 1, no Python clean-up:** no ``atexit``, no shutdown policy (the
  session directory is kept: this is a restart, not a shutdown), no flush of
  the execution log's last entries. SQLite's WAL keeps every committed
  transaction; the open one rolls back when the database is next opened.
- Cost per cell: a truncate and a write of the note plus faulthandler's
  thread start and join, ~50 µs (benchmarks/bench_timeouts.py).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
from pathlib import Path

__all__ = ["NOTE_NAME", "ExitTimer", "take_note"]

#: The note file, in the session directory.
NOTE_NAME = "kernel-exit.txt"
#: faulthandler's first line when its timer fired.
_FIRED = "Timeout ("


class ExitTimer:
    """faulthandler's exit timer plus the note it appends to (one per kernel)."""

    def __init__(self, note: Path) -> None:
        self.note = Path(note)
        self._fd: int | None = None
        self.armed = False

    def arm(self, seconds: float, message: str) -> None:
        """Exit the process in ``seconds`` unless ``cancel()`` comes first.

        If the note cannot be written (the session directory was removed, a
        full disk), the timer is armed anyway with the dump going to stderr:
        the exit step must not depend on the note.
        """
        fd = self._note_fd()
        if fd is not None:
            try:
                os.ftruncate(fd, 0)
                os.write(fd, message.encode("utf-8", "replace"))
            except OSError:
                fd = None
        faulthandler.dump_traceback_later(seconds, exit=True, file=2 if fd is None else fd)
        self.armed = True

    def _note_fd(self) -> int | None:
        # The session directory can be deleted and made again (TTL expiry):
        # a note file that lost its name is reopened.
        try:
            if self._fd is not None and os.fstat(self._fd).st_nlink == 0:
                os.close(self._fd)
                self._fd = None
            if self._fd is None:
                self._fd = os.open(self.note, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError:
            return None
        return self._fd

    def cancel(self) -> None:
        """The cell ended in time."""
        if self.armed:
            faulthandler.cancel_dump_traceback_later()
            self.armed = False

    def close(self) -> None:
        """Cancel and close the note (kernel shutdown)."""
        self.cancel()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def take_note(note: Path) -> str | None:
    """The note of a kernel that exited at step 4 (message + dump), else None; then empties it.

    A note without faulthandler's dump was written for a cell that ended in
    time, or by a kernel killed some other way: not ours to report.
    """
    try:
        text = Path(note).read_text("utf-8", "replace")
    except OSError:
        return None
    if not text:
        return None
    with contextlib.suppress(OSError):
        os.truncate(note, 0)
    return text if _FIRED in text else None
