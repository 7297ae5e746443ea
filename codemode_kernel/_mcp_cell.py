"""Kernel side of the MCP server's ``sql`` and ``tables`` tools.

The MCP server (``_mcp_server``) runs one line of code in the session's
kernel, ``__import__("codemode_kernel._mcp_cell", ...).sql(args)``,
so that SQL goes through ``helpers.db`` (the guard, the query timeout, the
log, the row limit) exactly as a user's own call would. The result is
displayed once as :data:`MIME` (a JSON dict), which the server turns into
``structuredContent``; errors are raised as they are (``SQLBlockedError`` ...)
and reach the client as the cell's error.

Nothing is left in the user's namespace.
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = ["MIME", "docs", "sql", "sql_result", "tables", "tables_result"]

MIME = "application/vnd.codemode.mcp+json"


def _show(data: dict) -> None:
    from IPython.display import display

    display(
        {MIME: data, "text/plain": f"<{data.get('kind', 'result')} for the MCP server>"}, raw=True
    )


def _rows_that_fit(rows: list[list], budget: int) -> tuple[list[list], bool]:
    """The first rows whose JSON text fits in ``budget`` characters."""
    kept: list[list] = []
    used = 2
    for row in rows:
        used += len(json.dumps(row, ensure_ascii=False, default=str)) + 1
        if used > budget:
            return kept, True
        kept.append(row)
    return kept, False


def _helpers() -> Any:
    """The kernel's own helpers object: the user may have rebound the name ``helpers``."""
    from IPython import get_ipython

    return get_ipython().codemode_helpers


def sql(args_json: str) -> None:
    """Display :func:`sql_result` of the JSON-encoded ``args``."""
    _show(sql_result(_helpers(), json.loads(args_json)))


def tables() -> None:
    """Display :func:`tables_result`."""
    _show(tables_result(_helpers()))


def docs() -> None:
    """Display ``helpers.docs()`` (Markdown)."""
    from IPython.display import display

    display(_helpers().docs())


def sql_result(helpers: Any, args: dict) -> dict:
    """Run ``args["sql"]`` with ``helpers.db.query`` (row-returning) or ``exec``.

    ``args``: ``sql`` (str), ``params`` (list, dict or None), ``limit`` (int,
    rows to return, clamped to ``max_rows``), ``max_chars`` (budget of the
    rows' JSON text). Returns ``{"kind": "sql", "columns", "rows" (lists),
    "row_count", "truncated", "elapsed_ms"}`` plus ``rows_affected``,
    ``last_row_id`` and ``statements`` for statements that return no rows.
    Values are JSON as in the query payload (``_display.json_value``).
    """
    from ._display import json_value
    from ._guard import classify

    text, params = args["sql"], args.get("params")
    limit = max(1, min(int(args["limit"]), helpers.settings.max_rows))
    try:
        stmts = classify(text) if isinstance(text, str) else ()
    except Exception:
        # helpers.db raises the same error below, and records it in the log.
        stmts = ()
    start = time.perf_counter()
    if len(stmts) == 1 and stmts[0].returns_rows:
        df = helpers.db.query(text, params, limit=limit)
        meta = df.attrs.get("codemode", {})
        raw = [[json_value(v) for v in row] for row in df.itertuples(index=False, name=None)]
        rows, cut = _rows_that_fit(raw, int(args["max_chars"]))
        return {
            "kind": "sql",
            "columns": [str(c) for c in df.columns],
            "rows": rows,
            "row_count": len(rows),
            "truncated": bool(meta.get("truncated")) or cut,
            "elapsed_ms": meta.get("elapsed_ms"),
        }
    if len(stmts) > 1 and (params is None or isinstance(params, dict)):
        # A script: the last statement's rows (if any), all statements atomic.
        results = helpers.db.run_script(text, params, limit=limit)
        last = results[-1]
        if hasattr(last, "attrs"):
            meta = last.attrs.get("codemode", {})
            raw = [[json_value(v) for v in r] for r in last.itertuples(index=False, name=None)]
            rows, cut = _rows_that_fit(raw, int(args["max_chars"]))
            return {
                "kind": "sql",
                "columns": [str(c) for c in last.columns],
                "rows": rows,
                "row_count": len(rows),
                "truncated": bool(meta.get("truncated")) or cut,
                "elapsed_ms": round((time.perf_counter() - start) * 1000, 3),
                "statements": len(results),
            }
        result, count = last, len(results)
    else:
        result = helpers.db.exec(text, params)
        count = result.statements
    return {
        "kind": "sql",
        "columns": [],
        "rows": [],
        "row_count": 0,
        "truncated": False,
        "elapsed_ms": round((time.perf_counter() - start) * 1000, 3),
        "rows_affected": result.rows_affected,
        "last_row_id": result.last_row_id,
        "statements": count,
    }


def tables_result(helpers: Any) -> dict:
    """``{"kind": "tables", "session_id", "tables": [{"name", "row_count", "columns"}]}``.

    Each column is ``{"name", "type", "notnull", "pk"}``.
    """
    db = helpers.db
    schema = db.schema()
    counts = db.get_metrics().get("tables", {})
    out = []
    for name in db.tables():
        cols = schema[schema["table"] == name]
        out.append(
            {
                "name": name,
                "row_count": counts.get(name),
                "columns": [
                    {
                        "name": r.column,
                        "type": r.type or "",
                        "notnull": bool(r.notnull),
                        "pk": int(r.pk),
                    }
                    for r in cols.itertuples()
                ],
            }
        )
    return {"kind": "tables", "session_id": helpers.session.id, "tables": out}
