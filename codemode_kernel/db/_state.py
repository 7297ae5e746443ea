"""Key-value state: JSON values under str keys, in ``_codemode_state``.

They survive kernel restarts (the table is in the session's file) and go
with the session when it is deleted.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from .._records import state_json
from ..errors import StateError

if TYPE_CHECKING:
    from .._store import Session
    from ._calls import Calls
    from ._connection import Connection

__all__ = ["SCHEMA", "StateMethods", "check_key", "delete", "encode", "keys", "load", "save"]

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS main._codemode_state ("
    " key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);"
)


def check_key(key: object) -> None:
    """Raise StateError unless ``key`` is a non-empty str."""
    if not isinstance(key, str):
        raise StateError(f"state keys must be str, got {type(key).__name__} ({key!r:.40})")
    if not key:
        raise StateError("state keys must not be empty")


def encode(key: str, value: Any) -> str:
    """``value`` as JSON text; StateError if it cannot be stored."""
    try:
        return state_json(value)
    except (TypeError, ValueError) as exc:
        raise StateError(
            f"state value for {key!r} cannot be stored as JSON ({exc}). Store dicts, lists,"
            " str, int, float, bool or None; put tables in the database instead"
        ) from None


def save(connection: Connection, key: str, text: str) -> None:
    """Insert or replace ``key`` (inside the caller's transaction)."""
    connection.run_internal(
        "INSERT INTO main._codemode_state (key, value, updated) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
        (key, text, time.time()),
    )


def load(connection: Connection, key: str) -> tuple[bool, Any]:
    """(found, value) for ``key``."""
    rows = connection.run_internal("SELECT value FROM main._codemode_state WHERE key = ?", (key,))
    return (True, json.loads(rows[0][0])) if rows else (False, None)


def delete(connection: Connection, key: str) -> int:
    """Delete ``key``; the number of rows deleted (0 or 1)."""
    with connection.lock, connection.internal() as conn:
        return conn.execute(
            connection.tagged("DELETE FROM main._codemode_state WHERE key = ?"), (key,)
        ).rowcount


def keys(connection: Connection) -> list[str]:
    """All keys, sorted."""
    return [
        r[0] for r in connection.run_internal("SELECT key FROM main._codemode_state ORDER BY key")
    ]


class StateMethods:
    """``helpers.db``'s state methods (:class:`~codemode_kernel.db.Database` has them)."""

    connection: Connection
    session: Session
    _calls: Calls

    def save_state(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (datetimes as SQLite's text); it survives restarts."""
        check_key(key)
        text = encode(key, value)
        with (
            self.connection.lock,
            self._calls.call("save_state", f"save_state {key!r}", txn=True, write=True) as call,
        ):
            save(self.connection, key, text)
            call.rows = 1

    def get_state(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` if there is none."""
        check_key(key)
        found, value = load(self.connection, key)
        self.session.touch()
        return value if found else default

    def delete_state(self, key: str) -> bool:
        """Remove ``key``; True if it existed."""
        check_key(key)
        with (
            self.connection.lock,
            self._calls.call("delete_state", f"delete_state {key!r}", txn=True, write=True) as c,
        ):
            c.rows = delete(self.connection, key)
        return c.rows > 0

    def state_keys(self) -> list[str]:
        """All state keys, sorted."""
        return keys(self.connection)

    # camelCase aliases of the seed's API
    saveState = save_state
    getState = get_state
