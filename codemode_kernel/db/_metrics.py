"""The session's counters, behind :meth:`Database.get_metrics`.

Definitions:

* **queries**: calls that returned a DataFrame (query, and each
  row-returning statement of run_script);
* **statements**: SQL statements run for the user (batch_insert counts its
  CREATE/ALTER statements, not its inserts);
* **rows read**: rows returned to the caller (after the ``max_rows`` cut);
* **rows written**: SQLite's change counts of user statements and of
  ``batch_insert``;
* **errors**, **time_ms**: failed calls, and the time spent in all calls.

The counters belong to the database file: they are saved in
``_codemode_meta`` with each log flush and loaded when the file is opened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

__all__ = ["COUNTERS", "SCHEMA", "Metrics"]

COUNTERS = (
    "queries",
    "statements",
    "rows_read",
    "rows_written",
    "errors",
    "time_ms",
    "log_dropped",
)
SCHEMA = "CREATE TABLE IF NOT EXISTS main._codemode_meta (key TEXT PRIMARY KEY, value TEXT);"
#: The ``_codemode_meta`` key the counters are saved under.
META_KEY = "counters"


class Metrics:
    """The counters of one session database."""

    def __init__(self) -> None:
        self.counters: dict[str, float] = {}
        self.loaded = False
        self.reset()

    def reset(self) -> None:
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.counters["time_ms"] = 0.0

    def load(self, saved: str | None) -> None:
        """Start from the counters saved in the file (``None``: a fresh file starts at 0).

        A reopen must not add them twice, so they replace what is in memory;
        but calls that failed before the first open (a bad argument) were
        counted in memory only, so at the first load they add to the file's.
        """
        before_open = None if self.loaded else dict(self.counters)
        self.loaded = True
        self.reset()
        if saved:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                values = json.loads(saved)
                for k in COUNTERS:
                    self.counters[k] = values.get(k, self.counters[k])
        if before_open:
            for k in COUNTERS:
                self.counters[k] += before_open[k]

    def dumps(self) -> str:
        """The counters as the JSON text saved in ``_codemode_meta``."""
        return json.dumps(self.counters)

    def add(self, name: str, n: float) -> None:
        self.counters[name] += n

    def read(self, rows: int) -> None:
        """A query returned ``rows`` rows."""
        c = self.counters
        c["queries"] += 1
        c["rows_read"] += rows

    def wrote(self, statements: int, rows: int) -> None:
        """A call ran ``statements`` statements that changed ``rows`` rows."""
        c = self.counters
        c["statements"] += statements
        c["rows_written"] += rows

    def call(self, elapsed_ms: float, failed: bool) -> None:
        """One public call ended (after ``elapsed_ms``; ``failed`` if it raised)."""
        self.counters["time_ms"] += elapsed_ms
        if failed:
            self.counters["errors"] += 1

    def report(self, session: Any, settings: Any, tables: dict[str, int]) -> dict[str, Any]:
        """The dict :meth:`Database.get_metrics` returns (times as ISO 8601, UTC)."""
        from .._store import database_size

        meta = session.meta()
        created = float(meta.get("created", 0.0))
        last_activity = float(meta.get("last_activity", 0.0))
        c = self.counters
        return {
            "session_id": session.id,
            "label": session.label,
            "path": str(session.db_path),
            "size_bytes": database_size(session.path),
            "tables": tables,
            "queries": c["queries"],
            "statements": c["statements"],
            "rows_read": c["rows_read"],
            "rows_written": c["rows_written"],
            "errors": c["errors"],
            "time_ms": round(c["time_ms"], 3),
            "created": _iso(created),
            "last_activity": _iso(last_activity),
            "expires": _iso(last_activity + settings.session_ttl),
            "on_shutdown": settings.on_shutdown,
            "limits": {
                "max_rows": settings.max_rows,
                "query_timeout_s": settings.query_timeout,
                "max_db_mb": settings.max_db_mb,
            },
        }


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")
