"""helpers.db.export / restore of one table, against plain sqlite3 and pandas."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database

from .harness import Config, Row, fmt_time

__all__ = ["run"]


def _session(root: Path, sid: str) -> Database:
    s = Settings(data_dir=root / "sessions")
    return Database(SessionStore(s.sessions_dir).open(sid), s)


def _timed(fns: dict[str, Callable[[int], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function, the repeats interleaved (ABAB...)."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for i in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(i)
            samples[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in samples.items()}


def run(cfg: Config) -> list[Row]:
    import pandas as pd

    n, reps = cfg.transfer_rows, cfg.transfer_repeats
    with tempfile.TemporaryDirectory(prefix="cmbench-") as tmp:
        root = Path(tmp)
        src = _session(root, "source")
        src.batch_insert(
            "orders",
            (
                {"id": i, "customer": f"c{i % 997}", "amount": i * 0.25, "note": f"n{i}"}
                for i in range(n)
            ),
            progress=False,
        )
        src.exec("CREATE INDEX orders_customer ON orders(customer)")
        raw = sqlite3.connect(src.path)

        def raw_backup(i: int) -> None:
            dest = sqlite3.connect(root / f"raw{i}.db")
            raw.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")
            dest.close()

        ex = _timed(
            {
                "ours": lambda i: src.export(root / f"ours{i}.db"),
                "backup": raw_backup,
                "vacuum": lambda i: raw.execute(f"VACUUM INTO '{root / f'vac{i}.db'}'"),
            },
            reps,
        )
        size = (root / "ours0.db").stat().st_size
        pq = _timed(
            {
                "ours": lambda i: src.export(root / f"ours{i}.parquet", tables="orders"),
                "pandas": lambda i: pd.read_sql_query("SELECT * FROM orders", raw).to_parquet(
                    root / f"pd{i}.parquet", index=False
                ),
            },
            reps,
        )
        pq_size = (root / "ours0.parquet").stat().st_size

        def raw_copy(i: int) -> None:
            # The floor: ATTACH + INSERT ... SELECT in SQLite, no Python per row.
            conn = sqlite3.connect(root / f"rawdst{i}.db", isolation_level=None)
            conn.execute(f"ATTACH '{root / 'ours0.db'}' AS src")
            conn.execute("BEGIN")
            sql = conn.execute("SELECT sql FROM src.sqlite_master WHERE name='orders'").fetchone()
            conn.execute(sql[0])
            conn.execute("INSERT INTO orders SELECT * FROM src.orders")
            conn.execute("CREATE INDEX orders_customer ON orders(customer)")
            conn.execute("COMMIT")
            conn.close()

        def pandas_copy(i: int) -> None:
            with sqlite3.connect(root / "ours0.db") as a, sqlite3.connect(root / f"pd{i}.db") as b:
                pd.read_sql_query("SELECT * FROM orders", a).to_sql("orders", b, index=False)

        rs = _timed(
            {
                "ours": lambda i: _session(root, f"dst{i}").restore(root / "ours0.db"),
                "raw": raw_copy,
                "pandas": pandas_copy,
            },
            reps,
        )
        raw.close()
        src.close()
    rows = f"{n:,}-row table"
    return [
        Row(
            f"export {rows} to .db",
            f"{fmt_time(ex['ours'])} ({size / 1e6:.1f} MB)",
            f"sqlite3 backup(): {fmt_time(ex['backup'])}; VACUUM INTO: {fmt_time(ex['vacuum'])}",
            f"{ex['ours'] / ex['backup']:.2f}× backup()",
            "report",
            None,
        ),
        Row(
            f"export {rows} to Parquet",
            f"{fmt_time(pq['ours'])} ({pq_size / 1e6:.1f} MB)",
            f"read_sql_query + to_parquet: {fmt_time(pq['pandas'])}",
            f"{pq['ours'] / pq['pandas']:.2f}× pandas",
            "report",
            None,
        ),
        Row(
            f"restore {rows} from .db",
            fmt_time(rs["ours"]),
            f"ATTACH + INSERT…SELECT (floor): {fmt_time(rs['raw'])};"
            f" read_sql_query + to_sql: {fmt_time(rs['pandas'])}",
            f"{rs['ours'] / rs['raw']:.1f}× ATTACH, {rs['ours'] / rs['pandas']:.2f}× pandas",
            "report",
            None,
        ),
    ]
