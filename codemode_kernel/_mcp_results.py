"""Turning kernel output into MCP tool results (content blocks).

``run_python`` returns content blocks only, never ``structuredContent``:
clients that find ``structuredContent`` show only that and drop image blocks
(datalayer/jupyter-mcp-server #200 and #214, anthropics/claude-code #31208 and
#54737). A chart is an ``image`` block downscaled to the operator's width
(``--image-width``, default 800 px: a full-size PNG is 70-100k characters of
base64, more than clients' response limits); the full image stays available
as the resource ``codemode://outputs/{id}`` and the result links to it.
"""

from __future__ import annotations

import base64
import html.parser
import io
import json
import re
from collections.abc import Callable
from typing import Any

from mcp_types import ContentBlock, ImageContent, ResourceLink, TextContent

from ._client import QUERY_MIME, Execution

__all__ = [
    "IMAGE_MIMES",
    "TRACEBACK_LINES",
    "bundle_text",
    "cap",
    "downscale",
    "execution_blocks",
    "html_text",
    "text_table",
]

IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp")
#: Lines of a traceback kept in a result: the end, where the error is.
TRACEBACK_LINES = 25
#: Characters of an error (name, message, traceback end) always shown.
ERROR_CHARS = 4_000
#: Rows shown in the text table of an ``sql`` result (all rows are in structuredContent).
TEXT_TABLE_ROWS = 20


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a marker saying so."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... output truncated at {limit:,} characters (--max-output) ...]"


def downscale(data: bytes, width: int) -> tuple[bytes, tuple[int, int], tuple[int, int]]:
    """A PNG of the image at most ``width`` px wide: (png, original size, new size).

    Returns the data unchanged (and equal sizes) when it is not wider.
    """
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        size = img.size
        if size[0] <= width:
            return data, size, size
        height = max(1, round(size[1] * width / size[0]))
        small = img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB")
        small = small.resize((width, height), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        small.save(buf, format="PNG", optimize=True)
        return buf.getvalue(), size, (width, height)


#: IPython's default ``text/plain`` of an object without a repr of its own,
#: e.g. ``<IPython.core.display.HTML object>``: it says nothing to a model.
_DEFAULT_REPR = re.compile(r"^<[\w.]+ object(?: at 0x[0-9a-fA-F]+)?>$")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "pre", "table", "thead", "tbody", "ul", "ol", "hr"}
    | {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
)


