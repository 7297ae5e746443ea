"""How each public call of :class:`~codemode_kernel.db.Database` runs.

A call holds the connection's lock, runs under ``query_timeout`` (the
connection's deadline), raises the error that says what happened (see
:meth:`Connection.map_error`), and leaves one entry in the execution log
and in the counters, whether it succeeded or not. Writes run inside
:meth:`Transactions.atomic`, whose outermost commit also writes the log.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._calllog import mark_logged
from ._log import ExecutionLog
from ._metrics import Metrics
from ._transaction import Transactions

if TYPE_CHECKING:
    from ._connection import Connection
    from ._transaction import Atomic

__all__ = ["Call", "Calls"]


class Call:
    """One public call, as a context manager (see :meth:`Calls.call`).

    Hold ``connection.lock`` around it with a ``with`` statement of your own
    (``with db.connection.lock, calls.call(...)``): a KeyboardInterrupt can
    land on any Python line, the first line of an ``__exit__`` included
    (SIGINT while the watchdog is idle, e.g. the one jupyter_client sends
    before a shutdown), and only a lock released by the ``with`` statement
    itself is released whatever happens. A generator-based context manager
    would be worse still: interrupted in contextlib's ``__exit__``, it stays
    suspended with everything it holds.
    """

    __slots__ = (
        "_atomic",
        "_deadline_set",
        "_outer_deadline",
        "_start",
        "calls",
        "error",
        "kind",
        "rows",
        "sql",
        "statements",
        "written",
    )

    def __init__(self, calls: Calls, kind: str, sql: str, atomic: Atomic | None) -> None:
        self.calls = calls
        self.kind = kind
        self.sql = sql
        #: Rows returned or changed (the log entry's ``rows``).
        self.rows = 0
        #: Statements run and rows written: added to the counters if the call succeeds.
        self.statements = 0
        self.written = 0
        self.error: BaseException | None = None
        self._atomic = atomic
        self._deadline_set = False
        self._outer_deadline: float | None = None
        self._start = 0.0

    def __enter__(self) -> Call:
        calls = self.calls
        connection = calls.connection
        self._start = time.perf_counter()
        calls.depth += 1
        try:
            connection.get()
            if calls.depth == 1:
                connection.clear_interrupt()
            self._outer_deadline = connection.push_deadline(calls.settings().query_timeout)
            self._deadline_set = True
            if self._atomic is not None:
                self._atomic.__enter__()
        except BaseException as exc:
            self._atomic = None  # nothing to close
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, etype: type | None, exc: BaseException | None, tb: object) -> None:
        calls = self.calls
        connection = calls.connection
        try:
            atomic, self._atomic = self._atomic, None
            failed_commit = None
            if atomic is not None:
                try:
                    atomic.__exit__(etype, exc, tb)
                except BaseException as commit_error:
                    failed_commit = commit_error
            error = exc if exc is not None else failed_commit
            if error is not None:
                # Mapped while the deadline is set: it tells a timeout apart.
                self.error = connection.map_error(error, self.sql)
                if self.error is not exc:
                    raise self.error from None
        finally:
            if self._deadline_set:
                connection.pop_deadline(self._outer_deadline)
                self._deadline_set = False
            calls.depth -= 1
            elapsed = (time.perf_counter() - self._start) * 1000
            calls.record(self.kind, self.sql, self.rows, elapsed, self.error)
            if self.error is None and exc is None and (self.statements or self.written):
                calls.metrics.wrote(self.statements, self.written)
            # The caller's frame (in the error's traceback) holds this Call: no
            # reference back to the error, so code that swallows it frees it at
            # once (the cell timeout's forced stop re-arms when it is freed).
            self.error = None


class Calls:
    """The calls of one database: their transactions, log and counters."""

    def __init__(self, connection: Connection, settings: Callable[[], Any]) -> None:
        self.connection = connection
        self.settings = settings
        self.metrics = Metrics()
        self.log = ExecutionLog(connection, self.metrics)
        self.txn = Transactions(connection)
        self.txn.before_commit.append(lambda: self.log.flush(in_txn=True))
        #: Calls running now (>1: a call from inside batch_insert's generator).
        self.depth = 0
        connection.on_open.append(self._load_counters)

    def _load_counters(self, connection: Connection) -> None:
        rows = connection.run_internal("SELECT value FROM main._codemode_meta WHERE key='counters'")
        self.metrics.load(rows[0][0] if rows else None)

    def call(self, kind: str, sql: str, *, txn: bool = False, write: bool = False) -> Call:
        """One public call (``kind`` as logged), as a context manager; set
        ``.rows`` on what it returns.

        ``txn``: the block is one transaction (:meth:`Transactions.atomic`),
        a write transaction if ``write``.
        """
        return Call(self, kind, sql, self.txn.atomic(write) if txn else None)

    def refused(self, kind: str, sql: object, exc: Exception) -> Exception:
        """Log a call refused before it ran; return the error to raise."""
        self.record(kind, sql if isinstance(sql, str) else repr(sql), 0, 0.0, exc)
        return exc

    def record(
        self,
        kind: str,
        sql: object,
        rows: int,
        elapsed_ms: float,
        error: BaseException | None,
        *,
        counted: bool = True,
    ) -> None:
        """Count (unless ``counted=False``) and log one call; flush the log if due
        and no call is running.

        Total: it runs in ``finally`` blocks, where an exception of its own
        would replace the user's error, so nothing after the entry is
        buffered may raise (the entry then waits for the next flush).
        """
        with self.connection.lock:
            if counted:
                self.metrics.call(elapsed_ms, error is not None)
            if error is not None:
                mark_logged(error)  # so that db._calllog.logged does not log it twice
            due = self.log.add(kind, sql, rows, elapsed_ms, error)
            with contextlib.suppress(Exception):
                self.connection.session.touch()
                if due and self.depth == 0:
                    self.log.flush(wait=False)

    def external(
        self, kind: str, text: str, elapsed_ms: float, error: BaseException | None = None
    ) -> None:
        """One log entry for work done outside SQLite: kind ``mcp`` is a ``helpers.mcp``
        tool call (``text``: the tool and its arguments). It shows in ``logs()`` and adds
        nothing to the database's time or error counters (``get_metrics()``)."""
        self.record(kind, text, 0, elapsed_ms, error, counted=False)

    def flush(self) -> None:
        """Open the file and write the buffered log (before reading logs or metrics)."""
        with self.connection.lock:
            self.connection.get()
            self.log.flush()
