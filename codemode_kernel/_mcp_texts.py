"""What a model reads in tools/list: the tools' descriptions and output schemas."""

from typing import Any

from pydantic import BaseModel, Field

RUN_PYTHON = """\
Run Python code in this conversation's Code Mode kernel (IPython; variables persist between
calls).

`helpers.db` is a private SQLite database for this session: keep large data there and bring
back only small answers.
  helpers.db.batch_insert("t", records)  # dicts (list/iterator) or a DataFrame; makes the table
  helpers.db.query("SELECT ... WHERE x = ?", [1])  # -> pandas DataFrame (at most max_rows)
  helpers.db.exec("UPDATE ...")  # writes and DDL; helpers.sql.count_by("t", "col") builds SQL
  helpers.docs()  # the full API and the current schema (same as the describe tool)

Returns content blocks in output order: stdout, stderr, each result (a DataFrame from
helpers.db.query comes as its JSON payload: columns, first rows, row_count, truncated; a
matplotlib chart comes as an image), the error if any (ename: evalue and a short traceback),
and last a JSON line {ok, duration_s, truncated_output, execution_count}. Output beyond the
server's limit is cut with a marker. A cell that exceeds its timeout stops with
CellTimeoutError (isError) and the kernel stays usable. Only SQL through helpers.db is
guarded: Python runs with the server user's rights."""

SQL = """\
Run SQL on this session's SQLite database (the same database `helpers.db` uses in
run_python).

One statement, or a script of several (all-or-nothing). Parameters are bound, never pasted:
`?` with a JSON array, or `:name` with a JSON object. Allowed: SELECT/WITH/VALUES, INSERT
(OR REPLACE, UPSERT, RETURNING), UPDATE, DELETE, CREATE/DROP TABLE, CREATE/DROP INDEX, ALTER
TABLE; anything else (ATTACH, PRAGMA, BEGIN, ...) is refused with SQLBlockedError saying
what to do instead. Returns structuredContent {columns, rows (arrays), row_count, truncated,
elapsed_ms} (plus rows_affected, last_row_id, statements for writes) and a short text table.
Aggregate in SQL (GROUP BY, LIMIT) so the answer is small: `truncated` is true when the
query had more rows than `limit`."""

DESCRIBE = """\
The Code Mode API (helpers.db, helpers.sql, errors) and this session's current tables with
columns and row counts, as Markdown. Read it before writing code; it is also the resource
codemode://docs."""

TABLES = """\
This session's tables: name, row count, and columns (name, type, notnull, pk)."""

RESET = """\
Delete this session's database and start a fresh kernel (all tables, saved state and Python
variables are lost). Pass confirm=true; without it nothing happens."""

INTERRUPT = """\
Interrupt the code running in this session's kernel (like Jupyter's Interrupt button). The
running run_python/sql call then returns KeyboardInterrupt; the kernel, its variables and
the database stay."""


class SqlResult(BaseModel):
    """``structuredContent`` of the ``sql`` tool."""

    columns: list[str] = Field(description="Column names, in order.")
    rows: list[list[Any]] = Field(description="Rows as arrays of JSON values, in column order.")
    row_count: int = Field(description="Number of rows in `rows`.")
    truncated: bool = Field(
        description="True when the query had more rows than returned (raise `limit`, or"
        " aggregate/filter in SQL)."
    )
    elapsed_ms: float | None = Field(None, description="Time SQLite spent, in milliseconds.")
    rows_affected: int | None = Field(None, description="Rows changed (statements without rows).")
    last_row_id: int | None = Field(None, description="rowid of the last INSERT, if any.")
    statements: int | None = Field(None, description="Statements run (a script runs several).")


class Column(BaseModel):
    name: str
    type: str
    notnull: bool
    pk: int


class Table(BaseModel):
    name: str
    row_count: int | None
    columns: list[Column]


class TablesResult(BaseModel):
    """``structuredContent`` of the ``tables`` tool."""

    session_id: str
    tables: list[Table]
