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

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._guard import check_identifier, classify

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

Where = Mapping[str, Any] | str | None
Columns = str | Sequence[str]

_INT64 = (-(2**63), 2**63 - 1)
_ESCAPE = "\\"
_LIKE_PATTERN_MAX = 1000  # SQLITE_LIMIT_LIKE_PATTERN_LENGTH set by database.LIMITS

# --- AST pieces ---------------------------------------------------------------


def _exp():
    from sqlglot import exp

    return exp


def _ident(name: str, what: str = "column name"):
    check_identifier(name, what)
    return _exp().to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None):
    exp = _exp()
    qual = _ident(table, "table name") if table is not None else None
    return exp.Column(this=_ident(name), table=qual)


def _table(name: str):
    return _exp().Table(this=_ident(name, "table name"))


def _alias(node, name: str):
    return _exp().alias_(node, name, quoted=True)


def _fn(name: str, *args):
    """A call of a SQLite function by its own name (sqlglot keeps it as is)."""
    return _exp().Anonymous(this=name, expressions=list(args))


def _order(node, desc: bool = False):
    # NULLs last in both directions (see the module docstring).
    return _exp().Ordered(this=node, desc=desc, nulls_first=False)


def _position(i: int):
    """A result column by its 1-based position (ORDER BY 2)."""
    return _exp().Literal.number(i)


def _tpl(text: str, **nodes):
    """Parse a constant SQL template and put AST nodes in for its ``_name_`` slots.

    Only developer-written text reaches the parser here; user values come in
    as nodes, so they are never parsed as SQL.
    """
    import sqlglot

    exp = _exp()
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

    exp = _exp()
    value = convert(value)
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
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


def _names(columns: Columns, what: str = "columns") -> list[str]:
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names:
        raise ValueError(f"{what} must name at least one column")
    for name in names:
        check_identifier(name, "column name")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} names a column twice: {names}")
    return names


