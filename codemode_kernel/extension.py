"""Wiring into IPython: display formatters and magics (kernel and %load_ext)."""

from __future__ import annotations

from typing import Any

__all__ = ["load", "setup_shell"]


def setup_shell(shell: Any) -> None:
    """Register the query-result display and the magics on ``shell``.

    Called by the kernel at start and by ``%load_ext codemode_kernel``.
    """
    try:
        from .display import register
    except ImportError:  # display arrives with its own module
        return
    register(shell)


def load(shell: Any) -> None:
    """``%load_ext codemode_kernel`` in a stock IPython kernel."""
    import os

    from .helpers import Helpers
    from .settings import resolve_settings
    from .store import SessionStore, resolve_session_id

    settings, warnings = resolve_settings({}, os.environ)
    for w in warnings:
        print(f"codemode: {w}")
    sid, _ = resolve_session_id(settings.session_id, os.environ, None)
    session = SessionStore(settings.sessions_dir).open(sid)
    session.acquire()
    helpers = Helpers(session, settings)
    shell.user_ns["helpers"] = helpers
    shell.user_ns_hidden["helpers"] = helpers
    setup_shell(shell)
