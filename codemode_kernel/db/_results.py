"""Building what a call returns: the DataFrame (with ``attrs["codemode"]``) and ExecResult."""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from typing import TYPE_CHECKING, Any

from .._checks import positive_int
from ..errors import MAX_ROWS_FIX, ResultTooLargeError
from ._result_frame import frame_and_types

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Sequence

    import pandas as pd

    from .._statements import Statement
    from ._connection import Connection
    from ._metrics import Metrics

__all__ = [
    "ExecResult",
    "check_limit",
    "fetch",
    "frame",
    "gc_paused",
    "resident_bytes",
    "result_frame",
    "row_bytes",
    "run_each",
    "truncation_warning",
]

#: Most rows fetched between two looks at the process's memory.
_MOST_PER_LOOK = 4096


@dataclasses.dataclass(frozen=True)
class ExecResult:
    """What :meth:`Database.exec` did.

    ``rows_affected`` is SQLite's change count (``total_changes`` difference),
    ``last_row_id`` the rowid of the last INSERT (None if there was none),
    ``statements`` how many statements ran, ``elapsed_ms`` the time taken.
    """

    rows_affected: int
    last_row_id: int | None
    statements: int
    elapsed_ms: float

    def __repr__(self) -> str:
        return (
            f"ExecResult(rows_affected={self.rows_affected}, last_row_id={self.last_row_id}, "
            f"statements={self.statements}, elapsed_ms={self.elapsed_ms:.2f})"
        )


def check_limit(limit: object, max_rows: int) -> int:
    """The row limit of one call: ``limit`` (an int in 1..max_rows) or ``max_rows``."""
    if limit is None:
        return max_rows
    if positive_int(limit, "limit") > max_rows:
        raise ValueError(
            f"limit={limit:,} is above max_rows={max_rows:,}. Raise it with {MAX_ROWS_FIX},"
            " or page through the result with helpers.db.browse(sql)"
        )
    return limit


