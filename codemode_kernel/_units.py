"""Durations and sizes in words, the same everywhere they are shown."""

from __future__ import annotations

__all__ = ["duration", "size"]


def duration(seconds: float) -> str:
    """``30 s``, ``5 min``, ``24 h``; exact multiples first, else rounded
    (``45.3 s``, ``12.5 min``, ``3.2 h``)."""
    for unit, length in (("h", 3600), ("min", 60)):
        if seconds >= length and seconds % length == 0:
            return f"{seconds / length:g} {unit}"
    if seconds < 120:
        return f"{round(seconds, 1):g} s"
    if seconds < 7200:
        return f"{round(seconds / 60, 1):g} min"
    return f"{round(seconds / 3600, 1):g} h"


def size(n: int) -> str:
    """``512 B``, ``3.4 kB``, ``1.2 MB``, ``2.0 GB`` (powers of 1024)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
