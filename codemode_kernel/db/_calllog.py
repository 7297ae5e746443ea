"""Every public ``helpers.db`` call is logged and counted, whatever makes it fail.

``Calls.call`` logs the calls whose statements ran; :func:`logged` wraps
the public methods so that a failure *before* (a bad ``limit``, a missing
parameter, a bad table name) or *after* it (building the result) is logged
and counted too, once. The helpers here never raise: they run in
``finally``/``except`` blocks, where an exception of their own would replace
the user's error and lose the log entry (an exception with an empty message
once turned into ``IndexError`` that way).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

__all__ = ["KINDS", "error_text", "log_failures", "logged", "mark_logged", "safe_repr"]

_MARK = "_codemode_logged"


def safe_repr(value: object) -> str:
    """``repr(value)`` cut at 2,000 characters, or ``<type>`` if repr fails."""
    try:
        return repr(value)[:2000]
    except Exception:
        return f"<{type(value).__name__}>"


def error_text(error: BaseException | None) -> str | None:
    """``"ValueError: first line"`` of an error (≤ 500 characters), or its class
    name alone when the message is empty or cannot be printed."""
    if error is None:
        return None
    try:
        lines = str(error).strip().splitlines()
    except Exception:
        lines = []
    name = type(error).__name__
    return f"{name}: {lines[0][:500]}" if lines else name


def mark_logged(error: BaseException) -> None:
    """Flag ``error`` as logged, so an outer wrapper does not log it again."""
    with contextlib.suppress(Exception):
        setattr(error, _MARK, True)


def _label(kind: str, args: tuple, kwargs: dict) -> object:
    """What the log shows for a call that failed before it ran."""
    first = args[0] if args else next(iter(kwargs.values()), None)
    if kind in ("query", "exec", "script"):
        return first
    if kind == "batch_insert":
        return f"batch_insert into {first}"
    return f"{kind} {safe_repr(first)}"


#: The public calls whose failures are logged, and the kind each is logged as.
KINDS = {
    "query": "query",
    "exec": "exec",
    "run_script": "script",
    "batch_insert": "batch_insert",
    "create_table": "create_table",
    "save_state": "save_state",
    "delete_state": "delete_state",
}


def logged(kind: str, calls: Callable[[Any], Any]) -> Callable[[Callable], Callable]:
    """Decorate a public Database method: log and count any failure not yet logged.

    ``calls(db)`` gives the database's :class:`~codemode_kernel.db._calls.Calls`.
    """

    def wrap(method: Callable) -> Callable:
        @functools.wraps(method)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except BaseException as exc:
                if not getattr(exc, _MARK, False):
                    calls(self).record(kind, _label(kind, args, kwargs), 0, 0.0, exc)
                raise

        return call

    return wrap


def log_failures(cls: type, calls: Callable[[Any], Any]) -> None:
    """Wrap the methods of :data:`KINDS` on ``cls`` with :func:`logged`, and
    every alias of them (``batchInsert = batch_insert``)."""
    for name, kind in KINDS.items():
        # The method may come from a mixin (state): wrap it on ``cls`` itself.
        method = next(vars(c)[name] for c in cls.__mro__ if name in vars(c))
        wrapped = logged(kind, calls)(method)
        for alias, value in [(a, v) for c in cls.__mro__ for a, v in vars(c).items()]:
            if value is method:
                setattr(cls, alias, wrapped)
