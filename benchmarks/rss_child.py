"""Child process: peak RSS growth of batch_insert over a generator.

``python -m benchmarks.rss_child ROWS`` prints one JSON line:
``{"rows", "seconds", "growth_mb", "before_mb", "peak_mb"}``. RSS is sampled
every 20 ms from /proc (ru_maxrss would include the warm-up's peak).
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import sys
import threading
import time

from .data import fresh_db, records


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _current_rss_mb()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _current_rss_mb())


def main(rows: int) -> dict:
    # One batch_insert is one call, and query_timeout (30 s) bounds each call:
    # 10 million rows take longer than that here, so the limit is raised.
    with fresh_db(query_timeout=3600.0) as db:
        # Warm up every code path first, so growth is the data, not imports.
        with contextlib.redirect_stderr(io.StringIO()):
            db.batch_insert("warm", records(20_000), progress=True)
            before = _current_rss_mb()
            sampler = _Sampler()
            sampler.start()
            start = time.perf_counter()
            n = db.batch_insert("t", records(rows))
            seconds = time.perf_counter() - start
            sampler.done.set()
            sampler.join()
        peak = max(sampler.peak, _current_rss_mb())
    return {
        "rows": n,
        "seconds": seconds,
        "before_mb": round(before, 1),
        "peak_mb": round(peak, 1),
        "growth_mb": round(peak - before, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
