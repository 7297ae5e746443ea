"""One exception hierarchy for everything codemode refuses or stops.

Errors raised by SQLite itself (no such table, constraint failed) stay
``sqlite3`` exceptions; these classes cover what *we* decide.
"""

from __future__ import annotations

__all__ = [
    "CeilingError",
    "CellTimeoutError",
    "CodeModeError",
    "DuplicateColumnError",
    "LimitExceededError",
    "QueryTimeoutError",
    "QuotaExceededError",
    "RestoreError",
    "ResultTooLargeError",
    "SQLBlockedError",
    "SQLParameterError",
    "SQLSyntaxError",
    "StateError",
    "UnsupportedValueError",
]


class CodeModeError(Exception):
    """Base class of every error codemode raises on purpose."""


class SQLBlockedError(CodeModeError):
    """A statement (or function) is outside the allowed SQL policy."""


class SQLSyntaxError(CodeModeError):
    """The SQL text could not be parsed; the message points at the problem."""


class QueryTimeoutError(CodeModeError):
    """A statement ran longer than ``query_timeout`` and was stopped."""


class CellTimeoutError(CodeModeError, KeyboardInterrupt):
    """A cell ran longer than the cell timeout and was interrupted.

    It is also a ``KeyboardInterrupt``, so code that stops on interrupts
    (IPython, tqdm, ``except KeyboardInterrupt``) stops on it too. Code that
    swallows it is interrupted again by the watchdog.
    """


class StateError(CodeModeError):
    """A state key or value cannot be stored (keys are str, values are JSON)."""


class QuotaExceededError(CodeModeError):
    """The session database reached its size quota (``max_db_mb``)."""


class ResultTooLargeError(CodeModeError):
    """One row of a result is larger than ``max_result_mb`` (larger results are cut)."""


class CeilingError(CodeModeError, ValueError):
    """A session asked to raise a limit above the ceiling the operator set."""


class LimitExceededError(CodeModeError):
    """A statement exceeds one of SQLite's limits that the guard sets; the message names it."""


class SQLParameterError(CodeModeError, ValueError):
    """Parameters and placeholders do not match; the message names the parameter."""


class RestoreError(CodeModeError):
    """``helpers.db.restore()`` refused a file: not a SQLite database, a table
    that exists already (without ``replace=True``), or a table it cannot
    recreate under the SQL policy. Nothing was changed."""


class UnsupportedValueError(CodeModeError, TypeError, ValueError):
    """A value cannot be stored in SQLite as it is (an int beyond 64 bits, an
    unknown object type). The message names the column or parameter and the
    value's type; nothing of the call was written.

    It is a ``TypeError`` (wrong kind of object) and a ``ValueError`` (an int
    out of range) so that code catching either keeps working.
    """


class DuplicateColumnError(CodeModeError, ValueError):
    """Two names denote the same column: SQLite compares identifiers ignoring
    ASCII case, so ``Name`` and ``name`` are one column. The message names both."""
