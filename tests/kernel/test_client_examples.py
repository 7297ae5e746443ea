"""The ``>>>`` example of ``CodeModeSession`` (the _client module docstring) runs
as written, on a real kernel (tests/unit/test_docstring_examples.py runs the rest)."""

from __future__ import annotations

import doctest

from codemode_kernel import _client


def test_client_module_example_runs(data_dir, monkeypatch):
    monkeypatch.setenv("CODEMODE_DATA_DIR", str(data_dir))
    result = doctest.testmod(
        _client, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=True
    )
    assert result == doctest.TestResults(failed=0, attempted=2)
