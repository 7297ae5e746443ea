"""Every ``>>>`` example of a public docstring runs, against a real session
database, and prints what the docstring says (as sqlglot's tests/test_docs.py
does for its docs).

``helpers.db``'s examples form one story in source order (the class
docstring creates ``trials``, the methods use it); each ``helpers.sql``
builder runs on a fresh database holding tests/docexamples.py's tables. The
example of ``CodeModeSession`` starts a kernel: tests/kernel/test_client_examples.py.
"""

from __future__ import annotations

import doctest
import inspect
from pathlib import Path

import pytest
from docexamples import load

import codemode_kernel
from codemode_kernel import sql
from codemode_kernel._helpers import Helpers
from codemode_kernel._settings import Settings
from codemode_kernel._store import SessionStore
from codemode_kernel.db import Database

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
PARSER = doctest.DocTestParser()


def helpers_in(tmp_path: Path, name: str) -> Helpers:
    settings = Settings(data_dir=tmp_path / name)
    return Helpers(SessionStore(settings.sessions_dir).open(name), settings)


def run(obj: object, name: str, helpers: Helpers) -> doctest.TestResults:
    test = PARSER.get_doctest(inspect.getdoc(obj) or "", {"helpers": helpers}, name, None, 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test, out=lambda text: pytest.fail(f"{name}:\n{text}"))
    return runner.summarize(verbose=False)


def database_story() -> list[tuple[str, object]]:
    """Database's docstring, then its public methods', in source order."""
    methods = sorted(
        (
            (fn.__code__.co_firstlineno, f"Database.{name}", fn)
            for name, fn in vars(Database).items()
            if inspect.isfunction(fn) and not name.startswith("_") and fn.__name__ == name
        ),
    )
    return [("Database", Database)] + [(label, fn) for _, label, fn in methods]


BUILDERS = [n for n in sql.__all__ if getattr(sql, n).__name__ == n]


def test_database_examples_run_in_order(tmp_path):
    helpers = helpers_in(tmp_path, "story")
    attempted = 0
    for label, obj in database_story():
        attempted += run(obj, label, helpers).attempted
    helpers.close()
    assert attempted >= 8


@pytest.mark.parametrize("name", BUILDERS)
def test_builder_example_runs(tmp_path, name):
    helpers = helpers_in(tmp_path, name)
    load(helpers.db)
    assert run(getattr(sql, name), f"sql.{name}", helpers).attempted >= 1
    helpers.close()


def public_docstrings() -> dict[str, str]:
    """Every public docstring of the package: its API objects, their public
    methods, the public modules and the builders."""
    found: dict[str, str] = {}
    objects: dict[str, object] = {n: getattr(codemode_kernel, n) for n in codemode_kernel.__all__}
    objects.update({f"sql.{n}": getattr(sql, n) for n in BUILDERS})
    objects.update({"codemode_kernel": codemode_kernel, "sql": sql})
    for label, obj in objects.items():
        found[label] = inspect.getdoc(obj) or ""
        if inspect.isclass(obj):
            for name, member in vars(obj).items():
                alias = getattr(member, "__name__", name) != name  # camelCase aliases
                if not name.startswith("_") and inspect.isfunction(member) and not alias:
                    found[f"{label}.{name}"] = inspect.getdoc(member) or ""
    return found


def test_every_public_example_is_run_here_or_in_a_kernel_test():
    with_examples = {k for k, doc in public_docstrings().items() if ">>>" in doc}
    covered = {label for label, _ in database_story()} | {f"sql.{n}" for n in BUILDERS}
    assert with_examples - covered == set()
    assert len(with_examples) >= 18
