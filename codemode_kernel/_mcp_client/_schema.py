"""A tool's JSON input schema as a Python signature, a docstring and a validator.

MCP tools describe their arguments with a JSON Schema object (``inputSchema``:
``{"type": "object", "properties": {...}, "required": [...]}``). From it:

* :func:`identifier`: a valid Python name for a tool, server or argument name.
* :class:`ToolSpec`: the signature (required arguments first, positional or
  keyword, in the schema's order; optional ones keyword-only, with the
  schema's default), the docstring, and :meth:`ToolSpec.arguments`, which
  binds a call to the raw argument names and validates them against the
  schema with ``jsonschema`` (a dependency of the ``mcp`` SDK), raising
  :class:`~codemode_kernel.errors.ToolArgumentError`.
"""

from __future__ import annotations

import inspect
import json
import keyword
import re
import types
import typing
import unicodedata
from collections.abc import Mapping
from typing import Any

from ..errors import ToolArgumentError

__all__ = ["ToolSpec", "identifier"]

_NOT_WORD = re.compile(r"\s+")
_SIMPLE = {"string": str, "integer": int, "number": float, "boolean": bool, "null": type(None)}
#: Schema keys worth showing in an error; titles and descriptions are noise there.
_SHOWN = (
    "type",
    "enum",
    "const",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "anyOf",
    "oneOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
)


def identifier(name: str, taken: typing.Container[str] = ()) -> str:
    """``name`` as a Python identifier: NFKC-normalized (as Python reads names), runs of
    characters a name cannot hold become ``_``, a name that cannot start as it does or is a
    keyword gets ``_`` added; ``taken`` names get a ``_2``, ``_3`` ... suffix."""
    text = unicodedata.normalize("NFKC", name)
    chars = [c if ("a" + c).isidentifier() else " " for c in text]
    ident = _NOT_WORD.sub("_", "".join(chars).strip()) or "tool"
    if not ident.isidentifier():
        ident = "_" + ident
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident):
        ident += "_"
    base, n = ident, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    return ident


def _resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    """Follow a local ``$ref`` (``#/$defs/Name``), as pydantic-made schemas use."""
    seen = 0
    while isinstance(schema, Mapping) and "$ref" in schema and seen < 20:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        schema, seen = target, seen + 1
    return schema


def _annotation(schema: Any, root: Mapping[str, Any], depth: int = 0) -> Any:
    """A typing annotation for display (``str``, ``list[int]``, ``Literal[...]``, ``X | None``)."""
    schema = _resolve(schema, root)
    if not isinstance(schema, Mapping) or depth > 4:
        return Any
    if schema.get("enum"):
        return typing.Literal[tuple(schema["enum"])]
    if "const" in schema:
        return typing.Literal[schema["const"]]
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        parts = [_annotation(o, root, depth + 1) for o in options]
        return _union(parts)
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union([_annotation({**schema, "type": k}, root, depth + 1) for k in kind])
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "array":
        items = schema.get("items")
        return list[_annotation(items, root, depth + 1)] if items else list
    if kind == "object" or "properties" in schema:
        return dict
    return Any


def _union(parts: list[Any]) -> Any:
    unique: list[Any] = []
    for p in parts:
        if p not in unique:
            unique.append(p)
    if Any in unique:
        return Any
    out = unique[0]
    for p in unique[1:]:
        out = out | p
    return out


