"""The building blocks of :mod:`codemode_kernel.sql`: AST nodes, literals, ``where``.

Every piece is a sqlglot node; user names pass :func:`check_identifier` and
are always quoted, user values become escaped literals, and a ``where``
string must parse as one boolean expression. Nothing here pastes user text
into SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._checks import positive_int
from ._guard import classify
from ._identifiers import check_identifier, identifier
from .db._connection import LIMITS

__all__ = [
    "INT64",
    "LIKE_ESCAPE",
    "LIKE_PATTERN_MAX",
    "Columns",
    "Where",
    "alias_node",
    "call_node",
    "check_identifier",
    "column_names",
    "column_node",
    "condition",
    "count_arg",
    "ident_node",
    "literal",
    "order_node",
    "position_node",
    "render",
    "select_from",
    "sqlglot_exp",
    "table_node",
    "template",
]

Where = Mapping[str, Any] | str | None
Columns = str | Sequence[str]

INT64 = (-(2**63), 2**63 - 1)
LIKE_ESCAPE = "\\"
#: The session connection's LIKE pattern limit (a longer pattern is refused there).
LIKE_PATTERN_MAX = LIMITS["SQLITE_LIMIT_LIKE_PATTERN_LENGTH"]

# --- AST pieces ---------------------------------------------------------------


def sqlglot_exp():
    from sqlglot import exp

    return exp


def ident_node(name: str, what: str = "column name"):
    check_identifier(name, what)
    return identifier(name)


def column_node(name: str, table: str | None = None):
    exp = sqlglot_exp()
    qual = ident_node(table, "table name") if table is not None else None
    return exp.Column(this=ident_node(name), table=qual)


def table_node(name: str):
    return sqlglot_exp().Table(this=ident_node(name, "table name"))


def alias_node(node, name: str):
    return sqlglot_exp().alias_(node, name, quoted=True)


def call_node(name: str, *args):
    """A call of a SQLite function by its own name (sqlglot keeps it as is)."""
    return sqlglot_exp().Anonymous(this=name, expressions=list(args))


def order_node(node, desc: bool = False):
    # NULLs last in both directions (see the module docstring).
    return sqlglot_exp().Ordered(this=node, desc=desc, nulls_first=False)


def position_node(i: int):
    """A result column by its 1-based position (ORDER BY 2)."""
    return sqlglot_exp().Literal.number(i)


def template(text: str, **nodes):
    """Parse a constant SQL template and put AST nodes in for its ``_name_`` slots.

    Only developer-written text reaches the parser here; user values come in
    as nodes, so they are never parsed as SQL.
    """
    import sqlglot

    exp = sqlglot_exp()
    # Our own CTE and alias names (_v, _s, ...) get the reserved prefix, which no
    # user table can have, so they never shadow the table being analysed.
    text = re.sub(r"\b_([a-z]{1,2})\b", r"_codemode_\1", text)
    tree = sqlglot.parse_one(text, read="sqlite")

    def swap(node):
        if isinstance(node, exp.Column | exp.Table) and len(node.parts) == 1:
            key = node.name
            if key.startswith("_") and key.endswith("_") and key[1:-1] in nodes:
                return nodes[key[1:-1]].copy()
        return node

    return tree.transform(swap)


def literal(value: Any):
    """An escaped SQL literal for a Python value (str, number, bool, None, bytes, date)."""
    from ._records import convert

    exp = sqlglot_exp()
    value = convert(value)
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"{value} does not fit in SQLite's 64-bit INTEGER")
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be a SQL literal; use None for missing values")
        return exp.Literal.number(repr(value))
    if isinstance(value, bytes):
        return exp.HexString(this=value.hex())
    if "\x00" in value:
        raise ValueError(f"string {value[:40]!r} contains a NUL byte, which SQL text cannot hold")
    return exp.Literal.string(value)


def column_names(columns: Columns, what: str = "columns") -> list[str]:
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise ValueError(f"{what} must name at least one column")
    for name in names:
        check_identifier(name, "column name")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} names a column twice: {names}")
    return names


def count_arg(value: object, what: str, *, maximum: int | None = None) -> int:
    """A positive int argument (``n``, ``bins``, ``limit``): see :func:`positive_int`."""
    return positive_int(value, what, maximum=maximum)


def render(query) -> str:
    """SQLite text of a built SELECT, checked by the guard as user SQL would be."""
    sql = query.sql(dialect="sqlite", comments=False)
    stmts = classify(sql)
    if len(stmts) != 1 or stmts[0].kind != "SELECT":  # pragma: no cover - a builder bug
        raise AssertionError(f"a builder made something other than one SELECT: {sql}")
    return sql


# --- where ----------------------------------------------------------------------


def condition(where: Where, what: str = "where"):
    """The AST of a ``where`` argument: a dict of column -> value, or a SQL condition.

    Dict values: a scalar means ``=``, a list/tuple/set means ``IN`` (a None
    in it also matches NULL), ``None`` means ``IS NULL``. A string is parsed
    with sqlglot and must be one boolean expression (comparisons, LIKE, IN
    lists, BETWEEN, IS, AND/OR/NOT) without subqueries; ``?``/``:name``
    placeholders are kept for ``helpers.db.query(sql, params)``.
    """
    exp = sqlglot_exp()
    if where is None:
        return None
    if isinstance(where, str):
        return _parse_condition(where, what)
    if not isinstance(where, Mapping):
        raise TypeError(f"{what} must be a dict or a SQL condition string, not {type(where)}")
    if not where:
        return None
    parts = []
    for name, value in where.items():
        col = column_node(name)
        if value is None:
            parts.append(exp.Is(this=col, expression=exp.Null()))
        elif isinstance(value, list | tuple | set | frozenset):
            items = list(value)
            values = [literal(v) for v in items if v is not None]
            test = exp.In(this=col.copy(), expressions=values) if values else exp.false()
            if len(values) != len(items):
                test = exp.or_(test, exp.Is(this=col, expression=exp.Null()))
            parts.append(exp.Paren(this=test))
        else:
            parts.append(exp.EQ(this=col, expression=literal(value)))
    return exp.and_(*parts)


_BOOLEAN_LEAVES = ("Predicate", "Boolean")  # =, <>, <, IS, IN, LIKE, GLOB, BETWEEN; TRUE


def _is_boolean(node) -> bool:
    exp = sqlglot_exp()
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And | exp.Or):
        return _is_boolean(node.this) and _is_boolean(node.expression)
    if isinstance(node, exp.Not | exp.Escape):  # ESCAPE wraps a LIKE
        return _is_boolean(node.this)
    return isinstance(node, tuple(getattr(exp, n) for n in _BOOLEAN_LEAVES))


def _parse_condition(text: str, what: str):
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    exp = sqlglot_exp()
    if not text.strip():
        raise ValueError(f"{what} is an empty string; pass None for no condition")
    if "\x00" in text:
        raise ValueError(f"{what} contains a NUL byte")
    try:
        trees = [t for t in sqlglot.parse(text, read="sqlite") if t is not None]
    except (ParseError, TokenError) as exc:
        raise ValueError(f"{what} is not valid SQL: {str(exc).splitlines()[0]}") from None
    if len(trees) != 1:
        raise ValueError(f"{what} must be one condition, got {len(trees)} statements: {text!r}")
    tree = trees[0]
    banned = (exp.Query, exp.Subquery, exp.Table, exp.Command, exp.Exists, exp.Star)
    bad = next(iter(tree.find_all(*banned)), None)
    if bad is not None:
        raise ValueError(
            f"{what} must be a plain condition on the table's columns; it contains"
            f" {bad.key.upper()} ({bad.sql('sqlite')[:60]!r}). Write the full query with"
            " helpers.db.query() instead"
        )
    if not _is_boolean(tree):
        raise ValueError(
            f"{what} must be one boolean expression such as \"amount > 10 AND status = 'paid'\";"
            f" got {text!r}"
        )
    # Quote every name, so a keyword or odd name keeps meaning a column.
    for ident in tree.find_all(exp.Identifier):
        ident.set("quoted", True)
    return tree


def select_from(table: str, *columns, where: Where = None):
    import sqlglot

    query = sqlglot.select(*columns).from_(table_node(table))
    cond = condition(where)
    return query.where(cond) if cond is not None else query
