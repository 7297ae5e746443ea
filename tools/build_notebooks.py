"""Build the notebooks in notebooks/ from the cell lists below, then execute
them on the codemode kernel so that they are saved with their outputs
(nbval compares against those). ``python -m tools.build_notebooks [name ...]``

Keeping the sources here makes notebook changes reviewable as plain text.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS: dict[str, list] = {}


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str, *, tags: list[str] | None = None):
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = tags
    return cell


NOTEBOOKS["quickstart"] = [
    md("""
# Code Mode in five minutes

This notebook runs on the **Code Mode (Python 3)** kernel. Every session gets its own
SQLite database, `helpers.db`, guarded so that only analytics SQL runs, plus SQL
builders in `helpers.sql`. Data too large for a screen (or an LLM's context) lives in
the database; only small results come back to Python as pandas DataFrames.
"""),
    code("helpers"),
    md(
        "## Create a table and load records\n\n`batch_insert` takes a list or any "
        "iterator of dicts (or a DataFrame), creates the table with inferred types, and "
        "writes everything in one transaction."
    ),
    code("""
helpers.db.create_table("trials", "id INTEGER PRIMARY KEY, phase TEXT, enrolled INTEGER")
helpers.db.batch_insert(
    "trials",
    ({"id": i, "phase": ["I", "II", "III"][i % 3], "enrolled": 10 * i} for i in range(1, 301)),
)
"""),
    md(
        "## Query\n\n`query` returns a DataFrame. Parameters are always bound (`?` or `:name`), "
        "never pasted into the SQL."
    ),
    code("""
helpers.db.query(
    "SELECT phase, count(*) AS trials, sum(enrolled) AS enrolled FROM trials"
    " WHERE enrolled >= :min GROUP BY phase ORDER BY phase",
    {"min": 100},
)
"""),
    md(
        'Every result carries its provenance in `df.attrs["codemode"]`: the SQL, the row '
        "count, whether it was truncated at `max_rows`, and the time it took."
    ),
    code("""
df = helpers.db.query("SELECT * FROM trials ORDER BY id LIMIT 3")
{k: v for k, v in df.attrs["codemode"].items() if k != "elapsed_ms"}
"""),
    md(
        "## Writes are atomic\n\n`exec` runs one statement or a whole script. If any statement "
        "fails, none of them is kept."
    ),
    code("""
helpers.db.exec("UPDATE trials SET enrolled = enrolled + 1 WHERE phase = 'III'")
"""),
    md(
        "## State survives restarts\n\nSmall JSON values (a summary, a cursor, a list of ids) "
        "go in the session state."
    ),
    code("""
helpers.db.save_state("summary", {"phases": 3, "total": int(helpers.db.query(
    "SELECT sum(enrolled) AS s FROM trials")["s"][0])})
helpers.db.get_state("summary")
"""),
    md("## What is in the session?"),
    code("""
m = helpers.db.get_metrics()
{k: m[k] for k in ("tables", "queries", "rows_read", "rows_written", "errors")}
"""),
    code('helpers.db.logs(5)[["kind", "sql", "rows", "error"]]'),
    md(
        "## The guard\n\nOnly analytics SQL is allowed. Anything else is refused with a typed "
        "error that says what to do instead."
    ),
    code('helpers.db.exec("PRAGMA table_info(trials)")', tags=["raises-exception"]),
    code('helpers.db.schema("trials")'),
]


def build(name: str, *, execute: bool = True) -> Path:
    nb = new_notebook(cells=NOTEBOOKS[name])
    nb.metadata["kernelspec"] = {
        "name": "codemode",
        "display_name": "Code Mode (Python 3)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    path = ROOT / "notebooks" / f"{name}.ipynb"
    if execute:
        import nbclient

        with tempfile.TemporaryDirectory() as data_dir:
            os.environ["CODEMODE_DATA_DIR"] = data_dir
            os.environ["CODEMODE_SESSION_ID"] = f"notebook-{name}"
            nbclient.NotebookClient(
                nb,
                kernel_name="codemode",
                timeout=900,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    for n in sys.argv[1:] or list(NOTEBOOKS):
        print("built", build(n))
