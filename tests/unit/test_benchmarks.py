"""The benchmark harness runs end to end (tiny --quick sizes); never asserts a time."""

from __future__ import annotations

# -- the performance edits keep behaviour -------------------------------------


def test_query_frame_is_the_from_records_frame(db) -> None:
    """db._results.frame (one-step construction) == DataFrame.from_records, dtypes included."""
    import pandas as pd

    from codemode_kernel.db._results import frame as _frame

    db.exec(
        "CREATE TABLE m (i INTEGER, s TEXT, f REAL, n INTEGER, b BLOB, mixed, nul);"
        "INSERT INTO m VALUES (1, 'a', 0.5, NULL, x'00', 1, NULL),"
        " (2, NULL, 1.5, 7, x'01', 'two', NULL), (3, 'c', NULL, 8, NULL, 3.5, NULL)"
    )
    sql = "SELECT * FROM m ORDER BY i"
    rows = db.conn.execute(sql).fetchall()
    cols = ["i", "s", "f", "n", "b", "mixed", "nul"]
    expected = pd.DataFrame.from_records(rows, columns=cols)
    got = db.query(sql)
    pd.testing.assert_frame_equal(got, expected, check_index_type=True)
    assert isinstance(got.index, pd.RangeIndex)
    for sub in ([(1,), (2,)], [(1, 1), (2, None)]):  # one column; duplicate names
        names = ["a"] * len(sub[0])
        pd.testing.assert_frame_equal(
            _frame(sub, names), pd.DataFrame.from_records(sub, columns=names)
        )
    assert list(db.query("SELECT i FROM m WHERE i > 99").columns) == ["i"]


def test_batch_insert_fast_path_matches_the_general_path(db) -> None:
    """Plain dicts take the itemgetter path; anything else the general one, same rows."""
    import collections
    import datetime as dt

    import pytest

    from codemode_kernel.db import NewColumnsWarning

    day = dt.date(2024, 1, 2)
    recs = [{"a": i, "b": f"s{i}"} for i in range(1200)]  # 3 chunks of 500
    recs[700] = {"a": 700}  # a missing key: None
    recs[701] = collections.OrderedDict(a=701, b="od")  # not a plain dict
    recs[702] = {"b": "x", "a": 702}  # other key order
    recs[1100] = {"a": 1100, "b": day}  # converted value
    assert db.batch_insert("t", recs, progress=False) == 1200
    got = db.conn.execute("SELECT a, b FROM t ORDER BY rowid").fetchall()
    want = [(r["a"], r.get("b")) for r in recs]
    want[1100] = (1100, "2024-01-02")
    assert got == want
    with pytest.warns(NewColumnsWarning):
        db.batch_insert("t", [{"a": 1, "b": "y"}] * 600 + [{"a": 2, "b": "z", "c": 3.5}])
    assert db.conn.execute("SELECT a, b, c FROM t WHERE c IS NOT NULL").fetchall() == [
        (2, "z", 3.5)
    ]
    assert db.batch_insert("one", ({"v": i} for i in range(1001)), progress=False) == 1001
    assert db.conn.execute("SELECT sum(v), count(*) FROM one").fetchone() == (500500, 1001)
    with pytest.raises(TypeError, match="not a dict"):
        db.batch_insert("t", [{"a": 1, "b": "q"}] * 500 + [[("a", 1), ("b", 2)]])
