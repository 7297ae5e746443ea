"""``helpers.db.explain``: SQLite's query plan, with a note in plain words.

A note is added to a ``SCAN <table>`` step (a full table scan) when the
query filters or joins on a column of that table that no index starts with:
that is where an index would let SQLite seek instead of reading every row.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .._identifiers import quote
from ._introspect import index_first_columns, table_columns

if TYPE_CHECKING:
    import pandas as pd

    from ._connection import Connection

__all__ = ["explain_plan"]

_SCAN = re.compile(r"^SCAN (?:TABLE )?(?P<table>\S+)(?: AS (?P<alias>\S+))?(?P<rest>.*)$")


def _filter_columns(sql: str) -> dict[str, set[str]]:
    """Columns used in WHERE / JOIN ON / HAVING, keyed by table alias or '' if unqualified."""
    import sqlglot
    from sqlglot import exp

    out: dict[str, set[str]] = {}
    tree = sqlglot.parse_one(sql, read="sqlite")
    for cond in list(tree.find_all(exp.Where)) + [
        j.args["on"] for j in tree.find_all(exp.Join) if j.args.get("on")
    ]:
        for col in cond.find_all(exp.Column):
            out.setdefault(col.table.lower(), set()).add(col.name)
    return out


def explain_plan(connection: Connection, sql: str, params: Any) -> pd.DataFrame:
    """``EXPLAIN QUERY PLAN`` of one user statement (run under the guard), with a
    note per step: columns id, parent, detail, note."""
    import pandas as pd

    with connection.lock:
        rows = connection.execute(
            f"EXPLAIN QUERY PLAN {sql}", params if params is not None else ()
        ).fetchall()
    used = _filter_columns(sql)
    notes = []
    for _id, _parent, _notused, detail in rows:
        note = ""
        m = _SCAN.match(detail)
        if m and "INDEX" not in m["rest"]:
            table = m["table"]
            alias = (m["alias"] or table).lower()
            cols = set(used.get(alias, set())) | set(used.get(table.lower(), set()))
            if len(used) == 1 or "" in used:
                cols |= used.get("", set())
            table_cols = {r[1].lower(): r[1] for r in table_columns(connection, table)}
            indexed = index_first_columns(connection, table)
            hints = sorted(
                table_cols[c.lower()]
                for c in cols
                if c.lower() in table_cols and c.lower() not in indexed
            )
            if hints:
                idx = ", ".join(quote(c) for c in hints[:1])
                note = (
                    f"full scan of {table}: every row is read. The query filters on"
                    f" {', '.join(hints)}; an index could let SQLite seek instead, e.g."
                    f" CREATE INDEX {quote('idx_' + table + '_' + hints[0])}"
                    f" ON {quote(table)} ({idx})"
                )
            else:
                note = f"full scan of {table}: every row is read"
        notes.append(note)
    return pd.DataFrame(
        [(r[0], r[1], r[3], n) for r, n in zip(rows, notes, strict=True)],
        columns=["id", "parent", "detail", "note"],
    )
