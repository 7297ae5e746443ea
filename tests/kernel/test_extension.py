"""Issue 5: ``%load_ext codemode_kernel`` in a stock IPython (python3) kernel."""

from __future__ import annotations

MIME = "application/vnd.codemode.query+json"


def test_load_ext_in_a_stock_kernel(start_kernel, data_dir):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "ext-test"}, kernel_name="python3")
    info = k.kc.kernel_info(reply=True, timeout=30)["content"]
    assert info["implementation"] == "ipython"
    assert k.run("helpers").ename == "NameError"
    assert k.run("%%sql\nSELECT 1").ename == "UsageError"

    k.ok("import sys\n%load_ext codemode_kernel")
    # Loading is cheap: pandas and ipywidgets wait for the first query / widget.
    assert k.value("[m in sys.modules for m in ('pandas', 'ipywidgets')]") == [False, False]
    assert k.value("type(helpers).__name__") == "Helpers"
    assert k.value("helpers.session.id") == "ext-test"
    assert k.value("str(helpers.db.path)").startswith(str(data_dir))
    assert "helpers" not in k.ok("%who").stdout

    k.ok("helpers.db.batch_insert('t', [{'a': 1}, {'a': 2}])\nlimit_a = 1")
    cell = k.ok("%%sql\nSELECT a FROM t WHERE a > :limit_a")
    assert cell.results[-1][MIME]["rows"] == [{"a": 2}]
    assert cell.text.splitlines()[-1].startswith("1 row · ")
    assert "codemode-footer" in cell.results[-1]["text/html"]
    # Plain frames stay stock in this kernel too.
    cell = k.ok("import pandas as pd\npd.DataFrame({'a': [1]})")
    assert set(cell.results[-1]) == {"text/plain", "text/html"}

    # A second load keeps the same helpers (and session); no cell timeout here.
    first = k.value("id(helpers)")
    k.ok("%reload_ext codemode_kernel")
    assert k.value("id(helpers)") == first
    k.ok("%reset -f")
    assert k.run("helpers").ename == "NameError"
    k.ok("%reload_ext codemode_kernel")
    assert k.value("(id(helpers), helpers.db.tables())") == (first, ["t"])
    assert k.run("%timeout 5").ename == "UsageError"


def test_load_ext_in_the_codemode_kernel_keeps_its_session(start_kernel):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "own"})
    k.ok("before = helpers")
    k.ok("%load_ext codemode_kernel")
    assert k.value("helpers is before and helpers.session.id == 'own'") is True
    assert k.ok("%sql SELECT 1 AS one").results[-1][MIME]["rows"] == [{"one": 1}]
