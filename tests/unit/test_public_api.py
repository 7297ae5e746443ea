"""The public API is exactly this (in the spirit of httpx's test_exported_members.py).

Adding or removing a public name is a decision: change EXPECTED with it, and
docs/api.md.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import codemode_kernel
from codemode_kernel import errors

EXPECTED = [
    "CeilingError",
    "CellTimeoutError",
    "CodeModeError",
    "CodeModeSession",
    "Database",
    "DuplicateColumnError",
    "ExecResult",
    "Execution",
    "LimitExceededError",
    "QueryTimeoutError",
    "QuotaExceededError",
    "RestoreError",
    "ResultTooLargeError",
    "SQLBlockedError",
    "SQLParameterError",
    "SQLSyntaxError",
    "Settings",
    "StateError",
    "ToolArgumentError",
    "ToolError",
    "ToolTimeoutError",
    "UnsupportedValueError",
    "__version__",
    "load_ipython_extension",
]
PACKAGE = Path(codemode_kernel.__file__).parent


def test_exported_members():
    assert codemode_kernel.__all__ == EXPECTED
    public = {n for n in dir(codemode_kernel) if not n.startswith("_")}
    modules = {n for n in public if inspect.ismodule(getattr(codemode_kernel, n))}
    # Besides __all__, only the public submodules are reachable by name.
    assert public - set(EXPECTED) - modules == set()
    assert modules <= {"db", "errors", "sql"}


def test_every_error_is_exported_and_derives_from_codemode_error():
    """All but CellTimeoutError, which is a KeyboardInterrupt only (issue 18:
    ``except Exception`` must not swallow a timeout)."""
    assert set(errors.__all__) <= set(EXPECTED)
    for name in errors.__all__:
        cls = getattr(codemode_kernel, name)
        assert cls is getattr(errors, name)
        if name == "CellTimeoutError":
            assert issubclass(cls, KeyboardInterrupt) and not issubclass(cls, Exception)
        else:
            assert issubclass(cls, errors.CodeModeError)


def test_public_modules_and_the_rest_are_private():
    public = sorted(
        p.stem if p.name != "__init__.py" else p.parent.name
        for p in PACKAGE.rglob("*.py")
        # a package is private when its folder's name starts with "_" (_mcp_client/)
        if not any(part.startswith("_") for part in p.relative_to(PACKAGE).parent.parts)
        and (not p.stem.startswith("_") or p.name == "__init__.py")
    )
    assert public == ["codemode_kernel", "db", "errors", "sql"]
    for module in ("codemode_kernel.db", "codemode_kernel.errors", "codemode_kernel.sql"):
        mod = importlib.import_module(module)
        assert all(hasattr(mod, name) for name in mod.__all__), module


def test_typed_marker_ships():
    assert (PACKAGE / "py.typed").is_file()
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text()
    assert '"py.typed"' in pyproject
