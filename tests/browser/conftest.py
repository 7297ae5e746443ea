"""Reporting for the browser suite: screenshot paths and run time in the terminal summary.

The tests record each screenshot with ``record_property("screenshot", path)``;
that lands in ``report.user_properties`` (and in JUnit XML), and the summary
below prints the paths whether or not output capture (``-s``) is on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
_SHOTS: list[str] = []
_DURATION: list[float] = []


def _is_browser(report: pytest.TestReport) -> bool:
    return Path(str(report.fspath)).resolve().parent == _HERE


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Lets fixtures see whether the test body failed (for failure screenshots).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _is_browser(report):
        return
    _DURATION.append(report.duration)
    for name, value in report.user_properties:
        if name == "screenshot" and value not in _SHOTS:
            _SHOTS.append(str(value))


def pytest_terminal_summary(terminalreporter) -> None:
    if not _DURATION:
        return
    terminalreporter.write_sep("-", "JupyterLab browser suite")
    terminalreporter.write_line(
        f"browser suite time (setup+tests+teardown): {sum(_DURATION):.1f} s"
    )
    for path in _SHOTS:
        terminalreporter.write_line(f"screenshot: {path}")
