"""Shared fixtures: real kernels (jupyter-client), real SQLite files, temp data dirs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import contextlib

from kernels import KernelHandle

ROOT = Path(__file__).resolve().parents[1]


def _ensure_kernelspec() -> None:
    """The tests need the codemode kernelspec of *this* interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        spec = KernelSpecManager().get_kernel_spec("codemode")
        if spec.argv[0] == sys.executable:
            return
    except Exception:
        pass
    subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "install", "--sys-prefix"],
        check=True,
        capture_output=True,
    )


_ensure_kernelspec()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "sessions"
    return d


@pytest.fixture
def start_kernel(data_dir: Path) -> Iterator:
    """Factory: start_kernel(env={...}) -> KernelHandle; all are shut down after the test."""
    started: list[KernelHandle] = []

    def start(env: dict | None = None, kernel_name: str = "codemode", **kw) -> KernelHandle:
        merged = {"CODEMODE_DATA_DIR": str(data_dir), **(env or {})}
        k = KernelHandle(kernel_name, merged, **kw)
        started.append(k)
        return k

    yield start
    for k in started:
        with contextlib.suppress(Exception):
            k.shutdown()


@pytest.fixture
def kernel(start_kernel) -> KernelHandle:
    """One codemode kernel with a temp data dir."""
    return start_kernel()


@pytest.fixture
def db(tmp_path: Path):
    """A real session database in-process (for fast unit tests of the API)."""
    from codemode_kernel._settings import Settings
    from codemode_kernel._store import SessionStore
    from codemode_kernel.db import Database

    settings = Settings(data_dir=tmp_path / "sessions")
    session = SessionStore(settings.sessions_dir).open("unit-test")
    database = Database(session, settings)
    yield database
    database.close()
    session.release()


@pytest.fixture(scope="session")
def spider() -> dict:
    """The Spider dev-set SQL corpus (Apache-2.0; see its "source" field), kept
    in tests/data so that a clone tests on its own."""
    return json.loads((ROOT / "tests" / "data" / "spider-dev-sql.json").read_text())


def pytest_terminal_summary(terminalreporter) -> None:
    """The reliability suite's one-line report (when it ran)."""
    mod = sys.modules.get("test_reliability") or sys.modules.get("tests.test_reliability")
    if mod is None:
        return
    r = mod.REPORT
    if not any(r.values()):
        return

    def frac(xs: list[bool]) -> str:
        return f"{sum(xs)}/{len(xs)}"

    terminalreporter.write_line(
        f"reliability: {frac(r['crash'])} crash ok, {len(r['leaks'])} leaks,"
        f" {frac(r['bad'])} bad inputs typed, {frac(r['runaway'])} runaway stopped"
    )
