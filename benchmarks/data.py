"""Shared set-up: session databases, raw connections, records, a JupySQL shell."""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database

__all__ = ["COLUMNS", "fresh_db", "jupysql_shell", "raw_connect", "record", "records"]

#: The 5 columns of every inserted record: INTEGER, TEXT, REAL, INTEGER, INTEGER (bool).
COLUMNS = ("id", "name", "x", "k", "flag")


def record(i: int) -> dict[str, Any]:
    """Record ``i`` (the same for every tool)."""
    return {"id": i, "name": f"name {i}", "x": i * 0.25, "k": i % 97, "flag": i % 2 == 0}


def records(n: int) -> Iterator[dict[str, Any]]:
    return (record(i) for i in range(n))


@contextlib.contextmanager
def fresh_db(**settings: Any) -> Iterator[Database]:
    """A new session database in a temp dir (like tests/conftest.py's ``db``)."""
    with tempfile.TemporaryDirectory(prefix="cmbench-") as tmp:
        s = Settings(data_dir=Path(tmp), **settings)
        session = SessionStore(s.sessions_dir).open("bench")
        db = Database(session, s)
        try:
            db.conn  # noqa: B018 - open it outside the timed part
            yield db
        finally:
            db.close()
            session.release()


def raw_connect(path: str | Path) -> sqlite3.Connection:
    """A stdlib connection with the session database's journal settings.

    Every baseline gets WAL + synchronous=NORMAL, as the session database
    has, so the comparison is of the Python layers, not of fsync policy.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def jupysql_shell(path: str | Path) -> Any:
    """An in-process IPython shell with JupySQL connected to ``path``.

    ``autopandas`` makes ``%sql`` return a DataFrame (the same product as
    ours); connection banners and feedback are off so nothing is printed.
    """
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    with contextlib.redirect_stdout(None), contextlib.redirect_stderr(None):
        shell.run_line_magic("load_ext", "sql")
        shell.run_line_magic("config", "SqlMagic.autopandas = True")
        shell.run_line_magic("config", "SqlMagic.displaycon = False")
        shell.run_line_magic("config", "SqlMagic.feedback = 0")
        shell.run_line_magic("sql", f"sqlite:///{path}")
    return shell
