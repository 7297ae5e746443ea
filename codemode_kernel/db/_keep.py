"""``helpers.db.export()`` / ``restore()``: keep results on purpose.

A mixin of :class:`~codemode_kernel.db.Database` (it keeps the facade under
450 lines); the work is in ``_export`` and ``_restore``. It uses the
Database's ``connection``, ``guard``, ``settings``, ``tables()``,
``get_state()``/``state_keys()`` and its calls/metrics.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._export import Exported
    from ._restore import Restored

__all__ = ["KeepResults"]


class KeepResults:
    """``export`` and ``restore`` of :class:`~codemode_kernel.db.Database`."""

    connection: Any
    guard: Any
    settings: Any
    path: Any
    _calls: Any
    _metrics: Any

    def export(
        self,
        path: str | os.PathLike,
        *,
        tables: str | Sequence[str] | None = None,
        format: str | None = None,
        overwrite: bool = False,
    ) -> Exported:
        """Write a copy of the session database (or of one table) to ``path``.

        By extension (or ``format``): ``.db``/``.sqlite``/``.sqlite3``, a consistent
        copy made with SQLite's online backup API while the database is in use
        (``tables=[...]`` keeps only those); ``.parquet`` or ``.csv``, one table.
        Never replaces a file unless ``overwrite=True`` (FileExistsError).
        Returns ``Exported(path, size_bytes)``. Details: docs/sessions.md.

        >>> helpers.db.export("backup.db").size_bytes > 0
        True
        >>> helpers.db.export("trials.parquet", tables="trials").path.name
        'trials.parquet'
        """
        from ._export import export

        return export(
            self.connection,
            self.tables(),
            path,
            tables=tables,
            format=format,
            overwrite=overwrite,
            # Never wait for another kernel's write lock just for the log.
            flush_log=lambda: self._calls.log.flush(wait=False),
        )

    def restore(self, path: str | os.PathLike, *, replace: bool = False) -> Restored:
        """Load the tables and state of a ``.db`` written by :meth:`export` into this session.

        In one transaction: the plain user tables (their CREATE TABLE checked by
        the SQL guard), their indexes, the state; never the log, views,
        triggers, virtual or ``_codemode_*`` tables (see ``skipped``). Raises
        RestoreError, changing nothing, for a file that is not SQLite, or a
        table or state key that exists here (unless ``replace=True``).
        Returns ``Restored``. Details: docs/sessions.md.

        >>> restored = helpers.db.restore("backup.db", replace=True)
        >>> sorted(restored.tables), restored.skipped
        (['events', 'people', 'trials'], {})
        """
        from ._restore import prepare

        plan = prepare(
            path,
            own_path=self.path,
            user_tables=self.tables(),
            state_here={k: self.get_state(k) for k in self.state_keys()},
            replace=replace,
        )
        try:
            with (
                self.connection.lock,
                self._calls.call("restore", f"restore from {path}", txn=True, write=True) as call,
            ):
                call.rows = plan.copy(self.connection, self.guard, self.settings.query_timeout)
        finally:
            plan.close()
        self._metrics.add("rows_written", call.rows)
        return plan.result
