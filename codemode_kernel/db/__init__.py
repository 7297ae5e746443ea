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
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import _params
from .._authorizer import Authorizer
from .._checks import positive_int
from .._ddl import create_table_sql
from .._guard import ParserGuard
from .._identifiers import check_identifier
from .._statements import Statement
from ..errors import CodeModeError
from . import _introspect as introspect
from . import _state as state
from ._batch import BatchWriter, NewColumnsWarning
from ._calllog import log_failures
from ._calls import Calls
from ._connection import LIMITS, Connection
from ._judge import Judge
from ._keep import KeepResults
from ._limit_methods import LimitMethods
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

#: ``stacklevel`` of a warning raised in a public method: past the method and
#: db._calllog's wrapper, at the user's own line.
_CALLER = 3


class Database(state.StateMethods, LimitMethods, KeepResults):
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
        self.judge = Judge(self.connection)  #: SQLite's compile of each user statement
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
        """Flush the log and close the connection (the file stays).

        CodeModeError from inside a running call (batch_insert's records):
        that call then rolls back whole instead of keeping what it wrote.
        """
        with self.connection.lock:
            if self._calls.depth:  # holding the lock: a call of this thread
                raise CodeModeError(
                    "helpers.db.close() was called while a helpers.db call was running (from"
                    " inside batch_insert's records?); that call is rolled back. Close the"
                    " database after the call returns"
                )
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

    def _classify(self, sql: object) -> tuple[Statement, ...]:
        return self.guard.statements(
            sql, max_length=LIMITS["SQLITE_LIMIT_SQL_LENGTH"], timeout=self.settings.query_timeout
        )

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
            stmt, bound = _params.bind(stmts[0], params)
            kind, returns = self.judge.shape(stmt, sql)
            if not returns:
                raise ValueError(
                    f"query() is for statements that return rows; {kind} returns"
                    " none. Use helpers.db.exec() for writes (or add RETURNING)"
                )
        except Exception as exc:
            raise self._calls.refused("query", sql, exc) from None
        write, log_kind = kind != "SELECT", Judge.log_kind("query", stmts)
        start = time.perf_counter()
        with gc_paused():
            with (
                self.connection.lock,
                self._calls.call(log_kind, sql, txn=write, write=write) as call,
            ):
                conn = self.connection.get()
                before = conn.total_changes
                cur = self.judge.run(stmt, bound, sql)
                rows, columns, truncated, cut = fetch(cur, row_limit, self._max_result_bytes)
                call.rows = len(rows)
                # RETURNING applies every change at its first step; SQLite
                # counts them once the statement is reset, even if rows were cut.
                call.written = conn.total_changes - before
                call.statements = 1
                # Before COMMIT: under warnings.simplefilter("error") the call
                # then fails whole, instead of raising after its writes were kept.
                if cut or (truncated and limit is None):  # not for an explicit limit
                    warnings.warn(
                        truncation_warning(row_limit, len(rows) if cut else None),
                        stacklevel=_CALLER,
                    )
            elapsed = (time.perf_counter() - start) * 1000
            df = result_frame(rows, columns, sql, truncated, row_limit, elapsed, self._metrics)
            del rows
        return df

    @property
    def _max_result_bytes(self) -> float:
        return self.settings.max_result_mb * 2**20

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
            stmts, bound = _params.bind_exec(stmts, params)
            self.judge.prejudge(stmts, sql)
            write = self.judge.writes(stmts, sql)
        except Exception as exc:
            raise self._calls.refused("exec", sql, exc) from None
        start = time.perf_counter()
        kind = Judge.log_kind("exec", stmts)
        with self.connection.lock, self._calls.call(kind, sql, txn=True, write=write) as call:
            last_id = None
            before = self.conn.total_changes
            for n, stmt in enumerate(stmts, 1):
                # execute() takes the first step, which applies every change
                # (RETURNING included); exec() discards rows, so none is fetched.
                cur = self.judge.run(stmt, bound, sql, n)
                if cur.lastrowid and self.judge.kind_of(stmt, sql, n) in ("INSERT", "?"):
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
            stmts, bound = _params.bind_script(self._classify(sql), params)
            self.judge.prejudge(stmts, sql)
            write = self.judge.writes(stmts, sql)
        except Exception as exc:
            raise self._calls.refused("script", sql, exc) from None
        # One SELECT needs no transaction of its own (as in query()).
        txn = write or len(stmts) > 1
        kind = Judge.log_kind("script", stmts)
        with self.connection.lock, self._calls.call(kind, sql, txn=txn, write=write) as call:
            run = self.judge.runner(sql)
            out = run_each(self.connection, stmts, bound, row_limit, run, self._max_result_bytes)
            out = [(self.judge.as_compiled(st, sql, i), *r) for i, (st, *r) in enumerate(out, 1)]
            for _stmt, rows, *_ in out:
                if rows is not None and rows[3]:  # cut at max_result_mb: before COMMIT
                    warnings.warn(truncation_warning(row_limit, len(rows[0])), stacklevel=_CALLER)
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
            data, cols, cut, _by_bytes = rows
            results.append(result_frame(data, cols, stmt.text.strip(), cut, row_limit, ms, metrics))
        return results

    # -- batch_insert ------------------------------------------------------

    def batch_insert(
        self,
        table: str,
        records: Iterable[Mapping[str, Any]] | pd.DataFrame,
        *,
        chunk_size: int | None = None,
        create: bool = True,
        progress: bool | None = None,
    ) -> int:
        """Insert records (dicts, or a DataFrame) in one transaction; return the count.

        Creates the table when missing (types from the values), adds columns
        for later keys (:class:`NewColumnsWarning`), never drops one. Keys match
        columns ignoring ASCII case; values convert as docs/conversions.md says
        (UnsupportedValueError, nothing inserted, if one cannot be stored); a
        DataFrame's named index becomes columns, an unnamed integer one is left
        out. Streams chunks (``chunk_size``: 500 records, 10,000 DataFrame rows)
        with ``executemany`` in constant memory. ``progress=None``: a tqdm bar
        past 50,000 known records or 2 s. ``query_timeout`` bounds each chunk.

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
            if writer.added:  # before COMMIT: see query()
                added = ", ".join(writer.added)
                warnings.warn(
                    f"batch_insert added column(s) to {table!r}: {added}",
                    NewColumnsWarning,
                    _CALLER,
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
        try:
            stmts = self._classify(sql)
            if len(stmts) != 1:
                raise ValueError(f"explain() takes one statement; this SQL has {len(stmts)}")
            stmt, bound = _params.bind(stmts[0], params)
            self.judge.compiled(stmt, sql)
        except Exception as exc:
            raise self._calls.refused("explain", sql, exc) from None
        with self.connection.lock, self._calls.call(Judge.log_kind("explain", stmts), sql) as call:
            plan = explain_plan(self.connection, stmt.text, bound)
            call.rows = len(plan)
        return plan

    # -- observability -----------------------------------------------------

    def logs(self, limit: int = 50) -> pd.DataFrame:
        """The newest ``limit`` log entries: time, kind, sql, rows, elapsed_ms, error."""
        positive_int(limit, "limit")
        with self.connection.lock:
            self._calls.flush()
            return self._calls.log.frame(limit)

    def get_metrics(self) -> dict[str, Any]:
        """Session id, label, path, size, tables with row counts, counters, times, on_shutdown.

        ``rows_read`` counts rows returned to the caller; ``rows_written``
        counts SQLite's changes from user statements and batch_insert.
        """
        with self.connection.lock:
            self._calls.flush()
            counts = introspect.row_counts(self.connection, introspect.tables(self.connection))
        report = self._metrics.report(self.session, self.settings, counts)
        report["log"] = self._calls.log.status()  # never silent: what could not be written
        return report

    def browse(self, table_or_sql: str, page_size: int = 20):
        """A pager widget over a table or a SELECT: one SQL query per page (keyset on tables)."""
        from .._widgets import browse

        return browse(self, table_or_sql, page_size=page_size)

    def explore(self):
        """A schema explorer widget: tables, row counts, columns, indexes, samples."""
        from .._widgets import explore

        return explore(self)

    # camelCase aliases of the seed's API
    batchInsert = batch_insert
    createTable = create_table
    getMetrics = get_metrics

    def __repr__(self) -> str:
        state = "open" if self.is_open else "not opened yet"
        return f"<helpers.db session={self.session.id!r} ({state}) path={str(self.path)!r}>"


log_failures(Database, lambda db: db._calls)  # every failure logged (see db._calllog)
