"""``CodeModeKernel``: IPython plus a session database and its helpers."""

from __future__ import annotations

import os
import sys
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from ipykernel.zmqshell import ZMQInteractiveShell
from traitlets import Enum, Float, Integer, List, Type, Unicode

from . import __version__
from .helpers import Helpers
from .settings import resolve_settings
from .store import SessionStore, resolve_session_id

__all__ = ["CodeModeKernel", "CodeModeShell"]

README_URL = "https://github.com/codemode-kernel/codemode-kernel#readme"


class CodeModeShell(ZMQInteractiveShell):
    """The kernel's shell: puts ``helpers`` back after ``%reset``."""

    codemode_helpers: Helpers | None = None

    def init_user_ns(self) -> None:
        super().init_user_ns()
        self.inject_helpers()

    def inject_helpers(self) -> None:
        helpers = self.codemode_helpers
        if helpers is not None:
            self.user_ns["helpers"] = helpers
            self.user_ns_hidden["helpers"] = helpers


class CodeModeKernel(IPythonKernel):
    """An IPython kernel whose every session has a guarded SQLite database."""

    implementation = "codemode"
    implementation_version = __version__
    banner = (
        f"Code Mode {__version__} (IPython {sys.version.split()[0]})\n"
        "helpers.db is this session's SQLite database; helpers.sql builds queries;"
        " helpers.docs() describes both."
    )
    help_links = List(
        [
            {"text": "Code Mode kernel", "url": README_URL},
            {"text": "Python", "url": "https://docs.python.org/3/"},
            {"text": "pandas", "url": "https://pandas.pydata.org/docs/"},
        ]
    ).tag(config=True)
    shell_class = Type(CodeModeShell)

    # One traitlet per row of the configuration table (settings.py); the
    # CODEMODE_* environment variable wins over each.
    session_id = Unicode(None, allow_none=True, help="Session id.").tag(config=True)
    data_dir = Unicode(None, allow_none=True, help="Where sessions live.").tag(config=True)
    cell_timeout = Float(300.0, help="Cell timeout in seconds (0 = off).").tag(config=True)
    query_timeout = Float(30.0, help="Per-call SQL timeout in seconds.").tag(config=True)
    max_rows = Integer(10_000, help="Most rows one query returns.").tag(config=True)
    session_ttl = Float(86_400.0, help="Idle seconds before a session expires.").tag(config=True)
    on_shutdown = Enum(["delete", "keep"], "delete", help="delete or keep.").tag(config=True)
    max_db_mb = Float(1024.0, help="Size quota of the database in MB.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        configured = {
            name: getattr(self, name)
            for name in (
                "session_id",
                "data_dir",
                "cell_timeout",
                "query_timeout",
                "max_rows",
                "session_ttl",
                "on_shutdown",
                "max_db_mb",
            )
        }
        self.settings, self.setting_warnings = resolve_settings(configured, os.environ)
        for warning in self.setting_warnings:
            self.log.warning("codemode: %s", warning)
        connection_file = getattr(self.parent, "connection_file", None)
        sid, self.session_id_source = resolve_session_id(
            self.settings.session_id, os.environ, connection_file
        )
        self.store = SessionStore(self.settings.sessions_dir)
        self.codemode_session = self.store.open(sid)
        self.codemode_session.acquire()
        self.helpers = Helpers(self.codemode_session, self.settings)
        self.shell.codemode_helpers = self.helpers
        self.shell.inject_helpers()
        from .extension import setup_shell

        setup_shell(self.shell)
        self._pending_notices = [f"codemode: {w}" for w in self.setting_warnings]

    async def do_execute(self, code: str, silent: bool, *args: Any, **kwargs: Any) -> Any:
        if self._pending_notices and not silent:
            notices, self._pending_notices = self._pending_notices, []
            print("\n".join(notices), file=sys.stderr, flush=True)
        return await super().do_execute(code, silent, *args, **kwargs)

    def do_shutdown(self, restart: bool) -> Any:
        try:
            self.helpers.close()
            if restart or self.settings.on_shutdown == "keep":
                self.codemode_session.release()
            else:
                self.codemode_session.remove_if_unheld()
        except Exception:  # shutdown must finish whatever happens
            self.log.exception("codemode: session cleanup at shutdown failed")
        return super().do_shutdown(restart)
