"""Issue 17, kind 11: the two-argument trim family is linear and agrees with SQLite's own."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings
from hypothesis import strategies as st

from codemode_kernel.db._functions import register

NATIVE = sqlite3.connect(":memory:")
OURS = sqlite3.connect(":memory:")
register(OURS)

TEXT = st.text(alphabet="ab \tcé😀\x00", max_size=12)
VALUES = st.one_of(
    st.none(),
    TEXT,
    TEXT.map(str.encode),
    st.integers(-(10**18), 10**18),
    st.sampled_from([1.5, -0.25]),
)


@settings(max_examples=600, deadline=None)
@given(VALUES, VALUES, st.sampled_from(["trim", "ltrim", "rtrim"]))
def test_same_result_and_type_as_sqlite(x, chars, name):
    sql = f"SELECT {name}(?, ?)"
    native = NATIVE.execute(sql, (x, chars)).fetchone()[0]
    ours = OURS.execute(sql, (x, chars)).fetchone()[0]
    assert (ours, type(ours)) == (native, type(native))


def test_long_character_set_is_linear():
    # SQLite's own trim takes hours on this (1 MiB x 1 MiB compares); a set lookup does not.
    n = 1_000_000
    sql = f"SELECT length(trim(printf('%.*c', {n}, 'a'), printf('%.*c', {n}, 'b') || 'a'))"
    assert OURS.execute(sql).fetchone() == (0,)
    many = "".join(map(chr, range(0x100, 0x100 + 5000)))
    assert OURS.execute("SELECT rtrim(?, ?)", ("keep" + many, many)).fetchone() == ("keep",)
