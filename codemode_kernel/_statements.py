"""What a statement is, before any policy: SQLite's split, and its placeholders.

Statements are split with SQLite's own notion of a complete statement
(``sqlite3.complete_statement``), not sqlglot's.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Mapping, Sequence

__all__ = ["Statement", "check_params", "split_statements"]


@dataclasses.dataclass(frozen=True)
class Statement:
    """One classified statement of a SQL text."""

    kind: str  #: e.g. "SELECT", "INSERT", "CREATE TABLE"
    text: str  #: the statement's own text, as sent to SQLite
    offset: int  #: where it starts in the original text
    returns_rows: bool  #: SELECT/VALUES, or a write with RETURNING
    positional: int  #: number of ``?`` placeholders
    named: frozenset[str]  #: names of ``:name`` placeholders
    tables: frozenset[str] = frozenset()  #: tables read or written (lower case)


def split_statements(sql: str) -> list[tuple[int, str]]:
    """Split a script into (offset, text) pieces the way SQLite would.

    A piece ends at a ``;`` after which ``sqlite3.complete_statement`` holds.
    Pieces that are only whitespace, comments or ``;`` are dropped.
    """
    pieces: list[tuple[int, str]] = []
    start = 0
    for m in re.finditer(";", sql):
        end = m.end()
        if sqlite3.complete_statement(sql[start:end]):
            pieces.append((start, sql[start:end]))
            start = end
    if sql[start:].strip():
        pieces.append((start, sql[start:]))
    out = []
    for off, txt in pieces:
        if _is_blank(txt):
            continue
        # Positions in messages point at the statement's first token.
        lead = _LEADING_BLANK.match(txt).end()
        out.append((off + lead, txt[lead:]))
    return out


_LEADING_BLANK = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_BLANK = re.compile(r"(?:\s+|;|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)


def _is_blank(text: str) -> bool:
    return _BLANK.fullmatch(text) is not None


def check_params(stmt: Statement, params: object, n: int = 1) -> None:
    """Check that ``params`` fits the statement's placeholders (before SQLite)."""
    label = f"statement {n}" if n > 1 else "the statement"
    if params is None:
        if stmt.positional or stmt.named:
            need = (
                f"{stmt.positional} ? value(s)"
                if stmt.positional
                else (", ".join(":" + x for x in sorted(stmt.named)))
            )
            raise ValueError(f"{label} has placeholders ({need}) but no params were given")
        return
    if isinstance(params, Mapping):
        if stmt.positional:
            raise TypeError(
                f"{label} uses ? placeholders, which take a sequence (list/tuple), not a dict;"
                " use :name placeholders with a dict"
            )
        missing = sorted(stmt.named - set(params))
        if missing:
            raise ValueError(f"missing value for parameter {', '.join(':' + m for m in missing)}")
        return
    if isinstance(params, str | bytes) or not isinstance(params, Sequence):
        raise TypeError(
            f"params must be a sequence for ? or a dict for :name, got {type(params).__name__}"
        )
    if stmt.named:
        raise TypeError(
            f"{label} uses :name placeholders ({', '.join(':' + x for x in sorted(stmt.named))}),"
            " which take a dict, not a sequence"
        )
    if len(params) != stmt.positional:
        raise ValueError(
            f"{label} has {stmt.positional} ? placeholder(s) but {len(params)} value(s) were given"
        )
