"""SQLite limits set on every session connection (docs/guard.md lists them)."""

from __future__ import annotations

from ._sqltext import MAX_SQL_CHARS

__all__ = ["LIMITS", "TEMP_PRAGMAS"]

#: ``Connection.setlimit`` values. Each bounds something a single statement
#: could otherwise make unbounded; the reasons are in docs/guard.md.
LIMITS = {
    # One string/blob: 1 MiB. No single SQLite function call then runs long
    # (replace()/instr() are O(n*m): ~8 s at 1 MiB, half an hour at 16 MiB;
    # the two-argument trim family is replaced by linear versions, db/_functions.py).
    "SQLITE_LIMIT_LENGTH": 1024 * 1024,
    "SQLITE_LIMIT_SQL_LENGTH": MAX_SQL_CHARS,  # one SQL text: 1 MB
    "SQLITE_LIMIT_EXPR_DEPTH": 100,  # 10 breaks real analytics; 100 does not
    "SQLITE_LIMIT_LIKE_PATTERN_LENGTH": 1_000,  # long patterns run for a minute in one VM step
    "SQLITE_LIMIT_ATTACHED": 0,  # also stops VACUUM INTO
    "SQLITE_LIMIT_COMPOUND_SELECT": 500,
    "SQLITE_LIMIT_VARIABLE_NUMBER": 32_766,
    # A compiled program of more instructions fails at prepare, which neither
    # the progress handler nor interrupt() can stop (issue 17, kind 10). The
    # largest Spider query compiles to ~300; a 1 MB INSERT ... VALUES to ~600k.
    "SQLITE_LIMIT_VDBE_OP": 1_000_000,
    "SQLITE_LIMIT_COLUMN": 2_000,  # SQLite's default, stated
    "SQLITE_LIMIT_FUNCTION_ARG": 127,  # SQLite's default, stated
}

#: Temporary storage: sorts and materialised subqueries stay in memory, so
#: nothing grows under /var/tmp outside the quota; the process-wide SQLite heap
#: cap (``PRAGMA hard_heap_limit``, bytes) bounds that memory. The pragma can
#: only lower the cap, never raise it, so it holds for the kernel's lifetime
#: (and for any other sqlite3 connection the same process opens).
TEMP_PRAGMAS = {"temp_store": "MEMORY", "hard_heap_limit": 1024**3}
