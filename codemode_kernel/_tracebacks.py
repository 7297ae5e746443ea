"""Error display, all of it: short tracebacks, and the cell timeout's one line.

One mechanism for every error that passes through this package (helpers,
``%sql``/``%%sql``, the widgets, the charts): :func:`install` routes every
exception of a cell through one handler. An exception whose traceback
contains a frame of ``codemode_kernel/`` is shown with only the user's own
frames (the cell, the user's modules): this package's frames go, and so do
the library frames that only carried the call (IPython's
``run_cell_magic``, pandas, the standard library). A ``%%sql`` cell has no
frame of its own worth showing (its only line is IPython's
``run_cell_magic(...)``), so its errors show the message alone, as IPython
shows a ``UsageError``. Errors that never touched the package display
exactly as stock IPython (``showtraceback``: ``%debug``, ``%pdb`` and
``_render_traceback_`` keep working).

:class:`ErrorDisplay` shows a cell that its watchdog stopped as one line,
``CellTimeoutError: ...``, whatever the cell raised on the way
(KeyboardInterrupt, CancelledError, sqlite3's "interrupted"), and makes the
execute reply say so. The kernel's shell routes every display through
:meth:`ErrorDisplay.rewrite`.
"""

from __future__ import annotations

import asyncio
import linecache
import sqlite3
import sys
import sysconfig
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CellTimeoutError

if TYPE_CHECKING:
    from ._timeouts import CellTimeouts

__all__ = ["ErrorDisplay", "install", "is_user_frame", "without_package_frames"]

PACKAGE_DIR = str(Path(__file__).parent)
_PACKAGE_DIRS = (PACKAGE_DIR + "/", str(Path(__file__).resolve().parent) + "/")
# The standard library and installed packages (IPython included): frames
# there carried the call, the user did not write them.
_LIBRARY_DIRS = tuple(
    {
        str(form) + "/"
        for key, p in sysconfig.get_paths().items()
        if "lib" in key
        for form in (Path(p), Path(p).resolve())
    }
)


def _in_package(filename: str) -> bool:
    return filename.startswith(_PACKAGE_DIRS)


def is_user_frame(filename: str) -> bool:
    """True for a frame the user wrote: a cell, a script, their own module."""
    if _in_package(filename) or filename.startswith("<decorator-gen"):
        return False
    return not filename.startswith(_LIBRARY_DIRS)


def _entries(tb: types.TracebackType | None) -> list[types.TracebackType]:
    out = []
    while tb is not None:
        out.append(tb)
        tb = tb.tb_next
    return out


def _chain(kept: list[types.TracebackType]) -> types.TracebackType | None:
    chain = None
    for t in reversed(kept):
        chain = types.TracebackType(chain, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return chain


def without_package_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The same traceback with only the user's frames (see :func:`is_user_frame`).

    A lone frame whose line is IPython's ``run_cell_magic(...)`` call (a
    ``%%sql`` cell) is dropped too: it shows nothing the user wrote.
    """
    kept = [t for t in _entries(tb) if is_user_frame(t.tb_frame.f_code.co_filename)]
    if len(kept) == 1:
        code = kept[0].tb_frame.f_code
        line = linecache.getline(code.co_filename, kept[0].tb_lineno)
        if "get_ipython().run_cell_magic(" in line:
            kept = []
    return _chain(kept)


def _through_package(tb: types.TracebackType | None) -> bool:
    return any(_in_package(t.tb_frame.f_code.co_filename) for t in _entries(tb))


def _shorten_chain(value: BaseException) -> None:
    """Strip our frames from the causes too; hide an implicit context raised inside."""
    seen = {id(value)}
    exc: BaseException | None = value
    while exc is not None:
        if _through_package(exc.__traceback__):
            if exc.__cause__ is None:
                exc.__suppress_context__ = True  # a detail of our implementation
            exc.__traceback__ = without_package_frames(exc.__traceback__)
        nxt = exc.__cause__
        exc = nxt if nxt is not None and id(nxt) not in seen else None
        if exc is not None:
            seen.add(id(exc))


def _handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None):
    from IPython.core.error import UsageError

    display = getattr(shell, "codemode_errors", None)
    if display is not None and issubclass(etype, CellTimeoutError):
        return display.custom_exc(shell, etype, value, tb, tb_offset)
    if issubclass(etype, UsageError) or not _through_package(tb):
        # Not ours: IPython's own display, exactly as without this handler.
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)
        return None
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %debug
    value.__traceback__ = tb
    _shorten_chain(value)
    short = value.__traceback__
    if short is None:
        stb = shell.InteractiveTB.get_exception_only(etype, value)
    else:
        stb = shell.InteractiveTB.structured_traceback(etype, value, short, tb_offset=tb_offset)
    shell._showtraceback(etype, value, stb)  # IPython 9 ignores the return value
    return stb


def install(shell: Any) -> None:
    """Route every error of a cell through the short display (errors that did
    not pass through this package are shown by IPython as usual).
    CellTimeoutError is a KeyboardInterrupt, not an Exception: listed on its own."""
    shell.set_custom_exc((Exception, CellTimeoutError), _handler)


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
