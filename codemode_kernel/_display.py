"""How query results display: the pandas table, a footer, and a JSON payload.

Registered on IPython's display formatters by type *name*, so importing this
module (at kernel start) does not import pandas. A DataFrame displays with
the footer and the payload only while it still is the result of
``helpers.db.query``: it carries ``attrs["codemode"]`` and has the row count
recorded there (pandas copies ``attrs`` into ``df.head()`` and friends, whose
footer would lie). Every other frame displays exactly as stock pandas.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import sys
from typing import Any

from IPython.core.formatters import JSONFormatter
from traitlets import ObjectName, Unicode

from .errors import MAX_ROWS_FIX

__all__ = [
    "MAX_ROWS_FIX",
    "MIME",
    "PAYLOAD_MAX_BYTES",
    "PAYLOAD_MAX_ROWS",
    "PAYLOAD_MAX_VALUE_CHARS",
    "QueryJSONFormatter",
    "displayed_rows",
    "footer",
    "footer_html",
    "footer_parts",
    "html_table",
    "json_value",
    "payload",
    "query_meta",
    "register",
    "text_table",
    "with_nulls",
]

MIME = "application/vnd.codemode.query+json"
#: Caps of the payload's "rows": an agent's context is the scarce resource.
PAYLOAD_MAX_ROWS = 50
PAYLOAD_MAX_BYTES = 64 * 1024  # of the JSON text of "rows"
PAYLOAD_MAX_VALUE_CHARS = 1_000  # longer text/base64 values are cut and end with "…"
# pandas >= 3 reports DataFrame.__module__ as "pandas"; older ones as the real module.
_FRAMES = (("pandas", "DataFrame"), ("pandas.core.frame", "DataFrame"))


class QueryJSONFormatter(JSONFormatter):
    """The ``application/vnd.codemode.query+json`` formatter."""

    format_type = Unicode(MIME)
    # A method name nobody defines: only the registered DataFrame printer runs.
    print_method = ObjectName("_repr_codemode_query_json_")


def query_meta(df: Any) -> dict | None:
    """``df.attrs["codemode"]`` if ``df`` still is an unaltered query result."""
    meta = getattr(df, "attrs", {}).get("codemode")
    if not isinstance(meta, dict) or meta.get("row_count") != len(df):
        return None
    return meta


def displayed_rows(n: int) -> int:
    """How many of ``n`` rows pandas' table repr shows (``display.max_rows``/``min_rows``).

    Mirrors pandas' ``DataFrameFormatter._adjust_max_rows``: past
    ``max_rows`` rows, the first and last ``min_rows // 2`` are shown.
    """
    import pandas as pd

    max_rows = pd.get_option("display.max_rows")
    if not max_rows or n <= max_rows:
        return n
    min_rows = pd.get_option("display.min_rows")
    return min(min_rows, max_rows) if min_rows else max_rows


def footer_parts(meta: dict, max_rows: int | None = None) -> tuple[str, str | None]:
    """(summary, advice) of a query result's footer; advice is None unless truncated.

    The summary says how many rows the query returned, that more exist when
    it was cut, how many of them the table displays, and the elapsed time.
    """
    n = meta.get("row_count", 0)
    shown = displayed_rows(n)
    returned = f"{n:,} row{'' if n == 1 else 's'}"
    advice = None
    if meta.get("truncated"):
        limit = meta.get("row_limit", n)
        if max_rows in (None, limit):
            cap, fix = f"max_rows={limit:,}", MAX_ROWS_FIX
        else:
            cap, fix = f"limit={limit:,}", f"raise limit= (up to max_rows={max_rows:,})"
        parts = [f"{returned} returned, more exist (cut at {cap})", f"{shown:,} displayed"]
        advice = f"For the rest: {fix}; or add WHERE/LIMIT; or page with helpers.db.browse(sql)."
    elif shown < n:
        parts = [f"{returned} returned", f"{shown:,} displayed"]
    else:
        parts = [returned]
    ms = meta.get("elapsed_ms")
    if isinstance(ms, int | float):
        parts.append(f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms")
    return " · ".join(parts), advice


def footer(meta: dict, max_rows: int | None = None) -> str:
    """The footer as text: the summary line, plus the advice line when truncated."""
    summary, advice = footer_parts(meta, max_rows)
    return summary if advice is None else f"{summary}\n{advice}"


def footer_html(meta: dict, max_rows: int | None = None) -> str:
    """The footer as HTML; a truncated result's is a warning (JupyterLab's warn colours)."""
    summary, advice = footer_parts(meta, max_rows)
    if advice is None:
        return f'<p class="codemode-footer" style="font-size:0.85em">{_escape(summary)}</p>'
    style = (
        "font-size:0.85em;padding:4px 8px;margin-top:4px;"
        "border-left:4px solid var(--jp-warn-color1,#f57c00);"
        "background:var(--jp-warn-color3,#fff3e0);color:var(--jp-ui-font-color1,#000)"
    )
    return (
        f'<div class="codemode-footer codemode-truncated" role="alert" style="{style}">'
        f"<b>⚠ {_escape(summary)}</b><br>{_escape(advice)}</div>"
    )


# -- JSON payload ---------------------------------------------------------


def _cut(text: str) -> str:
    if len(text) <= PAYLOAD_MAX_VALUE_CHARS:
        return text
    return text[: PAYLOAD_MAX_VALUE_CHARS - 1] + "…"


def json_value(value: Any) -> Any:
    """One cell as a JSON value: NULL (NaN/NA/None) → null, ints exact (also
    beyond 2**53: JSON numbers are text), ±inf → "Infinity"/"-Infinity",
    bytes base64, datetimes in SQLite's text format."""
    if value is None or isinstance(value, bool | int | str):
        return _cut(value) if isinstance(value, str) else value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        # SQLite keeps ±inf (NaN is always NULL): JSON has no number for it,
        # so carry what JavaScript's Number() parses back.
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return _cut(base64.b64encode(bytes(value)).decode("ascii"))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return json_value(float(value))
    item = getattr(value, "item", None)  # numpy / pandas scalars
    if callable(item) and type(value).__module__.split(".")[0] in ("numpy", "pandas"):
        with_item = item()
        if with_item is not value:
            return json_value(with_item)
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        return iso()
    return _cut(str(value))


