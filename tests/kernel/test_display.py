"""Issue 5: how query results display, read from real display messages."""

from __future__ import annotations

import json

import pytest
from kernels import KernelHandle, module_kernel

MIME = "application/vnd.codemode.query+json"
SERIES = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200)"


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    yield from module_kernel(
        tmp_path_factory,
        "helpers.db.create_table('t', 'id INTEGER PRIMARY KEY, name TEXT, score REAL, raw BLOB')\n"
        "helpers.db.exec(\"INSERT INTO t VALUES (1, 'ann', 1.5, x'0001ff'),"
        " (2, 'bob', NULL, NULL), (3, NULL, 3.25, x'')\")",
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    env = {"CODEMODE_DATA_DIR": str(tmp_path_factory.mktemp("s")), "CODEMODE_MAX_ROWS": "5"}
    handle = KernelHandle("codemode", env)
    handle.ok("helpers.db.batch_insert('n', [{'i': i} for i in range(8)])")
    yield handle
    handle.shutdown()


def test_footer_in_html_and_plain_text(k):
    bundle = k.ok("helpers.db.query('SELECT id, name FROM t ORDER BY id')").results[-1]
    plain = bundle["text/plain"]
    assert plain.splitlines()[0].split() == ["id", "name"]
    assert plain.splitlines()[-1].startswith("3 rows · ")
    assert plain.splitlines()[-1].endswith(" ms")
    assert "truncated" not in plain
    html = bundle["text/html"]
    assert "<table" in html and "<td>ann</td>" in html
    assert 'class="codemode-footer"' in html
    assert "3 rows · " in html.split("</table>")[-1]


def test_json_payload(k):
    cell = k.ok("df = helpers.db.query('SELECT * FROM t WHERE id >= ? ORDER BY id', [1])\ndf")
    data = cell.results[-1][MIME]
    assert set(data) >= {"sql", "columns", "rows", "row_count", "truncated", "elapsed_ms"}
    assert data["sql"] == "SELECT * FROM t WHERE id >= ? ORDER BY id"
    assert data["row_count"] == 3 and data["rows_in_payload"] == 3
    assert data["truncated"] is False and data["row_limit"] == 10_000
    assert isinstance(data["elapsed_ms"], float) and data["elapsed_ms"] >= 0
    types = {c["name"]: c["sqlite_type"] for c in data["columns"]}
    assert types == {"id": "INTEGER", "name": "TEXT|NULL", "score": "REAL|NULL", "raw": "BLOB|NULL"}
    assert [c["dtype"] for c in data["columns"]][:1] == ["int64"]
    assert data["rows"] == [
        {"id": 1, "name": "ann", "score": 1.5, "raw": "AAH/"},  # base64 of 00 01 ff
        {"id": 2, "name": "bob", "score": None, "raw": None},  # NaN -> null
        {"id": 3, "name": None, "score": 3.25, "raw": ""},
    ]
    assert data["limits"] == {"rows": 50, "bytes": 65536, "value_chars": 1000}
    json.dumps(data, allow_nan=False)  # strict JSON: no NaN slipped through


def test_payload_datetimes_are_iso(k):
    cell = k.ok(
        "import pandas as pd\n"
        "df = helpers.db.query('SELECT id FROM t ORDER BY id')\n"
        "df['when'] = [pd.Timestamp('2024-05-01 12:30'), pd.NaT, pd.Timestamp('2024-05-02')]\n"
        "df"
    )
    rows = cell.results[-1][MIME]["rows"]
    assert [r["when"] for r in rows] == ["2024-05-01T12:30:00", None, "2024-05-02T00:00:00"]


def test_payload_caps_rows_bytes_and_values(k):
    cell = k.ok(f"helpers.db.query('{SERIES} SELECT i FROM s')")
    data = cell.results[-1][MIME]
    assert data["row_count"] == 200 and data["rows_in_payload"] == 50
    assert data["rows"][-1] == {"i": 50}
    cell = k.ok(
        f"helpers.db.query(\"{SERIES} SELECT i, printf('%.5000c', 'x') AS a,"
        " printf('%.900c', 'y') AS b, printf('%.900c', 'z') AS c FROM s\")"
    )
    data = cell.results[-1][MIME]
    first = data["rows"][0]
    assert len(first["a"]) == 1000 and first["a"].endswith("…")
    assert first["b"] == "y" * 900
    assert 10 < data["rows_in_payload"] < 50
    assert len(json.dumps(data["rows"], ensure_ascii=False).encode()) <= 65536


def test_plain_frames_display_as_stock_pandas(k):
    cell = k.ok(
        "import json, pandas as pd\n"
        "plain = pd.DataFrame({'a': [1, 2], 'b': ['x', None]})\n"
        "derived = helpers.db.query('SELECT * FROM t').head(2)\n"
        "print(json.dumps([repr(plain), plain._repr_html_(), repr(derived),"
        " derived._repr_html_()]))\n"
        "display(plain)\n"
        "display(derived)"
    )
    text, html, dtext, dhtml = json.loads(cell.stdout)
    plain, derived = cell.results
    assert plain == {"text/plain": text, "text/html": html}
    assert derived == {"text/plain": dtext, "text/html": dhtml}


def test_truncation_at_max_rows(small):
    cell = small.ok("helpers.db.query('SELECT i FROM n ORDER BY i')")
    bundle = cell.results[-1]
    last = bundle["text/plain"].splitlines()[-1]
    assert last.startswith("5 rows shown, truncated at max_rows=5")
    assert "LIMIT/WHERE" in last and "helpers.db.browse" in last and "max_rows" in last
    assert "truncated at max_rows=5" in bundle["text/html"]
    data = bundle[MIME]
    assert data["truncated"] is True and data["row_count"] == 5 and data["row_limit"] == 5
    assert [r["i"] for r in data["rows"]] == [0, 1, 2, 3, 4]


def test_truncation_at_a_lower_limit(small):
    cell = small.ok("helpers.db.query('SELECT i FROM n', limit=2)")
    plain = cell.results[-1]["text/plain"]
    assert "2 rows shown, truncated at limit=2" in plain
    assert cell.results[-1][MIME]["truncated"] is True
    untruncated = small.ok("helpers.db.query('SELECT i FROM n LIMIT 4')").results[-1]
    assert "truncated" not in untruncated["text/plain"]
    assert untruncated[MIME]["truncated"] is False
