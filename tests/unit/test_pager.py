"""Issue 19: the pager's pages, by keyset and by OFFSET, against pandas on the same rows."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codemode_kernel._widgets import Explorer, browse, columns_table


def expected_order(df: pd.DataFrame, col: str | None, desc: bool) -> list[int]:
    """Row ids in SQLite's order: NULLs first ascending, last descending; ties by rowid."""
    if col is None:
        return df["id"].tolist()
    nulls = df[df[col].isna()].sort_values("id", ascending=not desc)
    rest = df[df[col].notna()].sort_values([col, "id"], ascending=not desc, kind="stable")
    parts = [rest, nulls] if desc else [nulls, rest]
    return pd.concat(parts)["id"].tolist()


def seed(db, values: list) -> pd.DataFrame:
    df = pd.DataFrame({"id": range(1, len(values) + 1), "v": values})
    db.exec("DROP TABLE IF EXISTS t")
    db.create_table("t", "id INTEGER PRIMARY KEY, v INTEGER")
    if values:
        db.batch_insert("t", df.astype(object).where(df.notna(), None).to_dict("records"))
    return df


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=40),
    size=st.integers(1, 7),
    sort=st.sampled_from([None, ("v", False), ("v", True), ("id", True)]),
)
def test_forward_backward_and_jumps_match_pandas(db, values, size, sort):
    df = seed(db, values)
    p = browse(db, "t", page_size=size)
    assert p.keyset
    if sort:
        p.sort(*sort)
    want = expected_order(df, *(sort or (None, False)))
    pages = [want[i : i + size] for i in range(0, len(want), size)] or [[]]
    assert p.pages == len(pages) and p.total == len(want)
    seen = [p.frame["id"].tolist()]
    while p.page < p.pages:  # next, next, ... (keyset)
        p.go(p.page + 1)
        seen.append(p.frame["id"].tolist())
    assert seen == pages
    while p.page > 1:  # prev, prev, ... (keyset, reversed)
        p.go(p.page - 1)
        assert p.frame["id"].tolist() == pages[p.page - 1]
    p.go(p.pages)  # last: the first page of the reversed order
    assert p.frame["id"].tolist() == pages[-1]
    for k in range(1, len(pages) + 1):  # jumps: OFFSET from the nearer end
        p.go(k)
        assert p.frame["id"].tolist() == pages[k - 1], k


def test_last_page_is_a_keyset_query_not_an_offset(db):
    seed(db, list(range(100)))
    p = browse(db, "t")
    assert p.page_size == 20 and p.pages == 5
    p.go(5)
    assert "OFFSET" not in p.last_sql and " DESC LIMIT 20" in p.last_sql
    assert p.frame["id"].tolist() == list(range(81, 101))
    p.go(4)
    assert "OFFSET" not in p.last_sql and "rowid < :_codemode_r" in p.last_sql
    assert p.frame["id"].tolist() == list(range(61, 81))
    p.sort("v", descending=True)
    p.go(2)
    assert '("v", rowid) < (:_codemode_v, :_codemode_r)' in p.last_sql
    assert p.frame["id"].tolist() == list(range(80, 60, -1))


def test_filter_narrows_rows_and_is_checked(db):
    seed(db, [i % 7 for i in range(50)])
    p = browse(db, "t", page_size=5)
    p.filter("v = 3")
    assert p.total == 7 and p.where == "v = 3"
    assert p.frame["v"].tolist() == [3] * 5
    p.go(2)
    assert p.frame["id"].tolist() == [39, 46]
    assert p.status_text() == "rows 6–7 of 7 · page 2 of 2 · where v = 3"
    with pytest.raises(ValueError, match="filter must be a plain condition"):
        p.filter("v IN (SELECT 1)")
    with pytest.raises(ValueError, match="filter must be one boolean expression"):
        p.filter("v + 1")
    assert p.total == 7 and p.page == 2  # a bad filter leaves the pager as it was
    p.filter("")
    assert p.total == 50 and p.where is None


def test_header_click_cycles_sort_with_an_arrow(db):
    seed(db, [3, 1, 2])
    p = browse(db, "t")
    (_, v_header) = p.headers
    v_header.click()
    assert (p.sort_by, p.descending, v_header.description) == ("v", False, "v ▲")
    assert p.frame["v"].tolist() == [1, 2, 3]
    v_header.click()
    assert (p.sort_by, p.descending, v_header.description) == ("v", True, "v ▼")
    v_header.click()
    assert (p.sort_by, v_header.description) == (None, "v")
    assert p.frame["v"].tolist() == [3, 1, 2]


def test_widget_errors_show_above_the_table(db):
    seed(db, [1, 2])
    p = browse(db, "t")
    p.filter_box.value = "nosuchcol = 1"
    assert (
        "ValueError: filter names no column &#x27;nosuchcol&#x27;; columns: id, v" in p.error.value
    )
    assert p.total == 2
    p.filter_box.value = "v = 2"
    assert p.error.value == "" and p.total == 1


def test_page_box_jumps_and_buttons(db):
    seed(db, list(range(45)))
    p = browse(db, "t", page_size=10)
    p.page_box.value = 3
    assert p.page == 3 and p.frame["id"].tolist()[0] == 21
    p.last_button.click()
    assert p.page == 5 and p.page_box.value == 5 and p.next_button.disabled
    p.first_button.click()
    assert p.page == 1 and p.prev_button.disabled
    icons = [b.icon for b in (p.first_button, p.prev_button, p.next_button, p.last_button)]
    assert icons == ["angle-double-left", "angle-left", "angle-right", "angle-double-right"]


def test_a_select_is_paged_by_offset(db):
    seed(db, list(range(30)))
    p = browse(db, "SELECT id, v * 2 AS w FROM t WHERE v >= 5", page_size=10)
    assert not p.keyset and p.total == 25
    p.go(3)
    assert "OFFSET 20" in p.last_sql and p.frame["id"].tolist() == list(range(26, 31))
    p.sort("w", descending=True)
    assert p.frame["w"].tolist()[:2] == [58, 56]


def test_without_rowid_tables_page_by_offset(db):
    db.exec("CREATE TABLE wr (k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
    db.batch_insert("wr", [{"k": f"k{i:02d}", "n": i} for i in range(25)])
    p = browse(db, "wr", page_size=10)
    assert not p.keyset
    p.go(3)
    assert p.frame["n"].tolist() == list(range(20, 25))


def test_explorer_shows_checks_pk_positions_counts_and_opens_the_pager(db):
    db.exec("CREATE TABLE pairs (a INTEGER NOT NULL, b TEXT, c REAL, PRIMARY KEY (b, a))")
    db.batch_insert("pairs", [{"a": i, "b": str(i), "c": 0.5} for i in range(1234)])
    cols = columns_table(db.schema("pairs"))
    assert cols["not null"].tolist() == ["✓", "", ""]
    assert cols["primary key"].tolist() == ["2", "1", ""]
    e = Explorer(db)
    assert e.select_buttons.keys() == {"pairs"}
    (row,) = e.table_list.children
    assert row.children[1].value == "1,234 rows"
    assert "<td>✓</td>" in e.detail.value and "1,234 rows" in e.detail.value
    pager = e.browse_buttons["pairs"].click() or e.pager
    assert pager is not None and pager.total == 1234
    assert e.browser.children[1] is pager.widget
    db.batch_insert("more", [{"x": 1}])
    e.refresh_button.click()
    assert list(e.counts) == ["more", "pairs"] and e.selected == "pairs"
