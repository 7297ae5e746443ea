"""SQLite's compile as the judge of each user statement (see ``_compile``).

Every statement is compiled by SQLite under the authorizer before it runs;
its kind, whether it writes and whether it returns rows come from there.
After a CREATE/ALTER TABLE, what the authorizer cannot see is checked inside
the call's transaction.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import _compile
from .._guard import forbidden_call
from .._policy import RESERVED_PREFIX, RESERVED_TABLES, SUMMARY
from .._sqltokens import leading_words
from .._statements import Statement
from ..errors import LimitExceededError, SQLBlockedError, SQLSyntaxError

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["Judge"]


class Judge:
    """The compile step for one connection. ``enabled = False`` only in the
    tests that prove the run-time authorizer alone."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.enabled = True

    def compiled(self, stmt: Statement, full: str, n: int = 1) -> _compile.Compiled | None:
        """SQLite's compile of ``stmt`` (None when disabled); raises the guard's
        typed errors, or SQLite's own (e.g. ``no such table``)."""
        if not self.enabled:
            return None
        c = self.connection
        with c.lock:
            return _compile.compile_statement(c.get(), c.authorizer, stmt, full, n)

    def shape(self, stmt: Statement, full: str) -> tuple[str, bool]:
        """(kind, returns rows) as SQLite's compile says (the parser's when disabled)."""
        compiled = self.compiled(stmt, full)
        if compiled is None:
            return stmt.kind, stmt.returns_rows
        return compiled.kind, compiled.returns_rows

    @staticmethod
    def log_kind(kind: str, stmts: Sequence[Statement]) -> str:
        """The log's kind of a call; notes one that only SQLite (not sqlglot) could judge."""
        return f"{kind} (engine-judged)" if any(s.engine_only for s in stmts) else kind

    def runner(self, full: str) -> Callable[[Statement, Any, int], sqlite3.Cursor]:
        """:meth:`run` for the statements of ``full`` (for ``_results.run_each``)."""
        return lambda stmt, params, n: self.run(stmt, params, full, n)

    def prejudge(self, stmts: Sequence[Statement], full: str) -> None:
        """Compile every statement before anything runs. A statement that needs
        an earlier one's table is judged again just before it runs."""
        for n, stmt in enumerate(stmts, 1):
            try:
                self.compiled(stmt, full, n)
            except (SQLBlockedError, SQLSyntaxError, LimitExceededError):
                raise
            except sqlite3.Error:
                continue

    def kind_of(self, stmt: Statement, full: str, n: int = 1) -> str:
        """The statement's kind as SQLite's compile says (the parser's when disabled)."""
        compiled = self.compiled(stmt, full, n)
        return compiled.kind if compiled is not None else stmt.kind

    def as_compiled(self, stmt: Statement, full: str, n: int = 1) -> Statement:
        """``stmt`` with the kind SQLite's compile gives it."""
        return dataclasses.replace(stmt, kind=self.kind_of(stmt, full, n))

    def writes(self, stmts: Sequence[Statement], full: str) -> bool:
        """Whether any statement may write (one not compiled yet counts as a write)."""
        for n, stmt in enumerate(stmts, 1):
            try:
                if self.kind_of(stmt, full, n) != "SELECT":
                    return True
            except sqlite3.Error:
                return True
        return False

    def run(self, stmt: Statement, params: Any, full: str, n: int = 1) -> sqlite3.Cursor:
        """Judge ``stmt``, run it, then check the schema after a CREATE/ALTER TABLE."""
        compiled = self.compiled(stmt, full, n)
        cur = self.connection.execute(stmt.text, params)
        ddl = (
            compiled.kind in ("CREATE TABLE", "ALTER TABLE")
            if compiled is not None
            else leading_words(stmt.text, 1) in (["CREATE"], ["ALTER"])
        )
        if ddl:
            self.check_schema()
        return cur

    def check_schema(self) -> None:
        """What the authorizer cannot see: it is shown a rename's old name only,
        and never a DEFAULT expression (and sqlglot may not have parsed it)."""
        rows = self.connection.run_internal(
            "SELECT m.name, x.name, x.dflt_value FROM main.sqlite_master AS m"
            " LEFT JOIN pragma_table_xinfo(m.name) AS x ON x.dflt_value IS NOT NULL"
            " WHERE m.type = 'table'"
        )
        for table, column, default in rows:
            low = table.lower()
            if low.startswith(RESERVED_PREFIX) and low not in RESERVED_TABLES:
                raise SQLBlockedError(
                    f"renaming a table to {table} is not allowed: _codemode_* and sqlite_*"
                    " names are reserved for the kernel. Choose another name"
                )
            bad = forbidden_call(default) if default is not None else None
            if bad:
                raise SQLBlockedError(
                    f"function {bad}() is not allowed, and column {column} of {table} would"
                    f" call it as its DEFAULT: it can load code or leak memory. {SUMMARY}"
                )
