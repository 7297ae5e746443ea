"""SQL identifiers from Python strings: checked once, quoted always.

Every table or column name that reaches SQL text as a Python string passes
:func:`check_identifier` and is rendered by :func:`quote` (or used as the
sqlglot node :func:`identifier`); nothing else quotes names.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_identifier", "identifier", "quote"]


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


def identifier(name: str) -> Any:
    """The quoted sqlglot identifier node of ``name`` (not checked: see
    :func:`check_identifier`)."""
    from sqlglot import exp

    return exp.to_identifier(name, quoted=True)


def quote(name: str) -> str:
    """A quoted SQLite identifier (``"a b"``), rendered by sqlglot."""
    return identifier(name).sql("sqlite")
