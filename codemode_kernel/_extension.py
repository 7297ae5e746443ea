"""Wiring into IPython: display formatters and magics (kernel and %load_ext)."""

from __future__ import annotations

from typing import Any

__all__ = ["load", "setup_shell"]


def setup_shell(shell: Any) -> None:
    """Register the query-result display, the ``%sql``/``%%sql`` magics and the
    short error display on ``shell``.

    Called by the kernel at start and by ``%load_ext codemode_kernel``; safe
    to call again. Imports neither pandas nor ipywidgets.
    """
    from ._display import register
    from ._magics import SQLMagics
    from ._tracebacks import install

    register(shell)
    shell.register_magics(SQLMagics)
    install(shell)


def load(shell: Any) -> None:
    """``%load_ext codemode_kernel`` in a stock IPython kernel.

    Gives ``helpers`` (a session database chosen like the kernel does:
    ``CODEMODE_SESSION_ID``, else the notebook path, else a new id), the
    magics and the display. The cell timeout needs the kernel and is absent.
    """
    from ._bootstrap import start

    helpers = getattr(shell, "codemode_helpers", None)
    if helpers is None:
        started = start()
        for w in started.warnings:
            print(f"codemode: {w}")
        helpers = started.helpers
        shell.codemode_helpers = helpers
    # Else the codemode kernel, or loaded before (maybe %reset since): keep
    # that session and put the same helpers back.
    shell.user_ns["helpers"] = helpers
    shell.user_ns_hidden["helpers"] = helpers
    setup_shell(shell)
