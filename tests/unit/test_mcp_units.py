"""The MCP server's pure parts: limits, result conversion, the CLI's checks (no kernels)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codemode_kernel._client import QUERY_MIME, Execution, ExecutionError
from codemode_kernel._mcp_cli import _parser, config_snippet, is_loopback
from codemode_kernel._mcp_results import (
    bundle_text,
    cap,
    downscale,
    execution_blocks,
    html_text,
    text_table,
)
from codemode_kernel._mcp_server import clamp_timeout


@pytest.mark.parametrize(
    ("requested", "default", "maximum", "expected"),
    [
        (None, 300, 3600, 300),
        (0, 300, 3600, 300),  # 0 is the default, never "expire now"
        (10, 300, 3600, 10),
        (1e9, 300, 3600, 3600),  # never above the operator's ceiling
        (None, 0, 3600, 3600),  # a default of "off" still has the ceiling
        (None, 5000, 3600, 3600),
    ],
)
def test_clamp_timeout(requested, default, maximum, expected):
    assert clamp_timeout(requested, default, maximum) == expected


@pytest.mark.parametrize("requested", [-5, -0.001, float("nan"), float("inf"), float("-inf")])
def test_clamp_timeout_refuses_what_is_not_a_duration(requested):
    with pytest.raises(ValueError) as err:
        clamp_timeout(requested, 300, 3600)
    assert str(err.value) == (
        f"timeout={requested!r} is not a number of seconds: give a positive number (at most"
        " 3600), or 0 or nothing for the server's default (300 s)"
    )


@given(st.text(), st.integers(1, 500))
def test_cap_keeps_a_prefix_and_says_so(text, limit):
    out = cap(text, limit)
    if len(text) <= limit:
        assert out == text
    else:
        assert out.startswith(text[:limit])
        assert out.endswith(f"[... output truncated at {limit:,} characters (--max-output) ...]")


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


@given(st.integers(1, 1500), st.integers(1, 600), st.integers(50, 1000))
def test_downscale_keeps_the_aspect_and_never_upscales(w, h, width):
    from PIL import Image

    data = _png(w, h)
    out, size, new = downscale(data, width)
    assert size == (w, h)
    if w <= width:
        assert out is data and new == size
    else:
        got = Image.open(io.BytesIO(out)).size
        assert got == new and got[0] == width
        assert abs(got[1] - h * width / w) <= 1


def test_execution_blocks_order_budget_and_images():
    stored: list[tuple[str, bytes]] = []

    def store(mime: str, data: bytes) -> str:
        stored.append((mime, data))
        return f"codemode://outputs/{len(stored)}"

    png = _png(1200, 300)
    ex = Execution(
        stdout="a" * 80,
        stderr="warn\n",
        results=[
            {QUERY_MIME: {"rows": [{"x": 1}]}, "text/plain": "table"},
            {"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"},
            {"text/plain": "42"},
        ],
        error=ExecutionError("ValueError", "bad", "ValueError: bad"),
        execution_count=3,
        duration_s=0.5,
    )
    blocks = execution_blocks(ex, max_output=100, image_width=600, store=store)
    kinds = [b.type for b in blocks]
    assert kinds == ["text", "text", "text", "image", "resource_link", "text", "text"]
    assert blocks[0].text == "a" * 80
    assert blocks[1].text == "[stderr]\nwarn\n"
    # The budget of 100 characters ran out in the payload: cut with the marker.
    assert blocks[2].text.startswith('{"rows": [{"x": 1}]}'[:6])
    assert "truncated at 6 characters" in blocks[2].text
    assert stored == [("image/png", png)]
    assert str(blocks[4].uri) == "codemode://outputs/1"
    assert "1200x300" in blocks[4].description
    assert blocks[5].text == "ValueError: bad"  # shown although the budget ran out
    facts = json.loads(blocks[-1].text)
    assert facts == {
        "ok": False,
        "duration_s": 0.5,
        "truncated_output": True,
        "execution_count": 3,
        "ename": "ValueError",
    }


def test_an_image_shown_twice_is_sent_once_and_an_unkept_one_has_no_link():
    png = base64.b64encode(_png(1200, 300)).decode()
    ex = Execution(results=[{"image/png": png}, {"image/png": png, "text/plain": "<Figure>"}])
    blocks = execution_blocks(ex, max_output=1000, image_width=600, store=lambda m, d: None)
    assert [b.type for b in blocks] == ["image", "text"]


@pytest.mark.parametrize(
    ("bundle", "text"),
    [
        (
            {
                "text/html": "<b>bold</b> &amp; <i>more</i>",
                "text/plain": "<IPython.core.display.HTML object>",
            },
            "bold & more",
        ),
        ({"text/html": "<p>x</p>", "text/markdown": "**x**"}, "**x**"),
        (
            {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1"},
            "   a\n0  1",
        ),  # a DataFrame's own text is better than its HTML
        ({"text/plain": "<Foo object at 0x7f00>"}, "<Foo object at 0x7f00>"),
        ({"image/svg+xml": "<svg/>"}, None),
    ],
)
def test_bundle_text(bundle, text):
    assert bundle_text(bundle) == text


def test_html_text_drops_tags_scripts_and_styles():
    markup = (
        "<style>b{color:red}</style><h1>Title</h1><p>Hello <b>world</b></p>"
        "<script>alert(1)</script><table><tr><th>k</th><td>v</td></tr></table>"
    )
    assert html_text(markup) == "Title\nHello world\n| k | v"


def test_text_table_of_rows_and_of_a_write():
    result = {
        "columns": ["id", "name"],
        "rows": [[1, "ann"], [2, None]],
        "row_count": 2,
        "truncated": True,
        "elapsed_ms": 1.25,
    }
    assert text_table(result, 10_000).splitlines() == [
        "id | name",
        "---+-----",
        "1  | ann ",
        "2  | NULL",
        "2 rows, truncated: the query has more rows; add WHERE/LIMIT or raise limit · 1.2 ms",
    ]
    write = {"columns": [], "rows": [], "row_count": 0, "rows_affected": 3, "elapsed_ms": 2.0}
    assert text_table(write, 10_000) == "OK: 3 row(s) affected · 2.0 ms"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("LOCALHOST", True),  # host names are case-insensitive
        ("localhost.", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.org", False),
        ("::", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


# -- the sql tool's values, against plain sqlite3 ------------------------------

VALUES = st.one_of(
    st.none(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=1_200),
    st.binary(max_size=900),
)


def _as_json(value):
    """What the sql tool promises for one value of a pandas frame (the payload's rules)."""
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, float) and value != value:
        return None  # NaN: SQL NULL in a float column
    if isinstance(value, bytes):
        value = base64.b64encode(value).decode("ascii")
    if isinstance(value, str) and len(value) > 1_000:
        return value[:999] + "…"
    return value