_NA = ("NaTType", "NAType")
_KIND_TYPES = {"i": "INTEGER", "u": "INTEGER", "b": "INTEGER", "f": "REAL", "M": "TEXT"}


def _column_values(df: Any, i: int) -> Any:
    """Column ``i``'s values without building a Series.

    ``df.iloc[:, i]`` makes a Series and deep-copies ``attrs`` into it: about
    a third of the payload's time for a small result. pandas' private
    accessor is the fast path; ``iloc`` is the fallback if it moves.
    """
    get = getattr(df, "_get_column_array", None)
    if get is not None:
        try:
            return get(i)
        except Exception:
            pass
    return df.iloc[:, i].array


def _sqlite_type(values: Any, dtype: Any) -> str:
    """The SQLite storage class(es) of a column's values: INTEGER, TEXT|NULL, ...

    From the values, never from the dtype alone: an ``Int64`` column with a
    missing value is ``INTEGER|NULL``. (Columns mixing INTEGER and REAL come
    from ``attrs``: a float64 dtype hides them; see db/_result_frame.py.)
    """
    kind = dtype.kind
    import pandas as pd

    if kind in "iubf" or isinstance(dtype, pd.StringDtype):
        # Numbers or NA, strings or NA: two classes at most, found without
        # a Python loop over (up to max_rows) values.
        na = pd.isna(values)
        name = "TEXT" if isinstance(dtype, pd.StringDtype) else _KIND_TYPES[kind]
        found = [] if na.all() else [name]
        if na.any():
            found.append("NULL")
        return "|".join(found) or "NULL"
    seen: set[str] = set()
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)) or type(v).__name__ in _NA:
            seen.add("NULL")
        elif isinstance(v, bool | int):
            seen.add("INTEGER")
        elif isinstance(v, float):
            seen.add("REAL")
        elif isinstance(v, bytes):
            seen.add("BLOB")
        else:
            seen.add("TEXT")
        if len(seen) == 5:
            break
    order = ("INTEGER", "REAL", "TEXT", "BLOB", "NULL")
    return "|".join(t for t in order if t in seen) or "NULL"


def _keys(columns: list[str]) -> list[str]:
    # Record keys must be unique (SELECT a.id, b.id): later duplicates get ":2", ":3".
    seen: dict[str, int] = {}
    keys = []
    for c in columns:
        seen[c] = seen.get(c, 0) + 1
        keys.append(c if seen[c] == 1 else f"{c}:{seen[c]}")
    return keys


