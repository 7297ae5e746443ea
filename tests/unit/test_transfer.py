"""Issue 14: helpers.db.export() / restore() on real SQLite files (in-process, no kernel).

Round trips are compared against plain sqlite3 + pandas reading the same
files; crafted databases check that restore keeps the SQL policy.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database
from codemode_kernel.errors import RestoreError, SQLBlockedError


def _db(root: Path, sid: str) -> Database:
    s = Settings(data_dir=root / "sessions")
    return Database(SessionStore(s.sessions_dir).open(sid), s)


def _plain(path: Path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(path) as conn:
        return pd.read_sql_query(sql, conn)


def _schema(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', (table,)
        ).fetchall()


def _fill(db: Database) -> None:
    db.exec(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL,"
        " qty INT DEFAULT 1, note BLOB, day DATE, twice REAL AS (amount * 2))"
    )
    db.exec("CREATE INDEX orders_customer ON orders(customer)")
    db.exec("CREATE UNIQUE INDEX orders_day_id ON orders(day, id) WHERE day IS NOT NULL")
    db.batch_insert(
        "orders",
        [
            {
                "id": i,
                "customer": f"c{i % 7}",
                "amount": i * 1.25,
                "qty": i % 3 or None,
                "note": bytes([i % 256, 0]),
                "day": f"2026-01-{i % 28 + 1:02d}",
            }
            for i in range(1, 501)
        ],
        progress=False,
    )
    db.exec('CREATE TABLE "odd name" ("a b" TEXT, v)')
    db.exec("INSERT INTO \"odd name\" VALUES ('x', 1), ('y', 'two'), (NULL, 2.5)")
    db.save_state("cursor", {"page": 3, "seen": [1, 2]})
    db.save_state("model", "v2")


def test_export_restore_round_trips_tables_rows_types_indexes_state(tmp_path):
    src = _db(tmp_path, "source")
    _fill(src)
    out = src.export(tmp_path / "keep.db")
    assert out.path == tmp_path / "keep.db" and out.size_bytes == out.path.stat().st_size
    # A standalone file: rollback journal, no -wal next to it.
    assert not Path(f"{out.path}-wal").exists()
    with sqlite3.connect(out.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    dst = _db(tmp_path, "other session")
    restored = dst.restore(out.path)
    assert restored.tables == {"orders": 500, "odd name": 3}
    assert sorted(restored.indexes) == ["orders_customer", "orders_day_id"]
    assert sorted(restored.state_keys) == ["cursor", "model"]
    assert restored.skipped == {}
    assert dst.tables() == src.tables() == ["odd name", "orders"]
    for t in ("orders", "odd name"):
        q = f'SELECT * FROM "{t}" ORDER BY rowid'
        pd.testing.assert_frame_equal(_plain(dst.path, q), _plain(src.path, q))
        assert _schema(dst.path, t) == _schema(src.path, t)
    # typeof() per value too: SQLite keeps the storage class of each value.
    q = 'SELECT typeof(v) AS t FROM "odd name" ORDER BY rowid'
    assert _plain(dst.path, q)["t"].tolist() == ["integer", "text", "real"]
    assert dst.get_state("cursor") == {"page": 3, "seen": [1, 2]}
    assert dst.get_state("model") == "v2"
    with sqlite3.connect(dst.path) as conn:
        idx = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"
            " ORDER BY name"
        ).fetchall()
    assert [n for n, _ in idx] == ["orders_customer", "orders_day_id"]
    assert "WHERE day IS NOT NULL" in idx[1][1]
    # The execution log stays this session's own: only its own "restore" call.
    assert dst.logs()["kind"].tolist() == ["restore"]
    assert dst.get_metrics()["rows_written"] == 503
    src.close()
    dst.close()


def test_export_while_another_connection_writes(tmp_path, db):
    db.batch_insert("t", [{"a": i} for i in range(100)], progress=False)
    other = sqlite3.connect(db.path, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (999)")  # uncommitted: not in the copy
    out = db.export(tmp_path / "snap.db")
    other.commit()
    other.close()
    assert _plain(out.path, "SELECT count(*) AS n FROM t")["n"][0] == 100


def test_export_of_chosen_tables(tmp_path, db):
    db.batch_insert("a", [{"x": 1}], progress=False)
    db.batch_insert("b", [{"y": 2}], progress=False)
    db.save_state("k", 1)
    out = db.export(tmp_path / "only_b.sqlite", tables=["B"])
    with sqlite3.connect(out.path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" not in names and "b" in names and "_codemode_state" in names


def test_export_one_table_to_parquet_reads_back_equal(tmp_path, db):
    _fill(db)
    db.exec("CREATE TABLE plain (id INTEGER, name TEXT, v REAL, n INT)")
    db.batch_insert(
        "plain",
        [
            {
                "id": i,
                "name": None if i % 5 == 0 else f"n{i}",
                "v": i / 3,
                "n": None if i % 4 else i,
            }
            for i in range(1000)
        ],
        progress=False,
    )
    out = db.export(tmp_path / "plain.parquet", tables="plain")
    got = pd.read_parquet(out.path)
    want = _plain(db.path, "SELECT * FROM plain")
    pd.testing.assert_frame_equal(got, want)
    out = db.export(tmp_path / "orders.parquet", tables="orders")
    got = pd.read_parquet(out.path)
    pd.testing.assert_frame_equal(got, _plain(db.path, "SELECT * FROM orders"))
    # A column of mixed storage classes cannot be one Parquet type.
    with pytest.raises(ValueError, match=r"table 'odd name' cannot be written as Parquet"):
        db.export(tmp_path / "odd.parquet", tables="odd name")
    assert not (tmp_path / "odd.parquet").exists()


def test_export_one_table_to_csv(tmp_path, db):
    db.batch_insert("t", [{"a": 1, "b": "x,y", "c": None}, {"a": 2, "b": "q", "c": 1.5}])
    out = db.export(tmp_path / "t.csv")  # the only table: no need to name it
    got = pd.read_csv(out.path)
    assert got.columns.tolist() == ["a", "b", "c"]
    assert got["a"].tolist() == [1, 2] and got["b"].tolist() == ["x,y", "q"]
    assert pd.isna(got["c"][0]) and got["c"][1] == 1.5


def test_export_refuses_overwrite_and_bad_requests(tmp_path, db):
    db.batch_insert("t", [{"a": 1}], progress=False)
    db.batch_insert("u", [{"a": 1}], progress=False)
    target = tmp_path / "x.db"
    target.write_text("precious")
    with pytest.raises(FileExistsError, match=r"x\.db exists; pass overwrite=True"):
        db.export(target)
    assert target.read_text() == "precious"
    assert db.export(target, overwrite=True).size_bytes > 0
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    with pytest.raises(ValueError, match=r"cannot tell the format from 'x\.xlsx'"):
        db.export(tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match=r"format must be 'sqlite', 'parquet' or 'csv'"):
        db.export(tmp_path / "x.out", format="xml")
    with pytest.raises(ValueError, match=r"parquet holds one table; name it"):
        db.export(tmp_path / "x.parquet")
    with pytest.raises(ValueError, match=r"no such table\(s\): 'nope'"):
        db.export(tmp_path / "y.db", tables=["nope"])
    with pytest.raises(IsADirectoryError, match="is a directory; name a file in it"):
        db.export(tmp_path)
    with pytest.raises(FileNotFoundError, match="no directory"):
        db.export(tmp_path / "missing" / "y.db")
    assert db.export(tmp_path / "t.data", format="csv", tables="t").size_bytes > 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_guard_still_refuses_attach_and_vacuum_into(tmp_path, db):
    db.batch_insert("t", [{"a": 1}], progress=False)
    with pytest.raises(SQLBlockedError, match="ATTACH"):
        db.exec(f"ATTACH DATABASE '{tmp_path / 'o.db'}' AS o")
    with pytest.raises(SQLBlockedError, match="VACUUM"):
        db.exec(f"VACUUM INTO '{tmp_path / 'o.db'}'")
    assert not (tmp_path / "o.db").exists()


def test_restore_refuses_a_file_that_is_not_sqlite(tmp_path, db):
    db.batch_insert("t", [{"a": 1}], progress=False)
    for name, data in (("text.db", b"hello, world" * 20), ("empty.db", b"")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(RestoreError, match=rf"{name} is not a SQLite database"):
            db.restore(tmp_path / name, replace=True)
    # A valid header on a damaged file: refused as unreadable, nothing changed.
    (tmp_path / "damaged.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(RestoreError, match=r"damaged\.db cannot be read as a SQLite database"):
        db.restore(tmp_path / "damaged.db", replace=True)
    with pytest.raises(FileNotFoundError, match="no file"):
        db.restore(tmp_path / "absent.db")
    with pytest.raises(RestoreError, match="this session's own database"):
        db.restore(db.path, replace=True)
    assert db.tables() == ["t"]


def test_restore_names_an_existing_table_and_replace_replaces(tmp_path):
    src = _db(tmp_path, "s")
    src.batch_insert("orders", [{"id": 1}, {"id": 2}], progress=False)
    src.batch_insert("fresh", [{"x": 1}], progress=False)
    src.save_state("k", "from file")
    out = src.export(tmp_path / "o.db")
    dst = _db(tmp_path, "d")
    dst.batch_insert("Orders", [{"id": 9}], progress=False)
    with pytest.raises(RestoreError, match=r"table\(s\) 'orders' exist in this session already"):
        dst.restore(out.path)
    assert dst.tables() == ["Orders"] and dst.state_keys() == []
    dst.save_state("k", "mine")
    dst.exec('DROP TABLE "Orders"')
    with pytest.raises(RestoreError, match=r"state key\(s\) 'k' hold other values here"):
        dst.restore(out.path)
    dst.batch_insert("orders", [{"id": 9}], progress=False)
    r = dst.restore(out.path, replace=True)
    assert r.tables == {"orders": 2, "fresh": 1}
    assert dst.query("SELECT id FROM orders ORDER BY id")["id"].tolist() == [1, 2]
    assert dst.get_state("k") == "from file"
    src.close()
    dst.close()


def _craft(path: Path, *statements: str) -> Path:
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()
    return path


def test_restore_copies_plain_tables_only_and_keeps_the_policy(tmp_path, db):
    db.save_state("mine", 1)
    crafted = _craft(
        tmp_path / "crafted.db",
        "CREATE TABLE data (a INTEGER, b TEXT)",
        "INSERT INTO data VALUES (1, 'x'), (2, 'y')",
        # Reserved names: a bogus log entry and a table under our prefix.
        "CREATE TABLE _codemode_log (id INTEGER PRIMARY KEY, ts REAL, kind TEXT, sql TEXT,"
        " rows INTEGER, elapsed_ms REAL, error TEXT)",
        "INSERT INTO _codemode_log VALUES (1, 0, 'forged', 'x', 0, 0, NULL)",
        "CREATE TABLE _CodeMode_evil (x)",
        "CREATE TABLE _codemode_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL)",
        "INSERT INTO _codemode_state VALUES ('good', '[1, 2]', 1), ('bad', 'not json', 1)",
        # What the SQL policy refuses: a trigger, a view, a virtual table.
        "CREATE TRIGGER wipe AFTER INSERT ON data BEGIN DELETE FROM data; END",
        "CREATE VIEW v AS SELECT * FROM data",
        "CREATE VIRTUAL TABLE docs USING fts5(body)",
        "INSERT INTO docs VALUES ('hello')",
    )
    r = db.restore(crafted)
    assert r.tables == {"data": 2}
    assert r.state_keys == ["good"]
    shadows = {f"docs_{s}" for s in ("data", "idx", "content", "docsize", "config")}
    assert set(r.skipped) == {"_CodeMode_evil", "wipe", "v", "docs", "state 'bad'", *shadows}
    assert r.skipped["docs_data"] == "shadow table (only plain tables are copied)"
    assert r.skipped["wipe"] == "triggers are not copied (the SQL policy refuses them)"
    assert r.skipped["docs"] == "virtual table (only plain tables are copied)"
    assert db.tables() == ["data"]  # no docs_* shadow tables, no _CodeMode_evil
    assert db.get_state("good") == [1, 2] and db.get_state("mine") == 1
    with sqlite3.connect(db.path) as conn:
        kinds = conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"
        ).fetchall()
        forged = conn.execute("SELECT count(*) FROM _codemode_log WHERE kind='forged'").fetchone()
    assert kinds == [] and forged == (0,)
    # The trigger was not copied: an insert keeps its row.
    db.exec("INSERT INTO data VALUES (3, 'z')")
    assert db.query("SELECT count(*) AS n FROM data")["n"][0] == 3


def test_restore_refuses_a_table_the_policy_cannot_recreate(tmp_path, db):
    # SQLite stores this CHECK as written and calls the function only on
    # insert; the guard refuses it like any statement of the user's.
    path = _craft(
        tmp_path / "evil.db",
        "CREATE TABLE fine (a)",
        "CREATE TABLE t (a CHECK (load_extension('/tmp/x.so') IS NULL))",
    )
    db.batch_insert("keep", [{"a": 1}], progress=False)
    with pytest.raises(
        RestoreError,
        match=r"table\(s\) the SQL policy cannot recreate: 't' \(function load_extension\(\)",
    ):
        db.restore(path, replace=True)
    assert db.tables() == ["keep"]
    # A damaged schema text is refused by SQLite itself before anything happens.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE TABLE fine AS SELECT * FROM t' WHERE name = 'fine'"
    )
    conn.commit()
    conn.close()
    with pytest.raises(RestoreError, match=r"cannot be read as a SQLite database \(malformed"):
        db.restore(path, replace=True)
    assert db.tables() == ["keep"]


def test_restore_skips_an_index_the_policy_refuses(tmp_path, db):
    path = _craft(
        tmp_path / "idx.db",
        "CREATE TABLE t (a TEXT)",
        "INSERT INTO t VALUES ('x')",
        "CREATE INDEX t_a ON t(a)",
        "CREATE TABLE u (a TEXT)",
    )
    db.batch_insert("other", [{"a": "1"}], progress=False)
    db.exec("CREATE INDEX t_a ON other(a)")  # same index name, another table here
    r = db.restore(path)
    assert r.tables == {"t": 1, "u": 0} and r.indexes == []
    assert r.skipped["t_a"].startswith("index not recreated: index t_a already exists")


VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.binary(max_size=20),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(VALUES, VALUES, VALUES), max_size=30),
    state=st.dictionaries(
        st.text(min_size=1, max_size=10),
        st.recursive(
            st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5),
            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
            max_leaves=5,
        ),
        max_size=4,
    ),
)
def test_round_trip_property_against_plain_sqlite(tmp_path_factory, rows, state):
    root = tmp_path_factory.mktemp("rt")
    src = _db(root, "a")
    src.exec("CREATE TABLE t (x INTEGER, y TEXT, z)")
    src.exec("CREATE TABLE empty (id INTEGER PRIMARY KEY)")
    for r in rows:
        src.exec("INSERT INTO t VALUES (?, ?, ?)", r)
    for k, v in state.items():
        src.save_state(k, v)
    out = src.export(root / "x.db")
    dst = _db(root, "b")
    dst.restore(out.path)
    q = "SELECT x, typeof(x), y, typeof(y), z, typeof(z) FROM t ORDER BY rowid"
    with sqlite3.connect(src.path) as a, sqlite3.connect(dst.path) as b:
        assert b.execute(q).fetchall() == a.execute(q).fetchall()
        assert b.execute("SELECT count(*) FROM empty").fetchone() == (0,)
    assert {k: dst.get_state(k) for k in dst.state_keys()} == json.loads(json.dumps(state))
    src.close()
    dst.close()


def test_restore_into_the_same_session_after_a_mistake(tmp_path, db):
    """Keep a copy, break the table, restore it from the copy (replace=True)."""
    db.batch_insert("orders", [{"id": i, "amount": i * 2.5} for i in range(100)], progress=False)
    db.save_state("step", 1)
    out = db.export(tmp_path / "before.db")
    db.exec("DELETE FROM orders WHERE id < 90")
    db.save_state("step", 2)
    r = db.restore(out.path, replace=True)
    assert r.tables == {"orders": 100}
    assert db.query("SELECT count(*) AS n FROM orders")["n"][0] == 100
    assert db.get_state("step") == 1
