"""Timing primitives (warm-up, interleaved rounds, medians) and the result row."""

from __future__ import annotations

import dataclasses
import gc
import statistics
import time
from collections.abc import Callable

__all__ = ["Config", "Row", "compare", "fmt_ms", "fmt_time", "ratio"]


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes and repeat counts; ``quick`` shrinks everything for the test suite."""

    quick: bool = False
    rounds: int = 15  # timed rounds for the micro measures (median over rounds)
    round_seconds: float = 0.03  # each round repeats the call for about this long
    point_table_rows: int = 100_000
    distinct_queries: int = 1_000
    distinct_rounds: int = 3
    big_query_rows: int = 10_000
    insert_rows: int = 1_000_000
    insert_repeats: int = 5  # the slow baselines run 2 of them
    rss_rows: int = 10_000_000
    frame_rows: int = 2_000_000  # issue 15: the DataFrame path
    frame_repeats: int = 5
    kernel_starts: int = 5
    round_trips: int = 400
    sql_round_trips: int = 50
    cell_timeout_runs: int = 3  # per case of test_timeouts.CASES
    cell_timeout_limit: float = 1.0
    ladder_runs: int = 10  # per runaway kind (issue 18)
    ladder_limit: float = 1.0
    ladder_grace: float = 0.5
    query_timeout_runs: int = 20
    query_timeout: float = 0.25
    sweep_dirs: int = 10_000
    sweep_repeats: int = 3
    transfer_rows: int = 200_000
    transfer_repeats: int = 3
    hist_rows: int = 5_000_000
    pager_rows: int = 10_000_000

    @classmethod
    def quick_config(cls) -> Config:
        return cls(
            quick=True,
            rounds=2,
            round_seconds=0.005,
            point_table_rows=2_000,
            distinct_queries=20,
            distinct_rounds=1,
            big_query_rows=500,
            insert_rows=2_000,
            insert_repeats=1,
            rss_rows=20_000,
            frame_rows=2_000,
            frame_repeats=1,
            kernel_starts=1,
            round_trips=5,
            sql_round_trips=3,
            cell_timeout_runs=1,
            cell_timeout_limit=0.5,
            ladder_runs=1,
            query_timeout_runs=2,
            query_timeout=0.1,
            sweep_dirs=200,
            sweep_repeats=1,
            transfer_rows=2_000,
            transfer_repeats=1,
            hist_rows=20_000,
            pager_rows=20_000,
        )


@dataclasses.dataclass
class Row:
    """One line of the results table (values already formatted)."""

    measure: str
    ours: str
    baselines: str
    ratio: str
    target: str
    met: bool | None  # None: report only

    @property
    def met_text(self) -> str:
        return {True: "yes", False: "**no**", None: "—"}[self.met]


def _calibrate(fn: Callable[[], object], seconds: float) -> int:
    """How many calls of ``fn`` take about ``seconds`` (also the warm-up)."""
    n, spent = 0, 0.0
    start = time.perf_counter()
    while spent < seconds or n < 2:
        fn()
        n += 1
        spent = time.perf_counter() - start
    return max(1, round(n * seconds / spent))


def compare(
    fns: dict[str, Callable[[], object]], *, rounds: int, round_seconds: float
) -> dict[str, float]:
    """Median seconds per call of each function.

    Each function is warmed up, then timed in ``rounds`` rounds; the rounds
    of all functions are interleaved, so load from other processes on this
    shared machine falls on all of them alike.
    """
    numbers = {name: _calibrate(fn, round_seconds) for name, fn in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n = numbers[name]
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


def fmt_time(seconds: float) -> str:
    """1.23 µs / 4.56 ms / 7.89 s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.0f} ms"


def ratio(ours: float, base: float) -> float:
    return ours / base if base > 0 else float("inf")
