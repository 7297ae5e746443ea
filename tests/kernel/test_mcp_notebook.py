"""notebooks/mcp-staging.ipynb under nbval, against the fixture MCP servers (issue 21).

Its own run (not test_notebooks.py's), because its kernel reads
notebooks/mcp-staging.json through CODEMODE_MCP_CONFIG, which would add the MCP
tools to the other notebooks' ``helpers.docs()`` output.
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
NOTEBOOK = ROOT / "notebooks" / "mcp-staging.ipynb"


@pytest.mark.slow
def test_nbval_mcp_staging(tmp_path):
    env = {
        **os.environ,
        "CODEMODE_DATA_DIR": str(tmp_path / "sessions"),
        "CODEMODE_MCP_CONFIG": str(ROOT / "notebooks" / "mcp-staging.json"),
        # the config runs "python": make it this interpreter, which has the mcp SDK
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "tests"), os.environ.get("PYTHONPATH")) if p
        ),
    }
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
        str(ROOT / "notebooks" / "nbval-sanitize.cfg"),
        str(NOTEBOOK),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    summary = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    nb = nbformat.read(NOTEBOOK, 4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert int(re.search(r"(\d+) passed", summary).group(1)) == len(code)


def test_mcp_notebook_is_saved_with_outputs_and_its_answer():
    nb = nbformat.read(NOTEBOOK, 4)
    assert nb.metadata["kernelspec"]["name"] == "codemode"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    for cell in code:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert bool(errors) == ("raises-exception" in cell.metadata.get("tags", []))
    answer = next(c for c in code if "JOIN trials" in c.source).outputs[0]["data"]["text/plain"]
    assert answer.splitlines()[-1].startswith("10 rows · ")
