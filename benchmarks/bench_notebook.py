"""The notebook helpers against what a pandas user does (issue 19).

* ``helpers.plot.histogram`` over a ``hist_rows``-row column (binned in
  SQLite, 50 bins come back) against pandas' ``df.hist`` on the same column
  already loaded into a DataFrame (and the load, ``pd.read_sql_query``,
  reported apart), and JupySQL's ``%sqlplot histogram`` (also binned in SQL)
  on the same file. Each side runs in its own child process, so the peak RSS
  growth is its own; matplotlib's Agg backend draws both.
* The pager on a ``pager_rows``-row table: the first and the last page by
  keyset (ours) against ``LIMIT 20 OFFSET n`` (what a plain pager does),
  in table order and sorted by an indexed column.

``python -m benchmarks.bench_notebook child KIND DATA_DIR ROWS`` is the child.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .harness import Config, Row, fmt_time

__all__ = ["run"]

BINS = 50
PAGE = 20


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


class _Peak(threading.Thread):
    """Samples RSS every 10 ms until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = _rss_mb()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def stop(self) -> float:
        self.done.set()
        self.join()
        return max(self.peak, _rss_mb())


def _open(data_dir: str):
    from codemode_kernel._settings import Settings
    from codemode_kernel._store import SessionStore
    from codemode_kernel.db import Database

    s = Settings(data_dir=Path(data_dir), query_timeout=3600.0)
    return Database(SessionStore(s.sessions_dir).open("bench"), s)


def _build(data_dir: Path, hist_rows: int, pager_rows: int) -> None:
    """The tables, made in SQLite (a recursive CTE; nothing passes through Python)."""
    db = _open(str(data_dir))
    db.exec(
        "CREATE TABLE h (id INTEGER PRIMARY KEY, x REAL);"
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT, x REAL);"
        "CREATE TABLE warm (x REAL)"
    )
    for table, n, cols, values in (
        ("h", hist_rows, "id, x", "i, (abs(random()) % 1000000) / 1000.0"),
        ("p", pager_rows, "id, name, x", "i, 'name ' || i, (abs(random()) % 1000000) / 1000.0"),
        ("warm", 1000, "x", "i * 1.0"),
    ):
        db.exec(
            f"WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {n})"
            f" INSERT INTO {table} ({cols}) SELECT {values} FROM c"
        )
    db.exec("CREATE INDEX p_x ON p (x)")
    db.close()


