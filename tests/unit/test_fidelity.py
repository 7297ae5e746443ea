"""Issue 15: what goes in comes out the same: each fault of the issue, in-process.

Names compare as SQLite compares them, integers with NULLs stay exact, one
datetime text format, a DataFrame's index, every failed call logged, NULL
shown as NULL (tests/kernel/test_fidelity_kernel.py runs the issue's inputs
through a real kernel; tests/unit/test_fidelity_roundtrip.py holds the
round-trip properties).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import uuid

import numpy as np
import pandas as pd
import pytest

from codemode_kernel._display import payload
from codemode_kernel.errors import DuplicateColumnError, UnsupportedValueError

# -- 1. names compare as SQLite compares them -------------------------------------


def test_keys_match_existing_columns_ignoring_case(db):
    db.create_table("people", "ID INTEGER PRIMARY KEY, Name TEXT")
    assert db.batch_insert("people", [{"id": 1, "name": "ann"}]) == 1
    assert db.batch_insert("people", [{"iD": 2, "NAME": "bob"}]) == 1
    assert db.schema("people")["column"].tolist() == ["ID", "Name"]
    assert db.query("SELECT * FROM people ORDER BY ID").to_dict("list") == {
        "ID": [1, 2],
        "Name": ["ann", "bob"],
    }
    frame = pd.DataFrame({"name": ["cy"], "id": [3]})
    assert db.batch_insert("PEOPLE", frame) == 1
    assert db.query("SELECT Name FROM people WHERE ID = 3")["Name"].tolist() == ["cy"]
    assert db.schema("PEOPLE")["table"].tolist() == ["people", "people"]


def test_two_spellings_of_one_column_are_a_typed_error(db):
    with pytest.raises(DuplicateColumnError, match="keys 'Name' and 'name'"):
        db.batch_insert("new", [{"Name": "a"}, {"name": "b"}])
    assert "new" not in db.tables()
    db.create_table("old", "Name TEXT")
    with pytest.raises(DuplicateColumnError, match="keys 'name' and 'NAME'"):
        db.batch_insert("old", [{"name": "a", "NAME": "b"}])
    with pytest.raises(DuplicateColumnError, match="'Name' and 'name'"):
        db.batch_insert("new", pd.DataFrame([[1, 2]], columns=["Name", "name"]))
    with pytest.raises(DuplicateColumnError, match="'a' and 'A'"):
        db.create_table("x", {"a": "INTEGER", "A": "TEXT"})
    assert db.query("SELECT count(*) AS n FROM old")["n"][0] == 0


def test_only_ascii_letters_fold(db):
    """SQLite folds A-Z only: É and é are two columns (Python's lower() would merge them)."""
    db.batch_insert("u", [{"É": 1, "é": 2}])
    assert db.schema("u")["column"].tolist() == ["É", "é"]


def test_builders_and_widgets_fold_names_like_sqlite(db):
    from codemode_kernel import sql
    from codemode_kernel._widgets import Explorer, Pager

    with pytest.raises(DuplicateColumnError, match="names a column twice"):
        sql.distinct("t", ["a", "A"])
    db.batch_insert("Orders", [{"Country": "fr", "amount": 2}, {"Country": "de", "amount": 1}])
    text = sql.group_by("orders", "country", {"amount": ["sum"]}, order_by="-AMOUNT_SUM")
    # SQLite names a result column as the table spells it.
    assert db.query(text).to_dict("list") == {"Country": ["fr", "de"], "amount_sum": [2, 1]}
    pager = Pager(db, "ORDERS", page_size=10)
    assert pager.label == "Orders"
    pager.sort("AMOUNT")
    assert pager.sort_by == "amount" and pager.frame["amount"].tolist() == [1, 2]
    db.exec('CREATE INDEX by_country ON orders ("COUNTRY")')
    assert Explorer(db).indexes("ORDERS")["name"].tolist() == ["by_country"]


# -- 2. integers with NULLs stay exact --------------------------------------------


def test_integers_with_nulls_are_exact(db):
    db.create_table("big", "id INTEGER")
    db.exec("INSERT INTO big VALUES (9007199254740993), (NULL), (42)")
    df = db.query("SELECT id FROM big ORDER BY rowid")
    assert str(df["id"].dtype) == "Int64"
    assert df["id"].tolist()[0] == 9007199254740993 and df["id"].tolist()[2] == 42
    data = payload(df)
    assert data["columns"][0]["sqlite_type"] == "INTEGER|NULL"
    assert [r["id"] for r in data["rows"]] == [9007199254740993, None, 42]
    assert "9007199254740993" in json.dumps(data)


def test_mixed_integer_and_real_columns(db):
    db.exec("CREATE TABLE m (x NUMERIC); INSERT INTO m VALUES (10), (10.5), (NULL)")
    df = db.query("SELECT x FROM m ORDER BY rowid")
    assert df["x"].dtype == "float64"  # as pandas: prices stay numbers
    assert payload(df)["columns"][0]["sqlite_type"] == "INTEGER|REAL|NULL"
    db.exec("INSERT INTO m VALUES (9007199254740993)")
    df = db.query("SELECT x FROM m ORDER BY rowid")
    assert df["x"].dtype == object and df["x"].tolist()[3] == 9007199254740993


# -- 3. one datetime text format ---------------------------------------------------


def test_datetimes_compare_with_sqlites_own(db):
    db.create_table("ev", "created TEXT")
    db.exec("INSERT INTO ev VALUES (datetime('2024-01-05 08:00:00'))")
    after = db.query("SELECT * FROM ev WHERE created > ?", [dt.datetime(2024, 1, 5, 7, 0)])
    assert after["created"].tolist() == ["2024-01-05 08:00:00"]
    db.batch_insert("ev", [{"created": dt.datetime(2024, 1, 5, 9, 30, 0, 250)}])
    db.batch_insert("ev", pd.DataFrame({"created": pd.to_datetime(["2024-01-05 10:00"])}))
    got = db.query("SELECT created, created = datetime(created) AS same FROM ev ORDER BY 1")
    assert got["created"].tolist() == [
        "2024-01-05 08:00:00",
        "2024-01-05 09:30:00.000250",
        "2024-01-05 10:00:00",
    ]
    assert got["same"].tolist() == [1, 0, 1]  # datetime() drops the fraction; no 'T' anywhere


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.date(2024, 1, 5), "2024-01-05"),
        (dt.time(7, 5, 3, 12), "07:05:03.000012"),
        (
            dt.datetime(2024, 1, 5, 7, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2024-01-05 07:00:00+02:00",
        ),
        (pd.Timestamp("2024-01-05 07:00:00.000000001"), "2024-01-05 07:00:00.000000001"),
        (pd.Timestamp("2024-01-05 07:00", tz="UTC"), "2024-01-05 07:00:00+00:00"),
        (np.datetime64("2024-01-05T07:00"), "2024-01-05 07:00:00"),
        (pd.NaT, None),
        (dt.timedelta(days=1, microseconds=5), 86400.000005),
        (pd.Timedelta("1h"), 3600.0),
    ],
)
def test_temporal_values(db, value, text):
    assert db.query("SELECT ? AS v", [value])["v"].tolist()[0] == text or text is None
    db.exec('DROP TABLE IF EXISTS "tv"')
    db.batch_insert("tv", [{"v": value}, {"v": None}])
    assert db.conn.execute('SELECT v FROM "tv" ORDER BY rowid').fetchone() == (text,)


