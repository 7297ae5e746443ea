"""helpers.docs() rendered by a real kernel."""

from __future__ import annotations


def test_docs_render_as_markdown_in_a_real_kernel(kernel):
    kernel.ok("helpers.db.batch_insert('trials', [{'phase': 'III'}])")
    cell = kernel.ok("helpers.docs()")
    bundle = cell.results[-1]
    assert bundle["text/markdown"].startswith("# Code Mode helpers")
    assert "- `trials` (1 row): phase TEXT" in bundle["text/markdown"]
    # text/plain is the Markdown itself, not a quoted repr with \n escapes.
    assert bundle["text/plain"] == bundle["text/markdown"]
    printed = kernel.ok("print(helpers.docs())").stdout
    assert printed.strip() == bundle["text/markdown"].strip()
