"""A deadline for Python-level work on the main thread (``SIGALRM``).

SQLite's progress handler bounds a statement while SQLite runs it, but
parsing and classifying its text is Python (sqlglot): a legitimate 1 MB
statement took 8-17 s to parse on this machine (a 150,000-value IN list,
120,000 VALUES rows). :class:`python_deadline` bounds that work with the same
``query_timeout``: ``setitimer`` delivers SIGALRM, whose handler raises in
the main thread wherever the parser is.

Signals reach only the main thread, where cells run; elsewhere (a client's
own thread) the block runs without a deadline. A previous SIGALRM handler
and timer are put back afterwards, so user code that uses ``signal.alarm``
keeps working outside the block.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

__all__ = ["python_deadline"]


class _Expired(BaseException):
    # A BaseException, so no ``except Exception`` in the parser turns the
    # deadline into a different error on its way out.
    pass


def _fire(signum: int, frame: object) -> None:
    raise _Expired


class python_deadline:
    """``with python_deadline(seconds, error):`` raises ``error()`` if the block
    runs longer than ``seconds``. ``seconds <= 0`` means no deadline."""

    __slots__ = ("armed", "error", "previous_handler", "previous_timer", "seconds")

    def __init__(self, seconds: float, error: Callable[[], BaseException]) -> None:
        self.seconds = seconds
        self.error = error
        self.armed = False
        self.previous_handler: object = None
        self.previous_timer: tuple[float, float] = (0.0, 0.0)

    def __enter__(self) -> python_deadline:
        if self.seconds > 0 and threading.current_thread() is threading.main_thread():
            self.previous_handler = signal.signal(signal.SIGALRM, _fire)
            self.previous_timer = signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, etype: type | None, exc: BaseException | None, tb: object) -> None:
        if self.armed:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous_handler)  # type: ignore[arg-type]
            if self.previous_timer[0] > 0:
                signal.setitimer(signal.ITIMER_REAL, *self.previous_timer)
        if isinstance(exc, _Expired):
            raise self.error() from None
