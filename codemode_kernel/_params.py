"""Parameters: check them against the statement, and expand lists in ``IN (...)``.

Placeholders bind as in ``sqlite3``: ``?`` and ``?NNN`` take a sequence (a
value per parameter number, ``?1`` twice is one value), ``:name``, ``@name``
and ``$name`` take a dict keyed by the name without its prefix, keyword-
spelled names (``:values``, ``:on``) included. The parameters are SQLite's
own tokens (:mod:`._sqltokens`), not sqlglot's.

A list, tuple, set, numpy array or pandas Series bound to a parameter that
stands alone inside ``IN (...)`` expands to one bound parameter per element,
like SQLAlchemy's "expanding" bind parameter (``bindparam(expanding=True)``):
``id IN (:ids)`` with ``[1, 3]`` runs as ``id IN (?1, ?2)`` with ``(1, 3)``.
An empty list gives ``IN ()``, which SQLite evaluates to false (``NOT IN ()``
to true), as SQLAlchemy's empty-set expression does. Only parameter tokens
are replaced, by other parameter tokens: values never enter the SQL text.
Where sqlglot parses the statement, its tree must agree that each expanded
parameter is the only item of an ``IN`` list; the resulting text is compiled
and judged by SQLite like any other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from . import _sqltokens
from ._records import adapt_params
from ._statements import Statement
from .errors import SQLParameterError

__all__ = ["bind", "bind_exec", "bind_script", "check_params", "expand_lists", "is_list_value"]


def _label(p: _sqltokens.Param) -> str:
    return p.text


def _name(p: _sqltokens.Param) -> str:
    """``:ids``, or ``? (parameter 2)`` for an anonymous one."""
    return f"? (parameter {p.index})" if p.text == "?" else p.text


def check_params(stmt: Statement, params: object, n: int = 1) -> None:
    """Raise a typed error unless ``params`` fits the statement's placeholders.

    :class:`SQLParameterError` names the parameter without a value or the
    value without a parameter; ``TypeError`` for a dict given to ``?`` (or a
    sequence to ``:name``) and for params that are neither.
    """
    label = f"statement {n}" if n > 1 else "the statement"
    positional = sorted({p.index for p in stmt.params if p.text[0] == "?"})
    named = sorted({p.name for p in stmt.params if p.text[0] != "?" and p.name})
    if positional and named:
        raise SQLParameterError(
            f"{label} mixes ? placeholders ({', '.join(f'?{i}' for i in positional)}) with named"
            f" ones ({', '.join(':' + x for x in named)}); sqlite3 cannot bind both from one"
            " params object. Use one style: all :name with a dict, or all ? with a list"
        )
    if params is None:
        if stmt.params:
            shown = ", ".join(dict.fromkeys(_label(p) for p in stmt.params))
            raise SQLParameterError(
                f"{label} has placeholders ({shown}) but no params were given;"
                " pass params=[...] for ? or params={...} for :name"
            )
        return
    if isinstance(params, Mapping):
        if positional and not _numbered_dict(stmt, params):
            raise TypeError(
                f"{label} uses ? placeholders, which take a sequence (list/tuple), not a dict;"
                " use :name placeholders with a dict"
            )
        keys = {str(k) for k in params}
        wanted = set(named) if named else {str(i) for i in positional}
        missing = sorted(wanted - keys)
        if missing:
            raise SQLParameterError(
                f"missing value for parameter {', '.join(':' + m for m in missing)}"
            )
        extra = sorted(keys - wanted)
        if extra:
            raise SQLParameterError(
                f"params has a value for {', '.join(':' + x for x in extra)}, which {label} does"
                f" not use (its parameters: {', '.join(':' + x for x in named) or 'none'})"
            )
        return
    if isinstance(params, str | bytes) or not isinstance(params, Sequence):
        raise TypeError(
            f"params must be a sequence for ? or a dict for :name, got {type(params).__name__}"
        )
    if named:
        raise TypeError(
            f"{label} uses :name placeholders ({', '.join(':' + x for x in named)}),"
            " which take a dict, not a sequence"
        )
    if len(params) != stmt.count:
        if len(params) < stmt.count:
            gap = ", ".join(f"?{i}" for i in range(len(params) + 1, stmt.count + 1))
            what = f"no value for {gap}"
        else:
            what = f"value(s) {len(params) - stmt.count} too many, from position {stmt.count + 1}"
        raise SQLParameterError(
            f"{label} has {stmt.count} ? placeholder(s) but {len(params)} value(s) were given"
            f" ({what})"
        )


def _numbered_dict(stmt: Statement, params: Mapping) -> bool:
    """sqlite3 binds ``?NNN`` from a dict keyed "NNN"; plain ``?`` has no name."""
    return all(p.name is not None for p in stmt.params) and bool(params)


def is_list_value(value: object) -> bool:
    """True for the values that expand in ``IN (...)``: list, tuple, set, frozenset,
    a one-dimensional numpy array, a pandas Series or Index."""
    if isinstance(value, list | tuple | set | frozenset):
        return True
    module = type(value).__module__.split(".")[0]
    if module == "numpy":
        return getattr(value, "ndim", 0) == 1
    if module == "pandas":
        return type(value).__name__ in ("Series", "Index") or (
            hasattr(value, "ndim") and getattr(value, "ndim", 0) == 1
        )
    return False


def _lone_in_params(stmt: Statement) -> set[int]:
    """Indexes (into ``stmt.params``) of parameters that stand alone in ``IN (...)``.

    SQLite's tokens decide: ``IN`` ``(`` parameter ``)`` is, in SQLite's
    grammar, always an IN list holding that one parameter.
    """
    toks = [t for t in stmt_tokens(stmt) if not t.blank]
    text = stmt.text
    by_start = {p.start: i for i, p in enumerate(stmt.params)}
    lone = set()
    for k in range(2, len(toks) - 1):
        t = toks[k]
        if t.start not in by_start:
            continue
        before, opener, after = toks[k - 2], toks[k - 1], toks[k + 1]
        if (
            text[opener.start : opener.end] == "("
            and text[after.start : after.end] == ")"
            and text[before.start : before.end].upper() == "IN"
        ):
            lone.add(by_start[t.start])
    return lone


def stmt_tokens(stmt: Statement) -> list[_sqltokens.Token]:
    return _sqltokens.tokenize(stmt.text)


def _sqlglot_agrees(stmt: Statement, lone_names: set[str], lone_positional: int) -> bool:
    """sqlglot's tree (where it parses) shows the same lone IN parameters."""
    if stmt.engine_only:
        return True  # no tree: SQLite's tokens decide, and SQLite compiles the result
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(stmt.text, read="sqlite")
    except Exception:
        return True
    names, positional = set(), 0
    for node in tree.find_all(exp.In):
        items = node.expressions
        if len(items) != 1:
            continue
        item = items[0]
        if isinstance(item, exp.Placeholder):
            name = item.this  # None for ?
        elif isinstance(item, exp.Parameter):
            name = item.name  # @name
        elif isinstance(item, exp.Column | exp.Var) and item.name.startswith("$"):
            name = item.name[1:]  # sqlglot reads $name as an identifier
        else:
            continue
        if name:
            names.add(str(name))
        else:
            positional += 1
    return lone_names <= names and lone_positional <= positional


