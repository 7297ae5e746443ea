"""Issue 19: helpers.plot computes its numbers in SQLite; compared with pandas on the
same rows (the data, not the pixels). PNG delivery: tests/kernel/test_plot_in_kernel.py."""

from __future__ import annotations

import inspect

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemode_kernel._plot import Plot, kinds

# In this process only: setting MPLBACKEND here would leak into every kernel
# the test run starts (and change how their figures are shown).
matplotlib.use("Agg")

COUNTRIES = ["US", "DE", "FR", "JP", "BR", "IN", None]
STATUSES = ["paid", "open", "refunded", "void"]


def make_orders(n: int = 500, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 400, n)
    amount = np.round(rng.gamma(2.0, 30.0, n), 2)
    amount[::50] = np.nan  # some NULLs
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "country": rng.choice(
                np.array(COUNTRIES, dtype=object), n, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.1, 0.05]
            ),
            "status": rng.choice(STATUSES, n, p=[0.5, 0.3, 0.15, 0.05]),
            "amount": amount,
            "qty": rng.integers(1, 100, n),
            "created_at": (pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
        }
    )


@pytest.fixture
def orders(db):
    df = make_orders()
    db.batch_insert("orders", df.replace({np.nan: None}).to_dict("records"))
    return df


@pytest.fixture
def plot(db):
    yield Plot(db)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_histogram_counts_match_numpy(plot, orders):
    ax = plot.histogram("orders", "qty", bins=10)
    values = orders["qty"].to_numpy()
    counts, edges = np.histogram(values, bins=10, range=(values.min(), values.max()))
    assert ax.data["count"].tolist() == counts.tolist()
    assert np.allclose(ax.data["bin_start"], edges[:-1])
    assert np.allclose(ax.data["bin_end"], edges[1:])
    assert [p.get_height() for p in ax.patches] == counts.tolist()  # what is drawn
    assert ax.get_xlabel() == "qty" and ax.sql.startswith("WITH RECURSIVE")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.integers(-1000, 1000), min_size=1, max_size=60),
    bins=st.integers(1, 12),
)
def test_histogram_property_total_and_range(plot, db, values, bins):
    import matplotlib.pyplot as plt

    plt.close("all")
    db.exec("DROP TABLE IF EXISTS h")
    db.batch_insert("h", [{"v": v} for v in values])
    ax = plot.histogram("h", "v", bins=bins)
    assert int(ax.data["count"].sum()) == len(values)
    assert ax.data["bin_start"].iloc[0] == min(values)
    assert ax.data["bin_end"].iloc[-1] == max(values)
    assert len(ax.data) == (bins if max(values) > min(values) else 1)


def test_histogram_where_narrows_like_pandas(plot, orders):
    ax = plot.histogram("orders", "amount", bins=5, where={"country": "US"})
    us = orders.loc[orders["country"] == "US", "amount"].dropna()
    assert int(ax.data["count"].sum()) == len(us)
    ax2 = plot.histogram("orders", "amount", bins=5, where="amount > :lo", params={"lo": 50})
    assert int(ax2.data["count"].sum()) == int((orders["amount"] > 50).sum())


def test_bar_counts_match_value_counts(plot, orders):
    ax = plot.bar("orders", "country", top=4)
    expected = orders["country"].fillna("NULL").value_counts().rename_axis("c").reset_index()
    expected = expected.sort_values(["count", "c"], ascending=[False, True]).head(4)
    got = ax.data.assign(country=ax.data["country"].fillna("NULL"))
    assert got["country"].tolist() == expected["c"].tolist()
    assert got["count"].tolist() == expected["count"].tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == expected["c"].tolist()


def test_bar_sum_of_value_matches_groupby(plot, orders):
    ax = plot.bar("orders", "status", value="amount", agg="sum", top=3)
    expected = orders.groupby("status")["amount"].sum().sort_values(ascending=False).head(3)
    assert ax.data["status"].tolist() == expected.index.tolist()
    assert np.allclose(ax.data["amount_sum"], expected.to_numpy())
    assert ax.get_ylabel() == "amount_sum"


