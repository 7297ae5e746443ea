"""The SQL guard: SQLite judges what a statement is; sqlglot explains.

Three checks, one policy (:mod:`._policy`):

1. **Parser layer** (:func:`classify`, cached by SQL text). Statements are
   split by SQLite's own tokenizer rules (:mod:`._sqltokens`, one linear
   pass). A statement whose leading keywords name a refused kind (PRAGMA,
   BEGIN, ATTACH, VACUUM, CREATE TEMP/VIEW/TRIGGER/VIRTUAL, ...) is refused
   with a message that says what to do instead. sqlglot then gives a second
   opinion: a statement it parses into a refused kind, or with a forbidden
   function or table anywhere in its tree, or writing a reserved table, is
   refused. Where sqlglot cannot parse a statement (or parses it into its
   generic ``Command``), it says nothing: **a sqlglot gap never refuses valid
   SQLite**, and user text is never rewritten to get an opinion.
2. **Compile step** (:mod:`._compile`): SQLite itself compiles every
   statement (``EXPLAIN <stmt>``: prepared, never run) under the authorizer,
   which records every action code. The statement's kind, whether it writes
   and whether it returns rows come from SQLite, and a statement SQLite
   cannot parse is a :class:`SQLSyntaxError` with SQLite's own message.
3. **Engine layer** (:class:`Authorizer`): the same authorizer judges the
   statement again when it runs, so no parser mistake is a bypass.
"""

from __future__ import annotations

import functools
import itertools
import sys
import time

from . import _sqltokens
from ._alarm import python_deadline
from ._policy import (
    FORBIDDEN_FUNCTIONS,
    REFUSED_FIRST_WORDS,
    blocked,
    is_reserved,
)
from ._sqlglot_opinion import check_tree, opinion, rename_target, targets
from ._sqltext import MAX_SQL_CHARS, QUICK_TO_PARSE, check_sql_text, parse_timeout
from ._statements import Statement

__all__ = [
    "SQLGLOT_BUDGET_S",
    "EngineOnly",
    "ParserGuard",
    "classify",
    "forbidden_call",
]


def forbidden_call(text: str) -> str | None:
    """The first forbidden function called in ``text`` (SQLite's tokens), or None.

    A call is a function name (bare or quoted) followed by ``(``.
    """
    toks = [t for t in _sqltokens.tokenize(text) if not t.blank]
    for a, b in itertools.pairwise(toks):
        if a.kind in ("word", "qid") and text[b.start : b.end] == "(":
            name = text[a.start : a.end]
            name = name[1:-1] if a.kind == "qid" else name
            if name.lower() in FORBIDDEN_FUNCTIONS:
                return name.lower()
    return None


# --- the leading keywords: SQLite's grammar names the statement -------------

_KIND_BY_WORDS = {
    "SELECT": "SELECT",
    "VALUES": "SELECT",
    "INSERT": "INSERT",
    "REPLACE": "INSERT",
    "UPDATE": "UPDATE",
    "DELETE": "DELETE",
}


def _kind_from_words(words: list[str], full: str, offset: int, n: int) -> str:
    """The kind SQLite's grammar gives the leading keywords; refuse refused kinds.

    In SQLite's grammar the first keyword (two for CREATE/DROP/ALTER) decides
    the statement, so this is exact; ``WITH`` is resolved by the compile step.
    """
    first = words[0] if words else ""
    if first in REFUSED_FIRST_WORDS:
        raise blocked(REFUSED_FIRST_WORDS[first], full, offset, n)
    if first in ("CREATE", "DROP"):
        rest = words[1:]
        if rest and rest[0] in ("TEMP", "TEMPORARY"):
            what = rest[1] if len(rest) > 1 else "TABLE"
            raise blocked(
                f"{first} TEMP {what}", full, offset, n, "TEMP objects escape the size quota"
            )
        if rest and rest[0] == "UNIQUE":
            rest = rest[1:]
        obj = rest[0] if rest else ""
        if obj in ("TABLE", "INDEX"):
            return f"{first} {obj}"
        if obj == "VIRTUAL":
            raise blocked(f"{first} VIRTUAL TABLE", full, offset, n)
        raise blocked(f"{first} {obj or '?'}", full, offset, n)
    if first == "ALTER":
        return "ALTER TABLE" if words[1:2] == ["TABLE"] else "?"
    return _KIND_BY_WORDS.get(first, "?")


