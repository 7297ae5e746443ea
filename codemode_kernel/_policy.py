"""The SQL policy, in one place: what is allowed, what is refused, and what to say.

The parser layer (:mod:`._guard`), the engine layer (:mod:`._authorizer`) and
``helpers.docs()`` all read it from here, so the three cannot drift apart.
docs/guard.md explains it.
"""

from __future__ import annotations

from .errors import SQLBlockedError

__all__ = [
    "ALLOWED",
    "ALLOWED_KINDS",
    "FORBIDDEN_FUNCTIONS",
    "FORBIDDEN_TABLES",
    "HINTS",
    "REFUSED",
    "REFUSED_FIRST_WORDS",
    "RESERVED_PREFIX",
    "RESERVED_TABLES",
    "SUMMARY",
    "blocked",
    "caret",
    "hint",
    "is_reserved",
    "position",
]

#: The statement kinds the parser layer lets through (``Statement.kind``).
ALLOWED_KINDS = frozenset(
    {
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE TABLE",
        "CREATE INDEX",
        "DROP TABLE",
        "DROP INDEX",
        "ALTER TABLE",
    }
)
#: Functions refused anywhere in a statement (parser) and at prepare (engine).
FORBIDDEN_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "sqlite_compileoption_get"})
#: Virtual tables that expose internals (pragma_* is matched by prefix).
FORBIDDEN_TABLES = frozenset({"sqlite_stmt", "dbstat", "sqlite_dbpage"})
#: The kernel's bookkeeping tables: readable, never writable by users.
RESERVED_TABLES = frozenset({"_codemode_state", "_codemode_log", "_codemode_meta"})
RESERVED_PREFIX = "_codemode_"

#: What to do instead, by refused statement kind.
HINTS = {
    "PRAGMA": "use helpers.db.schema(), helpers.db.tables() or helpers.db.get_metrics()",
    "TRANSACTION": "every helpers.db call is already one atomic transaction; "
    "pass several statements to one helpers.db.exec() call",
    "ATTACH": "all data lives in the session database; load other data with "
    "helpers.db.batch_insert()",
    "EXPLAIN": "use helpers.db.explain(sql) for the query plan",
    "VACUUM": "the kernel manages the database file; delete rows or drop tables to free space",
    "VIEW": "store the query in Python, or materialise it with CREATE TABLE … AS SELECT",
    "TRIGGER": "run the follow-up statements in the same helpers.db.exec() script",
    "VIRTUAL TABLE": "virtual tables are not available in the session database",
    "ANALYZE": "the kernel manages statistics",
    "REINDEX": "indexes are maintained automatically",
    "SAVEPOINT": "every helpers.db call is already one atomic transaction; "
    "pass several statements to one helpers.db.exec() call",
    "DETACH": "all data lives in the session database",
    "TEMP": "the session database is itself temporary: create an ordinary table (and drop it"
    " when done); TEMP objects would live outside the size quota",
}

#: Statements refused by their first keyword, before any parsing (so a form
#: sqlglot cannot parse, ``RELEASE SAVEPOINT x``, is still named): word -> kind.
REFUSED_FIRST_WORDS = {
    "PRAGMA": "PRAGMA",
    "BEGIN": "TRANSACTION",
    "COMMIT": "TRANSACTION",
    "END": "TRANSACTION",
    "ROLLBACK": "TRANSACTION",
    "SAVEPOINT": "TRANSACTION",
    "RELEASE": "TRANSACTION",
    "ATTACH": "ATTACH",
    "DETACH": "ATTACH",
    "VACUUM": "VACUUM",
    "REINDEX": "REINDEX",
    "ANALYZE": "ANALYZE",
    "EXPLAIN": "EXPLAIN",
}

#: The allowed statements, in words.
ALLOWED = (
    "SELECT/WITH/VALUES, INSERT (OR REPLACE, UPSERT, RETURNING), UPDATE, DELETE,"
    " CREATE/DROP TABLE, CREATE/DROP INDEX, ALTER TABLE"
)
#: What users ask for most that is refused, in words (Markdown).
REFUSED = (
    "PRAGMA (use `helpers.db.schema()`), ATTACH, BEGIN/COMMIT, triggers, views, virtual tables"
)
#: The one summary sentence every refusal ends with.
SUMMARY = f"Allowed: {ALLOWED}."


def hint(kind: str) -> str:
    """What to do instead of a refused statement of ``kind`` ("" if nothing to say)."""
    upper = kind.upper()
    if upper in HINTS:
        return HINTS[upper]
    if "TEMP" in upper.split() or upper.endswith(" IN TEMP"):
        return HINTS["TEMP"]
    if upper.startswith(("CREATE VIRTUAL", "DROP VIRTUAL")):
        return HINTS["VIRTUAL TABLE"]
    return HINTS.get(upper.split()[-1], "") if upper.split() else ""


def is_reserved(name: str) -> bool:
    """True for names users may not create or write: ``sqlite_*`` and ``_codemode_*``."""
    low = name.lower()
    return low.startswith("sqlite_") or low.startswith(RESERVED_PREFIX)


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
    return SQLBlockedError(msg + " " + SUMMARY)
