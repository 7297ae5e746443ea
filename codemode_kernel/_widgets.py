"""ipywidgets views of the session database: the pager and the schema explorer.

Both fetch what they show with SQL through ``db.query`` (so the guard and
the query timeout apply to every page) and never hold more than one page.
Where widgets cannot render (nbval, plain jupyter-client, a static HTML
export) their MIME bundle still carries the first page as text and HTML.
The pager itself lives in ``_pager.py`` (queries) and ``_pager_view.py``
(its controls). They see ``helpers.db`` only through :class:`Source`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._display import with_nulls
from ._pager import DEFAULT_PAGE_SIZE, Source, styled
from ._pager_view import Pager

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Explorer", "Pager", "Source", "browse", "explore"]

SAMPLE_ROWS = 10


def browse(
    db: Source,
    table_or_sql: str,
    page_size: int = DEFAULT_PAGE_SIZE,
    *,
    params: Mapping | None = None,
) -> Pager:
    """A pager over a table or a SELECT (``params`` bind its placeholders)."""
    return Pager(db, table_or_sql, page_size=page_size, params=params)


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def columns_table(schema: pd.DataFrame) -> pd.DataFrame:
    """The explorer's column list: ``notnull`` as ✓, ``pk`` as its position 1, 2, … (or blank)."""
    out = schema.drop(columns=["table"]).copy()
    out["notnull"] = out["notnull"].map(lambda v: "✓" if v else "")
    out["pk"] = out["pk"].map(lambda v: str(int(v)) if v else "")
    out["default"] = out["default"].map(lambda v: "" if v is None else str(v))
    return out.rename(columns={"notnull": "not null", "pk": "primary key"})


class Explorer:
    """Schema explorer: one row per table (name, row count, a browse button),
    the selected table's columns and indexes, its first rows, and a pager.

    ``refresh()`` (the ↻ button) re-reads tables and counts; ``show(table)``,
    ``show_sample()`` and ``browse(table)`` are what the buttons call.
    """

    def __init__(self, db: Source) -> None:
        import ipywidgets as w

        self.db = db
        self.selected: str | None = None
        self.pager: Pager | None = None
        self.refresh_button = w.Button(
            description="refresh", icon="refresh", tooltip="re-read tables and row counts"
        )
        self.refresh_button.on_click(lambda _: self.refresh())
        self.summary = w.Label()
        self.table_list = w.VBox()
        self.sample_button = w.Button(description="first rows", icon="table")
        self.sample_button.on_click(lambda _: self.show_sample())
        self.detail = w.HTML()
        self.sample = w.HTML()
        self.browser = w.VBox()
        self.error = w.HTML()
        left = w.VBox(
            [w.HBox([self.summary, self.refresh_button]), self.table_list],
            layout=w.Layout(min_width="300px", margin="0 16px 0 0"),
        )
        right = w.VBox([self.detail, self.sample_button, self.sample])
        self.widget = w.VBox([self.error, w.HBox([left, right]), self.browser])
        self.refresh()

    def refresh(self) -> None:
        """Re-read the tables and their row counts (one count query per table)."""
        import ipywidgets as w

        from .db._introspect import row_counts

        self.counts = row_counts(self.db.connection, self.db.tables())
        self.summary.value = f"{len(self.counts)} table{'' if len(self.counts) == 1 else 's'}"
        self.select_buttons: dict[str, Any] = {}
        self.browse_buttons: dict[str, Any] = {}
        rows = []
        for t, n in self.counts.items():
            pick = w.Button(description=t, tooltip=f"columns and indexes of {t}")
            pick.layout = w.Layout(width="160px")
            pick.on_click(lambda _, t=t: self.show(t))
            count = w.Label(_rows(n), layout=w.Layout(width="110px"))
            count.add_class("codemode-count")
            go = w.Button(description="browse", icon="table", tooltip=f"page through {t}")
            go.layout = w.Layout(width="90px")
            go.on_click(lambda _, t=t: self._safe(self.browse, t))
            self.select_buttons[t], self.browse_buttons[t] = pick, go
            rows.append(w.HBox([pick, count, go], layout=w.Layout(align_items="center")))
        self.table_list.children = rows
        if not self.counts:
            self.selected = None
            self.detail.value = "<i>no tables yet: create one with helpers.db.create_table()</i>"
            self.sample.value = ""
            return
        self.show(self.selected if self.selected in self.counts else next(iter(self.counts)))

    def indexes(self, table: str) -> pd.DataFrame:
        """Indexes of ``table``: name and its CREATE INDEX text (None: automatic)."""
        return self.db.query(
            # NOCASE folds ASCII letters only: SQLite's own rule for names.
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            " AND tbl_name = ? COLLATE NOCASE"
            " ORDER BY name",
            [table],
        )

    def show(self, table: str | None) -> None:
        """Show the columns and indexes of ``table``."""
        self.sample.value = ""
        self.selected = table
        for t, b in getattr(self, "select_buttons", {}).items():
            b.button_style = "info" if t == table else ""
        if table is None:
            return
        cols = columns_table(self.db.schema(table))
        idx = self.indexes(table)
        idx["sql"] = idx["sql"].fillna("(automatic: PRIMARY KEY or UNIQUE)")
        self.detail.value = (
            f"<b>{html.escape(table)}</b> · {_rows(self.counts.get(table, 0))}"
            f"<h4>columns</h4>{styled(cols.to_html(index=False, border=0))}"
            f"<h4>indexes</h4>"
            f"{styled(idx.to_html(index=False, border=0)) if len(idx) else '<i>none</i>'}"
        )

    def show_sample(self) -> pd.DataFrame | None:
        """Show the first rows of the selected table (one SQL query)."""
        from ._identifiers import quote

        if self.selected is None:
            return None
        df = self.db.query(f"SELECT * FROM {quote(self.selected)} LIMIT {SAMPLE_ROWS:d}")
        self.sample.value = styled(with_nulls(df).to_html(index=False, border=0, na_rep="NULL"))
        return df

    def browse(self, table: str) -> Pager:
        """Open the pager on ``table`` under the explorer."""
        import ipywidgets as w

        self.pager = browse(self.db, table)
        close = w.Button(description="close", icon="times", tooltip="close the pager")
        close.on_click(lambda _: setattr(self.browser, "children", ()))
        title = w.HTML(f"<b>{html.escape(table)}</b>")
        self.browser.children = (w.HBox([title, close]), self.pager.widget)
        return self.pager

    def _safe(self, action: Any, *args: Any) -> None:
        try:
            self.error.value = ""
            action(*args)
        except Exception as exc:
            self.error.value = f"<pre>{html.escape(f'{type(exc).__name__}: {exc}')}</pre>"

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
