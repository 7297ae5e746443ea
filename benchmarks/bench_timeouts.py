"""How far past the deadline the query timeout and the cell timeout stop work."""

from __future__ import annotations

import statistics
import time

from .data import fresh_db
from .harness import Config, Row
from .kernel_client import Kernel

__all__ = ["RUNAWAY", "cell_timeout", "query_timeout"]

#: Never ends on its own; SQLite's VM steps stay short (the progress handler runs).
RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def query_timeout(cfg: Config) -> Row:
    from codemode_kernel.errors import QueryTimeoutError

    over = []
    with fresh_db(query_timeout=cfg.query_timeout) as db:
        for _ in range(cfg.query_timeout_runs):
            start = time.perf_counter()
            try:
                db.query(RUNAWAY)
            except QueryTimeoutError:
                pass
            else:
                raise AssertionError("the runaway query ended by itself")
            over.append(time.perf_counter() - start - cfg.query_timeout)
    med = statistics.median(over)
    return Row(
        f"query timeout overshoot (runaway recursive CTE, query_timeout={cfg.query_timeout:g} s)",
        f"{med * 1e3:.1f} ms (worst {max(over) * 1e3:.1f} ms, {len(over)} runs)",
        "—",
        "—",
        "median ≤ 100 ms",
        med <= 0.1,
    )


def _cases() -> dict[str, str]:
    """The runaway cells of the cell-timeout suite (benchmarks/timeout_overshoot.py
    runs the same ones), else a minimal set."""
    try:
        from . import timeout_overshoot

        return dict(timeout_overshoot.CASES)
    except Exception:
        return {
            "busy_loop": "while True:\n    pass",
            "sleep": "import time\ntime.sleep(30)",
            "db_runaway_cte": f"helpers.db.query({RUNAWAY!r})",
        }


def cell_timeout(cfg: Config, kernel: Kernel) -> Row:
    """Reply time minus the limit, at the client (so it includes one round trip)."""
    cases = _cases()
    if cfg.quick:
        cases = dict(list(cases.items())[:1])
    meta = {"codemode": {"timeout": cfg.cell_timeout_limit}}
    over, per_case = [], {}
    for name, code in cases.items():
        mine = []
        for _ in range(cfg.cell_timeout_runs):
            start = time.perf_counter()
            reply = kernel.run(code, metadata=meta, timeout=120)
            mine.append(time.perf_counter() - start - cfg.cell_timeout_limit)
            if reply.get("ename") != "CellTimeoutError":
                raise AssertionError(f"{name}: expected CellTimeoutError, got {reply.get('ename')}")
            kernel.ok("1")
        per_case[name] = statistics.median(mine)
        over += mine
    med = statistics.median(over)
    worst = max(per_case, key=per_case.get)
    return Row(
        f"cell timeout overshoot past the deadline ({len(cases)} runaway kinds,"
        f" limit {cfg.cell_timeout_limit:g} s)",
        f"{med * 1e3:.0f} ms (slowest kind: {worst} {per_case[worst] * 1e3:.0f} ms;"
        f" {len(over)} runs)",
        "—",
        "—",
        "median ≤ 250 ms",
        med <= 0.25,
    )
