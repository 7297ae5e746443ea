"""How promptly cell timeouts fire: overshoot past the deadline, per case.

Runs each case ``--runs`` times in one real codemode kernel with a
``--limit`` s timeout (execute-request metadata) and prints the median and
worst overshoot: reply time minus limit, measured at the client (so it
includes one message round trip, a few ms). Usage::

    .venv/bin/python benchmarks/timeout_overshoot.py [--runs 20] [--limit 0.5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "kernel"))
from kernels import KernelHandle
from test_timeouts import CASES


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--limit", type=float, default=0.5)
    args = p.parse_args()
    env = {"CODEMODE_DATA_DIR": tempfile.mkdtemp(), "CODEMODE_CELL_TIMEOUT": "0"}
    k = KernelHandle("codemode", env)
    meta = {"codemode": {"timeout": args.limit}}
    print(f"limit {args.limit:g} s, {args.runs} runs per case; overshoot in ms")
    print(f"{'case':26} {'median':>8} {'worst':>8}  enames")
    try:
        for name, code in CASES.items():
            over, enames = [], set()
            for _ in range(args.runs):
                t0 = time.monotonic()
                cell = k.run(code, metadata=meta, timeout=120)
                over.append((time.monotonic() - t0 - args.limit) * 1000)
                enames.add(cell.ename)
                k.ok("1")
            print(f"{name:26} {statistics.median(over):8.1f} {max(over):8.1f}  {sorted(enames)}")
    finally:
        k.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
