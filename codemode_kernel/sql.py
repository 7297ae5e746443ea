"""``helpers.sql``: builders that return SQLite SQL text for common analyses.

Run the text with ``helpers.db.query(...)``::

    helpers.db.query(helpers.sql.count_by("trials", "phase"))

Every statement is built as a sqlglot AST and rendered for SQLite: table and
column names are checked with :func:`guard.check_identifier` and always
quoted, values become escaped literals, and the result passes the guard like
any other SQL. No user string is ever pasted into SQL text.

Choices where SQL and pandas differ (the tests compare on these definitions):

* **NULL ordering**: NULLs sort last, ascending or descending (pandas'
  ``na_position="last"``; SQLite alone puts them first when ascending).
* **NULL groups**: NULL is a group of its own in ``count_by``, ``group_by``,
  ``distinct`` and ``duplicates`` (pandas ``dropna=False``).
* **Aggregates over no values** (``sum``, ``min``, ``avg`` ...) are NULL, as in
  SQL (pandas gives 0 for an empty sum). ``sum`` of integers stays an integer.
* **Division** is always floating point where a builder divides (SQLite's
  ``/`` truncates two integers; pandas' ``/`` does not).
* **stddev** is the sample standard deviation (ddof=1, pandas' default);
  NULL for fewer than two values.
* **Percentiles** use linear interpolation, pandas' and numpy's default.
* **Case-insensitive** matching (``search``) folds ASCII letters only, as
  SQLite's LIKE does without ICU.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._sql_ast import (
    LIKE_ESCAPE,
    LIKE_PATTERN_MAX,
    Columns,
    Where,
    alias_node,
    call_node,
    check_identifier,
    column_names,
    column_node,
    count_arg,
    ident_node,
    literal,
    order_node,
    position_node,
    render,
    select_from,
    sqlglot_exp,
    table_node,
)
from ._sql_stats import group_by, histogram, statistics, temporal

__all__ = [
    "countBy",
    "count_by",
    "distinct",
    "duplicates",
    "group_by",
    "histogram",
    "join",
    "null_counts",
    "sample",
    "search",
    "statistics",
    "temporal",
    "topN",
    "top_n",
]


# --- builders -------------------------------------------------------------------


def count_by(table: str, column: str, *, where: Where = None, limit: int | None = None) -> str:
    """Each value of ``column`` with its row count: the most frequent first.

    Columns: ``<column>``, ``count``. Ties are broken by value (ascending);
    NULL is a value of its own and sorts after the others.

    >>> helpers.db.query(helpers.sql.count_by("trials", "phase", where={"status": "open"}))
      phase  count
    0     I      1
    1    II      1
    2   III      1
    3   NaN      1
    """
    exp = sqlglot_exp()
    col = column_node(column)
    query = (
        select_from(table, col, alias_node(exp.Count(this=exp.Star()), "count"), where=where)
        .group_by(col.copy())
        # By position: a name could mean either the column or an alias ("count").
        .order_by(order_node(position_node(2), desc=True), order_node(position_node(1)))
    )
    if limit is not None:
        query = query.limit(count_arg(limit, "limit"))
    return render(query)


def top_n(
    table: str,
    column: Columns,
    n: int = 10,
    *,
    by: str | None = None,
    where: Where = None,
    ascending: bool = False,
) -> str:
    """The ``n`` rows with the largest (or, ``ascending=True``, smallest) ``by``.

    Returns ``column`` (a name or a list of names) and ``by`` (default: the
    first of ``column``). Rows whose ``by`` is NULL come last; ties are
    broken by the returned columns, ascending.

    >>> helpers.db.query(helpers.sql.top_n("trials", "title", 5, by="enrollment"))
           title  enrollment
    0   50% dose       300.0
    1  Aspirin A       120.0
    2  Vitamin D        80.0
    3  Aspirin B        40.0
    4    Placebo         NaN
    """
    names = column_names(column, "column")
    key = names[0] if by is None else by
    check_identifier(key, "column name")
    shown = names if key in names else [*names, key]
    query = (
        select_from(table, *(column_node(c) for c in shown), where=where)
        .order_by(order_node(column_node(key), desc=not ascending))
        .order_by(*(order_node(column_node(c)) for c in shown if c != key), append=True)
        .limit(count_arg(n, "n"))
    )
    return render(query)


def distinct(table: str, columns: Columns, *, where: Where = None, limit: int | None = None) -> str:
    """The distinct values (combinations) of ``columns``, sorted, NULLs last.

    >>> helpers.db.query(helpers.sql.distinct("trials", ["phase", "status"]))
      phase  status
    0     I    open
    1    II    open
    2   III  closed
    3   III    open
    4   NaN    open
    """
    names = column_names(columns)
    query = (
        select_from(table, *(column_node(c) for c in names), where=where)
        .distinct()
        .order_by(*(order_node(column_node(c)) for c in names))
    )
    if limit is not None:
        query = query.limit(count_arg(limit, "limit"))
    return render(query)


def _like_pattern(term: str) -> str:
    escaped = term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
    pattern = "%" + escaped.replace("_", LIKE_ESCAPE + "_") + "%"
    if len(pattern.encode()) > LIKE_PATTERN_MAX:
        raise ValueError(
            f"search term is too long ({len(term)} characters); SQLite's LIKE takes patterns"
            f" up to {LIKE_PATTERN_MAX} bytes"
        )
    return pattern


def search(table: str, columns: Columns, term: str, *, limit: int | None = 100) -> str:
    """Rows where any of ``columns`` contains ``term``, case-insensitively, in table order.

    ``%``, ``_`` and ``\\`` in ``term`` match themselves (LIKE ... ESCAPE).
    Case folding covers ASCII letters only (SQLite's LIKE): ``"é"`` does not
    match ``"É"``. Numbers are matched on their text form; NULLs never match.
    ``limit=None`` returns all matches (up to ``max_rows``).

    >>> helpers.db.query(helpers.sql.search("trials", ["title", "sponsor"], "50% dose"))
       id     title phase  status sponsor  enrollment
    0   3  50% dose   III  closed    Beta         300
    """
    exp = sqlglot_exp()
    if not isinstance(term, str):
        raise TypeError(f"term must be a str, got {type(term).__name__}")
    pattern = literal(_like_pattern(term))
    tests = [
        exp.Escape(
            this=exp.Like(this=column_node(c), expression=pattern.copy()),
            expression=exp.Literal.string(LIKE_ESCAPE),
        )
        for c in column_names(columns)
    ]
    query = select_from(table, exp.Star()).where(exp.or_(*tests))
    if limit is not None:
        query = query.limit(count_arg(limit, "limit"))
    return render(query)


def sample(table: str, n: int = 10, *, where: Where = None) -> str:
    """``n`` random rows (all rows when there are fewer), in random order.

    >>> helpers.db.query(helpers.sql.sample("trials", 5))
       id      title phase  status sponsor  enrollment
    ...
    """
    exp = sqlglot_exp()
    query = (
        select_from(table, exp.Star(), where=where)
        .order_by(call_node("random"))
        .limit(count_arg(n, "n"))
    )
    return render(query)


def duplicates(table: str, columns: Columns, *, where: Where = None) -> str:
    """Value combinations of ``columns`` that occur more than once, with ``count``.

    The most repeated first, then by the values; NULLs count as equal to
    each other (as in GROUP BY and pandas' ``duplicated``).

    >>> helpers.db.query(helpers.sql.duplicates("people", ["name", "birth_date"]))
      name  birth_date  count
    0  Ann  1990-01-02      2
    """
    exp = sqlglot_exp()
    names = column_names(columns)
    count = exp.Count(this=exp.Star())
    query = (
        select_from(
            table, *(column_node(c) for c in names), alias_node(count, "count"), where=where
        )
        .group_by(*(column_node(c) for c in names))
        .having(exp.GT(this=count.copy(), expression=exp.Literal.number(1)))
        .order_by(
            order_node(position_node(len(names) + 1), desc=True),
            *(order_node(position_node(i + 1)) for i in range(len(names))),
        )
    )
    return render(query)


def null_counts(table: str, columns: Columns, *, where: Where = None) -> str:
    """NULLs per column, one row each: ``column``, ``nulls``, ``rows``, ``null_fraction``.

    One scan of the table; ``null_fraction`` is NULL for an empty table.

    >>> helpers.db.query(helpers.sql.null_counts("trials", ["phase", "enrollment"]))
           column  nulls  rows  null_fraction
    0       phase      1     5            0.2
    1  enrollment      1     5            0.2
    """
    import sqlglot

    exp = sqlglot_exp()
    names = column_names(columns)
    if len(names) > 400:  # one SELECT per column in a UNION ALL (SQLite allows 500)
        raise ValueError(f"null_counts takes at most 400 columns, got {len(names)}")
    tallies = [alias_node(exp.Count(this=exp.Star()), "_rows")]
    for i, name in enumerate(names):
        is_null = exp.Is(this=column_node(name), expression=exp.Null())
        tallies.append(alias_node(exp.Sum(this=is_null), f"_n{i}"))
    scan = select_from(table, *tallies, where=where)
    rows = exp.column("_rows", quoted=True)
    parts = []
    for i, name in enumerate(names):
        nulls = exp.Coalesce(
            this=exp.column(f"_n{i}", quoted=True), expressions=[exp.Literal.number(0)]
        )
        fraction = exp.Div(
            this=exp.Mul(this=nulls.copy(), expression=exp.Literal.number("1.0")),
            expression=exp.Nullif(this=rows.copy(), expression=exp.Literal.number(0)),
        )
        parts.append(
            sqlglot.select(
                alias_node(literal(name), "column"),
                alias_node(nulls, "nulls"),
                alias_node(rows.copy(), "rows"),
                alias_node(fraction, "null_fraction"),
            ).from_("_codemode_t")
        )
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return render(union.with_("_codemode_t", as_=scan))


_HOW = {"inner": "", "left": "LEFT", "right": "RIGHT", "full": "FULL", "outer": "FULL"}


def _join_column(item: str, left: str, right: str):
    for table in (left, right):
        if item.startswith(table + ".") and len(item) > len(table) + 1:
            return column_node(item[len(table) + 1 :], table)
    return column_node(item)


def join(
    left: str,
    right: str,
    on: Columns | Mapping[str, str],
    *,
    how: str = "inner",
    columns: Sequence[str] | None = None,
) -> str:
    """Join two tables: ``how`` is inner, left, right or full (``outer``).

    ``on``: a column name or list of names present in both tables (``USING``:
    the key appears once; in a full join it is the non-NULL side), or a dict
    ``{left_column: right_column}``. NULL keys never match (SQL, unlike
    pandas' ``merge``). ``columns`` picks the result columns: ``"name"`` or
    ``"table.name"``; default all. Row order is not defined.
    RIGHT and FULL joins need SQLite 3.39 or later.

    >>> helpers.db.query(helpers.sql.join("orders", "customers", {"customer_id": "id"},
    ...                                   how="left", columns=["orders.id", "name"]))
       id name
    0   1  Ann
    1   2  Ann
    2   3  Bob
    3   4  NaN
    4   5  Bob
    """
    import sqlglot

    exp = sqlglot_exp()
    check_identifier(left, "table name")
    check_identifier(right, "table name")
    if left == right:
        raise ValueError("join() needs two different tables; write a self-join with aliases in SQL")
    if how not in _HOW:
        raise ValueError(f"how must be one of {', '.join(_HOW)}; got {how!r}")
    if columns is None:
        shown = [exp.Star()]
    else:
        items = [columns] if isinstance(columns, str) else list(columns)
        if not items:
            raise ValueError("columns must name at least one column (or be None for all)")
        shown = [_join_column(c, left, right) for c in items]
    if isinstance(on, Mapping):
        if not on:
            raise ValueError("on must name at least one pair of columns")
        pairs = [
            exp.EQ(this=column_node(a, left), expression=column_node(b, right))
            for a, b in on.items()
        ]
        join_args: dict[str, Any] = {"on": exp.and_(*pairs)}
    else:
        join_args = {"using": [ident_node(c) for c in column_names(on, "on")]}
    query = sqlglot.select(*shown).from_(table_node(left))
    query = query.join(table_node(right), join_type=_HOW[how] or None, **join_args)
    return render(query)


#: camelCase aliases of the seed's names.
countBy = count_by
topN = top_n
