"""The SQL guard: two independent layers that enforce one policy.

1. **Parser layer** (:func:`classify`): sqlglot parses each statement and it
   must be one of the *allowed* kinds; anything else (including sqlglot's
   ``Command`` fallback and the odd expressions it makes of ``END`` or
   ``SAVEPOINT x``) is refused with :class:`SQLBlockedError`. Forbidden
   functions and pragma/virtual tables are refused wherever they appear in
   the tree (CHECK and DEFAULT included). Results are cached by SQL text.
2. **Engine layer** (:class:`~._authorizer.Authorizer`): SQLite's authorizer
   callback denies the same things inside the engine, so a parser mistake is
   not a bypass.

The policy both enforce is :mod:`._policy`; :class:`ParserGuard` is the seam
through which the Database calls this layer.

Statements are split with SQLite's own notion of a complete statement
(``sqlite3.complete_statement``), not sqlglot's, and each piece is executed
on its own with ``execute`` (which refuses a second statement), so a split
disagreement can only cause an error, never run something unchecked.
"""

from __future__ import annotations

import functools
import logging
import re
import sys

from ._policy import (
    FORBIDDEN_FUNCTIONS,
    FORBIDDEN_TABLES,
    REFUSED_FIRST_WORDS,
    RESERVED_PREFIX,
    SUMMARY,
    hint,
)
from ._statements import Statement, check_params, split_statements
from .errors import SQLBlockedError, SQLSyntaxError

__all__ = ["EngineOnly", "ParserGuard", "classify"]


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
    instead = hint(kind)
    where = f"statement {n}, line {line}, column {col}"
    msg = f"{kind} is not allowed ({where}){': ' + why if why else ''}."
    if instead:
        msg += f" Instead: {instead}."
    msg += " " + SUMMARY
    return SQLBlockedError(msg)


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


def _forbidden_first_word(text: str) -> str | None:
    """Statements refused by their first keyword, before any parsing, so a
    form sqlglot cannot parse (``RELEASE SAVEPOINT x``) is still named."""
    m = _LEADING_WORD.match(text)
    return REFUSED_FIRST_WORDS.get(m.group(1).upper()) if m else None


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
        check_params(stmt, params)

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
