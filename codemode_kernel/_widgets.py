"""ipywidgets views of the session database: a pager and a schema explorer.

Both fetch what they show with SQL through ``db.query`` (so the guard and
the query timeout apply to every page) and never hold more than one page.
Where widgets cannot render (nbval, plain jupyter-client, a static HTML
export) their MIME bundle still carries the first page as text and HTML.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ._checks import positive_int
from ._guard import classify
from ._identifiers import check_identifier, identifier

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["Explorer", "Pager", "Source", "browse", "explore"]

PAGE_SIZES = (10, 25, 50, 100, 250, 500)
SAMPLE_ROWS = 10
_ALIAS = "_codemode_browse"


class Source(Protocol):
    """What the widgets use of ``helpers.db`` (a :class:`~codemode_kernel.db.Database`)."""

    settings: Any
    connection: Any

    def query(self, sql: str, params: Any = None, *, limit: int | None = None) -> Any: ...
    def tables(self) -> list[str]: ...
    def schema(self, table: str | None = None) -> Any: ...


def _source(db: Source, table_or_sql: str) -> tuple[Any, str]:
    """(sqlglot FROM source, label) for a table name or a single SELECT."""
    from sqlglot import exp, parse_one

    if not isinstance(table_or_sql, str):
        raise TypeError(f"browse() takes a table name or a SELECT, got {type(table_or_sql)}")
    text = table_or_sql.strip().rstrip(";").strip()
    by_lower = {t.lower(): t for t in db.tables()}
    if text.lower() in by_lower:
        name = by_lower[text.lower()]
        return exp.Table(this=identifier(name)), name
    if " " not in text and "\n" not in text:
        check_identifier(text)
        import sqlite3

        raise sqlite3.OperationalError(f"no such table: {text}")
    stmts = classify(text)  # the guard's errors, with positions, for a bad SELECT
    if len(stmts) != 1 or stmts[0].kind != "SELECT":
        raise ValueError(
            "browse() takes a table name or one SELECT; run writes with helpers.db.exec()"
        )
    return parse_one(text, read="sqlite").subquery(_ALIAS), text


class Pager:
    """A page-at-a-time view of a table or SELECT; one SQL query per page.

    ``page`` (1-based), ``pages``, ``total``, ``frame`` (the page shown),
    ``sort_by``/``descending`` and ``page_size`` are readable; the buttons
    (``first_button``, ``prev_button``, ``next_button``, ``last_button``) and
    :meth:`go` change the page.
    """

    def __init__(
        self,
        db: Source,
        table_or_sql: str,
        page_size: int = 50,
        params: Mapping | None = None,
    ) -> None:
        import ipywidgets as w
        from sqlglot import exp

        positive_int(page_size, "page_size")
        self.db = db
        self.params = dict(params) if params else None
        self.source, self.label = _source(db, table_or_sql)
        self.page_size = min(page_size, db.settings.max_rows)
        count = exp.select(exp.Count(this=exp.Star()).as_("n")).from_(self.source.copy())
        self.total = int(self._query(count.sql("sqlite"), limit=1).iloc[0, 0])
        probe = exp.select("*").from_(self.source.copy()).limit(0)
        self.columns = [str(c) for c in self._query(probe.sql("sqlite"), limit=1).columns]
        self.sort_by: str | None = None
        self.descending = False
        self.page = 1
        self.frame: pd.DataFrame = self._fetch()

        self.first_button = w.Button(description="first", icon="angles-left", tooltip="first page")
        self.prev_button = w.Button(description="prev", icon="angle-left", tooltip="previous page")
        self.next_button = w.Button(description="next", icon="angle-right", tooltip="next page")
        self.last_button = w.Button(description="last", icon="angles-right", tooltip="last page")
        for b in (self.first_button, self.prev_button, self.next_button, self.last_button):
            b.layout.width = "auto"
        self.first_button.on_click(lambda _: self.go(1))
        self.prev_button.on_click(lambda _: self.go(self.page - 1))
        self.next_button.on_click(lambda _: self.go(self.page + 1))
        self.last_button.on_click(lambda _: self.go(self.pages))
        sizes = sorted(
            {*PAGE_SIZES, self.page_size} - {s for s in PAGE_SIZES if s > db.settings.max_rows}
        )
        self.size_picker = w.Dropdown(options=sizes, value=self.page_size, description="rows")
        self.sort_picker = w.Dropdown(
            options=[("(none)", None), *((c, c) for c in self.columns)],
            index=0,  # "(none)" shown; value=None would select nothing
            description="sort",
        )
        self.order_picker = w.ToggleButtons(options=["asc", "desc"], value="asc")
        self.size_picker.observe(lambda ch: self.set_page_size(ch["new"]), "value")
        self.sort_picker.observe(lambda ch: self.sort(ch["new"], self.descending), "value")
        self.order_picker.observe(lambda ch: self.sort(self.sort_by, ch["new"] == "desc"), "value")
        self.status = w.Label()
        self.table = w.HTML()
        self.error = w.HTML()
        self.widget = w.VBox(
            [
                w.HBox(
                    [
                        self.first_button,
                        self.prev_button,
                        self.next_button,
                        self.last_button,
                        self.status,
                    ]
                ),
                w.HBox([self.size_picker, self.sort_picker, self.order_picker]),
                self.error,
                self.table,
            ]
        )
        self._render()

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.page_size))

    def _query(self, sql: str, limit: int) -> pd.DataFrame:
        return self.db.query(sql, self.params, limit=limit)

    def page_sql(self) -> str:
        """The SQL of the current page (built with sqlglot, identifiers quoted)."""
        from sqlglot import exp

        q = exp.select("*").from_(self.source.copy())
        if self.sort_by is not None:
            col = exp.column(self.sort_by, quoted=True)
            q = q.order_by(exp.Ordered(this=col, desc=self.descending))
        q = q.limit(self.page_size)
        if self.page > 1:
            q = q.offset((self.page - 1) * self.page_size)
        return q.sql("sqlite")

    def _fetch(self) -> pd.DataFrame:
        return self._query(self.page_sql(), limit=self.page_size)

    def go(self, page: int) -> None:
        """Show page ``page`` (clamped to 1..pages)."""
        self._update(page=max(1, min(int(page), self.pages)))

    def sort(self, column: str | None, descending: bool = False) -> None:
        """Sort by ``column`` (None: table order) and go back to page 1."""
        if column is not None and column not in self.columns:
            raise ValueError(f"no column {column!r}; columns: {self.columns}")
        self._update(page=1, sort_by=column, descending=bool(descending))

    def set_page_size(self, size: int) -> None:
        """Change the page size, keeping the first row shown in view."""
        first = (self.page - 1) * self.page_size
        self._update(page_size=int(size), page=first // int(size) + 1)

    def _update(self, **changes: Any) -> None:
        # Commit the new position only if its page query worked, so a timeout
        # or an error leaves the pager where it was, with the message shown.
        old = {k: getattr(self, k) for k in changes}
        for k, v in changes.items():
            setattr(self, k, v)
        try:
            self.frame = self._fetch()
        except Exception as exc:
            for k, v in old.items():
                setattr(self, k, v)
            self.error.value = f"<pre>{html.escape(f'{type(exc).__name__}: {exc}')}</pre>"
            raise
        self.error.value = ""
        self._render()

    def status_text(self) -> str:
        """``page x of y · N rows`` (plus the sort, if any)."""
        text = f"page {self.page} of {self.pages} · {self.total:,} rows"
        if self.sort_by is not None:
            text += f" · sorted by {self.sort_by} {'desc' if self.descending else 'asc'}"
        return text

    def _render(self) -> None:
        self.status.value = self.status_text()
        self.table.value = _styled(self.frame.to_html(index=False, max_cols=50, border=0))
        self.first_button.disabled = self.prev_button.disabled = self.page <= 1
        self.next_button.disabled = self.last_button.disabled = self.page >= self.pages

    def __repr__(self) -> str:
        return f"{self.label}: {self.status_text()}\n{self.frame.to_string(index=False)}"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = f"<p>{html.escape(self.status_text())}</p>{self.table.value}"
        return bundle


def _styled(table_html: str) -> str:
    # Lab styles DataFrame tables under .jp-RenderedHTMLCommon; widget HTML
    # does not sit under it, so borrow the class to look like query results.
    table_html = table_html.replace("<table ", '<table style="margin-left:0" ', 1)
    return f'<div class="jp-RenderedHTMLCommon" style="padding:0">{table_html}</div>'


def browse(
    db: Source, table_or_sql: str, page_size: int = 50, *, params: Mapping | None = None
) -> Pager:
    """A pager over a table or a SELECT (``params`` bind its placeholders)."""
    return Pager(db, table_or_sql, page_size=page_size, params=params)


class Explorer:
    """Schema explorer: tables with row counts; columns, indexes and first rows of one."""

    def __init__(self, db: Source) -> None:
        import ipywidgets as w

        self.db = db
        from .db._introspect import row_counts

        self.counts = row_counts(db.connection, db.tables())
        options = [(f"{t} ({n:,} rows)", t) for t, n in self.counts.items()]
        self.table_picker = w.Select(
            options=options, rows=min(12, max(3, len(options))), description="tables"
        )
        self.sample_button = w.Button(description="first rows", icon="table")
        self.detail = w.HTML()
        self.sample = w.HTML()
        self.table_picker.observe(lambda ch: self.show(ch["new"]), "value")
        self.sample_button.on_click(lambda _: self.show_sample())
        self.widget = w.HBox(
            [self.table_picker, w.VBox([self.detail, self.sample_button, self.sample])]
        )
        if options:
            # Select may already hold the first option, so no change event fires.
            self.table_picker.value = options[0][1]
            self.show(self.table_picker.value)
        else:
            self.detail.value = "<i>no tables yet: create one with helpers.db.create_table()</i>"

    def indexes(self, table: str) -> pd.DataFrame:
        """Indexes of ``table``: name and its CREATE INDEX text (None: automatic)."""
        return self.db.query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " ORDER BY name",
            [table],
        )

    def show(self, table: str | None) -> None:
        """Show the columns and indexes of ``table``."""
        self.sample.value = ""
        if table is None:
            return
        cols = self.db.schema(table).drop(columns=["table"])
        idx = self.indexes(table)
        idx["sql"] = idx["sql"].fillna("(automatic: PRIMARY KEY or UNIQUE)")
        self.detail.value = (
            f"<b>{html.escape(table)}</b> · {self.counts.get(table, 0):,} rows"
            f"<h4>columns</h4>{_styled(cols.to_html(index=False, border=0))}"
            f"<h4>indexes</h4>"
            f"{_styled(idx.to_html(index=False, border=0)) if len(idx) else '<i>none</i>'}"
        )

    def show_sample(self) -> pd.DataFrame | None:
        """Show the first rows of the selected table (one SQL query)."""
        from ._identifiers import quote

        table = self.table_picker.value
        if table is None:
            return None
        df = self.db.query(f"SELECT * FROM {quote(table)} LIMIT {SAMPLE_ROWS:d}")
        self.sample.value = _styled(df.to_html(index=False, border=0))
        return df

    def __repr__(self) -> str:
        lines = ["tables (rows):"]
        schema = self.db.schema() if self.counts else None
        for t, n in self.counts.items():
            cols = schema[schema["table"] == t] if schema is not None else []
            desc = ", ".join(
                f"{c} {ty}".strip() for c, ty in zip(cols["column"], cols["type"], strict=True)
            )
            lines.append(f"  {t} ({n:,}): {desc}")
        return "\n".join(lines)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle


def explore(db: Source) -> Explorer:
    """A schema explorer over the session database."""
    return Explorer(db)
