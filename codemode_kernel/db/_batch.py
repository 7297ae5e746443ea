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
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .._checks import positive_int
from .._ddl import add_column_sql, create_table_sql, insert_sql
from .._identifiers import check_identifier
from .._names import fold
from .._records import (
    SIMPLE_TYPES,
    column_type,
    convert,
    find_unbindable,
    merge_types,
    out_of_range,
)
from ..errors import DuplicateColumnError, UnsupportedValueError
from ._frames import FrameSource, is_dataframe
from ._introspect import table_columns

if TYPE_CHECKING:
    from .._guard import ParserGuard
    from ._connection import Connection

__all__ = ["BatchWriter", "NewColumnsWarning"]


class NewColumnsWarning(UserWarning):
    """batch_insert added columns to an existing table."""


RECORDS_CHUNK = 500  # default records per executemany from an iterable
#: Default rows per executemany from a DataFrame: its values convert per
#: column and slice, and 10,000-row slices measured 2-3% faster in CPU
#: time than 500-row ones (benchmarks/bench_insert.py run_frame).
FRAME_CHUNK = 10_000
PROGRESS_KNOWN_MIN = 50_000  # records, when the length is known
PROGRESS_AFTER_S = 2.0  # seconds, when it is not


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
        chunk_size: int | None,
        create: bool,
        progress: bool | None,
    ) -> None:
        self.connection = connection
        self.guard = guard
        self.query_timeout = query_timeout
        self.table = table
        if chunk_size is None:
            chunk_size = FRAME_CHUNK if is_dataframe(records) else RECORDS_CHUNK
        positive_int(chunk_size, "chunk_size")
        self.chunk_size = chunk_size
        self.create = create
        self.progress = progress
        self.added: list[str] = []
        self.statements = 0
        self.total = None
        if is_dataframe(records):
            self.frame = FrameSource(records)
            self.frame_columns = self.frame.names
            self.total = self.frame.length
            self.chunks = self.frame.chunks(chunk_size, table)
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

    # -- the work -----------------------------------------------------------

    def run(self) -> int:
        """Insert every record; the count. Called inside the caller's transaction."""
        existing = [r[1] for r in table_columns(self.connection, self.table)]
        # SQLite matches names ignoring ASCII case: a key "id" writes column "ID".
        columns = {fold(c): c for c in existing}
        spelled: dict[str, str] = {}  # fold(key) -> the key as this call spells it
        used: list[str] = []  # keys this call writes (other columns keep their DEFAULT)
        targets: list[str] = []  # the table's spelling of each used key
        count = 0
        bar = None
        started = time.monotonic()
        insert = None
        getter = None  # itemgetter(*used): the fast path for plain dicts
        try:
            for chunk in self.chunks:
                rows = _fast_rows(chunk, getter, len(used)) if getter is not None else None
                if rows is not None:
                    count += self._write(insert, rows, used)
                    bar = self._tick(bar, len(rows), count, started)
                    continue
                if self.rows_are_tuples:
                    fresh = [] if used else list(self.frame_columns)
                else:
                    fresh = self._fresh_keys(chunk, set(used))
                if fresh:
                    for k in fresh:
                        first = spelled.setdefault(fold(k), k)
                        if first != k:
                            raise DuplicateColumnError(
                                f"batch_insert into {self.table!r}: the records have keys"
                                f" {first!r} and {k!r}, which SQLite takes for one column"
                                " (it ignores ASCII case in names). Use one spelling"
                            )
                    missing = [c for c in fresh if fold(c) not in columns]
                    if missing and not columns:
                        if not self.create:
                            raise sqlite3.OperationalError(
                                f"no such table: {self.table} (batch_insert with create=False)"
                            )
                        self._create(chunk, missing)
                    elif missing:
                        self._add_columns(chunk, missing)
                    columns.update((fold(c), c) for c in missing)
                    used.extend(fresh)
                    targets.extend(columns[fold(c)] for c in fresh)
                    insert = insert_sql(self.table, targets)
                    if not self.rows_are_tuples:
                        getter = operator.itemgetter(*used)
                if insert is None:
                    continue
                rows = chunk if self.rows_are_tuples else [tuple(map(r.get, used)) for r in chunk]
                count += self._write(insert, rows, used)
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

    def _write(self, insert: str, rows: list[tuple], keys: list[str]) -> int:
        """executemany one chunk; errors name the column by the caller's ``keys``."""
        if not self.rows_are_tuples:  # a DataFrame's chunks come converted
            rows = self._convert(rows, keys)
        # batch_insert streams for as long as its records last: query_timeout
        # bounds each chunk's SQL, not the whole call (nor the caller's generator).
        self.connection.restart_deadline(self.query_timeout())
        try:
            self.connection.executemany(insert, rows)
        except OverflowError:
            found = find_unbindable(rows, keys)
            if found is None:
                raise
            raise out_of_range(*found, f"batch_insert into {self.table!r}, ") from None
        return len(rows)

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

    def _types(self, chunk: list, new: list[str]) -> dict[str, str]:
        if self.rows_are_tuples:
            decls = self.frame.declared_types(chunk)
            return {c: decls[c] for c in new}
        return {c: merge_types(column_type(rec.get(c)) for rec in chunk) for c in new}

    def _create(self, chunk: list, new: list[str]) -> None:
        decls = self._types(chunk, new)
        self._run_built(create_table_sql(self.table, decls, if_not_exists=False))
        self.statements += 1

    def _add_columns(self, chunk: list, new: list[str]) -> None:
        for c, decl in self._types(chunk, new).items():
            self._run_built(add_column_sql(self.table, c, decl))
            self.statements += 1
            self.added.append(c)

    def _convert(self, rows: list[tuple], keys: list[str]) -> list[tuple]:
        """Convert the values sqlite3 does not bind as they are (datetimes, numpy, ...)."""
        # issuperset(map(type, chain(...))) runs in C: no Python bytecode per
        # value, no set built, and it stops at the first other type.
        if SIMPLE_TYPES.issuperset(map(type, itertools.chain.from_iterable(rows))):
            return rows
        try:
            return [tuple(map(convert, row)) for row in rows]
        except UnsupportedValueError as exc:
            column = next(c for row in rows for c, v in zip(keys, row, strict=True) if _refused(v))
            raise UnsupportedValueError(
                f"batch_insert into {self.table!r}, column {column!r}: {exc}. Nothing was inserted"
            ) from None

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


def _refused(value: Any) -> bool:
    try:
        convert(value)
    except UnsupportedValueError:
        return True
    return False
