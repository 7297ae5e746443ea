"""Short error displays: the user's frames and the message, not our internals.

A ``SQLBlockedError`` (or SQLite's "no such table") raised inside
``helpers.db`` would otherwise show half a dozen frames of this package
before the one line that matters. The handler below keeps the user's own
frames and drops the package's; a ``CellTimeoutError`` goes to the cell
watchdog's one-line display when the kernel has one.
"""

from __future__ import annotations

import sqlite3
import types
from pathlib import Path
from typing import Any

from .errors import CellTimeoutError, CodeModeError

__all__ = ["install", "without_package_frames"]

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
    timeouts = getattr(shell, "codemode_timeouts", None)
    if timeouts is not None and issubclass(etype, CellTimeoutError):
        return timeouts.custom_exc(shell, etype, value, tb, tb_offset)
    if isinstance(value, CodeModeError):
        value.__suppress_context__ = True  # our own raise ... from None chains
    stb = shell.InteractiveTB.structured_traceback(
        etype, value, without_package_frames(tb), tb_offset=tb_offset
    )
    shell._showtraceback(etype, value, stb)  # IPython 9 ignores the return value
    return stb


def install(shell: Any) -> None:
    """Route codemode and sqlite3 errors through the short display."""
    # CellTimeoutError is a KeyboardInterrupt, not a CodeModeError: listed on its own.
    shell.set_custom_exc((CodeModeError, CellTimeoutError, sqlite3.Error), _handler)
