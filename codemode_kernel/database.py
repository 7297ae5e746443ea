"""``helpers.db``: the session's guarded SQLite database.

Every public call is one transaction: it commits whole or changes nothing.
The database file is opened on first use, so kernel start-up pays nothing.

Definitions used by :meth:`Database.get_metrics`:

* **rows read**: rows returned to the caller (after the ``max_rows`` cut);
* **rows written**: SQLite's change counts (``rowcount``) of user statements
  and of ``batch_insert``.

The execution log is buffered in memory and written to ``_codemode_log``
with the next write, by ``logs()``/``get_metrics()``, when 1,000 entries are
waiting, or after 2 s; a hard crash can lose the entries of those last
seconds, never user data. The log keeps the newest 10,000 entries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import json
import os
import secrets
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import guard
from .errors import QueryTimeoutError, QuotaExceededError, SQLSyntaxError, StateError
from .records import adapt_params

if TYPE_CHECKING:
    import pandas as pd

    from .settings import Settings
    from .store import Session

__all__ = ["LIMITS", "Database", "ExecResult", "NewColumnsWarning"]

LOG_KEEP = 10_000
#: Flush the buffered log at this many entries (a flush is one write
#: transaction, ~1 ms: at 100 it was 7% of a point query's time).
LOG_FLUSH_ENTRIES = 1_000
PROGRESS_OPCODES = 5_000
#: SQLite limits set on the session connection (see README "Limits").
LIMITS = {
    "SQLITE_LIMIT_LENGTH": 16 * 1024 * 1024,  # one string/blob: 16 MiB
    "SQLITE_LIMIT_SQL_LENGTH": 1_000_000,  # one SQL text: 1 MB
    "SQLITE_LIMIT_EXPR_DEPTH": 100,  # 10 breaks real analytics; 100 does not
    "SQLITE_LIMIT_LIKE_PATTERN_LENGTH": 1_000,  # long patterns run for a minute in one VM step
    "SQLITE_LIMIT_ATTACHED": 0,  # also stops VACUUM INTO
    "SQLITE_LIMIT_COMPOUND_SELECT": 500,
    "SQLITE_LIMIT_VARIABLE_NUMBER": 32_766,
}


class NewColumnsWarning(UserWarning):
    """batch_insert added columns to an existing table."""


@dataclasses.dataclass(frozen=True)
class ExecResult:
    """What :meth:`Database.exec` did."""

    rows_affected: int
    last_row_id: int | None
    statements: int
    elapsed_ms: float

    def __repr__(self) -> str:
        return (
            f"ExecResult(rows_affected={self.rows_affected}, last_row_id={self.last_row_id}, "
            f"statements={self.statements}, elapsed_ms={self.elapsed_ms:.2f})"
        )


_COUNTERS = ("queries", "statements", "rows_read", "rows_written", "errors", "time_ms")


class Database:
    """The session database. Reach it as ``helpers.db`` in a notebook.

    >>> helpers.db.create_table("trials", "id INTEGER PRIMARY KEY, phase TEXT")
    >>> helpers.db.batch_insert("trials", [{"id": 1, "phase": "III"}])
    1
    >>> helpers.db.query("SELECT phase, count(*) AS n FROM trials GROUP BY phase")
    """

    def __init__(self, session: Session, settings: Settings, *, parser_guard: bool = True) -> None:
        self.session = session
        self.settings = settings
        #: Turning this off leaves only the engine layer (used by the tests
        #: that prove the authorizer blocks on its own). Never off in normal use.
        self.parser_guard = parser_guard
        self._conn: sqlite3.Connection | None = None
        self._auth = guard.Authorizer()
        self._lock = threading.RLock()
        self._tag = f" /* codemode:{secrets.token_hex(8)} */"
        self._deadline: float | None = None
        self._interrupt_error: BaseException | None = None
        self._depth = 0  # nested calls (a write from inside batch_insert's generator)
        self._log: list[tuple] = []
        self._log_since = 0.0
        self._counters = dict.fromkeys(_COUNTERS, 0)
        self._counters["time_ms"] = 0.0
        self.on_open: list[Callable[[Database], None]] = []

    # -- connection --------------------------------------------------------

    @property
    def path(self) -> os.PathLike:
        return self.session.db_path

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            with self._lock:
                if self._conn is None:
                    self._open()
        assert self._conn is not None
        return self._conn

    def _open(self) -> None:
        self.session.acquire()
        self.session.ensure()
        path = self.session.db_path
        if not path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._busy_ms = int(max(5.0, self.settings.query_timeout) * 1000)
        conn = sqlite3.connect(
            path,
            isolation_level=None,
            check_same_thread=False,
            timeout=self._busy_ms / 1000,
        )
        for name, value in LIMITS.items():
            conn.setlimit(getattr(sqlite3, name), value)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        self._apply_quota(conn)
        conn.executescript(
            "BEGIN;"
            "CREATE TABLE IF NOT EXISTS _codemode_state ("
            " key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);"
            "CREATE TABLE IF NOT EXISTS _codemode_log ("
            " id INTEGER PRIMARY KEY, ts REAL NOT NULL, kind TEXT NOT NULL, sql TEXT,"
            " rows INTEGER, elapsed_ms REAL, error TEXT);"
            "CREATE TABLE IF NOT EXISTS _codemode_meta (key TEXT PRIMARY KEY, value TEXT);"
            "COMMIT;"
        )
        row = conn.execute("SELECT value FROM _codemode_meta WHERE key='counters'").fetchone()
        # The counters belong to this database file: load them (a reopen
        # must not add them twice; a fresh file after expiry starts at 0).
        self._counters = dict.fromkeys(_COUNTERS, 0)
        self._counters["time_ms"] = 0.0
        if row:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                saved = json.loads(row[0])
                for k in _COUNTERS:
                    self._counters[k] = saved.get(k, self._counters[k])
        conn.set_authorizer(self._auth)
        conn.set_progress_handler(self._progress, PROGRESS_OPCODES)
        self._conn = conn
        for hook in self.on_open:
            hook(self)

    def close(self) -> None:
        """Flush the log and close the connection (the file stays)."""
        with self._lock:
            if self._conn is None:
                return
            with contextlib.suppress(sqlite3.Error):
                self._flush_log()
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def interrupt(self, error: BaseException | None = None) -> None:
        """Stop the running statement (called from another thread).

        ``error`` (e.g. the cell watchdog's ``CellTimeoutError``) is what the
        interrupted call raises instead of ``KeyboardInterrupt``.
        """
        conn = self._conn
        if conn is not None:
            self._interrupt_error = error
            conn.interrupt()

    def set_limits(
        self,
        *,
        max_rows: int | None = None,
        query_timeout: float | None = None,
        max_db_mb: float | None = None,
    ) -> dict[str, float]:
        """Change this session's limits at run time; return the limits now in force.

        The kernel's settings (``CODEMODE_*``) are the defaults; this lowers
        (or raises) them for this session, e.g. to give an agent a tighter
        budget. The size quota applies at once, also to an open database.

        >>> helpers.db.set_limits(query_timeout=5, max_rows=1000)
        """
        from .settings import SETTINGS

        changes = {}
        parse = {s.name: s.parse for s in SETTINGS}
        for name, value in (
            ("max_rows", max_rows),
            ("query_timeout", query_timeout),
            ("max_db_mb", max_db_mb),
        ):
            if value is not None:
                try:
                    changes[name] = parse[name](value)
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{name}={value!r} is invalid: {exc}") from None
        with self._lock:
            self.settings = dataclasses.replace(self.settings, **changes)
            if "max_db_mb" in changes and self._conn is not None:
                self._apply_quota(self._conn)
        s = self.settings
        return {"max_rows": s.max_rows, "query_timeout": s.query_timeout, "max_db_mb": s.max_db_mb}

    def _apply_quota(self, conn: sqlite3.Connection) -> None:
        # Not _internal(): that opens the connection, and _open() calls this.
        previous, self._auth.internal = self._auth.internal, True
        try:
            page_size = conn.execute(self._sql("PRAGMA page_size")).fetchone()[0]
            pages = max(16, int(self.settings.max_db_mb * 1024 * 1024 // page_size))
            conn.execute(self._sql(f"PRAGMA max_page_count={pages:d}"))
        finally:
            self._auth.internal = previous

    def _progress(self) -> int:
        deadline = self._deadline
        return 1 if deadline is not None and time.monotonic() > deadline else 0

    @contextlib.contextmanager
    def _internal(self) -> Iterator[sqlite3.Connection]:
        """Run the kernel's own statements with the policy relaxed."""
        conn = self.conn  # open first: _open() sets and resets the flag itself
        previous, self._auth.internal = self._auth.internal, True
        try:
            yield conn
        finally:
            self._auth.internal = previous

    def _sql(self, text: str) -> str:
        # Internal statement texts carry a per-process tag so a user
        # statement can never hit one of their cached, pre-authorised plans.
        return text + self._tag

    # -- the execution core ------------------------------------------------

    def _classify(self, sql: object) -> tuple[guard.Statement, ...]:
        if sql is None or not isinstance(sql, str):
            hint = "; decode it first (sql.decode())" if isinstance(sql, bytes) else ""
            raise TypeError(f"SQL must be a str, got {type(sql).__name__}{hint}")
        if "\x00" in sql:
            raise ValueError(f"SQL contains a NUL byte at position {sql.index(chr(0))}")
        limit = LIMITS["SQLITE_LIMIT_SQL_LENGTH"]
        if len(sql) > limit:
            raise ValueError(
                f"SQL is {len(sql):,} characters; the limit is {limit:,}."
                " Pass data as params or with batch_insert() instead of inlining it"
            )
        if self.parser_guard:
            stmts = guard.classify(sql)
        else:
            stmts = tuple(
                guard.Statement("?", t, o, True, 0, frozenset())
                for o, t in guard.split_statements(sql)
            )
        if not stmts:
            raise ValueError("SQL is empty (only whitespace or comments); nothing to run")
        return stmts

    def _begin(self, write: bool) -> None:
        with self._internal() as conn:
            if conn.in_transaction:
                # A ROLLBACK that an interrupt cut short left this open.
                conn.execute(self._sql("ROLLBACK"))
            conn.execute(self._sql("BEGIN IMMEDIATE" if write else "BEGIN"))

    def _end(self, ok: bool) -> None:
        conn = self._conn
        if conn is None or not conn.in_transaction:
            return
        with self._internal():
            conn.execute(self._sql("COMMIT" if ok else "ROLLBACK"))

    def _execute(self, stmt: guard.Statement, params: Any) -> sqlite3.Cursor:
        self._auth.begin()
        try:
            if params is None:
                return self.conn.execute(stmt.text)
            return self.conn.execute(stmt.text, params)
        except OverflowError as exc:
            raise ValueError(
                f"a parameter does not fit in SQLite's 64-bit INTEGER: {exc}"
            ) from None
        except sqlite3.ProgrammingError as exc:
            if "binding" in str(exc) or "supplied" in str(exc):
                raise ValueError(str(exc)) from None
            raise

    def _execute_built(self, sql: str) -> None:
        """Run a statement the kernel built for the user, under the user policy."""
        if self.parser_guard:
            guard.classify(sql)
        self._auth.begin()
        self.conn.execute(sql).close()

    def _execute_many(self, sql: str, rows: list[tuple]) -> None:
        self._auth.begin()
        # batch_insert streams for as long as its records last: query_timeout
        # bounds each chunk's SQL, not the whole call (nor the caller's generator).
        self._deadline = time.monotonic() + self.settings.query_timeout
        try:
            self.conn.executemany(sql, rows)
        except OverflowError as exc:
            raise ValueError(
                f"a value does not fit in SQLite's 64-bit INTEGER ({exc}); store it as str"
            ) from None

    def _map_error(self, exc: BaseException, sql: str) -> BaseException:
        if isinstance(exc, sqlite3.DatabaseError):
            msg = str(exc)
            if msg == "interrupted":
                if self._deadline is not None and time.monotonic() > self._deadline:
                    t = self.settings.query_timeout
                    return QueryTimeoutError(
                        f"the statement ran longer than query_timeout={t:g} s and was stopped."
                        " Add a WHERE/LIMIT, index the columns you filter on, or raise the limit"
                        " with CODEMODE_QUERY_TIMEOUT"
                    )
                error = getattr(self, "_interrupt_error", None)
                if error is not None:
                    self._interrupt_error = None
                    return type(error)(*error.args)
                return KeyboardInterrupt("SQL statement interrupted")
            if "database or disk is full" in msg:
                return QuotaExceededError(
                    f"the session database reached its quota of {self.settings.max_db_mb:g} MB;"
                    " nothing from this call was kept. Delete rows or drop tables, or raise"
                    " CODEMODE_MAX_DB_MB"
                )
            if "syntax error" in msg or "incomplete input" in msg:
                return SQLSyntaxError(
                    f"SQL syntax error (from SQLite): {msg}\n  {sql.strip()[:300]}"
                )
            blocked = guard.sqlite_error_to_guard(exc, self._auth, sql)
            if blocked is not exc:
                return blocked
        return exc

    def _call(
        self,
        kind: str,
        sql: str,
        fn: Callable[[], tuple[Any, int]],
        *,
        write: bool,
        txn: bool = True,
    ) -> Any:
        """Run ``fn`` in one transaction, with deadline, log and counters.

        A call made while another one runs (a write from inside
        batch_insert's record generator) joins the outer transaction through
        a savepoint: it is undone alone if it fails, and with the outer call
        if that fails.
        """
        with self._lock:
            conn = self.conn
            nested = self._depth > 0
            outer_deadline = self._deadline
            start = time.perf_counter()
            self._deadline = time.monotonic() + self.settings.query_timeout
            if not nested:
                self._interrupt_error = None
            rows = 0
            error: BaseException | None = None
            self._depth += 1
            try:
                if txn:
                    self._open_txn(write, nested)
                result, rows = fn()
                if txn:
                    if write and not nested:
                        self._flush_log(in_txn=True)
                    self._close_txn(True, nested)
                return result
            except BaseException as exc:
                if txn:
                    with contextlib.suppress(sqlite3.Error):
                        self._close_txn(False, nested)
                error = self._map_error(exc, sql)
                if error is exc:
                    raise
                raise error from None
            finally:
                self._depth -= 1
                self._deadline = outer_deadline
                elapsed = (time.perf_counter() - start) * 1000
                self._record(kind, sql, rows, elapsed, error)
                del conn

    def _open_txn(self, write: bool, nested: bool) -> None:
        if nested:
            with self._internal() as conn:
                conn.execute(self._sql("SAVEPOINT codemode_nested"))
        else:
            self._begin(write)

    def _close_txn(self, ok: bool, nested: bool) -> None:
        if not nested:
            self._end(ok)
            return
        with self._internal() as conn:
            if not ok:
                conn.execute(self._sql("ROLLBACK TO codemode_nested"))
            conn.execute(self._sql("RELEASE codemode_nested"))

    def _record(
        self,
        kind: str,
        sql: str,
        rows: int,
        elapsed_ms: float,
        error: BaseException | None,
        *,
        counted: bool = True,
    ) -> None:
        # Kinds: query, exec, script, batch_insert; "mcp" (a helpers.mcp tool
        # call, counted=False: not database time or database errors).
        with self._lock:
            c = self._counters
            if counted:
                c["time_ms"] += elapsed_ms
                c["errors"] += error is not None
            err = f"{type(error).__name__}: {str(error).splitlines()[0][:500]}" if error else None
            if not self._log:
                self._log_since = time.monotonic()
            self._log.append((time.time(), kind, sql[:2000], rows, round(elapsed_ms, 3), err))
            self.session.touch()
            due = len(self._log) >= LOG_FLUSH_ENTRIES or time.monotonic() - self._log_since > 2.0
            if due and self._depth == 0:
                self._flush_log(wait=False)

    def _flush_log(self, *, in_txn: bool = False, wait: bool = True) -> bool:
        """Write the buffered log entries (and the counters); True if written.

        ``in_txn``: inside the caller's transaction, under a savepoint, so a
        failure here (the quota, a lock) never fails the caller's own call.
        Otherwise in a transaction of its own; ``wait=False`` gives up at
        once if another kernel holds the write lock. Entries that could not
        be written stay buffered for the next flush.
        """
        conn = self._conn
        if conn is None or not self._log or (conn.in_transaction and not in_txn):
            return False
        entries = list(self._log)
        with self._internal():
            began = False
            try:
                if not wait:
                    conn.execute(self._sql("PRAGMA busy_timeout = 0"))
                if in_txn:
                    conn.execute(self._sql("SAVEPOINT codemode_log"))
                else:
                    conn.execute(self._sql("BEGIN IMMEDIATE"))
                    began = True
                conn.executemany(
                    self._sql(
                        "INSERT INTO _codemode_log (ts, kind, sql, rows, elapsed_ms, error)"
                        " VALUES (?, ?, ?, ?, ?, ?)"
                    ),
                    entries,
                )
                conn.execute(
                    self._sql(
                        "DELETE FROM _codemode_log"
                        " WHERE id <= (SELECT max(id) FROM _codemode_log) - ?"
                    ),
                    (LOG_KEEP,),
                )
                conn.execute(
                    self._sql(
                        "INSERT OR REPLACE INTO _codemode_meta (key, value) VALUES ('counters', ?)"
                    ),
                    (json.dumps(self._counters),),
                )
                conn.execute(self._sql("RELEASE codemode_log" if in_txn else "COMMIT"))
                del self._log[: len(entries)]
                return True
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):
                    if in_txn:
                        conn.execute(self._sql("ROLLBACK TO codemode_log"))
                        conn.execute(self._sql("RELEASE codemode_log"))
                    elif began and conn.in_transaction:
                        conn.execute(self._sql("ROLLBACK"))
                return False
            finally:
                if not wait:
                    conn.execute(self._sql(f"PRAGMA busy_timeout = {self._busy_ms:d}"))

    # -- query / exec ------------------------------------------------------

    def query(
        self, sql: str, params: Sequence | Mapping | None = None, *, limit: int | None = None
    ) -> pd.DataFrame:
        """Run one row-returning statement; return at most ``max_rows`` rows.

        ``df.attrs["codemode"]`` holds ``sql``, ``row_count``, ``truncated``,
        ``row_limit`` and ``elapsed_ms``. Truncation is flagged, never silent.

        >>> helpers.db.query("SELECT * FROM trials WHERE phase = ?", ["III"], limit=10)
        """

        row_limit = self._row_limit(limit)
        try:
            stmts = self._classify(sql)
        except Exception as exc:
            self._record("query", sql if isinstance(sql, str) else repr(sql), 0, 0.0, exc)
            raise
        if len(stmts) != 1:
            exc = ValueError(
                f"query() runs one statement; this SQL has {len(stmts)}."
                " Run scripts with helpers.db.exec(), or call query() once per SELECT"
            )
            self._record("query", sql, 0, 0.0, exc)
            raise exc
        stmt = stmts[0]
        if self.parser_guard and not stmt.returns_rows:
            exc = ValueError(
                f"query() is for statements that return rows; {stmt.kind} returns none."
                " Use helpers.db.exec() for writes (or add RETURNING)"
            )
            self._record("query", sql, 0, 0.0, exc)
            raise exc
        bound = self._bind(stmt, params)
        write = stmt.kind != "SELECT"
        start = time.perf_counter()

        def run() -> tuple[tuple[list, list, bool], int]:
            before = self.conn.total_changes
            cur = self._execute(stmt, bound)
            try:
                rows = cur.fetchmany(row_limit + 1)
                columns = [d[0] for d in cur.description or ()]
            finally:
                cur.close()
            if write:
                # RETURNING applies every change at its first step; SQLite
                # counts them once the statement is reset, even if rows were cut.
                self._counters["rows_written"] += self.conn.total_changes - before
            truncated = len(rows) > row_limit
            if truncated:
                del rows[row_limit:]
            return (rows, columns, truncated), len(rows)

        # Up to max_rows new tuples: the cyclic GC would start a collection
        # every 700 of them and find nothing. Pause it for the fetch and the
        # frame, and free the tuples before it resumes, so that it has
        # nothing left to count (~10% of a 10,000-row query).
        gc_on = gc.isenabled()
        gc.disable()
        try:
            rows, columns, truncated = self._call("query", sql, run, write=write, txn=write)
            elapsed = (time.perf_counter() - start) * 1000
            df = self._result(rows, columns, sql, truncated, row_limit, elapsed)
            del rows
        finally:
            if gc_on:
                gc.enable()
        self._counters["statements"] += 1
        if truncated and limit is None:  # an explicit lower limit was asked for
            warnings.warn(
                f"query returned more than {row_limit:,} rows; only the first {row_limit:,} are"
                " in the DataFrame (truncated). Add WHERE/LIMIT, use helpers.db.browse(), or"
                " raise max_rows (CODEMODE_MAX_ROWS)",
                stacklevel=2,
            )
        return df

    def _row_limit(self, limit: object) -> int:
        max_rows = self.settings.max_rows
        if limit is None:
            return max_rows
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be an int, got {type(limit).__name__}")
        if limit <= 0:
            raise ValueError(f"limit must be a positive number of rows, got {limit}")
        if limit > max_rows:
            raise ValueError(
                f"limit={limit:,} is above max_rows={max_rows:,}. Raise max_rows with"
                " CODEMODE_MAX_ROWS (or --CodeModeKernel.max_rows), or page through the"
                " result with helpers.db.browse()"
            )
        return limit

    def _bind(self, stmt: guard.Statement, params: Any) -> Any:
        if params is None and not stmt.positional and not stmt.named:
            return None  # the common case, with nothing to check or adapt
        if self.parser_guard:
            guard.statement_params_check(stmt, params)
        return adapt_params(params)

    def exec(self, sql: str, params: Sequence | Mapping | None = None) -> ExecResult:
        """Run one allowed statement, or a script of several (then no params).

        All or nothing: if any statement fails, none of them is kept.

        >>> helpers.db.exec("UPDATE trials SET phase = :p WHERE id = :id", {"p": "IV", "id": 1})
        """
        try:
            stmts = self._classify(sql)
            if len(stmts) > 1 and params is not None:
                raise ValueError(
                    f"params cannot be used with a script of {len(stmts)} statements;"
                    " run the parameterised statement in its own exec() call"
                )
            bound = self._bind(stmts[0], params) if len(stmts) == 1 else None
        except Exception as exc:
            self._record("exec", sql if isinstance(sql, str) else repr(sql), 0, 0.0, exc)
            raise
        start = time.perf_counter()

        def run() -> tuple[ExecResult, int]:
            last_id = None
            before = self.conn.total_changes
            for stmt in stmts:
                # execute() takes the first step, which applies every change
                # (RETURNING included); exec() discards rows, so none is fetched.
                cur = self._execute(stmt, bound)
                if cur.lastrowid and stmt.kind in ("INSERT", "?"):
                    last_id = cur.lastrowid
                cur.close()
            affected = self.conn.total_changes - before
            result = ExecResult(
                affected, last_id, len(stmts), round((time.perf_counter() - start) * 1000, 3)
            )
            return result, affected

        write = any(s.kind != "SELECT" for s in stmts)
        result = self._call("exec", sql, run, write=write)
        self._counters["statements"] += len(stmts)
        self._counters["rows_written"] += result.rows_affected
        return result

    def run_script(
        self, sql: str, params: Mapping | None = None, *, limit: int | None = None
    ) -> list[pd.DataFrame | ExecResult]:
        """Run a script's statements in order, in one transaction (``%%sql`` uses it).

        Returns one item per statement: a DataFrame (with ``attrs["codemode"]``,
        at most ``limit``/``max_rows`` rows) for a row-returning statement, an
        :class:`ExecResult` for the others. ``params`` is one dict for the
        ``:name`` placeholders of all statements. All or nothing.
        """

        row_limit = self._row_limit(limit)
        try:
            stmts = self._classify(sql)
            bound = [
                self._bind(
                    s, None if params is None else {k: params[k] for k in s.named & set(params)}
                )
                for s in stmts
            ]
        except Exception as exc:
            self._record("script", sql if isinstance(sql, str) else repr(sql), 0, 0.0, exc)
            raise
        write = any(s.kind != "SELECT" for s in stmts)

        def run() -> tuple[list, int]:
            out: list = []
            for stmt, b in zip(stmts, bound, strict=True):
                t0 = time.perf_counter()
                before = self.conn.total_changes
                cur = self._execute(stmt, b)
                try:
                    last = cur.lastrowid
                    rows = cur.fetchmany(row_limit + 1) if cur.description else None
                    cols = [d[0] for d in cur.description or ()]
                finally:
                    cur.close()
                n = self.conn.total_changes - before  # counted once reset (see query)
                ms = round((time.perf_counter() - t0) * 1000, 3)
                out.append((stmt, rows, cols, n, last, ms))
            return out, sum(len(r[1]) for r in out if r[1] is not None)

        results: list[pd.DataFrame | ExecResult] = []
        c = self._counters
        # One SELECT needs no transaction of its own (as in query()).
        txn = write or len(stmts) > 1
        for stmt, rows, cols, n, last, ms in self._call("script", sql, run, write=write, txn=txn):
            c["statements"] += 1
            c["rows_written"] += n if stmt.kind != "SELECT" else 0
            if rows is None:
                last_id = last if stmt.kind == "INSERT" and last else None
                results.append(ExecResult(n, last_id, 1, ms))
                continue
            truncated = len(rows) > row_limit
            del rows[row_limit:]
            results.append(self._result(rows, cols, stmt.text.strip(), truncated, row_limit, ms))
        return results

    def _result(
        self,
        rows: list[tuple],
        columns: list[str],
        sql: str,
        truncated: bool,
        row_limit: int,
        elapsed_ms: float,
    ) -> pd.DataFrame:
        """A query result: the frame, its ``attrs["codemode"]``, and the counters."""
        import pandas as pd

        df = _frame(rows, columns) if rows else pd.DataFrame(columns=columns)
        df.attrs["codemode"] = {
            "sql": sql,
            "row_count": len(rows),
            "truncated": truncated,
            "row_limit": row_limit,
            "elapsed_ms": round(elapsed_ms, 3),
        }
        self._counters["queries"] += 1
        self._counters["rows_read"] += len(rows)
        return df

    # -- batch_insert ------------------------------------------------------

    def batch_insert(
        self,
        table: str,
        records: Iterable[Mapping[str, Any]] | pd.DataFrame,
        *,
        chunk_size: int = 500,
        create: bool = True,
        progress: bool | None = None,
    ) -> int:
        """Insert records (dicts, or a DataFrame) in one transaction; return the count.

        Creates the table from the records when missing (types inferred from
        the values), and adds columns for keys that appear later (with a
        :class:`NewColumnsWarning`); it never drops a column. Streams in
        chunks of ``chunk_size`` with ``executemany``: an iterator of 10
        million dicts runs in constant memory. ``progress=None`` shows a
        tqdm bar when more than 50,000 records are known to come, or after
        2 s otherwise; ``True``/``False`` force it. ``query_timeout`` applies
        to each chunk, so a long stream is not cut off at 30 s.

        >>> helpers.db.batch_insert("events", ({"id": i, "v": i * 0.5} for i in range(10**6)))
        1000000
        """
        from .batch import BatchWriter

        guard.check_identifier(table, "table name")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        writer = BatchWriter(
            self, table, records, chunk_size=chunk_size, create=create, progress=progress
        )
        count = self._call("batch_insert", f"batch_insert into {table}", writer.run, write=True)
        self._counters["rows_written"] += count
        self._counters["statements"] += writer.statements
        if writer.added:
            warnings.warn(
                f"batch_insert added column(s) to {table!r}: {', '.join(writer.added)}",
                NewColumnsWarning,
                stacklevel=2,
            )
        return count

    # -- schema ------------------------------------------------------------

    def create_table(
        self, name: str, schema: str | Mapping[str, str], *, if_not_exists: bool = True
    ) -> ExecResult:
        """Create a table from ``"id INTEGER PRIMARY KEY, name TEXT"`` or a dict.

        The result is exactly one CREATE TABLE (a smuggled second statement is
        refused).

        >>> helpers.db.create_table("people", {"id": "INTEGER PRIMARY KEY", "name": "TEXT"})
        """
        from .ddl import create_table_sql

        return self.exec(create_table_sql(name, schema, if_not_exists=if_not_exists))

    def _table_columns(self, table: str) -> list[tuple]:
        with self._internal() as conn:
            return conn.execute(
                self._sql("SELECT * FROM pragma_table_xinfo(?)"), (table,)
            ).fetchall()

    def tables(self) -> list[str]:
        """Names of the user's tables (bookkeeping and sqlite_* tables hidden)."""
        with self._lock, self._internal() as conn:
            rows = conn.execute(
                self._sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                    " AND name NOT LIKE '\\_codemode\\_%' ESCAPE '\\' ORDER BY name"
                )
            ).fetchall()
        return [r[0] for r in rows]

    def schema(self, table: str | None = None) -> pd.DataFrame:
        """Columns of one table (or of every table): table, column, type, notnull, default, pk."""
        import pandas as pd

        names = self.tables() if table is None else [table]
        rows = []
        with self._lock:
            for t in names:
                cols = self._table_columns(t)
                if not cols and table is not None:
                    raise sqlite3.OperationalError(f"no such table: {table}")
                for _cid, name, typ, notnull, default, pk, *_ in cols:
                    rows.append((t, name, typ, bool(notnull), default, pk))
        return pd.DataFrame(rows, columns=["table", "column", "type", "notnull", "default", "pk"])

    def _row_counts(self, names: Iterable[str]) -> dict[str, int]:
        from .ddl import quote

        counts = {}
        with self._lock, self._internal() as conn:
            for t in names:
                counts[t] = conn.execute(self._sql(f"SELECT count(*) FROM {quote(t)}")).fetchone()[
                    0
                ]
        return counts

    def explain(self, sql: str, params: Sequence | Mapping | None = None) -> pd.DataFrame:
        """The query plan of an allowed statement, with a plain-words note.

        Columns: id, parent, detail, note. A note appears where SQLite scans a
        whole table although the query filters or joins on a column that an
        index could serve.
        """
        from .plan import explain_plan

        stmts = self._classify(sql)
        if len(stmts) != 1:
            raise ValueError(f"explain() takes one statement; this SQL has {len(stmts)}")
        bound = self._bind(stmts[0], params)
        with self._lock:
            self._auth.begin()
            rows = self.conn.execute(
                f"EXPLAIN QUERY PLAN {stmts[0].text}", bound if bound is not None else ()
            ).fetchall()
            return explain_plan(self, stmts[0].text, rows)

    # -- state -------------------------------------------------------------

    def save_state(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``; it survives kernel restarts."""
        _check_state_key(key)
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StateError(
                f"state value for {key!r} cannot be stored as JSON ({exc}). Store dicts, lists,"
                " str, int, float, bool or None; put tables in the database instead"
            ) from None

        def run() -> tuple[None, int]:
            with self._internal() as conn:
                conn.execute(
                    self._sql(
                        "INSERT INTO _codemode_state (key, value, updated) VALUES (?, ?, ?)"
                        " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                        " updated = excluded.updated"
                    ),
                    (key, text, time.time()),
                )
            return None, 1

        self._call("save_state", f"save_state {key!r}", run, write=True)

    def get_state(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` if there is none."""
        _check_state_key(key)
        with self._lock, self._internal() as conn:
            row = conn.execute(
                self._sql("SELECT value FROM _codemode_state WHERE key = ?"), (key,)
            ).fetchone()
        self.session.touch()
        return default if row is None else json.loads(row[0])

    def delete_state(self, key: str) -> bool:
        """Remove ``key``; True if it existed."""
        _check_state_key(key)

        def run() -> tuple[bool, int]:
            with self._internal() as conn:
                n = conn.execute(
                    self._sql("DELETE FROM _codemode_state WHERE key = ?"), (key,)
                ).rowcount
            return n > 0, n

        return self._call("delete_state", f"delete_state {key!r}", run, write=True)

    def state_keys(self) -> list[str]:
        """All state keys, sorted."""
        with self._lock, self._internal() as conn:
            rows = conn.execute(
                self._sql("SELECT key FROM _codemode_state ORDER BY key")
            ).fetchall()
        return [r[0] for r in rows]

    # -- observability -----------------------------------------------------

    def logs(self, limit: int = 50) -> pd.DataFrame:
        """The newest ``limit`` log entries: time, kind, sql, rows, elapsed_ms, error."""
        import pandas as pd

        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise ValueError(f"limit must be a positive int, got {limit!r}")
        with self._lock:
            self.conn  # noqa: B018 - open it
            self._flush_log()
            with self._internal() as conn:
                rows = conn.execute(
                    self._sql(
                        "SELECT ts, kind, sql, rows, elapsed_ms, error FROM _codemode_log"
                        " ORDER BY id DESC LIMIT ?"
                    ),
                    (limit,),
                ).fetchall()
        df = pd.DataFrame(rows, columns=["time", "kind", "sql", "rows", "elapsed_ms", "error"])
        df["time"] = pd.to_datetime(df["time"], unit="s", utc=True)
        return df

    def get_metrics(self) -> dict[str, Any]:
        """Session id, path, size, tables with row counts, counters and times.

        ``rows_read`` counts rows returned to the caller; ``rows_written``
        counts SQLite's changes from user statements and batch_insert.
        """
        with self._lock:
            self.conn  # noqa: B018 - open it
            self._flush_log()
            names = self.tables()
            counts = self._row_counts(names)
        meta = self.session.meta()
        size = sum(os.path.getsize(p) for p in (self.path, f"{self.path}-wal") if os.path.exists(p))
        last = float(meta.get("last_activity", 0.0))
        c = self._counters

        def iso(ts: float) -> str:
            return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")

        return {
            "session_id": self.session.id,
            "path": str(self.path),
            "size_bytes": size,
            "tables": counts,
            "queries": c["queries"],
            "statements": c["statements"],
            "rows_read": c["rows_read"],
            "rows_written": c["rows_written"],
            "errors": c["errors"],
            "time_ms": round(c["time_ms"], 3),
            "created": iso(float(meta.get("created", 0.0))),
            "last_activity": iso(last),
            "expires": iso(last + self.settings.session_ttl),
            "limits": {
                "max_rows": self.settings.max_rows,
                "query_timeout_s": self.settings.query_timeout,
                "max_db_mb": self.settings.max_db_mb,
            },
        }

    # -- widgets (see widgets.py) ------------------------------------------

    def browse(self, table_or_sql: str, page_size: int = 50):
        """A pager widget over a table or a SELECT, one page per SQL query."""
        from .widgets import browse

        return browse(self, table_or_sql, page_size=page_size)

    def explore(self):
        """A schema explorer widget: tables, row counts, columns, indexes, samples."""
        from .widgets import explore

        return explore(self)

    # camelCase aliases of the seed's API
    batchInsert = batch_insert
    createTable = create_table
    saveState = save_state
    getState = get_state
    getMetrics = get_metrics

    def __repr__(self) -> str:
        state = "open" if self.is_open else "not opened yet"
        return f"<helpers.db session={self.session.id!r} ({state}) path={str(self.path)!r}>"


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Build the result DataFrame in one step from the fetched row tuples.

    This is the path ``pandas.read_sql_query`` takes: one object matrix, one
    dtype inference per column, blocks made without re-validating them. It
    gives the same frame as ``DataFrame.from_records(rows, columns=columns)``
    (tests/test_benchmarks.py checks) and is about 15% faster, which is most
    of our margin over raw sqlite3. Pandas internals: fall back if they move.
    """
    import pandas as pd

    try:
        from pandas._libs.lib import to_object_array_tuples
        from pandas.core.internals.construction import convert_object_array

        arrays = convert_object_array(list(to_object_array_tuples(rows).T), dtype=None)
        return pd.DataFrame._from_arrays(
            arrays, columns=columns, index=range(len(rows)), verify_integrity=False
        )
    except (ImportError, AttributeError, TypeError):
        return pd.DataFrame.from_records(rows, columns=columns)


def _check_state_key(key: object) -> None:
    if not isinstance(key, str):
        raise StateError(f"state keys must be str, got {type(key).__name__} ({key!r:.40})")
    if not key:
        raise StateError("state keys must not be empty")
