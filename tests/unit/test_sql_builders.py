"""helpers.sql builders: each one against pandas on random data in a real session database.

The oracle for every builder is the same computation done in pandas (or
plain Python where pandas has no equivalent), on the definitions written in
the builder docstrings: NULLs last, NULL keys grouped, empty aggregates NULL,
sample stddev, linear-interpolation percentiles, ASCII case folding.
"""

from __future__ import annotations

import collections
import datetime as dt
import math
import sqlite3
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemode_kernel import _guard as guard
from codemode_kernel import sql as S
from codemode_kernel._identifiers import quote

# The `db` fixture is reused across the examples of a test; every example
# drops and recreates its own table, so no state leaks between examples.
FAST = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Allowed names that are keywords, have spaces, dots, dashes, unicode, or
# collide with the builders' own aliases and CTE names.
TABLES = ["t", "my table", "select", "order", "Ünïcødé tàble", "group-by", "x.y", "_v", "_codemode"]
COLUMNS = ["value", "select", "order", "a b", "ñame", "from", "count", "x", "bucket", "t.c"]

table_names = st.sampled_from(TABLES)
ints = st.one_of(st.none(), st.integers(-50, 50), st.integers(-(10**12), 10**12))
floats = st.one_of(
    st.none(),
    st.sampled_from([0.0, -1.5, 2.25, 1e-9]),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
# No surrogates (not encodable) and no NUL (SQLite's text functions stop at it).
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
texts = st.one_of(
    st.none(),
    st.sampled_from(["a", "A", "b", "é", "É", "%", "_", "\\", "a%b", "a_b", "", " "]),
    st.text(chars, max_size=6),
)
numbers = st.one_of(st.lists(ints, max_size=25), st.lists(floats, max_size=25))


def load(db, table: str, schema: dict[str, str], rows: list[tuple]) -> pd.DataFrame:
    """(Re)create ``table`` with ``rows``; return the same data as an object DataFrame."""
    db.exec(f"DROP TABLE IF EXISTS {quote(table)}")
    db.create_table(table, schema, if_not_exists=False)
    if rows:
        db.batch_insert(table, [dict(zip(schema, r, strict=True)) for r in rows], create=False)
    return pd.DataFrame([list(r) for r in rows], columns=list(schema), dtype=object)


def norm(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def rows_of(df: pd.DataFrame) -> list[tuple]:
    return [tuple(norm(v) for v in r) for r in df.itertuples(index=False, name=None)]


def same(a: Any, b: Any) -> bool:
    a, b = norm(a), norm(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


def assert_rows(got: list[tuple], want: list[tuple]) -> None:
    assert len(got) == len(want), f"{len(got)} rows, expected {len(want)}:\n{got}\n{want}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert len(g) == len(w) and all(same(x, y) for x, y in zip(g, w, strict=True)), (
            f"row {i}: {g} != {w}"
        )


def nulls_last(v: Any) -> tuple:
    v = norm(v)
    return (v is None, v if v is not None else 0)


def query(db, sql: str) -> list[tuple]:
    return rows_of(db.query(sql))


def where_mask(df: pd.DataFrame, where: dict | None) -> pd.Series:
    """pandas' reading of a where-dict: =, IN (None in the list matches NULL), IS NULL."""
    mask = pd.Series(True, index=df.index)
    for col, value in (where or {}).items():
        if value is None:
            mask &= df[col].isna()
        elif isinstance(value, list):
            mask &= df[col].isin([v for v in value if v is not None]) | (
                df[col].isna() & (None in value)
            )
        else:
            mask &= df[col] == value
    return mask


# --- count_by ------------------------------------------------------------------


@FAST
@given(
    table=table_names,
    column=st.sampled_from(COLUMNS),
    values=st.one_of(st.lists(texts, max_size=30), st.lists(ints, max_size=30)),
    limit=st.one_of(st.none(), st.integers(1, 5)),
    data=st.data(),
)
def test_count_by_matches_pandas(db, table, column, values, limit, data):
    rows = [(v, i % 3) for i, v in enumerate(values)]
    df = load(db, table, {column: "", "g": "INTEGER"}, rows)
    where = data.draw(st.sampled_from([None, {"g": 1}, {"g": [0, 2]}, {column: None}]))
    sub = df[where_mask(df, where)]
    counts = sub.groupby(column, dropna=False, sort=False).size()
    want = sorted(
        ((norm(k), int(n)) for k, n in counts.items()), key=lambda r: (-r[1], nulls_last(r[0]))
    )
    got = query(db, S.count_by(table, column, where=where, limit=limit))
    assert_rows(got, want[:limit] if limit else want)
    assert S.countBy is S.count_by


# --- top_n ---------------------------------------------------------------------


@FAST
@given(
    table=table_names,
    names=st.lists(st.sampled_from(COLUMNS), min_size=2, max_size=2, unique=True),
    keys=st.lists(st.tuples(texts, ints), max_size=25),
    n=st.integers(1, 8),
    ascending=st.booleans(),
    own_key=st.booleans(),
)
def test_top_n_matches_pandas(db, table, names, keys, n, ascending, own_key):
    label, score = names
    df = load(db, table, {label: "TEXT", score: "INTEGER"}, keys)
    if own_key:  # by defaults to the column itself
        sql = S.top_n(table, score, n, ascending=ascending)
        want = df[[score]].sort_values(score, ascending=ascending, na_position="last")
    else:
        sql = S.topN(table, label, n, by=score, ascending=ascending)
        want = df[[label, score]].sort_values(
            [score, label], ascending=[ascending, True], na_position="last"
        )
    assert_rows(query(db, sql), rows_of(want.head(n)))


# --- temporal ------------------------------------------------------------------

moments = st.datetimes(min_value=dt.datetime(1974, 1, 1), max_value=dt.datetime(2100, 1, 1))
offsets = st.sampled_from(
    [
        None,
        dt.UTC,
        dt.timezone(dt.timedelta(hours=2)),
        dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
    ]
)


@st.composite
def stamps(draw) -> tuple[Any, dt.datetime]:
    """A stored time value (ISO text, epoch s or ms) and the UTC moment it means."""
    moment = draw(moments)
    tz = draw(offsets)
    kind = draw(st.sampled_from(["iso", "iso-space", "date", "s", "ms"]))
    aware = moment.replace(tzinfo=tz or dt.UTC)
    utc = aware.astimezone(dt.UTC).replace(tzinfo=None)
    if kind == "date":
        return moment.date().isoformat(), moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "s":
        return int(aware.timestamp()), utc.replace(microsecond=0)
    if kind == "ms":
        return int(aware.timestamp() * 1000), utc.replace(
            microsecond=(utc.microsecond // 1000) * 1000
        )
    text = aware.isoformat() if tz else moment.isoformat()
    return (text.replace("T", " ", 1) if kind == "iso-space" else text), utc


def bucket_of(t: dt.datetime, interval: str) -> str:
    if interval == "minute":
        return t.strftime("%Y-%m-%d %H:%M")
    if interval == "hour":
        return t.strftime("%Y-%m-%d %H:00")
    if interval == "day":
        return t.date().isoformat()
    if interval == "week":
        return (t.date() - dt.timedelta(days=t.weekday())).isoformat()
    if interval == "month":
        return t.strftime("%Y-%m")
    if interval == "quarter":
        return f"{t.year:04d}-Q{(t.month - 1) // 3 + 1}"
    return f"{t.year:04d}"


@FAST
@given(
    table=table_names,
    points=st.lists(st.tuples(st.one_of(st.none(), stamps()), floats), max_size=25),
    interval=st.sampled_from(["minute", "hour", "day", "week", "month", "quarter", "year"]),
    agg=st.sampled_from(["count", "count-rows", "sum", "avg", "min", "max"]),
)
def test_temporal_matches_pandas(db, table, points, interval, agg):
    rows = [(p[0] if p else None, v) for p, v in points]
    load(db, table, {"when": "", "amount": "REAL"}, rows)
    frame = pd.DataFrame(
        [(bucket_of(p[1], interval), v) for p, v in points if p is not None],
        columns=["bucket", "v"],
    ).astype(object)
    grouped = frame.groupby("bucket", sort=True)["v"]
    if agg == "count-rows":
        sql = S.temporal(table, "when", interval)
        result = grouped.size()
    else:
        sql = S.temporal(table, "when", interval, value="amount", agg=agg)
        result = {
            "count": lambda: grouped.count(),
            "sum": lambda: grouped.agg(lambda s: s.dropna().sum() if s.notna().any() else None),
            "avg": lambda: grouped.agg(lambda s: s.dropna().mean() if s.notna().any() else None),
            "min": lambda: grouped.agg(lambda s: s.dropna().min() if s.notna().any() else None),
            "max": lambda: grouped.agg(lambda s: s.dropna().max() if s.notna().any() else None),
        }[agg]()
    want = [(k, norm(v)) for k, v in result.items()]
    assert_rows(query(db, sql), want)


def test_temporal_units_and_iso_week(db):
    load(
        db,
        "ev",
        {"s": "INTEGER", "ms": "INTEGER", "iso": "TEXT"},
        [
            (1704067200, 1704067200000, "2024-01-01T00:00:00Z"),  # Monday 2024-01-01
            (1704585600, 1704585600000, "2024-01-07T23:59:59"),  # Sunday: same ISO week
            (1704672000, 1704672000000, "2024-01-08 00:00"),  # the next Monday
        ],
    )
    want = [("2024-01-01", 2), ("2024-01-08", 1)]
    assert query(db, S.temporal("ev", "s", "week", unit="s")) == want
    assert query(db, S.temporal("ev", "ms", "week", unit="ms")) == want
    assert query(db, S.temporal("ev", "ms", "week")) == want  # auto: >= 1e11 is ms
    assert query(db, S.temporal("ev", "iso", "week", unit="iso")) == want
    assert query(db, S.temporal("ev", "iso", "quarter")) == [("2024-Q1", 3)]
    with pytest.raises(ValueError, match="interval"):
        S.temporal("ev", "s", "fortnight")
    with pytest.raises(ValueError, match="needs a value"):
        S.temporal("ev", "s", agg="sum")


# --- statistics ----------------------------------------------------------------


def pandas_statistics(values: list) -> tuple:
    s = pd.Series([v for v in values if v is not None], dtype=object)
    n = len(s)
    nums = s.astype("float64")
    total = None
    if n:
        # Integer sums stay exact integers, as SQLite's sum() does.
        total = sum(s) if all(isinstance(v, int) for v in s) else float(nums.sum())
    return (
        n,
        len(values) - n,
        s.nunique(),
        s.min() if n else None,
        s.max() if n else None,
        nums.mean() if n else None,
        nums.std(ddof=1) if n > 1 else None,
        total,
        nums.quantile(0.25) if n else None,
        nums.quantile(0.5) if n else None,
        nums.quantile(0.75) if n else None,
    )


@FAST
@given(table=table_names, column=st.sampled_from(COLUMNS), values=numbers)
def test_statistics_matches_pandas(db, table, column, values):
    typ = "REAL" if any(isinstance(v, float) for v in values) else "INTEGER"
    load(db, table, {column: typ}, [(v,) for v in values])
    got = db.query(S.statistics(table, column))
    assert list(got.columns) == [
        "count",
        "nulls",
        "distinct",
        "min",
        "max",
        "mean",
        "stddev",
        "sum",
        "p25",
        "median",
        "p75",
    ]
    assert_rows(rows_of(got), [pandas_statistics(values)])


def test_statistics_percentiles_are_linear_interpolation(db):
    # Nearest-rank would give 1, 2, 3 here; linear interpolation gives these.
    load(db, "p", {"x": "INTEGER"}, [(4,), (1,), (3,), (2,), (None,)])
    row = db.query(S.statistics("p", "x", where='"x" IS NULL OR "x" > 0')).iloc[0]
    assert (row["p25"], row["median"], row["p75"]) == (1.75, 2.5, 3.25)
    assert row["stddev"] == pytest.approx(math.sqrt(5 / 3))
    assert (row["count"], row["nulls"], row["sum"]) == (4, 1, 10)


# --- histogram -----------------------------------------------------------------


def pandas_histogram(values: list, bins: int) -> list[tuple]:
    s = pd.Series([v for v in values if v is not None])
    if s.empty:
        return []
    lo, hi = s.min(), s.max()
    k = bins if hi > lo else 1
    width = (hi - lo) * 1.0 / k
    idx = (s - lo) / width if k > 1 else pd.Series(0, index=s.index)
    counts = idx.astype("int64").clip(upper=k - 1).value_counts()
    return [
        (lo + i * width, hi if i == k - 1 else lo + (i + 1) * width, int(counts.get(i, 0)))
        for i in range(k)
    ]


@FAST
@given(table=table_names, column=st.sampled_from(COLUMNS), values=numbers, bins=st.integers(1, 12))
def test_histogram_matches_pandas(db, table, column, values, bins):
    typ = "REAL" if any(isinstance(v, float) for v in values) else "INTEGER"
    load(db, table, {column: typ}, [(v,) for v in values])
    got = query(db, S.histogram(table, column, bins))
    assert_rows(got, pandas_histogram(values, bins))
    assert sum(r[2] for r in got) == sum(v is not None for v in values)


def test_histogram_max_in_last_bin_and_text_ignored(db):
    load(db, "h", {"x": ""}, [(i,) for i in range(11)] + [("text",), (None,)])
    got = query(db, S.histogram("h", "x", 5))
    assert [r[2] for r in got] == [2, 2, 2, 2, 3]
    assert (got[0][0], got[-1][1]) == (0.0, 10)


# --- distinct / duplicates / null_counts -----------------------------------------


@FAST
@given(
    table=table_names,
    names=st.lists(st.sampled_from(COLUMNS), min_size=2, max_size=2, unique=True),
    rows=st.lists(st.tuples(texts, st.one_of(st.none(), st.integers(0, 3))), max_size=30),
    limit=st.one_of(st.none(), st.integers(1, 6)),
)
def test_distinct_matches_pandas(db, table, names, rows, limit):
    df = load(db, table, {names[0]: "TEXT", names[1]: "INTEGER"}, rows)
    want = df.drop_duplicates().sort_values(names, na_position="last")
    got = query(db, S.distinct(table, names, limit=limit))
    assert_rows(got, rows_of(want.head(limit) if limit else want))
    single = query(db, S.distinct(table, names[1]))
    assert_rows(single, sorted({(norm(v),) for v in df[names[1]]}, key=lambda r: nulls_last(r[0])))


@FAST
@given(
    table=table_names,
    names=st.lists(st.sampled_from(COLUMNS), min_size=2, max_size=2, unique=True),
    rows=st.lists(
        st.tuples(st.sampled_from([None, "a", "b", "É"]), st.one_of(st.none(), st.integers(0, 2))),
        max_size=30,
    ),
)
def test_duplicates_matches_pandas(db, table, names, rows):
    df = load(db, table, {names[0]: "TEXT", names[1]: "INTEGER"}, rows)
    sizes = df.groupby(names, dropna=False).size()
    want = sorted(
        ((norm(a), norm(b), int(n)) for (a, b), n in sizes.items() if n > 1),
        key=lambda r: (-r[2], nulls_last(r[0]), nulls_last(r[1])),
    )
    assert_rows(query(db, S.duplicates(table, names)), want)
    flagged = df[df.duplicated(subset=names, keep=False)]
    assert sum(r[2] for r in want) == len(flagged)  # pandas' duplicated() agrees


@FAST
@given(
    table=table_names,
    rows=st.lists(st.tuples(texts, ints, floats), max_size=25),
)
def test_null_counts_matches_pandas(db, table, rows):
    cols = ["select", "a b", "ñame"]
    df = load(db, table, dict(zip(cols, ["TEXT", "INTEGER", "REAL"], strict=True)), rows)
    want = [
        (c, int(df[c].isna().sum()), len(df), df[c].isna().mean() if len(df) else None)
        for c in cols
    ]
    assert_rows(query(db, S.null_counts(table, cols)), want)


# --- group_by ------------------------------------------------------------------


@FAST
@given(
    table=table_names,
    rows=st.lists(st.tuples(st.sampled_from([None, "x", "y", "Z", "ü"]), ints), max_size=30),
    having=st.booleans(),
)
def test_group_by_matches_pandas(db, table, rows, having):
    df = load(db, table, {"order": "TEXT", "a b": "INTEGER"}, rows)
    aggs = {"a b": ["sum", "avg", "min", "max", "count", "count_distinct"], "*": ["count"]}
    sql = S.group_by(
        table,
        "order",
        aggs,
        having="count > 1" if having else None,
        order_by=["-a b_sum", "order"],
    )
    want = []
    for key, g in df.groupby("order", dropna=False):
        v = g["a b"].dropna().astype("int64")
        some = not v.empty
        want.append(
            (
                norm(key),
                int(v.sum()) if some else None,
                v.mean() if some else None,
                int(v.min()) if some else None,
                int(v.max()) if some else None,
                len(v),
                v.nunique(),
                len(g),
            )
        )
    if having:
        want = [w for w in want if w[-1] > 1]
    want.sort(key=lambda r: nulls_last(r[0]))
    want.sort(key=lambda r: (r[1] is None, -(r[1] or 0)))  # stable: then by "order"
    assert_rows(query(db, sql), want)


def test_group_by_rejects_bad_specs():
    with pytest.raises(ValueError, match="aggregation must be one of"):
        S.group_by("t", "g", {"v": ["median"]})
    with pytest.raises(ValueError, match="not a result column"):
        S.group_by("t", "g", {"v": "sum"}, order_by="v")
    with pytest.raises(ValueError, match="only takes 'count'"):
        S.group_by("t", "g", {"*": ["sum"]})


# --- search --------------------------------------------------------------------

ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@FAST
@given(
    table=table_names,
    rows=st.lists(st.tuples(texts, texts), max_size=25),
    term=st.one_of(
        st.sampled_from(["a", "A", "%", "_", "\\", "a%b", "a_b", "É", "é", ""]),
        st.text(chars, max_size=3),
    ),
    both=st.booleans(),
    limit=st.one_of(st.none(), st.integers(1, 5)),
)
def test_search_matches_pandas(db, table, rows, term, both, limit):
    df = load(db, table, {"title": "TEXT", "from": "TEXT"}, rows)
    cols = ["title", "from"] if both else ["title"]
    needle = term.translate(ASCII_LOWER)
    mask = pd.Series(False, index=df.index)
    for c in cols:
        mask |= df[c].map(lambda v: v is not None and needle in v.translate(ASCII_LOWER))
    want = df[mask]
    got = query(db, S.search(table, cols if both else "title", term, limit=limit))
    assert_rows(got, rows_of(want.head(limit) if limit else want))


def test_search_wildcards_match_themselves(db):
    load(db, "s", {"v": "TEXT"}, [("100%",), ("100 x",), ("a_b",), ("axb",), ("c\\d",), ("cd",)])
    assert query(db, S.search("s", "v", "0%")) == [("100%",)]
    assert query(db, S.search("s", "v", "a_")) == [("a_b",)]
    assert query(db, S.search("s", "v", "c\\")) == [("c\\d",)]
    assert query(db, S.search("s", "v", "A_B")) == [("a_b",)]


# --- sample --------------------------------------------------------------------


@FAST
@given(table=table_names, rows=st.lists(st.tuples(texts, ints), max_size=20), n=st.integers(1, 25))
def test_sample_is_a_sub_multiset(db, table, rows, n):
    df = load(db, table, {"select": "TEXT", "x": "INTEGER"}, rows)
    got = query(db, S.sample(table, n))
    assert len(got) == min(n, len(df))
    assert not collections.Counter(got) - collections.Counter(rows_of(df))


# --- join ----------------------------------------------------------------------


def pandas_join(lf: pd.DataFrame, rf: pd.DataFrame, lk: str, rk: str, how: str) -> list[tuple]:
    """pandas merge with SQL's NULL rule: a NULL key matches nothing."""
    lhs, rhs = lf[lf[lk].notna()], rf[rf[rk].notna()]
    merged = (
        lhs.merge(rhs, how=how, left_on=lk, right_on=rk)
        if lk != rk
        else lhs.merge(rhs, how=how, on=lk)
    )
    cols = list(merged.columns)
    extra = []
    if how in ("left", "outer"):
        extra += [
            {**r, **dict.fromkeys(c for c in cols if c not in r)}
            for r in lf[lf[lk].isna()].to_dict("records")
        ]
    if how in ("right", "outer"):
        extra += [{**dict.fromkeys(cols), **r} for r in rf[rf[rk].isna()].to_dict("records")]
    full = pd.concat([merged, pd.DataFrame(extra, columns=cols)]) if extra else merged
    return sorted(rows_of(full[cols]), key=lambda r: [nulls_last(v) for v in r])


@FAST
@given(
    left=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 4)), texts), max_size=12),
    right=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 4)), ints), max_size=12),
    how=st.sampled_from(["inner", "left", "right", "full"]),
    using=st.booleans(),
)
def test_join_matches_pandas(db, left, right, how, using):
    rkey = "k" if using else "order"
    lf = load(db, "my table", {"k": "INTEGER", "a b": "TEXT"}, left)
    rf = load(db, "select", {rkey: "INTEGER", "ñame": "INTEGER"}, right)
    on = "k" if using else {"k": "order"}
    got = query(db, S.join("my table", "select", on, how=how))
    key = lambda r: [nulls_last(v) for v in r]  # noqa: E731
    pd_how = "outer" if how == "full" else how
    assert_rows(sorted(got, key=key), pandas_join(lf, rf, "k", rkey, pd_how))


