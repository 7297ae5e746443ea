"""Argument checks shared by the public API: one wording for each mistake."""

from __future__ import annotations

__all__ = ["positive_int"]


def positive_int(value: object, what: str, *, maximum: int | None = None) -> int:
    """``value`` if it is an int in 1..``maximum``.

    TypeError if it is not an int (``bool`` is not one here), ValueError if
    it is 0, negative or above ``maximum``; the message names ``what``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{what} must be a positive int, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{what} must be at most {maximum:,}, got {value:,}")
    return value
