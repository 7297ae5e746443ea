"""Issue 16: SQLite judges syntax, sqlglot explains; the guard never refuses valid SQLite.

The fixture tests/data/rare_sqlite.sql holds valid-but-rare SQLite. Each case
runs on a fresh copy of its setup through helpers.db and through plain
sqlite3, and both must give the same rows.
"""

from __future__ import annotations

import math
import re
import sqlite3
from pathlib import Path

import pytest

from codemode_kernel import _compile
from codemode_kernel._guard import classify
from codemode_kernel._settings import Settings
from codemode_kernel._statements import split_statements
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database
from codemode_kernel.errors import SQLBlockedError, SQLParameterError, SQLSyntaxError

FIXTURE = Path(__file__).parents[1] / "data" / "rare_sqlite.sql"


def load_fixture() -> tuple[str, list[tuple[str, str, str | None]]]:
    """(setup script, [(name, sql, check or None)]) from the fixture file."""
    text = FIXTURE.read_text(encoding="utf-8")
    setup_part, *case_parts = re.split(r"^-- case: ", text, flags=re.M)
    setup = setup_part.split("-- setup\n", 1)[1]
    cases = []
    for part in case_parts:
        name, body = part.split("\n", 1)
        check = None
        m = re.search(r"^-- check: (.*)$", body, flags=re.M)
        if m:
            check = m.group(1)
            body = body[: m.start()]
        cases.append((name.strip(), body.strip("\n"), check))
    return setup, cases


SETUP, CASES = load_fixture()


def make_db(tmp_path: Path, name: str = "judge") -> Database:
    s = Settings(data_dir=tmp_path / "sessions")
    return Database(SessionStore(s.sessions_dir).open(name), s)


def plain(value):
    """A cell as plain Python: pandas/numpy missing values -> None, numpy scalars -> Python."""
    if hasattr(value, "item") and not isinstance(value, bytes | str):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def frame_rows(df) -> list[tuple]:
    return [tuple(plain(v) for v in row) for row in df.itertuples(index=False, name=None)]


