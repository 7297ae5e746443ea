"""Issue 3: the helpers.db API on real SQLite files (in-process and through a kernel)."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database, ExecResult, NewColumnsWarning
from codemode_kernel.db._log import KEEP as LOG_KEEP
from codemode_kernel.errors import (
    QueryTimeoutError,
    QuotaExceededError,
    SQLBlockedError,
    StateError,
)


def plain(df: pd.DataFrame) -> list[list]:
    """Rows as lists, with pandas' missing values (NaN/None/NaT) as None."""
    return [[None if pd.isna(v) else v for v in row] for row in df.astype(object).values.tolist()]


def open_db(tmp_path: Path, sid: str = "s", **settings) -> Database:
    s = Settings(data_dir=tmp_path / "sessions", **settings)
    return Database(SessionStore(s.sessions_dir).open(sid), s)


# --- query ------------------------------------------------------------------


def test_query_returns_dataframe_with_attrs(db):
    db.exec("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y')")
    df = db.query("SELECT a, b FROM t WHERE a >= ? ORDER BY a", [1])
    assert df.to_dict("records") == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    meta = df.attrs["codemode"]
    assert meta["sql"] == "SELECT a, b FROM t WHERE a >= ? ORDER BY a"
    assert meta["row_count"] == 2 and meta["truncated"] is False
    assert meta["row_limit"] == 10_000 and meta["elapsed_ms"] >= 0


def test_query_empty_result_keeps_columns(db):
    db.exec("CREATE TABLE t (a INTEGER, b TEXT)")
    df = db.query("SELECT a, b FROM t")
    assert list(df.columns) == ["a", "b"] and len(df) == 0


def test_query_truncation_is_flagged(tmp_path):
    db = open_db(tmp_path, max_rows=100)
    db.exec(
        "CREATE TABLE n AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r"
        " WHERE i < 250) SELECT i FROM r"
    )
    with pytest.warns(UserWarning, match="truncated"):
        df = db.query("SELECT i FROM n ORDER BY i")
    assert len(df) == 100 and df["i"].iloc[-1] == 100
    assert df.attrs["codemode"]["truncated"] is True
    assert df.attrs["codemode"]["row_limit"] == 100
    exact = db.query("SELECT i FROM n LIMIT 100")
    assert exact.attrs["codemode"]["truncated"] is False  # exactly max_rows is not truncated
    small = db.query("SELECT i FROM n", limit=10)
    assert len(small) == 10
    with pytest.raises(ValueError, match="CODEMODE_MAX_ROWS"):
        db.query("SELECT i FROM n", limit=101)
    db.close()


@pytest.mark.parametrize(
    ("limit", "error", "match"),
    [
        (0, ValueError, "positive"),
        (-5, ValueError, "positive"),
        (1.5, TypeError, "int"),
        ("10", TypeError, "int"),
        (True, TypeError, "int"),
    ],
)
def test_query_bad_limit(db, limit, error, match):
    with pytest.raises(error, match=match):
        db.query("SELECT 1", limit=limit)


def test_query_refuses_writes_and_scripts(db):
    db.exec("CREATE TABLE t (a)")
    with pytest.raises(ValueError, match=r"Use helpers.db.exec\(\)"):
        db.query("INSERT INTO t VALUES (1)")
    with pytest.raises(ValueError, match="this SQL has 2"):
        db.query("SELECT 1; SELECT 2")
    assert db.query("SELECT count(*) AS n FROM t")["n"][0] == 0


def test_query_returning_writes(db):
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a)")
    df = db.query("INSERT INTO t (a) VALUES (?), (?) RETURNING id, a", ["p", "q"])
    assert df.to_dict("records") == [{"id": 1, "a": "p"}, {"id": 2, "a": "q"}]
    assert db.query("SELECT count(*) AS n FROM t")["n"][0] == 2


# --- params -----------------------------------------------------------------


