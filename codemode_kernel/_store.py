"""The session store: where each session's files live, and who holds them.

A session id is any string (a notebook path, a kernel id, an agent's chat
id). It never becomes a path as it is: the directory name is a readable,
sanitised prefix plus a hash of the whole id, so hostile ids
(``../../etc/passwd``, NUL bytes, 10 kB of text, unicode) stay inside the
data dir and two different ids never share a directory.

Layout of one session directory (0700; files 0600)::

    <data dir>/<slug>-<sha256[:20]>/
        meta.json      id, created, last_activity (epoch seconds)
        session.db     the SQLite database (+ -wal / -shm while open)
        kernel.lock    each live kernel holds a shared flock on it

A live kernel holds ``LOCK_SH`` on ``kernel.lock`` for its whole life; the
lock dies with the process (even on SIGKILL), so "is anyone using this
session?" is "can I take ``LOCK_EX`` without waiting?".
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "DB_NAME",
    "Session",
    "SessionInfo",
    "SessionStore",
    "database_size",
    "resolve_session_id",
    "session_dirname",
]

DB_NAME = "session.db"
META_NAME = "meta.json"
LOCK_NAME = "kernel.lock"
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def session_dirname(session_id: str) -> str:
    """Map a session id to a directory name that is safe and unique."""
    digest = hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    slug = _SLUG_UNSAFE.sub("_", session_id.rsplit("/", 1)[-1])[-40:].lstrip(".-_")
    return f"{slug}-{digest}" if slug else digest


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically with mode 0600 (rename over the old file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@dataclasses.dataclass
class SessionInfo:
    """What ``sessions list`` shows about one session directory."""

    id: str
    path: Path
    created: float
    last_activity: float
    size_bytes: int
    live: bool

    def idle_seconds(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.last_activity)


def database_size(directory: Path) -> int:
    """Bytes of a session's database on disk: the file, its WAL and its shared memory."""
    size = 0
    for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm"):
        with contextlib.suppress(OSError):
            size += (directory / name).stat().st_size
    return size


class Session:
    """One session directory, opened by this process."""

    def __init__(self, store: SessionStore, session_id: str) -> None:
        self.store = store
        self.id = session_id
        self.path = store.path_for(session_id)
        self._lock_fd: int | None = None
        self._last_touch = 0.0
        #: Last activity in this process (not throttled; the file's is).
        self.last_used = 0.0

    @property
    def db_path(self) -> Path:
        return self.path / DB_NAME

    @property
    def meta_path(self) -> Path:
        return self.path / META_NAME

    def ensure(self) -> None:
        """Create the directory and metadata if missing (0700 / 0600)."""
        self.store.root_ensure()
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.path, 0o700)
        if not self.meta_path.exists():
            now = time.time()
            self._write_meta({"id": self.id, "created": now, "last_activity": now})
            self._last_touch = now

    def meta(self) -> dict:
        """The metadata, or a minimal record if the file is missing or damaged."""
        try:
            return json.loads(self.meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return {"id": self.id, "created": 0.0, "last_activity": 0.0}

    def _write_meta(self, meta: dict) -> None:
        _write_private(self.meta_path, json.dumps(meta).encode())

    def touch(self, *, min_interval: float = 5.0) -> None:
        """Record activity now; at most one file write per ``min_interval`` s."""
        now = time.time()
        self.last_used = now
        if now - self._last_touch < min_interval:
            return
        self._last_touch = now
        meta = self.meta()
        meta["last_activity"] = now
        with contextlib.suppress(OSError):
            self._write_meta(meta)

    def acquire(self) -> None:
        """Mark this session as held by a live kernel (this process)."""
        if self._lock_fd is not None:
            return
        for _ in range(20):
            self.ensure()
            fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_SH)
            # A sweep may have moved the directory away while we waited for
            # the lock: only a lock on the file that is still in place counts.
            try:
                same = os.stat(self.path / LOCK_NAME).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._lock_fd = fd
                return
            os.close(fd)
        raise OSError(f"could not hold session directory {self.path}")

    def release(self) -> None:
        """Drop this kernel's hold on the session."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def held(self) -> bool:
        return self._lock_fd is not None

    def remove_if_unheld(self) -> bool:
        """Delete the session's files unless another live kernel holds it."""
        self.release()
        return self.store.remove(self.id)


