"""``python -m benchmarks [--quick] [--output PATH] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from . import (
    bench_guard,
    bench_insert,
    bench_kernel,
    bench_ladder,
    bench_mcp,
    bench_mcp_client,
    bench_notebook,
    bench_query,
    bench_sweep,
    bench_timeouts,
    bench_transfer,
    report,
)
from .harness import Config, Row

GROUPS = (
    "query",
    "guard",
    "insert",
    "frame",
    "kernel",
    "timeouts",
    "sweep",
    "ladder",
    "mcp",
    "mcp-client",
    "transfer",
    "notebook",
)


def _kernel_group(cfg: Config) -> list[Row]:
    """Kernel rows plus the two timeout rows (the cell timeout reuses the kernel)."""
    with tempfile.TemporaryDirectory(prefix="cmbench-") as tmp:
        rows, kernel = bench_kernel.run(cfg, Path(tmp))
        try:
            rows.append(bench_timeouts.cell_timeout(cfg, kernel))
        finally:
            kernel.shutdown()
    rows.append(bench_timeouts.query_timeout(cfg))
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny sizes, 1-2 repeats (for tests)")
    p.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "RESULTS.md",
        help="where to write the results (default benchmarks/RESULTS.md)",
    )
    p.add_argument("--only", nargs="+", choices=GROUPS, help="run only these groups")
    args = p.parse_args(argv)
    cfg = Config.quick_config() if args.quick else Config()
    env = report.environment()
    groups: dict[str, Callable[[Config], list[Row]]] = {
        "query": bench_query.run,
        "guard": bench_guard.run,
        "insert": bench_insert.run,
        "frame": bench_insert.run_frame,
        "kernel": _kernel_group,  # kernel rows + both timeouts
        "sweep": lambda c: [bench_sweep.run(c)],
        "ladder": bench_ladder.run,  # issue 18: overshoot per runaway kind, per-cell cost
        "mcp": bench_mcp.run,
        "mcp-client": bench_mcp_client.run,  # helpers.mcp calls, paginate memory
        "transfer": bench_transfer.run,
        "notebook": bench_notebook.run,  # plot.histogram vs df.hist, pager keyset vs OFFSET
    }
    wanted = set(args.only or GROUPS)
    if "timeouts" in wanted:
        wanted.add("kernel")
    started = time.perf_counter()
    rows: list[Row] = []
    for name, fn in groups.items():
        if name in wanted:
            t = time.perf_counter()
            rows += fn(cfg)
            print(f"[{name}: {time.perf_counter() - t:.1f} s]", file=sys.stderr, flush=True)
    text = report.write(
        args.output, rows, env, quick=cfg.quick, seconds=time.perf_counter() - started
    )
    print(report.table(rows))
    print(f"\nwritten to {args.output}", file=sys.stderr)
    return 0 if text else 1


if __name__ == "__main__":
    sys.exit(main())