def test_named_and_positional_params(db):
    db.exec("CREATE TABLE t (a, b)")
    db.exec("INSERT INTO t VALUES (:a, :b)", {"a": 1, "b": "two"})
    db.exec("INSERT INTO t VALUES (?, ?)", (3, None))
    df = db.query("SELECT * FROM t WHERE a IN (?, ?) ORDER BY a", [1, 3])
    assert plain(df) == [[1, "two"], [3, None]]


def test_params_are_bound_not_interpolated(db):
    db.exec("CREATE TABLE t (a TEXT)")
    evil = "x'); DROP TABLE t; --"
    db.exec("INSERT INTO t VALUES (?)", [evil])
    assert db.query("SELECT a FROM t")["a"].tolist() == [evil]


@pytest.mark.parametrize(
    ("sql", "params", "error", "match"),
    [
        ("SELECT ?, ?", [1], ValueError, "2 \\? placeholder\\(s\\) but 1 value"),
        ("SELECT ?", [1, 2], ValueError, "1 \\? placeholder\\(s\\) but 2 value"),
        ("SELECT ?", {"a": 1}, TypeError, "take a sequence"),
        ("SELECT :a", [1], TypeError, "take a dict"),
        ("SELECT :a, :b", {"a": 1}, ValueError, "missing value for parameter :b"),
        ("SELECT ?", None, ValueError, "no params were given"),
        ("SELECT ?", [object()], TypeError, "parameter 1: unsupported type object"),
        ("SELECT ?", [{1, 2}], TypeError, "parameter 1: unsupported type set"),
        ("SELECT :x", {"x": float("nan")}, ValueError, "parameter :x is nan"),
        ("SELECT ?", [float("inf")], ValueError, "infinite"),
        ("SELECT ?", [2**64], ValueError, "64-bit"),
        ("SELECT ?", "ab", TypeError, "sequence"),
    ],
)
def test_param_errors_name_the_parameter(db, sql, params, error, match):
    with pytest.raises(error, match=match):
        db.query(sql, params)


def test_param_conversions(db):
    when = dt.datetime(2024, 5, 6, 7, 8, 9)
    df = db.query(
        "SELECT ? AS d, ? AS n, ? AS j, ? AS b", [when, np.int64(5), {"k": [1]}, np.bool_(True)]
    )
    assert df.to_dict("records") == [
        {"d": "2024-05-06T07:08:09", "n": 5, "j": '{"k": [1]}', "b": 1}
    ]


# --- exec -------------------------------------------------------------------


def test_exec_result_fields(db):
    r = db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a)")
    assert isinstance(r, ExecResult) and r.statements == 1 and r.rows_affected == 0
    r = db.exec("INSERT INTO t (a) VALUES (1), (2), (3)")
    assert r.rows_affected == 3 and r.last_row_id == 3
    r = db.exec("UPDATE t SET a = a + 1 WHERE id > 1; DELETE FROM t WHERE id = 1")
    assert r.rows_affected == 3 and r.statements == 2


def test_exec_script_is_all_or_nothing(db):
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with pytest.raises(sqlite3.IntegrityError):
        db.exec("INSERT INTO t VALUES (1); CREATE TABLE u (a); INSERT INTO t VALUES (1)")
    assert db.tables() == ["t"]
    assert db.query("SELECT count(*) AS n FROM t")["n"][0] == 0


def test_exec_params_with_script_refused(db):
    with pytest.raises(ValueError, match="params cannot be used with a script of 2"):
        db.exec("SELECT ?; SELECT ?", [1])


@pytest.mark.parametrize(
    ("sql", "error", "match"),
    [
        (None, TypeError, "must be a str, got NoneType"),
        (b"SELECT 1", TypeError, "decode"),
        ("", ValueError, "empty"),
        ("   -- only a comment\n /* and this */ ;", ValueError, "empty"),
        ("SELECT 1\x00; DROP TABLE t", ValueError, "NUL byte at position 8"),
    ],
)
def test_bad_sql_values(db, sql, error, match):
    with pytest.raises(error, match=match):
        db.exec(sql)


