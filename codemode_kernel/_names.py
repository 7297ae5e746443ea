"""Identifier comparison as SQLite does it: ASCII case-folding only.

SQLite compares table and column names with ``sqlite3StrICmp``, which folds
the 26 ASCII letters and nothing else (``"É"`` and ``"é"`` are two columns,
``"Name"`` and ``"name"`` are one). Python's ``str.lower`` folds every
script, so it would merge names SQLite keeps apart; :func:`fold` does not.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import DuplicateColumnError

__all__ = ["canonical", "check_unique", "fold", "same"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(name: str) -> str:
    """``name`` with A-Z lowered and every other character kept (SQLite's rule)."""
    return name.translate(_ASCII_LOWER)


def same(a: str, b: str) -> bool:
    """True if SQLite takes ``a`` and ``b`` for the same identifier."""
    return fold(a) == fold(b)


def canonical(name: str, existing: Iterable[str]) -> str | None:
    """The spelling in ``existing`` that SQLite matches ``name`` to, or None."""
    key = fold(name)
    for candidate in existing:
        if fold(candidate) == key:
            return candidate
    return None


def check_unique(names: Iterable[str], what: str = "column names") -> None:
    """Raise :class:`DuplicateColumnError` if two of ``names`` are one column to SQLite.

    The message names both spellings (``'Name' and 'name'``), which an exact
    comparison would have let through to SQLite's ``duplicate column name``.
    """
    seen: dict[str, str] = {}
    for name in names:
        key = fold(name)
        if key in seen:
            first = seen[key]
            how = "twice" if first == name else "and " + repr(name) + " (SQLite ignores ASCII case)"
            raise DuplicateColumnError(
                f"{what} name the column {first!r} {how}; rename one of them"
            )
        seen[key] = name
