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

import dataclasses
import functools
import itertools
import logging
import sys
import time

from . import _sqltokens
from ._authorizer import Authorizer, sqlite_error_to_guard
from ._policy import (
    ALLOWED,
    FORBIDDEN_FUNCTIONS,
    FORBIDDEN_TABLES,
    RESERVED_PREFIX,
    RESERVED_TABLES,
    hint,
    is_reserved,
)
from ._sqltokens import Param
from .errors import SQLBlockedError

__all__ = [
    "ALLOWED",
    "FORBIDDEN_FUNCTIONS",
    "RESERVED_PREFIX",
    "RESERVED_TABLES",
    "Authorizer",
    "Statement",
    "blocked",
    "caret",
    "check_identifier",
    "classify",
    "forbidden_call",
    "is_reserved",
    "position",
    "split_statements",
]

_ = (FORBIDDEN_TABLES, sqlite_error_to_guard)  # re-exported


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


# --- messages ---------------------------------------------------------------


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


def check_identifier(name: object, what: str = "table name") -> str:
    """Validate a table/column name passed as a Python string.

    Names are always quoted when rendered, but a name with quotes, ``;``,
    brackets, backticks or control characters is almost always a mistake or
    an attack, so it is refused with ``ValueError`` (``TypeError`` if not str).
    """
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, got {type(name).__name__}")
    if not name.strip():
        raise ValueError(f"{what} must not be empty")
    if len(name) > 256:
        raise ValueError(f"{what} is {len(name)} characters long; the limit is 256")
    bad = sorted({c for c in name if c in "\"'`[];" or ord(c) < 32 or ord(c) == 127})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(
            f"{what} {name!r} contains {shown}; use letters, digits, spaces, '_' or '-'"
        )
    return name


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


def split_statements(sql: str) -> list[tuple[int, str]]:
    """Split a script into (offset, text) pieces the way SQLite would."""
    return [(p.offset, p.text) for p in _sqltokens.split(sql)]


# --- the leading keywords: SQLite's grammar names the statement -------------

