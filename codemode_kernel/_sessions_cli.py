"""``python -m codemode_kernel sessions``: list, show, sweep and remove sessions.

Works on ``CODEMODE_DATA_DIR`` (default ``<jupyter data dir>/codemode/sessions``)
with the TTL of ``CODEMODE_SESSION_TTL``. Databases are opened read-only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from ._settings import resolve_settings
from ._store import DB_NAME, SessionInfo, SessionStore
from ._units import duration, size

__all__ = ["main"]


def _store_and_ttl() -> tuple[SessionStore, float]:
    settings, warnings = resolve_settings({}, os.environ)
    for w in warnings:
        print(f"codemode: {w}", file=sys.stderr)
    return SessionStore(settings.sessions_dir), settings.session_ttl


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def _connect_ro(path: Path) -> sqlite3.Connection | None:
    db = path / DB_NAME
    if not db.exists():
        return None
    return sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=2.0)


def _user_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND substr(name, 1, 7) != 'sqlite_' AND substr(name, 1, 10) != '_codemode_'"
        " ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _tables(path: Path) -> list[str] | None:
    """User tables of the session at ``path`` (None if it cannot be read)."""
    try:
        conn = _connect_ro(path)
        if conn is None:
            return []
        with contextlib.closing(conn):
            return _user_tables(conn)
    except sqlite3.Error:
        return None


def _row(info: SessionInfo, ttl: float, now: float) -> dict[str, Any]:
    tables = _tables(info.path)
    return {
        "id": info.id,
        "dir": info.path.name,
        "size_bytes": info.size_bytes,
        "tables": None if tables is None else len(tables),
        "last_activity": _iso(info.last_activity),
        "idle_s": round(info.idle_seconds(now), 1),
        "live": info.live,
        "expires_in_s": round(info.last_activity + ttl - now, 1),
    }


def _expires_in(seconds: float) -> str:
    return "expired" if seconds <= 0 else duration(seconds)


def _find_or_report(store: SessionStore, ref: str) -> SessionInfo | None:
    info = _find(store, ref)
    if info is None:
        print(f"error: no session {ref!r} in {store.root}", file=sys.stderr)
    return info


def _find(store: SessionStore, ref: str) -> SessionInfo | None:
    """A session by id, or by the directory name that ``list`` shows."""
    with contextlib.suppress(ValueError):
        info = store.find(ref)
        if info is not None:
            return info
    if ref and "/" not in ref and ref not in (".", "..") and not ref.startswith("."):
        path = store.root / ref
        if path.is_dir():
            return store.info(path)
    return None


def cmd_list(args: argparse.Namespace) -> int:
    store, ttl = _store_and_ttl()
    now = time.time()
    rows = [_row(i, ttl, now) for i in store.list()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"no sessions in {store.root}")
        return 0
    head = ("ID", "SIZE", "TABLES", "LAST ACTIVITY", "LIVE", "EXPIRES IN")
    table = [
        (
            r["id"] if len(r["id"]) <= 48 else "…" + r["id"][-47:],
            size(r["size_bytes"]),
            "?" if r["tables"] is None else str(r["tables"]),
            r["last_activity"],
            "yes" if r["live"] else "no",
            _expires_in(r["expires_in_s"]),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(head)]
    for line in (head, *table):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store, ttl = _store_and_ttl()
    info = _find_or_report(store, args.id)
    if info is None:
        return 1
    out = _row(info, ttl, time.time())
    out.update(path=str(info.path), created=_iso(info.created), schema={}, error=None)
    try:
        conn = _connect_ro(info.path)
        if conn is not None:
            with contextlib.closing(conn):
                for t in _user_tables(conn):
                    q = '"' + t.replace('"', '""') + '"'
                    cols = conn.execute("SELECT name, type FROM pragma_table_info(?)", (t,))
                    n = conn.execute(f"SELECT count(*) FROM {q}").fetchone()[0]
                    out["schema"][t] = {"rows": n, "columns": dict(cols.fetchall())}
    except sqlite3.Error as exc:
        out["error"] = f"cannot read the database: {exc}"
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for key in ("id", "dir", "path", "created", "last_activity", "live"):
        print(f"{key:14} {out[key]}")
    print(f"{'size':14} {size(out['size_bytes'])}")
    print(f"{'expires in':14} {_expires_in(out['expires_in_s'])} (TTL {ttl:g} s)")
    if out["error"]:
        print(out["error"])
    if not out["schema"]:
        print("(no tables)")
    for t, spec in out["schema"].items():
        columns = ", ".join(f"{c} {typ}".strip() for c, typ in spec["columns"].items())
        print(f"  {t} ({spec['rows']} rows): {columns}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    store, ttl = _store_and_ttl()
    ttl = ttl if args.ttl is None else args.ttl
    removed = store.sweep(ttl, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for info in removed:
        print(f"{verb} {info.id} ({size(info.size_bytes)}, idle {info.idle_seconds():.0f} s)")
    print(f"{len(removed)} session(s) {verb} (TTL {ttl:g} s; live sessions are never removed)")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    store, _ = _store_and_ttl()
    info = _find_or_report(store, args.id)
    if info is None:
        return 1
    if info.live and not args.force:
        print(
            f"error: session {info.id!r} is held by a live kernel; shut that kernel down,"
            " or use --force (the kernel then loses its database)",
            file=sys.stderr,
        )
        return 1
    if not store.remove_path(info.path, force=args.force):
        print(f"error: could not remove {info.path}", file=sys.stderr)
        return 1
    print(f"removed {info.id}")
    return 0


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {raw!r}") from None
    if value < 0 or value != value:
        raise argparse.ArgumentTypeError(f"must be >= 0: {raw!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``sessions`` argument parser."""
    p = argparse.ArgumentParser(
        prog="python -m codemode_kernel sessions",
        description="List, inspect, sweep and remove Code Mode session databases"
        " (in CODEMODE_DATA_DIR).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("list", help="id, size, tables, last activity, live, expires in")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("show", help="metadata and schema of one session")
    s.add_argument("id", help="session id (or its directory name)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_show)
    s = sub.add_parser("sweep", help="remove sessions idle past the TTL that no kernel holds")
    s.add_argument("--ttl", type=_seconds, help="idle seconds (default CODEMODE_SESSION_TTL)")
    s.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    s.set_defaults(func=cmd_sweep)
    s = sub.add_parser("rm", help="remove one session")
    s.add_argument("id", help="session id (or its directory name)")
    s.add_argument("--force", action="store_true", help="even if a live kernel holds it")
    s.set_defaults(func=cmd_rm)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (argparse exits 2 on bad usage)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
