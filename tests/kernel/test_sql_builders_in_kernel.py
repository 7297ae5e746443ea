"""helpers.sql builders run through a real kernel."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from codemode_kernel import sql as S


def norm(v: Any) -> Any:
    if hasattr(v, "item"):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


# --- through a real kernel ------------------------------------------------------


def test_builders_through_a_real_kernel(kernel):
    kernel.ok(
        "helpers.db.batch_insert('orders', [\n"
        "  {'id': i, 'country': ['US', 'DE', None][i % 3], 'amount': i * 1.5,\n"
        "   'created': f'2024-0{1 + i % 3}-0{1 + i % 7}T12:00:00'} for i in range(30)])\n"
        "helpers.db.batch_insert('countries', [{'code': 'US', 'name': 'United States'},\n"
        "                                      {'code': 'DE', 'name': 'Germany'}])"
    )
    s = "helpers.sql"
    calls = {
        "count_by": f"{s}.countBy('orders', 'country')",
        "top_n": f"{s}.top_n('orders', 'id', 2, by='amount')",
        "temporal": f"{s}.temporal('orders', 'created', 'month')",
        "statistics": f"{s}.statistics('orders', 'amount')",
        "histogram": f"{s}.histogram('orders', 'amount', 3)",
        "distinct": f"{s}.distinct('orders', 'country')",
        "group_by": f"{s}.group_by('orders', 'country', {{'amount': 'sum', '*': 'count'}})",
        "search": f"{s}.search('orders', 'country', 'u')",
        "sample": f"{s}.sample('orders', 4)",
        "duplicates": f"{s}.duplicates('orders', ['country'])",
        "null_counts": f"{s}.null_counts('orders', ['country', 'amount'])",
        "join": f"{s}.join('orders', 'countries', {{'country': 'code'}}, columns=['id', 'name'])",
    }
    assert sorted(calls) == sorted(n for n in S.__all__ if n not in ("countBy", "topN"))
    code = (
        "{"
        + ", ".join(f"{k!r}: helpers.db.query({v}).values.tolist()" for k, v in calls.items())
        + "}"
    )
    cell = kernel.ok(f"import json\nprint(json.dumps({code}, default=str))")
    got = {
        k: [[norm(v) for v in row] for row in rows] for k, rows in json.loads(cell.stdout).items()
    }
    assert got["count_by"] == [["DE", 10], ["US", 10], [None, 10]]
    assert got["top_n"] == [[29, 43.5], [28, 42.0]]
    assert got["temporal"] == [["2024-01", 10], ["2024-02", 10], ["2024-03", 10]]
    assert got["statistics"][0][:3] == [30, 0, 30] and got["statistics"][0][9] == 21.75
    assert [r[2] for r in got["histogram"]] == [10, 10, 10]
    assert got["distinct"] == [["DE"], ["US"], [None]]
    assert len(got["search"]) == 10 and {r[1] for r in got["search"]} == {"US"}
    assert len(got["sample"]) == 4
    assert got["duplicates"] == [["DE", 10], ["US", 10], [None, 10]]
    assert got["null_counts"] == [["country", 10, 30, 1 / 3], ["amount", 0, 30, 0.0]]
    assert len(got["join"]) == 20
    blocked = kernel.run("helpers.sql.count_by('orders', 'x\"; DROP TABLE orders; --')")
    assert blocked.ename == "ValueError"
    assert kernel.value("helpers.db.tables()") == ["countries", "orders"]
