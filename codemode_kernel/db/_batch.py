"""The streaming writer behind ``helpers.db.batch_insert``.

Records are read ``chunk_size`` at a time and written with ``executemany``
inside the caller's transaction, so memory stays constant for an iterator
of any length and a failure anywhere leaves the table as it was.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._checks import positive_int
from .._ddl import add_column_sql, create_table_sql, insert_sql
from .._identifiers import check_identifier
from .._records import SIMPLE_TYPES, column_type, convert, merge_types
from ._introspect import table_columns

if TYPE_CHECKING:
    from .._guard import ParserGuard
    from ._connection import Connection

__all__ = ["BatchWriter"]

PROGRESS_KNOWN_MIN = 50_000  # records, when the length is known
PROGRESS_AFTER_S = 2.0  # seconds, when it is not


def _is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "itertuples")


def _fast_rows(chunk: list, getter: Callable[[Any], Any], width: int) -> list[tuple] | None:
    """The chunk's tuples if every record is a plain dict with exactly the
    columns already in use (the common case), else None (the general path).

    Each check is a C-level map: no Python bytecode runs per record. A dict
    with ``width`` keys that has all ``width`` used columns has no others.
    """
    if set(map(type, chunk)) != {dict} or set(map(len, chunk)) != {width}:
        return None
    try:
        values = list(map(getter, chunk))
    except KeyError:
        return None
    # itemgetter of one key returns the bare value: zip makes the 1-tuples.
    return values if width > 1 else list(zip(values))


class BatchWriter:
    """One batch_insert call; :meth:`run` is called inside the transaction."""

    def __init__(
        self,
        connection: Connection,
        guard: ParserGuard,
        query_timeout: Callable[[], float],
        table: str,
        records: Any,
        *,
        chunk_size: int,
        create: bool,
        progress: bool | None,
    ) -> None:
        positive_int(chunk_size, "chunk_size")
        self.connection = connection
        self.guard = guard
        self.query_timeout = query_timeout
        self.table = table
        self.chunk_size = chunk_size
        self.create = create
        self.progress = progress
        self.added: list[str] = []
        self.statements = 0
        self.total = None
        if _is_dataframe(records):
            self._frame_columns(records)
            self.total = len(records)
            self.chunks = self._frame_chunks(records)
            self.rows_are_tuples = True
        elif isinstance(records, (Mapping, str | bytes)) or not isinstance(records, Iterable):
            raise TypeError(
                "records must be a list or iterator of dicts, or a DataFrame;"
                f" got {type(records).__name__}"
            )
        else:
            self.total = len(records) if hasattr(records, "__len__") else None
            it = iter(records)
            self.chunks = iter(lambda: list(itertools.islice(it, chunk_size)), [])
            self.rows_are_tuples = False

    # -- input shapes -------------------------------------------------------

    def _frame_columns(self, df: Any) -> None:
        if getattr(df.columns, "nlevels", 1) > 1:
            raise ValueError(
                "the DataFrame has MultiIndex columns; flatten them first, e.g."
                " df.columns = ['_'.join(map(str, c)) for c in df.columns]"
            )
        cols = list(df.columns)
        for c in cols:
            if not isinstance(c, str):
                raise TypeError(f"DataFrame column names must be str, got {c!r}")
            check_identifier(c, "column name")
        dupes = sorted({c for c in cols if cols.count(c) > 1})
        if dupes:
            raise ValueError(f"the DataFrame has duplicate column names: {dupes}")
        self.frame_columns = cols

    def _frame_chunks(self, df: Any) -> Iterator[list[tuple]]:
        for start in range(0, len(df), self.chunk_size):
            part = df.iloc[start : start + self.chunk_size].astype(object)
            part = part.where(part.notna(), None)
            yield list(part.itertuples(index=False, name=None))

    # -- the work -----------------------------------------------------------

    def run(self) -> int:
        """Insert every record; the count. Called inside the caller's transaction."""
        existing = [r[1] for r in table_columns(self.connection, self.table)]
        known = set(existing)  # columns the table has
        used: list[str] = []  # columns this call writes (others keep their DEFAULT)
        count = 0
        bar = None
        started = time.monotonic()
        insert = None
        getter = None  # itemgetter(*used): the fast path for plain dicts
        try:
            for chunk in self.chunks:
                rows = _fast_rows(chunk, getter, len(used)) if getter is not None else None
                if rows is not None:
                    rows = self._convert(rows)
                    self._write(insert, rows)
                    count += len(rows)
                    bar = self._tick(bar, len(rows), count, started)
                    continue
                if self.rows_are_tuples:
                    fresh = [] if used else list(self.frame_columns)
                else:
                    fresh = self._fresh_keys(chunk, set(used))
                if fresh:
                    missing = [c for c in fresh if c not in known]
                    if missing and not known:
                        if not self.create:
                            raise sqlite3.OperationalError(
                                f"no such table: {self.table} (batch_insert with create=False)"
                            )
                        self._create(chunk, missing)
                    elif missing:
                        self._add_columns(chunk, missing)
                    known.update(missing)
                    used.extend(fresh)
                    insert = insert_sql(self.table, used)
                    if not self.rows_are_tuples:
                        getter = operator.itemgetter(*used)
                if insert is None:
                    continue
                rows = self._rows(chunk, used)
                self._write(insert, rows)
                count += len(rows)
                bar = self._tick(bar, len(rows), count, started)
            if count == 0 and not existing:
                raise ValueError(
                    f"no records to insert, and table {self.table!r} does not exist:"
                    " its columns cannot be inferred. Pass at least one record, or"
                    " create it with helpers.db.create_table()"
                )
        finally:
            if bar is not None:
                bar.close()
        return count

    def _write(self, sql: str, rows: list[tuple]) -> None:
        # batch_insert streams for as long as its records last: query_timeout
        # bounds each chunk's SQL, not the whole call (nor the caller's generator).
        self.connection.restart_deadline(self.query_timeout())
        self.connection.executemany(sql, rows)

    def _run_built(self, sql: str) -> None:
        """Run a statement the kernel built for the user, under the user policy."""
        self.guard.check_built(sql)
        self.connection.execute(sql).close()

    def _fresh_keys(self, chunk: list, used: set[str]) -> list[str]:
        fresh: dict[str, None] = {}
        for i, rec in enumerate(chunk):
            if not isinstance(rec, Mapping):
                raise TypeError(
                    f"record {i} of a chunk is a {type(rec).__name__}, not a dict;"
                    " batch_insert takes dicts (or a DataFrame)"
                )
            if not rec.keys() <= used:
                for k in rec:
                    if k not in used and k not in fresh:
                        if not isinstance(k, str):
                            raise TypeError(f"record keys must be str, got {k!r}")
                        check_identifier(k, "column name")
                        fresh[k] = None
        return list(fresh)

    def _votes(self, chunk: list, column: str, index: int) -> str:
        if self.rows_are_tuples:
            return merge_types(column_type(row[index]) for row in chunk)
        return merge_types(column_type(rec.get(column)) for rec in chunk)

    def _create(self, chunk: list, new: list[str]) -> None:
        decls = {c: self._votes(chunk, c, self._index(c)) for c in new}
        self._run_built(create_table_sql(self.table, decls, if_not_exists=False))
        self.statements += 1

    def _add_columns(self, chunk: list, new: list[str]) -> None:
        for c in new:
            decl = self._votes(chunk, c, self._index(c))
            self._run_built(add_column_sql(self.table, c, decl))
            self.statements += 1
            self.added.append(c)

    def _index(self, column: str) -> int:
        return self.frame_columns.index(column) if self.rows_are_tuples else 0

    def _rows(self, chunk: list, columns: list[str]) -> list[tuple]:
        rows = chunk if self.rows_are_tuples else [tuple(map(rec.get, columns)) for rec in chunk]
        return self._convert(rows)

    def _convert(self, rows: list[tuple]) -> list[tuple]:
        """Convert the values sqlite3 does not bind as they are (datetimes, numpy, ...)."""
        # set(map(type, chain(...))) runs in C: no Python bytecode per value.
        if not set(map(type, itertools.chain.from_iterable(rows))) <= SIMPLE_TYPES:
            try:
                rows = [tuple(map(convert, row)) for row in rows]
            except TypeError as exc:
                raise TypeError(f"batch_insert into {self.table!r}: {exc}") from None
        return rows

    def _tick(self, bar: Any, n: int, count: int, started: float) -> Any:
        if self.progress is False:
            return None
        if bar is None:
            show = self.progress is True or (
                self.total >= PROGRESS_KNOWN_MIN
                if self.total is not None
                else time.monotonic() - started > PROGRESS_AFTER_S
            )
            if not show:
                return None
            from tqdm.auto import tqdm

            bar = tqdm(
                total=self.total,
                initial=count - n,
                unit="rows",
                desc=f"batch_insert {self.table}",
                mininterval=0.5,
            )
        bar.update(n)
        return bar
