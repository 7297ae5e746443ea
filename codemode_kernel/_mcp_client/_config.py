"""The MCP servers configuration: the ecosystem's ``mcp.json`` format.

::

    {"mcpServers": {
        "trials": {"command": "python", "args": ["server.py"], "env": {"KEY": "v"}},
        "pubs":   {"url": "https://example.org/mcp", "headers": {"Authorization": "Bearer ..."}}
    }}

A server with ``command`` is started as a subprocess and spoken to over
stdio; one with ``url`` over Streamable HTTP. ``cwd`` is accepted for stdio
servers (a relative ``cwd`` is taken from the file's own folder, so a
config can sit next to the servers it starts), and ``"type"``/``"transport"`` (``stdio``, ``http``,
``streamable-http``) and ``"disabled": true`` as other clients write them.
A problem in one server's entry skips that server only; a problem with the
file skips all. Problems are returned as text (shown once, at first use).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["ServerConfig", "default_config_path", "load_config", "resolve_config_path"]

_HTTP_TYPES = ("http", "streamable-http", "streamable_http", "streamableHttp")


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """One server: ``command``/``args``/``env``/``cwd`` (stdio) or ``url``/``headers`` (HTTP)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def transport(self) -> str:
        """``stdio`` or ``http`` (Streamable HTTP)."""
        return "stdio" if self.command is not None else "http"

    def describe(self) -> str:
        """One line for listings: the command line or the URL (never headers or env values)."""
        if self.command is not None:
            return " ".join([self.command, *self.args])
        return str(self.url)


def default_config_path() -> Path:
    """``<jupyter config dir>/codemode/mcp.json``."""
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir()) / "codemode" / "mcp.json"


def resolve_config_path(configured: Path | None) -> Path | None:
    """The file to read: the setting (``CODEMODE_MCP_CONFIG``), else the default when it exists."""
    if configured is not None:
        return configured
    default = default_config_path()
    return default if default.is_file() else None


def _strings(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValueError(f"'{what}' must be an object of strings, got {json.dumps(value)[:80]}")
    return dict(value)


def _server(name: str, entry: Any, base: Path) -> ServerConfig:
    if not isinstance(entry, dict):
        raise ValueError(f"its entry must be an object, got {type(entry).__name__}")
    kind = entry.get("type", entry.get("transport"))
    if "command" in entry and "url" in entry:
        raise ValueError("it has both 'command' (stdio) and 'url' (HTTP); keep one")
    if "command" in entry:
        command, args = entry["command"], entry.get("args", [])
        if not isinstance(command, str) or not command.strip():
            raise ValueError(f"'command' must be a non-empty string, got {command!r}")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ValueError(f"'args' must be a list of strings, got {json.dumps(args)[:80]}")
        cwd = entry.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            raise ValueError(f"'cwd' must be a string, got {cwd!r}")
        if kind not in (None, "stdio"):
            raise ValueError(f"'type' {kind!r} does not go with 'command' (use 'stdio')")
        env = _strings(entry.get("env", {}), "env")
        if cwd is not None:
            cwd = str(base / Path(cwd).expanduser())  # an absolute cwd stays as it is
        return ServerConfig(name, command=command, args=tuple(args), env=env, cwd=cwd)
    if "url" in entry:
        url = entry["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must be an http:// or https:// URL, got {url!r}")
        if kind not in (None, *_HTTP_TYPES):
            if kind == "sse":
                raise ValueError("the legacy SSE transport is not supported; use Streamable HTTP")
            raise ValueError(f"'type' {kind!r} is not supported (use 'http')")
        return ServerConfig(name, url=url, headers=_strings(entry.get("headers", {}), "headers"))
    raise ValueError("it needs 'command' (a stdio server) or 'url' (a Streamable HTTP server)")


def load_config(path: Path | None) -> tuple[dict[str, ServerConfig], list[str]]:
    """(servers by name, problems) from the file at ``path`` (None: no servers, no problems).

    Each problem names the file, the server and what is wrong.
    """
    if path is None:
        return {}, []
    where = f"MCP config {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, [f"{where}: the file does not exist (CODEMODE_MCP_CONFIG); no MCP servers."]
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"{where}: cannot be read ({exc}); no MCP servers."]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, [f"{where}: not valid JSON ({exc}); no MCP servers."]
    servers_raw = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers_raw, dict):
        return {}, [
            f'{where}: needs a top-level object with "mcpServers": {{name: {{...}}}};'
            " no MCP servers."
        ]
    servers: dict[str, ServerConfig] = {}
    problems: list[str] = []
    for name, entry in servers_raw.items():
        if isinstance(entry, dict) and entry.get("disabled") is True:
            continue
        try:
            servers[name] = _server(name, entry, Path(path).parent)
        except ValueError as exc:
            problems.append(f"{where}: server {name!r}: {exc}; skipped it.")
    return servers, problems


def config_env(server: ServerConfig) -> dict[str, str]:
    """The server's ``env`` with ``${VAR}`` references filled from the kernel's environment."""
    return {k: os.path.expandvars(v) for k, v in server.env.items()}
