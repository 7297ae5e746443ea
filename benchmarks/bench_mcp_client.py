"""helpers.mcp against the SDK used directly, with the fixture MCP server (issue 21).

Two rows:

* a tool call: ``helpers.mcp.trials.summary(id=...)`` (a synchronous call from the
  main thread to the background loop, argument validation, result conversion) vs the
  SDK's own ``await client.call_tool(...)`` driven by an event loop in the main
  thread (what a top-level-await cell would do without helpers.mcp); the same server
  process kind, interleaved rounds, median per call;
* staging: peak RSS growth of ``batch_insert(paginate(search))`` vs collecting every
  page's records in a list and inserting the list, in a child process
  (``python -m benchmarks.bench_mcp ROWS`` prints one JSON line), RSS sampled every
  20 ms from /proc after a warm-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .harness import Config, Row, compare, fmt_time, ratio

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tests" / "fixtures" / "mcp_trials_server.py"


def _config(tmp: Path, size: int) -> Path:
    args = [str(SERVER), "--source", "trials", "--size", str(size)]
    path = tmp / "mcp.json"
    servers = {"trials": {"command": sys.executable, "args": args}}
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def call_round_trip(cfg: Config) -> Row:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    from codemode_kernel._mcp_client import load_mcp

    with tempfile.TemporaryDirectory(prefix="cmbench-") as tmp:
        mcp = load_mcp(_config(Path(tmp), 100))
        ours = mcp.trials.summary
        loop = asyncio.new_event_loop()
        params = StdioServerParameters(
            command=sys.executable, args=[str(SERVER), "--source", "trials", "--size", "100"]
        )
        devnull = open(os.devnull, "w")  # noqa: SIM115 - closed below
        client = Client(stdio_client(params, errlog=devnull), cache=None)
        try:
            loop.run_until_complete(client.__aenter__())

            def raw() -> object:
                return loop.run_until_complete(client.call_tool("summary", {"id": "NCT00001"}))

            medians = compare(
                {"ours": lambda: ours(id="NCT00001"), "raw": raw},
                rounds=cfg.rounds,
                round_seconds=cfg.round_seconds * 3,
            )
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(client.__aexit__(None, None, None))
            loop.close()
            devnull.close()
            mcp.close()
    r = ratio(medians["ours"], medians["raw"])
    return Row(
        "MCP tool call round trip (`helpers.mcp.trials.summary(id=...)`, stdio fixture server)",
        fmt_time(medians["ours"]),
        f"SDK `await client.call_tool` on a main-thread loop {fmt_time(medians['raw'])}",
        f"{r:.2f}× SDK",
        "report only",
        None,
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_growth(run) -> tuple[object, float]:
    """(run(), peak RSS growth in MB while it ran), RSS sampled every 20 ms."""
    before = peak = _rss_mb()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = run()
    finally:
        done.set()
        sampler.join()
    return result, max(peak, _rss_mb()) - before


def child(rows: int) -> dict:
    """In a fresh interpreter: both ways of staging ``rows`` records; growth of each."""
    from codemode_kernel._mcp_client import load_mcp

    from .data import fresh_db

    with tempfile.TemporaryDirectory(prefix="cmbench-") as tmp, fresh_db() as db:
        mcp = load_mcp(_config(Path(tmp), rows))
        search = mcp.trials.search
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                db.batch_insert("warm", search(page_size=1000)["items"])  # warm every path
                start = time.perf_counter()
                n, stream = _peak_growth(
                    lambda: db.batch_insert("t", mcp.paginate(search, page_size=1000))
                )
                seconds = time.perf_counter() - start
                m, listed = _peak_growth(
                    lambda: db.batch_insert("t2", list(mcp.paginate(search, page_size=1000)))
                )
        finally:
            mcp.close()
    return {
        "rows": n,
        "list_rows": m,
        "seconds": round(seconds, 2),
        "stream_mb": round(stream, 1),
        "list_mb": round(listed, 1),
    }


def staging_memory(cfg: Config) -> Row:
    rows = 2_000 if cfg.quick else 50_000
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_mcp_client", str(rows)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return Row(
        f"{rows:,} MCP records, paginate → batch_insert: peak RSS growth",
        f"+{r['stream_mb']:.1f} MB ({r['seconds']:.1f} s)",
        f"list of all pages, then batch_insert +{r['list_mb']:.1f} MB",
        f"{ratio(r['stream_mb'], r['list_mb']):.2f}× list",
        "< list",
        r["stream_mb"] < r["list_mb"],
    )


def run(cfg: Config) -> list[Row]:
    return [call_round_trip(cfg), staging_memory(cfg)]


if __name__ == "__main__":
    print(json.dumps(child(int(sys.argv[1]))))
