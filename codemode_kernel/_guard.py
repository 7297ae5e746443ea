"""The SQL guard: two independent layers that enforce one policy.

1. **Parser layer** (:func:`classify`): sqlglot parses each statement and it
   must be one of the *allowed* kinds; anything else (including sqlglot's
   ``Command`` fallback and the odd expressions it makes of ``END`` or
   ``SAVEPOINT x``) is refused with :class:`SQLBlockedError`. Forbidden
   functions and pragma/virtual tables are refused wherever they appear in
   the tree (CHECK and DEFAULT included). Results are cached by SQL text.
2. **Engine layer** (:class:`Authorizer`): SQLite's authorizer callback denies
   the same things inside the engine, so a parser mistake is not a bypass.

Statements are split with SQLite's own notion of a complete statement
(``sqlite3.complete_statement``), not sqlglot's, and each piece is executed
on its own with ``execute`` (which refuses a second statement), so a split
disagreement can only cause an error, never run something unchecked.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import sqlite3
import sys
from collections.abc import Sequence

from .errors import SQLBlockedError, SQLSyntaxError

__all__ = [
    "FORBIDDEN_FUNCTIONS",
    "RESERVED_TABLES",
    "Authorizer",
    "Statement",
    "check_identifier",
    "classify",
    "split_statements",
]

#: Functions refused anywhere in a statement (parser) and at prepare (engine).
FORBIDDEN_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "sqlite_compileoption_get"})
#: Virtual tables that expose internals (pragma_* is matched by prefix).
FORBIDDEN_TABLES = frozenset({"sqlite_stmt", "dbstat", "sqlite_dbpage"})
#: The kernel's bookkeeping tables: readable, never writable by users.
RESERVED_TABLES = frozenset({"_codemode_state", "_codemode_log", "_codemode_meta"})
RESERVED_PREFIX = "_codemode_"

_HINTS = {
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


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _caret(text: str, line: int, col: int) -> str:
    lines = text.splitlines() or [""]
    src = lines[min(line, len(lines)) - 1]
    return f"  {src}\n  {' ' * max(col - 1, 0)}^"


def _blocked(kind: str, full: str, offset: int, n: int, why: str = "") -> SQLBlockedError:
    line, col = _position(full, offset)
    hint = _HINTS.get(kind.split()[-1] if kind not in _HINTS else kind, "")
    where = f"statement {n}, line {line}, column {col}"
    msg = f"{kind} is not allowed ({where}){': ' + why if why else ''}."
    if hint:
        msg += f" Instead: {hint}."
    msg += (
        " Allowed: SELECT/WITH/VALUES, INSERT (OR REPLACE, UPSERT, RETURNING), UPDATE,"
        " DELETE, CREATE/DROP TABLE, CREATE/DROP INDEX, ALTER TABLE."
    )
    return SQLBlockedError(msg)


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


# --- splitting -------------------------------------------------------------


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


# --- the parser layer ------------------------------------------------------

_REPLACE_INTO = re.compile(r"^(\s*)REPLACE(\s+INTO\b)", re.I)
_WITHOUT_ROWID = re.compile(
    r"\)\s*(?:STRICT\s*,\s*)?WITHOUT\s+ROWID(?:\s*,\s*STRICT)?\s*;?\s*$", re.I
)
_ALTER_ADD = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?P<table>.+?)\s+ADD\s+(?:COLUMN\s+)?(?P<coldef>.+?)\s*;?\s*$",
    re.I | re.S,
)


_LEADING_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z_]+)", re.S)
_FORBIDDEN_FIRST_WORDS = {
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


def _forbidden_first_word(text: str) -> str | None:
    """Statements refused by their first keyword, before any parsing, so a
    form sqlglot cannot parse (``RELEASE SAVEPOINT x``) is still named."""
    m = _LEADING_WORD.match(text)
    return _FORBIDDEN_FIRST_WORDS.get(m.group(1).upper()) if m else None


def _parse_one(text: str):
    import sqlglot
    from sqlglot import exp

    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    trees = [t for t in sqlglot.parse(text, read="sqlite") if t is not None]
    trees = [t for t in trees if not isinstance(t, exp.Semicolon)]
    return trees


def _reparse_fallback(text: str):
    """sqlglot falls back to ``Command`` for a few *allowed* forms: rewrite
    them to an equivalent form it understands, for checking only."""
    from sqlglot import exp

    if _REPLACE_INTO.match(text):
        trees = _parse_one(_REPLACE_INTO.sub(r"\1INSERT OR REPLACE\2", text, count=1))
        if len(trees) == 1 and isinstance(trees[0], exp.Insert):
            return trees[0], None
    if _WITHOUT_ROWID.search(text):
        trees = _parse_one(_WITHOUT_ROWID.sub(")", text))
        if len(trees) == 1 and isinstance(trees[0], exp.Create):
            return trees[0], None
    m = _ALTER_ADD.match(text)
    if m:
        target = _parse_one(f"SELECT 1 FROM {m['table']}")
        coldef = _parse_one(f"CREATE TABLE _x ({m['coldef']})")
        if (
            len(target) == 1
            and len(coldef) == 1
            and isinstance(coldef[0], exp.Create)
            and len(list(target[0].find_all(exp.Table))) == 1
        ):
            table = next(target[0].find_all(exp.Table))
            return coldef[0], ("ALTER TABLE", table.name)
    return None, None


def _table_names(tree) -> set[str]:
    from sqlglot import exp

    return {t.name.lower() for t in tree.find_all(exp.Table) if t.name}


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
            raise _blocked(f"function {name}()", full, offset, n, "it can load code or leak memory")
        if name.startswith("pragma_"):
            raise _blocked("PRAGMA", full, offset, n, f"{name}() is a table-valued PRAGMA")
    for t in tree.find_all(exp.Table):
        name = t.name.lower()
        if name.startswith("pragma_"):
            raise _blocked("PRAGMA", full, offset, n, f"{t.name} is a table-valued PRAGMA")
        if name in FORBIDDEN_TABLES:
            raise _blocked(f"reading {t.name}", full, offset, n, "it exposes engine internals")


def _is_reserved(name: str) -> bool:
    low = name.lower()
    return low.startswith("sqlite_") or low.startswith(RESERVED_PREFIX)


def _write_target(tree) -> str | None:
    from sqlglot import exp

    target = tree.this if isinstance(tree, exp.Insert | exp.Update | exp.Delete) else None
    if isinstance(target, exp.Schema):
        target = target.this
    if isinstance(target, exp.Table):
        return target.name
    return None


def _statement_kind(tree, full: str, offset: int, n: int) -> tuple[str, bool]:
    """(kind, is_write) of an allowed statement, or raise SQLBlockedError."""
    from sqlglot import exp

    if isinstance(tree, exp.Select | exp.SetOperation | exp.Values):
        return "SELECT", False
    if isinstance(tree, exp.Insert):
        return "INSERT", True
    if isinstance(tree, exp.Update):
        return "UPDATE", True
    if isinstance(tree, exp.Delete):
        return "DELETE", True
    if isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        props = tree.args.get("properties")
        prop_types = {type(p) for p in (props.expressions if props else [])}
        if exp.VirtualProperty in prop_types or exp.ModuleProperty in prop_types:
            raise _blocked("CREATE VIRTUAL TABLE", full, offset, n)
        if kind in ("TABLE", "INDEX"):
            return f"CREATE {kind}", True
        raise _blocked(f"CREATE {kind or '?'}", full, offset, n)
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        if kind in ("TABLE", "INDEX"):
            return f"DROP {kind}", True
        raise _blocked(f"DROP {kind or '?'}", full, offset, n)
    if isinstance(tree, exp.Alter):
        if str(tree.args.get("kind") or "").upper() == "TABLE":
            return "ALTER TABLE", True
        raise _blocked("ALTER", full, offset, n)
    if isinstance(tree, exp.Pragma):
        raise _blocked("PRAGMA", full, offset, n)
    if isinstance(tree, exp.Transaction | exp.Commit | exp.Rollback):
        raise _blocked("TRANSACTION", full, offset, n, "BEGIN/COMMIT/ROLLBACK")
    if isinstance(tree, exp.Attach | exp.Detach):
        raise _blocked("ATTACH", full, offset, n, "ATTACH/DETACH")
    if isinstance(tree, exp.Analyze):
        raise _blocked("ANALYZE", full, offset, n)
    if isinstance(tree, exp.Command):
        word = str(tree.this).upper()
        rest = str(tree.expression or "").strip().upper()
        label = {"CREATE": "CREATE " + rest.split(" ")[0] if rest else "CREATE"}.get(word, word)
        if word == "CREATE" and "TRIGGER" in rest.split("(")[0].split()[:3]:
            label = "TRIGGER"
        raise _blocked(label, full, offset, n)
    # Anything else (sqlglot makes bare expressions of some statements) fails
    # closed; END, SAVEPOINT and friends were already named by their first word.
    first = full[offset:].lstrip().split(None, 1)[0].upper() if full[offset:].strip() else "?"
    raise _blocked(first, full, offset, n)


def _syntax_error(exc: Exception, text: str, full: str, offset: int, n: int) -> SQLSyntaxError:
    errors = getattr(exc, "errors", None) or []
    if errors:
        err = errors[0]
        line, col = err.get("line", 1), err.get("col", 1)
        # sqlglot reports the column of the *end* of the highlighted token.
        col = max(1, col - len(err.get("highlight") or "") + 1)
        desc = str(err.get("description", "")).split(" but got <Token")[0]
    else:
        line, col, desc = 1, 1, str(exc).splitlines()[0][:200]
    base_line, base_col = _position(full, offset)
    abs_line = base_line + line - 1
    abs_col = col + (base_col - 1 if line == 1 else 0)
    return SQLSyntaxError(
        f"SQL syntax error in statement {n} at line {abs_line}, column {abs_col}: {desc}\n"
        + _caret(full, abs_line, abs_col)
    )


@functools.lru_cache(maxsize=4096)
def classify(sql: str) -> tuple[Statement, ...]:
    """Split and classify ``sql``; raise SQLBlockedError / SQLSyntaxError.

    Cached by text (LRU, 4,096 entries): a repeated query costs a dict lookup.
    """
    limit = sys.getrecursionlimit()
    # sqlglot recurses ~20 frames per nesting level; SQLite's own expression
    # depth limit (100) stays the real bound. Restored afterwards, so user
    # code keeps its own limit.
    sys.setrecursionlimit(max(limit, 5000))
    try:
        return _classify(sql)
    finally:
        sys.setrecursionlimit(limit)


def _classify(sql: str) -> tuple[Statement, ...]:
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    full = sql
    out: list[Statement] = []
    for n, (offset, text) in enumerate(split_statements(sql), start=1):
        parse_text = text.lstrip("\ufeff")
        first = _forbidden_first_word(parse_text)
        if first:
            raise _blocked(first, full, offset, n)
        try:
            trees = _parse_one(parse_text)
        except (ParseError, TokenError) as exc:
            raise _syntax_error(exc, parse_text, full, offset, n) from None
        except RecursionError:
            raise _blocked(
                "statement", full, offset, n, "it is nested too deeply to check"
            ) from None
        except Exception as exc:  # fail closed on anything sqlglot throws
            raise _syntax_error(exc, parse_text, full, offset, n) from None
        if len(trees) != 1:
            if trees:  # e.g. a trigger body split at its inner ';'
                _statement_kind(trees[0], full, offset, n)
            raise _blocked("more than one statement in one piece", full, offset, n)
        tree = trees[0]
        override = None
        if isinstance(tree, exp.Command):
            alt, override = _reparse_fallback(parse_text)
            if alt is not None:
                tree = alt
        if override:
            kind, is_write = override[0], True
        else:
            kind, is_write = _statement_kind(tree, full, offset, n)
        _check_tree(tree, full, offset, n)
        if is_write:
            for target in [override[1]] if override else _targets(tree):
                if not _is_reserved(target):
                    continue
                raise _blocked(
                    f"{kind} on {target}",
                    full,
                    offset,
                    n,
                    "sqlite_* and _codemode_* tables are read-only",
                )
            renamed = _rename_target(tree)
            if renamed and _is_reserved(renamed):
                raise _blocked(
                    f"renaming a table to {renamed}",
                    full,
                    offset,
                    n,
                    "sqlite_* and _codemode_* names are reserved",
                )
        returns = not is_write or tree.args.get("returning") is not None
        placeholders = list(tree.find_all(exp.Placeholder))
        positional = sum(1 for p in placeholders if not p.this)
        named = frozenset(str(p.this) for p in placeholders if p.this)
        out.append(
            Statement(
                kind,
                text.lstrip("\ufeff"),
                offset,
                bool(returns),
                positional,
                named,
                frozenset(_table_names(tree)),
            )
        )
    return tuple(out)


def _targets(tree) -> list[str]:
    """Names of the tables a write statement changes."""
    from sqlglot import exp

    if isinstance(tree, exp.Create):
        this = tree.this
        if isinstance(this, exp.Index):
            table = this.args.get("table")
            return [table.name] if isinstance(table, exp.Table) else []
        if isinstance(this, exp.Schema):
            this = this.this
        return [this.name] if isinstance(this, exp.Table) else []
    if isinstance(tree, exp.Drop):
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        return [t.name for t in tables if isinstance(t, exp.Table)]
    if isinstance(tree, exp.Alter):
        return [tree.this.name] if isinstance(tree.this, exp.Table) else []
    target = _write_target(tree)
    return [target] if target else []


def _rename_target(tree) -> str | None:
    from sqlglot import exp

    if isinstance(tree, exp.Alter):
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                return action.this.name
    return None


# --- the engine layer ------------------------------------------------------

_A = sqlite3
_ALWAYS_DENY = {
    _A.SQLITE_ATTACH: "ATTACH",
    _A.SQLITE_DETACH: "DETACH",
    _A.SQLITE_PRAGMA: "PRAGMA",
    _A.SQLITE_TRANSACTION: "TRANSACTION",
    _A.SQLITE_SAVEPOINT: "SAVEPOINT",
    _A.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
    _A.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TEMP TRIGGER",
    _A.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    _A.SQLITE_DROP_TEMP_TRIGGER: "DROP TEMP TRIGGER",
    _A.SQLITE_CREATE_VIEW: "CREATE VIEW",
    _A.SQLITE_CREATE_TEMP_VIEW: "CREATE TEMP VIEW",
    _A.SQLITE_DROP_VIEW: "DROP VIEW",
    _A.SQLITE_DROP_TEMP_VIEW: "DROP TEMP VIEW",
    _A.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
    _A.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE",
    _A.SQLITE_ANALYZE: "ANALYZE",
}
_DDL = {
    _A.SQLITE_CREATE_TABLE,
    _A.SQLITE_CREATE_INDEX,
    _A.SQLITE_CREATE_TEMP_TABLE,
    _A.SQLITE_CREATE_TEMP_INDEX,
    _A.SQLITE_DROP_TABLE,
    _A.SQLITE_DROP_INDEX,
    _A.SQLITE_DROP_TEMP_TABLE,
    _A.SQLITE_DROP_TEMP_INDEX,
    _A.SQLITE_ALTER_TABLE,
}
_WRITES = {_A.SQLITE_INSERT, _A.SQLITE_UPDATE, _A.SQLITE_DELETE}
_CREATES = {_A.SQLITE_CREATE_TABLE, _A.SQLITE_CREATE_TEMP_TABLE}


class Authorizer:
    """SQLite authorizer enforcing the policy inside the engine.

    State is per statement: call :meth:`begin` before preparing each user
    statement. DDL legitimately writes ``sqlite_sequence`` (DROP, RENAME) and
    CREATE INDEX fires REINDEX, so those are allowed only after the statement
    has fired a DDL action code.
    ``internal = True`` relaxes everything for the kernel's own statements.
    """

    def __init__(self) -> None:
        self.internal = False
        self.denied: str | None = None
        self._ddl = False
        self._index = False

    def begin(self) -> None:
        self.denied = None
        self._ddl = False
        self._index = False

    def _deny(self, what: str) -> int:
        if self.denied is None:
            self.denied = what
        return sqlite3.SQLITE_DENY

    def __call__(self, action: int, arg1, arg2, dbname, source) -> int:
        if self.internal:
            return sqlite3.SQLITE_OK
        if action in _ALWAYS_DENY:
            return self._deny(_ALWAYS_DENY[action])
        if action in _DDL:
            self._ddl = True
            self._index |= action in (_A.SQLITE_CREATE_INDEX, _A.SQLITE_CREATE_TEMP_INDEX)
            table = (
                arg2
                if action
                in (
                    _A.SQLITE_CREATE_INDEX,
                    _A.SQLITE_CREATE_TEMP_INDEX,
                    _A.SQLITE_ALTER_TABLE,
                    _A.SQLITE_DROP_INDEX,
                    _A.SQLITE_DROP_TEMP_INDEX,
                )
                else arg1
            )
            if table and (
                table.lower() in RESERVED_TABLES
                or (action in _CREATES and table.lower().startswith(RESERVED_PREFIX))
            ):
                return self._deny(f"changing {table}")
            return sqlite3.SQLITE_OK
        if action == _A.SQLITE_REINDEX:
            return sqlite3.SQLITE_OK if self._index else self._deny("REINDEX")
        if action == _A.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            if name in FORBIDDEN_FUNCTIONS or name.startswith("pragma_"):
                return self._deny(f"function {name}()")
            return sqlite3.SQLITE_OK
        if action == _A.SQLITE_READ:
            table = (arg1 or "").lower()
            if table in FORBIDDEN_TABLES or table.startswith("pragma_"):
                return self._deny(f"reading {arg1}")
            return sqlite3.SQLITE_OK
        if action in _WRITES:
            table = (arg1 or "").lower()
            if table in RESERVED_TABLES:
                return self._deny(f"writing {arg1}")
            # DDL writes sqlite_sequence (DROP, RENAME) after its own action
            # code; plain DML on sqlite_* has no DDL action. sqlite_master is
            # left to SQLite, which refuses user writes to it (writable_schema
            # is a PRAGMA, and PRAGMA is denied); DDL writes it *before*
            # announcing itself.
            internal_table = table.startswith("sqlite_") and table not in (
                "sqlite_master",
                "sqlite_temp_master",
            )
            if internal_table and not self._ddl:
                return self._deny(f"writing {arg1}")
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK


def sqlite_error_to_guard(exc: sqlite3.DatabaseError, auth: Authorizer, sql: str) -> Exception:
    """Turn 'not authorized' into SQLBlockedError (naming what was denied)."""
    if any(m in str(exc) for m in ("not authorized", "prohibited", "may not be modified")):
        what = auth.denied or "this statement"
        return SQLBlockedError(
            f"{what} is not allowed (refused by the engine-level guard): {sql.strip()[:200]!r}."
            " Allowed: SELECT/WITH/VALUES, INSERT, UPDATE, DELETE, CREATE/DROP TABLE,"
            " CREATE/DROP INDEX, ALTER TABLE; use helpers.db.schema() instead of PRAGMA."
        )
    return exc


def statement_params_check(stmt: Statement, params: object, n: int = 1) -> None:
    """Check that ``params`` fits the statement's placeholders (before SQLite)."""
    from collections.abc import Mapping

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


