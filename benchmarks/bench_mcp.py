"""A tool call's round trip over MCP (stdio, Streamable HTTP) next to ``CodeModeSession.run``.

The same kind of work three ways, interleaved in blocks of 10 (A B C, C B A,
...): the agents client in-process (``CodeModeSession.run`` / ``.sql``, one
jupyter-client round trip), and the SDK's client calling ``run_python`` /
``sql`` on ``python -m codemode_kernel mcp`` over stdio and over HTTP (the
server then makes the same jupyter-client round trip). Medians per call.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .harness import Config, Row, fmt_time, ratio

__all__ = ["run"]

ROOT = Path(__file__).resolve().parents[1]
POINT = "SELECT id, v FROM points WHERE id = 42"


def _measure(cfg: Config, data: Path) -> dict[str, dict[str, list[float]]]:
    import anyio
    from mcp import Client, StdioServerParameters

    from codemode_kernel._client import CodeModeSession

    sys.path.insert(0, str(ROOT / "tests" / "mcp"))
    from mcp_support import http_client, http_server

    env = {**os.environ, "PYTHONPATH": str(ROOT), "CODEMODE_DATA_DIR": str(data)}
    n = max(cfg.round_trips // 2, 4)
    times: dict[str, dict[str, list[float]]] = {
        "cell": {"client": [], "stdio": [], "http": []},
        "sql": {"client": [], "stdio": [], "http": []},
    }
    setup = "helpers.db.batch_insert('points', ({'id': i, 'v': i * 2} for i in range(10_000)))"

    async def main() -> None:
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "codemode_kernel", "mcp"], env=env
        )
        with (
            http_server(data) as url,
            CodeModeSession("bench-client", data_dir=data) as session,
        ):
            async with Client(params) as stdio, http_client(url) as http:
                session.run(setup)
                for c in (stdio, http):
                    await c.call_tool("run_python", {"code": setup})

                async def one(kind: str, how: str) -> None:
                    t = time.perf_counter()
                    if how == "client":
                        session.run("x = 1") if kind == "cell" else session.sql(POINT)
                    else:
                        c = stdio if how == "stdio" else http
                        if kind == "cell":
                            r = await c.call_tool("run_python", {"code": "x = 1"})
                        else:
                            r = await c.call_tool("sql", {"sql": POINT})
                        assert not r.is_error
                    times[kind][how].append(time.perf_counter() - t)

                order = ["client", "stdio", "http"]
                for kind in ("cell", "sql"):
                    for _ in range(3):  # warm-up
                        for how in order:
                            await one(kind, how)
                    for k in times[kind].values():
                        k.clear()
                    for block in range(max(n // 10, 1)):
                        seq = order if block % 2 == 0 else order[::-1]
                        for how in seq:
                            for _ in range(10 if n >= 10 else n):
                                await one(kind, how)

    anyio.run(main)
    return times


def run(cfg: Config) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="cmbench-mcp-") as tmp:
        times = _measure(cfg, Path(tmp) / "sessions")
    rows = []
    for kind, label in (("cell", "`x = 1`"), ("sql", f"`{POINT}`")):
        med = {how: statistics.median(v) for how, v in times[kind].items()}
        count = len(times[kind]["client"])
        tool = "run_python" if kind == "cell" else "sql"
        rows.append(
            Row(
                f"MCP `{tool}` round trip, {label} ({count} calls each)",
                f"stdio {fmt_time(med['stdio'])}, HTTP {fmt_time(med['http'])}",
                f"CodeModeSession.{'run' if kind == 'cell' else 'sql'}: {fmt_time(med['client'])}",
                f"stdio {ratio(med['stdio'], med['client']):.2f}×,"
                f" HTTP {ratio(med['http'], med['client']):.2f}×",
                "report",
                None,
            )
        )
    return rows
