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


def button(cell: Cell, description: str) -> str:
    (comm_id,) = [
        c for c, s in models(cell, "ButtonModel").items() if s["description"] == description
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
    assert "page 1 of 3 · 120 rows" in labels
    msgs = click(k, button(cell, "next"))
    errors = [m for m in msgs if m["msg_type"] == "error"]
    assert not errors, errors
    values = updated_values(msgs)
    assert "page 2 of 3 · 120 rows" in values
    (table,) = [v for v in values if "<table" in v]
    assert "<td>51</td>" in table and "<td>100</td>" in table and "<td>50</td>" not in table
    assert k.value("(p.page, int(p.frame['id'].iloc[0]), len(p.frame))") == (2, 51, 50)
    # The page came from its own SQL query through helpers.db (guard, timeout, log).
    assert k.value("helpers.db.logs(3)['sql'].tolist()")[0] == (
        'SELECT * FROM "items" LIMIT 50 OFFSET 50'
    )


def test_last_first_and_disabled_buttons(k):
    cell = k.ok("p = helpers.db.browse('items', page_size=50)\np")
    states = {s["description"]: s["disabled"] for s in models(cell, "ButtonModel").values()}
    assert states["first"] and states["prev"] and not states["next"]
    values = updated_values(click(k, button(cell, "last")))
    assert "page 3 of 3 · 120 rows" in values
    assert k.value("p.frame['id'].tolist()") == list(range(101, 121))
    click(k, button(cell, "first"))
    assert k.value("(p.page, p.frame['id'].tolist()[:2])") == (1, [1, 2])


def test_sort_and_page_size_through_the_dropdowns(k):
    cell = k.ok("p = helpers.db.browse('items', page_size=50)\np")
    dropdowns = models(cell, "DropdownModel")
    (sort_id,) = [c for c, s in dropdowns.items() if s["description"] == "sort"]
    labels = dropdowns[sort_id]["_options_labels"]
    send_comm(k, sort_id, {"method": "update", "state": {"index": labels.index("name")}})
    (order_id,) = models(cell, "ToggleButtonsModel")
    send_comm(k, order_id, {"method": "update", "state": {"index": 1}})  # desc
    assert k.value("(p.sort_by, p.descending, p.frame['name'].iloc[0])") == (
        "name",
        True,
        "item 120",
    )
    (size_id,) = [c for c, s in dropdowns.items() if s["description"] == "rows"]
    sizes = [int(x) for x in dropdowns[size_id]["_options_labels"]]
    values = updated_values(
        send_comm(k, size_id, {"method": "update", "state": {"index": sizes.index(25)}})
    )
    assert "page 1 of 5 · 120 rows · sorted by name desc" in values
    assert k.value("len(p.frame)") == 25


def test_browse_a_select_and_text_fallback(k):
    cell = k.ok(
        "helpers.db.browse('SELECT id, name FROM items WHERE even ORDER BY id', page_size=10)"
    )
    text = cell.results[0]["text/plain"]
    lines = text.splitlines()
    assert lines[0].endswith("page 1 of 6 · 60 rows")
    assert lines[1].split() == ["id", "name"]
    assert lines[2].split() == ["2", "item", "002"] and len(lines) == 12
    assert "<td>item 020</td>" in cell.results[0]["text/html"]


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
    k.ok("helpers.db.create_table('empty', 'k TEXT PRIMARY KEY, v REAL')")
    cell = k.ok("e = helpers.db.explore()\ne")
    (bundle,) = cell.results
    assert VIEW in bundle
    assert "empty (0): k TEXT, v REAL" in bundle["text/plain"]
    assert "items (120): id INTEGER, name TEXT, even INTEGER" in bundle["text/plain"]
    (select,) = models(cell, "SelectModel").values()
    assert select["_options_labels"] == ["empty (0 rows)", "items (120 rows)"]
    (select_id,) = models(cell, "SelectModel")
    values = updated_values(send_comm(k, select_id, {"method": "update", "state": {"index": 1}}))
    (detail,) = [v for v in values if "<h4>columns</h4>" in v]
    assert "items_name" in detail and "CREATE INDEX items_name ON items (name)" in detail
    values = updated_values(click(k, button(cell, "first rows")))
    (sample,) = [v for v in values if "<table" in v]
    assert "<td>item 001</td>" in sample and "<td>item 010</td>" in sample
    assert "<td>item 011</td>" not in sample


def test_sort_picker_starts_on_none(db):
    from codemode_kernel._widgets import browse

    db.batch_insert("s", [{"a": i} for i in range(3)])
    pager = browse(db, "s")
    assert pager.sort_picker.label == "(none)" and pager.sort_picker.value is None
