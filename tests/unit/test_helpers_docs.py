"""helpers.docs(): generated from the live API and schema, compact, shown as Markdown."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from codemode_kernel import sql
from codemode_kernel._docs import Markdown, docs
from codemode_kernel._helpers import Helpers
from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database

BUILDERS = [n for n in sql.__all__ if getattr(sql, n).__name__ == n]


def make_helpers(tmp_path: Path, **overrides) -> Iterator[Helpers]:
    settings = Settings(data_dir=tmp_path / "sessions", **overrides)
    session = SessionStore(settings.sessions_dir).open("docs-test")
    helpers = Helpers(session, settings)
    yield helpers
    helpers.close()
    session.release()


@pytest.fixture
def helpers(tmp_path: Path) -> Iterator[Helpers]:
    yield from make_helpers(tmp_path)


def add_tables(helpers: Helpers, n: int, columns: int, rows: int = 3) -> None:
    for i in range(n):
        record = {f"measurement_{j}": float(j) for j in range(columns - 2)}
        helpers.db.batch_insert(
            f"table_{i:03d}", [{"id": k, "label": "x", **record} for k in range(rows)]
        )


def test_docs_lists_api_from_real_signatures(helpers):
    text = helpers.docs()
    assert isinstance(text, Markdown) and isinstance(text, str)
    for name in BUILDERS:
        fn = getattr(sql, name)
        params = str(inspect.signature(fn).replace(return_annotation=inspect.Signature.empty))
        plain = re.sub(r": '[^']*'|: [\w\[\]|. ]+(?=[,)=])", "", params).replace(" = ", "=")
        assert f"`{name}{plain}`" in text, name
        first = " ".join(inspect.getdoc(fn).split("\n\n")[0].split()).replace("``", "`")
        assert first in text
    for name in (
        "query",
        "exec",
        "batch_insert",
        "create_table",
        "save_state",
        "get_metrics",
        "tables",
        "schema",
        "explain",
        "logs",
    ):
        assert f"`{name}(" in text, name
    assert "query(sql, params=None, *, limit=None) -> DataFrame" in text
    assert "countBy" in text and "topN" in text and "batchInsert" in text
    assert "SQLBlockedError" in text
    assert "_repr_" not in text and "self" not in text


def test_docs_lists_tables_with_columns_types_and_counts(helpers):
    helpers.db.create_table("trials", {"id": "INTEGER PRIMARY KEY", "phase": "TEXT", "n": "REAL"})
    helpers.db.batch_insert("trials", [{"id": i, "phase": "III", "n": 1.5} for i in range(42)])
    helpers.db.batch_insert("notes", [{"text": "a"}])
    text = docs(helpers)
    assert "## Tables in this session (2)" in text
    assert "- `trials` (42 rows): id INTEGER PK, phase TEXT, n REAL" in text
    assert "- `notes` (1 row): text TEXT" in text
    assert "_codemode" not in text  # bookkeeping tables stay hidden


def test_docs_on_an_empty_session_says_so(helpers):
    assert "None yet" in helpers.docs()


def test_docs_show_the_limits_in_force(tmp_path):
    for helpers in make_helpers(
        tmp_path, max_rows=1234, query_timeout=7, cell_timeout=0, max_db_mb=55, session_ttl=3600
    ):
        text = helpers.docs()
        assert "max_rows 1,234" in text
        assert "query_timeout 7 s" in text
        assert "cell_timeout off" in text
        assert "(max_db_mb) 55 MB" in text
        assert "session_ttl 1 h" in text


def test_docs_is_compact_for_ten_tables(helpers):
    add_tables(helpers, 10, columns=8)
    text = helpers.docs()
    assert "table_009" in text and "not shown" not in text
    # ~4 characters a token: under 2,000 tokens.
    assert len(text) < 8_000, len(text)


def test_long_schemas_are_capped_and_say_so(helpers):
    add_tables(helpers, 60, columns=40, rows=1)
    text = helpers.docs()
    assert len(text) < 8_000, len(text)
    shown = len(re.findall(r"^- `table_\d+`", text, re.M))
    assert 0 < shown < 60
    assert f"… {60 - shown} more tables not shown" in text
    assert "… +20 more" in text  # 40 columns, 20 shown


def test_docstring_examples_run(helpers):
    """Every builder's example runs against tables with the names it uses."""
    db = helpers.db
    db.batch_insert(
        "trials",
        [
            {
                "id": i,
                "phase": "III",
                "status": "open",
                "title": f"t{i}",
                "sponsor": "50% dose",
                "enrollment": i * 10,
            }
            for i in range(5)
        ],
    )
    db.batch_insert(
        "orders",
        [
            {"id": i, "country": "US", "amount": 2.5, "created": "2024-01-02", "customer_id": i}
            for i in range(3)
        ],
    )
    db.batch_insert("customers", [{"id": 1, "name": "Ann"}])
    db.batch_insert("people", [{"name": "Bo", "birth_date": "2000-01-01"}] * 2)
    db.batch_insert("events", [{"id": 0}])
    ran = 0
    for name in BUILDERS:
        examples = [
            line
            for line in inspect.getdoc(getattr(sql, name)).splitlines()
            if line.startswith((">>> ", "... "))
        ]
        assert examples, f"{name} has no example"
        code = "\n".join(line[4:] for line in examples)
        df = eval(code, {"helpers": helpers})  # the example is a single expression
        assert len(df) >= 1, (name, code)
        ran += 1
    assert ran == 12
    for name in ("query", "batch_insert", "create_table"):
        assert ">>> " in inspect.getdoc(getattr(Database, name))
