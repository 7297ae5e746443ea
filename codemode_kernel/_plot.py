"""``helpers.plot``: charts whose numbers are computed in SQLite.

Every chart runs one (or, for ``box``, a few) aggregate queries built with
the :mod:`helpers.sql <codemode_kernel.sql>` builders, through
``helpers.db.query`` (the guard, the query timeout and ``max_rows`` apply),
and draws the few rows that come back with matplotlib. A 10M-row table
never leaves the database: a histogram fetches ``bins`` rows.

Each function returns the matplotlib ``Axes`` with two extra attributes:

* ``ax.data``: the DataFrame the chart was drawn from (what a test compares
  with pandas; the pixels are not compared),
* ``ax.sql``: the SQL text that computed it (a list for ``box``).

In a notebook (JupyterLab, nbval, ``CodeModeSession``) ipykernel's inline
backend, which renders with Agg, sends the figure as ``image/png`` when the
cell ends. The kinds follow JupySQL's ``%sqlplot`` (histogram, boxplot, bar,
pie) plus ``line`` over time buckets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import sql as builders
from ._identifiers import check_identifier
from ._names import fold
from ._sql_ast import column_node, condition, count_arg, literal, render, select_from

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from .db import Database

__all__ = ["Plot"]

Where = Mapping[str, Any] | str | None
#: Most groups a bar, pie or box chart draws (more are summed as "other" in a pie).
MAX_GROUPS = 100
#: Outliers a box plot draws per group, at each end (the rest are counted in ``ax.data``).
MAX_FLIERS = 500


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _and(where: Where, extra) -> str:
    """One ``where`` string: the user's condition AND ``extra`` (a sqlglot node)."""
    from sqlglot import exp

    user = condition(where)
    node = extra if user is None else exp.and_(exp.Paren(this=user), extra)
    return node.sql(dialect="sqlite")


def _label(value: Any) -> str:
    return "NULL" if value is None or value != value else str(value)


def _show_in_kernel(ax: Axes) -> None:
    """Send the figure as image/png when the kernel runs matplotlib's plain Agg.

    ipykernel's inline backend shows figures when the cell ends; with
    ``MPLBACKEND=Agg`` (a headless agent's environment) nothing would be
    shown, so the figure is displayed here and closed. Outside a kernel
    (a script) the figure is left to the caller.
    """
    import sys

    import matplotlib

    if matplotlib.get_backend().lower() != "agg" or "ipykernel" not in sys.modules:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return
    import io

    import matplotlib.pyplot as plt
    from IPython.display import display

    # Without the inline backend a Figure has no PNG formatter: render it here.
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", bbox_inches="tight")
    display({"image/png": buf.getvalue(), "text/plain": repr(ax.figure)}, raw=True)
    plt.close(ax.figure)


def _finish(ax: Axes, data: pd.DataFrame, sql: str | list[str], title: str) -> Axes:
    ax.set_title(title)
    ax.data = data  # type: ignore[attr-defined]
    ax.sql = sql  # type: ignore[attr-defined]
    _show_in_kernel(ax)
    return ax


