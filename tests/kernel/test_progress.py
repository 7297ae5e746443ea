"""Issue 5: batch_insert's tqdm.auto bar in a widget front end and a text one."""

from __future__ import annotations

import pytest

VIEW = "application/vnd.jupyter.widget-view+json"
INSERT = "n = helpers.db.batch_insert('t', [{{'i': i}} for i in range({n})], progress={progress})"


def progress_state(cell) -> dict | None:
    """The final state of the IntProgress/FloatProgress the cell opened, if any."""
    state, comm_id = None, None
    for m in cell.messages:
        data = m["content"].get("data", {})
        if m["msg_type"] == "comm_open" and data["state"]["_model_name"].endswith("ProgressModel"):
            state, comm_id = dict(data["state"]), m["content"]["comm_id"]
        elif m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id:
            state.update(data.get("state", {}))
    return state


@pytest.fixture
def text_kernel(start_kernel, tmp_path):
    # A front end without widgets: ipywidgets cannot be imported, so
    # tqdm.auto falls back to its text bar on stderr.
    fake = tmp_path / "nowidgets" / "ipywidgets"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('ipywidgets hidden by the test')\n")
    return start_kernel(env={"PYTHONPATH": str(fake.parent)})


def test_widget_bar_in_a_widget_front_end(kernel):
    cell = kernel.ok(INSERT.format(n=300, progress=True))
    assert kernel.value("n") == 300
    assert any(VIEW in r for r in cell.results)
    state = progress_state(cell)
    assert state is not None and state["max"] == 300 and state["value"] == 300
    assert cell.stderr == ""


def test_progress_false_silences_the_widget_bar(kernel):
    cell = kernel.ok(INSERT.format(n=60_000, progress=False))
    assert cell.results == [] and progress_state(cell) is None and cell.stderr == ""
    # The default shows it for a large known count (a list, not an iterator).
    cell = kernel.ok("helpers.db.batch_insert('u', [{'i': i} for i in range(60_000)])")
    assert progress_state(cell)["value"] == 60_000


def test_text_bar_in_a_text_front_end(text_kernel):
    assert text_kernel.run("import ipywidgets").ename == "ImportError"
    cell = text_kernel.ok(INSERT.format(n=300, progress=True))
    assert text_kernel.value("n") == 300
    assert not any(VIEW in r for r in cell.results)
    assert "batch_insert t" in cell.stderr and "300/300" in cell.stderr
    cell = text_kernel.ok(INSERT.format(n=300, progress=False))
    assert "batch_insert" not in cell.stderr and cell.results == []
