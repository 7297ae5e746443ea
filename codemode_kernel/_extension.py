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
    from ._session_magic import SessionMagics
    from ._tracebacks import install

    register(shell)
    shell.register_magics(SQLMagics)
    shell.register_magics(SessionMagics)
    install(shell)


def load(shell: Any) -> None:
    """``%load_ext codemode_kernel`` in a stock IPython kernel.

    Gives ``helpers`` (a session database chosen like the kernel does:
    ``CODEMODE_SESSION_ID``, else the kernel id, else a new id; the notebook
    path is its label), the magics (``%session`` too) and the display. The
    cell timeout needs the kernel and is absent. The shutdown policy
    (``CODEMODE_ON_SHUTDOWN``) applies when the interpreter exits (atexit),
    except when the exit is a kernel restart.
    """
    from ._bootstrap import start
    from ._lifecycle import Lifecycle

    helpers = getattr(shell, "codemode_helpers", None)
    if helpers is None:
        kernel = getattr(shell, "kernel", None)
        connection_file = getattr(getattr(kernel, "parent", None), "connection_file", None)
        started = start(None, None, connection_file or None)
        for w in started.warnings:
            print(f"codemode: {w}")
        helpers = started.helpers
        lifecycle = Lifecycle(
            started.store, started.session, helpers, started.settings, label=started.label
        )
        helpers.on_db_open.append(lifecycle.on_db_open)
        shell.codemode_helpers = helpers
        shell.codemode_lifecycle = lifecycle
        _apply_policy_at_exit(kernel, lifecycle)
    # Else the codemode kernel, or loaded before (maybe %reset since): keep
    # that session and put the same helpers back.
    shell.user_ns["helpers"] = helpers
    shell.user_ns_hidden["helpers"] = helpers
    setup_shell(shell)


def _apply_policy_at_exit(kernel: Any, lifecycle: Any) -> None:
    """Run the lifecycle's shutdown at interpreter exit; a restart keeps the session.

    A stock ipykernel runs ``do_shutdown(restart)`` and then exits (atexit
    runs); the restart flag is read from there.
    """
    import atexit

    restarting = [False]
    do_shutdown = getattr(kernel, "do_shutdown", None)
    if do_shutdown is not None:

        def shutdown_hook(restart: bool, *args: Any, **kwargs: Any) -> Any:
            restarting[0] = bool(restart)
            return do_shutdown(restart, *args, **kwargs)

        kernel.do_shutdown = shutdown_hook
    atexit.register(lambda: lifecycle.shutdown(restarting[0]))
