"""The pager: a table or SELECT one page at a time, one SQL query per page.

Controls sit above the table: first/prev/next/last (Font Awesome angle
icons, one style), a page box to jump to, the page size, a filter box (a
``where`` condition, parsed by ``helpers.sql.condition`` and run through
the guard), and the column headers, which sort when clicked (none → asc →
desc → none, with an arrow).

Paging. A table (with a rowid) is paged by **keyset**: the page after the
current one is ``WHERE (sort_col, rowid) > (last shown) ORDER BY sort_col,
rowid LIMIT n``, the one before is the same in reverse, the last page is
the first page of the reversed order. SQLite seeks to the boundary through
the table's rowid (or an index on the sort column) instead of stepping over
``OFFSET`` rows, so the last page of a 10M-row table comes as fast as the
first (benchmarks/bench_notebook.py). A jump to page k uses ``OFFSET`` from
the nearer end. A SELECT, or a table WITHOUT ROWID, is paged by ``OFFSET``.
NULLs sort as SQLite sorts them (first ascending, last descending).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._checks import positive_int
from ._display import with_nulls
from ._identifiers import check_identifier
from ._names import fold

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ARROWS", "DEFAULT_PAGE_SIZE", "PAGE_SIZES", "Pages", "Source", "styled", "table_html"]

DEFAULT_PAGE_SIZE = 20
PAGE_SIZES = (10, 20, 50, 100, 250, 500)
_ALIAS = "_codemode_browse"
_ROWID = "_codemode_rowid"  # the reserved prefix: no user column is named so
ARROWS = {None: "", False: " ▲", True: " ▼"}
_PX_PER_CHAR, _MIN_CHARS, _MAX_CHARS = 8, 5, 40


class Source(Protocol):
    """What the widgets use of ``helpers.db`` (a :class:`~codemode_kernel.db.Database`)."""

    settings: Any
    connection: Any
    guard: Any  #: the parser layer (``_guard.ParserGuard``)
    judge: Any  #: SQLite's compile of a statement (``db._judge.Judge``)

    def query(self, sql: str, params: Any = None, *, limit: int | None = None) -> Any: ...
    def tables(self) -> list[str]: ...
    def schema(self, table: str | None = None) -> Any: ...


def _quote(name: str) -> str:
    from ._identifiers import quote

    return quote(name)


def _py(value: Any) -> Any:
    """A DataFrame cell as a Python value to bind (NaN/NA -> None)."""
    import pandas as pd

    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    item = getattr(value, "item", None)
    return item() if callable(item) else value


class Pages:
    """A page-at-a-time view of a table or SELECT; one SQL query per page (no widgets:
    ``_pager_view.Pager`` adds them).

    Readable: ``page`` (1-based), ``pages``, ``total`` (rows matching the
    filter), ``frame`` (the page shown), ``sort_by``/``descending``,
    ``where``, ``page_size``, ``keyset`` (True when paged by keyset) and
    ``last_sql`` (the SQL of the page shown). :meth:`go`, :meth:`sort`,
    :meth:`filter` and :meth:`set_page_size` change the view and raise on
    bad input; the widget's controls call them and show the error instead.
    """

    def __init__(
        self,
        db: Source,
        table_or_sql: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        params: Mapping | None = None,
    ) -> None:
        positive_int(page_size, "page_size")
        self.db = db
        self.params = dict(params) if params else None
        self.source, self.label, table = _source(db, table_or_sql)
        self.rowid = _rowid_name(db, table) if table is not None else None
        self.keyset = self.rowid is not None
        self.page_size = min(page_size, db.settings.max_rows)
        self.where: str | None = None
        self._where_sql: str | None = None
        probe = self._query(f"SELECT * FROM {self.source} LIMIT 0", {}, limit=1)
        self.columns = [str(c) for c in probe.columns]
        self.sort_by: str | None = None
        self.descending = False
        self.total = self._count()
        self.page = 1
        self.last_sql = ""
        self._bounds: tuple[dict, dict] | None = None
        self.frame: pd.DataFrame = self._fetch(1)
        self.widths = _widths(self.frame, self.columns)

    # -- state -----------------------------------------------------------------

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.page_size))

    def _query(self, sql: str, extra: dict, limit: int) -> pd.DataFrame:
        params: Any = self.params
        if extra:
            params = {**(self.params or {}), **extra}
        self.last_sql = sql
        return self.db.query(sql, params, limit=max(1, limit))

    def _count(self) -> int:
        where = f" WHERE {self._where_sql}" if self._where_sql else ""
        df = self._query(f"SELECT count(*) AS n FROM {self.source}{where}", {}, limit=1)
        return int(df.iloc[0, 0])

    # -- the SQL of one page --------------------------------------------------------

    def _keys(self, reverse: bool) -> list[tuple[str, bool]]:
        """ORDER BY terms as (SQL expression, descending)."""
        keys = []
        if self.sort_by is not None:
            keys.append((_quote(self.sort_by), self.descending))
        if self.keyset:
            keys.append((self.rowid, self.descending if self.sort_by else False))
        return [(expr, desc != reverse) for expr, desc in keys]

    def _after(self, bound: dict, keys: list[tuple[str, bool]]) -> tuple[str, dict]:
        """The keyset condition: rows after ``bound`` in the order ``keys``."""
        r = {"_codemode_r": bound[_ROWID]}
        rowid, rdesc = keys[-1]
        past = f"{rowid} {'<' if rdesc else '>'} :_codemode_r"
        if self.sort_by is None:
            return past, r
        col, desc = keys[0]
        v = bound["key"]
        if v is None:  # NULLs come first ascending, last descending
            cond = f"({col} IS NULL AND {past})"
            return (cond if desc else f"({cond} OR {col} IS NOT NULL)"), r
        cmp = "<" if desc else ">"
        cond = f"({col}, {rowid}) {cmp} (:_codemode_v, :_codemode_r)"
        if desc:
            cond = f"({cond} OR {col} IS NULL)"
        return cond, {**r, "_codemode_v": v}

    def page_sql(
        self, *, reverse: bool = False, after: dict | None = None, offset: int = 0, limit=None
    ) -> tuple[str, dict]:
        """(SQL, keyset params) of a page: ``after`` a boundary row, or at ``offset``."""
        keys = self._keys(reverse)
        conds, extra = [], {}
        if self._where_sql:
            conds.append(f"({self._where_sql})")
        if after is not None:
            cond, extra = self._after(after, keys)
            conds.append(cond)
        cols = f"{self.rowid} AS {_ROWID}, *" if self.keyset else "*"
        sql = f"SELECT {cols} FROM {self.source}"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        if keys:
            sql += " ORDER BY " + ", ".join(f"{e}{' DESC' if d else ''}" for e, d in keys)
        sql += f" LIMIT {int(limit or self.page_size)}"
        if offset:
            sql += f" OFFSET {int(offset)}"
        return sql, extra

    def _fetch(self, page: int) -> pd.DataFrame:
        """The rows of ``page``: keyset from the current page when it is a neighbour."""
        size, pages = self.page_size, max(1, math.ceil(self.total / self.page_size))
        on_last = self.total - (pages - 1) * size
        bounds = self._bounds if self.keyset else None
        if bounds is not None and page == self.page + 1:
            sql, extra = self.page_sql(after=bounds[1])
            reverse = False
        elif bounds is not None and page == self.page - 1:
            sql, extra = self.page_sql(reverse=True, after=bounds[0])
            reverse = True
        elif page > 1 and pages - page < page - 1 and self.keyset:
            # Nearer the end: the reversed order, from its start.
            skip = max(0, self.total - page * size)
            sql, extra = self.page_sql(
                reverse=True, offset=skip, limit=on_last if page == pages else size
            )
            reverse = True
        else:
            sql, extra = self.page_sql(offset=(page - 1) * size)
            reverse = False
        df = self._query(sql, extra, limit=size)
        if reverse:
            df = df.iloc[::-1].reset_index(drop=True)
        if self.keyset and len(df):
            key = self.sort_by

            def bound(i: int) -> dict:
                return {
                    _ROWID: _py(df[_ROWID].iloc[i]),
                    "key": _py(df[key].iloc[i]) if key else None,
                }

            self._bounds = (bound(0), bound(-1))
        else:
            self._bounds = None
        if self.keyset:
            df = df.drop(columns=[_ROWID])
        df.attrs = {}
        return df

    # -- changes ---------------------------------------------------------------------

    def _update(self, recount: bool = False, **changes: Any) -> None:
        # Commit the new view only if its queries worked: an error (a bad
        # filter, a timeout) leaves the pager where it was.
        names = [*changes, "total", "_bounds", "frame"]
        old = {k: getattr(self, k) for k in (*names, "page")}
        try:
            for k, v in changes.items():
                if k != "page":
                    setattr(self, k, v)
            if recount:
                self.total = self._count()
            target = max(1, min(int(changes.get("page", self.page)), self.pages))
            if changes.keys() - {"page"}:
                self._bounds = None  # a new order or filter: no neighbour to seek from
            self.frame = self._fetch(target)
            self.page = target
        except BaseException:
            for k, v in old.items():
                setattr(self, k, v)
            raise
        self._render()

    def _render(self) -> None:
        """Called after every change of the view (the widget redraws here)."""

    def go(self, page: int) -> None:
        """Show page ``page`` (clamped to 1..pages)."""
        self._update(page=page)

    def sort(self, column: str | None, descending: bool = False) -> None:
        """Sort by ``column`` (None: table order) and go back to page 1."""
        if column is not None:
            # SQLite's rule for names: ASCII case ignored (the column as the table spells it).
            match = [c for c in self.columns if fold(c) == fold(column)]
            if not match:
                raise ValueError(f"no column {column!r}; columns: {self.columns}")
            column = match[0]
        self._update(page=1, sort_by=column, descending=bool(descending))

    def cycle_sort(self, column: str) -> None:
        """A header click: none → ascending → descending → none."""
        if self.sort_by != column:
            self.sort(column)
        elif not self.descending:
            self.sort(column, descending=True)
        else:
            self.sort(None)

    def filter(self, where: str | None) -> None:
        """Show only rows matching ``where`` (a SQL condition such as ``"amount > 10"``).

        Parsed by ``helpers.sql.condition`` (one boolean expression, no
        subqueries; names quoted) and run through the guard; ``None`` or ""
        clears it. Raises ``ValueError`` for anything else.
        """
        from ._sql_ast import condition

        text = (where or "").strip()
        node = condition(text, "filter") if text else None
        if node is not None:
            # SQLite reads an unknown "quoted name" as a string: check names here.
            from sqlglot import exp

            known = {fold(c) for c in self.columns} | {"rowid", "_rowid_", "oid"}
            for col in node.find_all(exp.Column):
                if fold(col.name) not in known:
                    raise ValueError(
                        f"filter names no column {col.name!r}; columns: {', '.join(self.columns)}"
                    )
        where_sql = node.sql(dialect="sqlite") if node is not None else None
        self._update(recount=True, page=1, where=text or None, _where_sql=where_sql)

    def set_page_size(self, size: int) -> None:
        """Change the page size, keeping the first row shown in view."""
        positive_int(size, "page_size")
        size = min(size, self.db.settings.max_rows)
        first = (self.page - 1) * self.page_size
        self._update(page_size=size, page=first // size + 1)

    # -- text ------------------------------------------------------------------------

    def status_text(self) -> str:
        """``rows 21–40 of 1,234 · page 2 of 62`` (plus the sort and filter, if any)."""
        start = (self.page - 1) * self.page_size
        shown = f"rows {start + 1:,}–{start + len(self.frame):,}" if len(self.frame) else "no rows"
        text = f"{shown} of {self.total:,} · page {self.page:,} of {self.pages:,}"
        if self.sort_by is not None:
            text += f" · sorted by {self.sort_by} {'desc' if self.descending else 'asc'}"
        if self.where:
            text += f" · where {self.where}"
        return text

    def table_html(self) -> str:
        return table_html(self.frame, self.widths)

    def __repr__(self) -> str:
        shown = with_nulls(self.frame).to_string(index=False, na_rep="NULL")
        return f"{self.label}: {self.status_text()}\n{shown}"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.status_text())}</p>{styled(self.table_html())}"


def _source(db: Source, table_or_sql: str) -> tuple[str, str, str | None]:
    """(FROM source SQL, label, table name or None) for a table name or a single SELECT."""
    if not isinstance(table_or_sql, str):
        raise TypeError(f"browse() takes a table name or a SELECT, got {type(table_or_sql)}")
    text = table_or_sql.strip().rstrip(";").strip()
    # SQLite's rule for names: ASCII case ignored, other letters exact.
    by_folded = {fold(t): t for t in db.tables()}
    if fold(text) in by_folded:
        name = by_folded[fold(text)]
        return _quote(name), name, name
    if " " not in text and "\n" not in text:
        check_identifier(text)
        import sqlite3

        raise sqlite3.OperationalError(f"no such table: {text}")
    # The guard's errors, with positions, for a bad SELECT; the size is checked first.
    stmts = db.guard.statements(text, timeout=db.settings.query_timeout)
    compiled = db.judge.compiled(stmts[0], text) if len(stmts) == 1 else None  # SQLite
    if len(stmts) != 1 or compiled is None or compiled.kind != "SELECT":
        raise ValueError(
            "browse() takes a table name or one SELECT; run writes with helpers.db.exec()"
        )
    from sqlglot import parse_one
    from sqlglot.errors import SqlglotError

    try:
        select = parse_one(text, read="sqlite").sql("sqlite")
    except (SqlglotError, RecursionError):
        # A SELECT SQLite compiles but sqlglot cannot parse: paged as written
        # (the newline ends a trailing -- comment); SQLite judges each page.
        select = stmts[0].text.strip() + "\n"
    return f"({select}) AS {_ALIAS}", text, None


def _rowid_name(db: Source, table: str) -> str | None:
    """A name of ``table``'s rowid no column shadows, or None (WITHOUT ROWID)."""
    import sqlite3

    cols = {fold(c) for c in db.schema(table)["column"]}
    name = next((n for n in ("rowid", "_rowid_", "oid") if n not in cols), None)
    if name is None:
        return None
    try:
        db.query(f"SELECT {name} FROM {_quote(table)} LIMIT 0", limit=1)
    except sqlite3.OperationalError:  # no such column: a WITHOUT ROWID table
        return None
    return name


