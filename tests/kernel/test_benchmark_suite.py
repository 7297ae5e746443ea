"""The benchmark suite runs (python -m benchmarks --quick) and writes every row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MEASURES = (
    "point query → DataFrame",
    "distinct SQL texts",
    "-row query → DataFrame",
    "point query, compile step on",
    "distinct SQL texts (cold parse and compile)",
    "SQLite compile vs sqlglot classification",
    "dict rows, 5 columns",
    "-row generator: peak RSS growth",
    "-row DataFrame, 5 columns",
    "rows as dicts",
    "kernel start → first result",
    "cell round trip, trivial cell",
    "`%%sql` point query round trip",
    "cell timeout overshoot",
    "query timeout overshoot",
    "idle session dirs",
    # benchmarks/bench_ladder.py (issue 18): one row per runaway kind, then the costs
    "ladder overshoot: except_exception",
    "ladder overshoot: except_base_exception",
    "ladder overshoot: finally_sleeps",
    "ladder overshoot: exit_swallows",
    "ladder overshoot: generator_ignores_exit",
    "ladder overshoot: thread_pool_result",
    "ladder overshoot: batch_insert_endless_generator",
    "ladder overshoot: c_level_regex",
    "trivial cell round trip, 300 s limit",
    "CPU-bound cell after a forced stop",
    "exit timer per cell",
    "MCP `run_python` round trip",
    "MCP `sql` round trip",
    "MCP tool call round trip",
    "MCP records, paginate → batch_insert",
    "to .db",
    "to Parquet",
    "from .db",
    "rows (50 bins): time",
    "rows: peak RSS growth",
    "rows, table order: last page vs first",
    "rows, sorted by an indexed column: last page vs first",
)


def test_quick_run_prints_and_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    # The peers (jupysql, sqlite-utils) live in .venv-bench, never in the user's
    # env: `make test` builds it and names its Python here.
    python = os.environ.get("CODEMODE_BENCH_PYTHON") or sys.executable
    proc = subprocess.run(
        [python, "-m", "benchmarks", "--quick", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = [line for line in proc.stdout.splitlines() if line.startswith("|")]
    assert table[0].startswith("| measure | ours (median) | baselines")
    body = table[2:]
    assert len(body) == len(MEASURES)
    for measure, line in zip(MEASURES, body, strict=True):
        assert measure in line, line
        assert line.rstrip().endswith(("| yes |", "| **no** |", "| — |")), line
    text = out.read_text(encoding="utf-8")
    assert "Python 3." in text and "SQLite 3." in text and "cores" in text
    assert "load average" in text
    for line in table:
        assert line in text