def payload(df: Any) -> dict | None:
    """The ``application/vnd.codemode.query+json`` dict of a query result, else None.

    Keys: ``sql``, ``columns`` (name, key, sqlite_type, dtype), ``rows`` (the
    first rows as records, at most :data:`PAYLOAD_MAX_ROWS` rows and
    :data:`PAYLOAD_MAX_BYTES` bytes of JSON), ``rows_in_payload``,
    ``row_count``, ``truncated``, ``row_limit``, ``elapsed_ms``, ``limits``.
    """
    meta = query_meta(df)
    if meta is None:
        return None
    names = [str(c) for c in df.columns]
    keys = _keys(names)
    hidden = meta.get("sqlite_types") or {}
    columns = [
        {
            "name": name,
            "key": key,
            "sqlite_type": hidden.get(i) or _sqlite_type(_column_values(df, i), dt_),
            "dtype": str(dt_),
        }
        for i, (name, key, dt_) in enumerate(zip(names, keys, df.dtypes, strict=True))
    ]
    rows: list[dict] = []
    size = 2  # the brackets of the array
    for tup in df.head(PAYLOAD_MAX_ROWS).itertuples(index=False, name=None):
        record = {k: json_value(v) for k, v in zip(keys, tup, strict=True)}
        size += len(json.dumps(record, ensure_ascii=False).encode()) + 1
        if size > PAYLOAD_MAX_BYTES:
            break
        rows.append(record)
    return {
        "sql": meta.get("sql"),
        "columns": columns,
        "rows": rows,
        "rows_in_payload": len(rows),
        "row_count": meta.get("row_count"),
        "truncated": bool(meta.get("truncated")),
        "row_limit": meta.get("row_limit"),
        "elapsed_ms": meta.get("elapsed_ms"),
        "limits": {
            "rows": PAYLOAD_MAX_ROWS,
            "bytes": PAYLOAD_MAX_BYTES,
            "value_chars": PAYLOAD_MAX_VALUE_CHARS,
        },
    }


# -- NULL in the table ------------------------------------------------------


class _Null:
    """Shown where a query result has NULL (pandas would show NaN, None or <NA>)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL"

    __str__ = __repr__


NULL = _Null()


def with_nulls(df: Any) -> Any:
    """A shallow copy of ``df`` whose missing values display as ``NULL``.

    For display only: the user's frame keeps pandas' missing values. In a
    query result every missing value is a NULL (SQLite stores NaN as NULL, so
    no real NaN comes back). Float columns keep their number formatting and
    get ``na_rep="NULL"`` from the caller; other columns with missing values
    become object columns holding :data:`NULL`.
    """
    import numpy as np
    import pandas as pd

    shown = None
    for i, dtype in enumerate(df.dtypes):
        if dtype.kind == "f":
            continue
        values = _column_values(df, i)
        na = np.asarray(pd.isna(values), dtype=bool)
        if not na.any():
            continue
        column = np.array(values, dtype=object)
        column[na] = NULL
        if shown is None:
            shown = df.copy(deep=False)
        shown.isetitem(i, column)
    return df if shown is None else shown


def html_table(df: Any) -> str | None:
    """``df._repr_html_()`` with NULL for missing values (same display options)."""
    if df._info_repr():
        return df._repr_html_()
    import pandas as pd
    from pandas.io.formats import format as fmt

    if not pd.get_option("display.notebook_repr_html"):
        return None
    formatter = fmt.DataFrameFormatter(
        with_nulls(df),
        na_rep="NULL",
        float_format=pd.get_option("display.float_format"),
        index_names=True,
        header=True,
        index=True,
        bold_rows=True,
        escape=True,
        max_rows=pd.get_option("display.max_rows"),
        min_rows=pd.get_option("display.min_rows"),
        max_cols=pd.get_option("display.max_columns"),
        show_dimensions=pd.get_option("display.show_dimensions"),
        decimal=".",
    )
    return fmt.DataFrameRenderer(formatter).to_html(notebook=True)


def text_table(df: Any) -> str:
    """``repr(df)`` with NULL for missing values (same display options)."""
    if df._info_repr():
        return repr(df)
    from pandas.io.formats import format as fmt

    return with_nulls(df).to_string(na_rep="NULL", **fmt.get_dataframe_repr_params())


# -- registration -------------------------------------------------------------


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def register(shell: Any) -> None:
    """Install the DataFrame printers on ``shell``'s display formatters (idempotent)."""

    def max_rows() -> int | None:
        helpers = getattr(shell, "codemode_helpers", None) or shell.user_ns.get("helpers")
        return getattr(getattr(helpers, "settings", None), "max_rows", None)

    def as_html(df: Any) -> str | None:
        meta = query_meta(df)
        if meta is None:
            return df._repr_html_()
        table = html_table(df)
        if table is None:
            return table
        return f"{table}\n{footer_html(meta, max_rows())}"

    def as_text(df: Any, p: Any, cycle: bool) -> None:
        meta = query_meta(df)
        text = repr(df) if meta is None else f"{text_table(df)}\n{footer(meta, max_rows())}"
        # What IPython.lib.pretty does for a plain __repr__: one p.text per line.
        for i, line in enumerate(text.splitlines()):
            if i:
                p.break_()
            p.text(line)

    formatters = shell.display_formatter.formatters
    if not isinstance(formatters.get(MIME), QueryJSONFormatter):
        formatters[MIME] = QueryJSONFormatter(parent=shell.display_formatter)
    pandas = sys.modules.get("pandas")
    for mime, printer in ((MIME, payload), ("text/html", as_html), ("text/plain", as_text)):
        if pandas is not None:  # a by-name entry would lose to an existing by-type one
            formatters[mime].for_type(pandas.DataFrame, printer)
        else:
            for module, name in _FRAMES:
                formatters[mime].for_type_by_name(module, name, printer)