class ParserGuard:
    """The parser layer as :class:`~codemode_kernel.db.Database` calls it.

    This object is the guard's seam: the tests that prove the engine layer
    (the authorizer) blocks on its own give a Database :class:`EngineOnly`
    instead (``db.guard = EngineOnly()``). Nothing else replaces it.
    """

    def statements(self, sql: object, *, max_length: int) -> tuple[Statement, ...]:
        """The statements of a user's SQL text, checked: TypeError unless a str,
        ValueError for a NUL byte, more than ``max_length`` characters or no
        statement, SQLBlockedError/SQLSyntaxError if one is refused."""
        if sql is None or not isinstance(sql, str):
            hint = "; decode it first (sql.decode())" if isinstance(sql, bytes) else ""
            raise TypeError(f"SQL must be a str, got {type(sql).__name__}{hint}")
        if "\x00" in sql:
            raise ValueError(f"SQL contains a NUL byte at position {sql.index(chr(0))}")
        if len(sql) > max_length:
            raise ValueError(
                f"SQL is {len(sql):,} characters; the limit is {max_length:,}."
                " Pass data as params or with batch_insert() instead of inlining it"
            )
        stmts = self.classify(sql)
        if not stmts:
            raise ValueError("SQL is empty (only whitespace or comments); nothing to run")
        return stmts

    def classify(self, sql: str) -> tuple[Statement, ...]:
        """The statements of ``sql`` (SQLBlockedError/SQLSyntaxError if one is refused)."""
        return classify(sql)

    def check_params(self, stmt: Statement, params: object) -> None:
        """ValueError/TypeError if ``params`` does not fit the statement's placeholders."""
        statement_params_check(stmt, params)

    def check_built(self, sql: str) -> None:
        """Check a statement the kernel built for the user (batch_insert's DDL)."""
        classify(sql)


class EngineOnly(ParserGuard):
    """No parser layer (tests only): statements are split, not checked."""

    def classify(self, sql: str) -> tuple[Statement, ...]:
        return tuple(Statement("?", t, o, True, 0, frozenset()) for o, t in split_statements(sql))

    def check_params(self, stmt: Statement, params: object) -> None:
        return None

    def check_built(self, sql: str) -> None:
        return None
