"""``helpers.db.restore()``: load a ``.db`` written by ``export`` into this session.

A Python call, not SQL: the guard still refuses ``ATTACH``. The file is read
with its own read-only connection; its plain tables, their indexes and the
state are rewritten here through the guard, in one transaction. Nothing in
the file can create a trigger, a view or a ``_codemode_*`` table here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._ddl import quote
from .._guard import classify
from .._policy import RESERVED_PREFIX, RESERVED_TABLES
from ..errors import RestoreError, SQLBlockedError, SQLSyntaxError

if TYPE_CHECKING:
    from .._guard import ParserGuard
    from .._statements import Statement
    from ._connection import Connection

__all__ = ["Restore", "Restored", "prepare"]

#: Rows per read/insert chunk: constant memory.
CHUNK_ROWS = 10_000
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclasses.dataclass
class Restored:
    """What :func:`restore` copied: rows per table, indexes, state keys, and what it left out."""

    source: Path
    tables: dict[str, int]
    indexes: list[str]
    state_keys: list[str]
    #: name -> why it was not copied (views, triggers, virtual tables, ...).
    skipped: dict[str, str]

    def __repr__(self) -> str:
        tables = ", ".join(f"{t} ({n:,} rows)" for t, n in self.tables.items()) or "no tables"
        out = (
            f"Restored from {self.source}: {tables}; {len(self.indexes)} index(es),"
            f" {len(self.state_keys)} state key(s)"
        )
        if self.skipped:
            out += "; not copied: " + "; ".join(f"{k} ({v})" for k, v in self.skipped.items())
        return out


@dataclasses.dataclass
class _Table:
    name: str
    sql: str
    columns: list[str]


def _is_reserved(name: str) -> bool:
    low = name.lower()
    return low.startswith("sqlite_") or low.startswith(RESERVED_PREFIX)


def _one(sql: str | None, kind: str) -> Statement:
    """The statement, if it is exactly one ``kind`` the SQL policy allows."""
    if not isinstance(sql, str):
        raise SQLBlockedError(f"no {kind} statement stored")
    stmts = classify(sql)
    if len(stmts) != 1 or stmts[0].kind != kind:
        raise SQLBlockedError(f"not a single {kind} statement")
    return stmts[0]


def _open_source(path: Path) -> sqlite3.Connection:
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except IsADirectoryError:
        raise RestoreError(f"{path} is a directory; pass a .db file written by export()") from None
    if head != SQLITE_HEADER:
        raise RestoreError(
            f"{path} is not a SQLite database (it lacks the SQLite file header);"
            " restore() takes a .db file written by helpers.db.export(). Nothing was changed"
        )
    src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    # The file's schema is not ours: its CHECK/DEFAULT/generated-column
    # expressions get no access to non-innocuous functions while we read it.
    src.execute("PRAGMA trusted_schema = OFF")
    src.execute("PRAGMA query_only = ON")
    return src


def _plan(src: sqlite3.Connection) -> tuple[list[_Table], list[tuple[str, str, str]], dict]:
    """What to copy: plain tables, their indexes, and what is left out (with why)."""
    skipped: dict[str, str] = {}
    tables: list[_Table] = []
    kinds = {
        name: kind for _schema, name, kind, *_ in src.execute("PRAGMA main.table_list").fetchall()
    }
    refused: list[str] = []
    for name, sql in src.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'table' ORDER BY rowid"
    ).fetchall():
        if _is_reserved(name):
            if name.lower() not in RESERVED_TABLES and not name.lower().startswith("sqlite_"):
                skipped[name] = "reserved name"
            continue
        kind = kinds.get(name, "table")
        if kind != "table":
            skipped[name] = f"{kind} table (only plain tables are copied)"
            continue
        try:
            stmt = _one(sql, "CREATE TABLE")
        except (SQLBlockedError, SQLSyntaxError) as exc:
            refused.append(f"{name!r} ({str(exc).splitlines()[0]})")
            continue
        if stmt.tables != {name.lower()}:
            refused.append(f"{name!r} (its CREATE TABLE reads other tables)")
            continue
        cols = [
            r[1]
            for r in src.execute("SELECT * FROM pragma_table_xinfo(?)", (name,)).fetchall()
            if r[6] == 0  # generated columns are computed, not copied
        ]
        tables.append(_Table(name, sql, cols))
    if refused:
        raise RestoreError(
            "the file holds table(s) the SQL policy cannot recreate: "
            + "; ".join(refused)
            + ". Nothing was changed"
        )
    wanted = {t.name.lower() for t in tables}
    indexes = []
    for name, tbl, sql in src.execute(
        "SELECT name, tbl_name, sql FROM main.sqlite_master WHERE type = 'index' ORDER BY rowid"
    ).fetchall():
        if sql is None or tbl.lower() not in wanted:
            continue  # automatic (PRIMARY KEY/UNIQUE) indexes come with the table
        indexes.append((name, tbl, sql))
    for name, kind in src.execute(
        "SELECT name, type FROM main.sqlite_master WHERE type IN ('view', 'trigger')"
    ).fetchall():
        skipped[name] = f"{kind}s are not copied (the SQL policy refuses them)"
    return tables, indexes, skipped


def _state(src: sqlite3.Connection, skipped: dict) -> list[tuple[str, str, float]]:
    try:
        rows = src.execute("SELECT key, value, updated FROM main._codemode_state").fetchall()
    except sqlite3.OperationalError:
        return []  # no state (or not in our shape): nothing to copy
    good = []
    for key, value, updated in rows:
        try:
            if not isinstance(key, str) or not key or not isinstance(value, str):
                raise ValueError
            json.loads(value)
        except ValueError:
            skipped[f"state {key!r:.40}"] = "not a JSON state value"
            continue
        good.append((key, value, float(updated) if isinstance(updated, int | float) else 0.0))
    return good


class Restore:
    """One restore: the file checked and planned (:func:`prepare`), then copied
    (:meth:`copy`, inside the caller's one write transaction). Close it after."""

    def __init__(
        self,
        src: sqlite3.Connection,
        tables: list[_Table],
        indexes: list[tuple[str, str, str]],
        state: list[tuple[str, str, float]],
        here: dict[str, str],
        result: Restored,
    ) -> None:
        self.src = src
        self.tables = tables
        self.indexes = indexes
        self.state = state
        self.here = here  # lower-case name -> name, of the tables this session has
        self.result = result

    def close(self) -> None:
        self.src.close()

    def copy(self, c: Connection, parser_guard: ParserGuard, query_timeout: float) -> int:
        """The writes, through the parser guard and the engine-level
        authorizer of ``c``; returns the number of rows copied."""

        def run_built(sql: str) -> None:
            parser_guard.check_built(sql)
            c.execute(sql).close()

        total = 0
        for t in self.tables:
            if t.name.lower() in self.here:
                run_built(f"DROP TABLE {quote(self.here[t.name.lower()])}")
            run_built(t.sql)
            cols = ", ".join(quote(col) for col in t.columns)
            marks = ", ".join("?" * len(t.columns))
            insert = f"INSERT INTO {quote(t.name)} ({cols}) VALUES ({marks})"
            cur = self.src.execute(f"SELECT {cols} FROM main.{quote(t.name)}")
            n = 0
            while rows := cur.fetchmany(CHUNK_ROWS):
                # query_timeout bounds each chunk, as in batch_insert.
                c.restart_deadline(query_timeout)
                c.executemany(insert, rows)
                n += len(rows)
            self.result.tables[t.name] = n
            total += n
        for name, _tbl, sql in self.indexes:
            try:
                _one(sql, "CREATE INDEX")
                run_built(sql)
                self.result.indexes.append(name)
            except (SQLBlockedError, SQLSyntaxError, sqlite3.DatabaseError) as exc:
                # One failed statement is undone alone; the rest goes on.
                self.result.skipped[name] = f"index not recreated: {str(exc).splitlines()[0]}"
        with c.internal() as conn:
            conn.executemany(
                c.tagged(
                    "INSERT INTO main._codemode_state (key, value, updated) VALUES (?, ?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
                    " updated = excluded.updated"
                ),
                self.state,
            )
        return total


def prepare(
    path: str | os.PathLike,
    *,
    own_path: str | os.PathLike,
    user_tables: list[str],
    state_here: dict[str, Any],
    replace: bool,
) -> Restore:
    """Check ``path`` and plan its restore into a session whose database is
    ``own_path``, with ``user_tables`` and state ``state_here``; RestoreError
    (nothing changed) if it cannot be restored. See :meth:`Database.restore`."""
    path = Path(os.fspath(path)).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no file {path}")
    with contextlib.suppress(OSError):
        if os.path.samefile(path, own_path):
            raise RestoreError(f"{path} is this session's own database; restore another file")
    src = _open_source(path)
    try:
        try:
            tables, indexes, skipped = _plan(src)
            state = _state(src, skipped)
        except sqlite3.DatabaseError as exc:
            raise RestoreError(
                f"{path} cannot be read as a SQLite database ({exc}). Nothing was changed"
            ) from None
        here = {t.lower(): t for t in user_tables}
        clash = [t.name for t in tables if t.name.lower() in here]
        if clash and not replace:
            raise RestoreError(
                f"table(s) {', '.join(map(repr, clash))} exist in this session already; pass"
                " replace=True to replace them, or drop or rename them first. Nothing was changed"
            )
        differ = [k for k, v, _ in state if k in state_here and state_here[k] != json.loads(v)]
        if differ and not replace:
            raise RestoreError(
                f"state key(s) {', '.join(map(repr, differ))} hold other values here; pass"
                " replace=True to overwrite them. Nothing was changed"
            )
    except BaseException:
        src.close()
        raise
    result = Restored(path, {}, [], [k for k, _, _ in state], skipped)
    return Restore(src, tables, indexes, state, here, result)
