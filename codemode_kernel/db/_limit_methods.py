"""``helpers.db.set_limits``: the limits a session may change, up to the operator's ceilings."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .._settings import parse_overrides

if TYPE_CHECKING:
    from .._settings import Settings
    from ._calls import Calls
    from ._connection import Connection

__all__ = ["LimitMethods"]


class LimitMethods:
    """``set_limits`` and ``log_event`` (:class:`~codemode_kernel.db.Database` has them)."""

    settings: Settings
    connection: Connection
    _calls: Calls

    def set_limits(
        self,
        *,
        max_rows: int | None = None,
        query_timeout: float | None = None,
        max_db_mb: float | None = None,
    ) -> dict[str, float]:
        """Change this session's limits at run time; return the limits now in force.

        The kernel's settings (``CODEMODE_*``) are the defaults; this lowers
        (or raises) them for this session, e.g. to give an agent a tighter
        budget. The size quota applies at once, also to an open database.
        A limit may be raised up to its ceiling (``CODEMODE_<LIMIT>_MAX``,
        by default the operator's own ``CODEMODE_<LIMIT>``) and no further:
        CeilingError names it. Each change and refusal is logged (kind ``set_limits``).

        >>> helpers.db.set_limits(query_timeout=5, max_rows=1000)
        {'max_rows': 1000, 'query_timeout': 5.0, 'max_db_mb': 1024.0}
        """
        asked = {"max_rows": max_rows, "query_timeout": query_timeout, "max_db_mb": max_db_mb}
        text = "set_limits(" + ", ".join(f"{k}={v!r}" for k, v in asked.items() if v is not None)
        try:
            changes = parse_overrides(**asked)
            for name, value in changes.items():
                self.settings.check_ceiling(name, value)
        except ValueError as exc:  # CeilingError included
            raise self._calls.refused("set_limits", text + ")", exc) from None
        if changes:
            self.log_event("set_limits", text + ")")
        with self.connection.lock:
            self.settings = dataclasses.replace(self.settings, **changes)
            if "max_db_mb" in changes:
                self.connection.set_quota(self.settings.max_db_mb)
        s = self.settings
        return {"max_rows": s.max_rows, "query_timeout": s.query_timeout, "max_db_mb": s.max_db_mb}

    def log_event(self, kind: str, text: str, error: BaseException | None = None) -> None:
        """Add an entry to the execution log that is not a SQL call (a limit changed)."""
        self._calls.record(kind, text, 0, 0.0, error)
