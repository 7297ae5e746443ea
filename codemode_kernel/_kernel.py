"""``CodeModeKernel``: IPython plus a session database and its helpers."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from ipykernel.zmqshell import ZMQInteractiveShell
from traitlets import Enum, Float, Integer, List, TraitType, Type, Unicode
from traitlets.config import Configurable

from . import __version__
from ._bootstrap import start
from ._exit_timer import NOTE_NAME, ExitTimer, take_note
from ._helpers import Helpers
from ._lifecycle import Lifecycle
from ._settings import SETTINGS, Setting
from ._sqlite_tracking import install_sqlite_tracking
from ._timeouts import CellTimeouts, register_magics
from ._tracebacks import ErrorDisplay

__all__ = ["CodeModeKernel", "CodeModeShell"]

README_URL = "https://github.com/codemode-kernel/codemode-kernel#readme"


class CodeModeShell(ZMQInteractiveShell):
    """The kernel's shell: puts ``helpers`` back after ``%reset``."""

    codemode_helpers: Helpers | None = None
    codemode_errors: ErrorDisplay | None = None

    def _showtraceback(self, etype: Any, evalue: Any, stb: Any) -> None:
        # Every error display passes here: a cell cancelled or interrupted
        # by its watchdog is shown as the one-line CellTimeoutError.
        errors = self.codemode_errors
        if errors is not None:
            etype, evalue, stb = errors.rewrite(etype, evalue, stb)
        super()._showtraceback(etype, evalue, stb)

    def init_user_ns(self) -> None:
        super().init_user_ns()
        self.inject_helpers()

    def inject_helpers(self) -> None:
        helpers = self.codemode_helpers
        if helpers is not None:
            self.user_ns["helpers"] = helpers
            self.user_ns_hidden["helpers"] = helpers


def setting_trait(setting: Setting) -> TraitType:
    """The kernel traitlet of one row of the settings table (``--CodeModeKernel.<name>``;
    its ``CODEMODE_*`` variable wins over it)."""
    if setting.choices:
        trait: TraitType = Enum(list(setting.choices), setting.default, help=setting.help)
    elif isinstance(setting.default, float):
        trait = Float(setting.default, help=setting.help)
    elif isinstance(setting.default, int):
        trait = Integer(setting.default, help=setting.help)
    else:
        trait = Unicode(setting.default, allow_none=True, help=setting.help)
    return trait.tag(config=True)


#: One traitlet per row of ``SETTINGS``, made from the table.
SettingTraits = type("SettingTraits", (Configurable,), {s.name: setting_trait(s) for s in SETTINGS})


