"""A ``CallToolResult`` as a Python value.

* ``structuredContent`` when the server gives it (a dict, as sent);
* else text content: a JSON object or array is returned parsed; any other
  text (including text that happens to be a JSON number or string, such as
  ``2024``) is returned as the ``str`` the server sent; several text blocks
  give a list;
* else (images, audio, resources, a mix) a :class:`ToolContent`, which keeps
  ``.content`` (the SDK's content blocks) and displays through
  ``_repr_mimebundle_``;
* ``isError`` raises :class:`~codemode_kernel.errors.ToolError` carrying the
  server's message.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import ToolError

__all__ = ["ToolContent", "convert"]


def _text(block: Any) -> str | None:
    return block.text if getattr(block, "type", None) == "text" else None


def _parse(text: str) -> Any:
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def convert(result: Any, *, server: str, tool: str) -> Any:
    """The Python value of one tool result (see the module docstring); raises ``ToolError``."""
    blocks = list(result.content or [])
    if result.is_error:
        texts = [t for t in map(_text, blocks) if t]
        message = "\n".join(texts) or "the tool reported an error without a message"
        raise ToolError(f"{server}.{tool}: {message}", server=server, tool=tool)
    if result.structured_content is not None:
        return result.structured_content
    texts = [_text(b) for b in blocks]
    if blocks and all(t is not None for t in texts):
        values = [_parse(t) for t in texts if t is not None]
        return values[0] if len(values) == 1 else values
    if not blocks:
        return None
    return ToolContent(blocks, server=server, tool=tool)


class ToolContent:
    """Content of a tool result that is not text: images, audio, resources.

    ``.content`` is the list of the SDK's content blocks (``ImageContent`` has
    ``.data`` (base64) and ``.mime_type``). In Jupyter it displays: images as
    images, text as text.
    """

    def __init__(self, content: list[Any], *, server: str = "", tool: str = "") -> None:
        self.content = content
        self.server = server
        self.tool = tool

    def _kinds(self) -> str:
        kinds = [getattr(b, "mime_type", None) or getattr(b, "type", "?") for b in self.content]
        return ", ".join(kinds)

    def __repr__(self) -> str:
        return f"<ToolContent from {self.server}.{self.tool}: {self._kinds()}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {}
        texts = []
        for block in self.content:
            kind = getattr(block, "type", None)
            mime = getattr(block, "mime_type", None)
            if kind in ("image", "audio") and mime and mime not in bundle:
                bundle[mime] = block.data  # Jupyter takes base64 text for binary types
            elif kind == "text":
                texts.append(block.text)
            elif kind == "resource":
                inner = block.resource
                text = getattr(inner, "text", None)
                texts.append(text if text is not None else f"<resource {inner.uri}>")
            elif kind == "resource_link":
                texts.append(f"<resource link {block.uri}>")
        bundle["text/plain"] = "\n".join([repr(self), *texts])
        return bundle

    def to_json(self) -> list[dict[str, Any]]:
        """The content blocks as JSON-ready dicts (as on the wire)."""
        dump = [b.model_dump_json(by_alias=True, exclude_none=True) for b in self.content]
        return [json.loads(text) for text in dump]
