"""Error display, all of it: short tracebacks, and the cell timeout's one line.

A ``SQLBlockedError`` (or SQLite's "no such table") raised inside
``helpers.db`` would otherwise show half a dozen frames of this package
before the one line that matters. :func:`install` keeps the user's own
frames and drops the package's. :class:`ErrorDisplay` shows a cell that
its watchdog stopped as one line, ``CellTimeoutError: ...``, whatever the
cell raised on the way (KeyboardInterrupt, CancelledError, sqlite3's
"interrupted"), and makes the execute reply say so. The kernel's shell
routes every display through :meth:`ErrorDisplay.rewrite`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CellTimeoutError, CodeModeError

if TYPE_CHECKING:
    from ._timeouts import CellTimeouts

__all__ = ["ErrorDisplay", "install", "without_package_frames"]

PACKAGE_DIR = str(Path(__file__).parent)


def without_package_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The same traceback with this package's frames left out."""
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR):
            kept.append(tb)
        tb = tb.tb_next
    chain = None
    for t in reversed(kept):
        chain = types.TracebackType(chain, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return chain


def _handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None):
    display = getattr(shell, "codemode_errors", None)
    if display is not None and issubclass(etype, CellTimeoutError):
        return display.custom_exc(shell, etype, value, tb, tb_offset)
    if isinstance(value, CodeModeError):
        value.__suppress_context__ = True  # our own raise ... from None chains
    stb = shell.InteractiveTB.structured_traceback(
        etype, value, without_package_frames(tb), tb_offset=tb_offset
    )
    shell._showtraceback(etype, value, stb)  # IPython 9 ignores the return value
    return stb


def install(shell: Any) -> None:
    """Route codemode and sqlite3 errors through the short display."""
    shell.set_custom_exc((CodeModeError, sqlite3.Error), _handler)


class ErrorDisplay:
    """How the codemode kernel shows a cell stopped by its timeout."""

    def __init__(self, shell: Any, timeouts: CellTimeouts) -> None:
        self.shell = shell
        self.timeouts = timeouts
        self.shown = False  # this cell's timeout has been displayed

    def begin_cell(self) -> None:
        self.shown = False

    def one_line(self, etype: type, value: BaseException) -> list[str]:
        """The structured traceback of a timeout: one line, no chained context."""
        value.__context__ = None
        value.__cause__ = None
        value.__suppress_context__ = True
        self.shown = True
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
        if interrupted and self.timeouts.watchdog.active and self.timeouts.watchdog.fired:
            err = CellTimeoutError(self.timeouts.message())
            return CellTimeoutError, err, self.one_line(CellTimeoutError, err)
        cancelled = isinstance(etype, type) and issubclass(etype, asyncio.CancelledError)
        if cancelled and self.timeouts.cancelled_kind == "interrupt":
            return KeyboardInterrupt, KeyboardInterrupt(), stb
        return etype, evalue, stb

    def finish_reply(self, reply: dict, fired: bool) -> dict:
        """The execute reply as the client should see it (timeout, or the button's interrupt)."""
        if fired:
            return self.timed_out_reply(reply)
        if self.timeouts.cancelled_kind == "interrupt" and reply.get("ename") == "CancelledError":
            reply.update(ename="KeyboardInterrupt", evalue="")
        return reply

    def timed_out_reply(self, reply: dict) -> dict:
        """Make the execute reply of a cell whose deadline fired report the timeout."""
        shown = self.shown
        err = CellTimeoutError(self.timeouts.message())
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
