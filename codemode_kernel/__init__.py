"""codemode-kernel: a Jupyter kernel with a guarded, session-bound SQLite database.

In a notebook on the ``codemode`` kernel, ``helpers.db`` is the session
database and ``helpers.sql`` builds SQL. ``%load_ext codemode_kernel`` gives
the same ``helpers`` (and ``%%sql``) in a stock IPython kernel.
"""

from __future__ import annotations

from .errors import (
    CellTimeoutError,
    CodeModeError,
    QueryTimeoutError,
    QuotaExceededError,
    SQLBlockedError,
    SQLSyntaxError,
    StateError,
)

__version__ = "0.1.0"

__all__ = [
    "CellTimeoutError",
    "CodeModeError",
    "QueryTimeoutError",
    "QuotaExceededError",
    "SQLBlockedError",
    "SQLSyntaxError",
    "StateError",
    "__version__",
    "load_ipython_extension",
]


def load_ipython_extension(ipython) -> None:  # pragma: no cover - exercised via a real kernel
    """``%load_ext codemode_kernel``: helpers, %%sql and the result display."""
    from ._extension import load

    load(ipython)