class Plot:
    """Charts of the session database: ``helpers.plot.histogram("orders", "amount")``.

    Every method takes ``where=`` as the ``helpers.sql`` builders do (a dict
    of column -> value, or a SQL condition string; ``params`` binds its
    placeholders), an optional ``ax=`` to draw into, and returns the Axes
    with ``ax.data`` (the computed rows) and ``ax.sql``.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def _check(self, table: str, *columns: str | None) -> None:
        """ValueError for a column ``table`` lacks: SQLite would read an unknown
        ``"name"`` as a string and draw an empty chart without a word."""
        have = list(self._db.schema(table)["column"])
        for col in columns:
            if col is not None and isinstance(col, str) and fold(col) not in map(fold, have):
                raise ValueError(f"no column {col!r} in {table!r}; its columns: {have}")

    def _query(self, sql: str, params: Any = None) -> pd.DataFrame:
        return self._db.query(sql, params)

    def histogram(
        self,
        table: str,
        column: str,
        bins: int = 20,
        *,
        where: Where = None,
        params: Any = None,
        ax: Axes | None = None,
    ) -> Axes:
        """Equal-width histogram of a numeric column, binned in SQLite.

        ``ax.data`` has ``bin_start``, ``bin_end``, ``count`` (one row per
        bin, see ``helpers.sql.histogram``); NULL and non-numeric values are
        left out. Raises ``ValueError`` for ``bins`` outside 1..10,000.

        >>> ax = helpers.plot.histogram("orders", "amount", bins=30, where="amount > 0")
        >>> ax.data.head(3)
        """
        self._check(table, column)
        sql = builders.histogram(table, column, bins, where=where)
        data = self._query(sql, params)
        ax = _axes(ax)
        if len(data):
            widths = (data["bin_end"] - data["bin_start"]).astype(float)
            widths[widths == 0] = 1.0  # all values equal: one bar of unit width
            ax.bar(
                data["bin_start"],
                data["count"],
                width=widths,
                align="edge",
                edgecolor="white",
                linewidth=0.5,
            )
        ax.set_xlabel(column)
        ax.set_ylabel("count")
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        return _finish(ax, data, sql, f"{table}: {column}")

    def bar(
        self,
        table: str,
        column: str,
        *,
        value: str | None = None,
        agg: str = "count",
        top: int = 20,
        where: Where = None,
        params: Any = None,
        horizontal: bool = False,
        ax: Axes | None = None,
    ) -> Axes:
        """Bars of the ``top`` groups of ``column``: row counts, or ``agg`` of ``value``.

        ``agg``: count, count_distinct, sum, avg (mean), min, max (the
        ``helpers.sql.group_by`` functions). Groups are ordered by the
        measure, largest first; NULL is a group of its own. ``ax.data`` has
        ``column`` and the measure (``count`` or ``<value>_<agg>``).

        >>> ax = helpers.plot.bar("orders", "country", value="amount", agg="sum", top=10)
        """
        self._check(table, column, value)
        data, sql, measure = self._groups(table, column, value, agg, top, where, params)
        ax = _axes(ax)
        labels = [_label(v) for v in data[column]]
        heights = data[measure].fillna(0).astype(float)
        if horizontal:
            ax.barh(labels[::-1], heights[::-1])
            ax.set_xlabel(measure)
        else:
            ax.bar(labels, heights)
            ax.set_ylabel(measure)
            ax.grid(axis="y", alpha=0.3)
            ax.set_axisbelow(True)
            if labels and max(len(s) for s in labels) > 6:
                ax.tick_params(axis="x", labelrotation=45)
                for t in ax.get_xticklabels():
                    t.set_horizontalalignment("right")
        return _finish(ax, data, sql, f"{table}: {measure} by {column}")

    def _groups(
        self,
        table: str,
        column: str,
        value: str | None,
        agg: str,
        top: int,
        where: Where,
        params: Any,
    ) -> tuple[pd.DataFrame, str, str]:
        count_arg(top, "top", maximum=MAX_GROUPS)
        if value is None:
            if agg != "count":
                raise ValueError(f"agg={agg!r} needs a value column: bar(..., value='amount')")
            sql = builders.count_by(table, column, where=where, limit=top)
            return self._query(sql, params), sql, "count"
        measure = f"{value}_{'avg' if agg == 'mean' else agg}"
        sql = builders.group_by(table, column, {value: [agg]}, where=where, order_by=f"-{measure}")
        data = self._db.query(sql, params, limit=min(top, self._db.settings.max_rows))
        return data, sql, measure

    @staticmethod
    def _count_sql(table: str, where: Where) -> str:
        """``SELECT count(*) AS n FROM table WHERE ...``, built like the builders' SQL."""
        from sqlglot import exp

        star = exp.alias_(exp.Count(this=exp.Star()), "n", quoted=True)
        return render(select_from(table, star, where=where))

    def pie(
        self,
        table: str,
        column: str,
        *,
        top: int = 8,
        where: Where = None,
        params: Any = None,
        ax: Axes | None = None,
    ) -> Axes:
        """Share of rows per value of ``column``: the ``top`` values, the rest as "other".

        ``ax.data`` has ``column`` and ``count``, with an ``other`` row (value
        None, label "other") when more values exist.

        >>> ax = helpers.plot.pie("orders", "status")
        """
        self._check(table, column)
        import pandas as pd

        data, sql, _ = self._groups(table, column, None, "count", top, where, params)
        total_sql = self._count_sql(table, where)
        total = int(self._query(total_sql, params)["n"].iloc[0])
        labels = [_label(v) for v in data[column]]
        rest = total - int(data["count"].sum())
        if rest > 0:
            data = pd.concat(
                [data, pd.DataFrame({column: [None], "count": [rest]})], ignore_index=True
            )
            data.attrs = {}
            labels.append("other")
        ax = _axes(ax, (6.0, 4.5))
        if len(data):
            ax.pie(
                data["count"], labels=labels, autopct="%1.0f%%", startangle=90, counterclock=False
            )
        ax.set_aspect("equal")
        return _finish(ax, data, [sql, total_sql], f"{table}: {column}")

    def line(
        self,
        table: str,
        time_column: str,
        unit: str = "day",
        *,
        value: str | None = None,
        agg: str = "count",
        where: Where = None,
        params: Any = None,
        stored_as: str = "auto",
        ax: Axes | None = None,
    ) -> Axes:
        """A line over time buckets: rows (or ``agg`` of ``value``) per ``unit``.

        ``unit``: minute, hour, day, week, month, quarter or year (the
        ``interval`` of ``helpers.sql.temporal``); ``agg``: count, sum, avg,
        min, max. ``stored_as`` says how ``time_column`` is stored: "iso",
        "s", "ms" or "auto" (``temporal``'s ``unit``). ``ax.data`` has
        ``bucket`` (text) and ``agg``.

        >>> ax = helpers.plot.line("orders", "created_at", "month", value="amount", agg="sum")
        """
        self._check(table, time_column, value)
        sql = builders.temporal(
            table, time_column, unit, value=value, agg=agg, where=where, unit=stored_as
        )
        data = self._query(sql, params)
        ax = _axes(ax)
        x = list(range(len(data)))
        ax.plot(x, data[agg].astype(float), marker="o" if len(data) <= 60 else None)
        step = max(1, len(data) // 12)
        ax.set_xticks(x[::step], [str(b) for b in data["bucket"]][::step])
        ax.tick_params(axis="x", labelrotation=45)
        for t in ax.get_xticklabels():
            t.set_horizontalalignment("right")
        ax.set_xlabel(f"{time_column} ({unit})")
        ax.set_ylabel(agg if value is None else f"{agg}({value})")
        ax.grid(alpha=0.3)
        return _finish(ax, data, sql, f"{table}: {ax.get_ylabel()} per {unit}")

    def box(
        self,
        table: str,
        column: str,
        *,
        by: str | None = None,
        top: int = 20,
        where: Where = None,
        params: Any = None,
        ax: Axes | None = None,
    ) -> Axes:
        """Box plot of a numeric column (per group of ``by``), quartiles computed in SQLite.

        Boxes span p25..p75 with the median (linear interpolation, as pandas);
        whiskers reach the furthest values within 1.5 IQR of the box (Tukey,
        matplotlib's default); values beyond are outliers, drawn up to
        ``MAX_FLIERS`` at each end. With ``by``, the ``top`` largest groups.
        ``ax.data`` has one row per box: ``group``, ``count``, ``min``,
        ``p25``, ``median``, ``p75``, ``max``, ``whislo``, ``whishi``,
        ``outliers``.

        >>> ax = helpers.plot.box("orders", "amount", by="country", top=5)
        """
        self._check(table, column, by)
        import pandas as pd
        from sqlglot import exp

        check_identifier(column, "column name")
        sqls: list[str] = []
        if by is None:
            groups: list[tuple[str, Where]] = [(column, where)]
        else:
            data, sql, _ = self._groups(table, by, None, "count", top, where, params)
            sqls.append(sql)
            groups = [(_label(g), _and(where, condition({by: g}))) for g in data[by]]
        col = column_node(column)
        rows, stats = [], []
        for label, cond in groups:
            s_sql = builders.statistics(table, column, where=cond)
            s = self._query(s_sql, params).iloc[0]
            sqls.append(s_sql)
            if not s["count"]:
                continue
            q1, q3 = float(s["p25"]), float(s["p75"])
            lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
            inside = exp.Between(this=col.copy(), low=literal(lo), high=literal(hi))
            ends = []
            for ascending in (True, False):  # the whiskers: the extreme values inside
                e_sql = builders.top_n(
                    table, column, 1, where=_and(cond, inside), ascending=ascending
                )
                ends.append(float(self._query(e_sql, params)[column].iloc[0]))
                sqls.append(e_sql)
            whislo, whishi = ends
            fliers = []
            for op, ascending in ((exp.LT, True), (exp.GT, False)):
                beyond = op(this=col.copy(), expression=literal(lo if ascending else hi))
                f_sql = builders.top_n(
                    table, column, MAX_FLIERS, where=_and(cond, beyond), ascending=ascending
                )
                fliers.extend(self._query(f_sql, params)[column].astype(float))
                sqls.append(f_sql)
            n_sql = self._count_sql(table, _and(cond, exp.Not(this=exp.Paren(this=inside))))
            outliers = int(self._query(n_sql, params)["n"].iloc[0])
            sqls.append(n_sql)
            rows.append(
                {
                    "group": label,
                    "count": int(s["count"]),
                    "min": float(s["min"]),
                    "p25": q1,
                    "median": float(s["median"]),
                    "p75": q3,
                    "max": float(s["max"]),
                    "whislo": whislo,
                    "whishi": whishi,
                    "outliers": outliers,
                }
            )
            stats.append(
                {
                    "label": label,
                    "med": float(s["median"]),
                    "q1": q1,
                    "q3": q3,
                    "whislo": whislo,
                    "whishi": whishi,
                    "fliers": fliers,
                }
            )
        ax = _axes(ax)
        if stats:
            ax.bxp(stats, showfliers=True, patch_artist=True)
        ax.set_ylabel(column)
        if by is not None:
            ax.set_xlabel(by)
            if any(len(s["label"]) > 6 for s in stats):
                ax.tick_params(axis="x", labelrotation=45)
        ax.grid(axis="y", alpha=0.3)
        title = f"{table}: {column}" + (f" by {by}" if by else "")
        return _finish(ax, pd.DataFrame(rows), sqls, title)

    def __repr__(self) -> str:
        return (
            "helpers.plot: histogram(table, column, bins=20), bar(table, column, value=, agg=,"
            " top=20), line(table, time_column, unit='day', value=, agg=), box(table, column,"
            " by=), pie(table, column, top=8); each returns the matplotlib Axes with"
            " ax.data and ax.sql"
        )


def kinds() -> Sequence[str]:
    """The chart kinds, for ``helpers.docs()``."""
    return ("histogram", "bar", "line", "box", "pie")
