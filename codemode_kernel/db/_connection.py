"""The session's one SQLite connection: open, pragmas, limits, quota, deadline, interrupt.

The file is opened on first use (:meth:`Connection.get`), so kernel start-up
pays nothing. Every statement runs under the engine-level guard (the
authorizer) unless it is the kernel's own, run inside :meth:`Connection.internal`
with its text passed through :meth:`Connection.tagged`.

A deadline works like Datasette's ``sqlite_timelimit(conn, ms)``: SQLite's
progress handler, called every ``PROGRESS_OPCODES`` virtual-machine steps,
stops the running statement once the deadline has passed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .._authorizer import Authorizer, sqlite_error_to_guard
from .._compile import limit_error
from .._limits import LIMITS, TEMP_PRAGMAS
from ..errors import QueryTimeoutError, QuotaExceededError, SQLSyntaxError
from ._functions import register as register_functions

if TYPE_CHECKING:
    from .._store import Session

__all__ = ["LIMITS", "LOG_RESERVE_BYTES", "PROGRESS_OPCODES", "TXN_LOST", "Connection", "Deadline"]

#: Room the execution log may take above the size quota (see Connection.log_room):
#: one flush of 1,000 entries with SQL texts of up to 2,000 characters.
LOG_RESERVE_BYTES = 4 * 1024 * 1024
#: SQLite steps between two calls of the progress handler (the deadline check).
PROGRESS_OPCODES = 5_000


TXN_LOST = (
    "an ON CONFLICT ROLLBACK (e.g. UPDATE OR ROLLBACK) rolled back this call's transaction;"
    " nothing from this call was kept"
)


class Connection:
    """The session database's ``sqlite3.Connection`` and what surrounds it.

    ``lock`` (re-entrant) serialises every use; :meth:`interrupt` is the one
    method meant to be called from another thread.
    """

    def __init__(
        self,
        session: Session,
        authorizer: Authorizer,
        settings: Callable[[], Any],
        schema: str,
    ) -> None:
        """``settings()`` returns the :class:`Settings` in force; ``schema`` is the
        script of the bookkeeping tables, run at each open."""
        self.session = session
        self.authorizer = authorizer
        self._settings = settings
        self._schema = schema
        self.lock = threading.RLock()
        #: Internal statement texts carry this per-process tag so that a user
        #: statement can never hit one of their cached, pre-authorised plans.
        self.tag = f" /* codemode:{secrets.token_hex(8)} */"
        self.raw: sqlite3.Connection | None = None
        #: Called with this object after each open, under the lock.
        self.on_open: list[Callable[[Connection], None]] = []
        self.busy_ms = 5_000
        self._deadline: float | None = None
        self._interrupt_error: BaseException | None = None
        self.quota_pages = 0
        self.log_reserve_pages = 0
        #: A call's outermost transaction is open (set by ``_transaction``).
        self.txn_open = False

    # -- open / close -------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.raw is not None

    def get(self) -> sqlite3.Connection:
        """The open ``sqlite3.Connection`` (opening the file on first use)."""
        conn = self.raw
        if conn is None:
            with self.lock:
                if self.raw is None:
                    self._open()
                conn = self.raw
        assert conn is not None
        return conn

    def _open(self) -> None:
        self.session.acquire()
        self.session.ensure()
        path = self.session.db_path
        if not path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        settings = self._settings()
        self.busy_ms = int(max(5.0, settings.query_timeout) * 1000)
        conn = sqlite3.connect(
            path,
            isolation_level=None,
            check_same_thread=False,
            timeout=self.busy_ms / 1000,
        )
        for name, value in LIMITS.items():
            conn.setlimit(getattr(sqlite3, name), value)
        register_functions(conn)
        conn.execute("PRAGMA journal_mode=WAL")
        for name, value in TEMP_PRAGMAS.items():  # see _limits
            conn.execute(f"PRAGMA {name} = {value}")
        conn.execute("PRAGMA synchronous=NORMAL")
        self.set_quota(settings.max_db_mb, conn)
        conn.executescript(f"BEGIN;{self._schema}COMMIT;")
        conn.set_authorizer(self.authorizer)
        conn.set_progress_handler(self._progress, PROGRESS_OPCODES)
        self.raw = conn
        for hook in self.on_open:
            hook(self)

    def close(self) -> None:
        """Close the connection (the file stays); a later :meth:`get` reopens it."""
        with self.lock:
            if self.raw is None:
                return
            with contextlib.suppress(sqlite3.Error):
                self.raw.close()
            self.raw = None

    def set_quota(self, max_db_mb: float, conn: sqlite3.Connection | None = None) -> None:
        """Cap the file at ``max_db_mb`` MB (``PRAGMA max_page_count``, at least 16 pages)."""
        conn = conn or self.raw
        if conn is None:
            return
        # Not internal(): that opens the connection, and _open() calls this.
        previous, self.authorizer.internal = self.authorizer.internal, True
        try:
            page_size = conn.execute(self.tagged("PRAGMA page_size")).fetchone()[0]
            pages = max(16, int(max_db_mb * 1024 * 1024 // page_size))
            conn.execute(self.tagged(f"PRAGMA max_page_count={pages:d}"))
            self.quota_pages = pages
            self.log_reserve_pages = max(16, LOG_RESERVE_BYTES // page_size)
        finally:
            self.authorizer.internal = previous

    @contextlib.contextmanager
    def log_room(self) -> Iterator[None]:
        """Let the kernel's execution log use ``LOG_RESERVE_BYTES`` above the quota.

        A session that filled its quota still logs its calls (a refused
        ATTACH among them). User statements never run inside this block, so
        the reserve is the log's alone.
        """
        conn = self.raw
        if conn is None or not self.quota_pages:
            yield
            return
        conn.execute(
            self.tagged(f"PRAGMA max_page_count={self.quota_pages + self.log_reserve_pages:d}")
        )
        try:
            yield
        finally:
            # SQLite keeps the count at the file's size if that is larger now.
            conn.execute(self.tagged(f"PRAGMA max_page_count={self.quota_pages:d}"))

    # -- the kernel's own statements ------------------------------------------

    def tagged(self, text: str) -> str:
        """An internal statement's text, with this process's tag appended."""
        return text + self.tag

    @contextlib.contextmanager
    def internal(self) -> Iterator[sqlite3.Connection]:
        """Run the kernel's own statements with the policy relaxed."""
        conn = self.get()  # open first: _open() sets and resets the flag itself
        previous, self.authorizer.internal = self.authorizer.internal, True
        try:
            yield conn
        finally:
            self.authorizer.internal = previous

    def run_internal(self, text: str, params: Any = ()) -> list[tuple]:
        """Run one of the kernel's own statements; its rows (fetched) and nothing else."""
        with self.lock, self.internal() as conn:
            return conn.execute(self.tagged(text), params).fetchall()

    # -- user statements --------------------------------------------------------

    def txn_lost(self) -> bool:
        """An ON CONFLICT ROLLBACK (``UPDATE OR ROLLBACK``, a ROLLBACK conflict
        clause) ended the call's transaction from inside a statement."""
        conn = self.raw
        return self.txn_open and conn is not None and not conn.in_transaction

    def execute(self, sql: str, params: Any = None) -> sqlite3.Cursor:
        """Run one user statement under the engine-level guard; the open cursor."""
        if self.txn_lost():
            raise sqlite3.OperationalError(TXN_LOST)  # never write in autocommit
        if self.timed_out():
            # A script of many short statements never trips the progress
            # handler (it counts VM steps within one statement): check here.
            raise sqlite3.OperationalError("interrupted")
        self.authorizer.begin()
        conn = self.get()
        try:
            if params is None:
                return conn.execute(sql)
            return conn.execute(sql, params)
        except OverflowError as exc:
            raise ValueError(
                f"a parameter does not fit in SQLite's 64-bit INTEGER: {exc}"
            ) from None
        except sqlite3.ProgrammingError as exc:
            if "binding" in str(exc) or "supplied" in str(exc):
                raise ValueError(str(exc)) from None
            raise

    def executemany(self, sql: str, rows: Iterable[tuple]) -> None:
        """``executemany`` of one user statement under the engine-level guard."""
        if self.txn_lost():
            raise sqlite3.OperationalError(TXN_LOST)  # never write in autocommit
        self.authorizer.begin()
        # An int beyond 64 bits raises OverflowError: the caller names the column.
        self.get().executemany(sql, rows)

    # -- deadline and interrupt ------------------------------------------------

    def deadline(self, seconds: float) -> Deadline:
        """A context manager: stop a statement of this connection that runs past
        ``seconds`` from now.

        Nests: the enclosing deadline is back in force afterwards. A
        statement stopped by it ends in ``sqlite3.OperationalError:
        interrupted``, which :meth:`map_error` turns into QueryTimeoutError
        (call it inside the block, while the deadline is still set).
        """
        return Deadline(self, seconds)

    def push_deadline(self, seconds: float) -> float | None:
        """Set a deadline ``seconds`` from now; return the one it replaces (give
        that to :meth:`pop_deadline`). :meth:`deadline` is the ``with`` form."""
        outer = self._deadline
        self._deadline = time.monotonic() + seconds
        return outer

    def pop_deadline(self, outer: float | None) -> None:
        """Put back the deadline :meth:`push_deadline` replaced."""
        self._deadline = outer

    def restart_deadline(self, seconds: float) -> None:
        """Move the innermost deadline to ``seconds`` from now (batch_insert: per chunk)."""
        self._deadline = time.monotonic() + seconds

    def timed_out(self) -> bool:
        deadline = self._deadline
        return deadline is not None and time.monotonic() > deadline

    def _progress(self) -> int:
        # Called every PROGRESS_OPCODES steps of every statement: kept to one frame.
        deadline = self._deadline
        return 1 if deadline is not None and time.monotonic() > deadline else 0

    def interrupt(self, error: BaseException | None = None) -> None:
        """Stop the running statement (called from another thread).

        ``error`` (e.g. the cell watchdog's ``CellTimeoutError``) is what the
        interrupted call raises instead of ``KeyboardInterrupt``.
        """
        conn = self.raw
        if conn is not None:
            self._interrupt_error = error
            conn.interrupt()

    def clear_interrupt(self) -> None:
        """Forget an interrupt error left over from an earlier call."""
        self._interrupt_error = None

    def map_error(self, exc: BaseException, sql: str) -> BaseException:
        """The error a public call raises for ``exc`` (``exc`` itself if it stays).

        Interrupts become QueryTimeoutError (the deadline passed), the
        interrupting thread's error, or KeyboardInterrupt; a full file
        becomes QuotaExceededError; a syntax error SQLSyntaxError.
        """
        if not isinstance(exc, sqlite3.DatabaseError):
            return exc
        settings = self._settings()
        msg = str(exc)
        if msg == "interrupted":
            if self.timed_out():
                t = settings.query_timeout
                return QueryTimeoutError(
                    f"the statement ran longer than query_timeout={t:g} s and was stopped."
                    " Add a WHERE/LIMIT, index the columns you filter on, or raise the limit"
                    " with helpers.db.set_limits(query_timeout=...) or CODEMODE_QUERY_TIMEOUT"
                )
            error = self._interrupt_error
            if error is not None:
                self._interrupt_error = None
                return type(error)(*error.args)
            return KeyboardInterrupt("SQL statement interrupted")
        if "database or disk is full" in msg:
            return QuotaExceededError(
                f"the session database reached its quota of {settings.max_db_mb:g} MB;"
                " nothing from this call was kept. Delete rows or drop tables, or raise the"
                " quota with helpers.db.set_limits(max_db_mb=...) or CODEMODE_MAX_DB_MB"
            )
        if "syntax error" in msg or "incomplete input" in msg:
            return SQLSyntaxError(f"SQL syntax error (from SQLite): {msg}\n  {sql.strip()[:300]}")
        return limit_error(exc, LIMITS) or sqlite_error_to_guard(exc, self.authorizer, sql)


class Deadline:
    """What :meth:`Connection.deadline` returns (a class, so that its exit runs
    in one frame: see :class:`~codemode_kernel.db._transaction.Atomic`)."""

    __slots__ = ("connection", "outer", "seconds")

    def __init__(self, connection: Connection, seconds: float) -> None:
        self.connection = connection
        self.seconds = seconds
        self.outer: float | None = None

    def __enter__(self) -> Deadline:
        self.outer = self.connection.push_deadline(self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        self.connection.pop_deadline(self.outer)
