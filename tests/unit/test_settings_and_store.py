"""Settings, session ids and the session store, in-process; the kernelspec files."""

from __future__ import annotations

import dataclasses
import json
import stat
from pathlib import Path

import pytest

from codemode_kernel._settings import resolve_settings
from codemode_kernel._store import SessionStore, resolve_session_id, session_dirname

ROOT = Path(__file__).resolve().parents[2]


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


def test_checked_in_kernelspec_matches_package():
    root = Path(__file__).resolve().parents[2]
    names = {p.name for p in (root / "kernelspec").iterdir()}
    assert names == {"kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"}
    spec = json.loads((root / "kernelspec" / "kernel.json").read_text())
    assert spec["display_name"] == "Code Mode (Python 3)"


@pytest.mark.parametrize("module", ["codemode_kernel", "codemode_kernel.errors"])
def test_public_api_has_all(module):
    import importlib

    mod = importlib.import_module(module)
    assert "CodeModeError" in mod.__all__


def test_settings_are_documented():
    """docs/configuration.md holds the table made from SETTINGS, and each
    env variable, traitlet and dataclass default comes from the same row."""
    from codemode_kernel._kernel import CodeModeKernel
    from codemode_kernel._settings import SETTINGS, Settings, markdown_table

    docs = (ROOT / "docs" / "configuration.md").read_text()
    start = docs.index("<!-- settings-table")
    table = docs[docs.index("\n", start) + 1 : docs.index("<!-- /settings-table -->")].strip()
    assert table == markdown_table()
    traits = CodeModeKernel.class_traits(config=True)
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert list(fields) == [s.name for s in SETTINGS]
    for s in SETTINGS:
        assert s.env == "CODEMODE_" + s.name.upper() and f"`{s.env}`" in table
        assert fields[s.name] == s.default
        assert traits[s.name].default_value == s.default and traits[s.name].help == s.help
