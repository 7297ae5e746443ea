"""What a statement is, before any policy: SQLite's split, and its parameters.

Statements are split by SQLite's own tokenizer rules (``_sqltokens``: where
``sqlite3.complete_statement`` would split, in one linear pass), not
sqlglot's. Parameters are SQLite's own tokens, numbered as SQLite numbers
them; ``_params`` checks and binds them.
"""

from __future__ import annotations

import dataclasses

from . import _sqltokens
from ._sqltokens import Param

__all__ = ["Statement", "split_statements"]


@dataclasses.dataclass(frozen=True)
class Statement:
    """One classified statement of a SQL text."""

    kind: str  #: e.g. "SELECT", "INSERT", "CREATE TABLE"; "?" until SQLite compiles it
    text: str  #: the statement's own text, as sent to SQLite
    offset: int  #: where it starts in the original text
    returns_rows: bool  #: SELECT/VALUES, or a write with RETURNING (sqlglot's view)
    positional: int  #: number of distinct ``?``/``?NNN`` parameters
    named: frozenset[str]  #: keys of ``:name``/``@name``/``$name`` parameters (no prefix)
    tables: frozenset[str] = frozenset()  #: tables read or written (lower case)
    params: tuple[Param, ...] = ()  #: every parameter token, numbered as SQLite does
    count: int = 0  #: sqlite3_bind_parameter_count (the largest parameter index)
    engine_only: bool = False  #: sqlglot could not judge it; only SQLite did
    parse_error: tuple[int, int] | None = None  #: sqlglot's (line, col) of a parse failure


def split_statements(sql: str) -> list[tuple[int, str]]:
    """Split a script into (offset, text) pieces the way SQLite would."""
    return [(p.offset, p.text) for p in _sqltokens.split(sql)]