class CodeModeKernel(IPythonKernel, SettingTraits):
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

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Only what was configured: a value the operator set is also its ceiling.
        given = {name for cls in type(self).__mro__ for name in self.config.get(cls.__name__, {})}
        configured = {s.name: getattr(self, s.name) for s in SETTINGS if s.name in given}
        started = start(configured, os.environ, getattr(self.parent, "connection_file", None))
        self.settings, self.setting_warnings = started.settings, started.warnings
        for warning in self.setting_warnings:
            self.log.warning("codemode: %s", warning)
        self.session_id_source = started.session_id_source
        self.store = started.store
        self.codemode_session = started.session
        self.helpers = started.helpers
        label = started.label
        self.shell.codemode_helpers = self.helpers
        self.shell.inject_helpers()
        from ._extension import setup_shell

        setup_shell(self.shell)
        self._pending_notices = [f"codemode: {w}" for w in self.setting_warnings]

        install_sqlite_tracking()
        note = self.codemode_session.path / NOTE_NAME
        self._report_exit(take_note(note))
        self.timeouts = CellTimeouts(
            self.shell,
            self.settings.cell_timeout,
            self._interrupt_db,
            grace=self.settings.cell_timeout_grace,
            exit_timer=ExitTimer(note),
        )
        self.timeouts.ceiling = self.settings.cell_timeout_max
        self.timeouts.check_ceiling = self.settings.check_ceiling
        self.timeouts.log_change = lambda text, error: self.helpers.db.log_event(
            "timeout", text, error
        )
        self.errors = ErrorDisplay(self.shell, self.timeouts)
        self.shell.codemode_errors = self.errors
        register_magics(self.shell, self.timeouts)
        self.lifecycle = Lifecycle(
            self.store,
            self.codemode_session,
            self.helpers,
            self.settings,
            self.log,
            label=label,
        )
        self.shell.codemode_lifecycle = self.lifecycle
        self.helpers.on_db_open.append(self.lifecycle.on_db_open)
        self._follow_switch()
        self.lifecycle.start()
        # SIGTERM (Jupyter's second step when a kernel is slow to exit, or a
        # plain `kill`) applies the shutdown policy like a shutdown_request.
        with contextlib.suppress(ValueError):  # only the main thread may; an embedded kernel
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def _follow_switch(self) -> None:
        """After a restart, go back to the session ``%session NAME`` chose.

        Only for a kernel-id session: the same kernel, restarted. A name
        from CODEMODE_SESSION_ID is shared by unrelated kernels.
        """
        if self.session_id_source != "kernel id":
            return
        name = self.codemode_session.meta().get("switched_to")
        if isinstance(name, str) and name:
            try:
                self.lifecycle.switch(name)
            except (OSError, ValueError) as exc:
                self._pending_notices.append(f"codemode: could not reopen session {name!r}: {exc}")
                return
            self._pending_notices.append(
                f"codemode: this kernel uses session {name!r} (%session {name} before the restart)"
            )

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        try:
            self.timeouts.watchdog.stop()
            self.lifecycle.shutdown(False, self._interrupt_db)
        except Exception:  # dying is what SIGTERM asked for, whatever happens
            self.log.exception("codemode: session cleanup at SIGTERM failed")
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    def _report_exit(self, note: str | None) -> None:
        """The previous kernel of this session exited at the ladder's last step: say so."""
        if not note:
            return
        self.log.error("%s", note.rstrip())  # the kernel log (this process's stderr)
        first = note.split("\n", 1)[0]
        self._pending_notices.append(
            f"{first}\ncodemode: this is the restarted kernel; variables are gone, the"
            " session database is intact. The full stack is in the kernel log."
        )

    def _interrupt_db(self, error: BaseException | None = None) -> None:
        db = self.helpers.open_db  # never open the database just to interrupt it
        if db is not None:
            db.interrupt(error)
        mcp = self.helpers.open_mcp  # a cell waiting on an MCP tool call (never start one)
        if mcp is not None:
            mcp.interrupt(error)

    # -- SIGINT: see _timeouts.py ----------------------------------------------

    def pre_handler_hook(self) -> None:
        super().pre_handler_hook()  # saves the idle handler for post_handler_hook
        signal.signal(signal.SIGINT, self.timeouts.on_sigint)

    @contextlib.contextmanager
    def _cancel_on_sigint(self, future: Any) -> Iterator[None]:
        # Replaces ipykernel's: our SIGINT handler stays installed and cancels
        # the task thread-safely, so a waiting top-level-await cell stops now.
        import asyncio

        self.timeouts.task, self.timeouts.loop = future, asyncio.get_running_loop()
        try:
            yield
        finally:
            self.timeouts.task = self.timeouts.loop = None

    # -- execution -----------------------------------------------------------------

    async def do_execute(self, code: str, silent: bool, *args: Any, **kwargs: Any) -> Any:
        """Run a cell under its watchdog (limit from %%timeout, metadata or %timeout)."""
        if self._pending_notices and not silent:
            notices, self._pending_notices = self._pending_notices, []
            print("\n".join(notices), file=sys.stderr, flush=True)
        self.lifecycle.before_cell()
        metadata = (self.get_parent() or {}).get("metadata") or {}
        limit, source, warning = self.timeouts.limit_for(code, metadata)
        if warning and not silent:
            print(warning, file=sys.stderr, flush=True)
        parent = self.get_parent() or {}
        label = f"[{self.shell.execution_count}] (msg_id {parent.get('header', {}).get('msg_id')})"
        self.timeouts.begin(limit, source, label)
        self.errors.begin_cell()
        try:
            reply = await super().do_execute(code, silent, *args, **kwargs)
        finally:
            fired = self.timeouts.end()
            self.lifecycle.after_cell()
        if isinstance(reply, dict):
            reply = self.errors.finish_reply(reply, fired)
        return reply

    def do_shutdown(self, restart: bool) -> Any:
        """Runs on the Control thread, possibly while a cell runs."""
        try:
            self.timeouts.watchdog.stop()
            self.lifecycle.shutdown(restart, self._interrupt_db)
        except Exception:  # shutdown must finish whatever happens
            self.log.exception("codemode: session cleanup at shutdown failed")
        return super().do_shutdown(restart)
