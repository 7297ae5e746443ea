"""Issue 18, in-process: the ladder's policy, the forced stop's trace, the exit timer.

The forced stop is driven exactly as in the kernel: a thread sends SIGINT to
the main thread, whose handler installs the trace (no kernel needed for
these; tests/test_timeout_ladder.py runs the same through real kernels).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from codemode_kernel._exit_timer import ExitTimer, take_note
from codemode_kernel._forced_stop import ForcedStop
from codemode_kernel._ladder import EXIT_CODE, Ladder
from codemode_kernel.errors import CellTimeoutError

CELL = "<cell-under-test>"
PACKAGE_DIR = str(Path(__file__).resolve().parents[2] / "codemode_kernel")


def test_ladder_step_times():
    ladder = Ladder(limit=1.0, grace=0.5)
    assert (ladder.force_after, ladder.exit_after) == (1.5, 2.0)
    assert Ladder(limit=0.0, grace=2.0).exit_after is None  # no limit, no ladder
    note = ladder.exit_note("[7] (msg_id m)", started=0.0)
    assert note.startswith("codemode: cell [7] (msg_id m), started 1970-01-01T00:00:00Z, ran 2 s")
    assert "exit code 1" in note and note.endswith("\n")


def test_take_note_reports_only_a_fired_timer(tmp_path):
    note = tmp_path / "kernel-exit.txt"
    assert take_note(note) is None  # no file
    note.write_text("codemode: cell [1] ...\n")  # written for a cell that ended in time
    assert take_note(note) is None
    note.write_text("codemode: cell [2] ...\nTimeout (0:00:02)!\nThread 0x1 ...\n")
    assert take_note(note).startswith("codemode: cell [2]")
    assert note.read_text() == ""  # reported once


def _run_child(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent(
        f"""
        import re, sys, time
        sys.path.insert(0, {str(root)!r})
        from codemode_kernel._exit_timer import ExitTimer
        timer = ExitTimer({str(tmp_path / "note.txt")!r})
        """
    ) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)


def test_exit_timer_exits_a_gil_holding_call(tmp_path):
    child = _run_child(
        tmp_path,
        """
        timer.arm(0.3, "codemode: cell [1] ran too long\\n")
        re.match(r'(a+)+$', 'a' * 64 + 'b')
        print("not reached")
        """,
    )
    assert child.returncode == EXIT_CODE
    assert child.stdout == b""
    note = (tmp_path / "note.txt").read_text()
    assert note.startswith("codemode: cell [1] ran too long\nTimeout (")
    assert "re/__init__.py" in note  # where the main thread was stuck


def test_exit_timer_cancelled_in_time(tmp_path):
    child = _run_child(
        tmp_path,
        """
        for i in range(3):
            timer.arm(0.3, f"codemode: cell [{i}]\\n")
            timer.cancel()
        time.sleep(0.6)
        print("alive")
        """,
    )
    assert (child.returncode, child.stdout) == (0, b"alive\n")
    assert (tmp_path / "note.txt").read_text() == "codemode: cell [2]\n"


def test_exit_timer_falls_back_to_stderr_without_its_note(tmp_path):
    timer = ExitTimer(tmp_path / "gone" / "note.txt")  # the directory does not exist
    try:
        timer.arm(30, "message\n")  # must not raise: the exit step does not need the note
        assert timer.armed
    finally:
        timer.close()
    assert not timer.armed


@pytest.fixture
def forced():
    """A ForcedStop for cells compiled with filename CELL, plus a SIGINT handler that
    installs it (as CellTimeouts._force does) once ``force`` is set."""
    stop = ForcedStop(lambda name: name == CELL, PACKAGE_DIR, lambda: CellTimeoutError("limit"))
    state = {"force": False}

    def handler(signum, frame):
        if not state["force"]:
            raise CellTimeoutError("limit")  # steps 1-2: a plain raise, easy to swallow
        where = stop.where(frame)
        if where is not None:
            stop.install(frame)
            if where == "raise":
                raise CellTimeoutError("limit")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop, state
    finally:
        stop.remove()
        signal.signal(signal.SIGINT, previous)


def _signal_later(state: dict, plain: int, forced: int) -> threading.Thread:
    main = threading.main_thread().ident

    def run():
        for i in range(plain + forced):
            time.sleep(0.1)
            state["force"] = i >= plain
            signal.pthread_kill(main, signal.SIGINT)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


#: Each sleeps, so the plain SIGINTs of steps 1-2 land inside a protected sleep.
SWALLOWERS = {
    "except_base_exception": """
        import time
        n = 0
        while True:
            try:
                time.sleep(0.01)
            except BaseException as e:
                n += 1
        """,
    "finally_swallows": """
        import time
        try:
            while True:
                time.sleep(0.01)
        finally:
            while True:
                try:
                    time.sleep(0.01)
                except BaseException:
                    pass
        """,
    "exit_swallows": """
        import contextlib, time
        while True:
            with contextlib.suppress(BaseException):
                while True:
                    time.sleep(0.01)
        """,
}


@pytest.mark.parametrize("case", list(SWALLOWERS))
def test_forced_stop_escapes_swallowing_code(forced, case):
    stop, state = forced
    code = compile(textwrap.dedent(SWALLOWERS[case]), CELL, "exec")
    before = sys.gettrace()
    _signal_later(state, plain=2, forced=1)
    with pytest.raises(CellTimeoutError):
        exec(code, {})
    assert stop.raised >= 1
    stop.remove()
    assert sys.gettrace() is before
    assert not stop.active


def test_guarded_tells_the_lines_a_handler_covers(forced):
    stop, _ = forced
    seen = []

    def probe(label):
        seen.append((label, stop.guarded(sys._getframe(1))))

    src = """
        probe('top')
        try:
            probe('try body')
        except BaseException:
            pass
        try:
            raise KeyError
        except KeyError as e:
            probe('handler body')
        with open(__file__) as f:
            probe('with body')
        """
    exec(compile(textwrap.dedent(src), CELL, "exec"), {"probe": probe, "__file__": __file__})
    assert seen == [
        ("top", False),
        ("try body", True),
        ("handler body", False),  # only the compiler's re-raising clean-up covers it
        ("with body", True),
    ]
