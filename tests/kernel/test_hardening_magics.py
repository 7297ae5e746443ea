"""Issue 17: adversarial cases for the runtime, data-driven from tests/data/hardening/.

Each case asserts the typed error *and* that the effect is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kernels import module_kernel

DATA = Path(__file__).parents[1] / "data" / "hardening"
MIME = "application/vnd.codemode.query+json"


def cases(name: str, key: str) -> list:
    return json.loads((DATA / name).read_text())[key]


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    yield from module_kernel(
        tmp_path_factory,
        "helpers.db.create_table('users', 'id INTEGER PRIMARY KEY, name TEXT')\n"
        "helpers.db.exec(\"INSERT INTO users (name) VALUES ('ann'), ('bob')\")",
    )


@pytest.mark.parametrize("case", cases("magic_injection.json", "cases"), ids=lambda c: c["id"])
def test_line_magic_never_expands_python_into_sql(k, case):
    k.ok(case["setup"])
    cell = k.ok(case["magic"])
    payload = cell.results[-1][MIME] if cell.results else None
    if "-o res" in case["magic"]:
        assert k.value("res.to_dict('records')") == case["rows"]
        k.ok("del res")
    else:
        assert payload["rows"] == case["rows"]
        # The SQL that ran is the text typed, not an expansion of it.
        assert payload["sql"] == case["magic"].removeprefix("%sql ")


@pytest.mark.parametrize("case", cases("out_names.json", "refused"), ids=lambda c: c["name"])
def test_out_refuses_names_that_clobber_the_namespace(k, case):
    name = case["name"]
    before = k.value(f"repr(globals().get({name!r}, 'missing'))")
    cell = k.run(f"%sql -o {name} SELECT 1 AS one")
    assert cell.ename == "UsageError"
    assert cell.evalue == (f"-o/--out {name!r} {case['why']}; store the result under another name")
    # Unchanged, and the kernel still works with what the name held.
    assert k.value(f"repr(globals().get({name!r}, 'missing'))") == before
    assert k.value("len([1, 2]) + (helpers is not None)") == 3


@pytest.mark.parametrize("name", cases("out_names.json", "allowed"))
def test_out_binds_ordinary_names(k, name):
    k.ok(f"%sql -o {name} SELECT 7 AS seven")
    assert k.value(f"int({name}.seven[0])") == 7


def rss_mb(k) -> float:
    return k.value("int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20")


def test_an_oversized_sql_cell_is_refused_before_it_is_parsed(k):
    k.ok("huge = '%%sql\\nSELECT 1 WHERE 1 IN (' + ','.join(['1'] * 2_000_000) + ')'")
    before = rss_mb(k)
    cell = k.run("get_ipython().run_cell_magic('sql', '', huge[6:])")
    assert cell.ename == "ValueError"
    assert cell.evalue.startswith("SQL is 4,000,0") and "the limit is 1,000,000" in cell.evalue
    assert rss_mb(k) - before < 100  # parsing it took 2.25 GB


def test_a_slow_to_parse_sql_cell_stops_at_the_query_timeout(k):
    k.ok("helpers.db.set_limits(query_timeout=1)")
    k.ok("slow = 'SELECT 1 WHERE 1 IN (' + ','.join(map(str, range(140_000))) + ')'")
    cell = k.run("get_ipython().run_cell_magic('sql', '', slow)", timeout=30)
    assert cell.ename == "QueryTimeoutError"
    assert cell.evalue.startswith("checking this 868,911-character SQL text took longer")
    k.ok("helpers.db.set_limits(query_timeout=30)")
    assert k.value("1 + 41") == 42


# -- kind 3: limits the operator set have ceilings --------------------------------

CEILINGS = json.loads((DATA / "ceilings.json").read_text())


@pytest.fixture(scope="module")
def capped(tmp_path_factory):
    from kernels import KernelHandle

    env = {"CODEMODE_DATA_DIR": str(tmp_path_factory.mktemp("c")), **CEILINGS["env"]}
    handle = KernelHandle("codemode", env)
    yield handle
    handle.shutdown()


def limits(k) -> dict:
    return k.value("helpers.db.set_limits()")


@pytest.mark.parametrize("case", CEILINGS["refused"], ids=lambda c: c["code"])
def test_no_limit_goes_above_its_ceiling(capped, case):
    before = limits(capped)
    cell = capped.run(case["code"])
    assert cell.ename == "CeilingError"
    assert cell.evalue.startswith(case["error"])
    assert limits(capped) == before
    # The refusal is in the log, with what was asked.
    entry = capped.value("helpers.db.logs(1).iloc[0][['kind', 'sql', 'error']].tolist()")
    assert entry[0] in ("set_limits", "timeout")
    assert entry[2].startswith("CeilingError: " + case["error"][:30])


@pytest.mark.parametrize("case", CEILINGS["allowed"], ids=lambda c: c["code"])
def test_limits_move_freely_up_to_the_ceiling(capped, case):
    assert capped.value(case["code"]) == case["result"]
    entry = capped.value("helpers.db.logs(1).iloc[0][['kind', 'sql', 'error']].tolist()")
    assert entry[0] == "set_limits" and entry[1] == case["code"].removeprefix("helpers.db.")
    assert entry[2] is None


def test_a_per_cell_timeout_above_the_ceiling_is_lowered_to_it(capped):
    cell = capped.run("%%timeout 3600\nprint('ran')")
    assert cell.status == "ok" and cell.stdout == "ran\n"
    assert "above the ceiling of 20 s (CODEMODE_CELL_TIMEOUT_MAX); this cell runs with 20 s" in (
        cell.stderr
    )
    cell = capped.run("%timeout 10")
    assert cell.status == "ok"
    assert capped.value("helpers.db.logs(1).iloc[0][['kind', 'sql']].tolist()") == [
        "timeout",
        "%timeout 10",
    ]


def test_without_operator_settings_there_is_no_ceiling(k):
    assert k.value("helpers.db.set_limits(max_rows=1_000_000)")["max_rows"] == 1_000_000
    assert k.run("%timeout 0").status == "ok"
    k.ok("%timeout 300")
