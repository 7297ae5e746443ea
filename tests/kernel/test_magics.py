"""Issue 5: %%sql and %sql through a real kernel."""

from __future__ import annotations

import pytest
from kernels import module_kernel

MIME = "application/vnd.codemode.query+json"


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    yield from module_kernel(
        tmp_path_factory,
        "helpers.db.create_table('people', 'id INTEGER PRIMARY KEY, name TEXT UNIQUE, age INT')\n"
        "helpers.db.exec(\"INSERT INTO people (name, age) VALUES ('ann', 31), ('bob', 42),"
        " ('cy', 27)\")",
    )


def outputs(cell) -> list[tuple[str, object]]:
    """(kind, content) in order: ("stdout", text) or ("data", payload rows)."""
    out = []
    for m in cell.messages:
        if m["msg_type"] == "stream":
            out.append((m["content"]["name"], m["content"]["text"].strip()))
        elif m["msg_type"] in ("display_data", "execute_result"):
            out.append((m["msg_type"], m["content"]["data"].get(MIME, {}).get("rows")))
    return out


def test_name_placeholders_bind_from_the_namespace(k):
    k.ok("who = 'bob'\nmin_age = 30")
    cell = k.ok("%%sql\nSELECT name, age FROM people WHERE name = :who AND age > :min_age")
    assert outputs(cell) == [("execute_result", [{"name": "bob", "age": 42}])]
    assert cell.results[-1][MIME]["sql"].endswith("name = :who AND age > :min_age")
    # Bound, never pasted: a quote in the value is just data.
    k.ok("who = \"x' OR '1'='1\"")
    cell = k.ok("%%sql\nSELECT name FROM people WHERE name = :who")
    assert cell.results[-1][MIME]["row_count"] == 0


def test_several_statements_show_each_result_in_order(k):
    k.ok("new = 'dee'")
    cell = k.ok(
        "%%sql\n"
        "INSERT INTO people (name, age) VALUES (:new, 50);\n"
        "SELECT name FROM people WHERE age >= 42 ORDER BY name;\n"
        "UPDATE people SET age = age + 1 WHERE age > 40;\n"
        "SELECT count(*) AS n FROM people"
    )
    assert outputs(cell) == [
        ("stdout", "1 row affected"),
        ("display_data", [{"name": "bob"}, {"name": "dee"}]),
        ("stdout", "2 rows affected"),
        ("execute_result", [{"n": 4}]),
    ]
    assert "4 rows" not in cell.text and cell.text.splitlines()[-1].startswith("1 row · ")
    k.ok("%sql DELETE FROM people WHERE name = 'dee'")


def test_a_cell_is_one_transaction(k):
    cell = k.run(
        "%%sql\n"
        "INSERT INTO people (name, age) VALUES ('eve', 20);\n"
        "UPDATE people SET age = 0;\n"
        "INSERT INTO people (name, age) VALUES ('ann', 1)"  # UNIQUE fails
    )
    assert cell.ename == "IntegrityError"
    ages = k.value("helpers.db.query('SELECT name, age FROM people ORDER BY id').values.tolist()")
    assert ages == [["ann", 31], ["bob", 43], ["cy", 27]]


def test_out_stores_the_last_result(k):
    k.ok("%%sql -o older\nSELECT name FROM people WHERE age > 30 ORDER BY name")
    assert k.value("older['name'].tolist()") == ["ann", "bob"]
    assert k.value("older.attrs['codemode']['row_count']") == 2
    k.ok("%%sql --out=both\nSELECT 1 AS a;\nSELECT 2 AS b")
    assert k.value("both.columns.tolist()") == ["b"]
    cell = k.ok("x = %sql -o y SELECT name FROM people ORDER BY name LIMIT 1\nprint(x is y)")
    assert cell.stdout.strip() == "True"


def test_limit_caps_rows_and_flags_truncation(k):
    cell = k.ok("%%sql --limit 2\nSELECT name FROM people ORDER BY id")
    data = cell.results[-1][MIME]
    assert data["row_count"] == 2 and data["truncated"] is True and data["row_limit"] == 2
    assert "truncated at limit=2" in cell.text


def test_browse_opens_the_pager_after_earlier_statements(k):
    cell = k.ok(
        "%%sql --browse -o pager\n"
        "UPDATE people SET age = age WHERE name = :who;\n"
        "SELECT name FROM people WHERE age > :min_age ORDER BY name"
    )
    assert outputs(cell)[:1] == [("stdout", "0 rows affected")]
    (bundle,) = cell.results
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].splitlines()[0].endswith("page 1 of 1 · 2 rows")
    assert k.value("(type(pager).__name__, pager.frame['name'].tolist())") == (
        "Pager",
        ["ann", "bob"],
    )


def test_unknown_name_is_an_error_naming_it(k):
    cell = k.run("%%sql\nINSERT INTO people (name) VALUES ('zed');\nSELECT :nowhere_defined")
    assert cell.ename == "NameError"
    assert ":nowhere_defined" in cell.evalue
    assert k.value("len(helpers.db.query(\"SELECT 1 FROM people WHERE name = 'zed'\"))") == 0


def test_errors_are_the_typed_errors(k):
    cell = k.run("%%sql\nSELECT 1;\nPRAGMA table_info(people)")
    assert cell.ename == "SQLBlockedError"
    cell = k.run("%sql SELEC name FROM people")
    assert cell.ename == "SQLSyntaxError"
    cell = k.run("%sql --frobnicate SELECT 1")
    assert cell.ename == "UsageError" and "--frobnicate" in cell.evalue
    cell = k.run("%%sql --limit 0\nSELECT 1")
    assert cell.ename == "UsageError"


def test_line_magic_write_and_query(k):
    cell = k.ok("%sql UPDATE people SET age = age WHERE age < 100")
    assert cell.stdout.strip() == "3 rows affected" and cell.results == []
    cell = k.ok("%sql SELECT max(age) AS oldest FROM people")
    assert cell.results[-1][MIME]["rows"] == [{"oldest": 43}]