def test_sqlite_errors_stay_sqlite(db):
    with pytest.raises(sqlite3.OperationalError, match="no such table: nope"):
        db.query("SELECT * FROM nope")


# --- batch_insert -----------------------------------------------------------


def test_batch_insert_infers_types(db):
    records = [
        {
            "i": 1,
            "f": 1.5,
            "s": "a",
            "b": b"\x00",
            "d": dt.date(2024, 1, 2),
            "ts": dt.datetime(2024, 1, 2, 3, 4),
            "j": {"x": [1]},
            "flag": True,
            "none": None,
        },
        {
            "i": np.int64(2),
            "f": np.float64("nan"),
            "s": None,
            "b": None,
            "d": None,
            "ts": pd.NaT,
            "j": [1, 2],
            "flag": np.bool_(False),
            "none": None,
        },
    ]
    assert db.batch_insert("typed", records) == 2
    types = dict(db.schema("typed")[["column", "type"]].values)
    assert types == {
        "i": "INTEGER",
        "f": "REAL",
        "s": "TEXT",
        "b": "BLOB",
        "d": "TEXT",
        "ts": "TEXT",
        "j": "TEXT",
        "flag": "INTEGER",
        "none": "",
    }
    rows = db.query("SELECT * FROM typed ORDER BY i")
    first, second = rows.to_dict("records")
    assert first["d"] == "2024-01-02" and first["ts"] == "2024-01-02T03:04:00"
    assert json.loads(first["j"]) == {"x": [1]} and first["flag"] == 1
    assert second["i"] == 2 and math.isnan(second["f"])  # NULL comes back as NaN in float col
    assert db.query("SELECT count(*) AS n FROM typed WHERE f IS NULL AND ts IS NULL")["n"][0] == 1


def test_batch_insert_mixed_numbers_are_real(db):
    db.batch_insert("m", [{"x": 1}, {"x": 2.5}])
    assert db.schema("m")["type"].tolist() == ["REAL"]


def test_batch_insert_adds_columns_never_drops(db):
    db.batch_insert("t", [{"a": 1}])
    with pytest.warns(NewColumnsWarning, match="added column\\(s\\) to 't': b, c"):
        n = db.batch_insert("t", [{"a": 2, "b": "x"}, {"c": 3.0}])
    assert n == 2
    assert db.schema("t")["column"].tolist() == ["a", "b", "c"]
    assert db.batch_insert("t", [{"b": "only b"}]) == 1  # missing keys are NULL
    df = db.query("SELECT * FROM t ORDER BY rowid")
    assert plain(df) == [[1, None, None], [2, "x", None], [None, None, 3.0], [None, "only b", None]]


def test_batch_insert_new_keys_in_a_later_chunk(db):
    records = [{"a": i} for i in range(1200)] + [{"a": 1200, "late": "yes"}]
    with pytest.warns(NewColumnsWarning, match="late"):
        assert db.batch_insert("t", iter(records), chunk_size=500) == 1201
    assert db.query("SELECT late FROM t WHERE late IS NOT NULL")["late"].tolist() == ["yes"]


def test_batch_insert_keeps_column_defaults(db):
    db.create_table("d", "id INTEGER PRIMARY KEY, a TEXT, status TEXT DEFAULT 'new'")
    db.batch_insert("d", [{"a": "x"}])
    assert db.query("SELECT id, a, status FROM d").to_dict("records") == [
        {"id": 1, "a": "x", "status": "new"}
    ]


def test_batch_insert_dataframe(db):
    frame = pd.DataFrame(
        {
            "n": [1, 2, 3],
            "x": [0.5, None, 2.0],
            "s": ["a", None, "c"],
            "when": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
        }
    )
    assert db.batch_insert("f", frame, chunk_size=2) == 3
    out = db.query("SELECT * FROM f ORDER BY n")
    assert out["n"].tolist() == [1, 2, 3]
    assert [r[2] for r in plain(out)] == ["a", None, "c"]
    assert out["when"].tolist()[0].startswith("2024-01-01")
    assert db.query('SELECT count(*) AS k FROM f WHERE x IS NULL AND "when" IS NULL')["k"][0] == 1