_REFUSED_FIRST = {
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
    if first in _REFUSED_FIRST:
        raise blocked(_REFUSED_FIRST[first], full, offset, n)
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


# --- sqlglot's second opinion -----------------------------------------------


def _parse(text: str):
    """sqlglot's trees for one statement; raises whatever sqlglot raises."""
    import sqlglot
    from sqlglot import exp

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    trees = [t for t in sqlglot.parse(text, read="sqlite") if t is not None]
    return [t for t in trees if not isinstance(t, exp.Semicolon)]


def _func_name(node) -> str:
    from sqlglot import exp

    if isinstance(node, exp.Anonymous):
        return (node.name or str(node.this)).lower()
    return (node.sql_name() or "").lower() if isinstance(node, exp.Func) else ""


def _check_tree(tree, full: str, offset: int, n: int) -> None:
    """Forbidden functions and internal tables, anywhere in the tree."""
    from sqlglot import exp

    for node in tree.find_all(exp.Func):
        name = _func_name(node)
        if name in FORBIDDEN_FUNCTIONS:
            raise blocked(f"function {name}()", full, offset, n, "it can load code or leak memory")
        if name.startswith("pragma_"):
            raise blocked("PRAGMA", full, offset, n, f"{name}() is a table-valued PRAGMA")
    for t in tree.find_all(exp.Table):
        name = t.name.lower()
        if name.startswith("pragma_"):
            raise blocked("PRAGMA", full, offset, n, f"{t.name} is a table-valued PRAGMA")
        if name in FORBIDDEN_TABLES:
            raise blocked(f"reading {t.name}", full, offset, n, "it exposes engine internals")


def _tree_kind(tree, full: str, offset: int, n: int) -> tuple[str, bool] | None:
    """(kind, is_write) for a tree sqlglot understood, None where it did not;
    raise SQLBlockedError for a kind it positively identified as refused."""
    from sqlglot import exp

    if isinstance(tree, exp.Select | exp.SetOperation | exp.Values):
        return "SELECT", False
    for cls, kind in ((exp.Insert, "INSERT"), (exp.Update, "UPDATE"), (exp.Delete, "DELETE")):
        if isinstance(tree, cls):
            return kind, True
    if isinstance(tree, exp.Create | exp.Drop):
        verb = "CREATE" if isinstance(tree, exp.Create) else "DROP"
        kind = str(tree.args.get("kind") or "").upper()
        props = tree.args.get("properties")
        prop_types = {type(p) for p in (props.expressions if props else [])}
        if exp.VirtualProperty in prop_types or exp.ModuleProperty in prop_types:
            raise blocked(f"{verb} VIRTUAL TABLE", full, offset, n)
        if exp.TemporaryProperty in prop_types or tree.args.get("temporary"):
            raise blocked(f"{verb} TEMP {kind}", full, offset, n, "TEMP objects escape the quota")
        schemas = {t.db.lower() for t in tree.find_all(exp.Table) if t.db} & {"temp", "temporary"}
        if schemas and kind in ("TABLE", "INDEX"):
            raise blocked(
                f"{verb} {kind} in temp", full, offset, n, "TEMP objects escape the quota"
            )
        if kind in ("TABLE", "INDEX"):
            return f"{verb} {kind}", True
        raise blocked(f"{verb} {kind or '?'}", full, offset, n)
    if isinstance(tree, exp.Alter) and str(tree.args.get("kind") or "").upper() == "TABLE":
        return "ALTER TABLE", True
    return None  # Command, or an expression sqlglot made of a statement it does not know


def _targets(tree) -> list[str]:
    """Names of the tables a write statement changes (sqlglot's view)."""
    from sqlglot import exp

    if isinstance(tree, exp.Create):
        this = tree.this
        if isinstance(this, exp.Index):
            table = this.args.get("table")
            return [table.name] if isinstance(table, exp.Table) else []
        this = this.this if isinstance(this, exp.Schema) else this
        return [this.name] if isinstance(this, exp.Table) else []
    if isinstance(tree, exp.Drop):
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        return [t.name for t in tables if isinstance(t, exp.Table)]
    target = tree.this
    target = target.this if isinstance(target, exp.Schema) else target
    return [target.name] if isinstance(target, exp.Table) else []


def _rename_target(tree) -> str | None:
    from sqlglot import exp

    if isinstance(tree, exp.Alter):
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                return action.this.name
    return None


def _opinion(text: str, full: str, offset: int, n: int):
    """sqlglot's (kind, is_write, tree), or (None, False, None) if it cannot tell,
    plus the (line, col) where it failed to parse (or None)."""
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = _parse(text)
    except (ParseError, TokenError) as exc:
        errors = getattr(exc, "errors", None) or []
        where = None
        if errors and errors[0].get("line"):
            err = errors[0]
            # sqlglot reports the column of the *end* of the highlighted token.
            col = max(1, err.get("col", 1) - len(err.get("highlight") or "") + 1)
            where = (err.get("line", 1), col)
        return (None, False, None), where
    except RecursionError:  # nested deeper than sqlglot can recurse: SQLite decides
        return (None, False, None), None
    except Exception:  # any other sqlglot failure: no opinion, SQLite decides
        return (None, False, None), None
    if len(trees) != 1:
        return (None, False, None), None
    verdict = _tree_kind(trees[0], full, offset, n)
    if verdict is None:
        return (None, False, None), None
    return (verdict[0], verdict[1], trees[0]), None


@functools.lru_cache(maxsize=4096)
def classify(sql: str) -> tuple[Statement, ...]:
    """Split and classify ``sql``; raise :class:`SQLBlockedError`.

    Cached by text (LRU, 4,096 entries): a repeated query costs a dict lookup.
    Syntax is judged by SQLite in the compile step, not here.
    """
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
        _opinion(text, full, offset, n) if ask else ((None, False, None), None)
    )
    tables: frozenset[str] = frozenset()
    returns = kind in ("SELECT", "?")
    if tree is not None:
        _check_tree(tree, full, offset, n)
        if is_write:
            for target in _targets(tree):
                if is_reserved(target):
                    raise blocked(
                        f"{tkind} on {target}",
                        full,
                        offset,
                        n,
                        "sqlite_* and _codemode_* tables are read-only",
                    )
            renamed = _rename_target(tree)
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