@functools.lru_cache(maxsize=4096)
def classify(sql: str) -> tuple[Statement, ...]:
    """Split and classify ``sql``; raise :class:`SQLBlockedError`.

    Cached by text (LRU, 4,096 entries): a repeated query costs a dict lookup.
    Syntax is judged by SQLite in the compile step, not here. The size is
    checked first (:func:`~codemode_kernel._sqltext.check_sql_text`).
    """
    check_sql_text(sql)
    limit = sys.getrecursionlimit()
    # sqlglot recurses ~20 frames per nesting level; SQLite's own expression
    # depth limit (100) stays the real bound. Restored afterwards, so user
    # code keeps its own limit.
    sys.setrecursionlimit(max(limit, 5000))
    try:
        pieces = _sqltokens.split(sql)
        deadline = time.monotonic() + SQLGLOT_BUDGET_S
        return tuple(
            _classify_one(p, sql, n, time.monotonic() < deadline) for n, p in enumerate(pieces, 1)
        )
    finally:
        sys.setrecursionlimit(limit)


#: Seconds of sqlglot parsing one classify() call may spend. sqlglot takes
#: ~0.5 ms per statement: a 1 MB script of 100,000 statements would take a
#: minute. Past the budget the remaining statements get no sqlglot opinion
#: (their leading keywords are still checked) and SQLite alone judges them,
#: as for any statement sqlglot cannot parse; the log says "engine-judged".
SQLGLOT_BUDGET_S = 1.0


def _classify_one(piece: _sqltokens.Piece, full: str, n: int, ask: bool = True) -> Statement:
    text, offset = piece.text, piece.offset
    words = _sqltokens.leading_words(text)
    kind = _kind_from_words(words, full, offset, n)
    (tkind, is_write, tree), where = (
        opinion(text, full, offset, n) if ask else ((None, False, None), None)
    )
    tables: frozenset[str] = frozenset()
    returns = kind in ("SELECT", "?")
    if tree is not None:
        check_tree(tree, full, offset, n)
        if is_write:
            for target in targets(tree):
                if is_reserved(target):
                    raise blocked(
                        f"{tkind} on {target}",
                        full,
                        offset,
                        n,
                        "sqlite_* and _codemode_* tables are read-only",
                    )
            renamed = rename_target(tree)
            if renamed and is_reserved(renamed):
                raise blocked(
                    f"renaming a table to {renamed}",
                    full,
                    offset,
                    n,
                    "sqlite_* and _codemode_* names are reserved",
                )
        from sqlglot import exp

        kind = tkind if kind == "?" else kind
        returns = not is_write or tree.args.get("returning") is not None
        tables = frozenset(t.name.lower() for t in tree.find_all(exp.Table) if t.name)
    numbered = {p.index for p in piece.params if p.text[0] == "?"}
    named = frozenset(p.name for p in piece.params if p.text[0] != "?" and p.name)
    return Statement(
        kind,
        text,
        offset,
        returns,
        len(numbered),
        named,
        tables,
        piece.params,
        piece.count,
        tree is None,
        where,
    )


class ParserGuard:
    """The parser layer as :class:`~codemode_kernel.db.Database` calls it.

    This object is the guard's seam: the tests that prove the engine layer
    (the authorizer) blocks on its own give a Database :class:`EngineOnly`
    instead (``db.guard = EngineOnly()``). Nothing else replaces it.
    Parameters are checked by the Database from SQLite's own tokens
    (``_params``), whichever guard is in place.
    """

    def statements(
        self, sql: object, *, max_length: int = MAX_SQL_CHARS, timeout: float = 0
    ) -> tuple[Statement, ...]:
        """The statements of a user's SQL text, checked: TypeError unless a str,
        ValueError for a NUL byte, more than ``max_length`` characters or no
        statement, SQLBlockedError if one is refused, and
        QueryTimeoutError if checking takes longer than ``timeout`` seconds
        (0: no limit). The size is checked before anything parses the text."""
        check_sql_text(sql, max_length)
        if timeout and len(sql) > QUICK_TO_PARSE:
            with python_deadline(timeout, lambda: parse_timeout(len(sql), timeout)):
                stmts = self.classify(sql)
        else:
            stmts = self.classify(sql)
        if not stmts:
            raise ValueError("SQL is empty (only whitespace or comments); nothing to run")
        return stmts

    def classify(self, sql: str) -> tuple[Statement, ...]:
        """The statements of ``sql`` (SQLBlockedError if one is refused)."""
        return classify(sql)

    def check_built(self, sql: str) -> None:
        """Check a statement the kernel built for the user (batch_insert's DDL)."""
        classify(sql)


class EngineOnly(ParserGuard):
    """No parser layer (tests only): statements are split, not checked."""

    def classify(self, sql: str) -> tuple[Statement, ...]:
        return tuple(
            Statement(
                "?", p.text, p.offset, True, 0, frozenset(), frozenset(), p.params, p.count, True
            )
            for p in _sqltokens.split(sql)
        )

    def check_built(self, sql: str) -> None:
        return None
