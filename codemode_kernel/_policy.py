"""The guard's policy: one place for what both layers allow and refuse."""

from __future__ import annotations

from .errors import SQLBlockedError

__all__ = [
    "ALLOWED",
    "FORBIDDEN_FUNCTIONS",
    "FORBIDDEN_TABLES",
    "HINTS",
    "RESERVED_PREFIX",
    "RESERVED_TABLES",
    "blocked",
    "caret",
    "is_reserved",
    "position",
]

#: Functions refused anywhere in a statement (parser) and at prepare (engine).
FORBIDDEN_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "sqlite_compileoption_get"})
#: Virtual tables that expose internals (pragma_* is matched by prefix).
FORBIDDEN_TABLES = frozenset({"sqlite_stmt", "dbstat", "sqlite_dbpage"})
#: The kernel's bookkeeping tables: readable, never writable by users.
RESERVED_TABLES = frozenset({"_codemode_state", "_codemode_log", "_codemode_meta"})
RESERVED_PREFIX = "_codemode_"

#: What to do instead, by the kind of a refused statement (its last word).
HINTS = {
    "PRAGMA": "use helpers.db.schema(), helpers.db.tables() or helpers.db.get_metrics()",
    "TRANSACTION": "every helpers.db call is already one atomic transaction; "
    "pass several statements to one helpers.db.exec() call",
    "SAVEPOINT": "every helpers.db call is already one atomic transaction; "
    "pass several statements to one helpers.db.exec() call",
    "ATTACH": "all data lives in the session database; load other data with "
    "helpers.db.batch_insert()",
    "DETACH": "all data lives in the session database",
    "EXPLAIN": "use helpers.db.explain(sql) for the query plan",
    "VACUUM": "the kernel manages the database file; delete rows or drop tables to free space",
    "VIEW": "store the query in Python, or materialise it with CREATE TABLE … AS SELECT",
    "TRIGGER": "run the follow-up statements in the same helpers.db.exec() script",
    "VIRTUAL TABLE": "virtual tables are not available in the session database",
    "ANALYZE": "the kernel manages statistics",
    "REINDEX": "indexes are maintained automatically",
    "TEMP": "the session database is itself temporary: create an ordinary table (and drop it"
    " when done); TEMP objects would live outside the size quota",
}

ALLOWED = (
    "Allowed: SELECT/WITH/VALUES, INSERT (OR REPLACE, UPSERT, RETURNING), UPDATE,"
    " DELETE, CREATE/DROP TABLE, CREATE/DROP INDEX, ALTER TABLE."
)


def is_reserved(name: str) -> bool:
    """True for names users may not create or write: ``sqlite_*`` and ``_codemode_*``."""
    low = name.lower()
    return low.startswith("sqlite_") or low.startswith(RESERVED_PREFIX)


def hint(kind: str) -> str:
    """The 'what to do instead' for a refused kind ('' if none)."""
    upper = kind.upper()
    if upper in HINTS:
        return HINTS[upper]
    if "TEMP" in upper.split() or upper.endswith(" IN TEMP"):
        return HINTS["TEMP"]
    if upper.startswith("CREATE VIRTUAL") or upper.startswith("DROP VIRTUAL"):
        return HINTS["VIRTUAL TABLE"]
    return HINTS.get(upper.split()[-1], "") if upper.split() else ""


# --- messages: the kind, where it is, what to do instead --------------------


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both 1-based, of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def caret(text: str, line: int, col: int) -> str:
    """The source line and a ``^`` under column ``col``."""
    lines = text.splitlines() or [""]
    src = lines[min(line, len(lines)) - 1]
    return f"  {src}\n  {' ' * max(col - 1, 0)}^"


def blocked(kind: str, full: str, offset: int, n: int, why: str = "") -> SQLBlockedError:
    """A :class:`SQLBlockedError` naming the kind, where it is, and what to do instead."""
    line, col = position(full, offset)
    where = f"statement {n}, line {line}, column {col}"
    msg = f"{kind} is not allowed ({where}){': ' + why if why else ''}."
    instead = hint(kind)
    if instead:
        msg += f" Instead: {instead}."
    return SQLBlockedError(msg + " " + ALLOWED)