def reference(sql: str, check: str | None) -> tuple[list, list | None]:
    """Plain sqlite3: the rows of each statement (None where it returns none), then the check."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(SETUP)
    out = []
    for _, text in split_statements(sql):
        cur = conn.execute(text)
        out.append(cur.fetchall() if cur.description else None)
    checked = conn.execute(check).fetchall() if check else None
    conn.close()
    return out, checked


def test_fixture_size():
    assert len(CASES) >= 100
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "sql", "check"), CASES, ids=[c[0] for c in CASES])
def test_rare_sqlite_is_allowed_and_same_as_sqlite3(tmp_path, name, sql, check):
    expected, expected_check = reference(sql, check)
    db = make_db(tmp_path)
    try:
        db.exec(SETUP)
        if len(expected) == 1 and expected[0] is not None:
            got = [frame_rows(db.query(sql))]
        elif len(expected) == 1:
            db.exec(sql)
            got = [None]
        else:  # a script: the %%sql path, one result per statement
            got = [
                None if hasattr(r, "rows_affected") else frame_rows(r) for r in db.run_script(sql)
            ]
        assert got == expected
        if check:
            assert frame_rows(db.query(check)) == expected_check
    finally:
        db.close()


def test_numeric_underscores_refused_with_sqlites_own_message(tmp_path):
    """1_000 arrived in SQLite 3.46; this one (3.40) refuses it, and so do we, in its words."""
    assert sqlite3.sqlite_version_info < (3, 46)
    with pytest.raises(sqlite3.OperationalError, match='unrecognized token: "1_000"'):
        sqlite3.connect(":memory:").execute("SELECT 1_000")
    db = make_db(tmp_path)
    with pytest.raises(SQLSyntaxError, match='unrecognized token: "1_000"') as info:
        db.query("SELECT 1_000")
    assert str(info.value).splitlines()[-1] == "         ^"
    db.close()


# --- the compile step prepares, never runs ------------------------------------

NEVER_RUN = [
    ("INSERT INTO t VALUES (9, 'z')", "SELECT count(*) FROM t", [(1,)]),
    ("UPDATE t SET b = 'changed'", "SELECT b FROM t", [("x",)]),
    ("DELETE FROM t", "SELECT count(*) FROM t", [(1,)]),
    ("CREATE TABLE new_t (a)", "SELECT count(*) FROM sqlite_master WHERE name='new_t'", [(0,)]),
    ("DROP TABLE t", "SELECT count(*) FROM sqlite_master WHERE name='t'", [(1,)]),
    ("ALTER TABLE t RENAME TO t2", "SELECT count(*) FROM sqlite_master WHERE name='t'", [(1,)]),
    ("ALTER TABLE t ADD COLUMN c", "SELECT count(*) FROM pragma_table_info('t')", [(2,)]),
    ("CREATE INDEX ix ON t (b)", "SELECT count(*) FROM sqlite_master WHERE name='ix'", [(0,)]),
    ("REPLACE INTO t VALUES (1, 'r')", "SELECT b FROM t", [("x",)]),
]


@pytest.mark.parametrize(("sql", "probe", "before"), NEVER_RUN, ids=[c[0] for c in NEVER_RUN])
def test_compile_step_has_no_effect(tmp_path, sql, probe, before):
    db = make_db(tmp_path)
    db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'x')")
    _compile._cache.clear()
    stmt = classify(sql)[0]
    compiled = db.judge.compiled(stmt, sql)
    assert compiled is not None and compiled.writes
    with db.connection.internal() as conn:
        assert conn.execute(probe + db.connection.tag).fetchall() == before
    # The real run, for contrast, changes what the compile did not.
    db.exec(sql)
    with db.connection.internal() as conn:
        assert conn.execute(probe + db.connection.tag).fetchall() != before
    db.close()


def test_compile_reports_kind_and_rows_from_sqlite(tmp_path):
    db = make_db(tmp_path)
    db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
    cases = {
        "WITH x AS (SELECT 1 AS a) INSERT INTO t (a) SELECT a FROM x": ("INSERT", False),
        "WITH x AS (SELECT 1) UPDATE t SET b = 'y'": ("UPDATE", False),
        "WITH x AS (SELECT 1) DELETE FROM t RETURNING a": ("DELETE", True),
        "UPDATE OR IGNORE t SET b = 'y'": ("UPDATE", False),
        "CREATE TABLE s (a, c GENERATED ALWAYS AS (a + 1) STORED)": ("CREATE TABLE", False),
        "SELECT ?1, ?1 + 1": ("SELECT", True),
        "VALUES (1)": ("SELECT", True),
    }
    for sql, (kind, rows) in cases.items():
        compiled = db.judge.compiled(classify(sql)[0], sql)
        assert (compiled.kind, compiled.returns_rows) == (kind, rows), sql
    db.close()


# --- the forms of issue 16 through query, exec, run_script and create_table ----

FORMS = [
    "UPDATE OR IGNORE t SET b = 'y'",
    "UPDATE OR REPLACE t SET b = 'y'",
    "UPDATE OR ABORT t SET b = 'y'",
    "UPDATE OR FAIL t SET b = 'y'",
    "UPDATE OR ROLLBACK t SET b = 'y'",
    "CREATE TABLE s (a UNIQUE ON CONFLICT IGNORE)",
    "CREATE TABLE s (a NOT NULL ON CONFLICT REPLACE DEFAULT 0)",
    "CREATE TABLE s (a, PRIMARY KEY (a) ON CONFLICT ROLLBACK)",
    "CREATE TABLE s (a, c GENERATED ALWAYS AS (a + 1) STORED)",
]


@pytest.mark.parametrize("sql", FORMS)
def test_issue_forms_through_exec_and_script(tmp_path, sql):
    db = make_db(tmp_path)
    db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'x')")
    db.exec(sql)
    db.run_script(sql.replace("TABLE s", "TABLE s2"))
    kinds = db.logs(2)["kind"].tolist()
    assert kinds[0].startswith("script") and kinds[1].startswith("exec")
    db.close()


@pytest.mark.parametrize(
    "schema",
    [
        "code TEXT UNIQUE ON CONFLICT REPLACE",
        "a NOT NULL ON CONFLICT IGNORE, b",
        "a, PRIMARY KEY (a) ON CONFLICT FAIL",
        "a, c GENERATED ALWAYS AS (a + 1) STORED",
        {"code": "TEXT UNIQUE ON CONFLICT REPLACE", "n": "INT NOT NULL ON CONFLICT ABORT"},
    ],
)
def test_issue_forms_through_create_table(tmp_path, schema):
    db = make_db(tmp_path)
    db.create_table("c", schema)
    assert db.tables() == ["c"]
    db.close()


def test_create_table_with_a_conflict_clause_behaves(tmp_path):
    db = make_db(tmp_path)
    db.create_table("codes", "code TEXT UNIQUE ON CONFLICT REPLACE, label TEXT")
    db.exec("INSERT INTO codes VALUES ('a', 'first')")
    db.exec("INSERT INTO codes VALUES ('a', 'second')")
    assert frame_rows(db.query("SELECT * FROM codes")) == [("a", "second")]
    db.close()


def test_parameters_bind_as_in_sqlite3(tmp_path):
    db = make_db(tmp_path)
    assert frame_rows(db.query("SELECT ?1 AS a, ?1 + 1 AS b", [5])) == [(5, 6)]
    assert frame_rows(db.query("SELECT ?2 AS a, ?1 AS b", [1, 2])) == [(2, 1)]
    got = db.query("SELECT :values AS v, :on AS o, @select AS s, $from AS f", {
        "values": 1, "on": 2, "select": 3, "from": 4})  # fmt: skip
    assert frame_rows(got) == [(1, 2, 3, 4)]
    assert frame_rows(db.query("SELECT :a AS x, :a + 1 AS y", {"a": 1})) == [(1, 2)]
    db.exec("CREATE TABLE kw (v)")
    db.exec("INSERT INTO kw VALUES (:values)", {"values": 7})
    assert db.exec("UPDATE kw SET v = ?1 + ?1", [4]).rows_affected == 1
    assert frame_rows(db.query("SELECT v FROM kw")) == [(8,)]
    db.close()


@pytest.mark.parametrize(
    ("sql", "params", "match"),
    [
        ("SELECT :a, :b", {"a": 1}, "missing value for parameter :b"),
        ("SELECT :a", {"a": 1, "zz": 2}, "value for :zz, which the statement does not use"),
        ("SELECT ?1, ?3", [1, 2], r"has 3 \? placeholder\(s\) but 2 value\(s\).*no value for \?3"),
        ("SELECT ?", [1, 2], r"but 2 value\(s\) were given"),
        ("SELECT ?, :a", [1, 2], r"mixes \? placeholders \(\?1\) with named ones \(:a\)"),
        ("SELECT ?, :a", {"a": 1}, r"mixes \? placeholders"),
        ("SELECT :values", None, r"placeholders \(:values\) but no params"),
    ],
)
def test_parameter_errors_are_typed_and_name_the_parameter(tmp_path, sql, params, match):
    db = make_db(tmp_path)
    with pytest.raises(SQLParameterError, match=match):
        db.query(sql, params)
    assert db.logs(1)["error"][0].startswith("SQLParameterError")
    db.close()


# --- syntax errors: SQLite's message, the caret where SQLite points ----------


@pytest.mark.parametrize(
    ("sql", "message", "caret_col"),
    [
        ("SELEC customer_name, age FROM t", 'near "SELEC": syntax error', 1),
        ("SELECT a FROM t WHERE a = = 1", 'near "=": syntax error', 27),
        # SQLite names no token: the caret goes where sqlglot stopped (WHERE).
        ("SELECT 1;\nSELECT a FROM t WHERE", "incomplete input", 17),
        ("SELECT 'unterminated", 'unrecognized token: "\'unterminated"', 8),
    ],
)
def test_syntax_error_is_sqlites_with_caret(tmp_path, sql, message, caret_col):
    db = make_db(tmp_path)
    db.exec("CREATE TABLE t (a)")
    with pytest.raises(SQLSyntaxError) as info:
        db.exec(sql)
    text = str(info.value)
    assert message in text.splitlines()[0] and "(SQLite)" in text
    assert text.splitlines()[-1].index("^") - 2 == caret_col - 1
    db.close()


def test_engine_judged_statements_are_logged_as_such(tmp_path):
    db = make_db(tmp_path)
    db.exec("CREATE TABLE t (a UNIQUE ON CONFLICT IGNORE)")
    db.query("SELECT :values AS v", {"values": 1})
    db.query("SELECT 1 AS plain")
    kinds = db.logs(3)["kind"].tolist()
    assert kinds == ["query", "query (engine-judged)", "exec (engine-judged)"]
    db.close()


def test_explain_runs_inside_the_guarded_call(tmp_path):
    db = make_db(tmp_path)
    db.exec("CREATE TABLE t (a, b)")
    plan = db.explain("SELECT * FROM t WHERE a = :values", {"values": 1})
    assert "SCAN t" in plan["detail"].iloc[0]
    assert db.logs(1)["kind"][0] == "explain (engine-judged)"
    with pytest.raises(SQLBlockedError):
        db.explain("SELECT * FROM pragma_table_info('t')")
    assert db.logs(1)["error"][0].startswith("SQLBlockedError")
    db.close()


def test_on_conflict_rollback_never_leaves_a_call_half_done(tmp_path):
    """OR ROLLBACK (now allowed) ends the call's transaction from inside a
    statement: the call fails whole, and nothing runs on in autocommit."""
    db = make_db(tmp_path)
    db.exec(
        "CREATE TABLE u (k TEXT PRIMARY KEY, note TEXT UNIQUE); CREATE TABLE b (x);"
        "INSERT INTO u VALUES ('p', 'one'), ('q', 'two')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        db.exec("INSERT INTO b VALUES (1); UPDATE OR ROLLBACK u SET note = 'one' WHERE k = 'q'")

    def records():
        for i in range(6):
            if i == 3:  # after the first chunk went in
                with pytest.raises(sqlite3.IntegrityError):
                    db.exec("UPDATE OR ROLLBACK u SET note = 'one' WHERE k = 'q'")
            yield {"x": i}

    with pytest.raises(sqlite3.OperationalError, match="ON CONFLICT ROLLBACK"):
        db.batch_insert("b", records(), chunk_size=2)
    assert frame_rows(db.query("SELECT count(*) FROM b")) == [(0,)]
    assert frame_rows(db.query("SELECT * FROM u ORDER BY k")) == [("p", "one"), ("q", "two")]
    db.close()
