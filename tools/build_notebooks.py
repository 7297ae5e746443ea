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
        "## Charts, computed in SQLite\n\n"
        "`helpers.plot` (histogram, bar, line, box, pie) aggregates in the database with the "
        "`helpers.sql` builders and draws only the few rows that come back, so a 10M-row table "
        "never leaves SQLite. Each returns the matplotlib Axes; `ax.data` is what was drawn."
    ),
    code("""
ax = helpers.plot.bar("trials", "phase", value="enrolled", agg="sum")
ax.data
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
NOTEBOOKS["quickstart"].extend(
    [
        md(
            "## Describe it all for an LLM\n\n`helpers.docs()` is generated from the real "
            "signatures and docstrings, plus the current schema and the limits in force. Paste "
            "it into a prompt; in a notebook it renders as Markdown."
        ),
        code("""
docs = helpers.docs()
print(docs[docs.index("## Limits"):][:700])
"""),
    ]
)

NOTEBOOKS["large-data-workflow"] = [
    md("""
# A large-data workflow

The story Code Mode was built for: two sources that a real project would fetch from
services (here, clinical **trials** and the **publications** that cite them) are far
larger than a screen or an LLM's context. They are streamed into the session database,
joined and aggregated there with `helpers.sql` builders, paged with `browse`, and only a
small summary comes back into Python memory.

The sources are generated here, seeded so the notebook is reproducible. The row counts
are a papermill parameter.
"""),
    code(
        """
N_TRIALS = 200_000
N_PUBLICATIONS = 800_000
SEED = 7
""",
        tags=["parameters"],
    ),
    md(
        "## Two sources, as iterators\n\nNeither source is ever a list: each record is made, "
        "inserted and forgotten, so memory stays flat however many rows there are."
    ),
    code("""
import random
from datetime import date, timedelta

PHASES = ["I", "II", "III", "IV"]
CONDITIONS = ["asthma", "diabetes", "hypertension", "migraine", "obesity", "psoriasis"]
JOURNALS = ["Lancet", "NEJM", "JAMA", "BMJ", "Nature Medicine", "PLOS Medicine"]


def trials(n, seed=SEED):
    rng = random.Random(seed)
    start = date(2010, 1, 1)
    for i in range(1, n + 1):
        yield {
            "trial_id": i,
            "phase": rng.choice(PHASES),
            "condition": rng.choice(CONDITIONS),
            "status": rng.choices(["completed", "recruiting", "withdrawn"], [6, 3, 1])[0],
            "start_date": (start + timedelta(days=rng.randrange(5000))).isoformat(),
            "enrollment": int(rng.lognormvariate(4.5, 1.0)),
        }


def publications(n, n_trials, seed=SEED):
    rng = random.Random(seed + 1)
    for i in range(1, n + 1):
        yield {
            "pmid": 30_000_000 + i,
            "trial_id": rng.randrange(1, n_trials + 1),
            "journal": rng.choice(JOURNALS),
            "year": rng.randrange(2011, 2025),
            "citations": int(rng.paretovariate(1.5)) - 1,
        }
"""),
    md(
        "## Stream them in\n\n`batch_insert` infers the column types from the records, writes "
        "in chunks of 500 with `executemany`, and commits once: all or nothing. Over 50,000 "
        "records it shows a progress bar."
    ),
    code("""
helpers.db.batch_insert("trials", trials(N_TRIALS), progress=True)
helpers.db.batch_insert("publications", publications(N_PUBLICATIONS, N_TRIALS), progress=True)
helpers.db.exec("CREATE INDEX publications_trial ON publications(trial_id)")
helpers.db.tables()
"""),
    md(
        "## Aggregate where the data is\n\nThe builders return SQL text (identifiers quoted, "
        "literals escaped); `query` runs it and brings back a few rows."
    ),
    code("""
helpers.db.query(helpers.sql.count_by("trials", "phase"))
"""),
    code("""
helpers.db.query(
    helpers.sql.temporal("trials", "start_date", "year", where={"status": "completed"})
)
"""),
    code("""
helpers.db.query(helpers.sql.statistics("trials", "enrollment"))
"""),
    md(
        "## Join the sources\n\n`helpers.sql.join` builds the join; `CREATE TABLE … AS` "
        "materialises it inside the database, so the million-row result never touches Python."
    ),
    code("""
helpers.db.exec(
    "CREATE TABLE trial_publications AS "
    + helpers.sql.join(
        "publications", "trials", "trial_id",
        columns=["trial_id", "phase", "condition", "journal", "year", "citations"],
    )
)
helpers.db.query(helpers.sql.group_by(
    "trial_publications", "phase",
    {"*": ["count"], "citations": ["sum", "avg"], "trial_id": ["count_distinct"]},
    order_by="phase",
))
"""),
    code("""
helpers.db.query(helpers.sql.top_n("trial_publications", ["journal", "condition", "citations"],
                                   5, by="citations"))
"""),
    md(
        "## Page through the rest\n\nThe pager fetches one page at a time with SQL; in "
        "JupyterLab it is a widget with first/previous/next/last, page size and sorting."
    ),
    code("""
helpers.db.browse("trial_publications", page_size=10)
"""),
    md(
        "## Keep the summary\n\nThe summary is small JSON: it goes into the session state, "
        "where it survives a kernel restart."
    ),
    code("""
by_phase = helpers.db.query(helpers.sql.count_by("trial_publications", "phase"))
summary = {
    "trials": N_TRIALS,
    "publications": N_PUBLICATIONS,
    "publications_per_phase": dict(zip(by_phase["phase"], by_phase["count"].astype(int).tolist())),
}
helpers.db.save_state("summary", summary)
helpers.db.get_state("summary")
"""),
    md(
        "## What stayed out of memory\n\nOver a million rows went through the session database; "
        "Python only ever held a chunk of 500 records and the small results above."
    ),
    code("""
m = helpers.db.get_metrics()
{"tables": m["tables"], "rows_written": m["rows_written"], "rows_read": m["rows_read"]}
"""),
]

NOTEBOOKS["guardrails"] = [
    md("""
# Guardrails

Everything the session database refuses or stops, and what it says when it does. Each
error cell is tagged `raises-exception`, so nbval checks that it fails.
"""),
    code("""
helpers.db.create_table("t", "id INTEGER PRIMARY KEY, name TEXT")
helpers.db.batch_insert("t", [{"id": i, "name": f"row {i}"} for i in range(1, 2001)])
"""),
    md(
        "## Blocked statements\n\nOnly analytics SQL is allowed. The error names the statement, "
        "where it is, and what to do instead."
    ),
    code(
        """helpers.db.exec("ATTACH DATABASE '/tmp/other.db' AS other")""", tags=["raises-exception"]
    ),
    md("A table-valued PRAGMA hidden in a CTE is still a PRAGMA:"),
    code(
        """
helpers.db.query("WITH cols AS (SELECT * FROM pragma_table_info('t')) SELECT name FROM cols")
""",
        tags=["raises-exception"],
    ),
    code(
        """helpers.db.exec("SELECT 1; BEGIN; DELETE FROM t; COMMIT")""", tags=["raises-exception"]
    ),
    md("Nothing from a refused call runs: the table is intact."),
    code("""helpers.db.query("SELECT count(*) AS n FROM t")"""),
    md("## Syntax errors point at the problem"),
    code(
        '''
helpers.db.query("""
SELECT name
FROM t
WHERE id = (SELECT max(id) FROM""")
''',
        tags=["raises-exception"],
    ),
    md(
        "## Row limits: truncation is flagged, never silent\n\n`set_limits` tightens this "
        "session's limits at run time (the defaults come from `CODEMODE_*`)."
    ),
    code("""helpers.db.set_limits(max_rows=1000, query_timeout=1, max_db_mb=8)"""),
    code("""
df = helpers.db.query("SELECT * FROM t")
df.attrs["codemode"]["truncated"], len(df)
"""),
    md("## A runaway query is stopped at `query_timeout`"),
    code(
        """
helpers.db.query(
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT max(n) FROM r"
)
""",
        tags=["raises-exception"],
    ),
    md(
        "## A runaway cell is stopped at the cell timeout\n\n`%%timeout 1` sets the limit "
        "for one cell; `%timeout N` for the kernel; programs send it in the execute request's "
        "metadata."
    ),
    code(
        """
%%timeout 1
while True:
    pass
""",
        tags=["raises-exception"],
    ),
    code("""helpers.db.query("SELECT count(*) AS n FROM t")"""),
    md(
        "## The size quota\n\nA write that would grow the database past `max_db_mb` is "
        "refused whole; the database stays usable."
    ),
    code(
        """
helpers.db.exec("CREATE TABLE balloon AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1"
                " FROM r WHERE n < 100000) SELECT n, randomblob(1000) AS b FROM r")
""",
        tags=["raises-exception"],
    ),
    code("""helpers.db.tables()"""),
]

NOTEBOOKS["sql-magic"] = [
    md("""
# `%%sql` on the session database

`%%sql` and `%sql` run SQL against `helpers.db` through the same guard and limits.
`:name` placeholders bind values from the notebook's namespace; they are never pasted
into the SQL.
"""),
    code("""
helpers.db.batch_insert("orders", [
    {"id": i, "customer": ["ann", "bob", "cy"][i % 3], "amount": round(10 + i * 1.5, 2)}
    for i in range(1, 31)
])
"""),
    code("""
min_amount = 30
"""),
    code("""
%%sql
SELECT customer, count(*) AS orders, sum(amount) AS total
FROM orders
WHERE amount >= :min_amount
GROUP BY customer
ORDER BY total DESC
"""),
    md(
        "## Several statements, one transaction\n\nEach write shows how many rows it changed "
        "and each query shows its result (not only the last one)."
    ),
    code("""
%%sql
UPDATE orders SET amount = amount * 1.1 WHERE customer = 'ann';
DELETE FROM orders WHERE amount < 15;
SELECT customer, count(*) AS n FROM orders GROUP BY customer ORDER BY customer;
"""),
    md("## Keep the result: `-o`"),
    code("""
%%sql -o big_orders
SELECT id, customer, amount FROM orders WHERE amount > :min_amount ORDER BY amount DESC LIMIT 5
"""),
    code("""
big_orders["amount"].round(2).tolist()
"""),
    md("## A line magic, with a limit"),
    code("""
%sql --limit 3 SELECT id, amount FROM orders ORDER BY id
"""),
    md("## Page through a result: `--browse`"),
    code("""
%%sql --browse
SELECT * FROM orders ORDER BY amount DESC
"""),
    md("## Errors are the same typed errors"),
    code(
        """
%%sql
DROP VIEW IF EXISTS anything
""",
        tags=["raises-exception"],
    ),
]

NOTEBOOKS["mcp-staging"] = [
    md("""
# Stage MCP tool results in the session database

Code Mode's point: the model (or you) writes code that calls tools as functions, large
tool results go into `helpers.db` instead of into the context, and only a small answer
comes back. Here two MCP servers, a made-up clinical-**trials** registry and a
**pub**lications index (the test fixture `tests/fixtures/mcp_trials_server.py`), are
staged into two tables and joined in one SQL query.

The servers come from an `mcp.json` file in the format the MCP ecosystem uses; this
notebook's kernel reads `notebooks/mcp-staging.json` through `CODEMODE_MCP_CONFIG`
(default: `<jupyter config dir>/codemode/mcp.json`):

```json
{"mcpServers": {
  "trials": {"command": "python", "args": ["../tests/fixtures/mcp_trials_server.py",
             "--source", "trials", "--size", "5000"], "cwd": "."},
  "pubs":   {"command": "python", "args": ["../tests/fixtures/mcp_trials_server.py",
             "--source", "pubs", "--size", "20000", "--trials", "5000"],
             "cwd": "."}}}
```
"""),
    code("helpers.mcp"),
    md(
        "## Tools are functions\n\n`helpers.mcp.<server>` starts the server (once, on first "
        "use) and lists its tools, with signatures made from their input schemas. `help()`, "
        "`?` and tab completion work on them."
    ),
    code("helpers.mcp.trials"),
    code("help(helpers.mcp.trials.lookup_by_id)"),
    code('helpers.mcp.trials.lookup_by_id("NCT00042")'),
    md(
        "Arguments are checked against the tool's JSON schema before anything is sent, so a "
        "mistake is a clear `ToolArgumentError` rather than a confusing server error."
    ),
    code('helpers.mcp.trials.count_by("sponsor")', tags=["raises-exception"]),
    md(
        "## Stage two sources\n\n`search` is cursor-paginated. `helpers.mcp.paginate` calls it "
        "page after page and yields the records, and `batch_insert` streams them into a table: "
        "one page is in memory at a time, however many records there are. Nested JSON "
        "(each trial's `sites`, each publication's `authors`) is stored as JSON text. "
        "`progress=True` shows the rows as they arrive."
    ),
    code("""
helpers.db.batch_insert(
    "trials", helpers.mcp.paginate(helpers.mcp.trials.search, page_size=1000), progress=True
)
"""),
    code("""
helpers.db.batch_insert(
    "pubs", helpers.mcp.paginate(helpers.mcp.pubs.search, page_size=1000), progress=True
)
"""),
    md(
        "## Join them in SQL, answer in ten rows\n\nAmong completed trials whose first site "
        "is in Germany, which conditions and phases have the most publications citing them? "
        "`->>` reads the nested JSON."
    ),
    code("""
helpers.db.query(\"\"\"
SELECT t.condition, t.phase,
       count(*) AS publications,
       count(DISTINCT t.id) AS trials,
       min(p.year) AS first_year,
       round(avg(t.enrollment)) AS mean_enrollment
FROM pubs AS p JOIN trials AS t ON t.id = p.trial_id
WHERE t.status = 'COMPLETED' AND t.sites->>'$[0].country' = 'DE'
GROUP BY t.condition, t.phase
ORDER BY publications DESC, t.condition, t.phase
LIMIT 10
\"\"\")
"""),
    md(
        "Every tool call is in the session's log with kind `mcp`: the tool, its arguments, "
        "the time it took and the error, if any."
    ),
    code("""
log = helpers.db.logs(100)
calls = log[log.kind == "mcp"].assign(tool=lambda d: d["sql"].str.split(" ").str[0])
calls.groupby("tool").agg(calls=("tool", "size"), errors=("error", "count"))
"""),
    code("""
calls[["sql", "error"]].head(2)
"""),
]

#: Environment for notebooks whose kernel needs more than a data dir.
ENV: dict[str, dict[str, str]] = {
    "mcp-staging": {
        "CODEMODE_MCP_CONFIG": str(ROOT / "notebooks" / "mcp-staging.json"),
        # the config's "python" is found on PATH: make it this interpreter (which has mcp)
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
}


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
            saved = dict(os.environ)
            os.environ.update(ENV.get(name, {}))
            nbclient.NotebookClient(
                nb,
                kernel_name="codemode",
                timeout=900,
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
            os.environ.clear()
            os.environ.update(saved)
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    for n in sys.argv[1:] or list(NOTEBOOKS):
        print("built", build(n))
