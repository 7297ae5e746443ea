"""The MCP server's kernels: one ``CodeModeSession`` per MCP connection.

A connection's kernel starts on its first tool call and is shut down when the
connection ends, under the ``delete`` policy: its session directory goes with
it. With a pinned session (``--session NAME``) every connection of this server
process uses the one kernel of that session, started with the ``keep`` policy,
and it is shut down when its last connection ends (the data stays for the
session TTL). Over stdio each client starts its own server, so its own kernel.

The methods block (jupyter-client is synchronous); the server calls them from
worker threads. The number of live kernels is capped (``max_sessions``).
"""

from __future__ import annotations

import collections
import dataclasses
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

from ._client import CodeModeSession
from .errors import CodeModeError

__all__ = ["KernelPool", "Lease", "SessionBusyError", "SessionExpiredError", "SessionLimitError"]

#: Full-size images kept per session for ``codemode://outputs/{id}`` (oldest dropped first).
MAX_OUTPUTS = 64


class SessionLimitError(CodeModeError):
    """The server already runs ``--max-sessions`` kernels."""


class SessionExpiredError(CodeModeError):
    """The connection's kernel was shut down for being idle; the next call starts afresh."""


class SessionBusyError(CodeModeError):
    """Too many calls are already waiting for this session's kernel (``--max-queued``)."""


@dataclasses.dataclass
class _Slot:
    session_id: str
    session: CodeModeSession | None = None
    users: set[str] = dataclasses.field(default_factory=set)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    last_used: float = dataclasses.field(default_factory=time.monotonic)
    busy: int = 0  # calls running now: a long cell is not idle
    outputs: collections.OrderedDict = dataclasses.field(default_factory=collections.OrderedDict)


@dataclasses.dataclass
class Lease:
    """A call's hold on a kernel (:meth:`KernelPool.acquire`): while it is held the
    idle reaper leaves the kernel alone. :meth:`done` ends it (idempotent)."""

    session: CodeModeSession
    _pool: KernelPool
    _slot: _Slot
    _held: bool = True

    def done(self) -> None:
        with self._pool._lock:
            if self._held:
                self._held = False
                self._slot.busy -= 1
                self._slot.last_used = time.monotonic()


