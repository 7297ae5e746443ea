"""Linear-time replacements for SQLite's two-argument ``trim``, ``ltrim``, ``rtrim``.

SQLite's own ``trim(X, Y)`` compares every character of ``X`` it strips with
every character of ``Y``: O(len(X) x len(Y)) inside one VM step, where neither
the progress handler nor ``interrupt()`` acts. Measured on this machine with
1 MiB values (the session's string limit): ``trim(X, Y)`` with ``len(Y)`` of
10,000 took 16 s, with 2 MB values 79 s; a 1 MB ``Y`` runs for hours. These
replacements strip with a set lookup, O(len(X) + len(Y)), so one call is
bounded by the value-length limit. The one-argument forms (whitespace) are
SQLite's own and linear, and stay native.

Semantics follow SQLite's: NULL in, NULL out; every argument is read as UTF-8
text (a BLOB's bytes decoded, invalid sequences as U+FFFD) and the result is
TEXT; a number is trimmed as its text (Python's ``str``, which matches
SQLite's text for integers and for reals except in exponent notation:
SQLite writes ``1.0e+20`` where Python writes ``1e+20``).
"""

from __future__ import annotations

import sqlite3

__all__ = ["register"]

#: Below this many distinct characters, str.strip's C loop is as fast as a set.
_SHORT = 64


def _text(value: object) -> str:
    # SQLite's trim reads every argument as UTF-8 text and returns TEXT.
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else str(value)


def _span(x: str, chars: str, left: bool, right: bool) -> str:
    distinct = set(chars)
    if len(distinct) <= _SHORT:
        unique = "".join(distinct)
        if left and right:
            return x.strip(unique)
        return x.lstrip(unique) if left else x.rstrip(unique)
    start, end = 0, len(x)
    if left:
        while start < end and x[start] in distinct:
            start += 1
    if right:
        while end > start and x[end - 1] in distinct:
            end -= 1
    return x[start:end]


def _make(left: bool, right: bool):
    def trim(x: object, chars: object) -> object:
        if x is None or chars is None:
            return None
        # SQLite reads the character set as a C string: it ends at a NUL.
        return _span(_text(x), _text(chars).partition("\x00")[0], left, right)

    return trim


def register(conn: sqlite3.Connection) -> None:
    """Override the two-argument trim family on ``conn`` (see the module docstring)."""
    for name, left, right in (("trim", True, True), ("ltrim", True, False), ("rtrim", False, True)):
        conn.create_function(name, 2, _make(left, right), deterministic=True)
