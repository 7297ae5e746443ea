"""Issue 5: the pager and the schema explorer, driven through widget comm messages."""

from __future__ import annotations

import time

import pytest
from kernels import Cell, KernelHandle, module_kernel

VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    yield from module_kernel(
        tmp_path_factory,
        "helpers.db.batch_insert('items', [{'id': i, 'name': f'item {i:03d}', 'even': i % 2 == 0}"
        " for i in range(1, 121)])\n"
        "helpers.db.exec('CREATE INDEX items_name ON items (name)')",
    )


def models(cell: Cell, model_name: str) -> dict[str, dict]:
    """comm_id -> current state of the ``model_name`` widgets a cell opened.

    As a front end does: the comm_open state, then each update applied in order.
    """
    states: dict[str, dict] = {}
    for m in cell.messages:
        data = m["content"].get("data", {})
        if m["msg_type"] == "comm_open" and data["state"]["_model_name"] == model_name:
            states[m["content"]["comm_id"]] = dict(data["state"])
        elif m["msg_type"] == "comm_msg" and m["content"]["comm_id"] in states:
            states[m["content"]["comm_id"]].update(data.get("state", {}))
    return states


def button(cell: Cell, name: str) -> str:
    """The comm id of the button whose tooltip (nav icons) or description (headers) is ``name``."""
    (comm_id,) = [
        c
        for c, s in models(cell, "ButtonModel").items()
        if name in (s["description"], s["tooltip"])
    ]
    return comm_id


def send_comm(k: KernelHandle, comm_id: str, data: dict, timeout: float = 30) -> list[dict]:
    """Send a comm_msg as a front end would; return the iopub messages it caused."""
    msg = k.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    k.kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    out: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        m = k.kc.get_iopub_msg(timeout=max(1, deadline - time.monotonic()))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            return out
        out.append(m)


def click(k: KernelHandle, comm_id: str) -> list[dict]:
    return send_comm(k, comm_id, {"method": "custom", "content": {"event": "click"}})


def updated_values(messages: list[dict]) -> list[str]:
    return [
        m["content"]["data"]["state"]["value"]
        for m in messages
        if m["msg_type"] == "comm_msg"
        and m["content"]["data"].get("method") == "update"
        and isinstance(m["content"]["data"]["state"].get("value"), str)
    ]


def test_next_button_fetches_page_two(k):
    cell = k.ok("p = helpers.db.browse('items', page_size=50)\np")
    (bundle,) = cell.results
    assert VIEW in bundle
    labels = [s["value"] for s in models(cell, "LabelModel").values()]
    assert "rows 1–50 of 120 · page 1 of 3" in labels
    msgs = click(k, button(cell, "next page"))
    errors = [m for m in msgs if m["msg_type"] == "error"]
    assert not errors, errors
    values = updated_values(msgs)
    assert "rows 51–100 of 120 · page 2 of 3" in values
    (table,) = [v for v in values if "<table" in v]
    assert 'title="51">51</td>' in table and 'title="100">100</td>' in table
    assert 'title="50">50</td>' not in table
    assert k.value("(p.page, int(p.frame['id'].iloc[0]), len(p.frame))") == (2, 51, 50)
    # The page came from its own keyset query through helpers.db (guard, timeout, log).
    assert k.value("helpers.db.logs(3)['sql'].tolist()")[0] == (
        'SELECT rowid AS _codemode_rowid, * FROM "items" WHERE rowid > :_codemode_r'
        " ORDER BY rowid LIMIT 50"
    )


def test_last_first_and_disabled_buttons(k):
    cell = k.ok("p = helpers.db.browse('items', page_size=50)\np")
    states = {s["tooltip"]: s["disabled"] for s in models(cell, "ButtonModel").values()}
    assert states["first page"] and states["previous page"] and not states["next page"]
    values = updated_values(click(k, button(cell, "last page")))
    assert "rows 101–120 of 120 · page 3 of 3" in values
    assert k.value("p.frame['id'].tolist()") == list(range(101, 121))
    click(k, button(cell, "first page"))
    assert k.value("(p.page, p.frame['id'].tolist()[:2])") == (1, [1, 2])