def test_join_columns_and_errors(db):
    load(db, "orders", {"id": "INTEGER", "cid": "INTEGER"}, [(1, 10), (2, 11), (3, None)])
    load(db, "people", {"id": "INTEGER", "name": "TEXT"}, [(10, "Ann"), (11, "Bo")])
    sql = S.join("orders", "people", {"cid": "id"}, how="left", columns=["orders.id", "name"])
    assert sorted(query(db, sql), key=lambda r: r[0]) == [(1, "Ann"), (2, "Bo"), (3, None)]
    with pytest.raises(ValueError, match="how"):
        S.join("orders", "people", "id", how="sideways")
    with pytest.raises(ValueError, match="two different tables"):
        S.join("orders", "orders", "id")


# --- where ---------------------------------------------------------------------


def test_where_dict_and_condition(db):
    load(
        db,
        "w",
        {"status": "TEXT", "n": "INTEGER"},
        [
            ("paid", 1),
            ("open", 2),
            (None, 3),
            ("it's", 4),
            ("'; DROP TABLE w; --", 5),
        ],
    )
    assert query(db, S.count_by("w", "n", where={"status": ["paid", None]})) == [(1, 1), (3, 1)]
    assert query(db, S.count_by("w", "n", where={"status": "it's"})) == [(4, 1)]
    assert query(db, S.count_by("w", "n", where={"status": "'; DROP TABLE w; --"})) == [(5, 1)]
    assert query(db, S.count_by("w", "n", where={"status": []})) == []
    cond = "status LIKE 'p%' OR n BETWEEN 4 AND 5 AND NOT status IS NULL"
    assert [r[0] for r in query(db, S.count_by("w", "n", where=cond))] == [1, 4, 5]
    with_param = S.count_by("w", "n", where="n > ?")
    assert rows_of(db.query(with_param, [3])) == [(4, 1), (5, 1)]
    assert db.query("SELECT count(*) AS c FROM w")["c"][0] == 5


