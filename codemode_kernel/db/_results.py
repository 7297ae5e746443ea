"""Building what a call returns: the DataFrame (with ``attrs["codemode"]``) and ExecResult.

The frame is what ``pandas.read_sql_query`` builds from the same rows (one
object matrix, one dtype inference per column), with one difference: a
column whose values are integers and NULLs becomes pandas' nullable
``Int64`` instead of ``float64``, so ``9007199254740993`` stays that number
and ``42`` does not turn into ``42.0``. SQLite never returns a Python bool
(booleans are stored as 0/1), so there is no ``boolean`` column to make.

A column mixing INTEGER and REAL values (a NUMERIC or untyped column, or an
expression) becomes ``float64`` as in pandas, unless one of its integers is
beyond 2**53, where a double would change it: then it stays ``object`` with
the exact values. The storage classes of such mixed columns cannot be read
back from a float64 dtype, so they are returned for ``attrs``; every other
column's classes follow from its dtype and values (see _display._sqlite_type).
"""

from __future__ import annotations

import dataclasses
import gc
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

    import pandas as pd

_EXACT = 2**53  # integers a double holds exactly: |n| <= 2**53

__all__ = [
    "ExecResult",
    "check_limit",
    "fetch",
    "frame",
    "frame_and_types",
    "gc_paused",
    "result_frame",
]


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


def fetch(cur: sqlite3.Cursor, row_limit: int) -> tuple[list[tuple], list[str], bool]:
    """(rows, column names, truncated) of a cursor: at most ``row_limit`` rows.

    One row more is fetched to know whether there were more; the cursor is closed.
    """
    try:
        rows = cur.fetchmany(row_limit + 1)
        columns = [d[0] for d in cur.description or ()]
    finally:
        cur.close()
    truncated = len(rows) > row_limit
    if truncated:
        del rows[row_limit:]
    return rows, columns, truncated


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
) -> pd.DataFrame:
    """A query result: the frame and its ``attrs["codemode"]`` (sql, row_count,
    truncated, row_limit, elapsed_ms)."""
    import pandas as pd

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
    """The result DataFrame of the fetched row tuples (see :func:`frame_and_types`)."""
    return frame_and_types(rows, columns)[0]


def frame_and_types(rows: list[tuple], columns: list[str]) -> tuple[pd.DataFrame, dict[int, str]]:
    """(the DataFrame, {column position: storage classes} of mixed numeric columns).

    Built in one step from the fetched tuples (the read_sql_query path, about
    15% faster than ``DataFrame.from_records``). Pandas internals: falls back
    to ``from_records`` plus the same integer fix if they move.
    """
    import numpy as np
    import pandas as pd

    try:
        from pandas._libs import lib
        from pandas.core.internals.construction import convert_object_array

        objects = list(lib.to_object_array_tuples(rows).T)
        arrays = convert_object_array(objects, dtype=None)
        df = None
    except (ImportError, AttributeError, TypeError):
        lib = None
        df = pd.DataFrame.from_records(rows, columns=columns)
        objects = [np.array(col, dtype=object) for col in zip(*rows, strict=True)]
        arrays = [df.iloc[:, i].array for i in range(df.shape[1])]
    mixed: dict[int, str] = {}
    for i, arr in enumerate(arrays):
        if arr.dtype.kind == "f":
            fixed, classes = _exact_numbers(objects[i], lib)
            if fixed is not None:
                arrays[i] = fixed
                if df is not None:
                    df.isetitem(i, fixed)
            if classes:
                mixed[i] = classes
    if df is None:
        df = pd.DataFrame._from_arrays(
            arrays, columns=columns, index=range(len(rows)), verify_integrity=False
        )
    return df, mixed


def _exact_numbers(values: Any, lib: Any) -> tuple[Any, str]:
    """For a column pandas made float64: (a replacement array or None, classes).

    Only columns that had integers pay for the checks: ``is_float_array``
    is a C loop that ends at the first non-float.
    """
    import numpy as np
    import pandas as pd

    if lib is not None and lib.is_float_array(values, skipna=True):
        return None, ""  # REAL and NULL only: float64 is exact
    kinds = set(map(type, values))
    if float not in kinds:  # integers and NULLs
        return pd.array(values, dtype="Int64"), ""
    if int not in kinds:
        return None, ""
    ints = [v for v in values if type(v) is int]
    classes = "INTEGER|REAL|NULL" if type(None) in kinds else "INTEGER|REAL"
    if max(ints) > _EXACT or min(ints) < -_EXACT:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out, classes
    return None, classes
