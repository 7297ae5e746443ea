"""Issue 2: the kernel package, kernelspec, settings and session store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_kernel_info_and_helpers(kernel):
    reply = kernel.kc.kernel_info(reply=True, timeout=30)["content"]
    assert reply["implementation"] == "codemode"
    assert reply["language_info"]["name"] == "python"
    assert "helpers.db" in reply["banner"]
    assert any("Code Mode" in link["text"] for link in reply["help_links"])
    cell = kernel.ok("helpers")
    assert "Code Mode helpers" in cell.text and "helpers.db" in cell.text
    assert kernel.value("type(helpers.db).__name__") == "Database"


def test_helpers_hidden_from_who_and_survives_reset(kernel):
    kernel.ok("x = 1")
    assert "helpers" not in kernel.ok("%who").stdout
    assert "x" in kernel.ok("%who").stdout
    kernel.ok("%reset -f")
    assert kernel.value("'x' in dir()") is False
    assert kernel.value("helpers.db.tables()") == []
    assert "helpers" not in kernel.ok("%who").stdout


def test_helpers_has_docstrings(kernel):
    cell = kernel.ok("print(type(helpers).__doc__)")
    assert "helpers.db" in cell.stdout and "helpers.sql" in cell.stdout


def test_session_dirs_distinct_and_stable(start_kernel, data_dir):
    a = start_kernel(env={"CODEMODE_SESSION_ID": "alpha"})
    b = start_kernel(env={"CODEMODE_SESSION_ID": "beta"})
    path_a = a.value("str(helpers.db.path)")
    path_b = b.value("str(helpers.db.path)")
    assert Path(path_a).parent != Path(path_b).parent
    assert Path(path_a).parent.parent == data_dir
    a2 = start_kernel(env={"CODEMODE_SESSION_ID": "alpha"})
    assert a2.value("str(helpers.db.path)") == path_a


def test_session_id_precedence(start_kernel):
    k = start_kernel(env={"CODEMODE_SESSION_ID": "explicit", "JPY_SESSION_NAME": "/nb/a.ipynb"})
    assert k.value("helpers.session.id") == "explicit"
    k = start_kernel(env={"JPY_SESSION_NAME": "/nb/a.ipynb"})
    assert k.value("helpers.session.id") == "/nb/a.ipynb"
    k = start_kernel(env={})
    conn_file = Path(k.km.connection_file).name
    assert k.value("helpers.session.id") == conn_file.removesuffix(".json").removeprefix("kernel-")


def test_bad_setting_in_kernel_warns_in_first_cell(start_kernel):
    k = start_kernel(env={"CODEMODE_CELL_TIMEOUT": "abc", "CODEMODE_ON_SHUTDOWN": "maybe"})
    first = k.ok("1 + 1")
    assert "CODEMODE_CELL_TIMEOUT='abc' is invalid" in first.stderr
    assert "CODEMODE_ON_SHUTDOWN='maybe' is invalid" in first.stderr
    assert first.text == "2"
    assert "invalid" not in k.ok("2 + 2").stderr  # reported once
    assert k.value("helpers.settings.cell_timeout") == 300.0


def test_traitlet_config_on_command_line(start_kernel):
    k = start_kernel(extra_arguments=["--CodeModeKernel.max_rows=123"])
    assert k.value("helpers.settings.max_rows") == 123


def test_install_prefix_writes_spec_that_starts(tmp_path, monkeypatch):
    prefix = tmp_path / "prefix"
    for _ in range(2):  # running it twice is fine
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "codemode_kernel",
                "install",
                "--prefix",
                str(prefix),
                "--name",
                "cm-test",
                "--display-name",
                "CM Test",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "Installed kernelspec 'cm-test'" in out.stdout
    spec_dir = prefix / "share" / "jupyter" / "kernels" / "cm-test"
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"][:3] == [sys.executable, "-m", "codemode_kernel"]
    assert spec["display_name"] == "CM Test" and spec["language"] == "python"
    assert {p.name for p in spec_dir.iterdir()} >= {
        "kernel.json",
        "logo-32x32.png",
        "logo-64x64.png",
        "logo-svg.svg",
    }
    from jupyter_client.kernelspec import KernelSpecManager
    from kernels import KernelHandle

    ksm = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)])
    assert "cm-test" in ksm.find_kernel_specs()
    # The kernel manager finds specs through this process's JUPYTER_PATH.
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    k = KernelHandle("cm-test", {"CODEMODE_DATA_DIR": str(tmp_path / "d")})
    try:
        assert k.kc.kernel_info(reply=True, timeout=30)["content"]["implementation"] == "codemode"
        assert k.ok("print(helpers.db.tables())").stdout.strip() == "[]"
    finally:
        k.shutdown()


def test_install_unknown_option_fails():
    out = subprocess.run(
        [sys.executable, "-m", "codemode_kernel", "install", "--bogus"],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "usage:" in out.stderr and "--bogus" in out.stderr


def test_errors_show_user_frames_not_internals(kernel):
    kernel.ok("def load():\n    return helpers.db.exec('ATTACH 1 AS x')")
    cell = kernel.run("load()")
    assert cell.ename == "SQLBlockedError"
    tb = cell.traceback
    assert "load()" in tb and "return helpers.db.exec" in tb  # the user's frames stay
    assert "codemode_kernel" not in tb and "database.py" not in tb  # ours are hidden
    assert tb.rstrip().endswith(cell.evalue.splitlines()[-1].rstrip())
    missing = kernel.run("helpers.db.query('SELECT * FROM nowhere')")
    assert missing.ename == "OperationalError" and "guard.py" not in missing.traceback
    assert "OperationalError: no such table: nowhere" in missing.traceback
    own = kernel.run("import sqlite3\nsqlite3.connect(':memory:').execute('SELECT * FROM x')")
    assert own.ename == "OperationalError" and "no such table: x" in own.traceback
