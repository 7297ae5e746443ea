"""The pager's ipywidgets: controls above, clickable column headers, the page.

The header is a row of buttons exactly as wide as the table's columns (the
table has ``table-layout: fixed`` with the same pixel widths), so a click on
a column's name sorts by it. Errors from the controls (a bad filter, a
query timeout) are shown above the table; the pager stays where it was.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from ._pager import ARROWS, DEFAULT_PAGE_SIZE, PAGE_SIZES, Pages

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._pager import Source

__all__ = ["Pager"]

_NAV = (
    ("first_button", "angle-double-left", "first page"),
    ("prev_button", "angle-left", "previous page"),
    ("next_button", "angle-right", "next page"),
    ("last_button", "angle-double-right", "last page"),
)


class Pager(Pages):
    """:class:`~codemode_kernel._pager.Pages` with its widgets; ``widget`` is what a cell shows.

    The controls are attributes: ``first_button``, ``prev_button``,
    ``next_button``, ``last_button``, ``page_box``, ``size_picker``,
    ``filter_box``, ``headers`` (one button per column), ``table``, ``error``.
    """

    def __init__(
        self,
        db: Source,
        table_or_sql: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        params: Mapping | None = None,
    ) -> None:
        import ipywidgets as w

        super().__init__(db, table_or_sql, page_size=page_size, params=params)
        p = self
        for attr, icon, tip in _NAV:
            b = w.Button(icon=icon, tooltip=tip, layout=w.Layout(width="34px", padding="0"))
            b.add_class("codemode-nav")
            setattr(self, attr, b)
        self.first_button.on_click(lambda _: self._do(p.go, 1))
        self.prev_button.on_click(lambda _: self._do(p.go, p.page - 1))
        self.next_button.on_click(lambda _: self._do(p.go, p.page + 1))
        self.last_button.on_click(lambda _: self._do(p.go, p.pages))
        self.page_box = w.BoundedIntText(
            value=1,
            min=1,
            max=p.pages,
            description="page",
            layout=w.Layout(width="150px"),
            style={"description_width": "36px"},
        )
        self.page_box.observe(self._on_page_box, "value")
        self.of_pages = w.Label()
        sizes = sorted(
            {*PAGE_SIZES, p.page_size} - {s for s in PAGE_SIZES if s > p.db.settings.max_rows}
        )
        self.size_picker = w.Dropdown(
            options=sizes,
            value=p.page_size,
            description="rows",
            layout=w.Layout(width="120px"),
            style={"description_width": "34px"},
        )
        self.size_picker.observe(lambda ch: self._do(p.set_page_size, ch["new"]), "value")
        self.filter_box = w.Text(
            placeholder="filter: a WHERE condition, e.g. amount > 10 AND status = 'paid'",
            continuous_update=False,
            layout=w.Layout(flex="1 1 auto", min_width="260px"),
        )
        self.filter_box.add_class("codemode-filter")
        self.filter_box.observe(lambda ch: self._do(p.filter, ch["new"]), "value")
        self.clear_button = w.Button(
            icon="times", tooltip="clear the filter", layout=w.Layout(width="34px")
        )
        self.clear_button.on_click(lambda _: self._clear_filter())
        self.status = w.Label()
        self.status.add_class("codemode-status")
        self.error = w.HTML()
        self.headers = []
        for i, col in enumerate(p.columns):
            b = w.Button(
                description=col,
                tooltip=f"sort by {col} (click again: descending, a third time: unsorted)",
                layout=w.Layout(width=f"{p.widths[i]}px", margin="0", height="28px"),
            )
            b.style.font_weight = "bold"
            b.add_class("codemode-header")
            if p.frame.dtypes.iloc[i].kind in "iuf":  # numbers are right-aligned below
                b.add_class("codemode-header-num")
            b.on_click(lambda _, c=col: self._do(p.cycle_sort, c))
            self.headers.append(b)
        self.table = w.HTML(layout=w.Layout(margin="0"))
        nav = w.HBox(
            [
                self.first_button,
                self.prev_button,
                self.page_box,
                self.of_pages,
                self.next_button,
                self.last_button,
                self.size_picker,
                self.status,
            ],
            layout=w.Layout(align_items="center", flex_flow="row wrap"),
        )
        search = w.HBox([self.filter_box, self.clear_button], layout=w.Layout(width="100%"))
        header = w.HBox(
            self.headers, layout=w.Layout(width="max-content", overflow="visible", margin="0")
        )
        grid = w.VBox(
            [header, self.table],
            layout=w.Layout(overflow="auto", max_height="640px", width="100%"),
        )
        self.widget = w.VBox([nav, search, self.error, grid])
        self.widget.add_class("codemode-pager-widget")
        self._render()

    def _do(self, action: Any, *args: Any) -> None:
        """Run a control's action; show its error above the table instead of raising."""
        try:
            action(*args)
        except Exception as exc:
            self.error.value = (
                '<div style="color:var(--jp-error-color1,#d32f2f);padding:2px 0">'
                f"{html.escape(f'{type(exc).__name__}: {exc}')}</div>"
            )
            self._render(keep_error=True)

    def _clear_filter(self) -> None:
        if self.filter_box.value:
            self.filter_box.value = ""  # its observer clears the filter
        else:
            self._do(self.filter, None)

    def _on_page_box(self, change: dict) -> None:
        if change["new"] != self.page:
            self._do(self.go, change["new"])

    def _render(self, keep_error: bool = False) -> None:
        if not hasattr(self, "widget"):
            return  # still being built
        p = self
        if not keep_error:
            self.error.value = ""
        self.table.value = p.table_html()  # first: the status says the page is there
        self.status.value = p.status_text()
        self.of_pages.value = f"of {p.pages:,}"
        # Bounds first, then the value: the box must never clamp a valid page.
        self.page_box.unobserve(self._on_page_box, "value")
        try:
            self.page_box.max = p.pages
            self.page_box.value = p.page
        finally:
            self.page_box.observe(self._on_page_box, "value")
        for b, col in zip(self.headers, p.columns, strict=True):
            arrow = ARROWS[p.descending if p.sort_by == col else None]
            b.description = f"{col}{arrow}"
            b.button_style = "info" if p.sort_by == col else ""
        self.first_button.disabled = self.prev_button.disabled = p.page <= 1
        self.next_button.disabled = self.last_button.disabled = p.page >= p.pages

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self._repr_html_()
        return bundle