class _TextOf(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The text of an HTML fragment: tags, scripts and styles dropped, blocks on lines."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def bundle_text(bundle: dict[str, Any]) -> str | None:
    """The text a model gets for a display bundle: ``text/markdown``, else a
    ``text/plain`` that says something, else the text of ``text/html``, else
    whatever ``text/plain`` there is."""
    md, plain, markup = (bundle.get(m) for m in ("text/markdown", "text/plain", "text/html"))
    if isinstance(md, str) and md:
        return md
    if isinstance(plain, str) and plain and not _DEFAULT_REPR.match(plain.strip()):
        return plain
    if isinstance(markup, str) and markup:
        return html_text(markup)
    return plain if isinstance(plain, str) else None


def _short_traceback(tb: str) -> str:
    lines = tb.rstrip("\n").splitlines()
    if len(lines) <= TRACEBACK_LINES:
        return "\n".join(lines)
    return "\n".join(["[... traceback start cut ...]", *lines[-TRACEBACK_LINES:]])


def execution_blocks(
    ex: Execution,
    *,
    max_output: int,
    image_width: int,
    store: Callable[[str, bytes], str | None],
) -> list[ContentBlock]:
    """The content blocks of one ``run_python`` call, in output order.

    stdout and stderr, then each result (a query payload as JSON text, an
    image downscaled plus a ``resource_link`` to the full one, else its
    text/markdown or text/plain), then the error, then one JSON line of
    facts (``ok``, ``duration_s``, ``truncated_output``, ``execution_count``).
    ``store(mime, data) -> uri`` keeps a full-size image (None: not kept, no
    link). An image already sent in this result (a figure both displayed and
    returned) is not sent again. All text together stays within
    ``max_output`` characters.
    """
    blocks: list[ContentBlock] = []
    budget = max_output
    truncated = ex.truncated_output
    images_sent: set[bytes] = set()

    def add_text(text: str) -> None:
        nonlocal budget, truncated
        if not text:
            return
        if budget <= 0:
            truncated = True
            return
        cut = cap(text, budget)
        truncated = truncated or cut is not text
        budget -= len(cut)
        blocks.append(TextContent(text=cut))

    if ex.stdout:
        add_text(ex.stdout)
    if ex.stderr:
        add_text("[stderr]\n" + ex.stderr)
    for bundle in ex.results:
        if QUERY_MIME in bundle:
            add_text(json.dumps(bundle[QUERY_MIME], ensure_ascii=False, default=str))
            continue
        image = next((m for m in IMAGE_MIMES if m in bundle), None)
        if image is not None:
            raw = base64.b64decode(bundle[image])
            if raw in images_sent:
                continue
            images_sent.add(raw)
            uri = store(image, raw)
            try:
                small, size, new = downscale(raw, image_width)
                mime = "image/png" if small is not raw else image
            except Exception:  # not decodable by Pillow: pass it on as it is
                small, size, new, mime = raw, (0, 0), (0, 0), image
            blocks.append(ImageContent(data=base64.b64encode(small).decode(), mime_type=mime))
            if new != size and uri is not None:
                blocks.append(
                    ResourceLink(
                        uri=uri,
                        name=uri.rsplit("/", 1)[-1],
                        mime_type=image,
                        description=(
                            f"full-size image, {size[0]}x{size[1]} px"
                            f" (shown above at {new[0]}x{new[1]})"
                        ),
                    )
                )
            continue
        text = bundle_text(bundle)
        if text:
            add_text(text)
    if ex.error is not None:
        tb = _short_traceback(ex.error.traceback) if ex.error.traceback else ""
        head = f"{ex.error.ename}: {ex.error.evalue}"
        # The error is always shown, even when the output used up the budget.
        text = head if not tb or head in tb else f"{head}\n{tb}"
        blocks.append(TextContent(text=cap(text, min(max_output, ERROR_CHARS))))
    facts = {
        "ok": ex.ok,
        "duration_s": ex.duration_s,
        "truncated_output": truncated,
        "execution_count": ex.execution_count,
    }
    if ex.error is not None:
        facts["ename"] = ex.error.ename
    if ex.restarted:
        facts["restarted"] = True
    blocks.append(TextContent(text=json.dumps(facts)))
    return blocks


def _cell(value: Any, width: int = 30) -> str:
    text = "NULL" if value is None else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def text_table(result: dict, max_output: int) -> str:
    """A short plain-text table of an ``sql`` result, for clients that show only text."""
    columns, rows = result.get("columns") or [], result.get("rows") or []
    ms = result.get("elapsed_ms")
    timing = f" · {ms:.1f} ms" if isinstance(ms, int | float) else ""
    if not columns:
        affected = result.get("rows_affected")
        return f"OK: {affected if affected is not None else 0} row(s) affected{timing}"
    shown = [[_cell(v) for v in row] for row in rows[:TEXT_TABLE_ROWS]]
    header = [_cell(c) for c in columns]
    widths = [max([len(h)] + [len(r[i]) for r in shown]) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in shown]
    n = result.get("row_count", len(rows))
    foot = f"{n:,} row{'' if n == 1 else 's'}"
    if len(rows) > TEXT_TABLE_ROWS:
        foot += f" ({TEXT_TABLE_ROWS} shown here, all in structuredContent)"
    if result.get("truncated"):
        foot += ", truncated: the query has more rows; add WHERE/LIMIT or raise limit"
    lines.append(foot + timing)
    return cap("\n".join(lines), max_output)
