"""Python values → SQLite values and column types (for batch_insert and params).

Type inference, per column, from the values of the first chunk that has the
column: int/bool → INTEGER, float → REAL, str → TEXT, bytes → BLOB,
datetime/date/time → TEXT (ISO 8601), dict/list/tuple → TEXT (JSON),
timedelta → REAL (seconds).
``None``, NaN and NaT give no vote. Mixed INTEGER and REAL → REAL; any other
mix, or no vote at all, → no declared type (SQLite then stores each value as
it is, like sqlite-utils' "ANY" columns).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["SIMPLE_TYPES", "adapt_params", "column_type", "convert", "merge_types"]

#: Types the sqlite3 module binds as they are; everything else is converted.
SIMPLE_TYPES = frozenset({int, float, str, bytes, bool, type(None)})
_INT64 = (-(2**63), 2**63 - 1)


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _is_missing(value: Any) -> bool:
    name = type(value).__name__
    return name in ("NaTType", "NAType") or (isinstance(value, float) and math.isnan(value))


def convert(value: Any) -> Any:
    """Convert one Python value to something sqlite3 binds (or raise TypeError)."""
    t = type(value)
    if t in SIMPLE_TYPES:
        return value
    if _is_missing(value):
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        return _json(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if kind in ("M", "m"):  # numpy datetime64 / timedelta64: .item() of ns is an int
        import pandas as pd

        if pd.isna(value):
            return None
        if kind == "M":
            return pd.Timestamp(value).isoformat()
        return pd.Timedelta(value).total_seconds()
    if t.__module__ == "numpy" or t.__module__.startswith("pandas"):
        item = getattr(value, "item", None) or getattr(value, "to_pydatetime", None)
        if item is not None:
            return convert(item())
        if hasattr(value, "isoformat"):
            return value.isoformat()
    if isinstance(value, int | float | str | bytes):  # subclasses (IntEnum, np.float64, ...)
        for base in (bool, int, float, str, bytes):
            if isinstance(value, base):
                return base(value)
    raise TypeError(
        f"unsupported type {t.__name__} ({value!r:.60}); use int, float, str, bytes, None,"
        " a datetime, or a dict/list (stored as JSON)"
    )


def column_type(value: Any) -> str | None:
    """The SQLite type a value votes for, or None for no vote."""
    if value is None or _is_missing(value):
        return None
    if isinstance(value, bool | int) and not isinstance(value, float):
        return "INTEGER"
    if isinstance(value, float):
        return "REAL"
    if isinstance(value, bytes | bytearray | memoryview):
        return "BLOB"
    if isinstance(value, dt.timedelta):
        return "REAL"
    if isinstance(value, str | dt.date | dt.time | Mapping | list | tuple):
        return "TEXT"
    name = type(value).__module__
    if name == "numpy":
        kind = getattr(getattr(value, "dtype", None), "kind", "")
        return {"i": "INTEGER", "u": "INTEGER", "b": "INTEGER", "f": "REAL", "m": "REAL"}.get(
            kind, "TEXT"
        )
    if isinstance(value, decimal.Decimal):
        return "REAL"
    return "TEXT"


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
    if t is int:
        if _INT64[0] <= value <= _INT64[1]:
            return value
        raise ValueError(
            f"parameter {prefix}{key} = {value} does not fit in a 64-bit SQLite INTEGER;"
            " pass it as str or float"
        )
    if t is float:
        if math.isfinite(value):
            return value
        raise ValueError(
            f"parameter {prefix}{key} is {value!r}; SQLite has no NaN, pass None for NULL"
            if math.isnan(value)
            else f"parameter {prefix}{key} is {value!r}; infinite values are not accepted"
        )
    try:
        return convert(value)
    except TypeError as exc:
        raise TypeError(f"parameter {prefix}{key}: {exc}") from None