@pytest.mark.parametrize(
    "cond",
    [
        "1 = 1; DROP TABLE w",
        "n IN (SELECT name FROM sqlite_master)",
        "EXISTS (SELECT 1)",
        "n = 1) UNION SELECT sql FROM sqlite_master --",
        "n = 1 UNION ALL SELECT 1",
        "n",  # a value, not a condition
        "n + 1",
        "",
        "DROP TABLE w",
        "(SELECT 1) = 1",
    ],
)
def test_where_string_must_be_one_boolean_expression(cond):
    with pytest.raises(ValueError):
        S.count_by("w", "n", where=cond)


# --- hostile names -------------------------------------------------------------

REFUSED = ['x"; DROP TABLE t; --', "]", "[t]", "`t`", "a\nb", "x' OR '1'='1", "t;", "", " "]
# Allowed by check_identifier: these must work as plain quoted names.
ODD_BUT_ALLOWED = ["-- not a comment", "/* nor this */", "a) OR (1=1", "select * from t", "x.y"]

BUILDERS = {
    "count_by": lambda t, c: S.count_by(t, c),
    "top_n": lambda t, c: S.top_n(t, c, 3),
    "temporal": lambda t, c: S.temporal(t, c, "day"),
    "statistics": lambda t, c: S.statistics(t, c),
    "histogram": lambda t, c: S.histogram(t, c, 3),
    "distinct": lambda t, c: S.distinct(t, [c]),
    "group_by": lambda t, c: S.group_by(t, c, {"*": "count", c: ["max"]}),
    "search": lambda t, c: S.search(t, [c], "1"),
    "sample": lambda t, c: S.sample(t, 2, where={c: 1}),
    "duplicates": lambda t, c: S.duplicates(t, [c]),
    "null_counts": lambda t, c: S.null_counts(t, [c]),
    "join": lambda t, c: S.join(t, "other", {c: "k"}),
}


