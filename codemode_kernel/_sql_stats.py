"""``helpers.sql`` builders over time and distributions: temporal, statistics,
histogram, group_by (re-exported by :mod:`codemode_kernel.sql`, documented there)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._sql_ast import (
    Columns,
    Where,
    alias_node,
    column_names,
    column_node,
    condition,
    count_arg,
    order_node,
    render,
    select_from,
    sqlglot_exp,
    template,
)

__all__ = ["group_by", "histogram", "statistics", "temporal"]


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
           bucket   sum
    0  2024-03-04  15.5
    1  2024-03-11   9.5
    2  2024-03-18   1.0
    """
    exp = sqlglot_exp()
    if interval not in _INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(_INTERVALS)}; got {interval!r}")
    if unit not in _TIME_UNITS:
        raise ValueError(f"unit must be one of {', '.join(_TIME_UNITS)}; got {unit!r}")
    if agg not in _AGGS:
        raise ValueError(f"agg must be one of {', '.join(_AGGS)}; got {agg!r}")
    if value is None and agg != "count":
        raise ValueError(f"agg={agg!r} needs a value column: temporal(..., value='amount')")
    inner_cols = [alias_node(template(_TIME_UNITS[unit], c=column_node(time_column)), "t")]
    if value is not None:
        inner_cols.append(alias_node(column_node(value), "v"))
    inner = select_from(table, *inner_cols, where=where).subquery("_codemode_b")
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
        sqlglot.select(
            alias_node(template(_INTERVALS[interval], t=t), "bucket"), alias_node(measure, agg)
        )
        .from_(inner)
        .where(exp.Not(this=exp.Is(this=t.copy(), expression=exp.Null())))
        .group_by(b.copy())
        .order_by(order_node(b.copy()))
    )
    return render(query)


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
       count  nulls  distinct  min  max ...
    0      4      1         4   40  300 ...
    """
    source = select_from(table, alias_node(column_node(column), "x"), where=where).subquery(
        "_codemode_in"
    )
    return render(template(_STATISTICS, x=sqlglot_exp().column("x", quoted=True), src=source))


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

    >>> helpers.db.query(helpers.sql.histogram("trials", "enrollment", bins=4))
       bin_start  bin_end  count
    0       40.0    105.0      2
    1      105.0    170.0      1
    2      170.0    235.0      0
    3      235.0    300.0      1
    """
    exp = sqlglot_exp()
    count_arg(bins, "bins", maximum=10_000)
    source = select_from(table, alias_node(column_node(column), "x"), where=where).subquery(
        "_codemode_in"
    )
    return render(template(_HISTOGRAM, src=source, bins=exp.Literal.number(bins)))


_GROUP_FUNCS = ("count", "count_distinct", "sum", "avg", "mean", "min", "max")


def _aggregate(column: str, func: str):
    exp = sqlglot_exp()
    if column == "*":
        if func != "count":
            raise ValueError(f"'*' only takes 'count', got {func!r}")
        return exp.Count(this=exp.Star()), "count"
    col = column_node(column)
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
      country  amount_sum  amount_avg  count
    0      US        15.5        7.75      2
    1      DE         9.5        4.75      2
    """
    keys = column_names(by, "by")
    if not isinstance(aggregations, Mapping) or not aggregations:
        raise ValueError('aggregations must be a non-empty dict such as {"*": ["count"]}')
    outputs = [*(column_node(c) for c in keys)]
    names = list(keys)
    for column, funcs in aggregations.items():
        for func in [funcs] if isinstance(funcs, str) else funcs:
            node, name = _aggregate(column, func)
            if name in names:
                raise ValueError(f"result column {name!r} would appear twice")
            outputs.append(alias_node(node, name))
            names.append(name)
    query = select_from(table, *outputs, where=where).group_by(*(column_node(c) for c in keys))
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
        terms.append(order_node(sqlglot_exp().column(name, quoted=True), desc=desc))
    return render(query.order_by(*terms))
