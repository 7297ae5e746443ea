"""The engine layer of the guard: SQLite's authorizer callback.

It denies inside the engine what the parser layer (:mod:`._guard`) refuses,
so a parser mistake is not a bypass. The policy itself is :mod:`._policy`.
"""

from __future__ import annotations

import sqlite3

from ._policy import (
    FORBIDDEN_FUNCTIONS,
    FORBIDDEN_TABLES,
    RESERVED_PREFIX,
    RESERVED_TABLES,
    SUMMARY,
)
from .errors import SQLBlockedError

__all__ = ["Authorizer", "sqlite_error_to_guard"]


_A = sqlite3
_ALWAYS_DENY = {
    _A.SQLITE_ATTACH: "ATTACH",
    _A.SQLITE_DETACH: "DETACH",
    _A.SQLITE_PRAGMA: "PRAGMA",
    _A.SQLITE_TRANSACTION: "TRANSACTION",
    _A.SQLITE_SAVEPOINT: "SAVEPOINT",
    _A.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
    _A.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TEMP TRIGGER",
    _A.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    _A.SQLITE_DROP_TEMP_TRIGGER: "DROP TEMP TRIGGER",
    _A.SQLITE_CREATE_VIEW: "CREATE VIEW",
    _A.SQLITE_CREATE_TEMP_VIEW: "CREATE TEMP VIEW",
    _A.SQLITE_DROP_VIEW: "DROP VIEW",
    _A.SQLITE_DROP_TEMP_VIEW: "DROP TEMP VIEW",
    _A.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
    _A.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE",
    _A.SQLITE_ANALYZE: "ANALYZE",
}
_DDL = {
    _A.SQLITE_CREATE_TABLE,
    _A.SQLITE_CREATE_INDEX,
    _A.SQLITE_CREATE_TEMP_TABLE,
    _A.SQLITE_CREATE_TEMP_INDEX,
    _A.SQLITE_DROP_TABLE,
    _A.SQLITE_DROP_INDEX,
    _A.SQLITE_DROP_TEMP_TABLE,
    _A.SQLITE_DROP_TEMP_INDEX,
    _A.SQLITE_ALTER_TABLE,
}
_WRITES = {_A.SQLITE_INSERT, _A.SQLITE_UPDATE, _A.SQLITE_DELETE}
_CREATES = {_A.SQLITE_CREATE_TABLE, _A.SQLITE_CREATE_TEMP_TABLE}


class Authorizer:
    """SQLite authorizer enforcing the policy inside the engine.

    State is per statement: call :meth:`begin` before preparing each user
    statement. DDL legitimately writes ``sqlite_sequence`` (DROP, RENAME) and
    CREATE INDEX fires REINDEX, so those are allowed only after the statement
    has fired a DDL action code.
    ``internal = True`` relaxes everything for the kernel's own statements.
    """

    def __init__(self) -> None:
        self.internal = False
        self.denied: str | None = None
        self._ddl = False
        self._index = False

    def begin(self) -> None:
        self.denied = None
        self._ddl = False
        self._index = False

    def _deny(self, what: str) -> int:
        if self.denied is None:
            self.denied = what
        return sqlite3.SQLITE_DENY

    def __call__(self, action: int, arg1, arg2, dbname, source) -> int:
        if self.internal:
            return sqlite3.SQLITE_OK
        if action in _ALWAYS_DENY:
            return self._deny(_ALWAYS_DENY[action])
        if action in _DDL:
            self._ddl = True
            self._index |= action in (_A.SQLITE_CREATE_INDEX, _A.SQLITE_CREATE_TEMP_INDEX)
            table = (
                arg2
                if action
                in (
                    _A.SQLITE_CREATE_INDEX,
                    _A.SQLITE_CREATE_TEMP_INDEX,
                    _A.SQLITE_ALTER_TABLE,
                    _A.SQLITE_DROP_INDEX,
                    _A.SQLITE_DROP_TEMP_INDEX,
                )
                else arg1
            )
            if table and (
                table.lower() in RESERVED_TABLES
                or (action in _CREATES and table.lower().startswith(RESERVED_PREFIX))
            ):
                return self._deny(f"changing {table}")
            return sqlite3.SQLITE_OK
        if action == _A.SQLITE_REINDEX:
            return sqlite3.SQLITE_OK if self._index else self._deny("REINDEX")
        if action == _A.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            if name in FORBIDDEN_FUNCTIONS or name.startswith("pragma_"):
                return self._deny(f"function {name}()")
            return sqlite3.SQLITE_OK
        if action == _A.SQLITE_READ:
            table = (arg1 or "").lower()
            if table in FORBIDDEN_TABLES or table.startswith("pragma_"):
                return self._deny(f"reading {arg1}")
            return sqlite3.SQLITE_OK
        if action in _WRITES:
            table = (arg1 or "").lower()
            if table in RESERVED_TABLES:
                return self._deny(f"writing {arg1}")
            # DDL writes sqlite_sequence (DROP, RENAME) after its own action
            # code; plain DML on sqlite_* has no DDL action. sqlite_master is
            # left to SQLite, which refuses user writes to it (writable_schema
            # is a PRAGMA, and PRAGMA is denied); DDL writes it *before*
            # announcing itself.
            internal_table = table.startswith("sqlite_") and table not in (
                "sqlite_master",
                "sqlite_temp_master",
            )
            if internal_table and not self._ddl:
                return self._deny(f"writing {arg1}")
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK


def sqlite_error_to_guard(exc: sqlite3.DatabaseError, auth: Authorizer, sql: str) -> Exception:
    """Turn 'not authorized' into SQLBlockedError (naming what was denied)."""
    if any(m in str(exc) for m in ("not authorized", "prohibited", "may not be modified")):
        what = auth.denied or "this statement"
        return SQLBlockedError(
            f"{what} is not allowed (refused by the engine-level guard): {sql.strip()[:200]!r}."
            f" {SUMMARY} Use helpers.db.schema() instead of PRAGMA."
        )
    return exc
