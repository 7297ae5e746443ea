"""sqlglot's second opinion on a statement (the parser layer's part of the guard).

sqlglot names what a statement is where it can parse it, so that a refusal
says what to do instead, and finds forbidden functions and tables anywhere
in its tree. Where it cannot parse a statement (or only as its generic
``Command``), it has no opinion: SQLite judges (see ``_compile``).
"""

from __future__ import annotations

import logging

from ._policy import FORBIDDEN_FUNCTIONS, FORBIDDEN_TABLES, blocked

__all__ = ["check_tree", "opinion", "rename_target", "targets"]


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


def check_tree(tree, full: str, offset: int, n: int) -> None:
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


def targets(tree) -> list[str]:
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


def rename_target(tree) -> str | None:
    from sqlglot import exp

    if isinstance(tree, exp.Alter):
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                return action.this.name
    return None


def opinion(text: str, full: str, offset: int, n: int):
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
