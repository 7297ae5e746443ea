"""``helpers.docs()``: a compact Markdown description of the API, the schema and the limits.

Everything is generated from the live objects (signatures and docstrings via
:mod:`inspect`, tables from the session database), so the text cannot drift
from the code. It is meant to be pasted into an LLM prompt: a 10-table schema
stays under about 2,000 tokens, and longer schemas are cut with a note.
"""

from __future__ import annotations

import inspect
import re
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from ._policy import ALLOWED, REFUSED
from ._units import duration

if TYPE_CHECKING:
    from ._settings import Settings
    from ._store import Session
    from .db import Database

__all__ = ["Markdown", "docs"]

#: Public Database methods that are plumbing rather than analysis API.
_DB_SKIP = frozenset({"close", "interrupt"})
# Keyword arguments every chart takes (said once) or rarely needs: not repeated.
_PLOT_ELIDED = r", (where|params|ax)=None|, horizontal=False|, stored_as='auto'"
_SCHEMA_BUDGET = 2_400  # characters for the table list at most
#: The most characters ``docs()`` returns (it is read into an LLM's context).
TOTAL_BUDGET = 10_000  # ~2,500 tokens: the API grew (plots, MCP tools, export)


class Tools(Protocol):
    """What docs() reads of ``helpers.mcp`` (the configured MCP servers)."""

    def __len__(self) -> int: ...

    def docs_lines(self) -> list[str]: ...


class Described(Protocol):
    """What docs() reads of ``helpers`` (a ``Helpers``)."""

    session: Session
    settings: Settings
    db: Database
    mcp: Tools


class Markdown(str):
    """A ``str`` of Markdown that Jupyter renders (``text/markdown``) and prints as is."""

    def _repr_markdown_(self) -> str:
        return str(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _rst_to_md(text: str) -> str:
    return re.sub(r"``(.+?)``", r"`\1`", text)


def _summary(fn: Callable) -> str:
    """The docstring's first paragraph, on one line."""
    doc = inspect.getdoc(fn) or ""
    para = doc.split("\n\n", 1)[0]
    return _rst_to_md(" ".join(para.split()))


def _example(fn: Callable) -> str | None:
    """The first ``>>>`` example (with its ``...`` lines), on one line."""
    lines = (inspect.getdoc(fn) or "").splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">>> "):
            parts = [line.lstrip()[4:]]
            for more in lines[i + 1 :]:
                if not more.lstrip().startswith("..."):
                    break
                parts.append(more.lstrip()[3:].strip())
            text = re.sub(r"\(\s+", "(", " ".join(p.strip() for p in parts))
            # helpers.db.query(helpers.sql.x(...)) -> helpers.sql.x(...): shorter, same meaning
            inner = re.fullmatch(r"helpers\.db\.query\((helpers\.sql\..*)\)", text)
            return inner.group(1) if inner else text
    return None


def _signature(fn: Callable, *, returns: bool = True) -> str:
    sig = inspect.signature(fn)
    params = [
        p.replace(annotation=inspect.Parameter.empty)
        for p in sig.parameters.values()
        if p.name != "self"
    ]
    text = str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))
    ret = sig.return_annotation
    if returns and ret not in (inspect.Signature.empty, None, "None"):
        name = ret if isinstance(ret, str) else getattr(ret, "__name__", str(ret))
        text += " -> " + name.replace("pd.", "")
    return fn.__name__ + text


def _public_functions(owner: Any, names: Iterable[str]) -> list[Callable]:
    """Functions by their own names (aliases such as ``countBy`` are skipped)."""
    out = []
    for name in names:
        fn = getattr(owner, name, None)
        if inspect.isfunction(fn) and fn.__name__ == name:
            out.append(fn)
    return out


def _api(helpers: Described) -> list[str]:
    from . import sql
    from .db import Database

    members = list(dict.fromkeys(n for c in Database.__mro__[:-1] for n in vars(c)))
    db_names = [n for n in members if not n.startswith("_") and n not in _DB_SKIP]
    lines = ["## helpers.db"]
    for fn in _public_functions(Database, db_names):
        lines.append(f"- `{_signature(fn)}`: {_summary(fn)}")
    lines += [
        "",
        "## helpers.sql: builders that return SQL text",
        'Run them with `helpers.db.query(helpers.sql.count_by("t", "col"))`. Names are'
        ' quoted and values escaped for you. `where=` takes a dict (`{"status": "paid",'
        ' "country": ["US", "DE"], "deleted": None}`: =, IN, IS NULL) or one SQL'
        " condition string. NULLs sort last.",
    ]
    for fn in _public_functions(sql, sql.__all__):
        line = f"- `{_signature(fn, returns=False)}`: {_summary(fn)}"
        example = _example(fn)
        if example:
            line += f" E.g. `{example}`"
        lines.append(line)
    from ._plot import Plot, kinds

    sigs = [
        re.sub(_PLOT_ELIDED, "", _signature(fn, returns=False))
        for fn in _public_functions(Plot, kinds())
    ]
    lines += [
        "",
        "## helpers.plot: matplotlib charts computed in SQLite",
        f"`{'`, `'.join(sigs)}`. All take `where=`, `params=`, `ax=` and return the Axes"
        " (`ax.data`: the rows drawn).",
    ]
    aliases = [n for n in sql.__all__ if getattr(sql, n).__name__ != n]
    aliases += [n for n in members if n[:1].islower() and any(c.isupper() for c in n)]
    lines.append(f"- camelCase aliases: {', '.join(sorted(aliases))}.")
    return lines


