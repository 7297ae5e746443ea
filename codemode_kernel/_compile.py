"""The compile step: SQLite itself judges each statement before it runs.

``EXPLAIN <statement>`` is prepared under the authorizer. Preparing compiles
the inner statement completely, so the authorizer sees every action it would
take, with the policy enforced, and records them. Stepping an ``EXPLAIN``
only lists the compiled program (Python's sqlite3 takes that first step
itself): the statement is never run, and its effects are absent (tests prove
it for INSERT, UPDATE, DELETE, CREATE, DROP and ALTER).

From the recorded action codes and the program comes what the statement is:
its kind, whether it writes, whether it returns rows (a ``ResultRow``
opcode). A statement SQLite cannot parse is a :class:`SQLSyntaxError` with
SQLite's own message and a caret at the token SQLite names.

Results are cached by statement text (LRU, 4,096 entries): a repeated
statement pays a dict lookup. Only successes are cached, so an error (a
missing table, say) is judged again next time.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import sqlite3
import threading

from . import _sqltokens
from ._authorizer import DDL_KINDS, Authorizer
from ._limits import LIMITS, TEMP_PRAGMAS
from ._policy import blocked, caret, position
from ._statements import Statement
from .errors import LimitExceededError, SQLBlockedError, SQLSyntaxError

__all__ = ["Compiled", "compile_statement", "limit_error"]

_CACHE_SIZE = 4096
_cache: collections.OrderedDict[str, Compiled] = collections.OrderedDict()
_cache_lock = threading.Lock()

_A = sqlite3


@dataclasses.dataclass(frozen=True)
class Compiled:
    """What SQLite's compile says a statement is."""

    kind: str  #: SELECT, INSERT, UPDATE, DELETE, CREATE TABLE, ... (see DDL_KINDS)
    writes: bool
    returns_rows: bool
    renames: bool  #: fired ALTER_TABLE: check the new name after it runs
    actions: tuple[tuple, ...]  #: (action code, arg1, arg2) as the authorizer saw them


def _kind(stmt: Statement, actions: list[tuple]) -> str:
    codes = {a[0] for a in actions}
    for code, kind in DDL_KINDS.items():
        if code in codes:
            return kind
    if stmt.kind in ("INSERT", "UPDATE", "DELETE", "SELECT"):
        return stmt.kind
    writes = [a[0] for a in actions if a[0] in (_A.SQLITE_INSERT, _A.SQLITE_UPDATE)]
    writes += [a[0] for a in actions if a[0] == _A.SQLITE_DELETE]
    if _A.SQLITE_INSERT in writes:
        return "INSERT"  # an UPSERT fires UPDATE too
    if _A.SQLITE_UPDATE in writes:
        return "UPDATE"
    if _A.SQLITE_DELETE in writes:
        return "DELETE"
    return "SELECT"


def compile_statement(
    conn: sqlite3.Connection, auth: Authorizer, stmt: Statement, full: str, n: int
) -> Compiled:
    """Compile ``stmt`` with SQLite under ``auth`` without running it.

    Raises :class:`SQLBlockedError` (the authorizer refused an action),
    :class:`SQLSyntaxError` (SQLite's own message, with a caret),
    :class:`LimitExceededError` (a SQLite limit, named), or the
    ``sqlite3`` error SQLite gave (e.g. ``no such table``).
    """
    with _cache_lock:
        hit = _cache.get(stmt.text)
        if hit is not None:
            _cache.move_to_end(stmt.text)
            return hit
    check_cte_expansion(stmt)
    actions, ops = _explain(conn, auth, stmt, full, n)
    if not actions:
        # Python's statement cache handed back an already-prepared EXPLAIN,
        # so nothing was authorized this time: prepare a distinct text.
        actions, ops = _explain(conn, auth, stmt, full, n, prefix="EXPLAIN\n")
    kind = _kind(stmt, actions)
    result = Compiled(
        kind,
        kind != "SELECT",
        any(op == "ResultRow" for op in ops),
        any(a[0] == _A.SQLITE_ALTER_TABLE for a in actions),
        tuple(actions),
    )
    with _cache_lock:
        _cache[stmt.text] = result
        if len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


_BINDINGS = re.compile(r"uses (\d+), and there (?:are|is) \d+ supplied")