def _count(value: object, what: str, *, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{what} must be positive, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{what} must be at most {maximum:,}, got {value:,}")
    return value


def _render(query) -> str:
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
    exp = _exp()
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
        col = _col(name)
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
    exp = _exp()
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

    exp = _exp()
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


def _select_from(table: str, *columns, where: Where = None):
    import sqlglot

    query = sqlglot.select(*columns).from_(_table(table))
    cond = condition(where)
    return query.where(cond) if cond is not None else query


# --- builders -------------------------------------------------------------------


def count_by(table: str, column: str, *, where: Where = None, limit: int | None = None) -> str:
    """Each value of ``column`` with its row count: the most frequent first.

    Columns: ``<column>``, ``count``. Ties are broken by value (ascending);
    NULL is a value of its own and sorts after the others.

    >>> helpers.db.query(helpers.sql.count_by("trials", "phase", where={"status": "open"}))
    """
    exp = _exp()
    col = _col(column)
    query = (
        _select_from(table, col, _alias(exp.Count(this=exp.Star()), "count"), where=where)
        .group_by(col.copy())
        # By position: a name could mean either the column or an alias ("count").
        .order_by(_order(_position(2), desc=True), _order(_position(1)))
    )
    if limit is not None:
        query = query.limit(_count(limit, "limit"))
    return _render(query)


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
    """
    names = _names(column, "column")
    key = names[0] if by is None else by
    check_identifier(key, "column name")
    shown = names if key in names else [*names, key]
    query = (
        _select_from(table, *(_col(c) for c in shown), where=where)
        .order_by(_order(_col(key), desc=not ascending))
        .order_by(*(_order(_col(c)) for c in shown if c != key), append=True)
        .limit(_count(n, "n"))
    )
    return _render(query)


_INTERVALS = {
    "minute": "strftime('%Y-%m-%d %H:%M', _t_)",
    "hour": "strftime('%Y-%m-%d %H:00', _t_)",
    "day": "date(_t_)",
    # ISO weeks start on Monday: step back 6 days, then forward to a Monday.
    "week": "date(_t_, '-6 days', 'weekday 1')",
    "month": "strftime('%Y-%m', _t_)",
    # Integer division on purpose: months 1-3 -> 1, 4-6 -> 2, ...
    "quarter": "strftime('%Y', _t_) || '-Q' || ((CAST(strftime('%m', _t_) AS INTEGER) + 2) / 3)",
    "year": "strftime('%Y', _t_)",
}
_TIME_UNITS = {
    "iso": "datetime(_c_)",
    "s": "datetime(_c_, 'unixepoch')",
    "ms": "datetime(_c_ / 1000.0, 'unixepoch')",
    # Numbers are epoch seconds, or milliseconds from 1e11 on (1e11 s is the
    # year 5138, 1e11 ms is 1973-03-03); text is ISO-8601.
    "auto": (
        "CASE WHEN typeof(_c_) IN ('integer', 'real') THEN"
        " CASE WHEN abs(_c_) >= 100000000000 THEN datetime(_c_ / 1000.0, 'unixepoch')"
        " ELSE datetime(_c_, 'unixepoch') END ELSE datetime(_c_) END"
    ),
}
_AGGS = ("count", "sum", "avg", "min", "max")


def temporal(
    table: str,
    time_column: str,
    interval: str = "day",
    *,
    value: str | None = None,
    agg: str = "count",
    where: Where = None,
    unit: str = "auto",
) -> str:
    """Rows per time bucket (or ``agg`` of ``value`` per bucket), oldest first.

    ``interval``: minute, hour, day, week (ISO: starts on Monday), month,
    quarter or year. Columns: ``bucket`` (the bucket's start as text:
    ``2024-03-05 14:07``, ``2024-03-05 14:00``, ``2024-03-05``, the Monday
    ``2024-03-04``, ``2024-03``, ``2024-Q1``, ``2024``) and ``agg``'s name.
    ``agg``: count (rows, or non-NULL ``value``\\s), sum, avg, min, max.

    ``unit`` says how ``time_column`` is stored: ``"iso"`` (ISO-8601 text;
    an offset such as ``+02:00`` or ``Z`` is converted to UTC), ``"s"`` /
    ``"ms"`` (unix epoch seconds / milliseconds), or ``"auto"``: numbers are
    epoch seconds, or milliseconds when at least 1e11, text is ISO-8601.
    Rows whose time is NULL or unreadable are left out.

    >>> helpers.db.query(helpers.sql.temporal("orders", "created", "week",
    ...                                       value="amount", agg="sum"))
    """
    exp = _exp()
    if interval not in _INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(_INTERVALS)}; got {interval!r}")
    if unit not in _TIME_UNITS:
        raise ValueError(f"unit must be one of {', '.join(_TIME_UNITS)}; got {unit!r}")
    if agg not in _AGGS:
        raise ValueError(f"agg must be one of {', '.join(_AGGS)}; got {agg!r}")
    if value is None and agg != "count":
        raise ValueError(f"agg={agg!r} needs a value column: temporal(..., value='amount')")
    inner_cols = [_alias(_tpl(_TIME_UNITS[unit], c=_col(time_column)), "t")]
    if value is not None:
        inner_cols.append(_alias(_col(value), "v"))
    inner = _select_from(table, *inner_cols, where=where).subquery("_codemode_b")
    t = exp.column("t", quoted=True)
    v = exp.column("v", quoted=True)
    measure = {
        "count": exp.Count(this=v if value is not None else exp.Star()),
        "sum": exp.Sum(this=v),
        "avg": exp.Avg(this=v),
        "min": exp.Min(this=v),
        "max": exp.Max(this=v),
    }[agg]
    b = exp.column("bucket", quoted=True)
    import sqlglot

    query = (
        sqlglot.select(_alias(_tpl(_INTERVALS[interval], t=t), "bucket"), _alias(measure, agg))
        .from_(inner)
        .where(exp.Not(this=exp.Is(this=t.copy(), expression=exp.Null())))
        .group_by(b.copy())
        .order_by(_order(b.copy()))
    )
    return _render(query)


_STATISTICS = """
WITH _v AS (SELECT _x_ AS x FROM _src_),
_s AS (
  SELECT count(x) AS n, count(*) - count(x) AS nulls, count(DISTINCT x) AS d,
         min(x) AS lo, max(x) AS hi, avg(x) AS mean, sum(x) AS total FROM _v),
_r AS (SELECT x, row_number() OVER (ORDER BY x) - 1 AS i FROM _v WHERE x IS NOT NULL),
_p AS (
  SELECT k, CAST((n - 1) * p AS INTEGER) AS lo, (n - 1) * p - CAST((n - 1) * p AS INTEGER) AS f
  FROM _s, (SELECT 1 AS k, 0.25 AS p UNION ALL SELECT 2, 0.5 UNION ALL SELECT 3, 0.75)
  WHERE n > 0),
_ab AS (
  SELECT _p.k AS k, _p.f AS f, max(CASE WHEN _r.i = _p.lo THEN _r.x END) AS a,
         coalesce(max(CASE WHEN _r.i = _p.lo + 1 THEN _r.x END),
                  max(CASE WHEN _r.i = _p.lo THEN _r.x END)) AS b
  FROM _p, _r WHERE _r.i IN (_p.lo, _p.lo + 1) GROUP BY _p.k),
_q AS (
  SELECT k, CASE WHEN f >= 0.5 THEN b - (b - a) * (1 - f) ELSE a + (b - a) * f END AS v FROM _ab)
SELECT n AS "count", nulls AS "nulls", d AS "distinct", lo AS "min", hi AS "max",
  mean AS "mean",
  (SELECT sqrt(sum((x - _s.mean) * (x - _s.mean)) / (_s.n - 1)) FROM _v WHERE x IS NOT NULL)
    AS "stddev",
  total AS "sum",
  (SELECT v FROM _q WHERE k = 1) AS "p25",
  (SELECT v FROM _q WHERE k = 2) AS "median",
  (SELECT v FROM _q WHERE k = 3) AS "p75"
FROM _s
"""


def statistics(table: str, column: str, *, where: Where = None) -> str:
    """One row of statistics of a numeric column, p25/median/p75 included.

    Columns: ``count`` (non-NULL values), ``nulls``, ``distinct``, ``min``,
    ``max``, ``mean``, ``stddev`` (sample, ddof=1; NULL below two values),
    ``sum`` (NULL when there are no values), ``p25``, ``median``, ``p75``.

    Percentiles use linear interpolation (pandas' and numpy's default): with
    the ``n`` non-NULL values sorted as ``x[0..n-1]``, percentile ``p`` is at
    position ``h = (n - 1) * p``, between ``x[floor(h)]`` and the next value,
    weighted by the fraction of ``h``.

    >>> helpers.db.query(helpers.sql.statistics("trials", "enrollment"))
    """
    source = _select_from(table, _alias(_col(column), "x"), where=where).subquery("_codemode_in")
    return _render(_tpl(_STATISTICS, x=_exp().column("x", quoted=True), src=source))


_HISTOGRAM = """
WITH RECURSIVE _v AS (SELECT x FROM _src_ WHERE typeof(x) IN ('integer', 'real')),
_s AS (
  SELECT min(x) AS lo, max(x) AS hi, CASE WHEN max(x) > min(x) THEN _bins_ ELSE 1 END AS k
  FROM _v),
_w AS (SELECT lo, hi, k, (hi - lo) * 1.0 / k AS width FROM _s WHERE lo IS NOT NULL),
_i(i) AS (SELECT 0 FROM _w UNION ALL SELECT i + 1 FROM _i, _w WHERE i + 1 < _w.k),
_c AS (
  SELECT CASE WHEN j >= k THEN k - 1 ELSE j END AS i, count(*) AS n
  FROM (SELECT CASE WHEN k = 1 THEN 0 ELSE CAST((x - lo) / width AS INTEGER) END AS j, k
        FROM _v, _w)
  GROUP BY 1)
SELECT lo + _i.i * width AS "bin_start",
  CASE WHEN _i.i = k - 1 THEN hi ELSE lo + (_i.i + 1) * width END AS "bin_end",
  coalesce(_c.n, 0) AS "count"
FROM _i CROSS JOIN _w LEFT JOIN _c ON _c.i = _i.i
ORDER BY _i.i
"""


def histogram(table: str, column: str, bins: int = 10, *, where: Where = None) -> str:
    """Equal-width histogram of a numeric column: ``bin_start``, ``bin_end``, ``count``.

    The range ``[min, max]`` is cut into ``bins`` bins of width
    ``(max - min) / bins``; a value ``x`` goes to bin ``floor((x - min) / width)``
    and the max value falls in the last bin. Every bin is listed, empty ones
    with count 0. NULL and non-numeric values are left out; when all values
    are equal there is one bin ``[v, v]``; no values, no rows.

    >>> helpers.db.query(helpers.sql.histogram("trials", "enrollment", bins=20))
    """
    exp = _exp()
    _count(bins, "bins", maximum=10_000)
    source = _select_from(table, _alias(_col(column), "x"), where=where).subquery("_codemode_in")
    return _render(_tpl(_HISTOGRAM, src=source, bins=exp.Literal.number(bins)))


def distinct(table: str, columns: Columns, *, where: Where = None, limit: int | None = None) -> str:
    """The distinct values (combinations) of ``columns``, sorted, NULLs last.

    >>> helpers.db.query(helpers.sql.distinct("trials", ["phase", "status"]))
    """
    names = _names(columns)
    query = (
        _select_from(table, *(_col(c) for c in names), where=where)
        .distinct()
        .order_by(*(_order(_col(c)) for c in names))
    )
    if limit is not None:
        query = query.limit(_count(limit, "limit"))
    return _render(query)


_GROUP_FUNCS = ("count", "count_distinct", "sum", "avg", "mean", "min", "max")


def _aggregate(column: str, func: str):
    exp = _exp()
    if column == "*":
        if func != "count":
            raise ValueError(f"'*' only takes 'count', got {func!r}")
        return exp.Count(this=exp.Star()), "count"
    col = _col(column)
    node = {
        "count": lambda: exp.Count(this=col),
        "count_distinct": lambda: exp.Count(this=exp.Distinct(expressions=[col])),
        "sum": lambda: exp.Sum(this=col),
        "avg": lambda: exp.Avg(this=col),
        "mean": lambda: exp.Avg(this=col),
        "min": lambda: exp.Min(this=col),
        "max": lambda: exp.Max(this=col),
    }
    if func not in node:
        raise ValueError(f"aggregation must be one of {', '.join(_GROUP_FUNCS)}; got {func!r}")
    return node[func](), f"{column}_{func}"


def group_by(
    table: str,
    by: Columns,
    aggregations: Mapping[str, str | Sequence[str]],
    *,
    where: Where = None,
    having: Where = None,
    order_by: Columns | None = None,
) -> str:
    """Aggregates per group of ``by``, e.g. ``{"amount": ["sum", "avg"], "*": ["count"]}``.

    ``aggregations`` maps a column to functions: count, count_distinct, sum,
    avg (or mean), min, max; ``"*": ["count"]`` counts rows. Result columns
    are the ``by`` columns, then ``<column>_<func>`` (``count`` for
    ``"*"``). ``having`` is like ``where`` and may use the result names.
    ``order_by`` names result columns, ``"-name"`` for descending; the
    default is the ``by`` columns ascending. NULLs sort last and NULL is a
    group of its own.

    >>> helpers.db.query(helpers.sql.group_by(
    ...     "orders", "country", {"amount": ["sum", "avg"], "*": ["count"]},
    ...     having="count > 1", order_by="-amount_sum"))
    """
    keys = _names(by, "by")
    if not isinstance(aggregations, Mapping) or not aggregations:
        raise ValueError('aggregations must be a non-empty dict such as {"*": ["count"]}')
    outputs = [*(_col(c) for c in keys)]
    names = list(keys)
    for column, funcs in aggregations.items():
        for func in [funcs] if isinstance(funcs, str) else funcs:
            node, name = _aggregate(column, func)
            if name in names:
                raise ValueError(f"result column {name!r} would appear twice")
            outputs.append(_alias(node, name))
            names.append(name)
    query = _select_from(table, *outputs, where=where).group_by(*(_col(c) for c in keys))
    cond = condition(having, "having")
    if cond is not None:
        query = query.having(cond)
    order = keys if order_by is None else [order_by] if isinstance(order_by, str) else order_by
    terms = []
    for item in order:
        desc = item.startswith("-") and item not in names
        name = item[1:] if desc else item
        if name not in names:
            raise ValueError(f"order_by {item!r} is not a result column; choose from {names}")
        terms.append(_order(_exp().column(name, quoted=True), desc=desc))
    return _render(query.order_by(*terms))


def _like_pattern(term: str) -> str:
    escaped = term.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%")
    pattern = "%" + escaped.replace("_", _ESCAPE + "_") + "%"
    if len(pattern.encode()) > _LIKE_PATTERN_MAX:
        raise ValueError(
            f"search term is too long ({len(term)} characters); SQLite's LIKE takes patterns"
            f" up to {_LIKE_PATTERN_MAX} bytes"
        )
    return pattern


def search(table: str, columns: Columns, term: str, *, limit: int | None = 100) -> str:
    """Rows where any of ``columns`` contains ``term``, case-insensitively, in table order.

    ``%``, ``_`` and ``\\`` in ``term`` match themselves (LIKE ... ESCAPE).
    Case folding covers ASCII letters only (SQLite's LIKE): ``"é"`` does not
    match ``"É"``. Numbers are matched on their text form; NULLs never match.
    ``limit=None`` returns all matches (up to ``max_rows``).

    >>> helpers.db.query(helpers.sql.search("trials", ["title", "sponsor"], "50% dose"))
    """
    exp = _exp()
    if not isinstance(term, str):
        raise TypeError(f"term must be a str, got {type(term).__name__}")
    pattern = literal(_like_pattern(term))
    tests = [
        exp.Escape(
            this=exp.Like(this=_col(c), expression=pattern.copy()),
            expression=exp.Literal.string(_ESCAPE),
        )
        for c in _names(columns)
    ]
    query = _select_from(table, exp.Star()).where(exp.or_(*tests))
    if limit is not None:
        query = query.limit(_count(limit, "limit"))
    return _render(query)


def sample(table: str, n: int = 10, *, where: Where = None) -> str:
    """``n`` random rows (all rows when there are fewer), in random order.

    >>> helpers.db.query(helpers.sql.sample("trials", 5))
    """
    exp = _exp()
    query = (
        _select_from(table, exp.Star(), where=where).order_by(_fn("random")).limit(_count(n, "n"))
    )
    return _render(query)


def duplicates(table: str, columns: Columns, *, where: Where = None) -> str:
    """Value combinations of ``columns`` that occur more than once, with ``count``.

    The most repeated first, then by the values; NULLs count as equal to
    each other (as in GROUP BY and pandas' ``duplicated``).

    >>> helpers.db.query(helpers.sql.duplicates("people", ["name", "birth_date"]))
    """
    exp = _exp()
    names = _names(columns)
    count = exp.Count(this=exp.Star())
    query = (
        _select_from(table, *(_col(c) for c in names), _alias(count, "count"), where=where)
        .group_by(*(_col(c) for c in names))
        .having(exp.GT(this=count.copy(), expression=exp.Literal.number(1)))
        .order_by(
            _order(_position(len(names) + 1), desc=True),
            *(_order(_position(i + 1)) for i in range(len(names))),
        )
    )
    return _render(query)


def null_counts(table: str, columns: Columns, *, where: Where = None) -> str:
    """NULLs per column, one row each: ``column``, ``nulls``, ``rows``, ``null_fraction``.

    One scan of the table; ``null_fraction`` is NULL for an empty table.

    >>> helpers.db.query(helpers.sql.null_counts("trials", ["phase", "enrollment"]))
    """
    import sqlglot

    exp = _exp()
    names = _names(columns)
    if len(names) > 400:  # one SELECT per column in a UNION ALL (SQLite allows 500)
        raise ValueError(f"null_counts takes at most 400 columns, got {len(names)}")
    tallies = [_alias(exp.Count(this=exp.Star()), "_rows")]
    for i, name in enumerate(names):
        is_null = exp.Is(this=_col(name), expression=exp.Null())
        tallies.append(_alias(exp.Sum(this=is_null), f"_n{i}"))
    scan = _select_from(table, *tallies, where=where)
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
                _alias(literal(name), "column"),
                _alias(nulls, "nulls"),
                _alias(rows.copy(), "rows"),
                _alias(fraction, "null_fraction"),
            ).from_("_codemode_t")
        )
    union = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return _render(union.with_("_codemode_t", as_=scan))


_HOW = {"inner": "", "left": "LEFT", "right": "RIGHT", "full": "FULL", "outer": "FULL"}


def _join_column(item: str, left: str, right: str):
    for table in (left, right):
        if item.startswith(table + ".") and len(item) > len(table) + 1:
            return _col(item[len(table) + 1 :], table)
    return _col(item)


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
    """
    import sqlglot

    exp = _exp()
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
        pairs = [exp.EQ(this=_col(a, left), expression=_col(b, right)) for a, b in on.items()]
        join_args: dict[str, Any] = {"on": exp.and_(*pairs)}
    else:
        join_args = {"using": [_ident(c) for c in _names(on, "on")]}
    query = sqlglot.select(*shown).from_(_table(left))
    query = query.join(_table(right), join_type=_HOW[how] or None, **join_args)
    return _render(query)


#: camelCase aliases of the seed's names.
countBy = count_by
topN = top_n