def _seconds(value: float) -> str:
    return "off" if value == 0 else duration(value)


def _limits(helpers: Described) -> list[str]:
    s = helpers.settings
    return [
        "## Limits in force",
        f"max_rows {s.max_rows:,} per query (more is cut, flagged in `df.attrs`; raise it"
        " with `helpers.db.set_limits(max_rows=...)`)"
        f" · query_timeout {_seconds(s.query_timeout)} · cell_timeout {_seconds(s.cell_timeout)}"
        f" · database quota (max_db_mb) {s.max_db_mb:,g} MB"
        f" · session_ttl {_seconds(s.session_ttl)} idle.",
        f"Allowed SQL: {ALLOWED}. Refused: {REFUSED}."
        " Each call is one transaction. Bind values with `?` or `:name`.",
    ]


def _column(name: str, typ: str, pk: int) -> str:
    return f"{name} {typ or 'ANY'}{' PK' if pk else ''}"


def _tables(db: Database, *, max_columns: int, budget: int) -> list[str]:
    from .db._introspect import row_counts

    schema = db.schema()
    names = db.tables()
    lines = [f"## Tables in this session ({len(names)})"]
    if not names:
        return [*lines, "None yet: create one with `helpers.db.batch_insert(name, records)`."]
    used, shown = 0, 0
    for name in names:
        cols = schema[schema["table"] == name]
        parts = [_column(r.column, r.type, r.pk) for r in cols.itertuples()]
        if len(parts) > max_columns:
            parts = [*parts[:max_columns], f"… +{len(parts) - max_columns} more"]
        try:
            count = row_counts(db.connection, [name])[name]
            rows = f"{count:,} row{'s' if count != 1 else ''}"
        except sqlite3.Error:  # e.g. a table created by a newer SQLite
            rows = "rows unknown"
        line = f"- `{name}` ({rows}): {', '.join(parts)}"
        if used + len(line) > budget and shown:
            break
        lines.append(line)
        used += len(line)
        shown += 1
    if shown < len(names):
        lines.append(
            f"- … {len(names) - shown} more tables not shown (list cut to stay short):"
            " `helpers.db.tables()`, `helpers.db.schema(name)`."
        )
    return lines


def _mcp(helpers: Described) -> list[str]:
    """Every MCP tool with its arguments, when servers are configured (starts them)."""
    mcp = helpers.mcp
    return [*mcp.docs_lines(), ""] if len(mcp) else []


def docs(
    helpers: Described, *, max_columns: int = 20, schema_chars: int = _SCHEMA_BUDGET
) -> Markdown:
    """Markdown describing ``helpers``, the session's tables and the limits in force.

    ``schema_chars`` bounds the table list and ``max_columns`` the columns
    shown per table; what is cut is said so. The whole text stays under
    ``TOTAL_BUDGET`` characters: the table list gets what the rest leaves.
    """
    head = [
        "# Code Mode helpers",
        f"Session `{helpers.session.id}`: a private SQLite {sqlite3.sqlite_version} database"
        " that lives as long as the session. Keep large data in it and query what you need"
        " (results are pandas DataFrames).",
        "",
        *_limits(helpers),
        "",
    ]
    tail = [
        "",
        *_api(helpers),
        "",
        *_mcp(helpers),
        "Errors: `helpers.errors` (each a `CodeModeError`, e.g. SQLBlockedError); SQLite's"
        " own errors (no such table, constraint failed) stay `sqlite3` exceptions.",
    ]
    # 300: the table list's heading and its "more tables not shown" line.
    left = TOTAL_BUDGET - len("\n".join(head + tail)) - 300
    budget = max(min(schema_chars, left), 400)
    tables = _tables(helpers.db, max_columns=max_columns, budget=budget)
    return Markdown("\n".join([*head, *tables, *tail]) + "\n")
