"""The first check of every user SQL text, before anything parses it.

A 4 MB ``%%sql`` cell took 2.25 GB of memory to parse before it was refused
as too long, so every path that parses user text (``helpers.db`` calls, the
magics, ``browse``, ``create_table``, the builders' ``where=``) calls
:func:`check_sql_text` first: refusing an oversized text then costs nothing.
"""

from __future__ import annotations

from .errors import QueryTimeoutError

__all__ = ["MAX_SQL_CHARS", "QUICK_TO_PARSE", "check_sql_text", "parse_timeout"]

#: Most characters of one SQL text (SQLITE_LIMIT_SQL_LENGTH is set to the same).
MAX_SQL_CHARS = 1_000_000
#: Texts up to this long parse in milliseconds: no parse deadline is armed for them.
QUICK_TO_PARSE = 2_000


def check_sql_text(sql: object, max_length: int = MAX_SQL_CHARS, what: str = "SQL") -> str:
    """``sql`` if it may be parsed: TypeError unless a str, ValueError for more
    than ``max_length`` characters or a NUL byte."""
    if sql is None or not isinstance(sql, str):
        hint = "; decode it first (sql.decode())" if isinstance(sql, bytes) else ""
        raise TypeError(f"{what} must be a str, got {type(sql).__name__}{hint}")
    if len(sql) > max_length:
        raise ValueError(
            f"{what} is {len(sql):,} characters; the limit is {max_length:,}."
            " Pass data as params or with batch_insert() instead of inlining it"
        )
    if "\x00" in sql:
        raise ValueError(f"{what} contains a NUL byte at position {sql.index(chr(0))}")
    return sql


def parse_timeout(length: int, timeout: float) -> QueryTimeoutError:
    """The error of a text whose checking ran past ``query_timeout``."""
    return QueryTimeoutError(
        f"checking this {length:,}-character SQL text took longer than"
        f" query_timeout={timeout:g} s and was stopped. Pass data as params or with"
        " batch_insert() instead of inlining it, or raise the limit with"
        " helpers.db.set_limits(query_timeout=...)"
    )