@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_hostile_names_raise_value_error(builder):
    for name in REFUSED:
        with pytest.raises(ValueError):
            BUILDERS[builder](name, "v")
        with pytest.raises(ValueError):
            BUILDERS[builder]("t", name)
    with pytest.raises(TypeError):
        BUILDERS[builder]("t", 3)


def test_odd_names_work_as_quoted_identifiers(db):
    load(db, "sentinel", {"v": "INTEGER"}, [(1,), (2,)])
    load(db, "other", {"k": "INTEGER"}, [(1,)])
    for name in ODD_BUT_ALLOWED:
        load(db, name, {name: "INTEGER"}, [(1,), (1,), (None,)])
        for builder, make in BUILDERS.items():
            sql = make(name, name)
            kinds = [s.kind for s in guard.classify(sql)]
            assert kinds == ["SELECT"], (builder, sql)
            db.query(sql)  # runs; the name is data, not SQL
        assert query(db, S.count_by(name, name)) == [(1, 2), (None, 1)]
    assert db.tables() == sorted(["sentinel", "other", *ODD_BUT_ALLOWED])
    assert query(db, "SELECT v FROM sentinel") == [(1,), (2,)]


def test_literals_are_escaped_and_checked():
    assert S.literal("it's").sql("sqlite") == "'it''s'"
    assert S.literal(b"\x00\xff").sql("sqlite") == "x'00ff'"
    assert S.literal(dt.date(2024, 1, 2)).sql("sqlite") == "'2024-01-02'"
    for bad in (float("nan"), float("inf"), 2**64, "a\x00b"):
        with pytest.raises(ValueError):
            S.literal(bad)


def test_search_term_too_long_is_a_clear_error():
    with pytest.raises(ValueError, match="too long"):
        S.search("t", "v", "%" * 600)


def test_builder_output_runs_unmodified_in_sqlite(tmp_path):
    # The text stands on its own: plain sqlite3 runs it, no kernel involved.
    conn = sqlite3.connect(tmp_path / "plain.db")
    conn.execute('CREATE TABLE "t" ("v" INTEGER, "when" TEXT)')
    conn.executemany('INSERT INTO "t" VALUES (?, ?)', [(1, "2024-05-01"), (3, "2024-05-02")])
    assert conn.execute(S.statistics("t", "v")).fetchone()[:3] == (2, 0, 2)
    assert conn.execute(S.temporal("t", "when", "month")).fetchall() == [("2024-05", 2)]
