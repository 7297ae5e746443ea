"""Issue 15 item 4 and issue 16 through real kernels: lists expand in IN (...),
and the parameter forms and rare SQLite of issue 16 work from %%sql and %sql.

A list, tuple, set, numpy array or pandas Series bound to a parameter that
stands alone inside IN (...) expands to one bound parameter per element, as
SQLAlchemy's expanding bind parameter does; anywhere else it is an error that
points at json.dumps.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from kernels import module_kernel

from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database
from codemode_kernel.errors import SQLParameterError

MIME = "application/vnd.codemode.query+json"


def make_db(tmp_path, name: str) -> Database:
    s = Settings(data_dir=tmp_path / "sessions")
    return Database(SessionStore(s.sessions_dir).open(name), s)


def frame_rows(df) -> list[tuple]:
    """Rows as plain Python: missing values -> None, numpy scalars -> Python."""
    out = []
    for row in df.itertuples(index=False, name=None):
        cells = [v.item() if hasattr(v, "item") else v for v in row]
        out.append(tuple(None if pd.isna(v) else v for v in cells))
    return out


@pytest.fixture
def db(tmp_path):
    d = make_db(tmp_path, "in-lists")
    d.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    d.exec("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, NULL)")
    yield d
    d.close()


def sqlite3_rows(sql: str, params) -> list[tuple]:
    """Plain sqlite3 with the list written out by hand, for comparison."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, NULL)")
    return conn.execute(sql, params).fetchall()


LISTS = [
    [1, 3],
    (1, 3),
    {1, 3},
    frozenset({3, 1}),
    np.array([1, 3]),
    pd.Series([1, 3]),
    pd.Index([1, 3]),
]


@pytest.mark.parametrize("ids", LISTS, ids=[type(x).__name__ for x in LISTS])
def test_named_list_expands(db, ids):
    got = frame_rows(db.query("SELECT id FROM t WHERE id IN (:ids) ORDER BY id", {"ids": ids}))
    assert got == sqlite3_rows("SELECT id FROM t WHERE id IN (?, ?) ORDER BY id", [1, 3])


@pytest.mark.parametrize("ids", LISTS, ids=[type(x).__name__ for x in LISTS])
def test_positional_list_expands(db, ids):
    sql = "SELECT id FROM t WHERE id IN (?) AND name IS NOT ? ORDER BY id"
    assert frame_rows(db.query(sql, [ids, "zz"])) == [(1,), (3,)]


def test_numbered_and_keyword_named_lists(db):
    assert frame_rows(
        db.query("SELECT id FROM t WHERE id IN (?1) OR id = ?2 ORDER BY id", [[1, 2], 4])
    ) == [(1,), (2,), (4,)]
    got = db.query(
        "SELECT id FROM t WHERE id IN (:values) AND name IN (:on) ORDER BY id",
        {"values": [1, 2, 3], "on": ("a", "c")},
    )
    assert frame_rows(got) == [(1,), (3,)]
    # The same list twice, and a scalar used twice beside it.
    got = db.query(
        "SELECT id FROM t WHERE (id IN (:ids) OR id IN (:ids)) AND id > :lo AND id < :lo + 9",
        {"ids": [2, 3], "lo": 0},
    )
    assert frame_rows(got) == [(2,), (3,)]


def test_empty_list_is_an_empty_result(db):
    assert frame_rows(db.query("SELECT id FROM t WHERE id IN (:ids)", {"ids": []})) == []
    assert sqlite3_rows("SELECT id FROM t WHERE id IN ()", []) == []
    got = frame_rows(db.query("SELECT id FROM t WHERE id NOT IN (?) ORDER BY id", [()]))
    assert got == [(1,), (2,), (3,), (4,)]
    # NULL IN () is false, not NULL (SQLAlchemy's empty-set semantics).
    assert frame_rows(db.query("SELECT NULL IN (:e) AS x", {"e": []})) == [(0,)]


