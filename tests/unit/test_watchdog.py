"""The cell-timeout core without a kernel: limits, and the Watchdog with a fake fire."""

from __future__ import annotations

import threading

import pytest

from codemode_kernel._watchdog import (
    Watchdog,
    limit_for,
    parse_cell_magic,
    parse_limit,
    timeout_message,
)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("5", 5.0), (2.5, 2.5), (0, 0.0), ("off", 0.0), ("None", 0.0), (" 0 ", 0.0), ("1e3", 1e3)],
)
def test_parse_limit(raw, value):
    assert parse_limit(raw) == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (True, "timeout must be a number of seconds, got True"),
        ("abc", "timeout must be a number of seconds, got 'abc'"),
        (None, "timeout must be a number of seconds, got None"),
        (-1, "timeout must be a finite number >= 0, got -1"),
        ("inf", "timeout must be a finite number >= 0, got 'inf'"),
    ],
)
def test_parse_limit_refuses(raw, message):
    with pytest.raises(ValueError) as err:
        parse_limit(raw)
    assert str(err.value) == message


def test_parse_cell_magic():
    assert parse_cell_magic("%%timeout 5\nx = 1") == 5.0
    assert parse_cell_magic("\n  \n%%timeout off\nx") == 0.0
    assert parse_cell_magic("x = 1\n%%timeout 5") is None  # not the first line
    assert parse_cell_magic("%%timeout abc\nx") is None  # left for the magic to report
    assert parse_cell_magic("%%timeout\nx") is None


def test_limit_precedence():
    kernel = (300.0, "CODEMODE_CELL_TIMEOUT")
    meta = {"codemode": {"timeout": 7}}
    assert limit_for("%%timeout 5\nx", meta, *kernel) == (5.0, "%%timeout", None)
    assert limit_for("x", meta, *kernel) == (7.0, "execute request metadata", None)
    assert limit_for("x", {}, *kernel) == (300.0, "CODEMODE_CELL_TIMEOUT", None)
    assert limit_for("x", None, 0.0, "%timeout") == (0.0, "%timeout", None)
    bad = limit_for("x", {"codemode": {"timeout": "soon"}}, *kernel)
    assert bad == (
        300.0,
        "CODEMODE_CELL_TIMEOUT",
        "codemode: ignored metadata codemode.timeout: timeout must be a number of seconds,"
        " got 'soon'",
    )


def test_timeout_message_names_the_limit_and_the_ways_to_change_it():
    text = timeout_message(5, "%%timeout")
    assert text.startswith("the cell ran longer than its 5 s limit (%%timeout) and was interrupted")
    for way in ("'%%timeout N'", "'%timeout N'", '{"codemode": {"timeout": N}}', "CELL_TIMEOUT"):
        assert way in text


class FakeFire:
    """Records each call of the watchdog's fire callback."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.event = threading.Event()

    def __call__(self, kind: str) -> None:
        self.kinds.append(kind)
        self.event.set()

    def wait(self) -> str:
        assert self.event.wait(10), "the watchdog did not fire"
        self.event.clear()
        return self.kinds[-1]


def test_fires_at_the_deadline_and_again_until_the_cell_ends():
    fire = FakeFire()
    dog = Watchdog(fire, refire=0.01)
    try:
        generation = dog.begin(0.01)
        assert fire.wait() == "timeout" and dog.fired
        assert dog.claim() == "timeout"
        assert fire.wait() == "timeout"  # re-fired: a swallowed interrupt is hit again
        assert dog.end() is True
        assert dog.generation == generation + 1 and not dog.active
    finally:
        dog.stop()


def test_a_signal_after_its_cell_ended_is_stale():
    fire = FakeFire()
    dog = Watchdog(fire, refire=60)
    try:
        dog.begin(0.01)
        fire.wait()
        dog.end()  # the cell ended before the signal handler ran
        assert dog.claim() == "stale"
        assert dog.claim() is None  # and nothing else was sent
    finally:
        dog.stop()


def test_no_deadline_never_fires_and_retry_signals_the_running_cell():
    fire = FakeFire()
    dog = Watchdog(fire)
    try:
        dog.begin(0)  # 0 = no limit
        assert dog.claim() is None  # the Interrupt button, not the watchdog
        dog.retry("interrupt", delay=0.0)
        assert fire.wait() == "interrupt"
        assert dog.claim() == "interrupt"
        assert dog.end() is False and fire.kinds == ["interrupt"]
        dog.retry("interrupt")  # no cell runs: nothing to do
        assert dog.claim() is None
    finally:
        dog.stop()
