"""Issue 19: ``python -m codemode_kernel`` explains itself; kernels start over IPC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codemode_kernel.__main__ import COMMANDS


def cli(*args: str, env: dict | None = None, stdin: str | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "codemode_kernel", *args],
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help_lists_the_commands_in_about_ten_lines(flag):
    r = cli(flag)
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "usage: python -m codemode_kernel COMMAND [ARGS...]"
    assert len(lines) <= 12, r.stdout
    for name in ("install", "run", "sessions", "help"):
        assert any(ln.split()[:1] == [name] for ln in lines), (name, r.stdout)
    assert "-f CONNECTION_FILE" in r.stdout
    assert "IPython" not in r.stdout and "{" not in r.stdout  # no placeholders


def test_every_registered_command_is_listed_and_has_its_own_help():
    r = cli("--help")
    for name, (_module, summary) in COMMANDS.items():
        assert f"  {name}" in r.stdout and summary in r.stdout
        sub = cli(name, "--help")
        assert sub.returncode == 0 and sub.stdout.startswith(
            f"usage: python -m codemode_kernel {name}"
        )


@pytest.mark.parametrize("args", [["frobnicate"], [], ["kernel.json"]])
def test_unknown_command_prints_usage_and_exits_2(args, tmp_path):
    data = tmp_path / "sessions"
    r = cli(*args, env={"CODEMODE_DATA_DIR": str(data)}, timeout=20)
    assert r.returncode == 2
    assert r.stdout == ""
    problem = f"unknown command {args[0]!r}" if args else "no command given"
    assert r.stderr.startswith(f"python -m codemode_kernel: {problem}\n\nusage: ")
    assert not data.exists()  # no kernel started, no empty session left behind


def test_sweep_with_nothing_to_do_says_so(tmp_path):
    env = {"CODEMODE_DATA_DIR": str(tmp_path / "sessions")}
    r = cli("sessions", "sweep", env=env)
    assert r.returncode == 0
    assert r.stdout.startswith("nothing to sweep: no session in ")
    assert "idle longer than the TTL" in r.stdout


def test_run_starts_its_kernel_over_ipc_without_the_tcp_warning(tmp_path):
    code = (
        "import json, sys\n"
        "from ipykernel.kernelapp import IPKernelApp\n"
        "app = IPKernelApp.instance()\n"
        "print(json.dumps([app.transport, app.ip]))"
    )
    r = cli("run", "-", env={"CODEMODE_DATA_DIR": str(tmp_path / "s")}, stdin=code)
    assert r.returncode == 0, r.stderr
    transport, ip = json.loads(r.stdout.strip().splitlines()[-1])
    assert transport == "ipc"
    runtime = Path(ip).parent
    assert runtime.is_dir() and Path(ip).name.startswith("kernel-codemode-")
    assert "without encryption" not in r.stderr
    # The socket files are removed with the kernel.
    assert not list(runtime.glob(Path(ip).name + "-*"))
    # TCP where the caller asks for it: the warning is ipykernel's, not ours.
    tcp = cli(
        "run", "--transport", "tcp", "-", env={"CODEMODE_DATA_DIR": str(tmp_path / "s")}, stdin=code
    )
    assert tcp.returncode == 0, tcp.stderr
    assert json.loads(tcp.stdout.strip().splitlines()[-1]) == ["tcp", "127.0.0.1"]
    assert "Kernel is running over TCP without encryption" in tcp.stderr


def test_codemode_session_defaults_to_ipc(tmp_path):
    from codemode_kernel._client import CodeModeSession

    with CodeModeSession(data_dir=tmp_path / "s") as s:
        info = s.km.get_connection_info()
        assert info["transport"] == "ipc"
        sockets = [Path(f"{info['ip']}-{info[p]}") for p in ("shell_port", "iopub_port", "hb_port")]
        assert all(p.is_socket() for p in sockets), sockets
        assert s.run("print(1 + 1)").stdout == "2\n"
    assert not any(p.exists() for p in sockets)
    with CodeModeSession(data_dir=tmp_path / "s", transport="tcp") as s:
        assert s.km.get_connection_info()["transport"] == "tcp"
        assert s.run("print(2 + 2)").stdout == "4\n"