def test_lists_through_exec_and_scripts(db):
    assert db.exec("DELETE FROM t WHERE id IN (:gone)", {"gone": [1, 2]}).rows_affected == 2
    assert db.exec("UPDATE t SET name = 'z' WHERE id IN (?)", [np.array([3])]).rows_affected == 1
    (res,) = db.run_script("SELECT id, name FROM t WHERE id IN (:ids)", {"ids": [3, 4]})
    assert frame_rows(res) == [(3, "z"), (4, None)]


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT :ids", {"ids": [1, 2]}),
        ("INSERT INTO t (name) VALUES (?)", [[1, 2]]),
        ("SELECT id FROM t WHERE id = :ids", {"ids": (1,)}),
        ("SELECT id FROM t WHERE id IN (:ids, 5)", {"ids": [1, 2]}),
        ("SELECT id FROM t WHERE id IN (:ids + 1)", {"ids": [1, 2]}),
        ("SELECT json_array_length(?)", [np.array([1, 2])]),
    ],
)
def test_list_elsewhere_is_an_error_pointing_at_json_dumps(db, sql, params):
    before = frame_rows(db.query("SELECT * FROM t ORDER BY id"))
    with pytest.raises(SQLParameterError, match=r"does not stand alone inside IN.*json\.dumps"):
        db.exec(sql, params) if sql.startswith("INSERT") else db.query(sql, params)
    assert frame_rows(db.query("SELECT * FROM t ORDER BY id")) == before


def test_expansion_replaces_parameter_tokens_only(db):
    """Values never enter the SQL text: a hostile element is data."""
    evil = ["a') OR 1=1 --", "a"]
    got = frame_rows(db.query("SELECT id FROM t WHERE name IN (:names)", {"names": evil}))
    assert got == [(1,)]
    sql = db.logs(1)["sql"][0]
    assert "OR 1=1" not in sql


# --- through a real kernel: %%sql, %sql, query, exec, create_table ------------


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    yield from module_kernel(
        tmp_path_factory,
        "helpers.db.create_table('people', 'id INTEGER PRIMARY KEY, name TEXT UNIQUE ON"
        " CONFLICT REPLACE, age INT')\n"
        "helpers.db.exec(\"INSERT INTO people (name, age) VALUES ('ann', 31), ('bob', 42),"
        " ('cy', 27)\")",
    )


def test_cell_magic_expands_a_list(k):
    k.ok("ids = [1, 3]\nnone = []")
    cell = k.ok("%%sql\nSELECT name FROM people WHERE id IN (:ids) ORDER BY id")
    assert cell.results[-1][MIME]["rows"] == [{"name": "ann"}, {"name": "cy"}]
    cell = k.ok("%%sql\nSELECT count(*) AS n FROM people WHERE id IN (:none)")
    assert cell.results[-1][MIME]["rows"] == [{"n": 0}]
    cell = k.ok("%sql SELECT name FROM people WHERE id IN (:ids) ORDER BY id")
    assert cell.results[-1][MIME]["row_count"] == 2
    cell = k.run("%sql SELECT :ids AS j")
    assert cell.ename == "SQLParameterError" and "json.dumps" in cell.evalue


def test_issue16_forms_through_the_magics(k):
    k.ok("values = 5\non = 'bob'")
    cell = k.ok("%%sql\nSELECT :values AS v, name FROM people WHERE name = :on")
    assert cell.results[-1][MIME]["rows"] == [{"v": 5, "name": "bob"}]
    cell = k.ok("%%sql\nUPDATE OR IGNORE people SET age = age + 1 WHERE name = :on")
    assert "1 row affected" in cell.stdout
    cell = k.ok(
        "%%sql\nCREATE TABLE s (a UNIQUE ON CONFLICT IGNORE, c GENERATED ALWAYS AS (a + 1)"
        " STORED);\nINSERT INTO s (a) VALUES (1), (1);\nSELECT a, c FROM s"
    )
    assert cell.results[-1][MIME]["rows"] == [{"a": 1, "c": 2}]
    # create_table with a conflict clause (REPLACE) from setup: a duplicate replaces.
    k.ok("helpers.db.exec(\"INSERT INTO people (name, age) VALUES ('ann', 99)\")")
    assert k.value("helpers.db.query(\"SELECT age FROM people WHERE name = 'ann'\")"
                   "['age'].tolist()") == [99]  # fmt: skip
    assert k.value("helpers.db.query('SELECT ?1 AS a, ?1 + 1 AS b', [5]).values.tolist()") == [
        [5, 6]
    ]


def test_syntax_error_in_a_cell_points_at_sqlites_token(k):
    cell = k.run("%%sql\nSELECT 1;\nSELEC customer_name, age FROM people")
    assert cell.ename == "SQLSyntaxError"
    assert 'near "SELEC"' in cell.evalue and "line 2, column 1" in cell.evalue
