"""Issue 7: the notebooks are documentation *and* tests.

nbval re-runs every notebook on the ``codemode`` kernel and compares each
cell's outputs with the saved ones (after notebooks/nbval-sanitize.cfg);
nbclient and papermill execute the large-data notebook headlessly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["quickstart", "large-data-workflow", "guardrails", "sql-magic"]


def test_nbval_all_notebooks(tmp_path):
    env = {**os.environ, "CODEMODE_DATA_DIR": str(tmp_path / "sessions")}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "nbval_json",
        "--nbval",
        "--nbval-kernel-name",
        "codemode",
        "--nbval-sanitize-with",
        str(NOTEBOOKS / "nbval-sanitize.cfg"),
        *[str(NOTEBOOKS / f"{n}.ipynb") for n in NAMES],
    ]
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT / "tests")},
        cwd=tmp_path,
        timeout=900,
    )
    summary = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    print(f"nbval: {summary}")
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    code_cells = sum(
        c.cell_type == "code"
        for n in NAMES
        for c in nbformat.read(NOTEBOOKS / f"{n}.ipynb", 4).cells
    )
    passed = int(re.search(r"(\d+) passed", summary).group(1))
    assert passed == code_cells  # every code cell was run and compared
    assert "--nbval-current-env" not in cmd  # it would silently start a plain kernel


def test_notebooks_are_saved_with_outputs_and_tags():
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", 4)
        assert nb.metadata["kernelspec"]["name"] == "codemode"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), name
        for cell in code:
            errors = [o for o in cell.outputs if o.output_type == "error"]
            tagged = "raises-exception" in cell.metadata.get("tags", [])
            assert bool(errors) == tagged, (name, cell.source[:60])


def small_copy(tmp_path: Path, *, break_it: bool = False) -> Path:
    nb = nbformat.read(NOTEBOOKS / "large-data-workflow.ipynb", 4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = "N_TRIALS = 2_000\nN_PUBLICATIONS = 8_000\nSEED = 7"
    if break_it:
        nb.cells.append(nbformat.v4.new_code_cell("helpers.db.exec('PRAGMA user_version = 1')"))
    path = tmp_path / ("broken.ipynb" if break_it else "small.ipynb")
    nbformat.write(nb, path)
    return path


def test_nbclient_runs_the_workflow(tmp_path, monkeypatch):
    import nbclient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("CODEMODE_DATA_DIR", str(tmp_path / "sessions"))
    nb = nbformat.read(small_copy(tmp_path), 4)
    nbclient.NotebookClient(nb, kernel_name="codemode", timeout=300).execute()
    last = nb.cells[-1].outputs[0]["data"]["text/plain"]
    assert "'rows_written': 10000" in last
    broken = nbformat.read(small_copy(tmp_path, break_it=True), 4)
    with pytest.raises(CellExecutionError, match="SQLBlockedError"):
        nbclient.NotebookClient(broken, kernel_name="codemode", timeout=300).execute()


def test_papermill_runs_the_workflow_with_parameters(tmp_path):
    env = {**os.environ, "CODEMODE_DATA_DIR": str(tmp_path / "sessions")}
    src = NOTEBOOKS / "large-data-workflow.ipynb"
    out_nb = tmp_path / "out.ipynb"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(src),
            str(out_nb),
            "-k",
            "codemode",
            "-p",
            "N_TRIALS",
            "1500",
            "-p",
            "N_PUBLICATIONS",
            "4500",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert ok.returncode == 0, ok.stderr[-3000:]
    nb = nbformat.read(out_nb, 4)
    assert "'rows_written': 6000" in nb.cells[-1].outputs[0]["data"]["text/plain"]
    failed = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(small_copy(tmp_path, break_it=True)),
            str(tmp_path / "failed.ipynb"),
            "-k",
            "codemode",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert failed.returncode != 0
    assert "SQLBlockedError" in failed.stderr
