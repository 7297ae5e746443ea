"""Issue 3: the two-layer guard, attacked like a penetration tester would.

Every attack asserts the typed error *and* the absence of its effect: the
schema, the row counts, the settings (user_version, journal mode) and the
files in the session directory and in a scratch directory are compared
before and after.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from codemode_kernel._guard import EngineOnly, classify
from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database
from codemode_kernel.errors import (
    LimitExceededError,
    QueryTimeoutError,
    QuotaExceededError,
    SQLBlockedError,
    SQLSyntaxError,
)

SCRATCH = "/tmp/codemode-guard-scratch"


def make_db(tmp_path: Path, *, parser: bool = True, **settings) -> Database:
    s = Settings(data_dir=tmp_path / "sessions", **settings)
    db = Database(SessionStore(s.sessions_dir).open(f"guard-{parser}"), s)
    if not parser:
        db.guard = EngineOnly()
    db.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, v REAL);"
        "INSERT INTO t (name, v) VALUES ('a', 1.5), ('b', 2.5), ('c', NULL);"
        "CREATE INDEX t_name ON t(name);"
    )
    db.save_state("k", {"x": 1})
    return db


def snapshot(db: Database) -> dict:
    """Everything an attack could change."""
    with db.connection.internal() as conn:
        tag = db.connection.tag
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name" + tag)
        schema = schema.fetchall()
        counts = {
            name: conn.execute(f'SELECT count(*) FROM "{name}"' + tag).fetchone()[0]
            for (typ, name, _) in schema
            if typ == "table" and name != "_codemode_log"
        }
        settings = {
            p: conn.execute(f"PRAGMA {p}" + tag).fetchone()[0]
            for p in (
                "user_version",
                "journal_mode",
                "application_id",
                "max_page_count",
                "foreign_keys",
                "writable_schema",
                "trusted_schema",
            )
        }
        state = conn.execute("SELECT key, value FROM _codemode_state" + tag).fetchall()
    files = sorted(os.listdir(Path(db.path).parent))
    scratch = sorted(os.listdir(SCRATCH)) if os.path.isdir(SCRATCH) else []
    return {
        "schema": schema,
        "counts": counts,
        "settings": settings,
        "state": state,
        "files": files,
        "scratch": scratch,
    }


# The corpus lives in tests/data/guard/*.json: (sql, expected error) per case.
GUARD_DATA = Path(__file__).resolve().parents[1] / "data" / "guard"
ERRORS = {"SQLBlockedError": SQLBlockedError, "SQLSyntaxError": SQLSyntaxError}


def corpus(name: str) -> list[dict]:
    cases = json.loads((GUARD_DATA / name).read_text("utf-8"))["cases"]
    for case in cases:
        case["sql"] = case["sql"].replace("{scratch}", SCRATCH)
    return cases


#: At least 50 attacks across the categories of issue 3.
ATTACKS: list[tuple[str, type]] = [(c["sql"], ERRORS[c["error"]]) for c in corpus("attacks.json")]


@pytest.fixture
def guarded(tmp_path):
    os.makedirs(SCRATCH, exist_ok=True)
    db = make_db(tmp_path)
    yield db
    db.close()


def test_attack_count():
    assert len(ATTACKS) >= 50


@pytest.mark.parametrize(("sql", "error"), ATTACKS, ids=[a[0][:40] for a in ATTACKS])
def test_attack_refused_without_effect(guarded, sql, error):
    before = snapshot(guarded)
    with pytest.raises(error) as info:
        guarded.exec(sql)
    assert str(info.value)  # a message that says what went wrong
    assert snapshot(guarded) == before
    # and through query() too (for row-returning attacks the same guard applies)
    with pytest.raises((error, ValueError)):
        guarded.query(sql)
    assert snapshot(guarded) == before


def test_blocked_message_names_kind_position_and_alternative(guarded):
    with pytest.raises(SQLBlockedError) as info:
        guarded.exec("SELECT 1;\nPRAGMA table_info(t)")
    msg = str(info.value)
    assert "PRAGMA is not allowed" in msg and "statement 2, line 2, column 1" in msg
    assert "helpers.db.schema()" in msg
    with pytest.raises(SQLBlockedError, match="already one atomic transaction"):
        guarded.exec("BEGIN")


def test_syntax_error_has_caret(guarded):
    with pytest.raises(SQLSyntaxError) as info:
        guarded.query("SELECT *\nFROM t\nWHERE v = (SELECT")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("SQL syntax error in statement 1 at line 3")
    assert lines[-2].strip() == "WHERE v = (SELECT" and lines[-1].strip() == "^"


def test_stacked_script_is_atomic(guarded):
    before = snapshot(guarded)
    with pytest.raises(sqlite3.IntegrityError):
        guarded.exec(
            "INSERT INTO t (name) VALUES ('new1');"
            "INSERT INTO t (name) VALUES ('new2');"
            "INSERT INTO t (id, name) VALUES (1, 'duplicate primary key');"
        )
    assert snapshot(guarded) == before


def test_resource_exhaustion(tmp_path):
    db = make_db(tmp_path, query_timeout=1.0)
    before = snapshot(db)
    with pytest.raises(QueryTimeoutError, match="query_timeout=1 s"):
        db.query(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
        )
    with pytest.raises(QueryTimeoutError):
        db.exec(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)"
            " INSERT INTO t (name) SELECT n FROM r"
        )
    with pytest.raises(
        LimitExceededError,
        match=r"SQLITE_LIMIT_LENGTH=1,048,576 \(SQLite: string or blob too big\)",
    ):
        db.query("SELECT randomblob(1000000000)")
    with pytest.raises(
        LimitExceededError,
        match=r"SQLITE_LIMIT_LENGTH=1,048,576 \(SQLite: string or blob too big\)",
    ):
        db.query("SELECT zeroblob(2000000000)")
    with pytest.raises(
        LimitExceededError,
        match=r"SQLITE_LIMIT_LENGTH=1,048,576 \(SQLite: string or blob too big\)",
    ):
        db.query("SELECT length(replace(hex(zeroblob(8000000)), '0', 'xx'))")
    with pytest.raises(sqlite3.OperationalError, match="pattern too complex"):
        db.query("SELECT 'a' LIKE ?", ["%a" * 2000])
    deep = "SELECT " + "(" * 1000 + "1" + ")" * 1000
    with pytest.raises(LimitExceededError, match="parser stack"):
        db.query(deep)
    with pytest.raises(ValueError, match="the limit is 1,000,000"):
        db.query("SELECT '" + "x" * 1_000_001 + "'")
    assert snapshot(db) == before
    assert db.query("SELECT count(*) AS n FROM t")["n"].tolist() == [3]
    db.close()


def test_quota_exceeded_keeps_database_usable(tmp_path):
    db = make_db(tmp_path, max_db_mb=1)
    db.exec("CREATE TABLE blobs (b BLOB)")
    with pytest.raises(QuotaExceededError, match="quota of 1 MB"):
        for _ in range(100):
            db.exec("INSERT INTO blobs SELECT randomblob(50000) FROM (VALUES (1),(2),(3),(4))")
    kept = db.query("SELECT count(*) AS n FROM blobs")["n"][0]
    assert 0 < kept < 400
    # A failed call changes nothing, and the database stays usable.
    assert db.exec("DELETE FROM blobs").rows_affected == kept
    db.exec("INSERT INTO blobs VALUES (x'00')")
    assert db.query("SELECT count(*) AS n FROM blobs")["n"][0] == 1
    db.close()


# --- legitimate analytics: a guard that blocks these is broken too ------------

LEGIT: list[str] = [c["sql"] for c in corpus("legit.json")]


@pytest.fixture
def legit_db(tmp_path):
    db = make_db(tmp_path)
    yield db
    db.close()


def test_legit_count():
    assert len(LEGIT) >= 30


@pytest.mark.parametrize("sql", LEGIT, ids=[s[:40] for s in LEGIT])
def test_legit_statement_passes(legit_db, sql):
    result = legit_db.exec(sql)
    assert result.statements == len(classify(sql))


def test_legit_returning_via_query(legit_db):
    df = legit_db.query("INSERT INTO t (name, v) VALUES ('q', 7) RETURNING id, name")
    assert df.to_dict("records") == [{"id": 4, "name": "q"}]
    assert legit_db.query("SELECT count(*) AS n FROM t")["n"][0] == 4


def test_spider_corpus_all_allowed(tmp_path, spider):
    """Every one of the 1,034 Spider dev queries runs through helpers.db.query."""
    store_settings = Settings(data_dir=tmp_path / "spider")
    store = SessionStore(store_settings.sessions_dir)
    dbs: dict[str, Database] = {}
    refused: list[tuple[str, str]] = []
    ran = 0
    for item in spider["queries"]:
        name = item["db"]
        if name not in dbs:
            dbs[name] = Database(store.open(name), store_settings)
            dbs[name].exec(";\n".join(spider["schemas"][name]))
        try:
            dbs[name].query(item["sql"])
            ran += 1
        except Exception as exc:
            refused.append((item["sql"], f"{type(exc).__name__}: {exc}"))
    for db in dbs.values():
        db.close()
    print(f"spider: {ran}/{len(spider['queries'])} queries allowed, {len(refused)} refused")
    assert refused == []
    assert ran == len(spider["queries"]) == 1034


# --- the engine layer on its own (parser layer switched off) ------------------

ENGINE_ATTACKS = [c["sql"] for c in corpus("engine-attacks.json")]


@pytest.fixture
def engine_only(tmp_path):
    os.makedirs(SCRATCH, exist_ok=True)
    db = make_db(tmp_path, parser=False)
    yield db
    db.close()


@pytest.mark.parametrize("sql", ENGINE_ATTACKS, ids=[s[:40] for s in ENGINE_ATTACKS])
def test_engine_layer_blocks_alone(engine_only, sql):
    before = snapshot(engine_only)
    with pytest.raises((SQLBlockedError, sqlite3.DatabaseError)) as info:
        engine_only.exec(sql)
    # VACUUM is also refused by SQLite inside the call's own transaction: a
    # third line of defence, which fires before the authorizer sees it.
    vacuum_in_txn = "cannot VACUUM from within a transaction" in str(info.value)
    assert isinstance(info.value, SQLBlockedError) or vacuum_in_txn, (
        f"{type(info.value).__name__}: {info.value}"
    )
    assert snapshot(engine_only) == before


def test_engine_layer_allows_legit(tmp_path):
    """With the parser off, the authorizer alone still lets real analytics through."""
    for i, sql in enumerate(LEGIT):
        db = make_db(tmp_path / str(i), parser=False)
        db.exec(sql)
        db.close()


def test_parser_layer_catches_engine_blind_spots(tmp_path):
    """EXPLAIN has no authorizer action code and DEFAULT is never shown to the
    authorizer: only the parser layer stops these, so check it does."""
    for sql in ("EXPLAIN SELECT 1", "CREATE TABLE d (a DEFAULT (load_extension('x')))"):
        with pytest.raises(SQLBlockedError):
            classify(sql)


def test_internal_statements_do_not_leak_relaxed_policy(tmp_path):
    """The kernel's own statements are tagged, so a user statement with the
    same text cannot reuse their pre-authorised cached plan."""
    db = make_db(tmp_path, parser=False)
    db.logs()  # runs internal INSERT/DELETE on _codemode_log
    with pytest.raises(SQLBlockedError):
        db.exec("DELETE FROM _codemode_log WHERE id <= (SELECT max(id) FROM _codemode_log) - 1")
    db.close()


# --- the parser layer on its own (no SQLite involved) -------------------------

PARSER_ATTACKS = [sql for sql, error in ATTACKS if error is SQLBlockedError]


@pytest.mark.parametrize("sql", PARSER_ATTACKS, ids=[s[:40] for s in PARSER_ATTACKS])
def test_parser_layer_blocks_alone(sql):
    """classify() alone (leading keywords + sqlglot) refuses every attack it can parse;
    syntax is SQLite's to judge, so the two syntax cases are left to it."""
    with pytest.raises(SQLBlockedError):
        classify(sql)
