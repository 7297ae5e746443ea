"""``%%sql`` and ``%sql``: SQL against ``helpers.db`` from a cell or a line.

::

    %%sql [-o VAR | --out VAR] [--limit N] [--browse]
    INSERT INTO t (name) VALUES (:name);
    SELECT * FROM t WHERE name = :name

All statements run in order in one transaction (all or nothing) through the
same guard and limits as ``helpers.db``. ``:name`` placeholders are bound
from the notebook's namespace, never pasted into the SQL. Every row-returning
statement's result is displayed and every write prints "N rows affected".
"""

from __future__ import annotations

import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

__all__ = ["SQLMagics", "parse_options"]

_OPTION = re.compile(
    r"\s*(?:(?P<out>-o|--out)(?:\s+|=)(?P<var>\S+)|--limit(?:\s+|=)(?P<limit>\S+)|(?P<browse>--browse))(?=\s|$)"
)


def parse_options(line: str) -> tuple[dict[str, Any], str]:
    """Split the leading options off a magic line: ({out, limit, browse}, rest)."""
    opts: dict[str, Any] = {"out": None, "limit": None, "browse": False}
    pos = 0
    while m := _OPTION.match(line, pos):
        if m["out"]:
            if not m["var"].isidentifier():
                raise UsageError(f"-o/--out needs a Python variable name, got {m['var']!r}")
            opts["out"] = m["var"]
        elif m["limit"]:
            if not m["limit"].isdigit() or int(m["limit"]) <= 0:
                raise UsageError(f"--limit needs a positive number of rows, got {m['limit']!r}")
            opts["limit"] = int(m["limit"])
        else:
            opts["browse"] = True
        pos = m.end()
    rest = line[pos:].strip()
    if rest.startswith("-") and not rest.startswith("--"):
        raise UsageError(f"unknown option {rest.split()[0]!r}; use -o VAR, --limit N, --browse")
    if rest.startswith("--") and re.match(r"--[A-Za-z]", rest):
        raise UsageError(f"unknown option {rest.split()[0]!r}; use -o VAR, --limit N, --browse")
    return opts, rest


@magics_class
class SQLMagics(Magics):
    """``%sql`` / ``%%sql`` against the session database."""

    def _db(self) -> Any:
        helpers = getattr(self.shell, "codemode_helpers", None) or self.shell.user_ns.get("helpers")
        if helpers is None:
            raise UsageError("no helpers in this kernel: run %load_ext codemode_kernel first")
        return helpers.db

    def _params(self, sql: str) -> dict[str, Any] | None:
        from ._guard import classify

        names = sorted({n for s in classify(sql) for n in s.named})
        if not names:
            return None
        ns = self.shell.user_ns
        missing = [n for n in names if n not in ns]
        if missing:
            shown = ", ".join(f":{n}" for n in missing)
            raise NameError(
                f"%%sql placeholder {shown} has no value: define "
                f"{' and '.join(missing)} in the notebook first (values are bound, never pasted)"
            )
        return {n: ns[n] for n in names}

    @line_cell_magic
    def sql(self, line: str, cell: str | None = None) -> Any:
        """Run SQL on ``helpers.db``: ``%sql SELECT ...`` or a ``%%sql`` cell.

        Options: ``-o/--out VAR`` stores the last result (DataFrame, or the
        pager with ``--browse``) in ``VAR``; ``--limit N`` caps the rows of
        each result below ``max_rows``; ``--browse`` opens the pager on the
        last statement (a SELECT) instead of fetching it.
        """
        from IPython.display import display

        opts, rest = parse_options(line)
        if cell is None:
            sql = rest
        else:
            if rest:
                raise UsageError(f"%%sql takes options on its first line, not SQL: {rest!r}")
            sql = cell
        if not sql.strip():
            raise UsageError("no SQL given: %sql SELECT ... or a %%sql cell")
        db = self._db()
        params = self._params(sql)
        browse_sql = None
        if opts["browse"]:
            sql, browse_sql = self._split_last(sql)
        results: list[Any] = db.run_script(sql, params, limit=opts["limit"]) if sql else []
        frames = [r for r in results if not hasattr(r, "rows_affected")]
        last: Any = frames[-1] if frames else None
        if browse_sql is not None:
            from ._guard import classify
            from ._widgets import browse

            # Only the pager's own names: the others may hold values it cannot bind.
            own = {n: params[n] for n in classify(browse_sql)[0].named} if params else None
            last = browse(db, browse_sql, page_size=min(opts["limit"] or 50, 50), params=own)
        # In statement order: writes print their count, results are displayed,
        # except a final one, which is the cell's value (execute_result, Out, _).
        value = last if browse_sql is not None or (results and results[-1] is last) else None
        for r in results:
            if hasattr(r, "rows_affected"):
                n = r.rows_affected
                print(f"{n:,} row{'' if n == 1 else 's'} affected")
            elif r is not value:
                display(r)
        if opts["out"]:
            self.shell.user_ns[opts["out"]] = last
        return value

    @staticmethod
    def _split_last(sql: str) -> tuple[str, str]:
        """(the statements before the last, the last one) for --browse."""
        from ._guard import classify

        stmts = classify(sql)
        last = stmts[-1]
        if last.kind != "SELECT":
            raise UsageError(f"--browse needs the last statement to be a SELECT, not {last.kind}")
        # A lone SELECT (maybe after comments) leaves nothing to run before it.
        return (sql[: last.offset] if len(stmts) > 1 else ""), last.text
