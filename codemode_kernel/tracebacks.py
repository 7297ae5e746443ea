"""Short error displays: the user's frames and the message, not our internals.

One mechanism for every error that passes through this package (helpers,
``%sql``/``%%sql``, the widgets): an exception whose traceback contains a
frame of ``codemode_kernel/`` is shown with only the user's own frames (the
cell, the user's modules). This package's frames go, and so do the library
frames that only carried the call (IPython's ``run_cell_magic``, pandas,
the standard library). A ``%%sql`` cell has no frame of its own worth
showing (its only line is IPython's ``run_cell_magic(...)`` call), so its
errors show the message alone, as IPython does for a ``UsageError``.

Errors that never touched the package display exactly as stock IPython
(``showtraceback``: ``%debug``, ``%pdb`` and ``_render_traceback_`` work).
A ``CellTimeoutError`` goes to the cell watchdog's one-line display when the
kernel has one.
"""

from __future__ import annotations

import linecache
import sys
import sysconfig
import types
from pathlib import Path
from typing import Any

from .errors import CellTimeoutError

__all__ = ["install", "is_user_frame", "without_package_frames"]

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
        nxt = exc.__cause__ if exc.__cause__ is not None else None
        exc = nxt if nxt is not None and id(nxt) not in seen else None
        if exc is not None:
            seen.add(id(exc))


def _handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None):
    from IPython.core.error import UsageError

    timeouts = getattr(shell, "codemode_timeouts", None)
    if timeouts is not None and issubclass(etype, CellTimeoutError):
        return timeouts.custom_exc(shell, etype, value, tb, tb_offset)
    if issubclass(etype, UsageError) or not _through_package(tb):
        # Not ours: IPython's own display, exactly as without this handler.
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
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
    not pass through this package are shown by IPython as usual)."""
    shell.set_custom_exc((Exception,), _handler)