def test_batch_insert_failure_leaves_table_as_it_was(db):
    db.create_table("u", "id INTEGER PRIMARY KEY, v TEXT")
    db.batch_insert("u", [{"id": 1, "v": "keep"}])

    def records():
        for i in range(2, 5000):
            yield {"id": i, "v": "new"}
        yield {"id": 1, "v": "duplicate"}  # fails at the very end

    with pytest.raises(sqlite3.IntegrityError):
        db.batch_insert("u", records())
    assert db.query("SELECT * FROM u").to_dict("records") == [{"id": 1, "v": "keep"}]


def test_batch_insert_failure_does_not_create_table(db):
    with pytest.raises(TypeError, match="unsupported type object"):
        db.batch_insert("never", [{"a": 1}, {"a": object()}])
    assert "never" not in db.tables()


@pytest.mark.parametrize(
    ("table", "records", "kw", "error", "match"),
    [
        ("", [{"a": 1}], {}, ValueError, "must not be empty"),
        ('t"x', [{"a": 1}], {}, ValueError, "contains"),
        ("t;DROP", [{"a": 1}], {}, ValueError, "';'"),
        ("t\nx", [{"a": 1}], {}, ValueError, "contains"),
        (5, [{"a": 1}], {}, TypeError, "table name must be a str"),
        ("t", [1, 2], {}, TypeError, "not a dict"),
        ("t", [{1: "a"}], {}, TypeError, "keys must be str"),
        ("t", [], {}, ValueError, "no records to insert"),
        ("t", {"a": 1}, {}, TypeError, "list or iterator of dicts"),
        ("t", [{"a": 1}], {"chunk_size": 0}, ValueError, "chunk_size"),
        ("t", [{'bad"col': 1}], {}, ValueError, "column name"),
        (
            "t",
            pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")])),
            {},
            ValueError,
            "MultiIndex",
        ),
        ("t", pd.DataFrame([[1, 2]], columns=["a", "a"]), {}, ValueError, "duplicate column"),
        ("t", [{"a": 1}], {"create": False}, sqlite3.OperationalError, "no such table: t"),
    ],
)
def test_batch_insert_bad_input(db, table, records, kw, error, match):
    with pytest.raises(error, match=match):
        db.batch_insert(table, records, **kw)
    assert db.tables() == []


def test_batch_insert_streams_in_constant_memory(tmp_path):
    def peak(n: int) -> int:
        db = open_db(tmp_path, f"mem{n}")
        tracemalloc.start()
        db.batch_insert(
            "m", ({"i": i, "s": f"row {i}", "x": i * 0.5} for i in range(n)), progress=False
        )
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert db.query("SELECT count(*) AS n FROM m")["n"][0] == n
        db.close()
        return top

    small, large = peak(20_000), peak(200_000)
    # 10x the rows must not need (anywhere near) 10x the memory.
    assert large < small * 2 + 512 * 1024, (small, large)


# --- create_table -------------------------------------------------------------


def test_create_table_string_and_dict(db):
    db.create_table("a", "id INTEGER PRIMARY KEY, name TEXT")
    db.create_table("b", {"id": "INTEGER PRIMARY KEY", "name": "TEXT NOT NULL"})
    db.create_table("a", "id INTEGER PRIMARY KEY, name TEXT")  # if_not_exists
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        db.create_table("a", "x", if_not_exists=False)
    assert db.schema("b")[["column", "type", "notnull"]].values.tolist() == [
        ["id", "INTEGER", False],
        ["name", "TEXT", True],
    ]


