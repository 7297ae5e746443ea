"""helpers.mcp without a kernel or a server: the config file, schema -> signature and
validation, tool results -> Python values (issue 21). The kernel-level tests with real
MCP servers are in test_mcp_client.py."""

from __future__ import annotations

import inspect
import json
import keyword

import mcp_types as types
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codemode_kernel._mcp_client._config import load_config
from codemode_kernel._mcp_client._results import ToolContent, convert
from codemode_kernel._mcp_client._schema import ToolSpec, identifier
from codemode_kernel.errors import CodeModeError, ToolArgumentError, ToolError

# -- the config file ------------------------------------------------------------------


def write(tmp_path, data) -> object:
    path = tmp_path / "mcp.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_config_reads_stdio_and_http_servers(tmp_path):
    path = write(
        tmp_path,
        {
            "mcpServers": {
                "trials": {"command": "python", "args": ["s.py", "-v"], "env": {"K": "v"}},
                "pubs": {"url": "https://example.org/mcp", "headers": {"Authorization": "x"}},
                "local": {"command": "srv", "cwd": "servers"},
                "off": {"command": "srv", "disabled": True},
            }
        },
    )
    servers, problems = load_config(path)
    assert problems == []
    assert list(servers) == ["trials", "pubs", "local"]
    trials, pubs = servers["trials"], servers["pubs"]
    assert (trials.transport, trials.command, trials.args) == ("stdio", "python", ("s.py", "-v"))
    assert dict(trials.env) == {"K": "v"} and trials.describe() == "python s.py -v"
    assert (pubs.transport, pubs.url, dict(pubs.headers)) == (
        "http",
        "https://example.org/mcp",
        {"Authorization": "x"},
    )
    assert servers["local"].cwd == str(tmp_path / "servers")  # relative to the file


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"command": 3}, "'command' must be a non-empty string, got 3"),
        ({"command": "x", "args": "a b"}, "'args' must be a list of strings"),
        ({"command": "x", "env": {"A": 1}}, "'env' must be an object of strings"),
        ({"url": "ftp://h/mcp"}, "'url' must be an http:// or https:// URL, got 'ftp://h/mcp'"),
        ({"url": "http://h/mcp", "type": "sse"}, "the legacy SSE transport is not supported"),
        ({"command": "x", "url": "http://h"}, "it has both 'command' (stdio) and 'url' (HTTP)"),
        ({"args": []}, "it needs 'command' (a stdio server) or 'url'"),
        ("python s.py", "its entry must be an object, got str"),
    ],
)
def test_a_bad_server_entry_names_file_server_and_problem(tmp_path, entry, problem):
    path = write(tmp_path, {"mcpServers": {"bad": entry, "good": {"command": "srv"}}})
    servers, problems = load_config(path)
    assert list(servers) == ["good"]  # the others stay usable
    assert len(problems) == 1
    assert problems[0].startswith(f"MCP config {path}: server 'bad': {problem}")
    assert problems[0].endswith("; skipped it.")


def test_a_bad_file_gives_one_problem_and_no_servers(tmp_path):
    servers, problems = load_config(write(tmp_path, '{"mcpServers": {"a": '))
    assert servers == {}
    assert (
        len(problems) == 1
        and "not valid JSON (Expecting value: line 1 column 22 (char 21)); no MCP" in problems[0]
    )
    servers, problems = load_config(write(tmp_path, {"servers": {}}))
    assert problems == [
        f'MCP config {tmp_path / "mcp.json"}: needs a top-level object with "mcpServers":'
        " {name: {...}}; no MCP servers."
    ]
    missing = tmp_path / "nope.json"
    assert load_config(missing) == (
        {},
        [f"MCP config {missing}: the file does not exist (CODEMODE_MCP_CONFIG); no MCP servers."],
    )
    assert load_config(None) == ({}, [])


# -- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "ident"),
    [
        ("search", "search"),
        ("lookup-by-id", "lookup_by_id"),
        ("get.record/v2", "get_record_v2"),
        ("class", "class_"),
        ("match", "match_"),
        ("2fa", "_2fa"),
        ("---", "tool"),
        ("Überblick", "Überblick"),
    ],
)
def test_identifier(raw, ident):
    assert identifier(raw) == ident


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8))
def test_identifiers_are_valid_distinct_and_not_keywords(names):
    taken: set[str] = set()
    for name in names:
        ident = identifier(name, taken)
        assert ident.isidentifier() and not keyword.iskeyword(ident)
        assert ident not in taken
        taken.add(ident)


