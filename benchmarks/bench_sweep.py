"""SessionStore.sweep over many idle session directories."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from codemode_kernel._store import DB_NAME, LOCK_NAME, META_NAME, SessionStore, session_dirname

from .harness import Config, Row, fmt_time

__all__ = ["run"]

DAY = 86_400.0


def _populate(root: Path, n: int) -> None:
    """``n`` idle sessions as a kernel leaves them: meta, database, lock file."""
    root.mkdir(mode=0o700)
    old = time.time() - 2 * DAY
    db_bytes = b"\0" * 4096
    for i in range(n):
        sid = f"/home/user/notebooks/analysis-{i}.ipynb"
        d = root / session_dirname(sid)
        d.mkdir(mode=0o700)
        (d / META_NAME).write_text(json.dumps({"id": sid, "created": old, "last_activity": old}))
        (d / DB_NAME).write_bytes(db_bytes)
        (d / LOCK_NAME).touch()


def run(cfg: Config) -> Row:
    sweep, scan, rmtree = [], [], []
    with tempfile.TemporaryDirectory(prefix="cmbench-") as tmp:
        for i in range(cfg.sweep_repeats):
            root = Path(tmp) / f"s{i}"
            _populate(root, cfg.sweep_dirs)
            start = time.perf_counter()
            SessionStore(root).sweep(DAY, dry_run=True)  # scan and decide only
            scan.append(time.perf_counter() - start)
            start = time.perf_counter()
            removed = SessionStore(root).sweep(DAY)
            sweep.append(time.perf_counter() - start)
            if len(removed) != cfg.sweep_dirs or os.listdir(root):
                raise AssertionError(f"sweep removed {len(removed)} of {cfg.sweep_dirs}")
        # The floor: deleting the same tree with no checks at all (once).
        _populate(Path(tmp) / "floor", cfg.sweep_dirs)
        start = time.perf_counter()
        shutil.rmtree(Path(tmp) / "floor")
        rmtree.append(time.perf_counter() - start)
    med, floor = statistics.median(sweep), statistics.median(rmtree)
    return Row(
        f"sweep of {cfg.sweep_dirs:,} idle session dirs",
        f"{fmt_time(med)} (scan and decide, dry run: {fmt_time(statistics.median(scan))})",
        f"(floor: shutil.rmtree of the same dirs, no checks: {fmt_time(floor)})",
        f"{med / floor:.1f}× rmtree",
        "report (target < 2 s)",
        med < 2.0 if cfg.sweep_dirs >= 10_000 else None,
    )
