"""The README and docs/ link only inside the repository, and every link resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_link_stays_in_the_repository_and_resolves():
    bad = []
    for page in PAGES:
        for target in LINK.findall(page.read_text("utf-8")):
            path = target.split("#", 1)[0]
            resolved = (page.parent / path).resolve()
            if "://" in target or not resolved.is_relative_to(ROOT) or not resolved.exists():
                bad.append(f"{page.relative_to(ROOT)}: {target}")
    assert bad == []


def test_the_readme_is_an_entry_point():
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) <= 200
    linked = set(LINK.findall("\n".join(lines)))
    pages = {f"docs/{p.name}" for p in PAGES[1:]}
    assert pages <= {t.split("#")[0] for t in linked}  # every docs page is reachable
