"""``%session [NAME]``: show this kernel's session, or switch to a named one.

A kernel's own session is its kernel id: unique, and the same across restart
and rename, but gone with the kernel under ``CODEMODE_ON_SHUTDOWN=delete``.
A name is how a notebook says which data it means: ``%session sales`` at the
top of two notebooks gives both the same database, and reopening the
notebook later (with ``keep``) finds it again.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from ._lifecycle import shutdown_words
from ._units import size

__all__ = ["SessionMagics", "describe"]


def describe(lifecycle: Any, status: str) -> str:
    """Two lines on the current session: name, status, label, tables with row
    counts, size; where it lives and what shutdown does with it."""
    session = lifecycle.session
    tables: dict[str, int] = {}
    if session.has_db:
        # Through helpers.db: this kernel is going to use it anyway.
        with contextlib.suppress(sqlite3.Error):
            tables = lifecycle.helpers.db.get_metrics()["tables"]
    nbytes = lifecycle.store.info(session.path, live=True).size_bytes
    label = f", label {session.label!r}" if session.label else ""
    if tables:
        listed = ", ".join(f"{t} ({n:,} rows)" for t, n in tables.items())
        content = f"{len(tables)} table(s): {listed}"
    else:
        content = "no tables"
    return (
        f"session {session.id!r} ({status}{label}): {content}; {size(nbytes)}\n"
        f"  lives in {session.path}; {shutdown_words(lifecycle.settings)}"
    )


@magics_class
class SessionMagics(Magics):
    """``%session`` (show) and ``%session NAME`` (switch)."""

    @line_magic
    def session(self, line: str) -> None:
        """Show this kernel's session, or switch to the session NAME.

        ``%session NAME`` closes the current database, then makes NAME this
        kernel's session, creating it if missing; it prints the name, whether
        it is new or existing, its tables and its size. Two live kernels may
        use the same NAME at once. The kernel keeps it after a restart.

        A named session follows ``CODEMODE_ON_SHUTDOWN`` like any other: with
        ``delete`` (the default) it is deleted when the last kernel using it
        shuts down; with ``keep`` it stays for ``CODEMODE_SESSION_TTL`` after
        that, and ``%session NAME`` in any notebook finds it again.
        ``helpers.db.export(path)`` keeps a copy whatever the policy.
        """
        lifecycle = getattr(self.shell, "codemode_lifecycle", None)
        if lifecycle is None:
            raise UsageError("%session needs the codemode kernel or %load_ext codemode_kernel")
        name = line.strip()
        if not name:
            print(describe(lifecycle, "current"))
            return
        if (name[0] in "'\"") and name[-1] == name[0] and len(name) > 1:
            name = name[1:-1]
        if name.startswith("-"):
            raise UsageError(f"unknown option {name.split()[0]!r}; use %session [NAME]")
        try:
            same = name == lifecycle.session.id
            new = lifecycle.switch(name)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        # %session said it: the first-use notice would only repeat it.
        lifecycle.noticed = True
        print(describe(lifecycle, "current, unchanged" if same else "new" if new else "existing"))