def test_save_state_uses_the_same_text(db):
    db.save_state("k", {"when": dt.datetime(2024, 1, 5, 7), "day": dt.date(2024, 1, 5)})
    assert db.get_state("k") == {"when": "2024-01-05 07:00:00", "day": "2024-01-05"}
    u = uuid.UUID(int=7)
    db.save_state("n", [decimal.Decimal("1.5"), u, np.int64(3), dt.timedelta(seconds=2)])
    assert db.get_state("n") == [1.5, str(u), 3, 2.0]


def test_json_values_convert_inside_and_refuse_what_json_cannot_hold(db):
    db.batch_insert("j", [{"v": {"at": dt.datetime(2024, 1, 5, 7), "n": np.int64(2)}}])
    assert db.query("SELECT v FROM j")["v"][0] == '{"at": "2024-01-05 07:00:00", "n": 2}'
    for bad, message in (
        ([math.nan], "holding NaN or infinity cannot be JSON"),
        ({"s": {1, 2}}, "unsupported type set"),
        ([b"x"], "bytes inside a dict/list cannot be JSON"),
    ):
        with pytest.raises(UnsupportedValueError, match=f"column 'v': .*{message}"):
            db.batch_insert("j", [{"v": bad}])
    assert db.query("SELECT count(*) AS n FROM j")["n"][0] == 1


# -- 5. the index ---------------------------------------------------------------------


def test_named_index_becomes_columns(db):
    df = pd.DataFrame({"country": ["fr", "de", "fr"], "n": [1, 2, 3]})
    db.batch_insert("by_country", df.groupby("country").sum())
    assert db.query("SELECT * FROM by_country ORDER BY country").to_dict("list") == {
        "country": ["de", "fr"],
        "n": [2, 4],
    }
    multi = df.assign(y=[2020, 2021, 2020]).groupby(["country", "y"]).sum()
    db.batch_insert("by_two", multi)
    assert db.schema("by_two")["column"].tolist() == ["country", "y", "n"]
    db.batch_insert("plain", df[df["n"] > 1])  # unnamed integer index: row numbers, left out
    assert db.schema("plain")["column"].tolist() == ["country", "n"]
    dated = pd.DataFrame({"n": [1]}, index=pd.to_datetime(["2024-01-05"]))
    db.batch_insert("dated", dated)  # unnamed dates are data: kept, as to_sql names it
    assert db.query("SELECT * FROM dated").to_dict("list") == {
        "index": ["2024-01-05 00:00:00"],
        "n": [1],
    }
    with pytest.raises(DuplicateColumnError, match="'country' and 'Country'"):
        db.batch_insert("clash", df.set_index("country").assign(Country=1))


