"""Issue 19: charts arrive as image/png in CodeModeSession results."""

from __future__ import annotations

import base64
import os

import pytest


@pytest.mark.parametrize("backend", ["inline", "Agg"])
def test_charts_arrive_as_png_in_codemode_session(tmp_path, backend):
    from codemode_kernel._client import CodeModeSession

    # ipykernel picks its inline backend when MPLBACKEND is unset; a headless
    # agent may run with MPLBACKEND=Agg: both must deliver one image/png.
    env = {"MPLBACKEND": "Agg"} if backend == "Agg" else {}
    saved = os.environ.pop("MPLBACKEND", None)
    try:
        session = CodeModeSession(data_dir=tmp_path / "s", env=env)
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved
    with session as s:
        s.run("helpers.db.batch_insert('t', [{'x': i % 17, 'g': 'ab'[i % 2]} for i in range(300)])")
        ex = s.run("ax = helpers.plot.histogram('t', 'x', bins=17)\nax")
        assert ex.ok, ex.error
        pngs = [r for r in ex.results if "image/png" in r]
        assert len(pngs) == 1
        assert base64.b64decode(pngs[0]["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
        texts = [r["text/plain"] for r in ex.results if "image/png" not in r]
        assert len(texts) == 1 and texts[0].startswith("<Axes: title={'center': 't: x'}")
        data = s.run("print(ax.data['count'].tolist())")
        assert data.stdout.strip() == str([18] * 11 + [17] * 6)
        # A blocked where= is the guard's error, shown without our frames.
        bad = s.run("helpers.plot.bar('t', 'g', where='x IN (SELECT 1)')")
        assert bad.error.ename == "ValueError" and "codemode_kernel/" not in bad.error.traceback