@pytest.mark.parametrize(
    "schema",
    [
        "a TEXT); DROP TABLE a; --",
        "a TEXT); CREATE VIEW v AS SELECT 1; --",
        {"a": "TEXT); DROP TABLE a; --"},
        {"a": "TEXT DEFAULT (load_extension('x'))"},
    ],
)
def test_create_table_refuses_smuggling(db, schema):
    db.create_table("a", "x")
    with pytest.raises((SQLBlockedError, ValueError)):
        db.create_table("smuggle", schema)
    assert db.tables() == ["a"]


# --- state ------------------------------------------------------------------


def test_state_roundtrip_and_errors(db):
    db.save_state("summary", {"n": 3, "names": ["a", "b"], "ok": True, "x": None})
    assert db.get_state("summary") == {"n": 3, "names": ["a", "b"], "ok": True, "x": None}
    assert db.get_state("missing") is None
    assert db.get_state("missing", 42) == 42
    db.save_state("summary", 7)
    assert db.get_state("summary") == 7
    assert db.state_keys() == ["summary"]
    assert db.delete_state("summary") is True and db.delete_state("summary") is False
    with pytest.raises(StateError, match="type set is not JSON serializable"):
        db.save_state("k", {1, 2})
    circular: list = []
    circular.append(circular)
    with pytest.raises(StateError, match="Circular reference"):
        db.save_state("k", circular)
    with pytest.raises(StateError, match="keys must be str, got int"):
        db.save_state(1, "x")
    with pytest.raises(StateError, match="keys must be str"):
        db.get_state(None)
    assert db.state_keys() == []


def test_state_survives_reopen(tmp_path):
    db = open_db(tmp_path, "persist")
    db.saveState("k", [1, 2])  # camelCase alias
    db.close()
    db2 = open_db(tmp_path, "persist")
    assert db2.getState("k") == [1, 2]
    db2.close()


# --- log, metrics, introspection ----------------------------------------------


def test_logs_record_every_call(db):
    db.exec("CREATE TABLE t (a)")
    db.query("SELECT * FROM t")
    with pytest.raises(SQLBlockedError):
        db.exec("PRAGMA user_version = 1")
    with pytest.raises(sqlite3.OperationalError):
        db.query("SELECT * FROM missing")
    log = db.logs(10)
    assert log["kind"].tolist() == ["query", "exec", "query", "exec"]
    assert log["sql"].tolist()[:2] == ["SELECT * FROM missing", "PRAGMA user_version = 1"]
    assert log["error"].iloc[0].startswith("OperationalError: no such table")
    assert log["error"].iloc[1].startswith("SQLBlockedError: PRAGMA is not allowed")
    assert pd.isna(log["error"].iloc[2])
    assert list(log.columns) == ["time", "kind", "sql", "rows", "elapsed_ms", "error"]


def test_log_is_bounded(db):
    db.exec("CREATE TABLE t (a)")
    for _ in range(LOG_KEEP + 150):
        db.query("SELECT 1")
    db.logs(1)
    with db.connection.internal() as conn:
        n = conn.execute("SELECT count(*) FROM _codemode_log" + db.connection.tag).fetchone()[0]
    assert n == LOG_KEEP


def test_metrics(db):
    db.batch_insert("t", [{"a": i} for i in range(5)])
    db.query("SELECT * FROM t")
    db.exec("UPDATE t SET a = 0 WHERE a < 2")
    with pytest.raises(SQLBlockedError):
        db.exec("VACUUM")
    m = db.getMetrics()
    assert m["session_id"] == "unit-test" and m["path"] == str(db.path)
    assert m["tables"] == {"t": 5}
    assert m["rows_read"] == 5 and m["rows_written"] == 7 and m["errors"] == 1
    assert m["queries"] == 1 and m["size_bytes"] > 0
    assert {"created", "last_activity", "expires", "time_ms", "statements", "limits"} <= set(m)


