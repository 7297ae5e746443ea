"""Wiring into IPython: display formatters and magics (kernel and %load_ext)."""

from __future__ import annotations

from typing import Any

__all__ = ["load", "register_display"]


def register_display(shell: Any) -> None:
    """Register the query-result display (footer + JSON payload) on ``shell``."""
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
    register_display(shell)
