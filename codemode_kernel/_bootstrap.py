"""Start-up, once for the kernel and for ``%load_ext``: settings → session → helpers."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from ._helpers import Helpers
from ._settings import Settings, resolve_settings
from ._store import Session, SessionStore, resolve_session_id, session_label

__all__ = ["Started", "start"]


@dataclasses.dataclass(frozen=True)
class Started:
    """What :func:`start` made."""

    settings: Settings
    #: One human-readable line per bad setting (its default was kept).
    warnings: list[str]
    store: SessionStore
    session: Session
    #: Where the session id came from ("CODEMODE_SESSION_ID", "kernel id", "random").
    session_id_source: str
    helpers: Helpers
    #: The session's label: the notebook path (``JPY_SESSION_NAME``), or None.
    label: str | None = None


def start(
    configured: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    connection_file: str | None = None,
) -> Started:
    """Resolve the settings (``configured`` traitlets, then ``env``, which wins),
    choose the session id (see :func:`resolve_session_id`) and its label, open
    the session, make its ``helpers``.

    The database file is not opened: ``helpers.db`` opens it on first use. A
    kernel-id session's directory appears then too, so a kernel that never
    uses the database leaves nothing behind (even when Jupyter restarts it
    after a SIGTERM). An explicit name may be shared with other kernels, so it
    is held (acquired) at once, like any session that exists already (a restart).
    """
    env = os.environ if env is None else env
    settings, warnings = resolve_settings(configured or {}, env)
    sid, source = resolve_session_id(settings.session_id, connection_file)
    store = SessionStore(settings.sessions_dir)
    label = session_label(env)
    session = store.open(sid, label)
    if source == "CODEMODE_SESSION_ID" or session.path.is_dir():
        session.acquire()
    helpers = Helpers(session, settings)
    return Started(settings, warnings, store, session, source, helpers, label)
