"""The ``helpers`` object injected into every cell's namespace."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from types import ModuleType

    from ._mcp_client import McpServers
    from ._plot import Plot
    from ._settings import Settings
    from ._store import Session
    from .db import Database

__all__ = ["Helpers"]


class Helpers:
    """Code Mode helpers for this notebook's session.

    * ``helpers.db``: the session's guarded SQLite database (query, exec,
      batch_insert, create_table, state, metrics, logs, schema, explain, browse).
    * ``helpers.sql``: builders that return SQL text (count_by, top_n, ...).
    * ``helpers.plot``: charts computed in SQLite (histogram, bar, line, box, pie).
    * ``helpers.mcp``: MCP tools as functions (``helpers.mcp.<server>.<tool>(...)``).
    * ``helpers.docs()``: Markdown describing the API and the current schema.
    * ``helpers.errors``: the exception classes (SQLBlockedError, ...).

    Try ``helpers.db?`` or ``helpers.docs()``.
    """

    errors = errors

    def __init__(self, session: Session, settings: Settings) -> None:
        self.session = session
        self._settings = settings
        self._db: Database | None = None
        self._mcp: McpServers | None = None
        #: Called with the Database each time it opens its file (the kernel's
        #: lifecycle registers here, before the first use).
        self.on_db_open: list[Callable[[Database], None]] = []

    @property
    def settings(self) -> Settings:
        """The limits in force (``helpers.db.set_limits`` changes them)."""
        return self._db.settings if self._db is not None else self._settings

    @property
    def db(self) -> Database:
        """The session database (opened on first use)."""
        if self._db is None:
            from .db import Database

            self._db = Database(self.session, self._settings)
            self._db.on_open.extend(self.on_db_open)
        return self._db

    @property
    def open_db(self) -> Database | None:
        """The Database if it was made, else None (never makes or opens one)."""
        return self._db

    @property
    def mcp(self) -> McpServers:
        """MCP servers from ``CODEMODE_MCP_CONFIG`` (read on first use; servers start lazily)."""
        if self._mcp is None:
            from ._mcp_client import load_mcp

            def log(kind: str, text: str, elapsed_ms: float, error: BaseException | None) -> None:
                self.db.log_external(kind, text, elapsed_ms, error)

            self._mcp = load_mcp(self._settings.mcp_config, log)
        return self._mcp

    @property
    def open_mcp(self) -> McpServers | None:
        """``helpers.mcp`` if it was made, else None (never reads the config or starts servers)."""
        return self._mcp

    @property
    def sql(self) -> ModuleType:
        """SQL builders: ``helpers.db.query(helpers.sql.count_by("t", "col"))``."""
        from . import sql

        return sql

    @property
    def plot(self) -> Plot:
        """Charts whose numbers SQLite computes: ``helpers.plot.histogram("t", "col")``."""
        from ._plot import Plot

        return Plot(self.db)

    def docs(self) -> Any:
        """Markdown describing the API, the current schema and the limits in force."""
        from ._docs import docs

        return docs(self)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        if self._mcp is not None:
            self._mcp.close()

    def use_session(self, session: Session) -> None:
        """Close the database and bind ``helpers.db`` to ``session`` (``%session``).

        The limits set with ``helpers.db.set_limits`` carry over.
        """
        db = self._db
        if db is not None:
            db.close()
            self._settings = db.settings
            self._db = None
        self.session = session

    def __repr__(self) -> str:
        opened = "open" if self._db is not None and self._db.is_open else "opened on first use"
        label = self.session.label
        label = f" ({label})" if label else ""
        return (
            f"<Code Mode helpers: session {self.session.id!r}{label}; helpers.db ({opened}),"
            " helpers.sql (builders), helpers.plot (charts), helpers.mcp (MCP tools),"
            " helpers.docs(), helpers.errors."
            " See helpers? >"
        )
