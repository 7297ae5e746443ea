"""codemode-kernel: a Jupyter kernel with a guarded, session-bound SQLite database.

In a notebook on the ``codemode`` kernel, ``helpers.db`` is the session
database and ``helpers.sql`` builds SQL. ``%load_ext codemode_kernel`` gives
the same ``helpers`` (and ``%%sql``) in a stock IPython kernel. Programs use
:class:`CodeModeSession`.

This module is the public API; every name in ``__all__`` is kept stable
(tests/unit/test_public_api.py lists them). Modules whose names start with
``_`` are internal. The errors::

    BaseException
    ├── KeyboardInterrupt             the Interrupt button
    │   └── CellTimeoutError          a cell past its timeout (not an Exception)
    └── Exception
        └── CodeModeError             everything codemode refuses
            ├── SQLBlockedError       a statement outside the SQL policy
            ├── SQLSyntaxError        SQL that SQLite cannot parse (its own message)
            ├── SQLParameterError     parameters and placeholders that do not match
            ├── LimitExceededError    a statement beyond a SQLite limit the guard sets
            ├── QueryTimeoutError     a statement past query_timeout
            ├── StateError            a state key or value that cannot be stored
            ├── QuotaExceededError    the database at its size quota
            ├── ResultTooLargeError   one result row above max_result_mb
            ├── CeilingError          a limit raised above its ceiling (also ValueError)
            ├── RestoreError          a file helpers.db.restore() refuses (nothing changed)
            ├── UnsupportedValueError a value SQLite cannot store (also Type/ValueError)
            ├── DuplicateColumnError  two spellings of one column name (also ValueError)
            ├── ToolArgumentError     a helpers.mcp argument against the tool's schema (TypeError)
            └── ToolError             a helpers.mcp tool call failed (isError, its server)
                └── ToolTimeoutError  a tool call past its timeout= (also a TimeoutError)

SQLite's own errors (no such table, constraint failed) stay ``sqlite3`` errors.
"""

from ._client import CodeModeSession, Execution
from ._settings import Settings
from .db import Database, ExecResult
from .errors import (
    CeilingError,
    CellTimeoutError,
    CodeModeError,
    DuplicateColumnError,
    LimitExceededError,
    QueryTimeoutError,
    QuotaExceededError,
    RestoreError,
    ResultTooLargeError,
    SQLBlockedError,
    SQLParameterError,
    SQLSyntaxError,
    StateError,
    ToolArgumentError,
    ToolError,
    ToolTimeoutError,
    UnsupportedValueError,
)

__version__ = "0.1.0"

__all__ = [
    "CeilingError",
    "CellTimeoutError",
    "CodeModeError",
    "CodeModeSession",
    "Database",
    "DuplicateColumnError",
    "ExecResult",
    "Execution",
    "LimitExceededError",
    "QueryTimeoutError",
    "QuotaExceededError",
    "RestoreError",
    "ResultTooLargeError",
    "SQLBlockedError",
    "SQLParameterError",
    "SQLSyntaxError",
    "Settings",
    "StateError",
    "ToolArgumentError",
    "ToolError",
    "ToolTimeoutError",
    "UnsupportedValueError",
    "__version__",
    "load_ipython_extension",
]


def load_ipython_extension(ipython) -> None:  # pragma: no cover - exercised via a real kernel
    """``%load_ext codemode_kernel``: helpers, %%sql and the result display."""
    from ._extension import load

    load(ipython)