# -- 6. every call is logged and counted -----------------------------------------------


def test_every_failed_call_is_logged_and_counted(db):
    db.set_limits(max_rows=100)
    calls = [
        (lambda: db.query("SELECT 1", limit=101), "query", "ValueError: limit=101"),
        (lambda: db.query("SELECT :a", {}), "query", "SQLParameterError: missing value"),
        (lambda: db.query("SELECT ?", [object()]), "query", "UnsupportedValueError"),
        (lambda: db.exec("SELECT ?", [2**64]), "exec", "UnsupportedValueError"),
        (lambda: db.run_script("SELECT 1", limit=0), "script", "ValueError: limit must"),
        (lambda: db.batch_insert("t", [{"a": 1}], chunk_size=0), "batch_insert", "chunk_size"),
        (lambda: db.batch_insert("t;x", [{"a": 1}]), "batch_insert", "contains ';'"),
        (lambda: db.create_table("t", 5), "create_table", "TypeError: schema must"),
        (lambda: db.save_state("k", {1, 2}), "save_state", "StateError"),
        (lambda: db.delete_state(3), "delete_state", "StateError"),
    ]
    for call, _, _ in calls:
        with pytest.raises(Exception):  # noqa: B017 - each raises its own typed error
            call()
    log = db.logs(len(calls)).iloc[::-1]
    assert log["kind"].tolist() == [kind for _, kind, _ in calls]
    for error, (_, _, want) in zip(log["error"], calls, strict=True):
        assert want in error
    assert db.get_metrics()["errors"] == len(calls)


def test_an_error_with_an_empty_message_is_logged(db):
    """Issue 17, kind 13: str(error) == '' once raised IndexError and lost the entry."""

    class Silent(Exception):
        pass

    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def records(error):
        yield {"a": 1}
        raise error

    for error in (Silent(), KeyError(), Unprintable()):
        with pytest.raises(type(error)):
            db.batch_insert("t", records(error))
    log = db.logs(3)
    assert log["error"].tolist() == ["Unprintable", "KeyError", "Silent"]
    assert db.get_metrics()["errors"] == 3
    assert "t" not in db.tables()


# -- 7. NULL is shown as NULL ----------------------------------------------------------


def test_null_displays_as_null(db):
    from codemode_kernel._display import html_table, text_table

    db.exec(
        "CREATE TABLE n (i INTEGER, s TEXT, f REAL, b BLOB);"
        "INSERT INTO n VALUES (1, 'a', 1.5, x'00'), (NULL, NULL, NULL, NULL)"
    )
    df = db.query("SELECT * FROM n ORDER BY rowid")
    text = text_table(df)
    assert text.splitlines()[2].split() == ["1", "NULL", "NULL", "NULL", "NULL"]
    assert "NaN" not in text and "<NA>" not in text and "None" not in text
    html = html_table(df)
    assert html.count("<td>NULL</td>") == 4 and "NaN" not in html
    assert pd.isna(df["i"][1]) and pd.isna(df["s"][1])  # the frame keeps pandas' NA
    other = pd.DataFrame({"x": [math.nan]})
    assert "NaN" in repr(other)  # a frame that is not a query result: stock pandas


def test_dataframe_dtypes_convert_like_their_values(db):
    """Each pandas dtype goes through the per-column path with the table's results."""
    frame = pd.DataFrame(
        {
            "i": pd.array([2**62, None], dtype="Int64"),
            "b": pd.array([True, None], dtype="boolean"),
            "f": pd.array([0.5, None], dtype="Float64"),
            "u": np.array([2**63 - 1, 0], dtype="uint64"),
            "t": pd.to_datetime(["2024-01-05 07:00", None]).tz_localize("Europe/Paris"),
            "d": pd.to_timedelta(["90s", None]),
            "c": pd.Categorical(["x", None]),
            "s": pd.array(["é", None], dtype="string"),
        }
    )
    db.batch_insert("dt", frame)
    assert dict(db.schema("dt")[["column", "type"]].values) == {
        "i": "INTEGER",
        "b": "INTEGER",
        "f": "REAL",
        "u": "INTEGER",
        "t": "TEXT",
        "d": "REAL",
        "c": "TEXT",
        "s": "TEXT",
    }
    assert db.conn.execute("SELECT * FROM dt ORDER BY rowid").fetchall() == [
        (2**62, 1, 0.5, 2**63 - 1, "2024-01-05 07:00:00+01:00", 90.0, "x", "é"),
        (None, None, None, 0, None, None, None, None),
    ]
    with pytest.raises(UnsupportedValueError, match="column 'u': int 9223372036854775808"):
        db.batch_insert("dt", pd.DataFrame({"u": np.array([2**63], dtype="uint64")}))
    assert db.conn.execute("SELECT count(*) FROM dt").fetchone() == (2,)
