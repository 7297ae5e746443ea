"""One exception hierarchy for everything codemode refuses or stops.

Errors raised by SQLite itself (no such table, constraint failed) stay
``sqlite3`` exceptions; these classes cover what *we* decide::

    BaseException
    ├── KeyboardInterrupt            the Interrupt button (interrupt_request), kill -INT
    │   └── CellTimeoutError         any cell code, at its deadline (the cell watchdog);
    │                                helpers.db.* interrupted by that watchdog
    └── Exception
        └── CodeModeError            (base; never raised itself)
            ├── SQLBlockedError      helpers.db.query/exec/... and %%sql: SQL outside the policy
            ├── SQLSyntaxError       helpers.db.query/exec/..., helpers.sql.*: unparsable SQL
            ├── QueryTimeoutError    helpers.db.*: one statement ran past query_timeout
            ├── QuotaExceededError   helpers.db.* writes: the database reached max_db_mb
            └── StateError           helpers.db.save_state: a key or value that cannot be stored

Why ``CellTimeoutError`` is not an ``Exception`` (issue #18): a timeout must
stop the cell, and the most common retry loop in agent-written code is
``while True: try: ... except Exception: pass``. Deriving from
``KeyboardInterrupt`` only (as ``asyncio.CancelledError`` derives from
``BaseException`` only) means ``except Exception`` never catches it, while
code that stops on interrupts (IPython, tqdm, ``except KeyboardInterrupt``)
stops on it too. Code that catches ``BaseException`` can still swallow it;
the watchdog then escalates (docs/timeouts.md): it interrupts again, then
stops the cell without its consent, and last exits the kernel process. It is
therefore *not* a ``CodeModeError``: ``except CodeModeError`` handles what
codemode refused, never a timeout. The ``ename`` a client sees is still
``CellTimeoutError``.
"""

from __future__ import annotations

__all__ = [
    "CellTimeoutError",
    "CodeModeError",
    "QueryTimeoutError",
    "QuotaExceededError",
    "SQLBlockedError",
    "SQLSyntaxError",
    "StateError",
]


class CodeModeError(Exception):
    """Base class of every error codemode raises on purpose (except the cell timeout)."""


class SQLBlockedError(CodeModeError):
    """A statement (or function) is outside the allowed SQL policy."""


class SQLSyntaxError(CodeModeError):
    """The SQL text could not be parsed; the message points at the problem."""


class QueryTimeoutError(CodeModeError):
    """A statement ran longer than ``query_timeout`` and was stopped."""


class CellTimeoutError(KeyboardInterrupt):
    """A cell ran longer than the cell timeout and was stopped.

    A ``KeyboardInterrupt`` and not an ``Exception`` (see the module
    docstring): ``except Exception`` does not swallow it. Code that swallows
    it anyway (``except BaseException``) is interrupted again, then stopped
    at its next line wherever it is, and as a last resort the kernel exits.
    """

    def _render_traceback_(self) -> list[str]:
        # IPython's protocol: one line instead of a full traceback. It also
        # spares IPython 9 formatting a verbose traceback for its history
        # (stack_data, ~0.3 s on the first error) while the ladder's clock runs.
        return [f"CellTimeoutError: {self}"]


class StateError(CodeModeError):
    """A state key or value cannot be stored (keys are str, values are JSON)."""


class QuotaExceededError(CodeModeError):
    """The session database reached its size quota (``max_db_mb``)."""
