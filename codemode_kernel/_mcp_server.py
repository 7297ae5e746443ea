"""The Code Mode MCP server: tools and resources over one kernel per connection.

Built on the official ``mcp`` SDK 2.x (``MCPServer``). The transports and the
command line are in ``_mcp_cli``; running a call in ``_mcp_calls``; the kernels
in ``_mcp_kernels``; result conversion in ``_mcp_results``. Each tool call
finds its connection's kernel through :class:`_ConnectionMiddleware`, which
also ties the kernel's shutdown to the connection's end.
"""

import contextlib
import functools
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.shared.exceptions import MCPError
from mcp_types import METHOD_NOT_FOUND, CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from . import __version__
from ._mcp_calls import CONNECTION_KEY, Calls, ServerConfig, clamp_timeout
from ._mcp_calls import error_result as _error
from ._mcp_kernels import KernelPool, SessionLimitError
from ._mcp_results import cap, execution_blocks, text_table
from ._mcp_texts import (
    DESCRIBE,
    INTERRUPT,
    RESET,
    RUN_PYTHON,
    SQL,
    TABLES,
    SqlResult,
    TablesResult,
)

__all__ = ["ServerConfig", "build_server", "clamp_timeout"]

#: Rows an ``sql`` call returns when it asks for none (all of them stay in the database).
SQL_DEFAULT_LIMIT = 100


class _ConnectionMiddleware:
    """Binds each request to its connection's kernel key; over HTTP, refuses the stateless era.

    Over stdio the process is the connection (key ``"stdio"``). Over HTTP the
    key is the MCP session id. The first request of a connection registers
    the kernel's release on the connection's ``exit_stack``, which the SDK
    unwinds when the connection ends (client DELETE, idle timeout, EOF).
    """

    def __init__(self, pool: KernelPool, transport: str) -> None:
        self.pool = pool
        self.transport = transport

    def _key(self, ctx: Any) -> str | None:
        # The SDK hands middleware a ServerRequestContext, which exposes the
        # Connection only through the session's private attribute (2.3).
        if self.transport == "stdio":
            # The lifespan's end (stdin closed) shuts the kernel down. Not the
            # Connection: in the 2026-07-28 era each request has its own.
            return "stdio"
        # Only the session the SDK admitted (and checked the credential of)
        # counts, never an Mcp-Session-Id header a stateless request carries.
        conn = getattr(ctx.session, "_connection", None)
        key = getattr(conn, "session_id", None)
        if key is not None and "codemode_key" not in conn.state:
            conn.state["codemode_key"] = key
            conn.exit_stack.push_async_callback(self._release, key)
        return key

    async def _release(self, key: str) -> None:
        await anyio.to_thread.run_sync(self.pool.release, key, abandon_on_cancel=True)

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method == "server/discover" and self.transport != "stdio":
            # Over HTTP, clients then fall back to the initialize handshake: a
            # kernel belongs to an MCP session, and the 2026-07-28 era has none.
            # (Over stdio the process is the connection, so both eras work.)
            raise MCPError(
                code=METHOD_NOT_FOUND,
                message="this server keeps one kernel per connection; connect with the"
                " initialize handshake (protocol 2025-11-25 or earlier)",
            )
        token = CONNECTION_KEY.set(self._key(ctx))
        try:
            return await call_next(ctx)
        finally:
            CONNECTION_KEY.reset(token)


