"""Cell timeouts, the pure core: limits and the watchdog thread (no IPython).

:class:`Watchdog` is one long-lived thread that calls ``fire(kind)`` at a
cell's deadline (and again every ``REFIRE`` s until the cell ends); the
kernel's glue (:mod:`._timeouts`) turns that into SIGINT and interrupts.
Everything here runs, and is unit-tested, with a plain callback.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
from collections.abc import Callable

__all__ = [
    "REFIRE",
    "RETRY",
    "Watchdog",
    "limit_for",
    "parse_cell_magic",
    "parse_limit",
    "timeout_message",
]

#: Seconds between repeated interrupts of a cell that is past its deadline.
REFIRE = 0.25
#: Seconds before re-signalling when SIGINT landed outside the cell's code.
RETRY = 0.02
_CELL_MAGIC = re.compile(r"^%%timeout(?:[ \t]+(\S*))?[ \t]*$")


def parse_limit(raw: object) -> float:
    """A timeout in seconds from user input; 0 (or off/none) turns it off."""
    if isinstance(raw, str) and raw.strip().lower() in ("off", "none", "0"):
        return 0.0
    if isinstance(raw, bool):
        raise ValueError(f"timeout must be a number of seconds, got {raw!r}")
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"timeout must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"timeout must be a finite number >= 0, got {raw!r}")
    return value


def parse_cell_magic(code: str) -> float | None:
    """The limit of a ``%%timeout N`` first line, or None if there is none (or it is invalid)."""
    for line in code.splitlines():
        if not line.strip():
            continue
        m = _CELL_MAGIC.match(line.strip())
        if not m or not m.group(1):
            return None
        try:
            return parse_limit(m.group(1))
        except ValueError:
            return None  # left in place: the magic itself reports the error
    return None


def limit_for(
    code: str, metadata: dict | None, kernel_limit: float, kernel_source: str
) -> tuple[float, str, str | None]:
    """(limit, where it came from, a warning or None) for one execution.

    Precedence: the cell's ``%%timeout N`` line, then the request's
    ``{"codemode": {"timeout": N}}`` metadata, then the kernel's limit
    (``%timeout`` or the setting, named by ``kernel_source``).
    """
    cell = parse_cell_magic(code)
    if cell is not None:
        return cell, "%%timeout", None
    meta = (metadata or {}).get("codemode")
    if isinstance(meta, dict) and meta.get("timeout") is not None:
        try:
            return parse_limit(meta["timeout"]), "execute request metadata", None
        except ValueError as exc:
            warning = f"codemode: ignored metadata codemode.timeout: {exc}"
            return kernel_limit, kernel_source, warning
    return kernel_limit, kernel_source, None


def timeout_message(limit: float, source: str) -> str:
    """The one-line explanation of a timeout: the limit and how to change it."""
    return (
        f"the cell ran longer than its {limit:g} s limit ({source}) and was"
        " interrupted. Raise it for this cell with '%%timeout N' as its first line, for this"
        " kernel with '%timeout N' (0 = off), per request with metadata"
        ' {"codemode": {"timeout": N}}, or with CODEMODE_CELL_TIMEOUT'
    )


class Watchdog:
    """One long-lived thread that signals the main thread at a cell's deadline.

    Per cell it costs a lock round-trip (and a wake-up only when the new
    deadline is earlier than the one the thread sleeps towards).
    """

    def __init__(self, fire: Callable[[str], None], refire: float = REFIRE) -> None:
        self._fire = fire
        self._refire = refire
        self._cond = threading.Condition(threading.RLock())
        self.generation = 0
        self.active = False
        self.fired = False
        self._timeout_at: float | None = None
        self._retry_at: float | None = None
        self._retry_kind = "interrupt"
        self._sent: tuple[int, str] | None = None
        self._sleeping_until = math.inf
        self._stopped = False
        self._thread: threading.Thread | None = None

    def begin(self, limit: float | None) -> int:
        """A cell starts; ``limit`` seconds (None or 0: no deadline). Returns its generation."""
        with self._cond:
            self.generation += 1
            self.active = True
            self.fired = False
            self._sent = None
            self._retry_at = None
            self._timeout_at = time.monotonic() + limit if limit else None
            if self._timeout_at is not None:
                self._start_thread()
                if self._timeout_at < self._sleeping_until:
                    self._cond.notify()
            return self.generation

    def end(self) -> bool:
        """The cell ended; True if its deadline fired. Pending signals become stale."""
        with self._cond:
            fired = self.fired
            self.generation += 1
            self.active = False
            self._timeout_at = self._retry_at = None
            return fired

    def retry(self, kind: str, delay: float = RETRY) -> None:
        """Signal the current cell again after ``delay`` s (SIGINT landed at a bad spot)."""
        with self._cond:
            if not self.active:
                return
            self._retry_at = time.monotonic() + delay
            self._retry_kind = kind
            self._start_thread()
            self._cond.notify()

    def claim(self) -> str | None:
        """Called by the SIGINT handler: who sent this signal?

        "timeout" or "interrupt" (a retry of the button) for the running cell,
        "stale" for a signal sent for a cell that already ended, None if the
        watchdog did not send it (the Interrupt button, ``kill -INT``).
        """
        with self._cond:
            sent, self._sent = self._sent, None
            if sent is None:
                return None
            gen, kind = sent
            return kind if self.active and gen == self.generation else "stale"

    def stop(self) -> None:
        """End the thread (kernel shutdown)."""
        with self._cond:
            self._stopped = True
            self.active = False
            self._cond.notify()

    def _start_thread(self) -> None:
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, name="codemode-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                due = [t for t in (self._timeout_at, self._retry_at) if t is not None]
                now = time.monotonic()
                when = min(due) if due and self.active else math.inf
                if when > now:
                    self._sleeping_until = when
                    self._cond.wait(None if when == math.inf else when - now)
                    self._sleeping_until = math.inf
                    continue
                # Still under the lock: ``end()`` cannot slip between the
                # check above and the signal, and the tag below lets the
                # handler drop a signal that arrives after its cell ended.
                if self._timeout_at is not None and self._timeout_at <= now:
                    kind = "timeout"
                    self.fired = True
                    self._timeout_at = now + self._refire
                    self._retry_at = None
                else:
                    kind = self._retry_kind
                    self._retry_at = None
                self._sent = (self.generation, kind)
                with contextlib.suppress(Exception):  # must not kill the watchdog
                    self._fire(kind)