def test_tables_and_schema_hide_bookkeeping(db):
    db.create_table("z", "a INTEGER")
    db.create_table("b", "x TEXT")
    assert db.tables() == ["b", "z"]
    s = db.schema()
    assert sorted(set(s["table"])) == ["b", "z"]
    with pytest.raises(sqlite3.OperationalError, match="no such table: nope"):
        db.schema("nope")


def test_explain_notes_full_scan(db):
    db.batch_insert("people", [{"id": i, "city": f"c{i % 7}"} for i in range(100)])
    plan = db.explain("SELECT * FROM people WHERE city = ?", ["c1"])
    assert plan["detail"].iloc[0] == "SCAN people"
    assert "could let SQLite seek" in plan["note"].iloc[0] and "city" in plan["note"].iloc[0]
    db.exec("CREATE INDEX people_city ON people(city)")
    plan = db.explain("SELECT * FROM people WHERE city = ?", ["c1"])
    assert "USING INDEX people_city" in plan["detail"].iloc[0] and plan["note"].iloc[0] == ""
    with pytest.raises(SQLBlockedError):
        db.explain("PRAGMA user_version")


def test_two_connections_share_a_session(tmp_path):
    a, b = open_db(tmp_path, "shared"), open_db(tmp_path, "shared")
    a.create_table("t", "a INTEGER")
    b.batch_insert("t", [{"a": 1}])
    a.exec("INSERT INTO t VALUES (2)")
    assert b.query("SELECT sum(a) AS s FROM t")["s"][0] == 3
    a.close()
    b.close()


def test_database_opens_lazily(tmp_path):
    db = open_db(tmp_path, "lazy")
    assert not db.is_open and not Path(db.path).exists()
    db.tables()
    assert db.is_open and Path(db.path).exists()
    db.close()


def test_set_limits_applies_at_once(tmp_path):
    db = open_db(tmp_path, "limits")
    db.exec("CREATE TABLE blobs (b BLOB)")
    assert db.set_limits(max_rows=5, query_timeout=1, max_db_mb=1) == {
        "max_rows": 5,
        "query_timeout": 1.0,
        "max_db_mb": 1.0,
    }
    assert db.query("SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3").shape == (3, 1)
    with pytest.warns(UserWarning, match="truncated"):
        assert (
            len(
                db.query(
                    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r"
                    " WHERE n < 9) SELECT n FROM r"
                )
            )
            == 5
        )
    with pytest.raises(QueryTimeoutError, match="query_timeout=1 s"):
        db.query(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT max(n) FROM r"
        )
    with pytest.raises(QuotaExceededError):
        db.exec("INSERT INTO blobs SELECT randomblob(4000000)")
    with pytest.raises(ValueError, match="max_rows=0 is invalid"):
        db.set_limits(max_rows=0)
    db.close()


def test_batch_insert_timeout_is_per_chunk(tmp_path):
    """A stream that takes longer than query_timeout in total still completes."""
    import time as _time

    db = open_db(tmp_path, "slow-stream", query_timeout=0.5)

    def slow():
        for i in range(8000):
            if i % 2000 == 0:
                _time.sleep(0.3)  # the producer is slow, not the SQL
            yield {"i": i, "s": "x" * 20}

    assert db.batch_insert("s", slow(), chunk_size=2000) == 8000
    db.close()


# --- found in review: nesting, the log under failure, reopen, interrupts --------------


def test_write_inside_batch_generator_joins_the_batch(db):
    def records():
        for i in range(10):
            if i == 5:
                db.save_state("progress", i)  # a nested call, inside the batch
            yield {"i": i}

    assert db.batch_insert("nest", records(), chunk_size=2) == 10
    assert db.query("SELECT count(*) AS n FROM nest")["n"][0] == 10
    assert db.get_state("progress") == 5

    def failing():
        yield {"i": 100}
        db.save_state("during", 1)
        yield {"i": 101}
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        db.batch_insert("nest", failing(), chunk_size=1)
    # All or nothing: neither the rows nor the nested write survive.
    assert db.query("SELECT count(*) AS n FROM nest")["n"][0] == 10
    assert db.get_state("during") is None


