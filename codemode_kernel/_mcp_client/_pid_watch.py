"""Run an MCP server as a child, and stop it when the kernel that started it is gone.

Usage (by the runtime; never imported): ``python -I _pid_watch.py KERNEL_PID COMMAND [ARGS...]``.

Why: the SDK starts stdio servers in a session of their own (so the
Interrupt button's SIGINT to the kernel's process group does not reach them)
and stops them when the kernel closes the connection. A kernel killed with
SIGKILL runs nothing; an SDK server then exits on its stdin's EOF, but not
every server does (wrappers such as ``npx`` or ``uvx`` keep grandchildren).
This watcher is the SDK's process (so the SDK's stop, which signals the whole
process group, reaches everything it started); the server talks to the kernel
directly over the inherited pipes. Every ``POLL`` s the watcher checks that its
parent is still the kernel; when it is not, it terminates the process group
(SIGTERM, then SIGKILL after ``GRACE`` s) and exits. When the server exits
(the normal stop: its stdin closed), the watcher sends SIGTERM to what is left
of the group (a wrapper's children) and exits with the server's code.

Standard library only, run with ``-I``: it must start fast and import nothing
of the kernel's environment.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

POLL = 0.5
GRACE = 2.0


def _stop_group(proc: "subprocess.Popen[bytes]") -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the watcher stays to finish the job
    with contextlib.suppress(OSError):
        os.killpg(os.getpgrp(), signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.killpg(os.getpgrp(), signal.SIGKILL)  # the watcher itself goes with the group


def main() -> int:
    kernel_pid, command = int(sys.argv[1]), sys.argv[2:]
    try:
        proc = subprocess.Popen(command)
    except OSError as exc:
        print(f"codemode: cannot start MCP server {command[0]!r}: {exc}", file=sys.stderr)
        return 127
    # Let go of the pipes: the kernel must see EOF when the server exits, not when we do.
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    while True:
        try:
            code = proc.wait(timeout=POLL)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None:
            # The server is gone; what it started (a wrapper's grandchildren) goes too.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            with contextlib.suppress(OSError):
                os.killpg(os.getpgrp(), signal.SIGTERM)
            return code
        if os.getppid() != kernel_pid:
            _stop_group(proc)
            return 1


if __name__ == "__main__":
    sys.exit(main())
