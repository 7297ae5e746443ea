"""The codemode kernel against a stock python3 ipykernel from the same venv."""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path

from .data import COLUMNS, record
from .harness import Config, Row, fmt_ms, fmt_time, ratio
from .kernel_client import Kernel

__all__ = ["run"]

# data.record as an expression, for the kernel (which cannot import benchmarks).
RECORD_EXPR = "{'id': i, 'name': f'name {i}', 'x': i * 0.25, 'k': i % 97, 'flag': i % 2 == 0}"
#: Must not be imported when a kernel starts (they load on first use).
HEAVY = ("pandas", "sqlglot", "ipywidgets")
SQL_CELL = "%%sql\nSELECT * FROM points WHERE id = 42"


def _start(name: str, env: dict) -> tuple[float, Kernel]:
    """Seconds from start_kernel to the first execute_result, and the kernel."""
    start = time.perf_counter()
    k = Kernel(name, env)
    k.ok("1 + 1")
    return time.perf_counter() - start, k


def _round_trips(kernels: dict[str, Kernel], code: str, n: int) -> dict[str, float]:
    """Median round trip of ``code`` per kernel, in blocks of 10 in ABBA order
    (which kernel goes first alternates, so drift and order effects cancel)."""
    samples: dict[str, list[float]] = {k: [] for k in kernels}
    for k in kernels.values():  # warm-up
        for _ in range(3):
            k.ok(code)
    done, order = 0, list(kernels.items())
    while done < n:
        block = min(10, n - done)
        order.reverse()
        for name, k in order:
            for _ in range(block):
                t = time.perf_counter()
                k.ok(code)
                samples[name].append(time.perf_counter() - t)
        done += block
    return {k: statistics.median(v) for k, v in samples.items()}


def run(cfg: Config, tmp: Path) -> tuple[list[Row], Kernel]:
    """Rows for start-up, round trip and %%sql; also returns a live codemode
    kernel (for the cell-timeout measure), which the caller shuts down."""
    env = {"CODEMODE_DATA_DIR": str(tmp / "sessions")}
    starts: dict[str, list[float]] = {"codemode": [], "python3": []}
    live: dict[str, Kernel] = {}
    for i in range(cfg.kernel_starts):
        for name in starts:
            seconds, k = _start(name, env)
            starts[name].append(seconds)
            if i == cfg.kernel_starts - 1:
                live[name] = k
            else:
                k.shutdown()
    start = {k: statistics.median(v) for k, v in starts.items()}
    # What the first cell found imported: the heavy modules must load on first use.
    expr = f"sorted({{m.split('.')[0] for m in __import__('sys').modules}} & {set(HEAVY)!r})"
    reply = live["codemode"].ok("pass", user_expressions={"heavy": expr})
    heavy = reply["user_expressions"]["heavy"]["data"]["text/plain"]
    trip = _round_trips(live, "x = 1", cfg.round_trips)

    # The same 10,000 points: in the session database, and in a plain file for JupySQL.
    db_file = tmp / "jupysql.db"
    conn = sqlite3.connect(db_file)
    conn.execute(f"CREATE TABLE points ({', '.join(COLUMNS)})")
    conn.executemany(
        "INSERT INTO points VALUES (?, ?, ?, ?, ?)",
        (tuple(record(i).values()) for i in range(10_000)),
    )
    conn.execute("CREATE UNIQUE INDEX points_id ON points (id)")
    conn.commit()
    conn.close()
    live["codemode"].ok(
        f"rec = lambda i: {RECORD_EXPR}\n"
        "helpers.db.batch_insert('points', (rec(i) for i in range(10_000)), progress=False)\n"
        "helpers.db.exec('CREATE UNIQUE INDEX points_id ON points (id)')"
    )
    live["python3"].ok(f"%load_ext sql\n%sql sqlite:///{db_file}")
    sql = _round_trips(live, SQL_CELL, cfg.sql_round_trips)
    live["python3"].shutdown()

    r_start = ratio(start["codemode"], start["python3"])
    r_trip = ratio(trip["codemode"], trip["python3"])
    r_sql = ratio(sql["codemode"], sql["python3"])
    rows = [
        Row(
            "kernel start → first result (jupyter-client)",
            f"{fmt_ms(start['codemode'])} (imported at start, of {'/'.join(HEAVY)}: {heavy})",
            f"stock python3 ipykernel {fmt_ms(start['python3'])}",
            f"{r_start:.2f}× stock",
            "≤ 1.15× stock",
            r_start <= 1.15,
        ),
        Row(
            "cell round trip, trivial cell",
            fmt_time(trip["codemode"]),
            f"stock python3 ipykernel {fmt_time(trip['python3'])}",
            f"{r_trip:.2f}× stock",
            "≤ 1.05× stock",
            r_trip <= 1.05,
        ),
        Row(
            "`%%sql` point query round trip",
            fmt_time(sql["codemode"]),
            f"JupySQL %%sql in a stock kernel {fmt_time(sql['python3'])}",
            f"{r_sql:.2f}× JupySQL ({1 / r_sql:.1f}× faster)",
            "faster",
            r_sql < 1,
        ),
    ]
    return rows, live["codemode"]
