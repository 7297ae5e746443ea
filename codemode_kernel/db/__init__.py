"""``helpers.db``: the session's guarded SQLite database.

Every public call is one transaction: it commits whole or changes nothing.
The database file is opened on first use, so kernel start-up pays nothing.

The :class:`Database` facade composes the package's modules, one concern
each: ``_connection`` (open, limits, quota, deadline, interrupt),
``_transaction`` (``atomic``), ``_calls`` (lock, timeout, errors, log entry of
each call), ``_log``, ``_metrics``, ``_state``, ``_introspect``, ``_results``,
``_batch`` and ``_plan``. See docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._authorizer import Authorizer
from .._checks import positive_int
from .._ddl import create_table_sql
from .._guard import ParserGuard
from .._identifiers import check_identifier
from .._records import adapt_params
from .._settings import parse_overrides
from .._statements import Statement
from . import _introspect as introspect
from . import _state as state
from ._batch import BatchWriter
from ._calls import Calls
from ._connection import LIMITS, Connection
from ._log import SCHEMA as LOG_SCHEMA
from ._metrics import SCHEMA as META_SCHEMA
from ._plan import explain_plan
from ._results import (
    ExecResult,
    check_limit,
    fetch,
    gc_paused,
    result_frame,
    run_each,
    truncation_warning,
)

if TYPE_CHECKING:
    import pandas as pd

    from .._settings import Settings
    from .._store import Session

__all__ = ["LIMITS", "Database", "ExecResult", "NewColumnsWarning"]


class NewColumnsWarning(UserWarning):
    """batch_insert added columns to an existing table."""


class Database:
    """The session database. Reach it as ``helpers.db`` in a notebook.

    >>> helpers.db.create_table("trials", "id INTEGER PRIMARY KEY, phase TEXT")
    ExecResult(rows_affected=0, last_row_id=None, statements=1, elapsed_ms=...)
    >>> helpers.db.batch_insert("trials", [{"id": 1, "phase": "III"}])
    1
    >>> helpers.db.query("SELECT phase, count(*) AS n FROM trials GROUP BY phase")
      phase  n
    0   III  1
    """

    #: The parser layer of the guard (its seam: see :class:`ParserGuard`).
    guard: ParserGuard = ParserGuard()

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        #: The connection and its bookkeeping (the package's internal API).
        self.connection = Connection(
            session,
            Authorizer(),
            lambda: self.settings,
            state.SCHEMA + LOG_SCHEMA + META_SCHEMA,
        )
        self._calls = Calls(self.connection, lambda: self.settings)
        self.log_external = self._calls.external  # e.g. kind "mcp": a helpers.mcp call
        self._metrics = self._calls.metrics
        #: Called with this Database each time it opens its file.
        self.on_open: list[Callable[[Database], None]] = []
        self.connection.on_open.append(self._opened)

    # -- connection --------------------------------------------------------

    @property
    def path(self) -> os.PathLike:
        return self.session.db_path

    @property
    def is_open(self) -> bool:
        return self.connection.is_open

    @property
    def conn(self) -> Any:
        """The ``sqlite3.Connection`` (opened on first use)."""
        return self.connection.get()

    def _opened(self, _connection: Connection) -> None:
        for hook in self.on_open:
            hook(self)

    def close(self) -> None:
        """Flush the log and close the connection (the file stays)."""
        with self.connection.lock:
            if not self.connection.is_open:
                return
            with contextlib.suppress(Exception):
                self._calls.log.flush()
            self.connection.close()

    def interrupt(self, error: BaseException | None = None) -> None:
        """Stop the running statement (called from another thread).

        ``error`` (e.g. the cell watchdog's ``CellTimeoutError``) is what the
        interrupted call raises instead of ``KeyboardInterrupt``.
        """
        self.connection.interrupt(error)

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
        {'max_rows': 1000, 'query_timeout': 5.0, 'max_db_mb': 1024.0}
        """
        changes = parse_overrides(
            max_rows=max_rows, query_timeout=query_timeout, max_db_mb=max_db_mb
        )
        with self.connection.lock:
            self.settings = dataclasses.replace(self.settings, **changes)
            if "max_db_mb" in changes:
                self.connection.set_quota(self.settings.max_db_mb)
        s = self.settings
        return {"max_rows": s.max_rows, "query_timeout": s.query_timeout, "max_db_mb": s.max_db_mb}

    def _classify(self, sql: object) -> tuple[Statement, ...]:
        return self.guard.statements(sql, max_length=LIMITS["SQLITE_LIMIT_SQL_LENGTH"])

    def _bind(self, stmt: Statement, params: Any) -> Any:
        if params is None and not stmt.positional and not stmt.named:
            return None  # the common case, with nothing to check or adapt
        self.guard.check_params(stmt, params)
        return adapt_params(params)

    # -- query / exec ------------------------------------------------------

    def query(
        self, sql: str, params: Sequence | Mapping | None = None, *, limit: int | None = None
    ) -> pd.DataFrame:
        """Run one row-returning statement; return at most ``max_rows`` rows.

        ``df.attrs["codemode"]`` holds ``sql``, ``row_count``, ``truncated``,
        ``row_limit`` and ``elapsed_ms``. Truncation is flagged, never silent.

        >>> helpers.db.query("SELECT * FROM trials WHERE phase = ?", ["III"], limit=10)
           id phase
        0   1   III
        """
        row_limit = check_limit(limit, self.settings.max_rows)
        try:
            stmts = self._classify(sql)
            if len(stmts) != 1:
                raise ValueError(
                    f"query() runs one statement; this SQL has {len(stmts)}."
                    " Run scripts with helpers.db.exec(), or call query() once per SELECT"
                )
            if not stmts[0].returns_rows:
                raise ValueError(
                    f"query() is for statements that return rows; {stmts[0].kind} returns"
                    " none. Use helpers.db.exec() for writes (or add RETURNING)"
                )
        except Exception as exc:
            raise self._calls.refused("query", sql, exc) from None
        stmt = stmts[0]
        bound = self._bind(stmt, params)
        write = stmt.kind != "SELECT"
        start = time.perf_counter()
        with gc_paused():
            with (
                self.connection.lock,
                self._calls.call("query", sql, txn=write, write=write) as call,
            ):
                conn = self.connection.get()
                before = conn.total_changes
                rows, columns, truncated = fetch(
                    self.connection.execute(stmt.text, bound), row_limit
                )
                call.rows = len(rows)
                # RETURNING applies every change at its first step; SQLite
                # counts them once the statement is reset, even if rows were cut.
                call.written = conn.total_changes - before
                call.statements = 1
            elapsed = (time.perf_counter() - start) * 1000
            df = result_frame(rows, columns, sql, truncated, row_limit, elapsed, self._metrics)
            del rows
        if truncated and limit is None:  # an explicit lower limit was asked for
            warnings.warn(truncation_warning(row_limit), stacklevel=2)
        return df

    def exec(self, sql: str, params: Sequence | Mapping | None = None) -> ExecResult:
        """Run one allowed statement, or a script of several (then no params).

        All or nothing: if any statement fails, none of them is kept.

        >>> helpers.db.exec("UPDATE trials SET phase = :p WHERE id = :id", {"p": "IV", "id": 1})
        ExecResult(rows_affected=1, last_row_id=None, statements=1, elapsed_ms=...)
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
            raise self._calls.refused("exec", sql, exc) from None
        start = time.perf_counter()
        write = any(s.kind != "SELECT" for s in stmts)
        with self.connection.lock, self._calls.call("exec", sql, txn=True, write=write) as call:
            last_id = None
            before = self.conn.total_changes
            for stmt in stmts:
                # execute() takes the first step, which applies every change
                # (RETURNING included); exec() discards rows, so none is fetched.
                cur = self.connection.execute(stmt.text, bound)
                if cur.lastrowid and stmt.kind in ("INSERT", "?"):
                    last_id = cur.lastrowid
                cur.close()
            call.rows = call.written = affected = self.conn.total_changes - before
            call.statements = len(stmts)
            ms = round((time.perf_counter() - start) * 1000, 3)
        return ExecResult(affected, last_id, len(stmts), ms)

    def run_script(
        self, sql: str, params: Mapping | None = None, *, limit: int | None = None
    ) -> list[pd.DataFrame | ExecResult]:
        """Run a script's statements in order, in one transaction (``%%sql`` uses it).

        Returns one item per statement: a DataFrame (with ``attrs["codemode"]``,
        at most ``limit``/``max_rows`` rows) for a row-returning statement, an
        :class:`ExecResult` for the others. ``params`` is one dict for the
        ``:name`` placeholders of all statements. All or nothing.
        """
        row_limit = check_limit(limit, self.settings.max_rows)
        try:
            stmts = self._classify(sql)
            bound = [
                self._bind(
                    s, None if params is None else {k: params[k] for k in s.named & set(params)}
                )
                for s in stmts
            ]
        except Exception as exc:
            raise self._calls.refused("script", sql, exc) from None
        write = any(s.kind != "SELECT" for s in stmts)
        # One SELECT needs no transaction of its own (as in query()).
        txn = write or len(stmts) > 1
        with self.connection.lock, self._calls.call("script", sql, txn=txn, write=write) as call:
            out = run_each(self.connection, stmts, bound, row_limit)
            call.rows = sum(len(r[1][0]) for r in out if r[1] is not None)
            call.statements = len(out)
            call.written = sum(n for stmt, _, n, _, _ in out if stmt.kind != "SELECT")
        results: list[pd.DataFrame | ExecResult] = []
        metrics = self._metrics
        for stmt, rows, n, last, ms in out:
            if rows is None:
                last_id = last if stmt.kind == "INSERT" and last else None
                results.append(ExecResult(n, last_id, 1, ms))
                continue
            data, cols, cut = rows
            results.append(result_frame(data, cols, stmt.text.strip(), cut, row_limit, ms, metrics))
        return results

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

        >>> helpers.db.batch_insert("events", ({"id": i, "v": i * 0.5} for i in range(10**4)))
        10000
        """
        check_identifier(table, "table name")
        options = {"chunk_size": chunk_size, "create": create, "progress": progress}
        timeout = lambda: self.settings.query_timeout  # noqa: E731 - read per chunk
        writer = BatchWriter(self.connection, self.guard, timeout, table, records, **options)
        with (
            self.connection.lock,
            self._calls.call(
                "batch_insert", f"batch_insert into {table}", txn=True, write=True
            ) as call,
        ):
            call.rows = call.written = count = writer.run()
            call.statements = writer.statements
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
        ExecResult(rows_affected=0, last_row_id=None, statements=1, elapsed_ms=...)
        """
        return self.exec(create_table_sql(name, schema, if_not_exists=if_not_exists))

    def tables(self) -> list[str]:
        """Names of the user's tables (bookkeeping and sqlite_* tables hidden)."""
        return introspect.tables(self.connection)

    def schema(self, table: str | None = None) -> pd.DataFrame:
        """Columns of one table (or of every table): table, column, type, notnull, default, pk."""
        return introspect.schema(self.connection, table)

    def explain(self, sql: str, params: Sequence | Mapping | None = None) -> pd.DataFrame:
        """The query plan of an allowed statement, with a plain-words note.

        Columns: id, parent, detail, note. A note appears where SQLite scans a
        whole table although the query filters or joins on a column that an
        index could serve.
        """
        stmts = self._classify(sql)
        if len(stmts) != 1:
            raise ValueError(f"explain() takes one statement; this SQL has {len(stmts)}")
        return explain_plan(self.connection, stmts[0].text, self._bind(stmts[0], params))

    # -- state -------------------------------------------------------------

    def save_state(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``; it survives kernel restarts."""
        state.check_key(key)
        text = state.encode(key, value)
        with (
            self.connection.lock,
            self._calls.call("save_state", f"save_state {key!r}", txn=True, write=True) as call,
        ):
            state.save(self.connection, key, text)
            call.rows = 1

    def get_state(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` if there is none."""
        state.check_key(key)
        found, value = state.load(self.connection, key)
        self.session.touch()
        return value if found else default

    def delete_state(self, key: str) -> bool:
        """Remove ``key``; True if it existed."""
        state.check_key(key)
        with (
            self.connection.lock,
            self._calls.call("delete_state", f"delete_state {key!r}", txn=True, write=True) as c,
        ):
            c.rows = state.delete(self.connection, key)
        return c.rows > 0

    def state_keys(self) -> list[str]:
        """All state keys, sorted."""
        return state.keys(self.connection)

    # -- observability -----------------------------------------------------

    def logs(self, limit: int = 50) -> pd.DataFrame:
        """The newest ``limit`` log entries: time, kind, sql, rows, elapsed_ms, error."""
        positive_int(limit, "limit")
        with self.connection.lock:
            self._calls.flush()
            return self._calls.log.frame(limit)

    def get_metrics(self) -> dict[str, Any]:
        """Session id, path, size, tables with row counts, counters and times.

        ``rows_read`` counts rows returned to the caller; ``rows_written``
        counts SQLite's changes from user statements and batch_insert.
        """
        with self.connection.lock:
            self._calls.flush()
            counts = introspect.row_counts(self.connection, introspect.tables(self.connection))
        return self._metrics.report(self.session, self.settings, counts)

    def browse(self, table_or_sql: str, page_size: int = 50):
        """A pager widget over a table or a SELECT, one page per SQL query."""
        from .._widgets import browse

        return browse(self, table_or_sql, page_size=page_size)

    def explore(self):
        """A schema explorer widget: tables, row counts, columns, indexes, samples."""
        from .._widgets import explore

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
