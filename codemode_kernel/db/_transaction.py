"""One transaction primitive: :meth:`Transactions.atomic`.

In the spirit of sqlite-utils' ``Database.atomic()``: the outermost
``atomic()`` is a ``BEGIN``/``COMMIT`` (``ROLLBACK`` on any exception); one
opened while another is active (a write made from inside batch_insert's
record generator) is a savepoint, undone alone if it fails and with the
outer transaction if that fails.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["Atomic", "Transactions"]

_SAVEPOINT = "codemode_nested"


class Transactions:
    """The transactions of one :class:`~codemode_kernel.db._connection.Connection`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.depth = 0
        #: Called (no arguments) inside the outermost write transaction just
        #: before its COMMIT: the execution log is written there, in the same
        #: transaction, so a call costs one commit.
        self.before_commit: list[Callable[[], None]] = []

    def atomic(self, write: bool) -> Atomic:
        """A transaction around a ``with`` block: all of it is kept, or none.

        ``write=True`` takes the write lock at once (``BEGIN IMMEDIATE``), so
        a busy database fails at the start, not halfway. Nested, it is a
        savepoint inside the enclosing transaction.
        """
        return Atomic(self, write)

    def begin(self, write: bool) -> bool:
        """Open a transaction (or a savepoint if one is open); True if nested."""
        c = self.connection
        nested = self.depth > 0
        with c.internal() as conn:
            if nested:
                conn.execute(c.tagged(f"SAVEPOINT {_SAVEPOINT}"))
            else:
                if conn.in_transaction:
                    # A ROLLBACK that an interrupt cut short left this open.
                    conn.execute(c.tagged("ROLLBACK"))
                conn.execute(c.tagged("BEGIN IMMEDIATE" if write else "BEGIN"))
        self.depth += 1
        return nested

    def end(self, ok: bool, write: bool, nested: bool) -> None:
        """Close what :meth:`begin` opened: commit if ``ok``, else roll back.

        A failed commit rolls back and raises.
        """
        self.depth -= 1
        try:
            if ok and write and not nested:
                for hook in self.before_commit:
                    hook()
            if ok:
                self._end(True, nested)
                return
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._end(False, nested)
            raise
        with contextlib.suppress(sqlite3.Error):
            self._end(False, nested)

    def _end(self, ok: bool, nested: bool) -> None:
        c = self.connection
        conn = c.raw
        if conn is None:
            return
        with c.internal():
            if nested:
                if not ok:
                    conn.execute(c.tagged(f"ROLLBACK TO {_SAVEPOINT}"))
                conn.execute(c.tagged(f"RELEASE {_SAVEPOINT}"))
            elif conn.in_transaction:
                conn.execute(c.tagged("COMMIT" if ok else "ROLLBACK"))


class Atomic:
    """The context manager :meth:`Transactions.atomic` returns.

    A class, not a generator: its exit runs in one frame, so an interrupt
    (the kernel's SIGINT handler) cannot leave it suspended half-way.
    """

    __slots__ = ("nested", "txns", "write")

    def __init__(self, txns: Transactions, write: bool) -> None:
        self.txns = txns
        self.write = write
        self.nested = False

    def __enter__(self) -> Atomic:
        self.nested = self.txns.begin(self.write)
        return self

    def __exit__(self, etype: type | None, exc: BaseException | None, tb: object) -> None:
        self.txns.end(etype is None, self.write, self.nested)
