"""Python values → SQLite values and column types (for batch_insert, params, state).

One conversion table for every way in (``batch_insert``, query parameters,
``save_state``, the SQL builders' literals); docs/conversions.md lists it
with what ``query`` and the JSON payload give back:

* int, bool, numpy integers/bools → INTEGER (bool as 0/1). An int outside
  SQLite's signed 64 bits is refused.
* float, numpy floats → REAL; NaN → NULL (SQLite stores no NaN); ±inf stay.
* Decimal → REAL (the nearest double, as SQLite's DECIMAL/NUMERIC columns do).
* str → TEXT; bytes, bytearray, memoryview → BLOB; uuid.UUID → TEXT (36 chars).
* datetime, pd.Timestamp → TEXT in SQLite's own format,
  ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (nanoseconds, if any, as 9 digits), with
  ``+HH:MM`` when tz-aware, as SQLite's ``datetime()``, ``CURRENT_TIMESTAMP``,
  sqlite3's adapter and ``DataFrame.to_sql`` write it, so the text compares
  with theirs. date → ``YYYY-MM-DD``; time → ``HH:MM:SS[.ffffff]``.
* timedelta, pd.Timedelta, numpy timedelta64 → REAL seconds.
* dict, list, tuple → TEXT (JSON; datetimes inside as above).
* None, pd.NA, pd.NaT, numpy NaT → NULL.

Anything else raises :class:`UnsupportedValueError`. Column types of a new
table are voted per column by the converted values of its first chunk:
int → INTEGER, float → REAL, str → TEXT, bytes → BLOB; NULL gives no vote;
INTEGER with REAL → REAL; any other mix, or no vote, → no declared type.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import UnsupportedValueError

__all__ = [
    "INT64",
    "SIMPLE_TYPES",
    "adapt_params",
    "column_type",
    "convert",
    "datetime_text",
    "find_unbindable",
    "json_text",
    "merge_types",
    "out_of_range",
    "state_json",
]

#: Types the sqlite3 module binds as they are; everything else is converted.
SIMPLE_TYPES = frozenset({int, float, str, bytes, bool, type(None)})
#: SQLite's INTEGER range (signed 64 bits).
INT64 = (-(2**63), 2**63 - 1)
_MISSING = frozenset({"NaTType", "NAType"})
_HINT = (
    "; store int, float, str, bytes, None, Decimal, a date/time/datetime/timedelta,"
    " a UUID, or a dict/list (as JSON). Convert other objects with str() first"
)


def datetime_text(value: dt.datetime | dt.date | dt.time) -> str:
    """SQLite's date/time text of a date, time, datetime or pd.Timestamp.

    ``datetime(2024, 1, 5, 7)`` → ``'2024-01-05 07:00:00'``; microseconds
    appear only when non-zero, ``+HH:MM`` only when tz-aware.
    """
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value.isoformat()


def _json_default(value: Any) -> Any:
    converted = convert(value)  # raises UnsupportedValueError for the unknown
    if isinstance(converted, bytes):
        raise UnsupportedValueError(
            "bytes inside a dict/list cannot be JSON; store them in a column of their own"
        )
    return converted


def json_text(value: Any) -> str:
    """The JSON text of a dict/list, with datetimes, Decimals, UUIDs and numpy
    scalars inside converted as in the table above."""
    try:
        return json.dumps(value, default=_json_default, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        if isinstance(exc, UnsupportedValueError):
            raise
        raise UnsupportedValueError(
            f"a {type(value).__name__} holding NaN or infinity cannot be JSON ({exc});"
            " replace them with None"
        ) from None


def _state_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time | dt.timedelta | decimal.Decimal | uuid.UUID) or (
        type(value).__module__ == "numpy" or type(value).__name__ in _MISSING
    ):
        converted = convert(value)
        if not isinstance(converted, bytes):
            return converted
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def state_json(value: Any) -> str:
    """The JSON text ``save_state`` stores: datetimes, Decimals, UUIDs and numpy
    scalars converted as in the table above (so ``get_state`` returns a
    datetime as SQLite's text); anything else json cannot hold raises
    ``TypeError``/``ValueError`` (NaN, infinity, circular references)."""
    return json.dumps(value, default=_state_default, allow_nan=False)


def _is_missing(value: Any) -> bool:
    return type(value).__name__ in _MISSING or (isinstance(value, float) and math.isnan(value))


def convert(value: Any) -> Any:
    """One Python value as something sqlite3 binds faithfully.

    Raises :class:`UnsupportedValueError` (without a column name; callers add it).
    """
    t = type(value)
    if t in SIMPLE_TYPES:
        return value
    if t.__name__ in _MISSING:
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return datetime_text(value)
    if isinstance(value, dt.timedelta):  # pd.Timedelta is one
        return value.total_seconds()
    if isinstance(value, Mapping | list | tuple):
        return json_text(value)
    if isinstance(value, decimal.Decimal):
        return None if value.is_nan() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if kind in ("M", "m") and t.__module__ == "numpy":
        import pandas as pd

        if pd.isna(value):
            return None
        return convert(pd.Timestamp(value) if kind == "M" else pd.Timedelta(value))
    if t.__module__ == "numpy" and kind in "biufcSU":
        # numpy scalars: sqlite3 would bind an np.int64 as an 8-byte BLOB
        # (buffer protocol), so each becomes its Python twin first.
        item = value.item()
        if type(item) in SIMPLE_TYPES:
            return item
    if isinstance(value, int | float | str | bytes):  # subclasses (IntEnum, str enums, ...)
        for base in (bool, int, float, str, bytes):
            if isinstance(value, base):
                return base(value)
    raise UnsupportedValueError(f"unsupported type {t.__name__} ({value!r:.60}){_HINT}")


def find_unbindable(rows: Iterable[tuple], columns: Sequence[str]) -> tuple[str, Any] | None:
    """(column, value) of the first value that sqlite3 cannot bind, else None.

    Called only after ``executemany`` failed (so it costs nothing when all is
    well): an int outside 64 bits raises a bare OverflowError in sqlite3.
    """
    for row in rows:
        for name, v in zip(columns, row, strict=False):
            if type(v) is int and not INT64[0] <= v <= INT64[1]:
                return name, v
    return None


def out_of_range(column: str, value: int, where: str) -> UnsupportedValueError:
    """The error for an int beyond SQLite's 64-bit INTEGER, naming the column."""
    return UnsupportedValueError(
        f"{where}column {column!r}: int {value} does not fit in SQLite's 64-bit INTEGER"
        f" ({INT64[0]} .. {INT64[1]}); store it as str (exact) or float (approximate)."
        " Nothing was inserted"
    )


_VOTES = {int: "INTEGER", bool: "INTEGER", float: "REAL", str: "TEXT", bytes: "BLOB"}


def column_type(value: Any) -> str | None:
    """The SQLite type a value votes for (by its converted value), or None."""
    if value is None:
        return None
    t = type(value)
    if t is float:
        return None if value != value else "REAL"  # NaN is NULL
    vote = _VOTES.get(t)
    if vote is not None:
        return vote
    try:
        value = convert(value)
    except UnsupportedValueError:
        return None  # the insert itself reports it, with the column's name
    if type(value) is float and value != value:
        return None
    return _VOTES.get(type(value))


def merge_types(votes: Iterable[str | None]) -> str:
    """Resolve the votes of one column into its declared type ('' = none)."""
    kinds = {v for v in votes if v}
    if not kinds:
        return ""
    if len(kinds) == 1:
        return kinds.pop()
    if kinds == {"INTEGER", "REAL"}:
        return "REAL"
    return ""


def adapt_params(params: Any) -> Any:
    """Convert query parameters; name the offending one in any error."""
    if params is None:
        return None
    if isinstance(params, Mapping):
        return {k: _adapt_one(v, k, ":") for k, v in params.items()}
    if isinstance(params, Sequence) and not isinstance(params, str | bytes):
        return tuple(_adapt_one(v, i + 1) for i, v in enumerate(params))
    raise TypeError(
        f"params must be a sequence (for ?) or a dict (for :name), got {type(params).__name__}"
    )


def _adapt_one(value: Any, key: Any, prefix: str = "") -> Any:
    """Adapt one parameter; ``prefix + str(key)`` names it in errors.

    The label is built only when raising: this runs for every parameter of
    every query.
    """
    t = type(value)
    if t is str or t is bytes or value is None or t is bool:
        return value
    if t is not int and t is not float:
        try:
            value = convert(value)
        except UnsupportedValueError as exc:
            raise UnsupportedValueError(f"parameter {prefix}{key}: {exc}") from None
        t = type(value)
    if t is int and not INT64[0] <= value <= INT64[1]:
        raise UnsupportedValueError(
            f"parameter {prefix}{key} = {value} (int) does not fit in a 64-bit SQLite"
            " INTEGER; pass it as str (exact) or float (approximate)"
        )
    if t is float and value != value:
        # SQLite would bind NULL, and `x = ?` would silently match nothing.
        raise UnsupportedValueError(
            f"parameter {prefix}{key} is nan; SQLite has no NaN, pass None for NULL"
        )
    return value