def expand_lists(stmt: Statement, params: Any) -> tuple[Statement, Any]:
    """``(stmt, params)`` with list values expanded in ``IN (...)``.

    Unchanged when no value is a list. A list bound to a parameter that is
    not alone in an ``IN (...)`` raises :class:`SQLParameterError`.
    """
    if params is None or isinstance(params, str | bytes):
        return stmt, params
    if isinstance(params, Mapping):
        values = list(params.values())
    elif isinstance(params, Sequence):
        values = list(params)
    else:
        return stmt, params
    if not any(is_list_value(v) for v in values):
        return stmt, params

    def value_of(p: _sqltokens.Param) -> Any:
        if isinstance(params, Mapping):
            return params[p.name] if p.name in params else params.get(str(p.index))
        return params[p.index - 1]

    lone = _lone_in_params(stmt)
    for i, p in enumerate(stmt.params):
        if is_list_value(value_of(p)) and i not in lone:
            raise SQLParameterError(
                f"parameter {_name(p)} is bound to a {type(value_of(p)).__name__}, but it does not"
                " stand alone inside IN (...). A list expands only there (x IN (:ids)); to"
                " store or compare JSON, bind json.dumps(value) instead"
            )
    lone_names = {stmt.params[i].name for i in lone if stmt.params[i].text[0] != "?"}
    lone_names.discard(None)
    lone_pos = sum(1 for i in lone if stmt.params[i].text == "?")
    if not _sqlglot_agrees(stmt, lone_names, lone_pos):  # type: ignore[arg-type]
        raise SQLParameterError(
            "the SQL parser and SQLite's tokens disagree about which parameters stand alone"
            " in IN (...); bind the values one by one (x IN (?, ?)) instead"
        )
    out: list[str] = []
    bound: list[Any] = []
    numbers: dict[tuple, str] = {}  # a repeated scalar parameter keeps one number
    pos = 0
    for p in stmt.params:
        out.append(stmt.text[pos : p.start])
        value = value_of(p)
        if is_list_value(value):
            items = list(value.tolist() if hasattr(value, "tolist") else value)
            marks = []
            for item in items:
                bound.append(item)
                marks.append(f"?{len(bound)}")
            out.append(", ".join(marks))
        else:
            key = (p.name, p.index)
            if key not in numbers:
                bound.append(value)
                numbers[key] = f"?{len(bound)}"
            out.append(numbers[key])
        pos = p.end
    out.append(stmt.text[pos:])
    text = "".join(out)
    piece = _sqltokens.split(text)[0]
    new = dataclasses.replace(
        stmt,
        text=text,
        params=piece.params,
        count=piece.count,
        positional=piece.count,
        named=frozenset(),
    )
    return new, bound


def bind(stmt: Statement, params: Any, n: int = 1) -> tuple[Statement, Any]:
    """(the statement to run, its adapted params): checked against SQLite's
    parameter tokens, with lists expanded inside ``IN (...)``."""
    if params is None and not stmt.params:
        return stmt, None  # the common case, with nothing to check or adapt
    check_params(stmt, params, n)
    stmt, params = expand_lists(stmt, params)
    return stmt, adapt_params(params)


def bind_exec(stmts: tuple[Statement, ...], params: Any) -> tuple[tuple[Statement, ...], Any]:
    """``exec()``: params bind to a single statement; a script takes none."""
    if len(stmts) == 1:
        one, bound = bind(stmts[0], params)
        return (one,), bound
    for n, stmt in enumerate(stmts, 1):
        check_params(stmt, None, n)
    return stmts, None


def bind_script(
    stmts: tuple[Statement, ...], params: Mapping | None
) -> tuple[tuple[Statement, ...], list]:
    """``run_script()`` (``%%sql``): one dict for the named parameters of every
    statement; each statement gets the values it names."""
    out, bound = [], []
    for n, stmt in enumerate(stmts, 1):
        mine = None
        if params is not None and stmt.named:
            mine = {k: params[k] for k in stmt.named & set(params)}
        one, values = bind(stmt, mine, n)
        out.append(one)
        bound.append(values)
    return tuple(out), bound
