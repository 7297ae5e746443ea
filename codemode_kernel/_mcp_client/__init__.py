"""``helpers.mcp``: call MCP tools from cell code (see docs/mcp-client.md).

Private modules, one concern each: ``_config`` (the ``mcp.json`` file),
``_schema`` (input schema -> signature, docstring, validation), ``_results``
(a tool result -> a Python value), ``_runtime`` (the background loop thread,
connections, interruptible waits), ``_pid_watch`` (the watcher around stdio
servers), ``_namespace`` (what the cell sees).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._config import load_config, resolve_config_path
from ._namespace import LogFn, McpServers

__all__ = ["McpServers", "load_mcp"]


def load_mcp(configured: Path | None, log: LogFn | None = None) -> McpServers:
    """``helpers.mcp`` for the config file ``configured`` (else the default path).

    Problems in the file are printed once, here (at first use of
    ``helpers.mcp``), to stderr; the servers that are fine stay usable.
    """
    path = resolve_config_path(configured)
    servers, problems = load_config(path)
    if problems:
        print("codemode: " + "\ncodemode: ".join(problems), file=sys.stderr, flush=True)
    return McpServers(servers, problems=problems, log=log)
