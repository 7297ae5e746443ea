"""One exception hierarchy for everything codemode refuses or stops.

Errors raised by SQLite itself (no such table, constraint failed) stay
``sqlite3`` exceptions; these classes cover what *we* decide.
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
    "ToolArgumentError",
    "ToolError",
    "ToolTimeoutError",
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
