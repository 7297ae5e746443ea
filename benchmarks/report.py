"""The results table and benchmarks/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
import sys
from importlib import metadata
from pathlib import Path

from .harness import Row

__all__ = ["environment", "table", "write"]

HEADER = ("measure", "ours (median)", "baselines (medians, same run)", "ratio", "target", "met?")
PACKAGES = ("pandas", "ipykernel", "jupyter_client", "jupysql", "sqlite-utils", "sqlglot")


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def environment() -> dict[str, str]:
    """What the numbers were measured on (load is sampled at the start)."""
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "cores": str(os.cpu_count()),
        "platform": platform.platform(),
        "packages": ", ".join(f"{p} {_version(p)}" for p in PACKAGES),
        "load_start": load(),
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list[Row]) -> str:
    """One Markdown table: measure, ours, baselines, ratio, target, met?"""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in rows:
        cells = (r.measure, r.ours, r.baselines, r.ratio, r.target, r.met_text)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def write(path: Path, rows: list[Row], env: dict[str, str], *, quick: bool, seconds: float) -> str:
    """Write RESULTS.md and return its text."""
    missed = [r.measure for r in rows if r.met is False]
    mode = "quick (tiny sizes; the ratios mean nothing)" if quick else "full"
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Produced by `python -m benchmarks{' --quick' if quick else ''}` ({mode})"
            f" in {seconds:.0f} s. Analysis and method: [README.md](README.md).",
            "",
            f"- date: {env['date']}",
            f"- Python {env['python']}, SQLite {env['sqlite']}, {env['cores']} cores,"
            f" {env['platform']}",
            f"- {env['packages']}",
            f"- load average (1/5/15 min) at start: {env['load_start']}; at end: {load()}"
            " (shared machine)",
            "",
            table(rows),
            "",
            f"Targets missed: {', '.join(missed) if missed else 'none'}.",
            "",
        ]
    )
    path.write_text(text, encoding="utf-8")
    return text
