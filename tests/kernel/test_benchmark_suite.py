"""The benchmark suite runs (python -m benchmarks --quick) and writes every row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MEASURES = (
    "point query → DataFrame",
    "distinct SQL texts",
    "-row query → DataFrame",
    "dict rows, 5 columns",
    "-row generator: peak RSS growth",
    "kernel start → first result",
    "cell round trip, trivial cell",
    "`%%sql` point query round trip",
    "cell timeout overshoot",
    "query timeout overshoot",
    "idle session dirs",
    "MCP tool call round trip",
    "MCP records, paginate → batch_insert",
)


def test_quick_run_prints_and_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(out)],
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
