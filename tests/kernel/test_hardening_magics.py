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
