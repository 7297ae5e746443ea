"""The session lifecycle inside a kernel: activity, idle expiry, sweeps, shutdown.

| event                                  | session files                          |
|----------------------------------------|----------------------------------------|
| kernel starts                          | directory held (flock); db opened lazily |
| cell or ``helpers.db`` call            | last activity = now (file: <= 1 write / 5 s) |
| own session idle > TTL                 | db closed and deleted; next call: fresh db + warning |
| start-up / every TTL/4 (<= 10 min)     | other sessions idle > TTL and not live: deleted |
| restart (``restart=True``)             | kept, the new kernel reopens them      |
| shutdown, policy ``delete``            | deleted, unless another live kernel holds them |
| shutdown, policy ``keep``              | kept until idle > TTL                  |
| SIGKILL                                | kept; the lock dies; later sweeps delete after TTL |
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from ._units import duration

if TYPE_CHECKING:
    from ._helpers import Helpers
    from ._settings import Settings
    from ._store import Session, SessionStore

__all__ = ["Lifecycle", "sweep_period"]

log = logging.getLogger("codemode_kernel")


def sweep_period(ttl: float) -> float:
    """How often a kernel sweeps and checks its own expiry: TTL/4, within [0.5 s, 10 min]."""
    return min(max(ttl / 4, 0.5), 600.0)


class Lifecycle:
    """Activity, expiry and cleanup of one kernel's session."""

    def __init__(
        self,
        store: SessionStore,
        session: Session,
        helpers: Helpers,
        settings: Settings,
        logger: Any = log,
    ) -> None:
        self.store = store
        self.session = session
        self.helpers = helpers
        self.settings = settings
        self.log = logger
        self.last_active = time.time()
        self.busy = False
        self.expired: tuple[float, float] | None = None  # (idle seconds, when)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- activity and expiry ------------------------------------------------------

    def idle_seconds(self, now: float | None = None) -> float:
        """Seconds since the last cell or ``helpers.db`` call of this kernel."""
        now = time.time() if now is None else now
        return max(0.0, now - max(self.last_active, self.session.last_used))

    def before_cell(self) -> None:
        """A cell starts: expire the session first if it was idle past the TTL."""
        with self._lock:
            self._expire_if_idle()
            self.busy = True
            self.last_active = time.time()
        if self.session.held:
            self.session.touch()

    def after_cell(self) -> None:
        """A cell ended."""
        with self._lock:
            self.busy = False
            self.last_active = time.time()

    def _expire_if_idle(self) -> bool:
        if self._closed or self.busy or not self.session.path.exists():
            return False
        idle = self.idle_seconds()
        if idle <= self.settings.session_ttl:
            return False
        had_db = self.session.db_path.exists()
        self.helpers.close()
        self.session.release()
        removed = self.store.remove(self.session.id)
        if removed and had_db:
            self.expired = (idle, time.time())
            self.log.warning("codemode: session %r expired (%.0f s idle)", self.session.id, idle)
        elif not removed:
            # Another live kernel holds it: it is not idle; take it back.
            with contextlib.suppress(OSError):
                self.session.acquire()
        return removed

    def on_db_open(self, db: Any) -> None:
        """``Database.on_open`` hook: warn once that the old database expired."""
        expired, self.expired = self.expired, None
        if expired is None:
            return
        idle, _ = expired
        ttl = self.settings.session_ttl
        print(
            f"codemode: the session database of {self.session.id!r} expired after"
            f" {duration(idle)} idle (TTL {duration(ttl)}) and was deleted; this is a new,"
            " empty database. Raise the TTL with CODEMODE_SESSION_TTL.",
            file=sys.stderr,
            flush=True,
        )

    # -- the background sweeper ------------------------------------------------------

    def start(self) -> None:
        """Sweep now and then every ``sweep_period(ttl)``, on a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="codemode-sweeper", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        period = sweep_period(self.settings.session_ttl)
        while not self._stop.is_set():
            try:
                self.sweep_once()
            except Exception:  # never let a bad directory end the sweeper
                self.log.exception("codemode: session sweep failed")
            self._stop.wait(period)

    def sweep_once(self) -> list:
        """Expire this kernel's session if idle; remove other expired, unheld sessions."""
        with self._lock:
            self._expire_if_idle()
        removed = self.store.sweep(self.settings.session_ttl, keep=self.session.id)
        for info in removed:
            self.log.info("codemode: swept expired session %r", info.id)
        return removed

    # -- shutdown ------------------------------------------------------------------

    def shutdown(self, restart: bool, interrupt_db: Any = None) -> None:
        """Close the database and keep or delete the files (Control thread; a cell may run)."""
        self._stop.set()
        with self._lock:
            self._closed = True
        if interrupt_db is not None:
            with contextlib.suppress(Exception):
                interrupt_db()
        # A running cell may hold the database lock; do not wait for it forever.
        closer = threading.Thread(target=self.helpers.close, daemon=True)
        closer.start()
        closer.join(3.0)
        if restart or self.settings.on_shutdown == "keep":
            self.session.release()
        else:
            self.session.remove_if_unheld()
