"""Let a cell timeout stop raw ``sqlite3`` statements too.

``install_sqlite_tracking`` wraps ``sqlite3.connect`` so that every
connection opened in the kernel is remembered (weakly); at a timeout the
watchdog calls ``interrupt()`` on each of them, since SIGINT alone does not
stop a running statement.
"""

from __future__ import annotations

import contextlib
import sqlite3
import weakref
from typing import Any

__all__ = ["install_sqlite_tracking", "interrupt_tracked", "tracked_connections"]

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


def interrupt_tracked() -> None:
    """Interrupt the running statement of every tracked connection."""
    for conn in tracked_connections():
        with contextlib.suppress(Exception):  # closed, or closing in another thread
            conn.interrupt()
