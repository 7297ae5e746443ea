"""``helpers.db.export()``: keep results on purpose.

A Python call, not SQL: the guard still refuses ``ATTACH`` and ``VACUUM
INTO``. A ``.db`` is copied through SQLite's online backup API from the
kernel's own connection; ``.parquet`` (pyarrow) and ``.csv`` hold one table.
The file is written next to the target and moved into place, never over an
existing file unless asked.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .._ddl import quote

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["FORMATS", "Exported", "export"]

#: File extension -> format, for ``format=None``.
FORMATS = {
    ".db": "sqlite",
    ".sqlite": "sqlite",
    ".sqlite3": "sqlite",
    ".parquet": "parquet",
    ".csv": "csv",
}
#: Rows per fetch of the CSV writer: constant memory.
CHUNK_ROWS = 10_000


class Exported(NamedTuple):
    """What :func:`export` wrote: the file (absolute) and its size in bytes."""

    path: Path
    size_bytes: int


def _format(path: Path, format: str | None) -> str:
    if format is not None:
        fmt = str(format).lower()
        if fmt not in ("sqlite", "parquet", "csv"):
            raise ValueError(f"format must be 'sqlite', 'parquet' or 'csv', got {format!r}")
        return fmt
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the format from {path.name!r}: use a name ending in"
            f" {', '.join(FORMATS)}, or pass format='sqlite'|'parquet'|'csv'"
        )
    return fmt


def _names(user_tables: list[str], tables: str | Sequence[str] | None) -> list[str] | None:
    if tables is None:
        return None
    names = [tables] if isinstance(tables, str) else list(tables)
    have = {t.lower(): t for t in user_tables}
    missing = [t for t in names if not isinstance(t, str) or t.lower() not in have]
    if missing:
        listed = ", ".join(map(repr, missing))
        raise ValueError(f"no such table(s): {listed}; tables: {sorted(have.values())}")
    if not names:
        raise ValueError("tables is empty; pass None for every table")
    return [have[t.lower()] for t in names]


def _place(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished file into place; without ``overwrite``, never replace one."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic, and fails if ``path`` appeared meanwhile
    except FileExistsError:
        raise FileExistsError(
            f"{path} exists; pass overwrite=True to replace it, or choose another name"
        ) from None
    os.unlink(tmp)


def export(
    connection: Connection,
    user_tables: list[str],
    path: str | os.PathLike,
    *,
    tables: str | Sequence[str] | None = None,
    format: str | None = None,
    overwrite: bool = False,
    flush_log: Callable[[], object] = lambda: None,
) -> Exported:
    """See :meth:`Database.export`. ``user_tables``: the session's tables now;
    ``flush_log`` writes the buffered execution log (called before a copy)."""
    path = Path(os.path.abspath(Path(os.fspath(path)).expanduser()))
    if path.is_dir():
        example = path / "data.db"
        raise IsADirectoryError(f"{path} is a directory; name a file in it, e.g. {example}")
    fmt = _format(path, format)
    names = _names(user_tables, tables)
    if fmt != "sqlite":
        if names is None:
            if len(user_tables) != 1:
                raise ValueError(
                    f"{fmt} holds one table; name it: tables='...' (tables: {user_tables})"
                )
            names = user_tables
        if len(names) != 1:
            raise ValueError(f"{fmt} holds one table; got {len(names)}: {names}")
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} exists; pass overwrite=True to replace it, or choose another name"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"no directory {path.parent} to write {path.name} into")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        if fmt == "sqlite":
            _export_sqlite(connection, flush_log, tmp, names)
        elif fmt == "parquet":
            _export_parquet(connection, tmp, names[0])
        else:
            _export_csv(connection, tmp, names[0])
        _place(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return Exported(path, path.stat().st_size)


def _export_sqlite(
    c: Connection, flush_log: Callable[[], object], tmp: Path, names: list[str] | None
) -> None:
    # The kernel's own connection is the source, under its lock: no call of
    # this kernel writes meanwhile, and the backup (one step) reads one
    # snapshot while other kernels on the same session go on writing (WAL).
    dest = sqlite3.connect(tmp)
    try:
        with c.lock:
            c.get()
            flush_log()
            with c.internal() as conn:
                conn.backup(dest)
        # A standalone file: no -wal/-shm next to it.
        dest.execute("PRAGMA journal_mode=DELETE")
        if names is not None:
            keep = {n.lower() for n in names}
            for (t,) in dest.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
                " AND name NOT LIKE '\\_codemode\\_%' ESCAPE '\\'"
            ).fetchall():
                if t.lower() not in keep:
                    dest.execute(f"DROP TABLE {quote(t)}")
            dest.execute("VACUUM")
    finally:
        dest.close()


def _read_frame(c: Connection, table: str) -> Any:
    import pandas as pd

    with c.lock, c.internal() as conn:
        return pd.read_sql_query(c.tagged(f"SELECT * FROM {quote(table)}"), conn)


def _export_parquet(c: Connection, tmp: Path, table: str) -> None:
    import pyarrow as pa

    frame = _read_frame(c, table)
    try:
        frame.to_parquet(tmp, engine="pyarrow", index=False)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise ValueError(
            f"table {table!r} cannot be written as Parquet ({exc}); a column probably holds"
            " values of mixed types (SQLite allows it). Export it as .csv or .db, or CAST the"
            " column in a new table first"
        ) from None


def _export_csv(c: Connection, tmp: Path, table: str) -> None:
    # Streamed: constant memory. NULL is an empty field; a BLOB is its hex text.
    with c.lock, c.internal() as conn, open(tmp, "w", newline="", encoding="utf-8") as f:
        cur = conn.execute(c.tagged(f"SELECT * FROM {quote(table)}"))
        writer = csv.writer(f)
        writer.writerow([d[0] for d in cur.description])
        while rows := cur.fetchmany(CHUNK_ROWS):
            writer.writerows(
                [tuple(v.hex() if isinstance(v, bytes) else v for v in r) for r in rows]
            )
