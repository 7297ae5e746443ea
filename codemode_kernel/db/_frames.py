"""A DataFrame as batch_insert input: its columns (index included) as row tuples.

Values are converted column by column, by dtype, with the C-level numpy and
pandas conversions (``ndarray.tolist``, ``to_numpy``), so that the rows cost
one ``zip`` more than the tuples a user would build by hand
(benchmarks/bench_insert.py measures it). The conversions are those of
``codemode_kernel/_records.py`` (docs/conversions.md): the same value gives the
same SQLite value whether it comes in a dict or a DataFrame.

The index: a named index, and every level of a MultiIndex, become columns
before the frame's own, as ``DataFrame.to_sql(index=True)`` writes them
(unnamed MultiIndex levels as ``level_0``, ``level_1``...; an unnamed
non-integer index, such as dates, as ``index``). An unnamed integer index
(the RangeIndex of a new frame, or what is left of it after filtering rows)
is left out: it numbers rows, it is not data. Name it
(``df.rename_axis("id")``) to keep it.
"""

from __future__ import annotations

from typing import Any

from .._identifiers import check_identifier
from .._names import check_unique
from .._records import INT64, SIMPLE_TYPES, column_type, convert, merge_types, out_of_range
from ..errors import UnsupportedValueError

__all__ = ["Chunk", "FrameSource", "is_dataframe"]


def is_dataframe(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "itertuples")


def _index_columns(df: Any) -> list[tuple[Any, Any]]:
    """(name, values) of the index levels that become columns (see module doc)."""
    import pandas as pd

    index = df.index
    names = list(index.names)
    if index.nlevels == 1:
        if names[0] is None:
            if pd.api.types.is_integer_dtype(index.dtype):
                return []
            names = ["index"]
    else:
        names = [f"level_{i}" if n is None else n for i, n in enumerate(names)]
    return [(name, index.get_level_values(i).array) for i, name in enumerate(names)]


def _column_arrays(df: Any) -> list[Any]:
    get = getattr(df, "_get_column_array", None)  # no Series, no attrs copy
    if get is not None:
        try:
            return [get(i) for i in range(df.shape[1])]
        except Exception:
            pass
    return [df.iloc[:, i].array for i in range(df.shape[1])]


class FrameSource:
    """The columns of one DataFrame, and their rows chunk by chunk."""

    def __init__(self, df: Any) -> None:
        if getattr(df.columns, "nlevels", 1) > 1:
            raise ValueError(
                "the DataFrame has MultiIndex columns; flatten them first, e.g."
                " df.columns = ['_'.join(map(str, c)) for c in df.columns]"
            )
        pairs = _index_columns(df) + list(zip(df.columns, _column_arrays(df), strict=True))
        for name, _ in pairs:
            if not isinstance(name, str):
                raise TypeError(
                    f"DataFrame column and index names must be str, got {name!r};"
                    " rename them (df.columns = df.columns.astype(str))"
                )
            check_identifier(name, "column name")
        self.names = [name for name, _ in pairs]
        check_unique(self.names, "the DataFrame's columns and index")
        self.arrays = [values for _, values in pairs]
        self.length = len(df)

    def declared_types(self, first_rows: list[tuple]) -> dict[str, str]:
        """Column types for a new table: by dtype, else by the values' votes."""
        out = {}
        for i, (name, arr) in enumerate(zip(self.names, self.arrays, strict=True)):
            kind = getattr(arr.dtype, "kind", "O")
            if str(arr.dtype) in ("str", "string"):
                out[name] = "TEXT"
            elif kind in "iub":
                out[name] = "INTEGER"
            elif kind in "fm":
                out[name] = "REAL"
            elif kind == "M":
                out[name] = "TEXT"
            else:
                out[name] = merge_types(column_type(row[i]) for row in first_rows)
        return out

    def chunks(self, size: int, table: str):
        """:class:`Chunk` after chunk of ``size`` rows, values already converted."""
        for start in range(0, self.length, size):
            stop = min(start + size, self.length)
            yield Chunk(
                [
                    _values(arr[start:stop], name, table)
                    for name, arr in zip(self.names, self.arrays, strict=True)
                ]
            )


class Chunk:
    """Rows of a DataFrame slice, kept as its converted column lists.

    Iterating gives the row tuples one at a time, as ``executemany`` pulls
    them: each is freed once bound, so no list of tuples is built and the
    cyclic GC has nothing to count (a list of 500 new tuples started a
    collection every 700 of them and, once some reached the old generation,
    full collections over the caller's whole heap).
    """

    __slots__ = ("columns",)

    def __init__(self, columns: list[list]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def __iter__(self):
        return zip(*self.columns, strict=False)  # equal lengths: sliced alike


def _values(arr: Any, name: str, table: str) -> list:
    """One column's slice as Python values sqlite3 binds (see _records.convert)."""
    import numpy as np

    dtype = arr.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(arr, np.ndarray):
        if kind in "ib" or (kind == "u" and dtype.itemsize < 8):
            return arr.tolist()
        if kind == "f":
            return arr.tolist()  # NaN binds as NULL
        if kind == "u":
            values = arr.tolist()
            if values and max(values) > INT64[1]:
                raise out_of_range(name, max(values), f"batch_insert into {table!r}, ")
            return values
        if kind == "O":
            return _objects(arr.tolist(), name, table)
        import pandas as pd

        arr = pd.array(arr)  # datetime64/timedelta64: Timestamps, not int ns, below
    if kind in "iubf" and hasattr(arr, "_mask"):  # Int64, boolean, Float64
        values = arr.to_numpy(dtype=object, na_value=None).tolist()
        if kind == "u" and any(v is not None and v > INT64[1] for v in values):
            big = max(v for v in values if v is not None)
            raise out_of_range(name, big, f"batch_insert into {table!r}, ")
        return values
    if str(dtype) in ("str", "string"):
        if getattr(dtype, "na_value", None) is np.nan:
            # pandas' default str dtype: str or NaN, and NaN binds as NULL.
            # np.asarray is twice as fast as to_numpy(na_value=None).
            return np.asarray(arr, dtype=object).tolist()
        return arr.to_numpy(dtype=object, na_value=None).tolist()
    # Datetimes (tz-aware too), categoricals, Arrow and other extension arrays.
    return _objects(np.asarray(arr, dtype=object).tolist(), name, table)


def _objects(values: list, name: str, table: str) -> list:
    if SIMPLE_TYPES.issuperset(map(type, values)):
        return values
    try:
        return [convert(v) for v in values]
    except UnsupportedValueError as exc:
        raise UnsupportedValueError(
            f"batch_insert into {table!r}, column {name!r}: {exc}. Nothing was inserted"
        ) from None
