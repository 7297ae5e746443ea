"""What the session database holds: tables, columns, row counts, indexes.

All of it is read with the kernel's own (internal) statements, so it works
whatever the user policy refuses (``PRAGMA`` included).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._identifiers import quote

if TYPE_CHECKING:
    import pandas as pd

    from ._connection import Connection

__all__ = [
    "SCHEMA_COLUMNS",
    "index_first_columns",
    "row_counts",
    "schema",
    "table_columns",
    "tables",
]

#: The columns of :meth:`Database.schema`.
SCHEMA_COLUMNS = ["table", "column", "type", "notnull", "default", "pk"]


def tables(connection: Connection) -> list[str]:
    """Names of the user's tables (bookkeeping and ``sqlite_*`` tables hidden), sorted."""
    rows = connection.run_internal(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        " AND name NOT LIKE '\\_codemode\\_%' ESCAPE '\\' ORDER BY name"
    )
    return [r[0] for r in rows]


def table_columns(connection: Connection, table: str) -> list[tuple]:
    """``pragma_table_xinfo`` rows of ``table`` (cid, name, type, notnull, default, pk,
    hidden); empty if there is no such table."""
    return connection.run_internal("SELECT * FROM pragma_table_xinfo(?)", (table,))


def schema(connection: Connection, table: str | None = None) -> pd.DataFrame:
    """Columns of one table (or of every table), as :data:`SCHEMA_COLUMNS`.

    Raises ``sqlite3.OperationalError`` ("no such table") for a missing ``table``.
    """
    import pandas as pd

    names = tables(connection) if table is None else [table]
    rows = []
    with connection.lock:
        for t in names:
            cols = table_columns(connection, t)
            if not cols and table is not None:
                raise sqlite3.OperationalError(f"no such table: {table}")
            for _cid, name, typ, notnull, default, pk, *_ in cols:
                rows.append((t, name, typ, bool(notnull), default, pk))
    return pd.DataFrame(rows, columns=SCHEMA_COLUMNS)


def row_counts(connection: Connection, names: Iterable[str]) -> dict[str, int]:
    """``count(*)`` of each named table."""
    counts = {}
    with connection.lock:
        for t in names:
            counts[t] = connection.run_internal(f"SELECT count(*) FROM {quote(t)}")[0][0]
    return counts


def index_first_columns(connection: Connection, table: str) -> set[str]:
    """Lower-cased first columns of the indexes of ``table`` (what a seek can use)."""
    with connection.lock:
        first = set()
        for (name,) in connection.run_internal("SELECT name FROM pragma_index_list(?)", (table,)):
            cols = connection.run_internal(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,)
            )
            if cols and cols[0][0]:
                first.add(cols[0][0].lower())
    return first