# -- schema -> signature, docstring, validation -------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "Words to find."},
        "max-results": {"type": "integer", "default": 20, "minimum": 1},
        "phase": {"enum": ["PHASE1", "PHASE2"]},
        "cursor": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "tags": {"type": "array", "items": {"type": "string"}},
        "filters": {"$ref": "#/$defs/Filters"},
    },
    "required": ["query"],
    "$defs": {
        "Filters": {
            "type": "object",
            "properties": {
                "years": {
                    "type": "object",
                    "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
                    "required": ["start", "end"],
                    "additionalProperties": False,
                },
                "country": {"type": "string"},
            },
            "additionalProperties": False,
        }
    },
}


@pytest.fixture
def spec() -> ToolSpec:
    return ToolSpec("trials", "search", "Search the registry.\n\n  Pages with cursor.", SCHEMA)


def test_signature_from_the_schema(spec):
    assert str(spec.signature) == (
        "(query: str, *, max_results: int = 20, phase: Literal['PHASE1', 'PHASE2'] = None,"
        " cursor: str | None = None, tags: list[str] = None, filters: dict = None,"
        " timeout: float | None = None)"
    )
    assert spec.raw["max_results"] == "max-results"


def test_docstring_from_the_schema(spec):
    doc = spec.docstring()
    assert doc.startswith("Search the registry.\n\nPages with cursor.\n\n")
    assert "Arguments (MCP tool 'search' on server 'trials'):\n" in doc
    assert "    query (str, required): Words to find.\n" in doc
    assert "    max_results (int, default 20, MCP name 'max-results')\n" in doc
    assert (
        "    filters (dict, optional): Keys ('?' = optional): years?: dict; country?: str.\n" in doc
    )
    assert "Raises:\n    ToolArgumentError:" in doc


def test_arguments_go_out_under_their_mcp_names(spec):
    sent, timeout = spec.arguments(("asthma",), {"max_results": 5, "timeout": 2.5})
    assert (sent, timeout) == ({"query": "asthma", "max-results": 5}, 2.5)
    # the raw name works as a keyword too; None means "not given" unless null is allowed
    sent, _ = spec.arguments((), {"query": "a", "max-results": 3, "tags": None, "cursor": None})
    assert sent == {"query": "a", "max-results": 3, "cursor": None}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"query": 3},
            "trials.search(): argument 'query': 3 is not of type 'string'; the schema wants"
            ' {"type": "string"}.',
        ),
        (
            {"query": "a", "max_results": 0},
            "trials.search(): argument 'max_results': 0 is less than the minimum of 1; the"
            ' schema wants {"type": "integer", "minimum": 1}.',
        ),
        (
            {"query": "a", "phase": "PHASE9"},
            "trials.search(): argument 'phase': 'PHASE9' is not one of ['PHASE1', 'PHASE2'];"
            ' the schema wants {"enum": ["PHASE1", "PHASE2"]}.',
        ),
        (
            {"query": "a", "tags": ["x", 2]},
            "trials.search(): argument 'tags[1]': 2 is not of type 'string'; the schema"
            ' wants {"type": "string"}.',
        ),
        (
            {"query": "a", "filters": {"years": {"start": 2001}}},
            "trials.search(): argument \"filters['years']\": 'end' is a required property;",
        ),
        (
            {"query": "a", "filters": {"county": "DE"}},
            "trials.search(): argument 'filters': Additional properties are not allowed"
            " ('county' was unexpected);",
        ),
        ({}, "trials.search(): missing a required argument: 'query'. Its arguments: query,"),
        ({"query": "a", "q": 1}, "trials.search(): got an unexpected keyword argument 'q'."),
    ],
)
def test_a_bad_argument_raises_tool_argument_error(spec, kwargs, message):
    with pytest.raises(ToolArgumentError) as info:
        spec.arguments((), kwargs)
    assert str(info.value).startswith(message)
    assert isinstance(info.value, CodeModeError) and isinstance(info.value, TypeError)


def test_a_tool_argument_named_timeout_moves_the_call_timeout():
    spec = ToolSpec("s", "wait", "", {"type": "object", "properties": {"timeout": {}}})
    assert list(spec.signature.parameters) == ["timeout", "call_timeout"]
    assert spec.arguments((), {"timeout": 5, "call_timeout": 1}) == ({"timeout": 5}, 1)