@settings(deadline=None, max_examples=30)
@given(st.lists(st.tuples(VALUES, VALUES, VALUES), max_size=12))
def test_sql_result_rows_equal_sqlite3_rows(tmp_path_factory, rows):
    import sqlite3
    import types

    from codemode_kernel._mcp_cell import sql_result
    from codemode_kernel._settings import Settings
    from codemode_kernel._store import SessionStore
    from codemode_kernel.db import Database

    settings = Settings(data_dir=tmp_path_factory.mktemp("prop") / "sessions")
    session = SessionStore(settings.sessions_dir).open("prop")
    db = Database(session, settings)
    try:
        db.exec("CREATE TABLE t(a, b, c)")
        for row in rows:
            db.exec("INSERT INTO t VALUES (?, ?, ?)", row)
        helpers = types.SimpleNamespace(db=db, settings=settings)
        args = {"sql": "SELECT a, b, c FROM t ORDER BY rowid", "limit": 100, "max_chars": 10**9}
        got = sql_result(helpers, args)
        with sqlite3.connect(session.db_path) as con:
            raw = con.execute(args["sql"]).fetchall()
        # The baseline: plain sqlite3's own values, as docs/conversions.md
        # says they come back: integers with NULLs stay exact integers; a
        # column of only integers and reals is float64 (as in read_sql).
        mixed = [
            {type(r[i]) for r in raw if r[i] is not None} == {int, float}
            # ... unless an integer is beyond 2**53: then the column stays exact.
            and all(abs(r[i]) <= 2**53 for r in raw if isinstance(r[i], int))
            for i in range(3)
        ]
        expected = [
            [_as_json(float(v) if mixed[i] and isinstance(v, int) else v) for i, v in enumerate(r)]
            for r in raw
        ]
        # JSON text equality: 1 and 1.0 differ, so a type change would show.
        assert json.dumps(got["rows"]) == json.dumps(expected)
        assert got["row_count"] == len(raw) and got["truncated"] is False
        assert got["columns"] == ["a", "b", "c"]
    finally:
        db.close()
        session.release()


def test_print_config_for_http_points_at_the_url_with_the_token():
    argv = ["--http", "--host", "0.0.0.0", "--port", "9000", "--token", "t0k"]
    entry = config_snippet(_parser().parse_args(argv), argv)["mcpServers"]["codemode"]
    assert entry == {
        "type": "http",
        "url": "http://127.0.0.1:9000/mcp",
        "headers": {"Authorization": "Bearer t0k"},
    }
    argv = ["--http", "--host", "::1"]
    entry = config_snippet(_parser().parse_args(argv), argv)["mcpServers"]["codemode"]
    assert entry == {"type": "http", "url": "http://[::1]:8765/mcp"}
