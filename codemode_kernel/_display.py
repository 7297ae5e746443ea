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

__all__ = [
    "MIME",
    "PAYLOAD_MAX_BYTES",
    "PAYLOAD_MAX_ROWS",
    "PAYLOAD_MAX_VALUE_CHARS",
    "QueryJSONFormatter",
    "footer",
    "payload",
    "query_meta",
    "register",
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


def footer(meta: dict, max_rows: int | None = None) -> str:
    """The one-line footer: row count, truncation and what to do, elapsed time."""
    n = meta.get("row_count", 0)
    rows = f"{n:,} row{'' if n == 1 else 's'}"
    parts = [rows]
    if meta.get("truncated"):
        limit = meta.get("row_limit", n)
        if max_rows in (None, limit):
            cap, more = f"max_rows={limit:,}", "raise max_rows (CODEMODE_MAX_ROWS)"
        else:
            cap, more = f"limit={limit:,}", "raise the limit"
        parts = [
            f"{rows} shown, truncated at {cap}: the query has more rows."
            f" Add LIMIT/WHERE, page with helpers.db.browse(sql), or {more}"
        ]
    ms = meta.get("elapsed_ms")
    if isinstance(ms, int | float):
        parts.append(f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms")
    return " · ".join(parts)


# -- JSON payload ---------------------------------------------------------


def _cut(text: str) -> str:
    if len(text) <= PAYLOAD_MAX_VALUE_CHARS:
        return text
    return text[: PAYLOAD_MAX_VALUE_CHARS - 1] + "…"


def _json_value(value: Any) -> Any:
    """One cell as a JSON value: NaN/NaT/NA → null, datetimes ISO, bytes base64."""
    if value is None or isinstance(value, bool | int | str):
        return _cut(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if type(value).__name__ in ("NaTType", "NAType"):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return _cut(base64.b64encode(bytes(value)).decode("ascii"))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return _json_value(float(value))
    item = getattr(value, "item", None)  # numpy / pandas scalars
    if callable(item) and type(value).__module__.split(".")[0] in ("numpy", "pandas"):
        with_item = item()
        if with_item is not value:
            return _json_value(with_item)
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        return iso()
    return _cut(str(value))


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
    """The SQLite storage class(es) of a column's values: INTEGER, TEXT|NULL, ..."""
    kind = dtype.kind
    if kind in _KIND_TYPES and kind != "f":
        return _KIND_TYPES[kind]
    import pandas as pd

    if kind == "f" or isinstance(dtype, pd.StringDtype):
        # Floats or NaN, strings or NA: two classes at most, found without
        # a Python loop over (up to max_rows) values.
        na = pd.isna(values)
        found = [] if na.all() else ["REAL" if kind == "f" else "TEXT"]
        if na.any():
            found.append("NULL")
        return "|".join(found) or "NULL"
    seen: set[str] = set()
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
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
    columns = [
        {
            "name": name,
            "key": key,
            "sqlite_type": _sqlite_type(_column_values(df, i), dt_),
            "dtype": str(dt_),
        }
        for i, (name, key, dt_) in enumerate(zip(names, keys, df.dtypes, strict=True))
    ]
    rows: list[dict] = []
    size = 2  # the brackets of the array
    for tup in df.head(PAYLOAD_MAX_ROWS).itertuples(index=False, name=None):
        record = {k: _json_value(v) for k, v in zip(keys, tup, strict=True)}
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
        table = df._repr_html_()
        meta = query_meta(df)
        if meta is None or table is None:
            return table
        line = _escape(footer(meta, max_rows()))
        return f'{table}\n<p class="codemode-footer" style="font-size:0.85em">{line}</p>'

    def as_text(df: Any, p: Any, cycle: bool) -> None:
        text = repr(df)
        meta = query_meta(df)
        if meta is not None:
            text = f"{text}\n{footer(meta, max_rows())}"
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
