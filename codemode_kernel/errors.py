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
    "ToolArgumentError",
    "ToolError",
    "ToolTimeoutError",
    "UnsupportedValueError",
]

#: What every message about ``max_rows`` suggests: the live fix first, the
#: setting second (the footer, the truncation warning, the ``limit=`` error).
MAX_ROWS_FIX = "helpers.db.set_limits(max_rows=...) (setting: CODEMODE_MAX_ROWS)"


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


class ToolArgumentError(CodeModeError, TypeError):
    """An argument of an MCP tool call does not match the tool's input schema.

    Raised before the call is sent; the message names the argument and what
    the schema wants.
    """


class ToolError(CodeModeError):
    """An MCP tool call failed: the tool's error result (``isError``), or its server.

    ``server`` and ``tool`` name the call; the message carries the server's text.
    """

    def __init__(self, message: str, *, server: str = "", tool: str = "") -> None:
        super().__init__(message)
        self.server = server
        self.tool = tool


class ToolTimeoutError(ToolError, TimeoutError):
    """An MCP tool call ran longer than its ``timeout=`` and was cancelled."""