class KernelPool:
    """Kernels keyed by connection; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        max_sessions: int = 8,
        cell_timeout: float | None = None,
        max_timeout: float | None = None,
        output_limit: int = 100_000,
        pinned: str | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> None:
        self.max_sessions = max_sessions
        self.cell_timeout = cell_timeout
        self.max_timeout = max_timeout
        self.output_limit = output_limit
        self.pinned = pinned
        self.data_dir = data_dir
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()
        self._live = 0  # kernels running or starting
        self._expired: dict[str, str] = {}  # key -> why its kernel was shut down

    # -- which slot -------------------------------------------------------------

    def slot_key(self, key: str) -> str:
        """The kernel ``key`` uses: its own, or the pinned session's (shared by all keys)."""
        return f"pinned:{self.pinned}" if self.pinned else key

    def _slot_locked(self, key: str) -> _Slot:
        # Caller holds self._lock.
        sk = self.slot_key(key)
        slot = self._slots.get(sk)
        if slot is None:
            sid = self.pinned or f"mcp-{uuid.uuid4().hex[:16]}"
            slot = self._slots[sk] = _Slot(sid)
        slot.users.add(key)
        return slot

    def _slot(self, key: str) -> _Slot:
        with self._lock:
            return self._slot_locked(key)

    def session_id(self, key: str) -> str:
        """The codemode session id that ``key`` uses (no kernel is started)."""
        return self._slot(key).session_id

    # -- kernels ----------------------------------------------------------------

    def _start(self, slot: _Slot) -> CodeModeSession:
        with self._lock:
            if self._live >= self.max_sessions:
                n = self._live
                raise SessionLimitError(
                    f"this MCP server already runs {n} Code Mode kernel{'s' * (n != 1)}, its limit"
                    f" (--max-sessions {self.max_sessions}). Close another MCP session (or"
                    " wait for an idle one to expire), or restart the server with a higher"
                    " --max-sessions"
                )
            self._live += 1
        env = {"CODEMODE_ON_SHUTDOWN": "keep" if self.pinned else "delete"}
        if self.max_timeout:
            # The operator's --max-timeout is the kernel's ceiling too, so code
            # run by run_python (%timeout 0, %%timeout N) cannot lift it.
            env["CODEMODE_CELL_TIMEOUT_MAX"] = str(self.max_timeout)
        try:
            # The kernel's own stdout is not ours: over stdio it is the protocol.
            return CodeModeSession(
                slot.session_id,
                data_dir=self.data_dir,
                cell_timeout=(
                    min(self.cell_timeout, self.max_timeout)
                    if self.cell_timeout and self.max_timeout
                    else self.cell_timeout
                ),
                env=env,
                output_limit=self.output_limit,
                launch_kwargs={"stdout": subprocess.DEVNULL, "stdin": subprocess.DEVNULL},
            )
        except BaseException:
            with self._lock:
                self._live -= 1
            raise

    def session(self, key: str) -> CodeModeSession:
        """The kernel of ``key``, started now if it has none (or its kernel died).

        Raises :class:`SessionLimitError` past ``max_sessions`` live kernels, and
        :class:`SessionExpiredError` once after :meth:`expire` shut it down.
        """
        lease = self.acquire(key)
        lease.done()
        return lease.session

    def acquire(self, key: str) -> Lease:
        """:meth:`session`, marked busy until ``Lease.done()``.

        Finding the slot and marking it busy is one step under the pool lock,
        so :meth:`expire` cannot shut the kernel down between the two.
        """
        with self._lock:
            why = self._expired.pop(key, None)
            if why is None:
                slot = self._slot_locked(key)
                slot.busy += 1
                slot.last_used = time.monotonic()
        if why is not None:
            raise SessionExpiredError(why)
        try:
            with slot.lock:
                if slot.session is not None and not slot.session.km.is_alive():
                    self._stop(slot)
                if slot.session is None:
                    slot.session = self._start(slot)
                return Lease(slot.session, self, slot)
        except BaseException:
            with self._lock:
                slot.busy -= 1
            raise

    def peek(self, key: str) -> CodeModeSession | None:
        """The running kernel of ``key``, or None (never starts one)."""
        with self._lock:
            slot = self._slots.get(self.slot_key(key))
        return None if slot is None else slot.session

    def _stop(self, slot: _Slot) -> None:
        """Shut the slot's kernel down (caller holds ``slot.lock``)."""
        session, slot.session = slot.session, None
        if session is None:
            return
        try:
            session.close()
        finally:
            with self._lock:
                self._live -= 1

    def _detach_locked(self, key: str) -> _Slot | None:
        # Caller holds self._lock: drop ``key`` from its slot; the slot, if that was its last user.
        sk = self.slot_key(key)
        slot = self._slots.get(sk)
        if slot is None:
            return None
        slot.users.discard(key)
        if slot.users:
            return None
        del self._slots[sk]
        return slot

    def release(self, key: str) -> None:
        """``key``'s connection ended: shut its kernel down unless others still use it."""
        with self._lock:
            self._expired.pop(key, None)
            slot = self._detach_locked(key)
        if slot is not None:
            with slot.lock:
                self._stop(slot)

    def expire(self, key: str, idle_s: float) -> bool:
        """Shut ``key``'s kernel down if it is still idle for ``idle_s`` s; its next
        call is told so, once. Returns whether it did.

        The idleness is checked again under the pool lock, in the same step that
        detaches the slot: a call that took the kernel meanwhile keeps it.
        """
        policy = "its data is kept" if self.pinned else "its data was deleted"
        with self._lock:
            slot = self._slots.get(self.slot_key(key))
            if slot is None or slot.busy or time.monotonic() - slot.last_used < idle_s:
                return False
            self._expired[key] = (
                f"session {slot.session_id} was idle for more than {idle_s:g} s (--idle-ttl):"
                f" its kernel was shut down and {policy}. The next call starts a new session"
            )
            slot = self._detach_locked(key)
        if slot is not None:
            with slot.lock:
                self._stop(slot)
        return True

    def reset(self, key: str) -> str:
        """Delete ``key``'s session database and start a fresh kernel; return the session id."""
        from ._settings import resolve_settings
        from ._store import SessionStore

        slot = self._slot(key)
        with slot.lock:
            self._stop(slot)
            env = dict(os.environ)
            if self.data_dir is not None:
                env["CODEMODE_DATA_DIR"] = str(self.data_dir)
            root = resolve_settings(env=env)[0].sessions_dir
            # Under ``keep`` the directory outlives the kernel; remove it here.
            SessionStore(Path(root)).remove(slot.session_id)
            slot.outputs.clear()
            slot.session = self._start(slot)
            slot.last_used = time.monotonic()
            return slot.session_id

    def idle(self, seconds: float) -> list[str]:
        """Keys whose kernel has been idle for ``seconds`` or more."""
        now = time.monotonic()
        with self._lock:
            return [
                key
                for slot in self._slots.values()
                if slot.session is not None and not slot.busy and now - slot.last_used >= seconds
                for key in slot.users
            ]

    def close_all(self) -> None:
        """Shut every kernel down (the server is exiting)."""
        with self._lock:
            slots = list(self._slots.values())
            self._slots.clear()
        for slot in slots:
            with slot.lock:
                self._stop(slot)

    @property
    def live(self) -> int:
        return self._live

    # -- full-size outputs ------------------------------------------------------

    def put_output(self, key: str, mime: str, data: bytes) -> str | None:
        """Keep ``data`` for ``codemode://outputs/{id}``; return that URI, or None
        when ``key`` has no session any more (its connection ended meanwhile):
        a released slot is never re-created here."""
        with self._lock:
            slot = self._slots.get(self.slot_key(key))
            if slot is None:
                return None
            oid = uuid.uuid4().hex[:12]
            slot.outputs[oid] = (mime, data)
            while len(slot.outputs) > MAX_OUTPUTS:
                slot.outputs.popitem(last=False)
        return f"codemode://outputs/{oid}"

    def get_output(self, key: str, oid: str) -> tuple[str, bytes] | None:
        with self._lock:
            slot = self._slots.get(self.slot_key(key))
            return None if slot is None else slot.outputs.get(oid)