def _type_text(annotation: Any) -> str:
    """``str | None``, ``Literal['a', 'b']``, ``list[int]``: as a signature shows them."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_text(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(map(repr, args))}]"
    if origin is list and args:
        return f"list[{_type_text(args[0])}]"
    if annotation is type(None):
        return "None"
    return inspect.formatannotation(annotation)


def _brief(schema: Any) -> str:
    """The schema reduced to the keys that say what is wanted, as compact JSON."""
    if isinstance(schema, Mapping):
        shown = {k: schema[k] for k in _SHOWN if k in schema}
        if "properties" in shown:
            shown["properties"] = {k: _brief_inner(v) for k, v in shown["properties"].items()}
        schema = shown or schema
    text = json.dumps(schema, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


def _brief_inner(schema: Any) -> Any:
    if isinstance(schema, Mapping):
        return {k: schema[k] for k in ("type", "enum", "$ref") if k in schema} or "..."
    return schema


class ToolSpec:
    """The Python face of one MCP tool: name, signature, docstring, argument validation."""

    def __init__(
        self,
        server: str,
        name: str,
        description: str | None,
        input_schema: Mapping[str, Any] | None,
        output_schema: Mapping[str, Any] | None = None,
        *,
        ident: str | None = None,
    ) -> None:
        self.server = server
        self.name = name
        self.identifier = ident or identifier(name)
        self.description = inspect.cleandoc(description or "")
        self.schema: dict[str, Any] = dict(input_schema or {"type": "object"})
        self.output_schema = output_schema
        props = self.schema.get("properties") or {}
        self.properties: dict[str, Any] = dict(props) if isinstance(props, Mapping) else {}
        required = self.schema.get("required") or []
        self.required = [r for r in required if isinstance(r, str)]
        taken: set[str] = set()
        #: Python parameter name -> the tool's own argument name.
        self.raw: dict[str, str] = {}
        for raw in self.properties:
            ident = identifier(raw, taken)
            taken.add(ident)
            self.raw[ident] = raw
        self.param_of = {raw: ident for ident, raw in self.raw.items()}
        #: The per-call timeout keyword (``timeout`` unless the tool has an argument so named).
        self.timeout_param = identifier("timeout", taken | {"self"})
        if self.timeout_param != "timeout":
            self.timeout_param = identifier("call_timeout", taken)
        self.signature = self._signature()
        self._validator: Any = None

    @property
    def label(self) -> str:
        """``server.tool`` as written in Python."""
        return f"{self.server}.{self.identifier}"

    # -- signature and docstring ---------------------------------------------------

    def _param_schema(self, raw: str) -> Any:
        return _resolve(self.properties[raw], self.schema)

    def _signature(self) -> inspect.Signature:
        required, optional = [], []
        for ident, raw in self.raw.items():
            annotation = _annotation(self.properties[raw], self.schema)
            if raw in self.required:
                kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
                required.append(inspect.Parameter(ident, kind, annotation=annotation))
                continue
            sub = self._param_schema(raw)
            default = sub.get("default") if isinstance(sub, Mapping) else None
            optional.append(
                inspect.Parameter(
                    ident, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
                )
            )
        timeout = inspect.Parameter(
            self.timeout_param,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=float | None,
        )
        return inspect.Signature([*required, *optional, timeout])

    def _argument_lines(self) -> list[str]:
        lines = []
        for ident, raw in self.raw.items():
            sub = self._param_schema(raw)
            sub = sub if isinstance(sub, Mapping) else {}
            param = self.signature.parameters[ident]
            facts = [_type_text(param.annotation)]
            if raw in self.required:
                facts.append("required")
            elif "default" in sub:
                facts.append(f"default {sub['default']!r}")
            else:
                facts.append("optional")
            if ident != raw:
                facts.append(f"MCP name {raw!r}")
            text = " ".join(str(sub.get("description", "")).split())
            nested = sub.get("properties")
            if isinstance(nested, Mapping) and nested:
                required = sub.get("required") or []
                keys = "; ".join(
                    f"{k}{'' if k in required else '?'}: {_type_text(_annotation(v, self.schema))}"
                    for k, v in nested.items()
                )
                text = f"{text} Keys ('?' = optional): {keys}.".strip()
            lines.append(f"    {ident} ({', '.join(facts)}){': ' + text if text else ''}")
        lines.append(
            f"    {self.timeout_param} (float | None): seconds this call may take; default"
            " no limit of its own (the cell timeout still applies)."
        )
        return lines

    def docstring(self) -> str:
        """The tool's description, then its arguments, result and errors."""
        parts = [self.description or f"MCP tool {self.name!r}."]
        parts.append(
            f"Arguments (MCP tool {self.name!r} on server {self.server!r}):\n"
            + "\n".join(self._argument_lines())
        )
        out = self.output_schema
        if isinstance(out, Mapping) and isinstance(out.get("properties"), Mapping):
            keys = ", ".join(out["properties"])
            parts.append(f"Returns:\n    dict (the tool's structured content) with keys {keys}.")
        else:
            parts.append(
                "Returns:\n    The structured content if the tool gives it; else its text,"
                " parsed when it is a JSON object or array; other content as an object"
                " with .content that displays."
            )
        parts.append(
            "Raises:\n    ToolArgumentError: an argument does not match the tool's input schema.\n"
            "    ToolError: the tool returned an error (isError) or its server failed.\n"
            f"    ToolTimeoutError: the call took longer than {self.timeout_param}=."
        )
        return "\n\n".join(parts)

    # -- calls -----------------------------------------------------------------------

    def arguments(self, args: tuple, kwargs: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """(arguments under their MCP names, the per-call timeout) for one call.

        Only arguments the caller gave are sent (the server applies its own
        defaults); ``None`` for an optional argument whose schema does not
        allow null means "not given". Raises ``ToolArgumentError``.
        """
        named = {self.param_of.get(k, k) if k not in self.raw else k: v for k, v in kwargs.items()}
        try:
            bound = self.signature.bind(*args, **named)
        except TypeError as exc:
            names = ", ".join(self.raw) or "none"
            raise ToolArgumentError(
                f"{self.label}(): {exc}. Its arguments: {names}. See help({self.label})."
            ) from None
        timeout = bound.arguments.pop(self.timeout_param, None)
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout < float("inf")
        ):
            raise ToolArgumentError(
                f"{self.label}(): {self.timeout_param}= must be a positive number of seconds"
                f" or None, got {timeout!r}."
            )
        sent: dict[str, Any] = {}
        for ident, value in bound.arguments.items():
            raw = self.raw[ident]
            if value is None and raw not in self.required and not self._allows_null(raw):
                continue
            sent[raw] = value
        self.validate(sent)
        return sent, timeout

    def _allows_null(self, raw: str) -> bool:
        try:
            loose = self._validators()[1]
            return not any(list(e.path)[:1] == [raw] for e in loose.iter_errors({raw: None}))
        except Exception:
            return True

    def _validators(self) -> tuple[Any, Any]:
        """(the schema's validator, one that ignores ``required``), made on first use."""
        if self._validator is None:
            import jsonschema

            cls = jsonschema.validators.validator_for(self.schema, jsonschema.Draft202012Validator)
            self._validator = (cls(self.schema), cls({**self.schema, "required": []}))
        return self._validator

    def validate(self, arguments: dict[str, Any]) -> None:
        """Raise ``ToolArgumentError`` for the first argument that breaks the schema."""
        try:
            from jsonschema.exceptions import best_match

            errors = list(self._validators()[0].iter_errors(arguments))
        except Exception:
            return
        if not errors:
            return
        # best_match descends into anyOf/oneOf to the most specific problem
        # ("'end' is a required property" rather than "not valid under any").
        err = best_match(errors)
        path = list(err.absolute_path)
        if path:
            head = self.param_of.get(str(path[0]), str(path[0]))
            where = head + "".join(f"[{p!r}]" for p in path[1:])
            what = f"argument {where!r}"
        else:
            what = "the arguments"
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ToolArgumentError(
            f"{self.label}(): {what}: {err.message}; the schema wants {_brief(err.schema)}{more}."
        )