def test_log_entries_survive_a_failed_write(db):
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    db.query("SELECT 1 AS a")
    db.query("SELECT 2 AS b")
    with pytest.raises(sqlite3.IntegrityError):
        db.exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)")
    assert db.logs(4)["sql"].tolist() == [
        "INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)",
        "SELECT 2 AS b",
        "SELECT 1 AS a",
        "CREATE TABLE t (id INTEGER PRIMARY KEY)",
    ]


def test_quota_full_database_can_still_be_cleaned(tmp_path):
    db = open_db(tmp_path, "full", max_db_mb=1)
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
    with pytest.raises(QuotaExceededError):
        for _ in range(1000):
            db.exec("INSERT INTO t (b) VALUES (randomblob(20000))")
    for _ in range(300):  # buffered log entries waiting for the next write
        db.query("SELECT count(*) FROM t")
    assert db.exec("DELETE FROM t WHERE id < 10").rows_affected == 9
    db.exec("DROP TABLE t")
    assert db.tables() == []
    db.close()


def test_schema_is_the_first_call_after_reopen(tmp_path):
    db = open_db(tmp_path, "reopen")
    db.create_table("people", "id INTEGER PRIMARY KEY, name TEXT")
    db.close()
    assert db.schema("people")["column"].tolist() == ["id", "name"]
    db.close()


def test_counters_are_not_doubled_by_a_reopen(tmp_path):
    db = open_db(tmp_path, "counters")
    db.query("SELECT 1")
    db.close()
    db.query("SELECT 2")
    assert db.get_metrics()["queries"] == 2
    db.close()


def test_returning_counts_every_change_even_when_cut(db):
    db.batch_insert("r", [{"id": i, "v": 0} for i in range(10)])
    before = db.get_metrics()["rows_written"]
    df = db.query("UPDATE r SET v = v + 1 RETURNING id", limit=3)
    assert len(df) == 3 and df.attrs["codemode"]["truncated"] is True
    assert db.get_metrics()["rows_written"] - before == 10
    assert db.query("SELECT sum(v) AS s FROM r")["s"][0] == 10
    assert db.exec("UPDATE r SET v = 0 RETURNING id").rows_affected == 10


def test_exec_select_does_not_fetch_and_counts_nothing(db):
    db.batch_insert("s", [{"i": i} for i in range(5)])
    r = db.exec("SELECT * FROM s")
    assert r.rows_affected == 0 and r.statements == 1


def test_stale_interrupt_error_does_not_leak_into_a_later_call(db):
    from codemode_kernel.errors import CellTimeoutError

    db.query("SELECT 1")
    db.interrupt(CellTimeoutError("old cell"))  # nothing was running
    assert db.query("SELECT 2 AS x")["x"][0] == 2  # the next call resets it
    import threading

    timer = threading.Timer(0.3, db.conn.interrupt)
    timer.start()
    with pytest.raises(KeyboardInterrupt) as info:
        db.query(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r) SELECT max(n) FROM r"
        )
    assert not isinstance(info.value, CellTimeoutError)


def test_numpy_datetimes_and_timedeltas(db):
    import datetime as _dt

    db.batch_insert(
        "moments",
        [
            {
                "t": np.datetime64("2024-01-02T03:04:05", "ns"),
                "d": np.timedelta64(90, "s"),
                "p": _dt.timedelta(minutes=2),
            },
            {"t": np.datetime64("NaT"), "d": None, "p": None},
        ],
    )
    rows = db.query("SELECT t, d, p FROM moments ORDER BY rowid")
    assert rows["t"].iloc[0] == "2024-01-02T03:04:05" and pd.isna(rows["t"].iloc[1])
    assert rows["d"].iloc[0] == 90.0 and rows["p"].iloc[0] == 120.0
    assert db.query("SELECT ? AS x", [np.datetime64("2024-05-06", "ns")])["x"][0] == (
        "2024-05-06T00:00:00"
    )
