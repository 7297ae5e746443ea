"""The cell-timeout ladder (issue 18): overshoot per runaway kind, and what it costs.

- Overshoot: each runaway cell of tests/kernel/test_timeout_ladder.py plus the C-level
  one, ``ladder_runs`` times in one kernel (limit ``ladder_limit``, grace
  ``ladder_grace``), reply time - limit at the client; the C-level cell is
  measured to the kernel process's exit (then the kernel is restarted).
- Round trip: a trivial cell on this code vs the code before the ladder
  (``git archive`` of the parent of the commit that added
  ``codemode_kernel/_forced_stop.py``), two kernels, ABBA blocks.
- After a forced stop: a CPU-bound cell timed inside the kernel before any
  runaway cell and after one that needed the forced stop (the trace must be gone).
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from .harness import Config, Row, fmt_time, ratio
from .kernel_client import Kernel

__all__ = ["run"]

ROOT = Path(__file__).resolve().parents[1]
WIDE = {"codemode": {"timeout": 120}}
#: Defines a CPU-bound function whose run time user_expressions reads back.
CPU_DEF = (
    "def _cm_cpu():\n    import time\n    t = time.perf_counter()\n"
    "    sum(i * i for i in range(300_000))\n    return time.perf_counter() - t"
)


def _cases() -> dict[str, str]:
    paths = [str(ROOT / "tests"), str(ROOT / "tests" / "kernel")]  # kernels, the cases
    sys.path[:0] = paths
    try:
        from test_timeout_ladder import C_LEVEL, CASES
    finally:
        for p in paths:
            sys.path.remove(p)
    return {**{name: code for name, (code, _step) in CASES.items()}, "c_level_regex": C_LEVEL}


def _env(cfg: Config, data: Path) -> dict[str, str]:
    return {
        "CODEMODE_DATA_DIR": str(data),
        "CODEMODE_CELL_TIMEOUT": "0",
        "CODEMODE_CELL_TIMEOUT_GRACE": str(cfg.ladder_grace),
    }


def _python_case(k: Kernel, code: str, cfg: Config) -> float:
    """Seconds past the limit until the reply."""
    meta = {"codemode": {"timeout": cfg.ladder_limit}}
    start = time.perf_counter()
    reply = k.run(code, metadata=meta, timeout=120)
    over = time.perf_counter() - start - cfg.ladder_limit
    if reply.get("ename") != "CellTimeoutError":
        raise AssertionError(f"expected CellTimeoutError, got {reply.get('ename')}")
    return over


def _step(k: Kernel) -> str:
    """The last ladder step the previous cell needed."""
    reply = k.run(
        "pass",
        metadata=WIDE,
        user_expressions={"s": "'force' in get_ipython().kernel.timeouts.last_steps"},
    )
    forced = reply["user_expressions"]["s"]["data"]["text/plain"] == "True"
    return "force" if forced else "interrupt/refire"


def _c_level_case(k: Kernel, code: str, cfg: Config) -> float:
    """Seconds past the limit until the kernel process exits; then restart it."""
    content = dict(code=code, silent=False, store_history=True, user_expressions={})
    msg = k.kc.session.msg(
        "execute_request", content, metadata={"codemode": {"timeout": cfg.ladder_limit}}
    )
    start = time.perf_counter()
    k.kc.shell_channel.send(msg)
    while k.km.is_alive():
        time.sleep(0.005)
        if time.perf_counter() - start > 60:
            raise AssertionError("the C-level cell did not end the kernel")
    over = time.perf_counter() - start - cfg.ladder_limit
    k.km.restart_kernel(now=True)
    k.kc.wait_for_ready(timeout=60)
    k.ok("1", metadata=WIDE)
    return over


def _overshoot(cfg: Config, tmp: Path) -> list[Row]:
    cases = _cases()
    k = Kernel("codemode", _env(cfg, tmp / "overshoot"))
    rows = []
    bound = cfg.ladder_grace + 0.5
    try:
        k.ok(
            "helpers.db.batch_insert('t', [{'id': 1}])\nhelpers.db.query('SELECT 1')", metadata=WIDE
        )
        for name, code in cases.items():
            over, steps = [], set()
            for _ in range(cfg.ladder_runs):
                if name == "c_level_regex":
                    over.append(_c_level_case(k, code, cfg))
                    steps.add("exit")
                else:
                    over.append(_python_case(k, code, cfg))
                    steps.add(_step(k))
            med, worst = statistics.median(over), max(over)
            limit = 2 * cfg.ladder_grace + 0.5 if name == "c_level_regex" else bound
            rows.append(
                Row(
                    f"ladder overshoot: {name} (limit {cfg.ladder_limit:g} s,"
                    f" grace {cfg.ladder_grace:g} s)",
                    f"{med * 1e3:.0f} ms (worst {worst * 1e3:.0f} ms, {len(over)} runs;"
                    f" step: {'/'.join(sorted(steps))})",
                    "—",
                    "—",
                    f"worst ≤ {limit * 1e3:.0f} ms",
                    worst <= limit,
                )
            )
    finally:
        k.shutdown()
    return rows


@contextlib.contextmanager
def _baseline_code(tmp: Path):
    """The package as it was before the ladder (None outside a git checkout)."""
    try:
        added = subprocess.run(
            [
                "git",
                "log",
                "--diff-filter=A",
                "--format=%H",
                "--",
                "codemode_kernel/_forced_stop.py",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        added = []
    if not added:
        yield None, None
        return
    ref = subprocess.run(
        ["git", "rev-parse", "--short", f"{added[-1]}^"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    out = tmp / "baseline"
    out.mkdir()
    archive = tmp / "baseline.tar"
    subprocess.run(
        ["git", "archive", "--output", str(archive), ref, "codemode_kernel"], cwd=ROOT, check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    yield out, ref


def _round_trip(cfg: Config, tmp: Path) -> Row:
    with _baseline_code(tmp) as (base_dir, ref):
        if base_dir is None:
            return Row(
                "trivial cell round trip vs before the ladder",
                "no git checkout",
                "—",
                "—",
                "—",
                None,
            )
        ours = Kernel(
            "codemode", _env(cfg, tmp / "rt-ours") | {"CODEMODE_CELL_TIMEOUT": "300"}, cwd=str(ROOT)
        )
        base = Kernel(
            "codemode",
            _env(cfg, tmp / "rt-base")
            | {"CODEMODE_CELL_TIMEOUT": "300", "PYTHONPATH": str(base_dir)},
            cwd=str(base_dir),
        )
        try:
            where = base.run("", user_expressions={"f": "__import__('codemode_kernel').__file__"})
            assert str(base_dir) in where["user_expressions"]["f"]["data"]["text/plain"]
            samples = {"ours": [], "base": []}
            pair = [("ours", ours), ("base", base)]
            for k in (ours, base):
                for _ in range(5):
                    k.ok("x = 1")
            done = 0
            while done < cfg.round_trips:
                pair.reverse()
                for name, k in pair:
                    for _ in range(min(10, cfg.round_trips - done)):
                        t = time.perf_counter()
                        k.ok("x = 1")
                        samples[name].append(time.perf_counter() - t)
                done += 10
        finally:
            ours.shutdown()
            base.shutdown()
    med = {k: statistics.median(v) for k, v in samples.items()}
    r = ratio(med["ours"], med["base"])
    return Row(
        "trivial cell round trip, 300 s limit (the exit timer armed per cell)",
        fmt_time(med["ours"]),
        f"the code before the ladder ({ref}) {fmt_time(med['base'])}",
        f"{r:.2f}×",
        "≤ 1.05×",
        r <= 1.05,
    )


def _after_forced_stop(cfg: Config, tmp: Path) -> Row:
    k = Kernel("codemode", _env(cfg, tmp / "after"))
    try:
        k.ok(CPU_DEF, metadata=WIDE)
        before = _cpu(k)
        _python_case(k, _cases()["except_base_exception"], cfg)
        if _step(k) != "force":
            raise AssertionError("the cell did not need the forced stop")
        after = _cpu(k)
    finally:
        k.shutdown()
    r = ratio(after, before)
    return Row(
        "CPU-bound cell after a forced stop (the trace is removed)",
        fmt_time(after),
        f"same cell before any timeout {fmt_time(before)}",
        f"{r:.2f}×",
        "≤ 1.10×",
        r <= 1.10,
    )


def _cpu(k: Kernel) -> float:
    """Median seconds of ``_cm_cpu()`` over 7 runs, timed inside the kernel."""
    times = []
    for _ in range(7):
        reply = k.run("pass", metadata=WIDE, user_expressions={"t": "_cm_cpu()"})
        times.append(float(reply["user_expressions"]["t"]["data"]["text/plain"]))
    return statistics.median(times)


def _arm_cost(cfg: Config) -> Row:
    """In-process: ExitTimer.arm + cancel, what every cell with a limit pays."""
    from codemode_kernel._exit_timer import ExitTimer

    with tempfile.TemporaryDirectory() as d:
        timer = ExitTimer(Path(d) / "note.txt")
        n = 200 if cfg.quick else 2000
        start = time.perf_counter()
        for _ in range(n):
            timer.arm(300, "codemode: cell [1] (msg_id x) ... a 400-character message\n")
            timer.cancel()
        per = (time.perf_counter() - start) / n
        timer.close()
    return Row(
        "exit timer per cell (note write + faulthandler arm + cancel)",
        fmt_time(per),
        "—",
        "—",
        "report",
        None,
    )


def run(cfg: Config) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="cmladder-") as d:
        tmp = Path(d)
        rows = _overshoot(cfg, tmp)
        rows.append(_round_trip(cfg, tmp))
        rows.append(_after_forced_stop(cfg, tmp))
        rows.append(_arm_cost(cfg))
    return rows
