"""Start-up, once for the kernel and for ``%load_ext``: settings → session → helpers."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from ._helpers import Helpers
from ._settings import Settings, resolve_settings
from ._store import Session, SessionStore, resolve_session_id

__all__ = ["Started", "start"]


@dataclasses.dataclass(frozen=True)
class Started:
    """What :func:`start` made."""

    settings: Settings
    #: One human-readable line per bad setting (its default was kept).
    warnings: list[str]
    store: SessionStore
    session: Session
    #: Where the session id came from (e.g. "CODEMODE_SESSION_ID").
    session_id_source: str
    helpers: Helpers


def start(
    configured: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    connection_file: str | None = None,
) -> Started:
    """Resolve the settings (``configured`` traitlets, then ``env``, which wins),
    choose the session id, open and acquire the session, make its ``helpers``.

    The database file is not opened: ``helpers.db`` opens it on first use.
    """
    env = os.environ if env is None else env
    settings, warnings = resolve_settings(configured or {}, env)
    sid, source = resolve_session_id(settings.session_id, env, connection_file)
    store = SessionStore(settings.sessions_dir)
    session = store.open(sid)
    session.acquire()
    return Started(settings, warnings, store, session, source, Helpers(session, settings))