def _explain(
    conn: sqlite3.Connection,
    auth: Authorizer,
    stmt: Statement,
    full: str,
    n: int,
    prefix: str = "EXPLAIN ",
) -> tuple[list[tuple], list[str]]:
    actions: list[tuple] = []
    count = stmt.count
    for _attempt in range(2):
        auth.begin()
        actions.clear()
        auth.record = actions
        try:
            # Placeholder values are never read: EXPLAIN lists the program.
            # Its p4 column can hold a blob literal's bytes: read text as bytes.
            factory, conn.text_factory = conn.text_factory, bytes
            try:
                cur = conn.execute(prefix + stmt.text, [None] * count)
                try:
                    ops = [row[1].decode("ascii", "replace") for row in cur.fetchall()]
                finally:
                    cur.close()
            finally:
                conn.text_factory = factory
            return actions, ops
        except sqlite3.ProgrammingError as exc:
            m = _BINDINGS.search(str(exc))
            if m is None or _attempt:
                raise
            count = int(m.group(1))  # prepared fine: retry with SQLite's own count
        except MemoryError:
            raise _compile_too_big() from None
        except sqlite3.DatabaseError as exc:
            raise judge_error(exc, auth, stmt, full, n) from None
        finally:
            auth.record = None
    raise AssertionError("unreachable")


def _compile_too_big() -> LimitExceededError:
    return LimitExceededError(
        "the statement is too large to compile: SQLite ran out of memory (hard_heap_limit ="
        f" {TEMP_PRAGMAS['hard_heap_limit'] // 2**20} MiB) or exceeded SQLITE_LIMIT_VDBE_OP ="
        f" {LIMITS['SQLITE_LIMIT_VDBE_OP']:,} instructions. Simplify the statement."
        " The limits are listed in docs/guard.md"
    )


_NEAR = re.compile(r'near "(.*)": syntax error', re.S)
_UNRECOGNIZED = re.compile(r'unrecognized token: "(.*)"', re.S)
_SYNTAX = ("syntax error", "incomplete input", "unrecognized token")

#: SQLite's message fragments for the limits the guard sets (see docs/guard.md).
_LIMITS = (
    ("Expression tree is too large", "SQLITE_LIMIT_EXPR_DEPTH", "nest fewer expressions"),
    ("too many terms in compound SELECT", "SQLITE_LIMIT_COMPOUND_SELECT", "use fewer UNIONs"),
    ("too many columns", "SQLITE_LIMIT_COLUMN", "select or create fewer columns"),
    ("too many SQL variables", "SQLITE_LIMIT_VARIABLE_NUMBER", "bind fewer parameters"),
    ("too many arguments on function", "SQLITE_LIMIT_FUNCTION_ARG", "pass fewer arguments"),
    ("parser stack overflow", "SQLite's parser stack (YYSTACKDEPTH)", "nest fewer subqueries"),
    ("at most 64 tables in a join", "SQLite's 64 tables per join", "join fewer tables"),
    ("too many FROM clause terms", "SQLite's 200 FROM-clause terms", "flatten less: use tables"),
    ("out of memory", "SQLite's memory cap (hard_heap_limit)", "use less memory"),
    (
        "string or blob too big",
        "SQLITE_LIMIT_LENGTH",
        "keep each value under 1 MiB (split it, or store large files outside the database)",
    ),
    (
        "variable number must be between",
        "SQLITE_LIMIT_VARIABLE_NUMBER",
        "bind fewer parameters (an IN list expands to one per element: use a table and a join)",
    ),
)


def limit_error(exc: BaseException, limits: dict[str, int] | None = None) -> Exception | None:
    """A :class:`LimitExceededError` naming the limit behind a SQLite error, or None."""
    msg = str(exc)
    for fragment, name, advice in _LIMITS:
        if fragment in msg:
            value = (limits or {}).get(name.split()[0])
            shown = f"{name}={value:,}" if value is not None else name
            return LimitExceededError(
                f"the statement exceeds {shown} (SQLite: {msg}); {advice}. The limits are"
                " listed in docs/guard.md"
            )
    return None


def judge_error(
    exc: sqlite3.DatabaseError, auth: Authorizer, stmt: Statement, full: str, n: int
) -> Exception:
    """Map a compile failure to the guard's typed errors (or return ``exc``)."""
    msg = str(exc)
    if "not authorized" in msg or "prohibited" in msg:
        kind = auth.denied or "this statement"
        return blocked(kind, full, stmt.offset, n, "refused by SQLite's compile under the guard")
    if any(s in msg for s in _SYNTAX):
        return syntax_error(msg, stmt, full, n)
    if "out of memory" in msg:
        return _compile_too_big()
    return limit_error(exc, LIMITS) or exc