def resident_bytes() -> int:
    """This process's resident memory in bytes (Linux ``/proc/self/statm``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def fetch(
    cur: sqlite3.Cursor, row_limit: int, max_bytes: float | None = None
) -> tuple[list[tuple], list[str], bool, bool]:
    """(rows, column names, truncated, cut_by_bytes) of a cursor: at most ``row_limit`` rows.

    One row more is fetched to know whether there were more; the cursor is closed.

    ``max_bytes`` caps the memory the rows take, counted while fetching in
    chunks of about an eighth of the cap: rows past it are cut, and
    ``truncated`` and ``cut_by_bytes`` are True. Each chunk is measured by a
    sample of its rows and by the process's resident-memory growth (counting
    every value's bytes cost 25% of a 10,000-row query; this costs ~1%).
    Raises ResultTooLargeError when the first row alone is over the cap.
    """
    cut = False
    try:
        columns = [d[0] for d in cur.description or ()]
        if not max_bytes:
            rows = cur.fetchmany(row_limit + 1)
        else:
            rows, cut = _fetch_capped(cur, row_limit + 1, max_bytes)
    finally:
        cur.close()
    truncated = cut or len(rows) > row_limit
    if len(rows) > row_limit:
        del rows[row_limit:]
    return rows, columns, truncated, cut


def row_bytes(row: tuple) -> int:
    """About what one fetched row takes: its str/bytes lengths plus 16 per value."""
    return sum(len(v) for v in row if isinstance(v, str | bytes)) + 16 * len(row)


def _sampled_bytes(chunk: list[tuple]) -> float:
    # Up to 32 evenly spaced rows, measured exactly, stand for the chunk.
    stride = max(1, len(chunk) // 32)
    sample = chunk[::stride]
    return sum(map(row_bytes, sample)) * len(chunk) / len(sample)


def _fetch_capped(cur: sqlite3.Cursor, want: int, max_bytes: float) -> tuple[list[tuple], bool]:
    # Two measures, the larger wins: the rows' own sizes (exact for the first
    # row, sampled after it) and the growth of the process's resident memory
    # (what a sample can miss). Either alone was wrong on some input: glibc
    # reuses freed memory without growing the RSS; a sample misses rare huge rows.
    base = resident_bytes()
    rows = cur.fetchmany(1)
    counted = float(row_bytes(rows[0])) if rows else 0.0
    if counted > max_bytes:
        del rows
        raise ResultTooLargeError(
            f"one row of this result takes about {counted / 2**20:,.0f} MB, above"
            f" max_result_mb={max_bytes / 2**20:g}. Select fewer or shorter columns"
            " (substr(), length()), or raise the cap with CODEMODE_MAX_RESULT_MB"
        )
    while rows and len(rows) < want:
        per_row = max(counted / len(rows), 64)
        step = int(min(_MOST_PER_LOOK, max(1, max_bytes / 8 / per_row), want - len(rows)))
        chunk = cur.fetchmany(step)
        if not chunk:
            break
        counted += _sampled_bytes(chunk)
        if max(counted, resident_bytes() - base) > max_bytes:
            return rows, True  # the rows so far are the result, flagged truncated
        rows.extend(chunk)
    return rows, False


class gc_paused:
    """Pause the cyclic GC around a fetch and its frame.

    Up to max_rows new tuples: the GC would start a collection every 700 of
    them and find nothing (~10% of a 10,000-row query). Free the tuples
    inside the block, so that it has nothing left to count when it resumes.
    """

    __slots__ = ("was_on",)

    def __enter__(self) -> None:
        self.was_on = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_on:
            gc.enable()


def result_frame(
    rows: list[tuple],
    columns: list[str],
    sql: str,
    truncated: bool,
    row_limit: int,
    elapsed_ms: float,
    metrics: Metrics,
) -> pd.DataFrame:
    """A query result: the frame and its ``attrs["codemode"]`` (sql, row_count,
    truncated, row_limit, elapsed_ms); counted in ``metrics`` (queries, rows read)."""
    import pandas as pd

    metrics.read(len(rows))

    df, mixed = frame_and_types(rows, columns) if rows else (pd.DataFrame(columns=columns), {})
    df.attrs["codemode"] = {
        "sql": sql,
        "row_count": len(rows),
        "truncated": truncated,
        "row_limit": row_limit,
        "elapsed_ms": round(elapsed_ms, 3),
    }
    if mixed:  # storage classes a float64 dtype hides (INTEGER|REAL)
        df.attrs["codemode"]["sqlite_types"] = mixed
    return df


def frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """The result DataFrame of the fetched row tuples: ``read_sql_query``'s
    frame, with integers and NULLs as exact ``Int64`` (see db/_result_frame.py)."""
    return frame_and_types(rows, columns)[0]


def run_each(
    connection: Connection,
    stmts: Sequence[Statement],
    params: list,
    row_limit: int,
    run: Callable[[Statement, Any, int], sqlite3.Cursor] | None = None,
    max_bytes: float | None = None,
):
    """Run statements in order (inside the caller's transaction); ``run(stmt,
    params, n)`` runs one (default: ``connection.execute``).

    One tuple per statement: (statement, (rows, columns, truncated,
    cut_by_bytes) or None if it returns no rows, rows changed, last rowid,
    elapsed ms). ``max_bytes`` caps each result's memory (see :func:`fetch`).
    """
    out = []
    for n, (stmt, bound) in enumerate(zip(stmts, params, strict=True), 1):
        t0 = time.perf_counter()
        before = connection.get().total_changes
        cur = run(stmt, bound, n) if run else connection.execute(stmt.text, bound)
        last = cur.lastrowid
        rows = fetch(cur, row_limit, max_bytes) if cur.description else None
        n = connection.get().total_changes - before  # counted once reset (see query)
        out.append((stmt, rows, n, last, round((time.perf_counter() - t0) * 1000, 3)))
    return out


def truncation_warning(row_limit: int, kept: int | None = None) -> str:
    """What a query cut at ``max_rows`` warns, or, given ``kept``, one cut at
    ``max_result_mb`` after ``kept`` rows."""
    if kept is not None:
        return (
            f"the result is larger than max_result_mb; only the first {kept:,} rows are"
            " in the DataFrame (truncated). Select fewer or shorter columns, or raise"
            " max_result_mb (CODEMODE_MAX_RESULT_MB)"
        )
    return (
        f"query returned more than {row_limit:,} rows; only the first {row_limit:,} are"
        f" in the DataFrame (truncated at max_rows). For the rest: {MAX_ROWS_FIX};"
        " or add WHERE/LIMIT; or page with helpers.db.browse(sql)"
    )
