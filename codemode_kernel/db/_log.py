"""The execution log: one entry per public call, kept in ``_codemode_log``.

Entries are buffered in memory and written with the next write call (in its
own transaction, under a savepoint), by ``logs()``/``get_metrics()``, when
``FLUSH_ENTRIES`` are waiting, or after ``FLUSH_AFTER_S``; a hard crash can
lose the entries of those last seconds, never user data. The table keeps the
newest ``KEEP`` entries. The counters (:mod:`._metrics`) are saved with each
flush, in the same transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
import warnings
from typing import TYPE_CHECKING

from ._calllog import error_text, safe_repr

if TYPE_CHECKING:
    import pandas as pd

    from ._connection import Connection
    from ._metrics import Metrics

__all__ = ["COLUMNS", "KEEP", "SCHEMA", "ExecutionLog", "LogNotWrittenWarning"]


class LogNotWrittenWarning(UserWarning):
    """The execution log could not be written to the database file."""


KEEP = 10_000
#: Flush at this many entries (a flush is one write transaction, ~1 ms: at
#: 100 it was 7% of a point query's time).
FLUSH_ENTRIES = 1_000
FLUSH_AFTER_S = 2.0
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS main._codemode_log ("
    " id INTEGER PRIMARY KEY, ts REAL NOT NULL, kind TEXT NOT NULL, sql TEXT,"
    " rows INTEGER, elapsed_ms REAL, error TEXT);"
)
#: The columns of :meth:`Database.logs`.
COLUMNS = ["time", "kind", "sql", "rows", "elapsed_ms", "error"]


class ExecutionLog:
    """The buffered log of one session database."""

    def __init__(self, connection: Connection, metrics: Metrics) -> None:
        self.connection = connection
        self.metrics = metrics
        self.pending: list[tuple] = []
        self._since = 0.0
        #: The error of the last flush that failed (None once one succeeds).
        self.last_error: str | None = None
        self.unwritten_warned = False

    def add(
        self, kind: str, sql: object, rows: int, elapsed_ms: float, error: BaseException | None
    ) -> bool:
        """Buffer one entry; True if a flush is due."""
        # error_text never raises: an empty message once became IndexError here
        # (in a finally block, replacing the user's error and losing the entry).
        err = error_text(error)
        text = sql if isinstance(sql, str) else safe_repr(sql)
        if not self.pending:
            self._since = time.monotonic()
        self.pending.append((time.time(), kind, text[:2000], rows, round(elapsed_ms, 3), err))
        if len(self.pending) > KEEP:  # unwritable for long: keep the newest, count the rest
            del self.pending[: len(self.pending) - KEEP]
            self.metrics.add("log_dropped", 1)
        return len(self.pending) >= FLUSH_ENTRIES or time.monotonic() - self._since > FLUSH_AFTER_S

    def status(self) -> dict:
        """``get_metrics()["log"]``: entries not yet written after a failed flush
        (``unwritten``), dropped from a full buffer (``dropped``), the last error."""
        return {
            "unwritten": len(self.pending) if self.last_error else 0,
            "dropped": int(self.metrics.counters["log_dropped"]),
            "error": self.last_error,
        }

    def _could_not_write(self, exc: sqlite3.Error) -> None:
        """Say so, once until the next write succeeds: the log must never go silent."""
        self.last_error = str(exc)
        transient = "locked" in self.last_error or "busy" in self.last_error
        if not transient and not self.unwritten_warned:
            self.unwritten_warned = True
            warnings.warn(
                f"the execution log could not be written ({exc}); {len(self.pending):,}"
                " entries are kept in memory and shown by helpers.db.logs(). Free space"
                " (delete rows, drop tables) so they can be saved",
                LogNotWrittenWarning,
                stacklevel=2,
            )

    def flush(self, *, in_txn: bool = False, wait: bool = True) -> bool:
        """Write the buffered entries (and the counters); True if written.

        ``in_txn``: inside the caller's transaction, under a savepoint, so a
        failure here (the quota, a lock) never fails the caller's own call.
        Otherwise in a transaction of its own; ``wait=False`` gives up at
        once if another kernel holds the write lock. Entries that could not
        be written stay buffered for the next flush.
        """
        c = self.connection
        conn = c.raw
        if conn is None or not self.pending or (conn.in_transaction and not in_txn):
            return False
        entries = list(self.pending)
        with c.internal():
            began = False
            try:
                if not wait:
                    conn.execute(c.tagged("PRAGMA busy_timeout = 0"))
                if in_txn:
                    conn.execute(c.tagged("SAVEPOINT codemode_log"))
                else:
                    conn.execute(c.tagged("BEGIN IMMEDIATE"))
                    began = True
                with c.log_room():
                    self._write(entries)
                conn.execute(c.tagged("RELEASE codemode_log" if in_txn else "COMMIT"))
                del self.pending[: len(entries)]
                self.unwritten_warned = False
                return True
            except sqlite3.Error as exc:
                self._could_not_write(exc)
                with contextlib.suppress(sqlite3.Error):
                    if in_txn:
                        conn.execute(c.tagged("ROLLBACK TO codemode_log"))
                        conn.execute(c.tagged("RELEASE codemode_log"))
                    elif began and conn.in_transaction:
                        conn.execute(c.tagged("ROLLBACK"))
                return False
            finally:
                if not wait:
                    conn.execute(c.tagged(f"PRAGMA busy_timeout = {c.busy_ms:d}"))

    def _write(self, entries: list[tuple]) -> None:
        c = self.connection
        conn = c.raw
        assert conn is not None
        conn.executemany(
            c.tagged(
                "INSERT INTO main._codemode_log (ts, kind, sql, rows, elapsed_ms, error)"
                " VALUES (?, ?, ?, ?, ?, ?)"
            ),
            entries,
        )
        conn.execute(
            c.tagged(
                "DELETE FROM main._codemode_log"
                " WHERE id <= (SELECT max(id) FROM main._codemode_log) - ?"
            ),
            (KEEP,),
        )
        conn.execute(
            c.tagged(
                "INSERT OR REPLACE INTO main._codemode_meta (key, value) VALUES ('counters', ?)"
            ),
            (self.metrics.dumps(),),
        )

    def frame(self, limit: int) -> pd.DataFrame:
        """The newest ``limit`` entries written (flush first), newest first, as
        :data:`COLUMNS` (``time`` a UTC datetime)."""
        import pandas as pd

        rows = self.connection.run_internal(
            "SELECT ts, kind, sql, rows, elapsed_ms, error FROM main._codemode_log"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        # Entries a flush could not write yet are shown too: newest first.
        rows = (self.pending[::-1] + rows)[:limit]
        df = pd.DataFrame(rows, columns=COLUMNS)
        df["time"] = pd.to_datetime(df["time"], unit="s", utc=True)
        return df
