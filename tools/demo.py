"""``make demo``: execute a notebook on the codemode kernel and summarise it.

Runs with a temporary data dir (your real sessions are untouched), prints
each cell's source head and its outputs in plain text, and exits non-zero
if any cell fails.
"""

from __future__ import annotations

import os
import sys
import tempfile
import textwrap
import time


def summarise(nb) -> list[str]:
    lines = []
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        head = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        lines.append(f"[{i:>2}] >>> {head[:96]}")
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text = out.text
            elif out.output_type == "error":
                text = f"{out.ename}: {out.evalue}"
            else:
                text = out.get("data", {}).get("text/plain", "")
            text = "\n".join(text.rstrip().splitlines()[:12])
            if text:
                lines.append(textwrap.indent(text, "       "))
    return lines


def main(argv: list[str]) -> int:
    import nbclient
    import nbformat

    path = argv[0] if argv else "notebooks/quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="codemode-demo-") as data_dir:
        os.environ["CODEMODE_DATA_DIR"] = data_dir
        client = nbclient.NotebookClient(
            nb,
            kernel_name="codemode",
            timeout=600,
            resources={"metadata": {"path": os.path.dirname(path) or "."}},
        )
        start = time.perf_counter()
        failed = None
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as exc:
            failed = exc
        elapsed = time.perf_counter() - start
    print("\n".join(summarise(nb)))
    code_cells = sum(c.cell_type == "code" for c in nb.cells)
    if failed is not None:
        print(f"\nFAILED after {elapsed:.1f} s: {str(failed).strip().splitlines()[-1]}")
        return 1
    print(f"\n{path}: {code_cells} code cells ran on the codemode kernel in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