@given(
    st.dictionaries(
        st.sampled_from(["query", "max-results", "phase", "tags"]),
        st.one_of(st.integers(), st.text(max_size=5), st.lists(st.text(max_size=3), max_size=3)),
    )
)
def test_validation_agrees_with_jsonschema(arguments):
    """Whatever our validation lets through, jsonschema accepts, and vice versa."""
    import jsonschema

    spec = ToolSpec("trials", "search", "", SCHEMA)
    expected = jsonschema.Draft202012Validator(SCHEMA).is_valid(arguments)
    try:
        spec.validate(arguments)
        ok = True
    except ToolArgumentError:
        ok = False
    assert ok == expected
    assert inspect.signature(lambda: None)  # (keeps hypothesis from shrinking to nothing)


# -- results ------------------------------------------------------------------------------------


def result(*content, structured=None, error=False) -> types.CallToolResult:
    return types.CallToolResult(
        content=list(content), structured_content=structured, is_error=error
    )


def text(t: str) -> types.TextContent:
    return types.TextContent(type="text", text=t)


def test_result_shapes():
    conv = lambda r: convert(r, server="s", tool="t")  # noqa: E731
    assert conv(result(text('{"a": 1}'), structured={"b": 2})) == {"b": 2}
    assert conv(result(text('[{"id": 1}, {"id": 2}]'))) == [{"id": 1}, {"id": 2}]
    assert conv(result(text('{"a": [1, 2]}'))) == {"a": [1, 2]}
    assert conv(result(text("plain words"))) == "plain words"
    assert conv(result(text("2024"))) == "2024"  # a bare JSON scalar stays the text
    assert conv(result(text("[not json"))) == "[not json"
    assert conv(result(text("[1]"), text("two"))) == [[1], "two"]
    assert conv(result()) is None


def test_an_image_result_displays():
    image = types.ImageContent(type="image", data="aGk=", mime_type="image/png")
    value = convert(result(image, text("caption")), server="s", tool="logo")
    assert isinstance(value, ToolContent) and value.content[0] is image
    bundle = value._repr_mimebundle_()
    assert bundle["image/png"] == "aGk="
    assert bundle["text/plain"] == "<ToolContent from s.logo: image/png, text>\ncaption"
    assert value.to_json()[0] == {"type": "image", "data": "aGk=", "mimeType": "image/png"}


def test_an_error_result_raises_tool_error_with_the_servers_message():
    with pytest.raises(ToolError) as info:
        convert(result(text("registry down"), error=True), server="s", tool="t")
    assert str(info.value) == "s.t: registry down"
    assert (info.value.server, info.value.tool) == ("s", "t")


@pytest.mark.parametrize("bad", [0, -1, "5", True, float("inf"), float("nan")])
def test_the_call_timeout_must_be_a_positive_number(spec, bad):
    with pytest.raises(ToolArgumentError) as info:
        spec.arguments(("a",), {"timeout": bad})
    assert str(info.value) == (
        f"trials.search(): timeout= must be a positive number of seconds or None, got {bad!r}."
    )


# -- paginate's cursor logic (the kernel tests run it against a real server) ----------------------


def pages(responses: list[dict]):
    """A tool function over canned pages, and the calls it received."""
    from codemode_kernel._mcp_client._namespace import McpServers

    calls = []

    def tool(**kwargs):
        calls.append(kwargs)
        return responses[len(calls) - 1]

    tool.mcp_tool = ToolSpec("s", "list", "", {"type": "object"})
    return McpServers({}), tool, calls


def test_paginate_follows_the_cursor_under_its_names():
    mcp, tool, calls = pages(
        [
            {"results": [1, 2], "nextCursor": "b"},
            {"results": [3], "nextCursor": "c"},
            {"results": [], "nextCursor": ""},
        ]
    )
    got = list(mcp.paginate(tool, cursor="after", items="results", q="x"))
    assert got == [1, 2, 3]
    assert calls == [{"q": "x"}, {"q": "x", "after": "b"}, {"q": "x", "after": "c"}]


def test_paginate_stops_a_cursor_that_does_not_move():
    mcp, tool, _ = pages([{"items": [1], "next_cursor": "a"}, {"items": [1], "next_cursor": "a"}])
    gen = mcp.paginate(tool)
    assert next(gen) == 1
    with pytest.raises(ToolError) as info:
        next(gen)
    assert str(info.value) == (
        "paginate(s.list): the server returned the cursor it was given ('a'); stopping"
        " instead of looping forever"
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_json_text_round_trips_and_scalars_stay_text(value):
    """A JSON object or array sent as text comes back equal to what the server dumped;
    any other text comes back as the text itself."""
    sent = json.dumps(value)
    got = convert(result(text(sent)), server="s", tool="t")
    if isinstance(value, dict | list):
        assert got == value
    else:
        assert got == sent
    # structuredContent wins over the text, whatever the text says
    assert convert(result(text(sent), structured={"v": value}), server="s", tool="t") == {
        "v": value
    }