def child(kind: str, data_dir: str) -> dict:
    """One histogram in this process: time and peak RSS growth (JSON-able)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    out: dict = {}
    if kind == "ours":
        from codemode_kernel._plot import Plot

        db = _open(data_dir)
        plot = Plot(db)
        plot.histogram("warm", "x", bins=BINS)  # imports and first-call costs
        plt.close("all")
        before, peak = _rss_mb(), _Peak()
        peak.start()
        start = time.perf_counter()
        ax = plot.histogram("h", "x", bins=BINS)
        out["seconds"] = time.perf_counter() - start
        out["counted"] = int(ax.data["count"].sum())
    elif kind == "jupysql":
        from .data import jupysql_shell

        path = next(Path(data_dir).glob("*/session.db"))
        shell = jupysql_shell(path)
        shell.run_line_magic("sqlplot", f"histogram --table warm --column x --bins {BINS}")
        plt.close("all")
        before, peak = _rss_mb(), _Peak()
        peak.start()
        start = time.perf_counter()
        shell.run_line_magic("sqlplot", f"histogram --table h --column x --bins {BINS}")
        out["seconds"] = time.perf_counter() - start
        out["counted"] = None  # JupySQL returns only the Axes
    else:
        import sqlite3

        path = next(Path(data_dir).glob("*/session.db"))
        conn = sqlite3.connect(path)
        pd.DataFrame({"x": [1.0, 2.0]}).hist(column="x", bins=BINS)  # warm-up
        plt.close("all")
        before, peak = _rss_mb(), _Peak()
        peak.start()
        start = time.perf_counter()
        df = pd.read_sql_query("SELECT x FROM h", conn)
        out["load_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        df.hist(column="x", bins=BINS)
        out["seconds"] = time.perf_counter() - start
        out["counted"] = len(df)
    out["growth_mb"] = peak.stop() - before
    return out


def _child(kind: str, data_dir: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_notebook", "child", kind, str(data_dir)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    # JupySQL prints "Closing sqlite:///..." at exit, after the JSON line.
    (line,) = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1:]
    return json.loads(line)


def _histogram_rows(cfg: Config, data_dir: Path) -> list[Row]:
    runs = 1 if cfg.quick else 3
    # Round by round (ours, pandas, JupySQL), so load from other processes on
    # this shared machine falls on all three alike.
    ours, pandas, jupysql = [], [], []
    has_jupysql = True
    for _ in range(runs):
        ours.append(_child("ours", data_dir))
        pandas.append(_child("pandas", data_dir))
        if has_jupysql:
            try:
                jupysql.append(_child("jupysql", data_dir))
            except subprocess.CalledProcessError:  # not installed (a bench extra)
                has_jupysql = False
    t_js = statistics.median(r["seconds"] for r in jupysql) if jupysql else None
    m_js = statistics.median(r["growth_mb"] for r in jupysql) if jupysql else None
    for r in (*ours, *pandas):
        if r["counted"] != cfg.hist_rows:
            raise AssertionError(f"histogram counted {r['counted']} of {cfg.hist_rows} rows")
    t_ours = statistics.median(r["seconds"] for r in ours)
    t_hist = statistics.median(r["seconds"] for r in pandas)
    t_load = statistics.median(r["load_seconds"] for r in pandas)
    m_ours = statistics.median(r["growth_mb"] for r in ours)
    m_pandas = statistics.median(r["growth_mb"] for r in pandas)
    return [
        Row(
            f"helpers.plot.histogram of {cfg.hist_rows:,} rows ({BINS} bins): time",
            fmt_time(t_ours),
            f"pandas df.hist on the column in memory: {fmt_time(t_hist)}"
            f" (+ pd.read_sql_query load {fmt_time(t_load)}); JupySQL %sqlplot histogram: "
            + (fmt_time(t_js) if t_js else "not installed"),
            f"{t_ours / t_hist:.1f}× df.hist; {t_ours / (t_load + t_hist):.2f}× load+hist"
            + (f"; {t_ours / t_js:.2f}× JupySQL" if t_js else ""),
            "report only",
            None,
        ),
        Row(
            f"helpers.plot.histogram of {cfg.hist_rows:,} rows: peak RSS growth",
            f"{m_ours:.1f} MB",
            f"pandas (column loaded + df.hist): {m_pandas:.1f} MB; JupySQL %sqlplot: "
            + (f"{m_js:.1f} MB" if m_js is not None else "not installed"),
            f"{m_ours / m_pandas:.3f}× pandas" if m_pandas > 0 else "—",
            "≤ 0.1× pandas",
            m_ours <= 0.1 * m_pandas,
        ),
    ]


def _median_time(fn, repeats: int) -> float:
    fn()  # warm: the page cache, the statement cache
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _pager_rows(cfg: Config, data_dir: Path) -> list[Row]:
    """The same pager class, paging by keyset (ours) or by OFFSET (the usual way)."""
    from codemode_kernel._widgets import browse

    db = _open(str(data_dir))
    repeats = 2 if cfg.quick else 5
    rows = []
    try:
        for sort in (None, "x"):
            times = {}
            for mode in ("keyset", "offset"):
                pager = browse(db, "p", page_size=PAGE)
                if mode == "offset":
                    pager.keyset, pager.rowid = False, None
                if sort:
                    pager.sort(sort)

                def first(p=pager) -> None:
                    p._bounds = None
                    p.page = 3  # no neighbour: the first page from scratch
                    p.go(1)

                def last(p=pager) -> None:
                    p._bounds = None
                    p.page = 1
                    p.go(p.pages)

                times[mode, "first"] = _median_time(first, repeats)
                times[mode, "last"] = _median_time(last, repeats if mode == "keyset" else 1)
                has_offset = "OFFSET" in pager.last_sql
                if has_offset != (mode == "offset"):
                    raise AssertionError(f"{mode} paging ran: {pager.last_sql}")
            k_first, k_last = times["keyset", "first"], times["keyset", "last"]
            o_first, o_last = times["offset", "first"], times["offset", "last"]
            label = "table order" if sort is None else "sorted by an indexed column"
            rows.append(
                Row(
                    f"pager on {cfg.pager_rows:,} rows, {label}: last page vs first",
                    f"keyset: first {fmt_time(k_first)}, last {fmt_time(k_last)}",
                    f"OFFSET: first {fmt_time(o_first)}, last {fmt_time(o_last)}",
                    f"last/first {k_last / k_first:.1f}× (OFFSET {o_last / o_first:.1f}×);"
                    f" OFFSET/keyset on the last page {o_last / k_last:.1f}×",
                    "last ≤ 3× first",
                    k_last <= 3 * k_first,
                )
            )
    finally:
        db.close()
    return rows


def run(cfg: Config) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="cmbench-") as tmp:
        data_dir = Path(tmp)
        start = time.perf_counter()
        _build(data_dir, cfg.hist_rows, cfg.pager_rows)
        print(f"[notebook: tables built in {time.perf_counter() - start:.1f} s]", file=sys.stderr)
        return _histogram_rows(cfg, data_dir) + _pager_rows(cfg, data_dir)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
    else:
        quick = "--quick" in sys.argv
        from .report import table

        print(table(run(Config.quick_config() if quick else Config())))