def _widths(frame: pd.DataFrame, columns: list[str]) -> list[int]:
    """Pixel width of each column, from its header and the first page's values."""
    out = []
    for i, c in enumerate(columns):
        values = frame.iloc[:, i].map(lambda v: len(str(v))) if len(frame) else []
        # The header is bold and carries the sort arrow: give it room for both.
        chars = max([len(c) * 1.15 + 3, *values])
        out.append(int(min(max(chars, _MIN_CHARS), _MAX_CHARS) * _PX_PER_CHAR + 20))
    return out


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return '<td class="codemode-null">NULL</td>'
    text = html.escape(str(value))
    num = isinstance(value, int | float) and not isinstance(value, bool)
    num = num or type(value).__module__ == "numpy"
    return f'<td{" class=codemode-num" if num else ""} title="{text}">{text}</td>'


# Global once rendered (a <style> in widget HTML applies to the page): the
# table and the header buttons share box sizes, so each header sits on its column.
_CSS = (
    "<style>"
    ".codemode-pager{table-layout:fixed;border-collapse:separate;border-spacing:0;margin:0;"
    "font-family:var(--jp-content-font-family);font-size:var(--jp-content-font-size1,13px);"
    "color:var(--jp-content-font-color1,#000)}"
    ".codemode-pager td{box-sizing:border-box;padding:4px 8px;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis;border:0;border-bottom:1px solid var(--jp-border-color2,#e0e0e0);"
    "text-align:left;line-height:1.4}"
    ".codemode-pager tr:nth-child(even) td{background:var(--jp-layout-color2,#f5f5f5)}"
    ".codemode-pager tr:hover td{background:var(--jp-brand-color3,#e3f2fd)}"
    ".codemode-pager td.codemode-num{text-align:right;font-variant-numeric:tabular-nums}"
    ".codemode-pager td.codemode-null{color:var(--jp-ui-font-color3,#999);font-style:italic}"
    "button.codemode-header{box-sizing:border-box;justify-content:flex-start;text-align:left;"
    "padding:0 8px;border-radius:0;border-bottom:2px solid var(--jp-border-color1,#bdbdbd);"
    "background:var(--jp-layout-color1,#fff);color:var(--jp-content-font-color1,#000)}"
    "button.codemode-header.mod-info{background:var(--jp-brand-color3,#e3f2fd);"
    "color:var(--jp-content-font-color1,#000);border-bottom-color:var(--jp-brand-color1,#1976d2)}"
    "button.codemode-header:hover{background:var(--jp-layout-color2,#eee)}"
    "button.codemode-header.codemode-header-num{justify-content:flex-end;text-align:right}"
    "</style>"
)


def table_html(frame: pd.DataFrame, widths: list[int]) -> str:
    """The page as an HTML table whose columns have exactly ``widths`` pixels."""
    cols = "".join(f'<col style="width:{w}px">' for w in widths)
    body = "".join(
        "<tr>" + "".join(_cell(v) for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    return (
        f'{_CSS}<table class="codemode-pager" style="width:{sum(widths)}px">'
        f"<colgroup>{cols}</colgroup><tbody>{body}</tbody></table>"
    )


def styled(table: str) -> str:
    # Lab styles tables under .jp-RenderedHTMLCommon; widget HTML does not sit
    # under it, so borrow the class to look like query results.
    table = (
        table.replace("<table ", '<table style="margin-left:0" ', 1)
        if "style=" not in table[:80]
        else table
    )
    return f'<div class="jp-RenderedHTMLCommon" style="padding:0">{table}</div>'
