"""``helpers.mcp``: servers as namespaces, tools as functions, ``paginate``, ``aio``.

* ``helpers.mcp`` lists the configured servers; ``helpers.mcp.<server>``
  starts the server (once) and lists its tools; ``helpers.mcp.<server>.<tool>``
  is a plain function with the tool's signature and docstring.
* Names are made into identifiers (``clinical-trials`` -> ``clinical_trials``);
  ``getattr(ns, raw_name)`` and ``ns[raw_name]`` reach the same object.
* Each call is logged in ``helpers.db.logs()`` with kind ``mcp``: the tool and
  its arguments (cut to 2,000 characters), elapsed ms, error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import ToolError, ToolTimeoutError
from ._config import ServerConfig
from ._results import convert
from ._runtime import Connection, Runtime
from ._schema import ToolSpec, identifier

__all__ = ["McpServers"]

#: Logs one call: (kind, text, elapsed_ms, error).
LogFn = Callable[[str, str, float, "BaseException | None"], None]
_NO_SERVERS = (
    "No MCP servers configured. Put them in a JSON file"
    ' ({"mcpServers": {"name": {"command": "...", "args": [...]}}}, or {"url": "..."})'
    " and point CODEMODE_MCP_CONFIG at it, or use <jupyter config dir>/codemode/mcp.json."
)


def _call_text(spec: ToolSpec, arguments: dict[str, Any]) -> str:
    return f"{spec.server}.{spec.name} {json.dumps(arguments, default=str)}"[:2000]


class _Names:
    """Attribute access by identifier or raw name, ``[]`` by either, ``dir()`` of identifiers."""

    _members: dict[str, Any]
    _raw: dict[str, str]  # raw name -> identifier

    def _lookup(self, name: str) -> Any:
        ident = self._raw.get(name, name)
        try:
            return self._members[ident]
        except KeyError:
            known = ", ".join(self._members) or "none"
            raise AttributeError(f"{self!r} has no {name!r}; it has: {known}") from None

    def __getitem__(self, name: str) -> Any:
        return self._lookup(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)


class ServerTools(_Names):
    """The tools of one MCP server, as functions (``helpers.mcp.<server>.<tool>(...)``)."""

    def __init__(self, name: str, ident: str, tools: dict[str, Callable], raw: dict[str, str]):
        self._name, self._ident = name, ident
        self._members, self._raw = tools, raw

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._lookup(name)

    def __dir__(self) -> list[str]:
        return sorted(self._members)

    def __repr__(self) -> str:
        return f"<MCP server {self._name!r}: {len(self._members)} tools>"

    def describe(self) -> list[str]:
        """One Markdown line per tool: signature and first line of the description."""
        lines = []
        for ident, fn in self._members.items():
            sig = str(fn.__signature__).replace("NoneType", "None")
            summary = (fn.mcp_tool.description or "").strip().split("\n")[0]
            lines.append(f"- `helpers.mcp.{self._ident}.{ident}{sig}`: {summary}")
        return lines

    def _repr_markdown_(self) -> str:
        return f"**MCP server `{self._name}`**: {len(self)} tools\n\n" + "\n".join(self.describe())


class _Aio:
    """``await helpers.mcp.aio.<server>.<tool>(...)``: the same tools as coroutines."""

    def __init__(self, owner: McpServers) -> None:
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._owner._server(name, aio=True)

    def __getitem__(self, name: str) -> Any:
        return self._owner._server(name, aio=True)

    def __dir__(self) -> list[str]:
        return sorted(self._owner._idents)

    def __repr__(self) -> str:
        return "<helpers.mcp.aio: await helpers.mcp.aio.<server>.<tool>(...) in async cells>"


class McpServers(_Names):
    """MCP servers from ``CODEMODE_MCP_CONFIG``, their tools as functions.

    * ``helpers.mcp``: the servers; ``helpers.mcp.<server>``: its tools.
    * ``helpers.mcp.<server>.<tool>(**arguments)``: call a tool (``?`` shows its schema).
    * ``helpers.mcp.paginate(tool, cursor="cursor", items="items", **arguments)``:
      every record of a cursor-paginated tool, one page in memory at a time.
    * ``await helpers.mcp.aio.<server>.<tool>(...)``: the same, in async cells.
    """

    def __init__(
        self,
        servers: dict[str, ServerConfig],
        *,
        problems: list[str] | None = None,
        log: LogFn | None = None,
    ) -> None:
        self._runtime = Runtime(servers)
        self._idents: dict[str, str] = {}  # identifier -> raw server name
        for name in servers:
            self._idents[identifier(name, set(self._idents) | set(vars(McpServers)))] = name
        self._raw = {raw: ident for ident, raw in self._idents.items()}
        self._members = dict(self._idents)
        self._tools: dict[tuple[str, bool], ServerTools] = {}
        self.problems = list(problems or [])
        self._log = log
        self.aio = _Aio(self)

    # -- servers ------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._server(name)

    def __getitem__(self, name: str) -> Any:
        return self._server(name)

    def __dir__(self) -> list[str]:
        return sorted({*self._idents, "aio", "paginate", "servers", "tools"})

    def _connection(self, name: str) -> Connection:
        raw = self._idents.get(name, name)
        conn = self._runtime.connections.get(raw)
        if conn is None:
            known = ", ".join(self._idents) or "none (" + _NO_SERVERS + ")"
            raise AttributeError(f"helpers.mcp has no server {name!r}; servers: {known}")
        return conn

    def _server(self, name: str, *, aio: bool = False) -> ServerTools:
        conn = self._connection(name)
        key = (conn.name, aio)
        if key not in self._tools:
            start, error, fresh = time.perf_counter(), None, conn.tools is None
            try:
                # the first listing starts the server: logged, its time is the start's
                tools = self._runtime.run(conn.list_tools(), what=f"{conn.name}.tools/list")
            except BaseException as exc:
                error = exc
                raise
            finally:
                if fresh:
                    self._record(f"{conn.name}.tools/list", start, error)
            self._tools[key] = self._build(conn, tools, aio=aio)
        return self._tools[key]

    def _build(self, conn: Connection, tools: list[Any], *, aio: bool) -> ServerTools:
        server_ident = self._raw[conn.name]
        members: dict[str, Callable] = {}
        raw: dict[str, str] = {}
        for tool in tools:
            ident = identifier(tool.name, set(members) | set(vars(ServerTools)))
            spec = ToolSpec(
                server_ident,
                tool.name,
                tool.description,
                tool.input_schema,
                tool.output_schema,
                ident=ident,
            )
            members[ident] = self._function(conn, spec, aio=aio)
            raw[tool.name] = ident
        return ServerTools(conn.name, server_ident, members, raw)

    def _function(self, conn: Connection, spec: ToolSpec, *, aio: bool) -> Callable:
        if aio:

            async def tool(*args: Any, **kwargs: Any) -> Any:
                return await self._acall(conn, spec, args, kwargs)

        else:

            def tool(*args: Any, **kwargs: Any) -> Any:
                return self._call(conn, spec, args, kwargs)

        tool.__name__ = spec.identifier
        tool.__qualname__ = f"{spec.server}.{spec.identifier}"
        tool.__module__ = "helpers.mcp"
        tool.__doc__ = spec.docstring()
        tool.__signature__ = spec.signature  # type: ignore[attr-defined]
        tool.mcp_tool = spec  # type: ignore[attr-defined]
        return tool

    # -- calls --------------------------------------------------------------------------

    def _record(self, text: str, start: float, error: BaseException | None) -> None:
        if self._log is not None:
            with contextlib.suppress(Exception):
                self._log("mcp", text, (time.perf_counter() - start) * 1000, error)

    def _call(self, conn: Connection, spec: ToolSpec, args: tuple, kwargs: dict) -> Any:
        arguments, timeout = spec.arguments(args, kwargs)
        start, error = time.perf_counter(), None
        try:
            result = self._runtime.run(
                conn.call(spec.name, arguments), timeout=timeout, what=spec.label
            )
            return convert(result, server=spec.server, tool=spec.identifier)
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._record(_call_text(spec, arguments), start, error)

    async def _acall(self, conn: Connection, spec: ToolSpec, args: tuple, kwargs: dict) -> Any:
        arguments, timeout = spec.arguments(args, kwargs)
        start, error = time.perf_counter(), None
        try:
            fut = asyncio.wrap_future(self._runtime.submit(conn.call(spec.name, arguments)))
            try:
                result = await asyncio.wait_for(fut, timeout or None)
            except TimeoutError:
                raise ToolTimeoutError(
                    f"{spec.label}: no answer within its timeout={timeout:g} s; the call was"
                    " cancelled (the server stays up).",
                    server=spec.server,
                    tool=spec.identifier,
                ) from None
            return convert(result, server=spec.server, tool=spec.identifier)
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._record(_call_text(spec, arguments), start, error)

    def paginate(
        self,
        tool: Callable | str,
        *,
        cursor: str = "cursor",
        items: str = "items",
        next_cursor: str | None = None,
        **arguments: Any,
    ) -> Iterator[Any]:
        """Every record of a cursor-paginated tool, fetched one page at a time.

        ``tool`` is a tool function (``helpers.mcp.trials.search``) or
        ``"server.tool"``. Each page is called with ``**arguments`` plus
        ``{cursor: <the previous page's next cursor>}`` (none for the first
        page); ``items`` is the key of the page's list of records, and the
        next cursor is read from ``next_cursor`` or else the first of
        ``next_<cursor>``, ``nextCursor``, ``next_cursor``, ``<cursor>``
        present. It stops when the next cursor is missing, null or empty.
        Only one page is held at a time, so ``helpers.db.batch_insert(
        "trials", helpers.mcp.paginate(helpers.mcp.trials.search, q="x"))``
        streams in constant memory. A page that is not a dict with a list
        under ``items`` raises ``ToolError``.

        >>> helpers.db.batch_insert("t", helpers.mcp.paginate(helpers.mcp.trials.search))
        """
        fn = self._resolve(tool)  # now, not at the first next(): a wrong tool fails here
        return self._pages(fn, cursor, items, next_cursor, arguments)

    def _pages(
        self, fn: Callable, cursor: str, items: str, next_cursor: str | None, arguments: dict
    ) -> Iterator[Any]:
        spec: ToolSpec = fn.mcp_tool  # type: ignore[attr-defined]
        keys = [next_cursor] if next_cursor else [f"next_{cursor}", "nextCursor", "next_cursor"]
        keys.append(cursor)
        token: Any = None
        for _ in range(sys.maxsize):
            page = fn(**arguments, **({cursor: token} if token is not None else {}))
            if not isinstance(page, dict) or not isinstance(page.get(items), list):
                shape = sorted(page) if isinstance(page, dict) else type(page).__name__
                raise ToolError(
                    f"paginate({spec.label}): a page must be a dict with a list under"
                    f" {items!r} (pass items=...); got {shape}",
                    server=spec.server,
                    tool=spec.identifier,
                )
            records = page[items]
            previous, token = token, next((page[k] for k in keys if page.get(k) is not None), None)
            del page
            if token is not None and token == previous:
                raise ToolError(
                    f"paginate({spec.label}): the server returned the cursor it was given"
                    f" ({token!r}); stopping instead of looping forever",
                    server=spec.server,
                    tool=spec.identifier,
                )
            yield from records
            del records
            if token in (None, ""):
                return

    def _resolve(self, tool: Callable | str) -> Callable:
        if isinstance(tool, str):
            server, _, name = tool.partition(".")
            return self._server(server)[name]
        if not hasattr(tool, "mcp_tool"):
            raise TypeError(
                f"paginate() takes a tool function (helpers.mcp.<server>.<tool>) or"
                f" 'server.tool', got {type(tool).__name__}"
            )
        return tool

    # -- listings -----------------------------------------------------------------

    def servers(self) -> list[str]:
        """The configured server names (as the config file spells them)."""
        return list(self._raw)

    def tools(self) -> dict[str, list[str]]:
        """Server name -> its tool names (starts each server)."""
        return {name: list(self._server(name)._raw) for name in self._raw}

    def docs_lines(self) -> list[str]:
        """Markdown for ``helpers.docs()``: every tool of every server with its arguments."""
        lines = [
            "## helpers.mcp: MCP tools as functions",
            "Call `helpers.mcp.<server>.<tool>(...)`; results are dicts/lists (stage them with"
            " `helpers.db.batch_insert`); `helpers.mcp.paginate(tool, **args)` streams every"
            " page. Errors: ToolArgumentError (bad argument), ToolError (the tool or its server"
            " failed), ToolTimeoutError (past the call's timeout=).",
        ]
        for ident, raw in self._idents.items():
            try:
                lines += self._server(raw).describe()
            except (ToolError, OSError) as exc:
                lines.append(f"- server `{ident}`: unavailable ({str(exc).splitlines()[0]})")
        return lines

    def __repr__(self) -> str:
        if not self._idents:
            return f"<helpers.mcp: {_NO_SERVERS}>"
        parts = []
        for ident, raw in self._idents.items():
            conn = self._runtime.connections[raw]
            state = "running" if conn.client is not None else "not started"
            parts.append(f"{ident} ({conn.config.transport}, {state})")
        return f"<helpers.mcp: {', '.join(parts)}. Try helpers.mcp.{next(iter(self._idents))}>"

    def _repr_markdown_(self) -> str:
        if not self._idents:
            return _NO_SERVERS
        rows = ["| server | transport | runs | state |", "|---|---|---|---|"]
        for ident, raw in self._idents.items():
            conn = self._runtime.connections[raw]
            state = "running" if conn.client is not None else "not started"
            runs = conn.config.describe()
            rows.append(f"| `{ident}` | {conn.config.transport} | `{runs}` | {state} |")
        return "**MCP servers** (`helpers.mcp.<server>` lists its tools)\n\n" + "\n".join(rows)

    # -- the kernel's side ------------------------------------------------------------

    def interrupt(self, error: BaseException | None = None) -> None:
        """Stop the tool call a cell waits for (the cell watchdog, the Interrupt button)."""
        self._runtime.interrupt(error)

    def close(self) -> None:
        """Stop every server (kernel shutdown)."""
        self._runtime.close()