def test_bar_rejects_bad_arguments(plot, orders):
    with pytest.raises(ValueError, match=r"agg='sum' needs a value column"):
        plot.bar("orders", "status", agg="sum")
    with pytest.raises(ValueError, match=r"top must be at most 100, got 500"):
        plot.bar("orders", "status", top=500)
    with pytest.raises(ValueError, match=r"aggregation must be one of"):
        plot.bar("orders", "status", value="amount", agg="median")


def test_line_per_month_matches_pandas(plot, orders):
    ax = plot.line("orders", "created_at", "month")
    months = pd.to_datetime(orders["created_at"]).dt.strftime("%Y-%m")
    expected = months.value_counts().sort_index()
    assert ax.data["bucket"].tolist() == expected.index.tolist()
    assert ax.data["count"].tolist() == expected.tolist()
    (line,) = ax.get_lines()
    assert line.get_ydata().tolist() == expected.tolist()
    ax = plot.line("orders", "created_at", "quarter", value="amount", agg="avg")
    quarters = pd.to_datetime(orders["created_at"]).dt.to_period("Q").astype(str)
    exp_avg = orders.groupby(quarters.str.replace("Q", "-Q"))["amount"].mean()
    assert np.allclose(ax.data["avg"], exp_avg.to_numpy())


def tukey(values: pd.Series) -> dict:
    q1, med, q3 = values.quantile([0.25, 0.5, 0.75]).tolist()
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    inside = values[(values >= lo) & (values <= hi)]
    return {
        "p25": q1,
        "median": med,
        "p75": q3,
        "whislo": inside.min(),
        "whishi": inside.max(),
        "outliers": int(((values < lo) | (values > hi)).sum()),
    }


def test_box_quartiles_and_whiskers_match_pandas(plot, orders):
    ax = plot.box("orders", "amount")
    (row,) = ax.data.to_dict("records")
    expected = tukey(orders["amount"].dropna())
    for key, value in expected.items():
        assert row[key] == pytest.approx(value), key
    assert row["count"] == orders["amount"].notna().sum()
    assert row["outliers"] > 0  # gamma data has a long right tail


def test_box_by_group_matches_pandas(plot, orders):
    ax = plot.box("orders", "qty", by="status", top=3)
    top = orders["status"].value_counts().head(3).index.tolist()
    assert ax.data["group"].tolist() == top
    for row in ax.data.to_dict("records"):
        expected = tukey(orders.loc[orders["status"] == row["group"], "qty"].astype(float))
        for key, value in expected.items():
            assert row[key] == pytest.approx(value), (row["group"], key)
    assert [t.get_text() for t in ax.get_xticklabels()] == top


def test_pie_top_values_and_other(plot, orders):
    ax = plot.pie("orders", "country", top=3)
    counts = orders["country"].fillna("NULL").value_counts()
    assert ax.data["count"].tolist()[:3] == counts.head(3).tolist()
    assert int(ax.data["count"].iloc[-1]) == int(counts.iloc[3:].sum())
    assert int(ax.data["count"].sum()) == len(orders)
    assert [t.get_text() for t in ax.texts if not t.get_text().endswith("%")][-1] == "other"


def test_docstring_examples_run(plot, orders, db):
    class Helpers:
        pass

    helpers = Helpers()
    helpers.plot = plot
    for name in kinds():
        lines = [
            ln for ln in inspect.getdoc(getattr(Plot, name)).splitlines() if ln.startswith(">>> ")
        ]
        assert lines, f"{name} has no example"
        ns = {"helpers": helpers}
        exec(lines[0][4:], ns)
        assert len(ns["ax"].data) >= 1, name


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda p: p.histogram("orders", "nope"), "nope"),
        (lambda p: p.line("orders", "NOPE_TIME"), "NOPE_TIME"),
        (lambda p: p.bar("orders", "nope"), "nope"),
        (lambda p: p.bar("orders", "country", value="nope", agg="sum"), "nope"),
        (lambda p: p.pie("orders", "nope"), "nope"),
        (lambda p: p.box("orders", "amount", by="nope"), "nope"),
    ],
)
def test_an_unknown_column_is_a_clear_error_not_an_empty_chart(plot, orders, call, name):
    # SQLite reads an unknown "name" as a string literal: the chart would be empty.
    with pytest.raises(ValueError, match=rf"^no column '{name}' in 'orders'; its columns: \["):
        call(plot)
