"""The SQL policy, in one place: what is allowed, what is refused, and what to say.

The parser layer (:mod:`._guard`), the engine layer (:mod:`._authorizer`) and
``helpers.docs()`` all read it from here, so the three cannot drift apart.
docs/guard.md explains it.
"""

from __future__ import annotations

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
    "hint",
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
    return HINTS.get(kind.split()[-1] if kind not in HINTS else kind, "")