class SessionStore:
    """All sessions under one data dir."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def root_ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path_for(self, session_id: str) -> Path:
        if not isinstance(session_id, str) or not session_id:
            raise ValueError("a session id must be a non-empty string")
        return self.root / session_dirname(session_id)

    def open(self, session_id: str) -> Session:
        return Session(self, session_id)

    def _dirs(self) -> Iterator[Path]:
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return
        for entry in entries:
            # Dot names are directories being deleted (see remove_path).
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                yield Path(entry.path)

    @staticmethod
    def is_live(path: Path) -> bool:
        """True while some kernel holds the session at ``path``."""
        try:
            fd = os.open(path / LOCK_NAME, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    @staticmethod
    def _meta(path: Path) -> dict:
        try:
            return json.loads((path / META_NAME).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def info(
        self, path: Path, *, meta: dict | None = None, live: bool | None = None
    ) -> SessionInfo:
        meta = self._meta(path) if meta is None else meta
        fallback = 0.0
        if "last_activity" not in meta or "created" not in meta:
            with contextlib.suppress(OSError):
                fallback = path.stat().st_mtime
        return SessionInfo(
            id=str(meta.get("id", path.name)),
            path=path,
            created=float(meta.get("created", fallback)),
            last_activity=float(meta.get("last_activity", fallback)),
            size_bytes=database_size(path),
            live=self.is_live(path) if live is None else live,
        )

    def list(self) -> list[SessionInfo]:
        return sorted((self.info(p) for p in self._dirs()), key=lambda i: -i.last_activity)

    def find(self, session_id: str) -> SessionInfo | None:
        path = self.path_for(session_id)
        return self.info(path) if path.is_dir() else None

    def remove(self, session_id: str, *, force: bool = False) -> bool:
        """Delete a session's directory; refuse (return False) while it is live."""
        path = self.path_for(session_id)
        return self.remove_path(path, force=force)

    def remove_path(self, path: Path, *, force: bool = False) -> bool:
        """Delete the session directory at ``path``; False if absent, or live and not ``force``."""
        if not path.is_dir():
            return False
        fd = None
        with contextlib.suppress(FileNotFoundError):
            fd = os.open(path / LOCK_NAME, os.O_RDWR)
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not force:
                        return False
            # Holding LOCK_EX, move the directory out of the way in one step:
            # a kernel that opens the session now waits for the lock, then
            # sees that its lock file is gone and starts a fresh directory.
            grave = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.rm")
            try:
                os.rename(path, grave)
            except FileNotFoundError:
                return False
        finally:
            if fd is not None:
                os.close(fd)
        _delete_tree(grave)
        return not path.exists()

    def sweep(
        self,
        ttl: float,
        *,
        now: float | None = None,
        dry_run: bool = False,
        keep: str | None = None,
    ) -> list[SessionInfo]:
        """Remove every session idle longer than ``ttl`` that no live kernel holds.

        Uses file metadata only (no SQLite), so 10,000 directories sweep fast.
        ``keep`` names one session id never to touch (the caller's own).
        """
        now = time.time() if now is None else now
        keep_path = self.path_for(keep) if keep else None
        removed: list[SessionInfo] = []
        for path in self._dirs():
            if path == keep_path:
                continue
            meta = self._meta(path)
            info = None
            if "last_activity" not in meta:  # damaged: fall back to the dir's mtime
                info = self.info(path, meta=meta)
            last = info.last_activity if info else float(meta["last_activity"])
            if now - last <= ttl:
                continue
            if dry_run:
                info = info or self.info(path, meta=meta)
                if not info.live:
                    removed.append(info)
                continue
            # Liveness is decided under the exclusive lock in remove_path.
            info = info or self.info(path, meta=meta, live=False)
            if self.remove_path(path):
                removed.append(info)
        return removed


def _delete_tree(path: Path) -> None:
    """Delete a session directory: a few plain files, so unlink them directly
    (about twice as fast as shutil.rmtree for 10,000 small directories)."""
    try:
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            pass
    with contextlib.suppress(OSError):
        os.rmdir(path)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)


def resolve_session_id(
    configured: str | None, env: dict | os._Environ, connection_file: str | None
) -> tuple[str, str]:
    """(session id, where it came from), in order of precedence.

    1. ``CODEMODE_SESSION_ID`` (or ``--CodeModeKernel.session_id``);
    2. ``JPY_SESSION_NAME``: the notebook path that jupyter_server sets;
    3. the kernel id from the connection file name (``kernel-<id>.json``);
    4. a random id, for a kernel started without one.
    """
    if configured:
        return configured, "CODEMODE_SESSION_ID"
    name = env.get("JPY_SESSION_NAME")
    if name:
        return name, "JPY_SESSION_NAME"
    if connection_file:
        stem = Path(connection_file).name
        stem = stem.removesuffix(".json").removeprefix("kernel-")
        if stem:
            return stem, "kernel id"
    import uuid

    return uuid.uuid4().hex, "random"