def syntax_error(msg: str, stmt: Statement, full: str, n: int) -> SQLSyntaxError:
    """SQLite's message, with a caret at the token it names, else at sqlglot's
    position, else at the end of the statement (``incomplete input``)."""
    at = _named_token(msg, stmt)
    if at is None and stmt.parse_error is not None:
        line, col = stmt.parse_error
        base_line, base_col = position(full, stmt.offset)
        abs_line, abs_col = base_line + line - 1, col + (base_col - 1 if line == 1 else 0)
    else:
        if at is None:
            at = len(stmt.text.rstrip().rstrip(";").rstrip())
        abs_line, abs_col = position(full, stmt.offset + at)
    return SQLSyntaxError(
        f"SQL syntax error in statement {n} at line {abs_line}, column {abs_col}:"
        f" {msg} (SQLite)\n" + caret(full, abs_line, abs_col)
    )


def _named_token(msg: str, stmt: Statement) -> int | None:
    """Offset in the statement of the token SQLite's message names."""
    m = _NEAR.search(msg) or _UNRECOGNIZED.search(msg)
    if m is None:
        return None
    word = m.group(1)
    starts = [
        t.start
        for t in _sqltokens.tokenize(stmt.text)
        if not t.blank and stmt.text.startswith(word, t.start)
    ]
    if not starts:
        found = stmt.text.find(word)
        return found if found >= 0 else None
    if stmt.parse_error is not None and len(starts) > 1:
        # Several candidates: take the one nearest to where sqlglot failed.
        line, col = stmt.parse_error
        lines = stmt.text.split("\n")
        guess = sum(len(x) + 1 for x in lines[: line - 1]) + col - 1
        return min(starts, key=lambda s: abs(s - guess))
    return starts[0]


def blocked_by_engine(auth: Authorizer, stmt: Statement, full: str, n: int) -> SQLBlockedError:
    """The run-time authorizer refused ``stmt`` (a second line behind the compile)."""
    return blocked(
        auth.denied or "this statement", full, stmt.offset, n, "refused by the engine-level guard"
    )


_ = SQLBlockedError


#: How many copies of its body one CTE may expand to while SQLite compiles.
#: SQLite copies a CTE's parse tree into every reference before any limit
#: applies (MATERIALIZED or not), and a compile cannot be interrupted: a chain
#: of 16 CTEs, each used twice by the next (2^16 copies), compiled for 20 s
#: here; 20 of them for 7 s and 1 GB. 2^13 compiles in ~0.1 s.
MAX_CTE_EXPANSION = 10_000


def check_cte_expansion(stmt: Statement) -> None:
    """Refuse a statement whose CTEs expand beyond :data:`MAX_CTE_EXPANSION`
    copies, before SQLite compiles it.

    Read from SQLite's tokens (no parser needed): for each ``name [(...)] AS
    [[NOT] MATERIALIZED] ( body )``, its weight is 1 plus the weights of the
    CTEs its body references, each time it references them. Linear in the
    tokens. (Other ``AS (`` forms, such as a generated column, are counted too;
    they reference no CTE, so they weigh 1.)
    """
    text = stmt.text
    if "with" not in text.lower():
        return
    toks = [t for t in _sqltokens.tokenize(text) if not t.blank]
    words = [_ident(text, t) for t in toks]
    if "with" not in words:
        return
    # The matching ')' of every '(' (one pass with a stack).
    match: dict[int, int] = {}
    stack: list[int] = []
    for i, w in enumerate(words):
        if w == "(":
            stack.append(i)
        elif w == ")" and stack:
            match[stack.pop()] = i
    opener = {e: o for o, e in match.items()}
    weights: dict[str, int] = {}
    for body, end in sorted(match.items()):
        k = body - 1
        if k >= 0 and words[k] == "materialized":
            k -= 1
            if k >= 0 and words[k] == "not":
                k -= 1
        if k < 1 or words[k] != "as":
            continue
        j = k - 1
        if words[j] == ")":  # a column list: back to its '('
            j = opener.get(j, 0) - 1
        if j < 0:
            continue
        weight = 1 + sum(weights.get(words[x], 0) for x in range(body + 1, end))
        if weight > MAX_CTE_EXPANSION:
            raise LimitExceededError(
                f"the CTE {text[toks[j].start : toks[j].end]} expands to {weight:,} copies of"
                f" its body; the limit is {MAX_CTE_EXPANSION:,} (SQLite copies a CTE into every"
                " reference while it compiles, and a compile cannot be interrupted). Store the"
                " intermediate result with CREATE TABLE ... AS SELECT instead. The limits are"
                " listed in docs/guard.md"
            )
        weights[words[j]] = weight


def _ident(text: str, tok: _sqltokens.Token) -> str:
    """A token's text as an identifier: lower case, quotes removed."""
    s = text[tok.start : tok.end]
    if tok.kind == "qid" and len(s) >= 2:
        s = s[1:-1]
    return s.lower()
