"""SQL the kernel writes itself (CREATE TABLE, ADD COLUMN, INSERT), built with sqlglot.

Names are validated with :func:`guard.check_identifier` and rendered as
quoted identifiers; user strings are never pasted into SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._guard import classify
from ._identifiers import check_identifier, quote

__all__ = ["add_column_sql", "create_table_sql", "insert_sql"]


def _column_def(name: str, decl: str) -> str:
    from sqlglot import exp

    check_identifier(name, "column name")
    if not isinstance(decl, str):
        raise TypeError(f"the type of column {name!r} must be a str, got {type(decl).__name__}")
    probe = f"CREATE TABLE _probe ({quote(name)} {decl})"
    stmts = _classify_one(probe, f"column {name!r}")
    if stmts.kind != "CREATE TABLE":
        raise ValueError(f"column {name!r}: {decl!r} is not a column definition")
    del exp
    return f"{quote(name)} {decl}".rstrip()


def _classify_one(sql: str, what: str):
    stmts = classify(sql)
    if len(stmts) != 1:
        raise ValueError(f"{what} must give exactly one statement; it gave {len(stmts)}")
    return stmts[0]


def create_table_sql(
    name: str, schema: str | Mapping[str, str], *, if_not_exists: bool = True
) -> str:
    """``CREATE TABLE`` text for a column-definition string or a {name: type} dict."""
    check_identifier(name, "table name")
    if isinstance(schema, Mapping):
        if not schema:
            raise ValueError("schema must define at least one column")
        body = ", ".join(_column_def(col, decl) for col, decl in schema.items())
    elif isinstance(schema, str):
        if not schema.strip():
            raise ValueError("schema must define at least one column")
        body = schema
    else:
        raise TypeError(f"schema must be a str or a dict, got {type(schema).__name__}")
    sql = f"CREATE TABLE {'IF NOT EXISTS ' if if_not_exists else ''}{quote(name)} ({body})"
    stmt = _classify_one(sql, "create_table()")
    if stmt.kind != "CREATE TABLE":
        raise ValueError(f"create_table() schema does not make a CREATE TABLE: {schema!r}")
    return sql


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO "t" ("a", "b") VALUES (?, ?)``."""
    cols = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})"


def add_column_sql(table: str, column: str, decl: str) -> str:
    check_identifier(column, "column name")
    return f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column)} {decl}".rstrip()
