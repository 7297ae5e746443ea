"""Issue 19: every error raised by helpers or the magics shows the user's frames
and the message, never this package's internals (read from the real error
reply a client receives)."""

from __future__ import annotations

import pytest
from kernels import module_kernel

PACKAGE_PATH = "codemode_kernel/"


@pytest.fixture(scope="module")
def k(tmp_path_factory):
    yield from module_kernel(
        tmp_path_factory,
        "helpers.db.create_table('t', 'id INTEGER PRIMARY KEY, name TEXT')\n"
        "helpers.db.batch_insert('t', [{'id': 1, 'name': 'ann'}])",
    )


def frames(tb: str) -> list[str]:
    """The "Cell In[..]" / "File ..." header lines of a traceback."""
    return [ln for ln in tb.splitlines() if ln.startswith(("Cell In", "File "))]


# (code, ename, start of evalue, number of user frames shown)
CASES = [
    (
        "%%sql\nSELECT * FROM t WHERE name = :nope",
        "NameError",
        "%%sql placeholder :nope has no value: define nope in the notebook first",
        0,
    ),
    (
        "helpers.db.query('SELECT 1', limit=-3)",
        "ValueError",
        "limit must be a positive int, got -3",
        1,
    ),
    ("helpers.db.query('SELECT 1', limit='x')", "TypeError", "limit must be an int, got str", 1),
    ("%%sql\nATTACH DATABASE 'x.db' AS x", "SQLBlockedError", "ATTACH is not allowed", 0),
    ("%sql PRAGMA writable_schema = 1", "SQLBlockedError", "PRAGMA is not allowed", 1),
    (
        "def load():\n    return helpers.db.query('SELECT * FROM nosuch')\n\nload()",
        "OperationalError",
        "no such table: nosuch",
        2,
    ),
    ("helpers.db.browse('t', page_size=0)", "ValueError", "page_size must be a positive int", 1),
    ("helpers.db.save_state(1, 'x')", "StateError", "", 1),
]


@pytest.mark.parametrize(("code", "ename", "evalue", "n_frames"), CASES)
def test_error_shows_user_frames_and_message_only(k, code, ename, evalue, n_frames):
    cell = k.run(code)
    assert cell.ename == ename, (cell.ename, cell.evalue)
    assert cell.evalue.startswith(evalue), cell.evalue
    tb = cell.traceback
    assert PACKAGE_PATH not in tb, tb
    assert "run_cell_magic" not in tb and "site-packages" not in tb, tb
    shown = frames(tb)
    assert len(shown) == n_frames, tb
    assert all(f.startswith("Cell In[") for f in shown), shown
    assert tb.rstrip().splitlines()[-1].startswith(f"{ename}: "), tb
    # The iopub error message (what Lab renders) is the same short traceback.
    errors = [m["content"] for m in cell.messages if m["msg_type"] == "error"]
    assert len(errors) == 1 and PACKAGE_PATH not in "\n".join(errors[0]["traceback"])


def test_a_cell_magic_error_is_the_message_alone(k):
    cell = k.run("%%sql\nATTACH DATABASE 'x.db' AS x")
    lines = [ln for ln in cell.traceback.splitlines() if ln.strip()]
    assert lines[0].startswith("SQLBlockedError: ATTACH is not allowed"), cell.traceback
    assert "Traceback" not in cell.traceback


def test_errors_that_never_touch_the_package_display_as_stock_ipython(k):
    cell = k.run("def f():\n    return 1 / 0\n\nf()")
    assert cell.ename == "ZeroDivisionError"
    assert "Traceback (most recent call last)" in cell.traceback
    assert len(frames(cell.traceback)) == 2
    # A SyntaxError raised at run time keeps IPython's SyntaxError display.
    syntax = k.run("exec('x = (')")
    assert syntax.ename == "SyntaxError" and "Cell In[" in syntax.traceback
    # A UsageError from the magics stays IPython's one-line usage error.
    usage = k.run("%sql --limit 0 SELECT 1")
    assert usage.ename == "UsageError"
    assert usage.evalue == "--limit needs a positive number of rows, got '0'"


def test_the_kernel_keeps_working_and_debug_sees_the_full_traceback(k):
    k.run("helpers.db.query('SELECT 1', limit=-3)")
    # sys.last_traceback keeps every frame, so %debug can still go inside.
    out = k.ok(
        "import sys, traceback\n"
        "print(any('codemode_kernel' in f.filename"
        " for f in traceback.extract_tb(sys.last_traceback)))"
    )
    assert out.stdout.strip() == "True"
    assert k.value("int(helpers.db.query('SELECT count(*) AS n FROM t')['n'][0])") == 1
