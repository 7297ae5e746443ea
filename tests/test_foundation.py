"""Issue 2: the kernel package, kernelspec, settings and session store."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codemode_kernel._settings import resolve_settings
from codemode_kernel._store import SessionStore, resolve_session_id, session_dirname


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


def test_resolve_session_id_unit():
    assert resolve_session_id("x", {"JPY_SESSION_NAME": "y"}, "kernel-z.json") == (
        "x",
        "CODEMODE_SESSION_ID",
    )
    assert resolve_session_id(None, {"JPY_SESSION_NAME": "y"}, "kernel-z.json")[0] == "y"
    assert resolve_session_id(None, {}, "/run/kernel-abc-123.json") == ("abc-123", "kernel id")
    sid, source = resolve_session_id(None, {}, None)
    assert source == "random" and len(sid) == 32


HOSTILE = [
    "../../etc/passwd",
    "..",
    ".",
    "/",
    "a/b/c",
    "a\x00b",
    "x" * 10_000,
    "ünïcödé/名前",
    "C:\\Windows\\system32",
    "~root",
    "-rf",
    " ",
    "a\nb",
    "..\\..\\x",
]


def test_hostile_ids_stay_inside(tmp_path):
    store = SessionStore(tmp_path / "data")
    seen = set()
    for sid in HOSTILE:
        s = store.open(sid)
        s.ensure()
        resolved = s.path.resolve()
        assert resolved.parent == (tmp_path / "data").resolve(), sid
        assert len(s.path.name) <= 80
        seen.add(s.path)
    assert len(seen) == len(HOSTILE)  # two different ids never share a directory
    assert session_dirname("a/b") != session_dirname("a_b")
    assert not (tmp_path / "etc").exists()


def test_permissions(tmp_path, db):
    db.batch_insert("t", [{"a": 1}])
    session_dir = Path(db.path).parent
    assert stat.S_IMODE(session_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(session_dir.parent.stat().st_mode) == 0o700
    for name in ("session.db", "meta.json", "kernel.lock", "session.db-wal"):
        assert stat.S_IMODE((session_dir / name).stat().st_mode) == 0o600, name


def test_bad_settings_reported_and_defaults_kept():
    settings, warnings = resolve_settings(
        {},
        {
            "CODEMODE_CELL_TIMEOUT": "abc",
            "CODEMODE_SESSION_TTL": "-5",
            "CODEMODE_ON_SHUTDOWN": "maybe",
            "CODEMODE_MAX_ROWS": "25",
        },
    )
    assert settings.cell_timeout == 300.0
    assert settings.session_ttl == 86400.0
    assert settings.on_shutdown == "delete"
    assert settings.max_rows == 25
    assert len(warnings) == 3
    assert any("CODEMODE_CELL_TIMEOUT='abc'" in w for w in warnings)
    assert any("CODEMODE_ON_SHUTDOWN='maybe'" in w and "delete, keep" in w for w in warnings)


def test_env_wins_over_traitlet():
    settings, warnings = resolve_settings({"max_rows": 7}, {"CODEMODE_MAX_ROWS": "9"})
    assert settings.max_rows == 9 and warnings == []
    settings, _ = resolve_settings({"max_rows": 7}, {})
    assert settings.max_rows == 7


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


def test_checked_in_kernelspec_matches_package():
    root = Path(__file__).resolve().parents[1]
    names = {p.name for p in (root / "kernelspec").iterdir()}
    assert names == {"kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"}
    spec = json.loads((root / "kernelspec" / "kernel.json").read_text())
    assert spec["display_name"] == "Code Mode (Python 3)"


@pytest.mark.parametrize("module", ["codemode_kernel", "codemode_kernel.errors"])
def test_public_api_has_all(module):
    import importlib

    mod = importlib.import_module(module)
    assert "CodeModeError" in mod.__all__


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