def build_server(
    cfg: ServerConfig, *, token_verifier: Any = None, auth: Any = None
) -> tuple[MCPServer, KernelPool]:
    """The ``MCPServer`` with its tools and resources, and the pool of its kernels."""
    pool = KernelPool(
        max_sessions=cfg.max_sessions,
        cell_timeout=cfg.cell_timeout,
        max_timeout=cfg.max_timeout,
        output_limit=cfg.max_output,
        pinned=cfg.session,
    )
    tools = Calls(pool, cfg)

    @contextlib.asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[dict]:
        async with anyio.create_task_group() as tg:
            if cfg.transport == "http":
                tg.start_soon(_reap, pool, cfg.idle_ttl)
            try:
                yield {"pool": pool}
            finally:
                tg.cancel_scope.cancel()
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(pool.close_all)

    server = MCPServer(
        "codemode",
        title="Code Mode (Python + SQLite session)",
        version=__version__,
        instructions=(
            "A Python kernel with a private, guarded SQLite database for this conversation."
            " Load large data into helpers.db with run_python, aggregate it with sql, and"
            " bring back only small answers. Call describe first."
        ),
        lifespan=lifespan,
        middleware=[_ConnectionMiddleware(pool, cfg.transport)],
        log_level="WARNING",
        token_verifier=token_verifier,
        auth=auth,
    )

    @server.tool(
        description=RUN_PYTHON,
        structured_output=False,
        annotations=ToolAnnotations(title="Run Python", open_world_hint=True),
    )
    async def run_python(
        code: Annotated[str, Field(description="Python source to run, as in a notebook cell.")],
        ctx: Context,
        timeout: Annotated[
            float | None,
            Field(
                description=(
                    f"Seconds this call may run. 0 or missing: the server's default"
                    f" ({cfg.cell_timeout:g} s); at most {cfg.max_timeout:g} s."
                )
            ),
        ] = None,
    ) -> CallToolResult:
        ex = await tools.execute(code, timeout, ctx)
        if isinstance(ex, CallToolResult):
            return ex
        blocks = execution_blocks(
            ex,
            max_output=cfg.max_output,
            image_width=cfg.image_width,
            store=functools.partial(pool.put_output, tools.key()),
        )
        return CallToolResult(content=blocks, is_error=not ex.ok)

    @server.tool(
        description=SQL, annotations=ToolAnnotations(title="Run SQL", destructive_hint=True)
    )
    async def sql(
        sql: Annotated[str, Field(description="SQL text: one statement or a script.")],
        ctx: Context,
        params: Annotated[
            list[Any] | dict[str, Any] | None,
            Field(description="Values for `?` (array) or `:name` (object) placeholders."),
        ] = None,
        limit: Annotated[
            int | None,
            Field(
                description=f"Most rows to return (default {SQL_DEFAULT_LIMIT}, at most the"
                " kernel's max_rows).",
                ge=1,
            ),
        ] = None,
    ) -> Annotated[CallToolResult, SqlResult]:
        args = {
            "sql": sql,
            "params": params,
            "limit": limit or SQL_DEFAULT_LIMIT,
            "max_chars": cfg.max_output,
        }
        data = await tools.cell("sql", repr(json.dumps(args)), ctx)
        if isinstance(data, CallToolResult):
            return data
        data.pop("kind", None)
        return CallToolResult(
            content=[TextContent(text=text_table(data, cfg.max_output))],
            structured_content=data,
        )

    @server.tool(description=DESCRIBE, annotations=ToolAnnotations(read_only_hint=True))
    async def describe(ctx: Context) -> CallToolResult:
        text = await tools.text_of("docs", ctx)
        if isinstance(text, CallToolResult):
            return text
        return CallToolResult(content=[TextContent(text=text)])

    @server.tool(description=TABLES, annotations=ToolAnnotations(read_only_hint=True))
    async def tables(ctx: Context) -> Annotated[CallToolResult, TablesResult]:
        data = await tools.cell("tables", "", ctx)
        if isinstance(data, CallToolResult):
            return data
        data.pop("kind", None)
        lines = [
            f"{t['name']} ({t['row_count']} rows): "
            + ", ".join(f"{c['name']} {c['type']}".strip() for c in t["columns"])
            for t in data["tables"]
        ]
        text = "\n".join(lines) or "No tables yet."
        return CallToolResult(
            content=[TextContent(text=cap(text, cfg.max_output))], structured_content=data
        )

    @server.tool(
        description=RESET,
        annotations=ToolAnnotations(destructive_hint=True, idempotent_hint=True),
    )
    async def reset_session(
        confirm: Annotated[
            bool, Field(description="Must be true: the database and variables are deleted.")
        ] = False,
    ) -> CallToolResult:
        if not confirm:
            return _error(
                "ConfirmationRequired: reset_session deletes every table, saved state and"
                " variable of this session. Call it again with confirm=true to do it"
            )
        key = tools.key()
        try:
            sid = await anyio.to_thread.run_sync(pool.reset, key)
        except SessionLimitError as exc:
            return _error(f"SessionLimitError: {exc}")
        return CallToolResult(
            content=[TextContent(text=f"Session {sid} reset: empty database, fresh Python kernel.")]
        )

    @server.tool(description=INTERRUPT, annotations=ToolAnnotations(idempotent_hint=True))
    async def interrupt() -> CallToolResult:
        session = pool.peek(tools.key())
        if session is None:
            text = "No kernel is running: nothing to do."
            return CallToolResult(content=[TextContent(text=text)])
        await anyio.to_thread.run_sync(session.interrupt, limiter=tools.control_threads)
        return CallToolResult(content=[TextContent(text="Interrupt sent to the kernel.")])

    @server.resource(
        "codemode://docs", name="docs", mime_type="text/markdown", description=DESCRIBE
    )
    async def docs_resource() -> str:
        text = await tools.text_of("docs")
        if isinstance(text, CallToolResult):
            raise ResourceError(text.content[0].text)
        return text

    @server.resource(
        "codemode://schema",
        name="schema",
        mime_type="text/markdown",
        description="This session's tables with columns and row counts (Markdown).",
    )
    async def schema_resource() -> str:
        data = await tools.cell("tables")
        if isinstance(data, CallToolResult):
            raise ResourceError(data.content[0].text)
        lines = [f"# Tables in session `{data['session_id']}` ({len(data['tables'])})"]
        for t in data["tables"]:
            cols = ", ".join(
                f"{c['name']} {c['type'] or 'ANY'}{' PK' if c['pk'] else ''}" for c in t["columns"]
            )
            lines.append(f"- `{t['name']}` ({t['row_count']:,} rows): {cols}")
        return "\n".join(lines) + "\n"

    @server.resource(
        "codemode://outputs/{output_id}",
        name="outputs",
        mime_type="image/png",
        description="A full-size image from a run_python result (results carry it downscaled).",
    )
    async def output_resource(output_id: str) -> bytes:
        found = pool.get_output(tools.key(), output_id)
        if found is None:
            raise ResourceError(
                f"no output {output_id!r} in this session (outputs belong to the session"
                " that made them; the newest 64 are kept)"
            )
        return found[1]

    return server, pool


async def _reap(pool: KernelPool, ttl: float) -> None:
    """Shut down kernels idle for ``ttl`` s.

    The SDK closes an HTTP session idle for the same time, but not while the
    client holds its GET stream open; such a client's next call is told.
    """
    while True:
        await anyio.sleep(max(1.0, min(ttl / 4, 60.0)))
        for key in pool.idle(ttl):
            await anyio.to_thread.run_sync(pool.expire, key, ttl)  # re-checks idleness