def test_sort_by_header_clicks_and_page_size(k):
    cell = k.ok("p = helpers.db.browse('items', page_size=50)\np")
    name_header = button(cell, "name")
    click(k, name_header)
    msgs = click(k, name_header)  # second click: descending
    assert k.value("(p.sort_by, p.descending, p.frame['name'].iloc[0])") == (
        "name",
        True,
        "item 120",
    )
    descriptions = [
        m["content"]["data"]["state"]["description"]
        for m in msgs
        if m["msg_type"] == "comm_msg" and "description" in m["content"]["data"].get("state", {})
    ]
    assert "name ▼" in descriptions
    dropdowns = models(cell, "DropdownModel")
    (size_id,) = [c for c, s in dropdowns.items() if s["description"] == "rows"]
    sizes = [int(x) for x in dropdowns[size_id]["_options_labels"]]
    values = updated_values(
        send_comm(k, size_id, {"method": "update", "state": {"index": sizes.index(10)}})
    )
    assert "rows 1–10 of 120 · page 1 of 12 · sorted by name desc" in values
    assert k.value("len(p.frame)") == 10


def test_filter_box_narrows_rows(k):
    cell = k.ok("p = helpers.db.browse('items')\np")
    (filter_id,) = [c for c, s in models(cell, "TextModel").items() if "filter" in s["placeholder"]]
    values = updated_values(
        send_comm(k, filter_id, {"method": "update", "state": {"value": "id > 100 AND even = 1"}})
    )
    assert "rows 1–10 of 10 · page 1 of 1 · where id > 100 AND even = 1" in values
    assert k.value("p.frame['id'].tolist()") == list(range(102, 121, 2))


def test_browse_a_select_and_text_fallback(k):
    cell = k.ok(
        "helpers.db.browse('SELECT id, name FROM items WHERE even ORDER BY id', page_size=10)"
    )
    text = cell.results[0]["text/plain"]
    lines = text.splitlines()
    assert lines[0].endswith("rows 1–10 of 60 · page 1 of 6")
    assert lines[1].split() == ["id", "name"]
    assert lines[2].split() == ["2", "item", "002"] and len(lines) == 12
    assert ">item 020</td>" in cell.results[0]["text/html"]


def test_browse_refuses_writes_and_unknown_tables(k):
    cell = k.run("helpers.db.browse('DELETE FROM items')")
    assert cell.ename == "ValueError" and "one SELECT" in cell.evalue
    cell = k.run("helpers.db.browse('SELECT * FROM items; DROP TABLE items')")
    assert cell.ename == "ValueError"
    cell = k.run("helpers.db.browse('nosuch')")
    assert cell.ename == "OperationalError" and "no such table: nosuch" in cell.evalue
    cell = k.run("helpers.db.browse('SELECT * FROM pragma_table_info(\"items\")')")
    assert cell.ename == "SQLBlockedError"
    assert k.value("int(helpers.db.query('SELECT count(*) FROM items').iloc[0, 0])") == 120


def test_explore_lists_tables_and_shows_first_rows(k):
    k.ok("helpers.db.create_table('empty', 'k TEXT PRIMARY KEY, v REAL NOT NULL')")
    cell = k.ok("e = helpers.db.explore()\ne")
    (bundle,) = cell.results
    assert VIEW in bundle
    assert "empty (0): k TEXT, v REAL" in bundle["text/plain"]
    assert "items (120): id INTEGER, name TEXT, even INTEGER" in bundle["text/plain"]
    counts = [
        s["value"] for s in models(cell, "LabelModel").values() if s["value"].endswith("rows")
    ]
    assert counts == ["0 rows", "120 rows"]
    values = updated_values(click(k, button(cell, "columns and indexes of items")))
    (detail,) = [v for v in values if "<h4>columns</h4>" in v]
    assert "items_name" in detail and "CREATE INDEX items_name ON items (name)" in detail
    values = updated_values(click(k, button(cell, "first rows")))
    (sample,) = [v for v in values if "<table" in v]
    assert "<td>item 001</td>" in sample and "<td>item 010</td>" in sample
    assert "<td>item 011</td>" not in sample
    msgs = click(k, button(cell, "page through items"))
    assert not [m for m in msgs if m["msg_type"] == "error"]
    assert k.value("(e.pager.label, e.pager.total, e.pager.page_size)") == ("items", 120, 20)
