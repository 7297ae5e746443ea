"""Issues 16 and 17: attacks aimed at the seam between sqlglot and SQLite, and
the limits that stop runaway inputs (splitting, prepare, nesting).

Every seam attack is a statement sqlglot cannot parse (or parses into its
generic Command) that hides a refused action. Each is refused, and its effect
is absent (the snapshot of tests/test_guard.py), in three set-ups: the whole
guard, the engine alone (compile step + run-time authorizer), and the
run-time authorizer alone.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_guard import SCRATCH, make_db, snapshot

from codemode_kernel import _sqltokens
from codemode_kernel._guard import EngineOnly, classify
from codemode_kernel._limits import LIMITS, TEMP_PRAGMAS
from codemode_kernel.errors import CodeModeError, LimitExceededError, SQLBlockedError

# (sql, params): each hides a refused action in a form sqlglot cannot judge.
SEAM_ATTACKS: list[tuple[str, object]] = [
    ("UPDATE OR IGNORE t SET name = sqlite_compileoption_get(0)", None),
    ("UPDATE OR REPLACE t SET name = (SELECT file FROM pragma_database_list)", None),
    ("UPDATE OR FAIL t SET name = hex(fts3_tokenizer('simple'))", None),
    ("REPLACE INTO t (name) SELECT name FROM pragma_table_info('t')", None),
    ("REPLACE INTO _codemode_state VALUES ('k', '2', 0)", None),
    ("REPLACE INTO sqlite_sequence VALUES ('t', 99)", None),
    ("UPDATE OR IGNORE _codemode_log SET error = NULL", None),
    ("UPDATE OR ROLLBACK sqlite_sequence SET seq = 1000", None),
    ("SELECT load_extension(:values)", {"values": "/tmp/evil.so"}),
    ("SELECT ?1, sqlite_compileoption_get(?1)", [0]),
    ("SELECT * FROM dbstat WHERE :on", {"on": 1}),
    ("SELECT sql FROM sqlite_stmt WHERE ?1", [1]),
    ("CREATE TABLE g (a, b GENERATED ALWAYS AS (sqlite_compileoption_get(a)) STORED)", None),
    ("CREATE TABLE g2 (a, b AS (fts3_tokenizer('simple')))", None),
    ("CREATE TABLE c (a UNIQUE ON CONFLICT IGNORE CHECK (fts3_tokenizer('x') IS NULL))", None),
    ("CREATE TABLE c2 (a NOT NULL ON CONFLICT IGNORE CHECK (load_extension('x')))", None),
    ("CREATE TABLE d (a UNIQUE ON CONFLICT IGNORE, b DEFAULT (sqlite_compileoption_get(0)))", None),
    (
        'CREATE TABLE d2 (a UNIQUE ON CONFLICT IGNORE, b DEFAULT ("sqlite_compileoption_get"(1)))',
        None,
    ),
    ("CREATE TABLE _codemode_evil (a UNIQUE ON CONFLICT IGNORE)", None),
    ("CREATE TABLE temp.tt (a UNIQUE ON CONFLICT IGNORE)", None),
    ("CREATE TABLE TEMP.tt (a, b GENERATED ALWAYS AS (a) STORED)", None),
    ("CREATE INDEX ix ON _codemode_state (value) WHERE ?1 IS NULL", [None]),
    ("CREATE TABLE x (a UNIQUE ON CONFLICT IGNORE); ALTER TABLE x RENAME TO _codemode_x", None),
    (
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE OR IGNORE t SET name = 'x'; END",
        None,
    ),
    (
        "CREATE TRIGGER tr2 AFTER INSERT ON t BEGIN SELECT 1; INSERT OR IGNORE INTO t"
        " (name) SELECT load_extension('x'); END",
        None,
    ),
    ("PRAGMA main.user_version = 7", None),
    ('PRAGMA "user_version" = 8', None),
    ("\ufeffPRAGMA user_version = 9", None),
    ("pragma/**/main.journal_mode = DELETE", None),
    (f"ATTACH '{SCRATCH}/seam' || '.db' AS s", None),
    ("ATTACH :values AS s2", {"values": f"{SCRATCH}/seam2.db"}),
    (f"VACUUM INTO '{SCRATCH}/' || 'seam-copy.db'", None),
    ("VACUUM main INTO :on", {"on": f"{SCRATCH}/seam-copy2.db"}),
    ('SAVEPOINT "x"', None),
    ("RELEASE SAVEPOINT x", None),
]


def _sqlglot_fails(sql: str) -> bool:
    """True where sqlglot alone cannot tell what the statement is."""
    import sqlglot
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(sql, read="sqlite") if t is not None]
    except Exception:
        return True
    kinds = (exp.Select, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Pragma)
    return len(trees) != 1 or not isinstance(trees[0], (*kinds, exp.Attach))


@pytest.fixture(params=["whole guard", "engine alone", "run-time authorizer alone"])
def setup(request, tmp_path):
    os.makedirs(SCRATCH, exist_ok=True)
    db = make_db(tmp_path, parser=request.param == "whole guard")
    db.judge.enabled = request.param != "run-time authorizer alone"
    assert isinstance(db.guard, EngineOnly) == (request.param != "whole guard")
    yield db
    db.close()


def test_seam_attacks_are_seam_cases():
    """Most of them sqlglot cannot judge on its own (that is the seam)."""
    seams = [sql for sql, _ in SEAM_ATTACKS if _sqlglot_fails(sql)]
    assert len(seams) >= 20


@pytest.mark.parametrize(("sql", "params"), SEAM_ATTACKS, ids=[a[0][:40] for a in SEAM_ATTACKS])
def test_seam_attack_refused_without_effect(setup, sql, params):
    before = snapshot(setup)
    with pytest.raises((SQLBlockedError, sqlite3.DatabaseError)) as info:
        setup.exec(sql, params)
    # VACUUM is refused by SQLite inside the call's own transaction too.
    vacuum_in_txn = "cannot VACUUM from within a transaction" in str(info.value)
    assert isinstance(info.value, SQLBlockedError) or vacuum_in_txn, (
        f"{type(info.value).__name__}: {info.value}"
    )
    assert snapshot(setup) == before


def test_reserved_rename_is_refused_after_the_statement(tmp_path):
    """The authorizer sees the old name only: the new one is checked in the transaction."""
    db = make_db(tmp_path, parser=False)
    db.exec("CREATE TABLE mine (a)")
    before = snapshot(db)
    with pytest.raises(SQLBlockedError, match="renaming a table to _codemode_zz"):
        db.exec("ALTER TABLE mine RENAME TO _codemode_zz")
    assert snapshot(db) == before
    db.close()


def test_temp_objects_refused_with_reason(tmp_path):
    db = make_db(tmp_path)
    for sql in (
        "CREATE TEMP TABLE big AS SELECT randomblob(10000) FROM t",
        "CREATE TEMPORARY VIEW v AS SELECT 1",
        "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        "CREATE TABLE temp.x (a)",
    ):
        with pytest.raises(SQLBlockedError, match=r"TEMP|temp") as info:
            db.exec(sql)
        assert "quota" in str(info.value)
    with db.connection.internal() as conn:
        assert conn.execute("PRAGMA temp_store" + db.connection.tag).fetchone()[0] == 2  # MEMORY
        assert (
            conn.execute("PRAGMA hard_heap_limit" + db.connection.tag).fetchone()[0]
            == (TEMP_PRAGMAS["hard_heap_limit"])
        )
    db.close()


# --- limits: a typed error naming the limit, fast -------------------------------


def _cte_chain(k: int) -> str:
    body = "".join(
        f", c{i}(x) AS NOT MATERIALIZED (SELECT a.x FROM c{i - 1} a, c{i - 1} b)"
        for i in range(1, k)
    )
    return f"WITH c0(x) AS NOT MATERIALIZED (SELECT 1){body} SELECT count(*) FROM c{k - 1}"


@pytest.mark.parametrize("k", [16, 40])
def test_exponential_cte_chain_fails_fast_naming_the_limit(tmp_path, k):
    db = make_db(tmp_path)
    start = time.monotonic()
    with pytest.raises(LimitExceededError, match="the CTE c13 expands to 16,383 copies"):
        db.query(_cte_chain(k))
    with pytest.raises(LimitExceededError, match="limit is 10,000"):
        db.explain(_cte_chain(k))
    # MATERIALIZED does not help: SQLite copies the tree into each reference first.
    with pytest.raises(LimitExceededError, match="limit is 10,000"):
        db.exec(_cte_chain(k).replace("NOT MATERIALIZED", "MATERIALIZED"))
    assert time.monotonic() - start < 5  # it took 20 s to minutes before
    # A short chain is fine; a longer one meets SQLite's own 200 FROM terms, named.
    assert db.query(_cte_chain(7)).iloc[0, 0] == 1
    with pytest.raises(LimitExceededError, match="200 FROM-clause terms"):
        db.query(_cte_chain(12))
    db.close()


def _nested(n: int) -> str:
    return "SELECT * FROM " + "(SELECT * FROM " * n + "t" + ")" * n


def test_deep_nesting_is_a_typed_error_everywhere(tmp_path):
    db = make_db(tmp_path)
    for call in (db.query, db.exec, db.browse, db.explain):
        with pytest.raises(LimitExceededError, match="parser stack"):
            call(_nested(45))
    assert len(db.query(_nested(10))) == 3  # well inside the limits: runs
    deep_expr = "SELECT 1" + " + 1" * 150  # left-deep: depth 151, a shallow parse
    with pytest.raises(LimitExceededError, match="SQLITE_LIMIT_EXPR_DEPTH=100"):
        db.query(deep_expr)
    compound = " UNION ALL ".join(["SELECT 1"] * 501)
    with pytest.raises(LimitExceededError, match="SQLITE_LIMIT_COMPOUND_SELECT=500"):
        db.query(compound)
    wide = "SELECT " + ", ".join(["1"] * 2001)
    with pytest.raises(LimitExceededError, match="SQLITE_LIMIT_COLUMN=2,000"):
        db.query(wide)
    with db.connection.internal() as conn:
        for name, value in LIMITS.items():
            assert conn.getlimit(getattr(sqlite3, name)) == value, name
    db.close()


# --- splitting: SQLite's rules, one linear pass ----------------------------------


def _reference_split(sql: str) -> list[str]:
    """The old way: a piece ends at a ';' where sqlite3.complete_statement holds."""
    pieces, start = [], 0
    for i, c in enumerate(sql):
        if c == ";" and sqlite3.complete_statement(sql[start : i + 1]):
            pieces.append(sql[start : i + 1])
            start = i + 1
    pieces.append(sql[start:])
    return [p for p in pieces if _sqltokens.split(p)]


SOUP = st.lists(
    st.sampled_from(
        [
            ";",
            "'",
            '"',
            "`",
            "[",
            "]",
            "--",
            "/*",
            "*/",
            "\n",
            " ",
            "x",
            "1",
            "?",
            ":a",
            "CREATE",
            "TRIGGER",
            "TEMP",
            "BEGIN",
            "END",
            "EXPLAIN",
            "SELECT",
            "(",
            ")",
            "\ufeff",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SOUP)
def test_split_matches_complete_statement(sql):
    ours = [p.text for p in _sqltokens.split(sql)]
    ref = _reference_split(sql)
    assert len(ours) == len(ref)
    for mine, theirs in zip(ours, ref, strict=True):
        prefix = theirs[: len(theirs) - len(mine)]
        assert theirs.endswith(mine)
        assert not [t for t in _sqltokens.tokenize(prefix) if not t.blank and t.kind != "semi"]


@pytest.mark.parametrize(
    "sql",
    [
        " " * 1_000_000 + "SELECT 1",
        "SELECT '" + ";" * 999_000 + "'",
        "SELECT 1;" * 111_000,
        "/*" * 500_000,
        "/* " + "*" * 999_000,
        "'" * 999_999,
        "a " * 499_000,
        "CREATE TRIGGER x " + "a; " * 333_000,
        "-- x\n" * 200_000,
    ],
    ids=[
        "spaces",
        "semicolons-in-string",
        "statements",
        "comment-opens",
        "stars",
        "quotes",
        "words",
        "trigger-body",
        "line-comments",
    ],
)
def test_split_is_linear_on_1mb(sql):
    start = time.monotonic()
    _sqltokens.split(sql)
    assert time.monotonic() - start < 5  # quadratic took minutes to hours


def test_indented_sql_runs(tmp_path):
    db = make_db(tmp_path)
    assert db.query(" " * 40 + "SELECT 1 AS one")["one"].tolist() == [1]
    script = "\n".join(["    ", "    SELECT 1;", "        ", "    SELECT 2 AS two", "    "])
    assert db.run_script(script)[-1]["two"].tolist() == [2]
    db.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from([" ", "\n", "\t", "--", "/*", "*/", "'", '"', ";", "SELECT 1"]),
        max_size=60,
    ),
    st.integers(min_value=1, max_value=1700),
)
def test_soups_get_a_result_or_a_typed_error_in_time(tmp_path_factory, parts, repeat):
    """Whitespace, comment and quote soups up to ~100 kB through every SQL entry point."""
    sql = "".join(parts) * repeat
    db = make_db(tmp_path_factory.mktemp("soup"), query_timeout=2.0)
    calls = (
        db.query,
        db.exec,
        db.run_script,
        db.explain,
        db.browse,
        lambda text: db.create_table("soup", text),
        classify,
    )
    for call in calls:
        start = time.monotonic()
        with contextlib.suppress(CodeModeError, sqlite3.Error, ValueError):
            call(sql)
        assert time.monotonic() - start < 2.0 + 3.0
    db.close()


def test_browse_pages_a_select_sqlglot_cannot_parse(tmp_path):
    db = make_db(tmp_path)
    pager = db.browse("\ufeffSELECT id, name FROM t WHERE id < 3 -- trailing comment", page_size=1)
    assert (pager.total, pager.columns) == (2, ["id", "name"])
    assert pager.frame.values.tolist() == [[1, "a"]]
    with pytest.raises(ValueError, match="one SELECT"):
        db.browse("\ufeffUPDATE OR IGNORE t SET name = 'x'")
    db.close()


@pytest.mark.slow
def test_a_1mb_script_is_classified_and_stopped_in_time(tmp_path):
    """26,000 distinct short statements (~1 MB): sqlglot's share is capped at ~1 s, and
    the query timeout stops the script between statements."""
    db = make_db(tmp_path, query_timeout=1.0)
    script = "".join(f"INSERT INTO t (name) VALUES ('{i:05d}');" for i in range(26_000))
    start = time.monotonic()
    stmts = classify(script)
    assert len(stmts) == 26_000 and stmts[-1].engine_only and not stmts[0].engine_only
    with pytest.raises(CodeModeError, match="query_timeout=1 s"):
        db.exec(script)
    assert time.monotonic() - start < 20
    assert db.query("SELECT count(*) AS n FROM t")["n"][0] == 3
    db.close()
