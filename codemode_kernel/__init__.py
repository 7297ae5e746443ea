"""codemode-kernel: a Jupyter kernel with a guarded, session-bound SQLite database.

In a notebook on the ``codemode`` kernel, ``helpers.db`` is the session
database and ``helpers.sql`` builds SQL. ``%load_ext codemode_kernel`` gives
the same ``helpers`` (and ``%%sql``) in a stock IPython kernel. Programs use
:class:`CodeModeSession`.

This module is the public API; every name in ``__all__`` is kept stable
(tests/unit/test_public_api.py lists them). Modules whose names start with
``_`` are internal. The errors::

    Exception
    └── CodeModeError                 everything codemode refuses or stops
        ├── SQLBlockedError           a statement outside the SQL policy
        ├── SQLSyntaxError            SQL that does not parse
        ├── QueryTimeoutError         a statement past query_timeout
        ├── StateError                a state key or value that cannot be stored
        ├── QuotaExceededError        the database at its size quota
        ├── CellTimeoutError          a cell past its timeout (also a KeyboardInterrupt)
        ├── ToolArgumentError         a helpers.mcp argument against the tool's schema (a TypeError)
        └── ToolError                 a helpers.mcp tool call failed (isError, its server)
            └── ToolTimeoutError      a tool call past its timeout= (also a TimeoutError)

SQLite's own errors (no such table, constraint failed) stay ``sqlite3`` errors.
"""

from ._client import CodeModeSession, Execution
from ._settings import Settings
from .db import Database, ExecResult
from .errors import (
    CellTimeoutError,
    CodeModeError,
    QueryTimeoutError,
    QuotaExceededError,
    SQLBlockedError,
    SQLSyntaxError,
    StateError,
    ToolArgumentError,
    ToolError,
    ToolTimeoutError,
)

__version__ = "0.1.0"

__all__ = [
    "CellTimeoutError",
    "CodeModeError",
    "CodeModeSession",
    "Database",
    "ExecResult",
    "Execution",
    "QueryTimeoutError",
    "QuotaExceededError",
    "SQLBlockedError",
    "SQLSyntaxError",
    "Settings",
    "StateError",
    "ToolArgumentError",
    "ToolError",
    "ToolTimeoutError",
    "__version__",
    "load_ipython_extension",
]


def load_ipython_extension(ipython) -> None:  # pragma: no cover - exercised via a real kernel
    """``%load_ext codemode_kernel``: helpers, %%sql and the result display."""
    from ._extension import load

    load(ipython)
