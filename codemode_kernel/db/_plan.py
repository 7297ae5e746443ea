"""``helpers.db.explain``: SQLite's query plan, with a note in plain words.

A note is added to a ``SCAN <table>`` step (a full table scan) when the
query filters or joins on a column of that table that no index starts with:
that is where an index would let SQLite seek instead of reading every row.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from . import Database

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


def explain_plan(db: Database, sql: str, rows: list[tuple]) -> pd.DataFrame:
    import pandas as pd

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
            table_cols = {r[1].lower(): r[1] for r in db._table_columns(table)}
            indexed = _indexed_first_columns(db, table)
            hints = sorted(
                table_cols[c.lower()]
                for c in cols
                if c.lower() in table_cols and c.lower() not in indexed
            )
            if hints:
                from .._ddl import quote

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


def _indexed_first_columns(db: Database, table: str) -> set[str]:
    with db._internal() as conn:
        idx = conn.execute(db._sql("SELECT name FROM pragma_index_list(?)"), (table,)).fetchall()
        first = set()
        for (name,) in idx:
            cols = conn.execute(
                db._sql("SELECT name FROM pragma_index_info(?) ORDER BY seqno"), (name,)
            ).fetchall()
            if cols and cols[0][0]:
                first.add(cols[0][0].lower())
    return first
