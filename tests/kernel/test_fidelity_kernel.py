"""Issue 15 through a real kernel: each input of the issue gives the expected result.

(Input 4, list parameters inside ``IN (:ids)``, belongs to issue 16's binding.)
"""

from __future__ import annotations

import json

import pytest
from kernels import module_kernel

MIME = "application/vnd.codemode.query+json"


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    yield from module_kernel(tmp_path_factory, "import datetime as dt\nimport pandas as pd")


def test_1_keys_match_columns_ignoring_case(k):
    k.ok(
        "helpers.db.create_table('people', 'ID INTEGER PRIMARY KEY, Name TEXT')\n"
        "n = helpers.db.batch_insert('people', [{'id': 1, 'name': 'ann'}])"
    )
    assert k.value("n") == 1
    assert k.value("helpers.db.query('SELECT * FROM people').to_dict('list')") == {
        "ID": [1],
        "Name": ["ann"],
    }
    cell = k.run("helpers.db.batch_insert('fresh', [{'Name': 'a'}, {'name': 'b'}])")
    assert cell.ename == "DuplicateColumnError"
    assert "keys 'Name' and 'name'" in cell.evalue
    assert k.value("'fresh' in helpers.db.tables()") is False


def test_2_integers_with_nulls_stay_exact(k):
    k.ok(
        "helpers.db.create_table('ids', 'id INTEGER')\n"
        "helpers.db.exec('INSERT INTO ids VALUES (9007199254740993), (NULL), (42)')\n"
        "df = helpers.db.query('SELECT id FROM ids ORDER BY rowid')"
    )
    assert k.value("str(df['id'].dtype)") == "Int64"
    assert k.value("[None if pd.isna(v) else int(v) for v in df['id']]") == [
        9007199254740993,
        None,
        42,
    ]
    bundle = k.ok("df").results[-1]
    data = bundle[MIME]
    assert data["columns"][0]["sqlite_type"] == "INTEGER|NULL"
    assert data["columns"][0]["dtype"] == "Int64"
    assert [r["id"] for r in data["rows"]] == [9007199254740993, None, 42]
    plain = bundle["text/plain"]
    assert "9007199254740993" in plain and "42.0" not in plain
    assert "<td>42</td>" in bundle["text/html"]
    pager = k.ok("helpers.db.browse('SELECT id FROM ids ORDER BY rowid')").results[-1]
    assert "9007199254740993" in pager["text/plain"] and "NULL" in pager["text/plain"]
    html = pager["text/html"]  # the pager marks NULL cells and right-aligns numbers
    assert '<td class="codemode-null">NULL</td>' in html and 'title="42">42</td>' in html


def test_3_datetimes_compare_with_sqlites_text(k):
    k.ok(
        "helpers.db.create_table('ev', 'created TEXT')\n"
        "helpers.db.exec(\"INSERT INTO ev VALUES (datetime('2024-01-05 08:00:00'))\")\n"
        "found = helpers.db.query('SELECT * FROM ev WHERE created > ?',"
        " [dt.datetime(2024, 1, 5, 7, 0)])\n"
        "helpers.db.batch_insert('ev', [{'created': dt.datetime(2024, 1, 5, 9, 0)}])\n"
        "helpers.db.save_state('when', dt.datetime(2024, 1, 5, 10, 0))"
    )
    assert k.value("found['created'].tolist()") == ["2024-01-05 08:00:00"]
    assert k.value("helpers.db.query('SELECT created FROM ev ORDER BY 1')['created'].tolist()") == [
        "2024-01-05 08:00:00",
        "2024-01-05 09:00:00",
    ]
    assert k.value("helpers.db.get_state('when')") == "2024-01-05 10:00:00"


def test_5_named_index_becomes_a_column(k):
    k.ok(
        "df = pd.DataFrame({'country': ['fr', 'de', 'fr'], 'n': [1, 2, 3]})\n"
        "helpers.db.batch_insert('by_country', df.groupby('country').sum())"
    )
    got = k.value("helpers.db.query('SELECT * FROM by_country ORDER BY 1').to_dict('list')")
    assert got == {"country": ["de", "fr"], "n": [2, 4]}


def test_6_every_failed_call_is_logged_and_counted(k):
    before = k.value("helpers.db.get_metrics()['errors']")
    for code, ename in [
        ("helpers.db.query('SELECT 1', limit=10**9)", "ValueError"),
        ("helpers.db.query('SELECT :a')", "SQLParameterError"),
        ("helpers.db.query('SELECT * FROM nowhere')", "OperationalError"),
    ]:
        assert k.run(code).ename == ename
    k.ok(
        "def gen():\n"
        "    yield {'a': 1}\n"
        "    raise Exception()\n"  # an empty message (issue 17, kind 13)
        "try:\n"
        "    helpers.db.batch_insert('e', gen())\n"
        "except Exception:\n"
        "    pass"
    )
    assert k.value("helpers.db.get_metrics()['errors']") == before + 4
    log = k.value("helpers.db.logs(4)[['kind', 'error']].values.tolist()")
    assert [kind for kind, _ in log] == ["batch_insert", "query", "query", "query"]
    assert log[0][1] == "Exception"
    assert log[1][1].startswith("OperationalError: no such table: nowhere")
    assert log[2][1].startswith("SQLParameterError: the statement has placeholders (:a)")
    assert log[3][1].startswith("ValueError: limit=1,000,000,000 is above max_rows")


def test_7_null_displays_as_null(k):
    bundle = k.ok(
        'helpers.db.exec("CREATE TABLE n (i INTEGER, s TEXT, f REAL);'
        " INSERT INTO n VALUES (1, 'a', 0.5), (NULL, NULL, NULL)\")\n"
        "helpers.db.query('SELECT * FROM n ORDER BY rowid')"
    ).results[-1]
    lines = bundle["text/plain"].splitlines()
    assert lines[2].split() == ["1", "NULL", "NULL", "NULL"]
    html = bundle["text/html"]
    assert html.count("<td>NULL</td>") == 3
    for shown in (bundle["text/plain"], html):
        assert "NaN" not in shown and "<NA>" not in shown and "&lt;NA&gt;" not in shown
    assert [r["s"] for r in bundle[MIME]["rows"]] == ["a", None]
    json.dumps(bundle[MIME], allow_nan=False)
    assert k.value("helpers.db.query('SELECT s FROM n')['s'].isna().tolist()") == [False, True]
