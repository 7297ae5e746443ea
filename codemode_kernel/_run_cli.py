"""``python -m codemode_kernel run``: run code in a session, print the Execution.

Exit status: 0 when the code ran without error, 1 when it raised, 2 for a
usage error. With ``--session ID`` the session is kept at exit (shutdown
policy ``keep``, unless ``CODEMODE_ON_SHUTDOWN`` says otherwise), so several
``run`` calls share one database; without it a fresh session is used and
deleted at exit.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codemode_kernel run",
        description="Run Python code in a Code Mode session and print the result.",
    )
    parser.add_argument("file", help="a .py file, or - for standard input")
    parser.add_argument("--session", help="session id (kept between runs)")
    parser.add_argument("--timeout", type=float, help="cell timeout in seconds")
    parser.add_argument("--json", action="store_true", help="print the Execution as JSON")
    parser.add_argument(
        "--output-limit",
        type=int,
        default=100_000,
        help="characters of stdout+stderr kept (default 100,000)",
    )
    args = parser.parse_args(argv)
    try:
        code = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except OSError as exc:
        parser.error(f"cannot read {args.file}: {exc.strerror}")
    from ._client import CodeModeSession

    env = {}
    if args.session and "CODEMODE_ON_SHUTDOWN" not in os.environ:
        env["CODEMODE_ON_SHUTDOWN"] = "keep"
    with CodeModeSession(args.session, env=env, output_limit=args.output_limit) as session:
        ex = session.run(code, timeout=args.timeout)
    if args.json:
        print(ex.to_json(indent=1))
    else:
        text = str(ex)
        if text:
            print(text)
    return 0 if ex.ok else 1
